/*
 * test_api_act.c - /a over real HTTP on loopback, on SQLite and
 * PostgreSQL: removal orders and their confirmation, the review queue
 * with claims, notices, complaints, the audit log's check, and who may do
 * what (a reviewer role between matcher and curator).
 */
#include <stdlib.h>

#include <jansson.h>
#include <unistd.h>

#include "../test.h"
#include "client.h"
#include "tamis.h"

static void t_act(const char *db) {
    char *admin = make_token(db, "admin"), *rev = make_token(db, "reviewer"),
         *match = make_token(db, "matcher");
    server_proc s;
    server_start(&s, db, NULL);
    json_t *j;
    char path[256], body[1024];
    /* a removal order: received, executed, confirmed */
    snprintf(body, sizeof body,
             "{\"authority\":\"Politie\",\"member_state\":\"NL\",\"reference\":\"NL-%d\","
             "\"issued_at\":1767225600,\"locators\":[\"https://p.example/v/1\"],"
             "\"reasons\":\"Art 2(7)(c)\",\"redress\":\"court of The Hague\"}",
             (int)getpid());
    ASSERT_EQ(http_json(s.port, "POST", "/a/orders", match, body, NULL), 403);
    ASSERT_EQ(http_json(s.port, "POST", "/a/orders", rev, body, &j), 201);
    long long oid = json_integer_value(json_object_get(j, "id"));
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "state")), "received");
    double recv = json_real_value(json_object_get(j, "received_at"));
    ASSERT(json_real_value(json_object_get(j, "deadline")) - recv == 3600.0);
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "POST", "/a/orders", rev, "{\"authority\":\"x\"}", NULL), 400);
    ASSERT_EQ(http_json(s.port, "GET", "/a/orders/due?within=7200", rev, NULL, &j), 200);
    int listed = 0;
    for (size_t i = 0; i < json_array_size(json_object_get(j, "orders")); i++)
        listed |= json_integer_value(json_object_get(
                      json_array_get(json_object_get(j, "orders"), i), "id")) == oid;
    ASSERT(listed);
    json_decref(j);
    snprintf(path, sizeof path, "/a/orders/%lld/step", oid);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"to\":\"sideways\"}", NULL), 400);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"to\":\"executed\"}", &j), 200);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "state")), "executed");
    ASSERT(json_is_true(json_object_get(j, "on_time")));
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"to\":\"executed\"}", NULL), 400);
    snprintf(path, sizeof path, "/a/orders/%lld/confirmation", oid);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    ASSERT(json_is_true(json_object_get(j, "within_one_hour")));
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/a/orders/999999999", rev, NULL, NULL), 404);
    /* time to removal in the metrics */
    http_resp mr;
    ASSERT_EQ(http_do(s.port, "GET", "/metrics", match, NULL, NULL, 0, &mr), 0);
    ASSERT_EQ(mr.status, 200);
    const char *on = strstr(mr.body, "tamis_orders{state=\"executed_on_time\"} ");
    ASSERT(on != NULL);
    ASSERT_GE(atoi(on + strlen("tamis_orders{state=\"executed_on_time\"} ")), 1);
    ASSERT(strstr(mr.body, "tamis_order_time_to_removal_seconds_bucket{le=\"3600\"} ") != NULL);
    free(mr.body);
    /* the review queue: a decision queued by the library, then claimed */
    char err[256], bank[64];
    tamis_db *h;
    ASSERT_OK(tamis_db_open(db, &h, err, sizeof err));
    snprintf(bank, sizeof bank, "ACT_%d_%d", (int)getpid(), rand() % 100000);
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = bank;
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(h, &b));
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "upload-1";
    d.bank = bank;
    d.content_id = 1;
    d.signal_type = "pdq";
    d.distance = 12;
    int64_t did;
    ASSERT_OK(tamis_decision_record(h, NULL, "matcher", &d, &did, NULL));
    tamis_db_close(h);
    ASSERT_EQ(http_json(s.port, "GET", "/a/review", rev, NULL, &j), 200);
    ASSERT_GE(json_array_size(json_object_get(j, "pending")), 1);
    json_decref(j);
    snprintf(path, sizeof path, "/a/review/%lld/claim", (long long)did);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, NULL, &j), 200);
    ASSERT(strncmp(json_string_value(json_object_get(j, "claimed_by")), "reviewer#", 9) == 0);
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "POST", path, admin, NULL, NULL), 409); /* another holds it */
    snprintf(path, sizeof path, "/a/review/%lld/decide", (long long)did);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"action\":\"remove\"}", NULL), 400); /* reason */
    ASSERT_EQ(http_json(s.port, "POST", path, rev,
                   "{\"action\":\"remove\",\"reason\":\"same video as the bank's\"}", &j),
              200);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "action")), "remove");
    ASSERT(!json_is_true(json_object_get(j, "automated_decision")));
    json_decref(j);
    snprintf(path, sizeof path, "/a/decisions/%lld/statement", (long long)did);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    /* unique per statement: the content's id and the decision's */
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "puid")),
                  fmt("upload-1-%lld", (long long)did));
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "automated_decision")),
                  "AUTOMATED_DECISION_NOT_AUTOMATED");
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/a/statements", rev, NULL, &j), 200);
    ASSERT_GE(json_integer_value(json_object_get(j, "count")), 1);
    ASSERT(json_is_array(json_object_get(json_object_get(j, "batch"), "statements")));
    json_decref(j);
    /* a complaint against it, upheld */
    snprintf(body, sizeof body, "{\"decision_id\":%lld,\"grounds\":\"satire\"}", (long long)did);
    ASSERT_EQ(http_json(s.port, "POST", "/a/complaints", match, body, &j), 201);
    long long cid = json_integer_value(json_object_get(j, "id"));
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "state")), "open");
    json_decref(j);
    snprintf(path, sizeof path, "/a/complaints/%lld/answer", cid);
    ASSERT_EQ(http_json(s.port, "POST", path, match, "{\"upheld\":true,\"answer\":\"x\"}", NULL), 403);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"upheld\":true,\"answer\":\"satire indeed\"}", &j),
              200);
    ASSERT(json_is_true(json_object_get(j, "reinstated")));
    json_decref(j);
    /* a notice from a trusted flagger: the contact never comes back */
    ASSERT_EQ(http_json(s.port, "POST", "/a/notices", match,
                   "{\"puid\":\"post-3\",\"explanation\":\"recruitment video\","
                   "\"trusted_flagger\":true,\"notifier\":\"tf@example.org\"}",
                   &j),
              201);
    long long nid = json_integer_value(json_object_get(j, "id"));
    ASSERT(json_object_get(j, "notifier") == NULL);
    json_decref(j);
    snprintf(path, sizeof path, "/a/notices/%lld/decide", nid);
    ASSERT_EQ(http_json(s.port, "POST", path, rev,
                   "{\"action\":\"disable\",\"reason\":\"recruitment material\"}", &j),
              200);
    ASSERT(strstr(json_string_value(json_object_get(j, "outcome")), "disabled") != NULL);
    json_decref(j);
    /* the audit log: admins only, intact, and it holds all of the above */
    ASSERT_EQ(http_json(s.port, "GET", "/a/audit/verify", rev, NULL, NULL), 403);
    ASSERT_EQ(http_json(s.port, "GET", "/a/audit/verify", admin, NULL, &j), 200);
    ASSERT(json_is_true(json_object_get(j, "intact")));
    ASSERT_GE(json_integer_value(json_object_get(j, "entries")), 8);
    json_decref(j);
    ASSERT_EQ(server_stop(&s), 0);
    free(admin), free(rev), free(match);
}

