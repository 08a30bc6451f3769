/*
 * decision.c - what a match leads to: the bank's policy, automated
 * decisions, and the review queue where humans decide doubtful cases.
 *
 * A decision is a record of kind "decision" (a JSON document, state and
 * claim expiry as columns). A claim is a lease: the write transaction
 * serialises claims, so two reviewers cannot both hold one decision.
 * Every step writes its audit entry in the same transaction.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../common/common.h"
#include "../store/store.h"
#include "act.h"

#define KIND "decision"



const char *tamis_action_name(tamis_action a) {
    static const char *const names[] = {"none", "remove", "disable", "review", "keep", "escalate"};
    return a >= TAMIS_ACTION_NONE && a <= TAMIS_ACTION_ESCALATE ? names[a] : "?";
}

tamis_action tamis_action_from_name(const char *s) {
    for (int a = TAMIS_ACTION_NONE; a <= TAMIS_ACTION_ESCALATE; a++)
        if (s && strcmp(s, tamis_action_name((tamis_action)a)) == 0)
            return (tamis_action)a;
    return TAMIS_ACTION_NONE;
}

/* ---- Policy --------------------------------------------------------------- */

/* The limit obj gives `type`, if an integer; kept as json_int_t, so that
 * one beyond int's range (4294967296: any distance) is not wrapped around
 * (to 0) when compared with a distance. */
static int limit_for(json_t *obj, const char *type, json_int_t *out) {
    json_t *v = json_object_get(obj, type);
    if (!json_is_integer(v))
        return 0;
    *out = json_integer_value(v);
    return 1;
}

tamis_status tamis_policy_decide(const char *policy, const char *signal_type, int distance,
                                 tamis_action *out) {
    if (!out || !signal_type)
        return TAMIS_ERR_INVALID;
    *out = TAMIS_ACTION_REVIEW; /* no policy: humans decide */
    if (!policy)
        return TAMIS_OK;
    json_t *p = json_loads(policy, 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return TAMIS_ERR_INVALID;
    }
    json_int_t lim;
    json_t *auto_ = json_object_get(p, "auto"), *review = json_object_get(p, "review");
    const char *act = json_string_value(json_object_get(p, "action"));
    tamis_action a = act && strcmp(act, "disable") == 0 ? TAMIS_ACTION_DISABLE
                                                         : TAMIS_ACTION_REMOVE;
    if (json_is_true(json_object_get(p, "trusted")) && limit_for(auto_, signal_type, &lim) &&
        distance <= lim)
        *out = a;
    else if (limit_for(review, signal_type, &lim))
        *out = distance <= lim ? TAMIS_ACTION_REVIEW : TAMIS_ACTION_NONE;
    else if (json_is_object(review) || json_is_object(auto_))
        *out = TAMIS_ACTION_REVIEW; /* a type the policy does not name: to review */
    json_decref(p);
    return TAMIS_OK;
}

/* ---- Records ---------------------------------------------------------------- */

/* The reviewer's browser loads this address: only the web's own schemes,
 * so that no javascript:, data: or file: address reaches a page. */
static int media_url_ok(const char *u) {
    size_t n = strlen(u);
    if (n > 2048 || !(strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
            return 0;
    return n > 8;
}

tamis_status tamis_decision_record(tamis_db *db, const tamis_clock *clock, const char *actor,
                                   const tamis_decision *d, int64_t *id, tamis_action *action) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!d || !actor || !d->bank || !d->signal_type || !d->puid || !*d->puid)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a decision needs the content's puid, the bank and the signal type");
    if ((st = tamis__check_text(&db->err, "puid", d->puid)) != TAMIS_OK)
        return st;
    if (d->media_url && !media_url_ok(d->media_url))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "media_url must be an http or https URL of at most 2048 bytes, "
                           "without spaces or control characters");
    tamis_bank b;
    memset(&b, 0, sizeof b);
    if ((st = tamis_db_bank_get(db, d->bank, &b)) != TAMIS_OK)
        return st;
    tamis_action a;
    st = tamis_policy_decide(b.policy, d->signal_type, d->distance, &a);
    tamis_bank_clear(&b);
    if (st != TAMIS_OK)
        return tamis__fail(&db->err, st, "bank %s has a policy that is not a JSON object", d->bank);
    if (action)
        *action = a;
    if (a == TAMIS_ACTION_NONE)
        return TAMIS_DONE;
    int automated = a != TAMIS_ACTION_REVIEW;
    int64_t now = tamis__act_us(tamis_clock_now(clock));
    json_t *doc = json_pack("{s:s,s:s,s:I,s:s,s:s,s:i,s:s,s:i,s:b,s:b,s:I,s:I}", "puid", d->puid,
                            "bank", d->bank, "content_id", (json_int_t)d->content_id,
                            "signal_type", d->signal_type, "variant",
                            d->variant ? d->variant : "original", "distance", d->distance,
                            "action", tamis_action_name(a), "state",
                            automated ? TAMIS_DECISION_DONE : TAMIS_DECISION_PENDING,
                            "automated_detection", 1, "automated_decision", automated,
                            "created_at_us", (json_int_t)now, "decided_at_us",
                            (json_int_t)(automated ? now : 0));
    if (doc && d->media_url &&
        json_object_set_new(doc, "media_url", json_string(d->media_url)) != 0) {
        json_decref(doc);
        doc = NULL;
    }
    if (!doc)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    int64_t rid = 0;
    if ((st = tamis__db_begin(db)) == TAMIS_OK) {
        st = tamis__rec_insert(db, KIND, automated ? TAMIS_DECISION_DONE : TAMIS_DECISION_PENDING,
                               0, doc, &rid);
        if (st == TAMIS_OK)
            st = tamis__rec_audit(db, clock, actor,
                                  automated ? "decision.automated" : "decision.queued", KIND, rid,
                                  doc);
        st = tamis__db_end(db, st);
    }
    json_decref(doc);
    if (st == TAMIS_OK && id)
        *id = rid;
    return st;
}

