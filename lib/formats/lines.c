/*
 * lines.c - the line reader of the line-based import formats (HMA
 * local_file, tamis hash lists): one fixed buffer, so that a file without
 * newlines costs no more memory than a file of short lines.
 */
#include <string.h>

#include "formats.h"

tamis_status tamis__lines_init(tamis__lines *l, FILE *in, size_t max) {
    memset(l, 0, sizeof *l);
    l->in = in;
    l->max = max;
    l->buf = tamis__malloc(max + 1);
    return l->buf ? TAMIS_OK : TAMIS_ERR_NOMEM;
}

void tamis__lines_free(tamis__lines *l) {
    tamis__free(l->buf);
    l->buf = NULL;
}

tamis_status tamis__lines_next(tamis__lines *l, size_t *len) {
    size_t n = 0;
    int c, over = 0;
    while ((c = getc_unlocked(l->in)) != EOF && c != '\n') {
        if (n < l->max)
            l->buf[n++] = (char)c;
        else
            over = 1;
    }
    if (c == EOF && ferror(l->in))
        return TAMIS_ERR_IO;
    if (c == EOF && n == 0 && !over)
        return TAMIS_DONE;
    l->number++;
    if (over)
        return TAMIS_ERR_TOO_LARGE;
    if (n && l->buf[n - 1] == '\r')
        n--;
    if (l->number == 1 && n >= 3 && memcmp(l->buf, "\xEF\xBB\xBF", 3) == 0) {
        memmove(l->buf, l->buf + 3, n - 3);
        n -= 3;
    }
    l->buf[n] = '\0';
    *len = n;
    return TAMIS_OK;
}
