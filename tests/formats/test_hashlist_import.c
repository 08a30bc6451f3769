/* test_hashlist_import.c - lib/formats/hashlist_import.c: tamis hash lists
 * as an import. */
#include "../test.h"
#include "collect.h"

TEST(hashlist_import_sample_file) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_hashlist, "hashlist.txt", &c));
    EXPECT_LINES(&c,
        "2 add pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 id=item-42",
        "3 add pdq d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22",
        "5 reject: hash too short (want 64 hex digits)",
        "6 reject: not a hex digit in the hash",
        "7 add pdq 0000000000000000000000000000000000000000000000000000000000000000 "
        "id=an id with spaces");
    collected_free(&c);
}

TEST(hashlist_import_nul_bad_utf8_and_crlf) {
    static const char in[] =
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 a\0b\n"
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 \xFF\n"
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 crlf\r\n";
    collected c = {0};
    ASSERT_OK(collect_mem(tamis__read_hashlist, in, sizeof in - 1, &c));
    EXPECT_LINES(&c,
        "1 reject: NUL byte in the line",
        "2 reject: id is not valid UTF-8",
        "3 add pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 id=crlf");
    collected_free(&c);
}

TEST(hashlist_import_callback_stops_the_read) {
    collected c = {0};
    c.stop_after = 1;
    ASSERT_EQ(collect_file(tamis__read_hashlist, "hashlist.txt", &c), TAMIS_DONE);
    ASSERT_EQ(c.n, 1);
    collected_free(&c);
}
