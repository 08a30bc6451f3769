/* test_pytx_csv.c - lib/formats/pytx_csv.c: ThreatExchange CSV exports. */
#include "../test.h"
#include "collect.h"

#define P "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

TEST(pytx_csv_with_header) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_pytx_csv, "pytx_header.csv", &c));
    EXPECT_LINES(&c,
        "2 add pdq " P " id=1001 labels=[\"terrorism\",\"violence\"] "
        "meta={\"first_descriptor_id\":\"2001\",\"source\":\"gifct\"} created=1596221265",
        "3 add md5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7 id=1002 labels=[\"tag1\",\"tag2\"] "
        "meta={\"first_descriptor_id\":\"2002\"} created=1609804800",
        "4 add sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 id=1003 "
        "meta={\"added_on\":\"mine\",\"first_descriptor_id\":\"2003\"}",
        "5 delete pdq d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22 id=1004 "
        "meta={\"first_descriptor_id\":\"2004\"} created=1643767322",
        "6 reject: unsupported indicator type \"HASH_TEXT_TLSH\"",
        "7 reject: pdq hash is not 64 hex digits",
        "8 reject: 2 fields where the header has 8",
        "9 reject: pdq hash is not 64 hex digits",
        "11 reject: text after a closing quote",
        "12 reject: no indicator",
        "13 reject: should_delete \"maybe\" is not true or false",
        "14 add pdq 0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a id=1012 "
        "labels=[\"say\",\"\\\"hi\\\"\"] meta={\"first_descriptor_id\":\"2012\",\"source\":\"x, y\"} "
        "created=1677899167",
        "16 delete url https://example.com/a id=1013 meta={\"first_descriptor_id\":\"2013\"}");
    collected_free(&c);
}

TEST(pytx_csv_without_header_as_hma_and_the_cli_write_it) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_pytx_csv, "pytx_noheader.csv", &c));
    EXPECT_LINES(&c,
        "1 add pdq " P " id=1001 labels=[\"terrorism\",\"violence\"] "
        "meta={\"first_descriptor_id\":\"2001\"} created=1596221265",
        "2 add md5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7 id=1002 meta={\"first_descriptor_id\":\"2002\"} "
        "created=1577836800",
        "3 add pdq " P " labels=[\"tag\"] meta={\"added_on\":\"mine\",\"first_descriptor_id\":\"3001\"}",
        "4 reject: 3 fields (want indicator, indicator_id, first_descriptor_id, added_on, labels)",
        "5 reject: no indicator_type column, and the indicator is not 64 or 32 hex digits");
    collected_free(&c);
}

TEST(pytx_csv_header_after_a_bom_and_bad_utf8_field) {
    static const char in[] = "\xEF\xBB\xBFIndicator,labels\n" P ",a\xFF\n" P ",\n";
    collected c = {0};
    ASSERT_OK(collect_mem(tamis__read_pytx_csv, in, sizeof in - 1, &c));
    EXPECT_LINES(&c, "2 reject: field 2 is not valid UTF-8", "3 add pdq " P);
    collected_free(&c);
}

TEST(pytx_csv_header_not_utf8_is_an_error) {
    static const char in[] = "indicator,\xFF\n" P ",x\n";
    collected c = {0};
    ASSERT_EQ(collect_mem(tamis__read_pytx_csv, in, sizeof in - 1, &c), TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(c.err.msg, "the header row is not valid UTF-8");
    ASSERT_EQ(c.n, 0);
    collected_free(&c);
}

TEST(pytx_csv_callback_stops_the_read) {
    collected c = {0};
    c.stop_after = 1;
    ASSERT_EQ(collect_file(tamis__read_pytx_csv, "pytx_header.csv", &c), TAMIS_DONE);
    ASSERT_EQ(c.n, 1);
    collected_free(&c);
}

TEST(pytx_csv_out_of_memory_at_each_allocation) {
    /* Each of the reader's own allocations failing in turn ends the read
     * with TAMIS_ERR_NOMEM and frees what it had (LeakSanitizer checks). */
    collected c = {0};
    tamis__alloc_fail_at(0);
    ASSERT_OK(collect_file(tamis__read_pytx_csv, "pytx_header.csv", &c));
    long n = tamis__alloc_fail_at(0);
    collected_free(&c);
    ASSERT_GT(n, 2);
    for (long i = 1; i <= n; i++) {
        tamis__alloc_fail_at(i);
        tamis_status st = collect_file(tamis__read_pytx_csv, "pytx_header.csv", &c);
        tamis__alloc_fail_at(0);
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
        collected_free(&c);
    }
}
