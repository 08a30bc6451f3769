/*
 * test_jpeg.c - lib/media/jpeg.c: JPEGs made with libjpeg in the test.
 * JPEG is lossy, so tamis's pixels are compared exactly with an independent
 * decode by plain libjpeg (the same library defaults), and CMYK/YCCK
 * conversions are recomputed here from the decoded ink values.
 */
#include <time.h>
#include <math.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE and size_t */

#include <jpeglib.h>

#include "../test.h"
#include "gen.h"

/* 8x8 blocks of random colour with some noise: colour values and fine
 * detail for the decoders to disagree on if they differ. */
static uint8_t *blocks(int w, int h, int comps) {
    uint8_t *p = malloc((size_t)w * h * comps), base[4][64];
    for (int c = 0; c < comps; c++)
        for (int b = 0; b < 64; b++)
            base[c][b] = (uint8_t)(gen_rand() >> 9);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < comps; c++) {
                int v = base[c][((y / 8) * 8 + x / 8) % 64] + (int)(gen_rand() % 9) - 4;
                p[((size_t)y * w + x) * comps + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    return p;
}

static uint8_t *make_jpeg(int w, int h, int comps, int in_cs, int store_cs,
                          int adobe, size_t *len) {
    uint8_t *pix = blocks(w, h, comps);
    gen_jpeg_spec s = {.width = w, .height = h, .comps = comps, .in_cs = in_cs,
                       .store_cs = store_cs, .quality = 95, .adobe = adobe,
                       .pixels = pix};
    uint8_t *jpg = gen_jpeg(&s, len);
    free(pix);
    return jpg;
}

static void decode_ok(const uint8_t *jpg, size_t len, gen_image *img) {
    char msg[TAMIS__ERRMSG_LEN];
    tamis_status st = gen_decode(jpg, len, 0, img, msg);
    if (st != TAMIS_OK)
        FAIL("decode: %s (%s)", tamis_strerror(st), msg);
    ASSERT_EQ(img->begin_calls, 1);
    ASSERT_EQ(img->info.format, TAMIS_FORMAT_JPEG);
}

TEST(jpeg_gray_matches_libjpeg) {
    int w = 40, h = 24;
    size_t len;
    uint8_t *jpg = make_jpeg(w, h, 1, JCS_GRAYSCALE, JCS_UNKNOWN, 1, &len);
    int dw, dh, dc;
    uint8_t *want = gen_jpeg_decode(jpg, len, JCS_GRAYSCALE, &dw, &dh, &dc);
    gen_image img;
    decode_ok(jpg, len, &img);
    ASSERT_EQ(img.info.width, w);
    ASSERT_EQ(img.info.height, h);
    ASSERT_PIXELS(&img, want, w, h, 1);
    gen_image_free(&img);
    free(want);
    free(jpg);
}

TEST(jpeg_rgb_matches_libjpeg) {
    int w = 37, h = 29; /* partial MCUs on both sides */
    size_t len;
    uint8_t *jpg = make_jpeg(w, h, 3, JCS_RGB, JCS_UNKNOWN, 1, &len);
    int dw, dh, dc;
    uint8_t *want = gen_jpeg_decode(jpg, len, JCS_RGB, &dw, &dh, &dc);
    gen_image img;
    decode_ok(jpg, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(want);
    free(jpg);
}

TEST(jpeg_rgb_close_to_source) {
    /* Guards against a decode that is self-consistent but wrong (e.g.
     * channels swapped): a smooth picture, different in each channel,
     * comes back within a few levels at quality 100. */
    int w = 32, h = 16;
    uint8_t *pix = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = pix + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(x * 8);
            p[1] = (uint8_t)(y * 16);
            p[2] = (uint8_t)(255 - x * 4 - y * 2);
        }
    gen_jpeg_spec s = {.width = w, .height = h, .comps = 3, .in_cs = JCS_RGB,
                       .quality = 100, .adobe = 1, .pixels = pix};
    size_t len;
    uint8_t *jpg = gen_jpeg(&s, &len);
    gen_image img;
    decode_ok(jpg, len, &img);
    long total = 0;
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        total += abs((int)img.pix[i] - (int)pix[i]);
    double mean = (double)total / (w * h * 3);
    if (mean > 2.0)
        FAIL("mean error %.2f levels", mean);
    gen_image_free(&img);
    free(pix);
    free(jpg);
}

/* Expected RGB from decoded CMYK: Adobe files store inverted ink, so
 * R = C*K/255; plain files R = (255-C)(255-K)/255; rounded to nearest. */
static void check_cmyk(int store_cs, int adobe) {
    int w = 24, h = 16;
    size_t len;
    uint8_t *jpg = make_jpeg(w, h, 4, JCS_CMYK, store_cs, adobe, &len);
    int dw, dh, dc;
    uint8_t *cmyk = gen_jpeg_decode(jpg, len, JCS_CMYK, &dw, &dh, &dc);
    ASSERT_EQ(dc, 4);
    uint8_t *want = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) {
        double k = cmyk[4 * i + 3];
        for (int c = 0; c < 3; c++) {
            double v = cmyk[4 * i + c];
            want[3 * i + c] = (uint8_t)lround(adobe ? v * k / 255.0
                                                    : (255 - v) * (255 - k) / 255.0);
        }
    }
    gen_image img;
    decode_ok(jpg, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(cmyk);
    free(want);
    free(jpg);
}

TEST(jpeg_cmyk_adobe_inverted_to_rgb) { check_cmyk(JCS_CMYK, 1); }
TEST(jpeg_cmyk_without_adobe_marker_to_rgb) { check_cmyk(JCS_CMYK, 0); }
TEST(jpeg_ycck_to_rgb) { check_cmyk(JCS_YCCK, 1); }

TEST(jpeg_progressive_matches_libjpeg) {
    int w = 48, h = 40;
    uint8_t *pix = blocks(w, h, 3);
    gen_jpeg_spec s = {.width = w, .height = h, .comps = 3, .in_cs = JCS_RGB,
                       .quality = 90, .adobe = 1, .progressive = 1, .pixels = pix};
    size_t len;
    uint8_t *jpg = gen_jpeg(&s, &len);
    int dw, dh, dc;
    uint8_t *want = gen_jpeg_decode(jpg, len, JCS_RGB, &dw, &dh, &dc);
    gen_image img;
    decode_ok(jpg, len, &img);
    ASSERT_PIXELS(&img, want, w, h, 3);
    gen_image_free(&img);
    free(want);
    free(pix);
    free(jpg);
}

/* A minimal EXIF payload with one orientation entry (little-endian). */
static size_t exif_payload(uint8_t *p, int orientation) {
    static const uint8_t head[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0,
                                   8,   0,   0,   0,   1, 0, 0x12, 0x01, 3, 0,
                                   1,   0,   0,   0};
    memcpy(p, head, sizeof head);
    size_t n = sizeof head;
    p[n++] = (uint8_t)orientation;
    p[n++] = 0;
    p[n++] = 0;
    p[n++] = 0;
    memset(p + n, 0, 4); /* no next IFD */
    return n + 4;
}

TEST(jpeg_reports_exif_orientation) {
    uint8_t *pix = blocks(16, 8, 1), exif[64];
    for (int o = 1; o <= 8; o++) {
        gen_jpeg_spec s = {.width = 16, .height = 8, .comps = 1,
                           .in_cs = JCS_GRAYSCALE, .quality = 90, .adobe = 1,
                           .pixels = pix};
        s.app1[0] = exif;
        s.app1_len[0] = exif_payload(exif, o);
        size_t len;
        uint8_t *jpg = gen_jpeg(&s, &len);
        gen_image img;
        decode_ok(jpg, len, &img);
        ASSERT_EQ(img.info.orientation, o);
        /* Orientation is reported, not applied, by the decoder. */
        ASSERT_EQ(img.info.out_width, 16);
        ASSERT_EQ(img.info.out_height, 8);
        gen_image_free(&img);
        free(jpg);
    }
    free(pix);
}

TEST(jpeg_exif_found_after_xmp_app1) {
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>";
    uint8_t *pix = blocks(16, 8, 1), exif[64];
    gen_jpeg_spec s = {.width = 16, .height = 8, .comps = 1, .in_cs = JCS_GRAYSCALE,
                       .quality = 90, .adobe = 1, .pixels = pix};
    s.app1[0] = (const uint8_t *)xmp;
    s.app1_len[0] = sizeof xmp;
    s.app1[1] = exif;
    s.app1_len[1] = exif_payload(exif, 6);
    size_t len;
    uint8_t *jpg = gen_jpeg(&s, &len);
    gen_image img;
    decode_ok(jpg, len, &img);
    ASSERT_EQ(img.info.orientation, 6);
    gen_image_free(&img);
    free(jpg);
    free(pix);
}

TEST(jpeg_no_exif_is_orientation_1) {
    size_t len;
    uint8_t *jpg = make_jpeg(16, 16, 3, JCS_RGB, JCS_UNKNOWN, 1, &len);
    gen_image img;
    decode_ok(jpg, len, &img);
    ASSERT_EQ(img.info.orientation, 1);
    gen_image_free(&img);
    free(jpg);
}

static uint8_t *noise_jpeg(int w, int h, int progressive, size_t *len) {
    uint8_t *pix = malloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        pix[i] = (uint8_t)(gen_rand() >> 5);
    gen_jpeg_spec s = {.width = w, .height = h, .comps = 3, .in_cs = JCS_RGB,
                       .quality = 90, .adobe = 1, .progressive = progressive,
                       .pixels = pix};
    uint8_t *jpg = gen_jpeg(&s, len);
    free(pix);
    return jpg;
}

static void check_truncations(int progressive) {
    size_t len;
    uint8_t *jpg = noise_jpeg(96, 64, progressive, &len);
    const size_t cuts[] = {3, 20, 200, len / 3, len / 2, len - 100};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis_status st = gen_decode(jpg, cuts[i], 0, &img, msg);
        if (st != TAMIS_ERR_CORRUPT)
            FAIL("cut at %zu of %zu: %s (%s)", cuts[i], len, tamis_strerror(st), msg);
        ASSERT_GT(strlen(msg), 0);
        gen_image_free(&img);
    }
    free(jpg);
}

