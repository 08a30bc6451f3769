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
    if (d.state != TAMIS_DECISION_DONE ||
        (d.action != TAMIS_ACTION_REMOVE && d.action != TAMIS_ACTION_DISABLE)) {
        tamis_decision_clear(&d);
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "decision %" PRId64 " restricts nothing: no statement of reasons", id);
    }
    char facts[1200];
    snprintf(facts, sizeof facts,
             "The content matched item %" PRId64 " of the hash list %s: its %s signal%s%s at "
             "distance %d. %s%s%s",
             d.content_id, d.bank, d.signal_type, d.variant && strcmp(d.variant, "original") != 0
                                                      ? ", variant "
                                                      : "",
             d.variant && strcmp(d.variant, "original") != 0 ? d.variant : "", d.distance,
             d.automated_decision ? "The list is trusted and the match close: the decision was "
                                    "taken automatically under the list's policy."
                                  : "A reviewer decided: ",
             d.automated_decision ? "" : (d.reason ? d.reason : ""),
             d.automated_decision ? "" : ".");
    static const char *const keywords[] = {TAMIS_SOR_KEYWORD_TERRORIST_CONTENT};
    tamis_sor s;
    memset(&s, 0, sizeof s);
    s.visibility = d.action == TAMIS_ACTION_REMOVE ? TAMIS_SOR_VIS_REMOVED : TAMIS_SOR_VIS_DISABLED;
    s.ground = TAMIS_SOR_GROUND_ILLEGAL;
    s.legal_ground = "Regulation (EU) 2021/784 on addressing the dissemination of terrorist "
                     "content online, Art. 2(7)";
    s.ground_explanation = "The content is identical or near-identical to content listed as "
                           "terrorist content in a hash list the provider matches against.";
    s.category = TAMIS_SOR_CATEGORY_TERRORISM;
    s.keywords = keywords;
    s.n_keywords = 1;
    s.content_types = content_types ? content_types : content_of(d.signal_type);
    if (s.content_types & TAMIS_SOR_CONTENT_OTHER)
        s.content_type_other = strcmp(d.signal_type, "url") == 0 ? "link" : "file";
    s.content_date = content_date ? content_date : (int64_t)d.created_at;
    s.application_date = (int64_t)d.decided_at;
    s.decision_facts = facts;
    s.source = TAMIS_SOR_SOURCE_VOLUNTARY;
    s.automated_detection = d.automated_detection;
    s.automated_decision = d.automated_decision ? TAMIS_SOR_FULLY_AUTOMATED
                                                : TAMIS_SOR_NOT_AUTOMATED;
    s.puid = d.puid;
    st = tamis_sor_to_json(&s, json, problem);
    if (st != TAMIS_OK && problem)
        tamis__fail(&db->err, st, "statement of reasons: %s: %s", problem->field, problem->message);
    tamis_decision_clear(&d);
    return st;
}
