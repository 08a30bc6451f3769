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

/* A vector of 4 floats: SSE on x86-64, NEON on ARM, through GCC's and
 * clang's vector extension. Lane-wise IEEE operations, like scalar ones. */
typedef float v4f __attribute__((vector_size(16)));

static inline v4f splat(float x) { return (v4f){x, x, x, x}; }

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

/* Row operations of the pass along columns, written with explicit vectors
 * (GCC -O2 leaves loops of unknown length scalar); every element gets the
 * scalar operations in the scalar order: s = s + a, s = s - b, o = s / c. */
static inline v4f ld(const float *p) {
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void st(float *p, v4f v) { memcpy(p, &v, sizeof v); }

static void row_add(float *restrict s, const float *restrict a, int w) {
    int j = 0;
    for (; j + 4 <= w; j += 4)
        st(s + j, ld(s + j) + ld(a + j));
    for (; j < w; j++)
        s[j] += a[j];
}

static void row_add_div(float *restrict s, const float *restrict a,
                        float *restrict o, float c, int w) {
    v4f cv = {c, c, c, c};
    int j = 0;
    for (; j + 4 <= w; j += 4) {
        v4f t = ld(s + j) + ld(a + j);
        st(s + j, t);
        st(o + j, t / cv);
    }
    for (; j < w; j++) {
        s[j] += a[j];
        o[j] = s[j] / c;
    }
}

static void row_add_sub_div(float *restrict s, const float *restrict a,
                            const float *restrict b, float *restrict o, float c,
                            int w) {
    v4f cv = {c, c, c, c};
    int j = 0;
    for (; j + 4 <= w; j += 4) {
        v4f t = ld(s + j) + ld(a + j);
        t -= ld(b + j);
        st(s + j, t);
        st(o + j, t / cv);
    }
    for (; j < w; j++) {
        float t = s[j] + a[j];
        s[j] = t - b[j];
        o[j] = s[j] / c;
    }
}

static void row_sub_div(float *restrict s, const float *restrict b,
                        float *restrict o, float c, int w) {
    v4f cv = {c, c, c, c};
    int j = 0;
    for (; j + 4 <= w; j += 4) {
        v4f t = ld(s + j) - ld(b + j);
        st(s + j, t);
        st(o + j, t / cv);
    }
    for (; j < w; j++) {
        s[j] -= b[j];
        o[j] = s[j] / c;
    }
}

/* The running mean down the columns of a matrix of `width` floats per row,
 * all columns at once. row(ctx, r) returns input row r (rows are asked for
 * in increasing order of their last use); out(ctx, oi) says where output
 * row oi goes and done(ctx, oi) is called once it is written. */
typedef struct {
    const float *(*row)(void *ctx, int r);
    float *(*out)(void *ctx, int oi);
    void (*done)(void *ctx, int oi);
    void *ctx;
} col_io;

static void box_cols(int n, int width, int window, float *sums, const col_io *io) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    memset(sums, 0, (size_t)width * sizeof *sums);
    for (int i = 0; i < p1; i++, ri++, cnt++)
        row_add(sums, io->row(io->ctx, ri), width);
    for (int i = 0; i < p2; i++, ri++, oi++) {
        cnt++;
        row_add_div(sums, io->row(io->ctx, ri), io->out(io->ctx, oi), (float)cnt, width);
        io->done(io->ctx, oi);
    }
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        const float *a = io->row(io->ctx, ri); /* first: it may refill a ring */
        row_add_sub_div(sums, a, io->row(io->ctx, li), io->out(io->ctx, oi),
                        (float)cnt, width);
        io->done(io->ctx, oi);
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        cnt--;
        row_sub_div(sums, io->row(io->ctx, li), io->out(io->ctx, oi), (float)cnt, width);
        io->done(io->ctx, oi);
    }
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

/* ---- A band of rows at once ---------------------------------------------
 *
 * A running mean along one row is a chain of dependent additions, so it
 * runs at the latency of the adder. Rows are independent: a band of BAND
 * rows, transposed into the lanes of a vector, goes through the chain at
 * once (the compiler splits the vector into as many SSE or NEON registers
 * as it takes, which are independent chains too). Each lane still sees
 * exactly the scalar sequence of operations. */