TEST(api_act_orders_review_notices_complaints_audit) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++) {
        char db[8300];
        if (strncmp(urls[i], "postgres", 8) == 0)
            snprintf(db, sizeof db, "%s", urls[i]);
        else
            snprintf(db, sizeof db, "%s/act.db", tmp_dir());
        t_act(db);
    }
}


/* /m/match?puid=: each match decided under its bank's policy, and the
 * platform told by a signed webhook (a loopback receiver counts them). */
TEST(api_match_acts_and_announces_by_webhook) {
    char db[8300], secret[8300], outbox[8300], args[30000], path[256], body[256];
    snprintf(db, sizeof db, "%s/hook.db", tmp_dir());
    snprintf(secret, sizeof secret, "%s/hook.secret", tmp_dir());
    snprintf(outbox, sizeof outbox, "%s/outbox", tmp_dir());
    FILE *f = fopen(secret, "w");
    fputs("a-shared-secret-of-enough-bytes\n", f);
    fclose(f);
    media_server rx;
    media_server_start(&rx, 200, NULL, "ok", 2);
    char *cur = make_token(db, "curator"), *match = make_token(db, "matcher");
    snprintf(args, sizeof args,
             "--webhook-url http://127.0.0.1:%d/hook --webhook-secret-file '%s' --webhook-dir '%s'",
             rx.port, secret, outbox);
    server_proc s;
    server_start(&s, db, args);
    json_t *j;
    ASSERT_EQ(http_json(s.port, "POST", "/c/banks", cur,
                   "{\"name\":\"TRUSTED\",\"policy\":{\"trusted\":true,\"auto\":{\"pdq\":10,"
                   "\"md5\":0,\"sha256\":0}}}",
                   NULL),
              201);
    size_t len, blen;
    unsigned char *img = read_file(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()), &len);
    char ct[128];
    char *mp = multipart("photo", "p.jpg", img, len, &blen, ct, sizeof ct);
    http_resp r;
    ASSERT_EQ(http_do(s.port, "POST", "/c/bank/TRUSTED/content", cur, ct, mp, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    free(r.body);
    int acted = 0;
    for (int i = 0; i < 30 && !acted; i++) {
        ASSERT_EQ(http_do(s.port, "POST", "/m/match?puid=upload-9", match, ct, mp, blen, &r), 0);
        ASSERT_EQ(r.status, 200);
        j = json_loads(r.body, 0, NULL);
        json_t *ms = json_object_get(j, "matches");
        for (size_t k = 0; k < json_array_size(ms); k++) {
            json_t *m = json_array_get(ms, k);
            if (json_object_get(m, "decision_id") &&
                strcmp(json_string_value(json_object_get(m, "action")), "remove") == 0 &&
                json_object_get(m, "webhook_event"))
                acted = 1;
        }
        json_decref(j);
        free(r.body);
        if (!acted)
            usleep(100000);
    }
    ASSERT(acted);
    for (int i = 0; i < 100 && rx.served == 0; i++)
        usleep(100000);
    ASSERT_GE(rx.served, 1); /* delivered */
    int delivered = 0;
    for (int i = 0; i < 50 && !delivered; i++) {
        ASSERT_EQ(http_json(s.port, "GET", "/a/webhooks?state=delivered", match, NULL, NULL), 403);
        char *rev = make_token(db, "reviewer");
        ASSERT_EQ(http_json(s.port, "GET", "/a/webhooks?state=delivered", rev, NULL, &j), 200);
        free(rev);
        json_t *e = json_array_get(json_object_get(j, "events"), 0);
        delivered = e && strcmp(json_string_value(json_object_get(e, "type")),
                                "decision.automated") == 0;
        json_decref(j);
        if (!delivered)
            usleep(100000);
    }
    ASSERT(delivered);
    (void)path, (void)body;
    ASSERT_EQ(server_stop(&s), 0);
    media_server_stop(&rx);
    free(mp), free(img), free(cur), free(match);
}

typedef struct {
    int n;
} acount;

static int count_action(void *ctx, const tamis_audit_entry *e) {
    if (strncmp(e->action, "preserve.", 9) == 0)
        ((acount *)ctx)->n++;
    return 0;
}

/* /a/preserve: removed content kept encrypted, read back by an admin only,
 * held and released, each access in the audit log; /a/report. */
TEST(api_preserve_and_report) {
    char db[8300], key[8300], dir[8300], args[20000];
    snprintf(db, sizeof db, "%s/pres.db", tmp_dir());
    snprintf(key, sizeof key, "%s/pres.key", tmp_dir());
    snprintf(dir, sizeof dir, "%s/preserved", tmp_dir());
    char *out = NULL, *err = NULL;
    ASSERT_EQ(run_cmd(fmt("'%s/tamis' preserve keygen '%s'", build_dir(), key), &out, &err), 0);
    free(out), free(err);
    ASSERT_EQ(run_cmd(fmt("'%s/tamis' preserve keygen '%s'", build_dir(), key), &out, &err), 1);
    free(out), free(err); /* never overwritten */
    char *admin = make_token(db, "admin"), *rev = make_token(db, "reviewer"),
         *cur = make_token(db, "curator");
    snprintf(args, sizeof args, "--preserve-dir '%s' --preserve-key '%s'", dir, key);
    server_proc s;
    server_start(&s, db, args);
    static const char media[] = "the removed video's bytes";
    char ct[128];
    size_t blen;
    char *mp = multipart("video", "v.mp4", media, sizeof media - 1, &blen, ct, sizeof ct);
    http_resp r;
    ASSERT_EQ(http_do(s.port, "POST", "/a/preserve/upload-9?reason=order%20NL-1", rev, ct, mp,
                      blen, &r),
              0);
    ASSERT_EQ(r.status, 201);
    free(r.body);
    json_t *j;
    ASSERT_EQ(http_json(s.port, "GET", "/a/preserve", rev, NULL, &j), 200);
    ASSERT_EQ(json_array_size(json_object_get(j, "items")), 1);
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/a/preserve/upload-9", rev, NULL, NULL), 403);
    ASSERT_EQ(http_do(s.port, "GET", "/a/preserve/upload-9", admin, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.len, sizeof media - 1);
    ASSERT(memcmp(r.body, media, r.len) == 0);
    free(r.body);
    ASSERT_EQ(http_json(s.port, "POST", "/a/preserve/upload-9/hold", cur,
                   "{\"reason\":\"criminal proceedings\"}", &j),
              200);
    ASSERT(json_is_true(json_object_get(j, "legal_hold")));
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "POST", "/a/preserve/nothing/hold", cur, "{\"reason\":\"x\"}", NULL), 404);
    ASSERT_EQ(http_json(s.port, "POST", "/a/preserve/purge", admin, NULL, &j), 200);
    ASSERT_EQ(json_integer_value(json_object_get(j, "removed")), 0); /* not expired */
    json_decref(j);
    /* the report: JSON and HTML */
    ASSERT_EQ(http_json(s.port, "GET", "/a/report?from=1767225600&to=1798761600", rev, NULL, &j), 200);
    ASSERT(json_is_object(j));
    json_decref(j);
    ASSERT_EQ(http_do(s.port, "GET", "/a/report?from=1767225600&to=1798761600&format=html", rev, NULL,
                      NULL, 0, &r),
              0);
    ASSERT_EQ(r.status, 200);
    ASSERT(strstr(r.body, "<svg") != NULL);
    free(r.body);
    ASSERT_EQ(http_json(s.port, "GET", "/a/report", rev, NULL, NULL), 422);
    ASSERT_EQ(server_stop(&s), 0);
    /* every access audited: put, read, hold */
    char e2[256];
    tamis_db *h;
    ASSERT_OK(tamis_db_open(db, &h, e2, sizeof e2));
    acount c = {0};
    ASSERT_OK(tamis_audit_list(h, 0, 1000, count_action, &c));
    ASSERT_GE(c.n, 3);
    ASSERT_OK(tamis_audit_verify(h, NULL));
    tamis_db_close(h);
    free(mp), free(admin), free(rev), free(cur);
}

