/*
 * rpz.c - the DOMAIN entries of a URL index as files ISPs load into their
 * resolvers: a DNS Response Policy Zone (the format BIND, Unbound and Knot
 * Resolver read; "name CNAME ." answers NXDOMAIN, draft-vixie-dnsop-dns-
 * rpz section 6) and a hosts file. Both are sorted and hold each name once,
 * so that the same bank gives the same file.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url_index.h"

static int cmp_domain(const void *a, const void *b) {
    const tamis__url_domain *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Nonzero if the name is a DNS host name we can write as is: labels of 1
 * to 63 letters, digits, '-' or '_' (canonical names are lower case). */
static int is_dns_name(const char *s, size_t n) {
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0;
}

/* An IPv4 address in canonical form: only digits and dots. Such hosts
 * are not names a resolver is asked for. */
static int is_ipv4_text(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            return 0;
    return 1;
}

/* Collects the kept domains, sorted; counts the ones that cannot be
 * written in *skipped and drops them. */
static tamis_status collect(const tamis_url_index *ix, tamis_url_filter_cb filter, void *ctx,
                            size_t max_len, tamis__url_domain **out, size_t *n,
                            size_t *skipped) {
    tamis_status st = tamis__url_index_domains(ix, filter, ctx, out, n);
    if (st != TAMIS_OK)
        return st;
    size_t w = 0;
    for (size_t i = 0; i < *n; i++) {
        tamis__url_domain d = (*out)[i];
        if (d.len > max_len || is_ipv4_text(d.name, d.len) || !is_dns_name(d.name, d.len))
            (*skipped)++;
        else
            (*out)[w++] = d;
    }
    *n = w;
    qsort(*out, *n, sizeof **out, cmp_domain);
    return TAMIS_OK;
}

static size_t name_len(const char *s) {
    size_t n = strlen(s);
    return n && s[n - 1] == '.' ? n - 1 : n;
}

tamis_status tamis_url_index_write_rpz(const tamis_url_index *ix, const tamis_rpz_options *opts,
                                       tamis_url_filter_cb filter, void *ctx, FILE *f,
                                       size_t *written, size_t *skipped) {
    size_t nw = 0, ns = 0;
    if (written)
        *written = 0;
    if (skipped)
        *skipped = 0;
    if (!ix || !f)
        return TAMIS_ERR_INVALID;
    const char *zone = opts && opts->zone ? opts->zone : "rpz.invalid";
    const char *ns_name = opts && opts->ns ? opts->ns : "localhost.";
    const char *mbox = opts && opts->hostmaster ? opts->hostmaster : "hostmaster.localhost.";
    uint32_t serial = opts && opts->serial ? opts->serial : 1;
    uint32_t ttl = opts && opts->ttl ? opts->ttl : 300;
    size_t zl = name_len(zone);
    if (zl == 0 || !is_dns_name(zone, zl) || !is_dns_name(ns_name, name_len(ns_name)) ||
        !is_dns_name(mbox, name_len(mbox)) || zl > 240)
        return TAMIS_ERR_INVALID;
    /* "*." + name + "." + zone in wire form (a length byte per label and
     * the root's) must fit in 255 bytes. */
    size_t max_len = 255 - 2 - (zl + 2) - 2;
    tamis__url_domain *d;
    size_t n;
    tamis_status st = collect(ix, filter, ctx, max_len, &d, &n, &ns);
    if (st != TAMIS_OK)
        return st;
    fprintf(f,
            "; Response policy zone written by tamis: NXDOMAIN for each listed domain\n"
            "; and all its subdomains. Load it as zone \"%.*s\" (any name works).\n"
            "$TTL %u\n"
            "@ IN SOA %s%s %s%s %u 3600 600 604800 %u\n"
            "@ IN NS %s%s\n",
            (int)zl, zone, ttl, ns_name, ns_name[strlen(ns_name) - 1] == '.' ? "" : ".", mbox,
            mbox[strlen(mbox) - 1] == '.' ? "" : ".", serial, ttl, ns_name,
            ns_name[strlen(ns_name) - 1] == '.' ? "" : ".");
    for (size_t i = 0; i < n; i++) {
        /* A name under another listed name is already covered by the
         * latter's wildcard. */
        int covered = 0;
        for (size_t k = 0; k < d[i].len && !covered; k++)
            if (d[i].name[k] == '.')
                covered = tamis__url_index_has_domain(ix, d[i].name + k + 1,
                                                      d[i].len - k - 1, filter, ctx);
        if (covered)
            continue;
        fprintf(f, "%.*s CNAME .\n*.%.*s CNAME .\n", (int)d[i].len, d[i].name, (int)d[i].len,
                d[i].name);
        nw++;
    }
    tamis__free(d);
    if (written)
        *written = nw;
    if (skipped)
        *skipped = ns;
    return fflush(f) == 0 && !ferror(f) ? TAMIS_OK : TAMIS_ERR_IO;
}

tamis_status tamis_url_index_write_hosts(const tamis_url_index *ix, const char *address,
                                         tamis_url_filter_cb filter, void *ctx, FILE *f,
                                         size_t *written, size_t *skipped) {
    size_t ns = 0;
    if (written)
        *written = 0;
    if (skipped)
        *skipped = 0;
    if (!ix || !f)
        return TAMIS_ERR_INVALID;
    if (!address)
        address = "0.0.0.0";
    unsigned char a[16];
    if (inet_pton(AF_INET, address, a) != 1 && inet_pton(AF_INET6, address, a) != 1)
        return TAMIS_ERR_INVALID;
    tamis__url_domain *d;
    size_t n;
    tamis_status st = collect(ix, filter, ctx, 253, &d, &n, &ns);
    if (st != TAMIS_OK)
        return st;
    fprintf(f, "# hosts file written by tamis: %zu blocked names\n", n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %.*s\n", address, (int)d[i].len, d[i].name);
    tamis__free(d);
    if (written)
        *written = n;
    if (skipped)
        *skipped = ns;
    return fflush(f) == 0 && !ferror(f) ? TAMIS_OK : TAMIS_ERR_IO;
}
