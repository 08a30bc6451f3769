/*
 * gen_seeds.c - writes the seed corpora of fuzz_image and fuzz_exif: small
 * images made with the real encoders (libjpeg-turbo, libpng, libwebp and
 * its mux library, giflib), one for each layout the decoders treat
 * differently, and hand-made EXIF payloads. Not part of the build; run by
 * hand when a seed is added (fuzz/README.md):
 *
 *   cc -O2 -o /tmp/gen_seeds fuzz/gen_seeds.c \
 *      $(pkg-config --cflags --libs libjpeg libpng libwebp libwebpmux) -lgif
 *   /tmp/gen_seeds fuzz/corpus
 *
 * The output is deterministic: the pictures are functions of (x, y).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>

static const char *outdir;

static void die(const char *what) {
    fprintf(stderr, "gen_seeds: %s\n", what);
    exit(1);
}

static FILE *open_out(const char *sub, const char *name, char *path, size_t n) {
    snprintf(path, n, "%s/%s/%s", outdir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static void write_file(const char *sub, const char *name, const void *p, size_t n) {
    char path[512];
    FILE *f = open_out(sub, name, path, sizeof path);
    if (fwrite(p, 1, n, f) != n || fclose(f) != 0)
        die(path);
    printf("%s (%zu bytes)\n", path, n);
}

/* A picture with some structure, so that PDQ has edges to see: a diagonal
 * gradient, a bright disc and a dark bar; channel c shifts the pattern. */
static uint8_t pattern(int x, int y, int w, int h, int c) {
    int v = (x * 255) / (w > 1 ? w - 1 : 1) / 2 + (y * 255) / (h > 1 ? h - 1 : 1) / 2;
    int dx = x - w / 3 - c, dy = y - h / 2;
    if (dx * dx + dy * dy < (w * h) / 16)
        v = 255 - v / 4;
    if (x > (2 * w) / 3 && x < (2 * w) / 3 + w / 8 + 1)
        v = 20 + 30 * c;
    return (uint8_t)(v & 255);
}

static uint8_t *make_pixels(int w, int h, int comps) {
    uint8_t *p = malloc((size_t)w * h * comps);
    if (!p)
        die("out of memory");
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < comps; c++)
                p[((size_t)y * w + x) * comps + c] =
                    c == 3 && comps == 4 ? (uint8_t)(x * 8 + y) : pattern(x, y, w, h, c);
    return p;
}

/* ---- JPEG -------------------------------------------------------------- */

typedef struct {
    const char *name;
    int w, h, comps;
    J_COLOR_SPACE in, jpeg; /* input and file colour spaces */
    int quality, progressive, arith, restart_rows, h_samp;
    int exif, exif_le; /* EXIF orientation to write (0 = no APP1), byte order */
} jpeg_spec;

static size_t make_exif(uint8_t *out, int le, int others, unsigned type, unsigned v);

static void write_jpeg(const jpeg_spec *s) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *mem = NULL;
    unsigned long len = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = (JDIMENSION)s->w;
    c.image_height = (JDIMENSION)s->h;
    c.input_components = s->comps;
    c.in_color_space = s->in;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, s->jpeg); /* CMYK: writes the Adobe marker */
    jpeg_set_quality(&c, s->quality, TRUE);
    if (s->progressive)
        jpeg_simple_progression(&c);
    c.arith_code = s->arith ? TRUE : FALSE;
    c.restart_in_rows = s->restart_rows;
    if (s->h_samp && s->jpeg == JCS_YCbCr) {
        c.comp_info[0].h_samp_factor = s->h_samp;
        c.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&c, TRUE);
    if (s->exif) {
        uint8_t app1[256];
        size_t n = make_exif(app1, s->exif_le, !s->exif_le, 3, (unsigned)s->exif);
        jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)n);
    }
    uint8_t *pix = make_pixels(s->w, s->h, s->comps);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = pix + (size_t)c.next_scanline * s->w * s->comps;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    write_file("fuzz_image", s->name, mem, len);
    free(mem);
    free(pix);
}

/* ---- EXIF payloads ----------------------------------------------------- */

