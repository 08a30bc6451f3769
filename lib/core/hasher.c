/*
 * hasher.c - the public image-hashing entry points: read a file, sniff and
 * decode it (lib/media), convert the rows to luma as they arrive, then hash
 * (lib/hash). A hasher keeps its buffers between calls; one per thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/common.h"
#include "../hash/pdq.h"
#include "../hash/variants.h"
#include "../media/image.h"

struct tamis_hasher {
    tamis_hash_options opts;
    tamis__err err;
    tamis__pdq_work work;
    float *luma; /* out_height x out_width */
    size_t luma_cap;
    float *small; /* 512 x 512 for the resize-512 convention */
    tamis__image_info info;
};

/* Luma as the reference computes it: Y = 0.299 R + 0.587 G + 0.114 B in
 * float, left to right. Each product depends on one byte only, so it comes
 * from a table holding exactly the float the multiplication would give;
 * the two additions are done as in the reference. Gray is used as is. */
static float luma_r[256], luma_g[256], luma_b[256];
static pthread_once_t luma_once = PTHREAD_ONCE_INIT;

static void luma_init(void) {
    const float kr = 0.299f, kg = 0.587f, kb = 0.114f;
    for (int i = 0; i < 256; i++) {
        luma_r[i] = kr * (float)i;
        luma_g[i] = kg * (float)i;
        luma_b[i] = kb * (float)i;
    }
}

static void rgb_row_to_luma(const uint8_t *restrict p, float *restrict out, int w,
                            int step) {
    for (int x = 0; x < w; x++, p += step)
        out[x] = (luma_r[p[0]] + luma_g[p[1]]) + luma_b[p[2]];
}

tamis_status tamis_hasher_create(const tamis_hash_options *opts,
                                 tamis_hasher **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    pthread_once(&luma_once, luma_init);
    tamis_hasher *h = tamis__calloc(1, sizeof *h);
    if (!h)
        return TAMIS_ERR_NOMEM;
    if (opts)
        h->opts = *opts;
    if (h->opts.max_pixels == 0)
        h->opts.max_pixels = TAMIS_DEFAULT_MAX_PIXELS;
    *out = h;
    return TAMIS_OK;
}

void tamis_hasher_free(tamis_hasher *h) {
    if (!h)
        return;
    tamis__pdq_work_free(&h->work);
    tamis__free(h->luma);
    tamis__free(h->small);
    tamis__free(h);
}

const char *tamis_hasher_errmsg(const tamis_hasher *h) {
    return h ? h->err.msg : "no hasher";
}

