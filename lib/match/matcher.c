/*
 * matcher.c - every bank's signals in memory, in step with the database.
 *
 * At creation the signals of all banks are scanned into one index per
 * signal type (PDQ: tamis_index; MD5 and SHA-256: tamis_digest_index),
 * keyed by content id, with a table from content id to its bank and
 * disabled_until, and the banks' settings. tamis_matcher_sync then applies
 * the database's change log from the position the scan was consistent
 * with. Whether an item matches is decided at lookup: its bank enabled and
 * its threshold met, the item not disabled. A read-write lock lets lookups
 * run on many threads while a sync applies a batch of changes.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/common.h"
#include "match.h"

#define DEFAULT_PDQ_THRESHOLD TAMIS_PDQ_MATCH_DISTANCE

typedef struct {
    char *name;
    double ratio;      /* matching_enabled_ratio */
    int pdq_threshold;
    int deleted;
} mbank;

/* content id -> bank and disabled_until, open addressing */
typedef struct {
    int64_t id; /* 0 = empty, -1 = removed */
    int32_t bank;
    int64_t disabled_until;
} mitem;

struct tamis_matcher {
    pthread_rwlock_t lock;
    tamis_db *db;
    int64_t seq;
    mbank *banks;
    int nbanks, banks_cap;
    mitem *items;
    size_t items_cap, items_used, items_live;
    tamis_index *pdq;
    tamis_digest_index *md5, *sha256;
    tamis__vmatch *video; /* vpdq and tmk */
    tamis__tmatch *text;  /* text_exact, text_near, text_tlsh, url */
    int64_t snapshot_seq; /* of the snapshot opened or last saved; 0: none */
    char errmsg[256];
};

static inline size_t mix(int64_t x) {
    uint64_t h = (uint64_t)x * 0x9e3779b97f4a7c15ull;
    return (size_t)(h ^ (h >> 29));
}

static mitem *item_find(const tamis_matcher *m, int64_t id) {
    if (!m->items_cap)
        return NULL;
    for (size_t i = mix(id) & (m->items_cap - 1);; i = (i + 1) & (m->items_cap - 1)) {
        if (m->items[i].id == id)
            return &m->items[i];
        if (m->items[i].id == 0)
            return NULL;
    }
}

static tamis_status item_put(tamis_matcher *m, int64_t id, int32_t bank, int64_t dis);

static tamis_status items_grow(tamis_matcher *m) {
    size_t cap = m->items_cap ? 2 * m->items_cap : 1024;
    while (m->items_live * 2 >= cap)
        cap *= 2;
    mitem *old = m->items;
    size_t oldcap = m->items_cap;
    m->items = tamis__calloc(cap, sizeof *m->items);
    if (!m->items) {
        m->items = old;
        return TAMIS_ERR_NOMEM;
    }
    m->items_cap = cap;
    m->items_used = m->items_live = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].id > 0)
            item_put(m, old[i].id, old[i].bank, old[i].disabled_until);
    tamis__free(old);
    return TAMIS_OK;
}

static tamis_status item_put(tamis_matcher *m, int64_t id, int32_t bank, int64_t dis) {
    mitem *e = item_find(m, id);
    if (e) {
        e->bank = bank;
        e->disabled_until = dis;
        return TAMIS_OK;
    }
    if ((m->items_used + 1) * 10 > m->items_cap * 7) {
        tamis_status st = items_grow(m);
        if (st != TAMIS_OK)
            return st;
    }
    size_t i = mix(id) & (m->items_cap - 1);
    while (m->items[i].id > 0)
        i = (i + 1) & (m->items_cap - 1);
    if (m->items[i].id == 0)
        m->items_used++;
    m->items[i] = (mitem){id, bank, dis};
    m->items_live++;
    return TAMIS_OK;
}

/* Sizes the empty table for n items at once: reinserting a saved table's
 * items in its slot order into a table that doubles as it fills packs
 * them into long probe runs (10M items took minutes). */
static tamis_status items_reserve(tamis_matcher *m, size_t n) {
    size_t cap = 1024;
    while (cap * 7 < n * 10 + 10)
        cap *= 2;
    if (m->items_cap >= cap)
        return TAMIS_OK;
    mitem *items = tamis__calloc(cap, sizeof *items);
    if (!items)
        return TAMIS_ERR_NOMEM;
    tamis__free(m->items);
    m->items = items;
    m->items_cap = cap;
    m->items_used = m->items_live = 0;
    return TAMIS_OK;
}

