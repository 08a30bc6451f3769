/*
 * store_pg.c - the PostgreSQL backend, for several tamis servers sharing
 * one database. Every statement goes through PQexecParams with its values
 * as parameters. Write transactions take one advisory lock at BEGIN, held
 * to their end, so that change-log seqs are committed in order (store.h);
 * a trigger of the schema sends NOTIFY tamis_changes with each of them,
 * for the servers that LISTEN (tamis__db_listen). The signal scan reads
 * through a cursor, so that a large database is never held in memory.
 */
#include <assert.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define MAX_PARAMS 8
#define SCAN_BATCH "1000"

/* The key of the advisory lock of writers ("tamis" in ASCII). */
#define WRITE_LOCK "499850766707"

typedef struct pg_db {
    tamis_db base;
    PGconn *conn;
    int listening;
} pg_db;

/* libpq prints notices on stderr by default; a library must not. */
static void quiet(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static tamis_status pg_error(pg_db *d, PGresult *r) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    tamis_status st = TAMIS_ERR_DB;
    if (state && strcmp(state, "23505") == 0) /* unique_violation */
        st = TAMIS_ERR_EXISTS;
    else if (state && strcmp(state, "53200") == 0) /* out_of_memory */
        st = TAMIS_ERR_NOMEM;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(d->conn);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    return tamis__fail(&d->base.err, st, "postgresql: %.*s", (int)n,
                       n ? msg : "no result (connection lost?)");
}

/* A connection lost between transactions is re-established on the next
 * call; inside one, the transaction is lost and the call fails. */
static void reconnect_if_lost(pg_db *d) {
    if (PQstatus(d->conn) != CONNECTION_BAD || d->base.depth > 0)
        return;
    PQreset(d->conn);
    if (PQstatus(d->conn) == CONNECTION_OK && d->listening)
        PQclear(PQexec(d->conn, "LISTEN tamis_changes"));
}

