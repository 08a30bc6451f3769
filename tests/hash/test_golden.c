/*
 * test_golden.c - tamis's PDQ against the reference C++ implementation,
 * bit for bit, through the public API: every row of every reference CSV
 * (hash and quality), each mismatching file reported with its distance.
 *
 *   samples/REFERENCE-PDQ.csv                   in the repository, always run
 *   vectors/pdq/measured-cpp-core-fullres.csv   full resolution (the default)
 *   vectors/pdq/measured-cpp-cli-512squash.csv  TAMIS_HASH_RESIZE512
 *   corpus/images/REFERENCE-PDQ.csv             117 photographs
 * The last three are in the shared reference data; without it they skip.
 */
#include "tamis.h"
#include "../test.h"

#define MAX_COLS 8

/* Splits `line` in place at commas; returns the number of fields. */
static int split_csv(char *line, char **f) {
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < MAX_COLS;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static int column(char **head, int n, const char *a, const char *b) {
    for (int i = 0; i < n; i++)
        if (strcmp(head[i], a) == 0 || (b && strcmp(head[i], b) == 0))
            return i;
    return -1;
}

/* Hashes every file listed in `csv` (paths relative to `dir`) with `flags`
 * and compares hash, quality and, when the CSV has them, the dimensions.
 * Fails once at the end with every mismatch; checks that there were
 * `expect_rows` rows. */
static void check_csv(const char *csv_path, const char *dir_path, unsigned flags,
                      int expect_rows) {
    /* fmt() rotates through a few buffers: keep our own copies. */
    char csv[4096], dir[4096];
    snprintf(csv, sizeof csv, "%s", csv_path);
    snprintf(dir, sizeof dir, "%s", dir_path);
    FILE *f = fopen(csv, "r");
    if (!f)
        FAIL("cannot open %s", csv);
    tamis_hash_options o = {flags, 0};
    tamis_hasher *h;
    ASSERT_OK(tamis_hasher_create(&o, &h));
    char line[4096], *head[MAX_COLS], *fl[MAX_COLS];
    if (!fgets(line, sizeof line, f))
        FAIL("%s is empty", csv);
    char header[4096];
    memcpy(header, line, sizeof header);
    int nh = split_csv(header, head);
    int c_hash = column(head, nh, "hash", "pdq");
    int c_q = column(head, nh, "quality", NULL);
    int c_file = column(head, nh, "file", NULL);
    int c_dim = (flags & TAMIS_HASH_RESIZE512) ? -1
                                               : column(head, nh, "WxH", "hashed_WxH");
    if (c_dim < 0 && !(flags & TAMIS_HASH_RESIZE512))
        c_dim = column(head, nh, "WxH_hashed", NULL);
    if (c_hash < 0 || c_q < 0 || c_file < 0)
        FAIL("%s: no hash, quality or file column", csv);

    size_t cap = 8192, used = 0;
    char *report = malloc(cap);
    report[0] = '\0';
    int rows = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n' || line[0] == '\r' || line[0] == '\0')
            continue;
        int n = split_csv(line, fl);
        if (n <= c_hash || n <= c_q || n <= c_file)
            FAIL("%s: short row %d", csv, rows + 1);
        rows++;
        const char *path = fmt("%s/%s", dir, fl[c_file]);
        tamis_image_hash r;
        tamis_pdq want;
        char got[TAMIS_PDQ_HEX_LEN + 1], msg[600];
        msg[0] = '\0';
        if (tamis_pdq_from_hex(fl[c_hash], strlen(fl[c_hash]), &want) != TAMIS_OK)
            FAIL("%s: bad hash in row %d: %s", csv, rows, fl[c_hash]);
        tamis_status st = tamis_hash_image_file(h, path, &r);
        if (st != TAMIS_OK) {
            snprintf(msg, sizeof msg, "  %s: %s (%s)\n", fl[c_file],
                     tamis_strerror(st), tamis_hasher_errmsg(h));
        } else {
            tamis_pdq_to_hex(&r.pdq, got);
            int d = tamis_pdq_distance(&r.pdq, &want);
            int wq = atoi(fl[c_q]);
            char dim[32] = "";
            snprintf(dim, sizeof dim, "%dx%d", r.width, r.height);
            if (d != 0 || r.quality != wq)
                snprintf(msg, sizeof msg,
                         "  %s: distance %d, quality %d vs %d\n    got  %s\n    want %s\n",
                         fl[c_file], d, r.quality, wq, got, fl[c_hash]);
            else if (c_dim >= 0 && c_dim < n && strcmp(dim, fl[c_dim]) != 0)
                snprintf(msg, sizeof msg, "  %s: size %s vs %s\n", fl[c_file], dim,
                         fl[c_dim]);
        }
        if (msg[0]) {
            bad++;
            size_t k = strlen(msg);
            if (used + k + 1 > cap)
                report = realloc(report, cap = 2 * (used + k + 1));
            memcpy(report + used, msg, k + 1);
            used += k;
        }
    }
    fclose(f);
    tamis_hasher_free(h);
    if (bad)
        FAIL("%d of %d files differ from %s:\n%s", bad, rows, csv, report);
    free(report);
    ASSERT_EQ(rows, expect_rows);
}

TEST(golden_samples_match_reference) {
    const char *s = fmt("%s/samples", repo_dir());
    check_csv(fmt("%s/REFERENCE-PDQ.csv", s), s, 0, 8);
}

TEST(golden_vectors_fullres_match_reference_core) {
    const char *d = fmt("%s/vectors/pdq", shared_dir_or_skip());
    check_csv(fmt("%s/measured-cpp-core-fullres.csv", d), d, 0, 55);
}

TEST(golden_vectors_resize512_match_reference_cli) {
    const char *d = fmt("%s/vectors/pdq", shared_dir_or_skip());
    check_csv(fmt("%s/measured-cpp-cli-512squash.csv", d), d, TAMIS_HASH_RESIZE512, 55);
}

TEST(golden_corpus_matches_reference) {
    const char *d = fmt("%s/corpus/images", shared_dir_or_skip());
    check_csv(fmt("%s/REFERENCE-PDQ.csv", d), d, 0, 117);
}
