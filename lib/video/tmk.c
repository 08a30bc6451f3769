/*
 * tmk.c - TMK+PDQF, Meta's video hash (ThreatExchange, tmk/cpp), the one
 * GIFCT and Tech Against Terrorism share as .tmk files.
 *
 * The reference pipes `ffmpeg -s 64:64 -pix_fmt rgb24 -r 15` into its
 * hasher: every frame, resampled to 15 a second and squashed to 64x64,
 * gives a PDQF feature (PDQ's 16x16 DCT block before thresholding). TMK
 * keeps, over the frames t = 0, 1, ...:
 *   - the average feature, compared by cosine similarity (level 1);
 *   - for each period T (4 of them, in frames) and coefficient j (32), the
 *     sums of the L2-normalised features times cos(2 pi j t / T) and
 *     sin(2 pi j t / T), each sum L2-normalised then scaled by sqrt(a_j)
 *     (Poullot's weights). Two videos are compared by the temporal match
 *     kernel at its best time shift modulo each period (level 2).
 *
 * The arithmetic follows the reference (tmkfv.cpp, vec.cpp): float sums in
 * the same order, double where the reference's expressions promote, so
 * that scoring reference files gives the reference's numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libswscale/swscale.h>

#include "tmk.h"
#include "video.h"

/* Limits on what a .tmk file may declare, far above the reference's
 * 4 x 32 x 256, so that a damaged header cannot ask for gigabytes or make
 * a level-2 score (periods x coefficients steps) take minutes. */
#define MAX_PERIODS 32
#define MAX_COEFFS 256
#define MAX_DIM 4096
#define MAX_PERIOD 65536

#define HEADER_SIZE 32

static const double PI = 3.14159265358979323846;

struct tamis_tmk {
    char algo[4];
    int32_t fps, n_periods, n_coeffs, dim, frame_count;
    int32_t *periods;
    float *coeffs;
    float *avg;      /* dim */
    float *cos, *sin; /* n_periods x n_coeffs x dim */
    float *scratch;  /* dim: the normalised frame feature while building */
    float normalizer; /* the level-2 score of a video with itself */
    tamis__pdqf_work *work; /* while building from frames */
};

/* Tabulated in the reference (tmkfv.cpp, makePoullot*): the periods are
 * primes in frames at 15 fps; the coefficients are I_j(32) / sinh(32)
 * (a_0 = (I_0(32) - e^-32) / (2 sinh 32)), Poullot et al., "Temporal
 * matching kernel with explicit feature maps", ACM MM 2015. */
static const int32_t poullot_periods[TAMIS__TMK_PERIODS] = {2731, 4391, 9767, 14653};
static const float poullot_coeffs[TAMIS__TMK_COEFFS] = {
    0.0708041893112f,   0.13937789309f,     0.132897260304f,    0.122765735552f,
    0.109878684888f,    0.09529606433f,     0.0800986647852f,   0.0652590650356f,
    0.0515478238322f,   0.0394851531195f,   0.0293374252025f,   0.0211492623679f,
    0.0147973073245f,   0.0100512818746f,   0.0066306408014f,   0.00424947117334f,
    0.0026467615764f,   0.00160270959695f,  0.000943882629639f, 0.000540841638603f,
    0.000301633183798f, 0.000163800158855f, 8.66454753015e-05f, 4.46626303151e-05f,
    2.24429442235e-05f, 1.09982139799e-05f, 5.25823487999e-06f, 2.45358229988e-06f,
    1.11781474895e-06f, 4.97406489221e-07f, 2.16265487234e-07f, 9.19087006565e-08f};

/* ---- Vectors, as vec.cpp computes them ---------------------------------- */

static float vec_dot(const float *u, const float *v, int n) {
    float s = 0.0f;
    for (int i = 0; i < n; i++)
        s += u[i] * v[i];
    return s;
}

static float vec_norm(const float *u, int n) { return sqrtf(vec_dot(u, u, n)); }

static void vec_normalize(float *u, int n) {
    float norm = vec_norm(u, n);
    if (norm > 0.0f)
        for (int i = 0; i < n; i++)
            u[i] /= norm;
}

/* a_0 + 2 sum a_j: the kernel of a video with itself at shift 0, given
 * normalised features (the derivation is in the reference's tmkfv.h). */
