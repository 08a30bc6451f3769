/*
 * http.c - libmicrohttpd glue: accepts connections, gathers each request
 * (bounded: body size, header size, connections, time), authenticates it,
 * dispatches it to its handler, writes the answer and a JSON log line, and
 * drains in-flight requests on SIGTERM. A background thread keeps the
 * matcher in step with the database.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/sha.h>

#include "server.h"

struct srv {
    srv_config cfg;
    tamis_matcher *matcher;
    struct MHD_Daemon *daemon;
    pthread_t sync_thread;
    volatile sig_atomic_t stopping;
    tamis_webhook *webhook;
    pthread_t webhook_thread;
    tamis_preserve_store *preserve;
    guard *guard; /* slow clients; NULL when embedded */
};

tamis_webhook *srv_webhook(req *r) { return r->s->webhook; }
tamis_preserve_store *srv_preserve(req *r) { return r->s->preserve; }

/* Alerts on removal orders (TCO Art 3: one hour): an event when 15
 * minutes are left and one when the hour has passed, each once per order
 * while the server runs (a restart may repeat one). */
#define ALERT_BEFORE 900.0
#define ALERTS_MAX 4096

typedef struct {
    srv *s;
    int64_t near[ALERTS_MAX], late[ALERTS_MAX];
    size_t nnear, nlate;
    double now;
} alerter;

static int seen_before(int64_t *set, size_t *n, int64_t id) {
    for (size_t i = 0; i < *n; i++)
        if (set[i] == id)
            return 1;
    if (*n < ALERTS_MAX)
        set[(*n)++] = id;
    return 0;
}

static int alert_order(void *ctx, const tamis_order *o) {
    alerter *a = ctx;
    int late = o->deadline < a->now;
    if (seen_before(late ? a->late : a->near, late ? &a->nlate : &a->nnear, o->id))
        return 0;
    json_t *ev = json_pack("{s:I,s:s,s:s,s:f,s:f}", "order_id", (json_int_t)o->id, "reference",
                           o->reference, "member_state", o->member_state, "deadline", o->deadline,
                           "seconds_left", o->deadline - a->now);
    char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (body) {
        fprintf(stderr, "tamis serve: removal order %lld (%s) %s\n", (long long)o->id,
                o->reference, late ? "is past its hour" : "has under 15 minutes left");
        char id[TAMIS_WEBHOOK_ID_LEN + 1];
        if (a->s->webhook)
            tamis_webhook_enqueue(a->s->webhook, late ? "order.overdue" : "order.deadline_near",
                                  body, strlen(body), id);
        free(body);
    }
    return 0;
}

/* Delivers what is due, once a second: a platform that is down keeps its
 * events in the outbox until it answers. Every 30 s, looks for removal
 * orders near or past their deadline. */
