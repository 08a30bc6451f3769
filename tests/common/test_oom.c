/*
 * test_oom.c - the allocation-failure sweep (issue 10): every public entry
 * point the golden tests exercise runs with its n-th allocation failing,
 * for n = 1, 2, 3... until a run makes fewer than n allocations. A run
 * that met the failure must return an error (TAMIS_ERR_NOMEM or another),
 * or TAMIS_OK with exactly the result of a clean run when the library
 * recovered; the run that no longer meets it must give the clean result.
 * Nothing may crash, and nothing may leak: under the SAN build the sweep
 * asks LeakSanitizer after each operation, so a leak names the operation
 * (and its allocation stack); the runner asks again after every test.
 *
 * What the hook sees: tamis's own allocations (lib/common/alloc.c, which
 * libpng is also given). libjpeg, giflib, libwebp, FFmpeg, SQLite,
 * jansson, libxml2, utf8proc, libidn2, libpq and OpenSSL allocate on
 * their own and are not failed here, except SQLite in
 * oom_with_sqlite_allocations, which routes it through the hook for its
 * process (sqlite3_config) and samples. The library leaves jansson's and
 * SQLite's allocators alone: both are process-wide and belong to the
 * program, and SQLite's must be set before anything opens a database.
 * TAMIS_OOM_JANSSON=1 routes jansson's through the hook here, which then
 * also checks tamis's handling of jansson failing - but jansson 2.14
 * itself aborts when an allocation fails while it lexes a long number or
 * string (assert in load.c lex_unget_unsave: akheron/jansson#362, open),
 * so that is an exploration, not part of make check.
 *
 * Failures are sticky (every allocation from the n-th on fails), so error
 * paths also run out of memory while they clean up. Above SWEEP_CAP
 * allocations an operation is swept at every k-th n (with SQLite's
 * allocations failing too, above 150), so that the whole run stays under
 * a minute. TAMIS_OOM_VERBOSE=1 prints each operation's count.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "../../lib/common/common.h"
#include "../media/gen.h"
#include "../test.h"
#include "../video/gen_video.h"
#include "tamis.h"

/* ---- the sweep ---------------------------------------------------------- */

/* What an operation produced, as text, to compare with a clean run. */
typedef struct out {
    char *s;
    size_t len, cap;
} out;