static int result_ok(PGresult *r) {
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Runs sql with parameters, one per character of `types`: 't' text (NULL
 * for SQL NULL), 'i' int64_t, 'f' double. *res (when res is not NULL)
 * gets the result, which the caller clears. */
static tamis_status query(pg_db *d, PGresult **res, const char *sql, const char *types, ...) {
    const char *values[MAX_PARAMS];
    char nums[MAX_PARAMS][32];
    int n = (int)strlen(types);
    assert(n <= MAX_PARAMS);
    va_list ap;
    va_start(ap, types);
    for (int i = 0; i < n; i++) {
        if (types[i] == 't') {
            values[i] = va_arg(ap, const char *);
        } else if (types[i] == 'i') {
            snprintf(nums[i], sizeof nums[i], "%" PRId64, va_arg(ap, int64_t));
            values[i] = nums[i];
        } else {
            snprintf(nums[i], sizeof nums[i], "%.17g", va_arg(ap, double));
            values[i] = nums[i];
        }
    }
    va_end(ap);
    if (res)
        *res = NULL;
    reconnect_if_lost(d);
    PGresult *r = PQexecParams(d->conn, sql, n, NULL, values, NULL, NULL, 0);
    if (!result_ok(r)) {
        tamis_status st = pg_error(d, r);
        PQclear(r);
        return st;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return TAMIS_OK;
}

/* Cell (row, col) as text, NULL for SQL NULL; and as numbers. */
static const char *cell(PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t cell_int(PGresult *r, int row, int col) {
    const char *s = cell(r, row, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* Clears the result of an UPDATE or DELETE: TAMIS_ERR_NOT_FOUND if it
 * changed no row. */
static tamis_status changed_one(pg_db *d, PGresult *r, const char *what) {
    tamis_status st = TAMIS_OK;
    if (strcmp(PQcmdTuples(r), "0") == 0)
        st = tamis__fail(&d->base.err, TAMIS_ERR_NOT_FOUND, "no such %s", what);
    PQclear(r);
    return st;
}

/* ---- Handle and transactions --------------------------------------------- */

static void pg_close(tamis_db *db) {
    pg_db *d = (pg_db *)db;
    PQfinish(d->conn);
    tamis__free(d);
}

static tamis_status pg_exec(tamis_db *db, const char *sql) {
    pg_db *d = (pg_db *)db;
    reconnect_if_lost(d);
    PGresult *r = PQexec(d->conn, sql);
    tamis_status st = result_ok(r) ? TAMIS_OK : pg_error(d, r);
    PQclear(r);
    return st;
}

static tamis_status pg_begin(tamis_db *db, tamis__tx kind) {
    if (kind == TAMIS__TX_SNAPSHOT)
        return pg_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    tamis_status st = pg_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")");
    if (st != TAMIS_OK) { /* BEGIN may have run without the lock */
        tamis__err saved = db->err;
        pg_exec(db, "ROLLBACK");
        db->err = saved;
    }
    return st;
}

static tamis_status select_int(pg_db *d, const char *sql, int64_t *v) {
    PGresult *r;
    tamis_status st = query(d, &r, sql, "");
    if (st != TAMIS_OK)
        return st;
    *v = PQntuples(r) > 0 ? cell_int(r, 0, 0) : 0;
    PQclear(r);
    return TAMIS_OK;
}

static tamis_status pg_version_get(tamis_db *db, int *version) {
    int64_t v = 0;
    tamis_status st = select_int((pg_db *)db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &v);
    *version = (int)v;
    return st;
}

static tamis_status pg_version_set(tamis_db *db, int version, int64_t now) {
    return query((pg_db *)db, NULL,
                 "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", "ii",
                 (int64_t)version, now);
}

/* ---- Banks ------------------------------------------------------------------ */

#define BANK_COLS                                                              \
    "SELECT id, name, description, enabled_ratio, labels, thresholds, policy, " \
    "created_at, updated_at FROM banks "

static tamis_status pg_bank_select(tamis_db *db, const char *name, tamis__bank_row fn,
                                   void *ctx) {
    pg_db *d = (pg_db *)db;
    PGresult *r;
    tamis_status st = name ? query(d, &r, BANK_COLS "WHERE name = $1", "t", name)
                           : query(d, &r, BANK_COLS "ORDER BY name", "");
    if (st != TAMIS_OK)
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *ratio = cell(r, i, 3);
        tamis_bank b = {
            .name = (char *)cell(r, i, 1),
            .description = (char *)cell(r, i, 2),
            .enabled_ratio = ratio ? strtod(ratio, NULL) : 0,
            .labels = (char *)cell(r, i, 4),
            .thresholds = (char *)cell(r, i, 5),
            .policy = (char *)cell(r, i, 6),
            .created_at = cell_int(r, i, 7),
            .updated_at = cell_int(r, i, 8),
        };
        if (fn(ctx, cell_int(r, i, 0), &b)) {
            st = TAMIS_DONE;
            break;
        }
    }
    PQclear(r);
    return st;
}

static tamis_status pg_bank_insert(tamis_db *db, const tamis_bank *b, int64_t now) {
    return query((pg_db *)db, NULL,
                 "INSERT INTO banks (name, description, enabled_ratio, labels, thresholds, "
                 "policy, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                 "ttfttti", b->name, b->description, b->enabled_ratio, b->labels,
                 b->thresholds, b->policy, now);
}

static tamis_status pg_bank_update(tamis_db *db, int64_t id, const tamis_bank *b,
                                   int64_t now) {
    pg_db *d = (pg_db *)db;
    PGresult *r;
    tamis_status st = query(d, &r,
                            "UPDATE banks SET name = $2, description = $3, enabled_ratio = $4, "
                            "labels = $5, thresholds = $6, policy = $7, updated_at = $8 "
                            "WHERE id = $1",
                            "ittfttti", id, b->name, b->description, b->enabled_ratio,
                            b->labels, b->thresholds, b->policy, now);
    return st ? st : changed_one(d, r, "bank");
}

/* ---- Items and signals --------------------------------------------------------- */

#define CONTENT_COLS                                                           \
    "SELECT c.id, b.name, c.labels, c.source, c.note, c.metadata, c.added_at, " \
    "c.disabled_until, s.type, s.value FROM content c "                        \
    "JOIN banks b ON b.id = c.bank_id LEFT JOIN signals s ON s.content_id = c.id "

static tamis_status content_rows(PGresult *r, tamis__content_row fn, void *ctx) {
    tamis_status st = TAMIS_OK;
    for (int i = 0; i < PQntuples(r); i++) {
        tamis_content c = {
            .id = cell_int(r, i, 0),
            .bank = (char *)cell(r, i, 1),
            .labels = (char *)cell(r, i, 2),
            .source = (char *)cell(r, i, 3),
            .note = (char *)cell(r, i, 4),
            .metadata = (char *)cell(r, i, 5),
            .added_at = cell_int(r, i, 6),
            .disabled_until = cell_int(r, i, 7),
        };
        tamis_signal s = {(char *)cell(r, i, 8), (char *)cell(r, i, 9)};
        if (fn(ctx, &c, s.type ? &s : NULL)) {
            st = TAMIS_DONE;
            break;
        }
    }
    PQclear(r);
    return st;
}

static tamis_status pg_content_select(tamis_db *db, int64_t id, tamis__content_row fn,
                                      void *ctx) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r, CONTENT_COLS "WHERE c.id = $1 ORDER BY s.id",
                            "i", id);
    return st ? st : content_rows(r, fn, ctx);
}

static tamis_status pg_content_page(tamis_db *db, int64_t bank_id, int64_t after_id,
                                    size_t limit, tamis__content_row fn, void *ctx) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            CONTENT_COLS "WHERE c.id IN (SELECT id FROM content "
                                         "WHERE bank_id = $1 AND id > $2 ORDER BY id LIMIT $3) "
                                         "ORDER BY c.id, s.id",
                            "iii", bank_id, after_id, (int64_t)limit);
    return st ? st : content_rows(r, fn, ctx);
}