static void *webhook_loop(void *p) {
    srv *s = p;
    alerter *a = calloc(1, sizeof *a);
    tamis_db *db = NULL;
    char err[256];
    if (a)
        a->s = s;
    if (tamis_db_open(s->cfg.db_url, &db, err, sizeof err) != TAMIS_OK)
        fprintf(stderr, "tamis serve: order alerts: %s\n", err);
    for (unsigned tick = 0; !s->stopping; tick++) {
        if (a && db && tick % 30 == 0) {
            a->now = tamis_clock_now(NULL);
            tamis_order_due(db, NULL, ALERT_BEFORE, alert_order, a);
        }
        tamis_webhook_pass pass;
        if (s->webhook && tamis_webhook_deliver_due(s->webhook, &pass) != TAMIS_OK)
            fprintf(stderr, "tamis serve: webhooks: %s\n", tamis_webhook_errmsg(s->webhook));
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
    tamis_db_close(db);
    free(a);
    return NULL;
}

/* Opens the outbox given by the configuration; 0, or -1 with a message. */
static int open_webhook(srv *s) {
    const srv_config *c = &s->cfg;
    if (!c->webhook_url)
        return 0;
    if (!c->webhook_secret_file || !c->webhook_dir) {
        fprintf(stderr, "tamis serve: --webhook-url needs --webhook-secret-file and --webhook-dir\n");
        return -1;
    }
    FILE *f = fopen(c->webhook_secret_file, "rb");
    unsigned char secret[256];
    size_t n = f ? fread(secret, 1, sizeof secret, f) : 0;
    if (f)
        fclose(f);
    while (n && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
        n--;
    if (n < 16) {
        fprintf(stderr, "tamis serve: %s: a webhook secret of at least 16 bytes is needed\n",
                c->webhook_secret_file);
        return -1;
    }
    char err[512];
    if (tamis_webhook_open(c->webhook_dir, c->webhook_url, secret, n, NULL, &s->webhook, err,
                           sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis serve: webhooks: %s\n", err);
        return -1;
    }
    return 0;
}

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

typedef struct {
    tamis_db *db;
    tamis_hasher *hasher, *hasher_v;
} thread_handles;

static void tls_free(void *p) {
    thread_handles *t = p;
    tamis_db_close(t->db);
    tamis_hasher_free(t->hasher);
    tamis_hasher_free(t->hasher_v);
    free(t);
}

static void tls_init(void) { pthread_key_create(&tls_key, tls_free); }

static thread_handles *handles(void) {
    pthread_once(&tls_once, tls_init);
    thread_handles *t = pthread_getspecific(tls_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        pthread_setspecific(tls_key, t);
    }
    return t;
}

tamis_db *srv_db(req *r) {
    thread_handles *t = handles();
    if (t && !t->db) {
        char err[512];
        if (tamis_db_open(r->s->cfg.db_url, &t->db, err, sizeof err) != TAMIS_OK)
            fprintf(stderr, "tamis serve: %s\n", err);
    }
    return t ? t->db : NULL;
}

tamis_hasher *srv_hasher(req *r, int variants) {
    (void)r;
    thread_handles *t = handles();
    if (!t)
        return NULL;
    tamis_hasher **h = variants ? &t->hasher_v : &t->hasher;
    if (!*h) {
        tamis_hash_options o = {variants ? TAMIS_HASH_VARIANTS : 0, 0};
        tamis_hasher_create(&o, h);
    }
    return *h;
}

tamis_matcher *srv_matcher(req *r) { return r->s->matcher; }
const srv_config *srv_cfg(req *r) { return &r->s->cfg; }

/* ---- Answers ----------------------------------------------------------- */

void reply_json(req *r, int status, json_t *j) {
    json_decref(r->json);
    r->status = status;
    r->json = j;
}

void reply_error(req *r, int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* HMA answers errors as {"message": ...} */
    reply_json(r, status, json_pack("{s:s}", "message", msg));
}

void reply_text(req *r, int status, const char *ct, char *text, size_t len) {
    free(r->text);
    r->status = status;
    r->text = text;
    r->text_len = len;
    r->content_type = ct;
}

void reply_status(req *r, tamis_status st, const char *what) {
    switch (st) {
    case TAMIS_ERR_NOT_FOUND: reply_error(r, 404, "%s not found", what); break;
    case TAMIS_ERR_EXISTS: reply_error(r, 403, "%s already exists", what); break;
    case TAMIS_ERR_INVALID: reply_error(r, 400, "invalid %s", what); break;
    case TAMIS_ERR_UNSUPPORTED: reply_error(r, 400, "unsupported %s", what); break;
    case TAMIS_ERR_CORRUPT:
    case TAMIS_ERR_EMPTY: reply_error(r, 400, "%s: %s", what, tamis_strerror(st)); break;
    case TAMIS_ERR_TOO_LARGE: reply_error(r, 413, "%s too large", what); break;
    default: reply_error(r, 500, "%s: %s", what, tamis_strerror(st)); break;
    }
}

const char *arg(req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* A query argument as a count in 1..max (def when absent); -1 and a 400
 * reply when it is not one. */
long arg_count(req *r, const char *name, long def, long max) {
    const char *v = arg(r, name);
    if (!v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == 0 || *end || n < 1 || n > max) {
        reply_error(r, 400, "%s must be a number from 1 to %ld", name, max);
        return -1;
    }
    return n;
}

/* Same for an id, 0 or more (0 when absent). */
int64_t arg_id(req *r, const char *name) {
    const char *v = arg(r, name);
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*v == 0 || *end || n < 0) {
        reply_error(r, 400, "%s must be an id", name);
        return -1;
    }
    return (int64_t)n;
}

json_t *body_json(req *r) {
    json_error_t e;
    json_t *j = r->body_len ? json_loadb((const char *)r->body, r->body_len, 0, &e) : NULL;
    if (!j || !json_is_object(j)) {
        json_decref(j);
        reply_error(r, 400, "request body must be a JSON object%s%s", r->body_len ? ": " : "",
                    r->body_len ? e.text : "");
        return NULL;
    }
    return j;
}

/* ---- Authentication ---------------------------------------------------- */

/* A small cache of recently checked tokens (by their SHA-256), so that a
 * busy client does not cost a database query per request. Entries live
 * 5 seconds: a revoked token stops working within that time. */
#define TOKEN_CACHE 64
#define TOKEN_TTL 5
static struct {
    uint8_t hash[32];
    srv_role role;
    time_t at;
} token_cache[TOKEN_CACHE];
static pthread_mutex_t token_mu = PTHREAD_MUTEX_INITIALIZER;

const char *const srv_role_names[5] = {"none", "matcher", "reviewer", "curator", "admin"};

static srv_role role_of(const char *name) {
    if (strcmp(name, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(name, "curator") == 0)
        return ROLE_CURATOR;
    if (strcmp(name, "reviewer") == 0)
        return ROLE_REVIEWER;
    if (strcmp(name, "matcher") == 0)
        return ROLE_MATCHER;
    return ROLE_NONE;
}

static srv_role authenticate(req *r) {
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return ROLE_NONE;
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    size_t len = strlen(tok);
    if (len == 0 || len > 256)
        return ROLE_NONE;
    uint8_t hash[32];
    SHA256((const unsigned char *)tok, len, hash);
    /* who, for the audit log: never the token, a prefix of its hash */
    char hx[65];
    tamis_hex_encode(hash, 32, hx);
    time_t now = time(NULL);
    unsigned slot = (unsigned)(hash[0] | hash[1] << 8) % TOKEN_CACHE;
    pthread_mutex_lock(&token_mu);
    srv_role cached = ROLE_NONE;
    if (now - token_cache[slot].at < TOKEN_TTL && memcmp(token_cache[slot].hash, hash, 32) == 0)
        cached = token_cache[slot].role;
    pthread_mutex_unlock(&token_mu);
    if (cached != ROLE_NONE) {
        snprintf(r->who, sizeof r->who, "%s#%.12s", srv_role_names[cached], hx);
        return cached;
    }
    tamis_db *db = srv_db(r);
    char role[32];
    if (!db || tamis_db_token_check(db, tok, role) != TAMIS_OK)
        return ROLE_NONE;
    srv_role rr = role_of(role);
    pthread_mutex_lock(&token_mu);
    memcpy(token_cache[slot].hash, hash, 32);
    token_cache[slot].role = rr;
    token_cache[slot].at = now;
    pthread_mutex_unlock(&token_mu);
    snprintf(r->who, sizeof r->who, "%s#%.12s", srv_role_names[rr], hx);
    return rr;
}

/* ---- Requests ---------------------------------------------------------- */

typedef struct {
    req r;
    struct MHD_PostProcessor *pp;
    int multipart;
    size_t limit;
    struct timespec t0;
} conn_state;

static int grow_append(uint8_t **buf, size_t *len, const char *data, size_t n, size_t limit) {
    if (*len + n > limit)
        return -1;
    uint8_t *b = realloc(*buf, *len + n + 1);
    if (!b)
        return -1;
    memcpy(b + *len, data, n);
    *len += n;
    b[*len] = 0;
    *buf = b;
    return 0;
}

static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *ctype,
                                     const char *enc, const char *data, uint64_t off,
                                     size_t size) {
    (void)kind, (void)ctype, (void)enc, (void)off;
    conn_state *c = cls;
    /* The first file field is the upload; plain fields are ignored. */
    if (!filename && c->r.upload_field[0] == 0)
        return MHD_YES;
    if (c->r.upload_field[0] == 0)
        snprintf(c->r.upload_field, sizeof c->r.upload_field, "%s", key ? key : "");
    else if (strcmp(c->r.upload_field, key ? key : "") != 0)
        return MHD_YES;
    if (size && grow_append(&c->r.upload, &c->r.upload_len, data, size, c->limit) != 0) {
        c->r.body_too_large = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

static void log_request(srv *s, const req *r, double secs) {
    if (!s->cfg.log)
        return;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *const *roles = srv_role_names;
    json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:f,s:s}", "ts", ts, "method", r->method, "path",
                          r->path, "status", r->status, "ms", secs * 1000.0, "role",
                          roles[r->role]);
    char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (line) {
        flockfile(s->cfg.log);
        fprintf(s->cfg.log, "%s\n", line);
        fflush(s->cfg.log);
        funlockfile(s->cfg.log);
    }
    free(line);
    json_decref(j);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, conn_state *c) {
    req *r = &c->r;
    struct MHD_Response *resp;
    if (r->json) {
        char *s = json_dumps(r->json, JSON_COMPACT);
        size_t n = s ? strlen(s) : 0;
        resp = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(resp, "Content-Type", "application/json");
    } else if (r->text) {
        resp = MHD_create_response_from_buffer(r->text_len, r->text, MHD_RESPMEM_MUST_FREE);
        r->text = NULL;
        MHD_add_response_header(resp, "Content-Type",
                                r->content_type ? r->content_type : "text/plain");
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (r->location)
        MHD_add_response_header(resp, "Location", r->location);
    /* Answers hold hashes, decisions and orders: not for caches, other
     * sites' frames, or a browser's guess at their type. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            r->csp ? r->csp : "default-src 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Cache-Control", r->cache ? r->cache : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - c->t0.tv_sec) + (double)(t1.tv_nsec - c->t0.tv_nsec) * 1e-9;
    metrics_request(r->route ? r->route : "other", r->status, secs);
    log_request(r->s, r, secs);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *size, void **con_cls) {
    (void)version;
    srv *s = cls;
    conn_state *c = *con_cls;
    if (!c) {
        /* First call: headers only. */
        c = calloc(1, sizeof *c);
        if (!c)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &c->t0);
        c->r.s = s;
        guard_headers_in(s->guard, conn);
        c->r.conn = conn;
        c->r.method = method;
        c->r.path = url;
        c->r.status = 500;
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        c->multipart = ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
        c->limit = c->multipart ? s->cfg.max_upload : s->cfg.max_body;
        if (c->multipart)
            c->pp = MHD_create_post_processor(conn, 64 * 1024, on_post_field, c);
        *con_cls = c;
        return MHD_YES;
    }
    if (*size) {
        /* Body data. */
        if (!c->r.body_too_large) {
            if (c->pp) {
                if (MHD_post_process(c->pp, data, *size) != MHD_YES && !c->r.body_too_large)
                    c->r.body_too_large = 2; /* malformed form */
            } else if (grow_append(&c->r.body, &c->r.body_len, data, *size, c->limit) != 0) {
                c->r.body_too_large = 1;
            }
        }
        *size = 0;
        return MHD_YES;
    }
    /* The whole request is in. */
    req *r = &c->r;
    int known = 0;
    const route *rt = route_find(method, url, r->params, &known);
    if (!rt) {
        r->route = known ? "method-not-allowed" : "not-found";
        reply_error(r, known ? 405 : 404, "no such endpoint: %s %s", method, url);
    } else {
        r->route = rt->pattern;
        r->role = rt->role == ROLE_NONE ? ROLE_NONE : authenticate(r);
        if (rt->role != ROLE_NONE && r->role == ROLE_NONE)
            reply_error(r, 401, "missing or invalid token (Authorization: Bearer ...)");
        else if (r->role < rt->role)
            reply_error(r, 403, "this token's role may not %s %s", method, rt->pattern);
        else if (r->body_too_large == 1)
            reply_error(r, 413, "request body over the limit of %zu bytes", c->limit);
        else if (r->body_too_large == 2)
            reply_error(r, 400, "malformed multipart form");
        else
            rt->fn(r);
    }
    return send_reply(conn, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)toe;
    srv *s = cls;
    guard_answered(s->guard, conn); /* the next request's headers: from now */
    conn_state *c = *con_cls;
    if (!c)
        return;
    if (c->pp)
        MHD_destroy_post_processor(c->pp);
    json_decref(c->r.json);
    free(c->r.text);
    free(c->r.body);
    free(c->r.upload);
    free(c);
    *con_cls = NULL;
}

/* ---- The matcher's sync thread ----------------------------------------- */

static void save_snapshot(srv *s) {
    if (!s->cfg.snapshot)
        return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tamis_status st = tamis_matcher_save(s->matcher, s->cfg.snapshot);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "tamis serve: snapshot %s: %s (%.2f s)\n", s->cfg.snapshot,
            st == TAMIS_OK ? "written" : tamis_strerror(st),
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
}

static void *sync_loop(void *p) {
    srv *s = p;
    int64_t saved_seq = tamis_matcher_seq(s->matcher);
    time_t saved_at = time(NULL);
    while (!s->stopping) {
        size_t n;
        tamis_status st = tamis_matcher_sync(s->matcher, &n);
        if (st != TAMIS_OK)
            fprintf(stderr, "tamis serve: sync: %s\n", tamis_strerror(st));
        /* Now and then, the snapshot that makes the next start fast. */
        if (s->cfg.snapshot && s->cfg.snapshot_every_s &&
            time(NULL) - saved_at >= (time_t)s->cfg.snapshot_every_s &&
            tamis_matcher_seq(s->matcher) != saved_seq) {
            save_snapshot(s);
            saved_seq = tamis_matcher_seq(s->matcher);
            saved_at = time(NULL);
        }
        guard_reap(s->guard);
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- In-process service, for the HTTP fuzz target ---------------------- */

srv *srv_embedded_open(const srv_config *cfg, char *err, size_t errlen) {
    srv *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (tamis_matcher_open(cfg->db_url, cfg->snapshot, &s->matcher, err, errlen) != TAMIS_OK)
        goto fail;
    if (cfg->preserve_dir &&
        tamis_preserve_open(cfg->preserve_dir, cfg->preserve_key, NULL, preserve_on_access, s,
                            &s->preserve, err, errlen) != TAMIS_OK)
        goto fail;
    /* the outbox is written to, never delivered from: no thread does that */
    if (open_webhook(s) != 0) {
        snprintf(err, errlen, "webhooks (see above)");
        goto fail;
    }
    /* srv_run's limits; no listen socket and no thread of its own; no
     * error log, which would complain of every TCP option a socket pair
     * does not have */
    s->daemon = MHD_start_daemon(
        MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, s,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_END);
    if (s->daemon)
        return s;
    snprintf(err, errlen, "MHD_start_daemon failed");
fail:
    tamis_webhook_close(s->webhook);
    tamis_preserve_close(s->preserve);
    tamis_matcher_free(s->matcher);
    free(s);
    return NULL;
}

int srv_embedded_connect(srv *s) {
    int fd[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) != 0)
        return -1;
    struct sockaddr_un peer;
    memset(&peer, 0, sizeof peer);
    peer.sun_family = AF_UNIX;
    if (MHD_add_connection(s->daemon, fd[1], (const struct sockaddr *)&peer,
                           sizeof peer) != MHD_YES) {
        close(fd[0]); /* MHD closed fd[1] */
        return -1;
    }
    return fd[0];
}

void srv_embedded_run(srv *s) { MHD_run(s->daemon); }

void srv_embedded_sync(srv *s) { tamis_matcher_sync(s->matcher, NULL); }

void srv_embedded_close(srv *s) {
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    tamis_webhook_close(s->webhook);
    tamis_preserve_close(s->preserve);
    tamis_matcher_free(s->matcher);
    /* this thread's handles, opened on the database being closed */
    pthread_once(&tls_once, tls_init);
    thread_handles *t = pthread_getspecific(tls_key);
    if (t) {
        pthread_setspecific(tls_key, NULL);
        tls_free(t);
    }
    free(s);
}

/* ---- Running ----------------------------------------------------------- */

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

static int parse_listen(const char *s, struct sockaddr_in *a) {
    char host[256];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -1;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (host[0] == 0 || strcmp(host, "*") == 0)
        a->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                       &a->sin_addr) != 1)
        return -1;
    return 0;
}

int srv_run(const srv_config *cfg) {
    srv *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    s->cfg = *cfg;
    struct sockaddr_in addr;
    if (parse_listen(cfg->listen, &addr) != 0) {
        fprintf(stderr, "tamis serve: bad --listen '%s' (want ADDR:PORT)\n", cfg->listen);
        free(s);
        return 2;
    }
    char err[512];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (tamis_matcher_open(cfg->db_url, cfg->snapshot, &s->matcher, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis serve: %s\n", err);
        free(s);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (cfg->preserve_dir || cfg->preserve_key) {
        if (!cfg->preserve_dir || !cfg->preserve_key ||
            tamis_preserve_open(cfg->preserve_dir, cfg->preserve_key, NULL, preserve_on_access, s,
                                &s->preserve, err, sizeof err) != TAMIS_OK) {
            fprintf(stderr, "tamis serve: preservation: %s\n",
                    cfg->preserve_dir && cfg->preserve_key ? err
                                                            : "--preserve-dir and --preserve-key go together");
            tamis_matcher_free(s->matcher);
            free(s);
            return 1;
        }
    }
    if (open_webhook(s) != 0) {
        tamis_preserve_close(s->preserve);
        tamis_matcher_free(s->matcher);
        free(s);
        return 1;
    }
    if (cfg->fetch_allow)
        fetch_global_init(); /* before any thread: curl_global_init is not thread-safe */
    /* Before the first connection is taken: a SIGTERM that arrived
     * between answering requests and installing the handler would kill
     * the server undrained (seen under ASan on a loaded machine). SIGTERM
     * and SIGINT stay blocked in every thread (they inherit the mask) and
     * are taken by sigsuspend below, so that none is lost between a test
     * of got_signal and the wait, nor handled by another thread. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop, unblocked;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, &unblocked);
    int threads = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    /* A pool of threads, each with its own epoll set, by default; a thread
     * per connection on request (make bench-serve measures both). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    flags |= cfg->thread_per_connection ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL
                                        : MHD_USE_EPOLL;
    /* One address gets a quarter of the connections by default: a client
     * (or a proxy: raise it) cannot take them all. */
    unsigned per_ip = cfg->max_per_ip ? cfg->max_per_ip : cfg->max_connections / 4;
    if (per_ip < 1)
        per_ip = 1;
    s->guard = guard_create(cfg->timeout_s);
    s->daemon = !s->guard ? NULL : MHD_start_daemon(
        flags, 0, NULL, NULL,
        on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        per_ip, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, guard_notify, s->guard,
        /* the pool's size last, so that a thread per connection ends here */
        cfg->thread_per_connection ? MHD_OPTION_END : MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "tamis serve: cannot listen on %s: %s\n", cfg->listen, strerror(errno));
        pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
        guard_free(s->guard);
        tamis_webhook_close(s->webhook);
        tamis_preserve_close(s->preserve);
        tamis_matcher_free(s->matcher);
        free(s);
        return 1;
    }
    pthread_create(&s->sync_thread, NULL, sync_loop, s);
    /* webhooks, and alerts on removal orders (logged even without webhooks) */
    pthread_create(&s->webhook_thread, NULL, webhook_loop, s);
    fprintf(stderr,
            "tamis serve: listening on %s (%d threads); %zu pdq, %zu md5, %zu sha256 signals "
            "loaded in %.2f s\n",
            cfg->listen, threads, tamis_matcher_count(s->matcher, "pdq"),
            tamis_matcher_count(s->matcher, "md5"), tamis_matcher_count(s->matcher, "sha256"),
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);

    while (!got_signal)
        sigsuspend(&unblocked);
    pthread_sigmask(SIG_SETMASK, &unblocked, NULL);

    /* Drain: stop accepting, let in-flight requests finish (up to the
     * connection timeout), then stop. */
    fprintf(stderr, "tamis serve: signal %d, draining\n", (int)got_signal);
    MHD_quiesce_daemon(s->daemon);
    for (unsigned waited = 0; waited < cfg->timeout_s * 10; waited++) {
        const union MHD_DaemonInfo *i =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!i || i->num_connections == 0)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    s->stopping = 1;
    pthread_join(s->sync_thread, NULL);
    pthread_join(s->webhook_thread, NULL);
    guard_free(s->guard);
    tamis_webhook_close(s->webhook);
    tamis_preserve_close(s->preserve);
    tamis_matcher_sync(s->matcher, NULL);
    /* nothing changed since the snapshot it runs from: no need to write it again */
    if (tamis_matcher_snapshot_seq(s->matcher) == 0 ||
        tamis_matcher_snapshot_seq(s->matcher) != tamis_matcher_seq(s->matcher))
        save_snapshot(s);
    tamis_matcher_free(s->matcher);
    free(s);
    fprintf(stderr, "tamis serve: stopped\n");
    return 0;
}
