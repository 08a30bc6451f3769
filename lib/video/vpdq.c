/*
 * vpdq.c - vPDQ, Meta's video hash: the PDQ hash of every (or every n-th)
 * frame, the reference's text format, and its comparison.
 *
 * Frames come from decode.c as RGB24 and go through the image hasher
 * (tamis_hash_pixels: the reference's float luma, then PDQ at full
 * resolution). Hashing runs on worker threads, each with its own hasher,
 * while the calling thread decodes; results are collected in frame order.
 *
 * The reference is ThreatExchange's vpdq/cpp (hashing, text format) and
 * python-threatexchange's vpdq extension (comparison, as HMA runs it).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libswscale/swscale.h>

#include "../common/common.h"
#include "video.h"

struct tamis_vpdq {
    tamis__err err;
    tamis_vpdq_frame *frames;
    size_t n, cap;
    tamis_video_info info;
};

tamis_status tamis_vpdq_create(tamis_vpdq **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = tamis__calloc(1, sizeof **out);
    return *out ? TAMIS_OK : TAMIS_ERR_NOMEM;
}

void tamis_vpdq_free(tamis_vpdq *v) {
    if (!v)
        return;
    tamis__free(v->frames);
    tamis__free(v);
}

const char *tamis_vpdq_errmsg(const tamis_vpdq *v) {
    return v ? v->err.msg : "no vpdq handle";
}

size_t tamis_vpdq_count(const tamis_vpdq *v) {
    return v ? v->n : 0;
}

const tamis_vpdq_frame *tamis_vpdq_frames(const tamis_vpdq *v) {
    return v ? v->frames : NULL;
}

void tamis_vpdq_video_info(const tamis_vpdq *v, tamis_video_info *out) {
    if (!out)
        return;
    if (v)
        *out = v->info;
    else
        memset(out, 0, sizeof *out);
}

static tamis_status push_frame(tamis_vpdq *v, const tamis_vpdq_frame *f) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        tamis_vpdq_frame *p = tamis__realloc(v->frames, cap * sizeof *p);
        if (!p)
            return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory for %zu frames", cap);
        v->frames = p;
        v->cap = cap;
    }
    v->frames[v->n++] = *f;
    return TAMIS_OK;
}

/* ---- Hashing: the decoder on the caller's thread, PDQ on workers --------- */

typedef struct slot {
    uint8_t *rgb; /* width * 3 per row, packed */
    size_t cap;
    int w, h;
    tamis_vpdq_frame f; /* frame and timestamp in; pdq and quality out */
    int state;          /* 0 free, 1 queued, 2 hashing, 3 done */
    tamis_status st;
} slot;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *slots;
    int nslots;
    uint64_t queued, started; /* frames queued and taken by workers */
    int closing;
    pthread_t *threads;
    int nthreads;
} pool;

static tamis_status hash_rgb(tamis_hasher *h, const uint8_t *rgb, int w, int ht, size_t stride,
                             tamis_vpdq_frame *f) {
    tamis_image_hash r;
    tamis_status st = tamis_hash_pixels(h, rgb, w, ht, stride, TAMIS_PIXEL_RGB8, &r);
    if (st != TAMIS_OK)
        return st;
    f->pdq = r.pdq;
    f->quality = r.quality;
    return TAMIS_OK;
}

static tamis_hasher *new_hasher(void) {
    tamis_hash_options o = {TAMIS_HASH_NO_DIGESTS, UINT64_MAX};
    tamis_hasher *h = NULL;
    return tamis_hasher_create(&o, &h) == TAMIS_OK ? h : NULL;
}

static void *worker(void *arg) {
    pool *p = arg;
    tamis_hasher *h = new_hasher();
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->started == p->queued && !p->closing)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->started == p->queued)
            break;
        slot *s = &p->slots[p->started++ % (uint64_t)p->nslots];
        s->state = 2;
        pthread_mutex_unlock(&p->mu);
        tamis_status st = h ? hash_rgb(h, s->rgb, s->w, s->h, (size_t)s->w * 3, &s->f)
                            : TAMIS_ERR_NOMEM;
        pthread_mutex_lock(&p->mu);
        s->st = st;
        s->state = 3;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    tamis_hasher_free(h);
    return NULL;
}

