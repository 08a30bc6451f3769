/*
 * pdq_index.c - the public index of PDQ codes: an append buffer, searched
 * by scanning, and immutable multi-index-hashing segments (segment.c),
 * merged as they grow, as in a log-structured merge tree. Adding goes to
 * the buffer, which becomes a segment when full; segments of similar size
 * are merged, so a code is rewritten O(log n) times in all. Removing marks
 * codes in a per-segment bitmap; a segment is rewritten without them once
 * a quarter of it is removed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"

#define BUF_MAX 4096 /* codes scanned linearly before they become a segment */

_Static_assert(sizeof(tamis_pdq) == 32, "a tamis_pdq is a 32-byte code record");

/* Segments are built on all cores: adding is rare and large. */
static int build_threads(void) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c < 1 ? 1 : c > 8 ? 8 : (int)c;
}

static inline code256 to_code(const tamis_pdq *p) {
    code256 c;
    memcpy(&c, p->bytes, sizeof c);
    return c;
}

tamis_status tamis_index_create(tamis_index **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = tamis__calloc(1, sizeof **out);
    return *out ? TAMIS_OK : TAMIS_ERR_NOMEM;
}

void tamis_index_free(tamis_index *ix) {
    if (!ix)
        return;
    for (int i = 0; i < ix->nsegs; i++)
        tamis__index_seg_release(ix->segs[i]);
    tamis__free(ix->segs);
    tamis__free(ix->buf);
    tamis__free(ix->buf_ids);
    tamis__free(ix);
}

const char *tamis_index_errmsg(const tamis_index *ix) {
    return ix ? ix->err.msg : "no index";
}

size_t tamis_index_size(const tamis_index *ix) {
    if (!ix)
        return 0;
    size_t n = ix->nbuf;
    for (int i = 0; i < ix->nsegs; i++)
        n += seg_live(ix->segs[i]);
    return n;
}

size_t tamis_index_memory(const tamis_index *ix) {
    if (!ix)
        return 0;
    size_t m = sizeof *ix + ix->buf_cap * (sizeof(code256) + 8) +
               (size_t)ix->segs_cap * sizeof(void *);
    for (int i = 0; i < ix->nsegs; i++)
        m += seg_memory(ix->segs[i]);
    return m;
}

void tamis__index_seg_release(seg_segment *s) {
    if (s && s->map)
        tamis__index_unmap(s);
    seg_free(s);
}

static tamis_status push_seg(tamis_index *ix, seg_segment *s) {
    if (ix->nsegs == ix->segs_cap) {
        int cap = ix->segs_cap ? 2 * ix->segs_cap : 8;
        seg_segment **n = tamis__realloc(ix->segs, (size_t)cap * sizeof *n);
        if (!n)
            return TAMIS_ERR_NOMEM;
        ix->segs = n;
        ix->segs_cap = cap;
    }
    ix->segs[ix->nsegs++] = s;
    return TAMIS_OK;
}

typedef struct {
    code256 *c;
    uint64_t *id;
    size_t k;
} gather;

static void gather_one(void *ctx, const code256 *code, uint64_t id) {
    gather *g = ctx;
    g->c[g->k] = *code;
    g->id[g->k++] = id;
}

/* Builds one segment from the live codes of segs[0..ns) and of
 * extra[0..nx); *out is NULL when there are none. */
static tamis_status build_live(seg_segment *const *segs, int ns, const code256 *extra,
                               const uint64_t *extra_ids, size_t nx, seg_segment **out) {
    *out = NULL;
    size_t n = nx;
    for (int i = 0; i < ns; i++)
        n += seg_live(segs[i]);
    if (n == 0)
        return TAMIS_OK;
    code256 *c = tamis__malloc(n * sizeof *c);
    uint64_t *id = tamis__malloc(n * sizeof *id);
    tamis_status st = TAMIS_ERR_NOMEM;
    if (c && id) {
        gather g = {c, id, 0};
        for (int i = 0; i < ns; i++)
            seg_for_each(segs[i], gather_one, &g);
        if (nx) {
            memcpy(c + g.k, extra, nx * sizeof *c);
            memcpy(id + g.k, extra_ids, nx * sizeof *id);
        }
        st = seg_build(c, id, n, build_threads(), out);
    }
    tamis__free(c);
    tamis__free(id);
    return st;
}

