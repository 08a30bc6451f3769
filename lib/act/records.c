/*
 * records.c - reading, writing and auditing the records of lib/act (act.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "act.h"

int64_t tamis__act_us(double s) { return (int64_t)llround(s * 1e6); }
const char *tamis__act_gets(json_t *d, const char *k) { return json_string_value(json_object_get(d, k)); }
int64_t tamis__act_geti(json_t *d, const char *k) {
    return (int64_t)json_integer_value(json_object_get(d, k));
}

tamis_status tamis__rec_audit(tamis_db *db, const tamis_clock *clock, const char *actor,
                              const char *action, const char *kind, int64_t id, json_t *detail) {
    char subject[48];
    snprintf(subject, sizeof subject, "%s:%" PRId64, kind, id);
    char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    tamis_status st = tamis_audit_append(db, clock, actor, action, subject, d, NULL);
    free(d);
    return st;
}

typedef struct {
    json_t *doc;
    int found;
} one;

static int take(void *ctx, int64_t id, const char *text) {
    (void)id;
    one *o = ctx;
    o->doc = json_loads(text, 0, NULL);
    o->found = 1;
    return 1;
}

tamis_status tamis__rec_load(tamis_db *db, const char *kind, int64_t id, json_t **doc) {
    one o = {NULL, 0};
    tamis_status st = db->ops->rec_page(db, kind, -1, id, 0, 1, take, &o);
    if (st != TAMIS_OK && st != TAMIS_DONE)
        return st;
    if (!o.doc)
        return tamis__fail(&db->err, o.found ? TAMIS_ERR_CORRUPT : TAMIS_ERR_NOT_FOUND,
                           "no %s %" PRId64, kind, id);
    *doc = o.doc;
    return TAMIS_OK;
}

tamis_status tamis__rec_insert(tamis_db *db, const char *kind, int state, int64_t key, json_t *doc,
                           int64_t *id) {
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    tamis_status st = db->ops->rec_insert(db, kind, state, key, text, id);
    free(text);
    return st;
}

tamis_status tamis__rec_update(tamis_db *db, int64_t id, int state, int64_t key, json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text)
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    tamis_status st = db->ops->rec_update(db, id, state, key, text);
    free(text);
    return st;
}