static tamis_status pg_content_find(tamis_db *db, int64_t bank_id, const tamis_signal *sig,
                                    tamis__content_row fn, void *ctx) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            CONTENT_COLS "WHERE c.bank_id = $1 AND c.id IN (SELECT content_id "
                                         "FROM signals WHERE type = $2 AND md5(value) = md5($3) AND value = $3) "
                                         "ORDER BY c.id, s.id",
                            "itt", bank_id, sig->type, sig->value);
    return st ? st : content_rows(r, fn, ctx);
}

static tamis_status pg_content_insert(tamis_db *db, int64_t bank_id, const tamis_content *c,
                                      int64_t now, int64_t *id) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "INSERT INTO content (bank_id, labels, source, note, metadata, "
                            "added_at, disabled_until) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                            "RETURNING id",
                            "ittttii", bank_id, c->labels, c->source, c->note, c->metadata,
                            now, c->disabled_until);
    if (st != TAMIS_OK)
        return st;
    *id = cell_int(r, 0, 0);
    PQclear(r);
    return TAMIS_OK;
}

static tamis_status pg_content_update(tamis_db *db, const tamis_content *c) {
    pg_db *d = (pg_db *)db;
    PGresult *r;
    tamis_status st = query(d, &r,
                            "UPDATE content SET labels = $2, source = $3, note = $4, "
                            "metadata = $5, disabled_until = $6 WHERE id = $1",
                            "itttti", c->id, c->labels, c->source, c->note, c->metadata,
                            c->disabled_until);
    return st ? st : changed_one(d, r, "item");
}

/* DELETE by id: banks and items alike. */
static tamis_status delete_one(tamis_db *db, const char *sql, const char *what, int64_t id) {
    pg_db *d = (pg_db *)db;
    PGresult *r;
    tamis_status st = query(d, &r, sql, "i", id);
    return st ? st : changed_one(d, r, what);
}

static tamis_status pg_bank_delete(tamis_db *db, int64_t id) {
    return delete_one(db, "DELETE FROM banks WHERE id = $1", "bank", id);
}

static tamis_status pg_content_delete(tamis_db *db, int64_t id) {
    return delete_one(db, "DELETE FROM content WHERE id = $1", "item", id);
}

static tamis_status pg_signal_insert(tamis_db *db, int64_t content_id, const tamis_signal *s) {
    return query((pg_db *)db, NULL,
                 "INSERT INTO signals (content_id, type, value) VALUES ($1, $2, $3)", "itt",
                 content_id, s->type, s->value);
}

