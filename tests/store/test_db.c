/*
 * test_db.c - lib/store: banks, items, signals, the change log, the signal
 * scan and tokens, through the public API, on both backends.
 *
 * Each DB_TEST(name) body is written once and registered twice: name_sqlite
 * runs it on a fresh SQLite file in the test's temporary directory, name_pg
 * on a fresh database (t_<name>, dropped and created again) of the
 * PostgreSQL server that TAMIS_TEST_PG names. tests/run.sh starts a
 * throwaway server with tests/pg.sh and sets it; without one, the _pg
 * tests are skipped, saying why.
 */
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>

#include "../../lib/store/store.h"
#include "../test.h"

/* ---- Backends ------------------------------------------------------------ */

static char url_buf[4096];

static const char *sqlite_url(void) {
    snprintf(url_buf, sizeof url_buf, "sqlite:%s/tamis.db", tmp_dir());
    return url_buf;
}

static void quiet(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static const char *pg_url(const char *name) {
    const char *base = getenv("TAMIS_TEST_PG");
    if (!base || !*base)
        SKIP("PostgreSQL: TAMIS_TEST_PG is not set (tests/run.sh sets it when "
             "tests/pg.sh can start a server)");
    PGconn *c = PQconnectdb(base);
    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQfinish(c);
        SKIP("PostgreSQL at TAMIS_TEST_PG is unreachable: %s", msg);
    }
    char db[64];
    snprintf(db, sizeof db, "t_%.50s", name);
    const char *sql[] = {fmt("DROP DATABASE IF EXISTS %s WITH (FORCE)", db),
                         fmt("CREATE DATABASE %s", db)};
    for (int i = 0; i < 2; i++) {
        PGresult *r = PQexec(c, sql[i]);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            FAIL("%s: %s", sql[i], PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(c);
    snprintf(url_buf, sizeof url_buf, "%s%cdbname=%s", base, strchr(base, '?') ? '&' : '?',
             db);
    return url_buf;
}

#define DB_TEST(name)                                                          \
    static void name##_body(const char *url);                                  \
    TEST(name##_sqlite) { name##_body(sqlite_url()); }                         \
    TEST(name##_pg) { name##_body(pg_url(#name)); }                            \
    static void name##_body(const char *url)

/* ---- Helpers ---------------------------------------------------------------- */

#define ASSERT_DB_OK(db, expr)                                                 \
    do {                                                                       \
        int st_ = (int)(expr);                                                 \
        if (st_ != 0)                                                          \
            FAIL("%s: %s: %s", #expr, tamis_strerror((tamis_status)st_),       \
                 tamis_db_errmsg(db));                                         \
    } while (0)

/* The status must be `want`, and a failure must come with a message. */
#define ASSERT_DB_ERR(db, expr, want)                                          \
    do {                                                                       \
        int st_ = (int)(expr);                                                 \
        if (st_ != (int)(want))                                                \
            FAIL("%s: %s (%s), want %s", #expr, tamis_strerror((tamis_status)st_), \
                 tamis_db_errmsg(db), tamis_strerror(want));                   \
        ASSERT(tamis_db_errmsg(db)[0] != '\0');                                \
    } while (0)

static tamis_db *open_ok(const char *url) {
    tamis_db *db = NULL;
    char err[512];
    tamis_status st = tamis_db_open(url, &db, err, sizeof err);
    if (st != TAMIS_OK)
        FAIL("open %s: %s (%s)", url, tamis_strerror(st), err);
    return db;
}

static void bank_new(tamis_db *db, const char *name) {
    tamis_bank b = {.name = (char *)name, .enabled_ratio = 1};
    ASSERT_DB_OK(db, tamis_db_bank_create(db, &b));
}

/* 64 hex digits from i. */
static const char *hex64(unsigned i) { return fmt("%064x", i); }

static int64_t item_new(tamis_db *db, const char *bank, const char *type, const char *value) {
    tamis_signal s = {(char *)type, (char *)value};
    tamis_content c = {.bank = (char *)bank, .n_signals = 1, .signals = &s};
    int64_t id = 0;
    ASSERT_DB_OK(db, tamis_db_content_add(db, &c, &id));
    ASSERT_GT(id, 0);
    return id;
}

static int count_cb(void *ctx, const tamis_content *c) {
    (void)c;
    ++*(int *)ctx;
    return 0;
}

static int count_in(tamis_db *db, const char *bank) {
    int n = 0;
    ASSERT_DB_OK(db, tamis_db_content_list(db, bank, 0, 0, count_cb, &n));
    return n;
}

/* The change log, copied. */
typedef struct rec {
    int64_t seq, content_id, disabled_until;
    int kind;
    char bank[128], type[40], value[130];
} rec;

typedef struct recs {
    rec *r;
    int n, cap, stop_after; /* stop_after: return 1 after that many (0 = never) */
} recs;

static int record_change(void *ctx, const tamis_change *c) {
    recs *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->r = realloc(l->r, (size_t)l->cap * sizeof *l->r);
    }
    rec *r = &l->r[l->n++];
    memset(r, 0, sizeof *r);
    r->seq = c->seq;
    r->kind = c->kind;
    r->content_id = c->content_id;
    r->disabled_until = c->disabled_until;
    snprintf(r->bank, sizeof r->bank, "%s", c->bank ? c->bank : "");
    snprintf(r->type, sizeof r->type, "%s", c->type ? c->type : "");
    snprintf(r->value, sizeof r->value, "%s", c->value ? c->value : "");
    return l->stop_after && l->n >= l->stop_after;
}

static recs changes_since(tamis_db *db, int64_t since, int64_t *last) {
    recs l = {0};
    int64_t x = -1;
    ASSERT_DB_OK(db, tamis_db_changes(db, since, 0, record_change, &l, &x));
    if (last)
        *last = x;
    return l;
}

static void assert_increasing(const recs *l) {
    for (int i = 1; i < l->n; i++)
        if (l->r[i].seq <= l->r[i - 1].seq)
            FAIL("seq %lld after %lld", (long long)l->r[i].seq, (long long)l->r[i - 1].seq);
}

/* ---- Opening and the schema -------------------------------------------------- */

DB_TEST(open_migrates_once_and_reopens) {
    tamis_db *db = open_ok(url);
    const char *backend = tamis_db_backend(db);
    ASSERT(strcmp(backend, strncmp(url, "sqlite:", 7) == 0 ? "sqlite" : "postgresql") == 0);
    size_t steps = strcmp(backend, "sqlite") == 0 ? tamis__sqlite_n_migrations
                                                  : tamis__pg_n_migrations;
    ASSERT_EQ(db->schema_version, steps);
    bank_new(db, "KEPT");
    tamis_db_close(db);

    /* Opening again applies nothing and keeps the data. */
    db = open_ok(url);
    ASSERT_EQ(db->schema_version, steps);
    int version = 0;
    ASSERT_DB_OK(db, db->ops->version_get(db, &version));
    ASSERT_EQ(version, steps);
    tamis_bank b;
    ASSERT_DB_OK(db, tamis_db_bank_get(db, "KEPT", &b));
    tamis_bank_clear(&b);

    /* A database from a newer tamis is refused, not damaged. */
    ASSERT_DB_OK(db, db->ops->exec(db, "INSERT INTO schema_version (version, applied_at) "
                                       "VALUES (999, 0)"));
    tamis_db_close(db);
    char err[512];
    ASSERT_EQ(tamis_db_open(url, &db, err, sizeof err), TAMIS_ERR_DB);
    ASSERT(db == NULL);
    ASSERT(strstr(err, "newer") != NULL);
}

struct opener {
    const char *url;
    tamis_status st;
    char err[512];
};

static void *open_thread(void *arg) {
    struct opener *o = arg;
    tamis_db *db = NULL;
    o->st = tamis_db_open(o->url, &db, o->err, sizeof o->err);
    tamis_db_close(db);
    return NULL;
}

DB_TEST(concurrent_opens_of_a_new_database_both_migrate_it) {
    struct opener o[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        o[i].url = url;
        pthread_create(&t[i], NULL, open_thread, &o[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (o[i].st != TAMIS_OK)
            FAIL("opener %d: %s: %s", i, tamis_strerror(o[i].st), o[i].err);
    }
    tamis_db *db = open_ok(url);
    int version = 0;
    ASSERT_DB_OK(db, db->ops->version_get(db, &version));
    ASSERT_EQ(version, db->schema_version);
    tamis_db_close(db);
}

TEST(open_rejects_bad_arguments_and_reports_why) {
    tamis_db *db = (tamis_db *)1;
    char err[512];
    ASSERT_EQ(tamis_db_open(NULL, &db, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT(db == NULL);
    ASSERT_EQ(tamis_db_open("sqlite:", &db, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT(err[0] != '\0');
    ASSERT_EQ(tamis_db_open(fmt("%s/no/such/dir/x.db", tmp_dir()), &db, err, sizeof err),
              TAMIS_ERR_DB);
    ASSERT(strstr(err, "cannot open") != NULL);
    ASSERT(db == NULL);
    ASSERT_EQ(tamis_db_open(fmt("postgresql:///x?host=%s/nowhere&connect_timeout=2", tmp_dir()),
                            &db, err, sizeof err),
              TAMIS_ERR_DB);
    ASSERT(strstr(err, "postgresql") != NULL);
    ASSERT_EQ(tamis_db_open(fmt("%s/plain.db", tmp_dir()), &db, NULL, 0), TAMIS_OK);
    ASSERT_STR_EQ(tamis_db_backend(db), "sqlite");
    tamis_db_close(db);
    tamis_db_close(NULL);
    ASSERT(tamis_db_errmsg(NULL)[0] != '\0');
    ASSERT_EQ(tamis_db_bank_create(NULL, NULL), TAMIS_ERR_INVALID);
}

/* ---- Banks --------------------------------------------------------------------- */

static int list_names(void *ctx, const tamis_bank *b) {
    char *out = ctx;
    strcat(out, b->name);
    strcat(out, ",");
    return 0;
}

DB_TEST(bank_create_get_update_list_delete) {
    tamis_db *db = open_ok(url);
    tamis_bank b = {
        .name = "GIFCT_TEST",
        .description = "a list — with UTF-8",
        .enabled_ratio = 0.5,
        .labels = "[\"terrorism\", \"tvec\"]",
        .thresholds = "{\"pdq\": 20, \"md5\": 0}",
        .policy = "{\"action\": \"review\"}",
    };
    ASSERT_DB_OK(db, tamis_db_bank_create(db, &b));
    bank_new(db, "ALPHA");

    tamis_bank g;
    ASSERT_DB_OK(db, tamis_db_bank_get(db, "GIFCT_TEST", &g));
    ASSERT_STR_EQ(g.name, "GIFCT_TEST");
    ASSERT_STR_EQ(g.description, b.description);
    ASSERT_NEAR(g.enabled_ratio, 0.5, 0);
    ASSERT_STR_EQ(g.labels, b.labels);
    ASSERT_STR_EQ(g.thresholds, b.thresholds);
    ASSERT_STR_EQ(g.policy, b.policy);
    ASSERT_GT(g.created_at, 1700000000);
    ASSERT_EQ(g.updated_at, g.created_at);
    tamis_bank_clear(&g);
    ASSERT(g.name == NULL);

    ASSERT_DB_OK(db, tamis_db_bank_get(db, "ALPHA", &g));
    ASSERT(g.description == NULL && g.labels == NULL && g.thresholds == NULL &&
           g.policy == NULL);
    tamis_bank_clear(&g);

    char names[256] = "";
    ASSERT_DB_OK(db, tamis_db_bank_list(db, list_names, names));
    ASSERT_STR_EQ(names, "ALPHA,GIFCT_TEST,");

    tamis_bank u = {.name = "GIFCT_TEST", .enabled_ratio = 0, .thresholds = "{\"pdq\": 10}"};
    ASSERT_DB_OK(db, tamis_db_bank_update(db, "GIFCT_TEST", &u));
    ASSERT_DB_OK(db, tamis_db_bank_get(db, "GIFCT_TEST", &g));
    ASSERT_NEAR(g.enabled_ratio, 0, 0);
    ASSERT(g.description == NULL && g.labels == NULL && g.policy == NULL);
    ASSERT_STR_EQ(g.thresholds, "{\"pdq\": 10}");
    tamis_bank_clear(&g);

    ASSERT_DB_OK(db, tamis_db_bank_delete(db, "ALPHA"));
    ASSERT_DB_ERR(db, tamis_db_bank_get(db, "ALPHA", &g), TAMIS_ERR_NOT_FOUND);
    ASSERT(g.name == NULL);
    names[0] = '\0';
    ASSERT_DB_OK(db, tamis_db_bank_list(db, list_names, names));
    ASSERT_STR_EQ(names, "GIFCT_TEST,");
    tamis_db_close(db);
}

DB_TEST(bank_bad_names_json_and_duplicates_are_refused) {
    tamis_db *db = open_ok(url);
    char longest[102];
    memset(longest, 'A', 101);
    longest[101] = '\0';
    const char *bad_names[] = {"", "lower", "1ABC", "A-B", "A B", "ÄB", longest};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        tamis_bank b = {.name = (char *)bad_names[i], .enabled_ratio = 1};
        ASSERT_DB_ERR(db, tamis_db_bank_create(db, &b), TAMIS_ERR_INVALID);
    }
    tamis_bank nameless = {.enabled_ratio = 1};
    ASSERT_DB_ERR(db, tamis_db_bank_create(db, &nameless), TAMIS_ERR_INVALID);
    ASSERT_DB_ERR(db, tamis_db_bank_create(db, NULL), TAMIS_ERR_INVALID);
    longest[100] = '\0';
    bank_new(db, longest); /* 100 is allowed */
    bank_new(db, "_X9");

    struct {
        const char *labels, *thresholds, *policy, *description;
        double ratio;
    } bad[] = {
        {"[1]", NULL, NULL, NULL, 1},
        {"{}", NULL, NULL, NULL, 1},
        {"not json", NULL, NULL, NULL, 1},
        {"[\"a\",]", NULL, NULL, NULL, 1},
        {NULL, "{\"pdq\": -1}", NULL, NULL, 1},
        {NULL, "{\"pdq\": 1.5}", NULL, NULL, 1},
        {NULL, "{\"pdq\": \"31\"}", NULL, NULL, 1},
        {NULL, "[31]", NULL, NULL, 1},
        {NULL, "{\"pdq\": 1, \"pdq\": 2}", NULL, NULL, 1},
        {NULL, NULL, "[]", NULL, 1},
        {NULL, NULL, NULL, "bad \xff utf-8", 1},
        {NULL, NULL, NULL, NULL, 1.5},
        {NULL, NULL, NULL, NULL, -0.1},
        {NULL, NULL, NULL, NULL, NAN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tamis_bank b = {.name = "B", .labels = (char *)bad[i].labels,
                        .thresholds = (char *)bad[i].thresholds,
                        .policy = (char *)bad[i].policy,
                        .description = (char *)bad[i].description,
                        .enabled_ratio = bad[i].ratio};
        tamis_status st = tamis_db_bank_create(db, &b);
        if (st != TAMIS_ERR_INVALID)
            FAIL("case %zu: %s, want invalid", i, tamis_strerror(st));
        ASSERT_DB_ERR(db, tamis_db_bank_update(db, "_X9", &b), TAMIS_ERR_INVALID);
    }
    tamis_bank g;
    ASSERT_DB_ERR(db, tamis_db_bank_get(db, "B", &g), TAMIS_ERR_NOT_FOUND);

    bank_new(db, "DUP");
    tamis_bank dup = {.name = "DUP", .enabled_ratio = 1};
    ASSERT_DB_ERR(db, tamis_db_bank_create(db, &dup), TAMIS_ERR_EXISTS);
    ASSERT(strstr(tamis_db_errmsg(db), "DUP") != NULL);

    ASSERT_DB_ERR(db, tamis_db_bank_get(db, "NOPE", &g), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_bank_update(db, "NOPE", &dup), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_bank_delete(db, "NOPE"), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_bank_get(db, "bad name", &g), TAMIS_ERR_INVALID);
    ASSERT_DB_ERR(db, tamis_db_bank_get(db, NULL, &g), TAMIS_ERR_INVALID);
    tamis_db_close(db);
}

DB_TEST(bank_rename_moves_its_items_and_is_logged) {
    tamis_db *db = open_ok(url);
    bank_new(db, "OLD");
    bank_new(db, "OTHER");
    int64_t id = item_new(db, "OLD", "md5", "0123456789abcdef0123456789abcdef");
    tamis_bank r = {.name = "NEW", .enabled_ratio = 1, .description = "renamed"};
    ASSERT_DB_OK(db, tamis_db_bank_update(db, "OLD", &r));

    tamis_bank g;
    ASSERT_DB_ERR(db, tamis_db_bank_get(db, "OLD", &g), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_OK(db, tamis_db_bank_get(db, "NEW", &g));
    ASSERT_STR_EQ(g.description, "renamed");
    tamis_bank_clear(&g);
    tamis_content c;
    ASSERT_DB_OK(db, tamis_db_content_get(db, id, &c));
    ASSERT_STR_EQ(c.bank, "NEW");
    tamis_content_clear(&c);
    ASSERT_EQ(count_in(db, "NEW"), 1);

    /* Renaming onto a bank that exists fails and changes nothing. */
    r.name = "OTHER";
    ASSERT_DB_ERR(db, tamis_db_bank_update(db, "NEW", &r), TAMIS_ERR_EXISTS);
    ASSERT_EQ(count_in(db, "NEW"), 1);

    recs l = changes_since(db, 0, NULL);
    rec *last = &l.r[l.n - 1];
    ASSERT_EQ(last->kind, TAMIS_CHANGE_BANK_UPDATED);
    ASSERT_STR_EQ(last->bank, "NEW");
    ASSERT_STR_EQ(last->value, "OLD");
    free(l.r);
    tamis_db_close(db);
}

static int scan_count(void *ctx, int64_t id, const char *bank, const char *type,
                      const char *value, int64_t dis) {
    (void)id, (void)bank, (void)type, (void)value, (void)dis;
    ++*(int *)ctx;
    return 0;
}

DB_TEST(bank_delete_removes_its_items_and_signals) {
    tamis_db *db = open_ok(url);
    bank_new(db, "GONE");
    bank_new(db, "STAYS");
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = item_new(db, "GONE", "pdq", hex64(100 + i));
    int64_t kept = item_new(db, "STAYS", "pdq", hex64(100));
    ASSERT_DB_OK(db, tamis_db_bank_delete(db, "GONE"));
    tamis_content c;
    for (int i = 0; i < 3; i++)
        ASSERT_DB_ERR(db, tamis_db_content_get(db, ids[i], &c), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_OK(db, tamis_db_content_get(db, kept, &c));
    tamis_content_clear(&c);
    int n = 0;
    ASSERT_DB_OK(db, tamis_db_signals_scan(db, scan_count, &n, NULL));
    ASSERT_EQ(n, 1);
    ASSERT_DB_ERR(db, tamis_db_content_list(db, "GONE", 0, 0, count_cb, &n),
                  TAMIS_ERR_NOT_FOUND);

    /* One change for the whole bank, and the log goes on after it. */
    int64_t last = 0;
    recs l = changes_since(db, 0, &last);
    ASSERT_EQ(l.r[l.n - 1].kind, TAMIS_CHANGE_BANK_DELETED);
    ASSERT_STR_EQ(l.r[l.n - 1].bank, "GONE");
    free(l.r);
    item_new(db, "STAYS", "pdq", hex64(7));
    l = changes_since(db, last, NULL);
    ASSERT_EQ(l.n, 1);
    ASSERT_GT(l.r[0].seq, last);
    free(l.r);
    tamis_db_close(db);
}

/* ---- Items and signals ------------------------------------------------------------ */

DB_TEST(content_add_get_round_trip_normalises_hashes) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    const char *pdq = "F8110D4425FA063B8C759EFA81036DA9985387CD0CE663E5F31E6DE28A9837CF";
    tamis_signal sigs[3] = {
        {"pdq", (char *)pdq},
        {"md5", "D41D8CD98F00B204E9800998ECF8427E"},
        {"url", "https://example.com/Some/Path"},
    };
    tamis_content c = {
        .bank = "B",
        .labels = "[\"a\"]",
        .source = "gifct-2026-11",
        .note = "from a removal order",
        .metadata = "{\"external_id\": \"x-1\"}",
        .disabled_until = 4000000000,
        .n_signals = 3,
        .signals = sigs,
        .id = 12345, /* ignored: the store assigns ids */
    };
    int64_t id = 0, id2 = 0;
    ASSERT_DB_OK(db, tamis_db_content_add(db, &c, &id));
    ASSERT_DB_OK(db, tamis_db_content_add(db, &c, &id2)); /* the same again is another item */
    ASSERT_GT(id2, id);

    tamis_content g;
    ASSERT_DB_OK(db, tamis_db_content_get(db, id, &g));
    ASSERT_EQ(g.id, id);
    ASSERT_STR_EQ(g.bank, "B");
    ASSERT_STR_EQ(g.labels, c.labels);
    ASSERT_STR_EQ(g.source, c.source);
    ASSERT_STR_EQ(g.note, c.note);
    ASSERT_STR_EQ(g.metadata, c.metadata);
    ASSERT_EQ(g.disabled_until, 4000000000);
    ASSERT_GT(g.added_at, 1700000000);
    ASSERT_EQ(g.n_signals, 3);
    ASSERT_STR_EQ(g.signals[0].type, "pdq");
    ASSERT_STR_EQ(g.signals[0].value,
                  "f8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf");
    ASSERT_STR_EQ(g.signals[1].value, "d41d8cd98f00b204e9800998ecf8427e");
    ASSERT_STR_EQ(g.signals[2].type, "url");
    ASSERT_STR_EQ(g.signals[2].value, "https://example.com/Some/Path"); /* as given */
    tamis_content_clear(&g);
    ASSERT(g.signals == NULL && g.n_signals == 0);
    tamis_content_clear(NULL);

    ASSERT_DB_ERR(db, tamis_db_content_get(db, 999999, &g), TAMIS_ERR_NOT_FOUND);
    tamis_db_close(db);
}

DB_TEST(content_update_and_delete) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    int64_t id = item_new(db, "B", "sha256", hex64(5));
    tamis_content u = {.id = id, .note = "checked", .labels = "[]",
                       .metadata = "{}", .disabled_until = 123};
    ASSERT_DB_OK(db, tamis_db_content_update(db, &u));
    tamis_content g;
    ASSERT_DB_OK(db, tamis_db_content_get(db, id, &g));
    ASSERT_STR_EQ(g.note, "checked");
    ASSERT_STR_EQ(g.labels, "[]");
    ASSERT(g.source == NULL);
    ASSERT_EQ(g.disabled_until, 123);
    ASSERT_EQ(g.n_signals, 1); /* signals are not touched */
    tamis_content_clear(&g);

    u.metadata = "[]";
    ASSERT_DB_ERR(db, tamis_db_content_update(db, &u), TAMIS_ERR_INVALID);
    u.metadata = NULL;
    u.disabled_until = -1;
    ASSERT_DB_ERR(db, tamis_db_content_update(db, &u), TAMIS_ERR_INVALID);
    u.disabled_until = 0;
    u.id = 999999;
    ASSERT_DB_ERR(db, tamis_db_content_update(db, &u), TAMIS_ERR_NOT_FOUND);

    ASSERT_DB_OK(db, tamis_db_content_delete(db, id));
    ASSERT_DB_ERR(db, tamis_db_content_get(db, id, &g), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_content_delete(db, id), TAMIS_ERR_NOT_FOUND);
    tamis_signal s = {"md5", "00000000000000000000000000000000"};
    ASSERT_DB_ERR(db, tamis_db_signal_add(db, id, &s), TAMIS_ERR_NOT_FOUND);
    /* Ids are not reused after a delete. */
    ASSERT_GT(item_new(db, "B", "sha256", hex64(5)), id);
    tamis_db_close(db);
}

typedef struct lister {
    tamis_db *db;
    int64_t last;
    int n, stop_at, delete;
} lister;

static int list_cb(void *ctx, const tamis_content *c) {
    lister *l = ctx;
    if (c->id <= l->last)
        FAIL("id %lld after %lld", (long long)c->id, (long long)l->last);
    ASSERT_STR_EQ(c->bank, "A");
    ASSERT_EQ(c->n_signals, 2);
    l->last = c->id;
    l->n++;
    if (l->delete) /* the handle may be used from the callback */
        ASSERT_DB_OK(l->db, tamis_db_content_delete(l->db, c->id));
    return l->stop_at && l->n == l->stop_at;
}

DB_TEST(content_list_pages_in_id_order) {
    tamis_db *db = open_ok(url);
    bank_new(db, "A");
    bank_new(db, "B");
    enum { N = 600 };
    int64_t ids[N];
    ASSERT_DB_OK(db, tamis__db_begin(db)); /* one transaction: faster */
    for (int i = 0; i < N; i++) {
        tamis_signal s[2] = {{"pdq", (char *)hex64((unsigned)i)}, {"md5", (char *)fmt("%032x", i)}};
        tamis_content c = {.bank = "A", .n_signals = 2, .signals = s};
        ASSERT_DB_OK(db, tamis_db_content_add(db, &c, &ids[i]));
        if (i % 100 == 0)
            item_new(db, "B", "pdq", hex64((unsigned)i));
    }
    ASSERT_DB_OK(db, tamis__db_end(db, TAMIS_OK));

    lister l = {db, 0, 0, 0, 0};
    ASSERT_DB_OK(db, tamis_db_content_list(db, "A", 0, 0, list_cb, &l));
    ASSERT_EQ(l.n, N);
    l = (lister){db, ids[99], 0, 0, 0};
    ASSERT_DB_OK(db, tamis_db_content_list(db, "A", ids[99], 300, list_cb, &l));
    ASSERT_EQ(l.n, 300);
    ASSERT_EQ(l.last, ids[399]);
    l = (lister){db, 0, 0, 10, 0};
    ASSERT_EQ(tamis_db_content_list(db, "A", 0, 0, list_cb, &l), TAMIS_DONE);
    ASSERT_EQ(l.n, 10);
    ASSERT_DB_ERR(db, tamis_db_content_list(db, "NOPE", 0, 0, list_cb, &l),
                  TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_content_list(db, "A", 0, 0, NULL, &l), TAMIS_ERR_INVALID);

    l = (lister){db, 0, 0, 0, 1};
    ASSERT_DB_OK(db, tamis_db_content_list(db, "A", 0, 0, list_cb, &l));
    ASSERT_EQ(l.n, N);
    ASSERT_EQ(count_in(db, "A"), 0);
    ASSERT_EQ(count_in(db, "B"), 6);
    tamis_db_close(db);
}

typedef struct finder {
    int64_t ids[8];
    int n;
} finder;

static int find_cb(void *ctx, const tamis_content *c) {
    finder *f = ctx;
    if (f->n < 8)
        f->ids[f->n] = c->id;
    f->n++;
    return 0;
}

DB_TEST(content_find_by_signal_within_a_bank) {
    tamis_db *db = open_ok(url);
    bank_new(db, "A");
    bank_new(db, "B");
    const char *h = hex64(0xabcdef);
    int64_t a1 = item_new(db, "A", "pdq", h);
    item_new(db, "A", "pdq", hex64(1));
    int64_t a2 = item_new(db, "A", "pdq", h);
    item_new(db, "B", "pdq", h);
    item_new(db, "A", "md5", fmt("%032x", 0xabcdef)); /* another type */

    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(h[i] >= 'a' && h[i] <= 'f' ? h[i] - 32 : h[i]);
    tamis_signal s = {"pdq", upper};
    finder f = {{0}, 0};
    ASSERT_DB_OK(db, tamis_db_content_find(db, "A", &s, find_cb, &f));
    ASSERT_EQ(f.n, 2);
    ASSERT_EQ(f.ids[0], a1);
    ASSERT_EQ(f.ids[1], a2);

    s.value = (char *)hex64(424242);
    f.n = 0;
    ASSERT_DB_OK(db, tamis_db_content_find(db, "A", &s, find_cb, &f));
    ASSERT_EQ(f.n, 0);
    s.value = "xyz";
    ASSERT_DB_ERR(db, tamis_db_content_find(db, "A", &s, find_cb, &f), TAMIS_ERR_INVALID);
    s.value = (char *)h;
    ASSERT_DB_ERR(db, tamis_db_content_find(db, "C", &s, find_cb, &f), TAMIS_ERR_NOT_FOUND);
    tamis_db_close(db);
}

DB_TEST(bad_signals_are_refused_and_write_nothing) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    int64_t before = 0;
    recs l = changes_since(db, 0, &before);
    free(l.r);
    struct {
        const char *type, *value;
    } bad[] = {
        {"pdq", "abc"},
        {"pdq", "g8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf"},
        {"pdq", "f8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf0"},
        {"md5", "d41d8cd98f00b204e9800998ecf8427"},
        {"sha256", "d41d8cd98f00b204e9800998ecf8427e"},
        {"url", ""},
        {"text", "bad \xc3\x28 utf-8"},
        {"", "x"},
        {"PDQ", "f8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf"},
        {"a b", "x"},
        {"abcdefghijklmnopqrstuvwxyz0123456789", "x"},
        {NULL, "x"},
        {"url", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tamis_signal s[2] = {{"md5", "d41d8cd98f00b204e9800998ecf8427e"},
                             {(char *)bad[i].type, (char *)bad[i].value}};
        tamis_content c = {.bank = "B", .n_signals = 2, .signals = s};
        tamis_status st = tamis_db_content_add(db, &c, NULL);
        if (st != TAMIS_ERR_INVALID)
            FAIL("case %zu: %s, want invalid", i, tamis_strerror(st));
    }
    tamis_content none = {.bank = "B"};
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &none, NULL), TAMIS_ERR_INVALID);
    tamis_content bad_json = {.bank = "B", .labels = "[1]", .n_signals = 1,
                              .signals = &(tamis_signal){"md5", (char *)fmt("%032x", 1)}};
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &bad_json, NULL), TAMIS_ERR_INVALID);

    /* The same signal twice in one item: nothing of the item is kept. */
    tamis_signal twice[2] = {{"md5", "D41D8CD98F00B204E9800998ECF8427E"},
                             {"md5", "d41d8cd98f00b204e9800998ecf8427e"}};
    tamis_content c = {.bank = "B", .n_signals = 2, .signals = twice};
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &c, NULL), TAMIS_ERR_INVALID);
    c.bank = "NOPE";
    c.n_signals = 1;
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &c, NULL), TAMIS_ERR_NOT_FOUND);
    c.bank = "bad";
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &c, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(count_in(db, "B"), 0);
    int64_t after = 0;
    l = changes_since(db, before, &after);
    ASSERT_EQ(l.n, 0);
    ASSERT_EQ(after, before);
    free(l.r);

    /* Adding a signal: checked, normalised, and not twice. */
    int64_t id = item_new(db, "B", "md5", "d41d8cd98f00b204e9800998ecf8427e");
    tamis_signal s = {"md5", "D41D8CD98F00B204E9800998ECF8427E"};
    ASSERT_DB_ERR(db, tamis_db_signal_add(db, id, &s), TAMIS_ERR_EXISTS);
    s.value = "zz";
    ASSERT_DB_ERR(db, tamis_db_signal_add(db, id, &s), TAMIS_ERR_INVALID);
    s = (tamis_signal){"sha256", (char *)fmt("%064X", 0xABCDEFu)};
    ASSERT_DB_OK(db, tamis_db_signal_add(db, id, &s));
    tamis_content g;
    ASSERT_DB_OK(db, tamis_db_content_get(db, id, &g));
    ASSERT_EQ(g.n_signals, 2);
    ASSERT_STR_EQ(g.signals[1].value, hex64(0xabcdef));
    tamis_content_clear(&g);
    tamis_db_close(db);
}

/* ---- The change log ------------------------------------------------------------ */

DB_TEST(changes_come_in_order_with_their_kinds) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    tamis_signal sigs[2] = {{"pdq", (char *)hex64(1)}, {"md5", (char *)fmt("%032x", 2)}};
    tamis_content c = {.bank = "B", .n_signals = 2, .signals = sigs, .disabled_until = 77};
    int64_t id = 0;
    ASSERT_DB_OK(db, tamis_db_content_add(db, &c, &id));
    tamis_signal extra = {"sha256", (char *)hex64(3)};
    ASSERT_DB_OK(db, tamis_db_signal_add(db, id, &extra));
    tamis_content u = {.id = id, .disabled_until = 99};
    ASSERT_DB_OK(db, tamis_db_content_update(db, &u));
    ASSERT_DB_OK(db, tamis_db_content_delete(db, id));
    tamis_bank r = {.name = "C", .enabled_ratio = 1};
    ASSERT_DB_OK(db, tamis_db_bank_update(db, "B", &r));
    ASSERT_DB_OK(db, tamis_db_bank_delete(db, "C"));

    int64_t last = 0;
    recs l = changes_since(db, 0, &last);
    static const struct {
        int kind;
        const char *bank, *type, *value;
        int64_t dis;
    } want[] = {
        {TAMIS_CHANGE_BANK_UPDATED, "B", "", "", 0},
        {TAMIS_CHANGE_SIGNAL_ADDED, "B", "pdq", NULL, 77},
        {TAMIS_CHANGE_SIGNAL_ADDED, "B", "md5", NULL, 77},
        {TAMIS_CHANGE_SIGNAL_ADDED, "B", "sha256", NULL, 77},
        {TAMIS_CHANGE_CONTENT_UPDATED, "B", "", "", 99},
        {TAMIS_CHANGE_CONTENT_DELETED, "B", "", "", 0},
        {TAMIS_CHANGE_BANK_UPDATED, "C", "", "B", 0},
        {TAMIS_CHANGE_BANK_DELETED, "C", "", "", 0},
    };
    ASSERT_EQ(l.n, 8);
    assert_increasing(&l);
    ASSERT_EQ(last, l.r[7].seq);
    for (int i = 0; i < 8; i++) {
        if (l.r[i].kind != want[i].kind)
            FAIL("change %d: kind %d, want %d", i, l.r[i].kind, want[i].kind);
        ASSERT_STR_EQ(l.r[i].bank, want[i].bank);
        ASSERT_STR_EQ(l.r[i].type, want[i].type);
        if (want[i].value)
            ASSERT_STR_EQ(l.r[i].value, want[i].value);
        ASSERT_EQ(l.r[i].disabled_until, want[i].dis);
        ASSERT_EQ(l.r[i].content_id, i >= 1 && i <= 5 ? id : 0);
    }
    ASSERT_STR_EQ(l.r[1].value, hex64(1));

    /* limit and since page through the same log; stopping gives DONE. */
    recs p = {0};
    int64_t at = 0;
    ASSERT_DB_OK(db, tamis_db_changes(db, 0, 3, record_change, &p, &at));
    ASSERT_EQ(p.n, 3);
    ASSERT_EQ(at, l.r[2].seq);
    ASSERT_DB_OK(db, tamis_db_changes(db, at, 0, record_change, &p, &at));
    ASSERT_EQ(p.n, 8);
    ASSERT_EQ(at, last);
    for (int i = 0; i < 8; i++)
        ASSERT_EQ(p.r[i].seq, l.r[i].seq);
    p.n = 0;
    p.stop_after = 2;
    ASSERT_EQ(tamis_db_changes(db, 0, 0, record_change, &p, &at), TAMIS_DONE);
    ASSERT_EQ(at, l.r[1].seq);
    p.n = 0;
    p.stop_after = 0;
    at = -5;
    ASSERT_DB_OK(db, tamis_db_changes(db, last, 0, record_change, &p, &at));
    ASSERT_EQ(p.n, 0);
    ASSERT_EQ(at, last);
    ASSERT_DB_OK(db, tamis_db_changes(db, last, 0, record_change, &p, NULL));
    free(p.r);
    free(l.r);
    tamis_db_close(db);
}

