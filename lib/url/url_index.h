/* url_index.h - what rpz.c reads of the URL index (internal). */
#ifndef TAMIS_URL_URL_INDEX_H
#define TAMIS_URL_URL_INDEX_H

#include "url.h"

typedef struct tamis__url_domain {
    const char *name; /* canonical, not NUL-terminated; owned by the index */
    size_t len;
} tamis__url_domain;

/* The hosts with a DOMAIN entry that `filter` (NULL: all) keeps, in no
 * order; *out is freed with tamis__free. */
tamis_status tamis__url_index_domains(const tamis_url_index *ix, tamis_url_filter_cb filter,
                                      void *ctx, tamis__url_domain **out, size_t *n);

/* Nonzero if `name` has a DOMAIN entry that `filter` keeps. */
int tamis__url_index_has_domain(const tamis_url_index *ix, const char *name, size_t len,
                                tamis_url_filter_cb filter, void *ctx);

#endif
