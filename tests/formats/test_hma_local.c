/* test_hma_local.c - lib/formats/hma_local.c: HMA's local_file format. */
#include "../test.h"
#include "collect.h"

TEST(hma_local_sample_file) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_hma_local, "hma_local.txt", &c));
    EXPECT_LINES(&c,
        "1 add pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "2 add md5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7",
        "5 add text buy cheap followers now",
        "6 add url https://example.com/bad",
        "7 add vpdq 0a1b2c3d,100,0,0.000",
        "8 reject: text_tlsh digest is not T1 and 70 hex digits",
        "9 reject: pdq hash is not 64 hex digits",
        "10 reject: md5 hash is not 32 hex digits",
        "11 reject: no signal after the type",
        "12 add sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "13 add pdq D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22",
        "14 add tmk 0102aabb",
        "15 reject: unsupported signal type \"trend_query\"");
    collected_free(&c);
}

TEST(hma_local_nul_and_bad_utf8_are_rejects) {
    static const char in[] = "pdq ab\0cd\nraw_text caf\xC3\xA9\nraw_text caf\xE9\nurl x";
    collected c = {0};
    ASSERT_OK(collect_mem(tamis__read_hma_local, in, sizeof in - 1, &c));
    EXPECT_LINES(&c,
        "1 reject: NUL byte in the line",
        "2 add text caf\xC3\xA9",
        "3 reject: not valid UTF-8",
        "4 add url x");
    collected_free(&c);
}

TEST(hma_local_long_line_is_skipped_not_kept) {
    size_t big = TAMIS__IMPORT_LINE_MAX + 10;
    char *in = malloc(big + 64);
    memcpy(in, "raw_text ", 9);
    memset(in + 9, 'a', big - 9);
    strcpy(in + big, "\nmd5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7\n");
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_hma_local, in, &c));
    EXPECT_LINES(&c,
        "1 reject: line longer than 65536 bytes",
        "2 add md5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7");
    collected_free(&c);
    free(in);
}

TEST(hma_local_callback_stops_the_read) {
    collected c = {0};
    c.stop_after = 2;
    ASSERT_EQ(collect_file(tamis__read_hma_local, "hma_local.txt", &c), TAMIS_DONE);
    ASSERT_EQ(c.n, 2);
    collected_free(&c);
}

TEST(hma_local_empty_input_has_no_records) {
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_hma_local, "", &c));
    ASSERT_EQ(c.n, 0);
    collected_free(&c);
}

TEST(hma_local_read_error_is_an_error) {
    collected c = {0};
    /* a directory opens, but reading it fails (EISDIR) */
    FILE *f = fopen(fmt("%s/tests/formats/data", repo_dir()), "rb");
    tamis__reader_cb cb = {NULL, NULL, &c};
    ASSERT(f);
    ASSERT_EQ(tamis__read_hma_local(f, &cb, &c.err), TAMIS_ERR_IO);
    ASSERT(c.err.msg[0]);
    fclose(f);
}

TEST(hma_local_out_of_memory) {
    collected c = {0};
    tamis__alloc_fail_at(1);
    tamis_status st = collect_file(tamis__read_hma_local, "hma_local.txt", &c);
    tamis__alloc_fail_at(0);
    ASSERT_EQ(st, TAMIS_ERR_NOMEM);
    ASSERT_EQ(c.n, 0);
}