static float pair_normalizer(const float *c, int m) {
    if (m == 0)
        return 1.0f;
    float p = c[0];
    for (int j = 1; j < m; j++)
        p = (float)((double)p + 2.0 * (double)c[j]);
    return p;
}

/* ---- The handle --------------------------------------------------------- */

static size_t feature_floats(int P, int m, int d) {
    return (size_t)d + 2 * (size_t)P * (size_t)m * (size_t)d;
}

static tamis_tmk *tmk_alloc(int fps, int P, int m, int d) {
    tamis_tmk *t = tamis__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    memcpy(t->algo, "PDQF", 4);
    t->fps = fps, t->n_periods = P, t->n_coeffs = m, t->dim = d;
    t->periods = tamis__calloc((size_t)P + 1, sizeof *t->periods);
    t->coeffs = tamis__calloc((size_t)m + 1, sizeof *t->coeffs);
    t->avg = tamis__calloc(feature_floats(P, m, d) + (size_t)d, sizeof(float));
    if (!t->periods || !t->coeffs || !t->avg) {
        tamis_tmk_free(t);
        return NULL;
    }
    t->cos = t->avg + d;
    t->sin = t->cos + (size_t)P * m * d;
    t->scratch = t->sin + (size_t)P * m * d;
    return t;
}

void tamis_tmk_free(tamis_tmk *t) {
    if (!t)
        return;
    if (t->work) {
        tamis__pdqf_work_free(t->work);
        tamis__free(t->work);
    }
    tamis__free(t->periods);
    tamis__free(t->coeffs);
    tamis__free(t->avg);
    tamis__free(t);
}

static float *feat(const tamis_tmk *t, float *base, int i, int j) {
    return base + ((size_t)i * t->n_coeffs + (size_t)j) * t->dim;
}

const float *tamis__tmk_cos(const tamis_tmk *t, int i, int j) { return feat(t, t->cos, i, j); }
const float *tamis__tmk_sin(const tamis_tmk *t, int i, int j) { return feat(t, t->sin, i, j); }

int tamis_tmk_frame_count(const tamis_tmk *t) { return t ? t->frame_count : 0; }

int tamis_tmk_fps(const tamis_tmk *t) { return t ? t->fps : 0; }

const float *tamis_tmk_average(const tamis_tmk *t, int *dim) {
    if (dim)
        *dim = t ? t->dim : 0;
    return t ? t->avg : NULL;
}

/* ---- Building from frames (TMKFeatureVectors::ingestFrameFeature) ------ */

tamis_status tamis__tmk_begin(int fps, tamis_tmk **out) {
    *out = NULL;
    tamis_tmk *t = tmk_alloc(fps, TAMIS__TMK_PERIODS, TAMIS__TMK_COEFFS, TAMIS__TMK_DIM);
    if (!t)
        return TAMIS_ERR_NOMEM;
    memcpy(t->periods, poullot_periods, sizeof poullot_periods);
    memcpy(t->coeffs, poullot_coeffs, sizeof poullot_coeffs);
    t->normalizer = pair_normalizer(t->coeffs, t->n_coeffs);
    *out = t;
    return TAMIS_OK;
}

void tamis__tmk_add_feature(tamis_tmk *t, const float *f) {
    int d = t->dim;
    double tt = (double)t->frame_count; /* the frame's number */
    for (int k = 0; k < d; k++)
        t->avg[k] += f[k];
    float *nf = t->scratch;
    memcpy(nf, f, (size_t)d * sizeof *nf);
    vec_normalize(nf, d);
    for (int i = 0; i < t->n_periods; i++) {
        double T = (double)t->periods[i];
        float *c0 = feat(t, t->cos, i, 0);
        for (int k = 0; k < d; k++)
            c0[k] += nf[k];
        /* The sine feature of j = 0 stays zero. Sums are kept in float but
         * each product is taken in double, as in the reference. */
        for (int j = 1; j < t->n_coeffs; j++) {
            double arg = 2.0 * PI * (double)j * tt / T;
            double ca = cos(arg), sa = sin(arg);
            float *c = feat(t, t->cos, i, j), *s = feat(t, t->sin, i, j);
            for (int k = 0; k < d; k++) {
                c[k] = (float)((double)c[k] + (double)nf[k] * ca);
                s[k] = (float)((double)s[k] + (double)nf[k] * sa);
            }
        }
    }
    t->frame_count++;
}

