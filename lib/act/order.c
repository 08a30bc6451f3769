/*
 * order.c - removal orders (Regulation 2021/784 "TCO", Art 3, Annex I and
 * II): receipt, the one-hour clock and its stops, execution or rejection,
 * the confirmation record, and the orders due for alerts.
 *
 * An order is one JSON document in the orders table; its state and
 * deadline are also columns, for the query of orders due. Each step runs
 * in one transaction with its audit entry, so the log and the order never
 * disagree. Times are kept in microseconds.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../common/common.h"
#include "../store/store.h"

#define HOUR_US ((int64_t)3600 * 1000000)

static int64_t us(double seconds) { return (int64_t)llround(seconds * 1e6); }

const char *tamis_order_state_name(tamis_order_state s) {
    switch (s) {
    case TAMIS_ORDER_RECEIVED: return "received";
    case TAMIS_ORDER_CLARIFICATION: return "clarification_requested";
    case TAMIS_ORDER_FORCE_MAJEURE: return "force_majeure";
    case TAMIS_ORDER_EXECUTED: return "executed";
    case TAMIS_ORDER_REJECTED: return "rejected";
    }
    return "?";
}

/* The receipt: SHA-256 over Annex I's fields and the receipt time, each
 * length-prefixed; recorded in the audit log, whose chain then vouches
 * for when the order was received. */
static void receipt_hash(json_t *doc, char out[65]) {
    static const char *keys[] = {"authority", "member_state", "reference", "issued_at_us",
                                 "locators",  "reasons",      "redress",   "received_at_us"};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(doc, keys[i]);
        char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        char len[32];
        int n = snprintf(len, sizeof len, "%zu:", s ? strlen(s) : 0);
        EVP_DigestUpdate(md, len, (size_t)n);
        if (s)
            EVP_DigestUpdate(md, s, strlen(s));
        free(s);
    }
    uint8_t d[32];
    unsigned dl;
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    tamis_hex_encode(d, 32, out);
}

static int upper2(const char *s) {
    return s && strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

tamis_status tamis_order_receive(tamis_db *db, const tamis_clock *clock, const char *actor,
                                 const tamis_order *o, int64_t *id) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!o || !actor)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no order or no actor given");
    /* Annex I: what an order must carry to be executed. */
    if (!o->authority || !*o->authority)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "an order needs its issuing authority");
    if (!upper2(o->member_state))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "an order needs its Member State as two capital letters (\"FR\")");
    if (!o->reference || !*o->reference)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "an order needs its reference");
    if (!(o->issued_at > 0))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "an order needs its time of issue");
    json_t *loc = o->locators ? json_loads(o->locators, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    int ok = json_is_array(loc) && json_array_size(loc) > 0;
    json_array_foreach(loc, i, v) ok = ok && json_is_string(v) && *json_string_value(v);
    if (!ok) {
        json_decref(loc);
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "an order needs its locators: a JSON array of URLs or other locators");
    }
    if ((st = tamis__check_text(&db->err, "authority", o->authority)) ||
        (st = tamis__check_text(&db->err, "reference", o->reference)) ||
        (st = tamis__check_text(&db->err, "reasons", o->reasons)) ||
        (st = tamis__check_text(&db->err, "redress", o->redress))) {
        json_decref(loc);
        return st;
    }
    int64_t now = us(tamis_clock_now(clock));
    json_t *doc = json_pack("{s:s,s:s,s:s,s:I,s:o,s:s?,s:s?,s:b,s:I,s:I,s:I,s:I}", "authority",
                            o->authority, "member_state", o->member_state, "reference",
                            o->reference, "issued_at_us", (json_int_t)us(o->issued_at),
                            "locators", loc, "reasons", o->reasons, "redress", o->redress,
                            "withhold_information", o->withhold_information, "received_at_us",
                            (json_int_t)now, "deadline_us", (json_int_t)(now + HOUR_US),
                            "stopped_us", (json_int_t)0, "executed_at_us", (json_int_t)0);
    if (!doc)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    char receipt[65];
    receipt_hash(doc, receipt);
    json_object_set_new(doc, "receipt", json_string(receipt));
    json_object_set_new(doc, "state", json_string(tamis_order_state_name(TAMIS_ORDER_RECEIVED)));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    if ((st = tamis__db_begin(db)) != TAMIS_OK) {
        free(text);
        return st;
    }
    int64_t oid = 0;
    st = db->ops->order_insert(db, TAMIS_ORDER_RECEIVED, now + HOUR_US, text, &oid);
    free(text);
    char subject[40], detail[300];
    snprintf(subject, sizeof subject, "order:%" PRId64, oid);
    snprintf(detail, sizeof detail,
             "{\"receipt\":\"%s\",\"deadline_us\":%" PRId64 ",\"member_state\":\"%s\"}", receipt,
             now + HOUR_US, o->member_state);
    if (st == TAMIS_OK)
        st = tamis_audit_append(db, clock, actor, "order.received", subject, detail, NULL);
    st = tamis__db_end(db, st);
    if (st == TAMIS_OK && id)
        *id = oid;
    return st;
}