static void outf(out *o, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void outf(out *o, const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    ASSERT(n >= 0);
    if (o->len + (size_t)n + 1 > o->cap) {
        o->cap = 2 * (o->len + (size_t)n + 1);
        o->s = realloc(o->s, o->cap);
        ASSERT(o->s != NULL);
    }
    va_start(ap, f);
    vsnprintf(o->s + o->len, o->cap - o->len, f, ap);
    va_end(ap);
    o->len += (size_t)n;
}

static const char *out_str(const out *o) { return o->s ? o->s : ""; }

/* An operation: runs the entry point(s) once, frees everything it made,
 * and returns TAMIS_OK (with its result written to o) or the error. */
typedef tamis_status (*op_fn)(void *ctx, out *o);

#define SWEEP_CAP 2000 /* runs per operation at most */

static long sweep_n; /* the allocation failing in the current run (0: none) */

static void leak_check(const char *file, int line, const char *name) {
#ifdef __SANITIZE_ADDRESS__
    if (__lsan_do_recoverable_leak_check())
        test_fail(file, line, "%s: leaks after the allocation-failure sweep (report above)",
                  name);
#else
    (void)file, (void)line, (void)name;
#endif
}

static void sweep_at(const char *file, int line, const char *name, op_fn op, void *ctx,
                     long cap) {
    out clean = {0};
    sweep_n = 0;
    tamis__alloc_fail_at(0);
    tamis_status st = op(ctx, &clean);
    long total = tamis__alloc_fail_at(0);
    if (st != TAMIS_OK)
        test_fail(file, line, "%s: clean run: %d (%s)", name, st, tamis_strerror(st));
    long step = total / cap + 1, runs = 0, recovered = 0, n;
    for (n = 1;; n += step) {
        if (n > 4 * total + 100)
            test_fail(file, line, "%s: still failing at allocation %ld of %ld", name, n, total);
        out got = {0};
        sweep_n = n;
        tamis__alloc_fail_at(n);
        st = op(ctx, &got);
        long used = tamis__alloc_fail_at(0);
        sweep_n = 0;
        runs++;
        int same = strcmp(out_str(&got), out_str(&clean)) == 0;
        if (used < n) { /* the failure was never reached: a clean run */
            if (st != TAMIS_OK || !same)
                test_fail(file, line, "%s: run without failure: %d (%s), result\n%s\nwanted\n%s",
                          name, st, tamis_strerror(st), out_str(&got), out_str(&clean));
            free(got.s);
            break;
        }
        if (st == TAMIS_OK && !same)
            test_fail(file, line,
                      "%s: allocation %ld failed, yet TAMIS_OK with the result\n%s\nwanted\n%s",
                      name, n, out_str(&got), out_str(&clean));
        if (st > 0)
            test_fail(file, line, "%s: allocation %ld failed: status %d is not an error", name,
                      n, st);
        recovered += st == TAMIS_OK;
        free(got.s);
    }
    free(clean.s);
    leak_check(file, line, name);
    if (getenv("TAMIS_OOM_VERBOSE"))
        fprintf(stderr, "oom %-26s %6ld allocations, %5ld runs (n step %ld), %ld recovered\n",
                name, total, runs, step, recovered);
}
#define SWEEP(name, op, ctx) sweep_at(__FILE__, __LINE__, (name), (op), (ctx), SWEEP_CAP)
/* SQLite allocates hundreds of times a statement: those sweeps sample. */
#define SWEEP_SAMPLED(name, op, ctx) sweep_at(__FILE__, __LINE__, (name), (op), (ctx), 150)

/* With TAMIS_OOM_JANSSON=1, routes jansson's allocations through the
 * hook, for this test's process (each test runs in its own). */
static void hook_jansson(void) {
    const char *e = getenv("TAMIS_OOM_JANSSON");
    if (e && strcmp(e, "1") == 0)
        json_set_alloc_funcs(tamis__malloc, tamis__free);
}

/* An operation that fails must leave a message on its handle. */
#define NEED_MSG(st, msg)                                                      \
    do {                                                                       \
        if ((st) < 0 && !*(msg))                                               \
            FAIL("allocation %ld: error %d without a message", sweep_n, (int)(st)); \
    } while (0)

static void hex(out *o, const uint8_t *b, size_t n) {
    char h[129];
    tamis_hex_encode(b, n, h);
    outf(o, "%s", h);
}

/* Paths outlive fmt's rotating buffers here (freed at exit). */
static const char *path_of(const char *dir, const char *name) {
    static char paths[16][4096];
    static int i;
    char *p = paths[i++ % 16];
    if (snprintf(p, sizeof paths[0], "%s/%s", dir, name) >= (int)sizeof paths[0])
        FAIL("path too long: %s/%s", dir, name);
    return p;
}

static const char *sample(const char *name) {
    return path_of(fmt("%s/samples", repo_dir()), name);
}

/* ---- images ------------------------------------------------------------- */

typedef struct img_ctx {
    const char *path;           /* a file, or */
    const uint8_t *data;        /* bytes in memory */
    size_t len;
    unsigned flags;
} img_ctx;

static void put_image_hash(out *o, const tamis_image_hash *r) {
    char h[TAMIS_PDQ_HEX_LEN + 1];
    tamis_pdq_to_hex(&r->pdq, h);
    outf(o, "%s q=%d %dx%d %s", h, r->quality, r->width, r->height,
         tamis_image_format_name(r->format));
    if (r->has_digests) {
        outf(o, " md5=");
        hex(o, r->digests.md5, TAMIS_MD5_BYTES);
        outf(o, " sha256=");
        hex(o, r->digests.sha256, TAMIS_SHA256_BYTES);
    }
    for (int i = 0; i < r->n_variants; i++) {
        tamis_pdq_to_hex(&r->variants[i], h);
        outf(o, " %s:%s", tamis_pdq_variant_name(r->variant_kind[i]), h);
    }
    outf(o, "\n");
}

static tamis_status op_image(void *ctx, out *o) {
    img_ctx *c = ctx;
    tamis_hash_options opt = {c->flags, 0};
    tamis_hasher *h;
    tamis_status st = tamis_hasher_create(&opt, &h);
    if (st != TAMIS_OK)
        return st;
    tamis_image_hash r;
    st = c->path ? tamis_hash_image_file(h, c->path, &r) : tamis_hash_image_mem(h, c->data, c->len, &r);
    NEED_MSG(st, tamis_hasher_errmsg(h));
    if (st == TAMIS_OK)
        put_image_hash(o, &r);
    tamis_hasher_free(h);
    return st;
}

TEST(oom_hash_image_files) {
    static const char *files[] = {"palapeli-data-002.jpg", "python3-skimage-002.png",
                                  "libjxl-testdata-003.png", "lomiri-wallpapers-16.04-013.jpg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        img_ctx c = {sample(files[i]), NULL, 0, 0};
        SWEEP(fmt("hash_image_file %s", files[i]), op_image, &c);
    }
    img_ctx v = {sample("palapeli-data-003.jpg"), NULL, 0,
                 TAMIS_HASH_VARIANTS | TAMIS_HASH_EXIF_ORIENT};
    SWEEP("hash_image_file variants", op_image, &v);
    img_ctx f = {sample("lomiri-wallpapers-16.04-013.jpg"), NULL, 0,
                 TAMIS_HASH_FAST | TAMIS_HASH_NO_DIGESTS};
    SWEEP("hash_image_file fast", op_image, &f);
    img_ctx r = {sample("python3-skimage-010.jpg"), NULL, 0, TAMIS_HASH_RESIZE512};
    SWEEP("hash_image_file resize512", op_image, &r);
}

TEST(oom_hash_image_buffers) {
    size_t len;
    uint8_t *png = read_file(sample("libjxl-testdata-004.png"), &len);
    ASSERT(png != NULL);
    img_ctx c = {NULL, png, len, 0};
    SWEEP("hash_image_mem png", op_image, &c);
    /* a WebP and a GIF made here */
    enum { W = 96, H = 64 };
    uint8_t *rgb = malloc(W * H * 3), *idx = malloc(W * H), pal[256 * 3];
    for (int i = 0; i < W * H * 3; i++)
        rgb[i] = (uint8_t)(gen_rand() >> 7);
    for (int i = 0; i < W * H; i++)
        idx[i] = (uint8_t)((i % W) / 6 + (i / W) / 4);
    for (int i = 0; i < 256 * 3; i++)
        pal[i] = (uint8_t)(i * 7);
    size_t wlen, glen;
    uint8_t *webp = gen_webp_lossless(rgb, W, H, 3, &wlen);
    gen_gif_frame fr = {0, 0, W, H, 0, NULL, 0, idx};
    uint8_t *gif = gen_gif(W, H, pal, 256, 0, &fr, &glen);
    ASSERT(webp && gif);
    img_ctx w = {NULL, webp, wlen, TAMIS_HASH_VARIANTS};
    SWEEP("hash_image_mem webp", op_image, &w);
    img_ctx g = {NULL, gif, glen, 0};
    SWEEP("hash_image_mem gif", op_image, &g);
    free(webp);
    free(gif);
    free(rgb);
    free(idx);
    free(png);
}

typedef struct pix_ctx {
    const uint8_t *pix;
    int w, h;
    tamis_pixel_format fmt;
    unsigned flags;
} pix_ctx;

static tamis_status op_pixels(void *ctx, out *o) {
    pix_ctx *c = ctx;
    tamis_hash_options opt = {c->flags, 0};
    tamis_hasher *h;
    tamis_status st = tamis_hasher_create(&opt, &h);
    if (st != TAMIS_OK)
        return st;
    tamis_image_hash r;
    st = tamis_hash_pixels(h, c->pix, c->w, c->h, (size_t)c->w * c->fmt, c->fmt, &r);
    NEED_MSG(st, tamis_hasher_errmsg(h));
    if (st == TAMIS_OK)
        put_image_hash(o, &r);
    tamis_hasher_free(h);
    return st;
}

TEST(oom_hash_pixels) {
    enum { W = 300, H = 200 };
    uint8_t *pix = malloc(W * H * 4);
    for (int i = 0; i < W * H * 4; i++)
        pix[i] = (uint8_t)((i / 4 % W) ^ (i / 4 / W) ^ (gen_rand() & 15));
    pix_ctx rgb = {pix, W, H, TAMIS_PIXEL_RGB8, 0};
    SWEEP("hash_pixels rgb", op_pixels, &rgb);
    pix_ctx gray = {pix, W, H, TAMIS_PIXEL_GRAY8, TAMIS_HASH_VARIANTS};
    SWEEP("hash_pixels gray variants", op_pixels, &gray);
    pix_ctx rgba = {pix, W, H, TAMIS_PIXEL_RGBA8, TAMIS_HASH_RESIZE512};
    SWEEP("hash_pixels rgba", op_pixels, &rgba);
    free(pix);
}

/* ---- indexes and hash lists --------------------------------------------- */

enum { NCODES = 3000, NQ = 16 };

typedef struct index_ctx {
    tamis_pdq codes[NCODES], queries[NQ];
    uint64_t ids[NCODES];
    uint8_t digests[NCODES][TAMIS_SHA256_BYTES];
    const char *path, *dpath; /* where the saved index files are */
    tamis_index *built;       /* built clean, for the save sweep */
    tamis_digest_index *dbuilt;
} index_ctx;

static int on_hit(void *ctx, uint64_t id, int distance) {
    outf(ctx, " %llu@%d", (unsigned long long)id, distance);
    return 0;
}

/* Hits in a fixed order: searches report them in no particular one. */
static int cmp_line(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the space-separated words of `hits` sorted, after `label`, and
 * frees them. */
static void put_sorted(out *o, const char *label, out *hits) {
    char *words[NCODES];
    size_t n = 0;
    for (char *p = hits->s ? strtok(hits->s, " ") : NULL; p && n < NCODES; p = strtok(NULL, " "))
        words[n++] = p;
    qsort(words, n, sizeof *words, cmp_line);
    outf(o, "%s:", label);
    for (size_t i = 0; i < n; i++)
        outf(o, " %s", words[i]);
    outf(o, "\n");
    free(hits->s);
    memset(hits, 0, sizeof *hits);
}

static void put_search(out *o, const tamis_index *ix, const tamis_pdq *q, tamis_status *st) {
    out hits = {0};
    *st = tamis_index_search(ix, q, 40, on_hit, &hits);
    put_sorted(o, "search", &hits);
}

static tamis_status search_all(out *o, const tamis_index *ix, const index_ctx *c) {
    tamis_status st = TAMIS_OK;
    for (int i = 0; i < NQ && st == TAMIS_OK; i++)
        put_search(o, ix, &c->queries[i], &st);
    if (st != TAMIS_OK)
        return st;
    tamis_index_match m[5];
    size_t n;
    if ((st = tamis_index_knn(ix, &c->queries[0], 5, m, &n)) != TAMIS_OK)
        return st;
    outf(o, "knn:");
    for (size_t i = 0; i < n; i++)
        outf(o, " %llu@%d", (unsigned long long)m[i].id, m[i].distance);
    tamis_index_results r;
    if ((st = tamis_index_search_batch(ix, c->queries, NQ, 31, 1, &r)) != TAMIS_OK)
        return st;
    outf(o, "\nbatch:");
    for (size_t i = 0; i < r.n_queries; i++)
        for (size_t k = r.offsets[i]; k < r.offsets[i + 1]; k++)
            outf(o, " %zu:%llu@%d", i, (unsigned long long)r.matches[k].id, r.matches[k].distance);
    outf(o, "\nsize %zu\n", tamis_index_size(ix));
    tamis_index_results_free(&r);
    return TAMIS_OK;
}

static tamis_status op_index_build(void *ctx, out *o) {
    index_ctx *c = ctx;
    tamis_index *ix;
    tamis_status st = tamis_index_create(&ix);
    if (st != TAMIS_OK)
        return st;
    /* a bulk build, then adds into the append buffer, then a removal */
    st = tamis_index_add(ix, c->codes, c->ids, NCODES - 100);
    for (int i = NCODES - 100; st == TAMIS_OK && i < NCODES; i += 10)
        st = tamis_index_add(ix, c->codes + i, c->ids + i, 10);
    size_t removed = 0;
    if (st == TAMIS_OK)
        st = tamis_index_remove(ix, c->ids + 5, 50, &removed);
    NEED_MSG(st, tamis_index_errmsg(ix));
    if (st == TAMIS_OK) {
        outf(o, "removed %zu\n", removed);
        st = search_all(o, ix, c);
    }
    tamis_index_free(ix);
    return st;
}

static tamis_status op_index_save(void *ctx, out *o) {
    index_ctx *c = ctx;
    tamis_status st = tamis_index_save(c->built, c->path);
    NEED_MSG(st, tamis_index_errmsg(c->built));
    if (st == TAMIS_OK)
        st = search_all(o, c->built, c); /* still whole after failed saves */
    return st;
}

static tamis_status op_index_load(void *ctx, out *o) {
    index_ctx *c = ctx;
    tamis_index *ix;
    char err[256] = "";
    tamis_status st = tamis_index_load(c->path, &ix, err, sizeof err);
    NEED_MSG(st, err);
    if (st != TAMIS_OK)
        return st;
    st = search_all(o, ix, c);
    /* a change to a mapped index copies it first */
    uint64_t gone = c->ids[7];
    if (st == TAMIS_OK && (st = tamis_index_remove(ix, &gone, 1, NULL)) == TAMIS_OK)
        st = search_all(o, ix, c);
    tamis_index_free(ix);
    return st;
}

static tamis_status digest_lookups(out *o, const tamis_digest_index *ix, const index_ctx *c) {
    for (int i = 0; i < NCODES; i += 97) {
        tamis_status st = tamis_digest_index_lookup(ix, c->digests[i], on_hit, o);
        if (st != TAMIS_OK)
            return st;
    }
    outf(o, " size %zu\n", tamis_digest_index_size(ix));
    return TAMIS_OK;
}

static tamis_status op_digest_index(void *ctx, out *o) {
    index_ctx *c = ctx;
    tamis_digest_index *ix;
    tamis_status st = tamis_digest_index_create(TAMIS_SHA256_BYTES, &ix);
    if (st != TAMIS_OK)
        return st;
    st = tamis_digest_index_add(ix, c->digests[0], c->ids, NCODES);
    if (st == TAMIS_OK)
        st = tamis_digest_index_remove(ix, c->ids + 3, 200, NULL);
    if (st == TAMIS_OK)
        st = digest_lookups(o, ix, c);
    if (st == TAMIS_OK)
        st = tamis_digest_index_save(ix, c->dpath);
    tamis_digest_index_free(ix);
    if (st != TAMIS_OK)
        return st;
    char err[256] = "";
    if ((st = tamis_digest_index_load(c->dpath, &ix, err, sizeof err)) != TAMIS_OK) {
        NEED_MSG(st, err);
        return st;
    }
    st = digest_lookups(o, ix, c);
    if (st == TAMIS_OK) /* copied to memory on its first change */
        st = tamis_digest_index_add(ix, c->digests[1], c->ids + 1, 1);
    if (st == TAMIS_OK)
        st = digest_lookups(o, ix, c);
    tamis_digest_index_free(ix);
    return st;
}

TEST(oom_index_build_search_save_load) {
    index_ctx *c = calloc(1, sizeof *c);
    for (int i = 0; i < NCODES; i++) {
        for (int k = 0; k < TAMIS_PDQ_BYTES; k++)
            c->codes[i].bytes[k] = (uint8_t)gen_rand();
        for (int k = 0; k < TAMIS_SHA256_BYTES; k++)
            c->digests[i][k] = (uint8_t)gen_rand();
        c->ids[i] = 1000 + (uint64_t)i;
    }
    for (int q = 0; q < NQ; q++) { /* near some codes, far from the rest */
        c->queries[q] = c->codes[q * 151];
        for (int b = 0; b < q * 3; b++)
            c->queries[q].bytes[(b * 7) % 32] ^= (uint8_t)(1u << (b % 8));
    }
    c->path = path_of(tmp_dir(), "pdq.tamisidx");
    c->dpath = path_of(tmp_dir(), "sha.tamisidx");
    SWEEP("index create/add/remove/search", op_index_build, c);
    ASSERT_OK(tamis_index_create(&c->built));
    ASSERT_OK(tamis_index_add(c->built, c->codes, c->ids, NCODES - 10));
    ASSERT_OK(tamis_index_add(c->built, c->codes + NCODES - 10, c->ids + NCODES - 10, 10));
    SWEEP("index save", op_index_save, c);
    SWEEP("index load/search", op_index_load, c);
    SWEEP("digest index", op_digest_index, c);
    tamis_index_free(c->built);
    free(c);
}

static tamis_status op_hashlist(void *ctx, out *o) {
    const char *text = ctx;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        tamis_pdq code;
        const char *id = NULL, *why = NULL;
        size_t idlen = 0;
        tamis_status st = tamis_hashlist_parse_line(p, len, &code, &id, &idlen, &why);
        char h[TAMIS_PDQ_HEX_LEN + 1];
        if (st == TAMIS_OK) {
            tamis_pdq_to_hex(&code, h);
            outf(o, "%s [%.*s]\n", h, (int)idlen, id ? id : "");
        } else {
            outf(o, "%d %s\n", st, why ? why : "");
        }
        p += len + (e != NULL);
    }
    return TAMIS_OK;
}

TEST(oom_hashlist_parse) {
    char *text = (char *)read_file(fmt("%s/tests/formats/data/hashlist.txt", repo_dir()), NULL);
    ASSERT(text != NULL);
    SWEEP("hashlist_parse_line", op_hashlist, text);
    free(text);
}

/* ---- text and URLs ------------------------------------------------------ */

static const char POST[] =
    "BREAKING: \xd0\x90ttack on the c\xc3\xa9ntre, share before it's taken down!!! "
    "\xd9\x83\xd9\x8e\xd8\xaa\xd9\x80\xd9\x80\xd8\xa8 \xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c "
    "video at https://example.org/x \xe2\x80\x8b\xe2\x80\x8b Join us. Join us. Join us now.";

static tamis_status op_text(void *ctx, out *o) {
    (void)ctx;
    tamis_text *t;
    tamis_status st = tamis_text_create(NULL, &t);
    if (st != TAMIS_OK)
        return st;
    const char *norm;
    size_t nlen;
    tamis_text_hash th;
    st = tamis_text_normalise(t, POST, sizeof POST - 1, &norm, &nlen);
    if (st == TAMIS_OK) {
        outf(o, "%.*s\n", (int)nlen, norm);
        st = tamis_text_hash_compute(t, POST, sizeof POST - 1, &th);
    }
    NEED_MSG(st, tamis_text_errmsg(t));
    if (st == TAMIS_OK)
        outf(o, "%s %s %s %zu\n", th.exact, th.near, th.tlsh, th.normalised_len);
    tamis_text_free(t);
    char tl[TAMIS_TLSH_HEX_LEN + 1];
    if (st == TAMIS_OK && (st = tamis_tlsh_compute(POST, sizeof POST - 1, tl)) == TAMIS_OK)
        outf(o, "%s\n", tl);
    return st;
}

static int on_text_hit(void *ctx, uint64_t id, double sim) {
    outf(ctx, " %llu:%.3f", (unsigned long long)id, sim);
    return 0;
}

static tamis_status op_text_index(void *ctx, out *o) {
    const tamis_text_hash *hs = ctx; /* 20 signatures */
    tamis_text_index *ix;
    tamis_status st = tamis_text_index_create(&ix);
    if (st != TAMIS_OK)
        return st;
    for (int i = 0; i < 20 && st == TAMIS_OK; i++)
        st = tamis_text_index_add(ix, (uint64_t)i, hs[i].near, strlen(hs[i].near));
    size_t removed = 0;
    if (st == TAMIS_OK)
        st = tamis_text_index_remove(ix, 3, &removed);
    NEED_MSG(st, tamis_text_index_errmsg(ix));
    /* lookups take a const index: no message to leave */
    for (int i = 0; i < 20 && st == TAMIS_OK; i += 4) {
        outf(o, "%d:", i);
        st = tamis_text_index_lookup(ix, hs[i].near, strlen(hs[i].near), 0.3, on_text_hit, o);
        outf(o, "\n");
    }
    outf(o, "removed %zu size %zu\n", removed, tamis_text_index_size(ix));
    tamis_text_index_free(ix);
    return st;
}

TEST(oom_text) {
    SWEEP("text normalise/hash", op_text, NULL);
    tamis_text_hash *hs = calloc(20, sizeof *hs);
    tamis_text *t;
    ASSERT_OK(tamis_text_create(NULL, &t));
    for (int i = 0; i < 20; i++) {
        /* posts that share most of their words, by pairs */
        const char *s = fmt("the march on the %d city hall starts at noon bring %d flags and "
                            "the banner of the movement, spread the word %d",
                            i / 2, i / 2, i % 2);
        ASSERT_OK(tamis_text_hash_compute(t, s, strlen(s), &hs[i]));
    }
    tamis_text_free(t);
    SWEEP("text index add/remove/lookup", op_text_index, hs);
    free(hs);
}

static const char *const URLS[] = {
    "HTTP://www.Example.COM:80/a/../b/./c//d?x=1#frag",
    "http://0x7f.1/%2541%25%32%35",
    "https://b\xc3\xbc" "cher.example/p\xc3\xa4th?q=\xc3\xa4",
    "http://[2001:db8::1]:8080/v/123",
    "evil.example.org/videos/",
    "http://a.b.c.d.e.f.g.example.net/1/2/3/4/5/6.html?z",
    "http://",
};

static tamis_status op_url_canon(void *ctx, out *o) {
    (void)ctx;
    for (size_t i = 0; i < sizeof URLS / sizeof URLS[0]; i++) {
        char *s = NULL, err[256] = "";
        tamis_status st = tamis_url_canonicalize_alloc(URLS[i], strlen(URLS[i]), &s, err, sizeof err);
        if (st == TAMIS_ERR_NOMEM)
            return st;
        outf(o, "%d %s %s\n", st, s ? s : "-", st ? err : "");
        free(s);
    }
    return TAMIS_OK;
}

static int on_url_hit(void *ctx, const tamis_url_match *m) {
    outf(ctx, " %llu/%d/%.*s", (unsigned long long)m->id, m->kind, (int)m->len, m->matched);
    return 0;
}

static tamis_status op_url_index(void *ctx, out *o) {
    (void)ctx;
    tamis_url_index *ix;
    tamis_url *u;
    tamis_status st = tamis_url_index_create(&ix);
    if (st != TAMIS_OK)
        return st;
    if ((st = tamis_url_create(&u)) != TAMIS_OK) {
        tamis_url_index_free(ix);
        return st;
    }
    static const char *const entries[] = {"example.com/b/", "example.org", "evil.example.org",
                                          "http://a.b.c.d.e.f.g.example.net/1/2/",
                                          "b\xc3\xbc" "cher.example", "127.0.0.1/"};
    for (size_t i = 0; i < sizeof entries / sizeof entries[0] && st == TAMIS_OK; i++)
        st = tamis_url_index_add(ix, entries[i], strlen(entries[i]), TAMIS_URL_AUTO, i + 1);
    NEED_MSG(st, tamis_url_index_errmsg(ix));
    for (size_t i = 0; i + 1 < sizeof URLS / sizeof URLS[0] && st == TAMIS_OK; i++) {
        st = tamis_url_parse(u, URLS[i], strlen(URLS[i]));
        NEED_MSG(st, tamis_url_errmsg(u));
        if (st != TAMIS_OK)
            break;
        outf(o, "%s:", tamis_url_canonical(u, NULL));
        for (size_t k = 0; k < tamis_url_expression_count(u); k++) {
            size_t len;
            const char *e = tamis_url_expression(u, k, &len);
            outf(o, " %.*s", (int)len, e);
        }
        outf(o, "\n  hits");
        st = tamis_url_index_lookup(ix, u, on_url_hit, o);
        outf(o, "\n");
    }
    if (st == TAMIS_OK) {
        char *buf = NULL;
        size_t len = 0, written = 0, skipped = 0;
        FILE *f = open_memstream(&buf, &len);
        ASSERT(f != NULL);
        st = tamis_url_index_write_rpz(ix, NULL, NULL, NULL, f, &written, &skipped);
        if (st == TAMIS_OK)
            st = tamis_url_index_write_hosts(ix, NULL, NULL, NULL, f, &written, &skipped);
        fclose(f);
        if (st == TAMIS_OK)
            outf(o, "%s%zu %zu\n", buf, written, skipped);
        free(buf);
    }
    tamis_url_free(u);
    tamis_url_index_free(ix);
    return st;
}

TEST(oom_url) {
    SWEEP("url canonicalize", op_url_canon, NULL);
    SWEEP("url parse/index/rpz", op_url_index, NULL);
}

/* ---- video hashes ------------------------------------------------------- */

typedef struct video_ctx {
    const char *video;      /* a small generated video */
    const char *tmk_path;   /* its .tmk */
    char *vpdq_text;        /* its vPDQ, in the reference's text */
    char *vpdq_signal;      /* and in HMA's form */
    char *tmk_b64;
    tamis_vpdq *ref;        /* the same, hashed clean */
    tamis_tmk *tref;
} video_ctx;

static void put_frames(out *o, const tamis_vpdq *v) {
    size_t n = tamis_vpdq_count(v);
    const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
    for (size_t i = 0; i < n; i++) {
        char h[TAMIS_PDQ_HEX_LEN + 1];
        tamis_pdq_to_hex(&f[i].pdq, h);
        outf(o, "%d,%d,%s,%.3f\n", f[i].frame, f[i].quality, h, f[i].timestamp);
    }
}

static tamis_status op_vpdq_read(void *ctx, out *o) {
    video_ctx *c = ctx;
    tamis_vpdq *v;
    tamis_status st = tamis_vpdq_create(&v);
    if (st != TAMIS_OK)
        return st;
    st = tamis_vpdq_from_text(v, c->vpdq_text, strlen(c->vpdq_text));
    if (st == TAMIS_OK) {
        put_frames(o, v);
        st = tamis_vpdq_from_signal(v, c->vpdq_signal);
    }
    NEED_MSG(st, tamis_vpdq_errmsg(v));
    tamis_vpdq_result r;
    if (st == TAMIS_OK) {
        put_frames(o, v);
        st = tamis_vpdq_compare(v, c->ref, NULL, &r); /* const: no message */
    }
    if (st == TAMIS_OK)
        outf(o, "%zu %zu %zu %zu %.2f %.2f %d\n", r.query_frames, r.target_frames,
             r.query_matched, r.target_matched, r.query_share, r.target_share, r.match);
    tamis_vpdq_free(v);
    return st;
}

static tamis_status op_vpdq_hash(void *ctx, out *o) {
    video_ctx *c = ctx;
    tamis_vpdq *v;
    tamis_status st = tamis_vpdq_create(&v);
    if (st != TAMIS_OK)
        return st;
    tamis_vpdq_options opt = {0};
    opt.threads = 1;
    st = tamis_vpdq_hash_file(v, c->video, &opt);
    NEED_MSG(st, tamis_vpdq_errmsg(v));
    if (st == TAMIS_OK)
        put_frames(o, v);
    tamis_vpdq_free(v);
    return st;
}

static void put_tmk(out *o, const tamis_tmk *t, const tamis_tmk *ref) {
    tamis_tmk_match m;
    ASSERT_OK(tamis_tmk_compare(t, ref, -1, 0, &m));
    outf(o, "%d frames %d fps %zu bytes l1 %.4f l2 %.4f\n", tamis_tmk_frame_count(t),
         tamis_tmk_fps(t), tamis_tmk_size(t), (double)m.level1, (double)m.level2);
}

static tamis_status op_tmk_read(void *ctx, out *o) {
    video_ctx *c = ctx;
    tamis_tmk *t = NULL;
    char err[256] = "";
    tamis_status st = tamis_tmk_read_file(c->tmk_path, &t, err, sizeof err);
    NEED_MSG(st, err);
    if (st != TAMIS_OK)
        return st;
    put_tmk(o, t, c->tref);
    tamis_tmk_free(t);
    if ((st = tamis_tmk_read_base64(c->tmk_b64, &t, err, sizeof err)) != TAMIS_OK) {
        NEED_MSG(st, err);
        return st;
    }
    put_tmk(o, t, c->tref);
    tamis_tmk_free(t);
    return TAMIS_OK;
}

static tamis_status op_tmk_hash(void *ctx, out *o) {
    video_ctx *c = ctx;
    tamis_tmk *t = NULL;
    tamis_tmk_options opt = {1, 0, 0};
    char err[256] = "";
    tamis_status st = tamis_tmk_hash_file(c->video, &opt, &t, err, sizeof err);
    NEED_MSG(st, err);
    if (st != TAMIS_OK)
        return st;
    put_tmk(o, t, c->tref);
    tamis_tmk_free(t);
    return TAMIS_OK;
}

static void video_setup(video_ctx *c) {
    char err[256];
    c->video = path_of(tmp_dir(), "v.mkv");
    c->tmk_path = path_of(tmp_dir(), "v.tmk");
    gen_video_spec spec = {"matroska", "ffv1", 64, 48, 10, 12, 0};
    ASSERT_EQ(gen_video_file(&spec, c->video), 0);
    ASSERT_OK(tamis_vpdq_create(&c->ref));
    ASSERT_OK(tamis_vpdq_hash_file(c->ref, c->video, NULL));
    size_t n = tamis_vpdq_to_text(c->ref, NULL, 0);
    c->vpdq_text = malloc(n + 1);
    tamis_vpdq_to_text(c->ref, c->vpdq_text, n + 1);
    n = tamis_vpdq_to_signal(c->ref, NULL, 0);
    c->vpdq_signal = malloc(n + 1);
    tamis_vpdq_to_signal(c->ref, c->vpdq_signal, n + 1);
    ASSERT_OK(tamis_tmk_hash_file(c->video, NULL, &c->tref, err, sizeof err));
    ASSERT_OK(tamis_tmk_write_file(c->tref, c->tmk_path, err, sizeof err));
    n = tamis_tmk_to_base64(c->tref, NULL, 0);
    c->tmk_b64 = malloc(n + 1);
    tamis_tmk_to_base64(c->tref, c->tmk_b64, n + 1);
}

static void video_teardown(video_ctx *c) {
    tamis_vpdq_free(c->ref);
    tamis_tmk_free(c->tref);
    free(c->vpdq_text);
    free(c->vpdq_signal);
    free(c->tmk_b64);
}

TEST(oom_video_files_and_hashing) {
    video_ctx c = {0};
    video_setup(&c);
    hook_jansson(); /* from_signal reads JSON */
    SWEEP("vpdq from_text/from_signal/compare", op_vpdq_read, &c);
    SWEEP("tmk read_file/read_base64", op_tmk_read, &c);
    SWEEP("vpdq hash_file", op_vpdq_hash, &c);
    SWEEP("tmk hash_file", op_tmk_hash, &c);
    video_teardown(&c);
}

/* ---- banks: imports, the matcher ---------------------------------------- */

typedef struct import_ctx {
    tamis_db *db;
    const char *path;
    tamis_import_format format;
} import_ctx;

static int bank_seq; /* each run imports into a bank of its own */

static void on_reject(void *ctx, uint64_t pos, const char *why) {
    outf(ctx, "reject %llu: %s\n", (unsigned long long)pos, why);
}

static int on_content(void *ctx, const tamis_content *c) {
    out *o = ctx;
    outf(o, "item labels=%s source=%s meta=%s:", c->labels ? c->labels : "-",
         c->source ? c->source : "-", c->metadata ? c->metadata : "-");
    for (size_t i = 0; i < c->n_signals; i++)
        outf(o, " %s=%.80s", c->signals[i].type, c->signals[i].value);
    outf(o, "\n");
    return 0;
}

static tamis_status op_import(void *ctx, out *o) {
    import_ctx *c = ctx;
    char bank[64];
    snprintf(bank, sizeof bank, "OOM_%d", bank_seq++);
    FILE *f = fopen(c->path, "rb");
    ASSERT(f != NULL);
    tamis_import_report rep;
    tamis_status st = tamis_db_import(c->db, bank, f, c->format, "oom", on_reject, o, &rep);
    fclose(f);
    NEED_MSG(st, tamis_db_errmsg(c->db));
    if (st != TAMIS_OK)
        return st;
    outf(o, "read %llu added %llu removed %llu skipped %llu\n", (unsigned long long)rep.read,
         (unsigned long long)rep.added, (unsigned long long)rep.removed,
         (unsigned long long)rep.skipped);
    st = tamis_db_content_list(c->db, bank, 0, 0, on_content, o);
    NEED_MSG(st, tamis_db_errmsg(c->db));
    return st;
}

static const char *write_tmp(const char *name, const char *text) {
    const char *p = path_of(tmp_dir(), name);
    gen_write_file(p, text, strlen(text));
    return p;
}

TEST(oom_import_every_format) {
    hook_jansson();
    video_ctx v = {0};
    video_setup(&v);
    const char *vtxt = write_tmp("v.txt", v.vpdq_text);
    char err[256];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(fmt("%s/import.db", tmp_dir()), &db, err, sizeof err));
    char data[4096];
    snprintf(data, sizeof data, "%s/tests/formats/data", repo_dir());
    static const char *const urls = "https://evil.example/videos/1\nexample.org\n"
                                    "HTTP://Example.COM:80/a/../b/\nhttp://\n";
    static const char *const texts =
        "join the fight, the hour has come, spread this message to all brothers\n"
        "\n\xff\xfe invalid bytes then words of the call to arms again and again\n";
    const struct {
        tamis_import_format f;
        const char *path;
    } in[] = {
        {TAMIS_IMPORT_HMA_LOCAL, path_of(data, "hma_local.txt")},
        {TAMIS_IMPORT_HASHLIST, path_of(data, "hashlist.txt")},
        {TAMIS_IMPORT_PYTX_CSV, path_of(data, "pytx_header.csv")},
        {TAMIS_IMPORT_AUTO, path_of(data, "pytx_noheader.csv")},
        {TAMIS_IMPORT_TCAP_JSON, path_of(data, "tcap.json")},
        {TAMIS_IMPORT_NCMEC_XML, path_of(data, "ncmec.xml")},
        {TAMIS_IMPORT_STOPNCII_JSON, path_of(data, "stopncii.json")},
        {TAMIS_IMPORT_AUTO, vtxt},
        {TAMIS_IMPORT_TMK, v.tmk_path},
        {TAMIS_IMPORT_URL_LIST, write_tmp("urls.txt", urls)},
        {TAMIS_IMPORT_TEXT_LINES, write_tmp("texts.txt", texts)},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        import_ctx c = {db, in[i].path, in[i].f};
        const char *name = strrchr(in[i].path, '/') + 1;
        SWEEP(fmt("import %s", name), op_import, &c);
    }
    tamis_db_close(db);
    video_teardown(&v);
}

