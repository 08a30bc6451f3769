/* collect.c - see collect.h. */
#include <stdarg.h>

#include "../test.h"
#include "collect.h"

static void add_line(collected *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void add_line(collected *c, const char *f, ...) {
    va_list ap;
    char *s = NULL;
    va_start(ap, f);
    if (vasprintf(&s, f, ap) < 0)
        test_fail(__FILE__, __LINE__, "out of memory");
    va_end(ap);
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->lines = realloc(c->lines, c->cap * sizeof *c->lines);
    }
    c->lines[c->n++] = s;
}

static int on_record(void *ctx, const tamis__record *r) {
    collected *c = ctx;
    char extra[8192] = "";
    size_t n = 0;
    if (r->external_id)
        n += (size_t)snprintf(extra + n, sizeof extra - n, " id=%s", r->external_id);
    if (r->labels && n < sizeof extra)
        n += (size_t)snprintf(extra + n, sizeof extra - n, " labels=%s", r->labels);
    if (r->metadata && n < sizeof extra)
        n += (size_t)snprintf(extra + n, sizeof extra - n, " meta=%s", r->metadata);
    if (r->created && n < sizeof extra)
        snprintf(extra + n, sizeof extra - n, " created=%lld", (long long)r->created);
    add_line(c, "%llu %s %s %s%s", (unsigned long long)r->position,
             r->op == TAMIS__REC_ADD ? "add" : r->op == TAMIS__REC_DELETE ? "delete" : "?",
             r->type ? r->type : "-", r->value ? r->value : "-", extra);
    c->records++;
    return c->stop_after && c->records >= c->stop_after;
}

static void on_reject(void *ctx, uint64_t position, const char *why) {
    add_line(ctx, "%llu reject: %s", (unsigned long long)position, why);
}

static tamis_status run(tamis__reader_fn fn, FILE *f, collected *c) {
    tamis__reader_cb cb = {on_record, on_reject, c};
    if (!f)
        test_fail(__FILE__, __LINE__, "cannot open the input");
    tamis_status st = fn(f, &cb, &c->err);
    fclose(f);
    return st;
}

tamis_status collect_file(tamis__reader_fn fn, const char *name, collected *c) {
    return run(fn, fopen(fmt("%s/tests/formats/data/%s", repo_dir(), name), "rb"), c);
}

tamis_status collect_mem(tamis__reader_fn fn, const char *text, size_t len, collected *c) {
    /* fmemopen refuses a size of 0; an empty file is read from /dev/null */
    return run(fn, len ? fmemopen((void *)text, len, "rb") : fopen("/dev/null", "rb"), c);
}

void collected_free(collected *c) {
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    free(c->lines);
    memset(c, 0, sizeof *c);
}

void expect_lines_at(const char *file, int line, const collected *c, const char *const *want) {
    size_t i = 0;
    for (; want[i] && i < c->n; i++)
        if (strcmp(want[i], c->lines[i]) != 0)
            test_fail(file, line, "line %zu:\n      got  %s\n      want %s", i + 1,
                      c->lines[i], want[i]);
    if (want[i])
        test_fail(file, line, "%zu lines, want more; the next wanted:\n      %s", c->n, want[i]);
    if (i < c->n)
        test_fail(file, line, "%zu lines wanted, got more; the next:\n      %s", i, c->lines[i]);
}
