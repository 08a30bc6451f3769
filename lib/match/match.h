/*
 * match.h - the matcher's parts (internal to lib/match/): matcher.c keeps
 * banks, items and the image and digest indexes; video_match.c the video
 * signals (vPDQ frames in a PDQ index, TMK+PDQF videos in a list);
 * text_match.c the text and URL signals.
 */
#ifndef TAMIS_MATCH_H
#define TAMIS_MATCH_H

#include <stdint.h>

#include "../common/common.h"

typedef struct tamis__vmatch tamis__vmatch;

tamis_status tamis__vmatch_create(tamis__vmatch **out);
void tamis__vmatch_free(tamis__vmatch *v);

/* Adds a "vpdq" (HMA's JSON form) or "tmk" (base64 of a .tmk file) signal
 * of item id; other types and malformed values are ignored. */
tamis_status tamis__vmatch_add(tamis__vmatch *v, int64_t id, const char *type, const char *value);
void tamis__vmatch_remove(tamis__vmatch *v, const uint64_t *ids, size_t n);
size_t tamis__vmatch_count(const tamis__vmatch *v, const char *type);

/* A matching video: its item and two scores (vPDQ: query and target share
 * in percent; TMK: level-1 and level-2). Nonzero stops the lookup. */
typedef int (*tamis__vmatch_cb)(void *ctx, int64_t id, double s1, double s2);

/* TAMIS_ERR_INVALID when value is not a signal of that type. */
tamis_status tamis__vmatch_lookup_vpdq(const tamis__vmatch *v, const char *value, int distance,
                                       double query_share, double target_share,
                                       tamis__vmatch_cb cb, void *ctx);
tamis_status tamis__vmatch_lookup_tmk(const tamis__vmatch *v, const char *value, float level1,
                                      float level2, tamis__vmatch_cb cb, void *ctx);

tamis_status tamis__vmatch_save(const tamis__vmatch *v, const char *dir);
tamis_status tamis__vmatch_load(tamis__vmatch *v, const char *dir);

/* ---- text_match.c: text_exact, text_near, text_tlsh, url ---------------- */

typedef struct tamis__tmatch tamis__tmatch;

tamis_status tamis__tmatch_create(tamis__tmatch **out);
void tamis__tmatch_free(tamis__tmatch *t);
/* Nonzero for the types it matches (and "text": raw text, looked up as
 * its three signals). */
int tamis__tmatch_handles(const char *type);
tamis_status tamis__tmatch_add(tamis__tmatch *t, int64_t id, const char *type, const char *value);
void tamis__tmatch_remove(tamis__tmatch *t, const uint64_t *ids, size_t n);
size_t tamis__tmatch_count(const tamis__tmatch *t, const char *type);

/* A match of a signal of `type`: TLSH gives a distance, text_near a
 * similarity (score), url the expression or domain that matched. */
typedef int (*tamis__tmatch_cb)(void *ctx, const char *type, int64_t id, int distance,
                                double score, const char *matched);
tamis_status tamis__tmatch_lookup(const tamis__tmatch *t, const char *type, const char *value,
                                  tamis__tmatch_cb cb, void *ctx);

tamis_status tamis__tmatch_save(const tamis__tmatch *t, const char *dir);
tamis_status tamis__tmatch_load(tamis__tmatch *t, const char *dir);

#endif