void tamis__tmk_finish(tamis_tmk *t) {
    if (t->work) {
        tamis__pdqf_work_free(t->work);
        tamis__free(t->work);
        t->work = NULL;
    }
    if (t->frame_count == 0)
        return; /* all zeros, as the reference writes them */
    int d = t->dim;
    for (int k = 0; k < d; k++)
        t->avg[k] /= (float)t->frame_count;
    for (int i = 0; i < t->n_periods; i++)
        for (int j = 0; j < t->n_coeffs; j++) {
            float *c = feat(t, t->cos, i, j), *s = feat(t, t->sin, i, j);
            vec_normalize(c, d);
            vec_normalize(s, d);
            float w = sqrtf(t->coeffs[j]);
            for (int k = 0; k < d; k++)
                c[k] *= w;
            for (int k = 0; k < d; k++)
                s[k] *= w;
        }
}

void tamis__pdqf_work_free(tamis__pdqf_work *w) {
    tamis__pdq_work_free(&w->pdq);
    tamis__free(w->luma);
    w->luma = NULL;
    w->luma_cap = 0;
}

tamis_status tamis__tmk_pdqf(tamis__pdqf_work *w, const uint8_t *rgb, int width, int height,
                             size_t stride, float out[TAMIS__TMK_DIM]) {
    size_t n;
    if (width <= 0 || height <= 0 || !tamis__mul_size((size_t)width, (size_t)height, &n))
        return TAMIS_ERR_TOO_LARGE;
    if (w->luma_cap < n) {
        float *p = tamis__realloc(w->luma, n * sizeof *p);
        if (!p)
            return TAMIS_ERR_NOMEM;
        w->luma = p;
        w->luma_cap = n;
    }
    /* PDQ's luma (pdqhashing.cpp, fillFloatLumaFromRGB), in float. */
    const float kr = 0.299f, kg = 0.587f, kb = 0.114f;
    for (int y = 0; y < height; y++) {
        const uint8_t *p = rgb + (size_t)y * stride;
        float *o = w->luma + (size_t)y * (size_t)width;
        for (int x = 0; x < width; x++, p += 3)
            o[x] = kr * (float)p[0] + kg * (float)p[1] + kb * (float)p[2];
    }
    tamis__luma_view v = {w->luma, height, width, width, 1};
    int quality;
    float dct[16][16];
    tamis_status st = tamis__pdq_float_from_luma(&w->pdq, &v, dct, &quality);
    if (st != TAMIS_OK)
        return st;
    memcpy(out, dct, sizeof dct);
    return TAMIS_OK;
}

tamis_status tamis__tmk_add_rgb(tamis_tmk *t, const uint8_t *rgb, int width, int height,
                                size_t stride) {
    if (!t->work && !(t->work = tamis__calloc(1, sizeof *t->work)))
        return TAMIS_ERR_NOMEM;
    float f[TAMIS__TMK_DIM];
    tamis_status st = tamis__tmk_pdqf(t->work, rgb, width, height, stride, f);
    if (st != TAMIS_OK)
        return st;
    tamis__tmk_add_feature(t, f);
    return TAMIS_OK;
}

/* ---- Scores (TMKFeatureVectors::computeLevel1Score, computeLevel2Score) */

int tamis_tmk_compatible(const tamis_tmk *a, const tamis_tmk *b) {
    if (!a || !b || memcmp(a->algo, b->algo, 4) != 0 || a->fps != b->fps ||
        a->n_periods != b->n_periods || a->n_coeffs != b->n_coeffs || a->dim != b->dim)
        return 0;
    for (int i = 0; i < a->n_periods; i++)
        if (a->periods[i] != b->periods[i])
            return 0;
    /* The reference's tolerance on the coefficients: relative 1e-6. */
    for (int j = 0; j < a->n_coeffs; j++) {
        float ca = a->coeffs[j], cb = b->coeffs[j];
        float m = fmaxf(fabsf(ca), fabsf(cb));
        if (m > 0 && fabsf((ca - cb) / m) > 1e-6f)
            return 0;
    }
    return 1;
}

