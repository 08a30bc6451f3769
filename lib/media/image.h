/*
 * image.h - decoding images into rows of 8-bit gray or RGB pixels
 * (internal interface). One file per format (jpeg.c, png.c, webp.c, gif.c)
 * behind tamis__image_decode; the format comes from the content (sniff.c).
 *
 * Decoders push rows into a sink as they decode them, so that the caller
 * can convert each band to luma while it is still in cache, and so that no
 * decoder needs a full-size copy of the image it does not otherwise need.
 */
#ifndef TAMIS_MEDIA_IMAGE_H
#define TAMIS_MEDIA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

typedef struct tamis__image_info {
    tamis_image_format format;
    int width, height;         /* as stored in the file */
    int out_width, out_height; /* as delivered (smaller if scaled) */
    int channels;              /* delivered: 1 (gray) or 3 (RGB) */
    int scale;                 /* 1, or s when each delivered pixel is the
                                  mean of an s x s block (fast mode) */
    int orientation;           /* EXIF orientation 1..8 (1 if none) */
} tamis__image_info;

typedef struct tamis__image_sink {
    /* Called once, after the header is read and before any pixel is
     * decoded. A non-OK return stops decoding with that status. */
    tamis_status (*begin)(void *ctx, const tamis__image_info *info);
    /* Called with rows y..y+n-1, `stride` bytes apart, in order. */
    tamis_status (*rows)(void *ctx, int y, int n, const uint8_t *pixels,
                         size_t stride);
    void *ctx;
} tamis__image_sink;

typedef struct tamis__decode_opts {
    uint64_t max_pixels; /* refuse larger images before allocating */
    /* Fast mode: when set, returns the reduction s (1, 2, 4 or 8) at which
     * a width x height JPEG (progressive or not) may be decoded. A reduced JPEG is delivered as
     * luma (its Y channel) and, when progressive and s is 8, from its DC
     * scans alone: the rest of the file is not read. */
    int (*fast_scale)(int width, int height, int progressive);
} tamis__decode_opts;

tamis_image_format tamis__sniff(const uint8_t *data, size_t len,
                                const char **what);

/* Decodes data[0..len) into `sink`. On error sets a message in `err`
 * (without the file name, which the caller adds). */
tamis_status tamis__image_decode(const uint8_t *data, size_t len,
                                 const tamis__decode_opts *opts,
                                 const tamis__image_sink *sink, tamis__err *err);

/* The per-format decoders. */
tamis_status tamis__jpeg_decode(const uint8_t *data, size_t len,
                                const tamis__decode_opts *opts,
                                const tamis__image_sink *sink, tamis__err *err);
tamis_status tamis__png_decode(const uint8_t *data, size_t len,
                               const tamis__decode_opts *opts,
                               const tamis__image_sink *sink, tamis__err *err);
tamis_status tamis__webp_decode(const uint8_t *data, size_t len,
                                const tamis__decode_opts *opts,
                                const tamis__image_sink *sink, tamis__err *err);
tamis_status tamis__gif_decode(const uint8_t *data, size_t len,
                               const tamis__decode_opts *opts,
                               const tamis__image_sink *sink, tamis__err *err);

/* Returns the EXIF orientation (1..8) in a JPEG APP1 payload, or 1 when
 * there is none or the payload is malformed. */
int tamis__exif_orientation(const uint8_t *app1, size_t len);

/* Checks width x height against the limit; fills err when refused. */
tamis_status tamis__check_pixels(uint64_t w, uint64_t h, uint64_t max,
                                 tamis__err *err);

#endif
