/*
 * db.c - the tamis_db handle: opening (backend by URL, then migrations),
 * transactions, banks, the change log and the signal scan, written once
 * over the backend operations of store.h. Items and signals are in
 * content.c, API tokens in token.c.
 *
 * Lists are read a page at a time and copied before the caller's callback
 * runs, so a callback may use the handle (look a bank up, delete the item
 * it was given); only tamis_db_signals_scan streams, inside a snapshot,
 * and its callback may read but not write.
 */
#include <string.h>
#include <time.h>

#include "store.h"

#define CHANGE_PAGE 1000

char *tamis__store_strdup(const char *s, tamis_status *st) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = tamis__malloc(n);
    if (!p) {
        *st = TAMIS_ERR_NOMEM;
        return NULL;
    }
    memcpy(p, s, n);
    return p;
}

/* ---- Handles ---------------------------------------------------------- */

static int has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

tamis_status tamis_db_open(const char *url, tamis_db **out, char *err, size_t errlen) {
    tamis__err e;
    tamis__err_clear(&e);
    if (out)
        *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!url || !out)
        return TAMIS_ERR_INVALID;

    tamis_db *db = NULL;
    tamis_status st;
    const tamis__migration *steps;
    size_t nsteps;
    if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://")) {
        st = tamis__pg_open(url, &db, &e);
        steps = tamis__pg_migrations, nsteps = tamis__pg_n_migrations;
    } else {
        const char *path = has_prefix(url, "sqlite:") ? url + 7 : url;
        if (!*path)
            st = tamis__fail(&e, TAMIS_ERR_INVALID, "no database path in \"%s\"", url);
        else
            st = tamis__sqlite_open(path, &db, &e);
        steps = tamis__sqlite_migrations, nsteps = tamis__sqlite_n_migrations;
    }
    if (st == TAMIS_OK) {
        st = tamis__db_migrate(db, steps, nsteps);
        if (st != TAMIS_OK) {
            e = db->err;
            db->ops->close(db);
        }
    }
    if (st != TAMIS_OK) {
        if (err && errlen)
            snprintf(err, errlen, "%s", e.msg[0] ? e.msg : tamis_strerror(st));
        return st;
    }
    *out = db;
    return TAMIS_OK;
}

void tamis_db_close(tamis_db *db) {
    if (!db)
        return;
    if (db->depth > 0) /* an import left a batch open: it is not kept */
        db->ops->exec(db, "ROLLBACK");
    db->ops->close(db);
}

const char *tamis_db_errmsg(const tamis_db *db) {
    return db ? db->err.msg : "no database handle";
}

const char *tamis_db_backend(const tamis_db *db) {
    return db ? db->ops->name : NULL;
}

tamis_status tamis__db_enter(tamis_db *db, int write) {
    if (!db)
        return TAMIS_ERR_INVALID;
    /* The transaction a failed ROLLBACK left open would hold back every
     * later write (and show its changes to reads): end it now. Failing
     * again (no transaction left open) is fine. */
    if (db->rollback_owed && db->depth == 0) {
        db->ops->exec(db, "ROLLBACK");
        db->rollback_owed = 0;
    }
    tamis__err_clear(&db->err);
    if (write && db->scanning)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "cannot write from a tamis_db_signals_scan callback");
    return TAMIS_OK;
}

/* ---- Transactions ------------------------------------------------------ */

tamis_status tamis__db_begin(tamis_db *db) {
    if (db->scanning)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "cannot write from a tamis_db_signals_scan callback");
    tamis_status st = db->depth == 0 ? db->ops->begin(db, TAMIS__TX_WRITE)
                                     : db->ops->exec(db, "SAVEPOINT tamis");
    if (st == TAMIS_OK)
        db->depth++;
    return st;
}

