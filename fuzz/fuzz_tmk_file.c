/*
 * fuzz_tmk_file.c - libFuzzer target for the .tmk reader
 * (tamis_tmk_read_mem, lib/video/tmk.c), which takes TMK+PDQF hashes from
 * other platforms and must refuse anything damaged with a reason. What
 * reads is written back (the same bytes, or the reader accepted what the
 * writer cannot reproduce) and scored against itself and against the
 * previous input that read, so that the scores run on whatever the header
 * limits allow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tamis_tmk *prev;

static void check_status(tamis_status st) {
    switch (st) {
    case TAMIS_OK: case TAMIS_ERR_NOMEM: case TAMIS_ERR_EMPTY: case TAMIS_ERR_CORRUPT:
    case TAMIS_ERR_UNSUPPORTED:
        return;
    default:
        abort();
    }
}

static void score(const tamis_tmk *a, const tamis_tmk *b) {
    float s1, s2;
    tamis_status st1 = tamis_tmk_level1(a, b, &s1), st2 = tamis_tmk_level2(a, b, &s2);
    int compatible = tamis_tmk_compatible(a, b);
    if ((st1 == TAMIS_OK) != compatible || (st2 == TAMIS_OK) != compatible)
        abort();
    /* Scores may be NaN for finite but huge numbers (inf / inf): that is
     * no crash, and no reference file comes near. */
    (void)s1, (void)s2;
    tamis_tmk_match m;
    if (tamis_tmk_compare(a, b, -1.0f, 0.0f, &m) != (compatible ? TAMIS_OK : TAMIS_ERR_INVALID))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256] = "";
    tamis_tmk *t = (tamis_tmk *)1;
    tamis_status st = tamis_tmk_read_mem(data, size, &t, err, sizeof err);
    check_status(st);
    if (st != TAMIS_OK) {
        if (t != NULL || err[0] == '\0')
            abort(); /* an error leaves no handle and gives a reason */
        return 0;
    }
    size_t n = tamis_tmk_size(t);
    if (n != size)
        abort();
    uint8_t *back = malloc(n);
    if (back) {
        if (tamis_tmk_write_mem(t, back, n) != TAMIS_OK || memcmp(back, data, n) != 0)
            abort();
        free(back);
    }
    int dim;
    if (!tamis_tmk_average(t, &dim) || dim < 1)
        abort();
    score(t, t);
    if (prev) {
        score(t, prev);
        tamis_tmk_free(prev);
    }
    prev = t;
    return 0;
}
