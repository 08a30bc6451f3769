/* test_expr.c - lib/url/expr.c: the suffix/prefix expressions of the Safe
 * Browsing API v4 documentation ("URLs and Hashing", section Suffix/Prefix
 * Expressions), with its examples in its order, and the limits. */
#include "../test.h"
#include "tamis.h"

static void check(const char *url, const char *const *want, size_t n) {
    tamis_url *u;
    ASSERT_OK(tamis_url_create(&u));
    if (tamis_url_parse(u, url, strlen(url)) != TAMIS_OK)
        FAIL("parse(\"%s\"): %s", url, tamis_url_errmsg(u));
    size_t count = tamis_url_expression_count(u);
    for (size_t i = 0; i < count || i < n; i++) {
        size_t len = 0;
        const char *e = tamis_url_expression(u, i, &len);
        if (i >= n)
            FAIL("%s: extra expression %zu \"%.*s\"", url, i, (int)len, e);
        if (i >= count)
            FAIL("%s: expression %zu missing, want \"%s\"", url, i, want[i]);
        if (len != strlen(want[i]) || memcmp(e, want[i], len) != 0)
            FAIL("%s: expression %zu is \"%.*s\", want \"%s\"", url, i, (int)len, e, want[i]);
    }
    ASSERT(tamis_url_expression(u, count, NULL) == NULL);
    tamis_url_free(u);
}

#define CHECK(url, ...)                                                        \
    do {                                                                       \
        static const char *const w_[] = {__VA_ARGS__};                         \
        check(url, w_, sizeof w_ / sizeof *w_);                                \
    } while (0)

TEST(expr_documented_examples) {
    CHECK("http://a.b.c/1/2.html?param=1", "a.b.c/1/2.html?param=1", "a.b.c/1/2.html", "a.b.c/",
          "a.b.c/1/", "b.c/1/2.html?param=1", "b.c/1/2.html", "b.c/", "b.c/1/");
    /* b.c.d.e.f.g is skipped: the full host and the last five labels. */
    CHECK("http://a.b.c.d.e.f.g/1.html", "a.b.c.d.e.f.g/1.html", "a.b.c.d.e.f.g/",
          "c.d.e.f.g/1.html", "c.d.e.f.g/", "d.e.f.g/1.html", "d.e.f.g/", "e.f.g/1.html",
          "e.f.g/", "f.g/1.html", "f.g/");
    CHECK("http://1.2.3.4/1/", "1.2.3.4/1/", "1.2.3.4/");
}

TEST(expr_limits_and_edges) {
    /* 6 paths: with and without the query, "/" and 3 directories. */
    CHECK("http://a.b/1/2/3/4/5/6.html?x", "a.b/1/2/3/4/5/6.html?x", "a.b/1/2/3/4/5/6.html",
          "a.b/", "a.b/1/", "a.b/1/2/", "a.b/1/2/3/");
    CHECK("http://a.b/1/2/3/4/5/", "a.b/1/2/3/4/5/", "a.b/", "a.b/1/", "a.b/1/2/", "a.b/1/2/3/");
    CHECK("http://a.b/1/2/", "a.b/1/2/", "a.b/", "a.b/1/");
    /* An empty query adds nothing; a top-level domain alone is not tried. */
    CHECK("http://a.b/?", "a.b/");
    CHECK("http://b/", "b/");
    CHECK("http://[2001:470:1:18::114]/a/b", "[2001:470:1:18::114]/a/b",
          "[2001:470:1:18::114]/", "[2001:470:1:18::114]/a/");
    CHECK("https://www.example.com/videos/x?y=1", "www.example.com/videos/x?y=1",
          "www.example.com/videos/x", "www.example.com/", "www.example.com/videos/",
          "example.com/videos/x?y=1", "example.com/videos/x", "example.com/",
          "example.com/videos/");
    tamis_url *u;
    ASSERT_OK(tamis_url_create(&u));
    ASSERT_OK(tamis_url_parse(u, "http://a.b.c.d.e.f.g.h/1/2/3/4/5?q", 34));
    ASSERT_EQ(tamis_url_expression_count(u), TAMIS_URL_MAX_EXPRESSIONS);
    tamis_url_free(u);
}
