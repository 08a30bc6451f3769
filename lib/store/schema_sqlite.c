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
};

const size_t tamis__sqlite_n_migrations =
    sizeof tamis__sqlite_migrations / sizeof tamis__sqlite_migrations[0];
