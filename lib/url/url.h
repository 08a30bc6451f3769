/*
 * url.h - the parsed URL shared by canon.c, host.c, expr.c and
 * url_index.c (internal). A canonical URL is kept as one string,
 * "scheme://host/path?query", and every expression is a substring of it:
 * the host suffix runs on into the path, so expression (h, p) is
 * buf[host_off + host_start[h] .. path_off + path_len[p]).
 */
#ifndef TAMIS_URL_URL_H
#define TAMIS_URL_URL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

struct tamis_url {
    tamis__err err;
    int ok;                 /* holds a URL */
    unsigned char *dec;     /* the input, fully unescaped (scratch) */
    char *buf;              /* the canonical URL, NUL-terminated */
    size_t len;
    size_t host_off, host_len; /* the escaped host */
    size_t path_off;           /* the path, then "?query" if any */
    size_t path_len;           /* without the query */
    int has_query;             /* a '?', even with an empty query */
    int is_ip;                 /* an IPv4 or bracketed IPv6 address */
    /* Expressions: host suffixes as offsets into the host, path prefixes
     * as lengths from path_off. */
    int n_hosts, n_paths;
    uint16_t host_start[TAMIS_URL_MAX_HOSTS];
    size_t path_end[TAMIS_URL_MAX_PATHS];
};

/* Host normalisation (host.c): rewrites the `*len` decoded bytes at `h`
 * (room for TAMIS__URL_HOST_MAX) in place: dots trimmed and collapsed,
 * IDN to punycode, IPv4 forms to 4 decimals, IPv6 to its RFC 5952 form
 * in brackets, lower case. The port and user name are already gone.
 * Sets *is_ip. Returns TAMIS_ERR_INVALID with a message in `e`. */
#define TAMIS__URL_HOST_MAX 1024
tamis_status tamis__url_host(tamis__err *e, unsigned char *h, size_t *len, int *is_ip);

/* Parses IPv4 as inet_aton does (1 to 4 parts, decimal, 0-octal or
 * 0x-hex, the last part filling the remaining bytes). Returns 1 and the
 * address (first byte in the top bits), 0 if `s` is not one. */
int tamis__url_ipv4(const char *s, size_t n, uint32_t *out);

/* Fills u's expression tables from its canonical URL (expr.c). */
void tamis__url_expressions(tamis_url *u);

/* The string hash of the URL index (64 bits, not cryptographic). */
uint64_t tamis__url_hash(const void *p, size_t n);

#endif
