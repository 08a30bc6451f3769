/* test_url_index.c - lib/url/url_index.c: entries (expressions, domains) to
 * ids; a lookup finds every entry a URL matches, with what matched, and
 * agrees with a brute-force comparison against every expression. */
#include "../../lib/common/common.h"
#include "../test.h"

typedef struct {
    int n;
    uint64_t id[64];
    int kind[64];
    char what[64][128];
} hits;

static int collect(void *ctx, const tamis_url_match *m) {
    hits *h = ctx;
    if (h->n < 64) {
        h->id[h->n] = m->id;
        h->kind[h->n] = m->kind;
        snprintf(h->what[h->n], sizeof h->what[0], "%.*s", (int)m->len, m->matched);
    }
    h->n++;
    return 0;
}

static hits lookup(const tamis_url_index *ix, const char *url) {
    tamis_url *u;
    hits h;
    memset(&h, 0, sizeof h);
    ASSERT_OK(tamis_url_create(&u));
    if (tamis_url_parse(u, url, strlen(url)) != TAMIS_OK)
        FAIL("parse(\"%s\"): %s", url, tamis_url_errmsg(u));
    ASSERT_OK(tamis_url_index_lookup(ix, u, collect, &h));
    tamis_url_free(u);
    return h;
}

static int has(const hits *h, uint64_t id, const char *what) {
    for (int i = 0; i < h->n && i < 64; i++)
        if (h->id[i] == id && strcmp(h->what[i], what) == 0)
            return 1;
    return 0;
}

static void add(tamis_url_index *ix, const char *e, tamis_url_kind k, uint64_t id) {
    if (tamis_url_index_add(ix, e, strlen(e), k, id) != TAMIS_OK)
        FAIL("add(\"%s\"): %s", e, tamis_url_index_errmsg(ix));
}

TEST(url_index_expression_and_domain_matches) {
    tamis_url_index *ix;
    ASSERT_OK(tamis_url_index_create(&ix));
    add(ix, "example.com/videos/", TAMIS_URL_AUTO, 1);
    add(ix, "HTTPS://Example.COM/videos/#x", TAMIS_URL_EXPRESSION, 2); /* the same entry */
    add(ix, "evil.org", TAMIS_URL_AUTO, 3);                             /* a domain */
    add(ix, "http://files.host.net/a/b.mp4?dl=1", TAMIS_URL_AUTO, 4);
    add(ix, "example.com/videos/", TAMIS_URL_AUTO, 1); /* again: stored once */
    ASSERT_EQ(tamis_url_index_size(ix), 4);

    hits h = lookup(ix, "https://www.example.com/videos/x?y=1");
    ASSERT_EQ(h.n, 2);
    ASSERT(has(&h, 1, "example.com/videos/"));
    ASSERT(has(&h, 2, "example.com/videos/"));
    ASSERT_EQ(h.kind[0], TAMIS_URL_EXPRESSION);
    ASSERT_EQ(lookup(ix, "https://www.example.com/video/x").n, 0);
    ASSERT_EQ(lookup(ix, "https://example.com.evil/videos/").n, 0);
    ASSERT_EQ(lookup(ix, "https://notexample.com/videos/").n, 0);

    /* A domain matches itself and subdomains at any depth, not look-alikes. */
    h = lookup(ix, "http://a.b.c.d.e.f.EVIL.org./x/y?z");
    ASSERT_EQ(h.n, 1);
    ASSERT(has(&h, 3, "evil.org"));
    ASSERT_EQ(h.kind[0], TAMIS_URL_DOMAIN);
    ASSERT_EQ(lookup(ix, "evil.org").n, 1);
    ASSERT_EQ(lookup(ix, "http://notevil.org/").n, 0);
    ASSERT_EQ(lookup(ix, "http://evil.org.uk/").n, 0);

    /* The exact URL with query, and the same path without it. */
    ASSERT(has((hits[]){lookup(ix, "http://files.host.net/a/b.mp4?dl=1#t")}, 4,
               "files.host.net/a/b.mp4?dl=1"));
    ASSERT_EQ(lookup(ix, "http://files.host.net/a/b.mp4?dl=2").n, 0);
    ASSERT_EQ(lookup(ix, "http://files.host.net/a/b.mp4").n, 0);

    size_t removed;
    uint64_t ids[] = {1, 99};
    ASSERT_OK(tamis_url_index_remove(ix, ids, 2, &removed));
    ASSERT_EQ(removed, 1);
    h = lookup(ix, "https://www.example.com/videos/x?y=1");
    ASSERT_EQ(h.n, 1);
    ASSERT(has(&h, 2, "example.com/videos/"));
    uint64_t id3 = 3;
    ASSERT_OK(tamis_url_index_remove(ix, &id3, 1, &removed));
    ASSERT_EQ(lookup(ix, "http://evil.org/").n, 0);
    add(ix, "evil.org", TAMIS_URL_DOMAIN, 5); /* back, under another id */
    ASSERT(has((hits[]){lookup(ix, "http://x.evil.org/")}, 5, "evil.org"));
    ASSERT_EQ(tamis_url_index_size(ix), 3);
    ASSERT_GT(tamis_url_index_memory(ix), 0);
    tamis_url_index_free(ix);
    tamis_url_index_free(NULL);
}

