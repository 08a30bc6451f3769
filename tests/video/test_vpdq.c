/*
 * test_vpdq.c - vPDQ: hashing generated videos (frame numbers, timestamps,
 * threads, sampling), the reference's text format, the comparison rule,
 * errors; and against ../shared/vectors/video (when present) the
 * reference's sample files: frame count, frame numbers and timestamps,
 * per-frame distances, and the match decisions between every two videos.
 */
#include <dirent.h>
#include <math.h>

#include "tamis.h"
#include "../test.h"
#include "gen_video.h"

static const char *make(const char *name, int scene, int frames) {
    static char keep[4][512];
    static int k;
    char *out = keep[k++ % 4];
    snprintf(out, sizeof keep[0], "%s/%s", tmp_dir(), name);
    gen_video_spec s = {"mp4", "mpeg4", 128, 96, 10, frames, scene};
    if (gen_video_file(&s, out) != 0)
        FAIL("cannot make %s", name);
    return out;
}

static tamis_vpdq *hash(const char *path, const tamis_vpdq_options *o) {
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    tamis_status st = tamis_vpdq_hash_file(v, path, o);
    if (st != TAMIS_OK)
        FAIL("%s: %s: %s", path, tamis_strerror(st), tamis_vpdq_errmsg(v));
    ASSERT_STR_EQ(tamis_vpdq_errmsg(v), "");
    return v;
}

static char *text_of(const tamis_vpdq *v) {
    size_t n = tamis_vpdq_to_text(v, NULL, 0);
    char *t = malloc(n + 1);
    ASSERT(t != NULL);
    ASSERT_EQ(tamis_vpdq_to_text(v, t, n + 1), n);
    ASSERT_EQ(strlen(t), n);
    return t;
}

TEST(vpdq_hashes_every_frame_with_reference_numbers_and_times) {
    tamis_vpdq *v = hash(make("a.mp4", 0, 30), NULL);
    ASSERT_EQ(tamis_vpdq_count(v), 30);
    const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
    for (int i = 0; i < 30; i++) {
        ASSERT_EQ(f[i].frame, i);
        ASSERT(f[i].timestamp == (double)((float)i / 10.0f));
        ASSERT_GE(f[i].quality, 50);
    }
    tamis_video_info in;
    tamis_vpdq_video_info(v, &in);
    ASSERT_EQ(in.width, 128);
    ASSERT_EQ(in.height, 96);
    ASSERT_NEAR(in.frame_rate, 10, 1e-9);
    ASSERT_STR_EQ(in.codec, "mpeg4");
    tamis_vpdq_free(v);
}

TEST(vpdq_same_result_on_any_number_of_threads_and_from_memory) {
    const char *p = make("b.mp4", 1, 25);
    tamis_vpdq_options o = {0};
    o.threads = 1;
    tamis_vpdq *one = hash(p, &o);
    char *want = text_of(one);
    for (int t = 2; t <= 5; t += 3) {
        o.threads = t;
        tamis_vpdq *v = hash(p, &o);
        char *got = text_of(v);
        ASSERT_STR_EQ(got, want);
        free(got);
        tamis_vpdq_free(v);
    }
    size_t len;
    unsigned char *data = read_file(p, &len);
    ASSERT(data != NULL);
    ASSERT_OK(tamis_vpdq_hash_mem(one, data, len, NULL));
    char *got = text_of(one);
    ASSERT_STR_EQ(got, want);
    free(got);
    free(data);
    free(want);
    tamis_vpdq_free(one);
}

