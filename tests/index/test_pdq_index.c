/*
 * test_pdq_index.c - lib/index/pdq_index.c and segment.c: every search
 * compared with brute force over the same codes, on random and adversarial
 * data, through adds, bulk builds, merges and removals.
 */
#include "../../lib/index/index.h"
#include "../test.h"

static uint64_t rs = 0x853c49e6748fea9bull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void random_code(tamis_pdq *c) {
    for (int k = 0; k < 32; k += 8) {
        uint64_t r = rnd();
        memcpy(c->bytes + k, &r, 8);
    }
}

static void flip(tamis_pdq *c, int bits) {
    for (int k = 0; k < bits; k++) {
        int b = (int)(rnd() % 256);
        c->bytes[b / 8] ^= (uint8_t)(1u << (b % 8));
    }
}

/* A reference: the codes and ids currently in the index, and whether
 * each is live. */
typedef struct {
    tamis_pdq *codes;
    uint64_t *ids;
    int *live;
    size_t n;
} model;

typedef struct {
    uint64_t *ids;
    int *dist;
    size_t n, cap;
} hits;

static int collect(void *ctx, uint64_t id, int d) {
    hits *h = ctx;
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->ids = realloc(h->ids, h->cap * sizeof *h->ids);
        h->dist = realloc(h->dist, h->cap * sizeof *h->dist);
    }
    h->ids[h->n] = id;
    h->dist[h->n++] = d;
    return 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Checks one query: the index's matches are exactly the model's, each
 * with its true distance, none twice. Ids are distinct in these tests
 * except where a test says so (then multiplicity must match too). */
static void check_query(const tamis_index *ix, const model *m, const tamis_pdq *q, int radius) {
    hits h = {0};
    ASSERT_OK(tamis_index_search(ix, q, radius, collect, &h));
    uint64_t *want = malloc((m->n + 1) * sizeof *want);
    size_t nw = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->live[i] && tamis_pdq_distance(q, &m->codes[i]) <= radius)
            want[nw++] = m->ids[i];
    for (size_t k = 0; k < h.n; k++) {
        /* the reported distance is the true one for a live code with that
         * id (ids are 1000 + position in these tests) */
        size_t i = (size_t)(h.ids[k] - 1000);
        int ok = h.ids[k] >= 1000 && i < m->n && m->ids[i] == h.ids[k] && m->live[i] &&
                 tamis_pdq_distance(q, &m->codes[i]) == h.dist[k];
        if (!ok)
            FAIL("match id %llu at distance %d is not in the model (radius %d)",
                 (unsigned long long)h.ids[k], h.dist[k], radius);
    }
    if (nw)
        qsort(want, nw, sizeof *want, cmp_u64);
    if (h.n)
        qsort(h.ids, h.n, sizeof *h.ids, cmp_u64);
    if (h.n != nw)
        FAIL("radius %d: index found %zu matches, brute force %zu", radius, h.n, nw);
    for (size_t k = 0; k < nw; k++)
        if (want[k] != h.ids[k])
            FAIL("radius %d: match sets differ at %zu: %llu vs %llu", radius, k,
                 (unsigned long long)h.ids[k], (unsigned long long)want[k]);
    free(want);
    free(h.ids);
    free(h.dist);
}

static tamis_index *new_index(void) {
    tamis_index *ix = NULL;
    ASSERT_OK(tamis_index_create(&ix));
    return ix;
}

static model make_model(size_t n) {
    model m;
    m.n = n;
    m.codes = calloc(n + 1, sizeof *m.codes);
    m.ids = calloc(n + 1, sizeof *m.ids);
    m.live = calloc(n + 1, sizeof *m.live);
    for (size_t i = 0; i < n; i++)
        m.ids[i] = 1000 + i, m.live[i] = 1;
    return m;
}

static void free_model(model *m) {
    free(m->codes);
    free(m->ids);
    free(m->live);
}

/* Queries: near codes of the model (0..40 bits), and random ones. */
static void check_many(const tamis_index *ix, const model *m, int nq, const int *radii, int nr) {
    for (int k = 0; k < nq; k++) {
        tamis_pdq q;
        if (m->n && k % 3 != 2) {
            q = m->codes[rnd() % m->n];
            flip(&q, (int)(rnd() % 41));
        } else {
            random_code(&q);
        }
        for (int r = 0; r < nr; r++)
            check_query(ix, m, &q, radii[r]);
    }
}

