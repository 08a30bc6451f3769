/*
 * server.h - the HTTP service behind `tamis serve` (internal to server/).
 *
 * http.c runs libmicrohttpd and turns each request into a `req`; route.c
 * finds the handler and checks the caller's role; one file per resource
 * answers: status.c (/status, /metrics), hash.c (/h), match.c (/m),
 * banks.c and content.c (/c). The service uses only the public API of
 * libtamis: a tamis_matcher shared by all threads, and per-thread
 * tamis_db and tamis_hasher handles.
 */
#ifndef TAMIS_SERVER_H
#define TAMIS_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tamis.h"

typedef struct srv_config {
    const char *db_url;
    const char *listen;       /* ADDR:PORT */
    size_t max_body;          /* JSON bodies */
    size_t max_upload;        /* media uploads */
    unsigned max_connections;
    unsigned max_per_ip;      /* connections from one address (0: max_connections / 4) */
    unsigned timeout_s;       /* per connection, idle */
    int threads;              /* 0 = cores */
    int use_variants;         /* query with the variant hashes too */
    unsigned max_video_seconds; /* the longest uploaded video hashed */
    FILE *log;                /* JSON lines, or NULL */
    const char *snapshot;     /* the matcher's snapshot directory, or NULL */
    unsigned snapshot_every_s;/* write it this often if anything changed */
    /* Fetching media by URL (fetch.c): off while fetch_allow is NULL. */
    const char *fetch_allow;  /* comma-separated hosts (and their subdomains) */
    size_t fetch_max_bytes;
    unsigned fetch_timeout_s;
    int fetch_private;        /* may reach loopback and private addresses */
    int thread_per_connection;/* instead of the epoll thread pool (bench-serve compares) */
    /* Signed webhooks to the platform (lib/act/webhook.c): off while
     * webhook_url is NULL. */
    const char *webhook_url, *webhook_secret_file, *webhook_dir;
    /* Preservation of removed content (TCO Art 6): off while NULL. */
    const char *preserve_dir, *preserve_key;
    /* The web UI's files from this directory instead of the embedded ones. */
    const char *web_dir;
} srv_config;

/* The web UI's files (web/), embedded at build time by scripts/embed-web. */
typedef struct srv_asset {
    const char *name; /* relative to web/, e.g. "pages/review.js" */
    const unsigned char *data;
    size_t len;
} srv_asset;
extern const srv_asset srv_assets[];
extern const size_t srv_n_assets;

/* Roles, each allowed what the ones before it are. */
typedef enum {
    ROLE_NONE = 0,
    ROLE_MATCHER = 1,
    ROLE_REVIEWER = 2, /* the review queue, orders, notices, complaints */
    ROLE_CURATOR = 3,
    ROLE_ADMIN = 4
} srv_role;

extern const char *const srv_role_names[5];

typedef struct srv srv;

/* One request as the handlers see it. */
typedef struct req {
    srv *s;
    struct MHD_Connection *conn;
    const char *method, *path;
    const char *params[4]; /* path segments matched by {} in the route */
    srv_role role;
    char who[48];      /* the caller for the audit log: role#token-hash-prefix */
    /* The body: raw bytes for JSON, or the uploaded file of a multipart
     * form (field name in upload_field). */
    uint8_t *body;
    size_t body_len;
    int body_too_large;
    uint8_t *upload;
    size_t upload_len;
    char upload_field[64];
    /* The answer. */
    int status;
    json_t *json;       /* owned; sent as application/json */
    char *text;         /* or plain text (owned), with content_type */
    size_t text_len;
    const char *content_type;
    const char *location; /* a redirect's target */
    const char *csp;    /* Content-Security-Policy (default: none allowed) */
    const char *cache;  /* Cache-Control (default: no-store) */
    const char *route;  /* the route pattern, for metrics */
} req;

/* The outbox of signed webhooks, or NULL when none is configured. */
tamis_webhook *srv_webhook(req *r);
/* The preservation store, or NULL when none is configured (preserve.c
 * serialises calls on it; preserve_on_access audits each access). */
tamis_preserve_store *srv_preserve(req *r);
void preserve_on_access(void *ctx, const char *action, const char *id);

/* With ?puid= on /m/match: each match decided under its bank's policy
 * (recorded, audited, announced by webhook); adds "decision_id" and
 * "action" to each match object of `matches`. */
void act_on_matches(req *r, const char *puid, json_t *matches);

/* Per-thread handles, opened on first use. */
tamis_db *srv_db(req *r);
tamis_hasher *srv_hasher(req *r, int variants);
tamis_matcher *srv_matcher(req *r);
const srv_config *srv_cfg(req *r);

/* Slow clients (guard.c): a request's headers must be in within the
 * timeout of the connection's start or of the previous answer. */
typedef struct guard guard;
guard *guard_create(unsigned timeout_s);
void guard_free(guard *g);
struct MHD_Connection;
#ifdef MHD_VERSION
/* MHD's MHD_OPTION_NOTIFY_CONNECTION callback, with the guard as cls. */
void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode code);
#endif
void guard_headers_in(guard *g, struct MHD_Connection *conn);
void guard_answered(guard *g, struct MHD_Connection *conn);
/* Shuts down the connections past their deadline; how many. */
unsigned guard_reap(guard *g);

