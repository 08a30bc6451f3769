/*
 * ui.c - the web UI's files under /ui: the reviewer's and operator's
 * pages (web/), embedded in the binary at build time (scripts/embed-web
 * writes them into a generated C file), or read from --web-dir while
 * working on them. The files are public; everything they show comes from
 * the API, which checks the token the user signs in with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

/* What the pages may do: only this server's scripts and styles; media
 * from the platform's own addresses (a decision's media_url); no framing,
 * no plugins, no inline script. */
static const char ui_csp[] =
    "default-src 'self'; img-src 'self' data: blob: http: https:; "
    "media-src 'self' blob: http: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

static const char *content_type(const char *name) {
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
        {".json", "application/json"}, {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* A name the UI may ask for: segments of [A-Za-z0-9_.-], none starting
 * with a dot (no "..", no hidden files), so --web-dir cannot be left. */
static int name_ok(const char *p) {
    if (!*p || strlen(p) > 200)
        return 0;
    for (const char *s = p; *s; s++) {
        if ((s == p || s[-1] == '/') && (*s == '.' || *s == '/'))
            return 0;
        if (!(*s == '/' || *s == '.' || *s == '_' || *s == '-' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    }
    return p[strlen(p) - 1] != '/';
}

/* Reads dir/name (a regular file, symlinks not followed) into *data. */
static int read_file(const char *dir, const char *name, char **data, size_t *len) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0 && errno != EINTR)
            break;
        if (n > 0)
            got += (size_t)n;
    }
    close(fd);
    if (!buf || got != (size_t)st.st_size) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = got;
    return 0;
}

void h_ui(req *r) {
    const char *name = r->params[0];
    if (!name) {
        /* /ui: the pages' relative addresses need the slash */
        size_t n = strlen(r->path);
        if (n == 0 || r->path[n - 1] != '/') {
            r->location = "/ui/";
            reply_error(r, 301, "the web UI is at /ui/");
            return;
        }
        name = "index.html";
    }
    if (!name_ok(name)) {
        reply_error(r, 404, "no such file in the web UI: %s", name);
        return;
    }
    char *data = NULL;
    size_t len = 0;
    const char *dir = srv_cfg(r)->web_dir;
    if (dir) {
        if (read_file(dir, name, &data, &len) != 0) {
            reply_error(r, 404, "no such file in %s: %s", dir, name);
            return;
        }
    } else {
        const srv_asset *a = NULL;
        for (size_t i = 0; i < srv_n_assets && !a; i++)
            if (strcmp(srv_assets[i].name, name) == 0)
                a = &srv_assets[i];
        if (!a) {
            reply_error(r, 404, "no such file in the web UI: %s", name);
            return;
        }
        if (!(data = malloc(a->len ? a->len : 1))) {
            reply_error(r, 500, "out of memory");
            return;
        }
        memcpy(data, a->data, a->len);
        len = a->len;
    }
    r->csp = ui_csp;
    r->cache = "no-cache"; /* revalidate: a new tamis may bring new pages */
    reply_text(r, 200, content_type(name), data, len);
}
