/*
 * notice.c - notices (DSA Art 16) and complaints (TCO Art 10, DSA Art
 * 20): records of kinds "notice" and "complaint" (lib/store's records
 * table), each step in one transaction with its audit entry.
 *
 * A notice is acknowledged at intake, then decided; the outcome sent to
 * the notifier names the decision, its reasons and the redress open to
 * them (DSA Art 16(5), 17(3)(f)). A complaint against a removal is due
 * within two weeks (TCO Art 10(2)); upheld, the content is reinstated.
 * The notifier's contact stays in the record and out of the audit log.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../common/common.h"
#include "../store/store.h"
#include "act.h"

typedef struct {
    void (*fill)(void *out, int64_t id, json_t *doc);
    tamis_notice_cb ncb;   /* one of the two */
    tamis_complaint_cb ccb;
    void (*clear)(void *rec);
    void *ctx;
    int64_t last;
    size_t n;
    int stop;
} walker;

static int visit(void *ctx, int64_t id, const char *text) {
    walker *w = ctx;
    w->last = id;
    w->n++;
    json_t *doc = json_loads(text, 0, NULL);
    if (!doc)
        return 0;
    union {
        tamis_notice n;
        tamis_complaint c;
    } rec;
    w->fill(&rec, id, doc);
    w->stop = w->ncb ? w->ncb(w->ctx, &rec.n) : w->ccb(w->ctx, &rec.c);
    w->clear(&rec);
    return w->stop;
}

static tamis_status walk(tamis_db *db, const char *kind, walker *w) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!w->ncb && !w->ccb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    for (;;) {
        w->n = 0;
        st = db->ops->rec_page(db, kind, -1, 0, w->last, 1000, visit, w);
        if (st == TAMIS_DONE || w->stop)
            return TAMIS_DONE;
        if (st != TAMIS_OK || w->n < 1000)
            return st;
    }
}

/* ---- Notices ------------------------------------------------------------------ */

tamis_status tamis_notice_receive(tamis_db *db, const tamis_clock *clock, const char *actor,
                                  const tamis_notice *n, int64_t *id) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!n || !actor || !n->explanation || !*n->explanation || (!n->puid && !n->locator))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a notice needs the content (puid or locator) and an explanation "
                           "(DSA Art 16(2))");
    if ((st = tamis__check_text(&db->err, "explanation", n->explanation)) ||
        (st = tamis__check_text(&db->err, "puid", n->puid)) ||
        (st = tamis__check_text(&db->err, "locator", n->locator)) ||
        (st = tamis__check_text(&db->err, "notifier", n->notifier)))
        return st;
    int64_t now = tamis__act_us(tamis_clock_now(clock));
    json_t *doc = json_pack("{s:s?,s:s?,s:s,s:b,s:s?,s:i,s:I,s:I}", "puid", n->puid, "locator",
                            n->locator, "explanation", n->explanation, "trusted_flagger",
                            n->trusted_flagger, "notifier", n->notifier, "state",
                            TAMIS_NOTICE_RECEIVED, "received_at_us", (json_int_t)now,
                            "acknowledged_at_us", (json_int_t)now);
    if (!doc)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    int64_t nid = 0;
    if ((st = tamis__db_begin(db)) == TAMIS_OK) {
        st = tamis__rec_insert(db, "notice", TAMIS_NOTICE_RECEIVED, now, doc, &nid);
        json_t *d = json_pack("{s:b}", "trusted_flagger", n->trusted_flagger);
        if (st == TAMIS_OK)
            st = tamis__rec_audit(db, clock, actor, "notice.received", "notice", nid, d);
        json_decref(d);
        st = tamis__db_end(db, st);
    }
    json_decref(doc);
    if (st == TAMIS_OK && id)
        *id = nid;
    return st;
}

