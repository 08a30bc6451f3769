/*
 * statement.c - a decision's statement of reasons (DSA Art 17, 24(5)):
 * what tamis knows of the decision (decision.c) put in the Transparency
 * Database's terms (sor.c), with the facts that make it explainable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../common/common.h"
#include "../store/store.h"

static unsigned content_of(const char *type) {
    if (!type)
        return TAMIS_SOR_CONTENT_OTHER;
    if (strcmp(type, "pdq") == 0)
        return TAMIS_SOR_CONTENT_IMAGE;
    if (strcmp(type, "vpdq") == 0 || strcmp(type, "tmk") == 0)
        return TAMIS_SOR_CONTENT_VIDEO;
    if (strncmp(type, "text", 4) == 0)
        return TAMIS_SOR_CONTENT_TEXT;
    return TAMIS_SOR_CONTENT_OTHER; /* a file's digest, a link */
}

/* Fills s from decision d; facts is the buffer its decision_facts uses. */
/* The database wants puid unique per statement, and one piece of content
 * may get several decisions: the statement's puid is the content's and
 * the decision's id. */
#define PUID_MAX 560

static void build(const tamis_decision *d, unsigned content_types, int64_t content_date,
                  char *facts, size_t cap, char *puid, tamis_sor *s) {
    /* at most the database's 500 characters: the content's puid is cut so
     * that "-ID" fits, never the decision id that keeps it unique */
    char suffix[24];
    int n = snprintf(suffix, sizeof suffix, "-%" PRId64, d->id);
    snprintf(puid, PUID_MAX, "%.*s%s", 500 - n, d->puid ? d->puid : "", suffix);
    static const char *const keywords[] = {TAMIS_SOR_KEYWORD_TERRORIST_CONTENT};
    int variant = d->variant && strcmp(d->variant, "original") != 0;
    snprintf(facts, cap,
             "The content matched item %" PRId64 " of the hash list %s: its %s signal%s%s at "
             "distance %d. %s%s%s",
             d->content_id, d->bank, d->signal_type, variant ? ", variant " : "",
             variant ? d->variant : "", d->distance,
             d->automated_decision ? "The list is trusted and the match close: the decision was "
                                     "taken automatically under the list's policy."
                                   : "A reviewer decided: ",
             d->automated_decision ? "" : (d->reason ? d->reason : ""),
             d->automated_decision ? "" : ".");
    memset(s, 0, sizeof *s);
    s->visibility = d->action == TAMIS_ACTION_REMOVE ? TAMIS_SOR_VIS_REMOVED : TAMIS_SOR_VIS_DISABLED;
    s->ground = TAMIS_SOR_GROUND_ILLEGAL;
    s->legal_ground = "Regulation (EU) 2021/784 on addressing the dissemination of terrorist "
                      "content online, Art. 2(7)";
    s->ground_explanation = "The content is identical or near-identical to content listed as "
                            "terrorist content in a hash list the provider matches against.";
    s->category = TAMIS_SOR_CATEGORY_TERRORISM;
    s->keywords = keywords;
    s->n_keywords = 1;
    s->content_types = content_types ? content_types : content_of(d->signal_type);
    if (s->content_types & TAMIS_SOR_CONTENT_OTHER)
        s->content_type_other = d->signal_type && strcmp(d->signal_type, "url") == 0 ? "link" : "file";
    s->content_date = content_date ? content_date : (int64_t)d->created_at;
    s->application_date = (int64_t)d->decided_at;
    s->decision_facts = facts;
    s->source = TAMIS_SOR_SOURCE_VOLUNTARY;
    s->automated_detection = d->automated_detection;
    s->automated_decision = d->automated_decision ? TAMIS_SOR_FULLY_AUTOMATED
                                                  : TAMIS_SOR_NOT_AUTOMATED;
    s->puid = puid;
}

static int restricts(const tamis_decision *d) {
    return d->state == TAMIS_DECISION_DONE &&
           (d->action == TAMIS_ACTION_REMOVE || d->action == TAMIS_ACTION_DISABLE);
}

