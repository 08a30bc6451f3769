/*
 * test_png.c - lib/media/png.c: PNGs of every colour type and depth made
 * with libpng in the test, decoded through tamis__image_decode, checked
 * pixel for pixel against the documented conversions (palette -> RGB,
 * alpha dropped, 1/2/4-bit gray scaled to 0..255, 16-bit -> the LOW byte of
 * each big-endian sample, for compatibility with the reference).
 */
#include <png.h>

#include "../test.h"
#include "gen.h"

static uint8_t *random_bytes(size_t n) {
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(gen_rand() >> 7);
    return p;
}

/* Encodes `pix` as a PNG and decodes it with tamis. */
static void roundtrip(const gen_png_spec *s, gen_image *img) {
    size_t len;
    uint8_t *png = gen_png(s, &len);
    ASSERT(png != NULL);
    char msg[TAMIS__ERRMSG_LEN];
    tamis_status st = gen_decode(png, len, 0, img, msg);
    if (st != TAMIS_OK)
        FAIL("decode: %s (%s)", tamis_strerror(st), msg);
    ASSERT_EQ(img->begin_calls, 1);
    ASSERT_EQ(img->info.format, TAMIS_FORMAT_PNG);
    ASSERT_EQ(img->info.width, s->width);
    ASSERT_EQ(img->info.height, s->height);
    ASSERT_EQ(img->info.orientation, 1);
    free(png);
}

TEST(png_gray8_exact) {
    int w = 13, h = 7;
    uint8_t *pix = random_bytes((size_t)w * h);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, pix, w, h, 1);
    gen_image_free(&img);
    free(pix);
}

TEST(png_rgb8_exact) {
    int w = 11, h = 9;
    uint8_t *pix = random_bytes((size_t)w * h * 3);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w * 3};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, pix, w, h, 3);
    gen_image_free(&img);
    free(pix);
}

TEST(png_rgba8_alpha_dropped) {
    int w = 10, h = 6;
    uint8_t *pix = random_bytes((size_t)w * h * 4), *want = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) {
        if (i % 5 == 0)
            pix[4 * i + 3] = 0; /* fully transparent: colour still used */
        memcpy(want + 3 * i, pix + 4 * i, 3);
    }
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGBA,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w * 4};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(pix);
    free(want);
}

TEST(png_gray_alpha_alpha_dropped) {
    int w = 9, h = 5;
    uint8_t *pix = random_bytes((size_t)w * h * 2), *want = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++)
        want[i] = pix[2 * i];
    gen_png_spec s = {.width = w, .height = h,
                      .color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 8,
                      .pixels = pix, .stride = (size_t)w * 2};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 1);
    gen_image_free(&img);
    free(pix);
    free(want);
}

static const uint8_t palette[4 * 3] = {255, 0, 0, 0, 128, 0, 10, 20, 250, 7, 7, 7};

TEST(png_palette_with_trns_gives_palette_colours) {
    int w = 12, h = 8;
    uint8_t *idx = malloc((size_t)w * h), *want = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) {
        idx[i] = (uint8_t)(gen_rand() % 4);
        memcpy(want + 3 * i, palette + 3 * idx[i], 3);
    }
    static const uint8_t trns[2] = {0, 128};
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_PALETTE,
                      .bit_depth = 8, .pixels = idx, .stride = (size_t)w,
                      .palette = palette, .n_palette = 4, .trns = trns,
                      .n_trns = 2};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(idx);
    free(want);
}

TEST(png_gray_with_trns_key_ignored) {
    int w = 8, h = 4;
    uint8_t *pix = random_bytes((size_t)w * h);
    pix[3] = 77;
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w,
                      .has_trns_key = 1, .trns_key = {77, 0, 0}};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, pix, w, h, 1);
    gen_image_free(&img);
    free(pix);
}

TEST(png_rgb_with_trns_key_ignored) {
    int w = 8, h = 4;
    uint8_t *pix = random_bytes((size_t)w * h * 3);
    memcpy(pix + 6, "\x01\x02\x03", 3);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w * 3,
                      .has_trns_key = 1, .trns_key = {1, 2, 3}};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, pix, w, h, 3);
    gen_image_free(&img);
    free(pix);
}

