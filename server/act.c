/*
 * act.c - /a: acting on matches within the law, over HTTP: removal
 * orders and their clock (TCO Art 3), the review queue, notices (DSA Art
 * 16), complaints (TCO Art 10, DSA Art 20), and the audit log's check.
 * Thin: each handler checks its JSON, calls lib/act/ with the caller's
 * identity (role and a prefix of its token's hash) as the audit actor,
 * and answers with the record.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

static int64_t path_id(req *r, int i) {
    char *end;
    long long v = strtoll(r->params[i], &end, 10);
    if (*end || v <= 0) {
        reply_error(r, 400, "'%s' is not an id", r->params[i]);
        return 0;
    }
    return (int64_t)v;
}

static tamis_db *db_or_503(req *r) {
    tamis_db *db = srv_db(r);
    if (!db)
        reply_error(r, 503, "database unavailable");
    return db;
}

static void reply_db(req *r, tamis_db *db, tamis_status st, const char *what) {
    if (st == TAMIS_ERR_INVALID)
        reply_error(r, 400, "%s", tamis_db_errmsg(db));
    else if (st == TAMIS_ERR_EXISTS)
        reply_error(r, 409, "%s", tamis_db_errmsg(db));
    else if (st == TAMIS_ERR_NOT_FOUND)
        reply_error(r, 404, "%s not found", what);
    else
        reply_status(r, st, what);
}

static const char *str(json_t *b, const char *k) { return json_string_value(json_object_get(b, k)); }

/* ---- Orders ---------------------------------------------------------------------- */


static json_t *order_json(const tamis_order *o) {
    json_t *loc = json_loads(o->locators ? o->locators : "[]", 0, NULL);
    return json_pack("{s:I,s:s,s:s,s:s,s:f,s:o,s:s?,s:s?,s:b,s:s,s:f,s:f,s:f,s:b,s:f,s:s?,s:s}",
                     "id", (json_int_t)o->id, "authority", o->authority, "member_state",
                     o->member_state, "reference", o->reference, "issued_at", o->issued_at,
                     "locators", loc ? loc : json_array(), "reasons", o->reasons, "redress",
                     o->redress, "withhold_information", o->withhold_information, "state",
                     tamis_order_state_name(o->state), "received_at", o->received_at, "deadline",
                     o->deadline, "executed_at", o->executed_at, "on_time", o->on_time,
                     "clock_stopped_seconds", o->clock_stopped, "note", o->note, "receipt",
                     o->receipt);
}

static void reply_order(req *r, tamis_db *db, int64_t id, int status) {
    tamis_order o;
    tamis_status st = tamis_order_get(db, id, &o);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "order");
        return;
    }
    reply_json(r, status, order_json(&o));
    tamis_order_clear(&o);
}

void h_order_receive(req *r) {
    json_t *b = body_json(r);
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    tamis_order o;
    memset(&o, 0, sizeof o);
    o.authority = str(b, "authority");
    o.member_state = str(b, "member_state");
    o.reference = str(b, "reference");
    o.issued_at = json_number_value(json_object_get(b, "issued_at"));
    char *loc = json_object_get(b, "locators")
                    ? json_dumps(json_object_get(b, "locators"), JSON_COMPACT | JSON_ENCODE_ANY)
                    : NULL;
    o.locators = loc;
    o.reasons = str(b, "reasons");
    o.redress = str(b, "redress");
    o.withhold_information = json_is_true(json_object_get(b, "withhold_information"));
    int64_t id;
    tamis_status st = tamis_order_receive(db, NULL, r->who, &o, &id);
    free(loc);
    json_decref(b);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "order");
    else
        reply_order(r, db, id, 201);
}

void h_order_get(req *r) {
    int64_t id = path_id(r, 0);
    tamis_db *db = db_or_503(r);
    if (id && db)
        reply_order(r, db, id, 200);
}

