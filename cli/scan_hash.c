/*
 * scan_hash.c - what `tamis scan` does to one file: open it without
 * following links or blocking, check it is still the regular file the
 * walk saw, read it once, hash it as an image, else a video, else (with
 * --text) UTF-8 text, else only its digests; check it did not change
 * meanwhile; then look its signals up in the --bank files and the --db
 * banks.
 *
 * The file is read into memory rather than mapped: a file truncated while
 * mapped would kill the whole scan with SIGBUS, while a short read is
 * just this file's error. The bytes held at once are bounded by a budget
 * (cli/scan.c).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

int scan_worker_init(scan_worker *w, const scan_config *c) {
    memset(w, 0, sizeof *w);
    tamis_text_options to = {0, c->max_text};
    if (tamis_hasher_create(&c->ho, &w->h) != TAMIS_OK || tamis_vpdq_create(&w->v) != TAMIS_OK ||
        tamis_text_create(&to, &w->t) != TAMIS_OK) {
        scan_worker_free(w);
        return -1;
    }
    return 0;
}

void scan_worker_free(scan_worker *w) {
    tamis_hasher_free(w->h);
    tamis_vpdq_free(w->v);
    tamis_text_free(w->t);
    memset(w, 0, sizeof *w);
}

static void fail(scan_result *r, int status, const char *fmt_, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(scan_result *r, int status, const char *fmt_, ...) {
    va_list ap;
    va_start(ap, fmt_);
    vsnprintf(r->reason, sizeof r->reason, fmt_, ap);
    va_end(ap);
    r->status = status;
    r->type = SCAN_NONE;
    r->has_digests = 0;
}

/* UTF-8 text: no NUL byte and valid UTF-8 in the first 64 KiB (a
 * sequence cut at that boundary allowed). */
static int looks_like_text(const unsigned char *s, size_t n) {
    size_t lim = n < 65536 ? n : 65536;
    for (size_t i = 0; i < lim;) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        int k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                : c >= 0xf0 && c <= 0xf4                         ? 4
                                                                 : 0;
        if (k == 0)
            return 0;
        for (int j = 1; j < k; j++) {
            if (i + (size_t)j >= lim)
                return lim < n || i + (size_t)j < n ? 1 : 0;
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
        }
        i += (size_t)k;
    }
    return 1;
}

/* ---- Matching ------------------------------------------------------------ */

typedef struct {
    scan_result *r;
    const scan_bank *bank;
    int frame;
    double timestamp;
    int nomem;
} bank_ctx;

static int on_bank_hit(void *ctx, uint64_t id, int distance) {
    bank_ctx *b = ctx;
    char num[24];
    const char *ids;
    if (b->bank->ids.n) {
        ids = id < b->bank->ids.n ? b->bank->ids.ids[id] : "?";
    } else {
        snprintf(num, sizeof num, "%llu", (unsigned long long)id);
        ids = num;
    }
    if (scan_result_add_match(b->r, b->bank->name, ids, "pdq", distance, b->frame, b->timestamp,
                              NULL, 0))
        b->nomem = 1;
    return 0;
}

/* Signal names as the report writes them (the matcher's strings live only
 * during its callback). */
static const char *signal_name(const char *type) {
    static const char *known[] = {"pdq",       "md5",       "sha256", "vpdq", "tmk",
                                  "text_exact", "text_near", "text_tlsh", "url"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(type, known[i]) == 0)
            return known[i];
    return "other";
}

static int on_db_hit(void *ctx, const tamis_match *m) {
    bank_ctx *b = ctx;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)m->content_id);
    int ns = 0;
    const char *sig = signal_name(m->signal_type);
    if (strcmp(sig, "vpdq") == 0 || strcmp(sig, "tmk") == 0)
        ns = 2;
    else if (strcmp(sig, "text_near") == 0)
        ns = 1;
    if (scan_result_add_match(b->r, m->bank, id, sig, m->distance, -1, 0, m->score, ns))
        b->nomem = 1;
    return 0;
}

static int pdq_radius(const scan_config *c) {
    return c->radius >= 0 ? c->radius : TAMIS_PDQ_MATCH_DISTANCE;
}

static void match_pdq(const scan_config *c, scan_result *r, const tamis_pdq *q, int frame,
                      double ts, bank_ctx *ctx) {
    ctx->frame = frame;
    ctx->timestamp = ts;
    for (size_t i = 0; i < c->nbanks; i++) {
        ctx->bank = &c->banks[i];
        tamis_index_search(c->banks[i].ix, q, pdq_radius(c), on_bank_hit, ctx);
    }
    /* The matcher has no frame: a video goes to it as vPDQ. */
    if (c->matcher && frame < 0)
        tamis_matcher_lookup_pdq(c->matcher, q, c->radius, on_db_hit, ctx);
}

