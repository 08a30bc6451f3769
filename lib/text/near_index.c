/*
 * near_index.c - the index of text_near signatures: LSH by banding
 * (Indyk and Motwani 1998; Leskovec, Rajaraman and Ullman, "Mining of
 * Massive Datasets", ch. 3.4). The 128 bytes of a signature are cut into
 * BANDS bands of ROWS bytes; two signatures are candidates when some band
 * is equal, which happens with probability 1 - (1 - J^ROWS)^BANDS for
 * Jaccard similarity J. With 4 rows and 32 bands that is 0.99 at J = 0.6,
 * 0.87 at J = 0.5 and 0.003 at J = 0.1, so a lookup verifies a handful of
 * entries instead of all of them. Candidates are verified on the whole
 * signature and reported with the estimated similarity.
 *
 * Layout: entries live in slots (signature, id); each band has a hash
 * table of chain heads over its band values and a `next` link per slot,
 * so a band costs 4 bytes per slot plus its heads. Removed slots are
 * unlinked and reused. An id map (open addressing, duplicates allowed)
 * finds the slots of an id for removal.
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define ROWS 4
#define BANDS 32
#define NIL UINT32_MAX
#define TOMB (UINT32_MAX - 1)

struct tamis_text_index {
    tamis__err err;
    size_t n;              /* live entries */
    size_t used;           /* slots ever used (live, or free and listed) */
    size_t cap;            /* slots allocated */
    tamis__near_sig *sigs; /* cap */
    uint64_t *ids;         /* cap */
    uint32_t *next;        /* cap * BANDS: the chain link of slot s in band b */
    uint32_t free_head;    /* free slots, linked through next[s * BANDS] */
    size_t heads_cap;      /* heads per band, a power of two */
    uint32_t *heads;       /* BANDS * heads_cap */
    size_t map_cap;        /* id map slots, a power of two */
    size_t map_used;       /* entries and tombstones */
    uint32_t *map;         /* slot numbers, NIL or TOMB */
};

static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static uint32_t band_key(const tamis__near_sig *s, int b) {
    uint32_t k;
    memcpy(&k, s->v + b * ROWS, ROWS);
    return k;
}

static size_t head_of(const tamis_text_index *ix, int b, uint32_t key) {
    return (size_t)b * ix->heads_cap +
           (size_t)(mix(key ^ ((uint64_t)b << 32)) & (ix->heads_cap - 1));
}

static void link_slot(tamis_text_index *ix, uint32_t s) {
    for (int b = 0; b < BANDS; b++) {
        size_t h = head_of(ix, b, band_key(&ix->sigs[s], b));
        ix->next[(size_t)s * BANDS + b] = ix->heads[h];
        ix->heads[h] = s;
    }
}

static void unlink_slot(tamis_text_index *ix, uint32_t s) {
    for (int b = 0; b < BANDS; b++) {
        uint32_t *p = &ix->heads[head_of(ix, b, band_key(&ix->sigs[s], b))];
        while (*p != s)
            p = &ix->next[(size_t)*p * BANDS + b];
        *p = ix->next[(size_t)s * BANDS + b];
    }
}

static size_t map_home(const tamis_text_index *ix, uint64_t id) {
    return (size_t)mix(id) & (ix->map_cap - 1);
}

static void map_put(tamis_text_index *ix, uint32_t s) {
    size_t i = map_home(ix, ix->ids[s]);
    while (ix->map[i] != NIL && ix->map[i] != TOMB)
        i = (i + 1) & (ix->map_cap - 1);
    if (ix->map[i] == NIL)
        ix->map_used++;
    ix->map[i] = s;
}

tamis_status tamis_text_index_create(tamis_text_index **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = tamis__calloc(1, sizeof **out);
    if (!*out)
        return TAMIS_ERR_NOMEM;
    (*out)->free_head = NIL;
    return TAMIS_OK;
}

void tamis_text_index_free(tamis_text_index *ix) {
    if (!ix)
        return;
    tamis__free(ix->sigs);
    tamis__free(ix->ids);
    tamis__free(ix->next);
    tamis__free(ix->heads);
    tamis__free(ix->map);
    tamis__free(ix);
}