static void put16(uint8_t *p, unsigned v, int le) {
    p[le ? 0 : 1] = (uint8_t)v;
    p[le ? 1 : 0] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v, int le) {
    for (int i = 0; i < 4; i++)
        p[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

/* "Exif\0\0", a TIFF header and IFD0 with `n` entries: a few tags before
 * the orientation (0x0112) when `others`, then the orientation with type
 * `type` and value `v`. Returns the length. */
static size_t make_exif(uint8_t *out, int le, int others, unsigned type, unsigned v) {
    memcpy(out, "Exif\0\0", 6);
    uint8_t *t = out + 6;
    t[0] = t[1] = le ? 'I' : 'M';
    put16(t + 2, 42, le);
    put32(t + 4, 8, le);
    unsigned n = others ? 3 : 1;
    put16(t + 8, n, le);
    uint8_t *e = t + 10;
    static const unsigned before[2][2] = {{0x010f, 2}, {0x0110, 2}}; /* Make, Model */
    for (int i = 0; others && i < 2; i++, e += 12) {
        put16(e, before[i][0], le);
        put16(e + 2, before[i][1], le);
        put32(e + 4, 4, le);
        memcpy(e + 8, i ? "Cam" : "Tms", 4);
    }
    put16(e, 0x0112, le);
    put16(e + 2, type, le);
    put32(e + 4, 1, le);
    put32(e + 8, 0, le);
    put16(e + 8, v, le);
    e += 12;
    put32(e, 0, le); /* no IFD1 */
    e += 4;
    return (size_t)(e - out);
}

static void exif_seeds(void) {
    uint8_t b[256];
    size_t n;
    char name[64];
    for (unsigned o = 1; o <= 8; o++) {
        n = make_exif(b, o & 1, o > 4, 3, o);
        snprintf(name, sizeof name, "orient%u_%s.exif", o, (o & 1) ? "le" : "be");
        write_file("fuzz_exif", name, b, n);
    }
    n = make_exif(b, 1, 0, 4, 6); /* LONG instead of SHORT: ignored */
    write_file("fuzz_exif", "orient6_long_type.exif", b, n);
    n = make_exif(b, 0, 0, 3, 9); /* out of range */
    write_file("fuzz_exif", "orient9_bad_value.exif", b, n);
    n = make_exif(b, 1, 1, 3, 3);
    write_file("fuzz_exif", "truncated_entry.exif", b, n - 10);
    n = make_exif(b, 0, 0, 3, 6);
    put32(b + 6 + 4, 0xfffffff0u, 0); /* IFD offset far past the end */
    write_file("fuzz_exif", "ifd_offset_past_end.exif", b, n);
    n = make_exif(b, 1, 0, 3, 6);
    put16(b + 6 + 8, 0xffff, 1); /* 65535 entries */
    write_file("fuzz_exif", "huge_entry_count.exif", b, n);
}

/* ---- PNG --------------------------------------------------------------- */

typedef struct {
    const char *name;
    int w, h, depth, color, interlace;
    int palette_trns; /* palette: give the first entries transparency */
    int gray_trns;    /* gray: a transparent gray value */
} png_spec;

static void write_png(const png_spec *s) {
    char path[512];
    FILE *f = open_out("fuzz_image", s->name, path, sizeof path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!png || !info || setjmp(png_jmpbuf(png)))
        die("libpng failed");
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->color,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[16];
        for (int i = 0; i < 16; i++)
            pal[i].red = (png_byte)(i * 17), pal[i].green = (png_byte)(255 - i * 17),
            pal[i].blue = (png_byte)(i * 40);
        png_set_PLTE(png, info, pal, 16);
        if (s->palette_trns) {
            png_byte trns[4] = {0, 64, 128, 200};
            png_set_tRNS(png, info, trns, 4, NULL);
        }
    }
    if (s->gray_trns) {
        png_color_16 t = {0};
        t.gray = 0;
        png_set_tRNS(png, info, NULL, 0, &t);
    }
    png_write_info(png, info);
    int comps = png_get_channels(png, info);
    int bytes = s->depth == 16 ? 2 : 1;
    size_t rowbytes = png_get_rowbytes(png, info);
    uint8_t *row = calloc(1, rowbytes + 8);
    int passes = s->interlace ? png_set_interlace_handling(png) : 1;
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < s->h; y++) {
            memset(row, 0, rowbytes);
            for (int x = 0; x < s->w; x++)
                for (int c = 0; c < comps; c++) {
                    uint8_t v = c == comps - 1 && (s->color & PNG_COLOR_MASK_ALPHA)
                                    ? (uint8_t)(255 - x * 4)
                                    : pattern(x, y, s->w, s->h, c);
                    if (s->depth < 8) { /* pack gray or index, high bits first */
                        int per = 8 / s->depth, shift = 8 - s->depth * (x % per + 1);
                        unsigned q = s->color == PNG_COLOR_TYPE_PALETTE
                                         ? (unsigned)(x + y) % 16u
                                         : (unsigned)v >> (8 - s->depth);
                        row[x / per] |= (uint8_t)((q & ((1u << s->depth) - 1)) << shift);
                    } else if (s->color == PNG_COLOR_TYPE_PALETTE) {
                        row[x] = (uint8_t)((x + y) % 16);
                    } else {
                        size_t i = ((size_t)x * comps + c) * bytes;
                        row[i] = v;
                        if (bytes == 2)
                            row[i + 1] = (uint8_t)(v ^ 0x5a); /* a distinct low byte */
                    }
                }
            png_write_row(png, row);
        }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0)
        die(path);
    printf("%s\n", path);
}

