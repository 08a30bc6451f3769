/*
 * test_pdq.c - lib/hash/pdq.c: each step of PDQ against an independent
 * computation (hand-computed values, a sort-based median, a naive
 * double-precision DCT-II, a straightforward full-buffer box filter), and
 * the whole hash from a luma view.
 */
#include <math.h>

#include "../../lib/hash/pdq.h"
#include "../test.h"

/* A small deterministic generator (xorshift32), so failures reproduce. */
static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Output o of the box filter of window w averages
 * in[max(0, o - (w - (w+2)/2)) .. min(n-1, o + (w+2)/2 - 1)]. Integer inputs
 * keep the sum exact, so the only rounding is the final division. */
static float box_expected(const float *in, int n, int w, int o) {
    int half = (w + 2) / 2;
    int lo = o - (w - half), hi = o + half - 1;
    if (lo < 0)
        lo = 0;
    if (hi > n - 1)
        hi = n - 1;
    double s = 0;
    for (int i = lo; i <= hi; i++)
        s += in[i];
    return (float)s / (float)(hi - lo + 1);
}

TEST(box1d_reference_examples) {
    /* The examples in the reference's downscaling.cpp, on 0..15. */
    float in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = (float)i;
    tamis__pdq_box1d(in, 1, out, 1, 16, 7);
    ASSERT_FLOAT_EQ(out[0], 6.0f / 4.0f);
    ASSERT_FLOAT_EQ(out[4], 28.0f / 7.0f);
    ASSERT_FLOAT_EQ(out[13], 75.0f / 6.0f);
    ASSERT_FLOAT_EQ(out[15], 54.0f / 4.0f); /* 12 + 13 + 14 + 15 */
    tamis__pdq_box1d(in, 1, out, 1, 16, 8);
    ASSERT_FLOAT_EQ(out[0], 10.0f / 5.0f);
    ASSERT_FLOAT_EQ(out[12], 84.0f / 7.0f);
}

TEST(box1d_matches_running_mean_formula) {
    /* Windows 1..8, odd and even, over lengths from the window up. */
    float in[64], out[64];
    for (int w = 1; w <= 8; w++)
        for (int n = w; n <= 40; n++) {
            for (int i = 0; i < n; i++)
                in[i] = (float)(rnd() % 256);
            memset(out, 0xff, sizeof out);
            tamis__pdq_box1d(in, 1, out, 1, n, w);
            for (int o = 0; o < n; o++) {
                float want = box_expected(in, n, w, o);
                if (memcmp(&out[o], &want, sizeof want) != 0)
                    FAIL("window %d, n %d, out[%d]: %.9g vs %.9g", w, n, o,
                         (double)out[o], (double)want);
            }
        }
}

TEST(box1d_writes_exactly_n_outputs) {
    float in[20], out[24];
    for (int i = 0; i < 20; i++)
        in[i] = (float)i;
    for (int w = 1; w <= 8; w++) {
        for (int i = 0; i < 24; i++)
            out[i] = -1.0f;
        tamis__pdq_box1d(in, 1, out, 1, 20, w);
        for (int i = 0; i < 20; i++)
            if (out[i] < 0)
                FAIL("window %d: out[%d] not written", w, i);
        for (int i = 20; i < 24; i++)
            ASSERT_FLOAT_EQ(out[i], -1.0f);
    }
}

TEST(box1d_honours_strides) {
    /* Columns of a row-major buffer: in every 3rd float, out every 2nd. */
    float in[3 * 30], out[2 * 30];
    for (int i = 0; i < 3 * 30; i++)
        in[i] = (float)(rnd() % 1000);
    float col[30];
    for (int i = 0; i < 30; i++)
        col[i] = in[3 * i];
    for (int w = 1; w <= 8; w++) {
        tamis__pdq_box1d(in, 3, out, 2, 30, w);
        for (int o = 0; o < 30; o++)
            ASSERT_FLOAT_EQ(out[2 * o], box_expected(col, 30, w, o));
    }
}

TEST(box1d_fractional_values_close_to_exact_mean) {
    float in[200], out[200];
    for (int i = 0; i < 200; i++)
        in[i] = (float)(rnd() % 100000) / 391.0f;
    for (int w = 1; w <= 33; w += 4) {
        tamis__pdq_box1d(in, 1, out, 1, 200, w);
        for (int o = 0; o < 200; o++)
            ASSERT_NEAR(out[o], box_expected(in, 200, w, o), 1e-3);
    }
}

