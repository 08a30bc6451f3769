/*
 * video_match.c - the matcher's video signals: vPDQ and TMK+PDQF.
 *
 * vPDQ: the distinct frame hashes of quality >= 50 of every bank video go
 * into one PDQ index, each under (content id << 20 | frame number), so a
 * lookup searches each distinct query frame once and then counts, per
 * bank video, the query frames that found one of its frames and its
 * frames found: the two shares of the reference's rule (query share >= 80
 * %, target share >= 0 %, 31 bits). Each video's count of distinct frames
 * is kept for the target share.
 *
 * TMK: the bank's videos in a list, compared with the query at level 1
 * (one dot product of the 256 averages) and, past it, at level 2 — a
 * scan: banks hold few TMK videos, and level 1 is cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/common.h"
#include "match.h"

#define FRAME_BITS 20 /* up to 1M distinct frames a video */
#define VPDQ_MIN_QUALITY 50

typedef struct {
    int64_t id;
    uint32_t frames; /* distinct frames indexed */
} vcount;

typedef struct {
    int64_t id;
    tamis_tmk *t;
} tmk_item;

struct tamis__vmatch {
    tamis_index *vpdq;
    vcount *counts; /* open addressing, id 0 empty, -1 removed */
    size_t counts_cap, counts_used, videos;
    tmk_item *tmk;
    size_t ntmk, tmk_cap;
};

static size_t mix(int64_t x) {
    uint64_t h = (uint64_t)x * 0x9e3779b97f4a7c15ull;
    return (size_t)(h ^ (h >> 29));
}

static vcount *count_find(const tamis__vmatch *v, int64_t id) {
    if (!v->counts_cap)
        return NULL;
    for (size_t i = mix(id) & (v->counts_cap - 1);; i = (i + 1) & (v->counts_cap - 1)) {
        if (v->counts[i].id == id)
            return &v->counts[i];
        if (v->counts[i].id == 0)
            return NULL;
    }
}

static tamis_status count_put(tamis__vmatch *v, int64_t id, uint32_t frames) {
    vcount *e = count_find(v, id);
    if (e) {
        e->frames = frames;
        return TAMIS_OK;
    }
    if ((v->counts_used + 1) * 10 > v->counts_cap * 7) {
        size_t cap = v->counts_cap ? 2 * v->counts_cap : 256;
        while (v->videos * 2 >= cap)
            cap *= 2;
        vcount *old = v->counts;
        size_t oldcap = v->counts_cap;
        v->counts = tamis__calloc(cap, sizeof *v->counts);
        if (!v->counts) {
            v->counts = old;
            return TAMIS_ERR_NOMEM;
        }
        v->counts_cap = cap;
        v->counts_used = v->videos = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].id > 0)
                count_put(v, old[i].id, old[i].frames);
        tamis__free(old);
    }
    size_t i = mix(id) & (v->counts_cap - 1);
    while (v->counts[i].id > 0)
        i = (i + 1) & (v->counts_cap - 1);
    if (v->counts[i].id == 0)
        v->counts_used++;
    v->counts[i] = (vcount){id, frames};
    v->videos++;
    return TAMIS_OK;
}

tamis_status tamis__vmatch_create(tamis__vmatch **out) {
    tamis__vmatch *v = tamis__calloc(1, sizeof *v);
    if (!v)
        return TAMIS_ERR_NOMEM;
    tamis_status st = tamis_index_create(&v->vpdq);
    if (st != TAMIS_OK) {
        tamis__free(v);
        return st;
    }
    *out = v;
    return TAMIS_OK;
}

void tamis__vmatch_free(tamis__vmatch *v) {
    if (!v)
        return;
    tamis_index_free(v->vpdq);
    tamis__free(v->counts);
    for (size_t i = 0; i < v->ntmk; i++)
        tamis_tmk_free(v->tmk[i].t);
    tamis__free(v->tmk);
    tamis__free(v);
}

static int cmp_pdq(const void *a, const void *b) { return memcmp(a, b, sizeof(tamis_pdq)); }

/* The distinct hashes of quality >= 50 of a vPDQ signal, sorted; *n them.
 * NULL with *n = 0 when none (or the value is not a vPDQ signal). */
