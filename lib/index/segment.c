/*
 * segment.c - building and searching an immutable multi-index-hashing
 * segment (see segment.h for the method).
 *
 * Layout: one block holds, 64-byte aligned, the codes and ids (ordered by
 * the first substring's directory key, so that candidates of the first
 * substring are contiguous), then for each substring its directory of
 * 2^B + 1 offsets, its posting list of entry positions grouped by bucket,
 * and the inline byte of each posting. The same layout is written to and
 * mapped from index files.
 */
#include <math.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif
#include <pthread.h>
#include <string.h>

#include "segment.h"

static const uint8_t popcount8[256] = {
#define B2(n) n, n + 1, n + 1, n + 2
#define B4(n) B2(n), B2(n + 1), B2(n + 1), B2(n + 2)
#define B6(n) B4(n), B4(n + 1), B4(n + 1), B4(n + 2)
    B6(0), B6(1), B6(1), B6(2)
#undef B2
#undef B4
#undef B6
};

static double binom_sum(int B, int r);

/* The PDQ match radius the layout is tuned for; any radius still works. */
#define PLAN_RADIUS 31

void seg_plan(seg_segment *s, size_t n) {
    /* Choose the number of substrings m by the expected number of random
     * memory accesses of a search at radius 31 (each costs about the
     * same, a cache miss): the buckets probed, m * V(B, r') with
     * r' = floor(31 / m), plus the candidates whose codes must be fetched,
     * about m * n * V(L, r') / 2^L for substrings of L bits, V(b, r) being
     * the number of b-bit words within r bits. Scanning a bucket's
     * postings costs a little per entry. Norouzi et al.'s rule of thumb,
     * m = 256 / log2(n), gives 13 at one million where 11 makes three
     * times fewer accesses. The directory keeps buckets of about 16
     * entries. */
    double lg = log2((double)(n < 2 ? 2 : n));
    int B = (int)lround(lg) - 4;
    if (B < 1)
        B = 1;
    if (B > 20)
        B = 20;
    int best_m = 16;
    double best = 1e300;
    for (int m = 8; m <= 16; m++) {
        double L = 256.0 / m;
        int rp = PLAN_RADIUS / m, b = B < (int)L ? B : (int)L;
        double probes = m * binom_sum(b, rp);
        double cands = m * (double)n * binom_sum((int)lround(L), rp) / pow(2.0, L);
        double entries = probes * (double)n / pow(2.0, b);
        double cost = probes + cands + 0.05 * entries;
        if (cost < best)
            best = cost, best_m = m;
    }
    int m = best_m;
    s->m = m;
    int start = 0;
    for (int i = 0; i < m; i++) {
        int len = 256 / m + (i < 256 % m);
        int bb = B < len ? B : len;
        s->sub[i].start = start;
        s->sub[i].len = len;
        s->sub[i].dir_bits = bb;
        s->sub[i].in_bits = len - bb < 8 ? len - bb : 8;
        start += len;
    }
}

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

size_t seg_layout(seg_segment *s, size_t off, size_t offsets[]) {
    size_t n = s->n, nd = s->nd;
    int k = 0;
    off = align64(off);
    offsets[k++] = off, off = align64(off + n * sizeof(code256));
    offsets[k++] = off, off = align64(off + n * sizeof(uint64_t));
    offsets[k++] = off, off = align64(off + (n + 63) / 64 * 8);
    offsets[k++] = off, off = align64(off + nd * 4);
    offsets[k++] = off, off = align64(off + nd * 8);
    for (int i = 0; i < s->m; i++) {
        offsets[k++] = off, off = align64(off + (((size_t)1 << s->sub[i].dir_bits) + 1) * 4);
        offsets[k++] = off, off = align64(off + n * 4);
    }
    return off;
}

static inline uint32_t dir_key(const code256 *c, const seg_sub *u) {
    return code_bits(c, u->start + u->len - u->dir_bits, u->dir_bits);
}

static inline uint8_t inline_bits(const code256 *c, const seg_sub *u) {
    if (!u->in_bits)
        return 0;
    return (uint8_t)code_bits(c, u->start + u->len - u->dir_bits - u->in_bits, u->in_bits);
}