static const int radii[] = {0, 1, 15, 31, 32, 47, 64, 128, 256};
#define NR (int)(sizeof radii / sizeof radii[0])

TEST(empty_index_finds_nothing) {
    tamis_index *ix = new_index();
    model m = make_model(0);
    check_many(ix, &m, 5, radii, NR);
    ASSERT_EQ(tamis_index_size(ix), 0);
    tamis_index_results r;
    tamis_pdq q;
    random_code(&q);
    ASSERT_OK(tamis_index_search_batch(ix, &q, 1, 31, 2, &r));
    ASSERT_EQ(r.offsets[1], 0);
    tamis_index_results_free(&r);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(bulk_build_matches_brute_force_random) {
    size_t n = 60000;
    model m = make_model(n);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 4 == 0) { /* near-duplicates of earlier codes */
            m.codes[i] = m.codes[rnd() % i];
            flip(&m.codes[i], (int)(rnd() % 30));
        } else {
            random_code(&m.codes[i]);
        }
    }
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    ASSERT_EQ(tamis_index_size(ix), n);
    check_many(ix, &m, 60, radii, NR);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(incremental_adds_and_merges_match_brute_force) {
    size_t n = 30000;
    model m = make_model(n);
    tamis_index *ix = new_index();
    size_t done = 0;
    while (done < n) { /* batches of 1..3000: buffer, flushes, merges */
        size_t k = done + 7 >= n ? n - done : 1 + rnd() % 3000;
        if (done + k > n - 7 && done + k < n)
            k = n - 7 - done; /* the last 7 stay in the buffer */
        if (k > n - done)
            k = n - done;
        for (size_t i = done; i < done + k; i++) {
            random_code(&m.codes[i]);
            if (i && rnd() % 3 == 0) {
                m.codes[i] = m.codes[rnd() % i];
                flip(&m.codes[i], (int)(rnd() % 35));
            }
        }
        ASSERT_OK(tamis_index_add(ix, m.codes + done, m.ids + done, k));
        done += k;
        ASSERT_EQ(tamis_index_size(ix), done);
    }
    ASSERT_GE(ix->nsegs, 1); /* the buffer became segments */
    ASSERT_GT(ix->nbuf, 0);  /* and some codes are still in the buffer */
    check_many(ix, &m, 40, radii, NR);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(all_equal_codes) {
    size_t n = 20000;
    model m = make_model(n);
    tamis_pdq c;
    random_code(&c);
    for (size_t i = 0; i < n; i++)
        m.codes[i] = c;
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    check_query(ix, &m, &c, 0);
    tamis_pdq q = c;
    flip(&q, 31);
    check_query(ix, &m, &q, 31);
    check_query(ix, &m, &q, 30);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(codes_differing_in_one_substring_only) {
    /* Codes equal outside one run of 24 bits: every substring but one
     * collides, the worst case for the pigeonhole. */
    size_t n = 20000;
    model m = make_model(n);
    tamis_pdq base;
    random_code(&base);
    for (size_t i = 0; i < n; i++) {
        m.codes[i] = base;
        uint32_t v = (uint32_t)rnd() & 0xffffff;
        m.codes[i].bytes[10] ^= (uint8_t)v;
        m.codes[i].bytes[11] ^= (uint8_t)(v >> 8);
        m.codes[i].bytes[12] ^= (uint8_t)(v >> 16);
    }
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    for (int k = 0; k < 10; k++) {
        tamis_pdq q = m.codes[rnd() % n];
        for (int r = 0; r < 4; r++) /* radius 0, 3, 6, 9 */
            check_query(ix, &m, &q, 3 * r);
        flip(&q, 20);
        check_query(ix, &m, &q, 31);
    }
    free_model(&m);
    tamis_index_free(ix);
}

TEST(removal_then_query) {
    size_t n = 25000;
    model m = make_model(n);
    for (size_t i = 0; i < n; i++) {
        random_code(&m.codes[i]);
        if (i && i % 2) {
            m.codes[i] = m.codes[i - 1];
            flip(&m.codes[i], (int)(rnd() % 20));
        }
    }
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, 20000));  /* a segment */
    ASSERT_OK(tamis_index_add(ix, m.codes + 20000, m.ids + 20000, 5000)); /* more */
    /* Remove a third, in two batches, with some ids not present. */
    uint64_t *rm = malloc(n * sizeof *rm);
    size_t nrm = 0, removed;
    for (size_t i = 0; i < n; i += 3)
        rm[nrm++] = m.ids[i], m.live[i] = 0;
    rm[nrm++] = 999999999; /* absent */
    ASSERT_OK(tamis_index_remove(ix, rm, nrm / 2, &removed));
    size_t first = removed;
    ASSERT_OK(tamis_index_remove(ix, rm + nrm / 2, nrm - nrm / 2, &removed));
    ASSERT_EQ(first + removed, nrm - 1);
    ASSERT_EQ(tamis_index_size(ix), n - (nrm - 1));
    check_many(ix, &m, 30, radii, NR);
    /* Removing again removes nothing. */
    ASSERT_OK(tamis_index_remove(ix, rm, nrm, &removed));
    ASSERT_EQ(removed, 0);
    /* Re-adding a removed id makes it match again. */
    ASSERT_OK(tamis_index_add(ix, &m.codes[0], &m.ids[0], 1));
    m.live[0] = 1;
    check_query(ix, &m, &m.codes[0], 0);
    free(rm);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(one_id_for_several_codes_removed_together) {
    tamis_pdq c[3];
    uint64_t ids[3] = {7, 7, 8};
    for (int i = 0; i < 3; i++)
        random_code(&c[i]);
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, c, ids, 3));
    size_t removed;
    ASSERT_OK(tamis_index_remove(ix, ids, 1, &removed));
    ASSERT_EQ(removed, 2);
    ASSERT_EQ(tamis_index_size(ix), 1);
    tamis_index_free(ix);
}

