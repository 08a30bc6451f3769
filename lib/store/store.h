/*
 * store.h - the storage backends behind tamis_db (internal).
 *
 * As SQLite's VFS separates the engine from the operating system, a table
 * of operations separates tamis_db from its database: each operation runs
 * one SQL statement (or a fixed few) with bound parameters, and knows
 * nothing of the rules around it. db.c, content.c and token.c implement the
 * public functions once for every backend: they check arguments, open
 * transactions and write the change log in the same transaction as the
 * change. store_sqlite.c and store_pg.c are the backends; each keeps its
 * schema as an ordered list of migrations in its own file
 * (schema_sqlite.c, schema_pg.c), applied at open.
 *
 * Ordering of the change log. Followers read it by seq (tamis_db_changes
 * since N), so a change must never become visible after one with a larger
 * seq. Each backend's write transactions are therefore serialised from
 * their start: SQLite has a single writer anyway (BEGIN IMMEDIATE), and
 * the PostgreSQL backend takes a transaction-level advisory lock in BEGIN,
 * so seq order is commit order there too.
 */
#ifndef TAMIS_STORE_H
#define TAMIS_STORE_H

#include <stdint.h>

#include "../common/common.h"

/* What begin() opens. */
typedef enum tamis__tx {
    TAMIS__TX_WRITE = 1,   /* waits for other writers, then holds them off */
    TAMIS__TX_SNAPSHOT = 2 /* read only; every read sees the same state */
} tamis__tx;

/* Row callbacks: strings are valid only during the call; returning
 * nonzero stops the query (the operation then returns TAMIS_DONE). */
typedef int (*tamis__bank_row)(void *ctx, int64_t id, const tamis_bank *b);
/* One row per signal of an item, items in id order, signals in the order
 * they were added; c has no signals of its own (n_signals 0) and s is NULL
 * for an item without any. */
typedef int (*tamis__content_row)(void *ctx, const tamis_content *c,
                                  const tamis_signal *s);
typedef int (*tamis__change_row)(void *ctx, const tamis_change *c);

/* A backend. Every operation returns TAMIS_OK or an error with a message
 * in db->err: TAMIS_ERR_EXISTS for a unique key already taken,
 * TAMIS_ERR_NOT_FOUND when an update or delete matched no row,
 * TAMIS_ERR_NOMEM, or TAMIS_ERR_DB. Text arguments are NUL-terminated
 * UTF-8 and may be NULL where the column allows it. */
