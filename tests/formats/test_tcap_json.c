/* test_tcap_json.c - lib/formats/tcap_json.c: Tech Against Terrorism's
 * hash-list pages. */
#include "../test.h"
#include "collect.h"

TEST(tcap_json_sample_file) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_tcap_json, "tcap.json", &c));
    EXPECT_LINES(&c,
        "1 add pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 id=2819 "
        "labels=[\"islamist\"] meta={\"file_type\":\"jpg\",\"updated_on\":1704901040.5} "
        "created=1741043122",
        "2 delete md5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7 id=2820 labels=[\"far-right\"] "
        "meta={\"file_type\":\"mp4\"} created=1704901040",
        "3 reject: unsupported algorithm \"PhotoDNA\"",
        "4 reject: no hash_digest",
        "5 reject: hash_digest is not a string",
        "6 reject: not valid JSON: '}' expected near '\"algorithm\"'",
        "7 reject: record is not a JSON object",
        "8 add sha256 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 id=abc "
        "labels=[\"islamist\",\"far-right\"] meta={\"source\":\"tcap\"} created=1700000000",
        "9 reject: deleted is not true or false",
        "10 add tmk 0102aabb id=3002 meta={\"ideology\":7,\"created_on\":\"last week\"}");
    collected_free(&c);
}

TEST(tcap_json_callback_stops_the_read) {
    collected c = {0};
    c.stop_after = 1;
    ASSERT_EQ(collect_file(tamis__read_tcap_json, "tcap.json", &c), TAMIS_DONE);
    ASSERT_EQ(c.n, 1);
    collected_free(&c);
}

#define REC(h, alg) "{\"hash_digest\":\"" h "\",\"algorithm\":\"" alg "\"}"
#define MD5 "3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7"

TEST(json_pages_records_alone_one_per_line) {
    /* JSON Lines: each object is a record; a broken one is skipped. */
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_tcap_json,
                          REC(MD5, "MD5") "\n{\"hash_digest\": [1, 2}\n{\"a\" 1, [}\n"
                          REC(MD5, "md5") "\n", &c));
    EXPECT_LINES(&c, "1 add md5 " MD5, "2 reject: not valid JSON: ']' expected near '}'",
                 "3 reject: not valid JSON", "4 add md5 " MD5);
    collected_free(&c);
}

TEST(json_pages_array_of_pages_and_empty_elements) {
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_tcap_json,
                          "\xEF\xBB\xBF[{\"results\": [" REC(MD5, "MD5") ", , 5]}, [" REC(MD5, "MD5")
                          "], " REC(MD5, "MD5") "]",
                          &c));
    EXPECT_LINES(&c, "1 add md5 " MD5, "2 reject: empty record", "3 reject: record is not a JSON object",
                 "4 add md5 " MD5, "5 add md5 " MD5);
    collected_free(&c);
}

TEST(json_pages_duplicate_keys_are_a_reject) {
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_tcap_json,
                          "[{\"hash_digest\":\"" MD5 "\",\"algorithm\":\"MD5\",\"algorithm\":\"PDQ\"}]",
                          &c));
    ASSERT_EQ(c.n, 1);
    ASSERT(strncmp(c.lines[0], "1 reject: not valid JSON: duplicate object key", 46) == 0);
    collected_free(&c);
}

TEST(json_pages_a_record_over_the_limit_is_skipped) {
    size_t big = TAMIS__IMPORT_RECORD_MAX + 100;
    char *in = malloc(big + 200);
    size_t n = (size_t)sprintf(in, "{\"results\": [{\"pad\": \"");
    memset(in + n, 'x', big);
    n += big;
    sprintf(in + n, "\"}, %s]}", REC(MD5, "MD5"));
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_tcap_json, in, &c));
    EXPECT_LINES(&c, "1 reject: record longer than 262144 bytes", "2 add md5 " MD5);
    collected_free(&c);
    free(in);
}

TEST(json_pages_whole_file_failures) {
    collected c = {0};
    ASSERT_EQ(collect_str(tamis__read_tcap_json, "pdq f8f8", &c), TAMIS_ERR_UNSUPPORTED);
    ASSERT_STR_EQ(c.err.msg, "not JSON pages: the input does not start with '[' or '{'");
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_tcap_json, "", &c), TAMIS_ERR_EMPTY);
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_tcap_json, " \n\t ", &c), TAMIS_ERR_EMPTY);
    collected_free(&c);
    /* records before the damage are handed out, then the read fails */
    ASSERT_EQ(collect_str(tamis__read_tcap_json, "[" REC(MD5, "MD5") "] x", &c), TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(c.err.msg, "expected '[' or '{' at byte 72, after page 1");
    EXPECT_LINES(&c, "1 add md5 " MD5);
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_tcap_json, "{\"results\": [" REC(MD5, "MD5") ", {\"hash",
                          &c), TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(c.err.msg, "the input ends inside a JSON value (byte 89)");
    EXPECT_LINES(&c, "1 add md5 " MD5);
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_tcap_json, "{\"results\": [" REC(MD5, "MD5") "] \"x\"}", &c),
              TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(c.err.msg, "expected ',' or '}' in a page object at byte 84 of the JSON");
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_tcap_json, "[" REC(MD5, "MD5") " " REC(MD5, "MD5") "]", &c),
              TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(c.err.msg, "expected ',' or ']' at byte 71 of the JSON");
    collected_free(&c);
}

TEST(json_pages_deep_nesting_stays_a_reject) {
    /* 100000 brackets: the scanner counts them, jansson refuses the depth */
    size_t depth = 100000;
    char *in = malloc(2 * depth + 128);
    size_t n = (size_t)sprintf(in, "[{\"a\":");
    memset(in + n, '[', depth);
    memset(in + n + depth, ']', depth);
    sprintf(in + n + 2 * depth, "}, %s]", REC(MD5, "MD5"));
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_tcap_json, in, &c));
    ASSERT_EQ(c.n, 2);
    ASSERT(strncmp(c.lines[0], "1 reject: not valid JSON: ", 26) == 0);
    ASSERT_STR_EQ(c.lines[1], "2 add md5 " MD5);
    collected_free(&c);
    free(in);
}

TEST(json_pages_read_error) {
    collected c = {0};
    FILE *f = fopen(fmt("%s/tests/formats/data", repo_dir()), "rb");
    tamis__reader_cb cb = {NULL, NULL, &c};
    ASSERT(f);
    ASSERT_EQ(tamis__read_tcap_json(f, &cb, &c.err), TAMIS_ERR_IO);
    fclose(f);
}

TEST(json_pages_out_of_memory) {
    collected c = {0};
    tamis__alloc_fail_at(0);
    ASSERT_OK(collect_file(tamis__read_tcap_json, "tcap.json", &c));
    long n = tamis__alloc_fail_at(0);
    collected_free(&c);
    for (long i = 1; i <= n; i++) {
        tamis__alloc_fail_at(i);
        tamis_status st = collect_file(tamis__read_tcap_json, "tcap.json", &c);
        tamis__alloc_fail_at(0);
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
        collected_free(&c);
    }
}
