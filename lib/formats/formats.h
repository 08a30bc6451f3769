/*
 * formats.h - readers of the hash-list formats banks are exchanged in
 * (internal). Each reader parses one format from a FILE in a streaming way
 * (bounded memory whatever the file's size) and hands out one record per
 * row; a malformed row is rejected with its position and a reason, and
 * reading goes on. lib/store/import.c turns records into bank items.
 *
 * One file per format: hma_local.c, hashlist_import.c, pytx_csv.c,
 * tcap_json.c, ncmec_xml.c, stopncii_json.c; sniff.c guesses the format.
 */
#ifndef TAMIS_FORMATS_H
#define TAMIS_FORMATS_H

#include <stdint.h>
#include <stdio.h>

#include "../common/common.h"

/* What a row asks for. */
typedef enum {
    TAMIS__REC_ADD = 1,   /* add an item with this signal */
    TAMIS__REC_DELETE = 2 /* a tombstone: remove the items with this signal */
} tamis__rec_op;

/* One row. Strings are valid only during the callback; NULL when absent.
 * `type` is tamis's signal type name ("pdq", "md5", "sha256", "vpdq",
 * "tmk", "text", "url"...), mapped from the format's own names (e.g.
 * pytx "HASH_PDQ", TCAP "PDQ", StopNCII "PDQ"/"MD5"); `value` as in the
 * file (the importer checks and normalises it). */
typedef struct tamis__record {
    tamis__rec_op op;
    uint64_t position;      /* line, or record number for JSON/XML */
    const char *type;
    const char *value;
    const char *external_id;/* the list's own id for the item, if any */
    const char *labels;     /* JSON array of strings (tags, ideology...) */
    const char *metadata;   /* JSON object of the other fields kept */
    int64_t created;        /* Unix seconds, 0 if unknown */
} tamis__record;

typedef struct tamis__reader_cb {
    /* A record; return nonzero to stop reading (then the reader returns
     * TAMIS_DONE). */
    int (*record)(void *ctx, const tamis__record *r);
    /* A row that could not be read: its position and why. */
    void (*reject)(void *ctx, uint64_t position, const char *why);
    void *ctx;
} tamis__reader_cb;

/* Each reader returns TAMIS_OK at the end of the input, TAMIS_DONE if the
 * callback stopped it, or an error for a failure that ends the whole read
 * (I/O error, or the file as a whole is not in the format), with a message
 * in err. Row-level problems are rejects, not errors. */
typedef tamis_status (*tamis__reader_fn)(FILE *in, const tamis__reader_cb *cb,
                                         tamis__err *err);

tamis_status tamis__read_hma_local(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_hashlist(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_pytx_csv(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_tcap_json(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_ncmec_xml(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_stopncii_json(FILE *in, const tamis__reader_cb *cb,
                                       tamis__err *err);

/* Guesses the format from the first bytes of `in` (then rewinds it with
 * ungetc-free peeking: the caller passes the first bytes it has read). */
tamis_import_format tamis__sniff_import(const char *head, size_t len);

/* The reader for a format (NULL for AUTO or unknown). */
tamis__reader_fn tamis__reader_for(tamis_import_format f);

/* Writers for export: one item's signal per call. */
typedef struct tamis__writer tamis__writer;

#endif