/* The change log is read in pages; one long run must come out whole. */
DB_TEST(changes_over_many_pages) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    enum { N = 2500 };
    ASSERT_DB_OK(db, tamis__db_begin(db));
    for (int i = 0; i < N; i++)
        item_new(db, "B", "pdq", hex64((unsigned)i));
    ASSERT_DB_OK(db, tamis__db_end(db, TAMIS_OK));
    int64_t last = 0;
    recs l = changes_since(db, 0, &last);
    ASSERT_EQ(l.n, N + 1);
    assert_increasing(&l);
    ASSERT_STR_EQ(l.r[N].value, hex64(N - 1));
    free(l.r);
    recs p = {0};
    ASSERT_DB_OK(db, tamis_db_changes(db, 0, 1500, record_change, &p, &last));
    ASSERT_EQ(p.n, 1500);
    free(p.r);
    tamis_db_close(db);
}

/* ---- The signal scan ------------------------------------------------------------- */

typedef struct scan {
    tamis_db *db;
    const char *url;
    int n, pdq, wrote;
    int64_t dis_sum;
    tamis_status inside;
} scan;

static int scan_cb(void *ctx, int64_t id, const char *bank, const char *type,
                   const char *value, int64_t dis) {
    scan *s = ctx;
    s->n++;
    s->pdq += strcmp(type, "pdq") == 0;
    s->dis_sum += dis;
    ASSERT(strcmp(bank, "A") == 0 || strcmp(bank, "B") == 0);
    ASSERT(value && *value);
    /* Reading through the handle works; writing does not. */
    tamis_content c;
    ASSERT_DB_OK(s->db, tamis_db_content_get(s->db, id, &c));
    ASSERT_STR_EQ(c.bank, bank);
    tamis_content_clear(&c);
    ASSERT_DB_ERR(s->db, tamis_db_content_delete(s->db, id), TAMIS_ERR_INVALID);
    ASSERT_DB_ERR(s->db, tamis__db_begin(s->db), TAMIS_ERR_INVALID);
    int64_t seq;
    ASSERT_DB_ERR(s->db, tamis_db_signals_scan(s->db, scan_cb, s, &seq), TAMIS_ERR_INVALID);
    /* Another handle commits meanwhile: the scan does not see it. */
    if (!s->wrote) {
        s->wrote = 1;
        tamis_db *other = open_ok(s->url);
        item_new(other, "A", "pdq", hex64(999999));
        tamis_db_close(other);
    }
    return 0;
}

