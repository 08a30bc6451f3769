/*
 * pdq_fast.c - PDQ from a reduced image, for fast mode.
 *
 * A JPEG decoded at 1/s scale in the DCT domain gives, per pixel, roughly
 * the mean of an s x s block of the full-resolution image. Running PDQ's
 * box filter on that small image would blur by a different, rounded window
 * and sample at shifted places. Instead, this computes what the reference
 * computes at full resolution: its filter (two passes of the running mean
 * along each axis, edges included) is linear and separable, so each of the
 * 64 x 64 samples is a weighted sum of full-resolution pixels, with weights
 * we can derive exactly. Summing those weights over each s-pixel block
 * gives the weight of each reduced pixel. The only approximation left is
 * that a block is taken as uniform at its mean.
 */
#include <string.h>

#include "pdq.h"

/* Weights of the reduced pixels for the 64 samples along one axis. */
typedef struct {
    int first[64];  /* first reduced pixel with a weight */
    int count[64];  /* number of weights */
    double *w;      /* 64 x stride */
    int stride;
} axis_weights;

/* The reference's running mean gives output o the mean of input
 * [lo(o), hi(o)] (tamis__pdq_box1d: half a window of lead, edges shrink). */
static void box_span(int o, int n, int window, int *lo, int *hi) {
    int half = (window + 2) / 2;
    int l = o - (window - half), h = o + half - 1;
    *lo = l < 0 ? 0 : l;
    *hi = h > n - 1 ? n - 1 : h;
}

static tamis_status axis_init(axis_weights *a, int full, int reduced, int scale) {
    int window = tamis__pdq_window(full);
    /* Two passes reach 2 * window pixels; a span that wide touches at most
     * 2 * window / scale + 2 blocks. */
    a->stride = 2 * window / scale + 3;
    a->w = tamis__calloc((size_t)64 * (size_t)a->stride, sizeof(double));
    if (!a->w)
        return TAMIS_ERR_NOMEM;
    for (int i = 0; i < 64; i++) {
        int p = (int)(((i + 0.5) * full) / 64);
        int plo, phi, lo_first, hi_last;
        box_span(p, full, window, &plo, &phi);
        box_span(plo, full, window, &lo_first, &hi_last);
        int tmp;
        box_span(phi, full, window, &tmp, &hi_last);
        int k0 = lo_first / scale, k1 = hi_last / scale;
        if (k1 >= reduced)
            k1 = reduced - 1;
        double *w = a->w + (size_t)i * a->stride;
        a->first[i] = k0;
        a->count[i] = k1 - k0 + 1;
        double cp = phi - plo + 1;
        for (int o = plo; o <= phi; o++) {
            int lo, hi;
            box_span(o, full, window, &lo, &hi);
            double c = 1.0 / (cp * (hi - lo + 1));
            for (int k = lo / scale; k <= hi / scale && k < reduced; k++) {
                int b0 = k * scale, b1 = b0 + scale - 1;
                int ov = (hi < b1 ? hi : b1) - (lo > b0 ? lo : b0) + 1;
                w[k - k0] += c * ov;
            }
        }
    }
    return TAMIS_OK;
}

tamis_status tamis__pdq_from_reduced(const tamis__luma_view *v, int scale,
                                     int full_rows, int full_cols,
                                     tamis_pdq *hash, int *quality) {
    if (full_rows < TAMIS__PDQ_MIN_DIM || full_cols < TAMIS__PDQ_MIN_DIM) {
        memset(hash, 0, sizeof *hash);
        *quality = 0;
        return TAMIS_OK;
    }
    axis_weights ar = {0}, ac = {0};
    double *t = NULL;
    tamis_status st = axis_init(&ar, full_rows, v->rows, scale);
    if (st == TAMIS_OK)
        st = axis_init(&ac, full_cols, v->cols, scale);
    if (st == TAMIS_OK && !(t = tamis__malloc((size_t)v->rows * 64 * sizeof(double))))
        st = TAMIS_ERR_NOMEM;
    if (st == TAMIS_OK) {
        /* Along rows first: t[r][j] = sum_l wc_j[l] * pixel(r, l). */
        for (int r = 0; r < v->rows; r++) {
            const float *row = v->base + r * v->rs;
            for (int j = 0; j < 64; j++) {
                const double *w = ac.w + (size_t)j * ac.stride;
                const float *p = row + ac.first[j] * v->cs;
                double s = 0;
                for (int l = 0; l < ac.count[j]; l++)
                    s += w[l] * p[l * v->cs];
                t[(size_t)r * 64 + j] = s;
            }
        }
        float a64[64][64], dct[16][16];
        for (int i = 0; i < 64; i++) {
            const double *w = ar.w + (size_t)i * ar.stride;
            for (int j = 0; j < 64; j++) {
                double s = 0;
                for (int k = 0; k < ar.count[i]; k++)
                    s += w[k] * t[(size_t)(ar.first[i] + k) * 64 + j];
                a64[i][j] = (float)s;
            }
        }
        *quality = tamis__pdq_quality(a64);
        tamis__pdq_dct64to16(a64, dct);
        tamis__pdq_bits(dct, hash);
    }
    tamis__free(t);
    tamis__free(ar.w);
    tamis__free(ac.w);
    return st;
}

int tamis__pdq_fast_scale(int width, int height, int progressive) {
    /* Keep at least two reduced pixels per box window along both axes, so
     * that the blocks taken as uniform are small against the filter. A
     * progressive JPEG at 1/8 costs only its DC scans, so there one pixel
     * per window is accepted too (doc/fast-mode.md has the distances). */
    int w = tamis__pdq_window(width < height ? width : height);
    if (progressive && w >= 8)
        return 8;
    for (int s = 8; s >= 2; s /= 2)
        if (2 * s <= w)
            return s;
    return 1;
}
