/*
 * common.h - internal helpers shared by every part of libtamis: allocation
 * (one allocator, so tests can make the n-th allocation fail), error
 * messages, hex and bit operations. Depends on nothing but libc.
 */
#ifndef TAMIS_COMMON_H
#define TAMIS_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis.h"

#if defined(__GNUC__)
#define TAMIS__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TAMIS__PRINTF(a, b)
#endif

/* The one allocator. Every allocation in the library goes through these,
 * so that tamis__alloc_fail_at() can make a chosen one fail. */
void *tamis__malloc(size_t n);
void *tamis__calloc(size_t count, size_t size);
void *tamis__realloc(void *p, size_t n);
void tamis__free(void *p);

/* Test hook: the n-th allocation from now on (1 = the next) and every one
 * after it fail; 0 turns failures off. Returns the number of allocations
 * made since the last call, so a test can learn how many a run needs. */
long tamis__alloc_fail_at(long n);

/* Zeroed memory for large arrays read at random, in its own mapping with
 * huge pages requested; free with the same size. Counted as allocations
 * for tamis__alloc_fail_at. */
void *tamis__huge_alloc(size_t n);
void tamis__huge_free(void *p, size_t n);

/* Multiplies with overflow check; returns 0 on overflow. */
int tamis__mul_size(size_t a, size_t b, size_t *out);

/* A handle's detailed error message (SQLite's errmsg). */
#define TAMIS__ERRMSG_LEN 512
typedef struct tamis__err {
    char msg[TAMIS__ERRMSG_LEN];
} tamis__err;

/* Records a formatted message and returns `code`, so that error paths can
 * read `return tamis__fail(e, TAMIS_ERR_CORRUPT, "...", ...);`. */
tamis_status tamis__fail(tamis__err *e, tamis_status code, const char *fmt, ...)
    TAMIS__PRINTF(3, 4);
void tamis__err_clear(tamis__err *e);

/* Parses one hex digit; returns -1 if `c` is not one. */
int tamis__hex_digit(int c);

static inline int tamis__popcount64(uint64_t x) {
    return __builtin_popcountll(x);
}

#endif /* TAMIS_COMMON_H */