tamis_status tamis_notice_decide(tamis_db *db, const tamis_clock *clock, const char *actor,
                                 int64_t id, tamis_action action, const char *reason) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!actor || !reason || !*reason ||
        (action != TAMIS_ACTION_REMOVE && action != TAMIS_ACTION_DISABLE &&
         action != TAMIS_ACTION_KEEP))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a notice is decided remove, disable or keep, with a reason");
    if ((st = tamis__check_text(&db->err, "reason", reason)) != TAMIS_OK ||
        (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    json_t *doc = NULL;
    st = tamis__rec_load(db, "notice", id, &doc);
    if (st == TAMIS_OK && tamis__act_geti(doc, "state") != TAMIS_NOTICE_RECEIVED)
        st = tamis__fail(&db->err, TAMIS_ERR_INVALID, "notice %" PRId64 " is already decided", id);
    if (st == TAMIS_OK) {
        int64_t now = tamis__act_us(tamis_clock_now(clock));
        char outcome[2048];
        snprintf(outcome, sizeof outcome,
                 "Your notice has been decided: %s. Reasons: %.1500s. You may contest this "
                 "decision through our internal complaint-handling system (DSA Art 20), "
                 "before a certified out-of-court dispute settlement body (Art 21), or before "
                 "the courts.",
                 action == TAMIS_ACTION_KEEP ? "the content was not removed"
                 : action == TAMIS_ACTION_REMOVE ? "the content was removed"
                                                 : "access to the content was disabled",
                 reason);
        json_object_set_new(doc, "state", json_integer(TAMIS_NOTICE_DECIDED));
        json_object_set_new(doc, "decided_at_us", json_integer(now));
        json_object_set_new(doc, "action", json_string(tamis_action_name(action)));
        json_object_set_new(doc, "reason", json_string(reason));
        json_object_set_new(doc, "outcome", json_string(outcome));
        st = tamis__rec_update(db, id, TAMIS_NOTICE_DECIDED, now, doc);
    }
    if (st == TAMIS_OK) {
        json_t *d = json_pack("{s:s,s:s}", "action", tamis_action_name(action), "reason", reason);
        st = tamis__rec_audit(db, clock, actor, "notice.decided", "notice", id, d);
        json_decref(d);
    }
    json_decref(doc);
    return tamis__db_end(db, st);
}

static void notice_fill(void *out, int64_t id, json_t *doc) {
    tamis_notice *n = out;
    memset(n, 0, sizeof *n);
    n->id = id;
    n->doc_ = doc;
    n->puid = tamis__act_gets(doc, "puid");
    n->locator = tamis__act_gets(doc, "locator");
    n->explanation = tamis__act_gets(doc, "explanation");
    n->trusted_flagger = json_is_true(json_object_get(doc, "trusted_flagger"));
    n->notifier = tamis__act_gets(doc, "notifier");
    n->state = (tamis_notice_state)tamis__act_geti(doc, "state");
    n->received_at = (double)tamis__act_geti(doc, "received_at_us") / 1e6;
    n->acknowledged_at = (double)tamis__act_geti(doc, "acknowledged_at_us") / 1e6;
    n->decided_at = (double)tamis__act_geti(doc, "decided_at_us") / 1e6;
    n->action = tamis_action_from_name(tamis__act_gets(doc, "action"));
    n->reason = tamis__act_gets(doc, "reason");
    n->outcome = tamis__act_gets(doc, "outcome");
}

void tamis_notice_clear(tamis_notice *n) {
    if (n) {
        json_decref(n->doc_);
        memset(n, 0, sizeof *n);
    }
}

static void notice_clear(void *n) { tamis_notice_clear(n); }

tamis_status tamis_notice_get(tamis_db *db, int64_t id, tamis_notice *out) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK || !out)
        return st ? st : TAMIS_ERR_INVALID;
    json_t *doc;
    if ((st = tamis__rec_load(db, "notice", id, &doc)) == TAMIS_OK)
        notice_fill(out, id, doc);
    return st;
}

tamis_status tamis_notice_list(tamis_db *db, tamis_notice_cb cb, void *ctx) {
    walker w = {notice_fill, cb, NULL, notice_clear, ctx, 0, 0, 0};
    return walk(db, "notice", &w);
}

/* ---- Complaints ------------------------------------------------------------------ */

tamis_status tamis_complaint_receive(tamis_db *db, const tamis_clock *clock, const char *actor,
                                     const tamis_complaint *c, int64_t *id) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!c || !actor || !c->grounds || !*c->grounds ||
        (c->decision_id > 0) == (c->order_id > 0))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a complaint needs its grounds and what it contests: one decision or "
                           "one removal order");
    if ((st = tamis__check_text(&db->err, "grounds", c->grounds)) ||
        (st = tamis__check_text(&db->err, "puid", c->puid)))
        return st;
    /* What it contests must exist, and be a removal. */
    if (c->decision_id > 0) {
        tamis_decision d;
        if ((st = tamis_decision_get(db, c->decision_id, &d)) != TAMIS_OK)
            return st;
        int removal = d.state == TAMIS_DECISION_DONE &&
                      (d.action == TAMIS_ACTION_REMOVE || d.action == TAMIS_ACTION_DISABLE);
        tamis_decision_clear(&d);
        if (!removal)
            return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                               "decision %" PRId64 " removed nothing: nothing to complain of",
                               c->decision_id);
    } else {
        tamis_order o;
        if ((st = tamis_order_get(db, c->order_id, &o)) != TAMIS_OK)
            return st;
        int executed = o.state == TAMIS_ORDER_EXECUTED;
        tamis_order_clear(&o);
        if (!executed)
            return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                               "order %" PRId64 " was not executed: nothing to complain of",
                               c->order_id);
    }
    int64_t now = tamis__act_us(tamis_clock_now(clock));
    int64_t due = now + (int64_t)TAMIS_COMPLAINT_DAYS * 86400 * 1000000;
    json_t *doc = json_pack("{s:I,s:I,s:s?,s:s,s:i,s:I,s:I}", "decision_id",
                            (json_int_t)c->decision_id, "order_id", (json_int_t)c->order_id,
                            "puid", c->puid, "grounds", c->grounds, "state",
                            TAMIS_COMPLAINT_OPEN, "received_at_us", (json_int_t)now, "due_at_us",
                            (json_int_t)due);
    if (!doc)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    int64_t cid = 0;
    if ((st = tamis__db_begin(db)) == TAMIS_OK) {
        st = tamis__rec_insert(db, "complaint", TAMIS_COMPLAINT_OPEN, due, doc, &cid);
        json_t *d = json_pack("{s:I,s:I,s:I}", "decision_id", (json_int_t)c->decision_id,
                              "order_id", (json_int_t)c->order_id, "due_at_us", (json_int_t)due);
        if (st == TAMIS_OK)
            st = tamis__rec_audit(db, clock, actor, "complaint.received", "complaint", cid, d);
        json_decref(d);
        st = tamis__db_end(db, st);
    }
    json_decref(doc);
    if (st == TAMIS_OK && id)
        *id = cid;
    return st;
}