TEST(vpdq_seconds_per_hash_takes_every_nth_frame) {
    const char *p = make("c.mp4", 0, 23);
    tamis_vpdq_options o = {0};
    o.seconds_per_hash = 0.5; /* (int)(0.5 * 10) = every 5th frame */
    tamis_vpdq *v = hash(p, &o);
    ASSERT_EQ(tamis_vpdq_count(v), 5);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(tamis_vpdq_frames(v)[i].frame, 5 * i);
        ASSERT(tamis_vpdq_frames(v)[i].timestamp == (double)((float)(5 * i) / 10.0f));
    }
    o.seconds_per_hash = 0.05; /* under a frame: every frame, as the reference */
    ASSERT_OK(tamis_vpdq_hash_file(v, p, &o));
    ASSERT_EQ(tamis_vpdq_count(v), 23);
    o.seconds_per_hash = -1;
    ASSERT_EQ(tamis_vpdq_hash_file(v, p, &o), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_vpdq_count(v), 0);
    o.seconds_per_hash = 0;
    o.convert = 7;
    ASSERT_EQ(tamis_vpdq_hash_file(v, p, &o), TAMIS_ERR_INVALID);
    tamis_vpdq_free(v);
}

TEST(vpdq_downsample_and_conversions_stay_close) {
    const char *p = make("d.mp4", 0, 8);
    tamis_vpdq_options o = {0};
    tamis_vpdq *full = hash(p, &o);
    o.downsample = 64;
    tamis_vpdq *small = hash(p, &o);
    o.downsample = 0;
    o.convert = TAMIS_VPDQ_CONVERT_FFMPEG_CLI;
    tamis_vpdq *cli = hash(p, &o);
    ASSERT_EQ(tamis_vpdq_count(small), 8);
    ASSERT_EQ(tamis_vpdq_count(cli), 8);
    for (int i = 0; i < 8; i++) {
        ASSERT_LE(tamis_pdq_distance(&tamis_vpdq_frames(full)[i].pdq,
                                     &tamis_vpdq_frames(small)[i].pdq), 64);
        ASSERT_LE(tamis_pdq_distance(&tamis_vpdq_frames(full)[i].pdq,
                                     &tamis_vpdq_frames(cli)[i].pdq), 31);
    }
    tamis_vpdq_free(full);
    tamis_vpdq_free(small);
    tamis_vpdq_free(cli);
}

