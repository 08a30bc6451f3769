/*
 * fuzz_video.c - libFuzzer target for the video path: FFmpeg's probing,
 * demuxing and decoding behind our AVIOContext, the conversion to RGB, the
 * vPDQ hasher and its text format, reached only through the public API
 * (tamis_vpdq_hash_mem, tamis_vpdq_to_text, tamis_vpdq_from_text).
 *
 * Each input is hashed as a video (small limits: 64 K pixels a frame, 64
 * frames, one thread, so that the fuzzer spends its time parsing) and read
 * as vPDQ text. Besides crashes, leaks and undefined behaviour, it checks
 * what the header promises and aborts when a promise is broken:
 *   - a status is TAMIS_OK or a listed error, an error has a message and
 *     leaves no frame, a success has none;
 *   - frames are in increasing frame order, with quality 0..100 and
 *     timestamps >= 0, at most max_frames of them;
 *   - the text of any list reads back to the same list, and written again
 *     gives the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_video: broken promise: %s (%s)\n", what, detail ? detail : "");
    abort();
}

static void check_status(tamis_vpdq *v, tamis_status st) {
    if (st > TAMIS_OK || st < TAMIS_ERR_INTERNAL)
        fail("status out of range", tamis_vpdq_errmsg(v));
    if (st != TAMIS_OK && (tamis_vpdq_errmsg(v)[0] == '\0' || tamis_vpdq_count(v) != 0))
        fail("error without a message, or with frames", tamis_strerror(st));
    if (st == TAMIS_OK && tamis_vpdq_errmsg(v)[0] != '\0')
        fail("success with an error message", tamis_vpdq_errmsg(v));
}

/* Writes v as text, reads it back into w, and checks both agree. */
static void round_trip(const tamis_vpdq *v, tamis_vpdq *w) {
    size_t n = tamis_vpdq_to_text(v, NULL, 0);
    char *t = malloc(n + 1), *t2 = malloc(n + 1);
    if (!t || !t2)
        fail("out of memory", NULL);
    if (tamis_vpdq_to_text(v, t, n + 1) != n || strlen(t) != n)
        fail("to_text length", NULL);
    tamis_status st = tamis_vpdq_from_text(w, t, n);
    if (tamis_vpdq_count(v) == 0) {
        if (st != TAMIS_ERR_EMPTY)
            fail("empty text not TAMIS_ERR_EMPTY", tamis_vpdq_errmsg(w));
    } else if (st != TAMIS_OK || tamis_vpdq_count(w) != tamis_vpdq_count(v)) {
        fail("our own text does not read back", tamis_vpdq_errmsg(w));
    } else {
        const tamis_vpdq_frame *a = tamis_vpdq_frames(v), *b = tamis_vpdq_frames(w);
        for (size_t i = 0; i < tamis_vpdq_count(v); i++)
            if (a[i].frame != b[i].frame || a[i].quality != b[i].quality ||
                memcmp(&a[i].pdq, &b[i].pdq, sizeof a[i].pdq) != 0)
                fail("a frame changed through text", NULL);
        if (tamis_vpdq_to_text(w, t2, n + 1) != n || memcmp(t, t2, n) != 0)
            fail("text written twice differs", NULL);
    }
    free(t);
    free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tamis_vpdq *v, *w;
    if (tamis_vpdq_create(&v) != TAMIS_OK || tamis_vpdq_create(&w) != TAMIS_OK)
        fail("tamis_vpdq_create failed", NULL);
    tamis_vpdq_options o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.max_pixels = 1u << 16;
    o.max_frames = 64;
    o.downsample = size % 3 == 0 ? 16 : 0; /* both paths, chosen by the input */
    tamis_status st = tamis_vpdq_hash_mem(v, data, size, &o);
    check_status(v, st);
    if (st == TAMIS_OK) {
        size_t n = tamis_vpdq_count(v);
        if (n == 0 || n > 64)
            fail("frame count out of range", NULL);
        const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
        for (size_t i = 0; i < n; i++) {
            if (f[i].quality < 0 || f[i].quality > 100 || !(f[i].timestamp >= 0) ||
                (i > 0 && f[i].frame <= f[i - 1].frame))
                fail("bad frame record", NULL);
        }
        tamis_video_info in;
        tamis_vpdq_video_info(v, &in);
        if (in.width <= 0 || in.height <= 0 || (uint64_t)in.width * (uint64_t)in.height > o.max_pixels)
            fail("bad video size", NULL);
        round_trip(v, w);
    }
    /* The same bytes as vPDQ text. */
    st = tamis_vpdq_from_text(v, (const char *)data, size);
    check_status(v, st);
    if (st == TAMIS_OK)
        round_trip(v, w);
    tamis_vpdq_free(v);
    tamis_vpdq_free(w);
    return 0;
}