/* ---- WebP -------------------------------------------------------------- */

static void webp_seeds(void) {
    int w = 24, h = 20;
    uint8_t *rgb = make_pixels(w, h, 3), *rgba = make_pixels(w, h, 4);
    uint8_t *out;
    size_t n;
    if (!(n = WebPEncodeRGB(rgb, w, h, w * 3, 60, &out)))
        die("WebPEncodeRGB");
    write_file("fuzz_image", "lossy_24x20.webp", out, n);
    WebPFree(out);
    if (!(n = WebPEncodeRGBA(rgba, w, h, w * 4, 60, &out)))
        die("WebPEncodeRGBA");
    write_file("fuzz_image", "lossy_alpha_24x20.webp", out, n);
    WebPFree(out);
    if (!(n = WebPEncodeLosslessRGB(rgb, w, h, w * 3, &out)))
        die("WebPEncodeLosslessRGB");
    write_file("fuzz_image", "lossless_24x20.webp", out, n);
    WebPFree(out);
    if (!(n = WebPEncodeLosslessRGBA(rgba, w, h, w * 4, &out)))
        die("WebPEncodeLosslessRGBA");
    write_file("fuzz_image", "lossless_alpha_24x20.webp", out, n);
    WebPFree(out);

    /* Animated: three frames; the encoder stores the later ones as
     * sub-rectangles at an offset, lossy and lossless mixed. */
    WebPAnimEncoderOptions ao;
    if (!WebPAnimEncoderOptionsInit(&ao))
        die("WebPAnimEncoderOptionsInit");
    ao.allow_mixed = 1;
    WebPAnimEncoder *enc = WebPAnimEncoderNew(w, h, &ao);
    WebPConfig cfg;
    if (!enc || !WebPConfigInit(&cfg))
        die("WebPAnimEncoderNew");
    cfg.quality = 50;
    int ts = 0;
    for (int f = 0; f < 3; f++, ts += 100) {
        WebPPicture pic;
        if (!WebPPictureInit(&pic))
            die("WebPPictureInit");
        pic.use_argb = 1;
        pic.width = w;
        pic.height = h;
        for (int y = 8; f > 0 && y < 14; y++) /* a moving block */
            for (int x = 4 * f; x < 4 * f + 6; x++)
                memset(rgba + ((size_t)y * w + x) * 4, f * 100, 3);
        if (!WebPPictureImportRGBA(&pic, rgba, w * 4))
            die("WebPPictureImportRGBA");
        cfg.lossless = f == 2;
        if (!WebPAnimEncoderAdd(enc, &pic, ts, &cfg))
            die(WebPAnimEncoderGetError(enc));
        WebPPictureFree(&pic);
    }
    WebPData wd;
    WebPDataInit(&wd);
    if (!WebPAnimEncoderAdd(enc, NULL, ts, NULL) || !WebPAnimEncoderAssemble(enc, &wd))
        die(WebPAnimEncoderGetError(enc));
    write_file("fuzz_image", "animated_3frames_24x20.webp", wd.bytes, wd.size);
    WebPDataClear(&wd);
    WebPAnimEncoderDelete(enc);
    free(rgb);
    free(rgba);
}

