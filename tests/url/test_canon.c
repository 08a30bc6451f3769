/* test_canon.c - lib/url/canon.c and host.c: every canonicalisation example
 * of the Safe Browsing API v4 documentation ("URLs and Hashing", section
 * Canonicalization), then IPv4 forms, IDN, IPv6, errors and idempotence. */
#include "../../lib/common/common.h"
#include "../test.h"

static void check(const char *in, size_t len, const char *want) {
    char out[TAMIS_URL_CANON_MAX + 1], err[256];
    size_t n = 0;
    int st = tamis_url_canonicalize(in, len, out, sizeof out, &n, err, sizeof err);
    if (st != TAMIS_OK)
        FAIL("canonicalize(\"%s\"): status %d: %s", in, st, err);
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(n, strlen(want));
    /* A canonical URL is its own canonical form. */
    char again[TAMIS_URL_CANON_MAX + 1];
    ASSERT_OK(tamis_url_canonicalize(out, n, again, sizeof again, NULL, err, sizeof err));
    ASSERT_STR_EQ(again, out);
}

#define CANON(in, want) check(in, sizeof(in) - 1, want)

/* The documented list, in its order. */
TEST(canon_safe_browsing_documented_examples) {
    CANON("http://host/%25%32%35", "http://host/%25");
    CANON("http://host/%25%32%35%25%32%35", "http://host/%25%25");
    CANON("http://host/%2525252525252525", "http://host/%25");
    CANON("http://host/asdf%25%32%35asd", "http://host/asdf%25asd");
    CANON("http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25");
    CANON("http://www.google.com/", "http://www.google.com/");
    CANON("http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/"
          "%77%77%77%2E%65%62%61%79%2E%63%6F%6D/",
          "http://168.188.99.26/.secure/www.ebay.com/");
    CANON("http://195.127.0.11/uploads/%20%20%20%20/.verify/"
          ".eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
          "http://195.127.0.11/uploads/%20%20%20%20/.verify/"
          ".eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/");
    CANON("http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833"
          "%252944_55%252B",
          "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+");
    CANON("http://3279880203/blah", "http://195.127.0.11/blah");
    CANON("http://www.google.com/blah/..", "http://www.google.com/");
    CANON("www.google.com/", "http://www.google.com/");
    CANON("www.google.com", "http://www.google.com/");
    CANON("http://www.evil.com/blah#frag", "http://www.evil.com/blah");
    CANON("http://www.GOOgle.com/", "http://www.google.com/");
    CANON("http://www.google.com.../", "http://www.google.com/");
    CANON("http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2");
    CANON("http://www.google.com/q?", "http://www.google.com/q?");
    CANON("http://www.google.com/q?r?", "http://www.google.com/q?r?");
    CANON("http://www.google.com/q?r?s", "http://www.google.com/q?r?s");
    CANON("http://evil.com/foo#bar#baz", "http://evil.com/foo");
    CANON("http://evil.com/foo;", "http://evil.com/foo;");
    CANON("http://evil.com/foo?bar;", "http://evil.com/foo?bar;");
    CANON("http://\x01\x80.com/", "http://%01%80.com/");
    CANON("http://notrailingslash.com", "http://notrailingslash.com/");
    CANON("http://www.gotaport.com:1234/", "http://www.gotaport.com/");
    CANON("  http://www.google.com/  ", "http://www.google.com/");
    CANON("http:// leadingspace.com/", "http://%20leadingspace.com/");
    CANON("http://%20leadingspace.com/", "http://%20leadingspace.com/");
    CANON("%20leadingspace.com/", "http://%20leadingspace.com/");
    CANON("https://www.securesite.com/", "https://www.securesite.com/");
    CANON("http://host.com/ab%23cd", "http://host.com/ab%23cd");
    CANON("http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes");
}

