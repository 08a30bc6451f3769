/*
 * test_decode.c - the FFmpeg decoder behind lib/video/video.h: frames,
 * timestamps, sampling and resampling, sizes, limits, memory input, and
 * clear errors on bad input. Videos are made in the test (gen_video.c);
 * the sample videos in ../shared are used when present.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/video/video.h"
#include "../test.h"
#include "gen_video.h"

static const char *make_video(const char *name, const char *container, const char *codec,
                              int w, int h, int fps, int frames) {
    gen_video_spec s = {container, codec, w, h, fps, frames, 0};
    const char *path = fmt("%s/%s", tmp_dir(), name);
    static char keep[8][512];
    static int k;
    char *out = keep[k++ % 8];
    snprintf(out, sizeof keep[0], "%s", path);
    if (gen_video_file(&s, out) != 0)
        FAIL("cannot make %s", name);
    return out;
}

/* Decodes every frame, checking the shape; returns the count and fills
 * ts[] and idx[] (up to cap). */
static int decode_all(tamis__video *v, double *ts, int64_t *idx, int cap, int *w, int *h) {
    const uint8_t *rgb;
    size_t stride;
    double t;
    int n = 0;
    tamis_status st;
    while ((st = tamis__video_next(v, &rgb, w, h, &stride, &t)) == TAMIS_OK) {
        ASSERT(rgb != NULL);
        ASSERT_GE(stride, (size_t)*w * 3);
        if (n < cap) {
            ts[n] = t;
            idx[n] = tamis__video_frame_index(v);
        }
        n++;
    }
    ASSERT_EQ(st, TAMIS_DONE);
    return n;
}

TEST(decode_every_frame_with_times_and_info) {
    const char *p = make_video("a.mp4", "mp4", "mpeg4", 96, 64, 10, 25);
    tamis__video *v;
    char err[256];
    ASSERT_OK(tamis__video_open_file(p, NULL, &v, err, sizeof err));
    const tamis__video_info *in = tamis__video_info_of(v);
    ASSERT_EQ(in->width, 96);
    ASSERT_EQ(in->height, 64);
    ASSERT_NEAR(in->frame_rate, 10.0, 1e-9);
    ASSERT_NEAR(in->duration_s, 2.5, 0.11);
    ASSERT_STR_EQ(in->codec, "mpeg4");
    ASSERT(strstr(in->container, "mp4") != NULL);
    ASSERT_EQ(tamis__video_frame_index(v), -1);
    double ts[64];
    int64_t idx[64];
    int w, h;
    ASSERT_EQ(decode_all(v, ts, idx, 64, &w, &h), 25);
    ASSERT_EQ(w, 96);
    ASSERT_EQ(h, 64);
    for (int i = 0; i < 25; i++) {
        ASSERT_EQ(idx[i], i);
        ASSERT_NEAR(ts[i], i / 10.0, 1e-9);
    }
    tamis__video_free(v);
}

TEST(decode_pixels_match_the_source) {
    /* FFV1 is lossless: what remains is 4:2:0 chroma and the YUV rounding. */
    gen_video_spec s = {"matroska", "ffv1", 64, 48, 5, 3, 1};
    const char *p = fmt("%s/b.mkv", tmp_dir());
    ASSERT_EQ(gen_video_file(&s, p), 0);
    tamis__video *v;
    ASSERT_OK(tamis__video_open_file(p, NULL, &v, NULL, 0));
    const uint8_t *rgb;
    int w, h;
    size_t stride;
    double t;
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(tamis__video_next(v, &rgb, &w, &h, &stride, &t));
        uint8_t *src = gen_video_frame(&s, i);
        double sum = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w * 3; x++)
                sum += fabs((double)rgb[(size_t)y * stride + (size_t)x] - src[(y * w * 3) + x]);
        free(src);
        double mean = sum / (w * h * 3);
        if (mean > 6)
            FAIL("frame %d: mean difference %.2f from the source", i, mean);
    }
    tamis__video_free(v);
}