/* ---- Reading ------------------------------------------------------------ */

static int64_t geti(json_t *doc, const char *k) {
    return (int64_t)json_integer_value(json_object_get(doc, k));
}

static const char *gets(json_t *doc, const char *k) {
    return json_string_value(json_object_get(doc, k));
}

tamis_order_state tamis_order_state_from_name(const char *name) {
    for (int s = TAMIS_ORDER_RECEIVED; s <= TAMIS_ORDER_REJECTED; s++)
        if (name && strcmp(name, tamis_order_state_name((tamis_order_state)s)) == 0)
            return (tamis_order_state)s;
    return 0;
}

/* Fills o from a document it then owns (freed by tamis_order_clear). */
static int fill(tamis_order *o, int64_t id, json_t *doc) {
    memset(o, 0, sizeof *o);
    o->id = id;
    o->doc_ = doc;
    o->authority = gets(doc, "authority");
    o->member_state = gets(doc, "member_state");
    o->reference = gets(doc, "reference");
    o->issued_at = (double)geti(doc, "issued_at_us") / 1e6;
    json_t *loc = json_object_get(doc, "locators");
    char *l = json_dumps(loc, JSON_COMPACT | JSON_ENCODE_ANY);
    json_object_set_new(doc, "locators_text_", json_string(l ? l : "[]"));
    free(l);
    o->locators = gets(doc, "locators_text_");
    o->reasons = gets(doc, "reasons");
    o->redress = gets(doc, "redress");
    o->withhold_information = json_is_true(json_object_get(doc, "withhold_information"));
    o->state = tamis_order_state_from_name(gets(doc, "state"));
    o->received_at = (double)geti(doc, "received_at_us") / 1e6;
    o->deadline = (double)geti(doc, "deadline_us") / 1e6;
    o->executed_at = (double)geti(doc, "executed_at_us") / 1e6;
    o->on_time = o->state == TAMIS_ORDER_EXECUTED &&
                 geti(doc, "executed_at_us") <= geti(doc, "deadline_us");
    o->clock_stopped = (double)geti(doc, "stopped_us") / 1e6;
    o->note = gets(doc, "note");
    snprintf(o->receipt, sizeof o->receipt, "%s", gets(doc, "receipt") ? gets(doc, "receipt") : "");
    return o->state != 0;
}

void tamis_order_clear(tamis_order *o) {
    if (o) {
        json_decref(o->doc_);
        memset(o, 0, sizeof *o);
    }
}

typedef struct {
    json_t *doc;
    int64_t id;
} one;

static int take_one(void *ctx, int64_t id, const char *text) {
    one *o = ctx;
    o->doc = json_loads(text, 0, NULL);
    o->id = id;
    return 1;
}

