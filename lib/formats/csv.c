/*
 * csv.c - a small RFC 4180 CSV reader for the CSV import formats. It reads
 * a byte at a time into one buffer of fixed size, so that no row, however
 * long or however badly quoted, grows memory; a bad row is lexed to its end
 * (quotes respected) and reported, and the next row is read normally.
 * Lenient where RFC 4180 is silent: "\n" ends a row as "\r\n" does, and a
 * '\r' not before '\n' is kept as text.
 */
#include <string.h>

#include "formats.h"

tamis_status tamis__csv_init(tamis__csv *c, FILE *in, size_t max) {
    memset(c, 0, sizeof *c);
    c->in = in;
    c->max = max;
    /* room for max bytes of text and a NUL after each field */
    c->buf = tamis__malloc(max + TAMIS__CSV_MAX_FIELDS + 1);
    return c->buf ? TAMIS_OK : TAMIS_ERR_NOMEM;
}

void tamis__csv_free(tamis__csv *c) {
    tamis__free(c->buf);
    c->buf = NULL;
}

enum { FIELD_START, UNQUOTED, QUOTED, AFTER_QUOTE };

typedef struct row {
    size_t n;          /* bytes used in buf */
    size_t start;      /* where the current field began */
    size_t offsets[TAMIS__CSV_MAX_FIELDS];
    size_t nfields;
    int too_long, too_many;
    const char *why;   /* first problem seen in the row */
} row;

static void put(tamis__csv *c, row *r, int ch) {
    if (ch == '\0' && !r->why)
        r->why = "NUL byte in a field";
    if (r->n - r->nfields < c->max)
        c->buf[r->n++] = (char)ch;
    else
        r->too_long = 1;
}

static void end_field(tamis__csv *c, row *r) {
    if (r->nfields == TAMIS__CSV_MAX_FIELDS) {
        r->too_many = 1;
        r->n = r->start;
        return;
    }
    c->buf[r->n++] = '\0';
    r->offsets[r->nfields++] = r->start;
    r->start = r->n;
}

/* After a '\r': consumes a '\n' that follows and returns 1, else 0. */
static int crlf(tamis__csv *c) {
    int next = getc_unlocked(c->in);
    if (next == '\n')
        return 1;
    if (next != EOF)
        ungetc(next, c->in);
    return 0;
}

tamis_status tamis__csv_next(tamis__csv *c, const char **why) {
    for (;;) {
        row r;
        memset(&r, 0, sizeof r);
        int state = FIELD_START, any = 0, ch;
        c->row_line = c->line + 1;
        for (;;) {
            ch = getc_unlocked(c->in);
            int newline = ch == '\n' || (ch == '\r' && state != QUOTED && crlf(c));
            if (newline)
                c->line++;
            if (state == QUOTED) {
                if (ch == '"') {
                    state = AFTER_QUOTE;
                } else if (ch == EOF) {
                    if (!r.why)
                        r.why = "quoted field not closed at the end of the input";
                    end_field(c, &r);
                    break;
                } else {
                    put(c, &r, ch);
                }
                continue;
            }
            if (ch == EOF || newline) {
                if (ch == EOF && !any)
                    break;
                end_field(c, &r);
                break;
            }
            any = 1;
            if (ch == ',') {
                end_field(c, &r);
                state = FIELD_START;
            } else if (ch == '"' && state == FIELD_START) {
                state = QUOTED;
            } else if (ch == '"' && state == AFTER_QUOTE) {
                put(c, &r, '"'); /* "" inside quotes */
                state = QUOTED;
            } else {
                if (state == AFTER_QUOTE && !r.why)
                    r.why = "text after a closing quote";
                else if (ch == '"' && !r.why)
                    r.why = "quote inside an unquoted field";
                put(c, &r, ch);
                state = UNQUOTED;
            }
        }
        if (ch == EOF && ferror(c->in))
            return TAMIS_ERR_IO;
        if (ch == EOF && !any && r.nfields == 0)
            return TAMIS_DONE;
        if (!any && r.nfields == 1)
            continue; /* a blank line */
        if (r.too_long || r.too_many) {
            *why = r.too_long ? "row too long" : "too many fields";
            return TAMIS_ERR_TOO_LARGE;
        }
        if (r.why) {
            *why = r.why;
            return TAMIS_ERR_CORRUPT;
        }
        c->nfields = r.nfields;
        for (size_t i = 0; i < r.nfields; i++)
            c->field[i] = c->buf + r.offsets[i];
        return TAMIS_OK;
    }
}