/* ---- The change log ---------------------------------------------------------- */

static tamis_status pg_change_insert(tamis_db *db, const tamis_change *c) {
    return query((pg_db *)db, NULL,
                 "INSERT INTO changes (kind, content_id, bank, type, value, disabled_until) "
                 "VALUES ($1, NULLIF($2::bigint, 0), $3, $4, $5, $6)",
                 "iittti", (int64_t)c->kind, c->content_id, c->bank, c->type, c->value,
                 c->disabled_until);
}

static tamis_status pg_change_page(tamis_db *db, int64_t since, size_t limit,
                                   tamis__change_row fn, void *ctx) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "SELECT seq, kind, content_id, bank, type, value, disabled_until "
                            "FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                            "ii", since, (int64_t)limit);
    if (st != TAMIS_OK)
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        tamis_change c = {
            .seq = cell_int(r, i, 0),
            .kind = (tamis_change_kind)cell_int(r, i, 1),
            .content_id = cell_int(r, i, 2),
            .bank = cell(r, i, 3),
            .type = cell(r, i, 4),
            .value = cell(r, i, 5),
            .disabled_until = cell_int(r, i, 6),
        };
        if (fn(ctx, &c)) {
            st = TAMIS_DONE;
            break;
        }
    }
    PQclear(r);
    return st;
}

static tamis_status pg_change_last(tamis_db *db, int64_t *seq) {
    return select_int((pg_db *)db, "SELECT COALESCE(MAX(seq), 0) FROM changes", seq);
}

/* A cursor in the caller's snapshot, read in batches: between batches the
 * callback may run other queries on the connection. The cursor closes
 * with the transaction. */
static tamis_status pg_signals_scan(tamis_db *db, tamis_signal_scan_cb cb, void *ctx) {
    pg_db *d = (pg_db *)db;
    tamis_status st = pg_exec(db, "DECLARE tamis_scan NO SCROLL CURSOR FOR "
                                  "SELECT s.content_id, b.name, s.type, s.value, "
                                  "c.disabled_until FROM signals s "
                                  "JOIN content c ON c.id = s.content_id "
                                  "JOIN banks b ON b.id = c.bank_id");
    while (st == TAMIS_OK) {
        PGresult *r;
        if ((st = query(d, &r, "FETCH FORWARD " SCAN_BATCH " FROM tamis_scan", "")) != TAMIS_OK)
            break;
        int n = PQntuples(r);
        for (int i = 0; st == TAMIS_OK && i < n; i++)
            if (cb(ctx, cell_int(r, i, 0), cell(r, i, 1), cell(r, i, 2), cell(r, i, 3),
                   cell_int(r, i, 4)))
                st = TAMIS_DONE;
        PQclear(r);
        if (n == 0)
            break;
    }
    return st;
}

/* ---- Tokens ---------------------------------------------------------------------- */

static tamis_status pg_token_insert(tamis_db *db, const char *hash, const char *role,
                                    const char *label, int64_t now) {
    return query((pg_db *)db, NULL,
                 "INSERT INTO tokens (hash, role, label, created_at) VALUES ($1, $2, $3, $4)",
                 "ttti", hash, role, label, now);
}