TEST(window_is_ceil_of_dim_over_128) {
    static const int dims[][2] = {{1, 1},     {64, 1},    {127, 1},  {128, 1},
                                  {129, 2},   {256, 2},   {257, 3},  {500, 4},
                                  {512, 4},   {513, 5},   {1000, 8}, {1004, 8},
                                  {1600, 13}, {4032, 32}, {5312, 42}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (tamis__pdq_window(dims[i][0]) != dims[i][1])
            FAIL("window(%d) = %d, want %d", dims[i][0],
                 tamis__pdq_window(dims[i][0]), dims[i][1]);
}

/* ---- Median ------------------------------------------------------------ */

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float sorted_lower_median(const float *m, int n) {
    float *s = malloc((size_t)n * sizeof *s);
    memcpy(s, m, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_float);
    float r = s[(n - 1) / 2];
    free(s);
    return r;
}

TEST(median_matches_sort_on_random_data) {
    float m[301];
    for (int n = 1; n <= 301; n++) {
        for (int i = 0; i < n; i++)
            m[i] = (float)((int32_t)rnd() % 100000) / 7.0f;
        float got = tamis__pdq_median(m, n), want = sorted_lower_median(m, n);
        if (memcmp(&got, &want, sizeof got) != 0)
            FAIL("n %d: %.9g vs %.9g", n, (double)got, (double)want);
    }
}

TEST(median_even_n_is_lower_median) {
    float a[] = {4, 1, 3, 2};
    ASSERT_FLOAT_EQ(tamis__pdq_median(a, 4), 2.0f);
    float b[] = {10, -10};
    ASSERT_FLOAT_EQ(tamis__pdq_median(b, 2), -10.0f);
    float c[256];
    for (int i = 0; i < 256; i++)
        c[i] = (float)(255 - i);
    ASSERT_FLOAT_EQ(tamis__pdq_median(c, 256), 127.0f);
}

TEST(median_with_duplicates) {
    float m[256];
    for (int round = 0; round < 200; round++) {
        int n = round % 2 ? 256 : 255 - round % 7;
        int levels = 1 + round % 5;
        for (int i = 0; i < n; i++)
            m[i] = (float)(rnd() % (uint32_t)levels) * 0.5f;
        float got = tamis__pdq_median(m, n), want = sorted_lower_median(m, n);
        if (memcmp(&got, &want, sizeof got) != 0)
            FAIL("n %d, %d levels: %.9g vs %.9g", n, levels, (double)got,
                 (double)want);
    }
}

TEST(median_all_equal) {
    float m[256];
    for (int i = 0; i < 256; i++)
        m[i] = 3.25f;
    ASSERT_FLOAT_EQ(tamis__pdq_median(m, 256), 3.25f);
    ASSERT_FLOAT_EQ(tamis__pdq_median(m, 1), 3.25f);
}

/* ---- DCT --------------------------------------------------------------- */

/* B[u][v] = (2/64) sum_x sum_y cos(pi (u+1)(2x+1) / 128) cos(pi (v+1)(2y+1) / 128) A[x][y],
 * u along rows (x), v along columns (y); the DC term is not kept. */
static void naive_dct(const float a[64][64], double b[16][16]) {
    const double pi = 3.14159265358979323846;
    static double c[16][64];
    for (int u = 0; u < 16; u++)
        for (int x = 0; x < 64; x++)
            c[u][x] = cos(pi * (u + 1) * (2 * x + 1) / 128.0);
    for (int u = 0; u < 16; u++)
        for (int v = 0; v < 16; v++) {
            double s = 0;
            for (int x = 0; x < 64; x++)
                for (int y = 0; y < 64; y++)
                    s += c[u][x] * c[v][y] * a[x][y];
            b[u][v] = s * 2.0 / 64.0;
        }
}

TEST(dct_matches_naive_double_dct) {
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = (float)(rnd() % 256);
    float b[16][16];
    double want[16][16];
    tamis__pdq_dct64to16(a, b);
    naive_dct(a, want);
    for (int u = 0; u < 16; u++)
        for (int v = 0; v < 16; v++)
            if (fabs(b[u][v] - want[u][v]) > 0.02 + 1e-5 * fabs(want[u][v]))
                FAIL("B[%d][%d]: %.6f vs %.6f", u, v, (double)b[u][v], want[u][v]);
}

TEST(dct_of_basis_function_is_one_coefficient) {
    /* A = cos(pi (u0+1)(2x+1)/128) cos(pi (v0+1)(2y+1)/128): each cosine
     * squared sums to 32 over 64 samples, so B[u0][v0] = (2/64) 32 32 = 32
     * and every other coefficient is 0. u0 != v0 checks the orientation. */
    const double pi = 3.14159265358979323846;
    const int u0 = 2, v0 = 5;
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = (float)(cos(pi * (u0 + 1) * (2 * x + 1) / 128.0) *
                              cos(pi * (v0 + 1) * (2 * y + 1) / 128.0));
    float b[16][16];
    tamis__pdq_dct64to16(a, b);
    for (int u = 0; u < 16; u++)
        for (int v = 0; v < 16; v++)
            ASSERT_NEAR(b[u][v], (u == u0 && v == v0) ? 32.0 : 0.0, 1e-4);
}

TEST(dct_of_flat_image_is_zero) {
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = 200.0f;
    float b[16][16];
    tamis__pdq_dct64to16(a, b);
    for (int u = 0; u < 16; u++)
        for (int v = 0; v < 16; v++)
            ASSERT_NEAR(b[u][v], 0.0, 1e-2);
}

/* ---- Quality ----------------------------------------------------------- */

TEST(quality_flat_is_0) {
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = 117.0f;
    ASSERT_EQ(tamis__pdq_quality(a), 0);
}

TEST(quality_checkerboard_is_100) {
    /* Every gradient is 255 -> 100 points; 8064 of them sum to 806400, and
     * 806400 / 90 is capped at 100. */
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = (x + y) % 2 ? 255.0f : 0.0f;
    ASSERT_EQ(tamis__pdq_quality(a), 100);
}

TEST(quality_single_edge_hand_computed) {
    /* One vertical edge 0 -> 255: 64 gradients of 100, sum 6400, / 90 = 71. */
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = y < 32 ? 0.0f : 255.0f;
    ASSERT_EQ(tamis__pdq_quality(a), 71);
    /* The same edge horizontal. */
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = x < 32 ? 255.0f : 0.0f;
    ASSERT_EQ(tamis__pdq_quality(a), 71);
}

TEST(quality_truncates_each_gradient) {
    /* Steps of 1 give 100/255 = 0.39 -> 0; steps of 3 give 1.18 -> 1 each:
     * 63 x 64 = 4032, / 90 = 44. */
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = (float)y;
    ASSERT_EQ(tamis__pdq_quality(a), 0);
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = (float)(3 * y);
    ASSERT_EQ(tamis__pdq_quality(a), 44);
}

/* ---- Bits -------------------------------------------------------------- */

static int bit_of(const tamis_pdq *h, int k) {
    return (h->bytes[31 - k / 8] >> (k % 8)) & 1;
}

TEST(bits_layout_bit_k_in_byte_31_minus_k_over_8) {
    /* Coefficient k = 16 i + j has value k: the lower median of 0..255 is
     * 127, so bits 128..255 are set, i.e. bytes 0..15. */
    float d[16][16];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            d[i][j] = (float)(16 * i + j);
    tamis_pdq h;
    tamis__pdq_bits(d, &h);
    for (int b = 0; b < 32; b++)
        ASSERT_EQ(h.bytes[b], b < 16 ? 0xff : 0x00);
}

TEST(bits_set_for_coefficients_above_median) {
    /* A random half of the coefficients is 1, the rest -1. */
    for (int round = 0; round < 20; round++) {
        float d[16][16];
        int hi[256] = {0}, nset = 0;
        while (nset < 128) {
            int k = (int)(rnd() % 256);
            if (!hi[k])
                hi[k] = 1, nset++;
        }
        for (int k = 0; k < 256; k++)
            d[k / 16][k % 16] = hi[k] ? 1.0f : -1.0f;
        tamis_pdq h;
        tamis__pdq_bits(d, &h);
        for (int k = 0; k < 256; k++)
            if (bit_of(&h, k) != hi[k])
                FAIL("round %d, bit %d: %d vs %d", round, k, bit_of(&h, k), hi[k]);
    }
}

TEST(bits_equal_to_median_not_set) {
    /* 129 ones and 127 zeros: the lower median is 1 and nothing is
     * strictly above it. */
    float d[16][16];
    for (int k = 0; k < 256; k++)
        d[k / 16][k % 16] = k < 127 ? 0.0f : 1.0f;
    tamis_pdq h;
    tamis__pdq_bits(d, &h);
    static const tamis_pdq zero;
    ASSERT_EQ(memcmp(&h, &zero, sizeof h), 0);
}

/* ---- The whole hash ---------------------------------------------------- */

static int popcount_hash(const tamis_pdq *h) {
    int n = 0;
    for (int i = 0; i < 32; i++)
        n += __builtin_popcount(h->bytes[i]);
    return n;
}

static tamis__luma_view view_of(const float *p, int rows, int cols) {
    tamis__luma_view v = {p, rows, cols, cols, 1};
    return v;
}

TEST(small_images_hash_to_zero_quality_0) {
    static const int dims[][2] = {{1, 1}, {4, 4}, {4, 100}, {100, 4}, {3, 640}};
    float *p = malloc(640 * 640 * sizeof *p);
    for (int i = 0; i < 640 * 640; i++)
        p[i] = (float)(rnd() % 256);
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        tamis__pdq_work w = {0};
        tamis__luma_view v = view_of(p, dims[i][0], dims[i][1]);
        tamis_pdq h;
        memset(&h, 0x5a, sizeof h);
        int q = -1;
        ASSERT_OK(tamis__pdq_from_luma(&w, &v, &h, &q));
        if (popcount_hash(&h) != 0 || q != 0)
            FAIL("%dx%d: %d bits set, quality %d", dims[i][0], dims[i][1],
                 popcount_hash(&h), q);
        tamis__pdq_work_free(&w);
    }
    free(p);
}