const char *tamis_text_index_errmsg(const tamis_text_index *ix) { return ix ? ix->err.msg : ""; }

size_t tamis_text_index_size(const tamis_text_index *ix) { return ix ? ix->n : 0; }

size_t tamis_text_index_memory(const tamis_text_index *ix) {
    if (!ix)
        return 0;
    return sizeof *ix + ix->cap * (sizeof(tamis__near_sig) + sizeof(uint64_t) +
                                   BANDS * sizeof(uint32_t)) +
           BANDS * ix->heads_cap * sizeof(uint32_t) + ix->map_cap * sizeof(uint32_t);
}

/* Grows the slot arrays to `cap`; the band heads to one per two slots and
 * the id map to twice the slots, re-linking everything when they change. */
static tamis_status grow(tamis_text_index *ix, size_t cap) {
    size_t next_n, heads_n;
    size_t heads_cap = ix->heads_cap ? ix->heads_cap : 64;
    while (heads_cap * 2 < cap)
        heads_cap *= 2;
    size_t map_cap = ix->map_cap ? ix->map_cap : 128;
    while (map_cap < cap * 2)
        map_cap *= 2;
    if (!tamis__mul_size(cap, BANDS * sizeof(uint32_t), &next_n) ||
        !tamis__mul_size(heads_cap, BANDS * sizeof(uint32_t), &heads_n) || cap >= TOMB)
        return tamis__fail(&ix->err, TAMIS_ERR_TOO_LARGE, "index too large");
    tamis__near_sig *sigs = tamis__realloc(ix->sigs, cap * sizeof *sigs);
    if (sigs)
        ix->sigs = sigs;
    uint64_t *ids = sigs ? tamis__realloc(ix->ids, cap * sizeof *ids) : NULL;
    if (ids)
        ix->ids = ids;
    uint32_t *next = ids ? tamis__realloc(ix->next, next_n) : NULL;
    if (next)
        ix->next = next;
    uint32_t *heads = NULL, *map = NULL;
    if (next && heads_cap != ix->heads_cap)
        heads = tamis__malloc(heads_n);
    if (next && map_cap != ix->map_cap)
        map = tamis__malloc(map_cap * sizeof *map);
    if (!next || (heads_cap != ix->heads_cap && !heads) || (map_cap != ix->map_cap && !map)) {
        tamis__free(heads);
        tamis__free(map);
        return tamis__fail(&ix->err, TAMIS_ERR_NOMEM, "out of memory");
    }
    ix->cap = cap;
    if (heads) {
        tamis__free(ix->heads);
        ix->heads = heads;
        ix->heads_cap = heads_cap;
        memset(heads, 0xff, heads_n);
        /* Free slots keep their free-list link in next[s * BANDS]. */
        for (size_t s = 0; s < ix->used; s++)
            if (ix->next[s * BANDS + 1] != TOMB)
                link_slot(ix, (uint32_t)s);
    }
    if (map) {
        tamis__free(ix->map);
        ix->map = map;
        ix->map_cap = map_cap;
        ix->map_used = 0;
        memset(map, 0xff, map_cap * sizeof *map);
        for (size_t s = 0; s < ix->used; s++)
            if (ix->next[s * BANDS + 1] != TOMB)
                map_put(ix, (uint32_t)s);
    }
    return TAMIS_OK;
}

tamis_status tamis_text_index_add(tamis_text_index *ix, uint64_t id, const char *near,
                                  size_t len) {
    if (!ix)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    tamis__near_sig sig;
    if (tamis__near_from_string(near, len, &sig) != TAMIS_OK)
        return tamis__fail(&ix->err, TAMIS_ERR_INVALID, "malformed text_near signature");
    if (ix->free_head == NIL && ix->used == ix->cap) {
        tamis_status st = grow(ix, ix->cap ? ix->cap * 2 : 64);
        if (st != TAMIS_OK)
            return st;
    }
    if ((ix->map_used + 1) * 4 > ix->map_cap * 3) { /* too many tombstones: rebuild */
        memset(ix->map, 0xff, ix->map_cap * sizeof *ix->map);
        ix->map_used = 0;
        for (size_t s = 0; s < ix->used; s++)
            if (ix->next[s * BANDS + 1] != TOMB)
                map_put(ix, (uint32_t)s);
    }
    uint32_t s;
    if (ix->free_head != NIL) {
        s = ix->free_head;
        ix->free_head = ix->next[(size_t)s * BANDS];
    } else {
        s = (uint32_t)ix->used++;
    }
    ix->sigs[s] = sig;
    ix->ids[s] = id;
    ix->next[(size_t)s * BANDS + 1] = NIL; /* live (overwritten by link_slot) */
    link_slot(ix, s);
    map_put(ix, s);
    ix->n++;
    return TAMIS_OK;
}