typedef struct match_ctx {
    char url[4096], snap[4096], snap2[4096];
    tamis_db *db;
    video_ctx v;
    tamis_matcher *m;  /* made clean, for the save and sync sweeps */
    int64_t live[64];  /* the sync sweep's items in the db, by id */
    size_t n_live;
    int seq;           /* items it made */
    int in_step;       /* its last sync succeeded */
} match_ctx;

static int on_match(void *ctx, const tamis_match *m) {
    outf(ctx, " %s/%lld/%s/%d/%.2f/%.2f/%s", m->bank, (long long)m->content_id, m->signal_type,
         m->distance, m->score[0], m->score[1], m->matched ? m->matched : "-");
    return 0;
}

static const char *const TYPES[] = {"pdq", "md5", "sha256", "vpdq", "tmk", "text_exact",
                                    "text_near", "text_tlsh", "url"};

/* Every kind of lookup, each one's matches sorted. */
static tamis_status lookups(tamis_matcher *m, const match_ctx *c, out *o) {
    const char *q[][2] = {
        {"pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b3d"},
        {"md5", "3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7"},
        {"sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
        {"vpdq", c->v.vpdq_signal},
        {"tmk", c->v.tmk_b64},
        {"text", "Buy CHEAP followers -- now!"},
        {"url", "http://www.example.com/bad?x=1"},
        {"url", "https://sub.example.org/"},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        out hits = {0};
        tamis_status st = tamis_matcher_lookup(m, q[i][0], q[i][1], -1, on_match, &hits);
        put_sorted(o, q[i][0], &hits);
        if (st == TAMIS_DONE)
            FAIL("allocation %ld: lookup %s: TAMIS_DONE", sweep_n, q[i][0]);
        if (st != TAMIS_OK)
            return st;
    }
    tamis_pdq p;
    ASSERT_OK(tamis_pdq_from_hex(q[0][1], 64, &p));
    out hits = {0};
    tamis_status st = tamis_matcher_lookup_pdq(m, &p, 40, on_match, &hits);
    put_sorted(o, "pdq binary", &hits);
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        outf(o, "%s %zu\n", TYPES[i], tamis_matcher_count(m, TYPES[i]));
    return st;
}

static tamis_status op_matcher_create(void *ctx, out *o) {
    match_ctx *c = ctx;
    tamis_matcher *m;
    char err[256] = "";
    tamis_status st = tamis_matcher_create(c->url, &m, err, sizeof err);
    NEED_MSG(st, err);
    if (st != TAMIS_OK)
        return st;
    st = lookups(m, c, o);
    tamis_matcher_free(m);
    return st;
}

static tamis_status op_matcher_save(void *ctx, out *o) {
    match_ctx *c = ctx;
    tamis_status st = tamis_matcher_save(c->m, c->snap2);
    if (st != TAMIS_OK)
        return st;
    return lookups(c->m, c, o);
}

static tamis_status op_matcher_open(void *ctx, out *o) {
    match_ctx *c = ctx;
    tamis_matcher *m;
    char err[256] = "";
    /* a failed save above left the snapshot whole (or not there): either
     * way the matcher must open right */
    tamis_status st = tamis_matcher_open(c->url, c->snap, &m, err, sizeof err);
    NEED_MSG(st, err);
    if (st != TAMIS_OK)
        return st;
    outf(o, "from snapshot %d\n", tamis_matcher_snapshot_seq(m) > 0);
    st = lookups(m, c, o);
    tamis_matcher_free(m);
    return st;
}

static int on_sync_item(void *ctx, const tamis_content *item) {
    match_ctx *c = ctx;
    if (c->n_live < 64)
        c->live[c->n_live++] = item->id;
    return 0;
}

typedef struct found_set {
    int64_t ids[64];
    size_t n;
} found_set;

static int on_sync_match(void *ctx, const tamis_match *m) {
    found_set *f = ctx;
    if (strcmp(m->bank, "SYNC") == 0 && f->n < 64)
        f->ids[f->n++] = m->content_id;
    return 0;
}

static void sync_hash(int k, char hex[65]) {
    tamis_pdq p;
    for (int i = 0; i < 32; i++)
        p.bytes[i] = (uint8_t)(((uint32_t)k * 2654435761u) >> (i % 4 * 8)) ^ (uint8_t)(i * 37);
    p.bytes[0] = (uint8_t)k;
    tamis_pdq_to_hex(&p, hex);
}

/* Adds an item and deletes the oldest, syncs, then checks that the
 * matcher finds exactly the bank's items: a sync that failed before must
 * have been made up by this one. */
static tamis_status op_matcher_sync(void *ctx, out *o) {
    match_ctx *c = ctx;
    char hex[65];
    tamis_status st;
    /* New changes only once the last ones were applied, so that the
     * backlog (and a run's allocations) stays bounded. */
    if (c->in_step) {
        sync_hash(c->seq, hex);
        tamis_signal sig = {"pdq", hex};
        tamis_content item;
        memset(&item, 0, sizeof item);
        item.bank = "SYNC";
        item.signals = &sig;
        item.n_signals = 1;
        if ((st = tamis_db_content_add(c->db, &item, NULL)) != TAMIS_OK)
            return st;
        c->seq++;
        c->in_step = 0;
    }
    c->n_live = 0;
    if ((st = tamis_db_content_list(c->db, "SYNC", 0, 0, on_sync_item, c)) != TAMIS_OK)
        return st;
    if (c->n_live > 3) {
        if ((st = tamis_db_content_delete(c->db, c->live[0])) != TAMIS_OK)
            return st;
        memmove(c->live, c->live + 1, --c->n_live * sizeof *c->live);
    }
    if ((st = tamis_matcher_sync(c->m, NULL)) != TAMIS_OK)
        return st;
    c->in_step = 1;
    found_set f = {{0}, 0};
    for (int k = c->seq > 8 ? c->seq - 8 : 0; k < c->seq; k++) { /* older ones are gone */
        sync_hash(k, hex);
        if ((st = tamis_matcher_lookup(c->m, "pdq", hex, 0, on_sync_match, &f)) != TAMIS_OK)
            return st;
    }
    int same = f.n == c->n_live;
    for (size_t i = 0; i < c->n_live && same; i++)
        same = f.ids[i] == c->live[i]; /* both in id order */
    outf(o, "sync: %s\n", same ? "in step" : "the matcher and the database differ");
    return TAMIS_OK;
}

static void match_setup(match_ctx *c) {
    hook_jansson();
    video_setup(&c->v);
    char err[256];
    snprintf(c->url, sizeof c->url, "%s/match.db", tmp_dir());
    snprintf(c->snap, sizeof c->snap, "%s/snap", tmp_dir());
    snprintf(c->snap2, sizeof c->snap2, "%s/snap2", tmp_dir());
    ASSERT_OK(tamis_db_open(c->url, &c->db, err, sizeof err));
    static const char *const urls = "example.com/bad\nexample.org\n";
    static const char *const texts = "buy cheap followers now\n";
    const char *in[][2] = {
        {"A", path_of(fmt("%s/tests/formats/data", repo_dir()), "hma_local.txt")},
        {"B", path_of(fmt("%s/tests/formats/data", repo_dir()), "pytx_header.csv")},
        {"V", write_tmp("m.txt", c->v.vpdq_text)},
        {"V", c->v.tmk_path},
        {"U", write_tmp("murls.txt", urls)},
        {"T", write_tmp("mtexts.txt", texts)},
    };
    tamis_import_format f[] = {TAMIS_IMPORT_AUTO, TAMIS_IMPORT_AUTO, TAMIS_IMPORT_AUTO,
                               TAMIS_IMPORT_AUTO, TAMIS_IMPORT_URL_LIST, TAMIS_IMPORT_TEXT_LINES};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        FILE *fp = fopen(in[i][1], "rb");
        ASSERT(fp != NULL);
        ASSERT_OK(tamis_db_import(c->db, in[i][0], fp, f[i], NULL, NULL, NULL, NULL));
        fclose(fp);
    }
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "SYNC";
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(c->db, &b));
    ASSERT_OK(tamis_matcher_create(c->url, &c->m, err, sizeof err));
    ASSERT_OK(tamis_matcher_save(c->m, c->snap));
    c->in_step = 1;
}