const char *tamis_pdq_variant_name(tamis_pdq_variant v) {
    static const char *names[] = {"original", "rotate90", "rotate180",
                                  "rotate270", "flipx", "flipy",
                                  "flipplus1", "flipminus1", "trimmed"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "unknown";
}

/* ---- Rows to luma ------------------------------------------------------ */

static tamis_status sink_begin(void *ctx, const tamis__image_info *info) {
    tamis_hasher *h = ctx;
    size_t n;
    h->info = *info;
    if (!tamis__mul_size((size_t)info->out_width, (size_t)info->out_height, &n))
        return tamis__fail(&h->err, TAMIS_ERR_TOO_LARGE, "image too large");
    if (h->luma_cap < n) {
        float *p = tamis__malloc(n * sizeof(float));
        if (!p)
            return tamis__fail(&h->err, TAMIS_ERR_NOMEM,
                               "out of memory for %dx%d pixels", info->out_width,
                               info->out_height);
        tamis__free(h->luma);
        h->luma = p;
        h->luma_cap = n;
    }
    return TAMIS_OK;
}

static void gray_row_to_luma(const uint8_t *restrict p, float *restrict out, int w) {
    for (int x = 0; x < w; x++)
        out[x] = (float)p[x];
}

static tamis_status sink_rows(void *ctx, int y, int n, const uint8_t *pix,
                              size_t stride) {
    tamis_hasher *h = ctx;
    int w = h->info.out_width;
    for (int i = 0; i < n; i++) {
        float *out = h->luma + (size_t)(y + i) * (size_t)w;
        const uint8_t *p = pix + (size_t)i * stride;
        if (h->info.channels == 1)
            gray_row_to_luma(p, out, w);
        else
            rgb_row_to_luma(p, out, w, 3);
    }
    return TAMIS_OK;
}

/* ---- Hashing the luma -------------------------------------------------- */

/* The EXIF orientation tag names how the stored image must be turned to be
 * seen upright; as a dihedral transform of the stored pixels: */
static int exif_to_variant(int o) {
    switch (o) {
    case 2: return TAMIS_VARIANT_FLIPY; /* left-right */
    case 3: return TAMIS_VARIANT_ROTATE180;
    case 4: return TAMIS_VARIANT_FLIPX; /* top-bottom */
    case 5: return TAMIS_VARIANT_FLIPPLUS1;
    case 6: return TAMIS_VARIANT_ROTATE270;
    case 7: return TAMIS_VARIANT_FLIPMINUS1;
    case 8: return TAMIS_VARIANT_ROTATE90;
    default: return TAMIS_VARIANT_ORIGINAL;
    }
}

/* The reference CLI's convention: any side over 512 and the image is
 * squashed to 512x512 by CImg's nearest-neighbour resize, whose source
 * index for target x is floor(x * W / 512) in double. Luma is per pixel, so
 * sampling it is the same as sampling RGB first. */
static tamis_status squash512(tamis_hasher *h, tamis__luma_view *v) {
    if (v->rows <= 512 && v->cols <= 512)
        return TAMIS_OK;
    if (!h->small && !(h->small = tamis__malloc(512 * 512 * sizeof(float))))
        return tamis__fail(&h->err, TAMIS_ERR_NOMEM, "out of memory");
    int cx[512];
    for (int x = 0; x < 512; x++)
        cx[x] = (int)((x * 1.0) * v->cols / 512);
    for (int y = 0; y < 512; y++) {
        int sy = (int)((y * 1.0) * v->rows / 512);
        for (int x = 0; x < 512; x++)
            h->small[y * 512 + x] = v->base[sy * v->rs + cx[x] * v->cs];
    }
    v->base = h->small;
    v->rows = v->cols = 512;
    v->rs = 512;
    v->cs = 1;
    return TAMIS_OK;
}

/* A view to hash: the luma as delivered, and the full-resolution size it
 * stands for (larger when fast mode decoded it reduced). */
typedef struct {
    tamis__luma_view v;
    int scale, full_rows, full_cols;
} hash_view;

static void hv_transform(const hash_view *in, int kind, hash_view *out) {
    *out = *in;
    tamis__view_transform(&in->v, kind, &out->v);
    if (kind == TAMIS_VARIANT_ROTATE90 || kind == TAMIS_VARIANT_ROTATE270 ||
        kind == TAMIS_VARIANT_FLIPPLUS1 || kind == TAMIS_VARIANT_FLIPMINUS1) {
        /* these swap the sides */
        out->full_rows = in->full_cols;
        out->full_cols = in->full_rows;
    }
}

static tamis_status hash_view_pdq(tamis_hasher *h, const hash_view *hv,
                                  tamis_pdq *out, int *quality) {
    tamis_status st = hv->scale > 1
        ? tamis__pdq_from_reduced(&hv->v, hv->scale, hv->full_rows, hv->full_cols,
                                  out, quality)
        : tamis__pdq_from_luma(&h->work, &hv->v, out, quality);
    if (st != TAMIS_OK)
        return tamis__fail(&h->err, st, "out of memory hashing");
    return TAMIS_OK;
}

static tamis_status hash_luma(tamis_hasher *h, const tamis__image_info *info,
                              tamis_image_hash *out) {
    hash_view hv = {{h->luma, info->out_height, info->out_width, info->out_width, 1},
                    info->scale > 1 ? info->scale : 1, info->height, info->width};
    unsigned fl = h->opts.flags;
    if ((fl & TAMIS_HASH_EXIF_ORIENT) && info->orientation != 1)
        hv_transform(&hv, exif_to_variant(info->orientation), &hv);
    tamis_status st;
    if ((fl & TAMIS_HASH_RESIZE512) && hv.scale == 1 &&
        (st = squash512(h, &hv.v)) != TAMIS_OK)
        return st;
    if ((st = hash_view_pdq(h, &hv, &out->pdq, &out->quality)) != TAMIS_OK)
        return st;
    if (!(fl & TAMIS_HASH_VARIANTS))
        return TAMIS_OK;
    out->variants[0] = out->pdq;
    out->variant_kind[0] = TAMIS_VARIANT_ORIGINAL;
    int n = 1, q;
    for (int k = 1; k < 8; k++) {
        hash_view t;
        hv_transform(&hv, k, &t);
        if ((st = hash_view_pdq(h, &t, &out->variants[n], &q)) != TAMIS_OK)
            return st;
        out->variant_kind[n++] = (tamis_pdq_variant)k;
    }
    hash_view t = hv;
    if (tamis__view_trim(&hv.v, &t.v)) {
        /* In reduced pixels the trimmed sides are scale times smaller. */
        t.full_rows = hv.scale > 1 ? t.v.rows * hv.scale : t.v.rows;
        t.full_cols = hv.scale > 1 ? t.v.cols * hv.scale : t.v.cols;
        if ((st = hash_view_pdq(h, &t, &out->variants[n], &q)) != TAMIS_OK)
            return st;
        out->variant_kind[n++] = TAMIS_VARIANT_TRIMMED;
    }
    out->n_variants = n;
    return TAMIS_OK;
}

/* ---- Entry points ------------------------------------------------------ */

tamis_status tamis_hash_image_mem(tamis_hasher *h, const void *data, size_t len,
                                  tamis_image_hash *out) {
    if (!h)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&h->err);
    if (!out || (!data && len))
        return tamis__fail(&h->err, TAMIS_ERR_INVALID, "NULL argument");
    tamis_image_hash r;
    memset(&r, 0, sizeof r);
    /* Fast mode reduces JPEGs in the DCT domain (doc/fast-mode.md); not
     * with the 512-pixel convention, which samples single pixels. */
    unsigned fl = h->opts.flags;
    tamis__decode_opts dopts = {h->opts.max_pixels,
                                (fl & TAMIS_HASH_FAST) && !(fl & TAMIS_HASH_RESIZE512)
                                    ? tamis__pdq_fast_scale
                                    : NULL};
    tamis__image_sink sink = {sink_begin, sink_rows, h};
    tamis_status st = tamis__image_decode(data, len, &dopts, &sink, &h->err);
    if (st != TAMIS_OK)
        return st;
    r.format = h->info.format;
    r.width = h->info.width;
    r.height = h->info.height;
    st = hash_luma(h, &h->info, &r);
    if (st != TAMIS_OK)
        return st;
    if (!(h->opts.flags & TAMIS_HASH_NO_DIGESTS)) {
        if (tamis_digests_compute(data, len, &r.digests) != TAMIS_OK)
            return tamis__fail(&h->err, TAMIS_ERR_INTERNAL, "digest failed");
        r.has_digests = 1;
    }
    *out = r;
    return TAMIS_OK;
}

