/*
 * host.c - the host part of URL canonicalisation (Safe Browsing API v4,
 * "URLs and Hashing": remove leading and trailing dots, collapse runs of
 * dots, write any legal IPv4 encoding as 4 decimals, lower-case) and the
 * conversion of international names to punycode, which the same document
 * asks of clients, with libidn2 (UTS #46 non-transitional, as browsers).
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>

#include "url.h"

/* Trims dots at both ends and collapses runs of them, in place. */
static size_t fix_dots(unsigned char *h, size_t n) {
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        if (h[r] == '.' && (w == 0 || h[w - 1] == '.'))
            continue;
        h[w++] = h[r];
    }
    if (w && h[w - 1] == '.')
        w--;
    return w;
}

/* Nonzero if the n bytes are valid UTF-8 with at least one non-ASCII
 * character (no overlong forms, surrogates or code points over 10FFFF). */
static int utf8_non_ascii(const unsigned char *s, size_t n) {
    int non_ascii = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c == 0)
                return 0;
            i++;
            continue;
        }
        non_ascii = 1;
        size_t k;
        unsigned cp, min;
        if ((c & 0xe0) == 0xc0)
            k = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            k = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return non_ascii;
}

static int digit_in_base(unsigned char c, int base) {
    int v;
    if (c >= '0' && c <= '9')
        v = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        v = (c | 0x20) - 'a' + 10;
    else
        return -1;
    return v < base ? v : -1;
}

int tamis__url_ipv4(const char *s, size_t n, uint32_t *out) {
    uint64_t part[4];
    int np = 0;
    size_t i = 0;
    for (;;) {
        if (np == 4 || i == n)
            return 0; /* too many parts, or an empty one */
        int base = 10;
        if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X'))
            base = 16, i += 2;
        else if (s[i] == '0' && i + 1 < n && s[i + 1] != '.')
            base = 8, i += 1;
        size_t start = i;
        uint64_t v = 0;
        while (i < n && s[i] != '.') {
            int dv = digit_in_base((unsigned char)s[i], base);
            if (dv < 0)
                return 0;
            v = v * (uint64_t)base + (uint64_t)dv;
            if (v > 0xffffffffull)
                return 0;
            i++;
        }
        if (i == start && base != 8)
            return 0; /* "0x" or an empty part */
        part[np++] = v;
        if (i == n)
            break;
        i++; /* the dot */
    }
    /* All parts but the last are bytes; the last fills what is left. */
    uint32_t ip = 0;
    for (int k = 0; k < np - 1; k++) {
        if (part[k] > 255)
            return 0;
        ip |= (uint32_t)part[k] << (24 - 8 * k);
    }
    int rest_bits = 8 * (5 - np);
    if (rest_bits < 32 && part[np - 1] >> rest_bits)
        return 0;
    ip |= (uint32_t)part[np - 1];
    *out = ip;
    return 1;
}

tamis_status tamis__url_host(tamis__err *e, unsigned char *h, size_t *len, int *is_ip) {
    size_t n = *len;
    *is_ip = 0;
    if (n && h[0] == '[') {
        /* [IPv6]: parsed and written back in its RFC 5952 form, so that
         * the spellings of one address compare equal. */
        char in[TAMIS__URL_HOST_MAX], txt[INET6_ADDRSTRLEN];
        unsigned char a[16];
        size_t k = n >= 2 ? n - 2 : 0;
        memcpy(in, h + 1, k);
        in[k] = '\0';
        if (n < 2 || h[n - 1] != ']' || memchr(in, 0, k) || inet_pton(AF_INET6, in, a) != 1 ||
            !inet_ntop(AF_INET6, a, txt, sizeof txt))
            return tamis__fail(e, TAMIS_ERR_INVALID, "\"%.*s\" is not an IPv6 address",
                               (int)(n < 100 ? n : 100), (const char *)h);
        n = (size_t)snprintf((char *)h, TAMIS__URL_HOST_MAX, "[%s]", txt);
        *len = n;
        *is_ip = 1;
        return TAMIS_OK;
    }
    n = fix_dots(h, n);
    if (utf8_non_ascii(h, n)) {
        /* Not IDN2_USE_STD3_ASCII_RULES: libidn2 then drops '%', ' ' or
         * '_' silently, while without it it refuses '%' and ' ' (and keeps
         * '_'). Its output is checked anyway: a '%' there would be read as
         * an escape when the canonical form is parsed again. */
        h[n] = '\0';
        uint8_t *ascii = NULL;
        int rc = idn2_lookup_u8(h, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
        for (const uint8_t *q = ascii; rc == IDN2_OK && *q; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-' ||
                  *q == '_' || *q == '.'))
                rc = IDN2_DISALLOWED;
        if (rc != IDN2_OK)
        {
            idn2_free(ascii);
            return tamis__fail(e, TAMIS_ERR_INVALID,
                               "host \"%.*s\" is not a valid international domain name: %s",
                               (int)(n < 200 ? n : 200), (const char *)h, idn2_strerror(rc));
        }
        size_t m = strlen((const char *)ascii);
        if (m >= TAMIS__URL_HOST_MAX) {
            idn2_free(ascii);
            return tamis__fail(e, TAMIS_ERR_INVALID, "host too long after IDNA");
        }
        memcpy(h, ascii, m);
        idn2_free(ascii);
        n = fix_dots(h, m);
    }
    if (n == 0)
        return tamis__fail(e, TAMIS_ERR_INVALID, "the host is empty once its dots are removed");
    /* Brackets belong around an IPv6 address only: "..[x" would read as
     * one once its dots are gone. */
    if (memchr(h, '[', n) || memchr(h, ']', n))
        return tamis__fail(e, TAMIS_ERR_INVALID,
                           "host \"%.*s\" has a '[' or ']' outside an IPv6 address",
                           (int)(n < 200 ? n : 200), (const char *)h);
    uint32_t ip;
    if (tamis__url_ipv4((const char *)h, n, &ip)) {
        n = (size_t)snprintf((char *)h, TAMIS__URL_HOST_MAX, "%u.%u.%u.%u", ip >> 24,
                             (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
        *is_ip = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            if (h[i] >= 'A' && h[i] <= 'Z')
                h[i] |= 0x20;
    }
    *len = n;
    return TAMIS_OK;
}