tamis_status tamis_tmk_level1(const tamis_tmk *a, const tamis_tmk *b, float *score) {
    if (!score)
        return TAMIS_ERR_INVALID;
    *score = 0.0f;
    if (!tamis_tmk_compatible(a, b))
        return TAMIS_ERR_INVALID;
    float na = vec_norm(a->avg, a->dim), nb = vec_norm(b->avg, b->dim);
    /* The reference gives 0 when both are zero, and 0/0 when only one is;
     * a video with no frames matches nothing here either way. */
    if (na == 0.0f || nb == 0.0f)
        return TAMIS_OK;
    *score = vec_dot(a->avg, b->avg, a->dim) / (na * nb);
    return TAMIS_OK;
}

/* The best value over the shifts 0..T-1 of the kernel for period i. */
static float best_shift(const tamis_tmk *a, const tamis_tmk *b, int i) {
    int m = a->n_coeffs, d = a->dim;
    float cc[MAX_COEFFS], ss[MAX_COEFFS], sc[MAX_COEFFS], cs[MAX_COEFFS];
    for (int j = 0; j < m; j++) {
        const float *ac = feat(a, a->cos, i, j), *as = feat(a, a->sin, i, j);
        const float *bc = feat(b, b->cos, i, j), *bs = feat(b, b->sin, i, j);
        cc[j] = vec_dot(ac, bc, d);
        ss[j] = vec_dot(as, bs, d);
        sc[j] = vec_dot(as, bc, d);
        cs[j] = vec_dot(ac, bs, d);
    }
    int period = a->periods[i];
    float best = 0.0f;
    for (int off = 0; off < period; off++) {
        float delta = (float)(2.0 * PI * (double)(float)off / (double)(float)period);
        float k = cc[0];
        /* cos(j delta) and sin(j delta) by the reference's recurrence
         * (Numerical Recipes' incremental rotation, with 2 sin^2(delta/2)
         * for 1 - cos(delta) against cancellation). */
        float cos_jd = 1.0f, sin_jd = 0.0f;
        float beta = (float)sin((double)delta);
        float alpha = (float)sin((double)(delta / 2));
        alpha = 2 * alpha * alpha;
        for (int j = 1; j < m; j++) {
            float nc = (alpha * cos_jd) + (beta * sin_jd);
            float ns = (alpha * sin_jd) - (beta * cos_jd);
            cos_jd -= nc;
            sin_jd -= ns;
            k += cos_jd * (cc[j] + ss[j]);
            k += sin_jd * (sc[j] - cs[j]);
        }
        if (off == 0 || k > best)
            best = k;
    }
    return best;
}

tamis_status tamis_tmk_level2(const tamis_tmk *a, const tamis_tmk *b, float *score) {
    if (!score)
        return TAMIS_ERR_INVALID;
    *score = 0.0f;
    if (!tamis_tmk_compatible(a, b))
        return TAMIS_ERR_INVALID;
    if (a->n_periods == 0 || a->n_coeffs == 0)
        return TAMIS_OK;
    float best = 0.0f;
    for (int i = 0; i < a->n_periods; i++) {
        float v = best_shift(a, b, i);
        if (i == 0 || best < v)
            best = v;
    }
    *score = best / a->normalizer;
    return TAMIS_OK;
}

tamis_status tamis_tmk_compare(const tamis_tmk *a, const tamis_tmk *b, float level1_threshold,
                               float level2_threshold, tamis_tmk_match *out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    memset(out, 0, sizeof *out);
    tamis_status st = tamis_tmk_level1(a, b, &out->level1);
    if (st != TAMIS_OK)
        return st;
    if (out->level1 < level1_threshold)
        return TAMIS_OK;
    if ((st = tamis_tmk_level2(a, b, &out->level2)) != TAMIS_OK)
        return st;
    out->level2_computed = 1;
    out->match = out->level2 >= level2_threshold;
    return TAMIS_OK;
}

/* ---- The .tmk file (tmkio.cpp; little-endian, 32-byte header) ---------- */

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void putf(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put32(p, u);
}