void h_order_step(req *r) {
    int64_t id = path_id(r, 0);
    json_t *b = id ? body_json(r) : NULL;
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    const char *to = str(b, "to");
    tamis_order_state s = tamis_order_state_from_name(to);
    if (!s) {
        reply_error(r, 400, "\"to\" is one of received, clarification_requested, "
                            "force_majeure, executed, rejected");
        json_decref(b);
        return;
    }
    tamis_status st = tamis_order_step(db, NULL, r->who, id, s, str(b, "note"));
    json_decref(b);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "order");
        return;
    }
    reply_order(r, db, id, 200);
    /* The platform learns of an executed order, and whether it may tell
     * the content provider now (TCO Art 11) or must wait (Art 11(3)). */
    tamis_webhook *wh = srv_webhook(r);
    if (wh && s == TAMIS_ORDER_EXECUTED && json_is_object(r->json)) {
        json_t *o = r->json;
        json_t *ev = json_pack("{s:O,s:O,s:O,s:O,s:b}", "order_id", json_object_get(o, "id"),
                               "reference", json_object_get(o, "reference"), "locators",
                               json_object_get(o, "locators"), "on_time",
                               json_object_get(o, "on_time"), "inform_content_provider",
                               !json_is_true(json_object_get(o, "withhold_information")));
        char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        char evid[TAMIS_WEBHOOK_ID_LEN + 1];
        if (body)
            tamis_webhook_enqueue(wh, "order.executed", body, strlen(body), evid);
        free(body);
        json_decref(ev);
    }
}

void h_order_confirmation(req *r) {
    int64_t id = path_id(r, 0);
    tamis_db *db = db_or_503(r);
    if (!id || !db)
        return;
    char *json;
    tamis_status st = tamis_order_confirmation(db, id, &json);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "order");
        return;
    }
    reply_json(r, 200, json_loads(json, 0, NULL));
    free(json);
}

static int add_order(void *ctx, const tamis_order *o) {
    json_array_append_new(ctx, order_json(o));
    return 0;
}

void h_orders_due(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    const char *w = arg(r, "within");
    double within = w ? strtod(w, NULL) : 900;
    json_t *list = json_array();
    tamis_status st = tamis_order_due(db, NULL, within, add_order, list);
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        json_decref(list);
        reply_db(r, db, st, "orders");
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "orders", list));
}

/* ---- The review queue ------------------------------------------------------------- */


static json_t *decision_json(const tamis_decision *d) {
    return json_pack("{s:I,s:s?,s:s?,s:I,s:s?,s:s?,s:i,s:s,s:s,s:b,s:b,s:s?,s:s?,s:s?,s:f,s:f,"
                     "s:b,s:s?,s:f}",
                     "id", (json_int_t)d->id, "puid", d->puid, "bank", d->bank, "content_id",
                     (json_int_t)d->content_id, "signal_type", d->signal_type, "variant",
                     d->variant, "distance", d->distance, "action", tamis_action_name(d->action),
                     "state", d->state == TAMIS_DECISION_PENDING ? "pending" : "decided",
                     "automated_detection", d->automated_detection, "automated_decision",
                     d->automated_decision, "claimed_by", d->claimed_by, "reviewer", d->reviewer,
                     "reason", d->reason, "created_at", d->created_at, "decided_at", d->decided_at,
                     "escalated", d->escalated, "media_url", d->media_url, "claimed_until",
                     d->claimed_until);
}

static int add_decision(void *ctx, const tamis_decision *d) {
    json_array_append_new(ctx, decision_json(d));
    return json_array_size(ctx) >= 1000;
}

void h_review_list(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    json_t *list = json_array();
    tamis_status st = tamis_decision_list(db, TAMIS_DECISION_PENDING, add_decision, list);
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        json_decref(list);
        reply_db(r, db, st, "review queue");
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "pending", list));
}

static void reply_decision(req *r, tamis_db *db, int64_t id) {
    tamis_decision d;
    tamis_status st = tamis_decision_get(db, id, &d);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "decision");
        return;
    }
    reply_json(r, 200, decision_json(&d));
    tamis_decision_clear(&d);
}

void h_review_claim(req *r) {
    int64_t id = path_id(r, 0);
    tamis_db *db = db_or_503(r);
    if (!id || !db)
        return;
    const char *l = arg(r, "lease");
    tamis_status st = tamis_review_claim(db, NULL, r->who, id, l ? strtod(l, NULL) : 900);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "decision");
    else
        reply_decision(r, db, id);
}

void h_review_decide(req *r) {
    int64_t id = path_id(r, 0);
    json_t *b = id ? body_json(r) : NULL;
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    const char *a = str(b, "action");
    tamis_action act = tamis_action_from_name(a);
    tamis_status st = tamis_review_decide(db, NULL, r->who, id, act, str(b, "reason"),
                                          json_is_true(json_object_get(b, "false_positive")));
    json_decref(b);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "decision");
    else
        reply_decision(r, db, id);
}

