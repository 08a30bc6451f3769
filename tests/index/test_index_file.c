/*
 * test_index_file.c - lib/index/index_file.c: save and mmap-load round
 * trips, and malformed files refused with a reason (never a crash).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "tamis.h"

static uint64_t rs = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void random_codes(tamis_pdq *c, uint64_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 32; k += 8) {
            uint64_t r = rnd();
            memcpy(c[i].bytes + k, &r, 8);
        }
        ids[i] = 5000 + i;
    }
}

typedef struct {
    uint64_t sum;
    size_t n;
} digest;

static int fold(void *ctx, uint64_t id, int d) {
    digest *g = ctx;
    g->sum += id * 1000003u + (uint64_t)d;
    g->n++;
    return 0;
}

static digest search_all(const tamis_index *ix, const tamis_pdq *q, int nq, int radius) {
    digest g = {0, 0};
    for (int i = 0; i < nq; i++)
        ASSERT_OK(tamis_index_search(ix, &q[i], radius, fold, &g));
    return g;
}

TEST(save_load_round_trip) {
    size_t n = 30000;
    tamis_pdq *c = malloc(n * sizeof *c);
    uint64_t *ids = malloc(n * sizeof *ids);
    random_codes(c, ids, n);
    tamis_index *ix;
    ASSERT_OK(tamis_index_create(&ix));
    ASSERT_OK(tamis_index_add(ix, c, ids, 20000));
    ASSERT_OK(tamis_index_add(ix, c + 20000, ids + 20000, 10000 - 5));
    ASSERT_OK(tamis_index_add(ix, c + n - 5, ids + n - 5, 5)); /* buffer */
    uint64_t rm[2] = {5003, 5004};
    ASSERT_OK(tamis_index_remove(ix, rm, 2, NULL));
    enum { NQ = 200 };
    tamis_pdq q[NQ];
    for (int i = 0; i < NQ; i++) {
        q[i] = c[rnd() % n];
        for (int k = 0; k < (int)(rnd() % 30); k++)
            q[i].bytes[rnd() % 32] ^= (uint8_t)(1u << (rnd() % 8));
    }
    digest before = search_all(ix, q, NQ, 31);
    ASSERT_GT(before.n, NQ / 2);
    const char *path = fmt("%s/bank.tamisidx", tmp_dir());
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    ASSERT_OK(tamis_index_save(ix, p));
    size_t size_before = tamis_index_size(ix);
    tamis_index_free(ix);

    char err[256];
    ASSERT_OK(tamis_index_load(p, &ix, err, sizeof err));
    ASSERT_EQ(tamis_index_size(ix), size_before);
    digest after = search_all(ix, q, NQ, 31);
    ASSERT_EQ(after.n, before.n);
    ASSERT_EQ(after.sum, before.sum);
    /* A loaded index takes adds and removals like any other. */
    ASSERT_OK(tamis_index_add(ix, c, ids, 3));
    ASSERT_EQ(tamis_index_size(ix), size_before + 3);
    size_t removed;
    ASSERT_OK(tamis_index_remove(ix, ids, 1, &removed));
    ASSERT_EQ(removed, 2); /* the loaded one and the new one */
    /* Saving it again, over the same file, while it is mapped. */
    ASSERT_OK(tamis_index_save(ix, p));
    tamis_index_free(ix);
    ASSERT_OK(tamis_index_load(p, &ix, err, sizeof err));
    ASSERT_EQ(tamis_index_size(ix), size_before + 1);
    tamis_index_free(ix);
    free(c);
    free(ids);
}

TEST(empty_index_round_trip) {
    tamis_index *ix;
    ASSERT_OK(tamis_index_create(&ix));
    char p[4096];
    snprintf(p, sizeof p, "%s/empty.tamisidx", tmp_dir());
    ASSERT_OK(tamis_index_save(ix, p));
    tamis_index_free(ix);
    char err[256];
    ASSERT_OK(tamis_index_load(p, &ix, err, sizeof err));
    ASSERT_EQ(tamis_index_size(ix), 0);
    tamis_index_free(ix);
}

/* Writes a valid file, lets `damage` change it, and expects the load to
 * fail with `want` and a reason containing `why`. */
static void expect_refused(void (*damage)(const char *path), tamis_status want,
                           const char *why) {
    size_t n = 5000;
    tamis_pdq *c = malloc(n * sizeof *c);
    uint64_t *ids = malloc(n * sizeof *ids);
    random_codes(c, ids, n);
    tamis_index *ix;
    ASSERT_OK(tamis_index_create(&ix));
    ASSERT_OK(tamis_index_add(ix, c, ids, n));
    char p[4096];
    snprintf(p, sizeof p, "%s/x.tamisidx", tmp_dir());
    ASSERT_OK(tamis_index_save(ix, p));
    tamis_index_free(ix);
    free(c);
    free(ids);
    damage(p);
    char err[256] = "";
    tamis_index *bad = (tamis_index *)1;
    ASSERT_EQ(tamis_index_load(p, &bad, err, sizeof err), want);
    ASSERT(bad == NULL);
    if (!strstr(err, why))
        FAIL("reason \"%s\" does not mention \"%s\"", err, why);
    ASSERT(strstr(err, "x.tamisidx") != NULL); /* names the file */
}

static void poke(const char *path, long off, uint8_t xor_with) {
    int fd = open(path, O_RDWR);
    ASSERT(fd >= 0);
    struct stat sb;
    fstat(fd, &sb);
    if (off < 0)
        off += sb.st_size;
    uint8_t b;
    ASSERT_EQ(pread(fd, &b, 1, off), 1);
    b ^= xor_with;
    ASSERT_EQ(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void bad_magic(const char *p) { poke(p, 0, 0xff); }
static void bad_header(const char *p) { poke(p, 40, 0x01); }
static void bad_data(const char *p) { poke(p, -100, 0x10); }
static void truncated(const char *p) { ASSERT_EQ(truncate(p, 3000), 0); }
static void tiny(const char *p) { ASSERT_EQ(truncate(p, 10), 0); }
static void not_index(const char *p) {
    FILE *f = fopen(p, "w");
    fputs("0000000000000000000000000000000000000000000000000000000000000000 a\n", f);
    fclose(f);
}

TEST(malformed_files_refused) {
    expect_refused(bad_magic, TAMIS_ERR_UNSUPPORTED, "not a tamis index");
    expect_refused(bad_header, TAMIS_ERR_CORRUPT, "header checksum");
    expect_refused(bad_data, TAMIS_ERR_CORRUPT, "data checksum");
    expect_refused(truncated, TAMIS_ERR_CORRUPT, "size");
    expect_refused(tiny, TAMIS_ERR_CORRUPT, "too short");
    expect_refused(not_index, TAMIS_ERR_CORRUPT, "");
}

TEST(missing_file_is_io_error) {
    tamis_index *ix;
    char err[256];
    ASSERT_EQ(tamis_index_load("/nonexistent/bank.tamisidx", &ix, err, sizeof err), TAMIS_ERR_IO);
    ASSERT(strstr(err, "No such file") != NULL);
}
