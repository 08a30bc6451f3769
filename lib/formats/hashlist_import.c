/*
 * hashlist_import.c - tamis's own hash-list text format (doc/formats.md)
 * as an import: each line is parsed by the public tamis_hashlist_parse_line,
 * so that a bank file means the same to `tamis match` and to an import.
 * Records are PDQ signals, with the line's id, if any, as external_id.
 */
#include <string.h>

#include "formats.h"

tamis_status tamis__read_hashlist(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    tamis__lines l;
    size_t len;
    tamis_status st;
    if (tamis__lines_init(&l, in, TAMIS__IMPORT_LINE_MAX) != TAMIS_OK)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    while ((st = tamis__lines_next(&l, &len)) != TAMIS_DONE) {
        uint64_t pos = l.number;
        if (st == TAMIS_ERR_IO) {
            tamis__lines_free(&l);
            return tamis__fail(err, TAMIS_ERR_IO, "read error after line %llu",
                               (unsigned long long)pos);
        }
        if (st == TAMIS_ERR_TOO_LARGE) {
            tamis__reject(cb, pos, "line longer than %d bytes", TAMIS__IMPORT_LINE_MAX);
            continue;
        }
        if (memchr(l.buf, '\0', len)) {
            tamis__reject(cb, pos, "NUL byte in the line");
            continue;
        }
        tamis_pdq code;
        const char *id, *why;
        size_t idlen;
        st = tamis_hashlist_parse_line(l.buf, len, &code, &id, &idlen, &why);
        if (st == TAMIS_DONE)
            continue;
        if (st != TAMIS_OK) {
            tamis__reject(cb, pos, "%s", why ? why : "malformed line");
            continue;
        }
        /* The id lies inside the line buffer, which is ours to end. */
        char *idp = l.buf + (id - l.buf);
        idp[idlen] = '\0';
        if (!tamis__utf8_valid(idp, idlen)) {
            tamis__reject(cb, pos, "id is not valid UTF-8");
            continue;
        }
        char hex[TAMIS_PDQ_HEX_LEN + 1];
        tamis_pdq_to_hex(&code, hex);
        tamis__record r = {TAMIS__REC_ADD, pos, "pdq", hex, idlen ? idp : NULL, NULL, NULL, 0};
        if (cb->record(cb->ctx, &r)) {
            tamis__lines_free(&l);
            return TAMIS_DONE;
        }
    }
    tamis__lines_free(&l);
    return TAMIS_OK;
}
