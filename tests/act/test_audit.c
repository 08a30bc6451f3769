/*
 * test_audit.c - lib/act/audit.c: entries appended on a simulated clock,
 * the chain verified, and every kind of tampering found (an entry
 * altered, removed, two swapped) with the entry that does not hold. The
 * database refuses UPDATE and DELETE on the log; the tampering below goes
 * around it, as someone with the database's files or superuser would.
 */
#include <sqlite3.h>

#include "../server/client.h"
#include "../test.h"
#include "tamis.h"

static double sim_now(void *ctx) { return *(double *)ctx; }

static void fill(tamis_db *db, int n) {
    double t = 1767225600.0; /* 2026-01-01 */
    tamis_clock clk = {sim_now, &t};
    for (int i = 1; i <= n; i++) {
        char detail[64];
        snprintf(detail, sizeof detail, "{\"n\":%d}", i);
        int64_t seq;
        ASSERT_OK(tamis_audit_append(db, &clk, "reviewer:alice", "item.removed", "item:42",
                                     detail, &seq));
        t += 60;
    }
}

typedef struct {
    int n;
    int64_t at_first;
} lister;

static int count(void *ctx, const tamis_audit_entry *e) {
    lister *l = ctx;
    if (l->n++ == 0)
        l->at_first = e->at_us;
    return 0;
}

/* On every backend: appends, listing, verification, and the refusal of
 * UPDATE and DELETE (the PostgreSQL database is shared by the tests, so
 * the destructive checks run on SQLite files below). */
TEST(audit_append_list_verify_on_each_backend) {
    char urls[2][4096];
    int nb = backends(urls);
    for (int b = 0; b < nb; b++) {
        char err[256];
        tamis_db *db;
        ASSERT_OK(tamis_db_open(urls[b], &db, err, sizeof err));
        tamis_audit_report before;
        ASSERT_OK(tamis_audit_verify(db, &before));
        fill(db, 5);
        tamis_audit_report r;
        ASSERT_OK(tamis_audit_verify(db, &r));
        ASSERT_EQ(r.entries, before.entries + 5);
        ASSERT_EQ(strlen(r.head), 64);
        ASSERT(strcmp(r.head, before.head) != 0);
        lister l = {0, 0};
        ASSERT_OK(tamis_audit_list(db, before.entries, 100, count, &l));
        ASSERT_EQ(l.n, 5);
        ASSERT_EQ(l.at_first, (int64_t)1767225600 * 1000000);
        /* bad input */
        ASSERT_EQ(tamis_audit_append(db, NULL, "", "x", NULL, NULL, NULL), TAMIS_ERR_INVALID);
        ASSERT_EQ(tamis_audit_append(db, NULL, "a", "x", NULL, "[1]", NULL), TAMIS_ERR_INVALID);
        ASSERT_EQ(tamis_audit_append(db, NULL, "a", "x", NULL, "not json", NULL),
                  TAMIS_ERR_INVALID);
        tamis_db_close(db);
    }
}