DB_TEST(signals_scan_is_one_snapshot_with_its_seq) {
    tamis_db *db = open_ok(url);
    bank_new(db, "A");
    bank_new(db, "B");
    for (int i = 0; i < 30; i++) {
        tamis_signal s[2] = {{"pdq", (char *)hex64((unsigned)i)}, {"md5", (char *)fmt("%032x", i)}};
        tamis_content c = {.bank = i % 3 ? "A" : "B", .n_signals = 2, .signals = s,
                           .disabled_until = i == 5 ? 1000 : 0};
        ASSERT_DB_OK(db, tamis_db_content_add(db, &c, NULL));
    }
    int64_t log_end = 0;
    recs l = changes_since(db, 0, &log_end);
    free(l.r);

    char copy[4096];
    snprintf(copy, sizeof copy, "%s", url);
    scan s = {db, copy, 0, 0, 0, 0, 0};
    int64_t seq = -1;
    ASSERT_DB_OK(db, tamis_db_signals_scan(db, scan_cb, &s, &seq));
    ASSERT_EQ(s.n, 60);
    ASSERT_EQ(s.pdq, 30);
    ASSERT_EQ(s.dis_sum, 2000);
    ASSERT_EQ(seq, log_end);

    /* What the other handle wrote is exactly what follows seq. */
    l = changes_since(db, seq, NULL);
    ASSERT_EQ(l.n, 1);
    ASSERT_EQ(l.r[0].kind, TAMIS_CHANGE_SIGNAL_ADDED);
    ASSERT_STR_EQ(l.r[0].value, hex64(999999));
    free(l.r);
    int n = 0;
    ASSERT_DB_OK(db, tamis_db_signals_scan(db, scan_count, &n, &seq));
    ASSERT_EQ(n, 61);
    ASSERT_EQ(tamis_db_signals_scan(db, scan_count, &n, NULL), TAMIS_OK);

    /* Writes work again after the scan, and a scan inside a batch is refused. */
    item_new(db, "B", "pdq", hex64(31337));
    ASSERT_DB_OK(db, tamis__db_begin(db));
    ASSERT_DB_ERR(db, tamis_db_signals_scan(db, scan_count, &n, &seq), TAMIS_ERR_INVALID);
    ASSERT_DB_OK(db, tamis__db_end(db, TAMIS_OK));
    tamis_db_close(db);
}