/* Waits for the slot's frame to be hashed, then appends it. Called with
 * the lock held. */
static tamis_status collect(tamis_vpdq *v, pool *p, slot *s, tamis_status first) {
    while (s->state == 1 || s->state == 2)
        pthread_cond_wait(&p->cv, &p->mu);
    if (s->state != 3)
        return first;
    s->state = 0;
    if (first != TAMIS_OK)
        return first;
    if (s->st != TAMIS_OK)
        return tamis__fail(&v->err, s->st, "hashing frame %d failed", s->f.frame);
    return push_frame(v, &s->f);
}

static int cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* The reference's timestamp: frame number / frame rate, in float. */
static double ref_timestamp(int64_t index, double rate, double ts) {
    if (rate > 0)
        return (double)((float)index / (float)rate);
    return ts;
}

static tamis_status hash_video(tamis_vpdq *v, tamis__video *vid, int nthreads) {
    const tamis__video_info *info = tamis__video_info_of(vid);
    const uint8_t *rgb;
    int w, h;
    size_t stride;
    double ts;
    tamis_status st;
    if (nthreads <= 1) {
        tamis_hasher *hs = new_hasher();
        if (!hs)
            return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
        while ((st = tamis__video_next(vid, &rgb, &w, &h, &stride, &ts)) == TAMIS_OK) {
            int64_t idx = tamis__video_frame_index(vid);
            tamis_vpdq_frame f = {(int)idx, 0, {{0}}, ref_timestamp(idx, info->frame_rate, ts)};
            if ((st = hash_rgb(hs, rgb, w, h, stride, &f)) != TAMIS_OK) {
                st = tamis__fail(&v->err, st, "hashing frame %d: %s", f.frame,
                                 tamis_hasher_errmsg(hs));
                break;
            }
            if ((st = push_frame(v, &f)) != TAMIS_OK)
                break;
        }
        tamis_hasher_free(hs);
        if (st != TAMIS_DONE && st != TAMIS_OK && !v->err.msg[0])
            tamis__fail(&v->err, st, "%s", tamis__video_errmsg(vid));
        return st == TAMIS_DONE ? TAMIS_OK : st;
    }

    pool p;
    memset(&p, 0, sizeof p);
    p.nslots = nthreads * 2;
    if (!(p.slots = tamis__calloc((size_t)p.nslots, sizeof *p.slots)) ||
        !(p.threads = tamis__calloc((size_t)nthreads, sizeof *p.threads))) {
        tamis__free(p.slots);
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p.threads[i], NULL, worker, &p) != 0)
            break;
        p.nthreads++;
    }
    st = p.nthreads ? TAMIS_OK
                    : tamis__fail(&v->err, TAMIS_ERR_INTERNAL, "cannot start threads");
    while (st == TAMIS_OK) {
        tamis_status ds = tamis__video_next(vid, &rgb, &w, &h, &stride, &ts);
        if (ds == TAMIS_DONE)
            break;
        if (ds != TAMIS_OK) {
            st = tamis__fail(&v->err, ds, "%s", tamis__video_errmsg(vid));
            break;
        }
        slot *s = &p.slots[p.queued % (uint64_t)p.nslots];
        pthread_mutex_lock(&p.mu);
        st = collect(v, &p, s, st);
        pthread_mutex_unlock(&p.mu);
        if (st != TAMIS_OK)
            break;
        size_t need = (size_t)w * 3 * (size_t)h;
        if (s->cap < need) {
            uint8_t *b = tamis__malloc(need);
            if (!b) {
                st = tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory for a frame");
                break;
            }
            tamis__free(s->rgb);
            s->rgb = b;
            s->cap = need;
        }
        for (int y = 0; y < h; y++)
            memcpy(s->rgb + (size_t)y * (size_t)w * 3, rgb + (size_t)y * stride, (size_t)w * 3);
        int64_t idx = tamis__video_frame_index(vid);
        s->w = w;
        s->h = h;
        s->f = (tamis_vpdq_frame){(int)idx, 0, {{0}}, ref_timestamp(idx, info->frame_rate, ts)};
        pthread_mutex_lock(&p.mu);
        s->state = 1;
        p.queued++;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    /* Collect what is still in flight, in order, then stop the workers. */
    pthread_mutex_lock(&p.mu);
    uint64_t from = p.queued > (uint64_t)p.nslots ? p.queued - (uint64_t)p.nslots : 0;
    for (uint64_t i = from; i < p.queued; i++)
        st = collect(v, &p, &p.slots[i % (uint64_t)p.nslots], st);
    p.closing = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < p.nthreads; i++)
        pthread_join(p.threads[i], NULL);
    for (int i = 0; i < p.nslots; i++)
        tamis__free(p.slots[i].rgb);
    tamis__free(p.slots);
    tamis__free(p.threads);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    return st;
}

