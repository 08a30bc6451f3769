/*
 * audit.c - the audit log: append-only, hash-chained.
 *
 * hash(n) = SHA-256 over a fixed label, then each field of entry n as
 * "<length>:<bytes>\n" (length -1 for NULL, so no two field lists give the
 * same input), ending with hash(n-1) (64 zeros before the first). An
 * entry altered in place no longer matches its hash; one removed leaves a
 * gap in the numbers and a broken link; entries swapped break the links.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../common/common.h"
#include "../store/store.h"

static const char ZERO_HASH[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void field(EVP_MD_CTX *md, const char *s) {
    char len[32];
    int n = s ? snprintf(len, sizeof len, "%zu:", strlen(s)) : snprintf(len, sizeof len, "-1:");
    EVP_DigestUpdate(md, len, (size_t)n);
    if (s)
        EVP_DigestUpdate(md, s, strlen(s));
    EVP_DigestUpdate(md, "\n", 1);
}

static int entry_hash(const tamis_audit_entry *e, char out[65]) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return -1;
    char num[32];
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    field(md, "tamis-audit-v1");
    snprintf(num, sizeof num, "%" PRId64, e->seq);
    field(md, num);
    snprintf(num, sizeof num, "%" PRId64, e->at_us);
    field(md, num);
    field(md, e->actor);
    field(md, e->action);
    field(md, e->subject);
    field(md, e->detail);
    field(md, e->prev_hash);
    uint8_t d[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, d, &len);
    EVP_MD_CTX_free(md);
    tamis_hex_encode(d, 32, out);
    return 0;
}

/* The last entry: its number and hash. */
typedef struct {
    int64_t seq;
    char hash[65];
} last;

static int keep_last(void *ctx, const tamis_audit_entry *e) {
    last *l = ctx;
    l->seq = e->seq;
    memcpy(l->hash, e->hash, sizeof l->hash);
    return 0;
}

/* Finds the last entry by paging to the end from a guess (entries are
 * dense, so a count is a good guess; the log is read once per append
 * only when the guess is short). */
static tamis_status find_last(tamis_db *db, last *l) {
    l->seq = 0;
    memcpy(l->hash, ZERO_HASH, sizeof l->hash);
    for (;;) {
        int64_t before = l->seq;
        tamis_status st = db->ops->audit_page(db, l->seq, 4096, keep_last, l);
        if (st != TAMIS_OK)
            return st;
        if (l->seq - before < 4096)
            return TAMIS_OK;
    }
}

tamis_status tamis_audit_append(tamis_db *db, const tamis_clock *clock, const char *actor,
                                const char *action, const char *subject, const char *detail,
                                int64_t *seq) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!actor || !*actor || !action || !*action)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "an audit entry needs an actor and an action");
    if ((st = tamis__check_text(&db->err, "actor", actor)) ||
        (st = tamis__check_text(&db->err, "action", action)) ||
        (st = tamis__check_text(&db->err, "subject", subject)) ||
        (st = tamis__check_text(&db->err, "detail", detail)))
        return st;
    if (detail) {
        json_t *j = json_loads(detail, 0, NULL);
        int ok = json_is_object(j);
        json_decref(j);
        if (!ok)
            return tamis__fail(&db->err, TAMIS_ERR_INVALID, "an audit detail must be a JSON object");
    }
    if ((st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    /* Inside the write transaction: no other writer between the read of
     * the last entry and the insert of the next. */
    last l;
    st = find_last(db, &l);
    tamis_audit_entry e;
    memset(&e, 0, sizeof e);
    e.seq = l.seq + 1;
    e.at_us = (int64_t)(tamis_clock_now(clock) * 1e6);
    e.actor = actor;
    e.action = action;
    e.subject = subject;
    e.detail = detail;
    memcpy(e.prev_hash, l.hash, sizeof e.prev_hash);
    if (st == TAMIS_OK && entry_hash(&e, e.hash) != 0)
        st = tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory hashing an audit entry");
    if (st == TAMIS_OK)
        st = db->ops->audit_insert(db, &e);
    st = tamis__db_end(db, st);
    if (st == TAMIS_OK && seq)
        *seq = e.seq;
    return st;
}

tamis_status tamis_audit_list(tamis_db *db, int64_t since, size_t limit, tamis_audit_cb cb,
                              void *ctx) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb || limit == 0)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "a callback and a limit are needed");
    return db->ops->audit_page(db, since, limit, cb, ctx);
}

typedef struct {
    tamis_audit_report *r;
    int64_t expect;
    char prev[65];
    int bad;
} walker;

static int check_entry(void *ctx, const tamis_audit_entry *e) {
    walker *w = ctx;
    tamis_audit_report *r = w->r;
    char h[65];
    r->entries++;
    const char *why = NULL;
    char buf[160];
    if (e->seq != w->expect) {
        snprintf(buf, sizeof buf,
                 e->seq > w->expect ? "entries %" PRId64 " to %" PRId64 " are missing"
                                    : "entry %" PRId64 " is out of order (expected %" PRId64 ")",
                 e->seq > w->expect ? w->expect : e->seq,
                 e->seq > w->expect ? e->seq - 1 : w->expect);
        why = buf;
    } else if (strcmp(e->prev_hash, w->prev) != 0) {
        why = "its link to the entry before does not match (an entry before it was removed, "
              "replaced or reordered)";
    } else if (entry_hash(e, h) != 0 || strcmp(h, e->hash) != 0) {
        why = "its content does not match its hash (it was altered)";
    }
    if (why) {
        r->first_bad = e->seq > w->expect && e->seq != w->expect ? w->expect : e->seq;
        snprintf(r->problem, sizeof r->problem, "entry %" PRId64 ": %.200s", e->seq, why);
        w->bad = 1;
        return 1;
    }
    memcpy(w->prev, e->hash, sizeof w->prev);
    memcpy(r->head, e->hash, sizeof r->head);
    w->expect++;
    return 0;
}

tamis_status tamis_audit_verify(tamis_db *db, tamis_audit_report *r) {
    tamis_audit_report local;
    if (!r)
        r = &local;
    memset(r, 0, sizeof *r);
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    walker w = {r, 1, "", 0};
    memcpy(w.prev, ZERO_HASH, sizeof w.prev);
    int64_t since = 0;
    for (;;) {
        int64_t before = r->entries;
        st = db->ops->audit_page(db, since, 4096, check_entry, &w);
        if (st == TAMIS_DONE || w.bad)
            break;
        if (st != TAMIS_OK)
            return st;
        if (r->entries - before < 4096)
            break;
        since = w.expect - 1;
    }
    if (w.bad)
        return tamis__fail(&db->err, TAMIS_ERR_CORRUPT, "%s", r->problem);
    return TAMIS_OK;
}
