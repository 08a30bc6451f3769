/*
 * hash.c - `tamis hash`: hash image files, in parallel, printing one line
 * per file in the order given.
 *
 * Workers take files from a window of pending jobs; the main thread reads
 * the file list (arguments or stdin), fills the window and prints results
 * in input order as they complete. The window bounds memory whatever the
 * length of the list.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    char *path;
    int state; /* 0 empty, 1 queued, 2 taken, 3 done */
    tamis_status st;
    char errmsg[512];
    tamis_image_hash r;
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
    tamis_status create_failed;
} pool;

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
            if (j->st != TAMIS_OK)
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

static void print_result(const job *j, const out_opts *o) {
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

static void hash_usage(FILE *f) {
    fprintf(f,
            "usage: tamis hash [options] FILE... | -\n"
            "\n"
            "Hashes images (JPEG, PNG, WebP, GIF first frame; detected from content)\n"
            "and prints one line per file, in the order given:\n"
            "  PDQ  QUALITY  MD5  SHA256  FILE            (tab-separated)\n"
            "'-' reads the list of files from stdin, one per line.\n"
            "\n"
            "options:\n"
            "  --json             JSON Lines: file, format, width, height, pdq, quality,\n"
            "                     low_quality, md5, sha256 (and pdq_variants)\n"
            "  -j, --jobs N       hash N files at a time (default: all cores)\n"
            "  --fast             decode large JPEGs at reduced size (a few bits off)\n"
            "  --variants         add the 8 rotations/mirrors and the border-trimmed\n"
            "                     hash (a column before FILE, or pdq_variants in JSON)\n"
            "  --pdq-resize512    squash images over 512 px to 512x512 first, like the\n"
            "                     reference pdq-photo-hasher (default: full resolution)\n"
            "  --exif-orient      apply the JPEG EXIF orientation before hashing\n"
            "  --max-pixels N     refuse images declaring more pixels (default 100000000)\n"
            "  -q, --quiet        no warnings for low-quality hashes\n"
            "\n"
            "Exit status: 0 if every file was hashed, 1 if any failed, 2 on usage errors.\n"
            "Hashes of quality under 50 are printed but should not be matched.\n");
}

int cmd_hash(int argc, char **argv) {
    enum { OPT_FAST = 256, OPT_VARIANTS, OPT_R512, OPT_EXIF, OPT_MAXPIX, OPT_JSON };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"jobs", required_argument, NULL, 'j'},
        {"fast", no_argument, NULL, OPT_FAST},
        {"variants", no_argument, NULL, OPT_VARIANTS},
        {"pdq-resize512", no_argument, NULL, OPT_R512},
        {"exif-orient", no_argument, NULL, OPT_EXIF},
        {"max-pixels", required_argument, NULL, OPT_MAXPIX},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    out_opts oo = {0, 0};
    tamis_hash_options ho = {0, 0};
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
            break;
        case 'q': quiet = 1; break;
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
        if (j->st == TAMIS_OK) {
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
