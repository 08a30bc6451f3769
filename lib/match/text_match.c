/*
 * text_match.c - the matcher's text and URL signals.
 *
 *   text_exact  SHA-256 of the normalised text: a digest index.
 *   text_near   MinHash signature: a tamis_text_index (LSH), a match when
 *               the estimated similarity is >= 0.4; the score says it.
 *   text_tlsh   TLSH digest: a scan of the bank's digests, a match at a
 *               distance <= 30 (python-threatexchange's rule).
 *   url         an expression or a domain: a tamis_url_index; a lookup
 *               takes a URL, canonicalises it and tries its expressions.
 *
 * The near and URL indexes cannot give their entries back, so the values
 * of those types (and the TLSH digests, which the scan needs anyway) are
 * also kept here as records: snapshots write them and rebuild the indexes
 * from them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/common.h"
#include "match.h"

typedef struct {
    int64_t id;
    uint8_t type; /* T_NEAR, T_TLSH, T_URL */
    char *value;
} trec;

enum { T_NEAR = 1, T_TLSH = 2, T_URL = 3 };

struct tamis__tmatch {
    tamis_digest_index *exact;
    tamis_text_index *near;
    tamis_url_index *url;
    trec *recs;
    size_t nrecs, cap;
    size_t count[4]; /* by type */
};

static int type_of(const char *t) {
    return strcmp(t, "text_near") == 0   ? T_NEAR
           : strcmp(t, "text_tlsh") == 0 ? T_TLSH
           : strcmp(t, "url") == 0       ? T_URL
                                         : 0;
}

tamis_status tamis__tmatch_create(tamis__tmatch **out) {
    tamis__tmatch *t = tamis__calloc(1, sizeof *t);
    if (!t)
        return TAMIS_ERR_NOMEM;
    tamis_status st = tamis_digest_index_create(32, &t->exact);
    if (st == TAMIS_OK)
        st = tamis_text_index_create(&t->near);
    if (st == TAMIS_OK)
        st = tamis_url_index_create(&t->url);
    if (st != TAMIS_OK) {
        tamis__tmatch_free(t);
        return st;
    }
    *out = t;
    return TAMIS_OK;
}

void tamis__tmatch_free(tamis__tmatch *t) {
    if (!t)
        return;
    tamis_digest_index_free(t->exact);
    tamis_text_index_free(t->near);
    tamis_url_index_free(t->url);
    for (size_t i = 0; i < t->nrecs; i++)
        tamis__free(t->recs[i].value);
    tamis__free(t->recs);
    tamis__free(t);
}

static tamis_status keep(tamis__tmatch *t, int64_t id, int type, const char *value) {
    if (t->nrecs == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        trec *p = tamis__realloc(t->recs, cap * sizeof *p);
        if (!p)
            return TAMIS_ERR_NOMEM;
        t->recs = p, t->cap = cap;
    }
    size_t n = strlen(value);
    char *v = tamis__malloc(n + 1);
    if (!v)
        return TAMIS_ERR_NOMEM;
    memcpy(v, value, n + 1);
    t->recs[t->nrecs++] = (trec){id, (uint8_t)type, v};
    t->count[type]++;
    return TAMIS_OK;
}