static void match_teardown(match_ctx *c) {
    tamis_matcher_free(c->m);
    tamis_db_close(c->db);
    video_teardown(&c->v);
}

TEST(oom_matcher_build_and_lookups) {
    match_ctx *c = calloc(1, sizeof *c);
    match_setup(c);
    SWEEP("matcher create/lookups", op_matcher_create, c);
    SWEEP("matcher save", op_matcher_save, c);
    SWEEP("matcher open from snapshot", op_matcher_open, c);
    match_teardown(c);
    free(c);
}

TEST(oom_matcher_sync) {
    match_ctx *c = calloc(1, sizeof *c);
    match_setup(c);
    SWEEP("matcher sync", op_matcher_sync, c);
    match_teardown(c);
    free(c);
}

/* ---- acting on matches: orders, decisions, notices, audit --------------- */

static double act_now = 1767258000.0; /* 2026-01-01T09:00:00Z */
static double act_clock(void *ctx) {
    (void)ctx;
    return act_now;
}
static const tamis_clock CLK = {act_clock, NULL};

typedef struct act_ctx {
    tamis_db *db;
    int64_t item;     /* a bank item of ACT, whose matches are decided */
    int64_t decision; /* a removal, for complaints */
    int seq;
} act_ctx;

/* A JSON text without the members named (ids, receipts: new each run). */
static void put_json_without(out *o, const char *text, const char *const *drop) {
    json_error_t e;
    json_malloc_t jm;
    json_free_t jf;
    json_get_alloc_funcs(&jm, &jf);
    json_set_alloc_funcs(malloc, free); /* the test's own parsing never fails */
    json_t *j = json_loads(text, 0, &e);
    ASSERT(j != NULL);
    for (; *drop; drop++)
        json_object_del(j, *drop);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    outf(o, "%s\n", s);
    free(s);
    json_decref(j);
    json_set_alloc_funcs(jm, jf);
}

