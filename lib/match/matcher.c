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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../common/common.h"

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

static int load_bank(void *ctx, const tamis_bank *b) {
    return bank_put(ctx, b, NULL) != TAMIS_OK;
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

tamis_status tamis_matcher_create(const char *db_url, tamis_matcher **out, char *err,
                                  size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    tamis_matcher *m = tamis__calloc(1, sizeof *m);
    if (!m)
        return TAMIS_ERR_NOMEM;
    pthread_rwlock_init(&m->lock, NULL);
    tamis_status st = tamis_db_open(db_url, &m->db, err, errlen);
    if (st == TAMIS_OK && ((st = tamis_index_create(&m->pdq)) != TAMIS_OK ||
                           (st = tamis_digest_index_create(16, &m->md5)) != TAMIS_OK ||
                           (st = tamis_digest_index_create(32, &m->sha256)) != TAMIS_OK))
        snprintf(err ? err : m->errmsg, err ? errlen : sizeof m->errmsg, "out of memory");
    if (st == TAMIS_OK && (st = tamis_db_bank_list(m->db, load_bank, m)) != TAMIS_OK && err)
        snprintf(err, errlen, "listing banks: %s", tamis_db_errmsg(m->db));
    loader l = {m, NULL, NULL, 0, 0, TAMIS_OK};
    if (st == TAMIS_OK) {
        st = tamis_db_signals_scan(m->db, load_signal, &l, &m->seq);
        if (st == TAMIS_OK)
            st = l.st;
        if (st != TAMIS_OK && err)
            snprintf(err, errlen, "loading signals: %s", tamis_db_errmsg(m->db));
    }
    if (st == TAMIS_OK && l.n && (st = tamis_index_add(m->pdq, l.codes, l.ids, l.n)) != TAMIS_OK &&
        err)
        snprintf(err, errlen, "indexing: %s", tamis_index_errmsg(m->pdq));
    tamis__free(l.codes);
    tamis__free(l.ids);
    if (st != TAMIS_OK) {
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


static int found(void *ctx, uint64_t uid, int distance) {
    looker *l = ctx;
    const mitem *e = item_find(l->m, (int64_t)uid);
    if (!e || e->bank < 0)
        return 0;
    const mbank *b = &l->m->banks[e->bank];
    if (b->deleted || b->ratio <= 0.0)
        return 0;
    if (e->disabled_until > l->now)
        return 0;
    int limit = l->radius >= 0 ? l->radius : strcmp(l->type, "pdq") == 0 ? b->pdq_threshold : 0;
    if (distance > limit)
        return 0;
    tamis_match mt = {b->name, e->id, l->type, distance, b->ratio};
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
                                             : 0;
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
