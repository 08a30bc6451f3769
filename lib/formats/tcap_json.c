/*
 * tcap_json.c - Tech Against Terrorism's hash list (TCAP) as its API
 * serves it: pages {"count", "next", "previous", "checkpoint", "results":
 * [entries]}, each entry {"hash_digest", "algorithm", "ideology",
 * "file_type", "deleted", "updated_on", "created_on", "id"}. A file may
 * hold several pages one after another, an array of entries, or entries
 * alone (json_records.c). An entry with "deleted": true is a tombstone.
 */
#include <jansson.h>
#include <string.h>

#include "formats.h"

static const char *const page_keys[] = {"results", "data", NULL};

/* The ideology as labels: a string, or an array of strings. Returns the
 * JSON text (NULL if there is no ideology), or sets *nomem. */
static char *ideology_labels(json_t *v, int *nomem) {
    *nomem = 0;
    if (json_is_string(v)) {
        json_t *a = json_array();
        char *out = NULL;
        if (!a || json_array_append(a, v) != 0 || !(out = tamis__json_dump(a)))
            *nomem = 1;
        json_decref(a);
        return out;
    }
    char *out = tamis__json_dump(v);
    if (!out)
        *nomem = 1;
    return out;
}

static int is_string_array(const json_t *v) {
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, e) if (!json_is_string(e)) return 0;
    return 1;
}

static int tcap_record(void *ctx, uint64_t pos, json_t *o) {
    const tamis__reader_cb *cb = ctx;
    char q[48], idbuf[32];
    json_t *v;

    const char *value = json_string_value(v = json_object_get(o, "hash_digest"));
    if (!value) {
        tamis__reject(cb, pos, v ? "hash_digest is not a string" : "no hash_digest");
        return 0;
    }
    const char *alg = json_string_value(v = json_object_get(o, "algorithm"));
    if (!alg) {
        tamis__reject(cb, pos, v ? "algorithm is not a string" : "no algorithm");
        return 0;
    }
    const char *type = tamis__signal_type(alg);
    if (!type) {
        tamis__quote(q, alg);
        tamis__reject(cb, pos, "unsupported algorithm \"%s\"", q);
        return 0;
    }
    const char *why = tamis__check_value(type, value);
    if (why) {
        tamis__reject(cb, pos, "%s", why);
        return 0;
    }
    tamis__rec_op op = TAMIS__REC_ADD;
    v = json_object_get(o, "deleted");
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            tamis__reject(cb, pos, "deleted is not true or false");
            return 0;
        }
        if (json_is_true(v))
            op = TAMIS__REC_DELETE;
    }
    const char *id = NULL;
    v = json_object_get(o, "id");
    if (json_is_integer(v)) {
        snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        id = idbuf;
    } else if (json_is_string(v) && *json_string_value(v)) {
        id = json_string_value(v);
    } else if (v && !json_is_null(v) && !json_is_string(v)) {
        tamis__reject(cb, pos, "id is not a number or a string");
        return 0;
    }

    /* What is mapped to a field of the record is left out of the metadata;
     * an ideology or created_on that cannot be read stays in it. */
    const char *skip[8] = {"hash_digest", "algorithm", "deleted", "id"};
    size_t nskip = 4;
    int64_t created = 0;
    if (tamis__json_time(json_object_get(o, "created_on"), &created) == 0)
        skip[nskip++] = "created_on";
    char *labels = NULL;
    int nomem = 0;
    v = json_object_get(o, "ideology");
    if (json_is_string(v) || is_string_array(v)) {
        skip[nskip++] = "ideology";
        labels = ideology_labels(v, &nomem);
    }
    char *meta = nomem ? NULL : tamis__json_meta(o, skip, &nomem);
    if (nomem) {
        tamis__free(labels);
        return TAMIS_ERR_NOMEM;
    }
    tamis__record r = {op, pos, type, value, id, labels, meta, created};
    int stop = cb->record(cb->ctx, &r) != 0;
    tamis__free(labels);
    tamis__free(meta);
    return stop;
}

tamis_status tamis__read_tcap_json(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    return tamis__json_records(in, page_keys, cb, tcap_record, (void *)cb, err);
}
