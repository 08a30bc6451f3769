/*
 * test_hasher.c - lib/core/hasher.c: the public hashing entry points.
 * Handles and error messages, pixels vs files, digests, EXIF orientation,
 * variant hashes against transformed copies made here, and the
 * allocation-failure sweep.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5() is deprecated in OpenSSL 3 */
#include <math.h>
#include <stdio.h>

#include <jpeglib.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <png.h>

#include "../media/gen.h"
#include "../test.h"

static const char *sample(const char *name) {
    return fmt("%s/samples/%s", repo_dir(), name);
}

static tamis_hasher *hasher(unsigned flags) {
    tamis_hash_options o = {flags, 0};
    tamis_hasher *h = NULL;
    ASSERT_OK(tamis_hasher_create(&o, &h));
    ASSERT(h != NULL);
    return h;
}

static int same_hash(const tamis_image_hash *a, const tamis_image_hash *b) {
    return memcmp(&a->pdq, &b->pdq, sizeof a->pdq) == 0 && a->quality == b->quality;
}

/* A w x h RGB picture with structure at several scales. */
static uint8_t *picture_rgb(int w, int h) {
    uint8_t *p = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double fx = (double)x / w, fy = (double)y / h;
            uint8_t *o = p + ((size_t)y * w + x) * 3;
            o[0] = (uint8_t)(127 + 120 * sin(9 * fx + 4 * fy));
            o[1] = (uint8_t)(127 + 120 * cos(5 * fx * fy * 7 - 3 * fy));
            o[2] = (uint8_t)((x / 7 + y / 5) % 2 ? 200 : 40);
        }
    return p;
}

static uint8_t *to_gray(const uint8_t *rgb, int w, int h) {
    uint8_t *g = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++)
        g[i] = (uint8_t)((rgb[3 * i] + 2 * rgb[3 * i + 1] + rgb[3 * i + 2]) / 4);
    return g;
}

/* ---- Handles and errors ------------------------------------------------ */

TEST(create_with_null_options_uses_defaults) {
    tamis_hasher *h = NULL;
    ASSERT_OK(tamis_hasher_create(NULL, &h));
    ASSERT(h != NULL);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_image_file(h, sample("palapeli-data-002.jpg"), &r));
    ASSERT_EQ(r.format, TAMIS_FORMAT_JPEG);
    ASSERT_EQ(r.width, 1302);
    ASSERT_EQ(r.height, 953);
    ASSERT_EQ(r.has_digests, 1);
    ASSERT_EQ(r.n_variants, 0);
    ASSERT_STR_EQ(tamis_hasher_errmsg(h), "");
    tamis_hasher_free(h);
}

TEST(create_rejects_null_out) {
    ASSERT_EQ(tamis_hasher_create(NULL, NULL), TAMIS_ERR_INVALID);
}

TEST(create_out_of_memory) {
    tamis_hasher *h = (tamis_hasher *)&h; /* must be reset to NULL */
    tamis__alloc_fail_at(1);
    tamis_status st = tamis_hasher_create(NULL, &h);
    tamis__alloc_fail_at(0);
    ASSERT_EQ(st, TAMIS_ERR_NOMEM);
    ASSERT(h == NULL);
}

TEST(free_null_is_a_no_op) {
    tamis_hasher_free(NULL);
    ASSERT(tamis_hasher_errmsg(NULL) != NULL);
}

