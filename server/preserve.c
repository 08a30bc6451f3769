/*
 * preserve.c - /a/preserve and /a/report over HTTP: removed content kept
 * encrypted for six months (TCO Art 6) in the store lib/act/preserve.c
 * keeps, every access written to the audit log; and the transparency
 * report (TCO Art 7(3), DSA Art 15).
 *
 * The store's handle is shared and not meant for concurrent calls: one
 * mutex serialises them (preservation is rare next to matching). Its
 * access callback learns who asks from the request being served.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static __thread req *current; /* the request a store call is made for */

void preserve_on_access(void *ctx, const char *action, const char *id) {
    (void)ctx;
    req *r = current;
    tamis_db *db = r ? srv_db(r) : NULL;
    if (!db)
        return;
    char act[64], subject[300];
    snprintf(act, sizeof act, "preserve.%s", action);
    snprintf(subject, sizeof subject, "preserved:%.280s", id);
    /* an access that cannot be audited is reported in the server's log */
    if (tamis_audit_append(db, NULL, r->who[0] ? r->who : "system", act, subject, NULL, NULL) !=
        TAMIS_OK)
        fprintf(stderr, "tamis serve: audit of preserve.%s %s: %s\n", action, id,
                tamis_db_errmsg(db));
}

static tamis_preserve_store *enter(req *r) {
    tamis_preserve_store *s = srv_preserve(r);
    if (!s) {
        reply_error(r, 404, "no preservation on this server (--preserve-dir, --preserve-key)");
        return NULL;
    }
    pthread_mutex_lock(&mu);
    current = r;
    return s;
}

static void leave(void) {
    current = NULL;
    pthread_mutex_unlock(&mu);
}

static void reply_preserve(req *r, tamis_preserve_store *s, tamis_status st) {
    int code = st == TAMIS_ERR_NOT_FOUND ? 404 : st == TAMIS_ERR_INVALID ? 400
             : st == TAMIS_ERR_CORRUPT   ? 500 : st == TAMIS_ERR_EXISTS ? 409 : 500;
    reply_error(r, code, "%s", tamis_preserve_errmsg(s));
}

void h_preserve_put(req *r) {
    if (!r->upload) {
        reply_error(r, 400, "Missing multipart/form-data file upload");
        return;
    }
    /* whole days, whose seconds fit in 64 bits (days=9223372036854775807
     * overflowed the multiplication) */
    const char *days = arg(r, "days");
    int64_t retention = 0;
    if (days) {
        char *end;
        errno = 0;
        long long d = strtoll(days, &end, 10);
        if (end == days || *end || errno || d < 0 || d > INT64_MAX / 86400) {
            reply_error(r, 400, "days must be a whole number from 0 to %lld",
                        (long long)(INT64_MAX / 86400));
            return;
        }
        retention = (int64_t)d * 86400;
    }
    tamis_preserve_store *s = enter(r);
    if (!s)
        return;
    json_t *meta = json_pack("{s:s?,s:s?,s:s?}", "reason", arg(r, "reason"), "order",
                             arg(r, "order"), "decision", arg(r, "decision"));
    char *mj = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    int64_t expires = 0;
    tamis_status st = tamis_preserve_put(s, r->params[0], r->upload, r->upload_len,
                                         arg(r, "content_type"), mj, retention, &expires);
    free(mj);
    if (st != TAMIS_OK)
        reply_preserve(r, s, st);
    else
        reply_json(r, 201, json_pack("{s:s,s:I,s:I}", "id", r->params[0], "bytes",
                                     (json_int_t)r->upload_len, "expires", (json_int_t)expires));
    leave();
}

void h_preserve_list(req *r) {
    tamis_preserve_store *s = enter(r);
    if (!s)
        return;
    tamis_preserve_entry *e = NULL;
    size_t n = 0;
    tamis_status st = tamis_preserve_list(s, &e, &n);
    if (st != TAMIS_OK) {
        reply_preserve(r, s, st);
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, json_pack("{s:s,s:I,s:I,s:b,s:I}", "id", e[i].id,
                                                  "created", (json_int_t)e[i].created, "expires",
                                                  (json_int_t)e[i].expires, "legal_hold",
                                                  e[i].legal_hold, "bytes",
                                                  (json_int_t)e[i].content_len));
        tamis_preserve_list_free(e, n);
        reply_json(r, 200, json_pack("{s:o}", "items", list));
    }
    leave();
}

void h_preserve_get(req *r) {
    tamis_preserve_store *s = enter(r);
    if (!s)
        return;
    tamis_preserved *p = NULL;
    tamis_status st = tamis_preserve_read(s, r->params[0], &p);
    if (st != TAMIS_OK) {
        reply_preserve(r, s, st);
    } else {
        char *copy = malloc(p->content_len ? p->content_len : 1);
        if (copy) {
            memcpy(copy, p->content, p->content_len);
            /* as bytes: the stored content type is the caller's, not checked */
            reply_text(r, 200, "application/octet-stream", copy, p->content_len);
        } else {
            reply_error(r, 500, "out of memory");
        }
        tamis_preserved_free(p);
    }
    leave();
}

void h_preserve_hold(req *r) {
    json_t *b = body_json(r);
    if (!b)
        return;
    const char *reason = json_string_value(json_object_get(b, "reason"));
    int release = strstr(r->route, "/release") != NULL;
    tamis_preserve_store *s = enter(r);
    if (s) {
        tamis_status st = release ? tamis_preserve_release(s, r->params[0], reason)
                                  : tamis_preserve_hold(s, r->params[0], reason);
        if (st != TAMIS_OK)
            reply_preserve(r, s, st);
        else
            reply_json(r, 200, json_pack("{s:s,s:b}", "id", r->params[0], "legal_hold", !release));
        leave();
    }
    json_decref(b);
}

void h_preserve_purge(req *r) {
    tamis_preserve_store *s = enter(r);
    if (!s)
        return;
    size_t removed = 0, damaged = 0;
    tamis_status st =
        tamis_preserve_purge(s, (int64_t)tamis_clock_now(NULL), &removed, &damaged);
    if (st != TAMIS_OK)
        reply_preserve(r, s, st);
    else
        reply_json(r, 200, json_pack("{s:I,s:I}", "removed", (json_int_t)removed, "damaged",
                                     (json_int_t)damaged));
    leave();
}

/* ---- The transparency report ------------------------------------------------------- */

void h_report(req *r) {
    tamis_db *db = srv_db(r);
    const char *from = arg(r, "from"), *to = arg(r, "to"), *format = arg(r, "format");
    if (!db) {
        reply_error(r, 503, "database unavailable");
        return;
    }
    if (!from || !to) {
        reply_error(r, 422, "from and to (Unix seconds) are required");
        return;
    }
    double f = strtod(from, NULL), t = strtod(to, NULL);
    char *out = NULL;
    int html = format && strcmp(format, "html") == 0;
    tamis_status st = html ? tamis_report_html(db, f, t, &out) : tamis_report_json(db, f, t, &out);
    if (st != TAMIS_OK) {
        reply_error(r, st == TAMIS_ERR_INVALID ? 400 : 500, "%s", tamis_db_errmsg(db));
        return;
    }
    if (html)
        reply_text(r, 200, "text/html; charset=utf-8", out, strlen(out));
    else {
        reply_json(r, 200, json_loads(out, 0, NULL));
        free(out);
    }
}