static tamis_pdq *distinct_frames(const char *value, size_t *n, tamis_status *st) {
    *n = 0;
    *st = TAMIS_OK;
    tamis_vpdq *q;
    if ((*st = tamis_vpdq_create(&q)) != TAMIS_OK)
        return NULL;
    if (tamis_vpdq_from_signal(q, value) != TAMIS_OK) {
        tamis_vpdq_free(q);
        *st = TAMIS_ERR_INVALID;
        return NULL;
    }
    size_t total = tamis_vpdq_count(q);
    const tamis_vpdq_frame *f = tamis_vpdq_frames(q);
    tamis_pdq *h = tamis__malloc((total ? total : 1) * sizeof *h);
    if (!h) {
        tamis_vpdq_free(q);
        *st = TAMIS_ERR_NOMEM;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < total; i++)
        if (f[i].quality >= VPDQ_MIN_QUALITY)
            h[k++] = f[i].pdq;
    tamis_vpdq_free(q);
    if (k)
        qsort(h, k, sizeof *h, cmp_pdq);
    size_t d = 0;
    for (size_t i = 0; i < k; i++)
        if (d == 0 || memcmp(&h[d - 1], &h[i], sizeof *h) != 0)
            h[d++] = h[i];
    *n = d;
    return h;
}

static tamis_tmk *tmk_decode(const char *b64, tamis_status *st) {
    tamis_tmk *t;
    *st = tamis_tmk_read_base64(b64, &t, NULL, 0);
    return *st == TAMIS_OK ? t : NULL;
}

tamis_status tamis__vmatch_add(tamis__vmatch *v, int64_t id, const char *type,
                               const char *value) {
    tamis_status st;
    if (strcmp(type, "vpdq") == 0) {
        size_t n;
        tamis_pdq *h = distinct_frames(value, &n, &st);
        if (st == TAMIS_ERR_INVALID)
            return TAMIS_OK; /* the store checks values; skip anything odd */
        if (st != TAMIS_OK)
            return st;
        vcount *c = count_find(v, id);
        uint32_t have = c ? c->frames : 0;
        if (have + n > (1u << FRAME_BITS))
            n = (1u << FRAME_BITS) - have;
        uint64_t *ids = tamis__malloc((n ? n : 1) * sizeof *ids);
        if (!ids) {
            tamis__free(h);
            return TAMIS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++)
            ids[i] = (uint64_t)id << FRAME_BITS | (have + i);
        st = n ? tamis_index_add(v->vpdq, h, ids, n) : TAMIS_OK;
        if (st == TAMIS_OK)
            st = count_put(v, id, have + (uint32_t)n);
        tamis__free(ids);
        tamis__free(h);
        return st;
    }
    if (strcmp(type, "tmk") == 0) {
        tamis_tmk *t = tmk_decode(value, &st);
        if (st != TAMIS_OK) /* the store checks values; skip anything odd */
            return st == TAMIS_ERR_NOMEM ? st : TAMIS_OK;
        if (v->ntmk == v->tmk_cap) {
            size_t cap = v->tmk_cap ? 2 * v->tmk_cap : 16;
            tmk_item *p = tamis__realloc(v->tmk, cap * sizeof *p);
            if (!p) {
                tamis_tmk_free(t);
                return TAMIS_ERR_NOMEM;
            }
            v->tmk = p, v->tmk_cap = cap;
        }
        v->tmk[v->ntmk++] = (tmk_item){id, t};
        return TAMIS_OK;
    }
    return TAMIS_OK;
}

void tamis__vmatch_remove(tamis__vmatch *v, const uint64_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) {
        vcount *c = count_find(v, (int64_t)ids[i]);
        if (c) {
            uint64_t *fids = tamis__malloc((c->frames ? c->frames : 1) * sizeof *fids);
            for (uint32_t k = 0; fids && k < c->frames; k++)
                fids[k] = ids[i] << FRAME_BITS | k;
            if (fids)
                tamis_index_remove(v->vpdq, fids, c->frames, NULL);
            tamis__free(fids);
            c->id = -1;
            v->videos--;
        }
        for (size_t k = 0; k < v->ntmk; k++)
            if (v->tmk[k].id == (int64_t)ids[i]) {
                tamis_tmk_free(v->tmk[k].t);
                v->tmk[k--] = v->tmk[--v->ntmk];
            }
    }
}

size_t tamis__vmatch_count(const tamis__vmatch *v, const char *type) {
    if (strcmp(type, "vpdq") == 0)
        return v->videos;
    if (strcmp(type, "tmk") == 0)
        return v->ntmk;
    return 0;
}

/* ---- vPDQ lookups ------------------------------------------------------- */

typedef struct {
    uint64_t uid; /* target (id << 20 | frame) */
    uint32_t q;   /* query frame */
} vhit;

