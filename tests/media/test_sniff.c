/*
 * test_sniff.c - lib/media/sniff.c: formats told apart by content, never by
 * file name; errors that say what an unsupported file looks like; the
 * pixel-count limit.
 */
#include <png.h>

#include "../test.h"
#include "gen.h"

static tamis_image_format sniff(const void *d, size_t n, const char **what) {
    return tamis__sniff(d, n, what);
}

TEST(sniff_image_signatures) {
    const char *what = "x";
    ASSERT_EQ(sniff("\xff\xd8\xff\xe0", 4, &what), TAMIS_FORMAT_JPEG);
    ASSERT(what == NULL);
    ASSERT_EQ(sniff("\x89PNG\r\n\x1a\n\0\0", 10, &what), TAMIS_FORMAT_PNG);
    ASSERT_EQ(sniff("RIFF\x10\0\0\0WEBPVP8L", 16, &what), TAMIS_FORMAT_WEBP);
    ASSERT_EQ(sniff("GIF87a\1\0", 8, &what), TAMIS_FORMAT_GIF);
    ASSERT_EQ(sniff("GIF89a\1\0", 8, &what), TAMIS_FORMAT_GIF);
}

TEST(sniff_near_misses_are_unknown) {
    ASSERT_EQ(sniff("\xff\xd8", 2, NULL), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(sniff("\x89PNG\r\n\x1a", 7, NULL), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(sniff("\x89PNG\n\n\x1a\n", 8, NULL), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(sniff("RIFF\x10\0\0\0WAVEfmt ", 16, NULL), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(sniff("RIFF\x10\0\0\0WEB", 11, NULL), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(sniff("GIF90a", 6, NULL), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(sniff("", 0, NULL), TAMIS_FORMAT_UNKNOWN);
}

TEST(sniff_names_other_formats) {
    static const struct {
        const char *data;
        size_t len;
        const char *name;
    } cases[] = {
        {"%PDF-1.7\n", 9, "PDF"},
        {"BM\x36\0\0\0\0\0", 8, "BMP"},
        {"II*\0\x08\0\0\0", 8, "TIFF"},
        {"MM\0*\0\0\0\x08", 8, "TIFF"},
        {"PK\x03\x04\x14\0", 6, "ZIP archive"},
        {"\0\0\0\x1c" "ftypavif", 12, "AVIF"},
        {"\0\0\0\x18" "ftypheic", 12, "HEIC"},
        {"\0\0\0\x20" "ftypisom", 12, "MP4/QuickTime video"},
        {"\x1f\x8b\x08\0", 4, "gzip data"},
        {"<svg xmlns", 10, "SVG"},
        {"\x1a\x45\xdf\xa3\x01", 5, "Matroska/WebM video"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *what = NULL;
        ASSERT_EQ(sniff(cases[i].data, cases[i].len, &what), TAMIS_FORMAT_UNKNOWN);
        if (!what || strcmp(what, cases[i].name) != 0)
            FAIL("case %zu: \"%s\", want \"%s\"", i, what ? what : "(null)",
                 cases[i].name);
    }
}

TEST(decode_unsupported_message_names_the_format) {
    static const struct {
        const char *data;
        size_t len;
        const char *name;
    } cases[] = {
        {"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15, "PDF"},
        {"BM\x36\x10\0\0\0\0\0\0\x36\0\0\0", 14, "BMP"},
        {"II*\0\x08\0\0\0\0\0", 10, "TIFF"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gen_image img;
        char msg[TAMIS__ERRMSG_LEN];
        ASSERT_EQ(gen_decode((const uint8_t *)cases[i].data, cases[i].len, 0, &img, msg),
                  TAMIS_ERR_UNSUPPORTED);
        if (!strstr(msg, cases[i].name))
            FAIL("message for %s: \"%s\"", cases[i].name, msg);
        ASSERT_EQ(img.begin_calls, 0);
        gen_image_free(&img);
    }
}

TEST(decode_text_is_unsupported_not_an_image) {
    static const char text[] = "hello, world\nthis is not an image\n";
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    ASSERT_EQ(gen_decode((const uint8_t *)text, sizeof text - 1, 0, &img, msg),
              TAMIS_ERR_UNSUPPORTED);
    if (!strstr(msg, "not an image"))
        FAIL("message: \"%s\"", msg);
    gen_image_free(&img);
}

TEST(decode_zero_bytes_is_empty) {
    gen_image img;
    char msg[TAMIS__ERRMSG_LEN];
    static const uint8_t none[1];
    ASSERT_EQ(gen_decode(none, 0, 0, &img, msg), TAMIS_ERR_EMPTY);
    ASSERT_GT(strlen(msg), 0);
    gen_image_free(&img);
}

TEST(format_detect_public_api) {
    ASSERT_EQ(tamis_image_format_detect("\xff\xd8\xff", 3), TAMIS_FORMAT_JPEG);
    ASSERT_EQ(tamis_image_format_detect("GIF89a", 6), TAMIS_FORMAT_GIF);
    ASSERT_EQ(tamis_image_format_detect("%PDF", 4), TAMIS_FORMAT_UNKNOWN);
    ASSERT_EQ(tamis_image_format_detect(NULL, 10), TAMIS_FORMAT_UNKNOWN);
}

TEST(format_names) {
    ASSERT_STR_EQ(tamis_image_format_name(TAMIS_FORMAT_JPEG), "jpeg");
    ASSERT_STR_EQ(tamis_image_format_name(TAMIS_FORMAT_PNG), "png");
    ASSERT_STR_EQ(tamis_image_format_name(TAMIS_FORMAT_WEBP), "webp");
    ASSERT_STR_EQ(tamis_image_format_name(TAMIS_FORMAT_GIF), "gif");
    ASSERT_STR_EQ(tamis_image_format_name(TAMIS_FORMAT_UNKNOWN), "unknown");
    ASSERT_STR_EQ(tamis_image_format_name((tamis_image_format)99), "unknown");
}

TEST(png_named_jpg_decodes_as_png) {
    uint8_t pix[8 * 8 * 3];
    for (size_t i = 0; i < sizeof pix; i++)
        pix[i] = (uint8_t)(i * 37);
    gen_png_spec s = {.width = 8, .height = 8, .color_type = PNG_COLOR_TYPE_RGB,
                      .bit_depth = 8, .pixels = pix, .stride = 24};
    size_t len;
    uint8_t *png = gen_png(&s, &len);
    const char *path = fmt("%s/photo.jpg", tmp_dir());
    gen_write_file(path, png, len);
    tamis_hasher *h;
    ASSERT_OK(tamis_hasher_create(NULL, &h));
    tamis_image_hash r;
    ASSERT_OK(tamis_hash_image_file(h, path, &r));
    ASSERT_EQ(r.format, TAMIS_FORMAT_PNG);
    ASSERT_EQ(r.width, 8);
    tamis_hasher_free(h);
    free(png);
}

TEST(check_pixels_limits) {
    tamis__err e;
    ASSERT_OK(tamis__check_pixels(100, 100, 10000, &e));
    ASSERT_EQ(tamis__check_pixels(100, 101, 10000, &e), TAMIS_ERR_TOO_LARGE);
    if (!strstr(e.msg, "100x101") || !strstr(e.msg, "10000"))
        FAIL("message: \"%s\"", e.msg);
    ASSERT_EQ(tamis__check_pixels(0, 10, 10000, &e), TAMIS_ERR_CORRUPT);
    ASSERT_EQ(tamis__check_pixels(10, 0, 10000, &e), TAMIS_ERR_CORRUPT);
    /* A side over a million is refused whatever the limit. */
    ASSERT_EQ(tamis__check_pixels(1000001, 1, UINT64_MAX, &e), TAMIS_ERR_TOO_LARGE);
    /* Sizes whose product wraps around 2^64 must not slip through. */
    ASSERT_EQ(tamis__check_pixels((1ull << 32) + 1, 1ull << 32, 1000, &e),
              TAMIS_ERR_TOO_LARGE);
}
