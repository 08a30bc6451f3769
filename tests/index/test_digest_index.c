/* test_digest_index.c - lib/index/digest_index.c: exact digests to ids,
 * against a plain list, through growth, removal, save and mapped load. */
#include "../test.h"
#include "tamis.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

typedef struct {
    uint64_t ids[16];
    int n;
} found;

static int collect(void *ctx, uint64_t id, int d) {
    found *f = ctx;
    ASSERT_EQ(d, 0);
    if (f->n < 16)
        f->ids[f->n] = id;
    f->n++;
    return 0;
}

static int has(const found *f, uint64_t id) {
    for (int i = 0; i < f->n && i < 16; i++)
        if (f->ids[i] == id)
            return 1;
    return 0;
}

TEST(digest_add_lookup_remove_save_load) {
    enum { N = 50000, L = 32 };
    uint8_t *d = malloc((size_t)N * L);
    uint64_t *ids = malloc(N * sizeof *ids);
    for (size_t i = 0; i < (size_t)N * L; i += 8) {
        uint64_t r = rnd();
        memcpy(d + i, &r, 8);
    }
    for (int i = 0; i < N; i++)
        ids[i] = (uint64_t)i * 7 + 1;
    memcpy(d + 5 * L, d + 4 * L, L); /* two ids share a digest */
    tamis_digest_index *ix;
    ASSERT_EQ(tamis_digest_index_create(0, &ix), TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_digest_index_create(L, &ix));
    ASSERT_OK(tamis_digest_index_add(ix, d, ids, 1000));       /* grows */
    ASSERT_OK(tamis_digest_index_add(ix, d + 1000 * L, ids + 1000, N - 1000));
    ASSERT_EQ(tamis_digest_index_size(ix), N);
    for (int i = 0; i < N; i += 97) {
        found f = {{0}, 0};
        ASSERT_OK(tamis_digest_index_lookup(ix, d + (size_t)i * L, collect, &f));
        ASSERT(has(&f, ids[i]));
        ASSERT_EQ(f.n, (i == 4 || i == 5) ? 2 : 1);
    }
    found f = {{0}, 0};
    ASSERT_OK(tamis_digest_index_lookup(ix, d + 4 * L, collect, &f));
    ASSERT_EQ(f.n, 2);
    uint8_t absent[L] = {1, 2, 3};
    f.n = 0;
    ASSERT_OK(tamis_digest_index_lookup(ix, absent, collect, &f));
    ASSERT_EQ(f.n, 0);
    /* remove ids[4] and every tenth */
    uint64_t rm[N / 10 + 1];
    size_t nrm = 0, removed;
    rm[nrm++] = ids[4];
    for (int i = 10; i < N; i += 10)
        rm[nrm++] = ids[i];
    ASSERT_OK(tamis_digest_index_remove(ix, rm, nrm, &removed));
    ASSERT_EQ(removed, nrm);
    f.n = 0;
    ASSERT_OK(tamis_digest_index_lookup(ix, d + 4 * L, collect, &f));
    ASSERT_EQ(f.n, 1);
    ASSERT_EQ(f.ids[0], ids[5]);
    char p[4096], err[256];
    snprintf(p, sizeof p, "%s/d.tamisdx", tmp_dir());
    ASSERT_OK(tamis_digest_index_save(ix, p));
    tamis_digest_index_free(ix);
    ASSERT_OK(tamis_digest_index_load(p, &ix, err, sizeof err));
    ASSERT_EQ(tamis_digest_index_size(ix), N - nrm);
    for (int i = 0; i < N; i += 101) {
        f.n = 0;
        ASSERT_OK(tamis_digest_index_lookup(ix, d + (size_t)i * L, collect, &f));
        ASSERT_EQ(f.n, (i % 10 == 0 && i) || i == 4 ? 0 : 1);
    }
    /* A loaded index takes changes (copied to memory first). */
    ASSERT_OK(tamis_digest_index_add(ix, absent, ids, 1));
    f.n = 0;
    ASSERT_OK(tamis_digest_index_lookup(ix, absent, collect, &f));
    ASSERT_EQ(f.n, 1);
    tamis_digest_index_free(ix);
    /* Damage is refused. */
    FILE *fp = fopen(p, "r+b");
    fseek(fp, -10, SEEK_END);
    fputc(0x55, fp);
    fclose(fp);
    ASSERT_EQ(tamis_digest_index_load(p, &ix, err, sizeof err), TAMIS_ERR_CORRUPT);
    ASSERT(strstr(err, "checksum") != NULL);
    free(d);
    free(ids);
}
