/*
 * test_webp.c - lib/media/webp.c: WebPs encoded with libwebp in the test;
 * lossless ones must decode to exactly the source RGB (alpha dropped),
 * lossy ones to exactly what libwebp's own decoder gives.
 */
#include <webp/decode.h>
#include <webp/encode.h>

#include "../test.h"
#include "gen.h"

static uint8_t *random_bytes(size_t n) {
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(gen_rand() >> 11);
    return p;
}

static void decode_ok(const uint8_t *data, size_t len, gen_image *img) {
    char msg[TAMIS__ERRMSG_LEN];
    tamis_status st = gen_decode(data, len, 0, img, msg);
    if (st != TAMIS_OK)
        FAIL("decode: %s (%s)", tamis_strerror(st), msg);
    ASSERT_EQ(img->begin_calls, 1);
    ASSERT_EQ(img->info.format, TAMIS_FORMAT_WEBP);
    ASSERT_EQ(img->info.orientation, 1);
}

TEST(webp_lossless_rgb_exact) {
    int w = 13, h = 11;
    uint8_t *pix = random_bytes((size_t)w * h * 3);
    size_t len;
    uint8_t *webp = gen_webp_lossless(pix, w, h, 3, &len);
    gen_image img;
    decode_ok(webp, len, &img);
    ASSERT_EQ(img.info.width, w);
    ASSERT_EQ(img.info.height, h);
    ASSERT_PIXELS(&img, pix, w, h, 3);
    gen_image_free(&img);
    free(pix);
    free(webp);
}

TEST(webp_lossless_rgba_alpha_dropped) {
    /* Alpha is never 0: the simple encoder may change the colour of fully
     * transparent pixels. */
    int w = 10, h = 7;
    uint8_t *pix = random_bytes((size_t)w * h * 4), *want = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) {
        pix[4 * i + 3] = (uint8_t)(1 + pix[4 * i + 3] % 255);
        memcpy(want + 3 * i, pix + 4 * i, 3);
    }
    size_t len;
    uint8_t *webp = gen_webp_lossless(pix, w, h, 4, &len);
    gen_image img;
    decode_ok(webp, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(pix);
    free(want);
    free(webp);
}

TEST(webp_lossy_matches_libwebp) {
    int w = 33, h = 17;
    uint8_t *pix = random_bytes((size_t)w * h * 3), *out = NULL;
    size_t len = WebPEncodeRGB(pix, w, h, w * 3, 80.0f, &out);
    ASSERT_GT(len, 0);
    int dw, dh;
    uint8_t *want = WebPDecodeRGB(out, len, &dw, &dh);
    ASSERT(want != NULL);
    gen_image img;
    decode_ok(out, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    WebPFree(want);
    WebPFree(out);
    free(pix);
}

TEST(webp_truncated_is_corrupt) {
    int w = 64, h = 48;
    uint8_t *pix = random_bytes((size_t)w * h * 3);
    size_t len;
    uint8_t *webp = gen_webp_lossless(pix, w, h, 3, &len);
    const size_t cuts[] = {12, 16, 20, 25, 30, 100, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis_status st = gen_decode(webp, cuts[i], 0, &img, msg);
        if (st != TAMIS_ERR_CORRUPT)
            FAIL("cut at %zu of %zu: %s (%s)", cuts[i], len, tamis_strerror(st), msg);
        ASSERT_GT(strlen(msg), 0);
        gen_image_free(&img);
    }
    free(pix);
    free(webp);
}

TEST(webp_max_pixels_boundary) {
    uint8_t *pix = random_bytes(16 * 16 * 3);
    size_t len;
    uint8_t *webp = gen_webp_lossless(pix, 16, 16, 3, &len);
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(webp, len, 255, &img, msg), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(img.begin_calls, 0);
    if (!strstr(msg, "16x16"))
        FAIL("message does not give the size: \"%s\"", msg);
    gen_image_free(&img);
    ASSERT_OK(gen_decode(webp, len, 256, &img, NULL));
    gen_image_free(&img);
    free(pix);
    free(webp);
}

TEST(webp_allocation_failures_give_nomem) {
    uint8_t *pix = random_bytes(20 * 12 * 3);
    size_t len;
    uint8_t *webp = gen_webp_lossless(pix, 20, 12, 3, &len);
    int n;
    for (n = 1; n < 100; n++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis__alloc_fail_at(n);
        tamis_status st = gen_decode(webp, len, 0, &img, msg);
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
    free(pix);
    free(webp);
}