TEST(null_arguments_rejected) {
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_EQ(tamis_hash_image_file(NULL, sample("palapeli-data-002.jpg"), &r),
              TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_image_file(h, NULL, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_image_file(h, sample("palapeli-data-002.jpg"), NULL),
              TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_image_mem(h, NULL, 10, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_image_mem(NULL, "x", 1, &r), TAMIS_ERR_INVALID);
    tamis_hasher_free(h);
}

/* Hashes `path`, expecting `want`, and returns the error message. */
static const char *fail_msg(tamis_hasher *h, const char *path, tamis_status want) {
    tamis_image_hash r;
    tamis_status st = tamis_hash_image_file(h, path, &r);
    if (st != want)
        FAIL("%s: %s, want %s", path, tamis_strerror(st), tamis_strerror(want));
    return tamis_hasher_errmsg(h);
}

TEST(errmsg_names_the_reason) {
    tamis_hasher *h = hasher(0);
    const char *d = tmp_dir();
    const char *empty = fmt("%s/empty.jpg", d), *text = fmt("%s/notes.png", d);
    gen_write_file(empty, "", 0);
    gen_write_file(text, "just some text\n", 15);
    const char *m = fail_msg(h, fmt("%s/missing.jpg", d), TAMIS_ERR_IO);
    if (!strstr(m, "No such file"))
        FAIL("missing file: \"%s\"", m);
    m = fail_msg(h, empty, TAMIS_ERR_EMPTY);
    if (!strstr(m, "empty"))
        FAIL("empty file: \"%s\"", m);
    m = fail_msg(h, text, TAMIS_ERR_UNSUPPORTED);
    if (!strstr(m, "not an image"))
        FAIL("text file: \"%s\"", m);
    m = fail_msg(h, d, TAMIS_ERR_IO);
    if (!strstr(m, "directory"))
        FAIL("directory: \"%s\"", m);
    /* A success clears the message. */
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_image_file(h, sample("palapeli-data-002.jpg"), &r));
    ASSERT_STR_EQ(tamis_hasher_errmsg(h), "");
    tamis_hasher_free(h);
}

TEST(errmsg_for_truncated_jpeg) {
    size_t len;
    uint8_t *data = read_file(sample("palapeli-data-003.jpg"), &len);
    ASSERT(data != NULL);
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_EQ(tamis_hash_image_mem(h, data, len / 2, &r), TAMIS_ERR_CORRUPT);
    if (!strstr(tamis_hasher_errmsg(h), "JPEG"))
        FAIL("message: \"%s\"", tamis_hasher_errmsg(h));
    tamis_hasher_free(h);
    free(data);
}

TEST(max_pixels_option_refuses_large_images) {
    tamis_hash_options o = {0, 1000};
    tamis_hasher *h;
    ASSERT_OK(tamis_hasher_create(&o, &h));
    tamis_image_hash r;
    ASSERT_EQ(tamis_hash_image_file(h, sample("palapeli-data-002.jpg"), &r),
              TAMIS_ERR_TOO_LARGE);
    if (!strstr(tamis_hasher_errmsg(h), "1302x953"))
        FAIL("message: \"%s\"", tamis_hasher_errmsg(h));
    uint8_t *pix = picture_rgb(40, 30);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 40, 30, 120, TAMIS_PIXEL_RGB8, &r),
              TAMIS_ERR_TOO_LARGE);
    ASSERT_OK(tamis_hash_pixels(h, pix, 40, 25, 120, TAMIS_PIXEL_RGB8, &r));
    free(pix);
    tamis_hasher_free(h);
}

TEST(huge_png_header_refused) {
    size_t len;
    uint8_t *png = gen_png_header_only(60000, 60000, &len);
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_EQ(tamis_hash_image_mem(h, png, len, &r), TAMIS_ERR_TOO_LARGE);
    if (!strstr(tamis_hasher_errmsg(h), "60000x60000"))
        FAIL("message: \"%s\"", tamis_hasher_errmsg(h));
    tamis_hasher_free(h);
    free(png);
}

TEST(tiny_image_hashes_to_zero_quality_0) {
    uint8_t pix[4 * 4 * 3];
    for (size_t i = 0; i < sizeof pix; i++)
        pix[i] = (uint8_t)(i * 53);
    gen_png_spec s = {.width = 4, .height = 4, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .pixels = pix, .stride = 12};
    size_t len;
    uint8_t *png = gen_png(&s, &len);
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_image_mem(h, png, len, &r));
    static const tamis_pdq zero;
    ASSERT_EQ(memcmp(&r.pdq, &zero, sizeof zero), 0);
    ASSERT_EQ(r.quality, 0);
    ASSERT_EQ(r.width, 4);
    tamis_hasher_free(h);
    free(png);
}

/* ---- Digests ----------------------------------------------------------- */

TEST(file_digests_match_openssl) {
    size_t len;
    uint8_t *data = read_file(sample("python3-skimage-002.png"), &len);
    ASSERT(data != NULL);
    unsigned char md5[16], sha[32];
    MD5(data, len, md5);
    SHA256(data, len, sha);
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_image_file(h, sample("python3-skimage-002.png"), &r));
    ASSERT_EQ(r.has_digests, 1);
    ASSERT_EQ(memcmp(r.digests.md5, md5, 16), 0);
    ASSERT_EQ(memcmp(r.digests.sha256, sha, 32), 0);
    tamis_hasher_free(h);
    free(data);
}