static tamis_status op_order(void *ctx, out *o) {
    act_ctx *c = ctx;
    tamis_order in;
    memset(&in, 0, sizeof in);
    char ref[32];
    snprintf(ref, sizeof ref, "FR-2026-%04d", c->seq++);
    in.authority = "Office central de lutte contre la criminalite liee aux TIC";
    in.member_state = "FR";
    in.reference = ref;
    in.issued_at = act_now - 300;
    in.locators = "[\"https://host.example/v/123\",\"https://host.example/v/124\"]";
    in.reasons = "terrorist content within the meaning of Art 2(7)";
    in.redress = "administrative court, within two months";
    int64_t id;
    tamis_status st = tamis_order_receive(c->db, &CLK, "ops:alice", &in, &id);
    if (st == TAMIS_OK)
        st = tamis_order_step(c->db, &CLK, "ops:alice", id, TAMIS_ORDER_CLARIFICATION, "which url?");
    if (st == TAMIS_OK)
        st = tamis_order_step(c->db, &CLK, "ops:alice", id, TAMIS_ORDER_RECEIVED, "answered");
    if (st == TAMIS_OK)
        st = tamis_order_step(c->db, &CLK, "ops:bob", id, TAMIS_ORDER_EXECUTED, NULL);
    if (st != TAMIS_OK) {
        outf(o, "%s\n", tamis_db_errmsg(c->db));
        return st;
    }
    tamis_order g;
    if ((st = tamis_order_get(c->db, id, &g)) != TAMIS_OK)
        return st;
    outf(o, "%s %s %s %s %.0f %.0f %.0f %d %.0f %s %s\n", g.authority, g.member_state,
         g.locators, tamis_order_state_name(g.state), g.received_at, g.deadline, g.executed_at,
         g.on_time, g.clock_stopped, g.note ? g.note : "-", g.redress);
    tamis_order_clear(&g);
    char *json = NULL;
    if ((st = tamis_order_confirmation(c->db, id, &json)) != TAMIS_OK)
        return st;
    static const char *const drop[] = {"order_reference", "receipt", NULL};
    put_json_without(o, json, drop);
    free(json);
    return TAMIS_OK;
}