static double back_then;
static double then(void *ctx) {
    (void)ctx;
    return back_then;
}

/* Orders near or past their hour are announced (TCO Art 3's deadline):
 * two orders received 50 and 70 minutes ago, then the service. */
TEST(api_order_deadline_alerts_by_webhook) {
    char db[8300], secret[8300], outbox[8300], args[30000];
    snprintf(db, sizeof db, "%s/alerts.db", tmp_dir());
    snprintf(secret, sizeof secret, "%s/alerts.secret", tmp_dir());
    snprintf(outbox, sizeof outbox, "%s/alerts-outbox", tmp_dir());
    FILE *f = fopen(secret, "w");
    fputs("another-shared-secret-of-bytes\n", f);
    fclose(f);
    char e[256];
    tamis_db *h;
    ASSERT_OK(tamis_db_open(db, &h, e, sizeof e));
    tamis_clock clk = {then, NULL};
    tamis_order o;
    memset(&o, 0, sizeof o);
    o.authority = "Garda";
    o.member_state = "IE";
    o.locators = "[\"https://p.example/v/9\"]";
    o.reference = "IE-NEAR";
    back_then = tamis_clock_now(NULL) - 50 * 60;
    o.issued_at = back_then;
    ASSERT_OK(tamis_order_receive(h, &clk, "ops", &o, NULL));
    o.reference = "IE-LATE";
    back_then = tamis_clock_now(NULL) - 70 * 60;
    o.issued_at = back_then;
    ASSERT_OK(tamis_order_receive(h, &clk, "ops", &o, NULL));
    tamis_db_close(h);
    media_server rx;
    media_server_start(&rx, 200, NULL, "ok", 2);
    char *rev = make_token(db, "reviewer");
    snprintf(args, sizeof args,
             "--webhook-url http://127.0.0.1:%d/hook --webhook-secret-file '%s' --webhook-dir '%s'",
             rx.port, secret, outbox);
    server_proc s;
    server_start(&s, db, args);
    int near = 0, late = 0;
    for (int i = 0; i < 100 && !(near && late); i++) {
        json_t *j;
        ASSERT_EQ(http_json(s.port, "GET", "/a/webhooks?state=delivered", rev, NULL, &j), 200);
        json_t *ev = json_object_get(j, "events");
        for (size_t k = 0; k < json_array_size(ev); k++) {
            const char *t = json_string_value(json_object_get(json_array_get(ev, k), "type"));
            near |= strcmp(t, "order.deadline_near") == 0;
            late |= strcmp(t, "order.overdue") == 0;
        }
        json_decref(j);
        if (!(near && late))
            usleep(100000);
    }
    ASSERT(near);
    ASSERT(late);
    ASSERT_EQ(server_stop(&s), 0);
    media_server_stop(&rx);
    free(rev);
}