static int scan_stop(void *ctx, int64_t id, const char *bank, const char *type,
                     const char *value, int64_t dis) {
    (void)id, (void)bank, (void)type, (void)value, (void)dis;
    return ++*(int *)ctx == 3;
}

DB_TEST(signals_scan_stops_when_asked_and_streams_large_banks) {
    tamis_db *db = open_ok(url);
    bank_new(db, "A");
    ASSERT_DB_OK(db, tamis__db_begin(db));
    for (int i = 0; i < 2500; i++)
        item_new(db, "A", "pdq", hex64((unsigned)i));
    ASSERT_DB_OK(db, tamis__db_end(db, TAMIS_OK));
    int n = 0;
    int64_t seq = 0;
    ASSERT_EQ(tamis_db_signals_scan(db, scan_stop, &n, &seq), TAMIS_DONE);
    ASSERT_EQ(n, 3);
    ASSERT_GT(seq, 0);
    n = 0;
    ASSERT_DB_OK(db, tamis_db_signals_scan(db, scan_count, &n, NULL));
    ASSERT_EQ(n, 2500);
    tamis_db_close(db);
}

/* ---- Batches (for imports) ------------------------------------------------------- */

DB_TEST(batch_keeps_good_rows_and_rolls_back_as_a_whole_on_error) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    ASSERT_DB_OK(db, tamis__db_begin(db));
    item_new(db, "B", "md5", fmt("%032x", 1));
    tamis_signal twice[2] = {{"md5", (char *)fmt("%032x", 2)}, {"md5", (char *)fmt("%032x", 2)}};
    tamis_content c = {.bank = "B", .n_signals = 2, .signals = twice};
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &c, NULL), TAMIS_ERR_INVALID);
    c.bank = "NOPE";
    c.n_signals = 1;
    ASSERT_DB_ERR(db, tamis_db_content_add(db, &c, NULL), TAMIS_ERR_NOT_FOUND);
    item_new(db, "B", "md5", fmt("%032x", 3));
    ASSERT_DB_OK(db, tamis__db_end(db, TAMIS_OK));
    ASSERT_EQ(count_in(db, "B"), 2);

    ASSERT_DB_OK(db, tamis__db_begin(db));
    item_new(db, "B", "md5", fmt("%032x", 4));
    ASSERT_EQ(tamis__db_end(db, TAMIS_ERR_INVALID), TAMIS_ERR_INVALID);
    ASSERT_EQ(count_in(db, "B"), 2);
    recs l = changes_since(db, 0, NULL);
    ASSERT_EQ(l.n, 3); /* the bank and the two items kept */
    free(l.r);

    /* Closing with a batch open drops it. */
    ASSERT_DB_OK(db, tamis__db_begin(db));
    item_new(db, "B", "md5", fmt("%032x", 5));
    tamis_db_close(db);
    db = open_ok(url);
    ASSERT_EQ(count_in(db, "B"), 2);
    tamis_db_close(db);
}