static void put_decision(out *o, const tamis_decision *d) {
    outf(o, "%s %s %s %d %s %s %d %d %d %s %s %.0f %d %s\n", d->puid, d->bank, d->signal_type,
         d->distance, d->variant ? d->variant : "-", tamis_action_name(d->action), d->state,
         d->automated_detection, d->automated_decision, d->reviewer ? d->reviewer : "-",
         d->reason ? d->reason : "-", d->decided_at, d->escalated,
         d->media_url ? d->media_url : "-");
}

static tamis_status op_decisions(void *ctx, out *o) {
    act_ctx *c = ctx;
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "upload-77";
    d.bank = "ACT";
    d.content_id = c->item;
    d.signal_type = "pdq";
    d.variant = "rotate90";
    d.distance = 2;
    d.media_url = "https://platform.example/m/77.jpg";
    int64_t auto_id, rev_id;
    tamis_action a1, a2;
    tamis_status st = tamis_decision_record(c->db, &CLK, "matcher", &d, &auto_id, &a1);
    d.distance = 20; /* within review, beyond auto */
    if (st == TAMIS_OK)
        st = tamis_decision_record(c->db, &CLK, "matcher", &d, &rev_id, &a2);
    if (st == TAMIS_OK)
        st = tamis_review_claim(c->db, &CLK, "rev:carol", rev_id, 600);
    if (st == TAMIS_OK)
        st = tamis_review_decide(c->db, &CLK, "rev:carol", rev_id, TAMIS_ACTION_DISABLE,
                                 "propaganda video, same footage", 0);
    if (st != TAMIS_OK)
        return st;
    outf(o, "%s %s\n", tamis_action_name(a1), tamis_action_name(a2));
    tamis_decision g;
    int64_t ids[2] = {auto_id, rev_id};
    for (int i = 0; i < 2; i++) {
        if ((st = tamis_decision_get(c->db, ids[i], &g)) != TAMIS_OK)
            return st;
        put_decision(o, &g);
        tamis_decision_clear(&g);
    }
    char *json = NULL;
    tamis_sor_problem p;
    if ((st = tamis_decision_statement(c->db, auto_id, 0, 0, &json, &p)) != TAMIS_OK)
        return st;
    static const char *const drop[] = {"puid", "decision_facts", NULL};
    put_json_without(o, json, drop);
    free(json);
    return TAMIS_OK;
}

