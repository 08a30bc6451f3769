/*
 * url_index.c - bank entries of URLs (expressions and domains) to ids, and
 * the lookup that expands a URL and finds every entry it matches.
 *
 * Two open-addressing hash tables with linear probing:
 *   - hosts: every host named by an entry (the host of an expression, or a
 *     domain), with the ids of the domain entries for it and a count of
 *     the expression entries under it;
 *   - expressions: (host, path) pairs, keyed by the host's record number
 *     and the path string, with their ids.
 * A lookup hashes the URL's host suffixes first and prefetches their
 * slots together; only a host found there costs the probes of its paths,
 * so a URL whose host no entry names (the common case) costs one cache
 * miss per suffix, overlapped, whatever the size of the bank. A slot is
 * 8 bytes (32 bits of the hash and a record number), so a miss reads one
 * cache line; strings are compared only when those 32 bits agree.
 */
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "url_index.h"

#define NONE 0u /* record and entry numbers start at 1 */

typedef struct slot {
    uint32_t tag; /* the hash's top 32 bits */
    uint32_t rec; /* NONE: empty */
} slot;

typedef struct table {
    slot *slots;
    size_t cap, used; /* cap a power of two */
} table;

typedef struct hrec {
    uint64_t hash;
    uint64_t off;      /* of the string in the arena */
    uint32_t len;
    uint32_t dom_head; /* entries of DOMAIN kind */
    uint32_t n_expr;   /* live EXPRESSION entries with this host */
    uint32_t pad;
} hrec;

typedef struct erec {
    uint64_t hash;
    uint64_t off; /* of the path (with "?query") in the arena */
    uint32_t len;
    uint32_t host;
    uint32_t head;
    uint32_t pad;
} erec;

typedef struct ent {
    uint64_t id;
    uint32_t next;
    uint32_t pad;
} ent;

struct tamis_url_index {
    tamis__err err;
    tamis_url *url; /* scratch for adds */
    table ht, et;
    hrec *hosts;
    erec *exprs;
    ent *ents;
    size_t n_hosts, cap_hosts; /* records in use, counting the unused 0 */
    size_t n_exprs, cap_exprs;
    size_t n_ents, cap_ents, free_ent, live;
    char *arena;
    size_t arena_len, arena_cap;
};

/* A 64-bit string hash: 8 bytes at a time through a 128-bit multiply
 * (the folded multiply of wyhash), then a final mix. Not keyed: lookups
 * cannot add to the tables, and bank entries come from curated lists. */
static inline uint64_t fold(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t tamis__url_hash(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 0x243f6a8885a308d3ull ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = fold(h ^ v, 0xa0761d6478bd642full);
        p += 8, n -= 8;
    }
    uint64_t v = 0;
    if (n)
        memcpy(&v, p, n);
    h = fold(h ^ v ^ 0x1, 0xe7037ed1a0b428dbull);
    return fold(h, 0x8ebc6af09c88c6e3ull);
}

static inline uint64_t expr_hash(uint32_t host, uint64_t path_hash) {
    return fold(path_hash ^ host, 0x589965cc75374cc3ull);
}

/* Slots are read at random: huge pages spare a TLB miss per probe, once
 * a table is large enough to fill one (a small bank keeps to malloc). */
#define HUGE_MIN ((size_t)2 << 20)

static void slots_free(slot *p, size_t cap) {
    if (cap * sizeof *p >= HUGE_MIN)
        tamis__huge_free(p, cap * sizeof *p);
    else
        tamis__free(p);
}

static tamis_status table_init(table *t, size_t cap) {
    t->slots = cap * sizeof *t->slots >= HUGE_MIN ? tamis__huge_alloc(cap * sizeof *t->slots)
                                                  : tamis__calloc(cap, sizeof *t->slots);
    if (!t->slots)
        return TAMIS_ERR_NOMEM;
    t->cap = cap;
    t->used = 0;
    return TAMIS_OK;
}

static void table_put(table *t, uint64_t hash, uint32_t rec) {
    size_t mask = t->cap - 1, i = (size_t)hash & mask;
    while (t->slots[i].rec != NONE)
        i = (i + 1) & mask;
    t->slots[i].tag = (uint32_t)(hash >> 32);
    t->slots[i].rec = rec;
    t->used++;
}

