/*
 * store_sqlite.c - the SQLite backend: a database in one file, nothing to
 * set up. WAL mode, so that readers never block the writer nor it them;
 * writes take the write lock at BEGIN (IMMEDIATE), so that two handles
 * writing at once queue on the busy timeout instead of one failing when
 * it upgrades a read lock. Statements are prepared once per handle.
 */
#include <assert.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

#include "store.h"

/* How long a writer waits for another before giving up. */
#define BUSY_TIMEOUT_MS 5000

enum {
    S_VERSION_GET, S_VERSION_SET,
    S_BANK_ONE, S_BANK_ALL, S_BANK_INSERT, S_BANK_UPDATE, S_BANK_DELETE,
    S_CONTENT_ONE, S_CONTENT_PAGE, S_CONTENT_FIND,
    S_CONTENT_INSERT, S_CONTENT_UPDATE, S_CONTENT_DELETE, S_SIGNAL_INSERT,
    S_CHANGE_INSERT, S_CHANGE_PAGE, S_CHANGE_LAST, S_SCAN,
    S_TOKEN_INSERT, S_TOKEN_SELECT, S_DATA_VERSION,
    S_AUDIT_INSERT, S_AUDIT_PAGE,
    S_ORDER_INSERT, S_ORDER_UPDATE, S_ORDER_ONE, S_ORDER_PAGE,
    S_REC_INSERT, S_REC_UPDATE, S_REC_ONE, S_REC_PAGE,
    N_STMT
};

#define BANK_COLS                                                              \
    "SELECT id, name, description, enabled_ratio, labels, thresholds, policy, " \
    "created_at, updated_at FROM banks "
#define CONTENT_COLS                                                           \
    "SELECT c.id, b.name, c.labels, c.source, c.note, c.metadata, c.added_at, " \
    "c.disabled_until, s.type, s.value FROM content c "                        \
    "JOIN banks b ON b.id = c.bank_id LEFT JOIN signals s ON s.content_id = c.id "

