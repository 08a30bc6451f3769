/*
 * variants.c - query-side variants of a luma image: its 8 dihedral
 * transforms and the image with uniform borders trimmed.
 *
 * The reference approximates a rotated or mirrored image's hash by flipping
 * signs of DCT coefficients; that is exact only for images whose sides are
 * multiples of 128 with odd filter windows. Here a variant is a strided view
 * of the same pixels, hashed by the full pipeline, so the variant hash is
 * exactly the hash of the losslessly transformed image.
 */
#include "pdq.h"
#include "variants.h"

void tamis__view_transform(const tamis__luma_view *in, int kind,
                           tamis__luma_view *out) {
    /* (r, c) of the output picks in(R, C); H x W is the input size. */
    const float *b = in->base;
    ptrdiff_t rs = in->rs, cs = in->cs;
    int H = in->rows, W = in->cols;
    tamis__luma_view v = *in;
    switch (kind) {
    case TAMIS_VARIANT_FLIPX: /* mirror about the x axis (top-bottom):
                                 in(H-1-r, c) */
        v.base = b + (H - 1) * rs, v.rs = -rs;
        break;
    case TAMIS_VARIANT_FLIPY: /* mirror about the y axis (left-right):
                                 in(r, W-1-c) */
        v.base = b + (W - 1) * cs, v.cs = -cs;
        break;
    case TAMIS_VARIANT_ROTATE180: /* in(H-1-r, W-1-c) */
        v.base = b + (H - 1) * rs + (W - 1) * cs, v.rs = -rs, v.cs = -cs;
        break;
    case TAMIS_VARIANT_FLIPPLUS1: /* transpose: in(c, r) */
        v.rows = W, v.cols = H, v.rs = cs, v.cs = rs;
        break;
    case TAMIS_VARIANT_ROTATE90: /* anticlockwise: in(c, W-1-r) */
        v.rows = W, v.cols = H, v.base = b + (W - 1) * cs, v.rs = -cs, v.cs = rs;
        break;
    case TAMIS_VARIANT_ROTATE270: /* clockwise: in(H-1-c, r) */
        v.rows = W, v.cols = H, v.base = b + (H - 1) * rs, v.rs = cs, v.cs = -rs;
        break;
    case TAMIS_VARIANT_FLIPMINUS1: /* anti-transpose: in(H-1-c, W-1-r) */
        v.rows = W, v.cols = H, v.base = b + (H - 1) * rs + (W - 1) * cs;
        v.rs = -cs, v.cs = -rs;
        break;
    default:
        break;
    }
    *out = v;
}

static float at(const tamis__luma_view *v, int r, int c) {
    return v->base[r * v->rs + c * v->cs];
}

/* A line (row or column) belongs to a border when all its pixels lie
 * within TRIM_TOLERANCE of the border's colour, taken from the outermost
 * line. The tolerance absorbs JPEG noise on a flat bar. */
#define TRIM_TOLERANCE 10.0f

static int line_uniform(const tamis__luma_view *v, int fixed, int is_row, int from,
                        int to, float ref) {
    for (int i = from; i < to; i++) {
        float p = is_row ? at(v, fixed, i) : at(v, i, fixed);
        if (p < ref - TRIM_TOLERANCE || p > ref + TRIM_TOLERANCE)
            return 0;
    }
    return 1;
}

static float line_mean(const tamis__luma_view *v, int fixed, int is_row, int from,
                       int to) {
    double s = 0;
    for (int i = from; i < to; i++)
        s += is_row ? at(v, fixed, i) : at(v, i, fixed);
    return (float)(s / (to - from));
}

int tamis__view_trim(const tamis__luma_view *in, tamis__luma_view *out) {
    int top = 0, bottom = in->rows, left = 0, right = in->cols;
    float ref;
    /* Rows from the top and the bottom, then columns within what is left. */
    ref = line_mean(in, 0, 1, 0, in->cols);
    while (top < bottom && line_uniform(in, top, 1, 0, in->cols, ref))
        top++;
    if (top == bottom)
        return 0; /* the whole image is flat: nothing to trim to */
    ref = line_mean(in, in->rows - 1, 1, 0, in->cols);
    while (bottom > top && line_uniform(in, bottom - 1, 1, 0, in->cols, ref))
        bottom--;
    ref = line_mean(in, 0, 0, top, bottom);
    while (left < right && line_uniform(in, left, 0, top, bottom, ref))
        left++;
    ref = line_mean(in, in->cols - 1, 0, top, bottom);
    while (right > left && line_uniform(in, right - 1, 0, top, bottom, ref))
        right--;
    /* Ignore slivers (a 1-pixel frame changes no hash) and leave images
     * whose content would be too small to hash. */
    int dr = in->rows - (bottom - top), dc = in->cols - (right - left);
    if ((dr < 2 && dc < 2) || bottom - top < 16 || right - left < 16)
        return 0;
    *out = *in;
    out->base = in->base + top * in->rs + left * in->cs;
    out->rows = bottom - top;
    out->cols = right - left;
    return 1;
}