tamis_status tamis__db_end(tamis_db *db, tamis_status st) {
    if (db->depth <= 0)
        return st;
    /* Undoing must not replace the message of what failed. */
    tamis__err saved = db->err;
    db->depth--;
    if (db->depth == 0) {
        if (st >= 0 && db->undo_failed) {
            /* a step inside failed and its changes could not be undone
             * (out of memory): committing would keep half of it */
            st = tamis__fail(&db->err, TAMIS_ERR_DB, "a failed step could not be undone");
            saved = db->err;
        }
        db->undo_failed = 0;
        if (st >= 0) {
            tamis_status c = db->ops->exec(db, "COMMIT");
            if (c == TAMIS_OK)
                return st;
            st = c;
            saved = db->err;
        }
        if (db->ops->exec(db, "ROLLBACK") != TAMIS_OK)
            db->rollback_owed = 1;
    } else if (st < 0) {
        if (db->ops->exec(db, "ROLLBACK TO SAVEPOINT tamis") != TAMIS_OK ||
            db->ops->exec(db, "RELEASE SAVEPOINT tamis") != TAMIS_OK)
            db->undo_failed = 1;
    } else {
        tamis_status c = db->ops->exec(db, "RELEASE SAVEPOINT tamis");
        if (c != TAMIS_OK) {
            db->undo_failed = 1;
            return c;
        }
    }
    db->err = saved;
    return st;
}

tamis_status tamis__db_migrate(tamis_db *db, const tamis__migration *steps, size_t n) {
    tamis_status st = tamis__db_begin(db);
    if (st != TAMIS_OK)
        return st;
    int v = 0;
    st = db->ops->exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                           "version integer PRIMARY KEY, applied_at bigint NOT NULL)");
    if (st == TAMIS_OK)
        st = db->ops->version_get(db, &v);
    if (st == TAMIS_OK && (v < 0 || (size_t)v > n))
        st = tamis__fail(&db->err, TAMIS_ERR_DB,
                         "the database is at schema version %d, newer than this "
                         "tamis knows (%zu): upgrade tamis",
                         v, n);
    for (size_t i = (size_t)(v > 0 ? v : 0); st == TAMIS_OK && i < n; i++) {
        st = db->ops->exec(db, steps[i].sql);
        if (st == TAMIS_OK)
            st = db->ops->version_set(db, steps[i].version, (int64_t)time(NULL));
    }
    st = tamis__db_end(db, st);
    if (st == TAMIS_OK)
        db->schema_version = (int)n;
    return st;
}

/* ---- Banks -------------------------------------------------------------- */

void tamis_bank_clear(tamis_bank *b) {
    if (!b)
        return;
    tamis__free(b->name);
    tamis__free(b->description);
    tamis__free(b->labels);
    tamis__free(b->thresholds);
    tamis__free(b->policy);
    memset(b, 0, sizeof *b);
}

static tamis_status bank_copy(tamis_bank *dst, const tamis_bank *src) {
    tamis_status st = TAMIS_OK;
    *dst = *src;
    dst->name = tamis__store_strdup(src->name, &st);
    dst->description = tamis__store_strdup(src->description, &st);
    dst->labels = tamis__store_strdup(src->labels, &st);
    dst->thresholds = tamis__store_strdup(src->thresholds, &st);
    dst->policy = tamis__store_strdup(src->policy, &st);
    if (st != TAMIS_OK)
        tamis_bank_clear(dst);
    return st;
}

typedef struct bank_set {
    tamis_bank *items;
    int64_t *ids;
    size_t n, cap;
    int copy; /* 0: only the ids */
    tamis_status st;
} bank_set;

static int collect_bank(void *ctx, int64_t id, const tamis_bank *b) {
    bank_set *bs = ctx;
    if (bs->n == bs->cap) {
        size_t cap = bs->cap ? 2 * bs->cap : 8;
        tamis_bank *items = tamis__realloc(bs->items, cap * sizeof *items);
        if (!items)
            return bs->st = TAMIS_ERR_NOMEM, 1;
        bs->items = items;
        int64_t *ids = tamis__realloc(bs->ids, cap * sizeof *ids);
        if (!ids)
            return bs->st = TAMIS_ERR_NOMEM, 1;
        bs->ids = ids;
        bs->cap = cap;
    }
    memset(&bs->items[bs->n], 0, sizeof bs->items[0]);
    if (bs->copy && (bs->st = bank_copy(&bs->items[bs->n], b)) != TAMIS_OK)
        return 1;
    bs->ids[bs->n++] = id;
    return 0;
}

static void bank_set_free(bank_set *bs) {
    for (size_t i = 0; i < bs->n; i++)
        tamis_bank_clear(&bs->items[i]);
    tamis__free(bs->items);
    tamis__free(bs->ids);
}

