/*
 * test.h - the tiny test harness of tamis. Each tests/<area>/test_*.c file
 * defines tests with TEST(name); they register themselves and tests/main.c
 * runs them (each in a forked child with a timeout, so a crash or a hang
 * fails one test, not the run). Assertions print both values on failure,
 * as libuv's typed asserts do.
 */
#ifndef TAMIS_TEST_H
#define TAMIS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *file, const char *name, test_fn fn);

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void test_reg_##name(void) {           \
        test_register(__FILE__, #name, test_##name);                           \
    }                                                                          \
    static void test_##name(void)

/* Fails the current test (exits the child). */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
/* Marks the current test skipped, with a reason shown in the output. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define SKIP(...) test_skip(__VA_ARGS__)
#define FAIL(...) test_fail(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond);      \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (!(a_ op b_))                                                       \
            test_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op,   \
                      #b, a_, b_);                                             \
    } while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a,    \
                      #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
    } while (0)

#define ASSERT_FLOAT_EQ(a, b)                                                  \
    do {                                                                       \
        float a_ = (a), b_ = (b);                                              \
        if (memcmp(&a_, &b_, sizeof a_) != 0)                                  \
            test_fail(__FILE__, __LINE__, "%s == %s: %.9g vs %.9g", #a, #b,    \
                      (double)a_, (double)b_);                                 \
    } while (0)

#define ASSERT_NEAR(a, b, eps)                                                 \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))                           \
            test_fail(__FILE__, __LINE__, "%s ~ %s: %.9g vs %.9g", #a, #b,     \
                      a_, b_);                                                 \
    } while (0)

#define ASSERT_OK(expr)                                                        \
    do {                                                                       \
        int st_ = (int)(expr);                                                 \
        if (st_ != 0)                                                          \
            test_fail(__FILE__, __LINE__, "%s: status %d (%s)", #expr, st_,    \
                      tamis_strerror((tamis_status)st_));                      \
    } while (0)

/* ---- Test data ----------------------------------------------------------
 * samples/ ships in the repository. The larger reference data lives in
 * ../shared (beside the project root) or where TAMIS_TESTDATA points;
 * tests that need it call shared_dir_or_skip(). */
const char *repo_dir(void);          /* the project root */
const char *shared_dir(void);        /* NULL when absent */
const char *shared_dir_or_skip(void);/* skips the test when absent */
const char *build_dir(void);         /* build/ or build-san/ */

/* Formats into a static rotating buffer (for paths in tests). */
const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file; returns NULL if it cannot. Caller frees. */
unsigned char *read_file(const char *path, size_t *len);

/* Runs a shell command; captures stdout and stderr (caller frees) and
 * returns the exit status (or -1). */
int run_cmd(const char *cmd, char **out, char **err);

/* A fresh temporary directory for this test. */
const char *tmp_dir(void);

#endif