void h_decision_statement(req *r) {
    int64_t id = path_id(r, 0);
    tamis_db *db = id ? db_or_503(r) : NULL;
    if (!db)
        return;
    const char *cd = arg(r, "content_date");
    char *json = NULL;
    tamis_sor_problem p;
    memset(&p, 0, sizeof p);
    tamis_status st = tamis_decision_statement(db, id, 0, cd ? strtoll(cd, NULL, 10) : 0, &json, &p);
    if (st != TAMIS_OK) {
        if (p.field[0])
            reply_error(r, 422, "statement of reasons: %s: %s", p.field, p.message);
        else
            reply_db(r, db, st, "decision");
        return;
    }
    reply_json(r, 200, json_loads(json, 0, NULL));
    free(json);
}

void h_statements(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    const char *a = arg(r, "after");
    int64_t after = a ? strtoll(a, NULL, 10) : 0, last = 0;
    size_t count = 0, skipped = 0;
    char *json = NULL;
    tamis_sor_problem p;
    memset(&p, 0, sizeof p);
    tamis_status st = tamis_decision_statements(db, after, &json, &last, &count, &skipped, &p);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "statements");
        return;
    }
    json_t *batch = json ? json_loads(json, 0, NULL) : json_pack("{s:[]}", "statements");
    free(json);
    json_t *out = json_pack("{s:o,s:I,s:I,s:I}", "batch", batch, "count", (json_int_t)count,
                            "last", (json_int_t)last, "skipped", (json_int_t)skipped);
    if (skipped)
        json_object_set_new(out, "first_skipped",
                            json_pack("{s:s,s:s}", "field", p.field, "message", p.message));
    reply_json(r, 200, out);
}

/* ---- Notices and complaints ------------------------------------------------------- */

static void reply_notice(req *r, tamis_db *db, int64_t id, int status) {
    tamis_notice n;
    tamis_status st = tamis_notice_get(db, id, &n);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "notice");
        return;
    }
    /* the notifier's contact stays out of answers */
    reply_json(r, status,
               json_pack("{s:I,s:s?,s:s?,s:b,s:s,s:f,s:f,s:s?,s:s?,s:s?}", "id",
                         (json_int_t)n.id, "puid", n.puid, "locator", n.locator,
                         "trusted_flagger", n.trusted_flagger, "state",
                         n.state == TAMIS_NOTICE_RECEIVED ? "received" : "decided",
                         "acknowledged_at", n.acknowledged_at, "decided_at", n.decided_at,
                         "action", n.state == TAMIS_NOTICE_DECIDED ? tamis_action_name(n.action) : NULL,
                         "reason", n.reason, "outcome", n.outcome));
    tamis_notice_clear(&n);
}

void h_notice_receive(req *r) {
    json_t *b = body_json(r);
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    tamis_notice n;
    memset(&n, 0, sizeof n);
    n.puid = str(b, "puid");
    n.locator = str(b, "locator");
    n.explanation = str(b, "explanation");
    n.trusted_flagger = json_is_true(json_object_get(b, "trusted_flagger"));
    n.notifier = str(b, "notifier");
    int64_t id;
    tamis_status st = tamis_notice_receive(db, NULL, r->who, &n, &id);
    json_decref(b);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "notice");
    else
        reply_notice(r, db, id, 201);
}

void h_notice_decide(req *r) {
    int64_t id = path_id(r, 0);
    json_t *b = id ? body_json(r) : NULL;
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    const char *a = str(b, "action");
    tamis_action act = tamis_action_from_name(a);
    tamis_status st = tamis_notice_decide(db, NULL, r->who, id, act, str(b, "reason"));
    json_decref(b);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "notice");
    else
        reply_notice(r, db, id, 200);
}

static void reply_complaint(req *r, tamis_db *db, int64_t id, int status) {
    tamis_complaint c;
    tamis_status st = tamis_complaint_get(db, id, &c);
    if (st != TAMIS_OK) {
        reply_db(r, db, st, "complaint");
        return;
    }
    static const char *cs[] = {"", "open", "upheld", "rejected"};
    reply_json(r, status,
               json_pack("{s:I,s:I,s:I,s:s,s:f,s:f,s:f,s:b,s:b,s:s?}", "id", (json_int_t)c.id,
                         "decision_id", (json_int_t)c.decision_id, "order_id",
                         (json_int_t)c.order_id, "state", cs[c.state], "received_at",
                         c.received_at, "due_at", c.due_at, "answered_at", c.answered_at,
                         "answered_in_time", c.answered_in_time, "reinstated", c.reinstated,
                         "answer", c.answer));
    tamis_complaint_clear(&c);
}