TEST(knn_returns_nearest_sorted) {
    size_t n = 10000;
    model m = make_model(n);
    for (size_t i = 0; i < n; i++)
        random_code(&m.codes[i]);
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    tamis_pdq q = m.codes[17];
    flip(&q, 5);
    tamis_index_match out[10];
    size_t got;
    ASSERT_OK(tamis_index_knn(ix, &q, 10, out, &got));
    ASSERT_EQ(got, 10);
    /* brute force: the 10th smallest distance */
    int *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = tamis_pdq_distance(&q, &m.codes[i]);
    for (size_t k = 0; k < got; k++) {
        ASSERT_EQ(d[out[k].id - 1000], out[k].distance);
        if (k)
            ASSERT_LE(out[k - 1].distance, out[k].distance);
        size_t closer = 0;
        for (size_t i = 0; i < n; i++)
            closer += d[i] < out[k].distance;
        ASSERT_LE(closer, k); /* nothing nearer was left out */
    }
    ASSERT_EQ(out[0].id, 1017);
    free(d);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(batch_equals_single_queries) {
    size_t n = 20000;
    model m = make_model(n);
    for (size_t i = 0; i < n; i++)
        random_code(&m.codes[i]);
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    enum { NQ = 300 };
    tamis_pdq q[NQ];
    for (int i = 0; i < NQ; i++) {
        q[i] = m.codes[rnd() % n];
        flip(&q[i], (int)(rnd() % 40));
    }
    tamis_index_results r;
    ASSERT_OK(tamis_index_search_batch(ix, q, NQ, 31, 3, &r));
    ASSERT_EQ(r.n_queries, NQ);
    for (int i = 0; i < NQ; i++) {
        hits h = {0};
        ASSERT_OK(tamis_index_search(ix, &q[i], 31, collect, &h));
        ASSERT_EQ(r.offsets[i + 1] - r.offsets[i], h.n);
        for (size_t k = r.offsets[i]; k + 1 < r.offsets[i + 1]; k++)
            ASSERT_LE(r.matches[k].distance, r.matches[k + 1].distance);
        free(h.ids);
        free(h.dist);
    }
    tamis_index_results_free(&r);
    free_model(&m);
    tamis_index_free(ix);
}

static int stop_at_first(void *ctx, uint64_t id, int d) {
    (void)id, (void)d;
    (*(int *)ctx)++;
    return 1;
}

TEST(callback_can_stop_search) {
    tamis_pdq c[50];
    uint64_t ids[50];
    random_code(&c[0]);
    for (int i = 0; i < 50; i++)
        c[i] = c[0], ids[i] = (uint64_t)i;
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, c, ids, 50));
    int calls = 0;
    ASSERT_EQ(tamis_index_search(ix, &c[0], 0, stop_at_first, &calls), TAMIS_DONE);
    ASSERT_EQ(calls, 1);
    tamis_index_free(ix);
}

