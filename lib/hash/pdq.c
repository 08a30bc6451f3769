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

#ifdef __SSE__
#include <xmmintrin.h>
#endif

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

/* ---- Four rows at once -------------------------------------------------
 *
 * A running mean along one row is a chain of dependent additions, so it
 * runs at the latency of the adder. Four rows are independent: transposed
 * into lanes of a 4-float vector, they go through the same chain at once.
 * Each lane still sees exactly the scalar sequence of operations. GCC's
 * vector extension compiles to SSE on x86-64 and to NEON on ARM. */

typedef float v4f __attribute__((vector_size(16)));
#define LANES 4

static inline v4f splat(float x) { return (v4f){x, x, x, x}; }

/* box1d on LANES rows: in[j] holds column j of the rows. */
static void box_lanes(const v4f *in, int n, int window, v4f *out) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    v4f sum = splat(0.0f);
    for (int i = 0; i < p1; i++)
        sum += in[ri++], cnt++;
    for (int i = 0; i < p2; i++) {
        sum += in[ri++];
        cnt++;
        out[oi++] = sum / splat((float)cnt);
    }
    v4f c = splat((float)cnt);
    for (int i = 0; i < p3; i++) {
        sum += in[ri++];
        sum -= in[li++];
        out[oi++] = sum / c;
    }
    for (int i = 0; i < p4; i++) {
        sum -= in[li++];
        cnt--;
        out[oi++] = sum / splat((float)cnt);
    }
}

/* The same, keeping only the outputs at the 64 sorted positions pos[]. */
static void box_lanes_sampled(const v4f *in, int n, int window, const int *pos,
                              v4f *out) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, k = 0, cnt = 0;
    v4f sum = splat(0.0f);
    for (int i = 0; i < p1; i++)
        sum += in[ri++], cnt++;
    for (int i = 0; i < p2; i++, oi++) {
        sum += in[ri++];
        cnt++;
        while (k < 64 && pos[k] == oi)
            out[k++] = sum / splat((float)cnt);
    }
    v4f c = splat((float)cnt);
    for (int i = 0; i < p3 && k < 64; i++, oi++) {
        sum += in[ri++];
        sum -= in[li++];
        while (k < 64 && pos[k] == oi)
            out[k++] = sum / c;
    }
    for (int i = 0; i < p4 && k < 64; i++, oi++) {
        sum -= in[li++];
        cnt--;
        while (k < 64 && pos[k] == oi)
            out[k++] = sum / splat((float)cnt);
    }
}

/* ---- The whole hash ---------------------------------------------------- */

void tamis__pdq_work_free(tamis__pdq_work *w) {
    if (!w)
        return;
    tamis__free(w->ring);
    tamis__free(w->b);
    tamis__free(w->line);
    memset(w, 0, sizeof *w);
}

static int grow(float **p, size_t *cap, size_t need) {
    if (*cap >= need)
        return 1;
    /* 16-byte alignment for the vector lanes comes with malloc. */
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

/* Transposes 4 rows of 4 floats into 4 columns (and back). */
static inline void transpose4(v4f *r0, v4f *r1, v4f *r2, v4f *r3) {
#ifdef __SSE__
    __m128 a = *r0, b = *r1, c = *r2, d = *r3;
    _MM_TRANSPOSE4_PS(a, b, c, d);
    *r0 = a, *r1 = b, *r2 = c, *r3 = d;
#else
    v4f m[4] = {*r0, *r1, *r2, *r3}, t[4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            t[i][j] = m[j][i];
    *r0 = t[0], *r1 = t[1], *r2 = t[2], *r3 = t[3];
#endif
}

static inline v4f load4(const float *p) {
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

/* Writes columns 0..n-1 of the 4 rows src[0..3] as n lane vectors. */
static void rows_to_lanes(const float *const src[4], int n, v4f *dst) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        v4f a = load4(src[0] + j), b = load4(src[1] + j), c = load4(src[2] + j),
            d = load4(src[3] + j);
        transpose4(&a, &b, &c, &d);
        dst[j] = a, dst[j + 1] = b, dst[j + 2] = c, dst[j + 3] = d;
    }
    for (; j < n; j++)
        dst[j] = (v4f){src[0][j], src[1][j], src[2][j], src[3][j]};
}

/* The reverse: n lane vectors into columns 0..n-1 of the rows dst[0..3]. */
static void lanes_to_rows(const v4f *src, int n, float *const dst[4]) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        v4f a = src[j], b = src[j + 1], c = src[j + 2], d = src[j + 3];
        transpose4(&a, &b, &c, &d);
        store4(dst[0] + j, a), store4(dst[1] + j, b);
        store4(dst[2] + j, c), store4(dst[3] + j, d);
    }
    for (; j < n; j++)
        for (int l = 0; l < 4; l++)
            dst[l][j] = src[j][l];
}

/* State of one downsampling: the first pass along rows fills a ring of
 * rows on demand, four at a time, as the first pass along columns needs
 * them; that pass's output rows are gathered four at a time for the second
 * pass along rows. Memory stays at a few rows besides the luma itself. */
typedef struct {
    const tamis__luma_view *v;
    int rows, cols, wr, wc;
    float *ring;
    int ring_rows, next_row; /* rows < next_row are in the ring */
    v4f *band_in, *band_out; /* cols x LANES each */
    float *outrows;          /* LANES x cols: output rows of pass 1 along
                                columns waiting for pass 2 along rows */
    float *b;
    const int *colpos;
    float *scratch; /* cols floats of zeros, for missing rows */
} ds_state;