/* Grows a table to keep its load under 0.6 (short probes on a miss). */
static tamis_status table_reserve(table *t, size_t more, const void *recs, size_t rec_size,
                                  size_t n_recs) {
    if ((t->used + more) * 10 <= t->cap * 6)
        return TAMIS_OK;
    size_t cap = t->cap;
    while ((t->used + more) * 10 > cap * 6)
        cap *= 2;
    table nt;
    if (table_init(&nt, cap) != TAMIS_OK)
        return TAMIS_ERR_NOMEM;
    /* Every record is in the table once, and the hash leads each record. */
    for (size_t r = 1; r < n_recs; r++) {
        uint64_t h;
        memcpy(&h, (const char *)recs + r * rec_size, sizeof h);
        table_put(&nt, h, (uint32_t)r);
    }
    slots_free(t->slots, t->cap);
    *t = nt;
    return TAMIS_OK;
}

static tamis_status grow(void **arr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return TAMIS_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    if (c > UINT32_MAX)
        return TAMIS_ERR_TOO_LARGE;
    size_t bytes;
    if (!tamis__mul_size(c, size, &bytes))
        return TAMIS_ERR_TOO_LARGE;
    void *p = tamis__realloc(*arr, bytes);
    if (!p)
        return TAMIS_ERR_NOMEM;
    *arr = p;
    *cap = c;
    return TAMIS_OK;
}

tamis_status tamis_url_index_create(tamis_url_index **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    tamis_url_index *ix = tamis__calloc(1, sizeof *ix);
    if (!ix)
        return TAMIS_ERR_NOMEM;
    ix->n_hosts = ix->n_exprs = ix->n_ents = 1;
    if (tamis_url_create(&ix->url) != TAMIS_OK || table_init(&ix->ht, 64) != TAMIS_OK ||
        table_init(&ix->et, 64) != TAMIS_OK ||
        grow((void **)&ix->hosts, &ix->cap_hosts, 1, sizeof(hrec)) != TAMIS_OK ||
        grow((void **)&ix->exprs, &ix->cap_exprs, 1, sizeof(erec)) != TAMIS_OK ||
        grow((void **)&ix->ents, &ix->cap_ents, 1, sizeof(ent)) != TAMIS_OK) {
        tamis_url_index_free(ix);
        return TAMIS_ERR_NOMEM;
    }
    *out = ix;
    return TAMIS_OK;
}

void tamis_url_index_free(tamis_url_index *ix) {
    if (!ix)
        return;
    tamis_url_free(ix->url);
    slots_free(ix->ht.slots, ix->ht.cap);
    slots_free(ix->et.slots, ix->et.cap);
    tamis__free(ix->hosts);
    tamis__free(ix->exprs);
    tamis__free(ix->ents);
    tamis__free(ix->arena);
    tamis__free(ix);
}

const char *tamis_url_index_errmsg(const tamis_url_index *ix) {
    return ix ? ix->err.msg : "no index";
}

static uint32_t find_host(const tamis_url_index *ix, const char *s, size_t n, uint64_t h) {
    size_t mask = ix->ht.cap - 1, i = (size_t)h & mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (; ix->ht.slots[i].rec != NONE; i = (i + 1) & mask) {
        if (ix->ht.slots[i].tag != tag)
            continue;
        const hrec *r = &ix->hosts[ix->ht.slots[i].rec];
        if (r->len == n && memcmp(ix->arena + r->off, s, n) == 0)
            return ix->ht.slots[i].rec;
    }
    return NONE;
}

static uint32_t find_expr(const tamis_url_index *ix, uint32_t host, const char *s, size_t n,
                          uint64_t h) {
    size_t mask = ix->et.cap - 1, i = (size_t)h & mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (; ix->et.slots[i].rec != NONE; i = (i + 1) & mask) {
        if (ix->et.slots[i].tag != tag)
            continue;
        const erec *r = &ix->exprs[ix->et.slots[i].rec];
        if (r->host == host && r->len == n && memcmp(ix->arena + r->off, s, n) == 0)
            return ix->et.slots[i].rec;
    }
    return NONE;
}