/* ---- Tokens -------------------------------------------------------------------- */

DB_TEST(tokens_are_random_checked_and_stored_only_hashed) {
    tamis_db *db = open_ok(url);
    const char *roles[] = {"matcher", "curator", "admin"};
    char tok[3][TAMIS_TOKEN_LEN + 1];
    for (int i = 0; i < 3; i++) {
        ASSERT_DB_OK(db, tamis_db_token_create(db, roles[i], i ? "ci" : NULL, tok[i]));
        ASSERT_EQ(strlen(tok[i]), TAMIS_TOKEN_LEN);
        ASSERT_EQ(strspn(tok[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789-_"),
                  TAMIS_TOKEN_LEN);
    }
    ASSERT(strcmp(tok[0], tok[1]) != 0 && strcmp(tok[1], tok[2]) != 0);
    for (int i = 0; i < 3; i++) {
        char role[32];
        ASSERT_DB_OK(db, tamis_db_token_check(db, tok[i], role));
        ASSERT_STR_EQ(role, roles[i]);
    }
    char role[32] = "x";
    char wrong[TAMIS_TOKEN_LEN + 1];
    memcpy(wrong, tok[0], sizeof wrong);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    ASSERT_DB_ERR(db, tamis_db_token_check(db, wrong, role), TAMIS_ERR_NOT_FOUND);
    ASSERT_STR_EQ(role, "");
    ASSERT_DB_ERR(db, tamis_db_token_check(db, "abc", role), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_token_check(db, "", role), TAMIS_ERR_NOT_FOUND);
    char spaced[TAMIS_TOKEN_LEN + 1];
    memcpy(spaced, tok[0], sizeof spaced);
    spaced[0] = ' ';
    ASSERT_DB_ERR(db, tamis_db_token_check(db, spaced, role), TAMIS_ERR_NOT_FOUND);
    ASSERT_DB_ERR(db, tamis_db_token_check(db, NULL, role), TAMIS_ERR_INVALID);

    char t[TAMIS_TOKEN_LEN + 1];
    ASSERT_DB_ERR(db, tamis_db_token_create(db, "root", NULL, t), TAMIS_ERR_INVALID);
    ASSERT_DB_ERR(db, tamis_db_token_create(db, NULL, NULL, t), TAMIS_ERR_INVALID);
    ASSERT_DB_ERR(db, tamis_db_token_create(db, "Admin", NULL, t), TAMIS_ERR_INVALID);

    /* The store holds the hash: looking the token itself up finds nothing,
     * its SHA-256 finds it. */
    char stored[65], r[32];
    ASSERT_EQ(db->ops->token_select(db, tok[2], stored, r), TAMIS_ERR_NOT_FOUND);
    tamis_digests d;
    ASSERT_OK(tamis_digests_compute(tok[2], TAMIS_TOKEN_LEN, &d));
    char hex[65];
    tamis_hex_encode(d.sha256, 32, hex);
    ASSERT_DB_OK(db, db->ops->token_select(db, hex, stored, r));
    ASSERT_STR_EQ(stored, hex);
    ASSERT_STR_EQ(r, "admin");
    tamis_db_close(db);

    /* Nor is the token anywhere in SQLite's files. */
    if (strncmp(url, "sqlite:", 7) == 0) {
        const char *files[] = {url + 7, fmt("%s-wal", url + 7)};
        for (int f = 0; f < 2; f++) {
            size_t len = 0;
            unsigned char *bytes = read_file(files[f], &len);
            if (!bytes)
                continue;
            for (int i = 0; i < 3; i++)
                ASSERT(memmem(bytes, len, tok[i], TAMIS_TOKEN_LEN) == NULL);
            free(bytes);
        }
    }
}

/* ---- Concurrency ------------------------------------------------------------------ */

enum { WRITERS = 2, PER_WRITER = 100 };

typedef struct writer {
    const char *url;
    int index;
    tamis_status st;
    char err[512];
} writer;

static void *write_thread(void *arg) {
    writer *w = arg;
    tamis_db *db = NULL;
    w->st = tamis_db_open(w->url, &db, w->err, sizeof w->err);
    for (int i = 0; w->st == TAMIS_OK && i < PER_WRITER; i++) {
        char hex[65];
        snprintf(hex, sizeof hex, "%064x", (unsigned)(w->index * 100000 + i));
        tamis_signal s = {"pdq", hex};
        tamis_content c = {.bank = "B", .n_signals = 1, .signals = &s};
        w->st = tamis_db_content_add(db, &c, NULL);
        if (w->st != TAMIS_OK)
            snprintf(w->err, sizeof w->err, "item %d: %s", i, tamis_db_errmsg(db));
    }
    tamis_db_close(db);
    return NULL;
}

typedef struct follower {
    const char *url;
    _Atomic int stop;
    tamis_status st;
    recs seen;
} follower;

/* Follows the log while the writers write, as a matcher does. */
static void *follow_thread(void *arg) {
    follower *f = arg;
    tamis_db *db = NULL;
    f->st = tamis_db_open(f->url, &db, NULL, 0);
    int64_t last = 0;
    while (f->st == TAMIS_OK) {
        /* After the writers finish, read until nothing is left. */
        int stop = f->stop;
        int64_t before = last;
        f->st = tamis_db_changes(db, last, 50, record_change, &f->seen, &last);
        if (stop && last == before)
            break;
    }
    tamis_db_close(db);
    return NULL;
}

DB_TEST(concurrent_writers_both_succeed_and_followers_miss_nothing) {
    tamis_db *db = open_ok(url);
    bank_new(db, "B");
    follower f = {url, 0, TAMIS_OK, {0}};
    pthread_t ft, t[WRITERS];
    writer w[WRITERS];
    pthread_create(&ft, NULL, follow_thread, &f);
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){url, i + 1, TAMIS_OK, ""};
        pthread_create(&t[i], NULL, write_thread, &w[i]);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].st != TAMIS_OK)
            FAIL("writer %d: %s: %s", i, tamis_strerror(w[i].st), w[i].err);
    }
    f.stop = 1;
    pthread_join(ft, NULL);
    ASSERT_OK(f.st);

    ASSERT_EQ(count_in(db, "B"), WRITERS * PER_WRITER);
    int64_t last = 0;
    recs all = changes_since(db, 0, &last);
    ASSERT_EQ(all.n, 1 + WRITERS * PER_WRITER);
    assert_increasing(&all);
    /* The follower saw every change, once, in order. */
    ASSERT_EQ(f.seen.n, all.n);
    for (int i = 0; i < all.n; i++)
        ASSERT_EQ(f.seen.r[i].seq, all.r[i].seq);
    free(all.r);
    free(f.seen.r);
    tamis_db_close(db);
}