TEST(no_digests_flag_skips_digests) {
    tamis_hasher *h = hasher(TAMIS_HASH_NO_DIGESTS), *d = hasher(0);
    tamis_image_hash r, rd;
    ASSERT_OK(tamis_hash_image_file(h, sample("python3-skimage-002.png"), &r));
    ASSERT_OK(tamis_hash_image_file(d, sample("python3-skimage-002.png"), &rd));
    ASSERT_EQ(r.has_digests, 0);
    ASSERT(same_hash(&r, &rd));
    tamis_hasher_free(h);
    tamis_hasher_free(d);
}

TEST(file_and_memory_give_the_same_result) {
    size_t len;
    uint8_t *data = read_file(sample("palapeli-data-004.jpg"), &len);
    tamis_hasher *h = hasher(0);
    tamis_image_hash a, b;
    ASSERT_OK(tamis_hash_image_file(h, sample("palapeli-data-004.jpg"), &a));
    ASSERT_OK(tamis_hash_image_mem(h, data, len, &b));
    ASSERT_EQ(memcmp(&a, &b, sizeof a), 0);
    tamis_hasher_free(h);
    free(data);
}

TEST(reused_hasher_gives_fresh_results) {
    /* Buffers kept between calls must not leak state from one image into
     * the next: big, small, big again, each as a fresh hasher sees it. */
    static const char *files[] = {"lomiri-wallpapers-16.04-013.jpg",
                                  "python3-skimage-002.png",
                                  "palapeli-data-003.jpg",
                                  "lomiri-wallpapers-16.04-013.jpg"};
    tamis_hasher *h = hasher(0);
    for (size_t i = 0; i < 4; i++) {
        tamis_hasher *f = hasher(0);
        tamis_image_hash a, b;
        ASSERT_OK(tamis_hash_image_file(h, sample(files[i]), &a));
        ASSERT_OK(tamis_hash_image_file(f, sample(files[i]), &b));
        if (!same_hash(&a, &b))
            FAIL("%s: reused hasher differs by %d bits", files[i],
                 tamis_pdq_distance(&a.pdq, &b.pdq));
        tamis_hasher_free(f);
    }
    tamis_hasher_free(h);
}

TEST(resize512_leaves_small_images_alone) {
    /* python3-skimage-002.png is 512x512: not squashed. */
    tamis_hasher *a = hasher(0), *b = hasher(TAMIS_HASH_RESIZE512);
    tamis_image_hash ra, rb;
    ASSERT_OK(tamis_hash_image_file(a, sample("python3-skimage-002.png"), &ra));
    ASSERT_OK(tamis_hash_image_file(b, sample("python3-skimage-002.png"), &rb));
    ASSERT(same_hash(&ra, &rb));
    tamis_hasher_free(a);
    tamis_hasher_free(b);
}

/* ---- Pixels ------------------------------------------------------------ */

static tamis_image_hash hash_png_mem(const gen_png_spec *s) {
    size_t len;
    uint8_t *png = gen_png(s, &len);
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_image_mem(h, png, len, &r));
    tamis_hasher_free(h);
    free(png);
    return r;
}

TEST(pixels_rgb8_same_as_png_file) {
    int w = 97, h = 61;
    uint8_t *pix = picture_rgb(w, h);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .pixels = pix, .stride = (size_t)w * 3};
    tamis_image_hash want = hash_png_mem(&s);
    /* Padded rows: stride larger than the pixels. */
    size_t stride = (size_t)w * 3 + 5;
    uint8_t *padded = calloc(stride * h, 1);
    for (int y = 0; y < h; y++)
        memcpy(padded + y * stride, pix + (size_t)y * w * 3, (size_t)w * 3);
    tamis_hasher *hs = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_pixels(hs, padded, w, h, stride, TAMIS_PIXEL_RGB8, &r));
    ASSERT_EQ(tamis_pdq_distance(&r.pdq, &want.pdq), 0);
    ASSERT_EQ(r.quality, want.quality);
    ASSERT_EQ(r.width, w);
    ASSERT_EQ(r.height, h);
    ASSERT_EQ(r.has_digests, 0);
    tamis_hasher_free(hs);
    free(pix);
    free(padded);
}