/* Selects bank(s) into bs: name NULL for all. */
static tamis_status bank_select(tamis_db *db, const char *name, bank_set *bs) {
    tamis_status st = db->ops->bank_select(db, name, collect_bank, bs);
    if (bs->st != TAMIS_OK)
        st = tamis__fail(&db->err, bs->st, "out of memory reading banks");
    return st == TAMIS_DONE ? TAMIS_OK : st;
}

tamis_status tamis__db_bank_id(tamis_db *db, const char *name, int64_t *id) {
    bank_set bs = {0};
    tamis_status st = bank_select(db, name, &bs);
    if (st == TAMIS_OK && bs.n == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no bank %s", name);
    if (st == TAMIS_OK)
        *id = bs.ids[0];
    bank_set_free(&bs);
    return st;
}

static tamis_status change(tamis_db *db, tamis_change_kind kind, int64_t content_id,
                           const char *bank, const char *type, const char *value,
                           int64_t disabled_until) {
    tamis_change c = {0, kind, content_id, bank, type, value, disabled_until};
    return db->ops->change_insert(db, &c);
}

/* Checks the name argument of the bank functions. */
static tamis_status check_name_arg(tamis_db *db, const char *name) {
    if (!tamis__bank_name_ok(name))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "bad bank name \"%.120s\"",
                           name ? name : "(null)");
    return TAMIS_OK;
}

tamis_status tamis_db_bank_create(tamis_db *db, const tamis_bank *b) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!b)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no bank given");
    if ((st = tamis__check_bank(&db->err, b)) != TAMIS_OK ||
        (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    st = db->ops->bank_insert(db, b, (int64_t)time(NULL));
    if (st == TAMIS_ERR_EXISTS)
        st = tamis__fail(&db->err, st, "bank %s already exists", b->name);
    if (st == TAMIS_OK) /* followers learn its settings as for an update */
        st = change(db, TAMIS_CHANGE_BANK_UPDATED, 0, b->name, NULL, NULL, 0);
    return tamis__db_end(db, st);
}

tamis_status tamis_db_bank_get(tamis_db *db, const char *name, tamis_bank *out) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!out)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no bank to fill");
    memset(out, 0, sizeof *out);
    if ((st = check_name_arg(db, name)) != TAMIS_OK)
        return st;
    bank_set bs = {.copy = 1};
    st = bank_select(db, name, &bs);
    if (st == TAMIS_OK && bs.n == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no bank %s", name);
    if (st == TAMIS_OK) {
        *out = bs.items[0];
        memset(&bs.items[0], 0, sizeof bs.items[0]);
    }
    bank_set_free(&bs);
    return st;
}

