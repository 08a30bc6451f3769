/*
 * hex.c - hex encoding of digests and PDQ hashes, and Hamming distance.
 */
#include <string.h>

#include "common.h"

static const char hexchars[] = "0123456789abcdef";

int tamis__hex_digit(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void tamis_hex_encode(const uint8_t *bytes, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexchars[bytes[i] >> 4];
        out[2 * i + 1] = hexchars[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void tamis_pdq_to_hex(const tamis_pdq *h, char *out) {
    tamis_hex_encode(h->bytes, TAMIS_PDQ_BYTES, out);
}

tamis_status tamis_pdq_from_hex(const char *hex, size_t len, tamis_pdq *h) {
    if (!hex || !h || len != TAMIS_PDQ_HEX_LEN)
        return TAMIS_ERR_INVALID;
    tamis_pdq tmp;
    for (size_t i = 0; i < TAMIS_PDQ_BYTES; i++) {
        int hi = tamis__hex_digit((unsigned char)hex[2 * i]);
        int lo = tamis__hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return TAMIS_ERR_INVALID;
        tmp.bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    *h = tmp;
    return TAMIS_OK;
}

int tamis_pdq_distance(const tamis_pdq *a, const tamis_pdq *b) {
    int d = 0;
    for (int i = 0; i < TAMIS_PDQ_BYTES; i += 8) {
        uint64_t x, y;
        memcpy(&x, a->bytes + i, 8);
        memcpy(&y, b->bytes + i, 8);
        d += tamis__popcount64(x ^ y);
    }
    return d;
}