TEST(canon_ipv4_forms) {
    CANON("http://0x12.0x43.0x44.0x01/", "http://18.67.68.1/");
    CANON("http://012.034.01.055/", "http://10.28.1.45/");
    CANON("http://12.0x12.01234/", "http://12.18.2.156/");
    CANON("http://167838211/", "http://10.1.2.3/");
    CANON("http://4294967295/", "http://255.255.255.255/");
    CANON("http://10.1/", "http://10.0.0.1/");
    CANON("http://0X7F.1/", "http://127.0.0.1/");
    CANON("http://192.168.0.1:80/index.html", "http://192.168.0.1/index.html");
    /* Not legal encodings, so host names: a byte over 255 before the last
     * part, a value over 32 bits, 5 parts, a bad octal digit. */
    CANON("http://276.2.3/", "http://276.2.3/");
    CANON("http://4294967296/", "http://4294967296/");
    CANON("http://1.2.3.4.5/", "http://1.2.3.4.5/");
    CANON("http://08.1.1.1/", "http://08.1.1.1/");
    CANON("http://1.2.3.00x0/", "http://1.2.3.00x0/");
}

TEST(canon_host_and_path_rules) {
    CANON("http://..google...com../foo.html", "http://google.com/foo.html");
    CANON("http://user:pass@Example.COM:8080/a", "http://example.com/a");
    CANON("HTTP://EXAMPLE.com/A/B", "http://example.com/A/B");
    CANON("http://a.com/foo/.././bar/./../foo.html", "http://a.com/foo.html");
    CANON("http://a.com//a//b///c////", "http://a.com/a/b/c/");
    CANON("http://a.com/a/.", "http://a.com/a/");
    CANON("http://a.com/../../x", "http://a.com/x");
    CANON("http://a.com/...", "http://a.com/...");
    CANON("http://a.com/%2e%2E/x", "http://a.com/x");
    CANON("http://a.com/x?a=/./..//#f", "http://a.com/x?a=/./..//");
    CANON("http://a.com?x", "http://a.com/?x");
    CANON("//a.com/x", "http://a.com/x");
    CANON("ftp://ftp.myfiles.com/", "ftp://ftp.myfiles.com/");
    CANON("a.com:8080/x", "http://a.com/x");
    CANON("http://a.com/%0a%00", "http://a.com/%0A%00");
    CANON("http://a.com/\xc3\xa9t\xc3\xa9", "http://a.com/%C3%A9t%C3%A9");
    CANON("http://some%1bhost.com/%1b", "http://some%1Bhost.com/%1B");
    check("http://a.com/x\0y", 16, "http://a.com/x%00y");
}

TEST(canon_idn_to_punycode) {
    CANON("http://b\xc3\xbc" "cher.de/", "http://xn--bcher-kva.de/");
    CANON("http://B\xc3\x9c" "CHER.de/", "http://xn--bcher-kva.de/");
    CANON("http://%E4%BD%A0%E5%A5%BD.com/", "http://xn--6qq79v.com/");
    CANON("http://\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84/",
          "http://xn--e1afmkfd.xn--p1ai/");
    /* Full-width letters and the ideographic full stop map to ASCII. */
    CANON("http://\xef\xbd\x87\xef\xbd\x8f.com/", "http://go.com/");
    CANON("http://www.foo\xe3\x80\x82" "bar.com/", "http://www.foo.bar.com/");
}

TEST(canon_ipv6) {
    CANON("http://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80/index.html",
          "http://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]/index.html");
    CANON("http://[::192.9.5.5]/ipng", "http://[::192.9.5.5]/ipng");
    CANON("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/");
}

static void bad(const char *in, int want, const char *reason) {
    char out[64], err[256];
    out[0] = 'x';
    int st = tamis_url_canonicalize(in, strlen(in), out, sizeof out, NULL, err, sizeof err);
    if (st != want)
        FAIL("canonicalize(\"%s\"): status %d, want %d (%s)", in, st, want, err);
    if (!strstr(err, reason))
        FAIL("canonicalize(\"%s\"): message \"%s\" lacks \"%s\"", in, err, reason);
}

