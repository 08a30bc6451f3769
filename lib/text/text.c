/*
 * text.c - the tamis_text handle: options, the normalised text it keeps
 * for the caller, its last error, and the three text signals together
 * (text_exact and text_near from the normalised text, text_tlsh from the
 * bytes as given).
 */
#include <openssl/evp.h>
#include <string.h>

#include "text.h"

struct tamis_text {
    tamis__err err;
    unsigned flags;
    size_t max_bytes;
    size_t bad_offset;
    char *norm; /* the last normalised text */
    size_t norm_len;
};

tamis_status tamis_text_create(const tamis_text_options *opts, tamis_text **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    tamis_text *t = tamis__calloc(1, sizeof *t);
    if (!t)
        return TAMIS_ERR_NOMEM;
    t->flags = opts ? opts->flags : 0;
    t->max_bytes = opts && opts->max_bytes ? opts->max_bytes : TAMIS_TEXT_DEFAULT_MAX_BYTES;
    *out = t;
    return TAMIS_OK;
}

void tamis_text_free(tamis_text *t) {
    if (!t)
        return;
    tamis__free(t->norm);
    tamis__free(t);
}

const char *tamis_text_errmsg(const tamis_text *t) { return t ? t->err.msg : ""; }

size_t tamis_text_error_offset(const tamis_text *t) { return t ? t->bad_offset : 0; }

static tamis_status normalise(tamis_text *t, const void *text, size_t len) {
    tamis__err_clear(&t->err);
    t->bad_offset = 0;
    if (!text && len)
        return tamis__fail(&t->err, TAMIS_ERR_INVALID, "text is NULL");
    if (len > t->max_bytes)
        return tamis__fail(&t->err, TAMIS_ERR_TOO_LARGE,
                           "text of %zu bytes is over the limit of %zu", len, t->max_bytes);
    char *norm;
    size_t n;
    tamis_status st = tamis__text_normalise(text, len, t->flags, &norm, &n, &t->bad_offset,
                                            &t->err);
    if (st != TAMIS_OK)
        return st;
    tamis__free(t->norm);
    t->norm = norm;
    t->norm_len = n;
    return TAMIS_OK;
}

tamis_status tamis_text_normalise(tamis_text *t, const void *text, size_t len,
                                  const char **out, size_t *out_len) {
    if (!t || !out)
        return TAMIS_ERR_INVALID;
    tamis_status st = normalise(t, text, len);
    if (st != TAMIS_OK)
        return st;
    *out = t->norm;
    if (out_len)
        *out_len = t->norm_len;
    return TAMIS_OK;
}

tamis_status tamis_text_hash_compute(tamis_text *t, const void *text, size_t len,
                                     tamis_text_hash *out) {
    if (!t || !out)
        return TAMIS_ERR_INVALID;
    tamis_status st = normalise(t, text, len);
    if (st != TAMIS_OK)
        return st;
    tamis_text_hash r;
    memset(&r, 0, sizeof r);
    uint8_t sha[TAMIS_SHA256_BYTES];
    unsigned n = 0;
    if (!EVP_Digest(t->norm, t->norm_len, sha, &n, EVP_sha256(), NULL))
        return tamis__fail(&t->err, TAMIS_ERR_INTERNAL, "SHA-256 failed");
    tamis_hex_encode(sha, sizeof sha, r.exact);
    tamis__near_sig sig;
    if (tamis__near_compute(t->norm, t->norm_len, &sig) == TAMIS_OK)
        tamis__near_to_string(&sig, r.near);
    st = tamis__tlsh_compute(text, len, r.tlsh);
    if (st < 0)
        return tamis__fail(&t->err, st, "text too large for TLSH");
    r.normalised_len = t->norm_len;
    *out = r;
    return TAMIS_OK;
}

tamis_status tamis_text_near_similarity(const char *a, const char *b, double *out) {
    tamis__near_sig x, y;
    if (!out || !a || !b || tamis__near_from_string(a, strlen(a), &x) != TAMIS_OK ||
        tamis__near_from_string(b, strlen(b), &y) != TAMIS_OK)
        return TAMIS_ERR_INVALID;
    *out = tamis__near_similarity(&x, &y);
    return TAMIS_OK;
}
