/*
 * test_hash_cli.c - cli/hash.c: `tamis hash` run as a program. Output
 * formats, input order under parallelism, file lists on stdin, one clear
 * stderr line per bad file, exit statuses, the pixel limit and the
 * low-quality warning. Expected hashes come from samples/REFERENCE-PDQ.csv,
 * expected digests from OpenSSL.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5() is deprecated in OpenSSL 3 */
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <png.h>

#include "../media/gen.h"
#include "../test.h"

#define NSAMPLES 8

typedef struct {
    char file[128];
    char pdq[65];
    int quality;
    int w, h;
} ref_row;

/* samples/REFERENCE-PDQ.csv: hash,quality,file,WxH. */
static void load_reference(ref_row rows[NSAMPLES]) {
    FILE *f = fopen(fmt("%s/samples/REFERENCE-PDQ.csv", repo_dir()), "r");
    ASSERT(f != NULL);
    char line[512];
    ASSERT(fgets(line, sizeof line, f) != NULL);
    int n = 0;
    while (n < NSAMPLES && fgets(line, sizeof line, f)) {
        ref_row *r = &rows[n];
        if (sscanf(line, "%64[0-9a-f],%d,%127[^,],%dx%d", r->pdq, &r->quality,
                   r->file, &r->w, &r->h) != 5)
            FAIL("bad reference row: %s", line);
        n++;
    }
    fclose(f);
    ASSERT_EQ(n, NSAMPLES);
}

/* fmt() rotates through a few static buffers and run_cmd() uses them too,
 * so paths kept across calls are copied; the copies stay reachable from
 * here until the test's process ends (not a leak for LeakSanitizer). */
static const char *keep(const char *s) {
    static char *kept[256];
    static int nkept;
    if (nkept == 256)
        FAIL("keep(): too many kept strings");
    return kept[nkept++] = strdup(s);
}

static const char *sample(const char *name) {
    return keep(fmt("%s/samples/%s", repo_dir(), name));
}

/* Runs `tamis ARGS`; returns the exit status. */
static int tamis(const char *args, char **out, char **err) {
    return run_cmd(fmt("'%s/tamis' %s", build_dir(), args), out, err);
}

/* Splits text into lines in place; returns the count. */
static int lines(char *text, char **v, int max) {
    int n = 0;
    for (char *p = text; *p && n < max;) {
        char *e = strchr(p, '\n');
        v[n++] = p;
        if (!e)
            break;
        *e = '\0';
        p = e + 1;
    }
    return n;
}