static void raw(const char *path, const char *sql) {
    sqlite3 *h;
    ASSERT_EQ(sqlite3_open(path, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        FAIL("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(h);
}

static int raw_fails(const char *path, const char *sql) {
    sqlite3 *h;
    ASSERT_EQ(sqlite3_open(path, &h), SQLITE_OK);
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc != SQLITE_OK;
}

static tamis_status verify_file(const char *path, tamis_audit_report *r) {
    char err[256];
    tamis_db *db;
    if (tamis_db_open(path, &db, err, sizeof err) != TAMIS_OK)
        FAIL("%s: %s", path, err);
    tamis_status st = tamis_audit_verify(db, r);
    tamis_db_close(db);
    return st;
}

static const char *fresh(const char *name, int n) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s.db", tmp_dir(), name);
    char err[256];
    tamis_db *db;
    if (tamis_db_open(path, &db, err, sizeof err) != TAMIS_OK)
        FAIL("%s: %s", path, err);
    fill(db, n);
    tamis_db_close(db);
    return path;
}

TEST(audit_tampering_is_found_and_named) {
    tamis_audit_report r;
    /* the database itself refuses edits */
    const char *p = fresh("refuse", 5);
    ASSERT(raw_fails(p, "UPDATE audit SET detail = '{}' WHERE seq = 3"));
    ASSERT(raw_fails(p, "DELETE FROM audit WHERE seq = 5"));
    ASSERT_OK(verify_file(p, &r));
    ASSERT_EQ(r.entries, 5);
    static const char *drop = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;";
    /* one entry altered */
    p = fresh("altered", 6);
    raw(p, drop);
    raw(p, "UPDATE audit SET detail = '{\"n\":99}' WHERE seq = 3");
    ASSERT_EQ(verify_file(p, &r), TAMIS_ERR_CORRUPT);
    ASSERT_EQ(r.first_bad, 3);
    ASSERT(strstr(r.problem, "altered") != NULL);
    /* altered and rehashed: the next entry's link gives it away */
    p = fresh("rehashed", 6);
    raw(p, drop);
    raw(p, "UPDATE audit SET hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 3");
    ASSERT_EQ(verify_file(p, &r), TAMIS_ERR_CORRUPT);
    ASSERT(r.first_bad == 3 || r.first_bad == 4);
    /* one entry removed */
    p = fresh("removed", 6);
    raw(p, drop);
    raw(p, "DELETE FROM audit WHERE seq = 4");
    ASSERT_EQ(verify_file(p, &r), TAMIS_ERR_CORRUPT);
    ASSERT_EQ(r.first_bad, 4);
    ASSERT(strstr(r.problem, "missing") != NULL);
    /* two entries swapped (their numbers exchanged) */
    p = fresh("swapped", 6);
    raw(p, drop);
    raw(p, "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 5; "
           "UPDATE audit SET seq = 5 WHERE seq = -2;");
    ASSERT_EQ(verify_file(p, &r), TAMIS_ERR_CORRUPT);
    ASSERT_EQ(r.first_bad, 2);
    /* the last one removed: the chain still holds; only the head tells */
    p = fresh("truncated", 6);
    ASSERT_OK(verify_file(p, &r));
    char head[65];
    memcpy(head, r.head, sizeof head);
    raw(p, drop);
    raw(p, "DELETE FROM audit WHERE seq = 6");
    ASSERT_OK(verify_file(p, &r));
    ASSERT(strcmp(r.head, head) != 0);
    ASSERT_EQ(r.entries, 5);
}

TEST(audit_cli_verify_and_list) {
    const char *p = fresh("cli", 4);
    char *out = NULL, *err = NULL;
    int st = run_cmd(fmt("'%s/tamis' audit verify --db '%s'", build_dir(), p), &out, &err);
    ASSERT_EQ(st, 0);
    ASSERT(strstr(out, "intact: 4 entries, head ") != NULL);
    char head[65];
    ASSERT_EQ(sscanf(strstr(out, "head ") + 5, "%64s", head), 1);
    free(out), free(err);
    st = run_cmd(fmt("'%s/tamis' audit list --db '%s' --since 2", build_dir(), p), &out, &err);
    ASSERT_EQ(st, 0);
    ASSERT(strstr(out, "{\"seq\":3,") && strstr(out, "{\"seq\":4,") && !strstr(out, "\"seq\":2,"));
    ASSERT(strstr(out, "\"actor\":\"reviewer:alice\""));
    free(out), free(err);
    /* the last entry removed: caught by --expect-head */
    raw(p, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 4");
    st = run_cmd(fmt("'%s/tamis' audit verify --db '%s' --expect-head %s", build_dir(), p, head),
                 &out, &err);
    ASSERT_EQ(st, 1);
    ASSERT(strstr(err, "removed from its end") != NULL);
    free(out), free(err);
    /* an entry altered: exit 1, naming it */
    raw(p, "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'someone' WHERE seq = 2");
    st = run_cmd(fmt("'%s/tamis' audit verify --db '%s'", build_dir(), p), &out, &err);
    ASSERT_EQ(st, 1);
    ASSERT(strstr(err, "entry 2") != NULL);
    free(out), free(err);
    st = run_cmd(fmt("'%s/tamis' audit check --db '%s'", build_dir(), p), &out, &err);
    ASSERT_EQ(st, 2);
    free(out), free(err);
}
