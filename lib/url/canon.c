/*
 * canon.c - URL canonicalisation as Google Safe Browsing defines it (Safe
 * Browsing API v4, "URLs and Hashing", section Canonicalization), the first
 * step of URL matching: strip, unescape, split, normalise the host
 * (host.c) and the path, escape. The result is what expr.c expands into
 * expressions and what bank entries are stored as.
 *
 * Everything works on the fully unescaped bytes, as the reference clients
 * do (Chromium's and the Go client's): an escaped '/' or '?' becomes a
 * real one, while a '#' cannot start a fragment once unescaped, since the
 * fragment was cut before.
 */
#include <stdlib.h>
#include <string.h>

#include "url.h"

/* Room for the worst case: every byte of the input escaped, and the host
 * (at most TAMIS__URL_HOST_MAX bytes once normalised) escaped too. */
#define BUF_SIZE (3 * (size_t)TAMIS_URL_MAX_LEN + 3 * (size_t)TAMIS__URL_HOST_MAX + 64)

tamis_status tamis_url_create(tamis_url **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    tamis_url *u = tamis__calloc(1, sizeof *u);
    if (!u)
        return TAMIS_ERR_NOMEM;
    u->dec = tamis__malloc(TAMIS_URL_MAX_LEN + 1);
    u->buf = tamis__malloc(BUF_SIZE);
    if (!u->dec || !u->buf) {
        tamis_url_free(u);
        return TAMIS_ERR_NOMEM;
    }
    u->buf[0] = '\0';
    *out = u;
    return TAMIS_OK;
}

void tamis_url_free(tamis_url *u) {
    if (!u)
        return;
    tamis__free(u->dec);
    tamis__free(u->buf);
    tamis__free(u);
}

const char *tamis_url_errmsg(const tamis_url *u) { return u ? u->err.msg : "no URL handle"; }

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Undoes percent-escapes until none is left ("%2525" -> "%25" -> "%"), in
 * place and in one pass: the output is a stack, and whenever its top
 * three bytes form an escape they are replaced by the byte. Escapes cannot
 * overlap (a '%' is not a hex digit), so this reaches the same string as
 * unescaping the whole string again and again, in linear time. */
static size_t unescape_all(unsigned char *s, size_t n) {
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        s[w++] = s[r];
        while (w >= 3 && s[w - 3] == '%') {
            int hi = hexval(s[w - 2]), lo = hexval(s[w - 1]);
            if (hi < 0 || lo < 0)
                break;
            s[w - 3] = (unsigned char)(hi << 4 | lo);
            w -= 2;
        }
    }
    return w;
}

/* The bytes the canonical form escapes: <= 32, >= 127, '#' and '%'. */
static int needs_escape(unsigned char c) { return c <= 0x20 || c >= 0x7f || c == '#' || c == '%'; }

/* Writing goes through a plain pointer: the buffer is sized for the worst
 * case (every byte escaped, the host grown to its longest form), so only
 * the final length is checked. */
static char *put_escaped(char *w, const unsigned char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (needs_escape(c)) {
            w[0] = '%', w[1] = hex[c >> 4], w[2] = hex[c & 15];
            w += 3;
        } else {
            *w++ = (char)c;
        }
    }
    return w;
}

/* Writes the path [p, end) with its dot segments resolved and runs of
 * slashes collapsed (RFC 3986 section 5.2.4 for the dots: a final "." or
 * ".." leaves a trailing slash). The output always starts with '/'. */
static char *put_path(char *w, const unsigned char *p, const unsigned char *end) {
    char *root = w;
    *w++ = '/';
    while (p < end) {
        if (*p == '/') {
            p++;
            continue;
        }
        const unsigned char *seg = p;
        while (p < end && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if (len == 1 && seg[0] == '.')
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (w - root > 1) {
                w--; /* the slash ending the previous segment */
                while (w[-1] != '/')
                    w--;
            }
            continue;
        }
        w = put_escaped(w, seg, len);
        if (p < end)
            *w++ = '/';
    }
    return w;
}

static int is_scheme_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '-' || c == '.';
}

static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static int all_digits(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A printable excerpt of input bytes for messages: at most 40 chars,
 * other bytes as \xNN. */
static const char *excerpt(char *dst, size_t cap, const unsigned char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n && w + 8 < cap; i++) {
        if (i == 40) {
            memcpy(dst + w, "...", 3);
            w += 3;
            break;
        }
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            dst[w++] = (char)c;
        } else {
            static const char hex[] = "0123456789abcdef";
            dst[w++] = '\\', dst[w++] = 'x', dst[w++] = hex[c >> 4], dst[w++] = hex[c & 15];
        }
    }
    dst[w] = '\0';
    return dst;
}