static int split_tabs(char *line, char **f, int max) {
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

static void hex_of(const unsigned char *b, size_t n, char *out) {
    tamis_hex_encode(b, n, out);
}

static void digests_of(const char *path, char md5[33], char sha[65]) {
    size_t len;
    unsigned char *d = read_file(path, &len), m[16], s[32];
    ASSERT(d != NULL);
    MD5(d, len, m);
    SHA256(d, len, s);
    hex_of(m, 16, md5);
    hex_of(s, 32, sha);
    free(d);
}

static int is_hex(const char *s, size_t n) {
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tamis__hex_digit((unsigned char)s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
            return 0;
    return 1;
}

/* A uniform gray PNG: a flat image, quality 0. */
static const char *flat_png(const char *name) {
    uint8_t pix[64 * 64];
    memset(pix, 128, sizeof pix);
    gen_png_spec s = {.width = 64, .height = 64, .color_type = PNG_COLOR_TYPE_GRAY,
                      .bit_depth = 8, .pixels = pix, .stride = 64};
    size_t len;
    uint8_t *png = gen_png(&s, &len);
    const char *path = keep(fmt("%s/%s", tmp_dir(), name));
    gen_write_file(path, png, len);
    free(png);
    return path;
}

/* ---- Output formats ---------------------------------------------------- */

TEST(plain_output_has_five_columns) {
    ref_row ref[NSAMPLES];
    load_reference(ref);
    char args[8192] = "hash -j 1";
    for (int i = 0; i < NSAMPLES; i++) {
        size_t k = strlen(args);
        snprintf(args + k, sizeof args - k, " '%s'", sample(ref[i].file));
    }
    char *out, *err, *v[64];
    int st = tamis(args, &out, &err);
    ASSERT_EQ(st, 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, v, 64), NSAMPLES);
    for (int i = 0; i < NSAMPLES; i++) {
        char *f[8], md5[33], sha[65];
        int nf = split_tabs(v[i], f, 8);
        if (nf != 5)
            FAIL("line %d has %d columns", i + 1, nf);
        ASSERT_STR_EQ(f[4], sample(ref[i].file));
        ASSERT_STR_EQ(f[0], ref[i].pdq);
        ASSERT_EQ(atoi(f[1]), ref[i].quality);
        digests_of(sample(ref[i].file), md5, sha);
        ASSERT_STR_EQ(f[2], md5);
        ASSERT_STR_EQ(f[3], sha);
    }
    free(out);
    free(err);
}

/* Finds "key": in a JSON line and returns what follows the colon. */
static const char *json_value(const char *line, const char *key) {
    const char *p = strstr(line, fmt("\"%s\":", key));
    if (!p)
        FAIL("no \"%s\" in %s", key, line);
    return p + strlen(key) + 3;
}

static void expect_json_string(const char *line, const char *key, const char *want) {
    const char *v = json_value(line, key);
    size_t n = strlen(want);
    if (v[0] != '"' || strncmp(v + 1, want, n) != 0 || v[n + 1] != '"')
        FAIL("\"%s\" is not \"%s\" in %s", key, want, line);
}

static void expect_json_int(const char *line, const char *key, long want) {
    const char *v = json_value(line, key);
    char *end;
    long got = strtol(v, &end, 10);
    if (end == v || got != want || (*end != ',' && *end != '}'))
        FAIL("\"%s\" is not %ld in %s", key, want, line);
}

TEST(json_output_fields) {
    ref_row ref[NSAMPLES];
    load_reference(ref);
    const ref_row *r = &ref[2]; /* palapeli-data-002.jpg, 1302x953 */
    char *out, *err, *v[8], md5[33], sha[65];
    ASSERT_EQ(tamis(fmt("hash --json '%s'", sample(r->file)), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, v, 8), 1);
    const char *l = v[0];
    ASSERT(l[0] == '{' && l[strlen(l) - 1] == '}');
    digests_of(sample(r->file), md5, sha);
    expect_json_string(l, "file", sample(r->file));
    expect_json_string(l, "pdq", r->pdq);
    expect_json_int(l, "quality", r->quality);
    expect_json_string(l, "md5", md5);
    expect_json_string(l, "sha256", sha);
    expect_json_int(l, "width", r->w);
    expect_json_int(l, "height", r->h);
    ASSERT(strstr(l, "pdq_variants") == NULL);
    free(out);
    free(err);
}

TEST(json_variants_listed) {
    ref_row ref[NSAMPLES];
    load_reference(ref);
    char *out, *err, *v[8];
    ASSERT_EQ(tamis(fmt("hash --json --variants '%s'", sample(ref[0].file)), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 8), 1);
    const char *p = json_value(v[0], "pdq_variants");
    ASSERT_EQ(*p, '[');
    /* The first variant is the original hash; 8 or 9 in all. */
    if (strncmp(p + 1, fmt("\"%s\"", ref[0].pdq), 66) != 0)
        FAIL("first variant is not the hash: %.80s", p);
    int n = 0;
    for (p++; *p && *p != ']'; p++)
        if (*p == '"') {
            ASSERT(is_hex(fmt("%.64s", p + 1), 64));
            ASSERT_EQ(p[65], '"');
            p += 65;
            n++;
        }
    ASSERT(n == 8 || n == 9);
    free(out);
    free(err);
}

TEST(json_escapes_file_names) {
    const char *src = flat_png("plain.png");
    const char *odd = keep(fmt("%s/a\"b\\c d.png", tmp_dir()));
    size_t len;
    uint8_t *d = read_file(src, &len);
    gen_write_file(odd, d, len);
    free(d);
    char *out, *err;
    ASSERT_EQ(tamis(fmt("hash -q --json '%s'", odd), &out, &err), 0);
    const char *want = fmt("\"file\":\"%s/a\\\"b\\\\c d.png\"", tmp_dir());
    if (!strstr(out, want))
        FAIL("no %s in %s", want, out);
    free(out);
    free(err);
}

TEST(plain_variants_add_a_column) {
    char *out, *err, *v[8], *f[8];
    ASSERT_EQ(tamis(fmt("hash --variants '%s'", sample("palapeli-data-003.jpg")), &out,
                    &err), 0);
    ASSERT_EQ(lines(out, v, 8), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 6);
    if (strncmp(f[4], fmt("original:%s,rotate90:", f[0]), 9 + 64 + 10) != 0)
        FAIL("variants column: %.100s", f[4]);
    free(out);
    free(err);
}

/* ---- Order and input --------------------------------------------------- */

TEST(output_order_is_input_order_with_jobs) {
    /* Large and small files interleaved, so they finish out of order. */
    static const char *names[] = {"lomiri-wallpapers-16.04-013.jpg", "python3-skimage-002.png",
                                  "palapeli-data-004.jpg", "libjxl-testdata-003.png",
                                  "palapeli-data-002.jpg", "python3-skimage-010.jpg"};
    enum { N = 30 };
    char args[16384] = "hash -j 2";
    const char *order[N];
    for (int i = 0; i < N; i++) {
        order[i] = names[(i * 7 + i / 6) % 6];
        size_t k = strlen(args);
        snprintf(args + k, sizeof args - k, " '%s'", sample(order[i]));
    }
    char *out, *err, *v[N + 4];
    ASSERT_EQ(tamis(args, &out, &err), 0);
    ASSERT_EQ(lines(out, v, N + 4), N);
    for (int i = 0; i < N; i++) {
        char *f[8];
        ASSERT_EQ(split_tabs(v[i], f, 8), 5);
        if (strcmp(f[4], sample(order[i])) != 0)
            FAIL("line %d is %s, want %s", i + 1, f[4], sample(order[i]));
    }
    free(out);
    free(err);
}

TEST(dash_reads_paths_from_stdin) {
    const char *a = sample("palapeli-data-002.jpg"), *b = sample("python3-skimage-002.png");
    const char *list = keep(fmt("%s/list.txt", tmp_dir()));
    /* A blank line and a CRLF line end on the way. */
    const char *text = keep(fmt("%s\n\n%s\r\n", a, b));
    gen_write_file(list, text, strlen(text));
    char *out1, *err1, *out2, *err2;
    ASSERT_EQ(tamis(fmt("hash -j 2 - < '%s'", list), &out1, &err1), 0);
    ASSERT_EQ(tamis(fmt("hash -j 1 '%s' '%s'", a, b), &out2, &err2), 0);
    ASSERT_STR_EQ(out1, out2);
    char *v[8];
    ASSERT_EQ(lines(out1, v, 8), 2);
    free(out1);
    free(err1);
    free(out2);
    free(err2);
}

/* ---- Bad input --------------------------------------------------------- */

TEST(bad_files_reported_one_line_each_others_hashed) {
    const char *d = tmp_dir();
    const char *empty = keep(fmt("%s/zero.jpg", d));
    gen_write_file(empty, "", 0);
    size_t len;
    uint8_t *jpg = read_file(sample("palapeli-data-003.jpg"), &len);
    const char *trunc = keep(fmt("%s/cut.jpg", d));
    gen_write_file(trunc, jpg, len / 2);
    free(jpg);
    const char *text = keep(fmt("%s/readme.png", d));
    gen_write_file(text, "this is text, not an image\n", 27);
    const char *dir = keep(fmt("%s/adir", d));
    ASSERT_EQ(run_cmd(fmt("mkdir '%s'", dir), NULL, NULL), 0);
    const char *missing = keep(fmt("%s/missing.webp", d));
    const char *good1 = sample("palapeli-data-002.jpg"), *good2 = sample("python3-skimage-002.png");

    struct {
        const char *path, *reason;
    } bad[] = {{empty, "empty"},        {trunc, "JPEG"},
               {text, "not an image"},  {dir, "directory"},
               {missing, "No such file"}};
    char args[8192];
    snprintf(args, sizeof args, "hash -j 2 '%s' '%s' '%s' '%s' '%s' '%s' '%s'", good1,
             bad[0].path, bad[1].path, bad[2].path, bad[3].path, bad[4].path, good2);
    char *out, *err, *ov[16], *ev[16];
    ASSERT_EQ(tamis(args, &out, &err), 1);
    ASSERT_EQ(lines(out, ov, 16), 2);
    ASSERT(strstr(ov[0], good1) != NULL);
    ASSERT(strstr(ov[1], good2) != NULL);
    int ne = lines(err, ev, 16);
    if (ne != 5)
        FAIL("%d stderr lines, want 5", ne);
    for (int i = 0; i < 5; i++)
        if (!strstr(ev[i], bad[i].path) || !strstr(ev[i], bad[i].reason))
            FAIL("stderr line %d does not name %s and \"%s\": %s", i + 1, bad[i].path,
                 bad[i].reason, ev[i]);
    free(out);
    free(err);
}

TEST(usage_errors_exit_2) {
    static const char *cases[] = {
        "hash", "hash --bogus x.jpg", "hash -j 0 x.jpg", "hash -j abc x.jpg",
        "hash -j 5000 x.jpg", "hash --max-pixels 0 x.jpg", "hash --max-pixels -5 x.jpg",
        "hash --max-pixels 12ab x.jpg", "frobnicate", ""};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int st = tamis(cases[i], &out, &err);
        if (st != 2)
            FAIL("'tamis %s' exits %d, want 2", cases[i], st);
        if (strlen(err) == 0)
            FAIL("'tamis %s' says nothing on stderr", cases[i]);
        ASSERT_STR_EQ(out, "");
        free(out);
        free(err);
    }
}