static void fill(tamis_decision *o, int64_t id, json_t *doc) {
    memset(o, 0, sizeof *o);
    o->id = id;
    o->doc_ = doc;
    o->puid = tamis__act_gets(doc, "puid");
    o->bank = tamis__act_gets(doc, "bank");
    o->content_id = tamis__act_geti(doc, "content_id");
    o->signal_type = tamis__act_gets(doc, "signal_type");
    o->variant = tamis__act_gets(doc, "variant");
    o->distance = (int)tamis__act_geti(doc, "distance");
    o->action = tamis_action_from_name(tamis__act_gets(doc, "action"));
    o->state = (tamis_decision_state)tamis__act_geti(doc, "state");
    o->automated_detection = json_is_true(json_object_get(doc, "automated_detection"));
    o->automated_decision = json_is_true(json_object_get(doc, "automated_decision"));
    o->claimed_by = tamis__act_gets(doc, "claimed_by");
    o->claimed_until = (double)tamis__act_geti(doc, "claimed_until_us") / 1e6;
    o->reviewer = tamis__act_gets(doc, "reviewer");
    o->reason = tamis__act_gets(doc, "reason");
    o->created_at = (double)tamis__act_geti(doc, "created_at_us") / 1e6;
    o->decided_at = (double)tamis__act_geti(doc, "decided_at_us") / 1e6;
    o->escalated = json_is_true(json_object_get(doc, "escalated"));
    o->media_url = tamis__act_gets(doc, "media_url");
}

void tamis_decision_clear(tamis_decision *d) {
    if (d) {
        json_decref(d->doc_);
        memset(d, 0, sizeof *d);
    }
}

tamis_status tamis_decision_get(tamis_db *db, int64_t id, tamis_decision *out) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK || !out)
        return st ? st : TAMIS_ERR_INVALID;
    json_t *doc;
    if ((st = tamis__rec_load(db, KIND, id, &doc)) != TAMIS_OK)
        return st;
    fill(out, id, doc);
    return TAMIS_OK;
}

typedef struct {
    tamis_decision_cb cb;
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
    tamis_decision d;
    fill(&d, id, doc);
    w->stop = w->cb(w->ctx, &d);
    tamis_decision_clear(&d);
    return w->stop;
}

tamis_status tamis_decision_list(tamis_db *db, tamis_decision_state state, tamis_decision_cb cb,
                                 void *ctx) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!cb)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no callback");
    walker w = {cb, ctx, 0, 0, 0};
    for (;;) {
        w.n = 0;
        st = db->ops->rec_page(db, KIND, state ? (int)state : -1, 0, w.last, 1000, visit, &w);
        if (st == TAMIS_DONE || w.stop)
            return TAMIS_DONE;
        if (st != TAMIS_OK || w.n < 1000)
            return st;
    }
}

/* ---- Review ------------------------------------------------------------------ */

/* Whether `reviewer` may act on doc now: pending, and unclaimed, claimed
 * by them, or claimed by someone whose lease ran out. */