void h_complaint_receive(req *r) {
    json_t *b = body_json(r);
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    tamis_complaint c;
    memset(&c, 0, sizeof c);
    c.decision_id = (int64_t)json_integer_value(json_object_get(b, "decision_id"));
    c.order_id = (int64_t)json_integer_value(json_object_get(b, "order_id"));
    c.puid = str(b, "puid");
    c.grounds = str(b, "grounds");
    int64_t id;
    tamis_status st = tamis_complaint_receive(db, NULL, r->who, &c, &id);
    json_decref(b);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "complaint");
    else
        reply_complaint(r, db, id, 201);
}

void h_complaint_answer(req *r) {
    int64_t id = path_id(r, 0);
    json_t *b = id ? body_json(r) : NULL;
    tamis_db *db = db_or_503(r);
    if (!b || !db) {
        json_decref(b);
        return;
    }
    tamis_status st = tamis_complaint_answer(db, NULL, r->who, id,
                                             json_is_true(json_object_get(b, "upheld")),
                                             str(b, "answer"));
    json_decref(b);
    if (st != TAMIS_OK)
        reply_db(r, db, st, "complaint");
    else
        reply_complaint(r, db, id, 200);
}

/* ---- The audit log ------------------------------------------------------------------ */

void h_audit_verify(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    tamis_audit_report rep;
    tamis_status st = tamis_audit_verify(db, &rep);
    if (st != TAMIS_OK && st != TAMIS_ERR_CORRUPT) {
        reply_db(r, db, st, "audit log");
        return;
    }
    reply_json(r, 200,
               json_pack("{s:b,s:I,s:s,s:I,s:s}", "intact", st == TAMIS_OK, "entries",
                         (json_int_t)rep.entries, "head", rep.head, "first_bad",
                         (json_int_t)rep.first_bad, "problem", rep.problem));
}

/* ---- Acting on the matches of /m/match ------------------------------------------ */

/* One decision per bank item a piece of content matches, however many of
 * its signals matched it (PDQ, MD5 and SHA-256 of one upload would
 * otherwise queue it three times): the match at the least distance, the
 * first of equals, stands for the item. Returns the index of that match
 * for matches[i]. */
static size_t better_match(json_t *matches, size_t i) {
    json_t *m = json_array_get(matches, i);
    const char *bank = str(m, "bank");
    json_int_t id = json_integer_value(json_object_get(m, "bank_content_id"));
    json_int_t dist = json_integer_value(json_object_get(m, "distance"));
    size_t best = i;
    for (size_t j = 0; j < json_array_size(matches); j++) {
        json_t *o = json_array_get(matches, j);
        const char *ob = str(o, "bank");
        json_int_t od = json_integer_value(json_object_get(o, "distance"));
        if (j == best || !bank || !ob || strcmp(bank, ob) != 0 ||
            json_integer_value(json_object_get(o, "bank_content_id")) != id)
            continue;
        if (od < dist || (od == dist && j < best))
            best = j, dist = od;
    }
    return best;
}

