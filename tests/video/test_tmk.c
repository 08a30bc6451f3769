/*
 * test_tmk.c - lib/video/tmk.c: TMK+PDQF. The reference's .tmk files read
 * and written back byte for byte; their scores against the numbers and
 * decisions the reference documents (ThreatExchange tmk/README.md); the
 * time-domain aggregation on synthetic frames; damaged files refused with
 * a reason; and, with the decoder, our hashes of the sample videos against
 * the reference's.
 */
#include <math.h>
#include <unistd.h>

#include "../../lib/video/tmk.h"
#include "../test.h"
#include "tamis.h"

/* The reference's sample hashes (tmk/sample-hashes, copied to
 * ../shared/vectors/video/tmk-sample-hashes). */
static const char *const ref_names[] = {
    "chair-19-sd-bar",           "chair-20-sd-bar",
    "chair-22-sd-grey-bar",      "chair-22-sd-sepia-bar",
    "chair-22-with-large-logo-bar", "chair-22-with-small-logo-bar",
    "chair-orig-22-fhd-no-bar",  "chair-orig-22-hd-no-bar",
    "chair-orig-22-sd-bar",      "doorknob-hd-no-bar",
    "pattern-hd-no-bar",         "pattern-longer-no-bar",
    "pattern-sd-grey-bar",       "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar"};
#define N_REF ((int)(sizeof ref_names / sizeof ref_names[0]))

static int ref_index(const char *name) {
    for (int i = 0; i < N_REF; i++)
        if (strcmp(ref_names[i], name) == 0)
            return i;
    FAIL("unknown sample %s", name);
}

static const char *ref_path(const char *name) {
    return fmt("%s/vectors/video/tmk-sample-hashes/%s.tmk", shared_dir_or_skip(), name);
}

static tamis_tmk *load(const char *path) {
    char err[256] = "";
    tamis_tmk *t = NULL;
    tamis_status st = tamis_tmk_read_file(path, &t, err, sizeof err);
    if (st != TAMIS_OK)
        FAIL("%s: status %d: %s", path, st, err);
    return t;
}

static void load_all(tamis_tmk *t[N_REF]) {
    for (int i = 0; i < N_REF; i++)
        t[i] = load(ref_path(ref_names[i]));
}

static void free_all(tamis_tmk *t[], int n) {
    for (int i = 0; i < n; i++)
        tamis_tmk_free(t[i]);
}

/* ---- The file format ---------------------------------------------------- */

TEST(tmk_reference_files_round_trip_byte_for_byte) {
    for (int i = 0; i < N_REF; i++) {
        const char *path = ref_path(ref_names[i]);
        size_t len;
        unsigned char *orig = read_file(path, &len);
        ASSERT(orig);
        ASSERT_EQ(len, TAMIS_TMK_FILE_SIZE);
        tamis_tmk *t;
        char err[256];
        ASSERT_OK(tamis_tmk_read_mem(orig, len, &t, err, sizeof err));
        ASSERT_EQ(tamis_tmk_size(t), len);
        ASSERT_EQ(tamis_tmk_fps(t), 15);
        /* The frame count is the header's last field. */
        int32_t count;
        memcpy(&count, orig + 28, 4);
        ASSERT_EQ(tamis_tmk_frame_count(t), count);
        unsigned char *back = malloc(len);
        ASSERT_OK(tamis_tmk_write_mem(t, back, len));
        ASSERT(memcmp(orig, back, len) == 0);
        ASSERT_EQ(tamis_tmk_write_mem(t, back, len - 1), TAMIS_ERR_INVALID);
        /* Through a file too. */
        const char *out = fmt("%s/%s.tmk", tmp_dir(), ref_names[i]);
        ASSERT_OK(tamis_tmk_write_file(t, out, err, sizeof err));
        size_t len2;
        unsigned char *again = read_file(out, &len2);
        ASSERT(again && len2 == len && memcmp(again, orig, len) == 0);
        free(again);
        free(back);
        free(orig);
        tamis_tmk_free(t);
    }
}

static tamis_status read_bytes(const unsigned char *p, size_t n, char *err, size_t errlen) {
    tamis_tmk *t = (tamis_tmk *)1;
    err[0] = 0;
    tamis_status st = tamis_tmk_read_mem(p, n, &t, err, errlen);
    if (st == TAMIS_OK)
        tamis_tmk_free(t);
    else
        ASSERT(t == NULL);
    return st;
}

