/*
 * fuzz_text_normalise.c - libFuzzer target for the text normaliser and
 * the text signals (lib/text/): tamis_text_hash_compute on any bytes,
 * replacing invalid UTF-8 and, with a second handle, refusing it. Aborts
 * when a promise breaks: the normalised text must be valid UTF-8 with no
 * NUL, no space at either end and no double space, normalising it again
 * must change nothing, a refusal must name an offset inside the input,
 * and valid input must be accepted by both handles alike.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_normal_form(const char *s, size_t n) {
    if (strlen(s) != n)
        abort();
    if (n && (s[0] == ' ' || s[n - 1] == ' ' || strstr(s, "  ")))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tamis_text_options strict = {TAMIS_TEXT_REFUSE_INVALID, 1 << 20};
    tamis_text *t = NULL, *u = NULL;
    if (tamis_text_create(NULL, &t) != TAMIS_OK || tamis_text_create(&strict, &u) != TAMIS_OK)
        abort();
    tamis_text_hash h;
    tamis_status st = tamis_text_hash_compute(t, data, size, &h);
    if (st != TAMIS_OK && st != TAMIS_ERR_TOO_LARGE)
        abort();
    if (st == TAMIS_OK) {
        const char *n1;
        size_t l1;
        if (tamis_text_normalise(t, data, size, &n1, &l1) != TAMIS_OK)
            abort();
        check_normal_form(n1, l1);
        char *copy = malloc(l1 + 1);
        if (!copy)
            return 0;
        memcpy(copy, n1, l1 + 1);
        /* the normalised text is valid UTF-8 and a fixed point */
        const char *n2;
        size_t l2;
        if (tamis_text_normalise(u, copy, l1, &n2, &l2) != TAMIS_OK)
            abort();
        if (l2 != l1 || memcmp(n2, copy, l1) != 0)
            abort();
        if ((h.near[0] == 0) != (l1 == 0))
            abort();
        free(copy);
        tamis_text_hash h2;
        st = tamis_text_hash_compute(u, data, size, &h2);
        if (st == TAMIS_ERR_CORRUPT) {
            if (tamis_text_error_offset(u) >= size || !*tamis_text_errmsg(u))
                abort();
        } else if (st != TAMIS_OK || strcmp(h.exact, h2.exact) || strcmp(h.near, h2.near) ||
                   strcmp(h.tlsh, h2.tlsh)) {
            abort();
        }
    }
    tamis_text_free(t);
    tamis_text_free(u);
    return 0;
}
