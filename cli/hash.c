/*
 * hash.c - `tamis hash`: hash image and video files, in parallel, printing
 * one line per file in the order given.
 *
 * Workers take files from a window of pending jobs; the main thread reads
 * the file list (arguments or stdin), fills the window and prints results
 * in input order as they complete. The window bounds memory whatever the
 * length of the list.
 *
 * Each file is first given to the image hasher: FFmpeg opens JPEG and PNG
 * as one-frame videos, so images must be recognised before videos. Only
 * when the hasher says the file is no image it reads is it hashed as a
 * video (vPDQ, and TMK+PDQF with --tmk-dir).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    char *path;
    int state; /* 0 empty, 1 queued, 2 taken, 3 done */
    tamis_status st;
    char errmsg[512];
    int is_video;
    tamis_image_hash r;
    /* A video: its frames (freed once printed), what the decoder saw, the
     * digests of the file bytes and the .tmk written (--tmk-dir). */
    tamis_vpdq *vpdq;
    tamis_video_info info;
    tamis_digests digests;
    char *tmk_path;
} job;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    job *slots;
    size_t nslots;
    unsigned long long next_take; /* sequence number of the next job to take */
    unsigned long long queued;    /* jobs queued so far */
    int closing;
    tamis_hash_options opts;
    tamis_vpdq_options vopts;
    const char *vpdq_dir, *tmk_dir; /* NULL unless asked for */
    tamis_status create_failed;
} pool;

/* Returns DIR/<name>EXT, <name> being the last component of `path`
 * without its extension (as the reference names its hash files:
 * chair-19-sd-bar.mp4 gives chair-19-sd-bar.txt), or NULL when out of
 * memory. Caller frees. */
static char *output_path(const char *dir, const char *path, const char *ext) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    size_t dn = strlen(dir);
    while (dn > 1 && dir[dn - 1] == '/')
        dn--;
    char *out = malloc(dn + 1 + n + strlen(ext) + 1);
    if (out)
        sprintf(out, "%.*s/%.*s%s", (int)dn, dir, (int)n, base, ext);
    return out;
}

/* Writes `len` bytes to `path` through a temporary name in the same
 * directory, so that a reader never sees half a file. Returns 0, or -1
 * with errno set. */
static int write_file_atomic(const char *path, const char *data, size_t len) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return -1;
    snprintf(tmp, n + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    return ok ? 0 : -1;
}

/* The error of a file that is neither an image nor a video: what the image
 * sniffer thinks it looks like, and why FFmpeg did not take it. */
static void unsupported_reason(job *j, const char *image_msg, const char *video_msg) {
    const char *like = strstr(image_msg, "looks like ");
    size_t like_n = 0;
    if (like) {
        const char *e = strstr(like, ", not ");
        like_n = e ? (size_t)(e - like) : strlen(like);
    }
    int generic = strncmp(video_msg, "not a video:", 12) == 0;
    if (like && generic)
        snprintf(j->errmsg, sizeof j->errmsg, "not an image or a video tamis reads: %.*s",
                 (int)like_n, like);
    else if (like)
        snprintf(j->errmsg, sizeof j->errmsg, "not an image or a video tamis reads: %.*s, %s",
                 (int)like_n, like, video_msg);
    else if (generic)
        snprintf(j->errmsg, sizeof j->errmsg,
                 "not an image or a video tamis reads: no image signature, and no "
                 "container format FFmpeg recognises");
    else
        snprintf(j->errmsg, sizeof j->errmsg, "not an image or a video tamis reads: %s",
                 video_msg);
}

/* Hashes j->path as a video, after the image hasher refused it with
 * `image_msg`. Sets j->st and, on error, j->errmsg. */
