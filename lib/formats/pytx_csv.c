/*
 * pytx_csv.c - ThreatExchange CSV exports, as python-threatexchange writes
 * them for HMA (HMASerialization: indicator, indicator_id,
 * first_descriptor_id, added_on, labels; one signal type per file, named in
 * the file name, e.g. simple.HASH_PDQ.te) and its CLI (the same without
 * indicator_id). Those files have no header; a file may also start with one
 * (its first field "indicator"), which names the columns and may add
 * indicator_type and should_delete (tombstones); other columns go to the
 * metadata. Without a type column the type is guessed from the hash: 64 hex
 * digits are PDQ, 32 are MD5 (a SHA-256 list needs the column).
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "formats.h"

enum { COL_OTHER, COL_INDICATOR, COL_ID, COL_DESCRIPTOR, COL_ADDED, COL_LABELS, COL_TYPE,
       COL_DELETE };

static const struct {
    const char *name;
    int col;
} column_names[] = {
    {"indicator", COL_INDICATOR},   {"indicator_id", COL_ID},
    {"id", COL_ID},                 {"first_descriptor_id", COL_DESCRIPTOR},
    {"added_on", COL_ADDED},        {"labels", COL_LABELS},
    {"tags", COL_LABELS},           {"indicator_type", COL_TYPE},
    {"type", COL_TYPE},             {"should_delete", COL_DELETE},
    {"deleted", COL_DELETE},
};

static const int cols_hma[] = {COL_INDICATOR, COL_ID, COL_DESCRIPTOR, COL_ADDED, COL_LABELS};
static const int cols_cli[] = {COL_INDICATOR, COL_DESCRIPTOR, COL_ADDED, COL_LABELS};

typedef struct reader {
    tamis__csv csv;
    const tamis__reader_cb *cb;
    int header;                         /* the file has a header row */
    size_t ncols;
    int col[TAMIS__CSV_MAX_FIELDS];     /* what each header column is */
    char *names;                        /* the header's names, NUL-separated */
    const char *name[TAMIS__CSV_MAX_FIELDS];
} reader;

static int column_of(const char *name) {
    for (size_t i = 0; i < sizeof column_names / sizeof column_names[0]; i++)
        if (strcasecmp(name, column_names[i].name) == 0)
            return column_names[i].col;
    return COL_OTHER;
}

/* Keeps the header row's names and roles. TAMIS_ERR_CORRUPT if a name is
 * not UTF-8 (it could not be a metadata key). */
static tamis_status read_header(reader *rd) {
    tamis__csv *c = &rd->csv;
    size_t total = 0;
    for (size_t i = 0; i < c->nfields; i++) {
        total += strlen(c->field[i]) + 1;
        if (!tamis__utf8_valid(c->field[i], strlen(c->field[i])))
            return TAMIS_ERR_CORRUPT;
    }
    if (!(rd->names = tamis__malloc(total)))
        return TAMIS_ERR_NOMEM;
    char *p = rd->names;
    for (size_t i = 0; i < c->nfields; i++) {
        size_t n = strlen(c->field[i]) + 1;
        memcpy(p, c->field[i], n);
        rd->name[i] = p;
        rd->col[i] = column_of(p);
        p += n;
    }
    rd->ncols = c->nfields;
    rd->header = 1;
    return TAMIS_OK;
}

static int is_true(const char *s) {
    return !strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes");
}
static int is_false(const char *s) {
    return !*s || !strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no");
}

static int all_hex(const char *s) {
    for (; *s; s++)
        if (tamis__hex_digit((unsigned char)*s) < 0)
            return 0;
    return 1;
}

/* Labels separated by spaces or commas (HMA joins them with spaces), as a
 * JSON array in order; NULL (and *nomem clear) when there are none. */
static char *labels_json(const char *s, int *nomem) {
    json_t *a = json_array();
    char *out = NULL;
    *nomem = 1;
    if (!a)
        return NULL;
    while (*s) {
        size_t n = strcspn(s, " ,\t");
        if (n && json_array_append_new(a, json_stringn(s, n)) != 0)
            goto done;
        s += n;
        s += strspn(s, " ,\t");
    }
    *nomem = 0;
    if (json_array_size(a) && !(out = tamis__json_dump(a)))
        *nomem = 1;
done:
    json_decref(a);
    return out;
}

