/*
 * formats.h - readers of the hash-list formats banks are exchanged in
 * (internal). Each reader parses one format from a FILE in a streaming way
 * (bounded memory whatever the file's size) and hands out one record per
 * row; a malformed row is rejected with its position and a reason, and
 * reading goes on. lib/store/import.c turns records into bank items.
 *
 * One file per format: hma_local.c, hashlist_import.c, pytx_csv.c,
 * tcap_json.c, ncmec_xml.c, stopncii_json.c, video_files.c (vPDQ and
 * .tmk files); sniff.c guesses the format;
 * fields.c, lines.c, csv.c and json_records.c hold what they share.
 * doc/formats.md says what each reads and how it maps.
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
 * "tmk", "text", "url"), mapped from the format's own names (e.g. pytx
 * "HASH_PDQ", TCAP "PDQ", StopNCII "ImagePDQ"; tamis__signal_type); `value`
 * as in the file (the importer normalises it; the readers only refuse
 * values that cannot be a hash of that type, such as non-hex digits).
 *
 * Two cases an importer must know about:
 *   - One entry of a file may carry several signals (an NCMEC entry has an
 *     MD5 and a PDQ): it gives one record per signal, with the same
 *     position and external_id, one after the other.
 *   - A tombstone may name the item by external_id alone, with type and
 *     value NULL (an NCMEC deletedImage has only the entry's id): it
 *     removes the items with that external_id. */
