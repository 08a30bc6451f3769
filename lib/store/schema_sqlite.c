/*
 * schema_sqlite.c - the SQLite schema, as the ordered list of migrations
 * that builds it. A released step is never edited: changes come as new
 * steps at the end (db.c applies the missing ones at open).
 */
#include "store.h"

const tamis__migration tamis__sqlite_migrations[] = {
    {1,
     /* Banks are referred to by id, so that a rename touches one row. */
     "CREATE TABLE banks ("
     "  id INTEGER PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  description TEXT,"
     "  enabled_ratio REAL NOT NULL DEFAULT 1,"
     "  labels TEXT,"
     "  thresholds TEXT,"
     "  policy TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"
     /* AUTOINCREMENT: an item's id is never reused, since followers of the
      * change log know items by id. */
     "CREATE TABLE content ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,"
     "  labels TEXT,"
     "  source TEXT,"
     "  note TEXT,"
     "  metadata TEXT,"
     "  added_at INTEGER NOT NULL,"
     "  disabled_until INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX content_bank ON content(bank_id, id);"
     "CREATE TABLE signals ("
     "  id INTEGER PRIMARY KEY,"
     "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
     "  type TEXT NOT NULL,"
     "  value TEXT NOT NULL,"
     "  UNIQUE (content_id, type, value));"
     "CREATE INDEX signals_value ON signals(type, value);"
     "CREATE TABLE changes ("
     "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  kind INTEGER NOT NULL,"
     "  content_id INTEGER,"
     "  bank TEXT,"
     "  type TEXT,"
     "  value TEXT,"
     "  disabled_until INTEGER);"
     "CREATE TABLE tokens ("
     "  hash TEXT PRIMARY KEY,"
     "  role TEXT NOT NULL,"
     "  label TEXT,"
     "  created_at INTEGER NOT NULL);"},
    {2,
     /* PostgreSQL's step 2 indexes signal values by their MD5 (its B-tree
      * entries have a size limit); SQLite's have none. Kept so that the
      * two schemas have the same version numbers. */
     "SELECT 1;"},
    {3,
     /* The audit log: append-only, each entry hash-chained to the one
      * before (lib/act/audit.c); the triggers refuse edits through SQL,
      * and the chain reveals edits made around them. */
     "CREATE TABLE audit ("
     "  seq INTEGER PRIMARY KEY,"
     "  at_us INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  subject TEXT,"
     "  detail TEXT,"
     "  prev_hash TEXT NOT NULL,"
     "  hash TEXT NOT NULL);"
     "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
     "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
     "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
     "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"},
    {4,
     /* Removal orders (lib/act/order.c): Annex I's fields and the steps
      * in a JSON document; state and deadline as columns for queries. */
     "CREATE TABLE orders ("
     "  id INTEGER PRIMARY KEY,"
     "  state INTEGER NOT NULL,"
     "  deadline_us INTEGER NOT NULL,"
     "  doc TEXT NOT NULL);"
     "CREATE INDEX orders_open ON orders(state, deadline_us);"},
    {5,
     /* Records of the acting modules (lib/act/): decisions and the review
      * queue, later notices and complaints; a JSON document each. */
     "CREATE TABLE records ("
     "  id INTEGER PRIMARY KEY,"
     "  kind TEXT NOT NULL,"
     "  state INTEGER NOT NULL,"
     "  key_us INTEGER NOT NULL,"
     "  doc TEXT NOT NULL);"
     "CREATE INDEX records_kind ON records(kind, state, id);"},
};

const size_t tamis__sqlite_n_migrations =
    sizeof tamis__sqlite_migrations / sizeof tamis__sqlite_migrations[0];
