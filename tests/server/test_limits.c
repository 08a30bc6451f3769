/*
 * test_limits.c - doc/limits.md says what each input limit answers; this
 * test holds the code to it. Every table row of the document whose last
 * cell names a check (`key`, of [a-z0-9_]) is triggered here, and the status and message
 * the service or the CLI produces must be the row's: the error cell starts
 * with the status (an HTTP status, or "exit N" for the CLI) and holds the
 * exact body or stderr line in its first backquoted span, with FILE
 * standing for the file the check made. A check named by the document but
 * unknown here, or known here but missing from the document, fails too:
 * neither side can drift alone.
 *
 * The service runs with its default limits, so the messages are the ones
 * an operator sees out of the box.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../test.h"
#include "client.h"

#define MAX_ROWS 64

typedef struct {
    char key[32];
    int status;
    char *message; /* owned */
} doc_row;

typedef struct {
    doc_row row[MAX_ROWS];
    int n;
} doc_rows;

/* Splits a table line "| a | b |" into its cells (trimmed, in place).
 * Returns the number of cells. A "|" inside backquotes stays in its cell. */
static int cells(char *line, char **out, int cap) {
    int n = 0, tick = 0;
    char *p = line;
    if (*p != '|')
        return 0;
    char *start = ++p;
    for (; *p; p++) {
        if (*p == '`')
            tick = !tick;
        else if (*p == '|' && !tick) {
            *p = 0;
            char *s = start, *e = p;
            while (*s == ' ')
                s++;
            while (e > s && e[-1] == ' ')
                e--;
            *e = 0;
            if (n < cap)
                out[n++] = s;
            start = p + 1;
        }
    }
    return n;
}

/* The checked rows of doc/limits.md. */
static void load_doc(doc_rows *d) {
    memset(d, 0, sizeof *d);
    size_t len;
    char *text = (char *)read_file(fmt("%s/doc/limits.md", repo_dir()), &len);
    if (!text)
        FAIL("cannot read doc/limits.md");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *c[16];
        int n = cells(line, c, 16);
        if (n < 3)
            continue;
        const char *last = c[n - 1];
        size_t kl = strlen(last);
        if (kl < 3 || last[0] != '`' || last[kl - 1] != '`')
            continue;
        /* a check's name is [a-z0-9_]; other cells may end in code too */
        size_t k = 1;
        while (k < kl - 1 && (islower((unsigned char)last[k]) ||
                              isdigit((unsigned char)last[k]) || last[k] == '_'))
            k++;
        if (k != kl - 1)
            continue;
        if (d->n == MAX_ROWS)
            FAIL("more than %d checked rows in doc/limits.md", MAX_ROWS);
        doc_row *r = &d->row[d->n++];
        snprintf(r->key, sizeof r->key, "%.*s", (int)kl - 2, last + 1);
        /* the error cell: the one before the check */
        const char *err = c[n - 2], *tick = strchr(err, '`');
        const char *end = tick ? strchr(tick + 1, '`') : NULL;
        if (!end)
            FAIL("doc/limits.md, check `%s`: no `message` in \"%s\"", r->key, err);
        r->status = -1;
        for (const char *p = err; p < tick; p++)
            if (isdigit((unsigned char)*p)) {
                r->status = atoi(p);
                break;
            }
        if (r->status < 0)
            FAIL("doc/limits.md, check `%s`: no status before the message in \"%s\"", r->key,
                 err);
        r->message = strndup(tick + 1, (size_t)(end - tick - 1));
    }
    free(text);
}