TEST(vpdq_bad_videos_fail_with_a_message_and_no_frames) {
    tamis_vpdq *v = hash(make("e.mp4", 0, 3), NULL);
    ASSERT_EQ(tamis_vpdq_hash_mem(v, "", 0, NULL), TAMIS_ERR_EMPTY);
    ASSERT_EQ(tamis_vpdq_count(v), 0);
    ASSERT(tamis_vpdq_errmsg(v)[0] != '\0');
    static const char text[] = "0,100,not a video,0.000\n";
    ASSERT_EQ(tamis_vpdq_hash_mem(v, text, sizeof text - 1, NULL), TAMIS_ERR_UNSUPPORTED);
    ASSERT(strstr(tamis_vpdq_errmsg(v), "not a video") != NULL);
    ASSERT_EQ(tamis_vpdq_hash_file(v, fmt("%s/none.mp4", tmp_dir()), NULL), TAMIS_ERR_IO);
    tamis_vpdq_options o = {0};
    o.max_frames = 2;
    ASSERT_EQ(tamis_vpdq_hash_file(v, make("f.mp4", 0, 5), &o), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(tamis_vpdq_count(v), 0);
    o.max_frames = 0;
    o.max_pixels = 100;
    ASSERT_EQ(tamis_vpdq_hash_file(v, make("g.mp4", 0, 2), &o), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(tamis_vpdq_hash_file(NULL, "x", NULL), TAMIS_ERR_INVALID);
    tamis_vpdq_free(v);
    tamis_vpdq_free(NULL);
}

/* ---- Text format ----------------------------------------------------------- */

static const char SAMPLE[] =
    "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n"
    "1,100,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,0.033\n"
    "2,49,c0f10b78372c6aacc5dea25b748fb7d22f434c89c9a9db249772b6216c8d855c,0.067\n";

TEST(vpdq_text_round_trips_byte_for_byte) {
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    ASSERT_OK(tamis_vpdq_from_text(v, SAMPLE, sizeof SAMPLE - 1));
    ASSERT_EQ(tamis_vpdq_count(v), 3);
    const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
    ASSERT_EQ(f[2].frame, 2);
    ASSERT_EQ(f[2].quality, 49);
    ASSERT_NEAR(f[1].timestamp, 0.033, 1e-12);
    char hex[65];
    tamis_pdq_to_hex(&f[0].pdq, hex);
    ASSERT_STR_EQ(hex, "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c");
    char *t = text_of(v);
    ASSERT_STR_EQ(t, SAMPLE);
    /* A buffer too small gets whole lines only, and a NUL. */
    char small[100];
    ASSERT_EQ(tamis_vpdq_to_text(v, small, sizeof small), strlen(SAMPLE));
    ASSERT_EQ(strlen(small), 77); /* one line of 77 bytes */
    ASSERT(memcmp(small, SAMPLE, 77) == 0);
    free(t);
    /* CRLF, upper-case hex and blank lines are read. */
    static const char crlf[] =
        "\r\n0,100,E271017837246AACCDDEA259648FB7D62F435C89D9E99B2497763E216C8D055C,1.5\r\n\n";
    ASSERT_OK(tamis_vpdq_from_text(v, crlf, sizeof crlf - 1));
    ASSERT_EQ(tamis_vpdq_count(v), 1);
    ASSERT(tamis_vpdq_frames(v)[0].timestamp == 1.5);
    tamis_vpdq_free(v);
}

TEST(vpdq_text_errors_name_the_line) {
    static const struct {
        const char *text, *msg;
        tamis_status st;
    } cases[] = {
        {"", "no frames", TAMIS_ERR_EMPTY},
        {"\n\n", "no frames", TAMIS_ERR_EMPTY},
        {"0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c\n",
         "line 1: expected", TAMIS_ERR_INVALID},
        {"0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.0\n"
         "1,101,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.0\n",
         "line 2: bad quality", TAMIS_ERR_INVALID},
        {"x,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.0",
         "line 1: bad frame", TAMIS_ERR_INVALID},
        {"0,100,e27101783724,0.0", "line 1: bad hash", TAMIS_ERR_INVALID},
        {"0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,-1",
         "line 1: bad timestamp", TAMIS_ERR_INVALID},
        {"0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,nan",
         "line 1: bad timestamp", TAMIS_ERR_INVALID},
        {"0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0,5",
         "line 1: more than 4", TAMIS_ERR_INVALID},
    };
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tamis_status st = tamis_vpdq_from_text(v, cases[i].text, strlen(cases[i].text));
        if (st != cases[i].st || !strstr(tamis_vpdq_errmsg(v), cases[i].msg))
            FAIL("case %zu: %d \"%s\", want %d \"%s\"", i, st, tamis_vpdq_errmsg(v), cases[i].st,
                 cases[i].msg);
        ASSERT_EQ(tamis_vpdq_count(v), 0);
    }
    tamis_vpdq_free(v);
}

/* HMA's signal form: the strings python-threatexchange's
 * VpdqCompactFeature writes, "hash,quality,timestamp", in a JSON array. */
TEST(vpdq_signal_form_round_trips_and_reads_hma_strings) {
    static const char hma[] =
        "[\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,100,0.0\", "
        "\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055d,49,1.5\"]";
    tamis_vpdq *v, *w;
    ASSERT_OK(tamis_vpdq_create(&v));
    ASSERT_OK(tamis_vpdq_create(&w));
    ASSERT_OK(tamis_vpdq_from_signal(v, hma));
    ASSERT_EQ(tamis_vpdq_count(v), 2);
    const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
    ASSERT_EQ(f[1].frame, 1);
    ASSERT_EQ(f[1].quality, 49);
    ASSERT(f[1].timestamp == 1.5);
    size_t n = tamis_vpdq_to_signal(v, NULL, 0);
    char *s = malloc(n + 1);
    ASSERT_EQ(tamis_vpdq_to_signal(v, s, n + 1), n);
    ASSERT_STR_EQ(s, "[\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,100,0.000\","
                     "\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055d,49,1.500\"]");
    ASSERT_OK(tamis_vpdq_from_signal(w, s));
    ASSERT_EQ(tamis_vpdq_count(w), 2);
    ASSERT(memcmp(&tamis_vpdq_frames(w)[1].pdq, &f[1].pdq, sizeof f[1].pdq) == 0);
    free(s);
    static const char *bad[] = {"", "[]", "{}", "[\"x\"]", "[\"e2,1\"]", "[1]",
                                "[\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,100,0.0\"",
                                "[\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,101,0.0\"]",
                                "[\"e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,100,0.0\"] x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tamis_vpdq_from_signal(w, bad[i]) == TAMIS_OK)
            FAIL("accepted bad signal %zu: %s", i, bad[i]);
        ASSERT_EQ(tamis_vpdq_count(w), 0);
        ASSERT(tamis_vpdq_errmsg(w)[0] != 0);
    }
    tamis_vpdq_free(v);
    tamis_vpdq_free(w);
}

/* ---- Comparison ------------------------------------------------------------ */

/* A list of frames from (hash seed, quality) pairs: seed s gives a hash
 * with bits 0..s-1 set, so two seeds are |s1 - s2| bits apart. */
static tamis_vpdq *frames_of(const int (*fq)[2], int n) {
    char *text = malloc((size_t)n * 100 + 1), *p = text;
    for (int i = 0; i < n; i++) {
        tamis_pdq h;
        memset(&h, 0, sizeof h);
        for (int b = 0; b < fq[i][0]; b++)
            h.bytes[31 - b / 8] |= (uint8_t)(1u << (b % 8));
        char hex[65];
        tamis_pdq_to_hex(&h, hex);
        p += sprintf(p, "%d,%d,%s,%d.000\n", i, fq[i][1], hex, i);
    }
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    ASSERT_OK(tamis_vpdq_from_text(v, text, (size_t)(p - text)));
    free(text);
    return v;
}

TEST(vpdq_compare_follows_the_reference_rule) {
    /* Query: 5 distinct good frames (0, 100, 200 bits...), one repeated,
     * one of low quality. Target: frames at 31 and 32 bits from two of
     * them, and one far away. */
    static const int q[][2] = {{0, 100}, {100, 90}, {200, 50}, {0, 100},
                               {150, 49}, {60, 80}, {250, 60}};
    static const int t[][2] = {{31, 100}, {132, 100}, {150, 100}, {150, 10}};
    tamis_vpdq *a = frames_of(q, 7), *b = frames_of(t, 4);
    tamis_vpdq_result r;
    ASSERT_OK(tamis_vpdq_compare(a, b, NULL, &r));
    ASSERT_EQ(r.query_frames, 5);  /* 0 100 200 60 250: repeat and q 49 out */
    ASSERT_EQ(r.target_frames, 3); /* 31 132 150 */
    ASSERT_EQ(r.query_matched, 2);  /* 0 and 60, 31 and 29 bits from 31; 100 is
                                       32 from 132 */
    ASSERT_EQ(r.target_matched, 1); /* 31 */
    ASSERT_NEAR(r.query_share, 40.0, 1e-12);
    ASSERT_NEAR(r.target_share, 100.0 / 3, 1e-12);
    ASSERT_EQ(r.match, 0);
    tamis_vpdq_compare_options o = TAMIS_VPDQ_COMPARE_DEFAULTS;
    o.query_threshold = 40;
    ASSERT_OK(tamis_vpdq_compare(a, b, &o, &r));
    ASSERT_EQ(r.match, 1); /* at the threshold matches */
    o.target_threshold = 34;
    ASSERT_OK(tamis_vpdq_compare(a, b, &o, &r));
    ASSERT_EQ(r.match, 0);
    o = (tamis_vpdq_compare_options)TAMIS_VPDQ_COMPARE_DEFAULTS;
    o.distance = 32;
    ASSERT_OK(tamis_vpdq_compare(a, b, &o, &r));
    ASSERT_EQ(r.query_matched, 3);
    o.distance = 31;
    o.min_quality = 0; /* 150 (q 49) now counts, and matches 150 */
    ASSERT_OK(tamis_vpdq_compare(a, b, &o, &r));
    ASSERT_EQ(r.query_frames, 6);
    ASSERT_EQ(r.target_frames, 3);
    ASSERT_EQ(r.query_matched, 3);
    ASSERT_EQ(r.target_matched, 3); /* 31, 150, and 132 (18 bits from 150) */
    o.distance = 257;
    ASSERT_EQ(tamis_vpdq_compare(a, b, &o, &r), TAMIS_ERR_INVALID);
    /* No good frame on a side: shares 0, no match. */
    static const int bad[][2] = {{0, 10}};
    tamis_vpdq *c = frames_of(bad, 1);
    ASSERT_OK(tamis_vpdq_compare(a, c, NULL, &r));
    ASSERT_EQ(r.target_frames, 0);
    ASSERT_EQ(r.match, 0);
    ASSERT(r.query_share == 0 && r.target_share == 0);
    tamis_vpdq_free(a);
    tamis_vpdq_free(b);
    tamis_vpdq_free(c);
}

TEST(vpdq_compare_generated_videos) {
    tamis_vpdq *a = hash(make("h.mp4", 0, 20), NULL);
    tamis_vpdq *b = hash(make("i.mp4", 1, 20), NULL);
    tamis_vpdq *a2 = hash(make("j.mp4", 0, 10), NULL); /* the first half of a */
    tamis_vpdq_result r;
    ASSERT_OK(tamis_vpdq_compare(a, a, NULL, &r));
    ASSERT(r.match && r.query_share == 100 && r.target_share == 100);
    ASSERT_OK(tamis_vpdq_compare(a, b, NULL, &r));
    ASSERT(!r.match);
    ASSERT_LT(r.query_share, 20);
    /* A clip of a longer video matches it; the longer one against the clip
     * matches only when the clip covers enough of it. */
    ASSERT_OK(tamis_vpdq_compare(a2, a, NULL, &r));
    ASSERT_EQ(r.match, 1);
    ASSERT_NEAR(r.query_share, 100, 1e-9);
    tamis_vpdq_free(a);
    tamis_vpdq_free(b);
    tamis_vpdq_free(a2);
}

/* ---- Against the reference's sample files ---------------------------------- */

#define MAX_VIDEOS 32

typedef struct {
    char name[128];
    tamis_vpdq *ours, *ref;
} sample;

/* Hashes every sample video that has a reference file `<name><suffix>.txt`
 * and reads that file. Returns the number of videos. */
static int load_samples(sample *s, const char *suffix, const tamis_vpdq_options *o) {
    char sh[512];
    snprintf(sh, sizeof sh, "%s", shared_dir_or_skip());
    char dir[1024];
    if (snprintf(dir, sizeof dir, "%s/vectors/video/sample-videos", sh) >= (int)sizeof dir)
        FAIL("path too long");
    DIR *d = opendir(dir);
    if (!d)
        SKIP("no %s", dir);
    struct dirent *e;
    char *names[MAX_VIDEOS];
    int n = 0;
    while ((e = readdir(d)) && n < MAX_VIDEOS) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 100 && strcmp(e->d_name + l - 4, ".mp4") == 0)
            names[n++] = strndup(e->d_name, l - 4);
    }
    closedir(d);
    int k = 0;
    for (int i = 0; i < n; i++) {
        char ref[1024];
        snprintf(ref, sizeof ref, "%s/vectors/video/vpdq-sample-hashes/%s%s.txt", sh, names[i],
                 suffix);
        size_t len;
        unsigned char *text = read_file(ref, &len);
        if (text) {
            sample *x = &s[k++];
            snprintf(x->name, sizeof x->name, "%s", names[i]);
            ASSERT_OK(tamis_vpdq_create(&x->ref));
            ASSERT_OK(tamis_vpdq_from_text(x->ref, (char *)text, len));
            /* Reading and writing the reference's file gives it back. */
            char *back = text_of(x->ref);
            if (strlen(back) != len || memcmp(back, text, len) != 0)
                FAIL("%s%s.txt is not written back byte for byte", names[i], suffix);
            free(back);
            free(text);
            x->ours = hash(fmt("%s/vectors/video/sample-videos/%s.mp4", sh, names[i]), o);
        }
        free(names[i]);
    }
    if (k == 0)
        SKIP("no sample video has a reference file");
    return k;
}

