/* test_rpz.c - lib/url/rpz.c: the domain entries as an RPZ zone (checked
 * with BIND's named-checkzone when it is installed) and as a hosts file. */
#include "../test.h"
#include "tamis.h"

static tamis_url_index *sample(void) {
    static const char *domains[] = {"Evil.org", "a.evil.org", "files.example.net",
                                    "1.2.3.4",  "b\xc3\xbc" "cher.de", "under_score.com",
                                    "%20space.com"};
    tamis_url_index *ix;
    ASSERT_OK(tamis_url_index_create(&ix));
    for (size_t i = 0; i < sizeof domains / sizeof *domains; i++)
        ASSERT_OK(tamis_url_index_add(ix, domains[i], strlen(domains[i]), TAMIS_URL_DOMAIN,
                                      (uint64_t)i));
    /* An expression is not a domain: not exported. */
    ASSERT_OK(tamis_url_index_add(ix, "example.com/videos/", 19, TAMIS_URL_AUTO, 100));
    ASSERT_OK(tamis_url_index_add(ix, "evil.org", 8, TAMIS_URL_DOMAIN, 7)); /* 2nd bank */
    return ix;
}

static char *write_to_string(tamis_url_index *ix, int rpz, tamis_url_filter_cb filter,
                             size_t *written, size_t *skipped) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tamis_rpz_options o = {"rpz.test.", NULL, NULL, 2026120101, 60};
    if (rpz)
        ASSERT_OK(tamis_url_index_write_rpz(ix, &o, filter, NULL, f, written, skipped));
    else
        ASSERT_OK(tamis_url_index_write_hosts(ix, NULL, filter, NULL, f, written, skipped));
    fclose(f);
    return buf;
}

TEST(rpz_zone_lists_each_domain_once_with_its_wildcard) {
    tamis_url_index *ix = sample();
    size_t written, skipped;
    char *z = write_to_string(ix, 1, NULL, &written, &skipped);
    ASSERT_EQ(written, 4);  /* evil.org (a.evil.org is under it), example.net, de, com */
    ASSERT_EQ(skipped, 2);  /* the IP address, the name with a space */
    const char *want = "$TTL 60\n"
                       "@ IN SOA localhost. hostmaster.localhost. 2026120101 3600 600 604800 60\n"
                       "@ IN NS localhost.\n"
                       "evil.org CNAME .\n*.evil.org CNAME .\n"
                       "files.example.net CNAME .\n*.files.example.net CNAME .\n"
                       "under_score.com CNAME .\n*.under_score.com CNAME .\n"
                       "xn--bcher-kva.de CNAME .\n*.xn--bcher-kva.de CNAME .\n";
    const char *body = strstr(z, "$TTL");
    ASSERT(body != NULL);
    ASSERT_STR_EQ(body, want);

    /* BIND's zone checker accepts it. */
    if (system("command -v named-checkzone >/dev/null 2>&1") == 0) {
        const char *path = fmt("%s/rpz.zone", tmp_dir());
        FILE *f = fopen(path, "w");
        fputs(z, f);
        fclose(f);
        char *out = NULL, *err = NULL;
        int rc = run_cmd(fmt("named-checkzone rpz.test %s", path), &out, &err);
        if (rc != 0)
            FAIL("named-checkzone: %s %s", out, err);
        ASSERT(strstr(out, "OK") != NULL);
        free(out);
        free(err);
    }
    free(z);
    tamis_url_index_free(ix);
}

static int only_first_bank(void *ctx, uint64_t id) { return id < 7; }

TEST(rpz_filter_picks_banks) {
    tamis_url_index *ix = sample();
    size_t written, skipped;
    char *z = write_to_string(ix, 1, only_first_bank, &written, &skipped);
    ASSERT_EQ(written, 4);
    free(z);
    /* id 7 alone: only evil.org. */
    uint64_t ids[] = {0, 1, 2, 3, 4, 5, 6};
    ASSERT_OK(tamis_url_index_remove(ix, ids, 7, NULL));
    z = write_to_string(ix, 1, NULL, &written, &skipped);
    ASSERT_EQ(written, 1);
    ASSERT_EQ(skipped, 0);
    ASSERT(strstr(z, "\nevil.org CNAME .\n*.evil.org CNAME .\n") != NULL);
    free(z);
    tamis_url_index_free(ix);
}

TEST(hosts_file_lists_every_name) {
    tamis_url_index *ix = sample();
    size_t written, skipped;
    char *h = write_to_string(ix, 0, NULL, &written, &skipped);
    ASSERT_EQ(written, 5); /* a hosts file has no wildcard: a.evil.org stays */
    ASSERT_EQ(skipped, 2);
    ASSERT_STR_EQ(strchr(h, '\n') + 1, "0.0.0.0 a.evil.org\n"
                                       "0.0.0.0 evil.org\n"
                                       "0.0.0.0 files.example.net\n"
                                       "0.0.0.0 under_score.com\n"
                                       "0.0.0.0 xn--bcher-kva.de\n");
    free(h);
    FILE *f = tmpfile();
    ASSERT_EQ(tamis_url_index_write_hosts(ix, "not-an-address", NULL, NULL, f, NULL, NULL),
              TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_url_index_write_hosts(ix, "::", NULL, NULL, f, &written, NULL));
    tamis_rpz_options bad = {"bad zone", NULL, NULL, 0, 0};
    ASSERT_EQ(tamis_url_index_write_rpz(ix, &bad, NULL, NULL, f, NULL, NULL), TAMIS_ERR_INVALID);
    fclose(f);
    tamis_url_index_free(ix);
}
