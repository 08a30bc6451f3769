/*
 * test_api_docs.c - doc/openapi.yaml and doc/api.md describe exactly the
 * endpoints of `tamis serve`, as its route table lists them
 * (`tamis serve --list-routes`: "METHOD PATH ROLE", {} for a parameter):
 *
 *   - openapi.yaml has every route under `paths:` with its method, and no
 *     other path or method; an operation's security is `[]` exactly when
 *     the route needs no token (role "none"), else bearer (its own or the
 *     document's), and its x-tamis-role names the route's role;
 *   - api.md has a heading "### METHOD /path" for every route, in the
 *     order of the table, and none for anything else, each followed by a
 *     "Role: ROLE" line.
 *
 * Paths are compared after each {name} is replaced by {}. The YAML is read
 * by indentation, as the file is written: path keys at 2 spaces under
 * `paths:`, method keys at 4, an operation's keys at 6.
 */
#include <ctype.h>
#include <stdarg.h>

#include "../test.h"

#define MAX_ROUTES 128

typedef struct {
    char method[16], path[256], role[16];
    int in_yaml, in_md;
} doc_route;

typedef struct {
    doc_route r[MAX_ROUTES];
    int n;
} route_list;

/* Problems found, one per line. */
typedef struct {
    char text[8192];
    size_t len;
    int n;
} problems;

static void problem(problems *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void problem(problems *p, const char *f, ...) {
    p->n++;
    size_t room = sizeof p->text - p->len;
    if (room < 3)
        return;
    va_list ap;
    va_start(ap, f);
    int k = vsnprintf(p->text + p->len, room - 1, f, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    p->len += (size_t)k < room - 2 ? (size_t)k : room - 2;
    p->text[p->len++] = '\n';
    p->text[p->len] = 0;
}

/* Copies path[0..len) to out, each {name} becoming {}. */
static void normalise(const char *path, size_t len, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < len && o + 3 < cap; i++) {
        out[o++] = path[i];
        if (path[i] == '{') {
            while (i < len && path[i] != '}')
                i++;
            out[o++] = '}';
        }
    }
    out[o] = 0;
}

static int is_method(const char *s, size_t len, int upper) {
    static const char *m[] = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (strlen(m[i]) != len)
            continue;
        size_t k = 0;
        while (k < len && s[k] == (upper ? toupper((unsigned char)m[i][k]) : m[i][k]))
            k++;
        if (k == len)
            return 1;
    }
    return 0;
}

static int find_route(route_list *rs, const char *method, const char *path) {
    for (int i = 0; i < rs->n; i++)
        if (strcmp(rs->r[i].method, method) == 0 && strcmp(rs->r[i].path, path) == 0)
            return i;
    return -1;
}

/* Reads --list-routes output. */
static void parse_routes(const char *text, route_list *rs, problems *p) {
    memset(rs, 0, sizeof *rs);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        if (len > 0 && len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = 0;
            doc_route *r = &rs->r[rs->n];
            if (rs->n == MAX_ROUTES || sscanf(buf, "%15s %255s %15s", r->method, r->path, r->role) != 3)
                problem(p, "--list-routes: cannot read \"%s\"", buf);
            else
                rs->n++;
        }
        line = end ? end + 1 : line + len;
    }
    if (rs->n == 0)
        problem(p, "--list-routes listed no routes");
}

typedef struct {
    const char *s; /* the line's text after its indentation */
    size_t len;    /* its length, without a trailing \r or blanks */
    int indent;
} yline;

/* Splits text into lines (pointers into it). Returns the count. */
static int split_lines(const char *text, yline *out, int cap) {
    int n = 0;
    for (const char *p = text; *p && n < cap;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int ind = 0;
        while ((size_t)ind < len && p[ind] == ' ')
            ind++;
        size_t l = len - (size_t)ind;
        while (l && (p[ind + l - 1] == '\r' || p[ind + l - 1] == ' '))
            l--;
        out[n++] = (yline){p + ind, l, ind};
        p = end ? end + 1 : p + len;
    }
    return n;
}

static int blank_or_comment(const yline *l) { return l->len == 0 || l->s[0] == '#'; }

/* Whether line l is "key:" (with anything after the colon); *val and
 * *vlen get the value (trimmed). */