static void hash_video(const pool *p, job *j, const char *image_msg) {
    const void *data;
    size_t len;
    if (file_map(j->path, &data, &len) != 0) {
        j->st = TAMIS_ERR_IO;
        snprintf(j->errmsg, sizeof j->errmsg, "cannot read: %s", strerror(errno));
        return;
    }
    tamis_status st = tamis_vpdq_create(&j->vpdq);
    if (st == TAMIS_OK)
        st = tamis_vpdq_hash_mem(j->vpdq, data, len, &p->vopts);
    if (st != TAMIS_OK) {
        if (st == TAMIS_ERR_UNSUPPORTED)
            unsupported_reason(j, image_msg, tamis_vpdq_errmsg(j->vpdq));
        else
            snprintf(j->errmsg, sizeof j->errmsg, "video: %s",
                     j->vpdq ? tamis_vpdq_errmsg(j->vpdq) : tamis_strerror(st));
        goto done;
    }
    j->is_video = 1;
    tamis_vpdq_video_info(j->vpdq, &j->info);
    if ((st = tamis_digests_compute(data, len, &j->digests)) != TAMIS_OK) {
        snprintf(j->errmsg, sizeof j->errmsg, "%s", tamis_strerror(st));
        goto done;
    }
    if (p->vpdq_dir) {
        char *out = output_path(p->vpdq_dir, j->path, ".txt");
        size_t n = tamis_vpdq_to_text(j->vpdq, NULL, 0);
        char *text = malloc(n + 1);
        if (!out || !text) {
            st = TAMIS_ERR_NOMEM;
            snprintf(j->errmsg, sizeof j->errmsg, "out of memory");
        } else {
            tamis_vpdq_to_text(j->vpdq, text, n + 1);
            if (write_file_atomic(out, text, n) != 0) {
                st = TAMIS_ERR_IO;
                snprintf(j->errmsg, sizeof j->errmsg, "cannot write %s: %s", out,
                         strerror(errno));
            }
        }
        free(out);
        free(text);
        if (st != TAMIS_OK)
            goto done;
    }
    if (p->tmk_dir) {
        tamis_tmk_options to = {p->vopts.threads, p->vopts.max_pixels, 0};
        tamis_tmk *t = NULL;
        char err[256] = "";
        if (!(j->tmk_path = output_path(p->tmk_dir, j->path, ".tmk"))) {
            st = TAMIS_ERR_NOMEM;
            snprintf(j->errmsg, sizeof j->errmsg, "out of memory");
        } else if ((st = tamis_tmk_hash_mem(data, len, &to, &t, err, sizeof err)) != TAMIS_OK) {
            snprintf(j->errmsg, sizeof j->errmsg, "TMK: %s", err);
        } else if ((st = tamis_tmk_write_file(t, j->tmk_path, err, sizeof err)) != TAMIS_OK) {
            snprintf(j->errmsg, sizeof j->errmsg, "cannot write %s: %s", j->tmk_path, err);
        }
        tamis_tmk_free(t);
    }
done:
    j->st = st;
    file_unmap(data, len);
}

static void *worker(void *arg) {
    pool *p = arg;
    tamis_hasher *h = NULL;
    tamis_status cst = tamis_hasher_create(&p->opts, &h);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->next_take == p->queued && !p->closing)
            pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->next_take == p->queued)
            break;
        job *j = &p->slots[p->next_take % p->nslots];
        p->next_take++;
        j->state = 2;
        pthread_mutex_unlock(&p->mu);
        if (cst != TAMIS_OK) {
            j->st = cst;
            snprintf(j->errmsg, sizeof j->errmsg, "%s", tamis_strerror(cst));
        } else {
            j->st = tamis_hash_image_file(h, j->path, &j->r);
            if (j->st == TAMIS_ERR_UNSUPPORTED)
                hash_video(p, j, tamis_hasher_errmsg(h));
            else if (j->st != TAMIS_OK)
                snprintf(j->errmsg, sizeof j->errmsg, "%s", tamis_hasher_errmsg(h));
        }
        pthread_mutex_lock(&p->mu);
        j->state = 3;
        pthread_cond_broadcast(&p->cv_done);
    }
    pthread_mutex_unlock(&p->mu);
    tamis_hasher_free(h);
    return NULL;
}

typedef struct {
    int json;
    int variants;
} out_opts;