static void fill_ring(ds_state *s, int need) {
    const tamis__luma_view *v = s->v;
    while (s->next_row <= need) {
        int r0 = s->next_row, nl = s->rows - r0 < LANES ? s->rows - r0 : LANES;
        if (v->cs == 1) {
            const float *src[4];
            for (int l = 0; l < LANES; l++)
                src[l] = l < nl ? v->base + (r0 + l) * v->rs : s->scratch;
            rows_to_lanes(src, s->cols, s->band_in);
        } else {
            /* A rotated or mirrored view: gather pixel by pixel. */
            for (int j = 0; j < s->cols; j++) {
                v4f t = splat(0.0f);
                const float *p = v->base + r0 * v->rs + j * v->cs;
                for (int l = 0; l < nl; l++)
                    t[l] = p[l * v->rs];
                s->band_in[j] = t;
            }
        }
        box_lanes(s->band_in, s->cols, s->wr, s->band_out);
        float *dst[4];
        for (int l = 0; l < LANES; l++)
            dst[l] = s->ring + (size_t)((r0 + (l < nl ? l : 0)) % s->ring_rows) * s->cols;
        if (nl == LANES) {
            lanes_to_rows(s->band_out, s->cols, dst);
        } else {
            for (int l = 0; l < nl; l++)
                for (int j = 0; j < s->cols; j++)
                    dst[l][j] = s->band_out[j][l];
        }
        s->next_row += nl;
    }
}

static const float *ring_row(ds_state *s, int r) {
    fill_ring(s, r);
    return s->ring + (size_t)(r % s->ring_rows) * s->cols;
}

/* Runs pass 2 along rows on the gathered output rows o0..o0+n-1. */
static void flush_band(ds_state *s, int o0, int n) {
    v4f out64[64];
    const float *src[4];
    for (int l = 0; l < LANES; l++)
        src[l] = l < n ? s->outrows + (size_t)l * s->cols : s->scratch;
    rows_to_lanes(src, s->cols, s->band_in);
    box_lanes_sampled(s->band_in, s->cols, s->wr, s->colpos, out64);
    for (int l = 0; l < n; l++) {
        float *dst = s->b + (size_t)(o0 + l) * 64;
        for (int k = 0; k < 64; k++)
            dst[k] = out64[k][l];
    }
}

static void emit_row(ds_state *s, int oi, const float *sums, float cnt) {
    int lane = oi % LANES;
    div_row(s->outrows + (size_t)lane * s->cols, sums, cnt, s->cols);
    if (lane == LANES - 1 || oi == s->rows - 1)
        flush_band(s, oi - lane, lane + 1);
}

/* Pass 1 along columns over the ring (as box_cols, rows fetched lazily). */
static void pass1_cols(ds_state *s, float *sums) {
    int n = s->rows, window = s->wc, width = s->cols;
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    memset(sums, 0, (size_t)width * sizeof *sums);
    for (int i = 0; i < p1; i++, ri++, cnt++)
        add_row(sums, ring_row(s, ri), width);
    for (int i = 0; i < p2; i++, ri++, oi++) {
        add_row(sums, ring_row(s, ri), width);
        cnt++;
        emit_row(s, oi, sums, (float)cnt);
    }
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        const float *a = ring_row(s, ri); /* fetch first: it may refill */
        add_sub_row(sums, a, ring_row(s, li), width);
        emit_row(s, oi, sums, (float)cnt);
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        sub_row(sums, ring_row(s, li), width);
        cnt--;
        emit_row(s, oi, sums, (float)cnt);
    }
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
    int wr = tamis__pdq_window(cols); /* window along rows */
    int wc = tamis__pdq_window(rows); /* window along columns */
    int ring_rows = wc + 2 * LANES;
    if (ring_rows > rows)
        ring_rows = rows;
    size_t n, line;
    if (!tamis__mul_size((size_t)ring_rows, (size_t)cols, &n) ||
        !tamis__mul_size((size_t)cols, 2 + 3 * LANES, &line) ||
        !grow(&w->ring, &w->ring_cap, n) ||
        !grow(&w->b, &w->b_cap, (size_t)rows * 64) ||
        !grow(&w->line, &w->line_cap, line + LANES))
        return TAMIS_ERR_NOMEM;
    int colpos[64], rowpos[64];
    sample_positions(cols, colpos);
    sample_positions(rows, rowpos);

    /* line: [2 bands of cols x LANES][LANES output rows][sums][zeros],
     * the bands first so that they are 16-byte aligned. */
    ds_state s = {0};
    s.v = v;
    s.rows = rows, s.cols = cols, s.wr = wr, s.wc = wc;
    s.ring = w->ring, s.ring_rows = ring_rows;
    s.band_in = (v4f *)w->line;
    s.band_out = s.band_in + cols;
    s.outrows = (float *)(s.band_out + cols);
    float *sums = s.outrows + (size_t)LANES * cols;
    s.scratch = sums + cols;
    memset(s.scratch, 0, (size_t)cols * sizeof(float));
    s.b = w->b;
    s.colpos = colpos;
    pass1_cols(&s, sums);

    /* Pass 2 along columns over the 64 sampled columns, keeping 64 rows. */
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
