/*
 * hma_local.c - Meta HMA's local_file format (python-threatexchange's
 * LocalFileSignalExchangeAPI): one "<signal_type> <signal>" per line, the
 * type in HMA's names (pdq, video_md5, vpdq, raw_text, url...). HMA splits
 * the stripped line at its first space, so a raw_text signal may hold
 * spaces; so does this reader (at the first run of blanks). It has no
 * tombstones, ids or labels. Blank lines and lines starting with '#' are
 * skipped.
 */
#include <string.h>

#include "formats.h"

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Reads one line; returns 1 if the callback asked to stop. */
static int read_line(char *s, size_t len, uint64_t pos, const tamis__reader_cb *cb) {
    char q[48];
    if (memchr(s, '\0', len)) {
        tamis__reject(cb, pos, "NUL byte in the line");
        return 0;
    }
    while (len && is_blank(s[len - 1]))
        s[--len] = '\0';
    while (*s && is_blank(*s))
        s++;
    if (!*s || *s == '#')
        return 0;
    if (!tamis__utf8_valid(s, strlen(s))) {
        tamis__reject(cb, pos, "not valid UTF-8");
        return 0;
    }
    char *value = s;
    while (*value && !is_blank(*value))
        value++;
    if (*value)
        *value++ = '\0';
    while (*value && is_blank(*value))
        value++;
    const char *type = tamis__signal_type(s);
    if (!type) {
        tamis__quote(q, s);
        tamis__reject(cb, pos, "unsupported signal type \"%s\"", q);
        return 0;
    }
    if (!*value) {
        tamis__reject(cb, pos, "no signal after the type");
        return 0;
    }
    const char *why = tamis__check_value(type, value);
    if (why) {
        tamis__reject(cb, pos, "%s", why);
        return 0;
    }
    tamis__record r = {TAMIS__REC_ADD, pos, type, value, NULL, NULL, NULL, 0};
    return cb->record(cb->ctx, &r) != 0;
}

tamis_status tamis__read_hma_local(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
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
        if (read_line(l.buf, len, l.number, cb)) {
            tamis__lines_free(&l);
            return TAMIS_DONE;
        }
    }
    tamis__lines_free(&l);
    return TAMIS_OK;
}