static void print_hex(FILE *f, const uint8_t *b, size_t n) {
    char buf[2 * 64 + 1];
    tamis_hex_encode(b, n, buf);
    fputs(buf, f);
}

/* A video's line: plain, the five columns with "-" for PDQ and the number
 * of frames hashed for QUALITY ("-" for the variants too); JSON, what the
 * decoder saw and every frame hashed. */
static void print_video(const job *j, const out_opts *o) {
    size_t n = tamis_vpdq_count(j->vpdq);
    const tamis_vpdq_frame *fr = tamis_vpdq_frames(j->vpdq);
    if (!o->json) {
        printf("-\t%zu\t", n);
        print_hex(stdout, j->digests.md5, TAMIS_MD5_BYTES);
        fputc('\t', stdout);
        print_hex(stdout, j->digests.sha256, TAMIS_SHA256_BYTES);
        fputs(o->variants ? "\t-\t" : "\t", stdout);
        printf("%s\n", j->path);
        return;
    }
    const tamis_video_info *in = &j->info;
    fputs("{\"file\":", stdout);
    json_write_string(stdout, j->path);
    fputs(",\"format\":\"video\",\"container\":", stdout);
    json_write_string(stdout, in->container ? in->container : "");
    fputs(",\"codec\":", stdout);
    json_write_string(stdout, in->codec ? in->codec : "");
    printf(",\"width\":%d,\"height\":%d,\"frame_rate\":%.6g,\"duration\":%.3f,\"md5\":\"",
           in->width, in->height, in->frame_rate, in->duration);
    print_hex(stdout, j->digests.md5, TAMIS_MD5_BYTES);
    fputs("\",\"sha256\":\"", stdout);
    print_hex(stdout, j->digests.sha256, TAMIS_SHA256_BYTES);
    fputs("\",\"vpdq\":[", stdout);
    for (size_t i = 0; i < n; i++) {
        char pdq[TAMIS_PDQ_HEX_LEN + 1];
        tamis_pdq_to_hex(&fr[i].pdq, pdq);
        printf("%s{\"frame\":%d,\"quality\":%d,\"pdq\":\"%s\",\"timestamp\":%.3f}",
               i ? "," : "", fr[i].frame, fr[i].quality, pdq, fr[i].timestamp);
    }
    fputc(']', stdout);
    if (j->tmk_path) {
        fputs(",\"tmk\":", stdout);
        json_write_string(stdout, j->tmk_path);
    }
    fputs("}\n", stdout);
}

static void print_result(const job *j, const out_opts *o) {
    if (j->is_video) {
        print_video(j, o);
        return;
    }
    const tamis_image_hash *r = &j->r;
    char pdq[TAMIS_PDQ_HEX_LEN + 1];
    tamis_pdq_to_hex(&r->pdq, pdq);
    if (o->json) {
        fputs("{\"file\":", stdout);
        json_write_string(stdout, j->path);
        printf(",\"format\":\"%s\",\"width\":%d,\"height\":%d,\"pdq\":\"%s\","
               "\"quality\":%d,\"low_quality\":%s",
               tamis_image_format_name(r->format), r->width, r->height, pdq,
               r->quality, r->quality < TAMIS_PDQ_MIN_QUALITY ? "true" : "false");
        if (r->has_digests) {
            fputs(",\"md5\":\"", stdout);
            print_hex(stdout, r->digests.md5, TAMIS_MD5_BYTES);
            fputs("\",\"sha256\":\"", stdout);
            print_hex(stdout, r->digests.sha256, TAMIS_SHA256_BYTES);
            fputc('"', stdout);
        }
        if (o->variants) {
            fputs(",\"pdq_variants\":[", stdout);
            for (int i = 0; i < r->n_variants; i++) {
                char v[TAMIS_PDQ_HEX_LEN + 1];
                tamis_pdq_to_hex(&r->variants[i], v);
                printf("%s\"%s\"", i ? "," : "", v);
            }
            fputs("],\"pdq_variant_names\":[", stdout);
            for (int i = 0; i < r->n_variants; i++)
                printf("%s\"%s\"", i ? "," : "", tamis_pdq_variant_name(r->variant_kind[i]));
            fputc(']', stdout);
        }
        fputs("}\n", stdout);
    } else {
        printf("%s\t%d\t", pdq, r->quality);
        print_hex(stdout, r->digests.md5, TAMIS_MD5_BYTES);
        fputc('\t', stdout);
        print_hex(stdout, r->digests.sha256, TAMIS_SHA256_BYTES);
        fputc('\t', stdout);
        if (o->variants) {
            for (int i = 0; i < r->n_variants; i++) {
                char v[TAMIS_PDQ_HEX_LEN + 1];
                tamis_pdq_to_hex(&r->variants[i], v);
                printf("%s%s:%s", i ? "," : "", tamis_pdq_variant_name(r->variant_kind[i]), v);
            }
            fputc('\t', stdout);
        }
        printf("%s\n", j->path);
    }
}

