/*
 * pdq.h - the PDQ hash from a float luma image (internal interface).
 *
 * The algorithm follows Meta's reference (pdqhash-2017-10-09.pdf and the
 * C++ implementation in ThreatExchange) operation for operation, in single
 * precision and in the same order, so that the bits are identical.
 */
#ifndef TAMIS_HASH_PDQ_H
#define TAMIS_HASH_PDQ_H

#include <stddef.h>

#include "../common/common.h"

/* A strided, read-only view of a luma image: pixel (r, c) is at
 * base[r * rs + c * cs]. Crops, rotations and mirrors are views of the
 * same buffer, so no pixel is copied to hash them. */
typedef struct tamis__luma_view {
    const float *base;
    int rows, cols;
    ptrdiff_t rs, cs;
} tamis__luma_view;

/* Work buffers reused between hashes. Zero-initialise, free with
 * tamis__pdq_work_free. */
typedef struct tamis__pdq_work {
    float *ring; /* (window + 8) x cols: recent rows after the first pass
                    along rows, a ring indexed by row modulo its height */
    size_t ring_cap;
    float *b;    /* rows x 64: the 64 sampled columns after three passes */
    size_t b_cap;
    float *line; /* 4 x cols running sums, output row, and two 4-lane
                    transposed bands of cols x 4 */
    size_t line_cap;
} tamis__pdq_work;

void tamis__pdq_work_free(tamis__pdq_work *w);

/* Images smaller than this along either side hash to all zeros, quality 0,
 * as in the reference. */
#define TAMIS__PDQ_MIN_DIM 5

/* Computes the PDQ hash and quality of the image seen through `v`.
 * Returns TAMIS_ERR_NOMEM if the work buffers cannot grow. */
tamis_status tamis__pdq_from_luma(tamis__pdq_work *w, const tamis__luma_view *v,
                                  tamis_pdq *hash, int *quality);

/* The same steps without the final thresholding: the 16x16 DCT block the
 * bits are taken from (the "PDQF" frame feature of TMK) and the quality.
 * A 64x64 image is taken as already downsampled, as in the reference;
 * images under TAMIS__PDQ_MIN_DIM give zeros. */
tamis_status tamis__pdq_float_from_luma(tamis__pdq_work *w, const tamis__luma_view *v,
                                        float dct[16][16], int *quality);

/* Lower-level steps, exposed for the unit tests. */
int tamis__pdq_window(int old_dim);                      /* box window */
void tamis__pdq_box1d(const float *in, ptrdiff_t istride, float *out,
                      ptrdiff_t ostride, int n, int window);
float tamis__pdq_median(const float *m, int n);          /* Torben */
void tamis__pdq_dct64to16(const float a[64][64], float b[16][16]);
int tamis__pdq_quality(const float a[64][64]);
void tamis__pdq_bits(const float dct[16][16], tamis_pdq *hash);

/* The reference's DCT-domain approximation of the dihedral transforms:
 * sign flips and transposes of the 16x16 coefficients. Used only to compare
 * with tamis's exact variants. `variant` is a tamis_pdq_variant 0..7. */
void tamis__pdq_dct_dihedral(const float in[16][16], int variant,
                             float out[16][16]);

/* Fast mode (pdq_fast.c): the hash of a full_rows x full_cols image from
 * a version reduced `scale` times along each side (each reduced pixel the
 * mean of a scale x scale block), emulating the full-resolution filter. */
tamis_status tamis__pdq_from_reduced(const tamis__luma_view *v, int scale,
                                     int full_rows, int full_cols,
                                     tamis_pdq *hash, int *quality);

/* The largest reduction (8, 4, 2 or 1) fast mode uses for an image. */
int tamis__pdq_fast_scale(int width, int height, int progressive);

#endif
