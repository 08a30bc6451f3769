/*
 * bench/hash.c - `make bench-hash`: time per image of tamis's PDQ hashing,
 * exact and fast, single-threaded and on N threads, beside the time
 * libjpeg-turbo and libpng take just to decode the same files in-process
 * (the anchor), as ratios measured in the same run.
 *
 *   usage: bench/hash [-r ROUNDS] [-j THREADS] [DIR]
 *   DIR defaults to ../shared/corpus/images (or $TAMIS_TESTDATA/corpus/images).
 *
 * Files are read into memory first, so disk time is not counted. Each
 * measurement is repeated ROUNDS times, interleaved, and the median taken;
 * the machine is shared and noisy, so compare ratios, not absolute times.
 * Digests are off in the timed runs (they are the same for every mode).
 */
#include <dirent.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "tamis.h"

typedef struct {
    char *name;
    unsigned char *data;
    size_t len;
    int quality; /* exact-mode PDQ quality */
    tamis_pdq exact;
} item;

static item *items;
static int nitems;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- The anchor: plain decoding with the same libraries ---------------- */

struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};
static void jerr_exit(j_common_ptr c) { longjmp(((struct jerr *)c->err)->jb, 1); }

static void decode_jpeg(const unsigned char *d, size_t n, unsigned char **buf, size_t *cap) {
    struct jpeg_decompress_struct c;
    struct jerr e;
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = jerr_exit;
    if (setjmp(e.jb)) {
        jpeg_destroy_decompress(&c);
        return;
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, d, (unsigned long)n);
    jpeg_read_header(&c, TRUE);
    if (c.jpeg_color_space != JCS_GRAYSCALE)
        c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    size_t stride = (size_t)c.output_width * (size_t)c.output_components;
    size_t need = stride * c.output_height;
    if (*cap < need) {
        free(*buf);
        *buf = malloc(need);
        *cap = need;
    }
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = *buf + (size_t)c.output_scanline * stride;
        jpeg_read_scanlines(&c, &row, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
}

typedef struct {
    const unsigned char *d;
    size_t n, pos;
} pngsrc;
static void png_read(png_structp p, png_bytep out, size_t k) {
    pngsrc *s = png_get_io_ptr(p);
    if (k > s->n - s->pos)
        png_error(p, "eof");
    memcpy(out, s->d + s->pos, k);
    s->pos += k;
}

static void decode_png(const unsigned char *d, size_t n, unsigned char **buf, size_t *cap) {
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(p);
    pngsrc s = {d, n, 0};
    if (setjmp(png_jmpbuf(p))) {
        png_destroy_read_struct(&p, &info, NULL);
        return;
    }
    png_set_read_fn(p, &s, png_read);
    png_read_info(p, info);
    png_set_expand(p);
    png_set_strip_16(p);
    png_set_strip_alpha(p);
    int passes = png_set_interlace_handling(p);
    png_read_update_info(p, info);
    size_t stride = png_get_rowbytes(p, info), h = png_get_image_height(p, info);
    if (*cap < stride * h) {
        free(*buf);
        *buf = malloc(stride * h);
        *cap = stride * h;
    }
    for (int k = 0; k < passes; k++)
        for (size_t y = 0; y < h; y++)
            png_read_row(p, *buf + y * stride, NULL);
    png_read_end(p, NULL);
    png_destroy_read_struct(&p, &info, NULL);
}

/* ---- Timed runs -------------------------------------------------------- */

typedef enum { RUN_DECODE, RUN_EXACT, RUN_FAST } run_kind;

typedef struct {
    run_kind kind;
    int first, step; /* items first, first+step, ... */
} task;

static void *run_task(void *arg) {
    task *t = arg;
    unsigned char *buf = NULL;
    size_t cap = 0;
    tamis_hasher *h = NULL;
    tamis_hash_options o = {TAMIS_HASH_NO_DIGESTS, 0};
    if (t->kind == RUN_FAST)
        o.flags |= TAMIS_HASH_FAST;
    if (t->kind != RUN_DECODE && tamis_hasher_create(&o, &h) != TAMIS_OK)
        return NULL;
    for (int i = t->first; i < nitems; i += t->step) {
        item *it = &items[i];
        if (t->kind == RUN_DECODE) {
            if (it->data[0] == 0xff)
                decode_jpeg(it->data, it->len, &buf, &cap);
            else
                decode_png(it->data, it->len, &buf, &cap);
        } else {
            tamis_image_hash r;
            tamis_hash_image_mem(h, it->data, it->len, &r);
        }
    }
    free(buf);
    tamis_hasher_free(h);
    return NULL;
}

/* Returns the wall time of one pass over all items on `threads` threads. */
static double timed(run_kind k, int threads) {
    pthread_t th[64];
    task t[64];
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        t[i] = (task){k, i, threads};
        pthread_create(&th[i], NULL, run_task, &t[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    return now() - t0;
}

static int load(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        size_t l = strlen(n);
        if (l < 5 || (strcmp(n + l - 4, ".jpg") && strcmp(n + l - 4, ".png") &&
                      strcmp(n + l - 5, ".jpeg")))
            continue;
        char path[8192];
        if (snprintf(path, sizeof path, "%s/%s", dir, n) >= (int)sizeof path)
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        unsigned char *data = malloc((size_t)len);
        if (fread(data, 1, (size_t)len, f) != (size_t)len) {
            fclose(f);
            free(data);
            continue;
        }
        fclose(f);
        if (nitems == cap)
            items = realloc(items, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *items);
        items[nitems++] = (item){strdup(n), data, (size_t)len, 0, {{0}}};
    }
    closedir(d);
    return nitems;
}

static int cmp_item(const void *a, const void *b) {
    return strcmp(((const item *)a)->name, ((const item *)b)->name);
}

int main(int argc, char **argv) {
    /* As the tamis program does (cli/main.c): large decoder buffers are
     * reused from the heap rather than mapped afresh for each image. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    int rounds = 5, threads = 2, c;
    while ((c = getopt(argc, argv, "r:j:")) != -1) {
        if (c == 'r')
            rounds = atoi(optarg);
        else if (c == 'j')
            threads = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [-r ROUNDS] [-j THREADS] [DIR]\n", argv[0]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > 99 || threads < 1 || threads > 64)
        return 2;
    char defdir[4096];
    const char *td = getenv("TAMIS_TESTDATA");
    snprintf(defdir, sizeof defdir, "%s/corpus/images", td && *td ? td : "../shared");
    const char *dir = optind < argc ? argv[optind] : defdir;
    if (load(dir) <= 0) {
        fprintf(stderr, "bench-hash: no JPEG or PNG images in %s (set TAMIS_TESTDATA or give a DIR)\n", dir);
        return 1;
    }
    qsort(items, (size_t)nitems, sizeof *items, cmp_item);

    /* Fast-mode accuracy: distance to the exact hash. */
    tamis_hasher *hx, *hf;
    tamis_hash_options ox = {TAMIS_HASH_NO_DIGESTS, 0}, of = {TAMIS_HASH_NO_DIGESTS | TAMIS_HASH_FAST, 0};
    tamis_hasher_create(&ox, &hx);
    tamis_hasher_create(&of, &hf);
    int maxd = 0, n80 = 0, nscaled = 0;
    double sumd = 0;
    const char *worst = "";
    for (int i = 0; i < nitems; i++) {
        tamis_image_hash a, b;
        if (tamis_hash_image_mem(hx, items[i].data, items[i].len, &a) != TAMIS_OK ||
            tamis_hash_image_mem(hf, items[i].data, items[i].len, &b) != TAMIS_OK)
            continue;
        int d = tamis_pdq_distance(&a.pdq, &b.pdq);
        if (a.quality >= 80) {
            n80++;
            sumd += d;
            if (d > maxd)
                maxd = d, worst = items[i].name;
        }
        if (d)
            nscaled++;
    }
    tamis_hasher_free(hx);
    tamis_hasher_free(hf);

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    char model[256] = "unknown";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    if (ci) {
        char line[512];
        while (fgets(line, sizeof line, ci))
            if (strncmp(line, "model name", 10) == 0) {
                char *p = strchr(line, ':');
                if (p) {
                    snprintf(model, sizeof model, "%s", p + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        fclose(ci);
    }
    printf("bench-hash: %d images from %s\n", nitems, dir);
    printf("machine: %s, %ld cores; tamis %s; %d rounds (median), files in memory\n",
           model, ncpu, tamis_version(), rounds);

    static const char *names[] = {"decode only (libjpeg-turbo/libpng)", "tamis exact", "tamis --fast"};
    double med[2][3];
    int tcount[2] = {1, threads};
    for (int ti = 0; ti < 2; ti++) {
        double v[3][99];
        timed(RUN_EXACT, tcount[ti]); /* warm-up */
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < 3; k++)
                v[k][r] = timed((run_kind)k, tcount[ti]);
        for (int k = 0; k < 3; k++) {
            qsort(v[k], (size_t)rounds, sizeof(double), cmp_double);
            med[ti][k] = v[k][rounds / 2];
        }
    }
    for (int ti = 0; ti < 2; ti++) {
        printf("%s\n", ti == 0 ? "-- single thread" : "-- threads");
        if (ti == 1)
            printf("   (%d threads; wall time per image)\n", threads);
        for (int k = 0; k < 3; k++)
            printf("  %-36s %8.2f ms/image  %6.2f s total  ratio to decode %.2fx\n",
                   names[k], med[ti][k] * 1000.0 / nitems, med[ti][k],
                   med[ti][k] / med[ti][0]);
    }
    printf("\nfast mode vs exact, images of quality >= 80: %d images, "
           "max distance %d bits (%s), mean %.2f bits; %d of %d hashes differ\n",
           n80, maxd, worst, n80 ? sumd / n80 : 0.0, nscaled, nitems);
    printf("targets: exact <= 1.5x decode; fast <= 3.5 ms/image; fast max distance <= 10\n");
    return 0;
}
