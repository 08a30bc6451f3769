/*
 * banklist.c - reading hash-list text files (banks and queries) for the
 * CLI: line by line through tamis_hashlist_parse_line, keeping each entry's
 * id (the text after the hash, or its 1-based line number).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void hashlist_free(hashlist *h) {
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->ids[i]);
    free(h->ids);
    free(h->codes);
    memset(h, 0, sizeof *h);
}

/* The longest line read, as imports allow (doc/limits.md): a list without
 * newlines costs no more memory than a list of short lines. */
#define LINE_MAX_BYTES (64 * 1024)

/* Reads one line without its newline into buf (LINE_MAX_BYTES + 1 chars).
 * A longer line is read to its end and sets *too_long. Returns the length
 * kept, or -1 at the end of the input. */
static ssize_t read_line(FILE *f, char *buf, int *too_long) {
    size_t n = 0;
    int c;
    *too_long = 0;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (n < LINE_MAX_BYTES)
            buf[n++] = (char)c;
        else
            *too_long = 1;
    }
    if (c == EOF && n == 0 && !*too_long)
        return -1;
    buf[n] = '\0';
    return (ssize_t)n;
}

int hashlist_read(FILE *f, const char *name, int skip_bad, size_t max, hashlist *h,
                  unsigned long long *lineno, size_t *bad) {
    char *line = malloc(LINE_MAX_BYTES + 1);
    ssize_t len;
    int rc = 0, too_long;
    if (!line) {
        fprintf(stderr, "tamis: %s: out of memory\n", name);
        return -1;
    }
    while ((max == 0 || h->n < max) && (len = read_line(f, line, &too_long)) >= 0) {
        ++*lineno;
        while (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        tamis_pdq code;
        const char *id, *why = "line longer than 65536 bytes";
        size_t idlen;
        tamis_status st = too_long ? TAMIS_ERR_TOO_LARGE
                                   : tamis_hashlist_parse_line(line, (size_t)len, &code, &id,
                                                               &idlen, &why);
        if (st == TAMIS_DONE)
            continue;
        if (st != TAMIS_OK) {
            if (!skip_bad) {
                fprintf(stderr, "tamis: %s:%llu: %s\n", name, *lineno, why);
                rc = -1;
                break;
            }
            ++*bad;
            continue;
        }
        if (h->n == h->cap) {
            size_t nc = h->cap ? 2 * h->cap : 1024;
            tamis_pdq *c = realloc(h->codes, nc * sizeof *c);
            char **ids = c ? realloc(h->ids, nc * sizeof *ids) : NULL;
            if (!c || !ids) {
                if (c)
                    h->codes = c;
                fprintf(stderr, "tamis: %s: out of memory\n", name);
                rc = -1;
                break;
            }
            h->codes = c;
            h->ids = ids;
            h->cap = nc;
        }
        char *s;
        if (idlen) {
            s = malloc(idlen + 1);
            if (s) {
                memcpy(s, id, idlen);
                s[idlen] = '\0';
            }
        } else {
            s = malloc(24);
            if (s)
                snprintf(s, 24, "%llu", *lineno);
        }
        if (!s) {
            fprintf(stderr, "tamis: %s: out of memory\n", name);
            rc = -1;
            break;
        }
        h->codes[h->n] = code;
        h->ids[h->n++] = s;
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "tamis: %s: read error\n", name);
        rc = -1;
    }
    free(line);
    return rc;
}