/* Frame numbers and timestamps must be the reference's to the character;
 * returns the mean distance over all frames and over the frames both sides
 * compare (quality >= 50), printing a row of the table in doc/video.md. */
static double check_frames(const sample *x, const char *label) {
    size_t n = tamis_vpdq_count(x->ref);
    if (tamis_vpdq_count(x->ours) != n)
        FAIL("%s: %zu frames, the reference has %zu", x->name, tamis_vpdq_count(x->ours), n);
    const tamis_vpdq_frame *a = tamis_vpdq_frames(x->ours), *b = tamis_vpdq_frames(x->ref);
    long sum = 0, sum_q = 0, nq = 0, qdiff = 0;
    int max = 0, max_q = 0;
    for (size_t i = 0; i < n; i++) {
        char ta[32], tb[32];
        snprintf(ta, sizeof ta, "%.3f", a[i].timestamp);
        snprintf(tb, sizeof tb, "%.3f", b[i].timestamp);
        if (a[i].frame != b[i].frame || strcmp(ta, tb) != 0)
            FAIL("%s line %zu: frame %d at %s, the reference's %d at %s", x->name, i + 1,
                 a[i].frame, ta, b[i].frame, tb);
        int d = tamis_pdq_distance(&a[i].pdq, &b[i].pdq);
        sum += d;
        max = d > max ? d : max;
        qdiff += a[i].quality != b[i].quality;
        if (a[i].quality >= 50 && b[i].quality >= 50) {
            sum_q += d;
            nq++;
            max_q = d > max_q ? d : max_q;
        }
    }
    double mean = (double)sum / (double)n;
    printf("  %-9s %-34s %4zu frames  all: mean %6.3f max %3d   q>=50: %4ld mean %6.3f max %3d"
           "   quality differs: %ld\n",
           label, x->name, n, mean, max, nq, nq ? (double)sum_q / nq : 0.0, max_q, qdiff);
    return mean;
}

