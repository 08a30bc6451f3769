/*
 * compare.c - `tamis compare A B`: compares two videos, or a video and a
 * hash file, or two hash files, as the hash-sharing tools decide: the vPDQ
 * shares (HMA's rule) and the TMK+PDQF level-1 and level-2 scores (the
 * reference's tmk-query), with one verdict.
 *
 * An input is a .tmk file (it starts with TMK's magic), a vPDQ text file
 * (text whose first byte is a digit), or else a video, which is hashed
 * with whichever algorithms the other input allows. A is the query (the
 * upload), B the target (the bank's video): vPDQ's shares are not
 * symmetric.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Exit status when an input cannot be read or hashed. */
enum { EXIT_BAD_INPUT = 3 };

typedef enum { KIND_VIDEO, KIND_TMK, KIND_VPDQ } input_kind;

typedef struct {
    const char *path;
    input_kind kind;
    const void *data; /* the mapped file */
    size_t len;
    tamis_vpdq *vpdq; /* held when vPDQ is compared */
    tamis_tmk *tmk;   /* held when TMK is compared */
    tamis_status st;  /* of hashing a video */
    char err[512];
} input;

static const char *kind_name(input_kind k) {
    switch (k) {
    case KIND_TMK: return "tmk";
    case KIND_VPDQ: return "vpdq";
    default: return "video";
    }
}

/* Reads and classifies an input; a hash file is parsed here, a video is
 * left for hash_input. Prints the reason and returns -1 on failure. */
static int load_input(input *in) {
    if (file_map(in->path, &in->data, &in->len) != 0) {
        fprintf(stderr, "tamis compare: %s: cannot read: %s\n", in->path, strerror(errno));
        return -1;
    }
    if (in->len == 0) {
        fprintf(stderr, "tamis compare: %s: empty file (0 bytes)\n", in->path);
        return -1;
    }
    const unsigned char *d = in->data;
    if (in->len >= 4 && memcmp(d, "TMK1", 4) == 0) {
        in->kind = KIND_TMK;
        tamis_status st = tamis_tmk_read_mem(d, in->len, &in->tmk, in->err, sizeof in->err);
        if (st != TAMIS_OK) {
            fprintf(stderr, "tamis compare: %s: not a .tmk tamis reads: %s\n", in->path,
                    in->err);
            return -1;
        }
        return 0;
    }
    size_t head = in->len < 4096 ? in->len : 4096;
    if (d[0] >= '0' && d[0] <= '9' && !memchr(d, '\0', head)) {
        in->kind = KIND_VPDQ;
        tamis_status st = tamis_vpdq_create(&in->vpdq);
        if (st == TAMIS_OK)
            st = tamis_vpdq_from_text(in->vpdq, in->data, in->len);
        if (st != TAMIS_OK) {
            fprintf(stderr, "tamis compare: %s: not a vPDQ file: %s\n", in->path,
                    in->vpdq ? tamis_vpdq_errmsg(in->vpdq) : tamis_strerror(st));
            return -1;
        }
        return 0;
    }
    in->kind = KIND_VIDEO;
    return 0;
}

typedef struct {
    input *in;
    int want_vpdq, want_tmk;
    tamis_vpdq_options vopts;
} hash_job;

/* Hashes a video with the algorithms asked for (a thread's body). */
static void *hash_input(void *arg) {
    hash_job *hj = arg;
    input *in = hj->in;
    in->st = TAMIS_OK;
    if (hj->want_vpdq) {
        in->st = tamis_vpdq_create(&in->vpdq);
        if (in->st == TAMIS_OK)
            in->st = tamis_vpdq_hash_mem(in->vpdq, in->data, in->len, &hj->vopts);
        if (in->st != TAMIS_OK) {
            snprintf(in->err, sizeof in->err, "%s",
                     in->vpdq ? tamis_vpdq_errmsg(in->vpdq) : tamis_strerror(in->st));
            return NULL;
        }
    }
    if (hj->want_tmk) {
        tamis_tmk_options to = {hj->vopts.threads, 0, 0};
        char err[256] = "";
        in->st = tamis_tmk_hash_mem(in->data, in->len, &to, &in->tmk, err, sizeof err);
        if (in->st != TAMIS_OK)
            snprintf(in->err, sizeof in->err, "TMK: %s", err);
    }
    return NULL;
}

