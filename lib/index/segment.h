/*
 * segment.h - an immutable multi-index-hashing segment of 256-bit codes
 * (internal). The public index (pdq_index.c) is a small append buffer plus
 * a few of these, merged as they grow, as in a log-structured tree.
 *
 * Multi-index hashing (Norouzi, Punjani, Fleet, "Fast exact search in
 * Hamming space with multi-index hashing", CVPR 2012): split the 256 bits
 * into m substrings; if two codes are within r bits, at least one of their
 * substrings is within floor(r / m) bits (pigeonhole). For each substring
 * the segment keeps the entries grouped by the substring's top B bits (a
 * directory of offsets, then contiguous postings), each posting a 32-bit
 * word holding the entry's position and the substring's next 8 bits, so
 * that most candidates are rejected in sequence before any code is fetched.
 * Positions take 24 bits: a segment holds at most SEG_MAX_N codes.
 */
#ifndef TAMIS_INDEX_SEGMENT_H
#define TAMIS_INDEX_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

#define SEG_MAX_SUB 32
#define SEG_MAX_N ((size_t)1 << 24)

/* A code as 4 little-endian 64-bit words of the tamis_pdq bytes. */
typedef struct {
    uint64_t w[4];
} code256;

static inline int code_dist(const code256 *a, const code256 *b) {
    return tamis__popcount64(a->w[0] ^ b->w[0]) + tamis__popcount64(a->w[1] ^ b->w[1]) +
           tamis__popcount64(a->w[2] ^ b->w[2]) + tamis__popcount64(a->w[3] ^ b->w[3]);
}

/* Bits [start, start + len) of the code, len <= 32, bit i being bit i % 64
 * of word i / 64. */
static inline uint32_t code_bits(const code256 *c, int start, int len) {
    int w = start >> 6, s = start & 63;
    uint64_t v = c->w[w] >> s;
    if (s + len > 64 && w < 3)
        v |= c->w[w + 1] << (64 - s);
    return (uint32_t)(v & ((1ull << len) - 1));
}

typedef struct {
    int start, len; /* bits of the code */
    int dir_bits;   /* B: the directory is indexed by the top B bits */
    int in_bits;    /* inline bits after those (0..8) */
} seg_sub;

typedef struct seg_segment {
    size_t n;              /* distinct codes */
    size_t nd;             /* ids beyond the first of codes given several */
    const code256 *codes;  /* n */
    const uint64_t *ids;   /* n: each code's first id */
    const uint64_t *has_dup; /* bitmap over n: codes with more ids */
    const uint32_t *dup_pos; /* nd, ascending: the code of each extra id */
    const uint64_t *dup_id;  /* nd */
    int m;                 /* substrings */
    seg_sub sub[SEG_MAX_SUB];
    /* Codes are stored with their bits permuted so that each substring
     * holds about the same entropy (biased bits spread out): bit j of a
     * stored code is bit perm[j] of the original. Identity when the bits
     * are balanced already (then `fwd` is NULL). */
    uint8_t perm[256];
    code256 (*fwd)[256]; /* 32 x 256 byte tables applying perm */
    const uint32_t *dir[SEG_MAX_SUB];  /* 2^B + 1 offsets */
    const uint32_t *post[SEG_MAX_SUB]; /* n postings grouped by bucket:
                                          entry << 8 | inline bits */
    uint64_t *deleted;     /* bitmap of removed ids (always heap): bit p for
                              ids[p], bit n + k for dup_id[k] */
    size_t n_deleted;
    void *heap;            /* one block holding the arrays when built */
    size_t heap_len;
    const void *map;       /* or the mapping they point into when loaded */
    size_t map_len;
} seg_segment;

/* Builds a segment from n codes (32-byte records, any alignment) and ids,
 * copied, on up to `threads` threads. */
tamis_status seg_build(const void *codes, const uint64_t *ids, size_t n, int threads,
                       seg_segment **out);
void seg_free(seg_segment *s);

/* Bytes the segment keeps resident (its arrays and bitmap). */
size_t seg_memory(const seg_segment *s);

static inline int seg_is_deleted(const seg_segment *s, size_t i) {
    return (int)(s->deleted[i >> 6] >> (i & 63) & 1);
}

/* Ids still in the segment. */
static inline size_t seg_live(const seg_segment *s) { return s->n + s->nd - s->n_deleted; }

/* Calls f(ctx, code, id) for every live id, codes in segment order. */
typedef void (*seg_visit)(void *ctx, const code256 *code, uint64_t id);
void seg_for_each(const seg_segment *s, seg_visit f, void *ctx);

/* Marks removed every id for which has(ctx, id); returns how many. */
size_t seg_remove_ids(seg_segment *s, int (*has)(const void *ctx, uint64_t id),
                      const void *ctx);

/* Number of 64-bit words of the deleted bitmap. */
static inline size_t seg_deleted_words(size_t n, size_t nd) { return (n + nd + 63) / 64 + 1; }

/* Calls emit(ctx, id, distance) for each live entry within `radius` of q;
 * stops early and returns nonzero if emit does. */
typedef int (*seg_emit)(void *ctx, uint64_t id, int distance);
int seg_search(const seg_segment *s, const code256 *q, int radius, seg_emit emit,
               void *ctx);

/* The array layout shared by building and file loading: offsets of
 * codes, ids, has_dup, dup_pos, dup_id, then dir and post per substring.
 * Returns the end. */
#define SEG_NOFF (5 + 2 * SEG_MAX_SUB)
size_t seg_layout(seg_segment *s, size_t base_offset, size_t offsets[]);

/* Chooses m and the substrings for n entries. */
void seg_plan(seg_segment *s, size_t n);

/* Sets up s->fwd from s->perm (NULL for the identity). */
tamis_status seg_perm_tables(seg_segment *s);

/* c with its bits permuted by `t` (a 32 x 256 table of masks). */
void seg_apply(code256 (*t)[256], const code256 *c, code256 *out);

#endif