/* `s` with every FILE replaced by `file`; static, overwritten by the next call. */
static const char *with_file(const char *s, const char *file) {
    static char out[8192];
    size_t o = 0;
    while (*s && o + 1 < sizeof out) {
        if (strncmp(s, "FILE", 4) == 0 && file) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s", file);
            if (o >= sizeof out)
                o = sizeof out - 1;
            s += 4;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = 0;
    return out;
}

/* ---- Triggers -----------------------------------------------------------
 * Each makes its limit fail once and reports what came back: the HTTP
 * status and body, or the exit status and stderr. */

typedef struct {
    int status;
    char *text;       /* body, or stderr (owned) */
    const char *file; /* what FILE stands for, or NULL */
} outcome;

typedef struct {
    server_proc srv;
    char *admin;
} svc;

static void http(svc *s, const char *method, const char *path, const char *token,
                 const char *ctype, const void *body, size_t len, outcome *o) {
    http_resp r;
    ASSERT_EQ(http_do(s->srv.port, method, path, token, ctype, body, len, &r), 0);
    o->status = r.status;
    o->text = r.body;
}

static void cli(const char *args, const char *file, outcome *o) {
    char *out = NULL, *err = NULL;
    o->status = run_cmd(fmt("'%s/tamis' %s", build_dir(), args), &out, &err);
    o->text = err;
    o->file = file;
    free(out);
}

static const char *write_file(const char *name, const void *data, size_t len) {
    static char paths[8][4096]; /* valid for the next 7 calls: no leak under LSan */
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", tmp_dir(), name);
    FILE *f = fopen(path, "wb");
    ASSERT(f != NULL);
    ASSERT_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* `n` copies of `c`, NUL-terminated; caller frees. */
static char *filled(size_t n, char c) {
    char *s = malloc(n + 1);
    ASSERT(s != NULL);
    memset(s, c, n);
    s[n] = 0;
    return s;
}

/* Appends a PNG chunk (length, type, data, CRC-32 of type and data:
 * PNG spec, 5.3) to out at *n. */
static void png_chunk(unsigned char *out, size_t *n, const char *type, const unsigned char *data,
                      unsigned len) {
    unsigned char *p = out + *n;
    p[0] = (unsigned char)(len >> 24), p[1] = (unsigned char)(len >> 16);
    p[2] = (unsigned char)(len >> 8), p[3] = (unsigned char)len;
    memcpy(p + 4, type, 4);
    if (len)
        memcpy(p + 8, data, len);
    unsigned long crc = 0xffffffffUL;
    for (unsigned i = 0; i < 4 + len; i++) {
        crc ^= p[4 + i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320UL & (0UL - (crc & 1)));
    }
    crc ^= 0xffffffffUL;
    unsigned char *c = p + 8 + len;
    c[0] = (unsigned char)(crc >> 24), c[1] = (unsigned char)(crc >> 16);
    c[2] = (unsigned char)(crc >> 8), c[3] = (unsigned char)crc;
    *n += 12 + len;
}

/* A PNG whose header declares w x h, with one empty IDAT (zlib, a stored
 * empty block): the size is refused before anything is decoded. out holds
 * 128 bytes. */
static size_t png_header(unsigned w, unsigned h, unsigned char *out) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16),
                                    (unsigned char)(w >> 8),  (unsigned char)w,
                                    (unsigned char)(h >> 24), (unsigned char)(h >> 16),
                                    (unsigned char)(h >> 8),  (unsigned char)h,
                                    8, 2, 0, 0, 0};
    static const unsigned char idat[11] = {0x78, 0x01, 0x01, 0x00, 0x00, 0xff,
                                           0xff, 0x00, 0x00, 0x00, 0x01};
    size_t n = 8;
    memcpy(out, sig, 8);
    png_chunk(out, &n, "IHDR", ihdr, 13);
    png_chunk(out, &n, "IDAT", idat, 11);
    png_chunk(out, &n, "IEND", NULL, 0);
    return n;
}

static void trigger(svc *s, const char *key, outcome *o) {
    memset(o, 0, sizeof *o);
    const char *J = "application/json";
    if (strcmp(key, "body") == 0) {
        size_t n = ((size_t)1 << 20) + 1;
        char *b = filled(n, ' ');
        http(s, "POST", "/c/banks", s->admin, J, b, n, o);
        free(b);
    } else if (strcmp(key, "headers") == 0) {
        /* a header (the token's) that alone fills the connection's memory */
        char *t = filled(16384, 'a');
        http(s, "GET", "/c/banks", t, NULL, NULL, 0, o);
        free(t);
    } else if (strcmp(key, "depth") == 0) {
        char *b = filled(6000, ']');
        memset(b, '[', 3000);
        http(s, "POST", "/m/compare", s->admin, J, b, 6000, o);
        free(b);
    } else if (strcmp(key, "token") == 0) {
        char *t = filled(257, 'a');
        http(s, "GET", "/c/banks", t, NULL, NULL, 0, o);
        free(t);
    } else if (strcmp(key, "pixels_http") == 0) {
        unsigned char png[128];
        char ct[128];
        size_t n = png_header(20000, 20000, png), blen;
        char *body = multipart("file", "big.png", png, n, &blen, ct, sizeof ct);
        http(s, "POST", "/h/hash", s->admin, ct, body, blen, o);
        free(body);
    } else if (strcmp(key, "pixels_cli") == 0) {
        unsigned char png[128];
        size_t n = png_header(20000, 20000, png);
        const char *f = write_file("big.png", png, n);
        cli(fmt("hash '%s'", f), f, o);
    } else if (strcmp(key, "text_file") == 0) {
        size_t n = ((size_t)16 << 20) + 1;
        char *t = filled(n, 'a');
        const char *f = write_file("big.txt", t, n);
        free(t);
        cli(fmt("hash --text '%s'", f), f, o);
    } else if (strcmp(key, "url_stdin") == 0) {
        char *u = filled(8300, 'a');
        memcpy(u, "http://a.example/", 17);
        u[8299] = '\n';
        const char *f = write_file("urls.txt", u, 8300);
        free(u);
        cli(fmt("hash --url - < '%s'", f), f, o);
    } else if (strcmp(key, "import_line") == 0 || strcmp(key, "csv_row") == 0 ||
               strcmp(key, "json_record") == 0) {
        size_t n = 300000;
        char *big = filled(n, 'x'), *data = malloc(n + 200);
        ASSERT(data != NULL);
        const char *format, *name;
        int len;
        if (strcmp(key, "import_line") == 0) {
            format = "hashlist", name = "long.txt";
            len = snprintf(data, n + 200, "%064d %s\n", 0, big);
        } else if (strcmp(key, "csv_row") == 0) {
            format = "pytx-csv", name = "long.csv";
            len = snprintf(data, n + 200, "indicator,indicator_type,tags\n%s,pdq,x\n", big);
        } else {
            format = "tcap-json", name = "long.json";
            len = snprintf(data, n + 200, "[{\"hash\":\"%064d\",\"x\":\"%s\"}]", 0, big);
        }
        const char *f = write_file(name, data, (size_t)len);
        free(big), free(data);
        cli(fmt("import --db '%s/imp.db' --bank LIMITS --format %s '%s'", tmp_dir(), format, f),
            f, o);
    } else if (strcmp(key, "match_line") == 0) {
        size_t n = 70000;
        char *data = filled(n, 'x');
        memset(data, '0', 64);
        data[64] = ' ';
        data[n - 1] = '\n';
        const char *f = write_file("bank.txt", data, n);
        free(data);
        cli(fmt("match --bank '%s' '%s'", f, f), f, o);
    } else if (strcmp(key, "signals") == 0) {
        const char *b = "{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\",\"f\":\"1\","
                        "\"g\":\"1\",\"h\":\"1\",\"i\":\"1\"}";
        http(s, "POST", "/c/bank/LIMITS/signal", s->admin, J, b, strlen(b), o);
    } else if (strcmp(key, "note") == 0) {
        char *note = filled(256, 'n');
        const char *b = fmt("{\"md5\":\"%032d\",\"note\":\"%s\"}", 1, note);
        http(s, "POST", "/c/bank/LIMITS/signal", s->admin, J, b, strlen(b), o);
        free(note);
    } else if (strcmp(key, "page") == 0) {
        http(s, "GET", "/c/bank/LIMITS/content?limit=501", s->admin, NULL, NULL, 0, o);
    } else {
        o->status = -2; /* unknown */
    }
}