#define BAND 8 /* rows per band: two vectors of 4 */

/* A band's column j is two vectors, in[2j] (rows 0-3) and in[2j+1] (rows
 * 4-7); keeping them in two named variables makes two register chains. */
typedef struct {
    v4f v[2];
} vband;

/* box1d on a band: in[j] holds column j of the BAND rows. */
static void box_band(const vband *in, int n, int window, vband *out) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    v4f s0 = splat(0.0f), s1 = splat(0.0f);
    for (int i = 0; i < p1; i++, ri++, cnt++)
        s0 += in[ri].v[0], s1 += in[ri].v[1];
    for (int i = 0; i < p2; i++, ri++, oi++) {
        s0 += in[ri].v[0], s1 += in[ri].v[1];
        v4f c = splat((float)++cnt);
        out[oi].v[0] = s0 / c, out[oi].v[1] = s1 / c;
    }
    v4f c = splat((float)cnt);
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        s0 += in[ri].v[0], s1 += in[ri].v[1];
        s0 -= in[li].v[0], s1 -= in[li].v[1];
        out[oi].v[0] = s0 / c, out[oi].v[1] = s1 / c;
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        s0 -= in[li].v[0], s1 -= in[li].v[1];
        c = splat((float)--cnt);
        out[oi].v[0] = s0 / c, out[oi].v[1] = s1 / c;
    }
}

/* The same, keeping only the outputs at the 64 sorted positions pos[]. */
static void box_band_sampled(const vband *in, int n, int window, const int *pos,
                             vband *out) {
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, k = 0, cnt = 0;
    v4f s0 = splat(0.0f), s1 = splat(0.0f), c;
    for (int i = 0; i < p1; i++, ri++, cnt++)
        s0 += in[ri].v[0], s1 += in[ri].v[1];
    for (int i = 0; i < p2; i++, ri++, oi++) {
        s0 += in[ri].v[0], s1 += in[ri].v[1];
        c = splat((float)++cnt);
        for (; k < 64 && pos[k] == oi; k++)
            out[k].v[0] = s0 / c, out[k].v[1] = s1 / c;
    }
    c = splat((float)cnt);
    /* Between two samples nothing is kept: run the chains alone. */
    for (int i = 0; i < p3 && k < 64;) {
        int stop = pos[k] - oi; /* steps before the next sample */
        if (stop > p3 - i)
            stop = p3 - i;
        for (int t = 0; t < stop; t++, ri++, li++) {
            s0 += in[ri].v[0], s1 += in[ri].v[1];
            s0 -= in[li].v[0], s1 -= in[li].v[1];
        }
        i += stop, oi += stop;
        if (i == p3)
            break;
        s0 += in[ri].v[0], s1 += in[ri].v[1];
        s0 -= in[li].v[0], s1 -= in[li].v[1];
        ri++, li++;
        for (; k < 64 && pos[k] == oi; k++)
            out[k].v[0] = s0 / c, out[k].v[1] = s1 / c;
        i++, oi++;
    }
    for (int i = 0; i < p4 && k < 64; i++, li++, oi++) {
        s0 -= in[li].v[0], s1 -= in[li].v[1];
        c = splat((float)--cnt);
        for (; k < 64 && pos[k] == oi; k++)
            out[k].v[0] = s0 / c, out[k].v[1] = s1 / c;
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

/* Writes columns 0..n-1 of the BAND rows src[] as n band vectors, 4x4
 * blocks at a time. */
static void rows_to_band(const float *const src[BAND], int n, vband *dst) {
    float *d = (float *)dst;
    for (int g = 0; g < BAND; g += 4) {
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            v4f a = ld(src[g] + j), b = ld(src[g + 1] + j), c = ld(src[g + 2] + j),
                e = ld(src[g + 3] + j);
            transpose4(&a, &b, &c, &e);
            st(d + (size_t)j * BAND + g, a);
            st(d + (size_t)(j + 1) * BAND + g, b);
            st(d + (size_t)(j + 2) * BAND + g, c);
            st(d + (size_t)(j + 3) * BAND + g, e);
        }
        for (; j < n; j++)
            for (int l = 0; l < 4; l++)
                d[(size_t)j * BAND + g + l] = src[g + l][j];
    }
}

/* The reverse: n band vectors into columns 0..n-1 of the rows dst[]. */
static void band_to_rows(const vband *src, int n, float *const dst[BAND]) {
    const float *s = (const float *)src;
    for (int g = 0; g < BAND; g += 4) {
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            v4f a = ld(s + (size_t)j * BAND + g), b = ld(s + (size_t)(j + 1) * BAND + g),
                c = ld(s + (size_t)(j + 2) * BAND + g), e = ld(s + (size_t)(j + 3) * BAND + g);
            transpose4(&a, &b, &c, &e);
            st(dst[g] + j, a), st(dst[g + 1] + j, b);
            st(dst[g + 2] + j, c), st(dst[g + 3] + j, e);
        }
        for (; j < n; j++)
            for (int l = 0; l < 4; l++)
                dst[g + l][j] = s[(size_t)j * BAND + g + l];
    }
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
    vband *band_in, *band_out; /* cols vectors each */
    float *outrows;            /* BAND x cols: output rows of pass 1 along
                                  columns waiting for pass 2 along rows */
    float *b;
    const int *colpos;
    float *scratch;  /* cols zeros, read in place of rows past the end */
    float *scratch2; /* cols floats written in place of such rows */
} ds_state;

