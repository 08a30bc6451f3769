/*
 * test_video_cli.c - cli/hash.c on videos and cli/compare.c, run as the
 * program. Videos are generated in the test (tests/video/gen_video.h);
 * every expected value comes from the library on the same file: frame
 * counts and hashes from tamis_vpdq_hash_file, digests from
 * tamis_digests_compute, .tmk files from tamis_tmk_hash_file. With
 * ../shared, `tamis compare` on the reference's sample videos gives the
 * reference's decisions.
 */
#include "tamis.h"
#include "../test.h"
#include "../video/gen_video.h"

/* fmt() rotates through a few static buffers and run_cmd() uses them too,
 * so strings kept across calls are copied; the copies stay reachable until
 * the test's process ends. */
static const char *keep(const char *s) {
    static char *kept[256];
    static int nkept;
    if (nkept == 256)
        FAIL("keep(): too many kept strings");
    return kept[nkept++] = strdup(s);
}

/* A 128x96 MPEG-4 video in MP4 at 10 fps, in this test's directory. */
static const char *make_video(const char *name, int scene, int frames) {
    const char *path = keep(fmt("%s/%s", tmp_dir(), name));
    gen_video_spec s = {"mp4", "mpeg4", 128, 96, 10, frames, scene};
    if (gen_video_file(&s, path) != 0)
        FAIL("cannot make %s", name);
    return path;
}

static void write_str(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    size_t n = strlen(text);
    if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0)
        FAIL("cannot write %s", path);
}

static const char *make_dir(const char *name) {
    const char *d = keep(fmt("%s/%s", tmp_dir(), name));
    ASSERT_EQ(run_cmd(fmt("mkdir -p '%s'", d), NULL, NULL), 0);
    return d;
}

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