/* Replaces segments [from, nsegs) and extra[] by one merged segment. */
static tamis_status merge_tail(tamis_index *ix, int from, const code256 *extra,
                               const uint64_t *extra_ids, size_t nx) {
    seg_segment *s;
    tamis_status st = build_live(ix->segs + from, ix->nsegs - from, extra, extra_ids,
                                 nx, &s);
    if (st != TAMIS_OK)
        return tamis__fail(&ix->err, st, "out of memory building an index segment");
    for (int i = from; i < ix->nsegs; i++)
        tamis__index_seg_release(ix->segs[i]);
    ix->nsegs = from;
    return s ? push_seg(ix, s) : TAMIS_OK;
}

tamis_status tamis__index_merge_all(tamis_index *ix, seg_segment **out) {
    tamis_status st = merge_tail(ix, 0, ix->buf, ix->buf_ids, ix->nbuf);
    if (st == TAMIS_OK)
        ix->nbuf = 0;
    *out = ix->nsegs ? ix->segs[0] : NULL;
    return st;
}

/* Where to start merging to make room for `n` new codes: the trailing
 * segments no more than twice as large as what is merged so far, as long
 * as the result fits in one segment. */
static int merge_start(const tamis_index *ix, size_t n) {
    int from = ix->nsegs;
    while (from > 0 && seg_live(ix->segs[from - 1]) <= 2 * n &&
           n + seg_live(ix->segs[from - 1]) <= SEG_MAX_N) {
        n += seg_live(ix->segs[from - 1]);
        from--;
    }
    return from;
}

/* Turns the buffer into a segment and merges while the last segment is
 * at least half the size of the one before (segments then halve in size
 * from first to last: about log2(n / BUF_MAX) of them). */
static tamis_status flush_buffer(tamis_index *ix) {
    if (ix->nbuf == 0)
        return TAMIS_OK;
    int from = merge_start(ix, ix->nbuf);
    tamis_status st = merge_tail(ix, from, ix->buf, ix->buf_ids, ix->nbuf);
    if (st == TAMIS_OK)
        ix->nbuf = 0;
    return st;
}

tamis_status tamis_index_add(tamis_index *ix, const tamis_pdq *codes,
                             const uint64_t *ids, size_t n) {
    if (!ix)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    if (n && (!codes || !ids))
        return tamis__fail(&ix->err, TAMIS_ERR_INVALID, "NULL codes or ids");
    while (n >= BUF_MAX) {
        /* Bulk: one segment per SEG_MAX_N codes of the batch. */
        size_t k = n < SEG_MAX_N ? n : SEG_MAX_N;
        int from = merge_start(ix, k);
        tamis_status st;
        if (from == ix->nsegs) {
            /* Nothing to merge with: build straight from the caller's
             * array (tamis_pdq is 32 bytes, the layout of a code). */
            seg_segment *seg;
            st = seg_build(codes, ids, k, build_threads(), &seg);
            if (st == TAMIS_OK && (st = push_seg(ix, seg)) != TAMIS_OK)
                seg_free(seg);
            if (st != TAMIS_OK)
                st = tamis__fail(&ix->err, st, "out of memory adding %zu codes", k);
        } else {
            code256 *c = tamis__malloc(k * sizeof *c);
            if (!c)
                return tamis__fail(&ix->err, TAMIS_ERR_NOMEM, "out of memory adding %zu codes", k);
            for (size_t i = 0; i < k; i++)
                c[i] = to_code(&codes[i]);
            st = merge_tail(ix, from, c, ids, k);
            tamis__free(c);
        }
        if (st != TAMIS_OK)
            return st;
        codes += k, ids += k, n -= k;
    }
    if (ix->nbuf + n > ix->buf_cap) {
        size_t cap = BUF_MAX + n;
        code256 *b = tamis__realloc(ix->buf, cap * sizeof *b);
        if (!b)
            return tamis__fail(&ix->err, TAMIS_ERR_NOMEM, "out of memory adding codes");
        ix->buf = b;
        uint64_t *bi = tamis__realloc(ix->buf_ids, cap * sizeof *bi);
        if (!bi)
            return tamis__fail(&ix->err, TAMIS_ERR_NOMEM, "out of memory adding codes");
        ix->buf_ids = bi;
        ix->buf_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        ix->buf[ix->nbuf + i] = to_code(&codes[i]);
        ix->buf_ids[ix->nbuf + i] = ids[i];
    }
    ix->nbuf += n;
    return ix->nbuf >= BUF_MAX ? flush_buffer(ix) : TAMIS_OK;
}

/* ---- Removal ----------------------------------------------------------- */

/* An open-addressing set of the ids to remove. */
typedef struct {
    uint64_t *slot;
    uint8_t *used;
    size_t mask;
} id_set;