static const char *const sql_text[N_STMT] = {
    [S_VERSION_GET] = "SELECT COALESCE(MAX(version), 0) FROM schema_version",
    [S_VERSION_SET] = "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
    [S_BANK_ONE] = BANK_COLS "WHERE name = ?1",
    [S_BANK_ALL] = BANK_COLS "ORDER BY name",
    [S_BANK_INSERT] = "INSERT INTO banks (name, description, enabled_ratio, labels, "
                      "thresholds, policy, created_at, updated_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [S_BANK_UPDATE] = "UPDATE banks SET name = ?2, description = ?3, enabled_ratio = ?4, "
                      "labels = ?5, thresholds = ?6, policy = ?7, updated_at = ?8 "
                      "WHERE id = ?1",
    [S_BANK_DELETE] = "DELETE FROM banks WHERE id = ?1",
    [S_CONTENT_ONE] = CONTENT_COLS "WHERE c.id = ?1 ORDER BY s.id",
    [S_CONTENT_PAGE] = CONTENT_COLS
    "WHERE c.id IN (SELECT id FROM content WHERE bank_id = ?1 AND id > ?2 "
    "ORDER BY id LIMIT ?3) ORDER BY c.id, s.id",
    [S_CONTENT_FIND] = CONTENT_COLS
    "WHERE c.bank_id = ?1 AND c.id IN (SELECT content_id FROM signals "
    "WHERE type = ?2 AND value = ?3) ORDER BY c.id, s.id",
    [S_CONTENT_INSERT] = "INSERT INTO content (bank_id, labels, source, note, metadata, "
                         "added_at, disabled_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_CONTENT_UPDATE] = "UPDATE content SET labels = ?2, source = ?3, note = ?4, "
                         "metadata = ?5, disabled_until = ?6 WHERE id = ?1",
    [S_CONTENT_DELETE] = "DELETE FROM content WHERE id = ?1",
    [S_SIGNAL_INSERT] = "INSERT INTO signals (content_id, type, value) VALUES (?1, ?2, ?3)",
    [S_CHANGE_INSERT] = "INSERT INTO changes (kind, content_id, bank, type, value, "
                        "disabled_until) VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6)",
    [S_CHANGE_PAGE] = "SELECT seq, kind, content_id, bank, type, value, disabled_until "
                      "FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [S_CHANGE_LAST] = "SELECT COALESCE(MAX(seq), 0) FROM changes",
    [S_SCAN] = "SELECT s.content_id, b.name, s.type, s.value, c.disabled_until "
               "FROM signals s JOIN content c ON c.id = s.content_id "
               "JOIN banks b ON b.id = c.bank_id",
    [S_TOKEN_INSERT] = "INSERT INTO tokens (hash, role, label, created_at) "
                       "VALUES (?1, ?2, ?3, ?4)",
    [S_TOKEN_SELECT] = "SELECT hash, role FROM tokens WHERE hash = ?1",
    [S_DATA_VERSION] = "PRAGMA data_version",
    [S_AUDIT_INSERT] = "INSERT INTO audit (seq, at_us, actor, action, subject, detail, "
                       "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_AUDIT_PAGE] = "SELECT seq, at_us, actor, action, subject, detail, prev_hash, hash "
                     "FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [S_ORDER_INSERT] = "INSERT INTO orders (state, deadline_us, doc) VALUES (?1, ?2, ?3)",
    [S_ORDER_UPDATE] = "UPDATE orders SET state = ?2, deadline_us = ?3, doc = ?4 WHERE id = ?1",
    [S_ORDER_ONE] = "SELECT id, doc FROM orders WHERE id = ?1",
    [S_ORDER_PAGE] = "SELECT id, doc FROM orders WHERE id > ?1 ORDER BY id LIMIT ?2",
    [S_REC_INSERT] = "INSERT INTO records (kind, state, key_us, doc) VALUES (?1, ?2, ?3, ?4)",
    [S_REC_UPDATE] = "UPDATE records SET state = ?2, key_us = ?3, doc = ?4 WHERE id = ?1",
    [S_REC_ONE] = "SELECT id, doc FROM records WHERE id = ?1 AND kind = ?2",
    [S_REC_PAGE] = "SELECT id, doc FROM records WHERE kind = ?1 AND (?2 < 0 OR state = ?2) "
                   "AND id > ?3 ORDER BY id LIMIT ?4",
};

typedef struct sq_db {
    tamis_db base;
    sqlite3 *h;
    sqlite3_stmt *stmt[N_STMT];
    int64_t data_version; /* at the last tamis__db_notified */
} sq_db;

static tamis_status sq_error(sq_db *d, int rc) {
    tamis_status st = TAMIS_ERR_DB;
    if (rc == SQLITE_NOMEM)
        st = TAMIS_ERR_NOMEM;
    else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        st = TAMIS_ERR_EXISTS;
    return tamis__fail(&d->base.err, st, "sqlite: %s", sqlite3_errmsg(d->h));
}

static tamis_status prep(sq_db *d, int id, sqlite3_stmt **out) {
    if (!d->stmt[id]) {
        int rc = sqlite3_prepare_v3(d->h, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &d->stmt[id], NULL);
        if (rc != SQLITE_OK)
            return sq_error(d, rc);
    }
    *out = d->stmt[id];
    return TAMIS_OK;
}

static void done(sqlite3_stmt *s) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Prepares statement `id` and binds its parameters, one per character of
 * `types`: 't' text (NULL binds NULL), 'i' int64_t, 'f' double. Texts
 * must outlive the statement's run (they are not copied). */
static tamis_status stmt(sq_db *d, int id, sqlite3_stmt **out, const char *types, ...) {
    sqlite3_stmt *s = NULL;
    tamis_status st = prep(d, id, &s);
    if (st != TAMIS_OK)
        return st;
    assert(sqlite3_bind_parameter_count(s) == (int)strlen(types));
    va_list ap;
    va_start(ap, types);
    int rc = SQLITE_OK;
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        if (types[i] == 't') {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(s, i + 1, v, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(s, i + 1);
        } else if (types[i] == 'i') {
            rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
        } else {
            rc = sqlite3_bind_double(s, i + 1, va_arg(ap, double));
        }
    }
    va_end(ap);
    if (rc != SQLITE_OK) {
        st = sq_error(d, rc);
        done(s);
        return st;
    }
    *out = s;
    return TAMIS_OK;
}