/* The decision for every ordered pair of distinct videos, ours against
 * ours and ours against the reference's file, must be the reference's. */
static void check_decisions(sample *s, int n, const char *label) {
    int agree = 0, total = 0, matches = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (i == j)
                continue;
            tamis_vpdq_result rr, ro, rx;
            ASSERT_OK(tamis_vpdq_compare(s[i].ref, s[j].ref, NULL, &rr));
            ASSERT_OK(tamis_vpdq_compare(s[i].ours, s[j].ours, NULL, &ro));
            ASSERT_OK(tamis_vpdq_compare(s[i].ours, s[j].ref, NULL, &rx));
            total += 2;
            agree += (ro.match == rr.match) + (rx.match == rr.match);
            matches += rr.match;
            if (ro.match != rr.match || rx.match != rr.match)
                printf("  %s: %s vs %s: reference %.2f/%.2f, ours %.2f/%.2f, ours vs ref %.2f/%.2f\n",
                       label, s[i].name, s[j].name, rr.query_share, rr.target_share,
                       ro.query_share, ro.target_share, rx.query_share, rx.target_share);
        }
    for (int i = 0; i < n; i++) { /* each video matches its reference file */
        tamis_vpdq_result r;
        ASSERT_OK(tamis_vpdq_compare(s[i].ours, s[i].ref, NULL, &r));
        if (!r.match || r.query_share < 99)
            FAIL("%s: ours against its reference file: %.2f/%.2f", s[i].name, r.query_share,
                 r.target_share);
    }
    printf("  %s: decisions agree on %d of %d ordered pairs (%d matches in the reference)\n",
           label, agree, total, matches);
    ASSERT_EQ(agree, total);
}