tamis_status tamis_hash_image_file(tamis_hasher *h, const char *path,
                                   tamis_image_hash *out) {
    if (!h)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&h->err);
    if (!path || !out)
        return tamis__fail(&h->err, TAMIS_ERR_INVALID, "NULL argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tamis__fail(&h->err, TAMIS_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return tamis__fail(&h->err, TAMIS_ERR_IO, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return tamis__fail(&h->err, TAMIS_ERR_IO, "is a directory");
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return tamis__fail(&h->err, TAMIS_ERR_IO, "not a regular file");
    }
    if (sb.st_size == 0) {
        close(fd);
        return tamis__fail(&h->err, TAMIS_ERR_EMPTY, "empty file (0 bytes)");
    }
    size_t len = (size_t)sb.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return tamis__fail(&h->err, TAMIS_ERR_IO, "cannot map: %s", strerror(e));
    tamis_status st = tamis_hash_image_mem(h, map, len, out);
    munmap(map, len);
    return st;
}

tamis_status tamis_hash_pixels(tamis_hasher *h, const uint8_t *pixels, int width,
                               int height, size_t stride, tamis_pixel_format fmt,
                               tamis_image_hash *out) {
    if (!h)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&h->err);
    if (!pixels || !out || width <= 0 || height <= 0 ||
        (fmt != TAMIS_PIXEL_GRAY8 && fmt != TAMIS_PIXEL_RGB8 && fmt != TAMIS_PIXEL_RGBA8) ||
        stride < (size_t)width * (size_t)fmt)
        return tamis__fail(&h->err, TAMIS_ERR_INVALID, "bad pixel buffer arguments");
    tamis_status st = tamis__check_pixels((uint64_t)width, (uint64_t)height,
                                          h->opts.max_pixels, &h->err);
    if (st != TAMIS_OK)
        return st;
    tamis__image_info info = {TAMIS_FORMAT_UNKNOWN, width, height, width, height,
                              fmt == TAMIS_PIXEL_GRAY8 ? 1 : 3, 1, 1};
    if ((st = sink_begin(h, &info)) != TAMIS_OK)
        return st;
    for (int y = 0; y < height; y++) {
        const uint8_t *p = pixels + (size_t)y * stride;
        float *o = h->luma + (size_t)y * (size_t)width;
        if (fmt == TAMIS_PIXEL_GRAY8)
            gray_row_to_luma(p, o, width);
        else
            rgb_row_to_luma(p, o, width, (int)fmt);
    }
    tamis_image_hash r;
    memset(&r, 0, sizeof r);
    r.width = width;
    r.height = height;
    if ((st = hash_luma(h, &info, &r)) != TAMIS_OK)
        return st;
    *out = r;
    return TAMIS_OK;
}