/* Reads one row; returns 0 to go on, 1 to stop, or an error status. */
static int read_row(reader *rd) {
    tamis__csv *c = &rd->csv;
    const tamis__reader_cb *cb = rd->cb;
    uint64_t pos = c->row_line;
    const int *col = rd->col;
    size_t n = c->nfields;
    char q[48];

    if (rd->header && n != rd->ncols) {
        tamis__reject(cb, pos, "%zu fields where the header has %zu", n, rd->ncols);
        return 0;
    }
    if (!rd->header) {
        if (n != 5 && n != 4) {
            tamis__reject(cb, pos, "%zu fields (want indicator, indicator_id, "
                                   "first_descriptor_id, added_on, labels)", n);
            return 0;
        }
        col = n == 5 ? cols_hma : cols_cli;
    }
    const char *f[COL_DELETE + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        if (!tamis__utf8_valid(c->field[i], strlen(c->field[i]))) {
            tamis__reject(cb, pos, "field %zu is not valid UTF-8", i + 1);
            return 0;
        }
        if (col[i] != COL_OTHER && !f[col[i]])
            f[col[i]] = c->field[i];
    }
    const char *value = f[COL_INDICATOR], *type;
    if (!value || !*value) {
        tamis__reject(cb, pos, "no indicator");
        return 0;
    }
    if (f[COL_TYPE] && *f[COL_TYPE]) {
        if (!(type = tamis__signal_type(f[COL_TYPE]))) {
            tamis__quote(q, f[COL_TYPE]);
            tamis__reject(cb, pos, "unsupported indicator type \"%s\"", q);
            return 0;
        }
    } else if (all_hex(value) && (strlen(value) == 64 || strlen(value) == 32)) {
        type = strlen(value) == 64 ? "pdq" : "md5";
    } else {
        tamis__reject(cb, pos, "no indicator_type column, and the indicator is not "
                               "64 or 32 hex digits");
        return 0;
    }
    const char *why = tamis__check_value(type, value);
    if (why) {
        tamis__reject(cb, pos, "%s", why);
        return 0;
    }
    tamis__rec_op op = TAMIS__REC_ADD;
    if (f[COL_DELETE] && !is_false(f[COL_DELETE])) {
        if (!is_true(f[COL_DELETE])) {
            tamis__quote(q, f[COL_DELETE]);
            tamis__reject(cb, pos, "should_delete \"%s\" is not true or false", q);
            return 0;
        }
        op = TAMIS__REC_DELETE;
    }

    /* What has no field of its own goes to the metadata, as text. */
    int64_t created = 0;
    json_t *meta = json_object();
    if (!meta)
        return TAMIS_ERR_NOMEM;
    int fail = 0;
    if (f[COL_ADDED] && *f[COL_ADDED] && tamis__parse_time(f[COL_ADDED], &created) != 0)
        fail |= json_object_set_new(meta, "added_on", json_string(f[COL_ADDED]));
    if (f[COL_DESCRIPTOR] && *f[COL_DESCRIPTOR])
        fail |= json_object_set_new(meta, "first_descriptor_id", json_string(f[COL_DESCRIPTOR]));
    for (size_t i = 0; i < n; i++)
        if (col[i] == COL_OTHER && *c->field[i] && *rd->name[i])
            fail |= json_object_set_new(meta, rd->name[i], json_string(c->field[i]));
    char *meta_text = NULL, *labels = NULL;
    int nomem = 0;
    if (!fail && json_object_size(meta) && !(meta_text = tamis__json_dump(meta)))
        fail = 1;
    json_decref(meta);
    if (!fail && f[COL_LABELS])
        labels = labels_json(f[COL_LABELS], &nomem);
    if (fail || nomem) {
        tamis__free(meta_text);
        return TAMIS_ERR_NOMEM;
    }
    const char *id = f[COL_ID] && *f[COL_ID] ? f[COL_ID] : NULL;
    tamis__record r = {op, pos, type, value, id, labels, meta_text, created};
    int stop = cb->record(cb->ctx, &r) != 0;
    tamis__free(meta_text);
    tamis__free(labels);
    return stop;
}

tamis_status tamis__read_pytx_csv(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.cb = cb;
    if (tamis__csv_init(&rd.csv, in, TAMIS__IMPORT_LINE_MAX) != TAMIS_OK)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    tamis_status st;
    const char *why;
    int first = 1, rc = 0;
    while ((st = tamis__csv_next(&rd.csv, &why)) != TAMIS_DONE) {
        if (st == TAMIS_ERR_IO) {
            rc = tamis__fail(err, TAMIS_ERR_IO, "read error after line %llu",
                             (unsigned long long)rd.csv.line);
            break;
        }
        if (st != TAMIS_OK) {
            tamis__reject(cb, rd.csv.row_line, "%s", why);
            first = 0;
            continue;
        }
        if (first) {
            first = 0;
            const char *f0 = rd.csv.field[0];
            if (strncmp(f0, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte-order mark */
                f0 += 3;
            if (strcasecmp(f0, "indicator") == 0) {
                rd.csv.field[0] = f0;
                if ((st = read_header(&rd)) != TAMIS_OK) {
                    rc = st == TAMIS_ERR_NOMEM
                             ? tamis__fail(err, st, "out of memory")
                             : tamis__fail(err, st, "the header row is not valid UTF-8");
                    break;
                }
                continue;
            }
            rd.csv.field[0] = f0;
        }
        if ((rc = read_row(&rd)) != 0) {
            if (rc < 0)
                rc = tamis__fail(err, rc, "out of memory");
            else
                rc = TAMIS_DONE;
            break;
        }
    }
    tamis__free(rd.names);
    tamis__csv_free(&rd.csv);
    return rc;
}
