/*
 * pdq.c - PDQ, Meta's 256-bit perceptual image hash, from a luma image.
 *
 * Steps (pdqhash-2017-10-09.pdf): two passes of a Jarosz box filter along
 * rows then columns with window ceil(dim/128); decimation to 64x64 at the
 * centres (i + 0.5) * dim / 64; a quality score from the 64x64 gradients;
 * the 16x16 low-frequency block of a 64x64 DCT-II (rows and columns 1..16);
 * one bit per coefficient, set when it is strictly above the median.
 *
 * To be bit-compatible with the reference every floating-point operation is
 * the same single-precision operation in the same order (the build uses
 * -ffp-contract=off so that no multiply-add is fused). Work the reference
 * throws away is skipped: the decimation keeps 64 rows and 64 columns, so
 * the second pass along rows only produces the 64 sampled columns and the
 * second pass along columns only the 64 sampled rows. Each kept value is
 * still computed by the same running sum, so it is exactly the reference's.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "pdq.h"

/* ---- DCT matrix (16 x 64), built once ---------------------------------- */

static float dct_matrix[16][64];
static pthread_once_t dct_once = PTHREAD_ONCE_INIT;

static void dct_init(void) {
    /* As the reference: the scale is rounded to float, the product with the
     * cosine is taken in double and rounded to float. */
    const float scale = (float)sqrt(2.0 / 64.0);
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++)
            dct_matrix[i][j] =
                (float)(scale * cos((pi / 2.0 / 64.0) * (double)(i + 1) *
                                    (double)(2 * j + 1)));
}

/* ---- Box filter -------------------------------------------------------- */

int tamis__pdq_window(int old_dim) {
    /* Round up old_dim / 128: two passes of this window cover one 64th. */
    return (old_dim + 2 * 64 - 1) / (2 * 64);
}

/* The reference's four-phase running mean (downscaling.cpp, box1DFloat):
 * accumulate half a window, then write with a growing window, then with the
 * full window (add the new value, then subtract the old), then shrink. */
void tamis__pdq_box1d(const float *in, ptrdiff_t istride, float *out,
                      ptrdiff_t ostride, int n, int window) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    ptrdiff_t li = 0, ri = 0, oi = 0;
    float sum = 0.0f;
    int cnt = 0;
    for (int i = 0; i < p1; i++, ri += istride) {
        sum += in[ri];
        cnt++;
    }
    for (int i = 0; i < p2; i++, ri += istride, oi += ostride) {
        sum += in[ri];
        cnt++;
        out[oi] = sum / (float)cnt;
    }
    for (int i = 0; i < p3; i++, li += istride, ri += istride, oi += ostride) {
        sum += in[ri];
        sum -= in[li];
        out[oi] = sum / (float)cnt;
    }
    for (int i = 0; i < p4; i++, li += istride, oi += ostride) {
        sum -= in[li];
        cnt--;
        out[oi] = sum / (float)cnt;
    }
}

/* The same running mean along a contiguous row, keeping only the outputs at
 * the sorted positions pos[0..63] (repeats allowed, for rows under 64). */
static void box1d_sampled(const float *in, int n, int window, const int *pos,
                          float *out) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, k = 0, cnt = 0;
    float sum = 0.0f;
    for (int i = 0; i < p1; i++)
        sum += in[ri++], cnt++;
    for (int i = 0; i < p2; i++, oi++) {
        sum += in[ri++];
        cnt++;
        while (k < 64 && pos[k] == oi)
            out[k++] = sum / (float)cnt;
    }
    for (int i = 0; i < p3 && k < 64; i++, oi++) {
        sum += in[ri++];
        sum -= in[li++];
        while (k < 64 && pos[k] == oi)
            out[k++] = sum / (float)cnt;
    }
    for (int i = 0; i < p4 && k < 64; i++, oi++) {
        sum -= in[li++];
        cnt--;
        while (k < 64 && pos[k] == oi)
            out[k++] = sum / (float)cnt;
    }
}

/* The running mean down the columns of `in` (n rows of `width` floats),
 * all columns at once so that the compiler vectorises across them; each
 * column sees exactly the scalar sequence of operations. Calls
 * emit(ctx, oi, row) with each output row. */
typedef void (*row_sink)(void *ctx, int oi, const float *row);

static void add_row(float *restrict s, const float *restrict r, int w) {
    for (int j = 0; j < w; j++)
        s[j] += r[j];
}
static void sub_row(float *restrict s, const float *restrict r, int w) {
    for (int j = 0; j < w; j++)
        s[j] -= r[j];
}
static void add_sub_row(float *restrict s, const float *restrict a,
                        const float *restrict b, int w) {
    for (int j = 0; j < w; j++) {
        float t = s[j] + a[j];
        s[j] = t - b[j];
    }
}
static void div_row(float *restrict o, const float *restrict s, float c, int w) {
    for (int j = 0; j < w; j++)
        o[j] = s[j] / c;
}