void act_on_matches(req *r, const char *puid, json_t *matches) {
    tamis_db *db = srv_db(r);
    tamis_webhook *wh = srv_webhook(r);
    size_t i;
    json_t *m;
    if (!db)
        return;
    json_array_foreach(matches, i, m) {
        if (better_match(matches, i) != i)
            continue; /* decided with the best match of the same item, below */
        tamis_decision d;
        memset(&d, 0, sizeof d);
        d.puid = puid;
        d.bank = str(m, "bank");
        d.content_id = (int64_t)json_integer_value(json_object_get(m, "bank_content_id"));
        d.signal_type = str(m, "signal_type");
        d.variant = str(m, "variant");
        d.distance = (int)json_integer_value(json_object_get(m, "distance"));
        d.media_url = arg(r, "media_url");
        int64_t id = 0;
        tamis_action a = TAMIS_ACTION_NONE;
        tamis_status st = tamis_decision_record(db, NULL, r->who[0] ? r->who : "matcher", &d, &id, &a);
        if (st == TAMIS_DONE) {
            json_object_set_new(m, "action", json_string("none"));
            continue;
        }
        if (st != TAMIS_OK) {
            json_object_set_new(m, "decision_error", json_string(tamis_db_errmsg(db)));
            continue;
        }
        json_object_set_new(m, "decision_id", json_integer(id));
        json_object_set_new(m, "action", json_string(tamis_action_name(a)));
        if (!wh)
            continue;
        /* the platform's action endpoint learns of it, signed, at least once */
        json_t *ev = json_pack("{s:I,s:s,s:s,s:s?,s:I,s:s?,s:s?,s:i,s:b}", "decision_id",
                               (json_int_t)id, "puid", puid, "action", tamis_action_name(a), "bank",
                               d.bank, "content_id", (json_int_t)d.content_id, "signal_type",
                               d.signal_type, "variant", d.variant, "distance", d.distance,
                               "automated_decision", a != TAMIS_ACTION_REVIEW);
        char *body = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        char evid[TAMIS_WEBHOOK_ID_LEN + 1];
        if (!body || tamis_webhook_enqueue(wh, a == TAMIS_ACTION_REVIEW ? "decision.queued"
                                                                         : "decision.automated",
                                           body, strlen(body), evid) != TAMIS_OK)
            json_object_set_new(m, "webhook_error", json_string(tamis_webhook_errmsg(wh)));
        else
            json_object_set_new(m, "webhook_event", json_string(evid));
        free(body);
    }
    /* The other signals of an item that matched share its decision. */
    json_array_foreach(matches, i, m) {
        size_t b = better_match(matches, i);
        if (b == i)
            continue;
        json_t *best = json_array_get(matches, b);
        const char *keys[] = {"decision_id", "action", "decision_error", "webhook_event"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (json_object_get(best, keys[k]))
                json_object_set(m, keys[k], json_object_get(best, keys[k]));
    }
}

/* ---- Webhook deliveries -------------------------------------------------------------- */

void h_webhooks_list(req *r) {
    tamis_webhook *wh = srv_webhook(r);
    if (!wh) {
        reply_error(r, 404, "no webhooks on this server (--webhook-url)");
        return;
    }
    static const char *names[] = {"pending", "delivered", "dead"};
    const char *want = arg(r, "state");
    int state = -1;
    for (int i = 0; i < 3 && want; i++)
        if (strcmp(want, names[i]) == 0)
            state = i;
    tamis_webhook_event *ev = NULL;
    size_t n = 0;
    if (tamis_webhook_list(wh, state, &ev, &n) != TAMIS_OK) {
        reply_error(r, 500, "webhooks: %s", tamis_webhook_errmsg(wh));
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s,s:s,s:s,s:i,s:f,s:f,s:f,s:i,s:s}", "id", ev[i].id, "type",
                            ev[i].type, "state",
                            ev[i].state <= TAMIS_WEBHOOK_DEAD ? names[ev[i].state] : "?",
                            "attempts", ev[i].attempts, "created", ev[i].created,
                            "next_attempt", ev[i].next_attempt, "delivered_at",
                            ev[i].delivered_at, "last_status", ev[i].last_status, "last_error",
                            ev[i].last_error));
    tamis_webhook_events_free(ev);
    reply_json(r, 200, json_pack("{s:o}", "events", list));
}

void h_webhook_retry(req *r) {
    tamis_webhook *wh = srv_webhook(r);
    if (!wh) {
        reply_error(r, 404, "no webhooks on this server (--webhook-url)");
        return;
    }
    tamis_status st = tamis_webhook_retry(wh, r->params[0]);
    if (st == TAMIS_ERR_NOT_FOUND)
        reply_error(r, 404, "no event %s", r->params[0]);
    else if (st != TAMIS_OK)
        reply_error(r, 400, "%s", tamis_webhook_errmsg(wh));
    else
        reply_json(r, 200, json_pack("{s:s,s:s}", "id", r->params[0], "state", "pending"));
}

/* ---- Lists for the web UI ----------------------------------------------------------- */

void h_me(req *r) {
    reply_json(r, 200, json_pack("{s:s,s:s}", "role", srv_role_names[r->role], "who", r->who));
}

typedef struct {
    json_t *list;
    tamis_order_state state; /* 0: any */
} order_filter;

static int add_order_if(void *ctx, const tamis_order *o) {
    order_filter *f = ctx;
    if (!f->state || o->state == f->state)
        json_array_insert_new(f->list, 0, order_json(o)); /* newest first */
    return 0;
}