static void match_db(const scan_config *c, const char *type, const char *value, bank_ctx *ctx) {
    if (c->matcher && value && value[0])
        tamis_matcher_lookup(c->matcher, type, value, c->radius, on_db_hit, ctx);
}

static void match_all(const scan_config *c, scan_result *r) {
    bank_ctx ctx = {r, NULL, -1, 0, 0};
    if (r->type == SCAN_IMAGE && r->img.quality >= TAMIS_PDQ_MIN_QUALITY)
        match_pdq(c, r, &r->img.pdq, -1, 0, &ctx);
    if (r->type == SCAN_TEXT) {
        match_db(c, "text_exact", r->text.exact, &ctx);
        match_db(c, "text_near", r->text.near, &ctx);
        match_db(c, "text_tlsh", r->text.tlsh, &ctx);
    }
    if (r->type == SCAN_VIDEO)
        match_db(c, "vpdq", r->vpdq, &ctx);
    if (r->has_digests && c->matcher) {
        char md5[2 * TAMIS_MD5_BYTES + 1], sha[2 * TAMIS_SHA256_BYTES + 1];
        tamis_hex_encode(r->digests.md5, TAMIS_MD5_BYTES, md5);
        tamis_hex_encode(r->digests.sha256, TAMIS_SHA256_BYTES, sha);
        match_db(c, "md5", md5, &ctx);
        match_db(c, "sha256", sha, &ctx);
    }
    if (ctx.nomem)
        fail(r, SCAN_ERROR, "out of memory recording matches");
    scan_result_sort_matches(r);
}

static void match_video_frames(const scan_config *c, scan_result *r, const tamis_vpdq *v) {
    if (c->nbanks == 0)
        return;
    bank_ctx ctx = {r, NULL, -1, 0, 0};
    const tamis_vpdq_frame *f = tamis_vpdq_frames(v);
    size_t n = tamis_vpdq_count(v);
    for (size_t i = 0; i < n; i++) {
        if (f[i].quality < TAMIS_PDQ_MIN_QUALITY)
            continue;
        if (i > 0 && memcmp(&f[i].pdq, &f[i - 1].pdq, sizeof f[i].pdq) == 0)
            continue; /* a still scene: the same hash again */
        for (size_t b = 0; b < c->nbanks; b++) {
            ctx.bank = &c->banks[b];
            ctx.frame = f[i].frame;
            ctx.timestamp = f[i].timestamp;
            tamis_index_search(c->banks[b].ix, &f[i].pdq, pdq_radius(c), on_bank_hit, &ctx);
        }
    }
    if (ctx.nomem)
        fail(r, SCAN_ERROR, "out of memory recording matches");
}

/* ---- One file ------------------------------------------------------------ */

