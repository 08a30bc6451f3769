/*
 * test_api_ui.c - what the web UI stands on: its files under /ui (built
 * in, or from --web-dir; nothing outside them; the headers that keep a
 * page's scripts its own), and the API it reads: /a/me, the lists of
 * orders, decisions, audit entries and bank items, and a decision's
 * media_url, on SQLite and PostgreSQL.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../test.h"
#include "client.h"
#include "tamis.h"

/* The header's value in a response's header block (case as sent), or NULL. */
static const char *header(const http_resp *r, const char *name) {
    static char val[1024];
    const char *p = r->headers;
    size_t n = strlen(name);
    while ((p = strstr(p, name)) != NULL) {
        if ((p == r->headers || p[-1] == '\n') && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            size_t k = strcspn(p, "\r\n");
            snprintf(val, sizeof val, "%.*s", (int)k, p);
            return val;
        }
        p += n;
    }
    return NULL;
}

TEST(ui_files_are_served_with_their_headers_and_nothing_else) {
    char db[8300];
    snprintf(db, sizeof db, "%s/ui.db", tmp_dir());
    server_proc s;
    server_start(&s, db, NULL);
    http_resp r;
    ASSERT_EQ(http_do(s.port, "GET", "/ui", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 301);
    ASSERT_STR_EQ(header(&r, "Location"), "/ui/");
    free(r.body);
    /* the page, as built in from web/index.html */
    size_t len;
    char *page = (char *)read_file(fmt("%s/web/index.html", repo_dir()), &len);
    ASSERT(page != NULL);
    ASSERT_EQ(http_do(s.port, "GET", "/ui/", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.len, len);
    ASSERT(memcmp(r.body, page, len) == 0);
    ASSERT(strncmp(header(&r, "Content-Type"), "text/html", 9) == 0);
    const char *csp = header(&r, "Content-Security-Policy");
    ASSERT(csp && strstr(csp, "script-src 'self'") && strstr(csp, "frame-ancestors 'none'"));
    ASSERT(strstr(csp, "unsafe-inline") == NULL);
    ASSERT_STR_EQ(header(&r, "X-Content-Type-Options"), "nosniff");
    free(r.body);
    free(page);
    ASSERT_EQ(http_do(s.port, "GET", "/ui/app.js", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT(strncmp(header(&r, "Content-Type"), "text/javascript", 15) == 0);
    free(r.body);
    /* nothing but the UI's own files, whatever the path says */
    const char *bad[] = {"/ui/../Makefile", "/ui/pages/../../README.md", "/ui/.git/config",
                         "/ui/nothing.js", "/ui//etc/passwd", "/ui/pages/", "/ui/a%2f..%2fb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_EQ(http_do(s.port, "GET", bad[i], NULL, NULL, NULL, 0, &r), 0);
        if (r.status != 404)
            fprintf(stderr, "%s: %d\n", bad[i], r.status);
        ASSERT_EQ(r.status, 404);
        free(r.body);
    }
    /* the API's answers are not for caches or other sites' frames */
    char *adm = make_token(db, "admin");
    ASSERT_EQ(http_do(s.port, "GET", "/a/me", adm, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT_STR_EQ(header(&r, "Cache-Control"), "no-store");
    ASSERT(strstr(header(&r, "Content-Security-Policy"), "default-src 'none'") != NULL);
    free(r.body);
    free(adm);
    ASSERT_EQ(server_stop(&s), 0);
}

TEST(ui_files_from_web_dir_without_following_links) {
    char db[8300], dir[8300], args[9000];
    snprintf(db, sizeof db, "%s/uidir.db", tmp_dir());
    snprintf(dir, sizeof dir, "%s/webdir", tmp_dir());
    ASSERT_EQ(mkdir(dir, 0700), 0);
    FILE *f = fopen(fmt("%s/index.html", dir), "w");
    fputs("<!doctype html><title>work in progress</title>", f);
    fclose(f);
    f = fopen(fmt("%s/secret.txt", tmp_dir()), "w");
    fputs("outside", f);
    fclose(f);
    ASSERT_EQ(symlink(fmt("%s/secret.txt", tmp_dir()), fmt("%s/link.txt", dir)), 0);
    snprintf(args, sizeof args, "--web-dir '%s'", dir);
    server_proc s;
    server_start(&s, db, args);
    http_resp r;
    ASSERT_EQ(http_do(s.port, "GET", "/ui/", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT(strstr(r.body, "work in progress") != NULL);
    free(r.body);
    ASSERT_EQ(http_do(s.port, "GET", "/ui/link.txt", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 404);
    ASSERT(strstr(r.body, "outside") == NULL);
    free(r.body);
    ASSERT_EQ(server_stop(&s), 0);
}

static int has_id(json_t *list, json_int_t id) {
    for (size_t i = 0; i < json_array_size(list); i++)
        if (json_integer_value(json_object_get(json_array_get(list, i), "id")) == id)
            return 1;
    return 0;
}

static void t_lists(const char *db) {
    char *adm = make_token(db, "admin"), *rev = make_token(db, "reviewer"),
         *cur = make_token(db, "curator"), *mat = make_token(db, "matcher");
    server_proc s;
    server_start(&s, db, NULL);
    json_t *j;
    char bank[64], path[512], body[1024];
    /* who am I */
    ASSERT_EQ(http_json(s.port, "GET", "/a/me", NULL, NULL, NULL), 401);
    ASSERT_EQ(http_json(s.port, "GET", "/a/me", "not-a-token", NULL, NULL), 401);
    const char *toks[] = {mat, rev, cur, adm}, *roles[] = {"matcher", "reviewer", "curator", "admin"};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(http_json(s.port, "GET", "/a/me", toks[i], NULL, &j), 200);
        ASSERT_STR_EQ(json_string_value(json_object_get(j, "role")), roles[i]);
        const char *who = json_string_value(json_object_get(j, "who"));
        ASSERT(who && strncmp(who, roles[i], strlen(roles[i])) == 0);
        ASSERT(strstr(who, toks[i]) == NULL); /* never the token */
        json_decref(j);
    }
    /* a bank whose matches go to review, and one upload matched three ways */
    snprintf(bank, sizeof bank, "UI_%d", (int)getpid());
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"policy\":{\"review\":{\"pdq\":31,\"md5\":0,"
             "\"sha256\":0}}}", bank);
    ASSERT_EQ(http_json(s.port, "POST", "/c/banks", cur, body, NULL), 201);
    size_t len, blen;
    unsigned char *img = read_file(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()), &len);
    char ct[128];
    char *mp = multipart("photo", "p.jpg", img, len, &blen, ct, sizeof ct);
    http_resp r;
    snprintf(path, sizeof path, "/c/bank/%s/content", bank);
    ASSERT_EQ(http_do(s.port, "POST", path, cur, ct, mp, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    free(r.body);
    json_int_t did = 0;
    for (int i = 0; i < 40 && !did; i++) {
        ASSERT_EQ(http_do(s.port, "POST",
                          "/m/match?puid=ui-post-1&media_url=https://cdn.example/u/1.jpg", mat, ct,
                          mp, blen, &r),
                  0);
        ASSERT_EQ(r.status, 200);
        j = json_loads(r.body, 0, NULL);
        json_t *ms = json_object_get(j, "matches");
        size_t mine = 0;
        for (size_t k = 0; k < json_array_size(ms); k++) {
            json_t *m = json_array_get(ms, k);
            if (strcmp(json_string_value(json_object_get(m, "bank")), bank) != 0)
                continue;
            mine++;
            json_int_t id = json_integer_value(json_object_get(m, "decision_id"));
            ASSERT(id > 0);
            ASSERT(!did || id == did); /* pdq, md5 and sha256: one decision */
            did = id;
        }
        ASSERT(mine == 0 || mine == 3);
        json_decref(j);
        free(r.body);
        if (!did)
            usleep(100000);
    }
    ASSERT(did > 0);
    /* a media_url that is not http(s) is refused, and nothing recorded */
    ASSERT_EQ(http_do(s.port, "POST", "/m/match?puid=ui-post-2&media_url=javascript:alert(1)",
                      mat, ct, mp, blen, &r),
              0);
    ASSERT(strstr(r.body, "\"decision_error\"") != NULL);
    ASSERT(strstr(r.body, "\"decision_id\"") == NULL);
    free(r.body);
    /* the decisions log: the one decision, pending, with its media_url */
    snprintf(path, sizeof path, "/a/decisions?bank=%s", bank);
    ASSERT_EQ(http_json(s.port, "GET", path, mat, NULL, NULL), 403);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    json_t *ds = json_object_get(j, "decisions");
    ASSERT_EQ(json_array_size(ds), 1);
    json_t *d = json_array_get(ds, 0);
    ASSERT_EQ(json_integer_value(json_object_get(d, "id")), did);
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "state")), "pending");
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "signal_type")), "pdq");
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "puid")), "ui-post-1");
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "media_url")), "https://cdn.example/u/1.jpg");
    ASSERT(json_is_false(json_object_get(d, "escalated")));
    json_decref(j);
    /* decided by a reviewer: it moves from pending to decided */
    snprintf(path, sizeof path, "/a/review/%lld/claim", (long long)did);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, NULL, NULL), 200);
    snprintf(path, sizeof path, "/a/review/%lld/decide", (long long)did);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"action\":\"remove\",\"reason\":\"same image\"}",
                   NULL),
              200);
    snprintf(path, sizeof path, "/a/decisions?bank=%s&state=pending", bank);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    ASSERT_EQ(json_array_size(json_object_get(j, "decisions")), 0);
    json_decref(j);
    snprintf(path, sizeof path, "/a/decisions?bank=%s&state=decided&action=remove", bank);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    d = json_array_get(json_object_get(j, "decisions"), 0);
    ASSERT_EQ(json_integer_value(json_object_get(d, "id")), did);
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "reason")), "same image");
    json_decref(j);
    snprintf(path, sizeof path, "/a/decisions?bank=%s&action=keep", bank);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    ASSERT_EQ(json_array_size(json_object_get(j, "decisions")), 0);
    json_decref(j);
    snprintf(path, sizeof path, "/a/decisions?bank=%s&before=%lld", bank, (long long)did);
    ASSERT_EQ(http_json(s.port, "GET", path, rev, NULL, &j), 200);
    ASSERT_EQ(json_array_size(json_object_get(j, "decisions")), 0);
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/a/decisions?limit=0", rev, NULL, NULL), 400);
    ASSERT_EQ(http_json(s.port, "GET", "/a/decisions?limit=501", rev, NULL, NULL), 400);
    ASSERT_EQ(http_json(s.port, "GET", "/a/decisions?state=maybe", rev, NULL, NULL), 400);
    ASSERT_EQ(http_json(s.port, "GET", "/a/decisions?action=smite", rev, NULL, NULL), 400);
    ASSERT_EQ(http_json(s.port, "GET", "/a/decisions?before=x", rev, NULL, NULL), 400);
    /* newest first, at most limit */
    ASSERT_EQ(http_json(s.port, "GET", "/a/decisions?limit=1", rev, NULL, &j), 200);
    ASSERT_EQ(json_array_size(json_object_get(j, "decisions")), 1);
    json_decref(j);
    /* orders: newest first with the server's time, filtered by state */
    json_int_t oid[2];
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof body,
                 "{\"authority\":\"Politie\",\"member_state\":\"NL\",\"reference\":\"UI-%d-%d\","
                 "\"issued_at\":1767225600,\"locators\":[\"https://p.example/v/%d\"],"
                 "\"reasons\":\"Art 2(7)(c)\",\"redress\":\"court\"}",
                 (int)getpid(), i, i);
        ASSERT_EQ(http_json(s.port, "POST", "/a/orders", rev, body, &j), 201);
        oid[i] = json_integer_value(json_object_get(j, "id"));
        json_decref(j);
    }
    snprintf(path, sizeof path, "/a/orders/%lld/step", (long long)oid[0]);
    ASSERT_EQ(http_json(s.port, "POST", path, rev, "{\"to\":\"executed\"}", NULL), 200);
    ASSERT_EQ(http_json(s.port, "GET", "/a/orders", mat, NULL, NULL), 403);
    ASSERT_EQ(http_json(s.port, "GET", "/a/orders", rev, NULL, &j), 200);
    double now = json_real_value(json_object_get(j, "now"));
    ASSERT(now > 1.7e9 && fabs(now - (double)time(NULL)) < 60);
    json_t *os = json_object_get(j, "orders");
    size_t at0 = (size_t)-1, at1 = (size_t)-1;
    for (size_t i = 0; i < json_array_size(os); i++) {
        json_int_t id = json_integer_value(json_object_get(json_array_get(os, i), "id"));
        if (id == oid[0])
            at0 = i;
        if (id == oid[1])
            at1 = i;
    }
    ASSERT(at1 < at0 && at0 != (size_t)-1); /* newest first */
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/a/orders?state=executed", rev, NULL, &j), 200);
    ASSERT(has_id(json_object_get(j, "orders"), oid[0]));
    ASSERT(!has_id(json_object_get(j, "orders"), oid[1]));
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/a/orders?state=lost", rev, NULL, NULL), 400);
    /* the audit log, for admins, a page at a time, in order */
    ASSERT_EQ(http_json(s.port, "GET", "/a/audit", cur, NULL, NULL), 403);
    ASSERT_EQ(http_json(s.port, "GET", "/a/audit?limit=2", adm, NULL, &j), 200);
    json_t *es = json_object_get(j, "entries");
    ASSERT_EQ(json_array_size(es), 2);
    json_int_t s1 = json_integer_value(json_object_get(json_array_get(es, 0), "seq"));
    json_int_t s2 = json_integer_value(json_object_get(json_array_get(es, 1), "seq"));
    ASSERT_EQ(s2, s1 + 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(es, 1), "prev_hash")),
                  json_string_value(json_object_get(json_array_get(es, 0), "hash")));
    json_decref(j);
    snprintf(path, sizeof path, "/a/audit?after=%lld&limit=1", (long long)s1);
    ASSERT_EQ(http_json(s.port, "GET", path, adm, NULL, &j), 200);
    ASSERT_EQ(json_integer_value(json_object_get(
                  json_array_get(json_object_get(j, "entries"), 0), "seq")),
              s2);
    json_decref(j);
    /* the decision's whole story is in the log */
    int queued = 0, decided = 0;
    for (json_int_t after = 0;;) {
        snprintf(path, sizeof path, "/a/audit?after=%lld&limit=500", (long long)after);
        ASSERT_EQ(http_json(s.port, "GET", path, adm, NULL, &j), 200);
        es = json_object_get(j, "entries");
        size_t n = json_array_size(es);
        char subj[64];
        snprintf(subj, sizeof subj, "decision:%lld", (long long)did);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(es, i);
            const char *su = json_string_value(json_object_get(e, "subject"));
            const char *ac = json_string_value(json_object_get(e, "action"));
            if (su && strcmp(su, subj) == 0) {
                queued |= strcmp(ac, "decision.queued") == 0;
                decided |= strcmp(ac, "review.decided") == 0;
            }
            after = json_integer_value(json_object_get(e, "seq"));
        }
        json_decref(j);
        if (n < 500)
            break;
    }
    ASSERT(queued && decided);
    /* a bank's items, a page at a time */
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/c/bank/%s/signal", bank);
        snprintf(body, sizeof body, "{\"md5\":\"%032d\"}", i + 1);
        ASSERT_EQ(http_json(s.port, "POST", path, cur, body, NULL), 200);
    }
    snprintf(path, sizeof path, "/c/bank/%s/content?limit=2", bank);
    ASSERT_EQ(http_json(s.port, "GET", path, mat, NULL, &j), 200);
    json_t *items = json_object_get(j, "items");
    ASSERT_EQ(json_array_size(items), 2);
    json_int_t next = json_integer_value(json_object_get(j, "next"));
    ASSERT_EQ(next, json_integer_value(json_object_get(json_array_get(items, 1), "id")));
    ASSERT(json_object_get(json_object_get(json_array_get(items, 0), "signals"), "pdq") != NULL);
    json_decref(j);
    snprintf(path, sizeof path, "/c/bank/%s/content?limit=2&after=%lld", bank, (long long)next);
    ASSERT_EQ(http_json(s.port, "GET", path, mat, NULL, &j), 200);
    ASSERT_EQ(json_array_size(json_object_get(j, "items")), 1);
    ASSERT(json_is_null(json_object_get(j, "next")));
    json_decref(j);
    ASSERT_EQ(http_json(s.port, "GET", "/c/bank/NO_SUCH_BANK_UI/content", mat, NULL, NULL), 404);
    snprintf(path, sizeof path, "/c/bank/%s/content?limit=9999", bank);
    ASSERT_EQ(http_json(s.port, "GET", path, mat, NULL, NULL), 400);
    ASSERT_EQ(server_stop(&s), 0);
    free(mp), free(img), free(adm), free(rev), free(cur), free(mat);
}

TEST(ui_lists_me_orders_decisions_audit_items_on_each_backend) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++) {
        char db[8300];
        if (strncmp(urls[i], "postgres", 8) == 0)
            snprintf(db, sizeof db, "%s", urls[i]);
        else
            snprintf(db, sizeof db, "%s/uilists.db", tmp_dir());
        t_lists(db);
    }
}
