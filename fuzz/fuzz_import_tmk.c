/*
 * fuzz_import_tmk.c - libFuzzer target for one video's .tmk file as an
 * import (lib/formats/video_files.c; checks in fuzz_import.h), and for the
 * base64 form banks store TMK signals in (tamis_tmk_read_base64): what
 * reads must encode back to a form that reads again.
 */
#include "fuzz_import.h"

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_import(tamis__read_tmk, data, size);
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tamis_tmk *t = NULL, *u = NULL;
    char err[256];
    if (tamis_tmk_read_base64(text, &t, err, sizeof err) == TAMIS_OK) {
        size_t n = tamis_tmk_to_base64(t, NULL, 0);
        char *again = malloc(n + 1);
        if (again) {
            if (tamis_tmk_to_base64(t, again, n + 1) != n ||
                tamis_tmk_read_base64(again, &u, err, sizeof err) != TAMIS_OK ||
                tamis_tmk_size(u) != tamis_tmk_size(t))
                abort();
            free(again);
        }
    } else if (t != NULL || !err[0]) {
        abort(); /* a refusal gives no handle and says why */
    }
    tamis_tmk_free(t);
    tamis_tmk_free(u);
    free(text);
    return 0;
}