typedef struct {
    vhit *h;
    size_t n, cap;
    uint32_t q;
    int oom;
} hits;

static int on_frame(void *ctx, uint64_t uid, int distance) {
    (void)distance;
    hits *hs = ctx;
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? 2 * hs->cap : 1024;
        vhit *p = tamis__realloc(hs->h, cap * sizeof *p);
        if (!p) {
            hs->oom = 1;
            return 1;
        }
        hs->h = p, hs->cap = cap;
    }
    hs->h[hs->n++] = (vhit){uid, hs->q};
    return 0;
}

static int cmp_hit(const void *a, const void *b) {
    const vhit *x = a, *y = b;
    uint64_t ix = x->uid >> FRAME_BITS, iy = y->uid >> FRAME_BITS;
    if (ix != iy)
        return ix < iy ? -1 : 1;
    return x->q < y->q ? -1 : x->q > y->q;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

tamis_status tamis__vmatch_lookup_vpdq(const tamis__vmatch *v, const char *value, int distance,
                                       double query_share, double target_share,
                                       tamis__vmatch_cb cb, void *ctx) {
    tamis_status st;
    size_t nq;
    tamis_pdq *q = distinct_frames(value, &nq, &st);
    if (st != TAMIS_OK)
        return st;
    hits hs = {NULL, 0, 0, 0, 0};
    for (size_t i = 0; i < nq && !hs.oom; i++) {
        hs.q = (uint32_t)i;
        st = tamis_index_search(v->vpdq, &q[i], distance, on_frame, &hs);
        if (st != TAMIS_OK && st != TAMIS_DONE)
            break;
        st = TAMIS_OK;
    }
    tamis__free(q);
    if (hs.oom)
        st = TAMIS_ERR_NOMEM;
    if (st != TAMIS_OK || nq == 0) {
        tamis__free(hs.h);
        return st;
    }
    /* Per video: distinct query frames (sorted within the run), distinct
     * target frames (sorted in a scratch copy). */
    if (hs.n)
        qsort(hs.h, hs.n, sizeof *hs.h, cmp_hit);
    uint32_t *tf = tamis__malloc((hs.n ? hs.n : 1) * sizeof *tf);
    if (!tf) {
        tamis__free(hs.h);
        return TAMIS_ERR_NOMEM;
    }
    int stop = 0;
    for (size_t a = 0; a < hs.n && !stop;) {
        int64_t id = (int64_t)(hs.h[a].uid >> FRAME_BITS);
        size_t b = a, qm = 0, k = 0;
        for (; b < hs.n && (int64_t)(hs.h[b].uid >> FRAME_BITS) == id; b++) {
            if (b == a || hs.h[b].q != hs.h[b - 1].q)
                qm++;
            tf[k++] = (uint32_t)(hs.h[b].uid & ((1u << FRAME_BITS) - 1));
        }
        qsort(tf, k, sizeof *tf, cmp_u32);
        size_t tm = 0;
        for (size_t i = 0; i < k; i++)
            if (i == 0 || tf[i] != tf[i - 1])
                tm++;
        const vcount *c = count_find(v, id);
        double qs = 100.0 * (double)qm / (double)nq;
        double ts = c && c->frames ? 100.0 * (double)tm / (double)c->frames : 0;
        if (qs >= query_share && ts >= target_share)
            stop = cb(ctx, id, qs, ts);
        a = b;
    }
    tamis__free(tf);
    tamis__free(hs.h);
    return stop ? TAMIS_DONE : TAMIS_OK;
}

tamis_status tamis__vmatch_lookup_tmk(const tamis__vmatch *v, const char *value, float level1,
                                      float level2, tamis__vmatch_cb cb, void *ctx) {
    tamis_status st;
    tamis_tmk *q = tmk_decode(value, &st);
    if (st != TAMIS_OK)
        return st == TAMIS_ERR_NOMEM ? st : TAMIS_ERR_INVALID;
    int stop = 0;
    for (size_t i = 0; i < v->ntmk && !stop; i++) {
        tamis_tmk_match r;
        if (tamis_tmk_compare(q, v->tmk[i].t, level1, level2, &r) == TAMIS_OK && r.match)
            stop = cb(ctx, v->tmk[i].id, r.level1, r.level2);
    }
    tamis_tmk_free(q);
    return stop ? TAMIS_DONE : TAMIS_OK;
}

/* ---- Snapshots ------------------------------------------------------------
 * vpdq.tamisidx (the frame index) and video.bin: the counts, then each TMK
 * video's id and .tmk bytes. */

tamis_status tamis__vmatch_save(const tamis__vmatch *v, const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/vpdq.tamisidx", dir);
    tamis_status st = tamis_index_save(v->vpdq, p);
    if (st != TAMIS_OK)
        return st;
    snprintf(p, sizeof p, "%s/video.bin", dir);
    FILE *f = fopen(p, "wb");
    if (!f)
        return TAMIS_ERR_IO;
    uint64_t n = v->videos;
    fwrite(&n, sizeof n, 1, f);
    for (size_t i = 0; i < v->counts_cap; i++)
        if (v->counts[i].id > 0)
            fwrite(&v->counts[i], sizeof v->counts[i], 1, f);
    n = v->ntmk;
    fwrite(&n, sizeof n, 1, f);
    uint8_t *buf = NULL;
    for (size_t i = 0; i < v->ntmk && st == TAMIS_OK; i++) {
        uint64_t len = tamis_tmk_size(v->tmk[i].t);
        uint8_t *nb = tamis__realloc(buf, len ? len : 1);
        if (!nb) {
            st = TAMIS_ERR_NOMEM;
            break;
        }
        buf = nb;
        if ((st = tamis_tmk_write_mem(v->tmk[i].t, buf, len)) != TAMIS_OK)
            break;
        fwrite(&v->tmk[i].id, sizeof v->tmk[i].id, 1, f);
        fwrite(&len, sizeof len, 1, f);
        fwrite(buf, 1, len, f);
    }
    tamis__free(buf);
    /* on disk before the snapshot directory is renamed into place, as
     * state.bin and the indexes are */
    if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
        st = TAMIS_ERR_IO;
    if (fclose(f) != 0)
        st = TAMIS_ERR_IO;
    return st;
}

tamis_status tamis__vmatch_load(tamis__vmatch *v, const char *dir) {
    char p[4200], err[256];
    snprintf(p, sizeof p, "%s/vpdq.tamisidx", dir);
    tamis_index *ix;
    if (tamis_index_load(p, &ix, err, sizeof err) != TAMIS_OK)
        return TAMIS_ERR_CORRUPT;
    tamis_index_free(v->vpdq);
    v->vpdq = ix;
    snprintf(p, sizeof p, "%s/video.bin", dir);
    FILE *f = fopen(p, "rb");
    if (!f)
        return TAMIS_ERR_CORRUPT;
    tamis_status st = TAMIS_OK;
    uint64_t n;
    if (fread(&n, sizeof n, 1, f) != 1 || n > (1ull << 40))
        st = TAMIS_ERR_CORRUPT;
    for (uint64_t i = 0; st == TAMIS_OK && i < n; i++) {
        vcount c;
        if (fread(&c, sizeof c, 1, f) != 1 || c.id <= 0)
            st = TAMIS_ERR_CORRUPT;
        else
            st = count_put(v, c.id, c.frames);
    }
    if (st == TAMIS_OK && (fread(&n, sizeof n, 1, f) != 1 || n > (1ull << 32)))
        st = TAMIS_ERR_CORRUPT;
    uint8_t *buf = NULL;
    for (uint64_t i = 0; st == TAMIS_OK && i < n; i++) {
        int64_t id;
        uint64_t len;
        if (fread(&id, sizeof id, 1, f) != 1 || fread(&len, sizeof len, 1, f) != 1 ||
            len > (64u << 20)) {
            st = TAMIS_ERR_CORRUPT;
            break;
        }
        uint8_t *nb = tamis__realloc(buf, len ? len : 1);
        if (!nb) {
            st = TAMIS_ERR_NOMEM;
            break;
        }
        buf = nb;
        tamis_tmk *t;
        if (fread(buf, 1, len, f) != len || tamis_tmk_read_mem(buf, len, &t, NULL, 0) != TAMIS_OK) {
            st = TAMIS_ERR_CORRUPT;
            break;
        }
        if (v->ntmk == v->tmk_cap) {
            size_t cap = v->tmk_cap ? 2 * v->tmk_cap : 16;
            tmk_item *q = tamis__realloc(v->tmk, cap * sizeof *q);
            if (!q) {
                tamis_tmk_free(t);
                st = TAMIS_ERR_NOMEM;
                break;
            }
            v->tmk = q, v->tmk_cap = cap;
        }
        v->tmk[v->ntmk++] = (tmk_item){id, t};
    }
    tamis__free(buf);
    fclose(f);
    return st;
}
