/*
 * fuzz_sor_json.c - libFuzzer target for the statement-of-reasons checks
 * (lib/act/sor.c): the same bytes as one statement, as a batch, and as a
 * free text searched for personal data. Each must answer OK or
 * TAMIS_ERR_INVALID with a message, and a statement accepted as one must
 * be accepted again inside a batch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    tamis_sor_problem p;
    tamis_status st = tamis_sor_validate_json(text, size, &p);
    if (st != TAMIS_OK && (st != TAMIS_ERR_INVALID || !p.message[0]))
        abort();
    if (st == TAMIS_OK) {
        /* {"statements": [ ... ]} around an accepted statement. */
        char *b = malloc(size + 32);
        if (!b)
            return 0;
        memcpy(b, "{\"statements\":[", 15);
        memcpy(b + 15, text, size);
        memcpy(b + 15 + size, "]}", 2);
        if (tamis_sor_validate_batch_json(b, size + 17, &p) != TAMIS_OK)
            abort();
        free(b);
    }
    st = tamis_sor_validate_batch_json(text, size, &p);
    if (st != TAMIS_OK && (st != TAMIS_ERR_INVALID || !p.message[0]))
        abort();
    const char *what = NULL;
    size_t off = 0;
    st = tamis_sor_find_personal_data(text, size, &what, &off);
    if (st != TAMIS_OK && (st != TAMIS_ERR_INVALID || !what || off >= size))
        abort();
    return 0;
}