typedef tamis_status (*open_fn)(const void *src, size_t len, const tamis__video_opts *o,
                                tamis__video **out, char *err, size_t errlen);

static tamis_status open_path(const void *src, size_t len, const tamis__video_opts *o,
                              tamis__video **out, char *err, size_t errlen) {
    return tamis__video_open_file(src, o, out, err, errlen);
}

static tamis_status open_bytes(const void *src, size_t len, const tamis__video_opts *o,
                               tamis__video **out, char *err, size_t errlen) {
    return tamis__video_open_mem(src, len, o, out, err, errlen);
}

static tamis_status hash_any(tamis_vpdq *v, open_fn open, const void *src, size_t len,
                             const tamis_vpdq_options *opts) {
    tamis_vpdq_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    v->n = 0;
    memset(&v->info, 0, sizeof v->info);
    if (!(o.seconds_per_hash >= 0) || !isfinite(o.seconds_per_hash) || o.downsample < 0 ||
        o.threads < 0 ||
        (o.convert != TAMIS_VPDQ_CONVERT_LIBRARY && o.convert != TAMIS_VPDQ_CONVERT_FFMPEG_CLI))
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "bad vPDQ options");
    tamis__video_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.out_width = vo.out_height = o.downsample;
    vo.threads = o.threads;
    vo.max_pixels = o.max_pixels;
    vo.max_frames = o.max_frames ? o.max_frames : TAMIS_VPDQ_DEFAULT_MAX_FRAMES;
    /* The ffmpeg program's default flags (found by matching the sample
     * files: SWS_ACCURATE_RND is what changes the pixels at the same size). */
    if (o.convert == TAMIS_VPDQ_CONVERT_FFMPEG_CLI)
        vo.sws_flags = SWS_BICUBIC | SWS_ACCURATE_RND;
    tamis__video *vid = NULL;
    tamis_status st = open(src, len, &vo, &vid, v->err.msg, sizeof v->err.msg);
    if (st != TAMIS_OK)
        return st;
    const tamis__video_info *info = tamis__video_info_of(vid);
    v->info.width = info->width;
    v->info.height = info->height;
    v->info.frame_rate = info->frame_rate;
    v->info.duration = info->duration_s;
    v->info.container = info->container;
    v->info.codec = info->codec;
    if (o.seconds_per_hash > 0) {
        /* `info` belongs to `vid`: read from the copy in v->info below. */
        tamis__video_free(vid);
        vid = NULL;
        /* The reference's frame step, (int)(seconds * rate), at least 1;
         * without a rate, resample to one frame per period instead. */
        double step = o.seconds_per_hash * v->info.frame_rate;
        if (v->info.frame_rate > 0)
            vo.every_nth = step >= 1 && step < 2147483647.0 ? (int)step : step < 1 ? 1 : INT32_MAX;
        else
            vo.fps = 1.0 / o.seconds_per_hash;
        if ((st = open(src, len, &vo, &vid, v->err.msg, sizeof v->err.msg)) != TAMIS_OK)
            return st;
    }
    int nthreads = o.threads ? o.threads : cores();
    st = hash_video(v, vid, nthreads);
    tamis__video_free(vid);
    if (st != TAMIS_OK) {
        v->n = 0;
        return st;
    }
    return TAMIS_OK;
}

