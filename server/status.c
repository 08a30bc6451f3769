/*
 * status.c - liveness, status and Prometheus metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

void h_live(req *r) {
    /* As HMA: a plain body, no token needed, for load balancers. */
    char *t = strdup("I-AM-ALIVE");
    reply_text(r, 200, "text/plain", t, t ? strlen(t) : 0);
}

void h_ready(req *r) {
    /* As HMA's /status: plain text. The matcher is loaded before the
     * server listens, so it is always ready. */
    char *t = strdup("I-AM-ALIVE");
    reply_text(r, 200, "text/plain", t, t ? strlen(t) : 0);
}

void h_status(req *r) {
    tamis_matcher *m = srv_matcher(r);
    tamis_db *db = srv_db(r);
    static const char *types[] = {"pdq",        "md5",       "sha256",    "vpdq", "tmk",
                                  "text_exact", "text_near", "text_tlsh", "url"};
    json_t *sig = json_object();
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        json_object_set_new(sig, types[i], json_integer((json_int_t)tamis_matcher_count(m, types[i])));
    reply_json(r, 200,
               json_pack("{s:s,s:s,s:s,s:I,s:o}", "status", "I-AM-ALIVE", "version",
                         tamis_version(), "db", db ? tamis_db_backend(db) : "unavailable",
                         "change_seq", (json_int_t)tamis_matcher_seq(m), "signals", sig));
}

void h_metrics(req *r) {
    size_t len;
    char *t = metrics_render(srv_matcher(r), srv_db(r), &len);
    if (!t) {
        reply_error(r, 500, "out of memory");
        return;
    }
    reply_text(r, 200, "text/plain; version=0.0.4", t, len);
}
