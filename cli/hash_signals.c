/*
 * hash_signals.c - `tamis hash --text` and `tamis hash --url`: the text
 * signals (text_exact, text_near, text_tlsh) of files, of stdin or of each
 * line of them, and the canonical form and Safe Browsing expressions of
 * URLs. cmd_hash hands its arguments here when it sees either option.
 *
 * Both run on one thread: a text of a few KB hashes in microseconds and a
 * URL in less, so the time goes to reading the input. Each input gives
 * one line, in input order; one that fails gives one line on stderr and
 * the others are still done.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct {
    int json;
    int lines;           /* --lines: each line is one text */
    int several;         /* more than one input (for --lines names) */
    size_t max_bytes;    /* --max-bytes */
    tamis_text *t;
} text_ctx;

/* Reads one line of `f` (without its "\n" or "\r\n") into *buf, keeping at
 * most max + 1 bytes: a longer line is read to its end, *too_long is set
 * and what was kept must not be used. *consumed gets the bytes read from
 * f. Returns the bytes kept, or -1 at the end of f with nothing read. */
static long long read_line(FILE *f, size_t max, char **buf, size_t *cap, int *too_long,
                           unsigned long long *consumed) {
    size_t n = 0;
    int c = EOF;
    *too_long = 0;
    *consumed = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        (*consumed)++;
        if (c == '\n')
            break;
        if (n > max) {
            *too_long = 1;
            continue;
        }
        if (n + 1 >= *cap) {
            size_t nc = *cap ? *cap * 2 : 4096;
            char *nb = realloc(*buf, nc);
            if (!nb)
                return -2;
            *buf = nb;
            *cap = nc;
        }
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && *consumed == 0)
        return -1;
    if (!*too_long && n > 0 && (*buf)[n - 1] == '\r')
        n--;
    if (*cap == 0 && !(*buf = malloc(*cap = 16)))
        return -2;
    (*buf)[n] = '\0';
    return (long long)n;
}

/* Reads all of `f` into *buf, but stops after max + 1 bytes: *too_long
 * then says it is over the limit. Returns 0, or -1 with errno set. */
static int read_all(FILE *f, size_t max, char **buf, size_t *len, int *too_long) {
    size_t cap = 0, n = 0;
    char *b = NULL;
    *too_long = 0;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 65536;
            if (nc > max + 1)
                nc = max + 1;
            if (nc == cap)
                break; /* max + 1 bytes read: over the limit */
            char *nb = realloc(b, nc);
            if (!nb) {
                free(b);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
            cap = nc;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        free(b);
        errno = e;
        return -1;
    }
    *too_long = n > max;
    *buf = b;
    *len = n;
    return 0;
}

/* Hashes one text and prints its line, or its error on stderr. With
 * --lines, `line` is its line number and `base` its offset in the file.
 * Returns 0 or -1. */
static int hash_one_text(text_ctx *c, const char *file, unsigned long long line,
                         unsigned long long base, const char *text, size_t len) {
    /* Errors always name the file; with --lines, FILE:LINE. */
    char where[4200];
    if (c->lines)
        snprintf(where, sizeof where, "%s:%llu", file, line);
    else
        snprintf(where, sizeof where, "%s", file);
    tamis_text_hash th;
    tamis_status st = tamis_text_hash_compute(c->t, text, len, &th);
    if (st != TAMIS_OK) {
        fflush(stdout);
        if (st == TAMIS_ERR_CORRUPT && c->lines) {
            size_t off = tamis_text_error_offset(c->t);
            fprintf(stderr, "tamis hash: %s: invalid UTF-8 at byte offset %zu of the line "
                    "(%llu of the file)\n", where, off, base + off);
        } else if (st == TAMIS_ERR_CORRUPT) {
            fprintf(stderr, "tamis hash: %s: invalid UTF-8 at byte offset %zu\n", where,
                    tamis_text_error_offset(c->t));
        } else if (st == TAMIS_ERR_TOO_LARGE) {
            fprintf(stderr, "tamis hash: %s: text over the limit of %zu bytes "
                    "(--max-bytes)\n", where, c->max_bytes);
        } else {
            fprintf(stderr, "tamis hash: %s: %s\n", where, tamis_text_errmsg(c->t));
        }
        return -1;
    }
    if (c->json) {
        fputs("{\"file\":", stdout);
        json_write_string(stdout, file);
        if (c->lines)
            printf(",\"line\":%llu", line);
        printf(",\"text_exact\":\"%s\",\"text_near\":", th.exact);
        if (th.near[0])
            printf("\"%s\"", th.near);
        else
            fputs("null", stdout);
        fputs(",\"text_tlsh\":", stdout);
        if (th.tlsh[0])
            printf("\"%s\"", th.tlsh);
        else
            fputs("null", stdout);
        printf(",\"normalised_bytes\":%zu}\n", th.normalised_len);
    } else if (c->lines && !c->several) {
        printf("%s\t%s\t%s\t%llu\n", th.exact, th.near[0] ? th.near : "-",
               th.tlsh[0] ? th.tlsh : "-", line);
    } else {
        printf("%s\t%s\t%s\t%s\n", th.exact, th.near[0] ? th.near : "-",
               th.tlsh[0] ? th.tlsh : "-", where);
    }
    return 0;
}