static int key_is(const yline *l, const char *key, const char **val, size_t *vlen) {
    size_t k = strlen(key);
    if (l->len < k + 1 || strncmp(l->s, key, k) != 0 || l->s[k] != ':')
        return 0;
    const char *v = l->s + k + 1;
    size_t n = l->len - k - 1;
    while (n && *v == ' ')
        v++, n--;
    *val = v, *vlen = n;
    return 1;
}

enum { SEC_UNSET, SEC_NONE, SEC_BEARER, SEC_OTHER };

/* The security requirement at line i (a "security:" key of indentation
 * ind): [] is none; a list naming bearerAuth is bearer. */
static int read_security(const yline *ls, int n, int i, int ind, const char *val, size_t vlen) {
    if (vlen == 2 && strncmp(val, "[]", 2) == 0)
        return SEC_NONE;
    char all[1024];
    size_t used = 0;
    if (vlen && vlen < sizeof all)
        memcpy(all, val, vlen), used = vlen;
    /* a block value: deeper lines, or "- " items at the same indentation */
    for (int j = i + 1; j < n; j++) {
        if (blank_or_comment(&ls[j]))
            continue;
        if (ls[j].indent < ind || (ls[j].indent == ind && ls[j].s[0] != '-'))
            break;
        if (used + ls[j].len + 1 < sizeof all) {
            all[used++] = ' ';
            memcpy(all + used, ls[j].s, ls[j].len);
            used += ls[j].len;
        }
    }
    all[used] = 0;
    return strstr(all, "bearerAuth") ? SEC_BEARER : SEC_OTHER;
}

typedef struct {
    char method[16], path[256], role[32];
    int security;
    int line;
} yaml_op;

static void check_yaml(const char *yaml, route_list *rs, problems *p) {
    static yline ls[8192];
    static yaml_op ops[MAX_ROUTES * 2];
    int n = split_lines(yaml, ls, 8192), nops = 0;
    int global = SEC_UNSET, in_paths = 0, seen_paths = 0;
    char path[256] = "";
    yaml_op *op = NULL;
    for (int i = 0; i < n; i++) {
        const yline *l = &ls[i];
        const char *val;
        size_t vlen;
        if (blank_or_comment(l))
            continue;
        if (l->s[0] == '\t')
            problem(p, "openapi.yaml:%d: a tab in the indentation", i + 1);
        if (l->indent == 0) {
            in_paths = 0;
            op = NULL;
            if (key_is(l, "paths", &val, &vlen)) {
                in_paths = seen_paths = 1;
            } else if (key_is(l, "security", &val, &vlen)) {
                global = read_security(ls, n, i, 0, val, vlen);
            }
            continue;
        }
        if (!in_paths)
            continue;
        if (l->indent == 2) {
            /* a path: /a/{b}: or "/a/{b}": */
            const char *s = l->s;
            size_t len = l->len;
            if (len && s[len - 1] == ':')
                len--;
            if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0])
                s++, len -= 2;
            if (!len || s[0] != '/' || l->s[l->len - 1] != ':') {
                problem(p, "openapi.yaml:%d: not a path key under paths: %.*s", i + 1,
                        (int)l->len, l->s);
                path[0] = 0;
            } else {
                normalise(s, len, path, sizeof path);
            }
            op = NULL;
        } else if (l->indent == 4) {
            op = NULL;
            const char *colon = memchr(l->s, ':', l->len);
            if (!colon || !path[0] || !is_method(l->s, (size_t)(colon - l->s), 0))
                continue; /* parameters, summary, ... */
            if (nops == MAX_ROUTES * 2) {
                problem(p, "openapi.yaml: too many operations");
                continue;
            }
            op = &ops[nops++];
            memset(op, 0, sizeof *op);
            size_t ml = (size_t)(colon - l->s);
            for (size_t k = 0; k < ml && k + 1 < sizeof op->method; k++)
                op->method[k] = (char)toupper((unsigned char)l->s[k]);
            snprintf(op->path, sizeof op->path, "%s", path);
            op->line = i + 1;
        } else if (l->indent == 6 && op) {
            if (key_is(l, "security", &val, &vlen))
                op->security = read_security(ls, n, i, 6, val, vlen);
            else if (key_is(l, "x-tamis-role", &val, &vlen))
                snprintf(op->role, sizeof op->role, "%.*s", (int)vlen, val);
        }
    }
    if (!seen_paths)
        problem(p, "openapi.yaml: no paths:");
    if (global != SEC_BEARER)
        problem(p, "openapi.yaml: the document's security is not bearerAuth");
    for (int k = 0; k < nops; k++) {
        yaml_op *o = &ops[k];
        int ri = find_route(rs, o->method, o->path);
        if (ri < 0) {
            problem(p, "openapi.yaml:%d: %s %s is not a route of tamis serve", o->line, o->method,
                    o->path);
            continue;
        }
        doc_route *r = &rs->r[ri];
        if (r->in_yaml++)
            problem(p, "openapi.yaml:%d: %s %s is there twice", o->line, o->method, o->path);
        int sec = o->security != SEC_UNSET ? o->security : global;
        int open = strcmp(r->role, "none") == 0;
        if (open && sec != SEC_NONE)
            problem(p, "openapi.yaml:%d: %s %s needs no token: its security must be []",
                    o->line, o->method, o->path);
        if (!open && sec != SEC_BEARER)
            problem(p, "openapi.yaml:%d: %s %s needs a %s token: its security must be bearerAuth",
                    o->line, o->method, o->path, r->role);
        if (strcmp(o->role, r->role) != 0)
            problem(p, "openapi.yaml:%d: %s %s: x-tamis-role is \"%s\", the route's role is %s",
                    o->line, o->method, o->path, o->role, r->role);
    }
    for (int k = 0; k < rs->n; k++)
        if (!rs->r[k].in_yaml)
            problem(p, "openapi.yaml: %s %s is missing", rs->r[k].method, rs->r[k].path);
}