/* Steps s to its end, calling row() for each row; TAMIS_DONE if it
 * returned nonzero. Leaves s reset, so that it holds no lock. */
static tamis_status run(sq_db *d, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *),
                        void *ctx) {
    int rc;
    tamis_status st = TAMIS_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (row && row(s, ctx)) {
            st = TAMIS_DONE;
            break;
        }
    if (st == TAMIS_OK && rc != SQLITE_DONE)
        st = sq_error(d, rc);
    done(s);
    return st;
}

/* Runs a statement that must change one row. */
static tamis_status run_one(sq_db *d, sqlite3_stmt *s, const char *what) {
    tamis_status st = run(d, s, NULL, NULL);
    if (st == TAMIS_OK && sqlite3_changes(d->h) == 0)
        st = tamis__fail(&d->base.err, TAMIS_ERR_NOT_FOUND, "no such %s", what);
    return st;
}

static const char *text(sqlite3_stmt *s, int col) {
    return (const char *)sqlite3_column_text(s, col);
}

static int int64_row(sqlite3_stmt *s, void *ctx) {
    *(int64_t *)ctx = sqlite3_column_int64(s, 0);
    return 1;
}

/* ---- Handle and transactions --------------------------------------------- */

static void sq_close(tamis_db *db) {
    sq_db *d = (sq_db *)db;
    for (int i = 0; i < N_STMT; i++)
        sqlite3_finalize(d->stmt[i]);
    sqlite3_close(d->h);
    tamis__free(d);
}

static tamis_status sq_exec(tamis_db *db, const char *sql) {
    sq_db *d = (sq_db *)db;
    int rc = sqlite3_exec(d->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TAMIS_OK : sq_error(d, rc);
}

static tamis_status sq_begin(tamis_db *db, tamis__tx kind) {
    sq_db *d = (sq_db *)db;
    /* Called outside any transaction of ours: one still open is what a
     * ROLLBACK that failed (out of memory) left, and would refuse every
     * BEGIN after it. It holds nothing to keep. */
    if (!sqlite3_get_autocommit(d->h)) {
        tamis_status st = sq_exec(db, "ROLLBACK");
        if (st != TAMIS_OK)
            return st;
    }
    /* A deferred BEGIN takes its snapshot at the first read. */
    return sq_exec(db, kind == TAMIS__TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static tamis_status sq_version_get(tamis_db *db, int *version) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    int64_t v = 0;
    tamis_status st = stmt(d, S_VERSION_GET, &s, "");
    if (st == TAMIS_OK && (st = run(d, s, int64_row, &v)) == TAMIS_DONE)
        st = TAMIS_OK;
    *version = (int)v;
    return st;
}

static tamis_status sq_version_set(tamis_db *db, int version, int64_t now) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_VERSION_SET, &s, "ii", (int64_t)version, now);
    return st ? st : run(d, s, NULL, NULL);
}

/* ---- Banks ------------------------------------------------------------------ */

struct bank_fwd {
    tamis__bank_row fn;
    void *ctx;
};

static int bank_row(sqlite3_stmt *s, void *ctx) {
    struct bank_fwd *f = ctx;
    tamis_bank b = {
        .name = (char *)text(s, 1),
        .description = (char *)text(s, 2),
        .enabled_ratio = sqlite3_column_double(s, 3),
        .labels = (char *)text(s, 4),
        .thresholds = (char *)text(s, 5),
        .policy = (char *)text(s, 6),
        .created_at = sqlite3_column_int64(s, 7),
        .updated_at = sqlite3_column_int64(s, 8),
    };
    return f->fn(f->ctx, sqlite3_column_int64(s, 0), &b);
}

static tamis_status sq_bank_select(tamis_db *db, const char *name, tamis__bank_row fn,
                                   void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct bank_fwd f = {fn, ctx};
    tamis_status st = name ? stmt(d, S_BANK_ONE, &s, "t", name) : stmt(d, S_BANK_ALL, &s, "");
    return st ? st : run(d, s, bank_row, &f);
}

