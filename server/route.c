/*
 * route.c - the table of endpoints: method, path pattern ({} matches one
 * path segment), the least role allowed, and the handler. Paths and
 * answers follow Meta's HMA where it has the endpoint (doc/hma-api.md);
 * doc/api.md and doc/openapi.yaml describe them all, and a test checks
 * that they agree with this table.
 */
#include <string.h>

#include "server.h"

static const route routes[] = {
    {"GET", "/status/live", ROLE_NONE, h_live, 0},
    /* The web UI's files (ui.c): public, like a login page; what they
     * show comes from the API, which checks the token. */
    {"GET", "/ui", ROLE_NONE, h_ui, 0},
    {"GET", "/ui/{}", ROLE_NONE, h_ui, 1},
    {"GET", "/status", ROLE_MATCHER, h_ready, 0},
    {"GET", "/status/info", ROLE_MATCHER, h_status, 0},
    {"GET", "/metrics", ROLE_MATCHER, h_metrics, 0},
    {"POST", "/h/hash", ROLE_MATCHER, h_hash, 0},
    {"GET", "/h/hash", ROLE_MATCHER, h_hash, 0},
    {"GET", "/m/lookup", ROLE_MATCHER, h_lookup, 0},
    {"POST", "/m/lookup", ROLE_MATCHER, h_match_upload, 0},
    {"GET", "/m/raw_lookup", ROLE_MATCHER, h_raw_lookup, 0},
    {"POST", "/m/compare", ROLE_MATCHER, h_compare, 0},
    {"GET", "/m/index/status", ROLE_MATCHER, h_index_status, 0},
    {"POST", "/m/match", ROLE_MATCHER, h_match_upload, 0},
    {"GET", "/c/banks", ROLE_MATCHER, h_banks_list, 0},
    {"POST", "/c/banks", ROLE_CURATOR, h_bank_create, 0},
    {"GET", "/c/bank/{}", ROLE_MATCHER, h_bank_get, 0},
    {"PUT", "/c/bank/{}", ROLE_CURATOR, h_bank_update, 0},
    {"DELETE", "/c/bank/{}", ROLE_CURATOR, h_bank_delete, 0},
    {"POST", "/c/bank/{}/content", ROLE_CURATOR, h_content_add, 0},
    {"GET", "/c/bank/{}/content", ROLE_MATCHER, h_content_list, 0},
    {"GET", "/c/bank/{}/content/{}", ROLE_MATCHER, h_content_get, 0},
    {"PUT", "/c/bank/{}/content/{}", ROLE_CURATOR, h_content_update, 0},
    {"DELETE", "/c/bank/{}/content/{}", ROLE_CURATOR, h_content_delete, 0},
    {"POST", "/c/bank/{}/signal", ROLE_CURATOR, h_signal_add, 0},
    {"POST", "/c/bank/{}/import", ROLE_CURATOR, h_bank_import, 0},
    {"GET", "/c/bank/{}/export", ROLE_CURATOR, h_bank_export, 0},
    {"GET", "/a/me", ROLE_MATCHER, h_me, 0},
    {"POST", "/a/orders", ROLE_REVIEWER, h_order_receive, 0},
    {"GET", "/a/orders", ROLE_REVIEWER, h_orders_list, 0},
    {"GET", "/a/orders/due", ROLE_REVIEWER, h_orders_due, 0},
    {"GET", "/a/orders/{}", ROLE_REVIEWER, h_order_get, 0},
    {"POST", "/a/orders/{}/step", ROLE_REVIEWER, h_order_step, 0},
    {"GET", "/a/orders/{}/confirmation", ROLE_REVIEWER, h_order_confirmation, 0},
    {"GET", "/a/review", ROLE_REVIEWER, h_review_list, 0},
    {"POST", "/a/review/{}/claim", ROLE_REVIEWER, h_review_claim, 0},
    {"POST", "/a/review/{}/decide", ROLE_REVIEWER, h_review_decide, 0},
    {"GET", "/a/decisions", ROLE_REVIEWER, h_decisions_list, 0},
    {"GET", "/a/decisions/{}/statement", ROLE_REVIEWER, h_decision_statement, 0},
    {"GET", "/a/statements", ROLE_REVIEWER, h_statements, 0},
    {"POST", "/a/notices", ROLE_MATCHER, h_notice_receive, 0},
    {"POST", "/a/notices/{}/decide", ROLE_REVIEWER, h_notice_decide, 0},
    {"POST", "/a/complaints", ROLE_MATCHER, h_complaint_receive, 0},
    {"POST", "/a/complaints/{}/answer", ROLE_REVIEWER, h_complaint_answer, 0},
    {"GET", "/a/audit", ROLE_ADMIN, h_audit_list, 0},
    {"GET", "/a/audit/verify", ROLE_ADMIN, h_audit_verify, 0},
    {"GET", "/a/webhooks", ROLE_REVIEWER, h_webhooks_list, 0},
    {"POST", "/a/webhooks/{}/retry", ROLE_CURATOR, h_webhook_retry, 0},
    {"POST", "/a/preserve/purge", ROLE_ADMIN, h_preserve_purge, 0},
    {"GET", "/a/preserve", ROLE_REVIEWER, h_preserve_list, 0},
    {"POST", "/a/preserve/{}", ROLE_REVIEWER, h_preserve_put, 0},
    {"GET", "/a/preserve/{}", ROLE_ADMIN, h_preserve_get, 0},
    {"POST", "/a/preserve/{}/hold", ROLE_CURATOR, h_preserve_hold, 0},
    {"POST", "/a/preserve/{}/release", ROLE_CURATOR, h_preserve_hold, 0},
    {"GET", "/a/report", ROLE_REVIEWER, h_report, 0},
};

const route *route_table(size_t *n) {
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

/* Matches `path` against `pattern`, writing each {} segment's start into
 * params (the segments are copied into buf, NUL-separated). */
static int match(const char *pattern, const char *path, int rest, const char *params[4],
                 char *buf, size_t cap) {
    int np = 0;
    size_t used = 0;
    while (*pattern && *path) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            const char *end = rest && pattern[2] == 0 ? NULL : strchr(path, '/');
            size_t len = end ? (size_t)(end - path) : strlen(path);
            if (len == 0 || np == 4 || used + len + 1 > cap)
                return 0;
            memcpy(buf + used, path, len);
            buf[used + len] = 0;
            params[np++] = buf + used;
            used += len + 1;
            path += len;
            pattern += 2;
        } else if (*pattern == *path) {
            pattern++, path++;
        } else {
            return 0;
        }
    }
    /* a trailing slash is accepted */
    if (*path == '/' && path[1] == 0)
        path++;
    return *pattern == 0 && *path == 0;
}

const route *route_find(const char *method, const char *path, const char *params[4],
                        int *path_known) {
    static __thread char buf[1024];
    *path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *p[4] = {0};
        if (!match(routes[i].pattern, path, routes[i].rest, p, buf, sizeof buf))
            continue;
        *path_known = 1;
        if (strcmp(routes[i].method, method) == 0) {
            memcpy(params, p, sizeof p);
            return &routes[i];
        }
    }
    return NULL;
}