static void fill_ring(ds_state *s, int need) {
    const tamis__luma_view *v = s->v;
    while (s->next_row <= need) {
        int r0 = s->next_row, nl = s->rows - r0 < BAND ? s->rows - r0 : BAND;
        if (v->cs == 1) {
            const float *src[BAND];
            for (int l = 0; l < BAND; l++)
                src[l] = l < nl ? v->base + (r0 + l) * v->rs : s->scratch;
            rows_to_band(src, s->cols, s->band_in);
        } else {
            /* A rotated or mirrored view: gather pixel by pixel. */
            for (int j = 0; j < s->cols; j++) {
                vband t = {{splat(0.0f), splat(0.0f)}};
                const float *p = v->base + r0 * v->rs + j * v->cs;
                for (int l = 0; l < nl; l++)
                    t.v[l / 4][l % 4] = p[l * v->rs];
                s->band_in[j] = t;
            }
        }
        box_band(s->band_in, s->cols, s->wr, s->band_out);
        float *dst[BAND];
        /* Rows past the end go to a scratch row. */
        for (int l = 0; l < BAND; l++)
            dst[l] = l < nl ? s->ring + (size_t)((r0 + l) % s->ring_rows) * s->cols
                            : s->scratch2;
        band_to_rows(s->band_out, s->cols, dst);
        s->next_row += nl;
    }
}

static const float *ring_row(ds_state *s, int r) {
    fill_ring(s, r);
    return s->ring + (size_t)(r % s->ring_rows) * s->cols;
}

/* Runs pass 2 along rows on the gathered output rows o0..o0+n-1. */
static void flush_band(ds_state *s, int o0, int n) {
    vband out64[64];
    const float *src[BAND];
    for (int l = 0; l < BAND; l++)
        src[l] = l < n ? s->outrows + (size_t)l * s->cols : s->scratch;
    rows_to_band(src, s->cols, s->band_in);
    box_band_sampled(s->band_in, s->cols, s->wr, s->colpos, out64);
    for (int l = 0; l < n; l++) {
        float *dst = s->b + (size_t)(o0 + l) * 64;
        for (int k = 0; k < 64; k++)
            dst[k] = out64[k].v[l / 4][l % 4];
    }
}

static const float *ring_io_row(void *ctx, int r) { return ring_row(ctx, r); }

static float *band_io_out(void *ctx, int oi) {
    ds_state *s = ctx;
    return s->outrows + (size_t)(oi % BAND) * s->cols;
}

static void band_io_done(void *ctx, int oi) {
    ds_state *s = ctx;
    int lane = oi % BAND;
    if (lane == BAND - 1 || oi == s->rows - 1)
        flush_band(s, oi - lane, lane + 1);
}

