/*
 * match.h - the matcher's parts (internal to lib/match/): matcher.c keeps
 * banks, items and the image and digest indexes; video_match.c the video
 * signals (vPDQ frames in a PDQ index, TMK+PDQF videos in a list).
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

#endif
