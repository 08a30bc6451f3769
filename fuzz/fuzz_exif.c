/*
 * fuzz_exif.c - libFuzzer target for the EXIF orientation reader
 * (tamis__exif_orientation, lib/media/exif.c), which walks offsets taken
 * from untrusted JPEG APP1 payloads. The input is the payload itself, as
 * the JPEG decoder passes it: "Exif\0\0", a TIFF header, then IFD0. The
 * result must always be an orientation 1..8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/media/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A copy of exactly `size` bytes, so that ASan catches any read past the
     * payload even when the caller's buffer is larger (the replay driver). */
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    if (size)
        memcpy(p, data, size);
    int o = tamis__exif_orientation(p, size);
    free(p);
    if (o < 1 || o > 8) {
        fprintf(stderr, "fuzz_exif: orientation %d outside 1..8\n", o);
        abort();
    }
    return 0;
}
