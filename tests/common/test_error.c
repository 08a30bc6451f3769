/*
 * test_error.c - lib/common/error.c: the fixed text of each status and the
 * per-handle message helpers.
 */
#include "../../lib/common/common.h"
#include "../test.h"

static const tamis_status all_codes[] = {
    TAMIS_OK,          TAMIS_ERR_NOMEM,       TAMIS_ERR_INVALID,
    TAMIS_ERR_IO,      TAMIS_ERR_EMPTY,       TAMIS_ERR_UNSUPPORTED,
    TAMIS_ERR_CORRUPT, TAMIS_ERR_TOO_LARGE,   TAMIS_ERR_INTERNAL,
    TAMIS_ERR_NOT_FOUND, TAMIS_ERR_EXISTS, TAMIS_ERR_DB, TAMIS_DONE};
#define NCODES (sizeof all_codes / sizeof all_codes[0])

TEST(status_values_are_stable) {
    /* The header promises these are never renumbered. */
    ASSERT_EQ(TAMIS_OK, 0);
    ASSERT_EQ(TAMIS_ERR_NOMEM, -1);
    ASSERT_EQ(TAMIS_ERR_INVALID, -2);
    ASSERT_EQ(TAMIS_ERR_IO, -3);
    ASSERT_EQ(TAMIS_ERR_EMPTY, -4);
    ASSERT_EQ(TAMIS_ERR_UNSUPPORTED, -5);
    ASSERT_EQ(TAMIS_ERR_CORRUPT, -6);
    ASSERT_EQ(TAMIS_ERR_TOO_LARGE, -7);
    ASSERT_EQ(TAMIS_ERR_INTERNAL, -8);
    ASSERT_EQ(TAMIS_ERR_NOT_FOUND, -9);
    ASSERT_EQ(TAMIS_ERR_EXISTS, -10);
    ASSERT_EQ(TAMIS_ERR_DB, -11);
    ASSERT_EQ(TAMIS_DONE, 1);
}

TEST(strerror_every_status_has_distinct_text) {
    const char *unknown = tamis_strerror((tamis_status)-1000);
    for (size_t i = 0; i < NCODES; i++) {
        const char *s = tamis_strerror(all_codes[i]);
        ASSERT(s != NULL);
        ASSERT_GT(strlen(s), 0);
        if (strcmp(s, unknown) == 0)
            FAIL("code %d has the unknown-code text \"%s\"", all_codes[i], s);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, tamis_strerror(all_codes[j])) == 0)
                FAIL("codes %d and %d share \"%s\"", all_codes[i], all_codes[j], s);
    }
}

TEST(strerror_unknown_code_handled) {
    static const int odd[] = {2, 5, 100, -12, -1000, -2147483647 - 1, 2147483647};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        const char *s = tamis_strerror((tamis_status)odd[i]);
        ASSERT(s != NULL);
        ASSERT_GT(strlen(s), 0);
        ASSERT_STR_EQ(s, tamis_strerror((tamis_status)-1000));
    }
}

TEST(fail_records_message_and_returns_code) {
    tamis__err e;
    ASSERT_EQ(tamis__fail(&e, TAMIS_ERR_CORRUPT, "bad %s at %d", "chunk", 42),
              TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(e.msg, "bad chunk at 42");
    tamis__err_clear(&e);
    ASSERT_STR_EQ(e.msg, "");
}

TEST(fail_accepts_null_err) {
    ASSERT_EQ(tamis__fail(NULL, TAMIS_ERR_IO, "x %d", 1), TAMIS_ERR_IO);
    tamis__err_clear(NULL);
}

TEST(fail_truncates_long_messages) {
    tamis__err e;
    char big[2 * TAMIS__ERRMSG_LEN];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tamis__fail(&e, TAMIS_ERR_INVALID, "%s", big);
    ASSERT_EQ(strlen(e.msg), TAMIS__ERRMSG_LEN - 1);
}
