/*
 * test_crash.c - crash consistency (issue 10): `tamis serve` and `tamis
 * import` killed with SIGKILL at random moments, on SQLite and on the
 * PostgreSQL of TAMIS_TEST_PG, then run again on the same database.
 *
 * serve: writers add items (POST /c/bank/B/signal) and delete some (DELETE
 * /c/bank/B/content/ID) until the server is killed. After the restart,
 * every write answered 200 before the kill holds: each item added is
 * listed with its signals and found at once by /m/lookup (PDQ) and
 * /m/raw_lookup (MD5), each item deleted is gone and matches nothing, and
 * the bank holds no item beyond those and the writes still in flight at
 * the kill. A first clean stop writes a matcher snapshot, so that starts
 * begin from one and catch up with the change log. One trial in three
 * stops the server with SIGTERM and kills it while it writes its snapshot
 * (soon after the snapshot's .tmp directory appears): the next start
 * must not use a torn snapshot. A last clean stop and start checks the
 * snapshot written whole. crash_snapshot_torn_states makes each state a
 * kill can leave the snapshot in by hand.
 *
 * import: a file of N rows is imported and killed after a random delay.
 * The guarantee (tamis_db_import in tamis.h): the bank holds the first k
 * whole batches of the file, in file order (k x batch rows, or all N),
 * never part of a batch; the same import run again adds exactly the rest.
 *
 * The moments and the data come from a seed printed first:
 * TAMIS_CRASH_SEED=N replays a run's choices (the machine's timing still
 * varies), TAMIS_CRASH_TRIALS=N sets the kills per test. Bank names are
 * unique to the run, as the PostgreSQL database is shared between tests.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../test.h"
#include "client.h"
#include "tamis.h"

/* ---- Randomness, replayable -------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The run's seed, mixed with the test's name so that one test run alone
 * makes the same choices as in the whole suite. */
static uint64_t crash_seed(const char *test) {
    const char *e = getenv("TAMIS_CRASH_SEED");
    uint64_t seed;
    if (e && *e) {
        seed = strtoull(e, NULL, 10);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid()) %
               1000000000u;
    }
    fprintf(stderr, "    %s: seed %llu (TAMIS_CRASH_SEED=%llu replays it)\n", test,
            (unsigned long long)seed, (unsigned long long)seed);
    uint64_t s = seed;
    for (const char *p = test; *p; p++)
        s = (s ^ (uint8_t)*p) * 0x100000001b3ull;
    return s;
}

/* No new trial starts after this many seconds of a test: a machine
 * loaded enough to need more runs fewer trials (and says so) rather than
 * reach the runner's timeout of 120 s. */
#define BUDGET_S 75

static int trials(int dflt) {
    const char *e = getenv("TAMIS_CRASH_TRIALS");
    int n = e && *e ? atoi(e) : 0;
    return n > 0 ? n : dflt;
}

static void hex_random(uint64_t *s, char *out, int bytes) {
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < bytes; i += 8) {
        uint64_t v = splitmix(s);
        for (int k = 0; k < 8 && i + k < bytes; k++, v >>= 8) {
            out[2 * (i + k)] = hx[(v >> 4) & 15];
            out[2 * (i + k) + 1] = hx[v & 15];
        }
    }
    out[2 * bytes] = 0;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int is_pg(const char *db) { return strncmp(db, "postgres", 8) == 0; }

static json_t *parse_body(const http_resp *r) {
    return json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL);
}

/* ---- serve ---------------------------------------------------------------- */

typedef enum { ADD_INFLIGHT, ADDED, DEL_INFLIGHT, DELETED } item_state;

typedef struct {
    long long id; /* 0 for an add still in flight at the kill */
    char pdq[65];
    char md5[33]; /* "" when the item has no MD5 signal */
    item_state state;
    int trial;
} item;

typedef struct {
    const char *db;
    char bank[64];
    char *curator, *matcher;
    server_proc srv;
    pthread_mutex_t mu;
    item *items;
    size_t n, cap;
    atomic_int killed; /* set before the signal: failures after it are expected */
    atomic_int failed;
    char error[1024];  /* the first unexpected answer */
    int trial;
    /* figures for the summary line */
    unsigned long long acked_adds, acked_dels, inflight, checked_lookups;
    int snapshot_kills, snapshot_missed, snapshot_torn;
    double snapshot_s; /* how long the clean stop's snapshot took */
} serve_run;

typedef struct {
    serve_run *run;
    uint64_t rng;
} writer;

static size_t item_push(serve_run *r, const item *it) {
    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->items = realloc(r->items, r->cap * sizeof *r->items);
    }
    r->items[r->n] = *it;
    size_t i = r->n++;
    pthread_mutex_unlock(&r->mu);
    return i;
}

