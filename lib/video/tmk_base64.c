/*
 * tmk_base64.c - a .tmk file as text, the form banks store "tmk" signals
 * in (SQL text columns, JSON bodies, the change log). OpenSSL's base64.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../common/common.h"

size_t tamis_tmk_to_base64(const tamis_tmk *t, char *buf, size_t cap) {
    size_t n = t ? tamis_tmk_size(t) : 0;
    size_t out = 4 * ((n + 2) / 3);
    if (buf && cap)
        buf[0] = '\0';
    if (!buf || cap <= out || n == 0 || n > (size_t)1 << 30)
        return out;
    uint8_t *raw = tamis__malloc(n);
    if (!raw || tamis_tmk_write_mem(t, raw, n) != TAMIS_OK) {
        tamis__free(raw);
        return 0;
    }
    EVP_EncodeBlock((unsigned char *)buf, raw, (int)n);
    tamis__free(raw);
    return out;
}

tamis_status tamis_tmk_read_base64(const char *b64, tamis_tmk **out, char *err, size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    size_t len = b64 ? strlen(b64) : 0;
    if (len == 0 || len % 4 || len > (size_t)64 << 20) {
        if (err && errlen)
            snprintf(err, errlen, "a tmk signal is a .tmk file in padded base64 (%zu characters "
                     "is not a multiple of 4, or empty, or over 64 MB)", len);
        return TAMIS_ERR_INVALID;
    }
    uint8_t *raw = tamis__malloc(len / 4 * 3);
    if (!raw) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return TAMIS_ERR_NOMEM;
    }
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    tamis_status st = TAMIS_ERR_INVALID;
    if (n < 0) {
        if (err && errlen)
            snprintf(err, errlen, "a tmk signal is a .tmk file in base64: not base64");
    } else {
        /* EVP_DecodeBlock counts the padding's bytes in */
        size_t real = (size_t)n - (b64[len - 1] == '=') - (b64[len - 2] == '=');
        st = tamis_tmk_read_mem(raw, real, out, err, errlen);
    }
    tamis__free(raw);
    return st;
}