static tamis_status sq_bank_insert(tamis_db *db, const tamis_bank *b, int64_t now) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_BANK_INSERT, &s, "ttfttti", b->name, b->description,
                           b->enabled_ratio, b->labels, b->thresholds, b->policy, now);
    return st ? st : run(d, s, NULL, NULL);
}

static tamis_status sq_bank_update(tamis_db *db, int64_t id, const tamis_bank *b,
                                   int64_t now) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_BANK_UPDATE, &s, "ittfttti", id, b->name, b->description,
                           b->enabled_ratio, b->labels, b->thresholds, b->policy, now);
    return st ? st : run_one(d, s, "bank");
}

static tamis_status sq_bank_delete(tamis_db *db, int64_t id) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_BANK_DELETE, &s, "i", id);
    return st ? st : run_one(d, s, "bank");
}

/* ---- Items and signals --------------------------------------------------------- */

struct content_fwd {
    tamis__content_row fn;
    void *ctx;
};

static int content_row(sqlite3_stmt *s, void *ctx) {
    struct content_fwd *f = ctx;
    tamis_content c = {
        .id = sqlite3_column_int64(s, 0),
        .bank = (char *)text(s, 1),
        .labels = (char *)text(s, 2),
        .source = (char *)text(s, 3),
        .note = (char *)text(s, 4),
        .metadata = (char *)text(s, 5),
        .added_at = sqlite3_column_int64(s, 6),
        .disabled_until = sqlite3_column_int64(s, 7),
    };
    tamis_signal sig = {(char *)text(s, 8), (char *)text(s, 9)};
    return f->fn(f->ctx, &c, sig.type ? &sig : NULL);
}

static tamis_status sq_content_select(tamis_db *db, int64_t id, tamis__content_row fn,
                                      void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct content_fwd f = {fn, ctx};
    tamis_status st = stmt(d, S_CONTENT_ONE, &s, "i", id);
    return st ? st : run(d, s, content_row, &f);
}

static tamis_status sq_content_page(tamis_db *db, int64_t bank_id, int64_t after_id,
                                    size_t limit, tamis__content_row fn, void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct content_fwd f = {fn, ctx};
    tamis_status st = stmt(d, S_CONTENT_PAGE, &s, "iii", bank_id, after_id, (int64_t)limit);
    return st ? st : run(d, s, content_row, &f);
}

static tamis_status sq_content_find(tamis_db *db, int64_t bank_id, const tamis_signal *sig,
                                    tamis__content_row fn, void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct content_fwd f = {fn, ctx};
    tamis_status st = stmt(d, S_CONTENT_FIND, &s, "itt", bank_id, sig->type, sig->value);
    return st ? st : run(d, s, content_row, &f);
}

static tamis_status sq_content_insert(tamis_db *db, int64_t bank_id, const tamis_content *c,
                                      int64_t now, int64_t *id) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_CONTENT_INSERT, &s, "ittttii", bank_id, c->labels, c->source,
                           c->note, c->metadata, now, c->disabled_until);
    if (st == TAMIS_OK && (st = run(d, s, NULL, NULL)) == TAMIS_OK)
        *id = sqlite3_last_insert_rowid(d->h);
    return st;
}

static tamis_status sq_content_update(tamis_db *db, const tamis_content *c) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_CONTENT_UPDATE, &s, "itttti",
                           c->id, c->labels, c->source, c->note, c->metadata,
                           c->disabled_until);
    return st ? st : run_one(d, s, "item");
}

static tamis_status sq_content_delete(tamis_db *db, int64_t id) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_CONTENT_DELETE, &s, "i", id);
    return st ? st : run_one(d, s, "item");
}

static tamis_status sq_signal_insert(tamis_db *db, int64_t content_id, const tamis_signal *sig) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_SIGNAL_INSERT, &s, "itt", content_id, sig->type, sig->value);
    return st ? st : run(d, s, NULL, NULL);
}

/* ---- The change log ---------------------------------------------------------- */

