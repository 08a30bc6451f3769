/*
 * schema_pg.c - the PostgreSQL schema, as the ordered list of migrations
 * that builds it. A released step is never edited: changes come as new
 * steps at the end (db.c applies the missing ones at open).
 */
#include "store.h"

const tamis__migration tamis__pg_migrations[] = {
    {1,
     /* Banks are referred to by id, so that a rename touches one row.
      * JSON fields are kept as text, exactly as given (as in SQLite). */
     "CREATE TABLE banks ("
     "  id bigserial PRIMARY KEY,"
     "  name text NOT NULL UNIQUE,"
     "  description text,"
     "  enabled_ratio double precision NOT NULL DEFAULT 1,"
     "  labels text,"
     "  thresholds text,"
     "  policy text,"
     "  created_at bigint NOT NULL,"
     "  updated_at bigint NOT NULL);"
     "CREATE TABLE content ("
     "  id bigserial PRIMARY KEY,"
     "  bank_id bigint NOT NULL REFERENCES banks(id) ON DELETE CASCADE,"
     "  labels text,"
     "  source text,"
     "  note text,"
     "  metadata text,"
     "  added_at bigint NOT NULL,"
     "  disabled_until bigint NOT NULL DEFAULT 0);"
     "CREATE INDEX content_bank ON content(bank_id, id);"
     "CREATE TABLE signals ("
     "  id bigserial PRIMARY KEY,"
     "  content_id bigint NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
     "  type text NOT NULL,"
     "  value text NOT NULL,"
     "  UNIQUE (content_id, type, value));"
     "CREATE INDEX signals_value ON signals(type, value);"
     "CREATE TABLE changes ("
     "  seq bigserial PRIMARY KEY,"
     "  kind integer NOT NULL,"
     "  content_id bigint,"
     "  bank text,"
     "  type text,"
     "  value text,"
     "  disabled_until bigint);"
     "CREATE TABLE tokens ("
     "  hash text PRIMARY KEY,"
     "  role text NOT NULL,"
     "  label text,"
     "  created_at bigint NOT NULL);"
     /* Wakes the servers that LISTEN tamis_changes when a transaction that
      * wrote changes commits (PostgreSQL sends notifications at commit,
      * and folds identical ones of a transaction into one). */
     "CREATE FUNCTION tamis_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$"
     "  BEGIN PERFORM pg_notify('tamis_changes', ''); RETURN NULL; END $$;"
     "CREATE TRIGGER changes_notify AFTER INSERT ON changes"
     "  FOR EACH STATEMENT EXECUTE FUNCTION tamis_notify_changes();"},
    {2,
     /* Video signals are large (a .tmk in base64 is 351 KB, a vPDQ list
      * 80 bytes a frame) and a B-tree entry holds at most ~2.7 KB: values
      * are indexed by their MD5, and looked up by both. */
     "ALTER TABLE signals DROP CONSTRAINT signals_content_id_type_value_key;"
     "DROP INDEX signals_value;"
     "CREATE UNIQUE INDEX signals_unique ON signals(content_id, type, md5(value));"
     "CREATE INDEX signals_value ON signals(type, md5(value));"},
    {3,
     /* The audit log (lib/act/audit.c), as in SQLite. */
     "CREATE TABLE audit ("
     "  seq bigint PRIMARY KEY,"
     "  at_us bigint NOT NULL,"
     "  actor text NOT NULL,"
     "  action text NOT NULL,"
     "  subject text,"
     "  detail text,"
     "  prev_hash text NOT NULL,"
     "  hash text NOT NULL);"
     "CREATE FUNCTION tamis_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
     "  BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;"
     "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
     "  FOR EACH ROW EXECUTE FUNCTION tamis_audit_append_only();"},
    {4,
     /* Removal orders, as in SQLite. */
     "CREATE TABLE orders ("
     "  id bigserial PRIMARY KEY,"
     "  state integer NOT NULL,"
     "  deadline_us bigint NOT NULL,"
     "  doc text NOT NULL);"
     "CREATE INDEX orders_open ON orders(state, deadline_us);"},
    {5,
     /* Records of the acting modules, as in SQLite. */
     "CREATE TABLE records ("
     "  id bigserial PRIMARY KEY,"
     "  kind text NOT NULL,"
     "  state integer NOT NULL,"
     "  key_us bigint NOT NULL,"
     "  doc text NOT NULL);"
     "CREATE INDEX records_kind ON records(kind, state, id);"},
};

const size_t tamis__pg_n_migrations =
    sizeof tamis__pg_migrations / sizeof tamis__pg_migrations[0];