static void compare_usage(FILE *f) {
    fprintf(f,
            "usage: tamis compare [options] A B\n"
            "\n"
            "Compares two videos, or hash files: a .tmk (TMK+PDQF) or a vPDQ text file\n"
            "(frame,quality,hash,timestamp lines), told apart by content. A .tmk compares\n"
            "with a .tmk or a video, a vPDQ file with a vPDQ file or a video; a video is\n"
            "hashed with what the other side allows (both for two videos). A is the\n"
            "query (the upload), B the target (the bank's video).\n"
            "\n"
            "Prints the vPDQ frames and matched shares of each side, the TMK level-1\n"
            "and level-2 scores, each with its thresholds and decision, then\n"
            "'verdict: match' (either algorithm matched) or 'verdict: no match'.\n"
            "\n"
            "options:\n"
            "  --json                    one JSON object instead\n"
            "  --vpdq-distance N         frames match within N bits (default 31)\n"
            "  --vpdq-query-share P      match needs P %% of A's frames matched (80)\n"
            "  --vpdq-target-share P     and P %% of B's (0)\n"
            "  --tmk-level1 X            TMK match needs level 1 >= X (0.7)\n"
            "  --tmk-level2 X            and level 2 >= X (0.7)\n"
            "  --fps F                   hash videos at F frames a second for vPDQ\n"
            "                            (default: every frame)\n"
            "  --vpdq-convert library|ffmpeg\n"
            "                            frame conversion, as in tamis hash (library)\n"
            "\n"
            "vPDQ compares frames of quality >= 50, each distinct hash once (HMA's rule).\n"
            "\n"
            "Exit status: 0 match, 1 no match, 2 usage error (also: two inputs that\n"
            "cannot be compared, as a .tmk and a vPDQ file), 3 an input cannot be read,\n"
            "parsed or hashed.\n");
}

/* Prints a finite double as JSON (%.6g keeps thresholds readable). */
static void json_num(const char *key, double v, int comma) {
    printf("%s\"%s\":%.6g", comma ? "," : "", key, v);
}

