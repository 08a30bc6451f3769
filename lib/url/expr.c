/*
 * expr.c - the suffix/prefix expressions of a canonical URL (Safe Browsing
 * API v4, "URLs and Hashing", section Suffix/Prefix Expressions): at most
 * 5 hosts (the exact host, then up to 4 suffixes made from its last five
 * labels, the top-level domain alone left out; an IP address alone) times
 * at most 6 paths (the path with its query, without, then "/" and up to 3
 * more directories from the root). A bank entry matches a URL when it is
 * one of these strings, so "example.com/videos/" matches
 * "https://www.example.com/videos/x?y=1".
 */
#include <string.h>

#include "url.h"

static void add_path(tamis_url *u, size_t end) {
    for (int i = 0; i < u->n_paths; i++)
        if (u->path_end[i] == end)
            return;
    u->path_end[u->n_paths++] = end;
}

void tamis__url_expressions(tamis_url *u) {
    const char *host = u->buf + u->host_off;
    size_t hl = u->host_len;
    u->n_hosts = 0;
    u->host_start[u->n_hosts++] = 0;
    if (!u->is_ip) {
        /* Label starts; the suffixes begin at label max(1, k - 5) and end
         * before the last label. */
        size_t starts[TAMIS__URL_HOST_MAX];
        size_t k = 0;
        starts[k++] = 0;
        for (size_t i = 0; i < hl; i++)
            if (host[i] == '.')
                starts[k++] = i + 1;
        size_t first = k > 5 ? k - 5 : 1;
        for (size_t i = first; i + 1 < k; i++)
            u->host_start[u->n_hosts++] = (uint16_t)starts[i];
    }

    const char *path = u->buf + u->path_off;
    size_t pl = u->path_len;
    size_t full = u->len - u->path_off;
    u->n_paths = 0;
    if (u->has_query && full > pl + 1)
        add_path(u, full); /* an empty query adds no expression */
    add_path(u, pl);
    add_path(u, 1);
    /* Directories: the prefix of i components, for i below the number of
     * components and at most 3. */
    size_t comps = 0;
    for (size_t i = 1; i < pl; i++)
        if (path[i] == '/')
            comps++;
    if (pl > 1 && path[pl - 1] != '/')
        comps++;
    size_t limit = comps < 4 ? comps : 4, i = 1;
    for (size_t c = 1; c < limit; c++) {
        while (path[i] != '/')
            i++;
        add_path(u, i + 1);
        i++;
    }
}

size_t tamis_url_expression_count(const tamis_url *u) {
    return u && u->ok ? (size_t)u->n_hosts * (size_t)u->n_paths : 0;
}

const char *tamis_url_expression(const tamis_url *u, size_t i, size_t *len) {
    if (i >= tamis_url_expression_count(u)) {
        if (len)
            *len = 0;
        return NULL;
    }
    size_t h = i / (size_t)u->n_paths, p = i % (size_t)u->n_paths;
    size_t start = u->host_off + u->host_start[h];
    if (len)
        *len = u->path_off + u->path_end[p] - start;
    return u->buf + start;
}