tamis_status tamis_vpdq_hash_file(tamis_vpdq *v, const char *path,
                                  const tamis_vpdq_options *opts) {
    if (!v)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&v->err);
    if (!path)
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "NULL argument");
    return hash_any(v, open_path, path, 0, opts);
}

tamis_status tamis_vpdq_hash_mem(tamis_vpdq *v, const void *data, size_t len,
                                 const tamis_vpdq_options *opts) {
    if (!v)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&v->err);
    if (!data && len)
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "NULL argument");
    return hash_any(v, open_bytes, data, len, opts);
}

/* ---- Text format ---------------------------------------------------------- */

/* A timestamp as vpdqio.cpp writes it (std::fixed, 3 decimals: %.3f), or
 * from 10^15 s on, where that runs to dozens of digits that the readers'
 * 63-character field refuses (a frame read from 62 digits wrote back as
 * 66), exactly and shortly (%.17g), which they take back. */
static void format_timestamp(double t, char out[32]) {
    if (t < 1e15)
        snprintf(out, 32, "%.3f", t);
    else
        snprintf(out, 32, "%.17g", t);
}

/* One line as vpdqio.cpp writes it: frame,quality,hash,timestamp. */
static int format_line(const tamis_vpdq_frame *f, char *out, size_t cap) {
    char hex[TAMIS_PDQ_HEX_LEN + 1], ts[32];
    tamis_pdq_to_hex(&f->pdq, hex);
    format_timestamp(f->timestamp, ts);
    return snprintf(out, cap, "%d,%d,%s,%s\n", f->frame, f->quality, hex, ts);
}

size_t tamis_vpdq_to_text(const tamis_vpdq *v, char *buf, size_t cap) {
    size_t total = 0;
    char line[160];
    if (buf && cap)
        buf[0] = '\0';
    for (size_t i = 0; v && i < v->n; i++) {
        int n = format_line(&v->frames[i], line, sizeof line);
        if (n <= 0)
            continue;
        if (buf && total + (size_t)n < cap)
            memcpy(buf + total, line, (size_t)n + 1);
        else if (buf && total < cap)
            buf[total] = '\0'; /* a line that does not fit is left out whole */
        total += (size_t)n;
    }
    return total;
}

/* Parses a decimal integer of at most 9 digits in [s, e). */
static int parse_int(const char *s, const char *e, int *out) {
    if (s == e || e - s > 9)
        return 0;
    int x = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        x = x * 10 + (*s - '0');
    }
    *out = x;
    return 1;
}

static const char *parse_line(const char *s, const char *e, tamis_vpdq_frame *f) {
    const char *c[3];
    int k = 0;
    for (const char *p = s; p < e; p++)
        if (*p == ',') {
            if (k == 3)
                return "more than 4 fields";
            c[k++] = p;
        }
    if (k != 3)
        return "expected frame,quality,hash,timestamp";
    if (!parse_int(s, c[0], &f->frame))
        return "bad frame number";
    if (!parse_int(c[0] + 1, c[1], &f->quality) || f->quality > 100)
        return "bad quality (0..100)";
    if (tamis_pdq_from_hex(c[1] + 1, (size_t)(c[2] - c[1] - 1), &f->pdq) != TAMIS_OK)
        return "bad hash (64 hex digits)";
    char num[64];
    size_t n = (size_t)(e - c[2] - 1);
    if (n == 0 || n >= sizeof num)
        return "bad timestamp";
    memcpy(num, c[2] + 1, n);
    num[n] = '\0';
    char *end;
    errno = 0;
    double t = strtod(num, &end);
    if (*end || errno || !isfinite(t) || t < 0 || !(num[0] >= '0' && num[0] <= '9'))
        return "bad timestamp";
    f->timestamp = t;
    return NULL;
}