typedef struct tamis__store_ops {
    const char *name; /* what tamis_db_backend returns */
    void (*close)(tamis_db *db);

    /* Transactions. exec runs fixed SQL without parameters (possibly
     * several statements): COMMIT, ROLLBACK, SAVEPOINT tamis, a migration. */
    tamis_status (*begin)(tamis_db *db, tamis__tx kind);
    tamis_status (*exec)(tamis_db *db, const char *sql);

    /* The schema_version table (created by db.c): the highest version
     * applied, 0 for a new database; and recording one. */
    tamis_status (*version_get)(tamis_db *db, int *version);
    tamis_status (*version_set)(tamis_db *db, int version, int64_t now);

    /* Banks. bank_select with name NULL lists all, in name order. */
    tamis_status (*bank_select)(tamis_db *db, const char *name, tamis__bank_row fn,
                                void *ctx);
    tamis_status (*bank_insert)(tamis_db *db, const tamis_bank *b, int64_t now);
    tamis_status (*bank_update)(tamis_db *db, int64_t id, const tamis_bank *b,
                                int64_t now);
    tamis_status (*bank_delete)(tamis_db *db, int64_t id);

    /* Items with their signals. content_page gives the first `limit`
     * items (limit > 0) of a bank with id > after_id; content_find those
     * of a bank having signal s. */
    tamis_status (*content_select)(tamis_db *db, int64_t id, tamis__content_row fn,
                                   void *ctx);
    tamis_status (*content_page)(tamis_db *db, int64_t bank_id, int64_t after_id,
                                 size_t limit, tamis__content_row fn, void *ctx);
    tamis_status (*content_find)(tamis_db *db, int64_t bank_id,
                                 const tamis_signal *s, tamis__content_row fn,
                                 void *ctx);
    tamis_status (*content_insert)(tamis_db *db, int64_t bank_id,
                                   const tamis_content *c, int64_t now, int64_t *id);
    /* Labels, source, note, metadata and disabled_until of item c->id. */
    tamis_status (*content_update)(tamis_db *db, const tamis_content *c);
    tamis_status (*content_delete)(tamis_db *db, int64_t id);
    tamis_status (*signal_insert)(tamis_db *db, int64_t content_id,
                                  const tamis_signal *s);

    /* The change log: c->seq is assigned; change_page gives at most
     * `limit` (> 0) changes with seq > since, in order; change_last the
     * highest seq written (0 if none). */
    tamis_status (*change_insert)(tamis_db *db, const tamis_change *c);
    tamis_status (*change_page)(tamis_db *db, int64_t since, size_t limit,
                                tamis__change_row fn, void *ctx);
    tamis_status (*change_last)(tamis_db *db, int64_t *seq);
    /* Every signal with its item's bank and disabled_until, streamed
     * (inside a snapshot opened by the caller). */
    tamis_status (*signals_scan)(tamis_db *db, tamis_signal_scan_cb cb, void *ctx);

    /* API tokens, keyed by the hex SHA-256 of the token. token_select
     * copies the stored hash (65 chars) and role (32) or returns
     * TAMIS_ERR_NOT_FOUND. */
    tamis_status (*token_insert)(tamis_db *db, const char *hash, const char *role,
                                 const char *label, int64_t now);
    tamis_status (*token_select)(tamis_db *db, const char *hash, char *stored_hash,
                                 char *role);

    /* The audit log (lib/act/audit.c): audit_insert appends e (e->seq
     * given by the caller, one more than the last); audit_page gives at
     * most `limit` entries with seq > since, in seq order. */
    tamis_status (*audit_insert)(tamis_db *db, const tamis_audit_entry *e);
    tamis_status (*audit_page)(tamis_db *db, int64_t since, size_t limit,
                               tamis_audit_cb fn, void *ctx);

    /* Removal orders (lib/act/order.c): each a JSON document, with its
     * state and deadline as columns for queries. order_select and
     * order_page call fn(ctx, id, doc). */
    tamis_status (*order_insert)(tamis_db *db, int state, int64_t deadline_us,
                                 const char *doc, int64_t *id);
    tamis_status (*order_update)(tamis_db *db, int64_t id, int state, int64_t deadline_us,
                                 const char *doc);
    tamis_status (*order_page)(tamis_db *db, int64_t id, int64_t after, size_t limit,
                               int (*fn)(void *ctx, int64_t id, const char *doc), void *ctx);

    /* Records of the acting modules (decisions, later notices and
     * complaints): a JSON document per record, with its kind, a state and
     * a time (key_us) as columns for queries. rec_page with id != 0 gives
     * that record; otherwise those of `kind` after `after` (state < 0:
     * any), in id order. */
    tamis_status (*rec_insert)(tamis_db *db, const char *kind, int state, int64_t key_us,
                               const char *doc, int64_t *id);
    tamis_status (*rec_update)(tamis_db *db, int64_t id, int state, int64_t key_us,
                               const char *doc);
    tamis_status (*rec_page)(tamis_db *db, const char *kind, int state, int64_t id,
                             int64_t after, size_t limit,
                             int (*fn)(void *ctx, int64_t id, const char *doc), void *ctx);

    /* Change notification (see tamis__db_listen). */
    tamis_status (*listen)(tamis_db *db, int *fd);
    tamis_status (*notified)(tamis_db *db, int *changed);
} tamis__store_ops;

/* The part of a handle every backend shares; a backend's handle starts
 * with it. */
struct tamis_db {
    const tamis__store_ops *ops;
    tamis__err err;
    int depth;          /* 0: no transaction; 1: in BEGIN; n: n-1 savepoints */
    int scanning;       /* in tamis_db_signals_scan: writes are refused */
    int rollback_owed;  /* a ROLLBACK failed (out of memory): retried first */
    int undo_failed;    /* a savepoint could not be undone or released: the
                           transaction must not commit */
    int schema_version; /* after open: the schema the database is at */
    unsigned import_batch; /* rows a transaction of tamis_db_import; 0: the default */
};

