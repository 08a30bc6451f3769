/*
 * gen.c - test helpers: encoders for small generated images and the
 * recording sink (see gen.h).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include "../test.h"
#include "gen.h"

uint32_t gen_rand(void) {
    static uint32_t s = 2463534242u;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

typedef struct {
    uint8_t *data;
    size_t len, cap;
} membuf;

static void membuf_put(membuf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = 2 * (b->len + n) + 256;
        b->data = realloc(b->data, b->cap);
        if (!b->data)
            FAIL("out of memory in the test");
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void gen_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        FAIL("cannot write %s", path);
}

/* ---- PNG --------------------------------------------------------------- */

static void png_put(png_structp png, png_bytep d, size_t n) {
    membuf_put(png_get_io_ptr(png), d, n);
}
static void png_noflush(png_structp png) { (void)png; }

uint8_t *gen_png(const gen_png_spec *s, size_t *len) {
    membuf *b = calloc(1, sizeof *b);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        FAIL("libpng could not encode the test image");
    png_set_write_fn(png, b, png_put, png_noflush);
    png_set_IHDR(png, info, (png_uint_32)s->width, (png_uint_32)s->height,
                 s->bit_depth, s->color_type,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette) {
        png_color pal[256];
        for (int i = 0; i < s->n_palette; i++) {
            pal[i].red = s->palette[3 * i];
            pal[i].green = s->palette[3 * i + 1];
            pal[i].blue = s->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, s->n_palette);
    }
    if (s->trns)
        png_set_tRNS(png, info, s->trns, s->n_trns, NULL);
    if (s->has_trns_key) {
        png_color_16 key = {0, s->trns_key[0], s->trns_key[1], s->trns_key[2],
                            s->trns_key[0]};
        png_set_tRNS(png, info, NULL, 0, &key);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < s->height; y++)
            png_write_row(png, s->pixels + (size_t)y * s->stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    uint8_t *d = b->data;
    *len = b->len;
    free(b);
    return d;
}

uint8_t *gen_png_header_only(uint32_t width, uint32_t height, size_t *len) {
    membuf *b = calloc(1, sizeof *b);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        FAIL("libpng could not write the header");
    png_set_write_fn(png, b, png_put, png_noflush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_destroy_write_struct(&png, &info);
    /* An IDAT chunk header and a few bytes of (bogus) data. */
    static const uint8_t idat[] = {0, 0, 0, 16, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0, 0};
    membuf_put(b, idat, sizeof idat);
    uint8_t *d = b->data;
    *len = b->len;
    free(b);
    return d;
}

/* ---- JPEG -------------------------------------------------------------- */

uint8_t *gen_jpeg(const gen_jpeg_spec *s, size_t *len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *out = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = (JDIMENSION)s->width;
    c.image_height = (JDIMENSION)s->height;
    c.input_components = s->comps;
    c.in_color_space = (J_COLOR_SPACE)s->in_cs;
    jpeg_set_defaults(&c);
    if (s->store_cs != JCS_UNKNOWN)
        jpeg_set_colorspace(&c, (J_COLOR_SPACE)s->store_cs);
    if (!s->adobe)
        c.write_Adobe_marker = FALSE;
    jpeg_set_quality(&c, s->quality, TRUE);
    if (s->progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    for (int i = 0; i < 2; i++)
        if (s->app1[i])
            jpeg_write_marker(&c, JPEG_APP0 + 1, s->app1[i], (unsigned)s->app1_len[i]);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(s->pixels + (size_t)c.next_scanline *
                                                  (size_t)s->width * (size_t)s->comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    /* jpeg_mem_dest's buffer comes from malloc. */
    *len = n;
    return out;
}

uint8_t *gen_jpeg_decode(const uint8_t *data, size_t len, int out_cs, int *w,
                         int *h, int *comps) {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr e;
    d.err = jpeg_std_error(&e);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    d.out_color_space = (J_COLOR_SPACE)out_cs;
    jpeg_start_decompress(&d);
    *w = (int)d.output_width;
    *h = (int)d.output_height;
    *comps = d.output_components;
    size_t stride = (size_t)*w * (size_t)*comps;
    uint8_t *pix = malloc(stride * (size_t)*h);
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = pix + (size_t)d.output_scanline * stride;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return pix;
}

/* ---- GIF --------------------------------------------------------------- */

static int gif_put(GifFileType *g, const GifByteType *p, int n) {
    membuf_put(g->UserData, p, (size_t)n);
    return n;
}

static ColorMapObject *gif_map(const uint8_t *rgb, int n) {
    GifColorType c[256];
    for (int i = 0; i < n; i++) {
        c[i].Red = rgb[3 * i];
        c[i].Green = rgb[3 * i + 1];
        c[i].Blue = rgb[3 * i + 2];
    }
    ColorMapObject *m = GifMakeMapObject(n, c);
    if (!m)
        FAIL("GifMakeMapObject(%d) failed", n);
    return m;
}

uint8_t *gen_gif(int screen_w, int screen_h, const uint8_t *global_map,
                 int n_global, int background, const gen_gif_frame *fr,
                 size_t *len) {
    membuf *b = calloc(1, sizeof *b);
    int err = 0;
    GifFileType *g = EGifOpen(b, gif_put, &err);
    if (!g)
        FAIL("EGifOpen: %d", err);
    EGifSetGifVersion(g, true);
    ColorMapObject *gm = global_map ? gif_map(global_map, n_global) : NULL;
    ColorMapObject *lm = fr->local_map ? gif_map(fr->local_map, fr->n_local) : NULL;
    if (EGifPutScreenDesc(g, screen_w, screen_h, 8, background, gm) == GIF_ERROR)
        FAIL("EGifPutScreenDesc: %d", g->Error);
    static const GifByteType gce[4] = {0, 10, 0, 0}; /* delay 0.1 s */
    if (EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_ERROR)
        FAIL("EGifPutExtension: %d", g->Error);
    if (EGifPutImageDesc(g, fr->left, fr->top, fr->width, fr->height,
                         fr->interlace != 0, lm) == GIF_ERROR)
        FAIL("EGifPutImageDesc: %d", g->Error);
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int npass = fr->interlace ? 4 : 1;
    for (int p = 0; p < npass; p++)
        for (int y = fr->interlace ? start[p] : 0; y < fr->height;
             y += fr->interlace ? step[p] : 1)
            if (EGifPutLine(g, (GifPixelType *)(fr->index + (size_t)y * fr->width),
                            fr->width) == GIF_ERROR)
                FAIL("EGifPutLine: %d", g->Error);
    if (EGifCloseFile(g, &err) == GIF_ERROR)
        FAIL("EGifCloseFile: %d", err);
    GifFreeMapObject(gm);
    GifFreeMapObject(lm);
    uint8_t *d = b->data;
    *len = b->len;
    free(b);
    return d;
}

/* ---- WebP -------------------------------------------------------------- */

uint8_t *gen_webp_lossless(const uint8_t *pix, int w, int h, int channels,
                           size_t *len) {
    uint8_t *out = NULL;
    size_t n = channels == 4 ? WebPEncodeLosslessRGBA(pix, w, h, w * 4, &out)
                             : WebPEncodeLosslessRGB(pix, w, h, w * 3, &out);
    if (n == 0)
        FAIL("WebP encoding failed");
    uint8_t *d = malloc(n);
    memcpy(d, out, n);
    WebPFree(out);
    *len = n;
    return d;
}

/* ---- Recording sink ---------------------------------------------------- */

static tamis_status rec_begin(void *ctx, const tamis__image_info *info) {
    gen_image *img = ctx;
    img->info = *info;
    img->begin_calls++;
    free(img->pix);
    img->pix = calloc((size_t)info->out_width * (size_t)info->out_height *
                          (size_t)info->channels + 1, 1);
    return img->pix ? TAMIS_OK : TAMIS_ERR_NOMEM;
}

static tamis_status rec_rows(void *ctx, int y, int n, const uint8_t *pixels,
                             size_t stride) {
    gen_image *img = ctx;
    size_t rb = (size_t)img->info.out_width * (size_t)img->info.channels;
    if (y != img->rows_seen || y + n > img->info.out_height || stride < rb) {
        img->order_error = 1;
        return TAMIS_ERR_INTERNAL;
    }
    for (int i = 0; i < n; i++)
        memcpy(img->pix + (size_t)(y + i) * rb, pixels + (size_t)i * stride, rb);
    img->rows_seen += n;
    return TAMIS_OK;
}

tamis_status gen_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        gen_image *img, char msg[TAMIS__ERRMSG_LEN]) {
    memset(img, 0, sizeof *img);
    tamis__decode_opts o = {max_pixels ? max_pixels : TAMIS_DEFAULT_MAX_PIXELS, 0};
    tamis__image_sink sink = {rec_begin, rec_rows, img};
    tamis__err e;
    e.msg[0] = '\0';
    tamis_status st = tamis__image_decode(data, len, &o, &sink, &e);
    if (msg)
        memcpy(msg, e.msg, TAMIS__ERRMSG_LEN);
    return st;
}

void gen_image_free(gen_image *img) {
    free(img->pix);
    img->pix = NULL;
}

void gen_assert_pixels(const char *file, int line, const gen_image *img,
                       const uint8_t *want, int w, int h, int ch) {
    if (img->info.out_width != w || img->info.out_height != h ||
        img->info.channels != ch)
        test_fail(file, line, "image is %dx%d with %d channels, want %dx%d with %d",
                  img->info.out_width, img->info.out_height, img->info.channels,
                  w, h, ch);
    if (img->order_error || img->rows_seen != h)
        test_fail(file, line, "rows delivered out of order or missing (%d of %d)",
                  img->rows_seen, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                size_t i = ((size_t)y * w + x) * ch + c;
                if (img->pix[i] != want[i])
                    test_fail(file, line, "pixel (%d,%d) channel %d: %u vs %u", x,
                              y, c, img->pix[i], want[i]);
            }
}
