/* test_stopncii_json.c - lib/formats/stopncii_json.c: StopNCII's
 * FetchHashes pages. */
#include "../test.h"
#include "collect.h"

TEST(stopncii_json_sample_file) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_stopncii_json, "stopncii.json", &c));
    EXPECT_LINES(&c,
        "1 add pdq 2afc4a5c09628a7961c14d436493bba66b89b831453baa1d556ba385554daa82 "
        "meta={\"hashStatus\":\"Received\",\"caseNumbers\":"
        "{\"27664732-76e1-4a17-8099-455798e67022\":\"Received\"}} created=1625167804",
        "2 delete pdq 79e07de27d7295339435d63cd31cf35a7bfa29eb2885008500a588a5ea3ae75a "
        "meta={\"hashStatus\":\"Withdrawn\",\"caseNumbers\":{}} created=1625167844",
        "3 delete md5 3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7 meta={\"hashStatus\":\"Deleted\"}",
        "4 reject: unsupported signalType \"Unknown\"",
        "5 reject: pdq hash is not 64 hex digits",
        "6 reject: no hashValue",
        "7 add pdq 9def0b7dafa86a1c90f2abd78e79ceb25ec3d1a4b3d4bc7a4354baf7717ea038 "
        "meta={\"hashStatus\":\"Active\",\"caseNumbers\":"
        "{\"cc592711-7068-442f-b5d2-24d50d389751\":\"Active\"},\"CSPFeedbacks\":"
        "[{\"source\":\"Facebook\",\"feedbackValue\":\"Blocked\",\"tags\":[\"Nude\",\"Objectionable\"]}]} "
        "created=1625175071",
        "8 reject: hashStatus is not a string",
        "9 add url https://example.com/x meta={\"hashStatus\":\"Active\"} created=1625097600");
    collected_free(&c);
}

TEST(stopncii_json_callback_stops_the_read) {
    collected c = {0};
    c.stop_after = 2;
    ASSERT_EQ(collect_file(tamis__read_stopncii_json, "stopncii.json", &c), TAMIS_DONE);
    ASSERT_EQ(c.n, 2);
    collected_free(&c);
}

TEST(stopncii_json_out_of_memory) {
    collected c = {0};
    tamis__alloc_fail_at(0);
    ASSERT_OK(collect_file(tamis__read_stopncii_json, "stopncii.json", &c));
    long n = tamis__alloc_fail_at(0);
    collected_free(&c);
    for (long i = 1; i <= n; i++) {
        tamis__alloc_fail_at(i);
        tamis_status st = collect_file(tamis__read_stopncii_json, "stopncii.json", &c);
        tamis__alloc_fail_at(0);
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
        collected_free(&c);
    }
}