TEST(five_pixel_image_is_hashed) {
    float p[25];
    for (int i = 0; i < 25; i++)
        p[i] = (float)(rnd() % 256);
    tamis__pdq_work w = {0};
    tamis__luma_view v = view_of(p, 5, 5);
    tamis_pdq h;
    int q;
    ASSERT_OK(tamis__pdq_from_luma(&w, &v, &h, &q));
    ASSERT_GT(popcount_hash(&h), 0);
    ASSERT_GT(q, 0);
    tamis__pdq_work_free(&w);
}

TEST(input_64x64_used_as_is) {
    /* The reference takes a 64x64 image as already downsampled: no blur. */
    static float a[64][64];
    for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            a[x][y] = (float)(rnd() % 256);
    float dct[16][16];
    tamis_pdq want, got;
    int want_q = tamis__pdq_quality(a), got_q;
    tamis__pdq_dct64to16(a, dct);
    tamis__pdq_bits(dct, &want);
    tamis__pdq_work w = {0};
    tamis__luma_view v = view_of(&a[0][0], 64, 64);
    ASSERT_OK(tamis__pdq_from_luma(&w, &v, &got, &got_q));
    ASSERT_EQ(memcmp(&got, &want, sizeof got), 0);
    ASSERT_EQ(got_q, want_q);
    ASSERT_EQ(got_q, 100); /* unblurred noise; blurred it would score less */
    tamis__pdq_work_free(&w);
}