tamis_status tamis_text_index_remove(tamis_text_index *ix, uint64_t id, size_t *removed) {
    if (!ix)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    size_t count = 0;
    if (ix->map_cap) {
        for (size_t i = map_home(ix, id); ix->map[i] != NIL; i = (i + 1) & (ix->map_cap - 1)) {
            uint32_t s = ix->map[i];
            if (s == TOMB || ix->ids[s] != id)
                continue;
            unlink_slot(ix, s);
            ix->map[i] = TOMB;
            /* A free slot: its band-1 link says TOMB, band 0 links the list. */
            ix->next[(size_t)s * BANDS] = ix->free_head;
            ix->next[(size_t)s * BANDS + 1] = TOMB;
            ix->free_head = s;
            ix->n--;
            count++;
        }
    }
    if (removed)
        *removed = count;
    return TAMIS_OK;
}

typedef struct cand {
    uint32_t slot;
    double sim;
} cand;

static int by_similarity(const void *x, const void *y) {
    const cand *a = x, *b = y;
    if (a->sim != b->sim)
        return a->sim < b->sim ? 1 : -1;
    return a->slot < b->slot ? -1 : a->slot > b->slot;
}

static int by_slot(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

tamis_status tamis_text_index_lookup(const tamis_text_index *ix, const char *near, size_t len,
                                     double threshold, tamis_text_index_cb cb, void *ctx) {
    tamis__near_sig q;
    if (!ix || !cb || tamis__near_from_string(near, len, &q) != TAMIS_OK)
        return TAMIS_ERR_INVALID;
    if (ix->n == 0)
        return TAMIS_OK;
    /* Candidates: slots equal to the query on some band. Usually a few, so
     * they are gathered in a small array, then sorted and deduplicated. */
    uint32_t local[256], *slots = local;
    size_t ns = 0, cap = sizeof local / sizeof local[0];
    tamis_status st = TAMIS_OK;
    for (int b = 0; b < BANDS; b++) {
        uint32_t key = band_key(&q, b);
        for (uint32_t s = ix->heads[head_of(ix, b, key)]; s != NIL;
             s = ix->next[(size_t)s * BANDS + b]) {
            if (band_key(&ix->sigs[s], b) != key)
                continue;
            if (ns == cap) {
                uint32_t *bigger = tamis__malloc(cap * 2 * sizeof *bigger);
                if (!bigger) {
                    st = TAMIS_ERR_NOMEM;
                    goto out;
                }
                memcpy(bigger, slots, ns * sizeof *slots);
                if (slots != local)
                    tamis__free(slots);
                slots = bigger;
                cap *= 2;
            }
            slots[ns++] = s;
        }
    }
    qsort(slots, ns, sizeof *slots, by_slot);
    cand *found = tamis__malloc((ns ? ns : 1) * sizeof *found);
    size_t nf = 0;
    if (!found) {
        st = TAMIS_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < ns; i++) {
        if (i > 0 && slots[i] == slots[i - 1])
            continue;
        double sim = tamis__near_similarity(&q, &ix->sigs[slots[i]]);
        if (sim >= threshold) {
            found[nf].slot = slots[i];
            found[nf].sim = sim;
            nf++;
        }
    }
    qsort(found, nf, sizeof *found, by_similarity);
    for (size_t i = 0; i < nf; i++) {
        if (cb(ctx, ix->ids[found[i].slot], found[i].sim)) {
            st = TAMIS_DONE;
            break;
        }
    }
    tamis__free(found);
out:
    if (slots != local)
        tamis__free(slots);
    return st;
}