static float getf(const uint8_t *p) {
    uint32_t u = get32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static size_t file_size(int P, int m, int d) {
    return HEADER_SIZE + 4 * ((size_t)P + (size_t)m + feature_floats(P, m, d));
}

size_t tamis_tmk_size(const tamis_tmk *t) {
    return t ? file_size(t->n_periods, t->n_coeffs, t->dim) : 0;
}

tamis_status tamis_tmk_write_mem(const tamis_tmk *t, void *buf, size_t cap) {
    if (!t || !buf || cap < tamis_tmk_size(t))
        return TAMIS_ERR_INVALID;
    uint8_t *p = buf;
    /* Header: project, file type and algorithm magics, then fps, P, m, d
     * and the frame count as 32-bit integers. */
    memcpy(p, "TMK1", 4);
    memcpy(p + 4, "FVEC", 4);
    memcpy(p + 8, t->algo, 4);
    put32(p + 12, (uint32_t)t->fps);
    put32(p + 16, (uint32_t)t->n_periods);
    put32(p + 20, (uint32_t)t->n_coeffs);
    put32(p + 24, (uint32_t)t->dim);
    put32(p + 28, (uint32_t)t->frame_count);
    p += HEADER_SIZE;
    for (int i = 0; i < t->n_periods; i++, p += 4)
        put32(p, (uint32_t)t->periods[i]);
    for (int j = 0; j < t->n_coeffs; j++, p += 4)
        putf(p, t->coeffs[j]);
    /* The average, then every cosine feature, then every sine feature:
     * the order they lie in memory. */
    size_t n = feature_floats(t->n_periods, t->n_coeffs, t->dim);
    for (size_t k = 0; k < n; k++, p += 4)
        putf(p, t->avg[k]);
    return TAMIS_OK;
}

static tamis_status fail(char *err, size_t errlen, const char *name, tamis_status st,
                         const char *fmt, ...) TAMIS__PRINTF(5, 6);
static tamis_status fail(char *err, size_t errlen, const char *name, tamis_status st,
                         const char *fmt, ...) {
    if (err && errlen) {
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        if (name)
            snprintf(err, errlen, "%s: %s", name, why);
        else
            snprintf(err, errlen, "%s", why);
    }
    return st;
}

static void printable(const uint8_t *m, char out[5]) {
    for (int i = 0; i < 4; i++)
        out[i] = m[i] >= 0x20 && m[i] < 0x7f ? (char)m[i] : '?';
    out[4] = 0;
}

static tamis_status read_mem(const uint8_t *p, size_t len, const char *name, tamis_tmk **out,
                             char *err, size_t errlen) {
    if (len == 0)
        return fail(err, errlen, name, TAMIS_ERR_EMPTY, "empty file");
    if (len < HEADER_SIZE)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT,
                    "truncated: %zu bytes, shorter than the 32-byte .tmk header", len);
    char m[5];
    if (memcmp(p, "TMK1", 4) != 0 || memcmp(p + 4, "FVEC", 4) != 0) {
        printable(p, m);
        return fail(err, errlen, name, TAMIS_ERR_UNSUPPORTED,
                    "not a TMK feature-vector file (magic \"%s\", expected \"TMK1\" \"FVEC\")", m);
    }
    if (memcmp(p + 8, "PDQF", 4) != 0) {
        printable(p + 8, m);
        return fail(err, errlen, name, TAMIS_ERR_UNSUPPORTED,
                    "frame-feature algorithm \"%s\" is not PDQF", m);
    }
    int32_t fps = (int32_t)get32(p + 12), P = (int32_t)get32(p + 16);
    int32_t C = (int32_t)get32(p + 20), d = (int32_t)get32(p + 24);
    int32_t count = (int32_t)get32(p + 28);
    if (fps <= 0 || fps > 1000)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT, "bad frame rate %d", (int)fps);
    if (P < 0 || P > MAX_PERIODS)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT, "bad period count %d (at most %d)",
                    (int)P, MAX_PERIODS);
    if (C < 0 || C > MAX_COEFFS)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT,
                    "bad Fourier coefficient count %d (at most %d)", (int)C, MAX_COEFFS);
    if (d < 1 || d > MAX_DIM)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT,
                    "bad frame-feature dimension %d (1 to %d)", (int)d, MAX_DIM);
    if (count < 0)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT, "bad frame count %d", (int)count);
    size_t want = file_size(P, C, d);
    if (len < want)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT,
                    "truncated: %zu bytes, the header announces %zu", len, want);
    if (len > want)
        return fail(err, errlen, name, TAMIS_ERR_CORRUPT,
                    "%zu bytes after the %zu the header announces", len - want, want);
    const uint8_t *q = p + HEADER_SIZE;
    for (int i = 0; i < P; i++) {
        int32_t T = (int32_t)get32(q + 4 * (size_t)i);
        if (T < 1 || T > MAX_PERIOD)
            return fail(err, errlen, name, TAMIS_ERR_CORRUPT, "bad period %d (1 to %d)", (int)T,
                        MAX_PERIOD);
    }
    /* Every float must be finite: a NaN would make every score NaN. */
    for (size_t off = HEADER_SIZE + 4 * (size_t)P; off < len; off += 4)
        if (!isfinite(getf(p + off)))
            return fail(err, errlen, name, TAMIS_ERR_CORRUPT,
                        "non-finite number at byte %zu", off);
    tamis_tmk *t = tmk_alloc(fps, P, C, d);
    if (!t)
        return fail(err, errlen, name, TAMIS_ERR_NOMEM, "out of memory");
    memcpy(t->algo, p + 8, 4);
    t->frame_count = count;
    for (int i = 0; i < P; i++, q += 4)
        t->periods[i] = (int32_t)get32(q);
    for (int j = 0; j < C; j++, q += 4)
        t->coeffs[j] = getf(q);
    size_t n = feature_floats(P, C, d);
    for (size_t k = 0; k < n; k++, q += 4)
        t->avg[k] = getf(q);
    t->normalizer = pair_normalizer(t->coeffs, C);
    *out = t;
    return TAMIS_OK;
}