static void item_remove(tamis_matcher *m, int64_t id) {
    mitem *e = item_find(m, id);
    if (e) {
        e->id = -1;
        m->items_live--;
    }
}

/* ---- Banks ------------------------------------------------------------- */

static int bank_index(const tamis_matcher *m, const char *name) {
    for (int i = 0; i < m->nbanks; i++)
        if (!m->banks[i].deleted && strcmp(m->banks[i].name, name) == 0)
            return i;
    return -1;
}

static void bank_settings(mbank *b, const tamis_bank *src) {
    b->ratio = src->enabled_ratio;
    b->pdq_threshold = DEFAULT_PDQ_THRESHOLD;
    if (src->thresholds) {
        json_t *j = json_loads(src->thresholds, 0, NULL);
        json_t *v = j ? json_object_get(j, "pdq") : NULL;
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 256)
            b->pdq_threshold = (int)json_integer_value(v);
        json_decref(j);
    }
}

static tamis_status bank_put(tamis_matcher *m, const tamis_bank *src, int *idx) {
    int i = bank_index(m, src->name);
    if (i < 0) {
        if (m->nbanks == m->banks_cap) {
            int cap = m->banks_cap ? 2 * m->banks_cap : 16;
            mbank *nb = tamis__realloc(m->banks, (size_t)cap * sizeof *nb);
            if (!nb)
                return TAMIS_ERR_NOMEM;
            m->banks = nb;
            m->banks_cap = cap;
        }
        size_t len = strlen(src->name);
        char *name = tamis__malloc(len + 1);
        if (!name)
            return TAMIS_ERR_NOMEM;
        memcpy(name, src->name, len + 1);
        i = m->nbanks++;
        m->banks[i] = (mbank){name, 1.0, DEFAULT_PDQ_THRESHOLD, 0};
    }
    bank_settings(&m->banks[i], src);
    if (idx)
        *idx = i;
    return TAMIS_OK;
}

/* Reloads bank `name` from the database (it changed, or is new). */
static tamis_status bank_refresh(tamis_matcher *m, const char *name, int *idx) {
    tamis_bank b;
    memset(&b, 0, sizeof b);
    tamis_status st = tamis_db_bank_get(m->db, name, &b);
    if (st == TAMIS_ERR_NOT_FOUND) {
        /* deleted since: its items will be removed by a later change */
        int i = bank_index(m, name);
        if (i >= 0)
            m->banks[i].ratio = 0;
        if (idx)
            *idx = i;
        return TAMIS_OK;
    }
    if (st == TAMIS_OK)
        st = bank_put(m, &b, idx);
    tamis_bank_clear(&b);
    return st;
}

typedef struct {
    tamis_matcher *m;
    tamis_status st; /* why load_bank stopped the listing */
} bank_loader;

static int load_bank(void *ctx, const tamis_bank *b) {
    bank_loader *bl = ctx;
    return (bl->st = bank_put(bl->m, b, NULL)) != TAMIS_OK;
}

/* ---- Loading ----------------------------------------------------------- */

typedef struct {
    tamis_matcher *m;
    tamis_pdq *codes;
    uint64_t *ids;
    size_t n, cap;
    tamis_status st;
} loader;