#define ASSERT_REFUSED(p, n, code, words)                                     \
    do {                                                                       \
        char e_[256];                                                          \
        ASSERT_EQ(read_bytes((p), (n), e_, sizeof e_), (code));                \
        if (!strstr(e_, (words)))                                              \
            FAIL("message \"%s\" lacks \"%s\"", e_, (words));                  \
    } while (0)

TEST(tmk_damaged_files_are_refused_with_a_reason) {
    size_t len;
    unsigned char *p = read_file(ref_path("doorknob-hd-no-bar"), &len);
    ASSERT(p);
    unsigned char *q = malloc(len + 8);
    ASSERT_REFUSED(p, 0, TAMIS_ERR_EMPTY, "empty");
    ASSERT_REFUSED(p, 31, TAMIS_ERR_CORRUPT, "truncated");
    ASSERT_REFUSED(p, 32, TAMIS_ERR_CORRUPT, "truncated");
    ASSERT_REFUSED(p, len - 1, TAMIS_ERR_CORRUPT, "truncated");
    ASSERT_REFUSED(p, len / 2, TAMIS_ERR_CORRUPT, "truncated");
    memcpy(q, p, len);
    memset(q + len, 0, 8);
    ASSERT_REFUSED(q, len + 8, TAMIS_ERR_CORRUPT, "after");
    /* Not a .tmk at all: a PNG signature, text. */
    ASSERT_REFUSED((const unsigned char *)"\x89PNG\r\n\x1a\n0123456789abcdef0123456789abcdef", 40,
                   TAMIS_ERR_UNSUPPORTED, "not a TMK");
    memcpy(q, p, len);
    memcpy(q + 8, "PDQ2", 4);
    ASSERT_REFUSED(q, len, TAMIS_ERR_UNSUPPORTED, "PDQ2");
    /* Header fields out of range. */
    struct { int off; int32_t v; const char *words; } bad[] = {
        {12, 0, "frame rate"},  {16, -1, "period count"}, {16, 1000, "period count"},
        {20, -3, "coefficient"}, {20, 100000, "coefficient"}, {24, 0, "dimension"},
        {24, 1 << 30, "dimension"}, {28, -5, "frame count"}, {32, 0, "period"},
        {36, -7, "period"},     {16, 3, "after"},     {16, 5, "truncated"},
        {24, 257, "truncated"}, {24, 255, "after"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(q, p, len);
        memcpy(q + bad[i].off, &bad[i].v, 4);
        ASSERT_REFUSED(q, len, TAMIS_ERR_CORRUPT, bad[i].words);
    }
    /* A NaN among the features. */
    memcpy(q, p, len);
    float nan = NAN;
    memcpy(q + 5000, &nan, 4);
    ASSERT_REFUSED(q, len, TAMIS_ERR_CORRUPT, "non-finite");
    /* Garbage of the right length. */
    for (size_t i = 0; i < len; i++)
        q[i] = (unsigned char)(i * 2654435761u >> 13);
    ASSERT_REFUSED(q, len, TAMIS_ERR_UNSUPPORTED, "not a TMK");
    /* Files: missing, a directory, empty. */
    char err[256];
    tamis_tmk *t;
    ASSERT_EQ(tamis_tmk_read_file(fmt("%s/none.tmk", tmp_dir()), &t, err, sizeof err),
              TAMIS_ERR_IO);
    ASSERT(t == NULL && strstr(err, "none.tmk"));
    ASSERT_EQ(tamis_tmk_read_file(tmp_dir(), &t, err, sizeof err), TAMIS_ERR_IO);
    FILE *f = fopen(fmt("%s/empty.tmk", tmp_dir()), "wb");
    fclose(f);
    ASSERT_EQ(tamis_tmk_read_file(fmt("%s/empty.tmk", tmp_dir()), &t, err, sizeof err),
              TAMIS_ERR_EMPTY);
    ASSERT(strstr(err, "empty.tmk: empty"));
    ASSERT_EQ(tamis_tmk_read_mem(NULL, 0, NULL, err, sizeof err), TAMIS_ERR_INVALID);
    free(q);
    free(p);
}

TEST(tmk_reader_survives_every_truncation_of_a_small_file) {
    /* A file with one period, two coefficients and a dimension of 3, cut
     * at every length: each cut is refused, only the whole is read. */
    unsigned char f[32 + 4 + 8 + 4 * (3 + 2 * 2 * 3)];
    memcpy(f, "TMK1FVECPDQF", 12);
    int32_t h[5] = {15, 1, 2, 3, 9};
    memcpy(f + 12, h, sizeof h);
    int32_t period = 7;
    memcpy(f + 32, &period, 4);
    for (size_t i = 36; i < sizeof f; i += 4) {
        float v = (float)i / 7.0f;
        memcpy(f + i, &v, 4);
    }
    char err[256];
    for (size_t n = 0; n < sizeof f; n++)
        ASSERT_NE(read_bytes(f, n, err, sizeof err), TAMIS_OK);
    ASSERT_OK(read_bytes(f, sizeof f, err, sizeof err));
    tamis_tmk *t;
    ASSERT_OK(tamis_tmk_read_mem(f, sizeof f, &t, err, sizeof err));
    unsigned char back[sizeof f];
    ASSERT_EQ(tamis_tmk_size(t), sizeof f);
    ASSERT_OK(tamis_tmk_write_mem(t, back, sizeof back));
    ASSERT(memcmp(back, f, sizeof f) == 0);
    /* It is not comparable with a reference-parameter hash. */
    tamis_tmk *ref;
    ASSERT_OK(tamis__tmk_begin(15, &ref));
    tamis__tmk_finish(ref);
    float s;
    ASSERT_EQ(tamis_tmk_level1(t, ref, &s), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_tmk_level2(ref, t, &s), TAMIS_ERR_INVALID);
    ASSERT(!tamis_tmk_compatible(t, ref));
    ASSERT(tamis_tmk_compatible(t, t));
    tamis_tmk_free(ref);
    tamis_tmk_free(t);
}

TEST(tmk_reader_survives_allocation_failures) {
    size_t len;
    unsigned char *p = read_file(ref_path("chair-19-sd-bar"), &len);
    ASSERT(p);
    char err[256];
    for (long n = 1;; n++) {
        tamis__alloc_fail_at(n);
        tamis_tmk *t;
        tamis_status st = tamis_tmk_read_mem(p, len, &t, err, sizeof err);
        tamis__alloc_fail_at(0);
        if (st == TAMIS_OK) {
            tamis_tmk_free(t);
            break;
        }
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
        ASSERT(n < 20);
    }
    free(p);
}

/* ---- Scores of the reference files ------------------------------------- */

/* tmk/README.md, "Look at all pair-scores": `tmk-two-level-score --c1 -1.0
 * --c2 0.0 *.tmk` on the sample hashes, the lowest and highest level-1
 * scores it prints; then `tmk-query --c1 0.7 --c2 0.7` with
 * chair-orig-22-hd-no-bar as the needle (printed with 6 decimals). */
static const struct {
    float l1, l2;
    const char *a, *b;
} readme_scores[] = {
    {-0.310042f, 0.017566f, "doorknob-hd-no-bar", "pattern-sd-with-large-logo-bar"},
    {-0.088088f, 0.033167f, "chair-19-sd-bar", "pattern-sd-with-large-logo-bar"},
    {-0.083061f, 0.033179f, "chair-20-sd-bar", "pattern-sd-with-large-logo-bar"},
    {-0.077388f, 0.026434f, "chair-22-with-small-logo-bar", "pattern-sd-with-small-logo-bar"},
    {-0.074581f, 0.021536f, "chair-22-with-small-logo-bar", "pattern-sd-with-large-logo-bar"},
    {-0.071327f, 0.021766f, "chair-22-sd-grey-bar", "pattern-sd-with-large-logo-bar"},
    {-0.070220f, 0.022146f, "chair-orig-22-sd-bar", "pattern-sd-with-large-logo-bar"},
    {-0.069683f, 0.019660f, "chair-22-sd-sepia-bar", "pattern-sd-with-large-logo-bar"},
    {-0.067127f, 0.025258f, "chair-22-sd-sepia-bar", "pattern-sd-with-small-logo-bar"},
    {-0.066280f, 0.023696f, "chair-orig-22-hd-no-bar", "pattern-sd-with-small-logo-bar"},
    {-0.066129f, 0.028783f, "chair-20-sd-bar", "pattern-sd-with-small-logo-bar"},
    {-0.064803f, 0.023406f, "chair-orig-22-fhd-no-bar", "pattern-sd-with-small-logo-bar"},
    {-0.063257f, 0.025060f, "chair-22-sd-grey-bar", "pattern-sd-with-small-logo-bar"},
    {-0.063251f, 0.019399f, "chair-orig-22-hd-no-bar", "pattern-sd-grey-bar"},
    {-0.061950f, 0.019116f, "chair-orig-22-fhd-no-bar", "pattern-sd-grey-bar"},
    {-0.061946f, 0.025864f, "chair-19-sd-bar", "pattern-sd-with-small-logo-bar"},
    {0.919339f, 0.921573f, "chair-20-sd-bar", "chair-22-with-small-logo-bar"},
    {0.926403f, 0.953071f, "chair-22-with-small-logo-bar", "chair-orig-22-sd-bar"},
    {0.926929f, 0.953268f, "chair-22-sd-grey-bar", "chair-22-with-small-logo-bar"},
    {0.927289f, 0.953265f, "chair-22-sd-sepia-bar", "chair-22-with-small-logo-bar"},
    {0.952329f, 0.961902f, "chair-19-sd-bar", "chair-orig-22-sd-bar"},
    {0.952936f, 0.962041f, "chair-19-sd-bar", "chair-22-sd-sepia-bar"},
    {0.953346f, 0.962158f, "chair-19-sd-bar", "chair-22-sd-grey-bar"},
    {0.981078f, 0.954990f, "pattern-hd-no-bar", "pattern-longer-no-bar"},
    {0.985408f, 0.988313f, "chair-20-sd-bar", "chair-orig-22-sd-bar"},
    {0.985554f, 0.988220f, "chair-20-sd-bar", "chair-22-sd-sepia-bar"},
    {0.985930f, 0.988437f, "chair-20-sd-bar", "chair-22-sd-grey-bar"},
    {0.989083f, 0.991138f, "chair-19-sd-bar", "chair-20-sd-bar"},
    {0.999750f, 0.999720f, "chair-22-sd-sepia-bar", "chair-orig-22-sd-bar"},
    {0.999779f, 0.999763f, "chair-22-sd-grey-bar", "chair-22-sd-sepia-bar"},
    {0.999883f, 0.999877f, "chair-orig-22-fhd-no-bar", "chair-orig-22-hd-no-bar"},
    {0.999963f, 0.999964f, "chair-22-sd-grey-bar", "chair-orig-22-sd-bar"},
    {0.719880f, 0.737563f, "chair-orig-22-hd-no-bar", "chair-orig-22-sd-bar"},
    {0.719910f, 0.736369f, "chair-orig-22-hd-no-bar", "chair-22-sd-sepia-bar"},
    {0.720115f, 0.737112f, "chair-orig-22-hd-no-bar", "chair-22-sd-grey-bar"},
    {0.727833f, 0.733890f, "chair-orig-22-hd-no-bar", "chair-19-sd-bar"},
    {0.732827f, 0.742627f, "chair-orig-22-hd-no-bar", "chair-20-sd-bar"},
    {0.999883f, 0.999877f, "chair-orig-22-hd-no-bar", "chair-orig-22-fhd-no-bar"},
    {1.000000f, 1.000000f, "chair-orig-22-hd-no-bar", "chair-orig-22-hd-no-bar"},
};

TEST(tmk_scores_of_reference_files_are_the_readme_numbers) {
    tamis_tmk *t[N_REF];
    load_all(t);
    for (size_t k = 0; k < sizeof readme_scores / sizeof readme_scores[0]; k++) {
        tamis_tmk *a = t[ref_index(readme_scores[k].a)], *b = t[ref_index(readme_scores[k].b)];
        float s1, s2, r1, r2;
        ASSERT_OK(tamis_tmk_level1(a, b, &s1));
        ASSERT_OK(tamis_tmk_level2(a, b, &s2));
        /* Symmetric, as the kernel is (up to float rounding). */
        ASSERT_OK(tamis_tmk_level1(b, a, &r1));
        ASSERT_OK(tamis_tmk_level2(b, a, &r2));
        ASSERT_NEAR(s1, r1, 1e-6);
        ASSERT_NEAR(s2, r2, 1e-5);
        /* Printed with 6 decimals: the last digit may round either way. */
        if (fabs(s1 - readme_scores[k].l1) > 1.5e-6 || fabs(s2 - readme_scores[k].l2) > 1.5e-6)
            FAIL("%s vs %s: %.6f %.6f, the reference printed %.6f %.6f", readme_scores[k].a,
                 readme_scores[k].b, s1, s2, readme_scores[k].l1, readme_scores[k].l2);
    }
    free_all(t, N_REF);
}

/* The reference's clusters at the default thresholds (README,
 * `tmk-clusterize --c1 0.7 --c2 0.7`): connected components of the match
 * graph, so no pair across two clusters matches. */
static int cluster_07(const char *name) {
    if (!strcmp(name, "chair-22-with-large-logo-bar"))
        return 2;
    if (!strcmp(name, "doorknob-hd-no-bar"))
        return 3;
    if (!strcmp(name, "pattern-sd-with-large-logo-bar"))
        return 5;
    if (!strncmp(name, "chair", 5))
        return 1;
    return 4;
}

/* The reference's decision for a pair where its documentation states one:
 * 1 match, 0 no match, -1 not documented. */
static int documented_decision(const char *a, const char *b) {
    if (!strcmp(a, b))
        return 1;
    if (cluster_07(a) != cluster_07(b))
        return 0;
    /* The README's tmk-query with chair-orig-22-hd-no-bar as the needle
     * lists every sample it matches at 0.7 / 0.7; the others do not. */
    const char *hd = "chair-orig-22-hd-no-bar";
    if (!strcmp(a, hd) || !strcmp(b, hd)) {
        const char *o = strcmp(a, hd) ? a : b;
        static const char *const hits[] = {"chair-orig-22-sd-bar", "chair-22-sd-sepia-bar",
                                           "chair-22-sd-grey-bar", "chair-19-sd-bar",
                                           "chair-20-sd-bar", "chair-orig-22-fhd-no-bar"};
        for (size_t i = 0; i < sizeof hits / sizeof hits[0]; i++)
            if (!strcmp(o, hits[i]))
                return 1;
        return 0;
    }
    /* Pairs whose scores the README prints. */
    for (size_t k = 0; k < sizeof readme_scores / sizeof readme_scores[0]; k++)
        if ((!strcmp(a, readme_scores[k].a) && !strcmp(b, readme_scores[k].b)) ||
            (!strcmp(b, readme_scores[k].a) && !strcmp(a, readme_scores[k].b)))
            return readme_scores[k].l1 >= 0.7f && readme_scores[k].l2 >= 0.7f;
    return -1;
}

TEST(tmk_reference_files_decisions_are_the_reference_ones) {
    tamis_tmk *t[N_REF];
    load_all(t);
    int checked = 0;
    for (int i = 0; i < N_REF; i++)
        for (int j = i; j < N_REF; j++) {
            tamis_tmk_match m;
            ASSERT_OK(tamis_tmk_compare(t[i], t[j], TAMIS_TMK_LEVEL1_THRESHOLD,
                                        TAMIS_TMK_LEVEL2_THRESHOLD, &m));
            int want = documented_decision(ref_names[i], ref_names[j]);
            if (want < 0)
                continue;
            if (m.match != want)
                FAIL("%s vs %s: %s (%.6f %.6f), the reference says %s", ref_names[i],
                     ref_names[j], m.match ? "match" : "no match", m.level1, m.level2,
                     want ? "match" : "no match");
            checked++;
        }
    /* Most of the 105 pairs (93) and the 15 self-pairs are documented. */
    printf("    %d of %d pairs with a documented decision\n", checked, N_REF * (N_REF + 1) / 2);
    ASSERT_GE(checked, 100);
    /* Level 2 is skipped below the level-1 threshold. */
    tamis_tmk_match m;
    ASSERT_OK(tamis_tmk_compare(t[ref_index("doorknob-hd-no-bar")],
                                t[ref_index("pattern-hd-no-bar")], 0.7f, 0.7f, &m));
    ASSERT(!m.level2_computed && !m.match && m.level2 == 0.0f);
    free_all(t, N_REF);
}

/* ---- Aggregation on synthetic frames ----------------------------------- */

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static float frand(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (float)((rs >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* A "video" of n frames drifting slowly through feature space, starting
 * at frame `skip` of the same drift. */
static tamis_tmk *synthetic(int n, int skip, uint64_t seed) {
    rs = seed;
    float f[TAMIS__TMK_DIM], step[TAMIS__TMK_DIM];
    for (int k = 0; k < TAMIS__TMK_DIM; k++)
        f[k] = 100.0f * frand();
    tamis_tmk *t;
    ASSERT_OK(tamis__tmk_begin(15, &t));
    for (int i = 0; i < skip + n; i++) {
        if (i % 30 == 0)
            for (int k = 0; k < TAMIS__TMK_DIM; k++)
                step[k] = 8.0f * frand();
        for (int k = 0; k < TAMIS__TMK_DIM; k++)
            f[k] += step[k];
        if (i >= skip)
            tamis__tmk_add_feature(t, f);
    }
    tamis__tmk_finish(t);
    return t;
}

TEST(tmk_aggregation_follows_the_definition) {
    /* Three frames, checked against the formulas in double. */
    float f[3][TAMIS__TMK_DIM];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < TAMIS__TMK_DIM; k++)
            f[i][k] = (float)((k * 7 + i * 13) % 29) - 14.0f;
    tamis_tmk *t;
    ASSERT_OK(tamis__tmk_begin(15, &t));
    for (int i = 0; i < 3; i++)
        tamis__tmk_add_feature(t, f[i]);
    tamis__tmk_finish(t);
    ASSERT_EQ(tamis_tmk_frame_count(t), 3);
    int dim;
    const float *avg = tamis_tmk_average(t, &dim);
    ASSERT_EQ(dim, 256);
    for (int k = 0; k < dim; k++)
        ASSERT_NEAR(avg[k], (f[0][k] + f[1][k] + f[2][k]) / 3.0, 1e-5);
    static const int periods[4] = {2731, 4391, 9767, 14653};
    const double a[3] = {0.0708041893112, 0.13937789309, 0.132897260304};
    double nrm[3];
    for (int i = 0; i < 3; i++) {
        double s = 0;
        for (int k = 0; k < dim; k++)
            s += (double)f[i][k] * f[i][k];
        nrm[i] = sqrt(s);
    }
    for (int p = 0; p < 4; p++)
        for (int j = 0; j < 3; j++) {
            double c[TAMIS__TMK_DIM], s[TAMIS__TMK_DIM], cn = 0, sn = 0;
            for (int k = 0; k < dim; k++) {
                c[k] = s[k] = 0;
                for (int i = 0; i < 3; i++) {
                    double arg = 2 * M_PI * j * i / periods[p];
                    c[k] += f[i][k] / nrm[i] * cos(arg);
                    s[k] += f[i][k] / nrm[i] * sin(arg);
                }
                cn += c[k] * c[k];
                sn += s[k] * s[k];
            }
            const float *tc = tamis__tmk_cos(t, p, j), *ts = tamis__tmk_sin(t, p, j);
            for (int k = 0; k < dim; k++) {
                ASSERT_NEAR(tc[k], c[k] / sqrt(cn) * sqrt(a[j]), 1e-5);
                if (j == 0)
                    ASSERT(ts[k] == 0.0f); /* sin(0) */
                else
                    ASSERT_NEAR(ts[k], s[k] / sqrt(sn) * sqrt(a[j]), 1e-4);
            }
        }
    tamis_tmk_free(t);
}

TEST(tmk_synthetic_videos_score_as_the_kernel_promises) {
    tamis_tmk *a = synthetic(600, 0, 1), *b = synthetic(600, 0, 1);
    tamis_tmk *late = synthetic(540, 60, 1); /* the same, 4 s cut at the start */
    tamis_tmk *other = synthetic(600, 0, 2);
    float s1, s2;
    /* Identical inputs give identical bytes, and scores of 1. */
    unsigned char *ba = malloc(TAMIS_TMK_FILE_SIZE), *bb = malloc(TAMIS_TMK_FILE_SIZE);
    ASSERT_OK(tamis_tmk_write_mem(a, ba, TAMIS_TMK_FILE_SIZE));
    ASSERT_OK(tamis_tmk_write_mem(b, bb, TAMIS_TMK_FILE_SIZE));
    ASSERT(memcmp(ba, bb, TAMIS_TMK_FILE_SIZE) == 0);
    ASSERT_OK(tamis_tmk_level1(a, b, &s1));
    ASSERT_OK(tamis_tmk_level2(a, b, &s2));
    ASSERT_NEAR(s1, 1.0, 1e-5);
    ASSERT_NEAR(s2, 1.0, 1e-5);
    /* A time shift: level 2 finds the alignment, so it stays near 1 when
     * comparing without the shift would not. */
    ASSERT_OK(tamis_tmk_level2(a, late, &s2));
    ASSERT_GT(s2 * 1000, 900);
    tamis_tmk_match m;
    ASSERT_OK(tamis_tmk_compare(a, late, 0.7f, 0.7f, &m));
    ASSERT(m.match && m.level2_computed);
    /* Another video: no match. */
    ASSERT_OK(tamis_tmk_compare(a, other, -1.0f, 0.0f, &m));
    ASSERT(m.level2_computed && m.match); /* thresholds -1 and 0 accept all */
    ASSERT_LT(m.level2 * 1000, 700);
    ASSERT_OK(tamis_tmk_compare(a, other, 0.7f, 0.7f, &m));
    ASSERT(!m.match);
    free(ba);
    free(bb);
    tamis_tmk_free(a);
    tamis_tmk_free(b);
    tamis_tmk_free(late);
    tamis_tmk_free(other);
}

TEST(tmk_empty_video_scores_zero) {
    tamis_tmk *e, *a = synthetic(100, 0, 3);
    ASSERT_OK(tamis__tmk_begin(15, &e));
    tamis__tmk_finish(e);
    ASSERT_EQ(tamis_tmk_frame_count(e), 0);
    float s;
    ASSERT_OK(tamis_tmk_level1(e, a, &s));
    ASSERT(s == 0.0f);
    ASSERT_OK(tamis_tmk_level1(e, e, &s));
    ASSERT(s == 0.0f);
    ASSERT_OK(tamis_tmk_level2(e, a, &s));
    ASSERT(s == 0.0f);
    /* It still writes and reads back. */
    unsigned char *buf = malloc(TAMIS_TMK_FILE_SIZE);
    ASSERT_OK(tamis_tmk_write_mem(e, buf, TAMIS_TMK_FILE_SIZE));
    tamis_tmk *r;
    char err[256];
    ASSERT_OK(tamis_tmk_read_mem(buf, TAMIS_TMK_FILE_SIZE, &r, err, sizeof err));
    ASSERT_EQ(tamis_tmk_frame_count(r), 0);
    ASSERT(tamis_tmk_compatible(r, a));
    free(buf);
    tamis_tmk_free(r);
    tamis_tmk_free(e);
    tamis_tmk_free(a);
    tamis_tmk_free(NULL);
}

TEST(tmk_pdqf_of_a_64x64_frame_is_the_dct_of_its_luma) {
    /* A 64x64 frame is taken as already downsampled: its PDQF is the DCT of
     * its luma, and thresholding it at the median gives PDQ's bits. */
    unsigned char rgb[64 * 64 * 3];
    float luma[64][64];
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            unsigned char *p = rgb + (y * 64 + x) * 3;
            p[0] = (unsigned char)(x * 4);
            p[1] = (unsigned char)((x * y) & 255);
            p[2] = (unsigned char)(255 - y * 3);
            luma[y][x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        }
    tamis__pdqf_work w = {0};
    float feat[256], dct[16][16];
    ASSERT_OK(tamis__tmk_pdqf(&w, rgb, 64, 64, 64 * 3, feat));
    tamis__pdq_dct64to16((const float(*)[64])luma, dct);
    ASSERT(memcmp(feat, dct, sizeof dct) == 0);
    tamis_pdq bits, ref;
    tamis__pdq_bits(dct, &bits);
    tamis_hasher *h;
    tamis_image_hash r;
    ASSERT_OK(tamis_hasher_create(NULL, &h));
    ASSERT_OK(tamis_hash_pixels(h, rgb, 64, 64, 64 * 3, TAMIS_PIXEL_RGB8, &r));
    ref = r.pdq;
    ASSERT_EQ(tamis_pdq_distance(&bits, &ref), 0);
    tamis_hasher_free(h);
    tamis__pdqf_work_free(&w);
}

/* ---- From the sample videos -------------------------------------------- */

/* The sample videos that have a reference .tmk. */
static const char *const video_names[] = {
    "chair-19-sd-bar",    "chair-20-sd-bar",   "chair-22-sd-grey-bar",
    "chair-22-with-small-logo-bar", "doorknob-hd-no-bar", "pattern-hd-no-bar",
    "pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"};
#define N_VIDEO ((int)(sizeof video_names / sizeof video_names[0]))

static const char *video_path(const char *name) {
    return fmt("%s/vectors/video/sample-videos/%s.mp4", shared_dir_or_skip(), name);
}

static tamis_tmk *hash_video(const char *path) {
    char err[256] = "";
    tamis_tmk *t = NULL;
    tamis_status st = tamis_tmk_hash_file(path, NULL, &t, err, sizeof err);
    if (st != TAMIS_OK)
        FAIL("%s: status %d: %s", path, st, err);
    return t;
}

TEST(tmk_sample_videos_hash_as_the_reference) {
    tamis_tmk *ours[N_VIDEO], *ref[N_VIDEO];
    for (int i = 0; i < N_VIDEO; i++) {
        ours[i] = hash_video(video_path(video_names[i]));
        ref[i] = load(ref_path(video_names[i]));
        float s1, s2;
        ASSERT_OK(tamis_tmk_level1(ours[i], ref[i], &s1));
        ASSERT_OK(tamis_tmk_level2(ours[i], ref[i], &s2));
        printf("    %-32s frames %d (reference %d) level1 %.6f level2 %.6f\n", video_names[i],
               tamis_tmk_frame_count(ours[i]), tamis_tmk_frame_count(ref[i]), s1, s2);
        /* The bar; on this machine the files come out identical. */
        if (s1 < 0.99f || s2 < 0.99f)
            FAIL("%s: level1 %.6f level2 %.6f against the reference", video_names[i], s1, s2);
        ASSERT_EQ(tamis_tmk_frame_count(ours[i]), tamis_tmk_frame_count(ref[i]));
    }
    /* Every pair decides as the reference's files do. */
    for (int i = 0; i < N_VIDEO; i++)
        for (int j = i + 1; j < N_VIDEO; j++) {
            tamis_tmk_match a, b;
            ASSERT_OK(tamis_tmk_compare(ours[i], ours[j], TAMIS_TMK_LEVEL1_THRESHOLD,
                                        TAMIS_TMK_LEVEL2_THRESHOLD, &a));
            ASSERT_OK(tamis_tmk_compare(ref[i], ref[j], TAMIS_TMK_LEVEL1_THRESHOLD,
                                        TAMIS_TMK_LEVEL2_THRESHOLD, &b));
            if (a.match != b.match)
                FAIL("%s vs %s: ours %d (%.6f %.6f), reference %d (%.6f %.6f)", video_names[i],
                     video_names[j], a.match, a.level1, a.level2, b.match, b.level1, b.level2);
        }
    free_all(ours, N_VIDEO);
    free_all(ref, N_VIDEO);
}

TEST(tmk_hash_from_memory_is_the_hash_from_the_file) {
    const char *path = video_path("doorknob-hd-no-bar");
    size_t len;
    unsigned char *data = read_file(path, &len);
    ASSERT(data);
    tamis_tmk *a = hash_video(path), *b;
    char err[256];
    ASSERT_OK(tamis_tmk_hash_mem(data, len, NULL, &b, err, sizeof err));
    unsigned char *ba = malloc(TAMIS_TMK_FILE_SIZE), *bb = malloc(TAMIS_TMK_FILE_SIZE);
    ASSERT_EQ(tamis_tmk_size(a), TAMIS_TMK_FILE_SIZE);
    ASSERT_OK(tamis_tmk_write_mem(a, ba, TAMIS_TMK_FILE_SIZE));
    ASSERT_OK(tamis_tmk_write_mem(b, bb, TAMIS_TMK_FILE_SIZE));
    ASSERT(memcmp(ba, bb, TAMIS_TMK_FILE_SIZE) == 0);
    /* The frame limit: the 62 frames do not fit in 10. */
    tamis_tmk_options o = {0};
    o.max_frames = 10;
    tamis_tmk *c = (tamis_tmk *)1;
    ASSERT_EQ(tamis_tmk_hash_mem(data, len, &o, &c, err, sizeof err), TAMIS_ERR_TOO_LARGE);
    ASSERT(c == NULL && strstr(err, "frames"));
    /* A truncated video: either fewer frames or a clear error. */
    tamis_status st = tamis_tmk_hash_mem(data, len / 3, NULL, &c, err, sizeof err);
    if (st == TAMIS_OK) {
        ASSERT_LT(tamis_tmk_frame_count(c), tamis_tmk_frame_count(a));
        tamis_tmk_free(c);
    } else {
        ASSERT(c == NULL && err[0]);
    }
    free(ba);
    free(bb);
    free(data);
    tamis_tmk_free(a);
    tamis_tmk_free(b);
}

TEST(tmk_hashing_what_is_not_a_video_fails_clearly) {
    char err[256];
    tamis_tmk *t = (tamis_tmk *)1;
    ASSERT_EQ(tamis_tmk_hash_mem("", 0, NULL, &t, err, sizeof err), TAMIS_ERR_EMPTY);
    ASSERT(t == NULL);
    static const char text[] = "this is not a video, just some words in a buffer........";
    tamis_status st = tamis_tmk_hash_mem(text, sizeof text, NULL, &t, err, sizeof err);
    ASSERT(st == TAMIS_ERR_UNSUPPORTED || st == TAMIS_ERR_CORRUPT);
    ASSERT(t == NULL && err[0]);
    const char *missing = fmt("%s/missing.mp4", tmp_dir());
    ASSERT_EQ(tamis_tmk_hash_file(missing, NULL, &t, err, sizeof err), TAMIS_ERR_IO);
    ASSERT(t == NULL && strstr(err, "missing.mp4"));
    /* A .tmk file is not a video. */
    st = tamis_tmk_hash_file(ref_path("chair-19-sd-bar"), NULL, &t, err, sizeof err);
    ASSERT(st == TAMIS_ERR_UNSUPPORTED || st == TAMIS_ERR_CORRUPT);
    ASSERT(t == NULL);
}