static void box_cols(const float *in, int n, int width, int window, float *sums,
                     float *outrow, row_sink emit, void *ctx) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    size_t w = (size_t)width;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    memset(sums, 0, w * sizeof *sums);
    for (int i = 0; i < p1; i++, ri++, cnt++)
        add_row(sums, in + ri * w, width);
    for (int i = 0; i < p2; i++, ri++, oi++) {
        add_row(sums, in + ri * w, width);
        cnt++;
        div_row(outrow, sums, (float)cnt, width);
        emit(ctx, oi, outrow);
    }
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        add_sub_row(sums, in + ri * w, in + li * w, width);
        div_row(outrow, sums, (float)cnt, width);
        emit(ctx, oi, outrow);
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        sub_row(sums, in + li * w, width);
        cnt--;
        div_row(outrow, sums, (float)cnt, width);
        emit(ctx, oi, outrow);
    }
}

/* Second pass along rows, applied to each output row of the first pass
 * along columns: keep the 64 sampled columns. */
typedef struct {
    float *b;
    int cols, window;
    const int *colpos;
} rowpass_ctx;

static void rowpass_emit(void *p, int oi, const float *row) {
    rowpass_ctx *c = p;
    box1d_sampled(row, c->cols, c->window, c->colpos, c->b + (size_t)oi * 64);
}

/* Second pass along columns over the 64 sampled columns: keep the 64
 * sampled rows. */
typedef struct {
    float (*out)[64];
    const int *rowpos;
    int k;
} colpass_ctx;

static void colpass_emit(void *p, int oi, const float *row) {
    colpass_ctx *c = p;
    while (c->k < 64 && c->rowpos[c->k] == oi)
        memcpy(c->out[c->k++], row, 64 * sizeof(float));
}

/* ---- Quality, DCT, median, bits ---------------------------------------- */

int tamis__pdq_quality(const float a[64][64]) {
    /* Count significant gradients (constants from the reference). */
    int sum = 0;
    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            int d = (int)(((a[i][j] - a[i + 1][j]) * 100.0f) / 255.0f);
            sum += d < 0 ? -d : d;
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            int d = (int)(((a[i][j] - a[i][j + 1]) * 100.0f) / 255.0f);
            sum += d < 0 ? -d : d;
        }
    int q = sum / 90;
    return q > 100 ? 100 : q;
}

void tamis__pdq_dct64to16(const float a[64][64], float b[16][16]) {
    pthread_once(&dct_once, dct_init);
    /* T = D A, then B = T D^T; each sum runs over k in increasing order from
     * 0.0f, as in the reference, with the loops ordered to vectorise over
     * the independent outputs. */
    float t[16][64];
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++)
            t[i][j] = 0.0f;
        for (int k = 0; k < 64; k++) {
            float d = dct_matrix[i][k];
            for (int j = 0; j < 64; j++)
                t[i][j] += d * a[k][j];
        }
    }
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float s = 0.0f;
            for (int k = 0; k < 64; k++)
                s += t[i][k] * dct_matrix[j][k];
            b[i][j] = s;
        }
}

/* Torben Mogensen's median (as N. Devillard wrote it, public domain): it
 * returns an element of m, the lower median for even n. */
float tamis__pdq_median(const float *m, int n) {
    float min = m[0], max = m[0];
    for (int i = 1; i < n; i++) {
        if (m[i] < min)
            min = m[i];
        if (m[i] > max)
            max = m[i];
    }
    int less, greater, equal;
    float guess, maxlt, mingt;
    for (;;) {
        guess = (min + max) / 2;
        less = greater = equal = 0;
        maxlt = min;
        mingt = max;
        for (int i = 0; i < n; i++) {
            if (m[i] < guess) {
                less++;
                if (m[i] > maxlt)
                    maxlt = m[i];
            } else if (m[i] > guess) {
                greater++;
                if (m[i] < mingt)
                    mingt = m[i];
            } else {
                equal++;
            }
        }
        if (less <= (n + 1) / 2 && greater <= (n + 1) / 2)
            break;
        else if (less > greater)
            max = maxlt;
        else
            min = mingt;
    }
    if (less >= (n + 1) / 2)
        return maxlt;
    if (less + equal >= (n + 1) / 2)
        return guess;
    return mingt;
}

void tamis__pdq_bits(const float dct[16][16], tamis_pdq *hash) {
    float median = tamis__pdq_median(&dct[0][0], 256);
    memset(hash, 0, sizeof *hash);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            if (dct[i][j] > median) {
                int k = i * 16 + j;
                hash->bytes[31 - k / 8] |= (uint8_t)(1u << (k % 8));
            }
}