static tamis_status op_notices(void *ctx, out *o) {
    act_ctx *c = ctx;
    tamis_notice n;
    memset(&n, 0, sizeof n);
    n.puid = "post-9";
    n.locator = "https://platform.example/p/9";
    n.explanation = "glorifies the attack of 12 March and calls for more";
    n.trusted_flagger = 1;
    n.notifier = "flagger@example.org";
    int64_t nid, cid;
    tamis_status st = tamis_notice_receive(c->db, &CLK, "intake", &n, &nid);
    if (st == TAMIS_OK)
        st = tamis_notice_decide(c->db, &CLK, "rev:dan", nid, TAMIS_ACTION_REMOVE,
                                 "incitement to terrorism");
    tamis_complaint cp;
    memset(&cp, 0, sizeof cp);
    cp.decision_id = c->decision;
    cp.puid = "upload-5";
    cp.grounds = "this is a documentary about the attack, not propaganda";
    if (st == TAMIS_OK)
        st = tamis_complaint_receive(c->db, &CLK, "provider", &cp, &cid);
    if (st == TAMIS_OK)
        st = tamis_complaint_answer(c->db, &CLK, "rev:erin", cid, 0, "the removal stands");
    if (st != TAMIS_OK)
        return st;
    tamis_notice g;
    if ((st = tamis_notice_get(c->db, nid, &g)) != TAMIS_OK)
        return st;
    outf(o, "%s %s %d %d %s %s %s\n", g.puid, g.locator, g.trusted_flagger, g.state,
         tamis_action_name(g.action), g.reason, g.outcome);
    tamis_notice_clear(&g);
    tamis_complaint k;
    if ((st = tamis_complaint_get(c->db, cid, &k)) != TAMIS_OK)
        return st;
    outf(o, "%s %s %d %.0f %d %d %s\n", k.puid, k.grounds, k.state, k.due_at,
         k.answered_in_time, k.reinstated, k.answer);
    tamis_complaint_clear(&k);
    return TAMIS_OK;
}

static int on_audit(void *ctx, const tamis_audit_entry *e) {
    outf(ctx, "%s %s %s %s\n", e->actor, e->action, e->subject ? e->subject : "-",
         e->detail ? e->detail : "-");
    return 0;
}

/* Verifies the whole log first, so that a run failing there adds nothing
 * and the log (and verify's work) grows only with runs that got further. */
static tamis_status op_audit(void *ctx, out *o) {
    act_ctx *c = ctx;
    tamis_audit_report r;
    tamis_status st = tamis_audit_verify(c->db, &r);
    if (st != TAMIS_OK)
        return st;
    outf(o, "verified %d\n", r.first_bad == 0 && strlen(r.head) == 64);
    int64_t seq;
    st = tamis_audit_append(c->db, &CLK, "ops:alice", "preserve.read", "item-42",
                            "{\"why\":\"a request from the police\",\"n\":[1,2]}", &seq);
    if (st == TAMIS_OK)
        st = tamis_audit_list(c->db, seq - 1, 1, on_audit, o);
    return st;
}