static int hex32(const char *s, uint8_t d[32]) {
    if (strlen(s) != 64)
        return 0;
    for (int i = 0; i < 32; i++) {
        int hi = tamis__hex_digit((unsigned char)s[2 * i]);
        int lo = tamis__hex_digit((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        d[i] = (uint8_t)(hi << 4 | lo);
    }
    return 1;
}

/* Malformed values are skipped: the store checks them, and a skipped
 * value must not stop the rest loading. */
tamis_status tamis__tmatch_add(tamis__tmatch *t, int64_t id, const char *type, const char *value) {
    if (strcmp(type, "text_exact") == 0) {
        uint8_t d[32];
        uint64_t uid = (uint64_t)id;
        if (!hex32(value, d))
            return TAMIS_OK;
        tamis_status st = tamis_digest_index_add(t->exact, d, &uid, 1);
        if (st == TAMIS_OK)
            t->count[0]++;
        return st;
    }
    int k = type_of(type);
    tamis_status st = TAMIS_OK;
    if (k == T_NEAR)
        st = tamis_text_index_add(t->near, (uint64_t)id, value, strlen(value));
    else if (k == T_TLSH) {
        int d;
        st = tamis_tlsh_distance(value, value, 0, &d);
    } else if (k == T_URL)
        st = tamis_url_index_add(t->url, value, strlen(value), TAMIS_URL_AUTO, (uint64_t)id);
    else
        return TAMIS_OK;
    if (st == TAMIS_ERR_NOMEM)
        return st;
    if (st != TAMIS_OK)
        return TAMIS_OK;
    return keep(t, id, k, value);
}

/* A set of ids for one pass over the records. */
typedef struct {
    uint64_t *v;
    size_t cap;
} idset;

static size_t mix(uint64_t x) {
    x *= 0x9e3779b97f4a7c15ull;
    return (size_t)(x ^ (x >> 29));
}

static int idset_has(const idset *s, uint64_t id) {
    for (size_t i = mix(id) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
        if (s->v[i] == id)
            return 1;
    return 0;
}

void tamis__tmatch_remove(tamis__tmatch *t, const uint64_t *ids, size_t n) {
    tamis_digest_index_remove(t->exact, ids, n, NULL);
    tamis_url_index_remove(t->url, ids, n, NULL);
    for (size_t i = 0; i < n; i++)
        tamis_text_index_remove(t->near, ids[i], NULL);
    if (t->nrecs == 0 || n == 0)
        return;
    idset s = {NULL, 16};
    while (s.cap < 2 * n)
        s.cap *= 2;
    s.v = tamis__calloc(s.cap, sizeof *s.v);
    size_t w = 0;
    for (size_t i = 0; i < n && s.v; i++) {
        size_t j = mix(ids[i]) & (s.cap - 1);
        while (s.v[j] && s.v[j] != ids[i])
            j = (j + 1) & (s.cap - 1);
        s.v[j] = ids[i];
    }
    for (size_t r = 0; r < t->nrecs; r++) {
        int gone = s.v ? idset_has(&s, (uint64_t)t->recs[r].id) : 0;
        if (!s.v) /* no memory for the set: one id at a time */
            for (size_t i = 0; i < n && !gone; i++)
                gone = (uint64_t)t->recs[r].id == ids[i];
        if (gone) {
            t->count[t->recs[r].type]--;
            tamis__free(t->recs[r].value);
        } else {
            t->recs[w++] = t->recs[r];
        }
    }
    t->nrecs = w;
    tamis__free(s.v);
}

size_t tamis__tmatch_count(const tamis__tmatch *t, const char *type) {
    if (strcmp(type, "text_exact") == 0)
        return tamis_digest_index_size(t->exact);
    int k = type_of(type);
    return k ? t->count[k] : 0;
}

int tamis__tmatch_handles(const char *type) {
    return strcmp(type, "text_exact") == 0 || type_of(type) != 0 || strcmp(type, "text") == 0;
}

/* ---- Lookups ------------------------------------------------------------- */

typedef struct {
    tamis__tmatch_cb cb;
    void *ctx;
    const char *type;
} relay;

static int on_exact(void *ctx, uint64_t id, int distance) {
    relay *r = ctx;
    return r->cb(r->ctx, r->type, (int64_t)id, distance, 1.0, NULL);
}

static int on_near(void *ctx, uint64_t id, double sim) {
    relay *r = ctx;
    return r->cb(r->ctx, r->type, (int64_t)id, 0, sim, NULL);
}

static int on_url(void *ctx, const tamis_url_match *m) {
    relay *r = ctx;
    char what[1024];
    snprintf(what, sizeof what, "%.*s", (int)(m->len < 1000 ? m->len : 1000), m->matched);
    return r->cb(r->ctx, r->type, (int64_t)m->id, 0, 1.0, what);
}

/* One URL parser per thread: lookups run on many. */
static pthread_key_t url_key;
static pthread_once_t url_once = PTHREAD_ONCE_INIT;
static void url_free(void *p) { tamis_url_free(p); }
static void url_init(void) { pthread_key_create(&url_key, url_free); }

static tamis_url *thread_url(void) {
    pthread_once(&url_once, url_init);
    tamis_url *u = pthread_getspecific(url_key);
    if (!u && tamis_url_create(&u) == TAMIS_OK && pthread_setspecific(url_key, u) != 0) {
        tamis_url_free(u);
        u = NULL;
    }
    return u;
}

static tamis_status lookup_one(const tamis__tmatch *t, const char *type, const char *value,
                               tamis__tmatch_cb cb, void *ctx) {
    relay r = {cb, ctx, type};
    tamis_status st;
    if (strcmp(type, "text_exact") == 0) {
        uint8_t d[32];
        if (!hex32(value, d))
            return TAMIS_ERR_INVALID;
        st = tamis_digest_index_lookup(t->exact, d, on_exact, &r);
    } else if (strcmp(type, "text_near") == 0) {
        st = tamis_text_index_lookup(t->near, value, strlen(value), TAMIS_TEXT_NEAR_THRESHOLD,
                                     on_near, &r);
    } else if (strcmp(type, "text_tlsh") == 0) {
        int d;
        if (tamis_tlsh_distance(value, value, 0, &d) != TAMIS_OK)
            return TAMIS_ERR_INVALID;
        st = TAMIS_OK;
        for (size_t i = 0; i < t->nrecs; i++)
            if (t->recs[i].type == T_TLSH &&
                tamis_tlsh_distance(value, t->recs[i].value, 0, &d) == TAMIS_OK &&
                d <= TAMIS_TLSH_MATCH_DISTANCE &&
                cb(ctx, type, t->recs[i].id, d, 0, NULL)) {
                st = TAMIS_DONE;
                break;
            }
    } else if (strcmp(type, "url") == 0) {
        tamis_url *u = thread_url();
        if (!u)
            return TAMIS_ERR_NOMEM;
        if (tamis_url_parse(u, value, strlen(value)) != TAMIS_OK)
            return TAMIS_ERR_INVALID;
        st = tamis_url_index_lookup(t->url, u, on_url, &r);
    } else {
        return TAMIS_ERR_UNSUPPORTED;
    }
    return st;
}

tamis_status tamis__tmatch_lookup(const tamis__tmatch *t, const char *type, const char *value,
                                  tamis__tmatch_cb cb, void *ctx) {
    if (strcmp(type, "text") != 0)
        return lookup_one(t, type, value, cb, ctx);
    /* Raw text: its three signals, each looked up. */
    tamis_text *h;
    tamis_status st = tamis_text_create(NULL, &h);
    if (st != TAMIS_OK)
        return st;
    tamis_text_hash th;
    st = tamis_text_hash_compute(h, value, strlen(value), &th);
    tamis_text_free(h);
    if (st != TAMIS_OK)
        return st == TAMIS_ERR_NOMEM ? st : TAMIS_ERR_INVALID;
    const char *types[3] = {"text_exact", "text_near", "text_tlsh"};
    const char *vals[3] = {th.exact, th.near, th.tlsh};
    for (int i = 0; i < 3 && st != TAMIS_DONE; i++) {
        if (!vals[i][0])
            continue;
        st = lookup_one(t, types[i], vals[i], cb, ctx);
        if (st != TAMIS_OK && st != TAMIS_DONE)
            return st;
    }
    return st;
}

/* ---- Snapshots: exact.tamisdx, and text.bin (the records) ---------------- */

tamis_status tamis__tmatch_save(const tamis__tmatch *t, const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/text_exact.tamisdx", dir);
    tamis_status st = tamis_digest_index_save(t->exact, p);
    if (st != TAMIS_OK)
        return st;
    snprintf(p, sizeof p, "%s/text.bin", dir);
    FILE *f = fopen(p, "wb");
    if (!f)
        return TAMIS_ERR_IO;
    uint64_t n = t->nrecs;
    fwrite(&n, sizeof n, 1, f);
    for (size_t i = 0; i < t->nrecs; i++) {
        uint32_t len = (uint32_t)strlen(t->recs[i].value);
        fwrite(&t->recs[i].id, sizeof t->recs[i].id, 1, f);
        fwrite(&t->recs[i].type, 1, 1, f);
        fwrite(&len, sizeof len, 1, f);
        fwrite(t->recs[i].value, 1, len, f);
    }
    /* on disk before the snapshot directory is renamed into place, as
     * state.bin and the indexes are */
    if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
        st = TAMIS_ERR_IO;
    if (fclose(f) != 0)
        st = TAMIS_ERR_IO;
    return st;
}

tamis_status tamis__tmatch_load(tamis__tmatch *t, const char *dir) {
    char p[4200], err[256];
    snprintf(p, sizeof p, "%s/text_exact.tamisdx", dir);
    tamis_digest_index *ex;
    if (tamis_digest_index_load(p, &ex, err, sizeof err) != TAMIS_OK)
        return TAMIS_ERR_CORRUPT;
    tamis_digest_index_free(t->exact);
    t->exact = ex;
    snprintf(p, sizeof p, "%s/text.bin", dir);
    FILE *f = fopen(p, "rb");
    if (!f)
        return TAMIS_ERR_CORRUPT;
    uint64_t n;
    tamis_status st = fread(&n, sizeof n, 1, f) == 1 && n < (1ull << 40) ? TAMIS_OK
                                                                         : TAMIS_ERR_CORRUPT;
    static const char *names[4] = {NULL, "text_near", "text_tlsh", "url"};
    char *buf = NULL;
    for (uint64_t i = 0; st == TAMIS_OK && i < n; i++) {
        int64_t id;
        uint8_t type;
        uint32_t len;
        if (fread(&id, sizeof id, 1, f) != 1 || fread(&type, 1, 1, f) != 1 ||
            fread(&len, sizeof len, 1, f) != 1 || type < T_NEAR || type > T_URL ||
            len > (1u << 20)) {
            st = TAMIS_ERR_CORRUPT;
            break;
        }
        char *nb = tamis__realloc(buf, (size_t)len + 1);
        if (!nb) {
            st = TAMIS_ERR_NOMEM;
            break;
        }
        buf = nb;
        if (fread(buf, 1, len, f) != len) {
            st = TAMIS_ERR_CORRUPT;
            break;
        }
        buf[len] = '\0';
        st = tamis__tmatch_add(t, id, names[type], buf);
    }
    tamis__free(buf);
    fclose(f);
    return st;
}