static tamis_status add_signal(tamis_matcher *m, int64_t id, const char *type,
                               const char *value) {
    if (strcmp(type, "pdq") == 0) {
        tamis_pdq c;
        if (tamis_pdq_from_hex(value, strlen(value), &c) != TAMIS_OK)
            return TAMIS_OK; /* the store checks values; skip anything odd */
        uint64_t uid = (uint64_t)id;
        return tamis_index_add(m->pdq, &c, &uid, 1);
    }
    if (strcmp(type, "vpdq") == 0 || strcmp(type, "tmk") == 0)
        return tamis__vmatch_add(m->video, id, type, value);
    if (tamis__tmatch_handles(type))
        return tamis__tmatch_add(m->text, id, type, value);
    tamis_digest_index *dx = strcmp(type, "md5") == 0      ? m->md5
                             : strcmp(type, "sha256") == 0 ? m->sha256
                                                           : NULL;
    if (!dx)
        return TAMIS_OK; /* types indexed by later issues */
    uint8_t d[32];
    size_t len = strlen(value) / 2;
    if (len != (dx == m->md5 ? 16u : 32u))
        return TAMIS_OK;
    for (size_t i = 0; i < len; i++) {
        int hi = tamis__hex_digit((unsigned char)value[2 * i]);
        int lo = tamis__hex_digit((unsigned char)value[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return TAMIS_OK;
        d[i] = (uint8_t)(hi << 4 | lo);
    }
    uint64_t uid = (uint64_t)id;
    return tamis_digest_index_add(dx, d, &uid, 1);
}

static int load_signal(void *ctx, int64_t id, const char *bank, const char *type,
                       const char *value, int64_t disabled_until) {
    loader *l = ctx;
    tamis_matcher *m = l->m;
    int b = bank_index(m, bank);
    if (b < 0 && (l->st = bank_refresh(m, bank, &b)) != TAMIS_OK)
        return 1;
    if ((l->st = item_put(m, id, b, disabled_until)) != TAMIS_OK)
        return 1;
    if (strcmp(type, "pdq") == 0) {
        /* PDQ codes are gathered and indexed in one bulk build. */
        tamis_pdq c;
        if (tamis_pdq_from_hex(value, strlen(value), &c) != TAMIS_OK)
            return 0;
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 65536;
            tamis_pdq *nc = tamis__realloc(l->codes, cap * sizeof *nc);
            uint64_t *ni = nc ? tamis__realloc(l->ids, cap * sizeof *ni) : NULL;
            if (nc)
                l->codes = nc;
            if (!ni) {
                l->st = TAMIS_ERR_NOMEM;
                return 1;
            }
            l->ids = ni;
            l->cap = cap;
        }
        l->codes[l->n] = c;
        l->ids[l->n++] = (uint64_t)id;
        return 0;
    }
    return (l->st = add_signal(m, id, type, value)) != TAMIS_OK;
}

static tamis_status load_snapshot(tamis_matcher *m, const char *dir);

/* Removes a snapshot directory (its files, then itself). */
static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[4200];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

tamis_status tamis_matcher_create(const char *db_url, tamis_matcher **out, char *err,
                                  size_t errlen) {
    return tamis_matcher_open(db_url, NULL, out, err, errlen);
}

tamis_status tamis_matcher_open(const char *db_url, const char *snapshot_dir,
                                tamis_matcher **out, char *err, size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    tamis_matcher *m = tamis__calloc(1, sizeof *m);
    if (!m) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return TAMIS_ERR_NOMEM;
    }
    pthread_rwlock_init(&m->lock, NULL);
    tamis_status st = tamis_db_open(db_url, &m->db, err, errlen);
    if (st == TAMIS_OK && ((st = tamis_index_create(&m->pdq)) != TAMIS_OK ||
                           (st = tamis_digest_index_create(16, &m->md5)) != TAMIS_OK ||
                           (st = tamis_digest_index_create(32, &m->sha256)) != TAMIS_OK ||
                           (st = tamis__vmatch_create(&m->video)) != TAMIS_OK ||
                           (st = tamis__tmatch_create(&m->text)) != TAMIS_OK))
        snprintf(err ? err : m->errmsg, err ? errlen : sizeof m->errmsg, "out of memory");
    bank_loader bl = {m, TAMIS_OK};
    if (st == TAMIS_OK && (st = tamis_db_bank_list(m->db, load_bank, &bl)) != TAMIS_OK) {
        if (st == TAMIS_DONE) /* load_bank stopped it: not a success */
            st = bl.st;
        if (err)
            snprintf(err, errlen, "listing banks: %s",
                     bl.st != TAMIS_OK ? tamis_strerror(bl.st) : tamis_db_errmsg(m->db));
    }
    loader l = {m, NULL, NULL, 0, 0, TAMIS_OK};
    int from_snapshot = 0;
    if (st == TAMIS_OK && snapshot_dir && load_snapshot(m, snapshot_dir) == TAMIS_OK) {
        from_snapshot = 1;
        st = tamis_matcher_sync(m, NULL); /* what changed since it was written */
        if (st != TAMIS_OK && err)
            snprintf(err, errlen, "catching up from the snapshot: %s", tamis_db_errmsg(m->db));
    }
    if (st == TAMIS_OK && !from_snapshot) {
        st = tamis_db_signals_scan(m->db, load_signal, &l, &m->seq);
        if (st == TAMIS_OK || st == TAMIS_DONE) /* DONE: load_signal stopped it */
            st = l.st;
        if (st != TAMIS_OK && err)
            snprintf(err, errlen, "loading signals: %s",
                     l.st != TAMIS_OK ? tamis_strerror(l.st) : tamis_db_errmsg(m->db));
    }
    if (st == TAMIS_OK && l.n && (st = tamis_index_add(m->pdq, l.codes, l.ids, l.n)) != TAMIS_OK &&
        err)
        snprintf(err, errlen, "indexing: %s", tamis_index_errmsg(m->pdq));
    tamis__free(l.codes);
    tamis__free(l.ids);
    if (st != TAMIS_OK) {
        if (err && errlen && !err[0])
            snprintf(err, errlen, "%s", tamis_strerror(st));
        tamis_matcher_free(m);
        return st;
    }
    *out = m;
    return TAMIS_OK;
}