tamis_status tamis_vpdq_from_text(tamis_vpdq *v, const char *text, size_t len) {
    if (!v)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&v->err);
    if (!text && len)
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "NULL argument");
    v->n = 0;
    memset(&v->info, 0, sizeof v->info);
    const char *p = text, *end = text + len;
    size_t lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        lineno++;
        const char *le = e;
        if (le > p && le[-1] == '\r')
            le--;
        if (le > p) {
            tamis_vpdq_frame f;
            const char *why = parse_line(p, le, &f);
            if (why) {
                v->n = 0;
                return tamis__fail(&v->err, TAMIS_ERR_INVALID, "line %zu: %s", lineno, why);
            }
            tamis_status st = push_frame(v, &f);
            if (st != TAMIS_OK) {
                v->n = 0;
                return st;
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (v->n == 0)
        return tamis__fail(&v->err, TAMIS_ERR_EMPTY, "no frames");
    return TAMIS_OK;
}

/* ---- HMA's signal form ---------------------------------------------------- */

tamis_status tamis_vpdq_add_frame(tamis_vpdq *v, const tamis_vpdq_frame *f) {
    if (!v || !f || f->quality < 0 || f->quality > 100 || !(f->timestamp >= 0) ||
        !isfinite(f->timestamp))
        return TAMIS_ERR_INVALID;
    return push_frame(v, f);
}

size_t tamis_vpdq_to_signal(const tamis_vpdq *v, char *buf, size_t cap) {
    size_t total = 0;
    char item[160];
    for (size_t i = 0; v && i <= v->n; i++) {
        int n;
        if (i == v->n) {
            n = snprintf(item, sizeof item, "]");
        } else {
            char hex[TAMIS_PDQ_HEX_LEN + 1], ts[32];
            tamis_pdq_to_hex(&v->frames[i].pdq, hex);
            format_timestamp(v->frames[i].timestamp, ts);
            n = snprintf(item, sizeof item, "%s\"%s,%d,%s\"", i ? "," : "[", hex,
                         v->frames[i].quality, ts);
        }
        if (buf && total + (size_t)n < cap)
            memcpy(buf + total, item, (size_t)n + 1);
        total += (size_t)n;
    }
    if (!v || v->n == 0) { /* an empty array */
        if (buf && cap >= 3)
            memcpy(buf, "[]", 3);
        return 2;
    }
    if (buf && cap && total >= cap)
        buf[cap - 1] = '\0';
    return total;
}

tamis_status tamis_vpdq_from_signal(tamis_vpdq *v, const char *text) {
    if (!v)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&v->err);
    if (!text)
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "NULL argument");
    v->n = 0;
    memset(&v->info, 0, sizeof v->info);
    /* A flat array of short strings: parsed here, without a JSON library. */
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p++ != '[')
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "a vPDQ signal is a JSON array of strings");
    for (int k = 0;; k++) {
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
            p++;
        if (*p == ']' && k == 0)
            break;
        if (*p != '"') {
            v->n = 0;
            return tamis__fail(&v->err, TAMIS_ERR_INVALID, "item %d: not a string", k + 1);
        }
        const char *e = strchr(p + 1, '"');
        if (!e) {
            v->n = 0;
            return tamis__fail(&v->err, TAMIS_ERR_INVALID, "item %d: unterminated string", k + 1);
        }
        /* "hash,quality,timestamp" as a reference line "frame,quality,hash,timestamp" */
        char line[160];
        const char *c1 = memchr(p + 1, ',', (size_t)(e - p - 1));
        const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(e - c1 - 1)) : NULL;
        int n = c2 ? snprintf(line, sizeof line, "%d,%.*s,%.*s,%.*s", k, (int)(c2 - c1 - 1),
                              c1 + 1, (int)(c1 - p - 1), p + 1, (int)(e - c2 - 1), c2 + 1)
                   : -1;
        tamis_vpdq_frame f;
        const char *why = n > 0 && (size_t)n < sizeof line ? parse_line(line, line + n, &f)
                                                           : "expected hash,quality,timestamp";
        if (why) {
            v->n = 0;
            return tamis__fail(&v->err, TAMIS_ERR_INVALID, "item %d: %s", k + 1, why);
        }
        tamis_status st = push_frame(v, &f);
        if (st != TAMIS_OK) {
            v->n = 0;
            return st;
        }
        p = e + 1;
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
            p++;
        if (*p == ']')
            break;
        if (*p++ != ',') {
            v->n = 0;
            return tamis__fail(&v->err, TAMIS_ERR_INVALID, "item %d: expected ',' or ']'", k + 1);
        }
    }
    p++;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p) {
        v->n = 0;
        return tamis__fail(&v->err, TAMIS_ERR_INVALID, "text after the array");
    }
    if (v->n == 0)
        return tamis__fail(&v->err, TAMIS_ERR_EMPTY, "no frames");
    return TAMIS_OK;
}

