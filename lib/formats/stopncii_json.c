/*
 * stopncii_json.c - StopNCII's FetchHashes pages: {"count",
 * "nextPageToken", "nextSetTimestamp", "hasMoreRecords", "hashRecords":
 * [records]}, each record {"hashValue", "signalType" (ImagePDQ, VideoMD5,
 * VideoTMK, Text, URL), "hashStatus" (Received, Active, Withdrawn,
 * Deleted), "lastModtimestamp", "caseNumbers", "CSPFeedbacks"}. As HMA
 * does, Withdrawn and Deleted are tombstones and every other status an
 * add. Pages may follow one another in a file (json_records.c).
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "formats.h"

static const char *const page_keys[] = {"hashRecords", "results", "data", NULL};

static int stopncii_record(void *ctx, uint64_t pos, json_t *o) {
    const tamis__reader_cb *cb = ctx;
    char q[48];
    json_t *v;

    const char *value = json_string_value(v = json_object_get(o, "hashValue"));
    if (!value) {
        tamis__reject(cb, pos, v ? "hashValue is not a string" : "no hashValue");
        return 0;
    }
    const char *name = json_string_value(v = json_object_get(o, "signalType"));
    if (!name) {
        tamis__reject(cb, pos, v ? "signalType is not a string" : "no signalType");
        return 0;
    }
    const char *type = tamis__signal_type(name);
    if (!type) {
        tamis__quote(q, name);
        tamis__reject(cb, pos, "unsupported signalType \"%s\"", q);
        return 0;
    }
    const char *why = tamis__check_value(type, value);
    if (why) {
        tamis__reject(cb, pos, "%s", why);
        return 0;
    }
    tamis__rec_op op = TAMIS__REC_ADD;
    v = json_object_get(o, "hashStatus");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            tamis__reject(cb, pos, "hashStatus is not a string");
            return 0;
        }
        if (!strcasecmp(json_string_value(v), "Deleted") ||
            !strcasecmp(json_string_value(v), "Withdrawn"))
            op = TAMIS__REC_DELETE;
    }

    /* hashStatus stays in the metadata: Received and Active both add. */
    const char *skip[4] = {"hashValue", "signalType"};
    int64_t created = 0;
    if (tamis__json_time(json_object_get(o, "lastModtimestamp"), &created) == 0)
        skip[2] = "lastModtimestamp";
    int nomem;
    char *meta = tamis__json_meta(o, skip, &nomem);
    if (nomem)
        return TAMIS_ERR_NOMEM;
    tamis__record r = {op, pos, type, value, NULL, NULL, meta, created};
    int stop = cb->record(cb->ctx, &r) != 0;
    tamis__free(meta);
    return stop;
}

tamis_status tamis__read_stopncii_json(FILE *in, const tamis__reader_cb *cb,
                                       tamis__err *err) {
    return tamis__json_records(in, page_keys, cb, stopncii_record, (void *)cb, err);
}