TEST(pixels_rgba8_same_as_png_file) {
    int w = 80, h = 90;
    uint8_t *rgb = picture_rgb(w, h), *rgba = malloc((size_t)w * h * 4);
    for (int i = 0; i < w * h; i++) {
        memcpy(rgba + 4 * i, rgb + 3 * i, 3);
        rgba[4 * i + 3] = (uint8_t)(i * 13); /* ignored */
    }
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_RGBA,
                      .bit_depth = 8, .pixels = rgba, .stride = (size_t)w * 4};
    tamis_image_hash want = hash_png_mem(&s);
    tamis_hasher *hs = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_pixels(hs, rgba, w, h, (size_t)w * 4, TAMIS_PIXEL_RGBA8, &r));
    ASSERT_EQ(tamis_pdq_distance(&r.pdq, &want.pdq), 0);
    ASSERT_EQ(r.quality, want.quality);
    /* And the same as the RGB pixels without alpha. */
    tamis_image_hash r3;
    ASSERT_OK(tamis_hash_pixels(hs, rgb, w, h, (size_t)w * 3, TAMIS_PIXEL_RGB8, &r3));
    ASSERT(same_hash(&r, &r3));
    tamis_hasher_free(hs);
    free(rgb);
    free(rgba);
}

TEST(pixels_gray8_same_as_png_file) {
    int w = 70, h = 130;
    uint8_t *rgb = picture_rgb(w, h), *g = to_gray(rgb, w, h);
    gen_png_spec s = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = 8, .pixels = g, .stride = (size_t)w};
    tamis_image_hash want = hash_png_mem(&s);
    tamis_hasher *hs = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_pixels(hs, g, w, h, (size_t)w, TAMIS_PIXEL_GRAY8, &r));
    ASSERT_EQ(tamis_pdq_distance(&r.pdq, &want.pdq), 0);
    ASSERT_EQ(r.quality, want.quality);
    ASSERT_GE(r.quality, 50); /* the picture is worth hashing */
    tamis_hasher_free(hs);
    free(rgb);
    free(g);
}

TEST(pixels_bad_arguments_rejected) {
    uint8_t pix[30 * 30 * 4] = {0};
    tamis_hasher *h = hasher(0);
    tamis_image_hash r;
    ASSERT_EQ(tamis_hash_pixels(h, NULL, 30, 30, 90, TAMIS_PIXEL_RGB8, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 0, 30, 90, TAMIS_PIXEL_RGB8, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 30, -1, 90, TAMIS_PIXEL_RGB8, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 30, 30, 89, TAMIS_PIXEL_RGB8, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 30, 30, 119, TAMIS_PIXEL_RGBA8, &r), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 30, 30, 90, (tamis_pixel_format)2, &r),
              TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(h, pix, 30, 30, 90, TAMIS_PIXEL_RGB8, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_hash_pixels(NULL, pix, 30, 30, 90, TAMIS_PIXEL_RGB8, &r), TAMIS_ERR_INVALID);
    ASSERT_GT(strlen(tamis_hasher_errmsg(h)), 0);
    tamis_hasher_free(h);
}

/* ---- Variants ---------------------------------------------------------- */

/* The dihedral transforms as the header defines them, on a copy:
 * (r, c) of the result takes src(R, C) of the H x W source. */
static uint8_t *transform(const uint8_t *src, int H, int W, int kind, int *oh, int *ow) {
    int swap = kind == TAMIS_VARIANT_ROTATE90 || kind == TAMIS_VARIANT_ROTATE270 ||
               kind == TAMIS_VARIANT_FLIPPLUS1 || kind == TAMIS_VARIANT_FLIPMINUS1;
    *oh = swap ? W : H;
    *ow = swap ? H : W;
    uint8_t *o = malloc((size_t)H * W);
    for (int r = 0; r < *oh; r++)
        for (int c = 0; c < *ow; c++) {
            int R = r, C = c;
            switch (kind) {
            case TAMIS_VARIANT_ROTATE90: R = c, C = W - 1 - r; break;   /* anticlockwise */
            case TAMIS_VARIANT_ROTATE180: R = H - 1 - r, C = W - 1 - c; break;
            case TAMIS_VARIANT_ROTATE270: R = H - 1 - c, C = r; break;  /* clockwise */
            case TAMIS_VARIANT_FLIPX: R = H - 1 - r; break;             /* top-bottom */
            case TAMIS_VARIANT_FLIPY: C = W - 1 - c; break;             /* left-right */
            case TAMIS_VARIANT_FLIPPLUS1: R = c, C = r; break;          /* transpose */
            case TAMIS_VARIANT_FLIPMINUS1: R = H - 1 - c, C = W - 1 - r; break;
            default: break;
            }
            o[(size_t)r * *ow + c] = src[(size_t)R * W + C];
        }
    return o;
}