tamis_status tamis_tmk_read_mem(const void *data, size_t len, tamis_tmk **out, char *err,
                                size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (!data && len)
        return TAMIS_ERR_INVALID;
    return read_mem(data, len, NULL, out, err, errlen);
}

tamis_status tamis_tmk_read_file(const char *path, tamis_tmk **out, char *err, size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (!path)
        return TAMIS_ERR_INVALID;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, path, TAMIS_ERR_IO, "%s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(err, errlen, path, TAMIS_ERR_IO, "not a regular file");
    }
    /* Larger than any file the limits allow: refuse before reading. */
    if ((uint64_t)sb.st_size > file_size(MAX_PERIODS, MAX_COEFFS, MAX_DIM)) {
        close(fd);
        return fail(err, errlen, path, TAMIS_ERR_TOO_LARGE, "%lld bytes is too large for a .tmk file",
                    (long long)sb.st_size);
    }
    size_t len = (size_t)sb.st_size, got = 0;
    uint8_t *buf = tamis__malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return fail(err, errlen, path, TAMIS_ERR_NOMEM, "out of memory");
    }
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    int bad = got < len;
    close(fd);
    tamis_status st = bad ? fail(err, errlen, path, TAMIS_ERR_IO, "read error")
                          : read_mem(buf, len, path, out, err, errlen);
    tamis__free(buf);
    return st;
}