static const char *const known[] = {"body",        "headers",     "depth",     "token",
                                    "pixels_http", "pixels_cli",  "text_file", "url_stdin",
                                    "import_line", "csv_row",     "json_record",
                                    "match_line",  "signals",     "note",      "page"};

/* Whether `line` is one whole line of `text`. */
static int has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
            return 1;
    return 0;
}

TEST(limits_doc_matches_code) {
    doc_rows d;
    load_doc(&d);
    ASSERT(d.n >= 10);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int found = 0;
        for (int k = 0; k < d.n; k++)
            found |= strcmp(d.row[k].key, known[i]) == 0;
        if (!found)
            FAIL("check `%s` is no longer in doc/limits.md", known[i]);
    }
    svc s;
    const char *db = fmt("%s/limits.db", tmp_dir());
    s.admin = make_token(db, "admin");
    server_start(&s.srv, db, "--quiet");
    http_resp r;
    const char *bank = "{\"name\":\"LIMITS\"}";
    ASSERT_EQ(http_do(s.srv.port, "POST", "/c/banks", s.admin, "application/json", bank,
                      strlen(bank), &r),
              0);
    ASSERT_EQ(r.status, 201);
    free(r.body);
    int bad = 0;
    for (int k = 0; k < d.n; k++) {
        doc_row *row = &d.row[k];
        outcome o;
        trigger(&s, row->key, &o);
        if (o.status == -2) {
            fprintf(stderr, "doc/limits.md names check `%s`, which this test does not know\n",
                    row->key);
            bad++;
            continue;
        }
        const char *want = with_file(row->message, o.file);
        /* an HTTP body is compared whole, a CLI's stderr line by line */
        const char *got = o.text ? o.text : "";
        int same = o.status == row->status &&
                   (o.file ? has_line(got, want) : strcmp(got, want) == 0);
        if (!same) {
            fprintf(stderr,
                    "check `%s`: doc/limits.md says %d `%s`\n"
                    "                 the code gives %d `%s`\n",
                    row->key, row->status, want, o.status, o.text ? o.text : "");
            bad++;
        }
        free(o.text);
    }
    ASSERT_EQ(server_stop(&s.srv), 0);
    free(s.admin);
    for (int k = 0; k < d.n; k++)
        free(d.row[k].message);
    ASSERT_EQ(bad, 0);
}

/* The checker itself: a message or a status that differs is caught. */
TEST(limits_checker_catches_drift) {
    char line[] = "| x | 1 | no | a.c | 413 `{\"message\":\"a | b\"}` | `body` |";
    char *c[8];
    ASSERT_EQ(cells(line, c, 8), 6);
    ASSERT_STR_EQ(c[4], "413 `{\"message\":\"a | b\"}`");
    ASSERT_STR_EQ(c[5], "`body`");
    ASSERT_STR_EQ(with_file("tamis: FILE:1: x", "/t/f"), "tamis: /t/f:1: x");
    ASSERT(has_line("a\ntamis: x\nb\n", "tamis: x"));
    ASSERT(!has_line("a\ntamis: xy\n", "tamis: x"));
}