TEST(variants_equal_hashes_of_transformed_copies) {
    int w = 150, h = 100;
    uint8_t *rgb = picture_rgb(w, h), *g = to_gray(rgb, w, h);
    tamis_hasher *hv = hasher(TAMIS_HASH_VARIANTS), *hp = hasher(0);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_pixels(hv, g, w, h, (size_t)w, TAMIS_PIXEL_GRAY8, &r));
    ASSERT_GE(r.n_variants, 8);
    ASSERT_EQ(tamis_pdq_distance(&r.variants[0], &r.pdq), 0);
    for (int k = 0; k < 8; k++) {
        ASSERT_EQ(r.variant_kind[k], k);
        int th, tw;
        uint8_t *t = transform(g, h, w, k, &th, &tw);
        tamis_image_hash rt;
        ASSERT_OK(tamis_hash_pixels(hp, t, tw, th, (size_t)tw, TAMIS_PIXEL_GRAY8, &rt));
        int d = tamis_pdq_distance(&rt.pdq, &r.variants[k]);
        if (d != 0)
            FAIL("variant %s differs by %d bits from the hash of the %s copy",
                 tamis_pdq_variant_name((tamis_pdq_variant)k), d,
                 tamis_pdq_variant_name((tamis_pdq_variant)k));
        free(t);
    }
    tamis_hasher_free(hv);
    tamis_hasher_free(hp);
    free(rgb);
    free(g);
}

TEST(variants_trimmed_is_hash_of_content_inside_border) {
    /* A 100x70 picture in a flat black frame: 30 px above and below, 20 px
     * left and right. The picture's own edges are far from black. */
    int cw = 100, ch = 70, W = cw + 40, H = ch + 60;
    uint8_t *rgb = picture_rgb(cw, ch), *g = to_gray(rgb, cw, ch);
    for (int i = 0; i < cw * ch; i++)
        g[i] = (uint8_t)(60 + g[i] * 3 / 4);
    uint8_t *framed = calloc((size_t)W * H, 1);
    for (int y = 0; y < ch; y++)
        memcpy(framed + (size_t)(y + 30) * W + 20, g + (size_t)y * cw, (size_t)cw);
    tamis_hasher *hv = hasher(TAMIS_HASH_VARIANTS), *hp = hasher(0);
    tamis_image_hash r, want;
    ASSERT_OK(tamis_hash_pixels(hv, framed, W, H, (size_t)W, TAMIS_PIXEL_GRAY8, &r));
    ASSERT_EQ(r.n_variants, 9);
    ASSERT_EQ(r.variant_kind[8], TAMIS_VARIANT_TRIMMED);
    ASSERT_OK(tamis_hash_pixels(hp, g, cw, ch, (size_t)cw, TAMIS_PIXEL_GRAY8, &want));
    ASSERT_EQ(tamis_pdq_distance(&r.variants[8], &want.pdq), 0);
    tamis_hasher_free(hv);
    tamis_hasher_free(hp);
    free(rgb);
    free(g);
    free(framed);
}

TEST(variants_no_trimmed_without_border) {
    int w = 120, h = 90;
    uint8_t *rgb = picture_rgb(w, h);
    tamis_hasher *hv = hasher(TAMIS_HASH_VARIANTS);
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_pixels(hv, rgb, w, h, (size_t)w * 3, TAMIS_PIXEL_RGB8, &r));
    ASSERT_EQ(r.n_variants, 8);
    tamis_hasher_free(hv);
    free(rgb);
}

TEST(variant_names) {
    static const char *names[] = {"original", "rotate90", "rotate180", "rotate270",
                                  "flipx", "flipy", "flipplus1", "flipminus1",
                                  "trimmed"};
    for (int k = 0; k < 9; k++)
        ASSERT_STR_EQ(tamis_pdq_variant_name((tamis_pdq_variant)k), names[k]);
    ASSERT_STR_EQ(tamis_pdq_variant_name((tamis_pdq_variant)9), "unknown");
}

/* ---- EXIF orientation -------------------------------------------------- */