static tamis_status arena_add(tamis_url_index *ix, const char *s, size_t n, uint64_t *off) {
    if (ix->arena_len + n > ix->arena_cap) {
        size_t c = ix->arena_cap ? ix->arena_cap : 4096;
        while (c < ix->arena_len + n)
            c *= 2;
        char *p = tamis__realloc(ix->arena, c);
        if (!p)
            return TAMIS_ERR_NOMEM;
        ix->arena = p;
        ix->arena_cap = c;
    }
    memcpy(ix->arena + ix->arena_len, s, n);
    *off = ix->arena_len;
    ix->arena_len += n;
    return TAMIS_OK;
}

static tamis_status host_get(tamis_url_index *ix, const char *s, size_t n, uint32_t *out) {
    uint64_t h = tamis__url_hash(s, n);
    uint32_t r = find_host(ix, s, n, h);
    if (r == NONE) {
        tamis_status st;
        if ((st = grow((void **)&ix->hosts, &ix->cap_hosts, ix->n_hosts + 1, sizeof(hrec))) ||
            (st = table_reserve(&ix->ht, 1, ix->hosts, sizeof(hrec), ix->n_hosts)))
            return st;
        hrec rec = {h, 0, (uint32_t)n, NONE, 0, 0};
        if ((st = arena_add(ix, s, n, &rec.off)))
            return st;
        r = (uint32_t)ix->n_hosts++;
        ix->hosts[r] = rec;
        table_put(&ix->ht, h, r);
    }
    *out = r;
    return TAMIS_OK;
}

static tamis_status expr_get(tamis_url_index *ix, uint32_t host, const char *s, size_t n,
                             uint32_t *out) {
    uint64_t h = expr_hash(host, tamis__url_hash(s, n));
    uint32_t r = find_expr(ix, host, s, n, h);
    if (r == NONE) {
        tamis_status st;
        if ((st = grow((void **)&ix->exprs, &ix->cap_exprs, ix->n_exprs + 1, sizeof(erec))) ||
            (st = table_reserve(&ix->et, 1, ix->exprs, sizeof(erec), ix->n_exprs)))
            return st;
        erec rec = {h, 0, (uint32_t)n, host, NONE, 0};
        if ((st = arena_add(ix, s, n, &rec.off)))
            return st;
        r = (uint32_t)ix->n_exprs++;
        ix->exprs[r] = rec;
        table_put(&ix->et, h, r);
    }
    *out = r;
    return TAMIS_OK;
}

/* Adds id to the list at *head unless it is there; *added says which. */
static tamis_status list_add(tamis_url_index *ix, uint32_t *head, uint64_t id, int *added) {
    *added = 0;
    for (uint32_t e = *head; e != NONE; e = ix->ents[e].next)
        if (ix->ents[e].id == id)
            return TAMIS_OK;
    uint32_t e = (uint32_t)ix->free_ent;
    if (e != NONE) {
        ix->free_ent = ix->ents[e].next;
    } else {
        tamis_status st = grow((void **)&ix->ents, &ix->cap_ents, ix->n_ents + 1, sizeof(ent));
        if (st)
            return st;
        e = (uint32_t)ix->n_ents++;
    }
    ix->ents[e].id = id;
    ix->ents[e].next = *head;
    *head = e;
    ix->live++;
    *added = 1;
    return TAMIS_OK;
}

/* The tables' failures carry no message of their own: this gives one. */
static tamis_status table_fail(tamis_url_index *ix, tamis_status st) {
    if (st == TAMIS_ERR_NOMEM)
        return tamis__fail(&ix->err, st, "out of memory");
    if (st == TAMIS_ERR_TOO_LARGE)
        return tamis__fail(&ix->err, st, "too many URL entries");
    return st;
}