TEST(jpeg_truncated_is_corrupt) { check_truncations(0); }
TEST(jpeg_truncated_progressive_is_corrupt) { check_truncations(1); }

/* Sets the size in the SOF0 marker of a baseline JPEG. */
static void patch_sof(uint8_t *jpg, size_t len, unsigned w, unsigned h) {
    for (size_t i = 2; i + 9 < len; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
            jpg[i + 5] = (uint8_t)(h >> 8);
            jpg[i + 6] = (uint8_t)h;
            jpg[i + 7] = (uint8_t)(w >> 8);
            jpg[i + 8] = (uint8_t)w;
            return;
        }
    FAIL("no SOF0 marker");
}

TEST(jpeg_huge_header_refused_before_decoding) {
    size_t len;
    uint8_t *jpg = make_jpeg(16, 16, 3, JCS_RGB, JCS_UNKNOWN, 1, &len);
    patch_sof(jpg, len, 60000, 60000);
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(jpg, len, 0, &img, msg), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(img.begin_calls, 0);
    if (!strstr(msg, "60000x60000"))
        FAIL("message does not give the size: \"%s\"", msg);
    gen_image_free(&img);
    free(jpg);
}

TEST(jpeg_max_pixels_boundary) {
    size_t len;
    uint8_t *jpg = make_jpeg(16, 16, 3, JCS_RGB, JCS_UNKNOWN, 1, &len);
    gen_image img;
    ASSERT_EQ(gen_decode(jpg, len, 255, &img, NULL), TAMIS_ERR_TOO_LARGE);
    gen_image_free(&img);
    ASSERT_OK(gen_decode(jpg, len, 256, &img, NULL));
    gen_image_free(&img);
    free(jpg);
}