/* Opens an input ("-" is stdin); prints the reason and returns NULL if it
 * cannot. A regular file over the limit is refused before it is read
 * (unless each of its lines is a text). */
static FILE *open_input(const text_ctx *c, const char *path) {
    if (strcmp(path, "-") == 0)
        return stdin;
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (f && fstat(fileno(f), &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fclose(f);
            f = NULL;
            errno = EISDIR;
        } else if (!c->lines && S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > c->max_bytes) {
            fprintf(stderr, "tamis hash: %s: %llu bytes, over the limit of %zu (--max-bytes)\n",
                    path, (unsigned long long)sb.st_size, c->max_bytes);
            fclose(f);
            return NULL;
        }
    }
    if (!f)
        fprintf(stderr, "tamis hash: %s: cannot read: %s\n", path, strerror(errno));
    return f;
}

/* One input: a whole text, or with --lines one text per non-empty line.
 * Returns the number of texts that failed (1 if the input cannot be
 * read). */
static unsigned long long hash_text_input(text_ctx *c, const char *path) {
    fflush(stdout);
    FILE *f = open_input(c, path);
    if (!f)
        return 1;
    unsigned long long failed = 0;
    if (!c->lines) {
        char *buf = NULL;
        size_t len = 0;
        int too_long;
        if (read_all(f, c->max_bytes, &buf, &len, &too_long) != 0) {
            fprintf(stderr, "tamis hash: %s: cannot read: %s\n", path, strerror(errno));
            failed = 1;
        } else if (too_long) {
            fprintf(stderr, "tamis hash: %s: more than %zu bytes, over the limit "
                    "(--max-bytes)\n", path, c->max_bytes);
            failed = 1;
        } else if (hash_one_text(c, path, 0, 0, buf, len) != 0) {
            failed = 1;
        }
        free(buf);
    } else {
        char *buf = NULL;
        size_t cap = 0;
        unsigned long long line = 0, base = 0, consumed;
        int too_long;
        long long n;
        while ((n = read_line(f, c->max_bytes, &buf, &cap, &too_long, &consumed)) >= 0) {
            line++;
            if (too_long) {
                fflush(stdout);
                fprintf(stderr, "tamis hash: %s:%llu: line over the limit of %zu bytes "
                        "(--max-bytes)\n", path, line, c->max_bytes);
                failed++;
            } else if (n > 0 && hash_one_text(c, path, line, base, buf, (size_t)n) != 0) {
                failed++;
            }
            base += consumed;
        }
        if (n == -2) {
            fprintf(stderr, "tamis hash: %s: out of memory\n", path);
            failed++;
        } else if (ferror(f)) {
            fprintf(stderr, "tamis hash: %s: cannot read: %s\n", path, strerror(errno));
            failed++;
        }
        free(buf);
    }
    if (f != stdin)
        fclose(f);
    return failed;
}

/* Prints one URL's line, or its error on stderr. `where` names the input
 * in errors ("-:LINE" from stdin, NULL for an argument). Returns 0 or
 * -1. */
