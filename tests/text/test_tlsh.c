/*
 * test_tlsh.c - TLSH (lib/text/tlsh.c) against Trend Micro's published
 * test outputs (tests/text/data/README.md) and python-threatexchange's
 * example.
 */
#include <stdlib.h>

#include "../../lib/text/text.h"
#include "../test.h"

/* A data file of this directory as a NUL-terminated string. */
static char *read_text(const char *name) {
    size_t len;
    unsigned char *b = read_file(fmt("%s/tests/text/data/%s", repo_dir(), name), &len);
    if (!b)
        FAIL("cannot read tests/text/data/%s", name);
    char *s = realloc(b, len + 1);
    ASSERT(s != NULL);
    s[len] = 0;
    return s;
}

/* Reads "<digest>\t<path>" lines; returns the number read. */
static int read_digests(char digests[][80], char names[][128], int cap) {
    char *text = read_text("tlsh-example_data.128.1.len.out");
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < cap;
         line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        ASSERT(tab != NULL);
        *tab = 0;
        snprintf(digests[n], 80, "%s", line);
        const char *slash = strrchr(tab + 1, '/');
        snprintf(names[n], 128, "%s", slash ? slash + 1 : tab + 1);
        n++;
    }
    free(text);
    return n;
}

static const char *testdata_dir(void) {
    const char *d = getenv("TAMIS_TLSH_TESTDATA");
    if (d && *d)
        return d;
    const char *s = shared_dir();
    if (s) {
        const char *p = fmt("%s/vectors/tlsh/Testing", s);
        FILE *f = fopen(fmt("%s/example_data/0Alice.txt", p), "rb");
        if (f) {
            fclose(f);
            return p;
        }
    }
    return NULL;
}

TEST(tlsh_example_data_digests) {
    static char digests[100][80], names[100][128];
    int n = read_digests(digests, names, 100);
    ASSERT_EQ(n, 80);
    const char *dir = testdata_dir();
    if (!dir)
        SKIP("TLSH example files absent (set TAMIS_TLSH_TESTDATA to trendmicro/tlsh's "
             "Testing/ directory)");
    for (int i = 0; i < n; i++) {
        size_t len;
        unsigned char *data = read_file(fmt("%s/example_data/%s", dir, names[i]), &len);
        if (!data)
            FAIL("cannot read %s/example_data/%s", dir, names[i]);
        char out[TAMIS_TLSH_HEX_LEN + 1];
        ASSERT_OK(tamis_tlsh_compute(data, len, out));
        if (strcmp(out, digests[i]) != 0)
            FAIL("%s: %s, expected %s", names[i], out, digests[i]);
        free(data);
    }
}

/* The distances of one file's digest to all others, as the reference's
 * scores files give them, with and without the length term. */
static void check_scores(const char *file, int include_length) {
    static char digests[100][80], names[100][128];
    int n = read_digests(digests, names, 100);
    char *text = read_text(file);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char a[128], b[128];
        int score;
        ASSERT_EQ(sscanf(line, "example_data/%127s\texample_data/%127s\t%d", a, b, &score), 3);
        int ia = -1, ib = -1;
        for (int i = 0; i < n; i++) {
            if (!strcmp(names[i], a))
                ia = i;
            if (!strcmp(names[i], b))
                ib = i;
        }
        ASSERT(ia >= 0 && ib >= 0);
        int d;
        ASSERT_OK(tamis_tlsh_distance(digests[ia], digests[ib], include_length, &d));
        if (d != score)
            FAIL("%s vs %s: %d, expected %d", a, b, d, score);
        ASSERT_OK(tamis_tlsh_distance(digests[ib], digests[ia], include_length, &d));
        ASSERT_EQ(d, score);
        checked++;
    }
    ASSERT_EQ(checked, 80);
    free(text);
}

TEST(tlsh_distance_reference_scores) {
    check_scores("tlsh-example_data.128.1.len.scores", 1);
}

TEST(tlsh_distance_reference_scores_without_length) {
    check_scores("tlsh-example_data.128.1.xlen.scores", 0);
}

/* python-threatexchange's TextTLSHSignal test string and its digest. */
TEST(tlsh_python_threatexchange_example) {
    const char *s = "A minimum string length must be 256 bytes! That's so much text this "
                    "means it's not super useful for finding short text!";
    char out[TAMIS_TLSH_HEX_LEN + 1];
    ASSERT_OK(tamis_tlsh_compute(s, strlen(s), out));
    ASSERT_STR_EQ(out, "T1DFB092A1724AC2C0D3CA48452291EA04A5B75EB903A6E7577A54118FFA8148E98F9426");
    int d = -1;
    ASSERT_OK(tamis_tlsh_distance(out, out, 1, &d));
    ASSERT_EQ(d, 0);
}

TEST(tlsh_short_and_uniform_inputs_have_no_digest) {
    char out[TAMIS_TLSH_HEX_LEN + 1] = "x";
    const char *s = "too short";
    ASSERT_EQ(tamis_tlsh_compute(s, strlen(s), out), TAMIS_DONE);
    ASSERT_STR_EQ(out, "");
    char same[1000];
    memset(same, 'a', sizeof same);
    ASSERT_EQ(tamis_tlsh_compute(same, sizeof same, out), TAMIS_DONE);
    ASSERT_EQ(tamis_tlsh_compute(NULL, 0, out), TAMIS_DONE);
    ASSERT_EQ(tamis_tlsh_compute(NULL, 10, out), TAMIS_ERR_INVALID);
}

TEST(tlsh_distance_accepts_forms_and_refuses_garbage) {
    const char *t1 = "T1DFB092A1724AC2C0D3CA48452291EA04A5B75EB903A6E7577A54118FFA8148E98F9426";
    int d = -1;
    /* without the "T1", in lower case */
    ASSERT_OK(tamis_tlsh_distance(t1, "dfb092a1724ac2c0d3ca48452291ea04a5b75eb903a6e7577a54118ffa8148e98f9426", 1, &d));
    ASSERT_EQ(d, 0);
    ASSERT_EQ(tamis_tlsh_distance(t1, "T1DFB0", 1, &d), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_tlsh_distance(t1, "", 1, &d), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_tlsh_distance(t1, NULL, 1, &d), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_tlsh_distance(t1, "T1DFB092A1724AC2C0D3CA48452291EA04A5B75EB903A6E7577A54118FFA8148E98F942G", 1, &d),
              TAMIS_ERR_INVALID);
}
