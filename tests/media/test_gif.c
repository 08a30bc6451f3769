/*
 * test_gif.c - lib/media/gif.c: GIFs written with giflib in the test; the
 * first frame placed on the logical screen (background colour elsewhere)
 * and expanded from its colour map, local or global, to RGB.
 */
#include "../test.h"
#include "gen.h"

static const uint8_t global4[4 * 3] = {0, 0, 0, 250, 10, 20, 30, 240, 40, 90, 80, 200};
static const uint8_t local8[8 * 3] = {1,  2,   3,   11, 12, 13,  21,  22,
                                      23, 200, 150, 100, 5,  250, 5,   128,
                                      64, 32,  255, 255, 255, 77, 88,  99};

static uint8_t *random_indices(int w, int h, int n) {
    uint8_t *p = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++)
        p[i] = (uint8_t)(gen_rand() % (uint32_t)n);
    return p;
}

static void expand(const uint8_t *idx, const uint8_t *map, int n, uint8_t *rgb) {
    for (int i = 0; i < n; i++)
        memcpy(rgb + 3 * i, map + 3 * idx[i], 3);
}

static void decode_ok(const uint8_t *gif, size_t len, gen_image *img) {
    char msg[TAMIS__ERRMSG_LEN];
    tamis_status st = gen_decode(gif, len, 0, img, msg);
    if (st != TAMIS_OK)
        FAIL("decode: %s (%s)", tamis_strerror(st), msg);
    ASSERT_EQ(img->begin_calls, 1);
    ASSERT_EQ(img->info.format, TAMIS_FORMAT_GIF);
    ASSERT_EQ(img->info.orientation, 1);
}

TEST(gif_global_colormap_to_rgb) {
    int w = 7, h = 5;
    uint8_t *idx = random_indices(w, h, 4), *want = malloc((size_t)w * h * 3);
    expand(idx, global4, w * h, want);
    gen_gif_frame fr = {0, 0, w, h, 0, NULL, 0, idx};
    size_t len;
    uint8_t *gif = gen_gif(w, h, global4, 4, 0, &fr, &len);
    gen_image img;
    decode_ok(gif, len, &img);
    ASSERT_EQ(img.info.width, w);
    ASSERT_EQ(img.info.height, h);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(idx);
    free(want);
    free(gif);
}

TEST(gif_local_colormap_frame_on_background) {
    /* A 5x4 frame at (2,1) on a 9x7 screen whose background is global
     * colour 1: the frame uses its own 8-colour map. */
    int sw = 9, sh = 7, fw = 5, fh = 4, fx = 2, fy = 1;
    uint8_t *idx = random_indices(fw, fh, 8), *want = malloc((size_t)sw * sh * 3);
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            uint8_t *o = want + ((size_t)y * sw + x) * 3;
            if (x >= fx && x < fx + fw && y >= fy && y < fy + fh)
                memcpy(o, local8 + 3 * idx[(y - fy) * fw + (x - fx)], 3);
            else
                memcpy(o, global4 + 3 * 1, 3);
        }
    gen_gif_frame fr = {fx, fy, fw, fh, 0, local8, 8, idx};
    size_t len;
    uint8_t *gif = gen_gif(sw, sh, global4, 4, 1, &fr, &len);
    gen_image img;
    decode_ok(gif, len, &img);
    ASSERT_PIXELS(&img, want, sw, sh, 3);
    gen_image_free(&img);
    free(idx);
    free(want);
    free(gif);
}

