/* test_fields.c - lib/formats/fields.c: type names, value checks, UTF-8
 * and times, as every import reader uses them. */
#include "../test.h"
#include "collect.h"

TEST(signal_type_names_of_each_format) {
    ASSERT_STR_EQ(tamis__signal_type("pdq"), "pdq");
    ASSERT_STR_EQ(tamis__signal_type("HASH_PDQ"), "pdq");
    ASSERT_STR_EQ(tamis__signal_type("ImagePDQ"), "pdq");
    ASSERT_STR_EQ(tamis__signal_type("video_md5"), "md5");
    ASSERT_STR_EQ(tamis__signal_type("HASH_VIDEO_MD5"), "md5");
    ASSERT_STR_EQ(tamis__signal_type("VideoMD5"), "md5");
    ASSERT_STR_EQ(tamis__signal_type("SHA-256"), "sha256");
    ASSERT_STR_EQ(tamis__signal_type("video_sha256"), "sha256");
    ASSERT_STR_EQ(tamis__signal_type("TMK+PDQF"), "tmk");
    ASSERT_STR_EQ(tamis__signal_type("tmk_pdqf"), "tmk");
    ASSERT_STR_EQ(tamis__signal_type("VideoTMK"), "tmk");
    ASSERT_STR_EQ(tamis__signal_type("vpdq"), "vpdq");
    ASSERT_STR_EQ(tamis__signal_type("raw_text"), "text");
    ASSERT_STR_EQ(tamis__signal_type("TEXT_STRING"), "text");
    ASSERT_STR_EQ(tamis__signal_type("RAW_URI"), "url");
    ASSERT(tamis__signal_type("sha1") == NULL);
    ASSERT(tamis__signal_type("pdna") == NULL);
    ASSERT(tamis__signal_type("PhotoDNA") == NULL);
    ASSERT(tamis__signal_type("url_md5") == NULL);
    ASSERT(tamis__signal_type("") == NULL);
    ASSERT(tamis__signal_type(NULL) == NULL);
    ASSERT(tamis__signal_type("pdqpdqpdqpdqpdqpdqpdqpdqpdqpdqpdqpdq") == NULL);
}

TEST(check_value_wants_hex_of_the_right_length) {
    ASSERT(tamis__check_value("md5", "3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7") == NULL);
    ASSERT(tamis__check_value("md5", "3D4A0E8C1B5F27A9E6C2D8B0F1A3C5E7") == NULL);
    ASSERT_STR_EQ(tamis__check_value("md5", "3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e"),
                  "md5 hash is not 32 hex digits");
    ASSERT_STR_EQ(tamis__check_value("pdq", " f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2"),
                  "pdq hash is not 64 hex digits");
    ASSERT_STR_EQ(tamis__check_value("sha256", "g"), "sha256 hash is not 64 hex digits");
    ASSERT(tamis__check_value("text", "anything at all") == NULL);
    ASSERT_STR_EQ(tamis__check_value("url", ""), "empty value");
}

TEST(utf8_valid_refuses_what_a_database_would) {
    ASSERT(tamis__utf8_valid("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14));
    ASSERT(!tamis__utf8_valid("a\0b", 3));               /* NUL */
    ASSERT(!tamis__utf8_valid("\xC0\xAF", 2));           /* overlong '/' */
    ASSERT(!tamis__utf8_valid("\xED\xA0\x80", 3));       /* a surrogate */
    ASSERT(!tamis__utf8_valid("\xF4\x90\x80\x80", 4));   /* past U+10FFFF */
    ASSERT(!tamis__utf8_valid("\xE2\x82", 2));           /* cut short */
    ASSERT(!tamis__utf8_valid("\x80", 1));
}

static int64_t t(const char *s) {
    int64_t v = -12345;
    if (tamis__parse_time(s, &v) != 0)
        return -12345;
    return v;
}

TEST(parse_time_iso8601_forms) {
    /* expected values from `date -u -d ... +%s` */
    ASSERT_EQ(t("1970-01-01"), 0);
    ASSERT_EQ(t("2020-07-31T18:47:45+0000"), 1596221265);
    ASSERT_EQ(t("2020-07-31T18:47:45Z"), 1596221265);
    ASSERT_EQ(t("2020-07-31 18:47:45"), 1596221265);
    ASSERT_EQ(t("2020-07-31T20:47:45.999+02:00"), 1596221265);
    ASSERT_EQ(t("2020-07-31T13:47:45-05"), 1596221265);
    ASSERT_EQ(t("2020-07-31T18:47Z"), 1596221220);
    ASSERT_EQ(t("2024-02-29"), 1709164800);
    ASSERT_EQ(t("1969-12-31T23:59:59Z"), -1);
    ASSERT_EQ(t("2000-03-01T00:00:00Z"), 951868800);
}

TEST(parse_time_refuses_what_is_not_a_time) {
    const char *bad[] = {"", "mine", "2020-7-31", "2020-02-30", "2023-02-29", "2020-13-01",
                         "2020-07-31T24:00:00", "2020-07-31T18:60", "2020-07-31T18:47:45.",
                         "2020-07-31T18:47:45+2", "2020-07-31T18:47:45 ", "2020-07-31X",
                         "1596221265"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (t(bad[i]) != -12345)
            FAIL("\"%s\" parsed as %lld", bad[i], (long long)t(bad[i]));
}

static void count_reject(void *ctx, uint64_t pos, const char *why) {
    (void)pos;
    (void)why;
    ++*(int *)ctx;
}

TEST(quote_and_reject_keep_reasons_short_and_printable) {
    char q[48];
    tamis__quote(q, "ok");
    ASSERT_STR_EQ(q, "ok");
    tamis__quote(q, "a\nb\xC3\xA9");
    ASSERT_STR_EQ(q, "a?b??");
    tamis__quote(q, "0123456789012345678901234567890123456789TAIL");
    ASSERT_STR_EQ(q, "0123456789012345678901234567890123456789...");
    int n = 0;
    tamis__reader_cb cb = {NULL, NULL, &n};
    tamis__reject(&cb, 1, "no reject callback: %d", 1); /* ignored */
    cb.reject = count_reject;
    tamis__reject(&cb, 1, "counted");
    ASSERT_EQ(n, 1);
}