static tamis_status sq_change_insert(tamis_db *db, const tamis_change *c) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_CHANGE_INSERT, &s, "iittti", (int64_t)c->kind, c->content_id,
                           c->bank, c->type, c->value, c->disabled_until);
    return st ? st : run(d, s, NULL, NULL);
}

struct change_fwd {
    tamis__change_row fn;
    void *ctx;
};

static int change_row(sqlite3_stmt *s, void *ctx) {
    struct change_fwd *f = ctx;
    tamis_change c = {
        .seq = sqlite3_column_int64(s, 0),
        .kind = (tamis_change_kind)sqlite3_column_int(s, 1),
        .content_id = sqlite3_column_int64(s, 2),
        .bank = text(s, 3),
        .type = text(s, 4),
        .value = text(s, 5),
        .disabled_until = sqlite3_column_int64(s, 6),
    };
    return f->fn(f->ctx, &c);
}

static tamis_status sq_change_page(tamis_db *db, int64_t since, size_t limit,
                                   tamis__change_row fn, void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct change_fwd f = {fn, ctx};
    tamis_status st = stmt(d, S_CHANGE_PAGE, &s, "ii", since, (int64_t)limit);
    return st ? st : run(d, s, change_row, &f);
}

static tamis_status sq_change_last(tamis_db *db, int64_t *seq) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_CHANGE_LAST, &s, "");
    if (st == TAMIS_OK && (st = run(d, s, int64_row, seq)) == TAMIS_DONE)
        st = TAMIS_OK;
    return st;
}

struct scan_fwd {
    tamis_signal_scan_cb cb;
    void *ctx;
};

static int scan_row(sqlite3_stmt *s, void *ctx) {
    struct scan_fwd *f = ctx;
    return f->cb(f->ctx, sqlite3_column_int64(s, 0), text(s, 1), text(s, 2), text(s, 3),
                 sqlite3_column_int64(s, 4));
}

/* Streams straight from the statement: the callback may run other
 * statements on the handle meanwhile (SQLite allows several active ones),
 * but never this one, as db.c refuses a scan inside a scan. */
static tamis_status sq_signals_scan(tamis_db *db, tamis_signal_scan_cb cb, void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct scan_fwd f = {cb, ctx};
    tamis_status st = stmt(d, S_SCAN, &s, "");
    return st ? st : run(d, s, scan_row, &f);
}

/* ---- Tokens ---------------------------------------------------------------------- */

static tamis_status sq_token_insert(tamis_db *db, const char *hash, const char *role,
                                    const char *label, int64_t now) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_TOKEN_INSERT, &s, "ttti", hash, role, label, now);
    return st ? st : run(d, s, NULL, NULL);
}

struct token_out {
    char *hash, *role;
    int found;
};

static int token_row(sqlite3_stmt *s, void *ctx) {
    struct token_out *t = ctx;
    const char *h = text(s, 0), *r = text(s, 1);
    snprintf(t->hash, 2 * TAMIS_SHA256_BYTES + 1, "%s", h ? h : "");
    snprintf(t->role, 32, "%s", r ? r : "");
    t->found = 1;
    return 1;
}

static tamis_status sq_token_select(tamis_db *db, const char *hash, char *stored_hash,
                                    char *role) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct token_out t = {stored_hash, role, 0};
    tamis_status st = stmt(d, S_TOKEN_SELECT, &s, "t", hash);
    if (st == TAMIS_OK && (st = run(d, s, token_row, &t)) == TAMIS_DONE)
        st = TAMIS_OK;
    if (st == TAMIS_OK && !t.found)
        st = TAMIS_ERR_NOT_FOUND;
    return st;
}

/* ---- The audit log ------------------------------------------------------------- */

static tamis_status sq_audit_insert(tamis_db *db, const tamis_audit_entry *e) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_AUDIT_INSERT, &s, "iittttt" "t", e->seq, e->at_us, e->actor,
                           e->action, e->subject, e->detail, e->prev_hash, e->hash);
    return st ? st : run(d, s, NULL, NULL);
}

struct audit_fwd {
    tamis_audit_cb cb;
    void *ctx;
};