/* ---- Notification ----------------------------------------------------------------- */

DB_TEST(listeners_learn_of_commits_from_other_handles) {
    tamis_db *db = open_ok(url), *other = open_ok(url);
    bank_new(db, "B");
    int fd = -2, changed = -1;
    ASSERT_DB_OK(db, tamis__db_listen(db, &fd));
    int pg = strcmp(tamis_db_backend(db), "postgresql") == 0;
    if (pg)
        ASSERT_GE(fd, 0);
    else
        ASSERT_EQ(fd, -1);
    ASSERT_DB_OK(db, tamis__db_notified(db, &changed));
    ASSERT_EQ(changed, 0);

    item_new(other, "B", "pdq", hex64(1));
    if (pg) {
        struct pollfd p = {fd, POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 10000), 1);
    }
    ASSERT_DB_OK(db, tamis__db_notified(db, &changed));
    ASSERT_EQ(changed, 1);
    ASSERT_DB_OK(db, tamis__db_notified(db, &changed));
    ASSERT_EQ(changed, 0);
    tamis_db_close(other);
    tamis_db_close(db);
}

/* ---- Allocation failures ------------------------------------------------------------ */

/* Every step of a session, run with the n-th allocation failing: each
 * either works or says TAMIS_ERR_NOMEM (never crashes or leaks, which the
 * sanitizer build checks). Returns the first failure, or TAMIS_OK. */
