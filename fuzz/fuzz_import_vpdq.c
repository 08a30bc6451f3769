/*
 * fuzz_import_vpdq.c - libFuzzer target for one video's vPDQ file as an
 * import (lib/formats/video_files.c; checks in fuzz_import.h), and for
 * HMA's vPDQ signal form (tamis_vpdq_from_signal): what parses must write
 * back (tamis_vpdq_to_signal) to a form that parses to the same frames.
 */
#include "fuzz_import.h"

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_import(tamis__read_vpdq_text, data, size);
    char *text = malloc(size + 1);
    tamis_vpdq *a = NULL, *b = NULL;
    if (!text || tamis_vpdq_create(&a) != TAMIS_OK || tamis_vpdq_create(&b) != TAMIS_OK)
        goto out;
    memcpy(text, data, size);
    text[size] = '\0';
    if (tamis_vpdq_from_signal(a, text) == TAMIS_OK) {
        size_t n = tamis_vpdq_to_signal(a, NULL, 0);
        char *again = malloc(n + 1);
        if (again) {
            tamis_vpdq_to_signal(a, again, n + 1);
            if (tamis_vpdq_from_signal(b, again) != TAMIS_OK ||
                tamis_vpdq_count(b) != tamis_vpdq_count(a))
                abort();
            for (size_t i = 0; i < tamis_vpdq_count(a); i++)
                if (memcmp(&tamis_vpdq_frames(a)[i].pdq, &tamis_vpdq_frames(b)[i].pdq,
                           sizeof(tamis_pdq)) != 0 ||
                    tamis_vpdq_frames(a)[i].quality != tamis_vpdq_frames(b)[i].quality)
                    abort();
            free(again);
        }
    } else if (tamis_vpdq_count(a) != 0 || !tamis_vpdq_errmsg(a)[0]) {
        abort(); /* a refusal leaves no frames and says why */
    }
out:
    tamis_vpdq_free(a);
    tamis_vpdq_free(b);
    free(text);
    return 0;
}