static int audit_row(sqlite3_stmt *s, void *ctx) {
    struct audit_fwd *f = ctx;
    tamis_audit_entry e;
    memset(&e, 0, sizeof e);
    e.seq = sqlite3_column_int64(s, 0);
    e.at_us = sqlite3_column_int64(s, 1);
    e.actor = text(s, 2);
    e.action = text(s, 3);
    e.subject = text(s, 4);
    e.detail = text(s, 5);
    snprintf(e.prev_hash, sizeof e.prev_hash, "%s", text(s, 6) ? text(s, 6) : "");
    snprintf(e.hash, sizeof e.hash, "%s", text(s, 7) ? text(s, 7) : "");
    return f->cb(f->ctx, &e);
}

static tamis_status sq_audit_page(tamis_db *db, int64_t since, size_t limit, tamis_audit_cb fn,
                                  void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct audit_fwd f = {fn, ctx};
    tamis_status st = stmt(d, S_AUDIT_PAGE, &s, "ii", since, (int64_t)limit);
    return st ? st : run(d, s, audit_row, &f);
}

/* ---- Removal orders ------------------------------------------------------------- */

static tamis_status sq_order_insert(tamis_db *db, int state, int64_t deadline_us, const char *doc,
                                   int64_t *id) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_ORDER_INSERT, &s, "iit", (int64_t)state, deadline_us, doc);
    if (st == TAMIS_OK && (st = run(d, s, NULL, NULL)) == TAMIS_OK)
        *id = sqlite3_last_insert_rowid(d->h);
    return st;
}

static tamis_status sq_order_update(tamis_db *db, int64_t id, int state, int64_t deadline_us,
                                   const char *doc) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_ORDER_UPDATE, &s, "iiit", id, (int64_t)state, deadline_us, doc);
    if (st == TAMIS_OK && (st = run(d, s, NULL, NULL)) == TAMIS_OK && sqlite3_changes(d->h) == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no order %lld", (long long)id);
    return st;
}

struct order_fwd {
    int (*fn)(void *ctx, int64_t id, const char *doc);
    void *ctx;
};

static int order_row(sqlite3_stmt *s, void *ctx) {
    struct order_fwd *f = ctx;
    return f->fn(f->ctx, sqlite3_column_int64(s, 0), text(s, 1));
}

static tamis_status sq_order_page(tamis_db *db, int64_t id, int64_t after, size_t limit,
                                 int (*fn)(void *ctx, int64_t id, const char *doc), void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct order_fwd f = {fn, ctx};
    tamis_status st = id ? stmt(d, S_ORDER_ONE, &s, "i", id)
                         : stmt(d, S_ORDER_PAGE, &s, "ii", after, (int64_t)limit);
    return st ? st : run(d, s, order_row, &f);
}

/* ---- Records ---------------------------------------------------------------------- */

static tamis_status sq_rec_insert(tamis_db *db, const char *kind, int state, int64_t key_us,
                                 const char *doc, int64_t *id) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_REC_INSERT, &s, "tiit", kind, (int64_t)state, key_us, doc);
    if (st == TAMIS_OK && (st = run(d, s, NULL, NULL)) == TAMIS_OK)
        *id = sqlite3_last_insert_rowid(d->h);
    return st;
}

static tamis_status sq_rec_update(tamis_db *db, int64_t id, int state, int64_t key_us,
                                 const char *doc) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_REC_UPDATE, &s, "iiit", id, (int64_t)state, key_us, doc);
    if (st == TAMIS_OK && (st = run(d, s, NULL, NULL)) == TAMIS_OK && sqlite3_changes(d->h) == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no record %lld", (long long)id);
    return st;
}

static tamis_status sq_rec_page(tamis_db *db, const char *kind, int state, int64_t id,
                               int64_t after, size_t limit,
                               int (*fn)(void *ctx, int64_t id, const char *doc), void *ctx) {
    sq_db *d = (sq_db *)db;
    sqlite3_stmt *s;
    struct order_fwd f = {fn, ctx};
    tamis_status st = id ? stmt(d, S_REC_ONE, &s, "it", id, kind)
                         : stmt(d, S_REC_PAGE, &s, "tiii", kind, (int64_t)state, after,
                                (int64_t)limit);
    return st ? st : run(d, s, order_row, &f);
}

