/*
 * tmk.h - TMK+PDQF internals (tmk.c), exposed for the unit tests: building
 * a tamis_tmk from frame features one frame at a time, as the reference's
 * TMKFeatureVectors::ingestFrameFeature does, and the per-frame feature.
 */
#ifndef TAMIS_VIDEO_TMK_H
#define TAMIS_VIDEO_TMK_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "../hash/pdq.h"

/* The reference's parameters (tmkfv.cpp, after Poullot et al.): four
 * periods in frames, 32 Fourier coefficients, 256 PDQF floats a frame. */
#define TAMIS__TMK_PERIODS 4
#define TAMIS__TMK_COEFFS 32
#define TAMIS__TMK_DIM 256

/* Starts an empty TMK+PDQF with the reference's parameters at `fps`
 * (the provenance field; the reference always uses 15). */
tamis_status tamis__tmk_begin(int fps, tamis_tmk **out);

/* Adds the feature of the next frame (TAMIS__TMK_DIM floats). */
void tamis__tmk_add_feature(tamis_tmk *t, const float *feature);

/* Adds a frame given as RGB24 (any size; the reference hashes 64x64
 * frames, which PDQ takes as already downsampled). NOMEM only. */
tamis_status tamis__tmk_add_rgb(tamis_tmk *t, const uint8_t *rgb, int width, int height,
                                size_t stride);

/* Ends ingestion: divides the average by the frame count and normalises
 * every cosine and sine feature, scaled by the square root of its
 * coefficient. Adding frames afterwards is not allowed. */
void tamis__tmk_finish(tamis_tmk *t);

/* Buffers for tamis__tmk_pdqf, reused between frames. Zero-initialise,
 * free with tamis__pdqf_work_free. */
typedef struct tamis__pdqf_work {
    tamis__pdq_work pdq;
    float *luma;
    size_t luma_cap;
} tamis__pdqf_work;

void tamis__pdqf_work_free(tamis__pdqf_work *w);

/* The PDQF feature of one RGB24 frame: luma as PDQ computes it, then the
 * 16x16 DCT block before thresholding, row-major. NOMEM or TOO_LARGE. */
tamis_status tamis__tmk_pdqf(tamis__pdqf_work *w, const uint8_t *rgb, int width, int height,
                             size_t stride, float out[TAMIS__TMK_DIM]);

/* Read-only views of the features, for the tests: the cosine (or sine)
 * feature of period i and coefficient j. */
const float *tamis__tmk_cos(const tamis_tmk *t, int i, int j);
const float *tamis__tmk_sin(const tamis_tmk *t, int i, int j);

#endif
