/*
 * test_authz.c - the authorization sweep: every route of `tamis serve`
 * (its route table, printed by --list-routes, is the single source of
 * truth for who may call what; doc/api.md and doc/openapi.yaml are
 * checked against it by test_api_docs.c) called with no token, a bad
 * token, a well-formed unknown token and each role. A caller below the route's
 * role gets 401 (no valid token) or 403 (role too low) and the handler
 * never runs; a caller at or above it reaches the handler. The routes
 * anyone may call are an explicit list here, so a new public route fails
 * this test until someone decides it should be public.
 */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "client.h"

/* The only routes that need no token. */
static const char *const public_routes[] = {"GET /status/live", "GET /ui", "GET /ui/{}"};

static const char *const role_names[] = {"none", "matcher", "reviewer", "curator", "admin"};

static int role_rank(const char *name) {
    for (int i = 0; i < 5; i++)
        if (strcmp(role_names[i], name) == 0)
            return i;
    FAIL("unknown role \"%s\" in the route table", name);
    return -1;
}

/* The route's pattern with each {} made concrete (ids that do not exist:
 * the handler answers 404 or 400, which still shows it was reached). */
static void concrete(const char *pattern, char *out, size_t cap) {
    size_t n = 0;
    for (const char *p = pattern; *p && n + 16 < cap; p++) {
        if (p[0] == '{' && p[1] == '}') {
            n += (size_t)snprintf(out + n, cap - n, "%s", strncmp(pattern, "/ui", 3) == 0 ? "app.js" : "987654321");
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

/* The route guard's own refusals: 401, or 403 with its message (a
 * handler may answer 403 for its own reasons, e.g. HMA's "already
 * exists"). */
static int refused_by_guard(const http_resp *r) {
    return r->status == 401 ||
           (r->status == 403 && r->body && strstr(r->body, "this token's role may not"));
}

TEST(authz_every_route_with_every_caller) {
    char db[8300];
    snprintf(db, sizeof db, "%s/authz.db", tmp_dir());
    char *tok[5] = {NULL};
    for (int i = 1; i < 5; i++)
        tok[i] = make_token(db, role_names[i]);
    char *out = NULL, *err = NULL;
    ASSERT_EQ(run_cmd(fmt("'%s/tamis' serve --list-routes", build_dir()), &out, &err), 0);
    free(err);
    server_proc s;
    server_start(&s, db, NULL);
    int routes = 0, calls = 0, publics = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char method[16], pattern[256], role[32];
        ASSERT_EQ(sscanf(line, "%15s %255s %31s", method, pattern, role), 3);
        int need = role_rank(role);
        routes++;
        char key[300];
        snprintf(key, sizeof key, "%s %s", method, pattern);
        int listed = 0;
        for (size_t i = 0; i < sizeof public_routes / sizeof public_routes[0]; i++)
            listed |= strcmp(public_routes[i], key) == 0;
        if (need == 0 && !listed)
            FAIL("%s needs no token but is not in this test's list of public routes", key);
        if (need != 0 && listed)
            FAIL("%s is listed as public but needs a %s token", key, role);
        publics += need == 0;
        char path[512];
        concrete(pattern, path, sizeof path);
        /* callers: no token, a malformed one, a well-formed unknown one,
         * then each role */
        const char *callers[8] = {NULL, "not a token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                  tok[1], tok[2], tok[3], tok[4]};
        int rank[8] = {0, 0, 0, 1, 2, 3, 4};
        for (int c = 0; c < 7; c++) {
            http_resp r;
            const char *body = strcmp(method, "GET") == 0 ? NULL : "{}";
            ASSERT_EQ(http_do(s.port, method, path, callers[c], body ? "application/json" : NULL,
                              body, body ? 2 : 0, &r),
                          0);
            calls++;
            int allowed = rank[c] >= need;
            if (allowed && refused_by_guard(&r))
                FAIL("%s %s as %s: refused (%d %s), the route allows %s", method, path,
                     c < 3 ? "an invalid token" : role_names[rank[c]], r.status, r.body, role);
            if (!allowed) {
                int want = rank[c] == 0 ? 401 : 403;
                if (r.status != want || !refused_by_guard(&r))
                    FAIL("%s %s as %s: %d %s, expected %d (the route needs %s)", method, path,
                         c < 3 ? "an invalid token" : role_names[rank[c]], r.status,
                         r.body ? r.body : "", want, role);
                if (want == 401)
                    ASSERT(strstr(r.headers, "WWW-Authenticate: Bearer") != NULL);
            }
            free(r.body);
        }
    }
    ASSERT_EQ(publics, (int)(sizeof public_routes / sizeof public_routes[0]));
    ASSERT_GE(routes, 50);
    fprintf(stderr, "authz: %d routes, %d calls\n", routes, calls);
    ASSERT_EQ(server_stop(&s), 0);
    free(out);
    for (int i = 1; i < 5; i++)
        free(tok[i]);
}

/* The token goes only in the Authorization header: not in the query
 * string (it would end in logs and browser history). */
TEST(authz_token_in_the_query_string_is_not_taken) {
    char db[8300];
    snprintf(db, sizeof db, "%s/authz2.db", tmp_dir());
    char *adm = make_token(db, "admin");
    server_proc s;
    server_start(&s, db, NULL);
    http_resp r;
    const char *qs[] = {"/c/banks?token=%s", "/c/banks?access_token=%s", "/c/banks?api_key=%s"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, qs[i], adm);
        ASSERT_EQ(http_do(s.port, "GET", path, NULL, NULL, NULL, 0, &r), 0);
        ASSERT_EQ(r.status, 401);
        free(r.body);
    }
    ASSERT_EQ(server_stop(&s), 0);
    free(adm);
}