TEST(bad_arguments) {
    tamis_index *ix = new_index();
    tamis_pdq q = {{0}};
    ASSERT_EQ(tamis_index_search(ix, &q, -1, collect, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_index_search(NULL, &q, 3, collect, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_index_add(ix, NULL, NULL, 5), TAMIS_ERR_INVALID);
    ASSERT_GT(strlen(tamis_index_errmsg(ix)), 0);
    tamis_index_free(NULL);
    tamis_index_free(ix);
}

TEST(memory_is_reported) {
    size_t n = 50000;
    model m = make_model(n);
    for (size_t i = 0; i < n; i++)
        random_code(&m.codes[i]);
    tamis_index *ix = new_index();
    size_t empty = tamis_index_memory(ix);
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    size_t full = tamis_index_memory(ix);
    ASSERT_GT(full, empty + n * 40); /* at least the codes and ids */
    ASSERT_LT(full, n * 200);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(duplicate_codes_keep_every_id_through_removal_and_save) {
    /* 3 distinct codes, one given 5000 ids (a flat image), mixed with
     * 10000 random codes. */
    size_t n = 15006;
    model m = make_model(n);
    tamis_pdq flat = {{0}}, two;
    random_code(&two);
    for (size_t i = 0; i < n; i++) {
        if (i < 5000)
            m.codes[i] = flat;
        else if (i < 5006)
            m.codes[i] = two;
        else
            random_code(&m.codes[i]);
    }
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    ASSERT_EQ(tamis_index_size(ix), n);
    ASSERT_LT(ix->segs[0]->n, n - 5000); /* stored once */
    check_query(ix, &m, &flat, 0);
    check_query(ix, &m, &two, 3);
    /* Remove some of the flat ids and one of `two`'s. */
    uint64_t rm[101];
    for (int k = 0; k < 100; k++) {
        rm[k] = m.ids[k * 7];
        m.live[k * 7] = 0;
    }
    rm[100] = m.ids[5003];
    m.live[5003] = 0;
    size_t removed;
    ASSERT_OK(tamis_index_remove(ix, rm, 101, &removed));
    ASSERT_EQ(removed, 101);
    check_query(ix, &m, &flat, 5);
    check_query(ix, &m, &two, 0);
    char p[4096], err[256];
    snprintf(p, sizeof p, "%s/dups.tamisidx", tmp_dir());
    ASSERT_OK(tamis_index_save(ix, p));
    tamis_index_free(ix);
    ASSERT_OK(tamis_index_load(p, &ix, err, sizeof err));
    ASSERT_EQ(tamis_index_size(ix), n - 101);
    check_query(ix, &m, &flat, 0);
    check_query(ix, &m, &two, 31);
    free_model(&m);
    tamis_index_free(ix);
}

TEST(biased_bits_are_permuted_and_still_exact) {
    /* The first 64 bits mostly zero (p = 0.1), as low-frequency PDQ bits
     * are biased: the segment deals bits out again (perm not identity). */
    size_t n = 40000;
    model m = make_model(n);
    for (size_t i = 0; i < n; i++) {
        random_code(&m.codes[i]);
        for (int b = 0; b < 64; b++)
            if (rnd() % 10)
                m.codes[i].bytes[b / 8] &= (uint8_t)~(1u << (b % 8));
        if (i && i % 5 == 0) {
            m.codes[i] = m.codes[rnd() % i];
            flip(&m.codes[i], (int)(rnd() % 25));
        }
    }
    tamis_index *ix = new_index();
    ASSERT_OK(tamis_index_add(ix, m.codes, m.ids, n));
    ASSERT(ix->segs[0]->fwd != NULL);
    check_many(ix, &m, 40, radii, NR);
    /* Merged with a buffer flush, and after save and load. */
    size_t removed;
    ASSERT_OK(tamis_index_remove(ix, &m.ids[3], 1, &removed));
    m.live[3] = 0;
    char p[4096], err[256];
    snprintf(p, sizeof p, "%s/biased.tamisidx", tmp_dir());
    ASSERT_OK(tamis_index_save(ix, p));
    tamis_index_free(ix);
    ASSERT_OK(tamis_index_load(p, &ix, err, sizeof err));
    check_many(ix, &m, 20, radii, NR);
    free_model(&m);
    tamis_index_free(ix);
}