TEST(jpeg_allocation_failures_give_nomem) {
    size_t len;
    uint8_t *jpg = make_jpeg(24, 16, 4, JCS_CMYK, JCS_UNKNOWN, 1, &len);
    int n;
    for (n = 1; n < 100; n++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        tamis__alloc_fail_at(n);
        tamis_status st = gen_decode(jpg, len, 0, &img, msg);
        tamis__alloc_fail_at(0);
        gen_image_free(&img);
        if (st == TAMIS_OK)
            break;
        if (st != TAMIS_ERR_NOMEM)
            FAIL("allocation %d failed: %s (%s), want out of memory", n,
                 tamis_strerror(st), msg);
    }
    ASSERT_GT(n, 1); /* the decoder does allocate through tamis */
    ASSERT_LT(n, 100);
    free(jpg);
}

/* ---- Progressive scan bombs -------------------------------------------- */

/* The offset of the next marker (0xFF not followed by 0x00, 0xFF or a
 * restart) at or after `i`. */
static size_t next_marker(const uint8_t *d, size_t n, size_t i) {
    for (; i + 1 < n; i++)
        if (d[i] == 0xff && d[i + 1] != 0x00 && d[i + 1] != 0xff &&
            !(d[i + 1] >= 0xd0 && d[i + 1] <= 0xd7))
            return i;
    return n;
}

TEST(jpeg_repeated_scans_refused_quickly) {
    /* A flat 2048x2048 progressive JPEG whose second scan is repeated 1000
     * times: decoding it through would cost over a millisecond a scan. */
    int w = 2048, h = 2048;
    uint8_t *pix = calloc((size_t)w * h, 1);
    gen_jpeg_spec sp = {w, h, 1, JCS_GRAYSCALE, JCS_UNKNOWN, 90, 1, 1, pix, {NULL, NULL}, {0, 0}};
    size_t len;
    uint8_t *jpg = gen_jpeg(&sp, &len);
    size_t sos1 = 0, sos2 = 0, end2 = 0;
    for (size_t i = 2; i + 3 < len;) {
        size_t m = next_marker(jpg, len, i);
        if (m >= len)
            break;
        if (jpg[m + 1] == 0xda) {
            if (!sos1)
                sos1 = m;
            else if (!sos2)
                sos2 = m;
            else {
                end2 = m;
                break;
            }
            i = m + 2 + (size_t)(jpg[m + 2] << 8 | jpg[m + 3]);
        } else {
            i = m + 2;
        }
    }
    ASSERT(sos2 && end2 > sos2);
    size_t scan = end2 - sos2, copies = 1000;
    uint8_t *bomb = malloc(len + scan * copies);
    memcpy(bomb, jpg, end2);
    for (size_t k = 0; k < copies; k++)
        memcpy(bomb + end2 + k * scan, jpg + sos2, scan);
    memcpy(bomb + end2 + copies * scan, jpg + end2, len - end2);
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode(bomb, len + scan * copies, 0, &img, msg), TAMIS_ERR_CORRUPT);
    ASSERT(strstr(msg, "progression") != NULL);
    gen_image_free(&img);
    free(bomb);
    free(jpg);
    free(pix);
}
