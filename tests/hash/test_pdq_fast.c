/*
 * test_pdq_fast.c - lib/hash/pdq_fast.c and fast mode end to end.
 * The emulated filter must give the exact pipeline's grid when the reduced
 * image is exactly the block means (blocks uniform), and fast mode must
 * stay within the reference's conformance bound of 10 bits for images of
 * quality >= 80.
 */
#include <dirent.h>
#include <math.h>

#include "../../lib/hash/pdq.h"
#include "../test.h"

/* A full-resolution luma made of uniform s x s blocks, and its means. */
static void blocky(int rows, int cols, int s, float **full, float **red, int *rr, int *rc) {
    *rr = (rows + s - 1) / s;
    *rc = (cols + s - 1) / s;
    *full = malloc(sizeof(float) * rows * cols);
    *red = malloc(sizeof(float) * *rr * *rc);
    for (int by = 0; by < *rr; by++)
        for (int bx = 0; bx < *rc; bx++) {
            float v = (float)(int)(128 + 100 * sin(by * 0.37 + bx * 0.11) * cos(bx * 0.23));
            (*red)[by * *rc + bx] = v;
            for (int y = by * s; y < by * s + s && y < rows; y++)
                for (int x = bx * s; x < bx * s + s && x < cols; x++)
                    (*full)[y * cols + x] = v;
        }
}

static void check_emulation(int rows, int cols, int s) {
    float *full, *red;
    int rr, rc;
    blocky(rows, cols, s, &full, &red, &rr, &rc);
    tamis__pdq_work w = {0};
    tamis__luma_view vf = {full, rows, cols, cols, 1}, vr = {red, rr, rc, rc, 1};
    tamis_pdq a, b;
    int qa, qb;
    ASSERT_OK(tamis__pdq_from_luma(&w, &vf, &a, &qa));
    ASSERT_OK(tamis__pdq_from_reduced(&vr, s, rows, cols, &b, &qb));
    /* Only float rounding differs (single vs double precision sums). */
    int d = tamis_pdq_distance(&a, &b);
    if (d > 2)
        FAIL("%dx%d at 1/%d: emulated hash %d bits from the exact one", rows, cols, s, d);
    ASSERT_NEAR(qa, qb, 1);
    tamis__pdq_work_free(&w);
    free(full);
    free(red);
}

TEST(emulated_filter_equals_exact_on_uniform_blocks) {
    /* Sides multiple of s and not, windows even and odd. */
    check_emulation(1024, 1536, 8);
    check_emulation(1001, 1413, 8);
    check_emulation(999, 777, 4);
    check_emulation(600, 800, 2);
}

TEST(fast_scale_keeps_two_reduced_pixels_per_window) {
    ASSERT_EQ(tamis__pdq_fast_scale(4000, 3000, 0), 8);  /* window 24 */
    ASSERT_EQ(tamis__pdq_fast_scale(1000, 1000, 0), 4);  /* window 8 */
    ASSERT_EQ(tamis__pdq_fast_scale(512, 512, 0), 2);    /* window 4 */
    ASSERT_EQ(tamis__pdq_fast_scale(300, 300, 0), 1);    /* window 3 */
    ASSERT_EQ(tamis__pdq_fast_scale(1000, 1000, 1), 8);  /* progressive: DC */
    ASSERT_EQ(tamis__pdq_fast_scale(900, 5000, 1), 8);   /* window 8 */
    ASSERT_EQ(tamis__pdq_fast_scale(800, 5000, 1), 2);   /* window 7 */
}

/* Every image of quality >= 80 in `dir` within 10 bits in fast mode. */
static int check_dir(const char *dir, int *worst) {
    DIR *d = opendir(dir);
    ASSERT(d != NULL);
    tamis_hasher *hx, *hf;
    tamis_hash_options ox = {TAMIS_HASH_NO_DIGESTS, 0}, of = {TAMIS_HASH_NO_DIGESTS | TAMIS_HASH_FAST, 0};
    ASSERT_OK(tamis_hasher_create(&ox, &hx));
    ASSERT_OK(tamis_hasher_create(&of, &hf));
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (!dot || (strcmp(dot, ".jpg") && strcmp(dot, ".png")))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        tamis_image_hash a, b;
        ASSERT_OK(tamis_hash_image_file(hx, path, &a));
        ASSERT_OK(tamis_hash_image_file(hf, path, &b));
        if (a.quality < 80)
            continue;
        int dist = tamis_pdq_distance(&a.pdq, &b.pdq);
        if (dist > 10)
            FAIL("%s: fast hash %d bits from exact (max 10)", e->d_name, dist);
        if (dist > *worst)
            *worst = dist;
        n++;
    }
    closedir(d);
    tamis_hasher_free(hx);
    tamis_hasher_free(hf);
    return n;
}

TEST(fast_mode_within_10_bits_on_samples) {
    int worst = 0;
    ASSERT_EQ(check_dir(fmt("%s/samples", repo_dir()), &worst), 8);
}

TEST(fast_mode_within_10_bits_on_corpus) {
    const char *sh = shared_dir_or_skip();
    int worst = 0;
    ASSERT_GE(check_dir(fmt("%s/corpus/images", sh), &worst), 100);
    ASSERT_GE(check_dir(fmt("%s/corpus/images-variants", sh), &worst), 20);
}