static inline size_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

static int set_has(const void *p, uint64_t id) {
    const id_set *s = p;
    for (size_t i = mix64(id) & s->mask;; i = (i + 1) & s->mask) {
        if (!s->used[i])
            return 0;
        if (s->slot[i] == id)
            return 1;
    }
}

tamis_status tamis_index_remove(tamis_index *ix, const uint64_t *ids, size_t n,
                                size_t *removed) {
    if (!ix)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    if (removed)
        *removed = 0;
    if (n == 0)
        return TAMIS_OK;
    if (!ids)
        return tamis__fail(&ix->err, TAMIS_ERR_INVALID, "NULL ids");
    id_set set;
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    set.slot = tamis__malloc(cap * sizeof *set.slot);
    set.used = tamis__calloc(cap, 1);
    set.mask = cap - 1;
    if (!set.slot || !set.used) {
        tamis__free(set.slot);
        tamis__free(set.used);
        return tamis__fail(&ix->err, TAMIS_ERR_NOMEM, "out of memory removing ids");
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = mix64(ids[k]) & set.mask;
        while (set.used[i] && set.slot[i] != ids[k])
            i = (i + 1) & set.mask;
        set.used[i] = 1;
        set.slot[i] = ids[k];
    }
    size_t count = 0;
    /* The buffer: swap-remove. */
    for (size_t i = 0; i < ix->nbuf;) {
        if (set_has(&set, ix->buf_ids[i])) {
            ix->nbuf--;
            ix->buf[i] = ix->buf[ix->nbuf];
            ix->buf_ids[i] = ix->buf_ids[ix->nbuf];
            count++;
        } else {
            i++;
        }
    }
    /* The segments: mark. */
    for (int si = 0; si < ix->nsegs; si++)
        count += seg_remove_ids(ix->segs[si], set_has, &set);
    tamis__free(set.slot);
    tamis__free(set.used);
    if (removed)
        *removed = count;
    /* Rewrite segments a quarter removed, each in place of itself. */
    for (int si = 0; si < ix->nsegs;) {
        seg_segment *s = ix->segs[si], *t;
        if (s->n_deleted == 0 || s->n_deleted * 4 < s->n + s->nd) {
            si++;
            continue;
        }
        if (build_live(&s, 1, NULL, NULL, 0, &t) != TAMIS_OK)
            return TAMIS_OK; /* removed all the same; rewritten later */
        tamis__index_seg_release(s);
        if (t) {
            ix->segs[si++] = t;
        } else {
            memmove(ix->segs + si, ix->segs + si + 1,
                    (size_t)(ix->nsegs - si - 1) * sizeof *ix->segs);
            ix->nsegs--;
        }
    }
    return TAMIS_OK;
}

/* ---- Search ------------------------------------------------------------ */

typedef struct {
    tamis_index_cb cb;
    void *ctx;
} cb_ctx;

static int call_cb(void *p, uint64_t id, int d) {
    cb_ctx *c = p;
    return c->cb(c->ctx, id, d);
}

int tamis__index_search_raw(const tamis_index *ix, const code256 *q, int radius,
                            seg_emit emit, void *ctx) {
    for (size_t i = 0; i < ix->nbuf; i++) {
        int d = code_dist(&ix->buf[i], q);
        if (d <= radius && emit(ctx, ix->buf_ids[i], d))
            return 1;
    }
    for (int i = 0; i < ix->nsegs; i++)
        if (seg_search(ix->segs[i], q, radius, emit, ctx))
            return 1;
    return 0;
}

tamis_status tamis_index_search(const tamis_index *ix, const tamis_pdq *q, int radius,
                                tamis_index_cb cb, void *ctx) {
    if (!ix || !q || !cb || radius < 0)
        return TAMIS_ERR_INVALID;
    code256 c = to_code(q);
    cb_ctx cc = {cb, ctx};
    return tamis__index_search_raw(ix, &c, radius > 256 ? 256 : radius, call_cb, &cc)
               ? TAMIS_DONE
               : TAMIS_OK;
}

/* A growable list of matches. */
typedef struct {
    tamis_index_match *v;
    size_t n, cap;
    int oom;
} match_vec;

static int vec_push(void *p, uint64_t id, int d) {
    match_vec *m = p;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        tamis_index_match *v = tamis__realloc(m->v, cap * sizeof *v);
        if (!v) {
            m->oom = 1;
            return 1;
        }
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n].id = id;
    m->v[m->n++].distance = d;
    return 0;
}