static int hash_one_url(tamis_url *u, int json, const char *where, const char *url,
                        size_t len) {
    tamis_status st = tamis_url_parse(u, url, len);
    if (st != TAMIS_OK) {
        fflush(stdout);
        /* A URL can be 8 KB or more: the start names it well enough. */
        int shown = len > 200 ? 200 : (int)len;
        fprintf(stderr, "tamis hash: %s%s%.*s%s: %s\n", where ? where : "", where ? ": " : "",
                shown, url, (size_t)shown < len ? "..." : "", tamis_url_errmsg(u));
        return -1;
    }
    const char *canon = tamis_url_canonical(u, NULL);
    if (!json) {
        /* The input as given, but with its control bytes (tabs, line
         * ends, which canonicalisation drops or escapes) %-escaped, so
         * that each URL stays one line of two columns. */
        fputs(canon, stdout);
        fputc('\t', stdout);
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)url[i];
            if (ch < 0x20 || ch == 0x7f)
                printf("%%%02X", ch);
            else
                fputc(ch, stdout);
        }
        fputc('\n', stdout);
        return 0;
    }
    fputs("{\"input\":", stdout);
    json_write_mem(stdout, url, len);
    fputs(",\"url\":", stdout);
    json_write_string(stdout, canon);
    fputs(",\"expressions\":[", stdout);
    for (size_t i = 0, n = tamis_url_expression_count(u); i < n; i++) {
        size_t el;
        const char *e = tamis_url_expression(u, i, &el);
        if (i)
            fputc(',', stdout);
        json_write_mem(stdout, e, el);
    }
    fputs("]}\n", stdout);
    return 0;
}

static int hash_urls(int json, int argc, char **argv) {
    tamis_url *u;
    if (tamis_url_create(&u) != TAMIS_OK) {
        fprintf(stderr, "tamis hash: out of memory\n");
        return EXIT_SOME_FAILED;
    }
    int failed = 0;
    if (argc == 1 && strcmp(argv[0], "-") == 0) {
        char *buf = NULL, where[64];
        size_t cap = 0;
        unsigned long long line = 0, consumed;
        int too_long;
        long long n;
        while ((n = read_line(stdin, TAMIS_URL_MAX_LEN, &buf, &cap, &too_long, &consumed)) >= 0) {
            line++;
            snprintf(where, sizeof where, "-:%llu", line);
            if (too_long) {
                fflush(stdout);
                fprintf(stderr, "tamis hash: %s: URL over %d bytes\n", where, TAMIS_URL_MAX_LEN);
                failed = 1;
            } else if (n > 0 && hash_one_url(u, json, where, buf, (size_t)n) != 0) {
                failed = 1;
            }
        }
        if (n == -2 || ferror(stdin)) {
            fprintf(stderr, "tamis hash: cannot read stdin%s\n", n == -2 ? ": out of memory" : "");
            failed = 1;
        }
        free(buf);
    } else {
        for (int i = 0; i < argc; i++)
            if (hash_one_url(u, json, NULL, argv[i], strlen(argv[i])) != 0)
                failed = 1;
    }
    tamis_url_free(u);
    return failed;
}

static void signals_usage(FILE *f) {
    fprintf(f,
            "usage: tamis hash --text [--json] [--lines] [--invalid-utf8 replace|refuse]\n"
            "                  [--max-bytes N] FILE... | -\n"
            "       tamis hash --url [--json] URL... | -\n"
            "\n"
            "--text: each FILE ('-': stdin) is one UTF-8 text; prints one line per text:\n"
            "  TEXT_EXACT  TEXT_NEAR  TEXT_TLSH  FILE          (tab-separated)\n"
            "with '-' for a signal the text has none of (no TLSH under 50 bytes, no\n"
            "TEXT_NEAR when no word is left).\n"
            "  --lines            each non-empty line is one text (a list of posts); the\n"
            "                     line number stands for FILE (FILE:LINE with several\n"
            "                     inputs)\n"
            "  --json             JSON Lines: file (and line), text_exact, text_near,\n"
            "                     text_tlsh (null when absent), normalised_bytes\n"
            "  --invalid-utf8 replace|refuse\n"
            "                     replace bad sequences by U+FFFD (default), or refuse\n"
            "                     the text, naming the byte offset of the first\n"
            "  --max-bytes N      refuse texts (lines with --lines) over N bytes\n"
            "                     (default 16777216)\n"
            "\n"
            "--url: canonicalises each URL as Google Safe Browsing does; '-' reads URLs\n"
            "one per line from stdin. Prints one line per URL:\n"
            "  CANONICAL  URL                                  (tab-separated)\n"
            "  --json             JSON Lines: input, url (the canonical form) and\n"
            "                     expressions (the host-suffix/path-prefix lookups)\n"
            "\n"
            "An input that cannot be hashed gets one line on stderr naming it and the\n"
            "reason; the others are still hashed. Exit status: 0 if every input was\n"
            "hashed, 1 if any failed, 2 on usage errors.\n");
}

