/*
 * sniff.c - tells image formats apart by their first bytes (never by file
 * name), and names the common formats tamis does not decode so that the
 * error says what the file seems to be.
 */
#include <string.h>

#include "image.h"

tamis_image_format tamis__sniff(const uint8_t *d, size_t n, const char **what) {
    static const struct {
        const char *magic;
        size_t off, len;
        const char *name;
    } other[] = {
        {"%PDF", 0, 4, "PDF"},          {"PK\x03\x04", 0, 4, "ZIP archive"},
        {"BM", 0, 2, "BMP"},            {"II*\0", 0, 4, "TIFF"},
        {"MM\0*", 0, 4, "TIFF"},        {"ftypavif", 4, 8, "AVIF"},
        {"ftypheic", 4, 8, "HEIC"},     {"ftypmif1", 4, 8, "HEIF"},
        {"ftyp", 4, 4, "MP4/QuickTime video"},
        {"\x1a\x45\xdf\xa3", 0, 4, "Matroska/WebM video"},
        {"OggS", 0, 4, "Ogg media"},    {"\0\0\1\xba", 0, 4, "MPEG video"},
        {"\xff\x0a", 0, 2, "JPEG XL"},  {"\0\0\0\x0cJXL ", 0, 8, "JPEG XL"},
        {"<svg", 0, 4, "SVG"},          {"<?xml", 0, 5, "XML"},
        {"\x1f\x8b", 0, 2, "gzip data"},
    };
    if (what)
        *what = NULL;
    if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return TAMIS_FORMAT_JPEG;
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return TAMIS_FORMAT_PNG;
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return TAMIS_FORMAT_WEBP;
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return TAMIS_FORMAT_GIF;
    if (what)
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
            if (n >= other[i].off + other[i].len &&
                memcmp(d + other[i].off, other[i].magic, other[i].len) == 0) {
                *what = other[i].name;
                break;
            }
    return TAMIS_FORMAT_UNKNOWN;
}

tamis_image_format tamis_image_format_detect(const void *data, size_t len) {
    return data ? tamis__sniff(data, len, NULL) : TAMIS_FORMAT_UNKNOWN;
}

const char *tamis_image_format_name(tamis_image_format f) {
    switch (f) {
    case TAMIS_FORMAT_JPEG: return "jpeg";
    case TAMIS_FORMAT_PNG: return "png";
    case TAMIS_FORMAT_WEBP: return "webp";
    case TAMIS_FORMAT_GIF: return "gif";
    default: return "unknown";
    }
}

tamis_status tamis__check_pixels(uint64_t w, uint64_t h, uint64_t max,
                                 tamis__err *err) {
    if (w == 0 || h == 0)
        return tamis__fail(err, TAMIS_ERR_CORRUPT, "image has zero size (%llux%llu)",
                           (unsigned long long)w, (unsigned long long)h);
    if (w > 1000000 || h > 1000000 || w * h > max)
        return tamis__fail(err, TAMIS_ERR_TOO_LARGE,
                           "image declares %llux%llu pixels, over the limit of "
                           "%llu pixels",
                           (unsigned long long)w, (unsigned long long)h,
                           (unsigned long long)max);
    return TAMIS_OK;
}

tamis_status tamis__image_decode(const uint8_t *data, size_t len,
                                 const tamis__decode_opts *opts,
                                 const tamis__image_sink *sink, tamis__err *err) {
    const char *what;
    if (len == 0)
        return tamis__fail(err, TAMIS_ERR_EMPTY, "empty file (0 bytes)");
    switch (tamis__sniff(data, len, &what)) {
    case TAMIS_FORMAT_JPEG: return tamis__jpeg_decode(data, len, opts, sink, err);
    case TAMIS_FORMAT_PNG: return tamis__png_decode(data, len, opts, sink, err);
    case TAMIS_FORMAT_WEBP: return tamis__webp_decode(data, len, opts, sink, err);
    case TAMIS_FORMAT_GIF: return tamis__gif_decode(data, len, opts, sink, err);
    default: break;
    }
    if (what)
        return tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                           "unsupported format: looks like %s, not JPEG, PNG, "
                           "WebP or GIF", what);
    return tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                       "not an image: no JPEG, PNG, WebP or GIF signature");
}
