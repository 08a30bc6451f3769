/*
 * webhook.c - signed webhooks to the platform's action endpoint, through a
 * durable outbox.
 *
 * The outbox is a directory: pending/, delivered/ and dead/ hold one file
 * per event (<id>.event), a small text header and the JSON posted. Every
 * change of an event is a new file written beside the old one under a
 * temporary name, fsynced and renamed over it, then the directory is
 * fsynced; a move between states writes the new state's file before it
 * removes the old one, so a crash between the two leaves the event in two
 * directories, and open() keeps the later state (delivered or dead). A crash
 * can thus repeat an attempt but never lose an event. The pending events'
 * ids and due times are also kept in memory, so that a pass finds what is
 * due without reading every file. A lock file (flock) keeps a second
 * process out.
 *
 * Delivery is a libcurl POST, signed with HMAC-SHA256 (OpenSSL), redirects
 * never followed, proxies from the environment ignored (the library reads
 * no environment).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webhook.h"

#define DEFAULT_MAX_ATTEMPTS 10
#define DEFAULT_BACKOFF_BASE 30.0
#define DEFAULT_BACKOFF_MAX 3600.0
#define DEFAULT_JITTER 0.2
#define DEFAULT_TIMEOUT 10.0
#define DEFAULT_MAX_BODY ((size_t)1 << 20)
#define DEFAULT_TOLERANCE 300.0
#define SECRET_MAX 1024
#define MAGIC "tamis-webhook-event 1\n"
#define SUFFIX ".event"

static const char *const state_dir[3] = {"pending", "delivered", "dead"};

/* ---- the record format ---------------------------------------------------- */