/* Pass 2 along columns runs over the 64 sampled columns (rows x 64) and
 * keeps the 64 sampled rows. */
typedef struct {
    const float *b;
    float (*out)[64];
    const int *rowpos;
    int k;
    float row[64];
} last_pass;

static const float *last_io_row(void *ctx, int r) {
    return ((last_pass *)ctx)->b + (size_t)r * 64;
}
static float *last_io_out(void *ctx, int oi) { return ((last_pass *)ctx)->row; }
static void last_io_done(void *ctx, int oi) {
    last_pass *c = ctx;
    while (c->k < 64 && c->rowpos[c->k] == oi)
        memcpy(c->out[c->k++], c->row, sizeof c->row);
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
    int ring_rows = wc + 2 * BAND;
    if (ring_rows > rows)
        ring_rows = rows;
    size_t n, line;
    if (!tamis__mul_size((size_t)ring_rows, (size_t)cols, &n) ||
        !tamis__mul_size((size_t)cols, 3 + 3 * BAND, &line) ||
        !grow(&w->ring, &w->ring_cap, n) ||
        !grow(&w->b, &w->b_cap, (size_t)rows * 64) ||
        !grow(&w->line, &w->line_cap, line + BAND))
        return TAMIS_ERR_NOMEM;
    int colpos[64], rowpos[64];
    sample_positions(cols, colpos);
    sample_positions(rows, rowpos);

    /* line: [2 bands of cols vectors][BAND output rows][sums][zeros]
     * [scratch], the bands first so that they are aligned. */
    ds_state s = {0};
    s.v = v;
    s.rows = rows, s.cols = cols, s.wr = wr, s.wc = wc;
    s.ring = w->ring, s.ring_rows = ring_rows;
    s.band_in = (vband *)w->line;
    s.band_out = s.band_in + cols;
    s.outrows = (float *)(s.band_out + cols);
    float *sums = s.outrows + (size_t)BAND * cols;
    s.scratch = sums + cols;
    s.scratch2 = s.scratch + cols;
    memset(s.scratch, 0, (size_t)cols * sizeof(float));
    s.b = w->b;
    s.colpos = colpos;
    /* Pass 1 along columns, each output row going into a band for pass 2
     * along rows, which keeps the 64 sampled columns. */
    col_io io1 = {ring_io_row, band_io_out, band_io_done, &s};
    box_cols(rows, cols, wc, sums, &io1);

    /* Pass 2 along columns over those 64 columns, keeping 64 rows. */
    last_pass lp = {w->b, out, rowpos, 0, {0}};
    float sums64[64];
    col_io io2 = {last_io_row, last_io_out, last_io_done, &lp};
    box_cols(rows, 64, wc, sums64, &io2);
    return TAMIS_OK;
}

tamis_status tamis__pdq_float_from_luma(tamis__pdq_work *w, const tamis__luma_view *v,
                                        float dct[16][16], int *quality) {
    if (v->rows < TAMIS__PDQ_MIN_DIM || v->cols < TAMIS__PDQ_MIN_DIM) {
        memset(dct, 0, 16 * sizeof dct[0]);
        *quality = 0;
        return TAMIS_OK;
    }
    float a64[64][64];
    tamis_status st = downsample(w, v, a64);
    if (st != TAMIS_OK)
        return st;
    *quality = tamis__pdq_quality(a64);
    tamis__pdq_dct64to16(a64, dct);
    return TAMIS_OK;
}

tamis_status tamis__pdq_from_luma(tamis__pdq_work *w, const tamis__luma_view *v,
                                  tamis_pdq *hash, int *quality) {
    if (v->rows < TAMIS__PDQ_MIN_DIM || v->cols < TAMIS__PDQ_MIN_DIM) {
        memset(hash, 0, sizeof *hash);
        *quality = 0;
        return TAMIS_OK;
    }
    float dct[16][16];
    tamis_status st = tamis__pdq_float_from_luma(w, v, dct, quality);
    if (st != TAMIS_OK)
        return st;
    tamis__pdq_bits(dct, hash);
    return TAMIS_OK;
}