static void check_md(const char *md, route_list *rs, problems *p) {
    static yline ls[8192];
    int n = split_lines(md, ls, 8192), fenced = 0, last = -1;
    for (int i = 0; i < n; i++) {
        const yline *l = &ls[i];
        if (l->len >= 3 && strncmp(l->s, "```", 3) == 0) {
            fenced = !fenced;
            continue;
        }
        if (fenced || l->indent != 0 || l->len < 5 || strncmp(l->s, "### ", 4) != 0)
            continue;
        const char *m = l->s + 4, *sp = memchr(m, ' ', l->len - 4);
        if (!sp || !is_method(m, (size_t)(sp - m), 1) || sp[1] != '/')
            continue;
        char method[16], path[256];
        snprintf(method, sizeof method, "%.*s", (int)(sp - m), m);
        normalise(sp + 1, l->len - (size_t)(sp + 1 - l->s), path, sizeof path);
        int ri = find_route(rs, method, path);
        if (ri < 0) {
            problem(p, "api.md:%d: %s %s is not a route of tamis serve", i + 1, method, path);
            continue;
        }
        doc_route *r = &rs->r[ri];
        if (r->in_md++)
            problem(p, "api.md:%d: %s %s is there twice", i + 1, method, path);
        if (ri < last)
            problem(p, "api.md:%d: %s %s is not in the order of the route table", i + 1, method,
                    path);
        last = ri;
        /* "Role: ROLE" before the next heading */
        int found = 0;
        for (int j = i + 1; j < n && !(ls[j].len && ls[j].s[0] == '#' && ls[j].indent == 0); j++) {
            const char *val;
            size_t vlen;
            if (ls[j].indent == 0 && key_is(&ls[j], "Role", &val, &vlen)) {
                found = 1;
                if (vlen != strlen(r->role) || strncmp(val, r->role, vlen) != 0)
                    problem(p, "api.md:%d: %s %s: the role is %s, not %.*s", j + 1, method, path,
                            r->role, (int)vlen, val);
                break;
            }
        }
        if (!found)
            problem(p, "api.md:%d: %s %s has no \"Role: %s\" line", i + 1, method, path,
                    r->role);
    }
    for (int k = 0; k < rs->n; k++)
        if (!rs->r[k].in_md)
            problem(p, "api.md: no heading \"### %s %s\"", rs->r[k].method, rs->r[k].path);
}

/* Checks both documents against the routes; returns the problems. */
static problems *check_docs(const char *routes, const char *yaml, const char *md) {
    static problems p;
    static route_list rs;
    memset(&p, 0, sizeof p);
    parse_routes(routes, &rs, &p);
    check_yaml(yaml, &rs, &p);
    check_md(md, &rs, &p);
    return &p;
}

static char *load_text(const char *rel) {
    size_t len;
    unsigned char *b = read_file(fmt("%s/%s", repo_dir(), rel), &len);
    if (!b)
        FAIL("cannot read %s", rel);
    char *s = malloc(len + 1);
    memcpy(s, b, len);
    s[len] = 0;
    free(b);
    return s;
}