static int same_time(const struct timespec *a, const struct timespec *b) {
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static const char *kind_of(mode_t m) {
    return S_ISREG(m) ? "file" : S_ISDIR(m) ? "directory" : S_ISLNK(m) ? "symlink"
           : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket" : "device";
}

/* Hashes the bytes read: image, video, text or other. */
static void hash_bytes(const scan_config *c, scan_worker *w, scan_result *r,
                       const unsigned char *data, size_t len) {
    tamis_status st = tamis_hash_image_mem(w->h, data, len, &r->img);
    if (st == TAMIS_OK) {
        r->type = SCAN_IMAGE;
        r->has_digests = r->img.has_digests;
        r->digests = r->img.digests;
        return;
    }
    if (st != TAMIS_ERR_UNSUPPORTED) {
        fail(r, SCAN_ERROR, "%s", tamis_hasher_errmsg(w->h));
        return;
    }
    st = tamis_vpdq_hash_mem(w->v, data, len, &c->vo);
    if (st == TAMIS_OK) {
        r->type = SCAN_VIDEO;
        tamis_vpdq_video_info(w->v, &r->vinfo);
        r->frames = tamis_vpdq_count(w->v);
        const tamis_vpdq_frame *f = tamis_vpdq_frames(w->v);
        for (size_t i = 0; i < r->frames; i++)
            r->frames_quality += f[i].quality >= TAMIS_PDQ_MIN_QUALITY;
        size_t n = tamis_vpdq_to_signal(w->v, NULL, 0);
        if (!(r->vpdq = malloc(n + 1))) {
            fail(r, SCAN_ERROR, "out of memory");
            return;
        }
        tamis_vpdq_to_signal(w->v, r->vpdq, n + 1);
        match_video_frames(c, r, w->v);
        if (r->status != SCAN_OK)
            return;
    } else if (st != TAMIS_ERR_UNSUPPORTED) {
        fail(r, SCAN_ERROR, "video: %s", tamis_vpdq_errmsg(w->v));
        return;
    } else if (c->text && len <= c->max_text && looks_like_text(data, len)) {
        st = tamis_text_hash_compute(w->t, data, len, &r->text);
        if (st != TAMIS_OK) {
            fail(r, SCAN_ERROR, "text: %s", tamis_text_errmsg(w->t));
            return;
        }
        r->type = SCAN_TEXT;
    } else {
        r->type = SCAN_NONE; /* other: its digests alone */
    }
    if ((st = tamis_digests_compute(data, len, &r->digests)) != TAMIS_OK) {
        fail(r, SCAN_ERROR, "digests: %s", tamis_strerror(st));
        return;
    }
    r->has_digests = 1;
}

/* A line in error or skipped has no signals and no matches. */
static void drop_signals(scan_result *r) {
    free(r->vpdq);
    r->vpdq = NULL;
    for (size_t i = 0; i < r->nm; i++) {
        free(r->m[i].bank);
        free(r->m[i].id);
    }
    r->nm = 0;
    r->type = SCAN_NONE;
    r->has_digests = 0;
}

void scan_file(const scan_config *c, scan_worker *w, scan_result *r, const struct stat *walked) {
    r->status = SCAN_OK;
    int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    /* O_NOATIME keeps the scan from touching access times (evidence), but
     * only the owner (or CAP_FOWNER) may ask for it. */
    int fd = open(r->path, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = open(r->path, flags);
    if (fd < 0) {
        if (errno == ELOOP)
            fail(r, SCAN_ERROR, "changed during the scan: now a symbolic link");
        else if (errno == ENOENT)
            fail(r, SCAN_ERROR, "changed during the scan: removed");
        else
            fail(r, SCAN_ERROR, "cannot open: %s", strerror(errno));
        return;
    }
    struct stat before, after;
    unsigned char *buf = NULL;
    size_t taken = 0, len = 0;
    if (fstat(fd, &before) != 0) {
        fail(r, SCAN_ERROR, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (before.st_dev != walked->st_dev || before.st_ino != walked->st_ino) {
        fail(r, SCAN_ERROR, "changed during the scan: replaced by another %s",
             kind_of(before.st_mode));
        goto out;
    }
    r->size = (long long)before.st_size;
    r->mtime = before.st_mtim;
    if (!S_ISREG(before.st_mode)) {
        fail(r, SCAN_SKIPPED, "not a regular file (%s)", kind_of(before.st_mode));
        goto out;
    }
    if (before.st_size == 0) {
        fail(r, SCAN_SKIPPED, "empty file");
        goto out;
    }
    if ((unsigned long long)before.st_size > c->max_size) {
        fail(r, SCAN_SKIPPED, "larger than --max-size (%lld bytes, limit %llu)",
             (long long)before.st_size, c->max_size);
        goto out;
    }
    len = (size_t)before.st_size;
    taken = scan_budget_take(len);
    if (!(buf = malloc(len))) {
        fail(r, SCAN_ERROR, "out of memory reading %zu bytes", len);
        goto out;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t k = pread(fd, buf + got, len - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            fail(r, SCAN_ERROR, "read error: %s", strerror(errno));
            goto out;
        }
        if (k == 0) {
            fail(r, SCAN_ERROR, "changed during the scan: shrank from %zu to %zu bytes", len,
                 got);
            goto out;
        }
        got += (size_t)k;
    }
    if (c->delay_ms)
        usleep(c->delay_ms * 1000u);
    hash_bytes(c, w, r, buf, len);
    if (fstat(fd, &after) != 0) {
        fail(r, SCAN_ERROR, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (after.st_size != before.st_size || !same_time(&after.st_mtim, &before.st_mtim)) {
        fail(r, SCAN_ERROR, "changed during the scan: written to while being read");
        goto out;
    }
    if (r->status == SCAN_OK)
        match_all(c, r);
out:
    if (r->status != SCAN_OK)
        drop_signals(r);
    free(buf);
    if (taken)
        scan_budget_give(taken);
    close(fd);
}