/* The upright picture for EXIF orientation o (TIFF 6.0 / EXIF 2.3: where
 * row 0 and column 0 of the stored image are to be shown), from the stored
 * H x W pixels. */
static uint8_t *exif_upright(const uint8_t *s, int H, int W, int o, int *oh, int *ow) {
    int swap = o >= 5;
    *oh = swap ? W : H;
    *ow = swap ? H : W;
    uint8_t *d = malloc((size_t)H * W);
    for (int r = 0; r < *oh; r++)
        for (int c = 0; c < *ow; c++) {
            int R, C;
            switch (o) {
            case 2: R = r, C = W - 1 - c; break;         /* row 0 top, col 0 right */
            case 3: R = H - 1 - r, C = W - 1 - c; break; /* bottom, right */
            case 4: R = H - 1 - r, C = c; break;         /* bottom, left */
            case 5: R = c, C = r; break;                 /* row 0 left, col 0 top */
            case 6: R = H - 1 - c, C = r; break;         /* row 0 right, col 0 top */
            case 7: R = H - 1 - c, C = W - 1 - r; break; /* right, bottom */
            case 8: R = c, C = W - 1 - r; break;         /* row 0 left, col 0 bottom */
            default: R = r, C = c; break;
            }
            d[(size_t)r * *ow + c] = s[(size_t)R * W + C];
        }
    return d;
}

static size_t exif_payload(uint8_t *p, int orientation) {
    static const uint8_t head[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42,
                                   0,   0,   0,   8,   0, 1, 0x01, 0x12, 0, 3,
                                   0,   0,   0,   1};
    memcpy(p, head, sizeof head);
    p[24] = 0;
    p[25] = (uint8_t)orientation;
    memset(p + 26, 0, 6);
    return 32;
}

TEST(exif_orient_hashes_the_upright_picture) {
    /* A stored 120x80 gray JPEG tagged with each orientation: with
     * TAMIS_HASH_EXIF_ORIENT its hash is that of the upright pixels (turned
     * here from libjpeg's decode); without, that of the stored pixels. */
    int W = 120, H = 80;
    uint8_t *rgb = picture_rgb(W, H), *g = to_gray(rgb, W, H), exif[32];
    tamis_hasher *ho = hasher(TAMIS_HASH_EXIF_ORIENT), *hd = hasher(0), *hp = hasher(0);
    for (int o = 1; o <= 8; o++) {
        gen_jpeg_spec s = {.width = W, .height = H, .comps = 1, .in_cs = JCS_GRAYSCALE,
                           .quality = 92, .adobe = 1, .pixels = g};
        s.app1[0] = exif;
        s.app1_len[0] = exif_payload(exif, o);
        size_t len;
        uint8_t *jpg = gen_jpeg(&s, &len);
        int dw, dh, dc;
        uint8_t *stored = gen_jpeg_decode(jpg, len, JCS_GRAYSCALE, &dw, &dh, &dc);
        int uh, uw;
        uint8_t *up = exif_upright(stored, H, W, o, &uh, &uw);
        tamis_image_hash ro, rd, want_up, want_stored;
        ASSERT_OK(tamis_hash_image_mem(ho, jpg, len, &ro));
        ASSERT_OK(tamis_hash_image_mem(hd, jpg, len, &rd));
        ASSERT_OK(tamis_hash_pixels(hp, up, uw, uh, (size_t)uw, TAMIS_PIXEL_GRAY8, &want_up));
        ASSERT_OK(tamis_hash_pixels(hp, stored, W, H, (size_t)W, TAMIS_PIXEL_GRAY8,
                                    &want_stored));
        int d = tamis_pdq_distance(&ro.pdq, &want_up.pdq);
        if (d != 0)
            FAIL("orientation %d: %d bits from the upright picture's hash", o, d);
        ASSERT_EQ(tamis_pdq_distance(&rd.pdq, &want_stored.pdq), 0);
        ASSERT_EQ(ro.width, W); /* sizes are as stored */
        ASSERT_EQ(ro.height, H);
        free(jpg);
        free(stored);
        free(up);
    }
    tamis_hasher_free(ho);
    tamis_hasher_free(hd);
    tamis_hasher_free(hp);
    free(rgb);
    free(g);
}