TEST(decode_every_nth_keeps_frame_numbers) {
    const char *p = make_video("c.mkv", "matroska", "mpeg4", 64, 48, 10, 23);
    tamis__video_opts o = {0};
    o.every_nth = 5;
    tamis__video *v;
    ASSERT_OK(tamis__video_open_file(p, &o, &v, NULL, 0));
    double ts[16];
    int64_t idx[16];
    int w, h;
    ASSERT_EQ(decode_all(v, ts, idx, 16, &w, &h), 5); /* 0 5 10 15 20 */
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(idx[i], 5 * i);
        ASSERT_NEAR(ts[i], 0.5 * i, 1e-9);
    }
    tamis__video_free(v);
}

TEST(decode_resamples_to_a_lower_and_a_higher_rate) {
    const char *p = make_video("d.avi", "avi", "mjpeg", 64, 48, 10, 20); /* 2 s */
    double ts[64];
    int64_t idx[64];
    int w, h;
    tamis__video_opts o = {0};
    tamis__video *v;
    o.fps = 5;
    ASSERT_OK(tamis__video_open_file(p, &o, &v, NULL, 0));
    ASSERT_EQ(decode_all(v, ts, idx, 64, &w, &h), 10);
    for (int i = 0; i < 10; i++) {
        ASSERT_NEAR(ts[i], i / 5.0, 1e-9);
        ASSERT_EQ(idx[i], 2 * i);
    }
    tamis__video_free(v);
    o.fps = 20; /* each frame shown twice */
    ASSERT_OK(tamis__video_open_file(p, &o, &v, NULL, 0));
    ASSERT_EQ(decode_all(v, ts, idx, 64, &w, &h), 40);
    for (int i = 0; i < 40; i++) {
        ASSERT_NEAR(ts[i], i / 20.0, 1e-9);
        ASSERT_EQ(idx[i], i / 2);
    }
    tamis__video_free(v);
}

TEST(decode_scales_to_the_output_size) {
    const char *p = make_video("e.mp4", "mp4", "mpeg4", 96, 64, 10, 3);
    tamis__video_opts o = {0};
    o.out_width = o.out_height = 32;
    tamis__video *v;
    ASSERT_OK(tamis__video_open_file(p, &o, &v, NULL, 0));
    double ts[4];
    int64_t idx[4];
    int w, h;
    ASSERT_EQ(decode_all(v, ts, idx, 4, &w, &h), 3);
    ASSERT_EQ(w, 32);
    ASSERT_EQ(h, 32);
    ASSERT_EQ(tamis__video_info_of(v)->width, 96);
    tamis__video_free(v);
}

TEST(decode_from_memory_equals_from_file) {
    const char *p = make_video("f.mp4", "mp4", "mpeg4", 64, 48, 10, 6);
    size_t len;
    unsigned char *data = read_file(p, &len);
    ASSERT(data != NULL);
    tamis__video *a, *b;
    ASSERT_OK(tamis__video_open_file(p, NULL, &a, NULL, 0));
    ASSERT_OK(tamis__video_open_mem(data, len, NULL, &b, NULL, 0));
    const uint8_t *ra, *rb;
    int wa, ha, wb, hb, n = 0;
    size_t sa, sb;
    double ta, tb;
    while (tamis__video_next(a, &ra, &wa, &ha, &sa, &ta) == TAMIS_OK) {
        ASSERT_OK(tamis__video_next(b, &rb, &wb, &hb, &sb, &tb));
        ASSERT_EQ(wa, wb);
        ASSERT_EQ(ha, hb);
        ASSERT(ta == tb);
        for (int y = 0; y < ha; y++)
            ASSERT(memcmp(ra + (size_t)y * sa, rb + (size_t)y * sb, (size_t)wa * 3) == 0);
        n++;
    }
    ASSERT_EQ(tamis__video_next(b, &rb, &wb, &hb, &sb, &tb), TAMIS_DONE);
    ASSERT_EQ(n, 6);
    tamis__video_free(a);
    tamis__video_free(b);
    free(data);
}