int cmd_hash_signals(int argc, char **argv) {
    enum { OPT_TEXT = 256, OPT_URL, OPT_JSON, OPT_LINES, OPT_UTF8, OPT_MAXBYTES };
    static const struct option longopts[] = {
        {"text", no_argument, NULL, OPT_TEXT},
        {"url", no_argument, NULL, OPT_URL},
        {"json", no_argument, NULL, OPT_JSON},
        {"lines", no_argument, NULL, OPT_LINES},
        {"invalid-utf8", required_argument, NULL, OPT_UTF8},
        {"max-bytes", required_argument, NULL, OPT_MAXBYTES},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int text = 0, url = 0, c, utf8_set = 0, max_set = 0;
    text_ctx tc;
    memset(&tc, 0, sizeof tc);
    tc.max_bytes = TAMIS_TEXT_DEFAULT_MAX_BYTES;
    tamis_text_options to = {0, 0};
    unsigned long long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_TEXT: text = 1; break;
        case OPT_URL: url = 1; break;
        case OPT_JSON: tc.json = 1; break;
        case OPT_LINES: tc.lines = 1; break;
        case OPT_UTF8:
            if (strcmp(optarg, "refuse") == 0)
                to.flags |= TAMIS_TEXT_REFUSE_INVALID;
            else if (strcmp(optarg, "replace") == 0)
                to.flags &= ~(unsigned)TAMIS_TEXT_REFUSE_INVALID;
            else {
                fprintf(stderr, "tamis hash: --invalid-utf8 is 'replace' or 'refuse', not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            utf8_set = 1;
            break;
        case OPT_MAXBYTES:
            if (parse_count(optarg, &v) || v > (unsigned long long)SIZE_MAX / 2) {
                fprintf(stderr, "tamis hash: --max-bytes needs a positive number, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            tc.max_bytes = (size_t)v;
            max_set = 1;
            break;
        case 'h': signals_usage(stdout); return EXIT_OK;
        default:
            fprintf(stderr, "tamis hash: with --text or --url, the options are those below\n");
            signals_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (text && url) {
        fprintf(stderr, "tamis hash: --text and --url do not go together\n");
        return EXIT_USAGE;
    }
    if (url && (tc.lines || utf8_set || max_set)) {
        fprintf(stderr, "tamis hash: --lines, --invalid-utf8 and --max-bytes are for --text "
                        "(with --url, '-' reads one URL a line)\n");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "tamis hash: no %s given (use '-' to read stdin)\n",
                url ? "URL" : "file");
        signals_usage(stderr);
        return EXIT_USAGE;
    }
    int rc;
    if (url) {
        rc = hash_urls(tc.json, argc - optind, argv + optind) ? EXIT_SOME_FAILED : EXIT_OK;
    } else {
        to.max_bytes = tc.max_bytes;
        if (tamis_text_create(&to, &tc.t) != TAMIS_OK) {
            fprintf(stderr, "tamis hash: out of memory\n");
            return EXIT_SOME_FAILED;
        }
        tc.several = argc - optind > 1;
        unsigned long long failed = 0;
        for (int i = optind; i < argc; i++)
            failed += hash_text_input(&tc, argv[i]);
        tamis_text_free(tc.t);
        rc = failed ? EXIT_SOME_FAILED : EXIT_OK;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tamis hash: error writing output\n");
        return EXIT_SOME_FAILED;
    }
    return rc;
}