/* The reference's pipeline written plainly over full buffers: two passes
 * of (rows, then columns) box filter, then decimation at the cell centres.
 * It uses tamis__pdq_box1d, checked above against the formula, so it pins
 * the optimised downsampling in pdq.c to the reference's order of
 * operations. */
static void naive_pdq(const float *img, int rows, int cols, tamis_pdq *h, int *q) {
    size_t n = (size_t)rows * (size_t)cols;
    float *b1 = malloc(n * sizeof *b1), *b2 = malloc(n * sizeof *b2);
    memcpy(b1, img, n * sizeof *b1);
    int wr = (cols + 127) / 128, wc = (rows + 127) / 128;
    for (int rep = 0; rep < 2; rep++) {
        for (int r = 0; r < rows; r++)
            tamis__pdq_box1d(b1 + (size_t)r * cols, 1, b2 + (size_t)r * cols, 1, cols, wr);
        for (int c = 0; c < cols; c++)
            tamis__pdq_box1d(b2 + c, cols, b1 + c, cols, rows, wc);
    }
    static float a[64][64];
    for (int i = 0; i < 64; i++) {
        int ii = (int)(((i + 0.5) * rows) / 64);
        for (int j = 0; j < 64; j++) {
            int jj = (int)(((j + 0.5) * cols) / 64);
            a[i][j] = b1[(size_t)ii * cols + jj];
        }
    }
    float dct[16][16];
    *q = tamis__pdq_quality(a);
    tamis__pdq_dct64to16(a, dct);
    tamis__pdq_bits(dct, h);
    free(b1);
    free(b2);
}