void tamis_matcher_free(tamis_matcher *m) {
    if (!m)
        return;
    for (int i = 0; i < m->nbanks; i++)
        tamis__free(m->banks[i].name);
    tamis__free(m->banks);
    tamis__free(m->items);
    tamis_index_free(m->pdq);
    tamis_digest_index_free(m->md5);
    tamis_digest_index_free(m->sha256);
    tamis__vmatch_free(m->video);
    tamis__tmatch_free(m->text);
    tamis_db_close(m->db);
    pthread_rwlock_destroy(&m->lock);
    tamis__free(m);
}

/* ---- Following the change log ------------------------------------------ */

typedef struct {
    tamis_matcher *m;
    size_t applied;
    tamis_status st;
} syncer;

/* Removes items from the indexes (all signal types). */
static void remove_ids(tamis_matcher *m, const uint64_t *ids, size_t n) {
    tamis_index_remove(m->pdq, ids, n, NULL);
    tamis_digest_index_remove(m->md5, ids, n, NULL);
    tamis_digest_index_remove(m->sha256, ids, n, NULL);
    tamis__vmatch_remove(m->video, ids, n);
    tamis__tmatch_remove(m->text, ids, n);
    for (size_t i = 0; i < n; i++)
        item_remove(m, (int64_t)ids[i]);
}

static int apply_change(void *ctx, const tamis_change *c) {
    syncer *s = ctx;
    tamis_matcher *m = s->m;
    tamis_status st = TAMIS_OK;
    switch (c->kind) {
    case TAMIS_CHANGE_SIGNAL_ADDED: {
        int b = c->bank ? bank_index(m, c->bank) : -1;
        if (b < 0 && c->bank)
            st = bank_refresh(m, c->bank, &b);
        mitem *e = item_find(m, c->content_id);
        if (st == TAMIS_OK)
            st = item_put(m, c->content_id, b, e ? e->disabled_until : c->disabled_until);
        if (st == TAMIS_OK && c->type && c->value)
            st = add_signal(m, c->content_id, c->type, c->value);
        break;
    }
    case TAMIS_CHANGE_CONTENT_DELETED: {
        uint64_t id = (uint64_t)c->content_id;
        remove_ids(m, &id, 1);
        break;
    }
    case TAMIS_CHANGE_CONTENT_UPDATED: {
        mitem *e = item_find(m, c->content_id);
        if (e)
            e->disabled_until = c->disabled_until;
        break;
    }
    case TAMIS_CHANGE_BANK_UPDATED:
        /* A rename names the former name in value: re-key that bank. */
        if (c->bank && c->value && strcmp(c->value, c->bank) != 0) {
            int old = bank_index(m, c->value);
            if (old >= 0 && bank_index(m, c->bank) < 0) {
                size_t len = strlen(c->bank);
                char *name = tamis__malloc(len + 1);
                if (!name) {
                    st = TAMIS_ERR_NOMEM;
                    break;
                }
                memcpy(name, c->bank, len + 1);
                tamis__free(m->banks[old].name);
                m->banks[old].name = name;
            }
        }
        if (c->bank)
            st = bank_refresh(m, c->bank, NULL);
        break;
    case TAMIS_CHANGE_BANK_DELETED: {
        int b = c->bank ? bank_index(m, c->bank) : -1;
        if (b < 0)
            break;
        /* Its items leave the indexes; the bank slot is retired. */
        size_t n = 0, cap = 1024;
        uint64_t *ids = tamis__malloc(cap * sizeof *ids);
        for (size_t i = 0; ids && i < m->items_cap; i++)
            if (m->items[i].id > 0 && m->items[i].bank == b) {
                if (n == cap) {
                    uint64_t *ni = tamis__realloc(ids, 2 * cap * sizeof *ni);
                    if (!ni) {
                        tamis__free(ids);
                        ids = NULL;
                        break;
                    }
                    ids = ni;
                    cap *= 2;
                }
                ids[n++] = (uint64_t)m->items[i].id;
            }
        if (!ids) {
            st = TAMIS_ERR_NOMEM;
            break;
        }
        remove_ids(m, ids, n);
        tamis__free(ids);
        m->banks[b].deleted = 1;
        m->banks[b].ratio = 0;
        break;
    }
    }
    if (st != TAMIS_OK) {
        s->st = st;
        return 1;
    }
    m->seq = c->seq;
    s->applied++;
    return 0;
}