static tamis_status load(tamis_db *db, int64_t id, json_t **doc) {
    one o = {NULL, 0};
    tamis_status st = db->ops->order_page(db, id, 0, 1, take_one, &o);
    if (st != TAMIS_OK && st != TAMIS_DONE)
        return st;
    if (!o.doc)
        return tamis__fail(&db->err, o.id ? TAMIS_ERR_CORRUPT : TAMIS_ERR_NOT_FOUND,
                           o.id ? "order %" PRId64 " is not readable" : "no order %" PRId64, id);
    *doc = o.doc;
    return TAMIS_OK;
}

tamis_status tamis_order_get(tamis_db *db, int64_t id, tamis_order *out) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK || !out)
        return st ? st : TAMIS_ERR_INVALID;
    memset(out, 0, sizeof *out);
    json_t *doc;
    if ((st = load(db, id, &doc)) != TAMIS_OK)
        return st;
    if (!fill(out, id, doc)) {
        tamis_order_clear(out);
        return tamis__fail(&db->err, TAMIS_ERR_CORRUPT, "order %" PRId64 " has no state", id);
    }
    return TAMIS_OK;
}

/* ---- Steps ---------------------------------------------------------------- */

tamis_status tamis_order_step(tamis_db *db, const tamis_clock *clock, const char *actor,
                              int64_t id, tamis_order_state to, const char *note) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!actor || !*actor)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "a step needs an actor");
    if (to == TAMIS_ORDER_REJECTED && (!note || !*note))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "rejecting an order needs a reason");
    if ((st = tamis__check_text(&db->err, "note", note)) != TAMIS_OK)
        return st;
    if ((st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    json_t *doc = NULL;
    st = load(db, id, &doc);
    tamis_order_state from = st == TAMIS_OK ? tamis_order_state_from_name(gets(doc, "state")) : 0;
    int64_t now = us(tamis_clock_now(clock));
    int64_t deadline = st == TAMIS_OK ? geti(doc, "deadline_us") : 0;
    int stops = to == TAMIS_ORDER_CLARIFICATION || to == TAMIS_ORDER_FORCE_MAJEURE;
    int allowed = (stops && from == TAMIS_ORDER_RECEIVED) ||
                  (to == TAMIS_ORDER_RECEIVED &&
                   (from == TAMIS_ORDER_CLARIFICATION || from == TAMIS_ORDER_FORCE_MAJEURE)) ||
                  ((to == TAMIS_ORDER_EXECUTED || to == TAMIS_ORDER_REJECTED) &&
                   from >= TAMIS_ORDER_RECEIVED && from <= TAMIS_ORDER_FORCE_MAJEURE);
    if (st == TAMIS_OK && !allowed)
        st = tamis__fail(&db->err, TAMIS_ERR_INVALID, "order %" PRId64 " cannot go from %s to %s",
                         id, tamis_order_state_name(from), tamis_order_state_name(to));
    if (st == TAMIS_OK) {
        if (stops) {
            /* Art 3(7), 3(8): the hour stops; when it restarts it is whole */
            json_object_set_new(doc, "stopped_at_us", json_integer(now));
            deadline = 0;
        } else if (to == TAMIS_ORDER_RECEIVED) {
            int64_t since = geti(doc, "stopped_at_us");
            json_object_set_new(doc, "stopped_us",
                                json_integer(geti(doc, "stopped_us") + (now - since)));
            json_object_del(doc, "stopped_at_us");
            deadline = now + HOUR_US;
        } else if (to == TAMIS_ORDER_EXECUTED) {
            json_object_set_new(doc, "executed_at_us", json_integer(now));
            /* executed while stopped: the deadline is the restart's hour */
            if (deadline == 0)
                deadline = now + HOUR_US;
        }
        json_object_set_new(doc, "deadline_us", json_integer(deadline));
        json_object_set_new(doc, "state", json_string(tamis_order_state_name(to)));
        if (note)
            json_object_set_new(doc, "note", json_string(note));
        char *text = json_dumps(doc, JSON_COMPACT);
        st = text ? db->ops->order_update(db, id, to, deadline, text)
                  : tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
        free(text);
    }
    if (st == TAMIS_OK) {
        char subject[40], action[64];
        snprintf(subject, sizeof subject, "order:%" PRId64, id);
        snprintf(action, sizeof action, "order.%s", tamis_order_state_name(to));
        json_t *d = json_pack("{s:s,s:I,s:s?}", "from", tamis_order_state_name(from), "deadline_us",
                              (json_int_t)deadline, "note", note);
        if (to == TAMIS_ORDER_EXECUTED)
            json_object_set_new(d, "on_time", json_boolean(now <= deadline));
        char *dt = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        st = tamis_audit_append(db, clock, actor, action, subject, dt, NULL);
        free(dt);
    }
    json_decref(doc);
    return tamis__db_end(db, st);
}

/* ---- Confirmation, due orders, lists -------------------------------------- */

static void iso(int64_t t_us, char out[32]) {
    time_t t = (time_t)(t_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

tamis_status tamis_order_confirmation(tamis_db *db, int64_t id, char **json) {
    if (json)
        *json = NULL;
    tamis_order o;
    tamis_status st = tamis_order_get(db, id, &o);
    if (st != TAMIS_OK)
        return st;
    json_t *doc = o.doc_;
    if (o.state != TAMIS_ORDER_EXECUTED) {
        tamis_order_clear(&o);
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "order %" PRId64 " is not executed: no confirmation yet", id);
    }
    char rec[32], exe[32], iss[32];
    iso(geti(doc, "received_at_us"), rec);
    iso(geti(doc, "executed_at_us"), exe);
    iso(geti(doc, "issued_at_us"), iss);
    /* Annex II: the order it answers, the content, the time of removal */
    json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:O,s:s,s:s,s:s,s:b,s:s,s:f}", "order_reference",
                          o.reference, "issuing_authority", o.authority, "member_state",
                          o.member_state, "issued_at", iss, "locators",
                          json_object_get(doc, "locators"), "received_at", rec, "action",
                          "removed or disabled in all Member States", "executed_at", exe,
                          "within_one_hour", o.on_time, "receipt", o.receipt,
                          "clock_stopped_seconds", o.clock_stopped);
    *json = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(c);
    tamis_order_clear(&o);
    return *json ? TAMIS_OK : tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
}