TEST(gif_local_colormap_without_global) {
    int w = 6, h = 3;
    uint8_t *idx = random_indices(w, h, 8), *want = malloc((size_t)w * h * 3);
    expand(idx, local8, w * h, want);
    gen_gif_frame fr = {0, 0, w, h, 0, local8, 8, idx};
    size_t len;
    uint8_t *gif = gen_gif(w, h, NULL, 0, 0, &fr, &len);
    gen_image img;
    decode_ok(gif, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(idx);
    free(want);
    free(gif);
}

TEST(gif_interlaced_frame_rows_in_display_order) {
    /* 19 rows: each of the four interlace passes has rows, the last
     * ones partial. Row y is coloured by y so that any misplaced row shows. */
    int w = 4, h = 19;
    uint8_t *idx = malloc((size_t)w * h), *want = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            idx[y * w + x] = (uint8_t)((y + x) % 8);
    expand(idx, local8, w * h, want);
    gen_gif_frame fr = {0, 0, w, h, 1, local8, 8, idx};
    size_t len;
    uint8_t *gif = gen_gif(w, h, global4, 4, 0, &fr, &len);
    gen_image img;
    decode_ok(gif, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(idx);
    free(want);
    free(gif);
}

static uint8_t *noise_gif(int w, int h, size_t *len) {
    static uint8_t map[256 * 3];
    for (int i = 0; i < 256 * 3; i++)
        map[i] = (uint8_t)(i * 7);
    uint8_t *idx = random_indices(w, h, 256);
    gen_gif_frame fr = {0, 0, w, h, 0, NULL, 0, idx};
    uint8_t *gif = gen_gif(w, h, map, 256, 0, &fr, len);
    free(idx);
    return gif;
}

TEST(gif_truncated_is_corrupt) {
    size_t len;
    uint8_t *gif = noise_gif(64, 40, &len); /* LZW of noise: long data */
    const size_t cuts[] = {6, 10, 13, 400, 790, 900, len / 2, len - 10};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis_status st = gen_decode(gif, cuts[i], 0, &img, msg);
        if (st != TAMIS_ERR_CORRUPT)
            FAIL("cut at %zu of %zu: %s (%s)", cuts[i], len, tamis_strerror(st), msg);
        ASSERT_GT(strlen(msg), 0);
        gen_image_free(&img);
    }
    free(gif);
}

TEST(gif_without_image_is_corrupt) {
    /* Header, screen descriptor, no colour map, then the trailer. */
    static const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 4, 0, 4, 0,
                                  0,   0,   0,   0x3b};
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(gif, sizeof gif, 0, &img, msg), TAMIS_ERR_CORRUPT);
    gen_image_free(&img);
}

TEST(gif_huge_screen_refused_before_decoding) {
    size_t len;
    uint8_t *gif = noise_gif(8, 8, &len);
    gif[6] = gif[7] = gif[8] = gif[9] = 0xff; /* 65535 x 65535 screen */
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(gif, len, 0, &img, msg), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(img.begin_calls, 0);
    if (!strstr(msg, "65535x65535"))
        FAIL("message does not give the size: \"%s\"", msg);
    gen_image_free(&img);
    free(gif);
}

TEST(gif_max_pixels_boundary) {
    size_t len;
    uint8_t *gif = noise_gif(16, 16, &len);
    gen_image img;
    ASSERT_EQ(gen_decode(gif, len, 255, &img, NULL), TAMIS_ERR_TOO_LARGE);
    gen_image_free(&img);
    ASSERT_OK(gen_decode(gif, len, 256, &img, NULL));
    gen_image_free(&img);
    free(gif);
}

TEST(gif_allocation_failures_give_nomem) {
    size_t len;
    uint8_t *gif = noise_gif(16, 16, &len);
    int n;
    for (n = 1; n < 100; n++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis__alloc_fail_at(n);
        tamis_status st = gen_decode(gif, len, 0, &img, msg);
        tamis__alloc_fail_at(0);
        gen_image_free(&img);
        if (st == TAMIS_OK)
            break;
        if (st != TAMIS_ERR_NOMEM)
            FAIL("allocation %d failed: %s (%s), want out of memory", n,
                 tamis_strerror(st), msg);
    }
    ASSERT_GT(n, 1);
    ASSERT_LT(n, 100);
    free(gif);
}

TEST(gif_huge_screen_around_tiny_frame_refused) {
    /* A 5000x5000 screen (under the 100 M pixel limit) around a 2x2
     * frame: 75 MB of canvas, and more for luma, from a few bytes. */
    static const uint8_t map[12] = {0, 0, 0, 255, 255, 255, 9, 9, 9, 80, 80, 80};
    static uint8_t idx[4] = {1, 2, 3, 1}; /* giflib masks lines in place */
    gen_gif_frame fr = {5, 5, 2, 2, 0, NULL, 0, idx};
    size_t len;
    uint8_t *g = gen_gif(5000, 5000, map, 4, 0, &fr, &len);
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(g, len, 0, &img, msg), TAMIS_ERR_TOO_LARGE);
    ASSERT(strstr(msg, "first frame") != NULL);
    gen_image_free(&img);
    free(g);
}