/* ---- GIF --------------------------------------------------------------- */

typedef struct {
    const char *name;
    int w, h, interlace, frames;
    int fw, fh, fx, fy; /* first frame's rectangle; 0 = whole screen */
    int local_map;      /* frames carry their own colour map */
} gif_spec;

static void write_gif(const gif_spec *s) {
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz_image/%s", outdir, s->name);
    int err;
    GifFileType *g = EGifOpenFileName(path, false, &err);
    if (!g)
        die(GifErrorString(err));
    EGifSetGifVersion(g, true);
    GifColorType cols[16];
    for (int i = 0; i < 16; i++)
        cols[i].Red = (GifByteType)(i * 16), cols[i].Green = (GifByteType)(255 - i * 16),
        cols[i].Blue = (GifByteType)(i * 7);
    ColorMapObject *gmap = GifMakeMapObject(16, cols);
    if (EGifPutScreenDesc(g, s->w, s->h, 4, 3, gmap) == GIF_ERROR)
        die("EGifPutScreenDesc");
    if (s->frames > 1) { /* NETSCAPE2.0 looping, as animations have */
        unsigned char app[11], loop[3] = {1, 0, 0};
        memcpy(app, "NETSCAPE2.0", 11);
        EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE);
        EGifPutExtensionBlock(g, 11, app);
        EGifPutExtensionBlock(g, 3, loop);
        EGifPutExtensionTrailer(g);
    }
    for (int f = 0; f < s->frames; f++) {
        GraphicsControlBlock gcb = {2, false, 10, f == 0 ? 5 : NO_TRANSPARENT_COLOR};
        GifByteType ext[4];
        size_t n = EGifGCBToExtension(&gcb, ext);
        EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)n, ext);
        int fw = f == 0 && s->fw ? s->fw : s->w, fh = f == 0 && s->fh ? s->fh : s->h;
        int fx = f == 0 ? s->fx : 0, fy = f == 0 ? s->fy : 0;
        ColorMapObject *lmap = s->local_map ? GifMakeMapObject(16, cols) : NULL;
        if (EGifPutImageDesc(g, fx, fy, fw, fh, s->interlace, lmap) == GIF_ERROR)
            die("EGifPutImageDesc");
        GifFreeMapObject(lmap);
        GifPixelType *line = malloc((size_t)fw);
        /* EGifPutLine takes the rows in file order, which for an interlaced
         * frame is the pass order. */
        static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
        for (int p = 0; p < (s->interlace ? 4 : 1); p++)
            for (int y = s->interlace ? start[p] : 0; y < fh;
                 y += s->interlace ? step[p] : 1) {
                for (int x = 0; x < fw; x++)
                    line[x] = (GifPixelType)(pattern(x, y, fw, fh, f) >> 4);
                if (EGifPutLine(g, line, fw) == GIF_ERROR)
                    die("EGifPutLine");
            }
        free(line);
    }
    GifFreeMapObject(gmap);
    if (EGifCloseFile(g, &err) == GIF_ERROR)
        die(GifErrorString(err));
    printf("%s\n", path);
}

