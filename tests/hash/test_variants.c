/*
 * test_variants.c - lib/hash/variants.c: the dihedral views (checked
 * element by element against hand-written results) and border trimming.
 */
#include "../../lib/hash/variants.h"
#include "../test.h"

static float at(const tamis__luma_view *v, int r, int c) {
    return v->base[r * v->rs + c * v->cs];
}

/* Source 2 x 3:  a b c / d e f  (a = 1 ... f = 6). */
static const float src[6] = {1, 2, 3, 4, 5, 6};

static void check_view(int kind, int rows, int cols, const float *want) {
    tamis__luma_view in = {src, 2, 3, 3, 1}, out;
    tamis__view_transform(&in, kind, &out);
    if (out.rows != rows || out.cols != cols)
        FAIL("%s: %dx%d, want %dx%d", tamis_pdq_variant_name((tamis_pdq_variant)kind),
             out.rows, out.cols, rows, cols);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            if (at(&out, r, c) != want[r * cols + c])
                FAIL("%s (%d,%d): %g, want %g",
                     tamis_pdq_variant_name((tamis_pdq_variant)kind), r, c,
                     (double)at(&out, r, c), (double)want[r * cols + c]);
}

TEST(view_original) { check_view(TAMIS_VARIANT_ORIGINAL, 2, 3, (float[]){1, 2, 3, 4, 5, 6}); }
/* Anticlockwise: the right column becomes the top row. */
TEST(view_rotate90_anticlockwise) {
    check_view(TAMIS_VARIANT_ROTATE90, 3, 2, (float[]){3, 6, 2, 5, 1, 4});
}
TEST(view_rotate180) { check_view(TAMIS_VARIANT_ROTATE180, 2, 3, (float[]){6, 5, 4, 3, 2, 1}); }
/* Clockwise: the left column, read upwards, becomes the top row. */
TEST(view_rotate270_clockwise) {
    check_view(TAMIS_VARIANT_ROTATE270, 3, 2, (float[]){4, 1, 5, 2, 6, 3});
}
TEST(view_flipx_top_bottom) { check_view(TAMIS_VARIANT_FLIPX, 2, 3, (float[]){4, 5, 6, 1, 2, 3}); }
TEST(view_flipy_left_right) { check_view(TAMIS_VARIANT_FLIPY, 2, 3, (float[]){3, 2, 1, 6, 5, 4}); }
TEST(view_flipplus1_transpose) {
    check_view(TAMIS_VARIANT_FLIPPLUS1, 3, 2, (float[]){1, 4, 2, 5, 3, 6});
}
TEST(view_flipminus1_anti_transpose) {
    check_view(TAMIS_VARIANT_FLIPMINUS1, 3, 2, (float[]){6, 3, 5, 2, 4, 1});
}

TEST(views_compose) {
    /* Views of views: four quarter-turns, or two mirrors, give the source
     * back; a quarter-turn each way cancels. */
    float grid[5 * 7];
    for (int i = 0; i < 35; i++)
        grid[i] = (float)i;
    tamis__luma_view in = {grid, 5, 7, 7, 1};
    static const int seqs[][4] = {
        {TAMIS_VARIANT_ROTATE90, TAMIS_VARIANT_ROTATE90, TAMIS_VARIANT_ROTATE90,
         TAMIS_VARIANT_ROTATE90},
        {TAMIS_VARIANT_FLIPX, TAMIS_VARIANT_FLIPX, 0, 0},
        {TAMIS_VARIANT_FLIPPLUS1, TAMIS_VARIANT_FLIPPLUS1, 0, 0},
        {TAMIS_VARIANT_FLIPMINUS1, TAMIS_VARIANT_FLIPMINUS1, 0, 0},
        {TAMIS_VARIANT_ROTATE90, TAMIS_VARIANT_ROTATE270, 0, 0},
        {TAMIS_VARIANT_FLIPX, TAMIS_VARIANT_FLIPY, TAMIS_VARIANT_ROTATE180, 0},
    };
    for (size_t s = 0; s < sizeof seqs / sizeof seqs[0]; s++) {
        tamis__luma_view v = in;
        for (int k = 0; k < 4; k++)
            tamis__view_transform(&v, seqs[s][k], &v);
        ASSERT_EQ(v.rows, 5);
        ASSERT_EQ(v.cols, 7);
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 7; c++)
                if (at(&v, r, c) != grid[r * 7 + c])
                    FAIL("sequence %zu: (%d,%d) is %g", s, r, c, (double)at(&v, r, c));
    }
}