typedef struct tamis__record {
    tamis__rec_op op;
    uint64_t position;      /* line, or record number for JSON/XML (from 1) */
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
    /* A row that could not be read: its position and why (a short
     * printable-ASCII text, valid during the call). May be NULL. */
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
/* video_files.c: one video's hash file, one record */
tamis_status tamis__read_vpdq_text(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_tmk(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
/* lists.c: one URL or domain a line; one text a line */
tamis_status tamis__read_url_list(FILE *in, const tamis__reader_cb *cb, tamis__err *err);
tamis_status tamis__read_text_lines(FILE *in, const tamis__reader_cb *cb, tamis__err *err);

/* Guesses the format from the first bytes of a file (the caller reads
 * them, then rewinds or hands them to the reader again; 4 KiB is plenty).
 * Returns TAMIS_IMPORT_AUTO when it cannot tell. */
tamis_import_format tamis__sniff_import(const char *head, size_t len);

/* The reader for a format (NULL for AUTO or unknown). */
tamis__reader_fn tamis__reader_for(tamis_import_format f);

/* Writers for export: one item's signal per call. */
typedef struct tamis__writer tamis__writer;

/* ---- Limits ------------------------------------------------------------
 * What one row may hold, so that a hostile file cannot make a reader grow
 * its memory without bound: a longer row is rejected and skipped. */
#define TAMIS__IMPORT_LINE_MAX (64 * 1024)    /* a text line, a CSV row */
#define TAMIS__IMPORT_RECORD_MAX (256 * 1024) /* a JSON record, an XML entry */

/* ---- Helpers the readers share (fields.c, lines.c, csv.c, json_records.c)
 */

/* tamis's signal type for a format's name of it (case and '-', '_', '+'
 * ignored: "HASH_PDQ", "ImagePDQ", "video_md5", "TMK+PDQF"...), or NULL
 * for a type tamis does not match on (SHA-1, PhotoDNA, TLSH...). */
const char *tamis__signal_type(const char *name);

/* NULL if `value` can be a signal of tamis type `type` (exact hex length
 * for pdq, md5 and sha256; not empty for the others), else the reason. */
const char *tamis__check_value(const char *type, const char *value);

/* Nonzero if the len bytes at s are valid UTF-8 without NUL. */
int tamis__utf8_valid(const char *s, size_t len);

/* Parses an ISO 8601 / RFC 3339 time ("2024-01-31", "2024-01-31T10:00:00Z",
 * "...T10:00:00.5+02:00", "...+0000", a space for 'T'; UTC when no zone is
 * given) into Unix seconds. Returns 0 on success, -1 if it is not one. */
int tamis__parse_time(const char *s, int64_t *out);

/* Copies at most 40 characters of s into out (which holds 48) for a
 * reject reason, with anything but printable ASCII replaced by '?'. */
void tamis__quote(char out[48], const char *s);

/* Reports a reject with a formatted reason. */
void tamis__reject(const tamis__reader_cb *cb, uint64_t position, const char *fmt, ...)
    TAMIS__PRINTF(3, 4);

/* Lines of a text file, each at most `max` bytes, without "\n" or "\r\n"
 * (and without a UTF-8 byte-order mark on the first). */
typedef struct tamis__lines {
    FILE *in;
    char *buf;       /* max + 1 bytes: the line, NUL-terminated */
    size_t max;
    uint64_t number; /* of the line last read, from 1 */
} tamis__lines;

tamis_status tamis__lines_init(tamis__lines *l, FILE *in, size_t max);
void tamis__lines_free(tamis__lines *l);
/* TAMIS_OK with the line in l->buf (*len bytes; it may hold NUL bytes);
 * TAMIS_DONE at the end; TAMIS_ERR_TOO_LARGE for a line over max, which
 * is skipped (l->number is its number); TAMIS_ERR_IO on a read error. */
tamis_status tamis__lines_next(tamis__lines *l, size_t *len);

/* RFC 4180 CSV (csv.c): fields separated by ',', rows by "\r\n" or "\n";
 * a field in double quotes may hold commas, newlines and "" for a quote. */
#define TAMIS__CSV_MAX_FIELDS 64

typedef struct tamis__csv {
    FILE *in;
    char *buf;          /* the row's fields, each NUL-terminated */
    size_t max;         /* bytes of field text a row may hold */
    size_t nfields;
    const char *field[TAMIS__CSV_MAX_FIELDS];
    uint64_t line;      /* lines read so far */
    uint64_t row_line;  /* the line the last row began on, from 1 */
} tamis__csv;

tamis_status tamis__csv_init(tamis__csv *c, FILE *in, size_t max);
void tamis__csv_free(tamis__csv *c);
/* Reads the next row, skipping blank lines. TAMIS_OK with the fields;
 * TAMIS_DONE at the end; for a row that is skipped, TAMIS_ERR_CORRUPT
 * (bad quoting, a NUL byte) or TAMIS_ERR_TOO_LARGE (over max bytes or
 * TAMIS__CSV_MAX_FIELDS fields) with the reason in *why; TAMIS_ERR_IO. */
tamis_status tamis__csv_next(tamis__csv *c, const char **why);

/* JSON (json_records.c). The readers use jansson; these take its json_t. */
struct json_t;

/* The compact JSON text of j in memory from tamis__malloc, or NULL if
 * out of memory. */
char *tamis__json_dump(const struct json_t *j);

/* Reads a file of JSON pages one record at a time, never holding more
 * than one record (TAMIS__IMPORT_RECORD_MAX bytes of text) whatever the
 * size of a page. The file is one or more JSON values one after another;
 * each is an array of records, an object that holds its records in an
 * array under one of `page_keys` (its other members are skipped), or a
 * record itself (an object without such an array); an array may also hold
 * pages. Records are numbered from 1 across the file. A record that is
 * not valid JSON, not an object or too long is rejected through cb; each
 * other one goes to fn, which returns 0 to go on, 1 to stop (then
 * TAMIS_DONE) or a negative tamis_status to fail with it (out of memory).
 * Errors: the input is not JSON (TAMIS_ERR_UNSUPPORTED), empty
 * (TAMIS_ERR_EMPTY), broken between records or cut short
 * (TAMIS_ERR_CORRUPT), unreadable (TAMIS_ERR_IO). */
/* A time given as Unix seconds (a JSON number) or an ISO 8601 string:
 * 0 and the time in *out, or -1 if v is neither (or out of range). */
int tamis__json_time(const struct json_t *v, int64_t *out);

/* The compact text of object o without the members named in `skip`
 * (NULL-terminated), in memory from tamis__malloc; NULL when nothing is
 * left, or when out of memory (then *nomem is set). */
char *tamis__json_meta(const struct json_t *o, const char *const *skip, int *nomem);

typedef int (*tamis__json_record_fn)(void *ctx, uint64_t position, struct json_t *record);
tamis_status tamis__json_records(FILE *in, const char *const *page_keys,
                                 const tamis__reader_cb *cb, tamis__json_record_fn fn,
                                 void *ctx, tamis__err *err);

#endif