typedef struct {
    tamis_order_cb cb;
    void *ctx;
    int64_t due_by; /* INT64_MAX: all */
    int64_t last;
    int stop;
    size_t n;
} walker;

static int visit(void *ctx, int64_t id, const char *text) {
    walker *w = ctx;
    w->last = id;
    w->n++;
    json_t *doc = json_loads(text, 0, NULL);
    tamis_order o;
    if (!doc || !fill(&o, id, doc)) {
        json_decref(doc);
        return 0;
    }
    int want = w->due_by == INT64_MAX ||
               (o.state == TAMIS_ORDER_RECEIVED && geti(doc, "deadline_us") <= w->due_by);
    if (want)
        w->stop = w->cb(w->ctx, &o);
    tamis_order_clear(&o);
    return w->stop;
}

static tamis_status walk(tamis_db *db, walker *w) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!w->cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    for (;;) {
        w->n = 0;
        st = db->ops->order_page(db, 0, w->last, 1000, visit, w);
        if (st == TAMIS_DONE || w->stop)
            return TAMIS_DONE;
        if (st != TAMIS_OK || w->n < 1000)
            return st;
    }
}

tamis_status tamis_order_due(tamis_db *db, const tamis_clock *clock, double within,
                             tamis_order_cb cb, void *ctx) {
    walker w = {cb, ctx, us(tamis_clock_now(clock) + within), 0, 0, 0};
    return walk(db, &w);
}

tamis_status tamis_order_list(tamis_db *db, tamis_order_cb cb, void *ctx) {
    walker w = {cb, ctx, INT64_MAX, 0, 0, 0};
    return walk(db, &w);
}