/* ---- Trimming ---------------------------------------------------------- */

/* A rows x cols image of `border`, with textured content in the rectangle
 * top..top+h-1, left..left+w-1 (values 100..227, far from the border). */
static float *framed(int rows, int cols, float border, int top, int left, int h, int w) {
    float *p = malloc((size_t)rows * cols * sizeof *p);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int in = r >= top && r < top + h && c >= left && c < left + w;
            p[r * cols + c] = in ? (float)(100 + (r * 31 + c * 17) % 128) : border;
        }
    return p;
}

static void expect_trim(const float *p, int rows, int cols, int top, int left, int h, int w) {
    tamis__luma_view in = {p, rows, cols, cols, 1}, out;
    if (!tamis__view_trim(&in, &out))
        FAIL("not trimmed, want %dx%d at (%d,%d)", h, w, top, left);
    if (out.rows != h || out.cols != w || out.base != p + top * cols + left)
        FAIL("trimmed to %dx%d at offset %td, want %dx%d at (%d,%d)", out.rows, out.cols,
             out.base - p, h, w, top, left);
    ASSERT_EQ(out.rs, cols);
    ASSERT_EQ(out.cs, 1);
}

TEST(trim_uniform_frame) {
    float *p = framed(100, 120, 0.0f, 20, 15, 60, 80);
    expect_trim(p, 100, 120, 20, 15, 60, 80);
    free(p);
}

TEST(trim_letterbox_rows_only) {
    float *p = framed(90, 160, 16.0f, 12, 0, 66, 160);
    expect_trim(p, 90, 160, 12, 0, 66, 160);
    free(p);
}

TEST(trim_tolerates_noise_within_10_levels) {
    float *p = framed(80, 80, 30.0f, 10, 10, 60, 60);
    for (int r = 0; r < 80; r++)
        for (int c = 0; c < 80; c++)
            if (p[r * 80 + c] == 30.0f)
                p[r * 80 + c] += (float)((r * 7 + c * 3) % 17) - 8.0f; /* -8..8 */
    expect_trim(p, 80, 80, 10, 10, 60, 60);
    free(p);
}

TEST(trim_nothing_on_flat_image) {
    float *p = framed(50, 50, 77.0f, 0, 0, 0, 0);
    tamis__luma_view in = {p, 50, 50, 50, 1}, out = in;
    out.rows = -1;
    ASSERT_EQ(tamis__view_trim(&in, &out), 0);
    ASSERT_EQ(out.rows, -1); /* left alone */
    free(p);
}

TEST(trim_ignores_one_line_sliver) {
    /* One border row and one border column: too little to matter. */
    float *p = framed(60, 60, 0.0f, 1, 1, 59, 59);
    tamis__luma_view in = {p, 60, 60, 60, 1}, out;
    ASSERT_EQ(tamis__view_trim(&in, &out), 0);
    free(p);
}

TEST(trim_refuses_content_under_16_pixels) {
    float *p = framed(60, 60, 0.0f, 20, 10, 15, 40);
    tamis__luma_view in = {p, 60, 60, 60, 1}, out;
    ASSERT_EQ(tamis__view_trim(&in, &out), 0);
    free(p);
}

TEST(trim_no_border_no_trim) {
    float *p = framed(40, 40, 0.0f, 0, 0, 40, 40);
    tamis__luma_view in = {p, 40, 40, 40, 1}, out;
    ASSERT_EQ(tamis__view_trim(&in, &out), 0);
    free(p);
}
