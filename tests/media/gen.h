/*
 * gen.h - test helpers: small images made in the test with the real
 * encoders (libpng, libjpeg, giflib, libwebp), and a decoding sink that
 * records the rows tamis__image_decode delivers. Shared by the media, core
 * and CLI tests. Every buffer returned is malloc'd; the caller frees it.
 */
#ifndef TAMIS_TESTS_GEN_H
#define TAMIS_TESTS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/media/image.h"

/* ---- Encoders ---------------------------------------------------------- */

typedef struct gen_png_spec {
    int width, height;
    int color_type;   /* PNG_COLOR_TYPE_* */
    int bit_depth;    /* 1, 2, 4, 8 or 16 */
    int interlace;    /* 1 for Adam7 */
    const uint8_t *pixels; /* rows as libpng takes them (packed, big-endian) */
    size_t stride;
    const uint8_t *palette; /* n_palette RGB triples */
    int n_palette;
    const uint8_t *trns; /* n_trns alpha values for palette entries */
    int n_trns;
    int has_trns_key;     /* gray or RGB: a transparent colour (tRNS) */
    uint16_t trns_key[3]; /* gray, or R, G, B */
} gen_png_spec;

/* Encodes a PNG; returns NULL on failure. */
uint8_t *gen_png(const gen_png_spec *s, size_t *len);

/* The signature, IHDR of a width x height 8-bit gray PNG and the start of
 * an IDAT chunk: enough for a decoder to read the header, no pixels. */
uint8_t *gen_png_header_only(uint32_t width, uint32_t height, size_t *len);

/* Encodes a JPEG from `comps`-channel pixels in colour space `in_cs`
 * (JCS_GRAYSCALE, JCS_RGB or JCS_CMYK). `store_cs` is the colour space
 * written to the file (JCS_UNKNOWN: the library's default for in_cs);
 * `adobe` 0 suppresses the Adobe marker libjpeg writes for CMYK. `app1`
 * payloads are written as APP1 markers (EXIF, XMP). */
typedef struct gen_jpeg_spec {
    int width, height, comps;
    int in_cs, store_cs;
    int quality;
    int adobe;
    int progressive;
    const uint8_t *pixels;
    const uint8_t *app1[2]; /* written in order when not NULL */
    size_t app1_len[2];
} gen_jpeg_spec;
uint8_t *gen_jpeg(const gen_jpeg_spec *s, size_t *len);

/* Decodes a JPEG with plain libjpeg defaults into `out_cs` (JCS_GRAYSCALE,
 * JCS_RGB or JCS_CMYK): an independent decode to compare tamis with.
 * Sets *w, *h, *comps. */
uint8_t *gen_jpeg_decode(const uint8_t *data, size_t len, int out_cs, int *w,
                         int *h, int *comps);

/* A GIF frame: `index` holds width x height colour indices in display
 * order; with `interlace` they are written in the four-pass order. */
typedef struct gen_gif_frame {
    int left, top, width, height, interlace;
    const uint8_t *local_map; /* n_local RGB triples, or NULL */
    int n_local;              /* a power of two, 2..256 */
    const uint8_t *index;
} gen_gif_frame;

/* Encodes a GIF with one frame (plus a graphics control extension before
 * it, so that decoders must skip an extension). */
uint8_t *gen_gif(int screen_w, int screen_h, const uint8_t *global_map,
                 int n_global, int background, const gen_gif_frame *fr,
                 size_t *len);

/* Lossless WebP from RGB (channels 3) or RGBA (channels 4). */
uint8_t *gen_webp_lossless(const uint8_t *pix, int w, int h, int channels,
                           size_t *len);

/* Writes `len` bytes to `path`; fails the test if it cannot. */
void gen_write_file(const char *path, const void *data, size_t len);

/* ---- Recording sink ---------------------------------------------------- */

typedef struct gen_image {
    tamis__image_info info;
    int begin_calls;
    int rows_seen;   /* rows delivered so far */
    int order_error; /* a rows call did not start at rows_seen */
    uint8_t *pix;    /* out_height rows of out_width * channels bytes */
} gen_image;

/* Decodes through tamis__image_decode into *img; `max_pixels` 0 means the
 * library default. `msg`, when not NULL, receives the error message. */
tamis_status gen_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        gen_image *img, char msg[TAMIS__ERRMSG_LEN]);
void gen_image_free(gen_image *img);

/* Fails the test at the first pixel where img differs from `want`
 * (w x h x ch bytes, tightly packed), naming it. */
#define ASSERT_PIXELS(img, want, w, h, ch)                                     \
    gen_assert_pixels(__FILE__, __LINE__, (img), (want), (w), (h), (ch))
void gen_assert_pixels(const char *file, int line, const gen_image *img,
                       const uint8_t *want, int w, int h, int ch);

/* Deterministic pseudo-random bytes. */
uint32_t gen_rand(void);

#endif