static tamis_status fail(tamis_url *u, tamis_status st, const char *fmt, const unsigned char *s,
                         size_t n) {
    char ex[200];
    return tamis__fail(&u->err, st, fmt, excerpt(ex, sizeof ex, s, n));
}

tamis_status tamis_url_parse(tamis_url *u, const char *url, size_t len) {
    if (!u)
        return TAMIS_ERR_INVALID;
    u->ok = 0;
    u->n_hosts = u->n_paths = 0;
    u->len = 0;
    u->buf[0] = '\0';
    tamis__err_clear(&u->err);
    if (!url && len)
        return tamis__fail(&u->err, TAMIS_ERR_INVALID, "URL is NULL");
    if (len > TAMIS_URL_MAX_LEN)
        return tamis__fail(&u->err, TAMIS_ERR_TOO_LARGE,
                           "URL of %zu bytes is over the limit of %d bytes", len,
                           TAMIS_URL_MAX_LEN);
    const unsigned char *in = (const unsigned char *)url;
    /* Spaces and control bytes around the URL are not part of it. */
    size_t a = 0, b = len;
    while (a < b && in[a] <= 0x20)
        a++;
    while (b > a && in[b - 1] <= 0x20)
        b--;
    if (a == b)
        return tamis__fail(&u->err, TAMIS_ERR_EMPTY, "empty URL");

    /* Tabs, CR and LF go (not their escapes); the fragment goes. */
    unsigned char *d = u->dec;
    size_t n = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = in[i];
        if (c == '#')
            break;
        if (c == '\t' || c == '\r' || c == '\n')
            continue;
        d[n++] = c;
    }
    n = unescape_all(d, n);
    const unsigned char *end = d + n, *p = d;

    /* The scheme: letters, digits, "+-." then "://". "host:80/x" has a
     * port, not a scheme; "mailto:x" has no host, which is an error. */
    const unsigned char *scheme = (const unsigned char *)"http";
    size_t scheme_len = 4;
    if (n && is_alpha(d[0])) {
        size_t i = 1;
        while (i < n && is_scheme_char(d[i]))
            i++;
        if (i < n && d[i] == ':') {
            if (i + 2 < n && d[i + 1] == '/' && d[i + 2] == '/') {
                scheme = d, scheme_len = i;
                p = d + i + 3;
            } else {
                size_t j = i + 1;
                while (j < n && d[j] >= '0' && d[j] <= '9')
                    j++;
                if (j == i + 1 || (j < n && d[j] != '/' && d[j] != '?'))
                    return fail(u, TAMIS_ERR_INVALID,
                                "\"%s\": a scheme without \"//\" has no host", d, i + 1);
            }
        }
    }
    if (p == d && n >= 2 && d[0] == '/' && d[1] == '/')
        p += 2; /* scheme-relative: "//host/path" */

    /* The authority ends at the first '/' or '?'. */
    const unsigned char *auth = p;
    while (p < end && *p != '/' && *p != '?')
        p++;
    const unsigned char *auth_end = p, *path = p;
    while (p < end && *p != '?')
        p++;
    const unsigned char *path_end = p;
    int has_query = p < end;
    const unsigned char *query = has_query ? p + 1 : end;

    /* User name and password go, then the port. */
    const unsigned char *h = auth;
    for (const unsigned char *q = auth; q < auth_end; q++)
        if (*q == '@')
            h = q + 1;
    const unsigned char *h_end = auth_end;
    if (h < h_end && *h == '[') {
        const unsigned char *close = memchr(h, ']', (size_t)(h_end - h));
        if (!close)
            return fail(u, TAMIS_ERR_INVALID, "IPv6 address without ']' in \"%s\"", h,
                        (size_t)(h_end - h));
        const unsigned char *rest = close + 1;
        if (rest < h_end && (*rest != ':' || !all_digits(rest + 1, (size_t)(h_end - rest - 1))))
            return fail(u, TAMIS_ERR_INVALID, "\"%s\" after an IPv6 address is not a port",
                        rest, (size_t)(h_end - rest));
        h_end = close + 1;
    } else {
        const unsigned char *colon = NULL;
        for (const unsigned char *q = h; q < h_end; q++)
            if (*q == ':')
                colon = q;
        if (colon) {
            if (!all_digits(colon + 1, (size_t)(h_end - colon - 1)))
                return fail(u, TAMIS_ERR_INVALID, "port \"%s\" is not a number", colon + 1,
                            (size_t)(h_end - colon - 1));
            h_end = colon;
            if (memchr(h, ':', (size_t)(h_end - h)))
                return fail(u, TAMIS_ERR_INVALID,
                            "host \"%s\" has a ':' (an IPv6 address needs brackets)", h,
                            (size_t)(h_end - h));
        }
    }
    size_t hlen = (size_t)(h_end - h);
    if (hlen >= TAMIS__URL_HOST_MAX - 1)
        return tamis__fail(&u->err, TAMIS_ERR_INVALID, "host of %zu bytes is too long", hlen);
    unsigned char host[TAMIS__URL_HOST_MAX];
    memcpy(host, h, hlen);
    int is_ip = 0;
    if (hlen == 0)
        return fail(u, TAMIS_ERR_INVALID, "no host in \"%s\"", d, n);
    tamis_status st = tamis__url_host(&u->err, host, &hlen, &is_ip);
    if (st != TAMIS_OK)
        return st;

    char *w = u->buf;
    for (size_t i = 0; i < scheme_len; i++)
        *w++ = (char)(scheme[i] | (is_alpha(scheme[i]) ? 0x20 : 0));
    memcpy(w, "://", 3);
    w += 3;
    u->host_off = (size_t)(w - u->buf);
    w = put_escaped(w, host, hlen);
    u->host_len = (size_t)(w - u->buf) - u->host_off;
    u->path_off = (size_t)(w - u->buf);
    w = put_path(w, path, path_end);
    u->path_len = (size_t)(w - u->buf) - u->path_off;
    if (has_query) {
        *w++ = '?';
        w = put_escaped(w, query, (size_t)(end - query));
    }
    struct { size_t n; } o = {(size_t)(w - u->buf)};
    if (o.n > TAMIS_URL_CANON_MAX)
        return tamis__fail(&u->err, TAMIS_ERR_TOO_LARGE,
                           "canonical URL over %d bytes", TAMIS_URL_CANON_MAX);
    u->buf[o.n] = '\0';
    u->len = o.n;
    u->has_query = has_query;
    u->is_ip = is_ip;
    u->ok = 1;
    tamis__url_expressions(u);
    return TAMIS_OK;
}