void tamis__pdq_dct_dihedral(const float in[16][16], int variant,
                             float out[16][16]) {
    /* The reference's table (pdqhashing.cpp): which coefficients change
     * sign, and whether the block is transposed. */
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float v = in[i][j];
            switch (variant) {
            case TAMIS_VARIANT_ROTATE90: out[j][i] = (j & 1) ? v : -v; break;
            case TAMIS_VARIANT_ROTATE180: out[i][j] = ((i + j) & 1) ? -v : v; break;
            case TAMIS_VARIANT_ROTATE270: out[j][i] = (i & 1) ? v : -v; break;
            case TAMIS_VARIANT_FLIPX: out[i][j] = (i & 1) ? v : -v; break;
            case TAMIS_VARIANT_FLIPY: out[i][j] = (j & 1) ? v : -v; break;
            case TAMIS_VARIANT_FLIPPLUS1: out[j][i] = v; break;
            case TAMIS_VARIANT_FLIPMINUS1: out[j][i] = ((i + j) & 1) ? -v : v; break;
            default: out[i][j] = v; break;
            }
        }
}

/* ---- The whole hash ---------------------------------------------------- */

void tamis__pdq_work_free(tamis__pdq_work *w) {
    if (!w)
        return;
    tamis__free(w->a);
    tamis__free(w->b);
    tamis__free(w->line);
    memset(w, 0, sizeof *w);
}

static int grow(float **p, size_t *cap, size_t need) {
    if (*cap >= need)
        return 1;
    float *n = tamis__malloc(need * sizeof(float));
    if (!n)
        return 0;
    tamis__free(*p);
    *p = n;
    *cap = need;
    return 1;
}

static void sample_positions(int dim, int *pos) {
    /* Sample at the centres of 64 cells, truncating as the reference. */
    for (int i = 0; i < 64; i++)
        pos[i] = (int)(((i + 0.5) * dim) / 64);
}

/* Fills the 64x64 buffer the DCT and the quality score read. */
static tamis_status downsample(tamis__pdq_work *w, const tamis__luma_view *v,
                               float out[64][64]) {
    int rows = v->rows, cols = v->cols;
    if (rows == 64 && cols == 64) {
        /* The reference takes a 64x64 input as already downsampled. */
        for (int r = 0; r < 64; r++)
            for (int c = 0; c < 64; c++)
                out[r][c] = v->base[r * v->rs + c * v->cs];
        return TAMIS_OK;
    }
    size_t n;
    if (!tamis__mul_size((size_t)rows, (size_t)cols, &n) ||
        !grow(&w->a, &w->a_cap, n) ||
        !grow(&w->b, &w->b_cap, (size_t)rows * 64) ||
        !grow(&w->line, &w->line_cap, 2 * (size_t)cols))
        return TAMIS_ERR_NOMEM;
    float *sums = w->line, *row = w->line + cols;
    int wr = tamis__pdq_window(cols); /* window along rows */
    int wc = tamis__pdq_window(rows); /* window along columns */
    int colpos[64], rowpos[64];
    sample_positions(cols, colpos);
    sample_positions(rows, rowpos);

    /* Pass 1 along rows: view -> a. */
    for (int r = 0; r < rows; r++)
        tamis__pdq_box1d(v->base + r * v->rs, v->cs, w->a + (size_t)r * cols, 1,
                         cols, wr);
    /* Pass 1 along columns, each output row going straight into pass 2
     * along rows, which keeps the 64 sampled columns: a -> b. */
    rowpass_ctx rc = {w->b, cols, wr, colpos};
    box_cols(w->a, rows, cols, wc, sums, row, rowpass_emit, &rc);
    /* Pass 2 along columns over those 64 columns, keeping 64 rows. */
    colpass_ctx cc = {out, rowpos, 0};
    float sums64[64], row64[64];
    box_cols(w->b, rows, 64, wc, sums64, row64, colpass_emit, &cc);
    return TAMIS_OK;
}

tamis_status tamis__pdq_from_luma(tamis__pdq_work *w, const tamis__luma_view *v,
                                  tamis_pdq *hash, int *quality) {
    if (v->rows < TAMIS__PDQ_MIN_DIM || v->cols < TAMIS__PDQ_MIN_DIM) {
        memset(hash, 0, sizeof *hash);
        *quality = 0;
        return TAMIS_OK;
    }
    float a64[64][64], dct[16][16];
    tamis_status st = downsample(w, v, a64);
    if (st != TAMIS_OK)
        return st;
    *quality = tamis__pdq_quality(a64);
    tamis__pdq_dct64to16(a64, dct);
    tamis__pdq_bits(dct, hash);
    return TAMIS_OK;
}