/* The backends' constructors: connect, set the handle up; db.c then
 * migrates. On error *out is NULL and err says why. */
tamis_status tamis__sqlite_open(const char *path, tamis_db **out, tamis__err *err);
tamis_status tamis__pg_open(const char *conninfo, tamis_db **out, tamis__err *err);

/* The migrations of a backend, in order: steps[i].version == i + 1. Each
 * step's SQL runs in the transaction that records its version, so a
 * database is always at one version or the next. */
typedef struct tamis__migration {
    int version;
    const char *sql;
} tamis__migration;

extern const tamis__migration tamis__sqlite_migrations[];
extern const size_t tamis__sqlite_n_migrations;
extern const tamis__migration tamis__pg_migrations[];
extern const size_t tamis__pg_n_migrations;

/* Brings the database to the last of `n` steps, in one write transaction
 * (concurrent openers wait for each other). TAMIS_ERR_DB if it is at a
 * version newer than this library knows. */
tamis_status tamis__db_migrate(tamis_db *db, const tamis__migration *steps, size_t n);

/* ---- For the rest of lib/store (import.c) ---------------------------------
 * A batch of changes in one transaction: every public write function
 * called between tamis__db_begin and tamis__db_end joins it, in a
 * savepoint of its own, so that a row that fails (a duplicate, a missing
 * bank) is undone alone and the batch goes on. tamis__db_end commits when
 * st >= 0 and rolls back otherwise; it returns st, or the commit's error.
 * Calls nest. */
tamis_status tamis__db_begin(tamis_db *db);
tamis_status tamis__db_end(tamis_db *db, tamis_status st);

/* ---- Shared by db.c, content.c and token.c -------------------------------- */

/* The start of every public function: TAMIS_ERR_INVALID for a NULL
 * handle, and for a write (write != 0) inside tamis_db_signals_scan;
 * clears the handle's message. */
tamis_status tamis__db_enter(tamis_db *db, int write);
/* The id of bank `name`; TAMIS_ERR_NOT_FOUND (with a message) if none. */
tamis_status tamis__db_bank_id(tamis_db *db, const char *name, int64_t *id);

/* A copy of s through tamis__malloc (NULL for NULL; *st set to
 * TAMIS_ERR_NOMEM when the copy fails). */
char *tamis__store_strdup(const char *s, tamis_status *st);

/* Checks of what is stored (check.c). Each returns TAMIS_OK or
 * TAMIS_ERR_INVALID with a message naming `what`. */
int tamis__bank_name_ok(const char *name);
tamis_status tamis__check_text(tamis__err *e, const char *what, const char *s);
tamis_status tamis__check_bank(tamis__err *e, const tamis_bank *b);
tamis_status tamis__check_content(tamis__err *e, const tamis_content *c);
/* Checks s and gives its stored form in *out: lower-case hex in buf for
 * the hash types (buf holds TAMIS__SIGNAL_HEX_MAX + 1 chars), else s
 * itself. */
#define TAMIS__SIGNAL_HEX_MAX 64
tamis_status tamis__signal_normalise(tamis__err *e, const tamis_signal *s, char *buf,
                                     tamis_signal *out);

/* ---- Following the change log without polling ------------------------------
 * tamis__db_listen subscribes the handle to change notifications and gives
 * in *fd a descriptor to wait on for reading (poll, epoll): on PostgreSQL
 * the connection's socket, after LISTEN tamis_changes (every transaction
 * that writes to the change log sends NOTIFY tamis_changes, from a
 * trigger, when it commits); -1 on SQLite, which cannot wake anyone: wait
 * on a timer instead. After the descriptor is readable, or the timer
 * fires, tamis__db_notified sets *changed to nonzero if changes may have
 * been committed since its last call (on SQLite: by another connection,
 * from PRAGMA data_version), and the caller reads them with
 * tamis_db_changes. Notifications only wake the follower; the change log
 * is what it trusts. After a PostgreSQL connection is lost and
 * re-established, the socket changes: call tamis__db_listen again after
 * any error. */
tamis_status tamis__db_listen(tamis_db *db, int *fd);
tamis_status tamis__db_notified(tamis_db *db, int *changed);

#endif /* TAMIS_STORE_H */