static void set_error(serve_run *r, const char *what, const http_resp *h, int rc) {
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->failed, 1);
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "trial %d: %s: %s (status %d) %.300s", r->trial,
                 what, rc ? "no answer" : "answer", h->status, h->body ? h->body : "");
    pthread_mutex_unlock(&r->mu);
}

/* A random item of this trial acknowledged and not deleted, marked as being
 * deleted; -1 if none. */
static long pick_for_delete(serve_run *r, uint64_t *rng) {
    long found = -1;
    pthread_mutex_lock(&r->mu);
    for (int tries = 0; tries < 8 && r->n; tries++) {
        size_t i = (size_t)(splitmix(rng) % r->n);
        if (r->items[i].state == ADDED && r->items[i].trial == r->trial) {
            r->items[i].state = DEL_INFLIGHT;
            found = (long)i;
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return found;
}

static void *write_loop(void *p) {
    writer *w = p;
    serve_run *r = w->run;
    char path[256], body[256];
    while (!atomic_load(&r->failed)) {
        http_resp h;
        long del = splitmix(&w->rng) % 10 == 0 ? pick_for_delete(r, &w->rng) : -1;
        if (del >= 0) {
            pthread_mutex_lock(&r->mu);
            long long id = r->items[del].id;
            pthread_mutex_unlock(&r->mu);
            snprintf(path, sizeof path, "/c/bank/%s/content/%lld", r->bank, id);
            int rc = http_do(r->srv.port, "DELETE", path, r->curator, NULL, NULL, 0, &h);
            json_t *j = rc == 0 && h.status == 200 ? parse_body(&h) : NULL;
            int ok = j && json_integer_value(json_object_get(j, "deleted")) == 1;
            json_decref(j);
            if (ok) {
                pthread_mutex_lock(&r->mu);
                r->items[del].state = DELETED;
                pthread_mutex_unlock(&r->mu);
            }
            int killed = atomic_load(&r->killed);
            if (!ok && !killed)
                set_error(r, "DELETE before the kill", &h, rc);
            if (rc == 0 && !ok && killed && h.status != 200)
                set_error(r, "DELETE answered, not 200", &h, rc);
            free(h.body);
            if (!ok)
                break; /* DEL_INFLIGHT stays: the item may or may not be there */
            continue;
        }
        item it;
        memset(&it, 0, sizeof it);
        it.trial = r->trial;
        hex_random(&w->rng, it.pdq, 32);
        if (splitmix(&w->rng) % 3 == 0) {
            hex_random(&w->rng, it.md5, 16);
            snprintf(body, sizeof body, "{\"pdq\":\"%s\",\"md5\":\"%s\"}", it.pdq, it.md5);
        } else {
            snprintf(body, sizeof body, "{\"pdq\":\"%s\"}", it.pdq);
        }
        snprintf(path, sizeof path, "/c/bank/%s/signal", r->bank);
        int rc = http_do(r->srv.port, "POST", path, r->curator, "application/json", body,
                         strlen(body), &h);
        json_t *j = rc == 0 && h.status == 200 ? parse_body(&h) : NULL;
        it.id = j ? (long long)json_integer_value(json_object_get(j, "id")) : 0;
        json_decref(j);
        int killed = atomic_load(&r->killed);
        if (it.id > 0) {
            it.state = ADDED;
        } else {
            /* no answer, or a 200 cut short by the kill: in flight */
            if (!killed)
                set_error(r, "POST before the kill", &h, rc);
            else if (rc == 0 && h.status != 200)
                set_error(r, "POST answered, not 200", &h, rc);
            it.state = ADD_INFLIGHT;
            it.id = 0;
        }
        free(h.body);
        item_push(r, &it);
        if (it.state == ADD_INFLIGHT)
            break;
    }
    return NULL;
}

/* Item ids listed by GET /c/bank/B/content, pages of 500, with their PDQ
 * and MD5 signals (the listing is the GET of every item). */
typedef struct {
    long long id;
    char pdq[65], md5[33];
} listed;

static int cmp_listed(const void *a, const void *b) {
    long long x = ((const listed *)a)->id, y = ((const listed *)b)->id;
    return x < y ? -1 : x > y;
}

static listed *list_bank(serve_run *r, size_t *n) {
    size_t cap = 1024;
    listed *out = malloc(cap * sizeof *out);
    *n = 0;
    long long after = 0;
    for (;;) {
        char path[256];
        snprintf(path, sizeof path, "/c/bank/%s/content?limit=500&after=%lld", r->bank, after);
        http_resp h;
        ASSERT_EQ(http_do(r->srv.port, "GET", path, r->matcher, NULL, NULL, 0, &h), 0);
        if (h.status != 200)
            FAIL("trial %d: listing %s: %d %s", r->trial, path, h.status, h.body);
        json_t *j = parse_body(&h);
        ASSERT(j != NULL);
        json_t *items = json_object_get(j, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *e = json_array_get(items, i), *s = json_object_get(e, "signals");
            if (*n == cap)
                out = realloc(out, (cap *= 2) * sizeof *out);
            listed *l = &out[(*n)++];
            l->id = (long long)json_integer_value(json_object_get(e, "id"));
            const char *pdq = json_string_value(json_object_get(s, "pdq"));
            const char *md5 = json_string_value(json_object_get(s, "md5"));
            snprintf(l->pdq, sizeof l->pdq, "%s", pdq ? pdq : "");
            snprintf(l->md5, sizeof l->md5, "%s", md5 ? md5 : "");
        }
        json_t *next = json_object_get(j, "next");
        after = json_is_integer(next) ? (long long)json_integer_value(next) : 0;
        json_decref(j);
        free(h.body);
        if (!after)
            break;
    }
    qsort(out, *n, sizeof *out, cmp_listed);
    return out;
}

/* Whether a lookup of the item's PDQ (and raw lookup of its MD5) finds it. */
static int matchable(serve_run *r, const item *it) {
    char path[512];
    http_resp h;
    snprintf(path, sizeof path, "/m/lookup?signal_type=pdq&signal=%s", it->pdq);
    ASSERT_EQ(http_do(r->srv.port, "GET", path, r->matcher, NULL, NULL, 0, &h), 0);
    ASSERT_EQ(h.status, 200);
    json_t *j = parse_body(&h);
    free(h.body);
    int found = 0;
    json_t *list = json_object_get(j, r->bank), *m;
    size_t i;
    json_array_foreach(list, i, m) found |=
        json_integer_value(json_object_get(m, "bank_content_id")) == it->id;
    json_decref(j);
    r->checked_lookups++;
    if (!it->md5[0])
        return found;
    snprintf(path, sizeof path, "/m/raw_lookup?signal_type=md5&signal=%s", it->md5);
    ASSERT_EQ(http_do(r->srv.port, "GET", path, r->matcher, NULL, NULL, 0, &h), 0);
    ASSERT_EQ(h.status, 200);
    j = parse_body(&h);
    free(h.body);
    int found_md5 = 0;
    json_array_foreach(json_object_get(j, "matches"), i, m) found_md5 |=
        json_integer_value(m) == it->id;
    json_decref(j);
    r->checked_lookups++;
    if (found != found_md5)
        FAIL("trial %d: item %lld found by PDQ %d, by MD5 %d", r->trial, it->id, found,
             found_md5);
    return found;
}

/* After a restart: every acknowledged write holds. Lookups for the items
 * of trial `trial`; when -1, for one item in `every` of all trials. */
static void verify(serve_run *r, int trial, size_t every) {
    size_t nl;
    listed *l = list_bank(r, &nl);
    size_t live = 0, maybe = 0;
    for (size_t i = 0; i < r->n; i++) {
        item *it = &r->items[i];
        int look = trial < 0 ? i % every == 0 : it->trial == trial;
        listed key = {.id = it->id}, *hit = NULL;
        if (it->id)
            hit = bsearch(&key, l, nl, sizeof *l, cmp_listed);
        switch (it->state) {
        case ADD_INFLIGHT:
        case DEL_INFLIGHT:
            maybe++;
            break;
        case ADDED:
            live++;
            if (!hit)
                FAIL("trial %d: item %lld (pdq %s, added in trial %d, answered 200) is gone "
                     "after the restart",
                     r->trial, it->id, it->pdq, it->trial);
            if (strcmp(hit->pdq, it->pdq) != 0 || strcmp(hit->md5, it->md5) != 0)
                FAIL("trial %d: item %lld has pdq %s md5 '%s', was given %s '%s'", r->trial,
                     it->id, hit->pdq, hit->md5, it->pdq, it->md5);
            if (look && !matchable(r, it))
                FAIL("trial %d: item %lld (pdq %s, added in trial %d) is not matchable after "
                     "the restart",
                     r->trial, it->id, it->pdq, it->trial);
            break;
        case DELETED:
            if (hit)
                FAIL("trial %d: item %lld was deleted (answered 200) in trial %d, and is back",
                     r->trial, it->id, it->trial);
            if (look && matchable(r, it))
                FAIL("trial %d: item %lld was deleted in trial %d and still matches", r->trial,
                     it->id, it->trial);
            break;
        }
    }
    /* Nothing beyond what was acknowledged and what was in flight. */
    if (nl < live || nl > live + maybe)
        FAIL("trial %d: the bank lists %zu items; %zu acknowledged live, %zu in flight at kills",
             r->trial, nl, live, maybe);
    free(l);
}

/* Stops the server the trial's way. SIGTERM mode: the server drains, then
 * writes its snapshot; it is killed once the snapshot's .tmp directory
 * appears, after up to 3 times what the first snapshot took to write (plus
 * 50 ms, as the bank grows). */
static void crash_server(serve_run *r, const char *snapshot, int snapshot_mode, uint64_t *rng) {
    atomic_store(&r->killed, 1);
    pid_t pid = r->srv.pid;
    if (!snapshot_mode) {
        kill(pid, SIGKILL);
    } else {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", snapshot);
        kill(pid, SIGTERM);
        struct stat sb;
        int seen = 0;
        for (double t0 = now_s(); now_s() - t0 < 20;) {
            if (stat(tmp, &sb) == 0) {
                seen = 1;
                break;
            }
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                r->srv.pid = 0;
                break;
            }
            sleep_us(50);
        }
        if (seen) {
            /* mostly mid-write, sometimes just after */
            sleep_us((long)(splitmix(rng) % (uint64_t)(r->snapshot_s * 3e6 + 50000)));
            r->snapshot_kills++;
        } else {
            r->snapshot_missed++; /* exited before it was seen: a clean stop */
        }
        if (r->srv.pid)
            kill(pid, SIGKILL);
    }
    if (r->srv.pid)
        waitpid(pid, NULL, 0);
    r->srv.pid = 0;
    if (snapshot_mode) {
        /* what the kill left: a torn DIR.tmp, or the new snapshot whole */
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", snapshot);
        struct stat sb;
        if (stat(tmp, &sb) == 0)
            r->snapshot_torn++;
    }
}

static void serve_trials(const char *db, const char *name, int n) {
    uint64_t rng = crash_seed(name);
    serve_run *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->db = db;
    r->curator = make_token(db, "curator");
    r->matcher = make_token(db, "matcher");
    snprintf(r->bank, sizeof r->bank, "CRASH_%d_%llu", (int)getpid(),
             (unsigned long long)(splitmix(&rng) % 1000000));
    /* SQLite keeps its snapshot beside the database; PostgreSQL gets one
     * too, so that both are killed while writing it. */
    char snapshot[4096], extra[4200];
    if (is_pg(db))
        snprintf(snapshot, sizeof snapshot, "%s/pg.snapshot", tmp_dir());
    else
        snprintf(snapshot, sizeof snapshot, "%s.snapshot", db);
    snprintf(extra, sizeof extra, "--threads 4 --snapshot '%s'", snapshot);
    /* Trial 0 ends with a clean stop, which writes a snapshot: the later
     * starts begin from it (or from a newer one a kill let finish) and
     * catch up with the change log. */
    double began = now_s();
    int ran = 0;
    for (int t = 0; t <= n; t++) {
        if (t > 0 && now_s() - began > BUDGET_S)
            break;
        ran = t;
        r->trial = t;
        server_start(&r->srv, db, extra);
        if (t == 0) {
            http_resp h;
            char body[128];
            snprintf(body, sizeof body, "{\"name\":\"%s\"}", r->bank);
            ASSERT_EQ(http_do(r->srv.port, "POST", "/c/banks", r->curator, "application/json",
                              body, strlen(body), &h),
                      0);
            ASSERT_EQ(h.status, 201);
            free(h.body);
        } else {
            verify(r, t - 1, 1);
        }
        atomic_store(&r->killed, 0);
        writer w[4];
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
            w[i].run = r;
            w[i].rng = splitmix(&rng);
            ASSERT_EQ(pthread_create(&th[i], NULL, write_loop, &w[i]), 0);
        }
        /* 20-500 ms of writes */
        sleep_us(20000 + (long)(splitmix(&rng) % 480000));
        if (t == 0) {
            atomic_store(&r->killed, 1);
            ASSERT_EQ(server_stop(&r->srv), 0);
            char *log = (char *)read_file(r->srv.log, NULL);
            const char *wr = log ? strstr(log, ": written (") : NULL;
            if (!wr || sscanf(wr, ": written (%lf s)", &r->snapshot_s) != 1)
                FAIL("no snapshot written at the clean stop; the log:\n%s", log ? log : "");
            free(log);
        } else {
            crash_server(r, snapshot, t % 3 == 0, &rng);
        }
        for (int i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        if (atomic_load(&r->failed))
            FAIL("%s", r->error);
    }
    /* After the last kill: everything holds, then a clean stop writes a
     * whole snapshot, and the start from it holds too (lookups for a
     * thousand items spread over all trials). */
    if (ran < n)
        fprintf(stderr, "    %s: %d trials of %d, the %d s budget ran out (a loaded machine)\n",
                name, ran, n, BUDGET_S);
    n = ran;
    r->trial = n + 1;
    server_start(&r->srv, db, extra);
    verify(r, n, 1);
    ASSERT_EQ(server_stop(&r->srv), 0);
    server_start(&r->srv, db, extra);
    r->trial = n + 2;
    verify(r, -1, r->n / 1000 + 1);
    ASSERT_EQ(server_stop(&r->srv), 0);
    for (size_t i = 0; i < r->n; i++) {
        r->acked_adds += r->items[i].state == ADDED || r->items[i].state == DELETED;
        r->acked_dels += r->items[i].state == DELETED;
        r->inflight += r->items[i].state == ADD_INFLIGHT || r->items[i].state == DEL_INFLIGHT;
    }
    fprintf(stderr,
            "    %s: %d kills (%d while writing the snapshot: %d left it torn, %d let it "
            "finish; %d SIGTERMs ended before it was seen); %llu adds and %llu deletes "
            "answered 200, all there after the restarts; %llu writes in flight at the "
            "kills; %llu lookups\n",
            name, n, r->snapshot_kills, r->snapshot_torn, r->snapshot_kills - r->snapshot_torn,
            r->snapshot_missed, r->acked_adds, r->acked_dels, r->inflight,
            r->checked_lookups);
    free(r->items);
    free(r->curator), free(r->matcher);
    free(r);
}

/* fmt()'s buffers are reused by the helpers: paths are copied first. */
TEST(crash_serve_sqlite) {
    char db[4096];
    snprintf(db, sizeof db, "%s/crash.db", tmp_dir());
    serve_trials(db, "crash_serve_sqlite", trials(18));
}

TEST(crash_serve_pg) {
    const char *pg = getenv("TAMIS_TEST_PG");
    if (!pg || !*pg)
        SKIP("TAMIS_TEST_PG not set (tests/run.sh starts a server when it can)");
    serve_trials(pg, "crash_serve_pg", trials(18));
}

/* ---- import --------------------------------------------------------------- */

typedef struct {
    char (*rows)[65];
    size_t n;
    size_t got;
    int bad; /* first position where the bank and the file differ, +1 */
    char why[256];
} prefix_check;

static int check_row(void *ctx, const tamis_content *c) {
    prefix_check *p = ctx;
    size_t i = p->got++;
    if (p->bad)
        return 0;
    if (i >= p->n || c->n_signals != 1 || strcmp(c->signals[0].type, "pdq") != 0 ||
        strcmp(c->signals[0].value, p->rows[i]) != 0) {
        p->bad = (int)i + 1;
        snprintf(p->why, sizeof p->why, "item %zu (id %lld): %zu signals, %s %s; row %zu is %s",
                 i, (long long)c->id, c->n_signals, c->n_signals ? c->signals[0].type : "-",
                 c->n_signals ? c->signals[0].value : "-", i, i < p->n ? p->rows[i] : "(none)");
    }
    return 0;
}

/* The number of items of the bank, checked to be the file's first rows in
 * order (0 when the bank does not exist). */
static size_t bank_prefix(const char *db, const char *bank, char (*rows)[65], size_t n) {
    tamis_db *h;
    char err[256];
    if (tamis_db_open(db, &h, err, sizeof err) != TAMIS_OK)
        FAIL("open %s: %s", db, err);
    prefix_check p = {rows, n, 0, 0, ""};
    tamis_status st = tamis_db_content_list(h, bank, 0, 0, check_row, &p);
    if (st != TAMIS_OK && st != TAMIS_ERR_NOT_FOUND)
        FAIL("listing bank %s: %s", bank, tamis_db_errmsg(h));
    tamis_db_close(h);
    if (p.bad)
        FAIL("bank %s is not a prefix of the file: %s", bank, p.why);
    return p.got;
}

typedef struct {
    const char *bank;
    size_t n;
} counter;

/* Counts the items added to one bank, from the change log. */
static int count_added(void *ctx, const tamis_change *c) {
    counter *k = ctx;
    if (c->kind == TAMIS_CHANGE_SIGNAL_ADDED && c->bank && strcmp(c->bank, k->bank) == 0)
        k->n++;
    return 0;
}

static pid_t import_start(const char *db, const char *bank, const char *file, unsigned batch,
                          const char *log) {
    char b[32];
    snprintf(b, sizeof b, "%u", batch);
    char exe[4096];
    snprintf(exe, sizeof exe, "%s/tamis", build_dir());
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 2);
        execl(exe, "tamis", "import", "--db", db, "--bank", bank, "--format", "hashlist",
              "--batch-rows", b, file, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Runs an import to its end; returns its exit status and the number it
 * reports added. */
static int import_run(const char *db, const char *bank, const char *file, unsigned batch,
                      unsigned long long *added) {
    char log[4096];
    snprintf(log, sizeof log, "%s/import-%s.log", tmp_dir(), bank);
    int st;
    waitpid(import_start(db, bank, file, batch, log), &st, 0);
    char *out = (char *)read_file(log, NULL);
    const char *p = out ? strstr(out, " read, ") : NULL;
    *added = 0;
    if (!p || sscanf(p, " read, %llu added", added) != 1)
        FAIL("import into %s: no report in its output:\n%s", bank, out ? out : "(none)");
    free(out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void import_trials(const char *db, const char *name, int n, size_t nrows,
                          const unsigned *batches, int nbatches) {
    uint64_t rng = crash_seed(name);
    char file[4096];
    snprintf(file, sizeof file, "%s/rows.txt", tmp_dir());
    char(*rows)[65] = malloc(nrows * sizeof *rows);
    FILE *f = fopen(file, "w");
    ASSERT(f != NULL);
    for (size_t i = 0; i < nrows; i++) {
        hex_random(&rng, rows[i], 32);
        fprintf(f, "%s row%zu\n", rows[i], i);
    }
    ASSERT_EQ(fclose(f), 0);
    char base[48];
    snprintf(base, sizeof base, "CRASHIMP_%d_%llu", (int)getpid(),
             (unsigned long long)(splitmix(&rng) % 1000000));

    /* An import left alone, and one of a single row: how long the rows
     * take here and how long starting takes, which set the range of the
     * kill moments. */
    char bank[80], one[4096];
    snprintf(one, sizeof one, "%s/one.txt", tmp_dir());
    f = fopen(one, "w");
    ASSERT(f != NULL);
    fprintf(f, "%s row0\n", rows[0]);
    ASSERT_EQ(fclose(f), 0);
    snprintf(bank, sizeof bank, "%s_ONE", base);
    unsigned long long added;
    double t0 = now_s();
    ASSERT_EQ(import_run(db, bank, one, batches[0], &added), 0);
    double start = now_s() - t0;
    snprintf(bank, sizeof bank, "%s_FULL", base);
    t0 = now_s();
    ASSERT_EQ(import_run(db, bank, file, batches[0], &added), 0);
    double full = now_s() - t0;
    ASSERT_EQ(added, nrows);
    ASSERT_EQ(bank_prefix(db, bank, rows, nrows), nrows);
    if (start > full)
        start = full;

    /* The kill moments follow the import's commits, seen in the change
     * log, so that they spread over the batches however loaded the
     * machine: after the j-th commit (j at random), a random part of one
     * batch's time later; one trial in eight while the import starts. */
    tamis_db *watch;
    char err[256];
    if (tamis_db_open(db, &watch, err, sizeof err) != TAMIS_OK)
        FAIL("open %s: %s", db, err);
    int64_t seen_seq = 0;
    int finished = 0, empty = 0, ran = 0;
    size_t batches_kept = 0;
    char kept[1024] = "";
    double began = now_s();
    for (int t = 0; t < n; t++) {
        if (now_s() - began > BUDGET_S)
            break;
        ran++;
        unsigned batch = batches[t % nbatches];
        snprintf(bank, sizeof bank, "%s_%d", base, t);
        char log[4096];
        snprintf(log, sizeof log, "%s/import-%s.log", tmp_dir(), bank);
        double batch_s = (full - start) / (double)nrows * batch;
        size_t target = 0;
        double extra;
        if (splitmix(&rng) % 8 == 0) {
            extra = (double)(splitmix(&rng) % 1000) / 1000.0 * start;
        } else {
            target = (size_t)(splitmix(&rng) % ((nrows - 1) / batch + 1)) * batch;
            size_t left = nrows - target < batch ? nrows - target : batch;
            extra = (double)(splitmix(&rng) % 1000) / 1000.0 * batch_s * (double)left / batch;
        }
        pid_t pid = import_start(db, bank, file, batch, log);
        counter c = {bank, 0};
        int st, exited = 0;
        while (c.n < target) {
            if (tamis_db_changes(watch, seen_seq, 0, count_added, &c, &seen_seq) != TAMIS_OK)
                FAIL("reading the change log: %s", tamis_db_errmsg(watch));
            if (waitpid(pid, &st, WNOHANG) == pid) {
                exited = 1;
                break;
            }
            sleep_us(2000);
        }
        if (!exited) {
            sleep_us((long)(extra * 1e6));
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
        }
        finished += WIFEXITED(st);
        if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
            char *out = (char *)read_file(log, NULL);
            FAIL("trial %d: import exited %d before the kill:\n%s", t, WEXITSTATUS(st),
                 out ? out : "");
        }
        size_t k = bank_prefix(db, bank, rows, nrows);
        if (k % batch != 0 && k != nrows)
            FAIL("trial %d: killed import left %zu rows in bank %s: not whole batches of %u "
                 "(nor all %zu)",
                 t, k, bank, batch, nrows);
        empty += k == 0;
        batches_kept += k / batch;
        size_t kl = strlen(kept);
        snprintf(kept + kl, sizeof kept - kl, "%s%zu/%u", kl ? " " : "", k, batch);
        /* the same import again completes it, adding exactly the rest */
        ASSERT_EQ(import_run(db, bank, file, batch, &added), 0);
        if (added != nrows - k)
            FAIL("trial %d: re-run added %llu rows to the %zu kept; want %zu", t, added, k,
                 nrows - k);
        ASSERT_EQ(bank_prefix(db, bank, rows, nrows), nrows);
    }
    tamis_db_close(watch);
    if (ran < n)
        fprintf(stderr, "    %s: %d trials of %d, the %d s budget ran out (a loaded machine)\n",
                name, ran, n, BUDGET_S);
    fprintf(stderr,
            "    %s: %d kills of imports of %zu rows (%.2f s each, %.2f s to start; batches of",
            name, ran - finished, nrows, full, start);
    for (int i = 0; i < nbatches; i++)
        fprintf(stderr, " %u", batches[i]);
    fprintf(stderr,
            "): %d left nothing, %zu whole batches kept in all; %d more trials finished before "
            "their kill; "
            "every re-run completed to exactly %zu; rows kept/batch: %s\n",
            empty, batches_kept, finished, nrows, kept);
    free(rows);
}

/* SQLite: the default batch of 10 000 rows (the import a user runs), and
 * smaller ones for more boundaries to be killed near. */
TEST(crash_import_sqlite) {
    static const unsigned b[] = {TAMIS_IMPORT_BATCH_ROWS, 2500, 1000};
    char db[4096];
    snprintf(db, sizeof db, "%s/import.db", tmp_dir());
    import_trials(db, "crash_import_sqlite", trials(8), 12000, b, 3);
}

/* PostgreSQL writes a few hundred rows a second here (round trips): small
 * batches, so that a kill lands among several of them. */
TEST(crash_import_pg) {
    const char *pg = getenv("TAMIS_TEST_PG");
    if (!pg || !*pg)
        SKIP("TAMIS_TEST_PG not set (tests/run.sh starts a server when it can)");
    static const unsigned b[] = {60, 100};
    import_trials(pg, "crash_import_pg", trials(8), 300, b, 2);
}

/* ---- The snapshot's states after a kill, made by hand -------------------
 * tamis_matcher_save writes DIR.tmp, then renames DIR to DIR.old and
 * DIR.tmp to DIR. The states a kill can leave, and a torn DIR the renames
 * are there to prevent: each start must match exactly what the database
 * holds, from the whole snapshot or from the database, never from a torn
 * one. */

static const char *SH_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
static const char *SH_B = "5555555555555555555555555555555555555555555555555555555555555555";
static const char *SH_C = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
static const char *SM_A = "00112233445566778899aabbccddeeff";

static int on_any(void *ctx, const tamis_match *m) {
    (void)m;
    ++*(int *)ctx;
    return 0;
}

static int found(tamis_matcher *m, const char *type, const char *v) {
    int n = 0;
    tamis_status st = tamis_matcher_lookup(m, type, v, -1, on_any, &n);
    ASSERT(st == TAMIS_OK || st == TAMIS_DONE);
    return n;
}

static int64_t add_one(tamis_db *db, const char *type, const char *value) {
    tamis_signal s = {(char *)type, (char *)value};
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = "SNAP";
    c.signals = &s;
    c.n_signals = 1;
    int64_t id;
    ASSERT_OK(tamis_db_content_add(db, &c, &id));
    return id;
}

/* Opens a matcher on url with snapshot snap; checks it matches what the
 * database holds (A and its MD5, B; not C, deleted after the snapshot)
 * and whether it came from the snapshot. */
static void open_and_check(const char *url, const char *snap, int want_from_snapshot,
                           const char *state) {
    tamis_matcher *m;
    char err[512];
    if (tamis_matcher_open(url, snap, &m, err, sizeof err) != TAMIS_OK)
        FAIL("%s: open: %s", state, err);
    int from = tamis_matcher_snapshot_seq(m) != 0;
    if (from != want_from_snapshot)
        FAIL("%s: opened %s the snapshot", state, from ? "from" : "without");
    if (found(m, "pdq", SH_A) != 1 || found(m, "md5", SM_A) != 1 || found(m, "pdq", SH_B) != 1 ||
        found(m, "pdq", SH_C) != 0)
        FAIL("%s: matches A %d, A's md5 %d, B %d (added since), C %d (deleted since)", state,
             found(m, "pdq", SH_A), found(m, "md5", SM_A), found(m, "pdq", SH_B),
             found(m, "pdq", SH_C));
    tamis_matcher_free(m);
}

/* Cuts a file to half its size, as a write stopped halfway leaves it. */
static void cut_half(const char *path) {
    struct stat sb;
    ASSERT_EQ(stat(path, &sb), 0);
    ASSERT_EQ(truncate(path, sb.st_size / 2), 0);
}

static void sh(const char *cmd) {
    char *err = NULL;
    if (run_cmd(cmd, NULL, &err) != 0)
        FAIL("%s: %s", cmd, err ? err : "");
    free(err);
}

TEST(crash_snapshot_torn_states) {
    char url[512], snap[512], keep[512], cmd[8192];
    snprintf(url, sizeof url, "%s/snap.db", tmp_dir());
    snprintf(snap, sizeof snap, "%s/snap.db.snapshot", tmp_dir());
    snprintf(keep, sizeof keep, "%s/whole", tmp_dir());
    tamis_db *db;
    char err[512];
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "SNAP";
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(db, &b));
    add_one(db, "pdq", SH_A);
    add_one(db, "md5", SM_A);
    int64_t c = add_one(db, "pdq", SH_C);
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_open(url, NULL, &m, err, sizeof err));
    ASSERT_OK(tamis_matcher_save(m, snap));
    tamis_matcher_free(m);
    /* changes the snapshot does not have */
    add_one(db, "pdq", SH_B);
    ASSERT_OK(tamis_db_content_delete(db, c));
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", snap, keep);
    sh(cmd);
    open_and_check(url, snap, 1, "whole snapshot");

    /* killed while DIR.tmp was written: DIR whole, DIR.tmp torn */
    static const char *torn[] = {"state.bin", "pdq.tamisidx", "md5.tamisdx", "video.bin"};
    for (size_t i = 0; i < sizeof torn / sizeof *torn; i++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s.tmp' && cp -a '%s' '%s.tmp'", snap, keep, snap);
        sh(cmd);
        cut_half(fmt("%s.tmp/%s", snap, torn[i]));
        open_and_check(url, snap, 1, fmt("DIR.tmp with %s torn", torn[i]));
    }
    /* killed between the renames: no DIR, DIR.old and a whole DIR.tmp;
     * then a save over those leftovers, and a start from it */
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.tmp' && cp -a '%s' '%s.old' && cp -a '%s' '%s.tmp'",
             snap, snap, keep, snap, keep, snap);
    sh(cmd);
    open_and_check(url, snap, 0, "between the renames");
    ASSERT_OK(tamis_matcher_open(url, snap, &m, err, sizeof err));
    ASSERT_OK(tamis_matcher_save(m, snap));
    tamis_matcher_free(m);
    struct stat sb;
    ASSERT(stat(fmt("%s.old", snap), &sb) != 0);
    ASSERT(stat(fmt("%s.tmp", snap), &sb) != 0);
    open_and_check(url, snap, 1, "saved over the leftovers");

    /* a torn DIR (what the renames prevent): never used */
    static const char *cut[] = {"state.bin",  "pdq.tamisidx", "md5.tamisdx", "sha256.tamisdx",
                                "video.bin",  "vpdq.tamisidx", "text.bin", "text_exact.tamisdx"};
    for (size_t i = 0; i < sizeof cut / sizeof *cut; i++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", snap, keep, snap);
        sh(cmd);
        cut_half(fmt("%s/%s", snap, cut[i]));
        open_and_check(url, snap, 0, fmt("DIR with %s cut in half", cut[i]));
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s' && rm '%s/%s'", snap, keep,
                 snap, snap, cut[i]);
        sh(cmd);
        open_and_check(url, snap, 0, fmt("DIR without %s", cut[i]));
    }
    /* a flipped byte in the PDQ index: its checksum refuses it */
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -a '%s' '%s' && printf '\\377' | dd of='%s/pdq.tamisidx' bs=1 "
             "seek=200 conv=notrunc 2>/dev/null",
             snap, keep, snap, snap);
    sh(cmd);
    open_and_check(url, snap, 0, "DIR with a flipped byte in pdq.tamisidx");
    tamis_db_close(db);
}