static int video_has_quality(const tamis_vpdq *v) {
    const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
    for (size_t i = 0, n = tamis_vpdq_count(v); i < n; i++)
        if (f[i].quality >= TAMIS_PDQ_MIN_QUALITY)
            return 1;
    return 0;
}

static void hash_usage(FILE *f) {
    fprintf(f,
            "usage: tamis hash [options] FILE... | -\n"
            "       tamis hash --text [options] FILE... | -    (see tamis hash --text --help)\n"
            "       tamis hash --url [--json] URL... | -\n"
            "\n"
            "Hashes images (JPEG, PNG, WebP, GIF first frame) and videos (any container\n"
            "and codec FFmpeg reads), detected from content, and prints one line per\n"
            "file, in the order given:\n"
            "  PDQ  QUALITY  MD5  SHA256  FILE            (tab-separated)\n"
            "For a video, PDQ is '-' and QUALITY is the number of frames hashed (vPDQ);\n"
            "--json gives the frames.\n"
            "'-' reads the list of files from stdin, one per line.\n"
            "\n"
            "options:\n"
            "  --json             JSON Lines: file, format, width, height, pdq, quality,\n"
            "                     low_quality, md5, sha256 (and pdq_variants); for a\n"
            "                     video: file, format \"video\", container, codec, width,\n"
            "                     height, frame_rate, duration, md5, sha256, vpdq (an\n"
            "                     array of {frame, quality, pdq, timestamp}) and tmk\n"
            "  -j, --jobs N       hash N files at a time (default: all cores)\n"
            "  --fast             decode large JPEGs at reduced size (a few bits off)\n"
            "  --variants         add the 8 rotations/mirrors and the border-trimmed\n"
            "                     hash (a column before FILE, or pdq_variants in JSON)\n"
            "  --pdq-resize512    squash images over 512 px to 512x512 first, like the\n"
            "                     reference pdq-photo-hasher (default: full resolution)\n"
            "  --exif-orient      apply the JPEG EXIF orientation before hashing\n"
            "  --max-pixels N     refuse images, and videos with frames, of more pixels\n"
            "                     (default 100000000)\n"
            "  -q, --quiet        no warnings for low-quality hashes\n"
            "\n"
            "video options:\n"
            "  --fps F            hash F frames a second (vPDQ's seconds per hash 1/F;\n"
            "                     default: every frame; HMA uses 1)\n"
            "  --vpdq-dir DIR     also write each video's vPDQ in the reference's text\n"
            "                     format to DIR/NAME.txt (NAME: the file name without\n"
            "                     its extension)\n"
            "  --tmk-dir DIR      also compute TMK+PDQF and write DIR/NAME.tmk\n"
            "  --vpdq-convert library|ffmpeg\n"
            "                     how frames become RGB: as the vPDQ library does since\n"
            "                     2024, HMA's (default), or as the ffmpeg program did for\n"
            "                     the reference's older sample files (doc/video.md)\n"
            "Two inputs with the same NAME write the same hash file; the last one wins.\n"
            "\n"
            "Exit status: 0 if every file was hashed, 1 if any failed, 2 on usage errors.\n"
            "Hashes of quality under 50 are printed but should not be matched.\n");
}

