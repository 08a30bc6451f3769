/*
 * collect.h - runs an import reader (lib/formats) over a sample file or a
 * string and renders what it hands out, one line per record or reject, so
 * that a test compares the whole output with lines written by hand:
 *
 *   "3 add pdq f8f8...22 id=42 labels=[\"a\"] meta={\"k\":\"v\"} created=1596221265"
 *   "4 delete - - id=image4"        (type and value absent)
 *   "5 reject: no hash_digest"
 *
 * Absent parts (no id, labels, metadata, created 0) are left out.
 */
#ifndef TAMIS_TEST_COLLECT_H
#define TAMIS_TEST_COLLECT_H

#include "../../lib/formats/formats.h"

typedef struct collected {
    char **lines;
    size_t n, cap;
    size_t stop_after; /* records before the callback asks to stop; 0 = never */
    size_t records;
    tamis__err err;
} collected;

/* Runs fn over the file tests/formats/data/NAME; returns its status. */
tamis_status collect_file(tamis__reader_fn fn, const char *name, collected *c);
/* Runs fn over len bytes of text. */
tamis_status collect_mem(tamis__reader_fn fn, const char *text, size_t len, collected *c);
#define collect_str(fn, text, c) collect_mem(fn, text, strlen(text), c)
void collected_free(collected *c);

/* Fails the test unless c holds exactly the lines of want (NULL-ended),
 * naming the first that differs. */
void expect_lines_at(const char *file, int line, const collected *c, const char *const *want);
#define EXPECT_LINES(c, ...)                                                   \
    do {                                                                       \
        const char *const want_[] = {__VA_ARGS__, NULL};                       \
        expect_lines_at(__FILE__, __LINE__, (c), want_);                       \
    } while (0)

#endif