TEST(png_gray2_with_trns_key_ignored) {
    /* Low-depth gray with a transparent level: still one channel, scaled. */
    int w = 9, h = 3;
    size_t stride = 3;
    uint8_t packed[9] = {0}, want[27];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = (x + y) % 4;
            packed[y * stride + x / 4] |= (uint8_t)(v << (6 - 2 * (x % 4)));
            want[y * w + x] = (uint8_t)(v * 85);
        }
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = 2, .pixels = packed, .stride = stride,
                      .has_trns_key = 1, .trns_key = {2, 0, 0}};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 1);
    gen_image_free(&img);
}

TEST(png_palette_2bit_gives_palette_colours) {
    int w = 7, h = 5; /* 7 pixels: the last byte of each row is partial */
    size_t stride = 2;
    uint8_t *packed = calloc(stride * h, 1), *want = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = (int)(gen_rand() % 4);
            packed[y * stride + x / 4] |= (uint8_t)(v << (6 - 2 * (x % 4)));
            memcpy(want + 3 * (y * w + x), palette + 3 * v, 3);
        }
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_PALETTE,
                      .bit_depth = 2, .pixels = packed, .stride = stride,
                      .palette = palette, .n_palette = 4};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(packed);
    free(want);
}

/* Gray at 1, 2 or 4 bits: value v of `depth` bits becomes
 * v * 255 / (2^depth - 1), i.e. 0/255, v*85, v*17. */
static void check_low_gray(int depth) {
    int w = 21, h = 4, per = 8 / depth, maxv = (1 << depth) - 1;
    size_t stride = (size_t)(w + per - 1) / per;
    uint8_t *packed = calloc(stride * h, 1), *want = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = (int)(gen_rand() % (unsigned)(maxv + 1));
            int shift = 8 - depth * (x % per + 1);
            packed[y * stride + x / per] |= (uint8_t)(v << shift);
            want[y * w + x] = (uint8_t)(v * 255 / maxv);
        }
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = depth, .pixels = packed, .stride = stride};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 1);
    gen_image_free(&img);
    free(packed);
    free(want);
}

TEST(png_gray1_scaled_to_0_255) { check_low_gray(1); }
TEST(png_gray2_scaled_by_85) { check_low_gray(2); }
TEST(png_gray4_scaled_by_17) { check_low_gray(4); }

/* 16-bit: `ch` big-endian samples per pixel in, the low byte of each of
 * the first `keep` samples out. */
static void check_16bit(int color, int ch, int keep, int interlace) {
    int w = 9, h = 19;
    uint8_t *pix = random_bytes((size_t)w * h * ch * 2),
            *want = malloc((size_t)w * h * keep);
    for (int i = 0; i < w * h; i++)
        for (int c = 0; c < keep; c++)
            want[i * keep + c] = pix[(i * ch + c) * 2 + 1];
    gen_png_spec s = {.width = w, .height = h, .color_type = color, .bit_depth = 16,
                      .interlace = interlace, .pixels = pix,
                      .stride = (size_t)w * ch * 2};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, keep);
    gen_image_free(&img);
    free(pix);
    free(want);
}

TEST(png_gray16_keeps_low_byte) { check_16bit(PNG_COLOR_TYPE_GRAY, 1, 1, 0); }
TEST(png_rgb16_keeps_low_byte) { check_16bit(PNG_COLOR_TYPE_RGB, 3, 3, 0); }
TEST(png_rgba16_keeps_low_byte_drops_alpha) { check_16bit(PNG_COLOR_TYPE_RGBA, 4, 3, 0); }
TEST(png_gray_alpha16_keeps_low_byte_drops_alpha) {
    check_16bit(PNG_COLOR_TYPE_GRAY_ALPHA, 2, 1, 0);
}
TEST(png_interlaced_gray16_keeps_low_byte) { check_16bit(PNG_COLOR_TYPE_GRAY, 1, 1, 1); }

