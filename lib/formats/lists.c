/*
 * lists.c - the plainest lists: one URL (or domain) a line, as ISPs and
 * blocklists exchange them, and one text a line (posts, slogans), whose
 * rows the importer stores as their hashes. Blank lines and lines
 * starting with '#' are skipped; a line with a NUL byte or invalid UTF-8
 * is rejected with its number.
 */
#include <string.h>

#include "formats.h"

static tamis_status read_list(FILE *in, const tamis__reader_cb *cb, tamis__err *err,
                              const char *type) {
    tamis__lines l;
    size_t len;
    tamis_status st;
    if (tamis__lines_init(&l, in, TAMIS__IMPORT_LINE_MAX) != TAMIS_OK)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    while ((st = tamis__lines_next(&l, &len)) != TAMIS_DONE) {
        if (st == TAMIS_ERR_IO) {
            tamis__lines_free(&l);
            return tamis__fail(err, TAMIS_ERR_IO, "read error after line %llu",
                               (unsigned long long)l.number);
        }
        if (st == TAMIS_ERR_TOO_LARGE) {
            tamis__reject(cb, l.number, "line longer than %d bytes", TAMIS__IMPORT_LINE_MAX);
            continue;
        }
        char *s = l.buf, *e = l.buf + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (s == e || *s == '#')
            continue;
        if (memchr(s, '\0', (size_t)(e - s)) || !tamis__utf8_valid(s, (size_t)(e - s))) {
            tamis__reject(cb, l.number, "not UTF-8 text");
            continue;
        }
        *e = '\0';
        tamis__record r = {TAMIS__REC_ADD, l.number, type, s, NULL, NULL, NULL, 0};
        if (cb->record(cb->ctx, &r)) {
            tamis__lines_free(&l);
            return TAMIS_DONE;
        }
    }
    tamis__lines_free(&l);
    return TAMIS_OK;
}

tamis_status tamis__read_url_list(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    return read_list(in, cb, err, "url");
}

tamis_status tamis__read_text_lines(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    return read_list(in, cb, err, "text");
}