static tamis_status may_take(tamis_db *db, json_t *doc, int64_t id, const char *reviewer,
                             int64_t now) {
    if (tamis__act_geti(doc, "state") != TAMIS_DECISION_PENDING)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "decision %" PRId64 " is already decided",
                           id);
    const char *holder = tamis__act_gets(doc, "claimed_by");
    if (holder && strcmp(holder, reviewer) != 0 && tamis__act_geti(doc, "claimed_until_us") > now)
        return tamis__fail(&db->err, TAMIS_ERR_EXISTS, "decision %" PRId64 " is claimed by %s",
                           id, holder);
    return TAMIS_OK;
}

tamis_status tamis_review_claim(tamis_db *db, const tamis_clock *clock, const char *reviewer,
                                int64_t id, double lease) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!reviewer || !*reviewer || !(lease > 0))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "a claim needs a reviewer and a lease");
    if ((st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    json_t *doc = NULL;
    int64_t now = tamis__act_us(tamis_clock_now(clock));
    st = tamis__rec_load(db, KIND, id, &doc);
    if (st == TAMIS_OK)
        st = may_take(db, doc, id, reviewer, now);
    if (st == TAMIS_OK) {
        json_object_set_new(doc, "claimed_by", json_string(reviewer));
        json_object_set_new(doc, "claimed_until_us", json_integer(now + tamis__act_us(lease)));
        st = tamis__rec_update(db, id, (int)tamis__act_geti(doc, "state"), tamis__act_geti(doc, "claimed_until_us"), doc);
    }
    if (st == TAMIS_OK)
        st = tamis__rec_audit(db, clock, reviewer, "review.claimed", KIND, id, NULL);
    json_decref(doc);
    return tamis__db_end(db, st);
}

tamis_status tamis_review_decide(tamis_db *db, const tamis_clock *clock, const char *reviewer,
                                 int64_t id, tamis_action action, const char *reason,
                                 int false_positive) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!reviewer || !*reviewer || !reason || !*reason)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "a review needs a reviewer and a reason");
    if (action != TAMIS_ACTION_REMOVE && action != TAMIS_ACTION_DISABLE &&
        action != TAMIS_ACTION_KEEP && action != TAMIS_ACTION_ESCALATE)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a reviewer removes, disables, keeps or escalates");
    if (false_positive && action != TAMIS_ACTION_KEEP)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "a false positive is kept, not actioned");
    if ((st = tamis__check_text(&db->err, "reason", reason)) != TAMIS_OK)
        return st;
    if ((st = tamis__db_begin(db)) != TAMIS_OK)
        return st;
    json_t *doc = NULL;
    int64_t now = tamis__act_us(tamis_clock_now(clock));
    st = tamis__rec_load(db, KIND, id, &doc);
    if (st == TAMIS_OK)
        st = may_take(db, doc, id, reviewer, now);
    if (st == TAMIS_OK && !tamis__act_gets(doc, "claimed_by"))
        st = tamis__fail(&db->err, TAMIS_ERR_INVALID, "claim decision %" PRId64 " first", id);
    if (st == TAMIS_OK) {
        json_object_set_new(doc, "reason", json_string(reason));
        json_object_set_new(doc, "reviewer", json_string(reviewer));
        json_object_del(doc, "claimed_by");
        json_object_set_new(doc, "claimed_until_us", json_integer(0));
        if (action == TAMIS_ACTION_ESCALATE) {
            json_object_set_new(doc, "escalated", json_true());
        } else {
            json_object_set_new(doc, "action", json_string(tamis_action_name(action)));
            json_object_set_new(doc, "state", json_integer(TAMIS_DECISION_DONE));
            json_object_set_new(doc, "decided_at_us", json_integer(now));
            json_object_set_new(doc, "false_positive", json_boolean(false_positive));
        }
        st = tamis__rec_update(db, id, (int)tamis__act_geti(doc, "state"), tamis__act_geti(doc, "claimed_until_us"), doc);
    }
    /* Feedback to the bank: a false positive's item stops matching. */
    if (st == TAMIS_OK && false_positive) {
        tamis_content c;
        memset(&c, 0, sizeof c);
        st = tamis_db_content_get(db, tamis__act_geti(doc, "content_id"), &c);
        if (st == TAMIS_OK) {
            c.disabled_until = INT64_MAX; /* for ever, as HMA's disable_until_ts 0 */
            st = tamis_db_content_update(db, &c);
            tamis_content_clear(&c);
        }
    }
    if (st == TAMIS_OK) {
        json_t *d = json_pack("{s:s,s:s,s:b}", "action", tamis_action_name(action), "reason", reason,
                              "false_positive", false_positive);
        st = tamis__rec_audit(db, clock, reviewer,
                              action == TAMIS_ACTION_ESCALATE ? "review.escalated" : "review.decided",
                              KIND, id, d);
        json_decref(d);
    }
    json_decref(doc);
    return tamis__db_end(db, st);
}