TEST(decode_refuses_frames_over_the_limits) {
    const char *p = make_video("g.mp4", "mp4", "mpeg4", 96, 64, 10, 5);
    tamis__video_opts o = {0};
    tamis__video *v = (tamis__video *)1;
    char err[256];
    o.max_pixels = 96 * 64 - 1;
    ASSERT_EQ(tamis__video_open_file(p, &o, &v, err, sizeof err), TAMIS_ERR_TOO_LARGE);
    ASSERT(v == NULL);
    ASSERT(strstr(err, "96x64") != NULL);
    o.max_pixels = 0;
    o.out_width = o.out_height = 20000; /* 400 M pixels out */
    ASSERT_EQ(tamis__video_open_file(p, &o, &v, err, sizeof err), TAMIS_ERR_TOO_LARGE);
    o.out_width = o.out_height = 0;
    o.max_frames = 3;
    ASSERT_OK(tamis__video_open_file(p, &o, &v, err, sizeof err));
    const uint8_t *rgb;
    int w, h;
    size_t s;
    double t;
    for (int i = 0; i < 3; i++)
        ASSERT_OK(tamis__video_next(v, &rgb, &w, &h, &s, &t));
    ASSERT_EQ(tamis__video_next(v, &rgb, &w, &h, &s, &t), TAMIS_ERR_TOO_LARGE);
    ASSERT(strstr(tamis__video_errmsg(v), "3 frames") != NULL);
    tamis__video_free(v);
}

/* Opens `data` from memory and from a file, expecting `want` from both
 * (at open, or at the first frame) with a message, and nothing on stderr:
 * the library never prints, and FFmpeg's log goes nowhere. want 0 takes
 * TAMIS_ERR_UNSUPPORTED or TAMIS_ERR_CORRUPT, for noise that FFmpeg may
 * take for the start of some container. */