/* The seeds. Each row names the layout it is there for. */
static const jpeg_spec jpegs[] = {
    /* name, w, h, comps, in, jpeg, quality, progressive, arith, restart_rows,
     * h_samp, exif, exif_le */
    {"gray_32x24.jpg", 32, 24, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 75, 0, 0, 0, 0, 0, 0},
    {"rgb420_48x40.jpg", 48, 40, 3, JCS_RGB, JCS_YCbCr, 75, 0, 0, 0, 0, 0, 0},
    {"progressive_40x32.jpg", 40, 32, 3, JCS_RGB, JCS_YCbCr, 75, 1, 0, 0, 0, 0, 0},
    {"cmyk_adobe_24x24.jpg", 24, 24, 4, JCS_CMYK, JCS_CMYK, 75, 0, 0, 0, 0, 0, 0},
    {"ycck_adobe_24x24.jpg", 24, 24, 4, JCS_CMYK, JCS_YCCK, 75, 0, 0, 0, 0, 0, 0},
    {"arith_restart_32x32.jpg", 32, 32, 3, JCS_RGB, JCS_YCbCr, 75, 0, 1, 1, 0, 0, 0},
    {"progressive_gray_arith_24x16.jpg", 24, 16, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 60, 1,
     1, 0, 0, 0, 0},
    {"rgb211_33x17.jpg", 33, 17, 3, JCS_RGB, JCS_YCbCr, 80, 0, 0, 0, 2, 0, 0},
    {"exif_orient6_be_40x24.jpg", 40, 24, 3, JCS_RGB, JCS_YCbCr, 70, 0, 0, 0, 0, 6, 0},
    {"exif_orient5_le_gray_24x40.jpg", 24, 40, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 70, 0, 0,
     0, 0, 5, 1},
    /* Large enough for fast mode to decode it at half size. */
    {"gray_512x512_fast.jpg", 512, 512, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 10, 0, 0, 0, 0,
     0, 0},
    /* Progressive and large enough for fast mode's DC-only path at 1/8. */
    {"progressive_gray_960x960_fast.jpg", 960, 960, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 5,
     1, 0, 0, 0, 0, 0},
};

static const png_spec pngs[] = {
    /* name, w, h, depth, color, interlace, palette_trns, gray_trns */
    {"gray8_20x16.png", 20, 16, 8, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
    {"gray1_19x9.png", 19, 9, 1, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
    {"gray4_trns_13x11.png", 13, 11, 4, PNG_COLOR_TYPE_GRAY, 0, 0, 1},
    {"palette4_16x12.png", 16, 12, 4, PNG_COLOR_TYPE_PALETTE, 0, 0, 0},
    {"palette8_trns_16x12.png", 16, 12, 8, PNG_COLOR_TYPE_PALETTE, 0, 1, 0},
    {"rgb16_12x10.png", 12, 10, 16, PNG_COLOR_TYPE_RGB, 0, 0, 0},
    {"gray_alpha16_10x10.png", 10, 10, 16, PNG_COLOR_TYPE_GRAY_ALPHA, 0, 0, 0},
    {"rgba8_16x16.png", 16, 16, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0, 0, 0},
    {"rgb8_adam7_17x13.png", 17, 13, 8, PNG_COLOR_TYPE_RGB, 1, 0, 0},
    {"gray2_adam7_9x7.png", 9, 7, 2, PNG_COLOR_TYPE_GRAY, 1, 0, 0},
};

static const gif_spec gifs[] = {
    /* name, w, h, interlace, frames, fw, fh, fx, fy, local_map */
    {"plain_16x16.gif", 16, 16, 0, 1, 0, 0, 0, 0, 0},
    {"interlaced_20x19.gif", 20, 19, 1, 1, 0, 0, 0, 0, 0},
    {"offset_frame_24x20.gif", 24, 20, 0, 1, 10, 8, 5, 6, 0},
    {"three_frames_local_maps_16x12.gif", 16, 12, 0, 3, 0, 0, 0, 0, 1},
};

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR   (e.g. fuzz/corpus)\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    for (size_t i = 0; i < sizeof jpegs / sizeof jpegs[0]; i++)
        write_jpeg(&jpegs[i]);
    for (size_t i = 0; i < sizeof pngs / sizeof pngs[0]; i++)
        write_png(&pngs[i]);
    webp_seeds();
    for (size_t i = 0; i < sizeof gifs / sizeof gifs[0]; i++)
        write_gif(&gifs[i]);
    exif_seeds();
    return 0;
}