static void free_samples(sample *s, int n) {
    for (int i = 0; i < n; i++) {
        tamis_vpdq_free(s[i].ours);
        tamis_vpdq_free(s[i].ref);
    }
}

/* The reference's files come from two versions of its hasher: those of
 * 2022 (and the "-128x128" ones of 2023) from frames piped out of the
 * ffmpeg program, test-padded-dimensions.txt (2026) from the library
 * conversion vPDQ uses today (ThreatExchange's git history). Each is
 * checked with its own conversion; the other is reported. */
static int made_by_library(const char *name) {
    return strcmp(name, "test-padded-dimensions") == 0;
}

static void run_reference(const char *suffix, int convert, double bound) {
    sample s[MAX_VIDEOS];
    tamis_vpdq_options o = {0};
    o.downsample = suffix[0] ? 128 : 0;
    o.convert = convert;
    int n = load_samples(s, suffix, &o);
    const char *label = convert == TAMIS_VPDQ_CONVERT_FFMPEG_CLI ? "ffmpeg" : "library";
    for (int i = 0; i < n; i++) {
        double mean = check_frames(&s[i], label);
        int own = made_by_library(s[i].name) == (convert == TAMIS_VPDQ_CONVERT_LIBRARY);
        if (own && mean > bound)
            FAIL("%s: mean distance %.3f bits over %.1f", s[i].name, mean, bound);
    }
    check_decisions(s, n, label);
    free_samples(s, n);
}

