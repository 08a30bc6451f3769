/*
 * video_files.c - a video's hash file as an import: the reference's vPDQ
 * text (vpdq-hash-video's "frame,quality,hash,timestamp" lines) and its
 * binary .tmk (tmk-hash-video). One file is one video: one record, whose
 * value is the form banks store (HMA's vPDQ JSON; the .tmk in base64).
 * A file that does not parse is an error for the whole read, naming the
 * line (vPDQ) or the field (TMK).
 */
#include <stdlib.h>
#include <string.h>

#include "formats.h"

/* One video's hashes: at most this much (a .tmk is 263 KB; a vPDQ line
 * ~80 bytes, so 64 MB is 800 000 frames, 9 hours at 25 fps). */
#define VIDEO_FILE_MAX ((size_t)64 << 20)

static tamis_status slurp(FILE *in, char **out, size_t *len, tamis__err *err) {
    size_t cap = 1 << 16, n = 0;
    char *buf = tamis__malloc(cap + 1);
    if (!buf)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (n < cap)
            break;
        if (cap >= VIDEO_FILE_MAX) {
            tamis__free(buf);
            return tamis__fail(err, TAMIS_ERR_TOO_LARGE, "over %zu MB for one video",
                               VIDEO_FILE_MAX >> 20);
        }
        char *nb = tamis__realloc(buf, 2 * cap + 1);
        if (!nb) {
            tamis__free(buf);
            return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
        }
        buf = nb, cap *= 2;
    }
    if (ferror(in)) {
        tamis__free(buf);
        return tamis__fail(err, TAMIS_ERR_IO, "read error");
    }
    buf[n] = '\0';
    *out = buf, *len = n;
    return TAMIS_OK;
}

static tamis_status emit(const tamis__reader_cb *cb, const char *type, const char *value) {
    tamis__record r;
    memset(&r, 0, sizeof r);
    r.op = TAMIS__REC_ADD;
    r.position = 1;
    r.type = type;
    r.value = value;
    return cb->record(cb->ctx, &r) ? TAMIS_DONE : TAMIS_OK;
}

tamis_status tamis__read_vpdq_text(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    char *text;
    size_t len;
    tamis_status st = slurp(in, &text, &len, err);
    if (st != TAMIS_OK)
        return st;
    tamis_vpdq *v = NULL;
    char *json = NULL;
    if ((st = tamis_vpdq_create(&v)) != TAMIS_OK) {
        st = tamis__fail(err, st, "out of memory");
    } else if ((st = tamis_vpdq_from_text(v, text, len)) != TAMIS_OK) {
        st = tamis__fail(err, st == TAMIS_ERR_NOMEM ? st : TAMIS_ERR_INVALID,
                         "not a vPDQ hash file: %s", tamis_vpdq_errmsg(v));
    } else {
        size_t n = tamis_vpdq_to_signal(v, NULL, 0);
        if (!(json = tamis__malloc(n + 1)))
            st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
        else {
            tamis_vpdq_to_signal(v, json, n + 1);
            st = emit(cb, "vpdq", json);
        }
    }
    tamis__free(json);
    tamis_vpdq_free(v);
    tamis__free(text);
    return st;
}

tamis_status tamis__read_tmk(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    char *raw, why[256] = "";
    size_t len;
    tamis_status st = slurp(in, &raw, &len, err);
    if (st != TAMIS_OK)
        return st;
    tamis_tmk *t = NULL;
    char *b64 = NULL;
    if ((st = tamis_tmk_read_mem(raw, len, &t, why, sizeof why)) != TAMIS_OK) {
        st = tamis__fail(err, st == TAMIS_ERR_NOMEM ? st : TAMIS_ERR_INVALID,
                         "not a .tmk file: %s", why);
    } else {
        size_t n = tamis_tmk_to_base64(t, NULL, 0);
        if (!(b64 = tamis__malloc(n + 1)))
            st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
        else if (tamis_tmk_to_base64(t, b64, n + 1) != n || !b64[0])
            st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
        else
            st = emit(cb, "tmk", b64);
    }
    tamis__free(b64);
    tamis_tmk_free(t);
    tamis__free(raw);
    return st;
}