tamis_status tamis_db_bank_update(tamis_db *db, const char *name, const tamis_bank *b) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!b)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no bank given");
    if ((st = check_name_arg(db, name)) != TAMIS_OK ||
        (st = tamis__check_bank(&db->err, b)) != TAMIS_OK ||
        (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    int64_t id = 0;
    st = tamis__db_bank_id(db, name, &id);
    if (st == TAMIS_OK) {
        st = db->ops->bank_update(db, id, b, (int64_t)time(NULL));
        if (st == TAMIS_ERR_EXISTS)
            st = tamis__fail(&db->err, st, "cannot rename bank %s: %s already exists",
                             name, b->name);
    }
    /* A rename names the former bank in value, so that followers who keyed
     * items by bank name can re-key them. */
    int renamed = strcmp(name, b->name) != 0;
    if (st == TAMIS_OK)
        st = change(db, TAMIS_CHANGE_BANK_UPDATED, 0, b->name, NULL,
                    renamed ? name : NULL, 0);
    return tamis__db_end(db, st);
}

tamis_status tamis_db_bank_delete(tamis_db *db, const char *name) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if ((st = check_name_arg(db, name)) != TAMIS_OK || (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    int64_t id = 0;
    st = tamis__db_bank_id(db, name, &id);
    /* One change for the whole bank, written before its items go. */
    if (st == TAMIS_OK)
        st = change(db, TAMIS_CHANGE_BANK_DELETED, 0, name, NULL, NULL, 0);
    if (st == TAMIS_OK)
        st = db->ops->bank_delete(db, id);
    return tamis__db_end(db, st);
}

tamis_status tamis_db_bank_list(tamis_db *db, tamis_bank_cb cb, void *ctx) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    bank_set bs = {.copy = 1};
    st = bank_select(db, NULL, &bs);
    for (size_t i = 0; st == TAMIS_OK && i < bs.n; i++)
        if (cb(ctx, &bs.items[i]))
            st = TAMIS_DONE;
    bank_set_free(&bs);
    return st;
}

/* ---- The change log ----------------------------------------------------- */

typedef struct change_set {
    tamis_change *items;
    size_t n, cap;
    tamis_status st;
} change_set;

static void change_set_free(change_set *cs) {
    for (size_t i = 0; i < cs->n; i++) {
        tamis__free((char *)cs->items[i].bank);
        tamis__free((char *)cs->items[i].type);
        tamis__free((char *)cs->items[i].value);
    }
    tamis__free(cs->items);
    cs->items = NULL;
    cs->n = cs->cap = 0;
}

static int collect_change(void *ctx, const tamis_change *c) {
    change_set *cs = ctx;
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? 2 * cs->cap : 64;
        tamis_change *items = tamis__realloc(cs->items, cap * sizeof *items);
        if (!items)
            return cs->st = TAMIS_ERR_NOMEM, 1;
        cs->items = items;
        cs->cap = cap;
    }
    tamis_status st = TAMIS_OK;
    tamis_change *d = &cs->items[cs->n];
    *d = *c;
    d->bank = tamis__store_strdup(c->bank, &st);
    d->type = tamis__store_strdup(c->type, &st);
    d->value = tamis__store_strdup(c->value, &st);
    cs->n++;
    if (st != TAMIS_OK)
        return cs->st = st, 1;
    return 0;
}

tamis_status tamis_db_changes(tamis_db *db, int64_t since, size_t limit,
                              tamis_change_cb cb, void *ctx, int64_t *last) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    int64_t seen = since;
    size_t left = limit;
    for (;;) {
        size_t want = (limit == 0 || left > CHANGE_PAGE) ? CHANGE_PAGE : left;
        change_set cs = {0};
        st = db->ops->change_page(db, seen, want, collect_change, &cs);
        if (cs.st != TAMIS_OK)
            st = tamis__fail(&db->err, cs.st, "out of memory reading the change log");
        size_t got = cs.n;
        for (size_t i = 0; st == TAMIS_OK && i < cs.n; i++) {
            seen = cs.items[i].seq;
            if (cb(ctx, &cs.items[i]))
                st = TAMIS_DONE;
        }
        change_set_free(&cs);
        if (st != TAMIS_OK || got < want)
            break;
        if (limit && (left -= got) == 0)
            break;
    }
    if (st >= 0 && last)
        *last = seen;
    return st;
}

tamis_status tamis_db_signals_scan(tamis_db *db, tamis_signal_scan_cb cb, void *ctx,
                                   int64_t *seq) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    if (db->depth > 0)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "tamis_db_signals_scan needs a snapshot of its own, "
                           "not a transaction already open");
    /* The change-log position and the signals come from one snapshot, so
     * a follower that builds from this scan and then reads changes after
     * *seq misses nothing and applies nothing twice. */
    if ((st = db->ops->begin(db, TAMIS__TX_SNAPSHOT)) != TAMIS_OK)
        return st;
    db->depth = 1;
    db->scanning = 1;
    int64_t s = 0;
    st = db->ops->change_last(db, &s);
    if (st == TAMIS_OK)
        st = db->ops->signals_scan(db, cb, ctx);
    db->scanning = 0;
    st = tamis__db_end(db, st);
    if (st >= 0 && seq)
        *seq = s;
    return st;
}

/* ---- Notification -------------------------------------------------------- */

tamis_status tamis__db_listen(tamis_db *db, int *fd) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!fd)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no fd to fill");
    *fd = -1;
    return db->ops->listen(db, fd);
}

tamis_status tamis__db_notified(tamis_db *db, int *changed) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!changed)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no flag to fill");
    *changed = 0;
    return db->ops->notified(db, changed);
}