tamis_status tamis_decision_statement(tamis_db *db, int64_t id, unsigned content_types,
                                      int64_t content_date, char **json,
                                      tamis_sor_problem *problem) {
    if (!json)
        return TAMIS_ERR_INVALID;
    *json = NULL;
    tamis_decision d;
    tamis_status st = tamis_decision_get(db, id, &d);
    if (st != TAMIS_OK)
        return st;
    if (!restricts(&d)) {
        tamis_decision_clear(&d);
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "decision %" PRId64 " restricts nothing: no statement of reasons", id);
    }
    char facts[1200], puid[PUID_MAX];
    tamis_sor s;
    build(&d, content_types, content_date, facts, sizeof facts, puid, &s);
    st = tamis_sor_to_json(&s, json, problem);
    if (st != TAMIS_OK && problem)
        tamis__fail(&db->err, st, "statement of reasons: %s: %s", problem->field, problem->message);
    tamis_decision_clear(&d);
    return st;
}

/* ---- Batches for the database's multiple-statements endpoint ----------------- */

static char *dup(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *c = tamis__malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

typedef struct {
    int64_t after;
    tamis_decision d[TAMIS_SOR_BATCH_MAX];
    char facts[TAMIS_SOR_BATCH_MAX][1200];
    char puid[TAMIS_SOR_BATCH_MAX][PUID_MAX];
    tamis_sor s[TAMIS_SOR_BATCH_MAX];
    size_t n;
    int64_t last;
} batcher;

static int gather(void *ctx, const tamis_decision *d) {
    batcher *b = ctx;
    if (d->id <= b->after || !restricts(d))
        return 0;
    /* copy: the callback's strings live only during the call */
    tamis_decision *c = &b->d[b->n];
    *c = *d;
    c->doc_ = NULL;
    c->puid = dup(d->puid);
    c->bank = dup(d->bank);
    c->signal_type = dup(d->signal_type);
    c->variant = dup(d->variant);
    c->reason = dup(d->reason);
    b->last = d->id;
    return ++b->n == TAMIS_SOR_BATCH_MAX;
}

tamis_status tamis_decision_statements(tamis_db *db, int64_t after, char **json, int64_t *last,
                                       size_t *count, size_t *skipped,
                                       tamis_sor_problem *problem) {
    if (!json || !last || !count || !skipped)
        return TAMIS_ERR_INVALID;
    *json = NULL;
    *count = 0;
    *skipped = 0;
    *last = after;
    batcher *b = tamis__calloc(1, sizeof *b);
    if (!b)
        return TAMIS_ERR_NOMEM;
    b->after = after;
    tamis_status st = tamis_decision_list(db, TAMIS_DECISION_DONE, gather, b);
    if (st == TAMIS_DONE)
        st = TAMIS_OK;
    /* A statement that breaks the rules (a reviewer's reason with an
     * e-mail address...) is left out and counted, not allowed to block
     * the others; the first one's problem is reported. */
    size_t keep = 0;
    tamis_sor_problem first;
    memset(&first, 0, sizeof first);
    for (size_t i = 0; i < b->n; i++) {
        tamis_sor_problem p;
        build(&b->d[i], 0, 0, b->facts[keep], sizeof b->facts[keep], b->puid[keep], &b->s[keep]);
        if (tamis_sor_validate(&b->s[keep], &p) == TAMIS_OK) {
            keep++;
        } else {
            if (!*skipped)
                first = p;
            ++*skipped;
        }
    }
    if (problem)
        *problem = first;
    if (st == TAMIS_OK && keep)
        st = tamis_sor_batch_to_json(b->s, keep, json, NULL);
    if (st == TAMIS_OK) {
        *count = keep;
        *last = b->n ? b->last : after;
    }
    for (size_t i = 0; i < b->n; i++) {
        tamis__free((char *)b->d[i].puid);
        tamis__free((char *)b->d[i].bank);
        tamis__free((char *)b->d[i].signal_type);
        tamis__free((char *)b->d[i].variant);
        tamis__free((char *)b->d[i].reason);
    }
    tamis__free(b);
    return st;
}
