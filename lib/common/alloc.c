/*
 * alloc.c - the library's single allocator. Routing every allocation
 * through here lets the tests make the n-th one fail (as curl's torture
 * tests and SQLite's OOM tests do) and check that each public entry point
 * then returns TAMIS_ERR_NOMEM without leaking or crashing.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "common.h"

static _Atomic long alloc_count;   /* allocations since the last reset */
static _Atomic long alloc_fail_at; /* 0 = never fail */

static int should_fail(void) {
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    long at = atomic_load(&alloc_fail_at);
    return at > 0 && n >= at;
}

long tamis__alloc_fail_at(long n) {
    long made = atomic_exchange(&alloc_count, 0);
    atomic_store(&alloc_fail_at, n);
    return made;
}

void *tamis__malloc(size_t n) {
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *tamis__calloc(size_t count, size_t size) {
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *tamis__realloc(void *p, size_t n) {
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void tamis__free(void *p) { free(p); }

/* Large, long-lived arrays read at random (index segments) go in their
 * own mapping with transparent huge pages requested: one 2 MB TLB entry
 * instead of 512, which matters more than anything else once the arrays
 * are far larger than what the TLB covers. */
#define HUGE_PAGE ((size_t)2 << 20)

void *tamis__huge_alloc(size_t n) {
    if (should_fail())
        return NULL;
    size_t len = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    return p;
}

void tamis__huge_free(void *p, size_t n) {
    if (p)
        munmap(p, (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
}

int tamis__mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