static tamis_status pg_token_select(tamis_db *db, const char *hash, char *stored_hash,
                                    char *role) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r, "SELECT hash, role FROM tokens WHERE hash = $1",
                            "t", hash);
    if (st != TAMIS_OK)
        return st;
    if (PQntuples(r) == 0) {
        st = TAMIS_ERR_NOT_FOUND;
    } else {
        snprintf(stored_hash, 2 * TAMIS_SHA256_BYTES + 1, "%s", PQgetvalue(r, 0, 0));
        snprintf(role, 32, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return st;
}

/* ---- The audit log ------------------------------------------------------------- */

static tamis_status pg_audit_insert(tamis_db *db, const tamis_audit_entry *e) {
    return query((pg_db *)db, NULL,
                 "INSERT INTO audit (seq, at_us, actor, action, subject, detail, prev_hash, hash) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                 "iitttttt", e->seq, e->at_us, e->actor, e->action, e->subject, e->detail,
                 e->prev_hash, e->hash);
}

static tamis_status pg_audit_page(tamis_db *db, int64_t since, size_t limit, tamis_audit_cb fn,
                                  void *ctx) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "SELECT seq, at_us, actor, action, subject, detail, prev_hash, hash "
                            "FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                            "ii", since, (int64_t)limit);
    if (st != TAMIS_OK)
        return st;
    int n = PQntuples(r);
    for (int i = 0; i < n && st == TAMIS_OK; i++) {
        tamis_audit_entry e;
        memset(&e, 0, sizeof e);
        e.seq = cell_int(r, i, 0);
        e.at_us = cell_int(r, i, 1);
        e.actor = cell(r, i, 2);
        e.action = cell(r, i, 3);
        e.subject = cell(r, i, 4);
        e.detail = cell(r, i, 5);
        snprintf(e.prev_hash, sizeof e.prev_hash, "%s", cell(r, i, 6) ? cell(r, i, 6) : "");
        snprintf(e.hash, sizeof e.hash, "%s", cell(r, i, 7) ? cell(r, i, 7) : "");
        if (fn(ctx, &e))
            st = TAMIS_DONE;
    }
    PQclear(r);
    return st;
}

/* ---- Removal orders ------------------------------------------------------------- */

static tamis_status pg_order_insert(tamis_db *db, int state, int64_t deadline_us, const char *doc,
                                   int64_t *id) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "INSERT INTO orders (state, deadline_us, doc) VALUES ($1, $2, $3) "
                            "RETURNING id",
                            "iit", (int64_t)state, deadline_us, doc);
    if (st == TAMIS_OK) {
        *id = cell_int(r, 0, 0);
        PQclear(r);
    }
    return st;
}

static tamis_status pg_order_update(tamis_db *db, int64_t id, int state, int64_t deadline_us,
                                   const char *doc) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "UPDATE orders SET state = $2, deadline_us = $3, doc = $4 WHERE id = $1",
                            "iiit", id, (int64_t)state, deadline_us, doc);
    if (st != TAMIS_OK)
        return st;
    if (strcmp(PQcmdTuples(r), "0") == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no order %lld", (long long)id);
    PQclear(r);
    return st;
}

static tamis_status pg_order_page(tamis_db *db, int64_t id, int64_t after, size_t limit,
                                 int (*fn)(void *ctx, int64_t id, const char *doc), void *ctx) {
    PGresult *r;
    tamis_status st =
        id ? query((pg_db *)db, &r, "SELECT id, doc FROM orders WHERE id = $1", "i", id)
           : query((pg_db *)db, &r, "SELECT id, doc FROM orders WHERE id > $1 ORDER BY id LIMIT $2",
                   "ii", after, (int64_t)limit);
    if (st != TAMIS_OK)
        return st;
    int n = PQntuples(r);
    for (int i = 0; i < n && st == TAMIS_OK; i++)
        if (fn(ctx, cell_int(r, i, 0), cell(r, i, 1)))
            st = TAMIS_DONE;
    PQclear(r);
    return st;
}

/* ---- Records ---------------------------------------------------------------------- */

static tamis_status pg_rec_insert(tamis_db *db, const char *kind, int state, int64_t key_us,
                                 const char *doc, int64_t *id) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "INSERT INTO records (kind, state, key_us, doc) VALUES ($1, $2, $3, $4) "
                            "RETURNING id",
                            "tiit", kind, (int64_t)state, key_us, doc);
    if (st == TAMIS_OK) {
        *id = cell_int(r, 0, 0);
        PQclear(r);
    }
    return st;
}

static tamis_status pg_rec_update(tamis_db *db, int64_t id, int state, int64_t key_us,
                                 const char *doc) {
    PGresult *r;
    tamis_status st = query((pg_db *)db, &r,
                            "UPDATE records SET state = $2, key_us = $3, doc = $4 WHERE id = $1",
                            "iiit", id, (int64_t)state, key_us, doc);
    if (st != TAMIS_OK)
        return st;
    if (strcmp(PQcmdTuples(r), "0") == 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "no record %lld", (long long)id);
    PQclear(r);
    return st;
}