tamis_status tamis_tmk_write_file(const tamis_tmk *t, const char *path, char *err,
                                  size_t errlen) {
    if (!t || !path)
        return TAMIS_ERR_INVALID;
    size_t n = tamis_tmk_size(t);
    uint8_t *buf = tamis__malloc(n);
    if (!buf)
        return fail(err, errlen, path, TAMIS_ERR_NOMEM, "out of memory");
    tamis_tmk_write_mem(t, buf, n);
    /* Written beside the target, then renamed: readers see the old file
     * or the new one, never a part. */
    char tmp[4096];
    tamis_status st = TAMIS_OK;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        tamis__free(buf);
        return fail(err, errlen, path, TAMIS_ERR_INVALID, "path too long");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        tamis__free(buf);
        return fail(err, errlen, path, TAMIS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            st = fail(err, errlen, path, TAMIS_ERR_IO, "cannot write %s: %s", tmp,
                      w < 0 ? strerror(errno) : "short write");
            break;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0 && st == TAMIS_OK)
        st = fail(err, errlen, path, TAMIS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (st == TAMIS_OK && rename(tmp, path) != 0)
        st = fail(err, errlen, path, TAMIS_ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
    if (st != TAMIS_OK)
        unlink(tmp);
    tamis__free(buf);
    return st;
}

/* ---- From a video (tmk-hash-video) ------------------------------------- */

/* 24 hours at 15 fps: far beyond any upload, and a bound on the time a
 * file whose timestamps jump (resampling repeats a frame across the gap)
 * can take. */
#define DEFAULT_MAX_FRAMES (24ull * 3600 * TAMIS_TMK_FPS)

/* The ffmpeg program's -r for a constant-rate output (do_video_out with
 * vsync "cfr", FFmpeg 4.1 as the reference ran it; 5.x and 6.x keep the
 * logic): each decoded frame is written nb times at the output rate, where
 * its lag behind the output clock decides nb - a frame is dropped only
 * once more than 1.1 output frames late, duplicated once more than 1.1
 * ahead. From 30 fps to 15 this keeps frames 0, 1, 2, 3, 5, 7, ... (284
 * frames for the reference's 564-frame chair-19-sd-bar), which the fps
 * filter would not. Times are in output frames. */
typedef struct vsync {
    double opts;      /* the next output frame's number */
    int64_t nb0[3];   /* the last three counts of repeated previous frames */
} vsync;

/* Returns how many times to write the frame at `ipts` lasting `duration`,
 * of which *repeat_prev are copies of the previous frame written first. */
static int64_t vsync_frame(vsync *s, double ipts, double duration, int64_t *repeat_prev) {
    double delta0 = ipts - s->opts, delta = delta0 + duration;
    if (delta0 < 0 && delta > 0) /* clipped to the output clock */
        delta0 = 0;
    int64_t nb = 1, nb0 = 0;
    if (delta < -1.1)
        nb = 0;
    else if (delta > 1.1) {
        nb = (int64_t)llrintf((float)delta);
        if (delta0 > 1.1)
            nb0 = (int64_t)llrintf((float)(delta0 - 0.6));
    }
    if (nb0 > nb)
        nb0 = nb;
    s->nb0[2] = s->nb0[1], s->nb0[1] = s->nb0[0], s->nb0[0] = nb0;
    s->opts += (double)nb;
    *repeat_prev = nb0;
    return nb;
}

/* At the end the last frame is repeated the median of the last counts of
 * repeats (0 for a steady stream). */
static int64_t vsync_flush(const vsync *s) {
    int64_t a = s->nb0[0], b = s->nb0[1], c = s->nb0[2];
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

typedef struct hash_state {
    tamis_tmk *t;
    vsync vs;
    uint64_t max_frames;
    float prev[TAMIS__TMK_DIM], cur[TAMIS__TMK_DIM];
    int has_prev;
} hash_state;

/* Writes `n` frames of feature `f`, within the frame limit. */
static int emit(hash_state *h, const float *f, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if ((uint64_t)h->t->frame_count >= h->max_frames)
            return 0;
        tamis__tmk_add_feature(h->t, f);
    }
    return 1;
}

/* Output ticks of a time in seconds, as ffmpeg computes its float_pts:
 * nudged off exact midpoints by 2^-17 away from zero (0 counts as
 * negative there). */
static double to_ticks(double ts) {
    double t = ts * TAMIS_TMK_FPS;
    return t + (t > 0 ? 1.0 : -1.0) / (1 << 17);
}

/* The duration of a frame in output ticks as ffmpeg takes it: the stream's
 * frame rate, at most one tick, unless the frame's own duration rounds to
 * at least one tick. `own` is <= 0 when unknown. */
static double tick_duration(double rate, double own) {
    double d = rate > 0 ? TAMIS_TMK_FPS / rate : 1.0;
    if (d > 1.0)
        d = 1.0;
    if (own > 0 && lrintf((float)(own * TAMIS_TMK_FPS)) > 0)
        d = (double)lrintf((float)(own * TAMIS_TMK_FPS));
    return d;
}

/* Settles the pending frame (features in h->cur, time ts) now that its
 * duration is known. */
static int settle(hash_state *h, double ts, double duration) {
    int64_t rep, nb = vsync_frame(&h->vs, to_ticks(ts), duration, &rep);
    if (h->has_prev ? !emit(h, h->prev, rep) : !emit(h, h->cur, rep))
        return 0;
    if (!emit(h, h->cur, nb - rep))
        return 0;
    memcpy(h->prev, h->cur, sizeof h->prev);
    h->has_prev = 1;
    return 1;
}

static tamis_status hash_video(tamis__video *v, const char *name, uint64_t max_frames,
                               tamis_tmk **out, char *err, size_t errlen) {
    hash_state *h = tamis__calloc(1, sizeof *h);
    if (!h || tamis__tmk_begin(TAMIS_TMK_FPS, &h->t) != TAMIS_OK) {
        tamis__free(h);
        return fail(err, errlen, name, TAMIS_ERR_NOMEM, "out of memory");
    }
    h->max_frames = max_frames;
    tamis_tmk *t = h->t;
    double rate = tamis__video_info_of(v)->frame_rate;
    double pending_ts = 0;
    int pending = 0;
    tamis_status st;
    for (;;) {
        const uint8_t *rgb;
        int w, hh;
        size_t stride;
        double ts;
        st = tamis__video_next(v, &rgb, &w, &hh, &stride, &ts);
        if (st == TAMIS_DONE)
            break;
        if (st != TAMIS_OK) {
            st = fail(err, errlen, name, st, "%s", tamis__video_errmsg(v));
            goto out;
        }
        /* The previous frame lasted until this one. */
        if (pending && !settle(h, pending_ts, tick_duration(rate, ts - pending_ts)))
            goto too_long;
        if (!t->work && !(t->work = tamis__calloc(1, sizeof *t->work))) {
            st = fail(err, errlen, name, TAMIS_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((st = tamis__tmk_pdqf(t->work, rgb, w, hh, stride, h->cur)) != TAMIS_OK) {
            st = fail(err, errlen, name, st, "cannot hash a %dx%d frame", w, hh);
            goto out;
        }
        pending = 1;
        pending_ts = ts;
    }
    if (pending && (!settle(h, pending_ts, tick_duration(rate, 0)) ||
                    !emit(h, h->cur, vsync_flush(&h->vs))))
        goto too_long;
    tamis__tmk_finish(t);
    *out = t;
    tamis__free(h);
    return TAMIS_OK;
too_long:
    st = fail(err, errlen, name, TAMIS_ERR_TOO_LARGE, "more than %llu frames at %d fps",
              (unsigned long long)max_frames, TAMIS_TMK_FPS);
out:
    tamis_tmk_free(t);
    tamis__free(h);
    return st;
}

/* The reference's ffmpeg command: -s 64:64 (the scale filter, with the
 * ffmpeg program's default flags: bicubic), -pix_fmt rgb24, -r 15. Only
 * the scaler's flags come from libswscale's header: tmk.c calls none of
 * FFmpeg's functions. */
static void video_opts(const tamis_tmk_options *o, tamis__video_opts *vo) {
    memset(vo, 0, sizeof *vo);
    vo->out_width = vo->out_height = 64;
    vo->fps = 0; /* every frame: the resampling is ffmpeg's -r, above */
    vo->sws_flags = SWS_BICUBIC;
    vo->threads = o ? o->threads : 0;
    vo->max_pixels = o && o->max_pixels ? o->max_pixels : TAMIS_DEFAULT_MAX_PIXELS;
    /* Decoded frames are bounded too (a 240 fps video has 16 a tick):
     * a stream of tiny frames must not run for hours either. */
    uint64_t m = o && o->max_frames ? o->max_frames : DEFAULT_MAX_FRAMES;
    vo->max_frames = m > UINT64_MAX / 16 ? UINT64_MAX : m * 16;
}

static uint64_t max_frames_of(const tamis_tmk_options *o) {
    return o && o->max_frames ? o->max_frames : DEFAULT_MAX_FRAMES;
}

tamis_status tamis_tmk_hash_file(const char *path, const tamis_tmk_options *opts,
                                 tamis_tmk **out, char *err, size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (!path)
        return TAMIS_ERR_INVALID;
    tamis__video_opts vo;
    video_opts(opts, &vo);
    tamis__video *v;
    char why[256] = "";
    tamis_status st = tamis__video_open_file(path, &vo, &v, why, sizeof why);
    if (st != TAMIS_OK)
        return fail(err, errlen, path, st, "%s", why[0] ? why : tamis_strerror(st));
    st = hash_video(v, path, max_frames_of(opts), out, err, errlen);
    tamis__video_free(v);
    return st;
}

tamis_status tamis_tmk_hash_mem(const void *data, size_t len, const tamis_tmk_options *opts,
                                tamis_tmk **out, char *err, size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (!data && len)
        return TAMIS_ERR_INVALID;
    if (len == 0)
        return fail(err, errlen, NULL, TAMIS_ERR_EMPTY, "empty input");
    tamis__video_opts vo;
    video_opts(opts, &vo);
    tamis__video *v;
    char why[256] = "";
    tamis_status st = tamis__video_open_mem(data, len, &vo, &v, why, sizeof why);
    if (st != TAMIS_OK)
        return fail(err, errlen, NULL, st, "%s", why[0] ? why : tamis_strerror(st));
    st = hash_video(v, NULL, max_frames_of(opts), out, err, errlen);
    tamis__video_free(v);
    return st;
}