TEST(vpdq_reference_files_ffmpeg_conversion) {
    run_reference("", TAMIS_VPDQ_CONVERT_FFMPEG_CLI, 2.0);
}

TEST(vpdq_reference_files_library_conversion) {
    run_reference("", TAMIS_VPDQ_CONVERT_LIBRARY, 2.0);
}

/* The "-128x128" files: frames squashed by the ffmpeg program's bicubic
 * scaler, which ours follows less closely (see doc/video.md). */
TEST(vpdq_reference_files_128x128) {
    run_reference("-128x128", TAMIS_VPDQ_CONVERT_FFMPEG_CLI, 5.0);
}

/* The comparison on two reference files, against shares computed with
 * python-threatexchange's brute-force matcher (vpdq_brute_matcher.py). */
TEST(vpdq_compare_reference_files_as_python_threatexchange) {
    char sh[512];
    snprintf(sh, sizeof sh, "%s", shared_dir_or_skip());
    tamis_vpdq *a, *b;
    ASSERT_OK(tamis_vpdq_create(&a));
    ASSERT_OK(tamis_vpdq_create(&b));
    size_t la, lb;
    unsigned char *ta =
        read_file(fmt("%s/vectors/video/vpdq-sample-hashes/chair-19-sd-bar.txt", sh), &la);
    unsigned char *tb =
        read_file(fmt("%s/vectors/video/vpdq-sample-hashes/chair-22-sd-grey-bar.txt", sh), &lb);
    if (!ta || !tb)
        SKIP("no chair-19-sd-bar.txt or chair-22-sd-grey-bar.txt");
    ASSERT_OK(tamis_vpdq_from_text(a, (char *)ta, la));
    ASSERT_OK(tamis_vpdq_from_text(b, (char *)tb, lb));
    tamis_vpdq_result r;
    ASSERT_OK(tamis_vpdq_compare(a, b, NULL, &r));
    ASSERT_EQ(r.query_frames, 562);
    ASSERT_EQ(r.target_frames, 656);
    ASSERT_EQ(r.query_matched, 562);
    ASSERT_EQ(r.target_matched, 562);
    ASSERT_NEAR(r.target_share, 85.6707, 5e-5);
    ASSERT_EQ(r.match, 1);
    ASSERT_OK(tamis_vpdq_compare(b, a, NULL, &r));
    ASSERT_NEAR(r.query_share, 85.6707, 5e-5);
    ASSERT_EQ(r.match, 1);
    free(ta);
    free(tb);
    tamis_vpdq_free(a);
    tamis_vpdq_free(b);
}
