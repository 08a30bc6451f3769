/*
 * png.c - PNG decoding with libpng.
 *
 * Conversions (doc/image-conversions.md): palette -> RGB; 1, 2 and 4-bit
 * gray -> 8-bit; alpha and tRNS dropped, colour values used as stored; no
 * gamma or colour-profile correction, as in the reference. 16-bit samples
 * keep their LOW byte: the reference loads images as 8-bit through CImg,
 * which casts each 16-bit value to uint8_t, and banks hold hashes made that
 * way (the golden vector pytx-test-resources/I16.png checks it).
 */
#include <setjmp.h>
#include <string.h>

#include <png.h>

#include "image.h"

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} png_src;

typedef struct {
    tamis__err *err;
    char msg[200];
    int out_of_memory; /* an allocation failed: report NOMEM, not CORRUPT */
} png_errctx;

static void read_fn(png_structp png, png_bytep out, size_t n) {
    png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->pos)
        png_error(png, "truncated PNG (unexpected end of data)");
    memcpy(out, s->data + s->pos, n);
    s->pos += n;
}

static void on_error(png_structp png, png_const_charp msg) {
    png_errctx *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* ancillary-chunk problems do not change the pixels */
}

static png_voidp png_alloc(png_structp png, png_alloc_size_t n) {
    png_voidp p = tamis__malloc(n);
    if (!p && png) {
        png_errctx *e = png_get_error_ptr(png);
        if (e)
            e->out_of_memory = 1;
    }
    return p;
}
static void png_dealloc(png_structp png, png_voidp p) {
    (void)png;
    tamis__free(p);
}

static void narrow16(uint8_t *row, size_t nsamples) {
    for (size_t i = 0; i < nsamples; i++)
        row[i] = row[2 * i + 1];
}

tamis_status tamis__png_decode(const uint8_t *data, size_t len,
                               const tamis__decode_opts *opts,
                               const tamis__image_sink *sink, tamis__err *err) {
    png_src src = {data, len, 0};
    png_errctx ectx = {err, "", 0};
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &ectx,
                                               on_error, on_warning, NULL,
                                               png_alloc, png_dealloc);
    if (!png)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding PNG");
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile buf = NULL;
    tamis_status volatile st = TAMIS_OK;
    if (!info) {
        st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding PNG");
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        if (st == TAMIS_OK && ectx.out_of_memory)
            st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding PNG");
        else if (st == TAMIS_OK)
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt PNG: %s", ectx.msg);
        goto done;
    }
    png_set_read_fn(png, &src, read_fn);
    /* Bound what ancillary chunks may allocate (compressed-text bombs). */
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_user_limits(png, 1000000, 1000000);
    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    st = tamis__check_pixels(w, h, opts->max_pixels, err);
    if (st != TAMIS_OK)
        goto done;

    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    /* Expanding a palette with tRNS adds alpha too: strip it as well. */
    if ((color & PNG_COLOR_MASK_ALPHA) ||
        (color == PNG_COLOR_TYPE_PALETTE && png_get_valid(png, info, PNG_INFO_tRNS)))
        png_set_strip_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    if (channels != 1 && channels != 3) {
        st = tamis__fail(err, TAMIS_ERR_CORRUPT, "PNG with %d channels", channels);
        goto done;
    }

    tamis__image_info ii = {0};
    ii.format = TAMIS_FORMAT_PNG;
    ii.width = ii.out_width = (int)w;
    ii.height = ii.out_height = (int)h;
    ii.channels = channels;
    ii.orientation = 1;
    ii.scale = 1;
    st = sink->begin(sink->ctx, &ii);
    if (st != TAMIS_OK)
        goto done;

    size_t stride = png_get_rowbytes(png, info);
    /* 16-bit rows are read whole and narrowed in place to their low bytes
     * (big-endian samples: the low byte is the second). */
    int wide = depth == 16;
    size_t nsamples = (size_t)w * (size_t)channels;
    if (passes > 1) {
        /* Interlaced: the passes fill the whole image before any row is
         * final. */
        size_t total;
        if (!tamis__mul_size(stride, h, &total) || !(buf = tamis__malloc(total))) {
            st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding PNG");
            goto done;
        }
        memset(buf, 0, total);
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++)
                png_read_row(png, buf + (size_t)y * stride, NULL);
        if (wide)
            for (png_uint_32 y = 0; y < h; y++)
                narrow16(buf + (size_t)y * stride, nsamples);
        st = sink->rows(sink->ctx, 0, (int)h, buf, stride);
    } else {
        enum { BAND = 16 };
        if (!(buf = tamis__malloc(stride * BAND))) {
            st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding PNG");
            goto done;
        }
        for (png_uint_32 y = 0; y < h && st == TAMIS_OK;) {
            int n = h - y < BAND ? (int)(h - y) : BAND;
            for (int i = 0; i < n; i++) {
                png_read_row(png, buf + (size_t)i * stride, NULL);
                if (wide)
                    narrow16(buf + (size_t)i * stride, nsamples);
            }
            st = sink->rows(sink->ctx, (int)y, n, buf, stride);
            y += (png_uint_32)n;
        }
    }
    if (st == TAMIS_OK)
        png_read_end(png, NULL); /* checks the CRC of the last IDAT */
done:
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    tamis__free(buf);
    return st;
}