/* ---- Comparison ----------------------------------------------------------- */

static int cmp_pdq(const void *a, const void *b) {
    return memcmp(a, b, sizeof(tamis_pdq));
}

/* The hashes of frames of quality >= min_quality, each once (python-
 * threatexchange's prepare_vpdq_feature: quality filter, then dedupe).
 * Returns their number, or -1 when out of memory; *out is the caller's. */
static long filtered(const tamis_vpdq *v, int min_quality, tamis_pdq **out) {
    *out = NULL;
    if (v->n == 0)
        return 0;
    tamis_pdq *h = tamis__malloc(v->n * sizeof *h);
    if (!h)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->frames[i].quality >= min_quality)
            h[n++] = v->frames[i].pdq;
    qsort(h, n, sizeof *h, cmp_pdq);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || memcmp(&h[u - 1], &h[i], sizeof *h) != 0)
            h[u++] = h[i];
    *out = h;
    return (long)u;
}

typedef struct {
    uint8_t *target_hit;
    int any;
} search_ctx;

static int on_hit(void *ctx, uint64_t id, int distance) {
    search_ctx *c = ctx;
    c->target_hit[id] = 1;
    c->any = 1;
    return 0;
}

tamis_status tamis_vpdq_compare(const tamis_vpdq *query, const tamis_vpdq *target,
                                const tamis_vpdq_compare_options *opts,
                                tamis_vpdq_result *out) {
    static const tamis_vpdq_compare_options defaults = TAMIS_VPDQ_COMPARE_DEFAULTS;
    if (!query || !target || !out)
        return TAMIS_ERR_INVALID;
    const tamis_vpdq_compare_options *o = opts ? opts : &defaults;
    if (o->distance < 0 || o->distance > 256)
        return TAMIS_ERR_INVALID;
    tamis_vpdq_result r;
    memset(&r, 0, sizeof r);
    tamis_pdq *q = NULL, *t = NULL;
    uint64_t *ids = NULL;
    uint8_t *hit = NULL;
    tamis_index *ix = NULL;
    tamis_status st = TAMIS_ERR_NOMEM;
    long nq = filtered(query, o->min_quality, &q);
    long nt = filtered(target, o->min_quality, &t);
    if (nq < 0 || nt < 0)
        goto done;
    r.query_frames = (size_t)nq;
    r.target_frames = (size_t)nt;
    if (nq > 0 && nt > 0) {
        /* One index over the target; each query frame's search marks the
         * target frames it reaches, which gives both counts at once, since
         * the distance is symmetric. */
        if (!(ids = tamis__malloc((size_t)nt * sizeof *ids)) ||
            !(hit = tamis__calloc((size_t)nt, 1)))
            goto done;
        for (long i = 0; i < nt; i++)
            ids[i] = (uint64_t)i;
        if ((st = tamis_index_create(&ix)) != TAMIS_OK ||
            (st = tamis_index_add(ix, t, ids, (size_t)nt)) != TAMIS_OK)
            goto done;
        for (long i = 0; i < nq; i++) {
            search_ctx c = {hit, 0};
            if ((st = tamis_index_search(ix, &q[i], o->distance, on_hit, &c)) < TAMIS_OK)
                goto done;
            r.query_matched += (size_t)c.any;
        }
        for (long i = 0; i < nt; i++)
            r.target_matched += hit[i];
        r.query_share = (double)r.query_matched * 100.0 / (double)nq;
        r.target_share = (double)r.target_matched * 100.0 / (double)nt;
        r.match = r.query_share >= o->query_threshold && r.target_share >= o->target_threshold;
    }
    st = TAMIS_OK;
    *out = r;
done:
    tamis_index_free(ix);
    tamis__free(q);
    tamis__free(t);
    tamis__free(ids);
    tamis__free(hit);
    return st;
}