static void expect_bad(const char *name, const void *data, size_t len, tamis_status want) {
    const char *path = fmt("%s/%s", tmp_dir(), name);
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    FILE *f = fopen(p, "wb");
    ASSERT(f != NULL);
    if (len)
        ASSERT_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
    const char *errp = fmt("%s/%s.stderr", tmp_dir(), name);
    char ep[512];
    snprintf(ep, sizeof ep, "%s", errp);
    fflush(stderr);
    int saved = dup(2), fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    tamis_status got[2];
    char err[2][256];
    for (int k = 0; k < 2; k++) {
        tamis__video *v = NULL;
        err[k][0] = '\0';
        got[k] = k == 0 ? tamis__video_open_file(p, NULL, &v, err[k], sizeof err[k])
                        : tamis__video_open_mem(data, len, NULL, &v, err[k], sizeof err[k]);
        if (got[k] == TAMIS_OK) {
            const uint8_t *rgb;
            int w, h;
            size_t s;
            double t;
            got[k] = tamis__video_next(v, &rgb, &w, &h, &s, &t);
            snprintf(err[k], sizeof err[k], "%s", tamis__video_errmsg(v));
            tamis__video_free(v);
        }
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    unsigned char *printed = read_file(ep, &n);
    ASSERT(printed != NULL);
    if (n)
        FAIL("%s: %zu bytes printed on stderr: %.*s", name, n, (int)(n > 200 ? 200 : n),
             (char *)printed);
    free(printed);
    for (int k = 0; k < 2; k++) {
        printf("  %s (%s): %s: %s\n", name, k ? "mem" : "file", tamis_strerror(got[k]), err[k]);
        if (want ? got[k] != want : got[k] != TAMIS_ERR_UNSUPPORTED && got[k] != TAMIS_ERR_CORRUPT)
            FAIL("%s: status %d (%s), want %d; message: %s", name, got[k],
                 tamis_strerror(got[k]), want, err[k]);
        ASSERT(err[k][0] != '\0');
    }
}

TEST(decode_bad_inputs_fail_clearly) {
    expect_bad("empty.mp4", "", 0, TAMIS_ERR_EMPTY);
    static const char text[] = "This is not a video, just a few words of text.\n";
    expect_bad("text.mp4", text, sizeof text - 1, TAMIS_ERR_UNSUPPORTED);
    uint8_t noise[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (uint8_t)(x >> 24);
    }
    expect_bad("noise.bin", noise, sizeof noise, 0);

    /* An MP4 cut in half loses its index (moov, written last). */
    const char *p = make_video("whole.mp4", "mp4", "mpeg4", 96, 64, 10, 20);
    size_t len;
    unsigned char *mp4 = read_file(p, &len);
    ASSERT(mp4 != NULL && len > 1000);
    expect_bad("half.mp4", mp4, len / 2, TAMIS_ERR_CORRUPT);
    expect_bad("head.mp4", mp4, 64, TAMIS_ERR_CORRUPT);
    free(mp4);

    /* Matroska cut after its header: streams but no frame. */
    const char *q = make_video("whole.mkv", "matroska", "mpeg4", 96, 64, 10, 20);
    unsigned char *mkv = read_file(q, &len);
    ASSERT(mkv != NULL);
    expect_bad("cut.mkv", mkv, 700, TAMIS_ERR_CORRUPT);
    free(mkv);
}

TEST(decode_never_opens_what_a_playlist_names) {
    /* An HLS playlist naming a real local video: FFmpeg would open it;
     * the decoder must not reach anything outside the bytes it was given. */
    const char *p = make_video("target.mp4", "mp4", "mpeg4", 64, 48, 10, 5);
    char m3u8[1024];
    snprintf(m3u8, sizeof m3u8,
             "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nfile:%s\n#EXTINF:1.0,\n%s\n"
             "#EXT-X-ENDLIST\n", p, p);
    tamis__video *v = NULL;
    char err[256];
    tamis_status st = tamis__video_open_mem((const uint8_t *)m3u8, strlen(m3u8), NULL, &v, err,
                                            sizeof err);
    if (st == TAMIS_OK) {
        const uint8_t *rgb;
        int w, h;
        size_t s;
        double t;
        st = tamis__video_next(v, &rgb, &w, &h, &s, &t);
        tamis__video_free(v);
    }
    ASSERT(st < 0);
}

TEST(decode_file_errors) {
    tamis__video *v = NULL;
    char err[256];
    ASSERT_EQ(tamis__video_open_file(fmt("%s/missing.mp4", tmp_dir()), NULL, &v, err, sizeof err),
              TAMIS_ERR_IO);
    ASSERT(strstr(err, "No such file") != NULL);
    ASSERT_EQ(tamis__video_open_file(tmp_dir(), NULL, &v, err, sizeof err), TAMIS_ERR_IO);
    ASSERT_STR_EQ(err, "is a directory");
    ASSERT_EQ(tamis__video_open_mem(NULL, 5, NULL, &v, err, sizeof err), TAMIS_ERR_INVALID);
    tamis__video_free(NULL);
}

/* Every sample video decodes with as many frames as its reference file
 * has lines, at the stream's rate. */
TEST(decode_shared_sample_videos) {
    const char *sh = shared_dir_or_skip();
    const char *dir = fmt("%s/vectors/video/sample-videos", sh);
    char d[512];
    snprintf(d, sizeof d, "%s", dir);
    DIR *dd = opendir(d);
    if (!dd)
        SKIP("no %s", d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".mp4") != 0)
            continue;
        char ref[1024], path[1024];
        if (snprintf(path, sizeof path, "%s/%s", d, e->d_name) >= (int)sizeof path ||
            snprintf(ref, sizeof ref, "%s/vectors/video/vpdq-sample-hashes/%.*s.txt", sh,
                     (int)(l - 4), e->d_name) >= (int)sizeof ref)
            FAIL("path too long");
        size_t rl;
        unsigned char *rt = read_file(ref, &rl);
        if (!rt)
            continue;
        int lines = 0;
        for (size_t i = 0; i < rl; i++)
            lines += rt[i] == '\n';
        free(rt);
        tamis__video_opts o = {0};
        o.threads = 2;
        tamis__video *v;
        char err[256];
        ASSERT_OK(tamis__video_open_file(path, &o, &v, err, sizeof err));
        double ts[1];
        int64_t idx[1];
        int w, h;
        int got = decode_all(v, ts, idx, 0, &w, &h);
        const tamis__video_info *in = tamis__video_info_of(v);
        printf("  %-36s %4dx%-4d %6.3f fps %s: %d frames (reference %d)\n", e->d_name, in->width,
               in->height, in->frame_rate, in->codec, got, lines);
        if (got != lines)
            FAIL("%s: %d frames, the reference has %d", e->d_name, got, lines);
        tamis__video_free(v);
        n++;
    }
    closedir(dd);
    ASSERT_GT(n, 0);
}