void h_orders_list(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    order_filter f = {json_array(), 0};
    const char *s = arg(r, "state");
    if (s && !(f.state = tamis_order_state_from_name(s))) {
        json_decref(f.list);
        reply_error(r, 400, "state is one of received, clarification_requested, "
                            "force_majeure, executed, rejected");
        return;
    }
    tamis_status st = tamis_order_list(db, add_order_if, &f);
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        json_decref(f.list);
        reply_db(r, db, st, "orders");
        return;
    }
    /* the server's time, so that a browser counts down on the server's clock */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    reply_json(r, 200, json_pack("{s:f,s:o}", "now", (double)now.tv_sec + now.tv_nsec * 1e-9,
                                 "orders", f.list));
}

typedef struct {
    json_t *ring[500]; /* the last `limit` kept, oldest overwritten first */
    size_t limit, seen;
    int64_t before;
    const char *bank, *signal_type;
    tamis_action action; /* 0: any */
    int escalated;       /* only escalated ones */
} decision_filter;

static int keep_decision(void *ctx, const tamis_decision *d) {
    decision_filter *f = ctx;
    if (f->before && d->id >= f->before)
        return 1; /* ids ascend: nothing further is older */
    if ((f->bank && (!d->bank || strcmp(f->bank, d->bank) != 0)) ||
        (f->signal_type && (!d->signal_type || strcmp(f->signal_type, d->signal_type) != 0)) ||
        (f->action && d->action != f->action) || (f->escalated && !d->escalated))
        return 0;
    size_t k = f->seen++ % f->limit;
    json_decref(f->ring[k]);
    f->ring[k] = decision_json(d);
    return 0;
}

static void ring_clear(decision_filter *f) {
    for (size_t i = 0; i < f->limit; i++)
        json_decref(f->ring[i]);
}

void h_decisions_list(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    long limit = arg_count(r, "limit", 100, 500);
    int64_t before = limit > 0 ? arg_id(r, "before") : -1;
    if (limit < 0 || before < 0)
        return;
    decision_filter f = {{NULL}, (size_t)limit, 0, before, arg(r, "bank"),
                         arg(r, "signal_type"), 0, 0};
    const char *s = arg(r, "state"), *a = arg(r, "action");
    tamis_decision_state state = 0;
    if (s && strcmp(s, "pending") == 0)
        state = TAMIS_DECISION_PENDING;
    else if (s && strcmp(s, "decided") == 0)
        state = TAMIS_DECISION_DONE;
    else if (s && strcmp(s, "all") != 0) {
        reply_error(r, 400, "state is pending, decided or all");
        return;
    }
    if (a && strcmp(a, "escalate") == 0)
        f.escalated = 1; /* an escalated decision is still pending review */
    else if (a && !(f.action = tamis_action_from_name(a))) {
        reply_error(r, 400, "action is one of remove, disable, review, keep, escalate");
        return;
    }
    tamis_status st = tamis_decision_list(db, state, keep_decision, &f);
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        ring_clear(&f);
        reply_db(r, db, st, "decisions");
        return;
    }
    /* newest first: back from the last one kept */
    json_t *out = json_array();
    size_t n = f.seen < f.limit ? f.seen : f.limit;
    for (size_t i = 0; i < n; i++)
        json_array_append(out, f.ring[(f.seen - 1 - i) % f.limit]);
    ring_clear(&f);
    reply_json(r, 200, json_pack("{s:o}", "decisions", out));
}

static int add_entry(void *ctx, const tamis_audit_entry *e) {
    json_t *detail = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
    json_array_append_new(ctx, json_pack("{s:I,s:f,s:s?,s:s?,s:s?,s:o?,s:s,s:s}", "seq",
                                         (json_int_t)e->seq, "at", (double)e->at_us / 1e6,
                                         "actor", e->actor, "action", e->action, "subject",
                                         e->subject, "detail", detail, "prev_hash", e->prev_hash,
                                         "hash", e->hash));
    return 0;
}

void h_audit_list(req *r) {
    tamis_db *db = db_or_503(r);
    if (!db)
        return;
    long limit = arg_count(r, "limit", 100, 500);
    int64_t after = limit > 0 ? arg_id(r, "after") : -1;
    if (limit < 0 || after < 0)
        return;
    json_t *list = json_array();
    tamis_status st = tamis_audit_list(db, after, (size_t)limit, add_entry, list);
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        json_decref(list);
        reply_db(r, db, st, "audit log");
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "entries", list));
}