/* ---- Notification -------------------------------------------------------------- */

/* PRAGMA data_version changes when another connection commits: a cheap
 * way to learn that there is something to read, but nothing to wait on. */
static tamis_status sq_data_version(sq_db *d, int64_t *v) {
    sqlite3_stmt *s;
    tamis_status st = stmt(d, S_DATA_VERSION, &s, "");
    if (st == TAMIS_OK && (st = run(d, s, int64_row, v)) == TAMIS_DONE)
        st = TAMIS_OK;
    return st;
}

static tamis_status sq_listen(tamis_db *db, int *fd) {
    *fd = -1;
    return sq_data_version((sq_db *)db, &((sq_db *)db)->data_version);
}

static tamis_status sq_notified(tamis_db *db, int *changed) {
    sq_db *d = (sq_db *)db;
    int64_t v = 0;
    tamis_status st = sq_data_version(d, &v);
    if (st == TAMIS_OK) {
        *changed = v != d->data_version;
        d->data_version = v;
    }
    return st;
}

static const tamis__store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .exec = sq_exec,
    .version_get = sq_version_get,
    .version_set = sq_version_set,
    .bank_select = sq_bank_select,
    .bank_insert = sq_bank_insert,
    .bank_update = sq_bank_update,
    .bank_delete = sq_bank_delete,
    .content_select = sq_content_select,
    .content_page = sq_content_page,
    .content_find = sq_content_find,
    .content_insert = sq_content_insert,
    .content_update = sq_content_update,
    .content_delete = sq_content_delete,
    .signal_insert = sq_signal_insert,
    .change_insert = sq_change_insert,
    .change_page = sq_change_page,
    .change_last = sq_change_last,
    .signals_scan = sq_signals_scan,
    .token_insert = sq_token_insert,
    .token_select = sq_token_select,
    .audit_insert = sq_audit_insert,
    .audit_page = sq_audit_page,
    .order_insert = sq_order_insert,
    .order_update = sq_order_update,
    .order_page = sq_order_page,
    .rec_insert = sq_rec_insert,
    .rec_update = sq_rec_update,
    .rec_page = sq_rec_page,
    .listen = sq_listen,
    .notified = sq_notified,
};

tamis_status tamis__sqlite_open(const char *path, tamis_db **out, tamis__err *err) {
    *out = NULL;
    sq_db *d = tamis__calloc(1, sizeof *d);
    if (!d)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    d->base.ops = &sqlite_ops;
    /* NOMUTEX: a handle is used by one thread at a time (tamis.h). */
    int rc = sqlite3_open_v2(path, &d->h,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        tamis_status st = tamis__fail(err, rc == SQLITE_NOMEM ? TAMIS_ERR_NOMEM : TAMIS_ERR_DB,
                                      "sqlite: cannot open %s: %s", path,
                                      d->h ? sqlite3_errmsg(d->h) : "out of memory");
        sqlite3_close(d->h);
        tamis__free(d);
        return st;
    }
    sqlite3_extended_result_codes(d->h, 1);
    sqlite3_busy_timeout(d->h, BUSY_TIMEOUT_MS);
    /* WAL with synchronous=NORMAL loses at most the last transactions on a
     * power cut, never the database's consistency. */
    /* A 64 MB page cache and memory-mapped reads: banks of millions of
     * hashes have indexes far larger than SQLite's 2 MB default, and
     * imports and the start-up scan would otherwise go to the file for
     * every page. */
    tamis_status st = sq_exec(&d->base, "PRAGMA journal_mode = WAL;"
                                        "PRAGMA synchronous = NORMAL;"
                                        "PRAGMA foreign_keys = ON;"
                                        "PRAGMA cache_size = -65536;"
                                        "PRAGMA mmap_size = 1073741824;"
                                        "PRAGMA temp_store = MEMORY;");
    if (st != TAMIS_OK) {
        *err = d->base.err;
        sq_close(&d->base);
        return st;
    }
    *out = &d->base;
    return TAMIS_OK;
}