/* A smooth random picture: a few blobs and gradients, plus noise. */
static float *make_picture(int rows, int cols) {
    float *p = malloc((size_t)rows * cols * sizeof *p);
    double fx = 1 + rnd() % 5, fy = 1 + rnd() % 5, ph = rnd() % 100;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double x = (double)c / cols, y = (double)r / rows;
            double v = 128 + 60 * sin(6.28 * fx * x + ph) * cos(6.28 * fy * y) +
                       40 * (x - y) + (double)(rnd() % 32);
            p[(size_t)r * cols + c] = (float)(v < 0 ? 0 : v > 255 ? 255 : (int)v);
        }
    return p;
}

TEST(from_luma_matches_plain_reference_pipeline) {
    static const int dims[][2] = {{5, 5},     {20, 30},   {63, 65},  {65, 63},
                                  {64, 100},  {100, 37},  {128, 129}, {129, 257},
                                  {300, 7},   {7, 300},   {480, 640}, {1004, 1600},
                                  {1000, 13}, {2000, 150}};
    tamis__pdq_work w = {0}; /* reused: buffers grow and shrink in use */
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        int rows = dims[i][0], cols = dims[i][1];
        float *p = make_picture(rows, cols);
        tamis_pdq got, want;
        int gq, wq;
        tamis__luma_view v = view_of(p, rows, cols);
        ASSERT_OK(tamis__pdq_from_luma(&w, &v, &got, &gq));
        naive_pdq(p, rows, cols, &want, &wq);
        if (memcmp(&got, &want, sizeof got) != 0 || gq != wq) {
            int d = tamis_pdq_distance(&got, &want);
            FAIL("%dx%d: distance %d bits, quality %d vs %d", rows, cols, d, gq, wq);
        }
        free(p);
    }
    tamis__pdq_work_free(&w);
}

TEST(from_luma_honours_view_strides) {
    /* A transposed view (rs = 1, cs = rows) hashes like a transposed copy. */
    int rows = 150, cols = 97;
    float *p = make_picture(rows, cols), *t = malloc((size_t)rows * cols * sizeof *t);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            t[(size_t)c * rows + r] = p[(size_t)r * cols + c];
    tamis__luma_view tv = {p, cols, rows, 1, cols};
    tamis__luma_view cv = view_of(t, cols, rows);
    tamis__pdq_work w = {0};
    tamis_pdq a, b;
    int qa, qb;
    ASSERT_OK(tamis__pdq_from_luma(&w, &tv, &a, &qa));
    ASSERT_OK(tamis__pdq_from_luma(&w, &cv, &b, &qb));
    ASSERT_EQ(tamis_pdq_distance(&a, &b), 0);
    ASSERT_EQ(qa, qb);
    tamis__pdq_work_free(&w);
    free(p);
    free(t);
}

TEST(from_luma_reports_nomem) {
    int rows = 100, cols = 100;
    float *p = make_picture(rows, cols);
    tamis__luma_view v = view_of(p, rows, cols);
    tamis__pdq_work w = {0};
    tamis_pdq h;
    int q;
    tamis__alloc_fail_at(1);
    tamis_status st = tamis__pdq_from_luma(&w, &v, &h, &q);
    tamis__alloc_fail_at(0);
    ASSERT_EQ(st, TAMIS_ERR_NOMEM);
    tamis__pdq_work_free(&w);
    free(p);
}