TEST(url_index_bad_entries_name_the_reason) {
    tamis_url_index *ix;
    ASSERT_OK(tamis_url_index_create(&ix));
    ASSERT_EQ(tamis_url_index_add(ix, "example.com/x", 13, TAMIS_URL_DOMAIN, 1),
              TAMIS_ERR_INVALID);
    ASSERT(strstr(tamis_url_index_errmsg(ix), "domain entry has no path") != NULL);
    ASSERT_EQ(tamis_url_index_add(ix, "http://", 7, TAMIS_URL_AUTO, 1), TAMIS_ERR_INVALID);
    ASSERT(strstr(tamis_url_index_errmsg(ix), "no host") != NULL);
    ASSERT_EQ(tamis_url_index_add(ix, "", 0, TAMIS_URL_AUTO, 1), TAMIS_ERR_EMPTY);
    ASSERT_EQ(tamis_url_index_add(ix, "a.com", 5, (tamis_url_kind)7, 1), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_url_index_size(ix), 0);
    tamis_url_index *none = NULL;
    tamis_url *u;
    ASSERT_OK(tamis_url_create(&u));
    ASSERT_EQ(tamis_url_index_lookup(ix, u, collect, NULL), TAMIS_ERR_INVALID); /* no URL */
    ASSERT_EQ(tamis_url_index_lookup(none, u, collect, NULL), TAMIS_ERR_INVALID);
    tamis_url_free(u);
    tamis_url_index_free(ix);
}

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static int mark(void *ctx, const tamis_url_match *m) {
    ((int *)ctx)[m->id]++;
    return 0;
}

static int stop_first(void *ctx, const tamis_url_match *m) {
    (*(int *)ctx)++;
    return 1;
}

/* Random entries over a small alphabet of labels and path parts, so that
 * URLs hit often; every lookup must report exactly the entries equal to
 * one of its expressions (or domains that are suffixes of its host). */
