/*
 * test_alloc.c - lib/common/alloc.c: the single allocator and its failure
 * hook, which the out-of-memory sweeps of the other tests rely on.
 */
#include "../../lib/common/common.h"
#include "../test.h"

TEST(alloc_fail_at_makes_nth_allocation_fail) {
    tamis__alloc_fail_at(3);
    void *a = tamis__malloc(16), *b = tamis__malloc(16), *c = tamis__malloc(16);
    ASSERT(a != NULL);
    ASSERT(b != NULL);
    ASSERT(c == NULL);
    tamis__alloc_fail_at(0);
    tamis__free(a);
    tamis__free(b);
}

TEST(alloc_fail_at_fails_every_later_allocation) {
    tamis__alloc_fail_at(1);
    for (int i = 0; i < 5; i++)
        ASSERT(tamis__malloc(8) == NULL);
    tamis__alloc_fail_at(0);
}

TEST(alloc_fail_at_counts_calloc_and_realloc) {
    tamis__alloc_fail_at(3);
    void *a = tamis__calloc(4, 4);
    ASSERT(a != NULL);
    void *b = tamis__realloc(a, 64);
    ASSERT(b != NULL);
    ASSERT(tamis__realloc(b, 128) == NULL); /* the third: b stays valid */
    ASSERT(tamis__calloc(1, 1) == NULL);
    tamis__alloc_fail_at(0);
    memset(b, 0, 64);
    tamis__free(b);
}

TEST(alloc_fail_at_zero_turns_failures_off) {
    tamis__alloc_fail_at(1);
    ASSERT(tamis__malloc(8) == NULL);
    tamis__alloc_fail_at(0);
    for (int i = 0; i < 100; i++) {
        void *p = tamis__malloc(8);
        ASSERT(p != NULL);
        tamis__free(p);
    }
}

TEST(alloc_fail_at_returns_allocations_since_last_call) {
    tamis__alloc_fail_at(0);
    void *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = tamis__malloc(1);
    p[0] = tamis__realloc(p[0], 32);
    ASSERT_EQ(tamis__alloc_fail_at(0), 5);
    ASSERT_EQ(tamis__alloc_fail_at(0), 0);
    for (int i = 0; i < 4; i++)
        tamis__free(p[i]);
}

TEST(alloc_zero_bytes_gives_a_pointer) {
    void *a = tamis__malloc(0), *b = tamis__calloc(0, 0);
    ASSERT(a != NULL);
    ASSERT(b != NULL);
    tamis__free(a);
    tamis__free(b);
    tamis__free(NULL);
}

TEST(mul_size_detects_overflow) {
    size_t r = 0;
    ASSERT_EQ(tamis__mul_size(1000, 1000, &r), 1);
    ASSERT_EQ(r, 1000000);
    ASSERT_EQ(tamis__mul_size(SIZE_MAX / 2 + 1, 2, &r), 0);
    ASSERT_EQ(tamis__mul_size(SIZE_MAX, 1, &r), 1);
    ASSERT_EQ(tamis__mul_size((size_t)1 << 32, (size_t)1 << 32, &r), 0);
}