TEST(canon_errors_name_the_reason) {
    bad("", TAMIS_ERR_EMPTY, "empty");
    bad(" \t ", TAMIS_ERR_EMPTY, "empty");
    bad("/asdf", TAMIS_ERR_INVALID, "no host");
    bad("http:///x", TAMIS_ERR_INVALID, "no host");
    bad("http://.../x", TAMIS_ERR_INVALID, "host is empty");
    bad("mailto:a@b.com", TAMIS_ERR_INVALID, "without \"//\"");
    bad("http:/a.com", TAMIS_ERR_INVALID, "without \"//\"");
    bad("http://a.com:8o/", TAMIS_ERR_INVALID, "port \"8o\" is not a number");
    bad("http://::1/", TAMIS_ERR_INVALID, "IPv6 address needs brackets");
    bad("http://[::1/", TAMIS_ERR_INVALID, "without ']'");
    bad("http://[::g]/", TAMIS_ERR_INVALID, "not an IPv6 address");
    bad("http://[::1]x/", TAMIS_ERR_INVALID, "not a port");
    bad("http://a\xc3\xa9%20b.com/", TAMIS_ERR_INVALID, "not a valid international domain name");
    char *big = malloc(TAMIS_URL_MAX_LEN + 2);
    memset(big, 'a', TAMIS_URL_MAX_LEN + 1);
    big[TAMIS_URL_MAX_LEN + 1] = '\0';
    bad(big, TAMIS_ERR_TOO_LARGE, "over the limit");
    free(big);
    /* The buffer is too small: the length needed is still given. */
    char out[8], err[128];
    size_t n = 0;
    ASSERT_EQ(tamis_url_canonicalize("a.com", 5, out, sizeof out, &n, err, sizeof err),
              TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(n, strlen("http://a.com/"));
}

TEST(canon_alloc_and_handle) {
    char *s = NULL, err[128];
    ASSERT_OK(tamis_url_canonicalize_alloc("Example.com/a/../b#c", 20, &s, err, sizeof err));
    ASSERT_STR_EQ(s, "http://example.com/b");
    free(s);
    ASSERT_EQ(tamis_url_canonicalize_alloc("http://", 7, &s, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT(s == NULL);

    tamis_url *u;
    ASSERT_OK(tamis_url_create(&u));
    ASSERT_OK(tamis_url_parse(u, "https://WWW.Example.com:443/x?y", 31));
    size_t n;
    ASSERT_STR_EQ(tamis_url_canonical(u, &n), "https://www.example.com/x?y");
    const char *h = tamis_url_host(u, &n);
    ASSERT_EQ(n, 15);
    ASSERT(memcmp(h, "www.example.com", 15) == 0);
    ASSERT_EQ(tamis_url_parse(u, "http:", 5), TAMIS_ERR_INVALID);
    ASSERT(strstr(tamis_url_errmsg(u), "host") != NULL);
    ASSERT_EQ(tamis_url_expression_count(u), 0);
    ASSERT_STR_EQ(tamis_url_canonical(u, NULL), "");
    tamis_url_free(u);
    tamis_url_free(NULL);
}

/* Every allocation failing in turn gives TAMIS_ERR_NOMEM, never a crash. */
TEST(canon_out_of_memory) {
    char *s = NULL, err[128];
    for (long k = 1; k < 10; k++) {
        tamis__alloc_fail_at(k);
        int st = tamis_url_canonicalize_alloc("a.com/x", 7, &s, err, sizeof err);
        tamis__alloc_fail_at(0);
        if (st == TAMIS_OK) {
            ASSERT_STR_EQ(s, "http://a.com/x");
            free(s);
            return;
        }
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
    }
    FAIL("never succeeded");
}

/* Found by fuzz_url_canon: "...[" gave "http://[%00/", which did not parse
 * again. */
TEST(canon_brackets_only_around_ipv6) {
    bad("...[", TAMIS_ERR_INVALID, "outside an IPv6 address");
    bad("http://a]b.com/", TAMIS_ERR_INVALID, "outside an IPv6 address");
}