static int valid_id(const char *s, size_t n) {
    if (n != TAMIS_WEBHOOK_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int valid_type(const char *s, size_t n) {
    if (n < 1 || n > TAMIS_WEBHOOK_TYPE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* A decimal number of at most 18 digits (no sign). */
static int parse_uint(const char *s, size_t n, int64_t *out) {
    if (n < 1 || n > 18)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Copies printable text (no control characters) of at most cap chars. */
static int parse_text(const char *s, size_t n, char *out, size_t cap) {
    if (n > cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    memcpy(out, s, n);
    out[n] = 0;
    return 1;
}

tamis_status tamis__webhook_record_parse(const char *buf, size_t len, tamis__webhook_record *r,
                                         const char **why) {
    static const char *unused;
    if (!why)
        why = &unused;
    memset(r, 0, sizeof *r);
    r->state = -1;
    size_t ml = strlen(MAGIC);
    if (len < ml || memcmp(buf, MAGIC, ml) != 0)
        return *why = "not an outbox record", TAMIS_ERR_CORRUPT;
    size_t p = ml;
    int have = 0; /* bits: id, type, state, created, attempts, next, body-length */
    int64_t body_len = -1;
    for (;;) {
        const char *nl = memchr(buf + p, '\n', len - p);
        if (!nl)
            return *why = "header not ended", TAMIS_ERR_CORRUPT;
        size_t e = (size_t)(nl - buf);
        if (e == p) { /* the blank line */
            p = e + 1;
            break;
        }
        const char *line = buf + p, *sp = memchr(line, ' ', e - p);
        if (!sp)
            return *why = "a header line without a value", TAMIS_ERR_CORRUPT;
        size_t kl = (size_t)(sp - line), vl = e - p - kl - 1;
        const char *v = sp + 1;
        int64_t x;
#define KEY(k) (kl == sizeof(k) - 1 && memcmp(line, k, kl) == 0)
        if (KEY("id")) {
            if (!valid_id(v, vl))
                return *why = "bad id", TAMIS_ERR_CORRUPT;
            memcpy(r->id, v, vl);
            r->id[vl] = 0;
            have |= 1;
        } else if (KEY("type")) {
            if (!valid_type(v, vl))
                return *why = "bad type", TAMIS_ERR_CORRUPT;
            memcpy(r->type, v, vl);
            r->type[vl] = 0;
            have |= 2;
        } else if (KEY("state")) {
            r->state = -1;
            for (int s = 0; s < 3; s++)
                if (vl == strlen(state_dir[s]) && memcmp(v, state_dir[s], vl) == 0)
                    r->state = s;
            if (r->state < 0)
                return *why = "bad state", TAMIS_ERR_CORRUPT;
            have |= 4;
        } else if (KEY("created-us")) {
            if (!parse_uint(v, vl, &r->created_us))
                return *why = "bad created-us", TAMIS_ERR_CORRUPT;
            have |= 8;
        } else if (KEY("attempts")) {
            if (!parse_uint(v, vl, &x) || x > 1000000)
                return *why = "bad attempts", TAMIS_ERR_CORRUPT;
            r->attempts = (int)x;
            have |= 16;
        } else if (KEY("next-us")) {
            if (!parse_uint(v, vl, &r->next_us))
                return *why = "bad next-us", TAMIS_ERR_CORRUPT;
            have |= 32;
        } else if (KEY("last-attempt-us")) {
            if (!parse_uint(v, vl, &r->last_attempt_us))
                return *why = "bad last-attempt-us", TAMIS_ERR_CORRUPT;
        } else if (KEY("delivered-us")) {
            if (!parse_uint(v, vl, &r->delivered_us))
                return *why = "bad delivered-us", TAMIS_ERR_CORRUPT;
        } else if (KEY("last-status")) {
            if (!parse_uint(v, vl, &x) || x > 999)
                return *why = "bad last-status", TAMIS_ERR_CORRUPT;
            r->last_status = (int)x;
        } else if (KEY("last-error")) {
            if (!parse_text(v, vl, r->last_error, TAMIS_WEBHOOK_ERROR_MAX))
                return *why = "bad last-error", TAMIS_ERR_CORRUPT;
        } else if (KEY("target")) {
            if (!parse_text(v, vl, r->target, TAMIS__WEBHOOK_URL_MAX))
                return *why = "bad target", TAMIS_ERR_CORRUPT;
        } else if (KEY("body-length")) {
            if (!parse_uint(v, vl, &body_len))
                return *why = "bad body-length", TAMIS_ERR_CORRUPT;
            have |= 64;
        } /* other keys: from a later version, ignored */
#undef KEY
        p = e + 1;
    }
    if (have != 127)
        return *why = "a required header line is missing", TAMIS_ERR_CORRUPT;
    if (body_len < 1 || (uint64_t)body_len != len - p)
        return *why = "the body's length is not body-length (torn write?)", TAMIS_ERR_CORRUPT;
    r->body = buf + p;
    r->body_len = (size_t)body_len;
    return TAMIS_OK;
}

/* The length of s's printable prefix. */
static size_t printable_len(const char *s) {
    size_t n = 0;
    while (s[n] && (unsigned char)s[n] >= 0x20 && s[n] != 0x7f)
        n++;
    return n;
}

tamis_status tamis__webhook_record_format(const tamis__webhook_record *r, char **out,
                                          size_t *len) {
    *out = NULL;
    *len = 0;
    if (r->state < 0 || r->state > 2 || !r->body || !r->body_len)
        return TAMIS_ERR_INVALID;
    size_t cap = 1024 + strlen(r->last_error) + strlen(r->target) + r->body_len;
    char *b = tamis__malloc(cap);
    if (!b)
        return TAMIS_ERR_NOMEM;
    int n = snprintf(b, cap,
                     MAGIC "id %s\ntype %s\nstate %s\ncreated-us %lld\nattempts %d\nnext-us %lld\n"
                           "last-attempt-us %lld\ndelivered-us %lld\nlast-status %d\n"
                           "last-error %.*s\ntarget %.*s\nbody-length %zu\n\n",
                     r->id, r->type, state_dir[r->state], (long long)r->created_us, r->attempts,
                     (long long)r->next_us, (long long)r->last_attempt_us,
                     (long long)r->delivered_us, r->last_status, (int)printable_len(r->last_error),
                     r->last_error, (int)printable_len(r->target), r->target, r->body_len);
    if (n < 0 || (size_t)n + r->body_len > cap) {
        tamis__free(b);
        return TAMIS_ERR_INTERNAL;
    }
    memcpy(b + n, r->body, r->body_len);
    *out = b;
    *len = (size_t)n + r->body_len;
    return TAMIS_OK;
}

/* ---- signatures ------------------------------------------------------------ */

static tamis_status hmac_sign(const void *secret, size_t secret_len, int64_t timestamp,
                              const void *body, size_t len, unsigned char mac[32]) {
    char ts[32];
    int tl = snprintf(ts, sizeof ts, "%lld.", (long long)timestamp);
    size_t n = (size_t)tl + len;
    unsigned char *msg = tamis__malloc(n ? n : 1);
    if (!msg)
        return TAMIS_ERR_NOMEM;
    memcpy(msg, ts, (size_t)tl);
    if (len)
        memcpy(msg + tl, body, len);
    unsigned int ml = 0;
    unsigned char *ok = HMAC(EVP_sha256(), secret, (int)secret_len, msg, n, mac, &ml);
    tamis__free(msg);
    return ok && ml == 32 ? TAMIS_OK : TAMIS_ERR_INTERNAL;
}

tamis_status tamis_webhook_sign(const void *secret, size_t secret_len, int64_t timestamp,
                                const void *body, size_t len,
                                char out[TAMIS_WEBHOOK_SIGNATURE_LEN + 1]) {
    if (!secret || !secret_len || secret_len > SECRET_MAX || (!body && len) || !out)
        return TAMIS_ERR_INVALID;
    unsigned char mac[32];
    tamis_status st = hmac_sign(secret, secret_len, timestamp, body, len, mac);
    if (st != TAMIS_OK)
        return st;
    memcpy(out, "sha256=", 7);
    tamis_hex_encode(mac, 32, out + 7);
    out[TAMIS_WEBHOOK_SIGNATURE_LEN] = 0;
    return TAMIS_OK;
}

tamis_status tamis_webhook_verify(const void *secret, size_t secret_len, const char *timestamp,
                                  const char *signature, const void *body, size_t len,
                                  double now, double tolerance, const char **why) {
    static const char *unused;
    if (!why)
        why = &unused;
    *why = NULL;
    if (!secret || !secret_len || secret_len > SECRET_MAX || (!body && len))
        return *why = "no secret", TAMIS_ERR_INVALID;
    if (!timestamp || !signature)
        return *why = "a header is missing", TAMIS_ERR_INVALID;
    int64_t ts;
    if (!parse_uint(timestamp, strlen(timestamp), &ts) || strlen(timestamp) > 15)
        return *why = "malformed timestamp", TAMIS_ERR_INVALID;
    if (tolerance <= 0)
        tolerance = DEFAULT_TOLERANCE;
    if (!(fabs(now - (double)ts) <= tolerance))
        return *why = "timestamp outside the tolerance (a replay, or clocks apart)",
               TAMIS_ERR_INVALID;
    unsigned char mac[32];
    tamis_status st = hmac_sign(secret, secret_len, ts, body, len, mac);
    if (st != TAMIS_OK)
        return *why = "cannot compute the signature", st;
    int seen = 0, match = 0;
    const char *p = signature;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t n = (size_t)(e - p);
        while (n && p[n - 1] == ' ')
            n--;
        if (n == TAMIS_WEBHOOK_SIGNATURE_LEN && memcmp(p, "sha256=", 7) == 0) {
            unsigned char got[32];
            int bad = 0;
            for (int i = 0; i < 32; i++) {
                int hi = tamis__hex_digit(p[7 + 2 * i]), lo = tamis__hex_digit(p[8 + 2 * i]);
                if (hi < 0 || lo < 0)
                    bad = 1;
                got[i] = (unsigned char)((hi & 15) << 4 | (lo & 15));
            }
            if (!bad) {
                seen = 1;
                /* every candidate compared, in constant time */
                match |= CRYPTO_memcmp(got, mac, 32) == 0;
            }
        }
        p = e;
    }
    if (!seen)
        return *why = "no sha256 signature", TAMIS_ERR_INVALID;
    if (!match)
        return *why = "signature does not match", TAMIS_ERR_INVALID;
    return TAMIS_OK;
}

/* ---- the handle ------------------------------------------------------------- */

typedef struct due_entry {
    char id[TAMIS_WEBHOOK_ID_LEN + 1];
    int64_t created_us, next_us;
} due_entry;

struct tamis_webhook {
    char *dir;
    char url[TAMIS__WEBHOOK_URL_MAX + 1];
    unsigned char secret[SECRET_MAX];
    size_t secret_len;
    int max_attempts;
    double base, cap, jitter, timeout;
    size_t max_body;
    const tamis_clock *clock;
    int lock_fd;
    pthread_mutex_t mu;      /* the files, the table, err */
    pthread_mutex_t pass_mu; /* one pass at a time, and the curl handle */
    due_entry *due;          /* the pending events */
    size_t ndue, capdue;
    CURL *curl;
    tamis__err err;
};

static int64_t now_us(const tamis_webhook *wh) {
    return llround(tamis_clock_now(wh->clock) * 1e6);
}

static char *path_of(const tamis_webhook *wh, int state, const char *name) {
    size_t n = strlen(wh->dir) + strlen(name) + 32;
    char *p = tamis__malloc(n);
    if (p)
        snprintf(p, n, "%s/%s/%s", wh->dir, state_dir[state], name);
    return p;
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes the record into its state's directory: a temporary file,
 * fsynced, renamed over <id>.event, the directory fsynced. */
static tamis_status write_record(tamis_webhook *wh, const tamis__webhook_record *r) {
    char *data;
    size_t len;
    tamis_status st = tamis__webhook_record_format(r, &data, &len);
    if (st != TAMIS_OK)
        return tamis__fail(&wh->err, st, "cannot format the record of %s", r->id);
    char name[64];
    snprintf(name, sizeof name, ".%s.tmp", r->id);
    char *tmp = path_of(wh, r->state, name);
    snprintf(name, sizeof name, "%s" SUFFIX, r->id);
    char *dst = path_of(wh, r->state, name);
    char *dir = path_of(wh, r->state, "");
    st = TAMIS_ERR_NOMEM;
    if (!tmp || !dst || !dir)
        goto out;
    st = TAMIS_ERR_IO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        tamis__fail(&wh->err, st, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int ok = off == len && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, dst) != 0) {
        if (ok)
            saved = errno;
        tamis__fail(&wh->err, st, "%s: %s", tmp, strerror(saved));
        unlink(tmp);
        goto out;
    }
    if (fsync_dir(dir) != 0) {
        tamis__fail(&wh->err, st, "%s: fsync: %s", dir, strerror(errno));
        goto out;
    }
    st = TAMIS_OK;
out:
    tamis__free(data);
    tamis__free(tmp);
    tamis__free(dst);
    tamis__free(dir);
    return st;
}

/* Removes an event's file from a state's directory (and fsyncs it). */
static tamis_status remove_record(tamis_webhook *wh, int state, const char *id) {
    char name[64];
    snprintf(name, sizeof name, "%s" SUFFIX, id);
    char *p = path_of(wh, state, name), *dir = path_of(wh, state, "");
    tamis_status st = TAMIS_ERR_NOMEM;
    if (p && dir) {
        st = TAMIS_OK;
        if ((unlink(p) != 0 && errno != ENOENT) || fsync_dir(dir) != 0)
            st = tamis__fail(&wh->err, TAMIS_ERR_IO, "%s: %s", p, strerror(errno));
    }
    tamis__free(p);
    tamis__free(dir);
    return st;
}

/* Reads a whole file into a buffer the caller frees; NULL and errno set on
 * failure. */
static char *slurp(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat sb;
    char *b = NULL;
    if (fstat(fd, &sb) == 0 && sb.st_size >= 0 && (uint64_t)sb.st_size < ((uint64_t)1 << 31)) {
        size_t n = (size_t)sb.st_size;
        b = tamis__malloc(n ? n : 1);
        size_t got = 0;
        while (b && got < n) {
            ssize_t r = read(fd, b + got, n - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (!b) {
            errno = ENOMEM;
        } else if (got != n) {
            tamis__free(b);
            b = NULL;
            errno = EIO;
        }
        *len = n;
    } else {
        errno = EIO;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return b;
}

/* Reads and parses the record of `id` in `state`; *buf holds the bytes
 * r->body points into. */
static tamis_status read_record(tamis_webhook *wh, int state, const char *id,
                                tamis__webhook_record *r, char **buf) {
    *buf = NULL;
    char name[64];
    snprintf(name, sizeof name, "%s" SUFFIX, id);
    char *p = path_of(wh, state, name);
    if (!p)
        return TAMIS_ERR_NOMEM;
    size_t len = 0;
    *buf = slurp(p, &len);
    tamis_status st;
    if (!*buf) {
        st = errno == ENOENT ? TAMIS_ERR_NOT_FOUND : errno == ENOMEM ? TAMIS_ERR_NOMEM
                                                                      : TAMIS_ERR_IO;
        if (st != TAMIS_ERR_NOT_FOUND)
            tamis__fail(&wh->err, st, "%s: %s", p, strerror(errno));
    } else {
        const char *why = NULL;
        st = tamis__webhook_record_parse(*buf, len, r, &why);
        if (st == TAMIS_OK && (strcmp(r->id, id) != 0 || r->state != state))
            st = TAMIS_ERR_CORRUPT, why = "its id or state is not its file's";
        if (st != TAMIS_OK) {
            tamis__fail(&wh->err, st, "%s: %s", p, why);
            tamis__free(*buf);
            *buf = NULL;
        }
    }
    tamis__free(p);
    return st;
}

static int due_cmp(const void *a, const void *b) {
    const due_entry *x = a, *y = b;
    if (x->created_us != y->created_us)
        return x->created_us < y->created_us ? -1 : 1;
    return strcmp(x->id, y->id);
}

static tamis_status due_add(tamis_webhook *wh, const char *id, int64_t created, int64_t next) {
    for (size_t i = 0; i < wh->ndue; i++)
        if (strcmp(wh->due[i].id, id) == 0) {
            wh->due[i].next_us = next;
            return TAMIS_OK;
        }
    if (wh->ndue == wh->capdue) {
        size_t c = wh->capdue ? wh->capdue * 2 : 16, bytes;
        if (!tamis__mul_size(c, sizeof *wh->due, &bytes))
            return TAMIS_ERR_NOMEM;
        due_entry *d = tamis__realloc(wh->due, bytes);
        if (!d)
            return TAMIS_ERR_NOMEM;
        wh->due = d;
        wh->capdue = c;
    }
    due_entry *e = &wh->due[wh->ndue++];
    memcpy(e->id, id, sizeof e->id);
    e->created_us = created;
    e->next_us = next;
    return TAMIS_OK;
}

static void due_remove(tamis_webhook *wh, const char *id) {
    for (size_t i = 0; i < wh->ndue; i++)
        if (strcmp(wh->due[i].id, id) == 0) {
            wh->due[i] = wh->due[--wh->ndue];
            return;
        }
}

/* An event file's id from its name, or 0 if the name is not one. */
static int event_name(const char *name, char id[TAMIS_WEBHOOK_ID_LEN + 1]) {
    size_t n = strlen(name), sl = strlen(SUFFIX);
    if (n != TAMIS_WEBHOOK_ID_LEN + sl || strcmp(name + TAMIS_WEBHOOK_ID_LEN, SUFFIX) != 0 ||
        !valid_id(name, TAMIS_WEBHOOK_ID_LEN))
        return 0;
    memcpy(id, name, TAMIS_WEBHOOK_ID_LEN);
    id[TAMIS_WEBHOOK_ID_LEN] = 0;
    return 1;
}

static int is_tmp_name(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".tmp") == 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Loads the pending events; removes temporary files left by interrupted
 * writes, and pending files whose event reached delivered/ or dead/ (a
 * move interrupted between its two steps). */
static tamis_status load(tamis_webhook *wh) {
    for (int s = 0; s < 3; s++) {
        char *dir = path_of(wh, s, "");
        if (!dir)
            return TAMIS_ERR_NOMEM;
        DIR *d = opendir(dir);
        if (!d) {
            tamis_status st = tamis__fail(&wh->err, TAMIS_ERR_IO, "%s: %s", dir, strerror(errno));
            tamis__free(dir);
            return st;
        }
        struct dirent *de;
        tamis_status st = TAMIS_OK;
        while (st == TAMIS_OK && (de = readdir(d))) {
            char id[TAMIS_WEBHOOK_ID_LEN + 1];
            if (is_tmp_name(de->d_name)) {
                char *p = path_of(wh, s, de->d_name);
                if (p)
                    unlink(p);
                tamis__free(p);
                continue;
            }
            if (s != TAMIS_WEBHOOK_PENDING || !event_name(de->d_name, id))
                continue;
            char name[64];
            snprintf(name, sizeof name, "%s" SUFFIX, id);
            int later = 0;
            for (int t = 1; t < 3 && !later; t++) {
                char *p = path_of(wh, t, name);
                later = p && access(p, F_OK) == 0;
                tamis__free(p);
            }
            if (later) {
                st = remove_record(wh, TAMIS_WEBHOOK_PENDING, id);
                continue;
            }
            tamis__webhook_record r;
            char *buf;
            tamis_status rs = read_record(wh, s, id, &r, &buf);
            if (rs == TAMIS_OK)
                st = due_add(wh, id, r.created_us, r.next_us);
            else if (rs == TAMIS_ERR_NOMEM || rs == TAMIS_ERR_IO)
                st = rs;
            /* a record that does not parse stays on disk, not listed */
            tamis__free(buf);
        }
        closedir(d);
        tamis__free(dir);
        if (st != TAMIS_OK)
            return st;
    }
    tamis__err_clear(&wh->err);
    return TAMIS_OK;
}

static void set_err(char *err, size_t errlen, const char *fmt_, const char *a, const char *b) {
    if (err && errlen)
        snprintf(err, errlen, fmt_, a, b);
}

tamis_status tamis_webhook_open(const char *dir, const char *url, const void *secret,
                                size_t secret_len, const tamis_webhook_options *opts,
                                tamis_webhook **out, char *err, size_t errlen) {
    if (out)
        *out = NULL;
    if (err && errlen)
        err[0] = 0;
    if (!out || !dir || !*dir || !url || !secret) {
        set_err(err, errlen, "%s%s", "an argument is missing", "");
        return TAMIS_ERR_INVALID;
    }
    if (strlen(url) > TAMIS__WEBHOOK_URL_MAX || printable_len(url) != strlen(url) ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        set_err(err, errlen, "%s%s", "the url must be http:// or https://, at most 2000 chars",
                "");
        return TAMIS_ERR_INVALID;
    }
    if (!secret_len || secret_len > SECRET_MAX) {
        set_err(err, errlen, "%s%s", "the secret must be 1 to 1024 bytes", "");
        return TAMIS_ERR_INVALID;
    }
    tamis_webhook_options o = {0};
    if (opts)
        o = *opts;
    if (o.max_attempts < 0 || o.backoff_base < 0 || o.backoff_max < 0 || o.timeout < 0 ||
        o.jitter > 1 || !isfinite(o.backoff_base) || !isfinite(o.backoff_max) ||
        !isfinite(o.timeout) || isnan(o.jitter)) {
        set_err(err, errlen, "%s%s", "an option is out of range", "");
        return TAMIS_ERR_INVALID;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        set_err(err, errlen, "curl_global_init: %s%s", curl_easy_strerror(curl_init_rc), "");
        return TAMIS_ERR_INTERNAL;
    }
    tamis_webhook *wh = tamis__calloc(1, sizeof *wh);
    if (!wh) {
        set_err(err, errlen, "%s%s", "out of memory", "");
        return TAMIS_ERR_NOMEM;
    }
    wh->lock_fd = -1;
    pthread_mutex_init(&wh->mu, NULL);
    pthread_mutex_init(&wh->pass_mu, NULL);
    wh->dir = tamis__malloc(strlen(dir) + 1);
    tamis_status st = TAMIS_ERR_NOMEM;
    if (!wh->dir)
        goto fail_msg;
    strcpy(wh->dir, dir);
    snprintf(wh->url, sizeof wh->url, "%s", url);
    memcpy(wh->secret, secret, secret_len);
    wh->secret_len = secret_len;
    wh->max_attempts = o.max_attempts ? o.max_attempts : DEFAULT_MAX_ATTEMPTS;
    wh->base = o.backoff_base > 0 ? o.backoff_base : DEFAULT_BACKOFF_BASE;
    wh->cap = o.backoff_max > 0 ? o.backoff_max : DEFAULT_BACKOFF_MAX;
    wh->jitter = o.jitter == 0 ? DEFAULT_JITTER : o.jitter < 0 ? 0 : o.jitter;
    wh->timeout = o.timeout > 0 ? o.timeout : DEFAULT_TIMEOUT;
    wh->max_body = o.max_body ? o.max_body : DEFAULT_MAX_BODY;
    wh->clock = o.clock;

    st = TAMIS_ERR_IO;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        set_err(err, errlen, "%s: %s", dir, strerror(errno));
        goto fail;
    }
    for (int s = 0; s < 3; s++) {
        char *p = path_of(wh, s, "");
        if (!p) {
            st = TAMIS_ERR_NOMEM;
            goto fail_msg;
        }
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            set_err(err, errlen, "%s: %s", p, strerror(errno));
            tamis__free(p);
            goto fail;
        }
        tamis__free(p);
    }
    fsync_dir(dir);
    {
        size_t n = strlen(dir) + 8;
        char *lp = tamis__malloc(n);
        if (!lp) {
            st = TAMIS_ERR_NOMEM;
            goto fail_msg;
        }
        snprintf(lp, n, "%s/lock", dir);
        wh->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        int e = errno;
        tamis__free(lp);
        if (wh->lock_fd < 0) {
            set_err(err, errlen, "%s/lock: %s", dir, strerror(e));
            goto fail;
        }
        if (flock(wh->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            st = errno == EWOULDBLOCK ? TAMIS_ERR_EXISTS : TAMIS_ERR_IO;
            set_err(err, errlen, "%s: %s", dir,
                    st == TAMIS_ERR_EXISTS ? "the outbox is open elsewhere" : strerror(errno));
            goto fail;
        }
    }
    st = load(wh);
    if (st != TAMIS_OK) {
        set_err(err, errlen, "%s%s", wh->err.msg[0] ? wh->err.msg : tamis_strerror(st), "");
        goto fail;
    }
    wh->curl = curl_easy_init();
    if (!wh->curl) {
        st = TAMIS_ERR_INTERNAL;
        set_err(err, errlen, "%s%s", "curl_easy_init failed", "");
        goto fail;
    }
    *out = wh;
    return TAMIS_OK;
fail_msg:
    set_err(err, errlen, "%s%s", tamis_strerror(st), "");
fail:
    tamis_webhook_close(wh);
    return st;
}

void tamis_webhook_close(tamis_webhook *wh) {
    if (!wh)
        return;
    if (wh->curl)
        curl_easy_cleanup(wh->curl);
    if (wh->lock_fd >= 0)
        close(wh->lock_fd); /* releases the lock */
    OPENSSL_cleanse(wh->secret, sizeof wh->secret);
    pthread_mutex_destroy(&wh->mu);
    pthread_mutex_destroy(&wh->pass_mu);
    tamis__free(wh->due);
    tamis__free(wh->dir);
    tamis__free(wh);
}

const char *tamis_webhook_errmsg(const tamis_webhook *wh) {
    return wh ? wh->err.msg : "no outbox";
}

/* ---- enqueue ------------------------------------------------------------------ */

static tamis_status new_id(char id[TAMIS_WEBHOOK_ID_LEN + 1]) {
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return TAMIS_ERR_INTERNAL;
    tamis_hex_encode(b, sizeof b, id);
    id[TAMIS_WEBHOOK_ID_LEN] = 0;
    return TAMIS_OK;
}

tamis_status tamis_webhook_enqueue(tamis_webhook *wh, const char *type, const char *json,
                                   size_t len, char id[TAMIS_WEBHOOK_ID_LEN + 1]) {
    if (id)
        id[0] = 0;
    if (!wh)
        return TAMIS_ERR_INVALID;
    if (!type || !valid_type(type, strlen(type)))
        return tamis__fail(&wh->err, TAMIS_ERR_INVALID,
                           "an event type is 1 to 64 characters of A-Z a-z 0-9 . _ -");
    if (!json || !len)
        return tamis__fail(&wh->err, TAMIS_ERR_INVALID, "no JSON");
    if (len > wh->max_body)
        return tamis__fail(&wh->err, TAMIS_ERR_TOO_LARGE, "%zu bytes of JSON, over %zu", len,
                           wh->max_body);
    json_error_t je;
    json_t *j = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return tamis__fail(&wh->err, TAMIS_ERR_INVALID, "not JSON: %s (at byte %d)", je.text,
                           je.position);
    json_decref(j);

    tamis__webhook_record r;
    memset(&r, 0, sizeof r);
    tamis_status st = new_id(r.id);
    if (st != TAMIS_OK)
        return tamis__fail(&wh->err, st, "RAND_bytes failed");
    snprintf(r.type, sizeof r.type, "%s", type);
    r.state = TAMIS_WEBHOOK_PENDING;
    r.created_us = now_us(wh);
    r.next_us = r.created_us;
    snprintf(r.target, sizeof r.target, "%s", wh->url);
    size_t cap = len + 256;
    char *body = tamis__malloc(cap);
    if (!body)
        return tamis__fail(&wh->err, TAMIS_ERR_NOMEM, "out of memory");
    int n = snprintf(body, cap, "{\"id\":\"%s\",\"type\":\"%s\",\"created\":%lld,\"data\":", r.id,
                     r.type, (long long)(r.created_us / 1000000));
    memcpy(body + n, json, len);
    body[(size_t)n + len] = '}';
    r.body = body;
    r.body_len = (size_t)n + len + 1;

    pthread_mutex_lock(&wh->mu);
    st = due_add(wh, r.id, r.created_us, r.next_us);
    if (st == TAMIS_OK) {
        st = write_record(wh, &r);
        if (st != TAMIS_OK)
            due_remove(wh, r.id);
    } else {
        tamis__fail(&wh->err, st, "out of memory");
    }
    pthread_mutex_unlock(&wh->mu);
    tamis__free(body);
    if (st == TAMIS_OK && id)
        memcpy(id, r.id, TAMIS_WEBHOOK_ID_LEN + 1);
    return st;
}

/* ---- delivery ------------------------------------------------------------------ */

typedef struct response {
    char head[128]; /* the start of the answer's body, for the error */
    size_t n;
} response;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx) {
    response *r = ctx;
    size_t n = size * nmemb, room = sizeof r->head - 1 - r->n;
    memcpy(r->head + r->n, p, n < room ? n : room);
    r->n += n < room ? n : room;
    return n;
}

/* Control characters become spaces, so that the text fits on a line. */
static void set_text(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src);
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* One POST of the record's body. Returns the HTTP status (0: none came)
 * and whether it delivered; `error` gets what went wrong. Returns -1 when
 * no request could be made for a reason of ours (memory): that is not an
 * attempt. */
static int post(tamis_webhook *wh, const tamis__webhook_record *r, int *delivered,
                char error[TAMIS_WEBHOOK_ERROR_MAX + 1]) {
    *delivered = 0;
    error[0] = 0;
    int64_t ts = (int64_t)floor(tamis_clock_now(wh->clock));
    char sig[TAMIS_WEBHOOK_SIGNATURE_LEN + 1];
    if (tamis_webhook_sign(wh->secret, wh->secret_len, ts, r->body, r->body_len, sig) !=
        TAMIS_OK) {
        set_text(error, TAMIS_WEBHOOK_ERROR_MAX + 1, "cannot sign the event");
        return -1;
    }
    char h_id[64], h_type[96], h_ts[48], h_sig[96];
    snprintf(h_id, sizeof h_id, "Tamis-Event-Id: %s", r->id);
    snprintf(h_type, sizeof h_type, "Tamis-Event-Type: %s", r->type);
    snprintf(h_ts, sizeof h_ts, "Tamis-Timestamp: %lld", (long long)ts);
    snprintf(h_sig, sizeof h_sig, "Tamis-Signature: %s", sig);
    const char *lines[] = {"Content-Type: application/json", h_id, h_type, h_ts, h_sig,
                           "Expect:"};
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        struct curl_slist *n = curl_slist_append(hdrs, lines[i]);
        if (!n) {
            curl_slist_free_all(hdrs);
            set_text(error, TAMIS_WEBHOOK_ERROR_MAX + 1, "out of memory");
            return -1;
        }
        hdrs = n;
    }
    CURL *c = wh->curl;
    curl_easy_reset(c); /* keeps its connections */
    char cerr[CURL_ERROR_SIZE] = "";
    response resp = {{0}, 0};
    long ms = (long)(wh->timeout * 1000);
    curl_easy_setopt(c, CURLOPT_URL, wh->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* none, whatever the environment says */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tamis/" TAMIS_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    char msg[TAMIS_WEBHOOK_ERROR_MAX + 1];
    if (rc != CURLE_OK) {
        snprintf(msg, sizeof msg, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    } else if (code >= 200 && code <= 299) {
        *delivered = 1;
        msg[0] = 0;
    } else if (code >= 300 && code <= 399) {
        char *loc = NULL;
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
        snprintf(msg, sizeof msg, "HTTP %ld: redirect to %.120s not followed", code,
                 loc ? loc : "(no Location)");
    } else {
        resp.head[resp.n] = 0;
        snprintf(msg, sizeof msg, "HTTP %ld%s%.120s", code, resp.n ? ": " : "", resp.head);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    set_text(error, TAMIS_WEBHOOK_ERROR_MAX + 1, msg);
    return rc == CURLE_OK || code > 0 ? (int)code : 0;
}

/* The delay after the `attempts`-th failure: base * 2^(attempts - 1),
 * capped, less a random share of at most `jitter` (so that events that
 * failed together are not all retried at the same instant). */
static double backoff(const tamis_webhook *wh, int attempts) {
    double d = wh->base * ldexp(1.0, attempts - 1 < 1000 ? attempts - 1 : 1000);
    if (!(d <= wh->cap))
        d = wh->cap;
    if (wh->jitter > 0) {
        uint64_t x = 0;
        if (RAND_bytes((unsigned char *)&x, sizeof x) == 1)
            d -= d * wh->jitter * ((double)(x >> 11) * 0x1p-53);
    }
    return d;
}

tamis_status tamis_webhook_deliver_due(tamis_webhook *wh, tamis_webhook_pass *res) {
    tamis_webhook_pass r;
    memset(&r, 0, sizeof r);
    if (res)
        *res = r;
    if (!wh)
        return TAMIS_ERR_INVALID;
    pthread_mutex_lock(&wh->pass_mu);
    pthread_mutex_lock(&wh->mu);
    int64_t now = now_us(wh);
    due_entry *due = NULL;
    size_t ndue = 0;
    tamis_status st = TAMIS_OK;
    if (wh->ndue) {
        due = tamis__malloc(wh->ndue * sizeof *due);
        if (!due)
            st = tamis__fail(&wh->err, TAMIS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; due && i < wh->ndue; i++)
            if (wh->due[i].next_us <= now)
                due[ndue++] = wh->due[i];
    }
    pthread_mutex_unlock(&wh->mu);
    if (ndue)
        qsort(due, ndue, sizeof *due, due_cmp);

    int unreachable = 0;
    for (size_t i = 0; st == TAMIS_OK && i < ndue; i++) {
        if (unreachable) {
            r.deferred++;
            continue;
        }
        tamis__webhook_record rec;
        char *buf = NULL;
        pthread_mutex_lock(&wh->mu);
        tamis_status rs = read_record(wh, TAMIS_WEBHOOK_PENDING, due[i].id, &rec, &buf);
        if (rs == TAMIS_ERR_CORRUPT || rs == TAMIS_ERR_NOT_FOUND)
            due_remove(wh, due[i].id); /* damaged or gone: left on disk, not retried */
        pthread_mutex_unlock(&wh->mu);
        if (rs != TAMIS_OK) {
            if (rs == TAMIS_ERR_NOMEM || rs == TAMIS_ERR_IO)
                st = rs;
            continue;
        }
        int delivered;
        char error[TAMIS_WEBHOOK_ERROR_MAX + 1];
        int code = post(wh, &rec, &delivered, error);
        if (code < 0) {
            st = tamis__fail(&wh->err, TAMIS_ERR_NOMEM, "%s: %s", rec.id, error);
            tamis__free(buf);
            break;
        }
        r.attempted++;
        int64_t t = now_us(wh);
        rec.attempts++;
        rec.last_attempt_us = t;
        rec.last_status = code;
        snprintf(rec.last_error, sizeof rec.last_error, "%s", error);
        snprintf(rec.target, sizeof rec.target, "%s", wh->url);
        if (delivered) {
            rec.state = TAMIS_WEBHOOK_DELIVERED;
            rec.delivered_us = t;
            r.delivered++;
        } else if (rec.attempts >= wh->max_attempts) {
            rec.state = TAMIS_WEBHOOK_DEAD;
            r.dead++;
        } else {
            rec.next_us = t + llround(backoff(wh, rec.attempts) * 1e6);
            r.failed++;
        }
        if (!delivered && code == 0)
            unreachable = 1;
        pthread_mutex_lock(&wh->mu);
        st = write_record(wh, &rec);
        if (st == TAMIS_OK && rec.state != TAMIS_WEBHOOK_PENDING)
            st = remove_record(wh, TAMIS_WEBHOOK_PENDING, rec.id);
        if (st == TAMIS_OK) {
            if (rec.state == TAMIS_WEBHOOK_PENDING)
                due_add(wh, rec.id, rec.created_us, rec.next_us); /* present: no allocation */
            else
                due_remove(wh, rec.id);
        }
        pthread_mutex_unlock(&wh->mu);
        tamis__free(buf);
    }
    tamis__free(due);
    pthread_mutex_lock(&wh->mu);
    r.pending = wh->ndue;
    for (size_t i = 0; i < wh->ndue; i++)
        if (r.next_due == 0 || (double)wh->due[i].next_us / 1e6 < r.next_due)
            r.next_due = (double)wh->due[i].next_us / 1e6;
    pthread_mutex_unlock(&wh->mu);
    pthread_mutex_unlock(&wh->pass_mu);
    if (res)
        *res = r;
    return st;
}

/* ---- status ------------------------------------------------------------------------ */

static void to_event(const tamis__webhook_record *r, tamis_webhook_event *e) {
    memset(e, 0, sizeof *e);
    memcpy(e->id, r->id, sizeof e->id);
    memcpy(e->type, r->type, sizeof e->type);
    e->state = (tamis_webhook_state)r->state;
    e->attempts = r->attempts;
    e->created = (double)r->created_us / 1e6;
    e->next_attempt = r->state == TAMIS_WEBHOOK_PENDING ? (double)r->next_us / 1e6 : 0;
    e->last_attempt = (double)r->last_attempt_us / 1e6;
    e->delivered_at = (double)r->delivered_us / 1e6;
    e->last_status = r->last_status;
    memcpy(e->last_error, r->last_error, sizeof e->last_error);
}

static int event_cmp(const void *a, const void *b) {
    const tamis_webhook_event *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

tamis_status tamis_webhook_list(tamis_webhook *wh, int state, tamis_webhook_event **out,
                                size_t *n) {
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!wh || !out || !n || state > 2)
        return TAMIS_ERR_INVALID;
    tamis_webhook_event *ev = NULL;
    size_t cnt = 0, cap = 0;
    tamis_status st = TAMIS_OK;
    pthread_mutex_lock(&wh->mu);
    for (int s = 0; s < 3 && st == TAMIS_OK; s++) {
        if (state >= 0 && s != state)
            continue;
        char *dir = path_of(wh, s, "");
        DIR *d = dir ? opendir(dir) : NULL;
        if (!d) {
            st = dir ? tamis__fail(&wh->err, TAMIS_ERR_IO, "%s: %s", dir, strerror(errno))
                     : TAMIS_ERR_NOMEM;
            tamis__free(dir);
            break;
        }
        struct dirent *de;
        while (st == TAMIS_OK && (de = readdir(d))) {
            char id[TAMIS_WEBHOOK_ID_LEN + 1];
            if (!event_name(de->d_name, id))
                continue;
            tamis__webhook_record r;
            char *buf;
            tamis_status rs = read_record(wh, s, id, &r, &buf);
            if (rs == TAMIS_ERR_NOMEM || rs == TAMIS_ERR_IO)
                st = rs;
            if (rs != TAMIS_OK)
                continue;
            if (cnt == cap) {
                size_t c = cap ? cap * 2 : 16, bytes;
                tamis_webhook_event *m =
                    tamis__mul_size(c, sizeof *ev, &bytes) ? tamis__realloc(ev, bytes) : NULL;
                if (!m) {
                    st = TAMIS_ERR_NOMEM;
                    tamis__free(buf);
                    break;
                }
                ev = m, cap = c;
            }
            to_event(&r, &ev[cnt++]);
            tamis__free(buf);
        }
        closedir(d);
        tamis__free(dir);
    }
    pthread_mutex_unlock(&wh->mu);
    if (st != TAMIS_OK) {
        tamis__free(ev);
        return st;
    }
    if (cnt)
        qsort(ev, cnt, sizeof *ev, event_cmp);
    *out = ev;
    *n = cnt;
    return TAMIS_OK;
}

void tamis_webhook_events_free(tamis_webhook_event *events) { tamis__free(events); }

tamis_status tamis_webhook_get(tamis_webhook *wh, const char *id, tamis_webhook_event *ev) {
    if (!wh || !id || !ev)
        return TAMIS_ERR_INVALID;
    memset(ev, 0, sizeof *ev);
    if (!valid_id(id, strlen(id)))
        return TAMIS_ERR_NOT_FOUND;
    tamis_status st = TAMIS_ERR_NOT_FOUND;
    pthread_mutex_lock(&wh->mu);
    /* later states first: a move interrupted by a crash leaves two files */
    for (int s = 2; s >= 0 && st == TAMIS_ERR_NOT_FOUND; s--) {
        tamis__webhook_record r;
        char *buf;
        st = read_record(wh, s, id, &r, &buf);
        if (st == TAMIS_OK)
            to_event(&r, ev);
        tamis__free(buf);
    }
    pthread_mutex_unlock(&wh->mu);
    return st;
}

tamis_status tamis_webhook_retry(tamis_webhook *wh, const char *id) {
    if (!wh || !id)
        return TAMIS_ERR_INVALID;
    if (!valid_id(id, strlen(id)))
        return tamis__fail(&wh->err, TAMIS_ERR_NOT_FOUND, "no dead event %s", id);
    pthread_mutex_lock(&wh->mu);
    tamis__webhook_record r;
    char *buf;
    tamis_status st = read_record(wh, TAMIS_WEBHOOK_DEAD, id, &r, &buf);
    if (st == TAMIS_ERR_NOT_FOUND)
        tamis__fail(&wh->err, st, "no dead event %s", id);
    if (st == TAMIS_OK) {
        r.state = TAMIS_WEBHOOK_PENDING;
        r.attempts = 0;
        r.next_us = now_us(wh);
        st = due_add(wh, r.id, r.created_us, r.next_us);
        if (st == TAMIS_OK)
            st = write_record(wh, &r);
        if (st == TAMIS_OK)
            st = remove_record(wh, TAMIS_WEBHOOK_DEAD, r.id);
        if (st != TAMIS_OK) {
            /* still dead: open() prefers dead/ to pending/ */
            due_remove(wh, r.id);
            remove_record(wh, TAMIS_WEBHOOK_PENDING, r.id);
        }
        tamis__free(buf);
    }
    pthread_mutex_unlock(&wh->mu);
    return st;
}

tamis_status tamis_webhook_purge(tamis_webhook *wh, double before, size_t *removed) {
    if (removed)
        *removed = 0;
    if (!wh)
        return TAMIS_ERR_INVALID;
    int64_t lim = llround(before * 1e6);
    tamis_status st = TAMIS_OK;
    pthread_mutex_lock(&wh->mu);
    char *dir = path_of(wh, TAMIS_WEBHOOK_DELIVERED, "");
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        st = dir ? tamis__fail(&wh->err, TAMIS_ERR_IO, "%s: %s", dir, strerror(errno))
                 : TAMIS_ERR_NOMEM;
    } else {
        struct dirent *de;
        while (st == TAMIS_OK && (de = readdir(d))) {
            char id[TAMIS_WEBHOOK_ID_LEN + 1];
            if (!event_name(de->d_name, id))
                continue;
            tamis__webhook_record r;
            char *buf;
            tamis_status rs = read_record(wh, TAMIS_WEBHOOK_DELIVERED, id, &r, &buf);
            if (rs == TAMIS_OK && r.delivered_us < lim) {
                st = remove_record(wh, TAMIS_WEBHOOK_DELIVERED, id);
                if (st == TAMIS_OK && removed)
                    ++*removed;
            }
            tamis__free(buf);
        }
        closedir(d);
    }
    tamis__free(dir);
    pthread_mutex_unlock(&wh->mu);
    return st;
}