/* Reads the reference hash of `file` from measured-cpp-core-fullres.csv. */
static tamis_pdq fullres_reference(const char *dir, const char *file) {
    FILE *f = fopen(fmt("%s/measured-cpp-core-fullres.csv", dir), "r");
    ASSERT(f != NULL);
    char line[1024];
    size_t n = strlen(file);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, file, n) == 0 && line[n] == ',') {
            tamis_pdq h;
            ASSERT_OK(tamis_pdq_from_hex(line + n + 1, 64, &h));
            fclose(f);
            return h;
        }
    FAIL("%s not in the reference CSV", file);
}

static const int rotn[4] = {1, 3, 6, 8};

TEST(exif_rotn_default_ignores_orientation) {
    const char *dir = fmt("%s/vectors/pdq", shared_dir_or_skip());
    char d[4096];
    snprintf(d, sizeof d, "%s", dir);
    tamis_hasher *h = hasher(0);
    for (int i = 0; i < 4; i++) {
        const char *file = fmt("pdq-data/reg-test-input/exif-rotn/exif-rotn-%d.jpg", rotn[i]);
        char fbuf[256];
        snprintf(fbuf, sizeof fbuf, "%s", file);
        tamis_image_hash r;
        ASSERT_OK(tamis_hash_image_file(h, fmt("%s/%s", d, fbuf), &r));
        tamis_pdq want = fullres_reference(d, fbuf);
        int dist = tamis_pdq_distance(&r.pdq, &want);
        if (dist != 0)
            FAIL("%s: %d bits from the reference", fbuf, dist);
    }
    tamis_hasher_free(h);
}

/* ---- Allocation failures ----------------------------------------------- */

/* For n = 1, 2, ...: the n-th allocation and all later ones fail while
 * hashing `path`; each run must return TAMIS_ERR_NOMEM until n is past
 * what the hash needs, then the right hash. After each failure the same
 * hasher must work again once memory is back. */
static void sweep(const char *path, unsigned flags) {
    tamis_hasher *ref = hasher(flags);
    tamis_image_hash want;
    ASSERT_OK(tamis_hash_image_file(ref, path, &want));
    tamis_hasher_free(ref);
    int n;
    for (n = 1; n < 1000; n++) {
        tamis_hasher *h = hasher(flags);
        tamis_image_hash r;
        tamis__alloc_fail_at(n);
        tamis_status st = tamis_hash_image_file(h, path, &r);
        tamis__alloc_fail_at(0);
        if (st == TAMIS_OK) {
            ASSERT_EQ(memcmp(&r, &want, sizeof r), 0);
            tamis_hasher_free(h);
            break;
        }
        if (st != TAMIS_ERR_NOMEM)
            FAIL("allocation %d failed: %s (%s), want out of memory", n,
                 tamis_strerror(st), tamis_hasher_errmsg(h));
        ASSERT_GT(strlen(tamis_hasher_errmsg(h)), 0);
        ASSERT_OK(tamis_hash_image_file(h, path, &r));
        if (memcmp(&r, &want, sizeof r) != 0)
            FAIL("after failing allocation %d the hasher gives a different result", n);
        tamis_hasher_free(h);
    }
    ASSERT_GT(n, 1);
    ASSERT_LT(n, 1000);
}

TEST(jpeg_allocation_failures_give_nomem) {
    sweep(sample("palapeli-data-002.jpg"), 0);
}

TEST(jpeg_allocation_failures_with_variants_and_resize512) {
    sweep(sample("palapeli-data-002.jpg"), TAMIS_HASH_VARIANTS | TAMIS_HASH_RESIZE512);
}

TEST(png_allocation_failures_give_nomem) {
    sweep(sample("python3-skimage-002.png"), 0);
}

TEST(pixels_allocation_failures_give_nomem) {
    int w = 90, h = 70;
    uint8_t *pix = picture_rgb(w, h);
    int n;
    for (n = 1; n < 100; n++) {
        tamis_hasher *hs = hasher(TAMIS_HASH_VARIANTS);
        tamis_image_hash r;
        tamis__alloc_fail_at(n);
        tamis_status st = tamis_hash_pixels(hs, pix, w, h, (size_t)w * 3,
                                            TAMIS_PIXEL_RGB8, &r);
        tamis__alloc_fail_at(0);
        tamis_hasher_free(hs);
        if (st == TAMIS_OK)
            break;
        if (st != TAMIS_ERR_NOMEM)
            FAIL("allocation %d failed: %s, want out of memory", n, tamis_strerror(st));
    }
    ASSERT_GT(n, 1);
    ASSERT_LT(n, 100);
    free(pix);
}