TEST(png_interlaced_rgb_exact) {
    int w = 19, h = 13; /* not multiples of 8: every Adam7 pass is partial */
    uint8_t *pix = random_bytes((size_t)w * h * 3);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .interlace = 1, .pixels = pix,
                      .stride = (size_t)w * 3};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, pix, w, h, 3);
    gen_image_free(&img);
    free(pix);
}

TEST(png_interlaced_palette_exact) {
    int w = 17, h = 11;
    uint8_t *idx = malloc((size_t)w * h), *want = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) {
        idx[i] = (uint8_t)(gen_rand() % 4);
        memcpy(want + 3 * i, palette + 3 * idx[i], 3);
    }
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_PALETTE,
                      .bit_depth = 8, .interlace = 1, .pixels = idx,
                      .stride = (size_t)w, .palette = palette, .n_palette = 4};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(idx);
    free(want);
}

TEST(png_many_rows_delivered_in_order) {
    /* More rows than one band of the decoder. */
    int w = 5, h = 70;
    uint8_t *pix = random_bytes((size_t)w * h);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w};
    gen_image img;
    roundtrip(&s, &img);
    ASSERT_PIXELS(&img, pix, w, h, 1);
    gen_image_free(&img);
    free(pix);
}

static uint8_t *noise_png(int w, int h, size_t *len) {
    uint8_t *pix = random_bytes((size_t)w * h * 3);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w * 3};
    uint8_t *png = gen_png(&s, len);
    free(pix);
    return png;
}

TEST(png_truncated_is_corrupt) {
    size_t len;
    uint8_t *png = noise_png(64, 48, &len); /* incompressible: a long IDAT */
    const size_t cuts[] = {8, 20, 33, 41, 100, len / 2, len - 13, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis_status st = gen_decode(png, cuts[i], 0, &img, msg);
        if (st != TAMIS_ERR_CORRUPT)
            FAIL("cut at %zu of %zu: %s (%s)", cuts[i], len, tamis_strerror(st), msg);
        ASSERT_GT(strlen(msg), 0);
        gen_image_free(&img);
    }
    free(png);
}

TEST(png_bad_crc_is_corrupt) {
    size_t len;
    uint8_t *png = noise_png(16, 16, &len);
    png[len / 2] ^= 0x55; /* inside the IDAT: its CRC no longer matches */
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    tamis_status st = gen_decode(png, len, 0, &img, msg);
    if (st != TAMIS_ERR_CORRUPT)
        FAIL("%s (%s)", tamis_strerror(st), msg);
    gen_image_free(&img);
    free(png);
}

TEST(png_huge_header_refused_before_decoding) {
    size_t len;
    uint8_t *png = gen_png_header_only(60000, 60000, &len);
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(png, len, 0, &img, msg), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(img.begin_calls, 0);
    if (!strstr(msg, "60000x60000") || !strstr(msg, "100000000"))
        FAIL("message does not give the size and the limit: \"%s\"", msg);
    gen_image_free(&img);
    free(png);
}

TEST(png_max_pixels_boundary) {
    size_t len;
    uint8_t *png = noise_png(16, 16, &len);
    gen_image img;
    ASSERT_EQ(gen_decode(png, len, 255, &img, NULL), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(img.begin_calls, 0);
    gen_image_free(&img);
    ASSERT_OK(gen_decode(png, len, 256, &img, NULL));
    gen_image_free(&img);
    free(png);
}

TEST(png_allocation_failures_give_nomem) {
    /* Fail the n-th allocation for n = 1, 2, ... until a decode succeeds:
     * every failing run must say out of memory, not corrupt data. */
    size_t len;
    uint8_t *png = noise_png(40, 30, &len);
    int n;
    for (n = 1; n < 200; n++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis__alloc_fail_at(n);
        tamis_status st = gen_decode(png, len, 0, &img, msg);
        tamis__alloc_fail_at(0);
        gen_image_free(&img);
        if (st == TAMIS_OK)
            break;
        if (st != TAMIS_ERR_NOMEM)
            FAIL("allocation %d failed: %s (%s), want out of memory", n,
                 tamis_strerror(st), msg);
    }
    ASSERT_LT(n, 200);
    free(png);
}