static int cmp_match(const void *a, const void *b) {
    const tamis_index_match *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

tamis_status tamis_index_knn(const tamis_index *ix, const tamis_pdq *q, size_t k,
                             tamis_index_match *out, size_t *n) {
    if (!ix || !q || !n || (k && !out))
        return TAMIS_ERR_INVALID;
    *n = 0;
    if (k == 0)
        return TAMIS_OK;
    static const int radii[] = {0, 8, 16, 24, 31, 40, 48, 64, 96, 128, 256};
    code256 c = to_code(q);
    size_t total = tamis_index_size(ix);
    match_vec m = {0};
    for (size_t r = 0; r < sizeof radii / sizeof radii[0]; r++) {
        m.n = 0;
        tamis__index_search_raw(ix, &c, radii[r], vec_push, &m);
        if (m.oom) {
            tamis__free(m.v);
            return TAMIS_ERR_NOMEM;
        }
        /* All codes within this radius are here; if there are k of them,
         * the k nearest are among them. */
        if (m.n >= k || m.n == total)
            break;
    }
    if (m.n) /* qsort takes no NULL, even for none */
        qsort(m.v, m.n, sizeof *m.v, cmp_match);
    *n = m.n < k ? m.n : k;
    if (*n)
        memcpy(out, m.v, *n * sizeof *out);
    tamis__free(m.v);
    return TAMIS_OK;
}

/* ---- Batches ----------------------------------------------------------- */

typedef struct {
    const tamis_index *ix;
    const tamis_pdq *qs;
    size_t nq;
    int radius;
    size_t next; /* next query to take */
    pthread_mutex_t mu;
    match_vec *per_query;
    int oom;
} batch;

static void *batch_worker(void *p) {
    batch *b = p;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        size_t i = b->next;
        b->next += 16; /* a few queries at a time, to keep the lock cold */
        pthread_mutex_unlock(&b->mu);
        if (i >= b->nq)
            break;
        size_t end = i + 16 < b->nq ? i + 16 : b->nq;
        for (; i < end; i++) {
            code256 c = to_code(&b->qs[i]);
            match_vec *m = &b->per_query[i];
            tamis__index_search_raw(b->ix, &c, b->radius, vec_push, m);
            if (m->oom)
                b->oom = 1;
            else if (m->n)
                qsort(m->v, m->n, sizeof *m->v, cmp_match);
        }
    }
    return NULL;
}

void tamis_index_results_free(tamis_index_results *r) {
    if (!r)
        return;
    tamis__free(r->offsets);
    tamis__free(r->matches);
    memset(r, 0, sizeof *r);
}

tamis_status tamis_index_search_batch(const tamis_index *ix, const tamis_pdq *queries,
                                      size_t nq, int radius, int threads,
                                      tamis_index_results *out) {
    if (!ix || !out || (nq && !queries) || radius < 0)
        return TAMIS_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? (int)c : 1;
    }
    if (threads > 256)
        threads = 256;
    batch b = {ix, queries, nq, radius > 256 ? 256 : radius, 0,
               PTHREAD_MUTEX_INITIALIZER, NULL, 0};
    b.per_query = tamis__calloc(nq ? nq : 1, sizeof *b.per_query);
    if (!b.per_query)
        return TAMIS_ERR_NOMEM;
    pthread_t th[256];
    int started = 0;
    for (; started < threads - 1; started++)
        if (pthread_create(&th[started], NULL, batch_worker, &b) != 0)
            break;
    batch_worker(&b);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    tamis_status st = b.oom ? TAMIS_ERR_NOMEM : TAMIS_OK;
    size_t total = 0;
    for (size_t i = 0; i < nq; i++)
        total += b.per_query[i].n;
    if (st == TAMIS_OK) {
        out->offsets = tamis__malloc((nq + 1) * sizeof *out->offsets);
        out->matches = tamis__malloc((total ? total : 1) * sizeof *out->matches);
        if (!out->offsets || !out->matches)
            st = TAMIS_ERR_NOMEM;
    }
    if (st == TAMIS_OK) {
        size_t k = 0;
        for (size_t i = 0; i < nq; i++) {
            out->offsets[i] = k;
            if (b.per_query[i].n)
                memcpy(out->matches + k, b.per_query[i].v,
                       b.per_query[i].n * sizeof *out->matches);
            k += b.per_query[i].n;
        }
        out->offsets[nq] = k;
        out->n_queries = nq;
    } else {
        tamis_index_results_free(out);
    }
    for (size_t i = 0; i < nq; i++)
        tamis__free(b.per_query[i].v);
    tamis__free(b.per_query);
    return st;
}