TEST(help_and_version_exit_0) {
    char *out, *err;
    ASSERT_EQ(tamis("hash --help", &out, &err), 0);
    ASSERT(strstr(out, "usage: tamis hash") != NULL);
    free(out);
    free(err);
    ASSERT_EQ(tamis("version", &out, &err), 0);
    ASSERT_STR_EQ(out, fmt("tamis %s\n", TAMIS_VERSION_STRING));
    free(out);
    free(err);
}

TEST(max_pixels_refuses_with_clear_message) {
    char *out, *err, *ev[16];
    const char *pa = sample("palapeli-data-002.jpg"), *pb = sample("python3-skimage-002.png");
    ASSERT_EQ(tamis(fmt("hash --max-pixels 1000 '%s' '%s'", pa, pb), &out, &err), 1);
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(lines(err, ev, 16), 2);
    if (!strstr(ev[0], pa) || !strstr(ev[0], "1302x953") || !strstr(ev[0], "1000 pixels"))
        FAIL("message: %s", ev[0]);
    if (!strstr(ev[1], pb) || !strstr(ev[1], "512x512") || !strstr(ev[1], "1000 pixels"))
        FAIL("message: %s", ev[1]);
    free(out);
    free(err);
}

TEST(low_quality_printed_with_warning) {
    const char *path = flat_png("flat.png");
    char *out, *err, *v[8], *f[8];
    ASSERT_EQ(tamis(fmt("hash '%s'", path), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 8), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 5);
    ASSERT_STR_EQ(f[1], "0");
    ASSERT_STR_EQ(f[4], path);
    if (!strstr(err, path) || !strstr(err, "warning") || !strstr(err, "quality 0"))
        FAIL("stderr: %s", err);
    char *ev[8];
    ASSERT_EQ(lines(err, ev, 8), 1);
    free(out);
    free(err);
    /* -q silences the warning, not the hash. */
    ASSERT_EQ(tamis(fmt("hash -q '%s'", path), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, v, 8), 1);
    free(out);
    free(err);
}

TEST(resize512_option_matches_reference_cli) {
    /* pdq-photo-hasher's hash of bridge-mods/aaa-orig.jpg (1600x1004),
     * from measured-cpp-cli-512squash.csv. */
    const char *s = shared_dir_or_skip();
    char *out, *err, *v[4], *f[8];
    ASSERT_EQ(tamis(fmt("hash --pdq-resize512 '%s/vectors/pdq/pdq-data/bridge-mods/aaa-orig.jpg'",
                        s), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 5);
    ASSERT_STR_EQ(f[0], "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22");
    free(out);
    free(err);
}