tamis_status tamis_matcher_sync(tamis_matcher *m, size_t *applied) {
    if (applied)
        *applied = 0;
    if (!m)
        return TAMIS_ERR_INVALID;
    syncer s = {m, 0, TAMIS_OK};
    tamis_status st;
    for (;;) {
        size_t before = s.applied;
        int64_t last;
        pthread_rwlock_wrlock(&m->lock);
        st = tamis_db_changes(m->db, m->seq, 4096, apply_change, &s, &last);
        pthread_rwlock_unlock(&m->lock);
        if (st == TAMIS_DONE)
            st = TAMIS_OK;
        if (st == TAMIS_OK && s.st != TAMIS_OK)
            st = s.st;
        if (st != TAMIS_OK || s.applied - before < 4096)
            break;
    }
    if (applied)
        *applied = s.applied;
    return st;
}

/* ---- Lookups ----------------------------------------------------------- */

typedef struct {
    const tamis_matcher *m;
    const char *type;
    int radius; /* < 0: each bank's threshold */
    int64_t now;
    tamis_match_cb cb;
    void *ctx;
} looker;


/* The item's bank if it may match now: bank live and enabled, item not
 * disabled. */
static const mbank *live_bank(const looker *l, int64_t id) {
    const mitem *e = item_find(l->m, id);
    if (!e || e->bank < 0)
        return NULL;
    const mbank *b = &l->m->banks[e->bank];
    if (b->deleted || b->ratio <= 0.0 || e->disabled_until > l->now)
        return NULL;
    return b;
}

static int found(void *ctx, uint64_t uid, int distance) {
    looker *l = ctx;
    const mbank *b = live_bank(l, (int64_t)uid);
    if (!b)
        return 0;
    int limit = l->radius >= 0 ? l->radius : strcmp(l->type, "pdq") == 0 ? b->pdq_threshold : 0;
    if (distance > limit)
        return 0;
    tamis_match mt = {b->name, (int64_t)uid, l->type, distance, b->ratio, {0, 0}, NULL};
    return l->cb(l->ctx, &mt);
}

static int found_video(void *ctx, int64_t id, double s1, double s2) {
    looker *l = ctx;
    const mbank *b = live_bank(l, id);
    if (!b)
        return 0;
    tamis_match mt = {b->name, id, l->type, 0, b->ratio, {s1, s2}, NULL};
    return l->cb(l->ctx, &mt);
}

static int found_text(void *ctx, const char *type, int64_t id, int distance, double score,
                      const char *matched) {
    looker *l = ctx;
    const mbank *b = live_bank(l, id);
    if (!b)
        return 0;
    tamis_match mt = {b->name, id, type, distance, b->ratio, {score, 0}, matched};
    return l->cb(l->ctx, &mt);
}

tamis_status tamis_matcher_lookup_pdq(tamis_matcher *m, const tamis_pdq *q, int radius,
                                      tamis_match_cb cb, void *ctx) {
    if (!m || !q || !cb)
        return TAMIS_ERR_INVALID;
    looker l = {m, "pdq", radius, (int64_t)time(NULL), cb, ctx};
    pthread_rwlock_rdlock(&m->lock);
    int r = radius;
    if (r < 0) { /* the widest threshold of any live bank */
        r = 0;
        for (int i = 0; i < m->nbanks; i++)
            if (!m->banks[i].deleted && m->banks[i].pdq_threshold > r)
                r = m->banks[i].pdq_threshold;
    }
    tamis_status st = tamis_index_search(m->pdq, q, r, found, &l);
    pthread_rwlock_unlock(&m->lock);
    return st;
}