TEST(url_index_agrees_with_brute_force) {
    static const char *labels[] = {"a", "b", "c", "www", "x"};
    static const char *parts[] = {"p", "q", "r.html"};
    enum { NE = 3000, NQ = 3000 };
    char (*ent)[96] = malloc(NE * sizeof *ent);
    int *kind = malloc(NE * sizeof *kind);
    tamis_url_index *ix;
    ASSERT_OK(tamis_url_index_create(&ix));
    for (int i = 0; i < NE; i++) {
        char host[64] = "", path[64] = "";
        int nl = 1 + (int)(rnd() % 4);
        for (int k = 0; k < nl; k++)
            snprintf(host + strlen(host), sizeof host - strlen(host), "%s%s", k ? "." : "",
                     labels[rnd() % 5]);
        strcat(host, ".com");
        kind[i] = rnd() % 4 == 0 ? TAMIS_URL_DOMAIN : TAMIS_URL_EXPRESSION;
        if (kind[i] == TAMIS_URL_EXPRESSION) {
            int np = (int)(rnd() % 3);
            for (int k = 0; k < np; k++)
                snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", parts[rnd() % 3]);
            strcat(path, rnd() % 2 ? "/" : "");
            if (!path[0])
                strcpy(path, "/");
        }
        snprintf(ent[i], sizeof ent[i], "%s%s", host, path);
        add(ix, ent[i], (tamis_url_kind)kind[i], (uint64_t)i);
    }
    tamis_url *u, *v;
    ASSERT_OK(tamis_url_create(&u));
    ASSERT_OK(tamis_url_create(&v));
    long total = 0;
    for (int q = 0; q < NQ; q++) {
        char url[160] = "http://";
        int nl = 1 + (int)(rnd() % 6);
        for (int k = 0; k < nl; k++)
            snprintf(url + strlen(url), sizeof url - strlen(url), "%s%s", k ? "." : "",
                     labels[rnd() % 5]);
        strcat(url, ".com");
        int np = (int)(rnd() % 4);
        for (int k = 0; k < np; k++)
            snprintf(url + strlen(url), sizeof url - strlen(url), "/%s", parts[rnd() % 3]);
        if (rnd() % 2)
            strcat(url, "/");
        ASSERT_OK(tamis_url_parse(u, url, strlen(url)));
        static int seen[NE];
        memset(seen, 0, sizeof seen);
        ASSERT_OK(tamis_url_index_lookup(ix, u, mark, seen));
        size_t hl;
        const char *host = tamis_url_host(u, &hl);
        int want = 0;
        for (int i = 0; i < NE; i++) {
            ASSERT_OK(tamis_url_parse(v, ent[i], strlen(ent[i])));
            size_t el;
            const char *eh = tamis_url_host(v, &el);
            int match = 0;
            if (kind[i] == TAMIS_URL_DOMAIN) {
                match = el <= hl && memcmp(host + hl - el, eh, el) == 0 &&
                        (el == hl || host[hl - el - 1] == '.');
            } else {
                const char *canon = tamis_url_canonical(v, NULL);
                const char *expr = canon + (eh - canon);
                for (size_t k = 0; k < tamis_url_expression_count(u) && !match; k++) {
                    size_t xl;
                    const char *x = tamis_url_expression(u, k, &xl);
                    match = strlen(expr) == xl && memcmp(x, expr, xl) == 0;
                }
            }
            if (seen[i] != match)
                FAIL("%s: entry %s (%d) reported %d times, want %d", url, ent[i], i, seen[i],
                     match);
            want += match;
        }
        total += want;
        if (want) {
            int calls = 0;
            ASSERT_EQ(tamis_url_index_lookup(ix, u, stop_first, &calls), TAMIS_DONE);
            ASSERT_EQ(calls, 1);
        }
    }
    ASSERT_GT(total, NQ / 4); /* the test did test something */
    tamis_url_free(u);
    tamis_url_free(v);
    tamis_url_index_free(ix);
    free(ent);
    free(kind);
}

TEST(url_index_out_of_memory) {
    for (long k = 1; k < 200; k++) {
        tamis_url_index *ix = NULL;
        tamis__alloc_fail_at(k);
        int st = tamis_url_index_create(&ix);
        for (int i = 0; st == TAMIS_OK && i < 100; i++) {
            char e[64];
            snprintf(e, sizeof e, "h%d.example.com/p%d/", i, i);
            st = tamis_url_index_add(ix, e, strlen(e), TAMIS_URL_AUTO, (uint64_t)i);
        }
        tamis__alloc_fail_at(0);
        tamis_url_index_free(ix);
        if (st == TAMIS_OK)
            return;
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
    }
    FAIL("never succeeded");
}