/* Answers. */
void reply_json(req *r, int status, json_t *j);   /* takes j */
void reply_error(req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void reply_text(req *r, int status, const char *content_type, char *text, size_t len);
/* Maps a library status to an HTTP error reply. */
void reply_status(req *r, tamis_status st, const char *what);

/* A query-string argument, or NULL. */
const char *arg(req *r, const char *name);
/* The argument as a count in 1..max (def when absent), or an id >= 0 (0
 * when absent); -1 and a 400 reply when it is not one. */
long arg_count(req *r, const char *name, long def, long max);
int64_t arg_id(req *r, const char *name);
/* The body parsed as JSON (NULL and a 400 reply when it is not). */
json_t *body_json(req *r);

/* Fetches `url` (if this server allows it) into r->upload, as if it had
 * been uploaded; on failure replies and returns -1. */
int fetch_into_upload(req *r, const char *url);
void fetch_global_init(void);

/* An uploaded video's hashes (video.c), in the forms banks store. */
typedef struct video_hash {
    char md5[33], sha256[65];
    char *vpdq;    /* HMA's JSON, one hash a second */
    char *tmk;     /* .tmk in base64, or NULL when not asked for */
    size_t frames; /* vPDQ frames hashed */
} video_hash;

/* Hashes r's upload as a video; on failure replies and returns -1. */
int hash_video_upload(req *r, int with_tmk, video_hash *out);
void video_hash_free(video_hash *v);

/* Hashes r's upload (or its url=): an image into *img and returns 0, or
 * a video into *vid and returns 1; on failure replies and returns -1. */
int hash_media(req *r, int variants, int with_tmk, tamis_image_hash *img, video_hash *vid);

/* Handlers. */
typedef void (*handler)(req *r);
void h_status(req *r);
void h_ready(req *r);
void h_live(req *r);
void h_metrics(req *r);
void h_hash(req *r);
void h_lookup(req *r);
void h_raw_lookup(req *r);
void h_compare(req *r);
void h_index_status(req *r);
void h_match_upload(req *r);
void h_banks_list(req *r);
void h_bank_create(req *r);
void h_bank_get(req *r);
void h_bank_update(req *r);
void h_bank_delete(req *r);
void h_content_add(req *r);
void h_content_get(req *r);
void h_content_update(req *r);
void h_content_delete(req *r);
void h_signal_add(req *r);
void h_bank_import(req *r);
/* act.c: orders, the review queue, notices, complaints, the audit log */
void h_order_receive(req *r);
void h_order_get(req *r);
void h_order_step(req *r);
void h_order_confirmation(req *r);
void h_orders_due(req *r);
void h_review_list(req *r);
void h_review_claim(req *r);
void h_review_decide(req *r);
void h_decision_statement(req *r);
void h_statements(req *r);
void h_notice_receive(req *r);
void h_notice_decide(req *r);
void h_complaint_receive(req *r);
void h_complaint_answer(req *r);
void h_audit_verify(req *r);
void h_audit_list(req *r);
void h_me(req *r);
void h_orders_list(req *r);
void h_decisions_list(req *r);
void h_content_list(req *r);
void h_ui(req *r);
void h_webhooks_list(req *r);
void h_webhook_retry(req *r);
void h_preserve_put(req *r);
void h_preserve_list(req *r);
void h_preserve_get(req *r);
void h_preserve_hold(req *r);
void h_preserve_purge(req *r);
void h_report(req *r);
void h_bank_export(req *r);

/* Routing. */
typedef struct route {
    const char *method, *pattern;
    srv_role role; /* ROLE_NONE: no token needed */
    handler fn;
    int rest;      /* the last {} takes the rest of the path, slashes and all */
} route;
const route *route_find(const char *method, const char *path, const char *params[4],
                        int *path_known);
/* All routes, for the OpenAPI consistency test. */
const route *route_table(size_t *n);

/* Metrics (metrics.c). */
void metrics_request(const char *rt, int status, double seconds);
void metrics_match(const char *bank, const char *signal_type);
char *metrics_render(tamis_matcher *m, tamis_db *db, size_t *len);

/* Runs the service until SIGTERM/SIGINT; returns a process exit status. */
int srv_run(const srv_config *cfg);

/* The service in-process, for fuzz/fuzz_server_http.c: the daemon of
 * srv_run with its limits, but without a listen socket or threads (so
 * webhooks are queued, never delivered). srv_embedded_connect hands it one end of a new socket
 * pair and returns the other (-1 on failure); the caller's thread serves
 * it with srv_embedded_run (MHD_run: no blocking) and brings the matcher
 * up to date with srv_embedded_sync. srv_embedded_close also closes the
 * calling thread's database and hashers. */
srv *srv_embedded_open(const srv_config *cfg, char *err, size_t errlen);
int srv_embedded_connect(srv *s);
void srv_embedded_run(srv *s);
void srv_embedded_sync(srv *s);
void srv_embedded_close(srv *s);

#endif