tamis_status tamis_matcher_lookup(tamis_matcher *m, const char *type, const char *value,
                                  int radius, tamis_match_cb cb, void *ctx) {
    if (!m || !type || !value || !cb)
        return TAMIS_ERR_INVALID;
    if (strcmp(type, "pdq") == 0) {
        tamis_pdq q;
        if (tamis_pdq_from_hex(value, strlen(value), &q) != TAMIS_OK)
            return TAMIS_ERR_INVALID;
        return tamis_matcher_lookup_pdq(m, &q, radius, cb, ctx);
    }
    if (strcmp(type, "vpdq") == 0 || strcmp(type, "tmk") == 0) {
        looker l = {m, strcmp(type, "vpdq") == 0 ? "vpdq" : "tmk", radius, (int64_t)time(NULL),
                    cb, ctx};
        pthread_rwlock_rdlock(&m->lock);
        tamis_status st =
            l.type[0] == 'v'
                ? tamis__vmatch_lookup_vpdq(m->video, value, radius >= 0 ? radius : 31, 80.0, 0.0,
                                            found_video, &l)
                : tamis__vmatch_lookup_tmk(m->video, value, TAMIS_TMK_LEVEL1_THRESHOLD,
                                           TAMIS_TMK_LEVEL2_THRESHOLD, found_video, &l);
        pthread_rwlock_unlock(&m->lock);
        return st;
    }
    if (tamis__tmatch_handles(type)) {
        looker l = {m, type, radius, (int64_t)time(NULL), cb, ctx};
        pthread_rwlock_rdlock(&m->lock);
        tamis_status st = tamis__tmatch_lookup(m->text, type, value, found_text, &l);
        pthread_rwlock_unlock(&m->lock);
        return st;
    }
    int md5 = strcmp(type, "md5") == 0;
    if (!md5 && strcmp(type, "sha256") != 0)
        return TAMIS_ERR_UNSUPPORTED;
    size_t len = md5 ? 16 : 32;
    uint8_t d[32];
    if (strlen(value) != 2 * len)
        return TAMIS_ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        int hi = tamis__hex_digit((unsigned char)value[2 * i]);
        int lo = tamis__hex_digit((unsigned char)value[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return TAMIS_ERR_INVALID;
        d[i] = (uint8_t)(hi << 4 | lo);
    }
    looker l = {m, type, radius < 0 ? 0 : radius, (int64_t)time(NULL), cb, ctx};
    pthread_rwlock_rdlock(&m->lock);
    tamis_status st = tamis_digest_index_lookup(md5 ? m->md5 : m->sha256, d, found, &l);
    pthread_rwlock_unlock(&m->lock);
    return st;
}

size_t tamis_matcher_count(tamis_matcher *m, const char *type) {
    if (!m || !type)
        return 0;
    pthread_rwlock_rdlock(&m->lock);
    size_t n = strcmp(type, "pdq") == 0      ? tamis_index_size(m->pdq)
               : strcmp(type, "md5") == 0    ? tamis_digest_index_size(m->md5)
               : strcmp(type, "sha256") == 0 ? tamis_digest_index_size(m->sha256)
               : tamis__tmatch_handles(type) ? tamis__tmatch_count(m->text, type)
                                             : tamis__vmatch_count(m->video, type);
    pthread_rwlock_unlock(&m->lock);
    return n;
}

int64_t tamis_matcher_seq(tamis_matcher *m) {
    if (!m)
        return 0;
    pthread_rwlock_rdlock(&m->lock);
    int64_t s = m->seq;
    pthread_rwlock_unlock(&m->lock);
    return s;
}

/* ---- Snapshots ------------------------------------------------------------
 * A directory with pdq.tamisidx, md5.tamisdx, sha256.tamisdx (the indexes'
 * own files, mapped at load), vpdq.tamisidx and video.bin (video_match.c)
 * and state.bin: a header (magic, change-log
 * position, a fingerprint of the log entry at that position, counts), the
 * bank names, then the items (id, bank, disabled_until). The fingerprint
 * ties the snapshot to its database: another database, or one restored
 * from an older backup, has another entry at that position. */

#define SNAP_MAGIC "TAMISMS3"

typedef struct {
    char magic[8];
    int64_t seq;
    uint64_t fingerprint;
    uint64_t nbanks, nitems;
} snap_header;

typedef struct {
    int64_t seq;
    uint64_t fp;
    int found;
} fp_ctx;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int fp_change(void *ctx, const tamis_change *c) {
    fp_ctx *f = ctx;
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, &c->seq, sizeof c->seq);
    int k = (int)c->kind;
    h = fnv(h, &k, sizeof k);
    h = fnv(h, &c->content_id, sizeof c->content_id);
    if (c->bank)
        h = fnv(h, c->bank, strlen(c->bank));
    if (c->value)
        h = fnv(h, c->value, strlen(c->value));
    f->fp = h;
    f->found = c->seq == f->seq;
    return 1;
}