static void act_setup(act_ctx *c) {
    char err[256];
    ASSERT_OK(tamis_db_open(fmt("%s/act.db", tmp_dir()), &c->db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "ACT";
    b.enabled_ratio = 1;
    b.policy = "{\"trusted\":true,\"action\":\"remove\",\"auto\":{\"pdq\":10},"
               "\"review\":{\"pdq\":31}}";
    ASSERT_OK(tamis_db_bank_create(c->db, &b));
    tamis_signal s = {"pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"};
    tamis_content item;
    memset(&item, 0, sizeof item);
    item.bank = "ACT";
    item.signals = &s;
    item.n_signals = 1;
    ASSERT_OK(tamis_db_content_add(c->db, &item, &c->item));
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "upload-5";
    d.bank = "ACT";
    d.content_id = c->item;
    d.signal_type = "pdq";
    d.distance = 2;
    ASSERT_OK(tamis_decision_record(c->db, &CLK, "matcher", &d, &c->decision, NULL));
    hook_jansson();
}

/* After every sweep the audit log still holds: no failure broke the chain. */
static void act_teardown(act_ctx *c) {
    tamis_audit_report r;
    tamis_status st = tamis_audit_verify(c->db, &r);
    if (st != TAMIS_OK)
        FAIL("audit chain broken at entry %lld: %s", (long long)r.first_bad, r.problem);
    tamis_db_close(c->db);
}

TEST(oom_act_orders_decisions_notices_audit) {
    act_ctx c = {0};
    act_setup(&c);
    SWEEP("order receive/steps/get/confirmation", op_order, &c);
    SWEEP("decision record/claim/decide/statement", op_decisions, &c);
    SWEEP("notice and complaint", op_notices, &c);
    SWEEP("audit verify/append/list", op_audit, &c);
    act_teardown(&c);
}

static tamis_status op_report(void *ctx, out *o) {
    act_ctx *c = ctx;
    char *json = NULL, *html = NULL;
    double from = act_now - 86400 * 3, to = act_now + 86400;
    tamis_status st = tamis_report_json(c->db, from, to, &json);
    if (st == TAMIS_OK)
        st = tamis_report_html(c->db, from, to, &html);
    if (st == TAMIS_OK)
        outf(o, "%s\n%s\n", json, html);
    free(json);
    free(html);
    return st;
}

static tamis_sor statement(void) {
    tamis_sor s = {0};
    static const char *const kw[] = {TAMIS_SOR_KEYWORD_TERRORIST_CONTENT};
    static const char *const scope[] = {"DE", "FR"};
    s.visibility = TAMIS_SOR_VIS_REMOVED;
    s.ground = TAMIS_SOR_GROUND_ILLEGAL;
    s.legal_ground = "Regulation (EU) 2021/784, Art. 3 (removal order)";
    s.ground_explanation = "Terrorist content within Art. 2(7): a video glorifying an attack.";
    s.category = TAMIS_SOR_CATEGORY_TERRORISM;
    s.keywords = kw;
    s.n_keywords = 1;
    s.content_types = TAMIS_SOR_CONTENT_VIDEO;
    s.content_language = "EN";
    s.content_date = 1735689600;      /* 2025-01-01 */
    s.application_date = 1767225600;  /* 2026-01-01 */
    s.decision_facts = "Removed after a removal order; found by hash matching at distance 4.";
    s.source = TAMIS_SOR_SOURCE_OTHER_NOTIFICATION;
    s.source_identity = "Office central de lutte contre la criminalite liee aux TIC";
    s.automated_detection = 1;
    s.automated_decision = TAMIS_SOR_NOT_AUTOMATED;
    s.territorial_scope = scope;
    s.n_territorial_scope = 2;
    s.puid = "tamis-decision-000123";
    return s;
}

static tamis_status op_sor(void *ctx, out *o) {
    (void)ctx;
    tamis_sor s[2] = {statement(), statement()};
    s[1].puid = "tamis-decision-000124";
    char *one = NULL, *batch = NULL;
    tamis_sor_problem p;
    tamis_status st = tamis_sor_to_json(&s[0], &one, &p);
    if (st == TAMIS_OK)
        st = tamis_sor_validate_json(one, strlen(one), &p);
    if (st == TAMIS_OK)
        st = tamis_sor_batch_to_json(s, 2, &batch, &p);
    if (st == TAMIS_OK)
        st = tamis_sor_validate_batch_json(batch, strlen(batch), &p);
    if (st == TAMIS_OK)
        outf(o, "%s\n%s\n", one, batch);
    free(one);
    free(batch);
    return st;
}

TEST(oom_act_report_and_statements) {
    act_ctx c = {0};
    act_setup(&c);
    /* a period with an order, decisions and a notice in it */
    act_now -= 86400;
    out o = {0};
    ASSERT_OK(op_order(&c, &o));
    ASSERT_OK(op_decisions(&c, &o));
    ASSERT_OK(op_notices(&c, &o));
    free(o.s);
    act_now += 86400;
    SWEEP("report json/html", op_report, &c);
    SWEEP("sor to_json/validate/batch", op_sor, NULL);
    act_teardown(&c);
}

/* ---- SQLite's allocations too ------------------------------------------- */

/* SQLite's allocator, routed through the hook for this test's process
 * (sqlite3_config must come before SQLite initialises, and is process-
 * wide: the library leaves it to the program). Each block keeps its size
 * in the 8 bytes before it, for xSize. */
static void *sq_malloc(int n) {
    int64_t *p = tamis__malloc((size_t)n + 8);
    if (!p)
        return NULL;
    p[0] = n;
    return p + 1;
}
static void sq_free(void *p) {
    if (p)
        tamis__free((int64_t *)p - 1);
}
static void *sq_realloc(void *p, int n) {
    int64_t *q = tamis__realloc((int64_t *)p - 1, (size_t)n + 8);
    if (!q)
        return NULL;
    q[0] = n;
    return q + 1;
}
static int sq_size(void *p) { return p ? (int)((int64_t *)p)[-1] : 0; }
static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *app) {
    (void)app;
    return SQLITE_OK;
}
static void sq_shutdown(void *app) { (void)app; }

static void hook_sqlite(void) {
    static const sqlite3_mem_methods m = {sq_malloc, sq_free,  sq_realloc, sq_size,
                                          sq_roundup, sq_init, sq_shutdown, NULL};
    ASSERT_EQ(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
}

/* The db-backed operations again, now with SQLite running out of memory
 * too: every failure must roll back (the audit chain still verifies, the
 * matcher catches up) and surface as an error. */
TEST(oom_with_sqlite_allocations) {
    hook_sqlite();
    act_ctx c = {0};
    act_setup(&c);
    SWEEP_SAMPLED("sqlite: order", op_order, &c);
    SWEEP_SAMPLED("sqlite: decisions", op_decisions, &c);
    SWEEP_SAMPLED("sqlite: notice and complaint", op_notices, &c);
    SWEEP_SAMPLED("sqlite: audit", op_audit, &c);
    SWEEP_SAMPLED("sqlite: report", op_report, &c);
    act_teardown(&c);
    char data[4096];
    snprintf(data, sizeof data, "%s/tests/formats/data", repo_dir());
    import_ctx ic = {NULL, path_of(data, "pytx_header.csv"), TAMIS_IMPORT_AUTO};
    char err[256];
    ASSERT_OK(tamis_db_open(fmt("%s/imp.db", tmp_dir()), &ic.db, err, sizeof err));
    SWEEP_SAMPLED("sqlite: import pytx csv", op_import, &ic);
    tamis_db_close(ic.db);
    match_ctx *m = calloc(1, sizeof *m);
    match_setup(m);
    SWEEP_SAMPLED("sqlite: matcher create/lookups", op_matcher_create, m);
    SWEEP_SAMPLED("sqlite: matcher sync", op_matcher_sync, m);
    match_teardown(m);
    free(m);
}
