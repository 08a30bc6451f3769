/*
 * webhook.h - internal parts of lib/act/webhook.c that its tests and its
 * fuzz target reach: the outbox's record format.
 */
#ifndef TAMIS_ACT_WEBHOOK_H
#define TAMIS_ACT_WEBHOOK_H

#include "../common/common.h"

#define TAMIS__WEBHOOK_URL_MAX 2000

/* One event as its file holds it. Times are Unix microseconds, so that
 * the file's text is exact and needs no locale to read. */
typedef struct tamis__webhook_record {
    char id[TAMIS_WEBHOOK_ID_LEN + 1];
    char type[TAMIS_WEBHOOK_TYPE_MAX + 1];
    int state; /* tamis_webhook_state */
    int attempts;
    int64_t created_us, next_us, last_attempt_us, delivered_us;
    int last_status;
    char last_error[TAMIS_WEBHOOK_ERROR_MAX + 1];
    char target[TAMIS__WEBHOOK_URL_MAX + 1]; /* the URL of the last attempt */
    const char *body; /* the JSON envelope posted; points into the parsed buffer */
    size_t body_len;
} tamis__webhook_record;

/* Parses a record file's `len` bytes. TAMIS_OK, or TAMIS_ERR_CORRUPT with
 * the reason in *why (static). r->body points into `buf`. */
tamis_status tamis__webhook_record_parse(const char *buf, size_t len, tamis__webhook_record *r,
                                         const char **why);

/* Formats `r` as a record file into a buffer the caller frees with
 * tamis__free. Texts are written up to their first control character. */
tamis_status tamis__webhook_record_format(const tamis__webhook_record *r, char **out,
                                          size_t *len);

#endif