/* The fingerprint of the change at `seq` (0: none, for an empty log). */
static tamis_status fingerprint(tamis_matcher *m, int64_t seq, uint64_t *out) {
    *out = 0;
    if (seq <= 0)
        return TAMIS_OK;
    fp_ctx f = {seq, 0, 0};
    int64_t last;
    tamis_status st = tamis_db_changes(m->db, seq - 1, 1, fp_change, &f, &last);
    if (st != TAMIS_OK && st != TAMIS_DONE)
        return st;
    if (!f.found)
        return TAMIS_ERR_NOT_FOUND;
    *out = f.fp;
    return TAMIS_OK;
}

static const char *path_in(char *buf, size_t cap, const char *dir, const char *name) {
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

tamis_status tamis_matcher_save(tamis_matcher *m, const char *dir) {
    if (!m || !dir)
        return TAMIS_ERR_INVALID;
    char tmp[4096], p[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", dir) >= (int)sizeof tmp)
        return TAMIS_ERR_INVALID;
    /* A write lock: lookups wait while the state is written (seconds for
     * millions of hashes; done at shutdown and now and then). */
    pthread_rwlock_wrlock(&m->lock);
    tamis_status st = TAMIS_OK;
    snap_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SNAP_MAGIC, 8);
    h.seq = m->seq;
    h.nbanks = (uint64_t)m->nbanks;
    h.nitems = m->items_live;
    /* What a save killed midway left is never built on. */
    remove_dir(tmp);
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        st = TAMIS_ERR_IO;
    if (st == TAMIS_OK)
        st = fingerprint(m, m->seq, &h.fingerprint);
    if (st == TAMIS_OK)
        st = tamis_index_save(m->pdq, path_in(p, sizeof p, tmp, "pdq.tamisidx"));
    if (st == TAMIS_OK)
        st = tamis_digest_index_save(m->md5, path_in(p, sizeof p, tmp, "md5.tamisdx"));
    if (st == TAMIS_OK)
        st = tamis_digest_index_save(m->sha256, path_in(p, sizeof p, tmp, "sha256.tamisdx"));
    if (st == TAMIS_OK)
        st = tamis__vmatch_save(m->video, tmp);
    if (st == TAMIS_OK)
        st = tamis__tmatch_save(m->text, tmp);
    FILE *f = st == TAMIS_OK ? fopen(path_in(p, sizeof p, tmp, "state.bin"), "wb") : NULL;
    if (st == TAMIS_OK && !f)
        st = TAMIS_ERR_IO;
    if (f) {
        fwrite(&h, sizeof h, 1, f);
        for (int i = 0; i < m->nbanks; i++) {
            uint32_t len = m->banks[i].deleted ? 0 : (uint32_t)strlen(m->banks[i].name);
            fwrite(&len, 4, 1, f);
            fwrite(m->banks[i].name, 1, len, f);
        }
        for (size_t i = 0; i < m->items_cap; i++)
            if (m->items[i].id > 0)
                fwrite(&m->items[i], sizeof m->items[i], 1, f);
        if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
            st = TAMIS_ERR_IO;
        if (fclose(f) != 0)
            st = TAMIS_ERR_IO;
    }
    pthread_rwlock_unlock(&m->lock);
    if (st == TAMIS_OK) {
        /* Swap in: the old snapshot goes only once the new one is whole. */
        char old[4200];
        snprintf(old, sizeof old, "%s.old", dir);
        remove_dir(old);
        if (rename(dir, old) != 0 && errno != ENOENT)
            st = TAMIS_ERR_IO;
        else if (rename(tmp, dir) != 0)
            st = TAMIS_ERR_IO;
        remove_dir(old);
    }
    if (st != TAMIS_OK)
        remove_dir(tmp);
    else
        m->snapshot_seq = h.seq;
    return st;
}

int64_t tamis_matcher_snapshot_seq(tamis_matcher *m) {
    if (!m)
        return 0;
    pthread_rwlock_rdlock(&m->lock);
    int64_t s = m->snapshot_seq;
    pthread_rwlock_unlock(&m->lock);
    return s;
}

/* Loads a snapshot into an empty matcher (banks already listed).
 * Anything wrong: not loaded, and the caller scans the database. */
static tamis_status load_snapshot(tamis_matcher *m, const char *dir) {
    char p[4200], err[256];
    FILE *f = fopen(path_in(p, sizeof p, dir, "state.bin"), "rb");
    if (!f)
        return TAMIS_ERR_NOT_FOUND;
    snap_header h;
    tamis_status st = TAMIS_ERR_CORRUPT;
    uint64_t fp;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, SNAP_MAGIC, 8) != 0 ||
        h.nbanks > 1000000 || fingerprint(m, h.seq, &fp) != TAMIS_OK || fp != h.fingerprint) {
        fclose(f);
        return st;
    }
    /* Banks by their saved positions, settings from the database. */
    int32_t *map = tamis__calloc(h.nbanks + 1, sizeof *map);
    tamis_index *pdq = NULL;
    tamis_digest_index *md5 = NULL, *sha = NULL;
    st = map ? TAMIS_OK : TAMIS_ERR_NOMEM;
    for (uint64_t i = 0; st == TAMIS_OK && i < h.nbanks; i++) {
        uint32_t len;
        char name[256];
        if (fread(&len, 4, 1, f) != 1 || len >= sizeof name || fread(name, 1, len, f) != len) {
            st = TAMIS_ERR_CORRUPT;
            break;
        }
        name[len] = 0;
        int idx = -1;
        if (len && (st = bank_refresh(m, name, &idx)) != TAMIS_OK)
            break;
        map[i] = idx;
    }
    if (st == TAMIS_OK && h.nitems > ((uint64_t)1 << 40))
        st = TAMIS_ERR_CORRUPT;
    if (st == TAMIS_OK)
        st = items_reserve(m, (size_t)h.nitems);
    for (uint64_t i = 0; st == TAMIS_OK && i < h.nitems; i++) {
        mitem it;
        if (fread(&it, sizeof it, 1, f) != 1 || it.id <= 0 || it.bank < 0 ||
            (uint64_t)it.bank >= h.nbanks) {
            st = TAMIS_ERR_CORRUPT;
            break;
        }
        st = item_put(m, it.id, map[it.bank], it.disabled_until);
    }
    fclose(f);
    if (st == TAMIS_OK &&
        (tamis_index_load(path_in(p, sizeof p, dir, "pdq.tamisidx"), &pdq, err, sizeof err) !=
             TAMIS_OK ||
         tamis_digest_index_load(path_in(p, sizeof p, dir, "md5.tamisdx"), &md5, err,
                                 sizeof err) != TAMIS_OK ||
         tamis_digest_index_load(path_in(p, sizeof p, dir, "sha256.tamisdx"), &sha, err,
                                 sizeof err) != TAMIS_OK))
        st = TAMIS_ERR_CORRUPT;
    tamis__vmatch *video = NULL;
    if (st == TAMIS_OK && (st = tamis__vmatch_create(&video)) == TAMIS_OK &&
        tamis__vmatch_load(video, dir) != TAMIS_OK)
        st = TAMIS_ERR_CORRUPT;
    tamis__tmatch *text = NULL;
    if (st == TAMIS_OK && (st = tamis__tmatch_create(&text)) == TAMIS_OK &&
        tamis__tmatch_load(text, dir) != TAMIS_OK)
        st = TAMIS_ERR_CORRUPT;
    tamis__free(map);
    if (st != TAMIS_OK) {
        tamis__vmatch_free(video);
        tamis__tmatch_free(text);
        tamis_index_free(pdq);
        tamis_digest_index_free(md5);
        tamis_digest_index_free(sha);
        /* back to empty, for the full load */
        tamis__free(m->items);
        m->items = NULL;
        m->items_cap = m->items_used = m->items_live = 0;
        return st;
    }
    tamis_index_free(m->pdq);
    tamis_digest_index_free(m->md5);
    tamis_digest_index_free(m->sha256);
    tamis__vmatch_free(m->video);
    tamis__tmatch_free(m->text);
    m->pdq = pdq, m->md5 = md5, m->sha256 = sha, m->video = video, m->text = text;
    m->seq = h.seq;
    m->snapshot_seq = h.seq;
    return TAMIS_OK;
}