int cmd_compare(int argc, char **argv) {
    enum { OPT_JSON = 256, OPT_DIST, OPT_QSHARE, OPT_TSHARE, OPT_L1, OPT_L2, OPT_FPS,
           OPT_CONVERT };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"vpdq-distance", required_argument, NULL, OPT_DIST},
        {"vpdq-query-share", required_argument, NULL, OPT_QSHARE},
        {"vpdq-target-share", required_argument, NULL, OPT_TSHARE},
        {"tmk-level1", required_argument, NULL, OPT_L1},
        {"tmk-level2", required_argument, NULL, OPT_L2},
        {"fps", required_argument, NULL, OPT_FPS},
        {"vpdq-convert", required_argument, NULL, OPT_CONVERT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    tamis_vpdq_compare_options co = TAMIS_VPDQ_COMPARE_DEFAULTS;
    double l1 = TAMIS_TMK_LEVEL1_THRESHOLD, l2 = TAMIS_TMK_LEVEL2_THRESHOLD, x;
    tamis_vpdq_options vo;
    memset(&vo, 0, sizeof vo);
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_DIST:
            if (parse_number(optarg, 0, 256, &x) || x != (int)x)
                bad = "--vpdq-distance needs a whole number of bits from 0 to 256";
            else
                co.distance = (int)x;
            break;
        case OPT_QSHARE:
        case OPT_TSHARE:
            if (parse_number(optarg, 0, 100, &x))
                bad = c == OPT_QSHARE ? "--vpdq-query-share needs a percentage from 0 to 100"
                                      : "--vpdq-target-share needs a percentage from 0 to 100";
            else
                *(c == OPT_QSHARE ? &co.query_threshold : &co.target_threshold) = x;
            break;
        case OPT_L1:
            if (parse_number(optarg, -1, 1, &l1))
                bad = "--tmk-level1 needs a number from -1 to 1";
            break;
        case OPT_L2:
            if (parse_number(optarg, 0, 1, &l2))
                bad = "--tmk-level2 needs a number from 0 to 1";
            break;
        case OPT_FPS:
            if (parse_fps(optarg, &vo.seconds_per_hash))
                bad = "--fps needs a positive number";
            break;
        case OPT_CONVERT:
            if (parse_vpdq_convert(optarg, &vo.convert))
                bad = "--vpdq-convert is 'library' or 'ffmpeg'";
            break;
        case 'h': compare_usage(stdout); return EXIT_OK;
        default: compare_usage(stderr); return EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "tamis compare: %s, not '%s'\n", bad, optarg);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "tamis compare: needs two files, A and B (%d given)\n", argc - optind);
        compare_usage(stderr);
        return EXIT_USAGE;
    }

    input in[2];
    memset(in, 0, sizeof in);
    in[0].path = argv[optind];
    in[1].path = argv[optind + 1];
    int rc = EXIT_OK;
    if (load_input(&in[0]) != 0 || load_input(&in[1]) != 0) {
        rc = EXIT_BAD_INPUT;
        goto out;
    }
    int do_vpdq = in[0].kind != KIND_TMK && in[1].kind != KIND_TMK;
    int do_tmk = in[0].kind != KIND_VPDQ && in[1].kind != KIND_VPDQ;
    if (!do_vpdq && !do_tmk) {
        const input *t = in[0].kind == KIND_TMK ? &in[0] : &in[1];
        const input *v = in[0].kind == KIND_TMK ? &in[1] : &in[0];
        fprintf(stderr,
                "tamis compare: cannot compare a TMK hash (%s) with a vPDQ hash (%s): a .tmk "
                "compares with a .tmk or a video, a vPDQ file with a vPDQ file or a video\n",
                t->path, v->path);
        rc = EXIT_USAGE;
        goto out;
    }

    /* Hash the videos, both at once when there are two. */
    hash_job hj[2];
    pthread_t th[2];
    int started[2] = {0, 0}, nvideos = (in[0].kind == KIND_VIDEO) + (in[1].kind == KIND_VIDEO);
    vo.threads = nvideos > 1 && cpu_count() > 1 ? cpu_count() / 2 : cpu_count();
    for (int i = 0; i < 2; i++) {
        if (in[i].kind != KIND_VIDEO)
            continue;
        hj[i] = (hash_job){&in[i], do_vpdq, do_tmk, vo};
        if (nvideos > 1 && pthread_create(&th[i], NULL, hash_input, &hj[i]) == 0)
            started[i] = 1;
        else
            hash_input(&hj[i]);
    }
    for (int i = 0; i < 2; i++)
        if (started[i])
            pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        if (in[i].kind == KIND_VIDEO && in[i].st != TAMIS_OK) {
            const char *why = in[i].err;
            if (strncmp(why, "not a video: ", 13) == 0)
                why += 13;
            fprintf(stderr, "tamis compare: %s: %s%s\n", in[i].path,
                    in[i].st == TAMIS_ERR_UNSUPPORTED
                        ? "not a video, .tmk or vPDQ file tamis reads: " : "",
                    why);
            rc = EXIT_BAD_INPUT;
        }
    if (rc != EXIT_OK)
        goto out;

    tamis_vpdq_result vr;
    memset(&vr, 0, sizeof vr);
    float s1 = 0, s2 = 0;
    if (do_vpdq) {
        tamis_status st = tamis_vpdq_compare(in[0].vpdq, in[1].vpdq, &co, &vr);
        if (st != TAMIS_OK) {
            fprintf(stderr, "tamis compare: vPDQ comparison failed: %s\n", tamis_strerror(st));
            rc = EXIT_BAD_INPUT;
            goto out;
        }
    }
    int tmk_match = 0;
    if (do_tmk) {
        if (!tamis_tmk_compatible(in[0].tmk, in[1].tmk)) {
            fprintf(stderr,
                    "tamis compare: %s and %s are TMK hashes made with different parameters "
                    "(frame rate, periods, coefficients or dimension); they cannot be "
                    "compared\n", in[0].path, in[1].path);
            rc = EXIT_USAGE;
            goto out;
        }
        tamis_tmk_level1(in[0].tmk, in[1].tmk, &s1);
        tamis_tmk_level2(in[0].tmk, in[1].tmk, &s2);
        /* Compared in float, as the reference's tools compare. */
        tmk_match = s1 >= (float)l1 && s2 >= (float)l2;
    }
    int match = (do_vpdq && vr.match) || (do_tmk && tmk_match);

    if (json) {
        fputs("{\"query\":{\"file\":", stdout);
        json_write_string(stdout, in[0].path);
        printf(",\"kind\":\"%s\"},\"target\":{\"file\":", kind_name(in[0].kind));
        json_write_string(stdout, in[1].path);
        printf(",\"kind\":\"%s\"}", kind_name(in[1].kind));
        if (do_vpdq) {
            printf(",\"vpdq\":{\"query_frames\":%zu,\"query_matched\":%zu", vr.query_frames,
                   vr.query_matched);
            json_num("query_share", vr.query_share, 1);
            printf(",\"target_frames\":%zu,\"target_matched\":%zu", vr.target_frames,
                   vr.target_matched);
            json_num("target_share", vr.target_share, 1);
            printf(",\"distance\":%d,\"min_quality\":%d", co.distance, co.min_quality);
            json_num("query_threshold", co.query_threshold, 1);
            json_num("target_threshold", co.target_threshold, 1);
            printf(",\"match\":%s}", vr.match ? "true" : "false");
        } else {
            fputs(",\"vpdq\":null", stdout);
        }
        if (do_tmk) {
            printf(",\"tmk\":{\"level1\":%.6f,\"level2\":%.6f", (double)s1, (double)s2);
            json_num("level1_threshold", l1, 1);
            json_num("level2_threshold", l2, 1);
            printf(",\"match\":%s}", tmk_match ? "true" : "false");
        } else {
            fputs(",\"tmk\":null", stdout);
        }
        printf(",\"match\":%s,\"verdict\":\"%s\"}\n", match ? "true" : "false",
               match ? "match" : "no match");
    } else {
        printf("query:  %s (%s)\ntarget: %s (%s)\n", in[0].path, kind_name(in[0].kind),
               in[1].path, kind_name(in[1].kind));
        if (do_vpdq) {
            printf("vpdq query:  %zu frames, %zu matched, %.2f %%\n", vr.query_frames,
                   vr.query_matched, vr.query_share);
            printf("vpdq target: %zu frames, %zu matched, %.2f %%\n", vr.target_frames,
                   vr.target_matched, vr.target_share);
            printf("vpdq: %s (frames of quality >= %d within %d bits; query share >= %g %%, "
                   "target share >= %g %%)\n",
                   vr.match ? "match" : "no match", co.min_quality, co.distance,
                   co.query_threshold, co.target_threshold);
        } else {
            puts("vpdq: not compared (a .tmk cannot give vPDQ)");
        }
        if (do_tmk) {
            printf("tmk level1: %.6f (threshold %g)\n", (double)s1, l1);
            printf("tmk level2: %.6f (threshold %g)\n", (double)s2, l2);
            printf("tmk: %s\n", tmk_match ? "match" : "no match");
        } else {
            puts("tmk: not compared (a vPDQ file cannot give TMK)");
        }
        printf("verdict: %s\n", match ? "match" : "no match");
    }
    rc = match ? EXIT_OK : EXIT_SOME_FAILED;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tamis compare: error writing output\n");
        rc = EXIT_BAD_INPUT;
    }
out:
    for (int i = 0; i < 2; i++) {
        tamis_vpdq_free(in[i].vpdq);
        tamis_tmk_free(in[i].tmk);
        file_unmap(in[i].data, in[i].len);
    }
    return rc;
}