static int oom_tokens(void *ctx, const tamis_content *c) {
    (void)c;
    ++*(int *)ctx;
    return 0;
}

static int oom_bank(void *ctx, const tamis_bank *b) {
    (void)b;
    ++*(int *)ctx;
    return 0;
}

static int oom_change(void *ctx, const tamis_change *c) {
    (void)c;
    ++*(int *)ctx;
    return 0;
}

static tamis_status oom_session(const char *url, int64_t since) {
    tamis_db *db = NULL;
    tamis_status st = tamis_db_open(url, &db, NULL, 0);
    if (st != TAMIS_OK)
        return st;
    char token[TAMIS_TOKEN_LEN + 1], role[32];
    tamis_bank b = {.name = "R", .enabled_ratio = 1, .labels = "[\"x\"]", .description = "d"};
    tamis_signal s[2] = {{"pdq", (char *)hex64(1)}, {"md5", (char *)fmt("%032x", 2)}};
    tamis_content c = {.bank = "R", .n_signals = 2, .signals = s, .note = "n"};
    int64_t id = 0, seq = 0;
    int n = 0;
    tamis_content g = {0};
    tamis_bank gb = {0};
    if ((st = tamis_db_bank_create(db, &b)) == TAMIS_OK &&
        (st = tamis_db_content_add(db, &c, &id)) == TAMIS_OK &&
        (st = tamis_db_content_get(db, id, &g)) == TAMIS_OK &&
        (st = tamis_db_bank_get(db, "R", &gb)) == TAMIS_OK &&
        (st = tamis_db_bank_list(db, oom_bank, &n)) == TAMIS_OK &&
        (st = tamis_db_content_list(db, "R", 0, 0, oom_tokens, &n)) == TAMIS_OK &&
        (st = tamis_db_content_find(db, "R", &s[0], oom_tokens, &n)) == TAMIS_OK &&
        (st = tamis_db_changes(db, since, 0, oom_change, &n, &seq)) == TAMIS_OK &&
        (st = tamis_db_signals_scan(db, scan_count, &n, &seq)) == TAMIS_OK &&
        (st = tamis_db_signal_add(db, id, &(tamis_signal){"url", "u"})) == TAMIS_OK &&
        (st = tamis_db_content_update(db, &(tamis_content){.id = id})) == TAMIS_OK &&
        (st = tamis_db_token_create(db, "admin", NULL, token)) == TAMIS_OK &&
        (st = tamis_db_token_check(db, token, role)) == TAMIS_OK &&
        (st = tamis_db_content_delete(db, id)) == TAMIS_OK)
        st = tamis_db_bank_delete(db, "R");
    tamis_content_clear(&g);
    tamis_bank_clear(&gb);
    tamis_db_close(db);
    return st;
}