static int count_of(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The library's vPDQ of a file; seconds_per_hash 0 for every frame. */
static tamis_vpdq *lib_vpdq(const char *path, double seconds_per_hash) {
    tamis_vpdq *v;
    tamis_vpdq_options o;
    memset(&o, 0, sizeof o);
    o.seconds_per_hash = seconds_per_hash;
    ASSERT_OK(tamis_vpdq_create(&v));
    tamis_status st = tamis_vpdq_hash_file(v, path, &o);
    if (st != TAMIS_OK)
        FAIL("%s: %s", path, tamis_vpdq_errmsg(v));
    return v;
}

static void lib_digests(const char *path, char md5[33], char sha[65]) {
    size_t len;
    unsigned char *d = read_file(path, &len);
    ASSERT(d != NULL);
    tamis_digests dg;
    ASSERT_OK(tamis_digests_compute(d, len, &dg));
    tamis_hex_encode(dg.md5, TAMIS_MD5_BYTES, md5);
    tamis_hex_encode(dg.sha256, TAMIS_SHA256_BYTES, sha);
    free(d);
}

static char *text_of(const tamis_vpdq *v) {
    size_t n = tamis_vpdq_to_text(v, NULL, 0);
    char *t = malloc(n + 1);
    ASSERT(t != NULL);
    tamis_vpdq_to_text(v, t, n + 1);
    return t;
}

/* Finds "key": in a JSON line and returns what follows the colon. */
static const char *json_value(const char *line, const char *key) {
    const char *p = strstr(line, fmt("\"%s\":", key));
    if (!p)
        FAIL("no \"%s\" in %.300s", key, line);
    return p + strlen(key) + 3;
}

static void expect_json_string(const char *line, const char *key, const char *want) {
    const char *v = json_value(line, key);
    size_t n = strlen(want);
    if (v[0] != '"' || strncmp(v + 1, want, n) != 0 || v[n + 1] != '"')
        FAIL("\"%s\" is not \"%s\" in %.300s", key, want, line);
}

static void expect_json_int(const char *line, const char *key, long want) {
    const char *v = json_value(line, key);
    char *end;
    long got = strtol(v, &end, 10);
    if (end == v || got != want || (*end != ',' && *end != '}'))
        FAIL("\"%s\" is not %ld in %.300s", key, want, line);
}

/* ---- tamis hash on videos ---------------------------------------------- */

TEST(video_plain_line_has_frames_and_digests) {
    const char *v = make_video("clip.mp4", 0, 30);
    tamis_vpdq *ref = lib_vpdq(v, 0);
    char md5[33], sha[65], *out, *err, *l[8], *f[8];
    lib_digests(v, md5, sha);
    ASSERT_EQ(tamis(fmt("hash '%s'", v), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, l, 8), 1);
    ASSERT_EQ(split_tabs(l[0], f, 8), 5);
    ASSERT_STR_EQ(f[0], "-");
    ASSERT_EQ(atoi(f[1]), tamis_vpdq_count(ref));
    ASSERT_EQ(atoi(f[1]), 30);
    ASSERT_STR_EQ(f[2], md5);
    ASSERT_STR_EQ(f[3], sha);
    ASSERT_STR_EQ(f[4], v);
    free(out);
    free(err);
    /* --variants keeps the column count of images: '-' for a video. */
    ASSERT_EQ(tamis(fmt("hash --variants '%s'", v), &out, &err), 0);
    ASSERT_EQ(lines(out, l, 8), 1);
    ASSERT_EQ(split_tabs(l[0], f, 8), 6);
    ASSERT_STR_EQ(f[4], "-");
    free(out);
    free(err);
    tamis_vpdq_free(ref);
}

TEST(video_json_line_carries_every_frame) {
    const char *v = make_video("clip.mp4", 1, 25);
    tamis_vpdq *ref = lib_vpdq(v, 0);
    char md5[33], sha[65], *out, *err, *l[8];
    lib_digests(v, md5, sha);
    ASSERT_EQ(tamis(fmt("hash --json '%s'", v), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, l, 8), 1);
    const char *s = l[0];
    ASSERT(s[0] == '{' && s[strlen(s) - 1] == '}');
    expect_json_string(s, "file", v);
    expect_json_string(s, "format", "video");
    expect_json_string(s, "codec", "mpeg4");
    ASSERT(strstr(json_value(s, "container"), "mp4") != NULL);
    expect_json_int(s, "width", 128);
    expect_json_int(s, "height", 96);
    expect_json_string(s, "md5", md5);
    expect_json_string(s, "sha256", sha);
    ASSERT(json_value(s, "duration")[0] >= '0');
    ASSERT_EQ(*json_value(s, "vpdq"), '[');
    ASSERT(strstr(s, "\"tmk\"") == NULL);
    /* One object per frame, each as the library hashed it. */
    size_t n = tamis_vpdq_count(ref);
    ASSERT_EQ(count_of(s, "{\"frame\":"), n);
    const tamis_vpdq_frame *fr = tamis_vpdq_frames(ref);
    for (size_t i = 0; i < n; i++) {
        char hex[TAMIS_PDQ_HEX_LEN + 1];
        tamis_pdq_to_hex(&fr[i].pdq, hex);
        const char *want = fmt("{\"frame\":%d,\"quality\":%d,\"pdq\":\"%s\",\"timestamp\":%.3f}",
                               fr[i].frame, fr[i].quality, hex, fr[i].timestamp);
        if (!strstr(s, want))
            FAIL("frame %zu: no %s", i, want);
    }
    free(out);
    free(err);
    tamis_vpdq_free(ref);
}

TEST(vpdq_dir_writes_the_reference_text_format) {
    const char *v = make_video("chair-like.video.mp4", 0, 20);
    const char *d = make_dir("hashes");
    char *out, *err;
    ASSERT_EQ(tamis(fmt("hash --vpdq-dir '%s' '%s'", d, v), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    free(out);
    free(err);
    /* The name loses its last extension, as the reference's files do. */
    size_t len;
    char *text = (char *)read_file(fmt("%s/chair-like.video.txt", d), &len);
    if (!text)
        FAIL("no %s/chair-like.video.txt", d);
    tamis_vpdq *back, *ref = lib_vpdq(v, 0);
    ASSERT_OK(tamis_vpdq_create(&back));
    ASSERT_OK(tamis_vpdq_from_text(back, text, len));
    ASSERT_EQ(tamis_vpdq_count(back), tamis_vpdq_count(ref));
    char *want = text_of(ref), *got = text_of(back);
    ASSERT_STR_EQ(got, want);
    ASSERT_EQ(len, strlen(want));
    ASSERT(memcmp(text, want, len) == 0);
    free(want);
    free(got);
    free(text);
    tamis_vpdq_free(back);
    tamis_vpdq_free(ref);
}

TEST(tmk_dir_writes_a_tmk_the_library_reads) {
    const char *v = make_video("clip.mp4", 0, 30);
    const char *d = make_dir("tmk");
    const char *want_path = keep(fmt("%s/clip.tmk", d));
    char *out, *err, *l[4];
    ASSERT_EQ(tamis(fmt("hash --json --tmk-dir '%s' '%s'", d, v), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, l, 4), 1);
    expect_json_string(l[0], "tmk", want_path);
    char msg[256];
    tamis_tmk *got = NULL, *ref = NULL;
    if (tamis_tmk_read_file(want_path, &got, msg, sizeof msg) != TAMIS_OK)
        FAIL("%s: %s", want_path, msg);
    ASSERT_OK(tamis_tmk_hash_file(v, NULL, &ref, msg, sizeof msg));
    ASSERT_EQ(tamis_tmk_frame_count(got), tamis_tmk_frame_count(ref));
    ASSERT_EQ(tamis_tmk_size(got), TAMIS_TMK_FILE_SIZE);
    /* Byte for byte the library's own .tmk of the file. */
    size_t n = tamis_tmk_size(ref);
    unsigned char *want = malloc(n);
    ASSERT(want != NULL);
    ASSERT_OK(tamis_tmk_write_mem(ref, want, n));
    size_t len;
    unsigned char *bytes = read_file(want_path, &len);
    ASSERT_EQ(len, n);
    ASSERT(memcmp(bytes, want, n) == 0);
    free(bytes);
    free(want);
    tamis_tmk_free(got);
    tamis_tmk_free(ref);
    free(out);
    free(err);
}

TEST(fps_hashes_fewer_frames) {
    const char *v = make_video("clip.mp4", 0, 40); /* 10 fps, 4 s */
    static const struct {
        const char *fps;
        double spf;
        int frames;
    } cases[] = {{"10", 0.1, 40}, {"5", 0.2, 20}, {"1", 1.0, 4}, {"0.5", 2.0, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err, *l[4], *f[8];
        ASSERT_EQ(tamis(fmt("hash --fps %s '%s'", cases[i].fps, v), &out, &err), 0);
        ASSERT_EQ(lines(out, l, 4), 1);
        ASSERT_EQ(split_tabs(l[0], f, 8), 5);
        tamis_vpdq *ref = lib_vpdq(v, cases[i].spf);
        if (atoi(f[1]) != cases[i].frames || (size_t)atoi(f[1]) != tamis_vpdq_count(ref))
            FAIL("--fps %s: %s frames, library %zu, want %d", cases[i].fps, f[1],
                 tamis_vpdq_count(ref), cases[i].frames);
        tamis_vpdq_free(ref);
        free(out);
        free(err);
    }
    /* In JSON, the frames kept are every other one. */
    char *out, *err;
    ASSERT_EQ(tamis(fmt("hash --json --fps 5 '%s'", v), &out, &err), 0);
    ASSERT_EQ(count_of(out, "{\"frame\":"), 20);
    ASSERT(strstr(out, "{\"frame\":2,") && !strstr(out, "{\"frame\":1,"));
    free(out);
    free(err);
}

TEST(vpdq_convert_option_is_accepted_and_checked) {
    const char *v = make_video("clip.mp4", 0, 10);
    char *out, *err;
    ASSERT_EQ(tamis(fmt("hash --vpdq-convert ffmpeg '%s'", v), &out, &err), 0);
    ASSERT(strstr(out, "\t10\t") != NULL);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("hash --vpdq-convert bogus '%s'", v), &out, &err), 2);
    ASSERT(strstr(err, "--vpdq-convert") != NULL);
    free(out);
    free(err);
}

TEST(mixed_batch_reports_the_bad_file_and_hashes_the_others) {
    const char *v = make_video("clip.mp4", 0, 12);
    const char *img = keep(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()));
    const char *pdf = keep(fmt("%s/paper.mp4", tmp_dir()));
    const char *txt = keep(fmt("%s/notes.txt", tmp_dir()));
    write_str(pdf, "%PDF-1.4\n% a document, not a video\n");
    write_str(txt, "plain text, neither image nor video\n");
    char *out, *err, *ol[8], *el[8], *f[8];
    ASSERT_EQ(tamis(fmt("hash -j 2 '%s' '%s' '%s' '%s'", img, pdf, v, txt), &out, &err), 1);
    ASSERT_EQ(lines(out, ol, 8), 2);
    ASSERT_EQ(split_tabs(ol[0], f, 8), 5);
    ASSERT_STR_EQ(f[4], img);
    ASSERT_EQ(strlen(f[0]), 64);
    ASSERT_EQ(split_tabs(ol[1], f, 8), 5);
    ASSERT_STR_EQ(f[4], v);
    ASSERT_STR_EQ(f[0], "-");
    ASSERT_EQ(lines(err, el, 8), 2);
    if (!strstr(el[0], pdf) || !strstr(el[0], "not an image or a video") ||
        !strstr(el[0], "looks like PDF"))
        FAIL("stderr line 1: %s", el[0]);
    if (!strstr(el[1], txt) || !strstr(el[1], "not an image or a video"))
        FAIL("stderr line 2: %s", el[1]);
    free(out);
    free(err);
}

TEST(truncated_video_is_an_error_naming_it) {
    const char *v = make_video("clip.mp4", 0, 20);
    size_t len;
    unsigned char *d = read_file(v, &len);
    ASSERT(d != NULL);
    const char *cut = keep(fmt("%s/cut.mp4", tmp_dir()));
    FILE *f = fopen(cut, "wb");
    ASSERT(f && fwrite(d, 1, 200, f) == 200 && fclose(f) == 0);
    free(d);
    char *out, *err, *el[4];
    ASSERT_EQ(tamis(fmt("hash '%s'", cut), &out, &err), 1);
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(lines(err, el, 4), 1);
    if (!strstr(el[0], cut) || !strstr(el[0], "video"))
        FAIL("stderr: %s", el[0]);
    free(out);
    free(err);
}

TEST(hash_video_option_errors_exit_2) {
    static const char *cases[] = {"hash --fps 0 x.mp4", "hash --fps -1 x.mp4",
                                  "hash --fps abc x.mp4", "hash --fps inf x.mp4",
                                  "hash --vpdq-dir /nonexistent/dir x.mp4",
                                  "hash --tmk-dir /etc/passwd x.mp4"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int st = tamis(cases[i], &out, &err);
        if (st != 2 || !*err)
            FAIL("'tamis %s' exits %d with \"%s\", want 2 and a message", cases[i], st, err);
        free(out);
        free(err);
    }
}

/* ---- tamis compare ----------------------------------------------------- */

TEST(compare_identical_videos_match) {
    const char *a = make_video("a.mp4", 0, 30), *b = make_video("b.mp4", 0, 30);
    char *out, *err;
    ASSERT_EQ(tamis(fmt("compare '%s' '%s'", a, b), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    if (!strstr(out, "vpdq query:  30 frames, 30 matched, 100.00 %") ||
        !strstr(out, "vpdq: match") || !strstr(out, "tmk level1: 1.000000") ||
        !strstr(out, "tmk level2: 1.000000") || !strstr(out, "tmk: match") ||
        !strstr(out, "\nverdict: match\n"))
        FAIL("output:\n%s", out);
    free(out);
    free(err);
}

TEST(compare_different_scenes_do_not_match) {
    const char *a = make_video("a.mp4", 0, 30), *b = make_video("b.mp4", 1, 30);
    char *out, *err;
    ASSERT_EQ(tamis(fmt("compare '%s' '%s'", a, b), &out, &err), 1);
    ASSERT_STR_EQ(err, "");
    if (!strstr(out, "vpdq: no match") || !strstr(out, "tmk: no match") ||
        !strstr(out, "\nverdict: no match\n"))
        FAIL("output:\n%s", out);
    free(out);
    free(err);
    /* The thresholds are options: every frame is within 256 bits. */
    ASSERT_EQ(tamis(fmt("compare --vpdq-distance 256 '%s' '%s'", a, b), &out, &err), 0);
    if (!strstr(out, "vpdq: match") || !strstr(out, "within 256 bits") ||
        !strstr(out, "verdict: match"))
        FAIL("output:\n%s", out);
    free(out);
    free(err);
}

TEST(compare_json_is_one_object) {
    const char *a = make_video("a.mp4", 0, 20), *b = make_video("b.mp4", 0, 20);
    char *out, *err, *l[4];
    ASSERT_EQ(tamis(fmt("compare --json --tmk-level2 0.95 --vpdq-query-share 90 '%s' '%s'",
                        a, b), &out, &err), 0);
    ASSERT_EQ(lines(out, l, 4), 1);
    const char *s = l[0];
    ASSERT(s[0] == '{' && s[strlen(s) - 1] == '}');
    expect_json_int(s, "query_frames", 20);
    expect_json_int(s, "query_matched", 20);
    expect_json_int(s, "target_frames", 20);
    expect_json_int(s, "distance", 31);
    expect_json_int(s, "query_threshold", 90);
    ASSERT(strstr(s, "\"level2_threshold\":0.95") != NULL);
    ASSERT(strstr(s, "\"level1\":1.000000") != NULL);
    expect_json_string(s, "verdict", "match");
    ASSERT(strstr(s, "\"match\":true}") != NULL);
    free(out);
    free(err);
}

TEST(compare_hash_files_and_videos) {
    const char *a = make_video("alpha.mp4", 0, 30), *b = make_video("beta.mp4", 1, 30);
    const char *d = make_dir("h");
    char *out, *err;
    ASSERT_EQ(tamis(fmt("hash --vpdq-dir '%s' --tmk-dir '%s' '%s' '%s'", d, d, a, b), &out,
                    &err), 0);
    free(out);
    free(err);
    const char *at = keep(fmt("%s/alpha.txt", d)), *bt = keep(fmt("%s/beta.txt", d));
    const char *ak = keep(fmt("%s/alpha.tmk", d)), *bk = keep(fmt("%s/beta.tmk", d));
    static const struct {
        int x, y, status;
        const char *has, *lacks;
    } cases[] = {
        /* inputs index into {a, b, at, bt, ak, bk} */
        {2, 2, 0, "vpdq: match", "tmk: "},     {2, 3, 1, "vpdq: no match", "tmk: "},
        {4, 4, 0, "tmk: match", "vpdq: "},     {4, 5, 1, "tmk: no match", "vpdq: "},
        {0, 2, 0, "vpdq: match", "tmk: "},     {2, 1, 1, "vpdq: no match", "tmk: "},
        {4, 0, 0, "tmk: match", "vpdq: "},     {1, 4, 1, "tmk: no match", "vpdq: "},
    };
    const char *files[] = {a, b, at, bt, ak, bk};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *x = files[cases[i].x], *y = files[cases[i].y];
        int st = tamis(fmt("compare '%s' '%s'", x, y), &out, &err);
        if (st != cases[i].status || !strstr(out, cases[i].has) ||
            strstr(out, fmt("%smatch", cases[i].lacks)) ||
            strstr(out, fmt("%sno match", cases[i].lacks)))
            FAIL("compare %s %s: exit %d (want %d), output:\n%s%s", x, y, st,
                 cases[i].status, out, err);
        free(out);
        free(err);
    }
}

TEST(compare_refuses_kinds_that_do_not_compare) {
    const char *a = make_video("alpha.mp4", 0, 10);
    const char *d = make_dir("h");
    char *out, *err;
    ASSERT_EQ(tamis(fmt("hash --vpdq-dir '%s' --tmk-dir '%s' '%s'", d, d, a), &out, &err), 0);
    free(out);
    free(err);
    const char *txt = keep(fmt("%s/alpha.txt", d)), *tmk = keep(fmt("%s/alpha.tmk", d));
    ASSERT_EQ(tamis(fmt("compare '%s' '%s'", tmk, txt), &out, &err), 2);
    ASSERT_STR_EQ(out, "");
    if (!strstr(err, "cannot compare a TMK hash") || !strstr(err, tmk) || !strstr(err, txt))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
}

TEST(compare_unreadable_inputs_exit_3) {
    const char *a = make_video("alpha.mp4", 0, 10);
    const char *bad_txt = keep(fmt("%s/bad.txt", tmp_dir()));
    const char *bad_tmk = keep(fmt("%s/bad.tmk", tmp_dir()));
    const char *other = keep(fmt("%s/doc.pdf", tmp_dir()));
    const char *empty = keep(fmt("%s/empty", tmp_dir()));
    const char *missing = keep(fmt("%s/missing.mp4", tmp_dir()));
    write_str(bad_txt, "0,100,nothex,0.000\n");
    write_str(bad_tmk, "TMK1FVECPDQF truncated");
    write_str(other, "%PDF-1.4\n");
    write_str(empty, "");
    static const char *why[] = {"line 1", ".tmk", "not a video", "empty", "No such file"};
    const char *bad[] = {bad_txt, bad_tmk, other, empty, missing};
    for (int i = 0; i < 5; i++) {
        char *out, *err;
        int st = tamis(fmt("compare '%s' '%s'", a, bad[i]), &out, &err);
        if (st != 3 || !strstr(err, bad[i]) || !strstr(err, why[i]))
            FAIL("compare with %s: exit %d, stderr: %s", bad[i], st, err);
        ASSERT_STR_EQ(out, "");
        free(out);
        free(err);
    }
}

TEST(compare_usage_errors_exit_2) {
    static const char *cases[] = {
        "compare", "compare a", "compare a b c", "compare --bogus a b",
        "compare --vpdq-distance 300 a b", "compare --vpdq-distance 3.5 a b",
        "compare --vpdq-query-share 101 a b", "compare --vpdq-target-share -1 a b",
        "compare --tmk-level1 1.5 a b", "compare --tmk-level2 x a b", "compare --fps 0 a b"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int st = tamis(cases[i], &out, &err);
        if (st != 2 || !*err)
            FAIL("'tamis %s' exits %d with \"%s\", want 2 and a message", cases[i], st, err);
        ASSERT_STR_EQ(out, "");
        free(out);
        free(err);
    }
    char *out, *err;
    ASSERT_EQ(tamis("compare --help", &out, &err), 0);
    ASSERT(strstr(out, "usage: tamis compare") && strstr(out, "Exit status"));
    free(out);
    free(err);
}

/* ---- The reference's sample videos ------------------------------------- */

TEST(compare_reference_samples_as_the_reference_decides) {
    const char *s = keep(shared_dir_or_skip());
    const char *dir = keep(fmt("%s/vectors/video/sample-videos", s));
    const char *c19 = keep(fmt("%s/chair-19-sd-bar.mp4", dir));
    const char *c20 = keep(fmt("%s/chair-20-sd-bar.mp4", dir));
    const char *pat = keep(fmt("%s/pattern-sd-grey-bar.mp4", dir));
    char *out, *err;
    /* The reference's vPDQ and TMK both match chair-19 and chair-20. */
    ASSERT_EQ(tamis(fmt("compare '%s' '%s'", c19, c20), &out, &err), 0);
    if (!strstr(out, "vpdq: match") || !strstr(out, "tmk: match") ||
        !strstr(out, "verdict: match"))
        FAIL("chair-19 vs chair-20:\n%s%s", out, err);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("compare '%s' '%s'", c19, pat), &out, &err), 1);
    if (!strstr(out, "vpdq: no match") || !strstr(out, "tmk: no match") ||
        !strstr(out, "verdict: no match"))
        FAIL("chair-19 vs pattern:\n%s%s", out, err);
    free(out);
    free(err);
    /* Against the reference's own hash files of chair-20. */
    const char *ref_txt = keep(fmt("%s/vectors/video/vpdq-sample-hashes/chair-20-sd-bar.txt", s));
    const char *ref_tmk = keep(fmt("%s/vectors/video/tmk-sample-hashes/chair-20-sd-bar.tmk", s));
    int st = tamis(fmt("compare '%s' '%s'", c19, ref_txt), &out, &err);
    if (st != 0 || !strstr(out, "vpdq: match"))
        FAIL("chair-19 vs the reference's chair-20.txt: exit %d\n%s%s", st, out, err);
    free(out);
    free(err);
    st = tamis(fmt("compare '%s' '%s'", pat, ref_tmk), &out, &err);
    if (st != 1 || !strstr(out, "tmk: no match"))
        FAIL("pattern vs the reference's chair-20.tmk: exit %d\n%s%s", st, out, err);
    free(out);
    free(err);
}
