/*
 * digest.c - MD5 and SHA-256 of file bytes through OpenSSL's EVP interface,
 * the exact-match signals every hash-sharing list also carries.
 */
#include <openssl/evp.h>

#include "../common/common.h"

static int digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) &&
             EVP_DigestUpdate(ctx, data, len) && EVP_DigestFinal_ex(ctx, out, &n);
    EVP_MD_CTX_free(ctx);
    return ok;
}

tamis_status tamis_digests_compute(const void *data, size_t len,
                                   tamis_digests *out) {
    static const uint8_t empty[1];
    if (!out || (!data && len))
        return TAMIS_ERR_INVALID;
    if (!data)
        data = empty;
    tamis_digests d;
    if (!digest(EVP_md5(), data, len, d.md5) ||
        !digest(EVP_sha256(), data, len, d.sha256))
        return TAMIS_ERR_INTERNAL;
    *out = d;
    return TAMIS_OK;
}