DB_TEST(allocation_failures_give_nomem) {
    int n;
    for (n = 1; n < 1000; n++) {
        /* Each round starts from the same state: no bank R, and reads only
         * the changes it makes, so that every round needs as much memory. */
        tamis_db *db = open_ok(url);
        tamis_status st = tamis_db_bank_delete(db, "R");
        ASSERT(st == TAMIS_OK || st == TAMIS_ERR_NOT_FOUND);
        int64_t since = 0;
        ASSERT_DB_OK(db, tamis_db_signals_scan(db, scan_count, &(int){0}, &since));
        tamis_db_close(db);

        tamis__alloc_fail_at(n);
        st = oom_session(url, since);
        tamis__alloc_fail_at(0);
        if (st == TAMIS_OK)
            break;
        if (st != TAMIS_ERR_NOMEM)
            FAIL("allocation %d failed: %s, want out of memory", n, tamis_strerror(st));
    }
    ASSERT_GT(n, 10);
    ASSERT_LT(n, 1000);
}

/* ---- PostgreSQL connections ---------------------------------------------------------- */

static void pg_run(const char *conninfo, const char *sql) {
    PGconn *c = PQconnectdb(conninfo);
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        FAIL("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* A server restarted or a connection killed between calls costs one
 * failed call, not the handle. */
TEST(pg_lost_connection_is_reestablished_on_the_next_call) {
    const char *url = pg_url("lost_connection");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", url);
    tamis_db *db = open_ok(copy);
    bank_new(db, "B");
    int fd = -1;
    ASSERT_DB_OK(db, tamis__db_listen(db, &fd));
    pg_run(copy, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    tamis_bank b;
    tamis_status st = tamis_db_bank_get(db, "B", &b);
    if (st == TAMIS_OK)
        tamis_bank_clear(&b);
    else
        ASSERT_EQ(st, TAMIS_ERR_DB);
    ASSERT_DB_OK(db, tamis_db_bank_get(db, "B", &b));
    tamis_bank_clear(&b);
    /* Still listening after the reconnection. */
    ASSERT_DB_OK(db, tamis__db_listen(db, &fd));
    int changed = 0;
    ASSERT_DB_OK(db, tamis__db_notified(db, &changed));
    tamis_db *other = open_ok(copy);
    item_new(other, "B", "pdq", hex64(1));
    tamis_db_close(other);
    struct pollfd p = {fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 10000), 1);
    ASSERT_DB_OK(db, tamis__db_notified(db, &changed));
    ASSERT_EQ(changed, 1);
    tamis_db_close(db);
}