const char *tamis_url_canonical(const tamis_url *u, size_t *len) {
    if (len)
        *len = u && u->ok ? u->len : 0;
    return u && u->ok ? u->buf : "";
}

const char *tamis_url_host(const tamis_url *u, size_t *len) {
    if (len)
        *len = u && u->ok ? u->host_len : 0;
    return u && u->ok ? u->buf + u->host_off : "";
}

tamis_status tamis_url_canonicalize(const char *url, size_t len, char *out, size_t cap,
                                    size_t *out_len, char *err, size_t errlen) {
    if (out_len)
        *out_len = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!out && cap)
        return TAMIS_ERR_INVALID;
    tamis_url *u;
    tamis_status st = tamis_url_create(&u);
    if (st != TAMIS_OK) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return st;
    }
    st = tamis_url_parse(u, url, len);
    if (st == TAMIS_OK) {
        if (out_len)
            *out_len = u->len;
        if (u->len + 1 > cap) {
            st = tamis__fail(&u->err, TAMIS_ERR_TOO_LARGE,
                             "canonical URL of %zu bytes does not fit in %zu", u->len, cap);
        } else {
            memcpy(out, u->buf, u->len + 1);
        }
    }
    if (st != TAMIS_OK && err && errlen)
        snprintf(err, errlen, "%s", u->err.msg);
    tamis_url_free(u);
    return st;
}

tamis_status tamis_url_canonicalize_alloc(const char *url, size_t len, char **out, char *err,
                                          size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    tamis_url *u;
    tamis_status st = tamis_url_create(&u);
    if (st != TAMIS_OK) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return st;
    }
    st = tamis_url_parse(u, url, len);
    if (st == TAMIS_OK) {
        *out = tamis__malloc(u->len + 1);
        if (!*out)
            st = tamis__fail(&u->err, TAMIS_ERR_NOMEM, "out of memory");
        else
            memcpy(*out, u->buf, u->len + 1);
    }
    if (st != TAMIS_OK && err && errlen)
        snprintf(err, errlen, "%s", u->err.msg);
    tamis_url_free(u);
    return st;
}