static char *list_routes(void) {
    char *out = NULL, *err = NULL;
    int st = run_cmd(fmt("'%s/tamis' serve --list-routes", build_dir()), &out, &err);
    if (st != 0)
        FAIL("tamis serve --list-routes: exit %d: %s", st, err ? err : "");
    free(err);
    return out;
}

/* s with the first `old` replaced by `new_` (free it). */
static char *replace(const char *s, const char *old, const char *new_) {
    const char *at = strstr(s, old);
    if (!at)
        FAIL("\"%s\" is not in the document", old);
    size_t a = (size_t)(at - s), b = strlen(new_), c = strlen(at + strlen(old));
    char *r = malloc(a + b + c + 1);
    memcpy(r, s, a);
    memcpy(r + a, new_, b);
    memcpy(r + a + b, at + strlen(old), c + 1);
    return r;
}

/* s with `insert` put after the first `after` (free it). */
static char *insert_after(const char *s, const char *after, const char *insert) {
    char *both = malloc(strlen(after) + strlen(insert) + 1);
    strcpy(both, after);
    strcat(both, insert);
    char *r = replace(s, after, both);
    free(both);
    return r;
}

TEST(api_docs_match_route_table) {
    char *routes = list_routes(), *yaml = load_text("doc/openapi.yaml"),
         *md = load_text("doc/api.md");
    problems *p = check_docs(routes, yaml, md);
    if (p->n)
        FAIL("%d problem(s) between the route table and the docs:\n%s", p->n, p->text);
    free(routes), free(yaml), free(md);
}

/* The checker itself: each kind of drift is caught. */
TEST(api_docs_checker_catches_drift) {
    char *routes = list_routes(), *yaml = load_text("doc/openapi.yaml"),
         *md = load_text("doc/api.md");
    ASSERT_EQ(check_docs(routes, yaml, md)->n, 0);

    /* a route added without docs */
    char *more = insert_after(routes, "", "GET /c/bank/{}/nothing matcher\n");
    problems *p = check_docs(more, yaml, md);
    ASSERT_EQ(p->n, 2);
    ASSERT(strstr(p->text, "openapi.yaml: GET /c/bank/{}/nothing is missing") != NULL);
    ASSERT(strstr(p->text, "api.md: no heading \"### GET /c/bank/{}/nothing\"") != NULL);
    free(more);

    /* a route that needs no token, documented as needing one */
    char *closed = replace(routes, "GET /status/live none\n", "GET /status/live matcher\n");
    p = check_docs(closed, yaml, md);
    ASSERT(strstr(p->text, "GET /status/live needs a matcher token: its security must be "
                           "bearerAuth") != NULL);
    ASSERT(strstr(p->text, "x-tamis-role is \"none\", the route's role is matcher") != NULL);
    ASSERT(strstr(p->text, "GET /status/live: the role is matcher, not none") != NULL);
    ASSERT_EQ(p->n, 3);
    free(closed);

    /* docs of routes that do not exist: a path, a method, a heading */
    char *y1 = insert_after(yaml, "\npaths:\n",
                            "  /m/nowhere/{x}:\n    parameters: []\n    get:\n"
                            "      x-tamis-role: matcher\n");
    p = check_docs(routes, y1, md);
    ASSERT_EQ(p->n, 1);
    ASSERT(strstr(p->text, "GET /m/nowhere/{} is not a route") != NULL);
    free(y1);
    char *y2 = insert_after(yaml, "\n  /status:\n", "    delete:\n      x-tamis-role: admin\n");
    p = check_docs(routes, y2, md);
    ASSERT_EQ(p->n, 1);
    ASSERT(strstr(p->text, "DELETE /status is not a route") != NULL);
    free(y2);
    char *m1 = insert_after(md, "## Endpoints\n", "\n### PATCH /c/bank/{name}\n\nRole: curator\n");
    p = check_docs(routes, yaml, m1);
    ASSERT_EQ(p->n, 1);
    ASSERT(strstr(p->text, "PATCH /c/bank/{} is not a route") != NULL);
    free(m1);

    /* an operation's security that contradicts its role */
    char *y3 = insert_after(yaml, "      operationId: status\n", "      security: []\n");
    p = check_docs(routes, y3, md);
    ASSERT_EQ(p->n, 1);
    ASSERT(strstr(p->text, "GET /status needs a matcher token") != NULL);
    free(y3);

    free(routes), free(yaml), free(md);
}
