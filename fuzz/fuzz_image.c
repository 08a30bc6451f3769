/*
 * fuzz_image.c - libFuzzer target for the whole image path: sniffing, the
 * four decoders (JPEG, PNG, WebP, GIF), EXIF orientation, the row sink,
 * the resize-512 convention, the variants and PDQ itself, reached only
 * through the public API (tamis_hash_image_mem).
 *
 * Each input is hashed by three hashers, so every input exercises every
 * path and the corpus holds plain image files:
 *   - the defaults (exact PDQ at full resolution, digests), with one hasher
 *     kept for all inputs so that its buffers are reused;
 *   - TAMIS_HASH_FAST | TAMIS_HASH_VARIANTS | TAMIS_HASH_EXIF_ORIENT;
 *   - TAMIS_HASH_RESIZE512.
 * All three refuse images over MAX_PIXELS, so that the fuzzer spends its
 * time on parsing rather than on large allocations.
 *
 * Besides crashes, leaks and undefined behaviour, the target checks what
 * the header promises, and aborts when a promise is broken:
 *   - a status is TAMIS_OK or one of the listed error codes, and an error
 *     comes with a message;
 *   - a result has the sniffed format, positive sides and quality 0..100;
 *   - RESIZE512 decodes exactly as the default does, so both give the same
 *     status, and the same hash for images no larger than 512x512;
 *   - so does fast mode for all but JPEGs it can scale;
 *   - the 8 dihedral variants of an image, oriented or not, always contain
 *     its plain hash, unless fast mode may have decoded it at a reduced size
 *     (JPEGs whose smaller side is 256 pixels or more).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

/* 1 Mi pixels: small enough to keep the fuzzer fast, large enough for fast
 * mode to decode a JPEG at reduced scale (including 1/8, and the DC-only
 * path for progressive JPEGs, from a side of 897). */
#define MAX_PIXELS (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_image: broken promise: %s (%s)\n", what,
            detail ? detail : "");
    abort();
}

/* Hashes with a new hasher, or with `*keep` when given, creating it on first
 * use and keeping it for the next input. */
static tamis_status hash_with(unsigned flags, tamis_hasher **keep,
                              const uint8_t *data, size_t size,
                              tamis_image_hash *out) {
    tamis_hash_options o = {flags, MAX_PIXELS};
    tamis_hasher *h = keep ? *keep : NULL;
    if (!h && tamis_hasher_create(&o, &h) != TAMIS_OK)
        fail("tamis_hasher_create failed", NULL);
    if (keep)
        *keep = h;
    memset(out, 0, sizeof *out);
    tamis_status st = tamis_hash_image_mem(h, data, size, out);
    if (st > TAMIS_OK || st < TAMIS_ERR_INTERNAL)
        fail("status out of range", tamis_hasher_errmsg(h));
    if (st != TAMIS_OK && tamis_hasher_errmsg(h)[0] == '\0')
        fail("error without a message", tamis_strerror(st));
    if (st == TAMIS_OK && tamis_hasher_errmsg(h)[0] != '\0')
        fail("success with an error message", tamis_hasher_errmsg(h));
    if (!keep)
        tamis_hasher_free(h);
    if (st != TAMIS_OK)
        return st;
    if (out->format != tamis_image_format_detect(data, size) ||
        out->format == TAMIS_FORMAT_UNKNOWN)
        fail("format differs from the sniffed one",
             tamis_image_format_name(out->format));
    if (out->width <= 0 || out->height <= 0 ||
        (uint64_t)out->width * (uint64_t)out->height > MAX_PIXELS)
        fail("bad image size", NULL);
    if (out->quality < 0 || out->quality > 100)
        fail("quality outside 0..100", NULL);
    if (out->has_digests != !(flags & TAMIS_HASH_NO_DIGESTS))
        fail("has_digests does not follow the flags", NULL);
    if (flags & TAMIS_HASH_VARIANTS) {
        if (out->n_variants != 8 && out->n_variants != 9)
            fail("n_variants is neither 8 nor 9", NULL);
        for (int i = 0; i < out->n_variants; i++)
            if (out->variant_kind[i] != (tamis_pdq_variant)i)
                fail("variants out of order",
                     tamis_pdq_variant_name(out->variant_kind[i]));
        if (memcmp(&out->variants[0], &out->pdq, sizeof out->pdq) != 0)
            fail("variant 0 is not the hash", NULL);
    } else if (out->n_variants != 0) {
        fail("variants without TAMIS_HASH_VARIANTS", NULL);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The default hasher lives across inputs, as a server's would, so that
     * buffers grown for one image are reused for the next; the others are
     * new, and the comparisons below catch any state carried over. */
    static tamis_hasher *reused;
    tamis_image_hash plain, rich, r512;
    tamis_status s_plain = hash_with(0, &reused, data, size, &plain);
    tamis_status s_rich = hash_with(TAMIS_HASH_FAST | TAMIS_HASH_VARIANTS |
                                        TAMIS_HASH_EXIF_ORIENT,
                                    NULL, data, size, &rich);
    tamis_status s_512 = hash_with(TAMIS_HASH_RESIZE512, NULL, data, size, &r512);

    if (s_512 != s_plain)
        fail("RESIZE512 and default decode differently", tamis_strerror(s_512));
    if (s_plain == TAMIS_OK &&
        (plain.width != r512.width || plain.height != r512.height ||
         plain.format != r512.format ||
         memcmp(&plain.digests, &r512.digests, sizeof plain.digests) != 0))
        fail("RESIZE512 changed the size, format or digests", NULL);
    if (s_plain == TAMIS_OK && plain.width <= 512 && plain.height <= 512 &&
        (memcmp(&plain.pdq, &r512.pdq, sizeof plain.pdq) != 0 ||
         plain.quality != r512.quality))
        fail("RESIZE512 changed the hash of an image of at most 512x512", NULL);

    /* Fast mode changes only the decoding of JPEGs it scales. Its exact
     * thresholds are lib/hash/pdq_fast.c's to choose, but it never scales a
     * side under 256, which at half size would leave 2 pixels per cell of
     * PDQ's 64x64 grid. */
    const tamis_image_hash *ok = s_plain == TAMIS_OK ? &plain : &rich;
    int min_side = ok->width < ok->height ? ok->width : ok->height;
    int unscaled = ok->format != TAMIS_FORMAT_JPEG || min_side < 256;
    if ((s_plain == TAMIS_OK || s_rich == TAMIS_OK) && unscaled && s_plain != s_rich)
        fail("fast mode changed the status of an image it does not scale",
             tamis_strerror(s_plain == TAMIS_OK ? s_rich : s_plain));
    if (s_plain == TAMIS_OK && s_rich == TAMIS_OK && unscaled) {
        int found = 0;
        for (int i = 0; i < 8; i++)
            found |= memcmp(&rich.variants[i], &plain.pdq, sizeof plain.pdq) == 0;
        if (!found)
            fail("the plain hash is not among the dihedral variants", NULL);
        if (plain.format != TAMIS_FORMAT_JPEG &&
            memcmp(&rich.pdq, &plain.pdq, sizeof plain.pdq) != 0)
            fail("fast/EXIF flags changed the hash of a non-JPEG", NULL);
    }
    return 0;
}
