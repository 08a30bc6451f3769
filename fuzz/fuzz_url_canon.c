/*
 * fuzz_url_canon.c - libFuzzer target for URL canonicalisation and
 * expansion (lib/url/canon.c, host.c, expr.c). The input is one URL. It
 * must canonicalise to OK, or to an error with a reason; when OK:
 *   - the canonical form is printable ASCII with no space, '#' only as
 *     "%23", every '%' starting an escape with upper-case hex;
 *   - it is its own canonical form (idempotence), and the allocating
 *     variant gives the same string;
 *   - it has 1..30 expressions, each a substring of the canonical URL that
 *     starts with a suffix of the host and contains a '/';
 *   - a URL index holding the URL itself as an expression, and its host as
 *     a domain, finds both.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const tamis_url_match *m) {
    int *c = ctx;
    c[m->kind]++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char out[TAMIS_URL_CANON_MAX + 1], again[TAMIS_URL_CANON_MAX + 1];
    char err[256];
    size_t n = 0;
    tamis_status st =
        tamis_url_canonicalize((const char *)data, size, out, sizeof out, &n, err, sizeof err);
    if (st != TAMIS_OK) {
        if ((st != TAMIS_ERR_INVALID && st != TAMIS_ERR_EMPTY && st != TAMIS_ERR_TOO_LARGE) ||
            !err[0])
            abort();
        return 0;
    }
    if (n != strlen(out) || n < 6) /* "p://h/" */
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c <= 0x20 || c >= 0x7f || c == '#')
            abort();
        if (c == '%') {
            if (i + 2 >= n)
                abort();
            for (int k = 1; k <= 2; k++) {
                char h = out[i + (size_t)k];
                if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F')))
                    abort();
            }
        }
    }
    size_t n2 = 0;
    if (tamis_url_canonicalize(out, n, again, sizeof again, &n2, err, sizeof err) != TAMIS_OK ||
        n2 != n || memcmp(out, again, n) != 0)
        abort();
    char *s = NULL;
    if (tamis_url_canonicalize_alloc((const char *)data, size, &s, err, sizeof err) != TAMIS_OK ||
        strcmp(s, out) != 0)
        abort();
    free(s);

    tamis_url *u;
    if (tamis_url_create(&u) != TAMIS_OK)
        return 0;
    if (tamis_url_parse(u, (const char *)data, size) != TAMIS_OK)
        abort();
    size_t hl, cl;
    const char *canon = tamis_url_canonical(u, &cl);
    const char *host = tamis_url_host(u, &hl);
    size_t ne = tamis_url_expression_count(u);
    if (ne < 1 || ne > TAMIS_URL_MAX_EXPRESSIONS || cl != n || memcmp(canon, out, n) != 0)
        abort();
    for (size_t i = 0; i < ne; i++) {
        size_t len;
        const char *e = tamis_url_expression(u, i, &len);
        if (!e || e < host || e > host + hl || e + len > canon + cl ||
            !memchr(e, '/', len) || (e > host && e[-1] != '.'))
            abort();
    }
    /* The whole URL as an entry, its host as a domain: both match. */
    tamis_url_index *ix;
    if (tamis_url_index_create(&ix) == TAMIS_OK) {
        if (tamis_url_index_add(ix, out, n, TAMIS_URL_EXPRESSION, 1) != TAMIS_OK ||
            tamis_url_index_add(ix, host, hl, TAMIS_URL_DOMAIN, 2) != TAMIS_OK)
            abort();
        int c[3] = {0, 0, 0};
        if (tamis_url_index_lookup(ix, u, count, c) != TAMIS_OK || c[TAMIS_URL_EXPRESSION] < 1 ||
            c[TAMIS_URL_DOMAIN] != 1)
            abort();
        tamis_url_index_free(ix);
    }
    tamis_url_free(u);
    return 0;
}