int cmd_hash(int argc, char **argv) {
    enum { OPT_FAST = 256, OPT_VARIANTS, OPT_R512, OPT_EXIF, OPT_MAXPIX, OPT_JSON,
           OPT_FPS, OPT_VPDQ_DIR, OPT_TMK_DIR, OPT_CONVERT };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"jobs", required_argument, NULL, 'j'},
        {"fast", no_argument, NULL, OPT_FAST},
        {"variants", no_argument, NULL, OPT_VARIANTS},
        {"pdq-resize512", no_argument, NULL, OPT_R512},
        {"exif-orient", no_argument, NULL, OPT_EXIF},
        {"max-pixels", required_argument, NULL, OPT_MAXPIX},
        {"quiet", no_argument, NULL, 'q'},
        {"fps", required_argument, NULL, OPT_FPS},
        {"vpdq-dir", required_argument, NULL, OPT_VPDQ_DIR},
        {"tmk-dir", required_argument, NULL, OPT_TMK_DIR},
        {"vpdq-convert", required_argument, NULL, OPT_CONVERT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    /* Texts and URLs have their own options and output. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--text") == 0 || strcmp(argv[i], "--url") == 0)
            return cmd_hash_signals(argc, argv);
    out_opts oo = {0, 0};
    tamis_hash_options ho = {0, 0};
    tamis_vpdq_options vo;
    memset(&vo, 0, sizeof vo);
    const char *vpdq_dir = NULL, *tmk_dir = NULL;
    unsigned long long jobs = (unsigned long long)cpu_count(), v;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: oo.json = 1; break;
        case 'j':
            if (parse_count(optarg, &v) || v > 1024) {
                fprintf(stderr, "tamis hash: -j needs a number from 1 to 1024, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            jobs = v;
            break;
        case OPT_FAST: ho.flags |= TAMIS_HASH_FAST; break;
        case OPT_VARIANTS: ho.flags |= TAMIS_HASH_VARIANTS; oo.variants = 1; break;
        case OPT_R512: ho.flags |= TAMIS_HASH_RESIZE512; break;
        case OPT_EXIF: ho.flags |= TAMIS_HASH_EXIF_ORIENT; break;
        case OPT_MAXPIX:
            if (parse_count(optarg, &v)) {
                fprintf(stderr, "tamis hash: --max-pixels needs a positive number, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            ho.max_pixels = v;
            vo.max_pixels = v;
            break;
        case 'q': quiet = 1; break;
        case OPT_FPS:
            if (parse_fps(optarg, &vo.seconds_per_hash)) {
                fprintf(stderr, "tamis hash: --fps needs a positive number, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_VPDQ_DIR:
        case OPT_TMK_DIR: {
            struct stat sb;
            if (stat(optarg, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
                fprintf(stderr, "tamis hash: %s: '%s' is not a directory\n",
                        c == OPT_TMK_DIR ? "--tmk-dir" : "--vpdq-dir", optarg);
                return EXIT_USAGE;
            }
            *(c == OPT_TMK_DIR ? &tmk_dir : &vpdq_dir) = optarg;
            break;
        }
        case OPT_CONVERT:
            if (parse_vpdq_convert(optarg, &vo.convert)) {
                fprintf(stderr, "tamis hash: --vpdq-convert is 'library' or 'ffmpeg', not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': hash_usage(stdout); return EXIT_OK;
        default: hash_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "tamis hash: no file given (use '-' to read a list from stdin)\n");
        hash_usage(stderr);
        return EXIT_USAGE;
    }
    int from_stdin = argc - optind == 1 && strcmp(argv[optind], "-") == 0;

    pool p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv_work, NULL);
    pthread_cond_init(&p.cv_done, NULL);
    p.opts = ho;
    p.vopts = vo;
    p.vpdq_dir = vpdq_dir;
    p.tmk_dir = tmk_dir;
    /* A video hashes frames on several threads: share the cores among the
     * files hashed at once. */
    unsigned long long busy = jobs;
    if (!from_stdin && (unsigned long long)(argc - optind) < busy)
        busy = (unsigned long long)(argc - optind);
    p.vopts.threads = cpu_count() / (int)busy > 1 ? cpu_count() / (int)busy : 1;
    p.nslots = (size_t)jobs * 4;
    p.slots = calloc(p.nslots, sizeof *p.slots);
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!p.slots || !th) {
        fprintf(stderr, "tamis hash: out of memory\n");
        return EXIT_SOME_FAILED;
    }
    size_t nthreads = 0;
    for (; nthreads < jobs; nthreads++)
        if (pthread_create(&th[nthreads], NULL, worker, &p) != 0)
            break;
    if (nthreads == 0) {
        fprintf(stderr, "tamis hash: cannot start threads\n");
        return EXIT_SOME_FAILED;
    }

    int failed = 0, argi = optind, eof = 0;
    unsigned long long printed = 0;
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        /* Queue while there is room and input. */
        while (!eof) {
            pthread_mutex_lock(&p.mu);
            int room = p.queued - printed < p.nslots;
            pthread_mutex_unlock(&p.mu);
            if (!room)
                break;
            char *path = NULL;
            if (from_stdin) {
                ssize_t n = getline(&line, &cap, stdin);
                if (n < 0) {
                    eof = 1;
                    break;
                }
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                    line[--n] = '\0';
                if (n == 0)
                    continue;
                path = strdup(line);
            } else {
                if (argi >= argc) {
                    eof = 1;
                    break;
                }
                path = strdup(argv[argi++]);
            }
            if (!path) {
                fprintf(stderr, "tamis hash: out of memory\n");
                eof = 1;
                failed = 1;
                break;
            }
            pthread_mutex_lock(&p.mu);
            job *j = &p.slots[p.queued % p.nslots];
            memset(j, 0, sizeof *j);
            j->path = path;
            j->state = 1;
            p.queued++;
            pthread_cond_signal(&p.cv_work);
            pthread_mutex_unlock(&p.mu);
        }
        pthread_mutex_lock(&p.mu);
        if (printed == p.queued && eof) {
            pthread_mutex_unlock(&p.mu);
            break;
        }
        job *j = &p.slots[printed % p.nslots];
        while (j->state != 3)
            pthread_cond_wait(&p.cv_done, &p.mu);
        pthread_mutex_unlock(&p.mu);
        if (j->st == TAMIS_OK && j->is_video) {
            print_result(j, &oo);
            if (!quiet && !video_has_quality(j->vpdq))
                fprintf(stderr, "tamis hash: %s: warning: no frame has PDQ quality %d or more; "
                        "the vPDQ hash is printed but will match nothing\n",
                        j->path, TAMIS_PDQ_MIN_QUALITY);
        } else if (j->st == TAMIS_OK) {
            print_result(j, &oo);
            if (!quiet && j->r.quality < TAMIS_PDQ_MIN_QUALITY)
                fprintf(stderr, "tamis hash: %s: warning: PDQ quality %d is under %d; "
                        "the hash is printed but should not be matched\n",
                        j->path, j->r.quality, TAMIS_PDQ_MIN_QUALITY);
        } else {
            fflush(stdout);
            fprintf(stderr, "tamis hash: %s: %s\n", j->path, j->errmsg);
            failed = 1;
        }
        free(j->path);
        tamis_vpdq_free(j->vpdq);
        free(j->tmk_path);
        pthread_mutex_lock(&p.mu);
        j->state = 0;
        printed++;
        pthread_mutex_unlock(&p.mu);
    }
    pthread_mutex_lock(&p.mu);
    p.closing = 1;
    pthread_cond_broadcast(&p.cv_work);
    pthread_mutex_unlock(&p.mu);
    for (size_t i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    free(th);
    free(p.slots);
    free(line);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tamis hash: error writing output\n");
        return EXIT_SOME_FAILED;
    }
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}
