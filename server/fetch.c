/*
 * fetch.c - fetching media by URL (`url=` on /h/hash, /m/lookup,
 * /m/match and /c/bank/{name}/content), with libcurl.
 *
 * A server that fetches what its callers name can be turned against the
 * network it sits in (SSRF), so fetching is off unless the operator names
 * the hosts it may fetch from (--fetch-allow). Even then: http and https
 * only; no redirects (a redirect could leave the allowlist); the address
 * each connection goes to is checked when the socket is opened, after DNS,
 * so a listed name that resolves to a loopback, private, link-local or
 * otherwise internal address is refused (unless --fetch-private, for media
 * servers inside the operator's own network); a size limit enforced while
 * the body arrives, not only from Content-Length; a time limit on the
 * whole transfer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "server.h"

void fetch_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Whether host is in the comma-separated allowlist: an entry matches the
 * same name, or any subdomain of it (as HMA's ALLOWED_HOSTNAMES). */
static int host_allowed(const char *list, const char *host) {
    size_t hl = strlen(host);
    while (list && *list) {
        const char *end = strchr(list, ',');
        size_t n = end ? (size_t)(end - list) : strlen(list);
        if (n && n <= hl && strncasecmp(host + hl - n, list, n) == 0 &&
            (n == hl || host[hl - n - 1] == '.'))
            return 1;
        list = end ? end + 1 : NULL;
    }
    return 0;
}

/* Addresses a fetch must not reach unless the operator said so. */
static int internal_address(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
               (a >> 16) == 0xa9fe ||             /* 169.254/16 link-local, cloud metadata */
               (a >> 20) == 0xac1 ||              /* 172.16/12 */
               (a >> 16) == 0xc0a8 ||             /* 192.168/16 */
               (a >> 22) == (0x64400000u >> 22) || /* 100.64/10 carrier NAT */
               (a >> 28) >= 0xe;                  /* multicast, reserved, broadcast */
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            struct sockaddr_in v4;
            memset(&v4, 0, sizeof v4);
            v4.sin_family = AF_INET;
            memcpy(&v4.sin_addr, a->s6_addr + 12, 4);
            return internal_address((const struct sockaddr *)&v4);
        }
        return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) ||
               IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
               IN6_IS_ADDR_MULTICAST(a) || (a->s6_addr[0] & 0xfe) == 0xfc; /* fc00::/7 */
    }
    return 1;
}

typedef struct {
    uint8_t *data;
    size_t len, cap, limit;
    int too_large, refused_address, allow_private;
} sink;

static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a) {
    sink *s = ctx;
    if (purpose != CURLSOCKTYPE_IPCXN || (!s->allow_private && internal_address(&a->addr))) {
        s->refused_address = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx) {
    sink *s = ctx;
    size_t add = size * n;
    if (add > s->limit - s->len) {
        s->too_large = 1;
        return 0; /* aborts the transfer */
    }
    if (s->len + add > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + add)
            cap *= 2;
        uint8_t *d = realloc(s->data, cap);
        if (!d)
            return 0;
        s->data = d, s->cap = cap;
    }
    memcpy(s->data + s->len, p, add);
    s->len += add;
    return add;
}

int fetch_into_upload(req *r, const char *url) {
    const srv_config *cfg = srv_cfg(r);
    if (!cfg->fetch_allow) {
        reply_error(r, 403, "fetching content by URL is disabled on this server: upload it");
        return -1;
    }
    /* The URL as curl will read it: scheme and host from the same parser. */
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0);
    int allowed = ok && host_allowed(cfg->fetch_allow, host);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (!ok) {
        reply_error(r, 400, "Invalid or unsafe URL provided: only http and https URLs with a host");
        return -1;
    }
    if (!allowed) {
        reply_error(r, 400, "Invalid or unsafe URL provided: host not in this server's --fetch-allow list");
        return -1;
    }
    sink s = {NULL, 0, 0, cfg->fetch_max_bytes, 0, 0, cfg->fetch_private};
    CURL *c = curl_easy_init();
    if (!c) {
        reply_error(r, 500, "fetch: cannot start a transfer");
        return -1;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->fetch_timeout_s * 1000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->fetch_timeout_s * 1000L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->fetch_max_bytes);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tamis/" TAMIS_VERSION_STRING);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    int status = 0;
    if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        status = 413;
        reply_error(r, 413, "Content too large: over %zu bytes", cfg->fetch_max_bytes);
    } else if (s.refused_address) {
        status = 400;
        reply_error(r, 400, "Invalid or unsafe URL provided: the host resolves to an internal address");
    } else if (rc != CURLE_OK) {
        status = 400;
        reply_error(r, 400, "Failed to fetch URL: %s", cerr[0] ? cerr : curl_easy_strerror(rc));
    } else if (code >= 300 && code < 400) {
        status = 400;
        reply_error(r, 400, "Failed to fetch URL: HTTP %ld (redirects are not followed)", code);
    } else if (code < 200 || code >= 300) {
        status = 400;
        reply_error(r, 400, "Failed to fetch URL: HTTP %ld", code);
    }
    if (status) {
        free(s.data);
        return -1;
    }
    free(r->upload);
    r->upload = s.data;
    r->upload_len = s.len;
    return 0;
}