static tamis_status pg_rec_page(tamis_db *db, const char *kind, int state, int64_t id,
                               int64_t after, size_t limit,
                               int (*fn)(void *ctx, int64_t id, const char *doc), void *ctx) {
    PGresult *r;
    tamis_status st =
        id ? query((pg_db *)db, &r, "SELECT id, doc FROM records WHERE id = $1 AND kind = $2",
                   "it", id, kind)
           : query((pg_db *)db, &r,
                   "SELECT id, doc FROM records WHERE kind = $1 AND ($2 < 0 OR state = $2) "
                   "AND id > $3 ORDER BY id LIMIT $4",
                   "tiii", kind, (int64_t)state, after, (int64_t)limit);
    if (st != TAMIS_OK)
        return st;
    int n = PQntuples(r);
    for (int i = 0; i < n && st == TAMIS_OK; i++)
        if (fn(ctx, cell_int(r, i, 0), cell(r, i, 1)))
            st = TAMIS_DONE;
    PQclear(r);
    return st;
}

/* ---- Notification -------------------------------------------------------------- */

static tamis_status pg_listen(tamis_db *db, int *fd) {
    pg_db *d = (pg_db *)db;
    tamis_status st = pg_exec(db, "LISTEN tamis_changes");
    if (st != TAMIS_OK)
        return st;
    d->listening = 1;
    *fd = PQsocket(d->conn);
    return TAMIS_OK;
}

static tamis_status pg_notified(tamis_db *db, int *changed) {
    pg_db *d = (pg_db *)db;
    if (!PQconsumeInput(d->conn))
        return pg_error(d, NULL);
    PGnotify *n;
    while ((n = PQnotifies(d->conn)) != NULL) {
        if (strcmp(n->relname, "tamis_changes") == 0)
            *changed = 1;
        PQfreemem(n);
    }
    return TAMIS_OK;
}

static const tamis__store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .begin = pg_begin,
    .exec = pg_exec,
    .version_get = pg_version_get,
    .version_set = pg_version_set,
    .bank_select = pg_bank_select,
    .bank_insert = pg_bank_insert,
    .bank_update = pg_bank_update,
    .bank_delete = pg_bank_delete,
    .content_select = pg_content_select,
    .content_page = pg_content_page,
    .content_find = pg_content_find,
    .content_insert = pg_content_insert,
    .content_update = pg_content_update,
    .content_delete = pg_content_delete,
    .signal_insert = pg_signal_insert,
    .change_insert = pg_change_insert,
    .change_page = pg_change_page,
    .change_last = pg_change_last,
    .signals_scan = pg_signals_scan,
    .token_insert = pg_token_insert,
    .token_select = pg_token_select,
    .audit_insert = pg_audit_insert,
    .audit_page = pg_audit_page,
    .order_insert = pg_order_insert,
    .order_update = pg_order_update,
    .order_page = pg_order_page,
    .rec_insert = pg_rec_insert,
    .rec_update = pg_rec_update,
    .rec_page = pg_rec_page,
    .listen = pg_listen,
    .notified = pg_notified,
};

tamis_status tamis__pg_open(const char *conninfo, tamis_db **out, tamis__err *err) {
    *out = NULL;
    pg_db *d = tamis__calloc(1, sizeof *d);
    if (!d)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    d->base.ops = &pg_ops;
    /* Defaults first: what the URL says overrides them. Without a connect
     * timeout, an unreachable server would hang the caller for minutes. */
    const char *const keys[] = {"connect_timeout", "client_encoding",
                                "fallback_application_name", "dbname", NULL};
    const char *const values[] = {"10", "UTF8", "tamis", conninfo, NULL};
    d->conn = PQconnectdbParams(keys, values, 1);
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
        const char *msg = d->conn ? PQerrorMessage(d->conn) : "out of memory";
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        tamis_status st = tamis__fail(err, d->conn ? TAMIS_ERR_DB : TAMIS_ERR_NOMEM,
                                      "postgresql: cannot connect: %.*s", (int)n, msg);
        PQfinish(d->conn);
        tamis__free(d);
        return st;
    }
    PQsetNoticeProcessor(d->conn, quiet, NULL);
    *out = &d->base;
    return TAMIS_OK;
}