tamis_status tamis_url_index_add(tamis_url_index *ix, const char *entry, size_t len,
                                 tamis_url_kind kind, uint64_t id) {
    if (!ix)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    if (!entry && len)
        return tamis__fail(&ix->err, TAMIS_ERR_INVALID, "entry is NULL");
    if (kind == TAMIS_URL_AUTO)
        kind = memchr(entry, '/', len) || memchr(entry, '?', len) ? TAMIS_URL_EXPRESSION
                                                                  : TAMIS_URL_DOMAIN;
    if (kind != TAMIS_URL_EXPRESSION && kind != TAMIS_URL_DOMAIN)
        return tamis__fail(&ix->err, TAMIS_ERR_INVALID, "unknown URL entry kind %d", (int)kind);
    tamis_url *u = ix->url;
    tamis_status st = tamis_url_parse(u, entry, len);
    if (st != TAMIS_OK)
        return tamis__fail(&ix->err, st, "%s", u->err.msg);
    const char *host = u->buf + u->host_off, *path = u->buf + u->path_off;
    size_t plen = u->len - u->path_off;
    if (u->has_query && plen == u->path_len + 1)
        plen--; /* "a.com/x?" is "a.com/x": an empty query makes no expression */
    uint32_t h;
    int added;
    if (kind == TAMIS_URL_DOMAIN) {
        if (plen != 1)
            return tamis__fail(&ix->err, TAMIS_ERR_INVALID,
                               "a domain entry has no path or query: \"%.*s\"",
                               (int)(len < 200 ? len : 200), entry);
        if ((st = host_get(ix, host, u->host_len, &h)))
            return table_fail(ix, st);
        return table_fail(ix, list_add(ix, &ix->hosts[h].dom_head, id, &added));
    }
    uint32_t e;
    if ((st = host_get(ix, host, u->host_len, &h)) || (st = expr_get(ix, h, path, plen, &e)))
        return table_fail(ix, st);
    if ((st = list_add(ix, &ix->exprs[e].head, id, &added)))
        return table_fail(ix, st);
    ix->hosts[h].n_expr += (uint32_t)added;
    return TAMIS_OK;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int in_sorted(const uint64_t *s, size_t n, uint64_t v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && s[lo] == v;
}

/* Unlinks the entries of a list whose ids are in `ids`; returns how many. */
static size_t list_remove(tamis_url_index *ix, uint32_t *head, const uint64_t *ids, size_t n) {
    size_t count = 0;
    uint32_t *link = head;
    while (*link != NONE) {
        uint32_t e = *link;
        if (in_sorted(ids, n, ix->ents[e].id)) {
            *link = ix->ents[e].next;
            ix->ents[e].next = (uint32_t)ix->free_ent;
            ix->free_ent = e;
            count++;
        } else {
            link = &ix->ents[e].next;
        }
    }
    return count;
}

tamis_status tamis_url_index_remove(tamis_url_index *ix, const uint64_t *ids, size_t n,
                                    size_t *removed) {
    if (removed)
        *removed = 0;
    if (!ix || (n && !ids))
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    if (n == 0)
        return TAMIS_OK;
    /* Records stay when their lists empty (a later add reuses them); a
     * host with neither domains nor expressions left only costs a probe. */
    uint64_t *sorted = tamis__malloc(n * sizeof *sorted);
    if (!sorted)
        return table_fail(ix, TAMIS_ERR_NOMEM);
    memcpy(sorted, ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_u64);
    size_t count = 0;
    for (size_t r = 1; r < ix->n_hosts; r++)
        count += list_remove(ix, &ix->hosts[r].dom_head, sorted, n);
    for (size_t r = 1; r < ix->n_exprs; r++) {
        size_t k = list_remove(ix, &ix->exprs[r].head, sorted, n);
        ix->hosts[ix->exprs[r].host].n_expr -= (uint32_t)k;
        count += k;
    }
    tamis__free(sorted);
    ix->live -= count;
    if (removed)
        *removed = count;
    return TAMIS_OK;
}

size_t tamis_url_index_size(const tamis_url_index *ix) { return ix ? ix->live : 0; }

size_t tamis_url_index_memory(const tamis_url_index *ix) {
    if (!ix)
        return 0;
    return sizeof *ix + (ix->ht.cap + ix->et.cap) * sizeof(slot) +
           ix->cap_hosts * sizeof(hrec) + ix->cap_exprs * sizeof(erec) +
           ix->cap_ents * sizeof(ent) + ix->arena_cap;
}

static int report(const tamis_url_index *ix, uint32_t head, tamis_url_kind kind, const char *s,
                  size_t n, tamis_url_match_cb cb, void *ctx) {
    for (uint32_t e = head; e != NONE; e = ix->ents[e].next) {
        tamis_url_match m = {ix->ents[e].id, kind, s, n};
        if (cb(ctx, &m))
            return 1;
    }
    return 0;
}

tamis_status tamis_url_index_lookup(const tamis_url_index *ix, const tamis_url *u,
                                    tamis_url_match_cb cb, void *ctx) {
    if (!ix || !u || !cb || !u->ok)
        return TAMIS_ERR_INVALID;
    const char *host = u->buf + u->host_off, *path = u->buf + u->path_off;
    size_t hl = u->host_len;

    /* Every suffix of the host at a label boundary (for domains at any
     * depth); an IP address only whole. Hash them all and prefetch their
     * slots before probing any, so that the cache misses overlap. */
    enum { MAXS = TAMIS__URL_HOST_MAX / 2 + 1 };
    uint16_t start[MAXS];
    uint64_t hh[MAXS];
    size_t ns = 0;
    start[ns++] = 0;
    if (!u->is_ip)
        for (size_t i = 0; i < hl && ns < MAXS; i++)
            if (host[i] == '.')
                start[ns++] = (uint16_t)(i + 1);
    size_t hmask = ix->ht.cap - 1;
    for (size_t k = 0; k < ns; k++) {
        hh[k] = tamis__url_hash(host + start[k], hl - start[k]);
        __builtin_prefetch(&ix->ht.slots[hh[k] & hmask]);
    }

    uint64_t ph[TAMIS_URL_MAX_PATHS];
    int have_ph = 0;
    size_t emask = ix->et.cap - 1;
    for (size_t k = 0; k < ns; k++) {
        uint32_t r = find_host(ix, host + start[k], hl - start[k], hh[k]);
        if (r == NONE)
            continue;
        const hrec *hr = &ix->hosts[r];
        if (hr->dom_head != NONE &&
            report(ix, hr->dom_head, TAMIS_URL_DOMAIN, host + start[k], hl - start[k], cb, ctx))
            return TAMIS_DONE;
        if (hr->n_expr == 0)
            continue;
        int eligible = 0;
        for (int j = 0; j < u->n_hosts; j++)
            eligible |= u->host_start[j] == start[k];
        if (!eligible)
            continue;
        if (!have_ph) {
            for (int p = 0; p < u->n_paths; p++)
                ph[p] = tamis__url_hash(path, u->path_end[p]);
            have_ph = 1;
        }
        uint64_t eh[TAMIS_URL_MAX_PATHS];
        for (int p = 0; p < u->n_paths; p++) {
            eh[p] = expr_hash(r, ph[p]);
            __builtin_prefetch(&ix->et.slots[eh[p] & emask]);
        }
        for (int p = 0; p < u->n_paths; p++) {
            uint32_t e = find_expr(ix, r, path, u->path_end[p], eh[p]);
            if (e != NONE && ix->exprs[e].head != NONE &&
                report(ix, ix->exprs[e].head, TAMIS_URL_EXPRESSION, host + start[k],
                       (size_t)(path - host) - start[k] + u->path_end[p], cb, ctx))
                return TAMIS_DONE;
        }
    }
    return TAMIS_OK;
}

/* ---- for rpz.c ----------------------------------------------------------- */

static int keep_any(const tamis_url_index *ix, uint32_t head, tamis_url_filter_cb filter,
                    void *ctx) {
    for (uint32_t e = head; e != NONE; e = ix->ents[e].next)
        if (!filter || filter(ctx, ix->ents[e].id))
            return 1;
    return 0;
}

tamis_status tamis__url_index_domains(const tamis_url_index *ix, tamis_url_filter_cb filter,
                                      void *ctx, tamis__url_domain **out, size_t *n) {
    *out = NULL;
    *n = 0;
    size_t count = 0;
    for (size_t r = 1; r < ix->n_hosts; r++)
        count += keep_any(ix, ix->hosts[r].dom_head, filter, ctx);
    tamis__url_domain *d = tamis__malloc((count ? count : 1) * sizeof *d);
    if (!d)
        return TAMIS_ERR_NOMEM;
    size_t k = 0;
    for (size_t r = 1; r < ix->n_hosts && k < count; r++)
        if (keep_any(ix, ix->hosts[r].dom_head, filter, ctx)) {
            d[k].name = ix->arena + ix->hosts[r].off;
            d[k].len = ix->hosts[r].len;
            k++;
        }
    *out = d;
    *n = k;
    return TAMIS_OK;
}

int tamis__url_index_has_domain(const tamis_url_index *ix, const char *name, size_t len,
                                tamis_url_filter_cb filter, void *ctx) {
    uint32_t r = find_host(ix, name, len, tamis__url_hash(name, len));
    return r != NONE && keep_any(ix, ix->hosts[r].dom_head, filter, ctx);
}
