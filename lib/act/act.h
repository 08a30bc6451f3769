/*
 * act.h - what lib/act's records share (internal): decisions, notices and
 * complaints are records of the store's records table, a JSON document
 * each; records.c reads, writes and audits them.
 */
#ifndef TAMIS_ACT_H
#define TAMIS_ACT_H

#include <jansson.h>

#include "../common/common.h"
#include "../store/store.h"

int64_t tamis__act_us(double seconds);             /* Unix seconds to microseconds */
const char *tamis__act_gets(json_t *d, const char *k);
int64_t tamis__act_geti(json_t *d, const char *k);

/* An audit entry on record `kind`:`id`, detail (may be NULL) as JSON. */
tamis_status tamis__rec_audit(tamis_db *db, const tamis_clock *clock, const char *actor,
                              const char *action, const char *kind, int64_t id, json_t *detail);
/* Record `id` of `kind` parsed (*doc is the caller's); NOT_FOUND or CORRUPT. */
tamis_status tamis__rec_load(tamis_db *db, const char *kind, int64_t id, json_t **doc);
tamis_status tamis__rec_insert(tamis_db *db, const char *kind, int state, int64_t key,
                               json_t *doc, int64_t *id);
tamis_status tamis__rec_update(tamis_db *db, int64_t id, int state, int64_t key, json_t *doc);

#endif