tamis_status tamis_complaint_answer(tamis_db *db, const tamis_clock *clock, const char *actor,
                                    int64_t id, int upheld, const char *answer) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!actor || !answer || !*answer)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a complaint is answered with its reasons (TCO Art 10(2))");
    if ((st = tamis__check_text(&db->err, "answer", answer)) != TAMIS_OK ||
        (st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    json_t *doc = NULL;
    st = tamis__rec_load(db, "complaint", id, &doc);
    if (st == TAMIS_OK && tamis__act_geti(doc, "state") != TAMIS_COMPLAINT_OPEN)
        st = tamis__fail(&db->err, TAMIS_ERR_INVALID, "complaint %" PRId64 " is already answered",
                         id);
    int64_t now = tamis__act_us(tamis_clock_now(clock));
    int state = upheld ? TAMIS_COMPLAINT_UPHELD : TAMIS_COMPLAINT_REJECTED;
    if (st == TAMIS_OK) {
        json_object_set_new(doc, "state", json_integer(state));
        json_object_set_new(doc, "answered_at_us", json_integer(now));
        json_object_set_new(doc, "answer", json_string(answer));
        json_object_set_new(doc, "reinstated", json_boolean(upheld));
        st = tamis__rec_update(db, id, state, now, doc);
    }
    if (st == TAMIS_OK) {
        json_t *d = json_pack("{s:b,s:b}", "upheld", upheld, "in_time",
                              now <= tamis__act_geti(doc, "due_at_us"));
        st = tamis__rec_audit(db, clock, actor, upheld ? "complaint.upheld" : "complaint.rejected",
                   "complaint", id, d);
        json_decref(d);
        /* reinstatement is the platform's to do: it is on record here */
        if (st == TAMIS_OK && upheld)
            st = tamis__rec_audit(db, clock, actor, "content.reinstated", "complaint", id, NULL);
    }
    json_decref(doc);
    return tamis__db_end(db, st);
}

static void complaint_fill(void *out, int64_t id, json_t *doc) {
    tamis_complaint *c = out;
    memset(c, 0, sizeof *c);
    c->id = id;
    c->doc_ = doc;
    c->decision_id = tamis__act_geti(doc, "decision_id");
    c->order_id = tamis__act_geti(doc, "order_id");
    c->puid = tamis__act_gets(doc, "puid");
    c->grounds = tamis__act_gets(doc, "grounds");
    c->state = (tamis_complaint_state)tamis__act_geti(doc, "state");
    c->received_at = (double)tamis__act_geti(doc, "received_at_us") / 1e6;
    c->due_at = (double)tamis__act_geti(doc, "due_at_us") / 1e6;
    c->answered_at = (double)tamis__act_geti(doc, "answered_at_us") / 1e6;
    c->answered_in_time = c->state != TAMIS_COMPLAINT_OPEN &&
                          tamis__act_geti(doc, "answered_at_us") <= tamis__act_geti(doc, "due_at_us");
    c->reinstated = json_is_true(json_object_get(doc, "reinstated"));
    c->answer = tamis__act_gets(doc, "answer");
}

void tamis_complaint_clear(tamis_complaint *c) {
    if (c) {
        json_decref(c->doc_);
        memset(c, 0, sizeof *c);
    }
}

static void complaint_clear(void *c) { tamis_complaint_clear(c); }

tamis_status tamis_complaint_get(tamis_db *db, int64_t id, tamis_complaint *out) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK || !out)
        return st ? st : TAMIS_ERR_INVALID;
    json_t *doc;
    if ((st = tamis__rec_load(db, "complaint", id, &doc)) == TAMIS_OK)
        complaint_fill(out, id, doc);
    return st;
}

tamis_status tamis_complaint_list(tamis_db *db, tamis_complaint_cb cb, void *ctx) {
    walker w = {complaint_fill, NULL, cb, complaint_clear, ctx, 0, 0, 0};
    return walk(db, "complaint", &w);
}