/* Sorts n 64-bit items by bits [lo, lo + bits), least significant digit
 * first, in as few passes of at most 11 bits as cover them (2 for a 20-bit
 * key, 4 for 40 bits), the histograms of every pass counted in one read.
 * Each pass reads in sequence and writes to at most 2048 streams. Returns
 * the sorted array (a or tmp). */
static uint64_t *radix_sort_at(uint64_t *a, uint64_t *tmp, size_t n, int lo, int bits) {
    enum { MAXP = 6, MAXD = 11 };
    int passes = (bits + MAXD - 1) / MAXD;
    if (passes < 1 || n < 2)
        return a;
    int digit = (bits + passes - 1) / passes;
    uint64_t mask = ((uint64_t)1 << digit) - 1;
    static __thread uint32_t cnt[MAXP][(1 << MAXD) + 1];
    memset(cnt, 0, sizeof cnt);
    for (size_t e = 0; e < n; e++) {
        uint64_t v = a[e] >> lo;
        for (int p = 0; p < passes; p++, v >>= digit)
            cnt[p][(v & mask) + 1]++;
    }
    for (int p = 0; p < passes; p++) {
        uint32_t *c = cnt[p];
        for (uint64_t b = 0; b < mask + 1; b++)
            c[b + 1] += c[b];
        int shift = lo + p * digit;
        for (size_t e = 0; e < n; e++)
            tmp[c[(a[e] >> shift) & mask]++] = a[e];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

static uint64_t *radix_sort(uint64_t *a, uint64_t *tmp, size_t n, int bits) {
    return radix_sort_at(a, tmp, n, 32, bits);
}

/* Builds the directory and postings of substrings first, first + step,
 * ... (one thread's share), with `scratch` of 2n items. */
typedef struct {
    seg_segment *s;
    uint8_t *blk;
    const size_t *off;
    int first, step;
    uint64_t *scratch;
} sub_job;

static void *build_subs(void *arg) {
    sub_job *j = arg;
    seg_segment *s = j->s;
    size_t n = s->n;
    for (int i = j->first; i < s->m; i += j->step) {
        const seg_sub *u = &s->sub[i];
        size_t nb = (size_t)1 << u->dir_bits;
        uint32_t *dir = (uint32_t *)(j->blk + j->off[5 + 2 * i]);
        uint32_t *post = (uint32_t *)(j->blk + j->off[6 + 2 * i]);
        uint64_t *a = j->scratch, *tmp = j->scratch + n;
        for (size_t e = 0; e < n; e++)
            a[e] = (uint64_t)dir_key(&s->codes[e], u) << 32 | (uint64_t)e << 8 |
                   inline_bits(&s->codes[e], u);
        a = radix_sort(a, tmp, n, u->dir_bits);
        /* Postings in key order; the directory from the run boundaries. */
        size_t b = 0;
        for (size_t p = 0; p < n; p++) {
            size_t k = (size_t)(a[p] >> 32);
            while (b <= k)
                dir[b++] = (uint32_t)p;
            post[p] = (uint32_t)a[p];
        }
        while (b <= nb)
            dir[b++] = (uint32_t)n;
        s->dir[i] = dir;
        s->post[i] = post;
    }
    return NULL;
}

static inline uint64_t rotl64(uint64_t x, int k) { return x << k | x >> (64 - k); }

/* ---- Bit permutation ------------------------------------------------------
 * PDQ bits are biased (the low-frequency coefficients more than others):
 * a substring made of biased bits has fewer distinct values than its
 * length promises, so its buckets are crowded and its candidates many.
 * The bits are dealt to the substrings so that each gets the same entropy,
 * measured on a sample of the codes. */

static inline int bit_of(const code256 *c, int i) { return (int)(c->w[i >> 6] >> (i & 63) & 1); }

void seg_apply(code256 (*t)[256], const code256 *c, code256 *out) {
    code256 r = {{0, 0, 0, 0}};
    const uint8_t *b = (const uint8_t *)c;
    for (int k = 0; k < 32; k++) {
        const code256 *m = &t[k][b[k]];
        r.w[0] |= m->w[0], r.w[1] |= m->w[1], r.w[2] |= m->w[2], r.w[3] |= m->w[3];
    }
    *out = r;
}

tamis_status seg_perm_tables(seg_segment *s) {
    int identity = 1;
    for (int j = 0; j < 256; j++)
        identity &= s->perm[j] == j;
    s->fwd = NULL;
    if (identity)
        return TAMIS_OK;
    code256(*t)[256] = tamis__calloc(32, sizeof *t);
    if (!t)
        return TAMIS_ERR_NOMEM;
    /* Byte k of an original code (bits 8k .. 8k+7 on little-endian words)
     * sets, for each of its set bits, the stored bit that takes it. */
    int where[256];
    for (int j = 0; j < 256; j++)
        where[s->perm[j]] = j;
    for (int k = 0; k < 32; k++)
        for (int v = 0; v < 256; v++)
            for (int bit = 0; bit < 8; bit++)
                if (v >> bit & 1) {
                    int j = where[8 * k + bit];
                    t[k][v].w[j >> 6] |= 1ull << (j & 63);
                }
    s->fwd = t;
    return TAMIS_OK;
}

typedef struct {
    code256 (*t)[256];
    const uint8_t *src;
    code256 *dst;
    size_t from, to;
} perm_job;

static void *permute_range(void *arg) {
    perm_job *j = arg;
    for (size_t e = j->from; e < j->to; e++) {
        code256 c;
        memcpy(&c, j->src + 32 * e, 32);
        seg_apply(j->t, &c, &j->dst[e]);
    }
    return NULL;
}

static void permute_all(code256 (*t)[256], const uint8_t *src, code256 *dst, size_t n,
                        int threads) {
    perm_job j[8];
    pthread_t th[8];
    int started = 0;
    size_t per = n / (size_t)threads + 1;
    for (int k = 0; k < threads; k++) {
        size_t from = (size_t)k * per, to = from + per < n ? from + per : n;
        j[k] = (perm_job){t, src, dst, from < n ? from : n, to};
    }
    for (int k = 1; k < threads; k++)
        if (pthread_create(&th[k], NULL, permute_range, &j[k]) == 0)
            started = k;
        else
            break;
    permute_range(&j[0]);
    for (int k = started + 1; k < threads; k++) /* those not started */
        permute_range(&j[k]);
    for (int k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
}

static double entropy(double p) {
    if (p <= 0 || p >= 1)
        return 0;
    return -(p * log2(p) + (1 - p) * log2(1 - p));
}

/* Chooses s->perm for the codes (sampled): bits dealt, most informative
 * first, to the substring with the least entropy so far that has room;
 * within a substring the most informative bits go to the directory (its
 * top bits). Leaves the identity when every bit is near-uniform. */
static void choose_perm(seg_segment *s, const uint8_t *src, size_t n) {
    for (int j = 0; j < 256; j++)
        s->perm[j] = (uint8_t)j;
    if (n < 1024)
        return;
    size_t step = n / 65536 + 1, taken = 0;
    uint32_t ones[256] = {0};
    for (size_t e = 0; e < n; e += step, taken++) {
        code256 c;
        memcpy(&c, src + 32 * e, 32);
        for (int i = 0; i < 256; i++)
            ones[i] += (uint32_t)bit_of(&c, i);
    }
    double h[256], least = 1;
    for (int i = 0; i < 256; i++) {
        h[i] = entropy((double)ones[i] / (double)taken);
        if (h[i] < least)
            least = h[i];
    }
    if (least > 0.97) /* about p in [0.41, 0.59]: balanced enough */
        return;
    int order[256];
    for (int i = 0; i < 256; i++)
        order[i] = i;
    for (int i = 1; i < 256; i++) { /* by entropy, descending */
        int v = order[i], j = i;
        while (j && h[order[j - 1]] < h[v])
            order[j] = order[j - 1], j--;
        order[j] = v;
    }
    double sum[SEG_MAX_SUB] = {0};
    int fill[SEG_MAX_SUB] = {0};
    int got[SEG_MAX_SUB][32];
    for (int k = 0; k < 256; k++) {
        int best = -1;
        for (int i = 0; i < s->m; i++)
            if (fill[i] < s->sub[i].len && (best < 0 || sum[i] < sum[best]))
                best = i;
        got[best][fill[best]++] = order[k];
        sum[best] += h[order[k]];
    }
    /* Within a substring, bits are in descending entropy as dealt; place
     * them from the top (directory) down. */
    for (int i = 0; i < s->m; i++)
        for (int k = 0; k < s->sub[i].len; k++)
            s->perm[s->sub[i].start + s->sub[i].len - 1 - k] = (uint8_t)got[i][k];
}

/* Whether sorted item k holds the same code as item k - 1. */
static inline int is_dup(const uint64_t *a, size_t k, const uint8_t *src) {
    return (a[k] >> 24) == (a[k - 1] >> 24) &&
           memcmp(src + 32 * (size_t)(a[k] & 0xffffff), src + 32 * (size_t)(a[k - 1] & 0xffffff),
                  32) == 0;
}

tamis_status seg_build(const void *codes, const uint64_t *ids, size_t n_in, int threads,
                       seg_segment **out) {
    *out = NULL;
    if (n_in > SEG_MAX_N)
        return TAMIS_ERR_TOO_LARGE;
    if (threads < 1)
        threads = 1;
    if (threads > 8)
        threads = 8;
    if (n_in < 100000)
        threads = 1; /* not worth a thread */
    const uint8_t *src = codes;
    uint64_t *scratch = tamis__malloc((size_t)threads * 2 * (n_in ? n_in : 1) * sizeof(uint64_t));
    seg_segment *s = tamis__calloc(1, sizeof *s);
    if (!s || !scratch) {
        tamis__free(s);
        tamis__free(scratch);
        return TAMIS_ERR_NOMEM;
    }
    /* Order the codes by the first substring's key, then by a 20-bit
     * fingerprint of the code (one radix sort of key << 44 | fingerprint
     * << 24 | position), so that identical codes are adjacent: a code given
     * several ids (banks share hashes; every flat image hashes to zero) is
     * stored and compared once. Equal fingerprints of different codes only
     * mean a duplicate may be missed and stored twice, which is harmless. */
    seg_plan(s, n_in);
    choose_perm(s, src, n_in);
    code256 *permuted = NULL;
    if (seg_perm_tables(s) != TAMIS_OK ||
        (s->fwd && !(permuted = tamis__huge_alloc(n_in * sizeof *permuted)))) {
        tamis__free(scratch);
        seg_free(s);
        return TAMIS_ERR_NOMEM;
    }
    if (permuted) { /* every code into the segment's bit order, once */
        permute_all(s->fwd, src, permuted, n_in, threads);
        src = (const uint8_t *)permuted;
    }
    const seg_sub *u0 = &s->sub[0];
    uint64_t *a = scratch, *tmp = scratch + n_in;
    for (size_t e = 0; e < n_in; e++) {
        code256 t;
        memcpy(&t, src + 32 * e, 32);
        uint64_t f = (t.w[0] ^ rotl64(t.w[1], 17) ^ rotl64(t.w[2], 31) ^ rotl64(t.w[3], 47)) *
                     0x9e3779b97f4a7c15ull;
        a[e] = (uint64_t)dir_key(&t, u0) << 44 | (f >> 44) << 24 | e;
    }
    a = radix_sort_at(a, tmp, n_in, 24, 20 + u0->dir_bits);
    size_t nd = 0;
    for (size_t k = 1; k < n_in; k++)
        nd += is_dup(a, k, src);
    size_t n = n_in - nd;
    s->n = n;
    s->nd = nd;
    if (n_in >= 100000 && n < 100000)
        threads = 1;
    if (threads > s->m)
        threads = s->m;
    /* The plan follows the distinct codes; the permutation was made for
     * the same substring lengths (m depends on n only through the cost
     * model, so keep the first plan's m if the second differs). */
    {
        seg_segment t2 = *s;
        seg_plan(&t2, n);
        if (t2.m == s->m)
            for (int i = 0; i < s->m; i++)
                s->sub[i] = t2.sub[i];
    }
    size_t off[SEG_NOFF];
    size_t total = seg_layout(s, 0, off);
    uint8_t *blk = tamis__huge_alloc(total);
    s->deleted = tamis__calloc(seg_deleted_words(n, nd), sizeof(uint64_t));
    if (!blk || !s->deleted) {
        tamis__huge_free(blk, total);
        tamis__huge_free(permuted, n_in * sizeof *permuted);
        tamis__free(scratch);
        seg_free(s);
        return TAMIS_ERR_NOMEM;
    }
    s->heap = blk;
    s->heap_len = total;
    code256 *c = (code256 *)(blk + off[0]);
    uint64_t *id = (uint64_t *)(blk + off[1]);
    uint64_t *has_dup = (uint64_t *)(blk + off[2]);
    uint32_t *dup_pos = (uint32_t *)(blk + off[3]);
    uint64_t *dup_id = (uint64_t *)(blk + off[4]);
    memset(has_dup, 0, (n + 63) / 64 * 8);
    size_t p = 0, k = 0;
    for (size_t q = 0; q < n_in; q++) {
        size_t e = (size_t)(a[q] & 0xffffff);
        if (q > 0 && is_dup(a, q, src)) { /* another id of code p - 1 */
            dup_pos[k] = (uint32_t)(p - 1);
            dup_id[k++] = ids[e];
            has_dup[(p - 1) >> 6] |= 1ull << ((p - 1) & 63);
        } else {
            memcpy(&c[p], src + 32 * e, 32);
            id[p++] = ids[e];
        }
    }
    s->codes = c, s->ids = id, s->has_dup = has_dup, s->dup_pos = dup_pos, s->dup_id = dup_id;
    tamis__huge_free(permuted, n_in * sizeof *permuted);
    tamis__free(scratch);
    scratch = tamis__malloc((size_t)threads * 2 * (n ? n : 1) * sizeof(uint64_t));
    if (!scratch) {
        seg_free(s);
        return TAMIS_ERR_NOMEM;
    }

    /* The substrings, shared among threads. */
    sub_job jobs[8];
    pthread_t th[8];
    int started = 0;
    for (int t = 0; t < threads; t++)
        jobs[t] = (sub_job){s, blk, off, t, threads, scratch + (size_t)t * 2 * n};
    for (int t = 1; t < threads; t++)
        if (pthread_create(&th[t], NULL, build_subs, &jobs[t]) == 0)
            started = t;
        else
            break;
    /* Whatever threads could not start, this one does. */
    jobs[0].step = 1;
    if (started) {
        jobs[0].step = started + 1;
        for (int t = 1; t <= started; t++)
            jobs[t].step = started + 1;
    }
    build_subs(&jobs[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    tamis__free(scratch);
    *out = s;
    return TAMIS_OK;
}

/* The extra ids of code p: dup_pos[*lo .. *hi). */
static void dup_range(const seg_segment *s, size_t p, size_t *lo, size_t *hi) {
    size_t l = 0, h = s->nd;
    while (l < h) {
        size_t mid = (l + h) / 2;
        if (s->dup_pos[mid] < p)
            l = mid + 1;
        else
            h = mid;
    }
    *lo = l;
    while (h < s->nd && s->dup_pos[h] == p)
        h++;
    *hi = h < l ? l : h;
}

/* Emits every live id of code p (found at distance d). */
static int emit_code(const seg_segment *s, size_t p, int d, seg_emit emit, void *ctx) {
    if (!seg_is_deleted(s, p) && emit(ctx, s->ids[p], d))
        return 1;
    if (s->has_dup[p >> 6] >> (p & 63) & 1) {
        size_t lo, hi;
        dup_range(s, p, &lo, &hi);
        for (size_t k = lo; k < hi; k++)
            if (!seg_is_deleted(s, s->n + k) && emit(ctx, s->dup_id[k], d))
                return 1;
    }
    return 0;
}

void seg_for_each(const seg_segment *s, seg_visit f, void *ctx) {
    size_t k = 0;
    for (size_t p = 0; p < s->n; p++) {
        code256 orig = s->codes[p];
        if (s->fwd) { /* back to the original bit order */
            code256 c = orig;
            memset(&orig, 0, sizeof orig);
            for (int j = 0; j < 256; j++)
                if (bit_of(&c, j))
                    orig.w[s->perm[j] >> 6] |= 1ull << (s->perm[j] & 63);
        }
        if (!seg_is_deleted(s, p))
            f(ctx, &orig, s->ids[p]);
        for (; k < s->nd && s->dup_pos[k] == p; k++)
            if (!seg_is_deleted(s, s->n + k))
                f(ctx, &orig, s->dup_id[k]);
    }
}

size_t seg_remove_ids(seg_segment *s, int (*has)(const void *ctx, uint64_t id),
                      const void *ctx) {
    size_t count = 0;
    for (size_t i = 0; i < s->n + s->nd; i++) {
        uint64_t id = i < s->n ? s->ids[i] : s->dup_id[i - s->n];
        if (!seg_is_deleted(s, i) && has(ctx, id)) {
            s->deleted[i >> 6] |= 1ull << (i & 63);
            s->n_deleted++;
            count++;
        }
    }
    return count;
}

void seg_free(seg_segment *s) {
    if (!s)
        return;
    tamis__free(s->fwd);
    tamis__huge_free(s->heap, s->heap_len);
    tamis__free(s->deleted);
    tamis__free(s);
}

size_t seg_memory(const seg_segment *s) {
    size_t off[SEG_NOFF];
    seg_segment t = *s;
    return seg_layout(&t, 0, off) + seg_deleted_words(s->n, s->nd) * 8 + sizeof *s +
           (s->fwd ? 32 * sizeof *s->fwd : 0);
}

/* ---- Search ------------------------------------------------------------ */

/* Every B-bit mask with exactly a bits set, for a = 0..r. */
typedef struct {
    uint32_t *v;
    int n[9]; /* masks with a bits: v[start[a] .. start[a] + n[a]) */
    int start[9];
} mask_set;

static int gen_masks(int B, int r, mask_set *ms, uint32_t *buf, int cap) {
    int k = 0;
    for (int a = 0; a <= r; a++) {
        ms->start[a] = k;
        /* Gosper's hack walks the a-subsets of B bits in order. */
        if (a == 0) {
            if (k >= cap)
                return -1;
            buf[k++] = 0;
        } else if (a <= B) {
            uint32_t x = (1u << a) - 1, lim = 1u << B;
            while (x < lim) {
                if (k >= cap)
                    return -1;
                buf[k++] = x;
                uint32_t cc = x & (0u - x), rr = x + cc;
                x = (((rr ^ x) >> 2) / cc) | rr;
            }
        }
        ms->n[a] = k - ms->start[a];
    }
    ms->v = buf;
    return k;
}

static double binom_sum(int B, int r) {
    double s = 0, c = 1;
    for (int a = 0; a <= r && a <= B; a++) {
        s += c;
        c = c * (B - a) / (a + 1);
    }
    return s;
}

static int scan_all(const seg_segment *s, const code256 *q, int radius, seg_emit emit,
                    void *ctx) {
    for (size_t p = 0; p < s->n; p++) {
        int d = code_dist(&s->codes[p], q);
        if (d <= radius && emit_code(s, p, d, emit, ctx))
            return 1;
    }
    return 0;
}

/* Search in three sweeps, each issuing its memory loads well before it
 * needs them, since buckets and codes are scattered over a large segment:
 * (1) the buckets to visit, their directory entries prefetched; (2) the
 * postings of each bucket (prefetched a few buckets ahead), whose inline
 * bits reject most entries; (3) the surviving candidates' codes (prefetched
 * ahead), compared in full. */
typedef struct {
    uint32_t bucket;
    uint8_t sub, rem;
} probe;

typedef struct {
    uint32_t entry;
    uint32_t sub;
} cand;

#define AHEAD 16

/* Appends to out the entries of n postings whose inline bits are within
 * rem bits of qlow; returns how many. Most postings fail (about one in
 * ten passes), so the test runs four at a time in SSE lanes: the XOR's
 * low byte, its popcount by nibble lookup (SSSE3), a compare, and a mask
 * of the few that pass. */
static size_t filter_bucket(const uint32_t *post, size_t n, uint32_t qlow, int rem,
                            uint32_t sub, cand *out) {
    size_t k = 0, e = 0;
#ifdef __SSSE3__
    const __m128i nib = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m128i lowb = _mm_set1_epi32(0xff), m4 = _mm_set1_epi8(0x0f);
    const __m128i q = _mm_set1_epi32((int)qlow), lim = _mm_set1_epi32(rem + 1);
    for (; e + 4 <= n; e += 4) {
        __m128i w = _mm_loadu_si128((const __m128i *)(post + e));
        __m128i x = _mm_and_si128(_mm_xor_si128(w, q), lowb);
        __m128i c = _mm_add_epi8(_mm_shuffle_epi8(nib, _mm_and_si128(x, m4)),
                                 _mm_shuffle_epi8(nib, _mm_and_si128(_mm_srli_epi16(x, 4), m4)));
        int mask = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmplt_epi32(c, lim)));
        while (mask) {
            int l = __builtin_ctz((unsigned)mask);
            mask &= mask - 1;
            out[k].entry = post[e + (size_t)l] >> 8;
            out[k++].sub = sub;
        }
    }
#endif
    for (; e < n; e++) {
        uint32_t w = post[e];
        if (popcount8[(w ^ qlow) & 0xff] <= rem) {
            out[k].entry = w >> 8;
            out[k++].sub = sub;
        }
    }
    return k;
}

static int verify(const seg_segment *s, const code256 *q, int radius, int rp,
                  const cand *cv, size_t nc, seg_emit emit, void *ctx) {
    for (size_t k = 0; k < nc; k++) {
        if (k + AHEAD < nc)
            __builtin_prefetch(&s->codes[cv[k + AHEAD].entry]);
        uint32_t p = cv[k].entry;
        const code256 *c = &s->codes[p];
        code256 x = {{c->w[0] ^ q->w[0], c->w[1] ^ q->w[1], c->w[2] ^ q->w[2],
                      c->w[3] ^ q->w[3]}};
        int d = tamis__popcount64(x.w[0]) + tamis__popcount64(x.w[1]) +
                tamis__popcount64(x.w[2]) + tamis__popcount64(x.w[3]);
        if (d > radius)
            continue;
        /* Report each match once: from the first substring within rp bits
         * (there is one, by the pigeonhole). */
        int i = (int)cv[k].sub;
        if (tamis__popcount64(code_bits(&x, s->sub[i].start, s->sub[i].len)) > rp)
            continue;
        int earlier = 0;
        for (int j = 0; j < i && !earlier; j++)
            earlier = tamis__popcount64(code_bits(&x, s->sub[j].start, s->sub[j].len)) <= rp;
        if (!earlier && emit_code(s, p, d, emit, ctx))
            return 1;
    }
    return 0;
}

/* Many candidates (a query near a large cluster of near-duplicates, whose
 * codes share most substrings) repeat: each would be fetched once per
 * substring it shares. A bitmap of the positions already seen lets each
 * be fetched once; worth it only for many. The bitmap is kept per thread
 * and only the words a search set are cleared after it: clearing n / 8
 * bytes for each query (1.25 MB at 10M codes) cost more than the search. */
#define DEDUP_MIN 4096

static pthread_key_t seen_key;
static pthread_once_t seen_once = PTHREAD_ONCE_INIT;
typedef struct {
    uint64_t *w;
    size_t cap; /* words, all zero between searches */
} seen_map;

static void seen_free(void *p) {
    seen_map *m = p;
    tamis__free(m->w);
    tamis__free(m);
}
static void seen_init(void) { pthread_key_create(&seen_key, seen_free); }

static uint64_t *seen_get(size_t words) {
    pthread_once(&seen_once, seen_init);
    seen_map *m = pthread_getspecific(seen_key);
    if (!m) {
        if (!(m = tamis__calloc(1, sizeof *m)))
            return NULL;
        if (pthread_setspecific(seen_key, m) != 0) {
            tamis__free(m);
            return NULL;
        }
    }
    if (m->cap < words) {
        uint64_t *w = tamis__calloc(words, sizeof *w);
        if (!w)
            return NULL;
        tamis__free(m->w);
        m->w = w, m->cap = words;
    }
    return m->w;
}

static int verify_once(const seg_segment *s, const code256 *q, int radius, const cand *cv,
                       size_t nc, seg_emit emit, void *ctx) {
    uint64_t *seen = seen_get((s->n + 63) / 64);
    if (!seen)
        return -1;
    int stopped = 0;
    size_t k;
    for (k = 0; k < nc && !stopped; k++) {
        if (k + AHEAD < nc)
            __builtin_prefetch(&s->codes[cv[k + AHEAD].entry]);
        size_t p = cv[k].entry;
        uint64_t bit = 1ull << (p & 63);
        if (seen[p >> 6] & bit)
            continue;
        seen[p >> 6] |= bit;
        int d = code_dist(&s->codes[p], q);
        if (d <= radius)
            stopped = emit_code(s, p, d, emit, ctx);
    }
    for (size_t j = 0; j < k; j++) /* back to all zero for the next search */
        seen[cv[j].entry >> 6] = 0;
    return stopped;
}

int seg_search(const seg_segment *s, const code256 *q0, int radius, seg_emit emit,
               void *ctx) {
    if (s->n == 0 || radius < 0)
        return 0;
    code256 qp;
    const code256 *q = q0;
    if (s->fwd) { /* into the segment's bit order */
        seg_apply(s->fwd, q0, &qp);
        q = &qp;
    }
    int rp = radius / s->m; /* some substring is within rp bits */
    /* Estimated work of probing vs scanning everything (in units of one
     * code comparison; a bucket visit costs a cache miss, ~20 of them). */
    double probes = 0, entries = 0;
    for (int i = 0; i < s->m; i++) {
        int B = s->sub[i].dir_bits;
        double p = binom_sum(B, rp);
        probes += p;
        entries += p * (double)s->n / (double)((size_t)1 << B);
    }
    if (radius >= 256 || rp > 8 || probes > 65536 ||
        probes * 20 + entries * 0.5 >= (double)s->n)
        return scan_all(s, q, radius, emit, ctx);

    enum { MASK_CAP = 1 << 16 };
    static __thread uint32_t maskbuf[MASK_CAP];
    size_t cv_cap = (size_t)(entries / 8) + 1024;
    probe *pv = tamis__malloc((size_t)probes * sizeof *pv);
    cand *cv = tamis__malloc(cv_cap * sizeof *cv);
    if (!pv || !cv) {
        tamis__free(pv);
        tamis__free(cv);
        return scan_all(s, q, radius, emit, ctx);
    }
    mask_set ms;
    int last_B = -1;
    size_t np = 0;
    /* Sweep 1: the buckets to visit. */
    for (int i = 0; i < s->m; i++) {
        const seg_sub *u = &s->sub[i];
        if (u->dir_bits != last_B) {
            gen_masks(u->dir_bits, rp, &ms, maskbuf, MASK_CAP);
            last_B = u->dir_bits;
        }
        uint32_t qtop = dir_key(q, u);
        for (int a = 0; a <= rp && a <= u->dir_bits; a++)
            for (int k = ms.start[a]; k < ms.start[a] + ms.n[a]; k++)
                pv[np++] = (probe){qtop ^ maskbuf[k], (uint8_t)i, (uint8_t)(rp - a)};
    }
    /* Sweep 2: the postings, software-pipelined: the directory entry of
     * probe k + 2A and the postings of probe k + A are on their way while
     * probe k is scanned. */
    size_t nc = 0;
    for (size_t k = 0; k < np + 2 * AHEAD; k++) {
        if (k < np)
            __builtin_prefetch(&s->dir[pv[k].sub][pv[k].bucket]);
        if (k >= AHEAD && k - AHEAD < np) {
            /* a bucket's postings may span two cache lines */
            const probe *f = &pv[k - AHEAD];
            const uint32_t *d = &s->dir[f->sub][f->bucket];
            __builtin_prefetch(&s->post[f->sub][d[0]]);
            __builtin_prefetch(&s->post[f->sub][d[1]] - 1);
        }
        if (k < 2 * AHEAD)
            continue;
        const probe *pr = &pv[k - 2 * AHEAD];
        const seg_sub *u = &s->sub[pr->sub];
        uint32_t qlow = inline_bits(q, u);
        const uint32_t *post = s->post[pr->sub];
        uint32_t e = s->dir[pr->sub][pr->bucket], end = s->dir[pr->sub][pr->bucket + 1];
        if (nc + (end - e) > cv_cap) {
            size_t cap = 2 * cv_cap;
            while (cap < nc + (end - e))
                cap *= 2;
            cand *ncv = tamis__realloc(cv, cap * sizeof *ncv);
            if (!ncv) {
                tamis__free(pv);
                tamis__free(cv);
                return scan_all(s, q, radius, emit, ctx);
            }
            cv = ncv;
            cv_cap = cap;
        }
        nc = filter_bucket(post + e, end - e, qlow, pr->rem, pr->sub, cv + nc) + nc;
    }
    /* Sweep 3: the codes. */
    int stopped = -1;
    if (nc >= DEDUP_MIN)
        stopped = verify_once(s, q, radius, cv, nc, emit, ctx);
    if (stopped < 0) /* few candidates, or no memory to sort them */
        stopped = verify(s, q, radius, rp, cv, nc, emit, ctx);
    tamis__free(pv);
    tamis__free(cv);
    return stopped;
}
