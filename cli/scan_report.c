/*
 * scan_report.c - the report of `tamis scan`: one line per file in JSON
 * Lines and in CSV, the set of paths a report already holds, and reading
 * a report back to resume an interrupted scan (doc/scan.md).
 *
 * The report is the scan's journal: a file is done when its line is in
 * the report. Resuming reads the lines, drops a last line torn by a crash,
 * and skips the paths found, so that each file ends up in exactly one
 * line.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "scan.h"

/* ---- Results ---------------------------------------------------------- */

void scan_result_clear(scan_result *r) {
    free(r->path);
    free(r->vpdq);
    for (size_t i = 0; i < r->nm; i++) {
        free(r->m[i].bank);
        free(r->m[i].id);
    }
    free(r->m);
    memset(r, 0, sizeof *r);
}

int scan_result_add_match(scan_result *r, const char *bank, const char *id, const char *signal,
                          int distance, int frame, double timestamp, const double *score,
                          int nscore) {
    if (r->nm == r->capm) {
        size_t cap = r->capm ? 2 * r->capm : 4;
        scan_match *m = realloc(r->m, cap * sizeof *m);
        if (!m)
            return -1;
        r->m = m, r->capm = cap;
    }
    scan_match *m = &r->m[r->nm];
    memset(m, 0, sizeof *m);
    m->bank = strdup(bank);
    m->id = strdup(id);
    if (!m->bank || !m->id) {
        free(m->bank);
        free(m->id);
        return -1;
    }
    m->signal = signal;
    m->distance = distance;
    m->frame = frame;
    m->timestamp = timestamp;
    m->nscore = nscore < 0 ? 0 : nscore > 2 ? 2 : nscore;
    for (int i = 0; i < m->nscore; i++)
        m->score[i] = score[i];
    r->nm++;
    return 0;
}

static int same_item(const scan_match *a, const scan_match *b) {
    return strcmp(a->bank, b->bank) == 0 && strcmp(a->id, b->id) == 0 &&
           strcmp(a->signal, b->signal) == 0;
}

static int match_cmp(const void *pa, const void *pb) {
    const scan_match *a = pa, *b = pb;
    int c = strcmp(a->bank, b->bank);
    if (c)
        return c;
    if ((c = strcmp(a->id, b->id)) != 0)
        return c;
    if ((c = strcmp(a->signal, b->signal)) != 0)
        return c;
    if (a->distance != b->distance)
        return a->distance < b->distance ? -1 : 1;
    return a->frame < b->frame ? -1 : a->frame > b->frame;
}

static int match_cmp_out(const void *pa, const void *pb) {
    const scan_match *a = pa, *b = pb;
    int c = strcmp(a->bank, b->bank);
    if (c)
        return c;
    if (a->distance != b->distance)
        return a->distance < b->distance ? -1 : 1;
    if ((c = strcmp(a->id, b->id)) != 0)
        return c;
    return strcmp(a->signal, b->signal);
}

void scan_result_sort_matches(scan_result *r) {
    if (r->nm < 2)
        return;
    /* Nearest first within each item, then one entry per item: a video
     * has many frames that may match the same bank hash. */
    qsort(r->m, r->nm, sizeof *r->m, match_cmp);
    size_t k = 0;
    for (size_t i = 0; i < r->nm; i++) {
        if (k > 0 && same_item(&r->m[k - 1], &r->m[i])) {
            free(r->m[i].bank);
            free(r->m[i].id);
            continue;
        }
        r->m[k++] = r->m[i];
    }
    r->nm = k;
    qsort(r->m, r->nm, sizeof *r->m, match_cmp_out);
}

/* ---- Lines ------------------------------------------------------------ */

static const char *status_name(int s) {
    return s == SCAN_OK ? "ok" : s == SCAN_SKIPPED ? "skipped" : "error";
}

static const char *type_name(int t) {
    switch (t) {
    case SCAN_IMAGE: return "image";
    case SCAN_VIDEO: return "video";
    case SCAN_TEXT: return "text";
    default: return "other";
    }
}

/* Returns 1 if s is valid UTF-8 without control characters that JSON
 * readers would have to unescape to something else than the bytes. */
static int utf8_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        int k;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 2, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            k = 3, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 4, min = 0x10000;
        else
            return 0;
        if (i + (size_t)k > n)
            return 0;
        cp = c & (0x7fu >> k);
        for (int j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += (size_t)k;
    }
    return 1;
}

static void put_hex(FILE *f, const uint8_t *b, size_t n) {
    char buf[2 * 64 + 1];
    tamis_hex_encode(b, n, buf);
    fputs(buf, f);
}

static void format_time(const struct timespec *t, char out[32]) {
    struct tm tm;
    time_t s = t->tv_sec;
    if (!gmtime_r(&s, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t->tv_sec);
}

/* The matches as a JSON array. */
static void put_matches(FILE *f, const scan_result *r) {
    fputc('[', f);
    for (size_t i = 0; i < r->nm; i++) {
        const scan_match *m = &r->m[i];
        fputs(i ? ",{\"bank\":" : "{\"bank\":", f);
        json_write_string(f, m->bank);
        fputs(",\"id\":", f);
        json_write_string(f, m->id);
        fprintf(f, ",\"signal\":\"%s\",\"distance\":%d", m->signal, m->distance);
        if (m->frame >= 0)
            fprintf(f, ",\"frame\":%d,\"timestamp\":%.3f", m->frame, m->timestamp);
        if (m->nscore == 1)
            fprintf(f, ",\"score\":%.4g", m->score[0]);
        else if (m->nscore == 2)
            fprintf(f, ",\"score\":[%.4g,%.4g]", m->score[0], m->score[1]);
        fputc('}', f);
    }
    fputc(']', f);
}

static char *finish(FILE *f, char **buf, size_t *len) {
    if (fclose(f) != 0) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

char *scan_json_line(const scan_result *r, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    size_t plen = strlen(r->path);
    fputs("{\"path\":", f);
    json_write_string(f, r->path);
    if (!utf8_valid((const unsigned char *)r->path, plen)) {
        /* The name as bytes, since its JSON string cannot say them. */
        fputs(",\"path_hex\":\"", f);
        put_hex(f, (const uint8_t *)r->path, plen);
        fputc('"', f);
    }
    char mt[32];
    format_time(&r->mtime, mt);
    fprintf(f, ",\"kind\":\"%s\",\"size\":%lld,\"mtime\":\"%s\",\"status\":\"%s\"", r->kind,
            r->size, mt, status_name(r->status));
    if (r->status == SCAN_ERROR) {
        fputs(",\"error\":", f);
        json_write_string(f, r->reason);
    } else if (r->status == SCAN_SKIPPED) {
        fputs(",\"skipped\":", f);
        json_write_string(f, r->reason);
    }
    if (r->status == SCAN_OK) {
        fprintf(f, ",\"type\":\"%s\"", type_name(r->type));
        if (r->type == SCAN_IMAGE) {
            char pdq[TAMIS_PDQ_HEX_LEN + 1];
            tamis_pdq_to_hex(&r->img.pdq, pdq);
            fprintf(f,
                    ",\"format\":\"%s\",\"width\":%d,\"height\":%d,\"pdq\":\"%s\","
                    "\"quality\":%d,\"low_quality\":%s",
                    tamis_image_format_name(r->img.format), r->img.width, r->img.height, pdq,
                    r->img.quality, r->img.quality < TAMIS_PDQ_MIN_QUALITY ? "true" : "false");
        } else if (r->type == SCAN_VIDEO) {
            fputs(",\"format\":\"video\",\"container\":", f);
            json_write_string(f, r->vinfo.container ? r->vinfo.container : "");
            fputs(",\"codec\":", f);
            json_write_string(f, r->vinfo.codec ? r->vinfo.codec : "");
            fprintf(f,
                    ",\"width\":%d,\"height\":%d,\"frame_rate\":%.6g,\"duration\":%.3f,"
                    "\"frames\":%zu,\"low_quality\":%s",
                    r->vinfo.width, r->vinfo.height, r->vinfo.frame_rate, r->vinfo.duration,
                    r->frames, r->frames_quality ? "false" : "true");
        } else if (r->type == SCAN_TEXT) {
            fprintf(f, ",\"text_exact\":\"%s\"", r->text.exact);
            if (r->text.near[0])
                fprintf(f, ",\"text_near\":\"%s\"", r->text.near);
            else
                fputs(",\"text_near\":null", f);
            if (r->text.tlsh[0])
                fprintf(f, ",\"text_tlsh\":\"%s\"", r->text.tlsh);
            else
                fputs(",\"text_tlsh\":null", f);
        }
        if (r->has_digests) {
            fputs(",\"md5\":\"", f);
            put_hex(f, r->digests.md5, TAMIS_MD5_BYTES);
            fputs("\",\"sha256\":\"", f);
            put_hex(f, r->digests.sha256, TAMIS_SHA256_BYTES);
            fputc('"', f);
        }
        if (r->type == SCAN_VIDEO && r->vpdq) /* already JSON: an array of strings */
            fprintf(f, ",\"vpdq\":%s", r->vpdq);
    }
    fputs(",\"matches\":", f);
    put_matches(f, r);
    fputs("}\n", f);
    return finish(f, &buf, len);
}

const char scan_csv_header[] =
    "path,kind,size,mtime,status,reason,type,format,width,height,quality,pdq,md5,sha256,"
    "frames,duration,text_exact,text_near,text_tlsh,match_count,matches\n";

/* A CSV field, always quoted: quotes doubled, everything else as is
 * (RFC 4180; a newline in a file name stays inside the quotes). */
static void csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

char *scan_csv_line(const scan_result *r, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    char mt[32];
    format_time(&r->mtime, mt);
    csv_field(f, r->path);
    fprintf(f, ",%s,%lld,%s,%s,", r->kind, r->size, mt, status_name(r->status));
    if (r->status != SCAN_OK)
        csv_field(f, r->reason);
    fputc(',', f);
    if (r->status == SCAN_OK)
        fputs(type_name(r->type), f);
    fputc(',', f);
    if (r->status == SCAN_OK && r->type == SCAN_IMAGE) {
        char pdq[TAMIS_PDQ_HEX_LEN + 1];
        tamis_pdq_to_hex(&r->img.pdq, pdq);
        fprintf(f, "%s,%d,%d,%d,%s,", tamis_image_format_name(r->img.format), r->img.width,
                r->img.height, r->img.quality, pdq);
    } else if (r->status == SCAN_OK && r->type == SCAN_VIDEO) {
        fprintf(f, "video,%d,%d,,,", r->vinfo.width, r->vinfo.height);
    } else {
        fputs(",,,,,", f);
    }
    if (r->status == SCAN_OK && r->has_digests) {
        put_hex(f, r->digests.md5, TAMIS_MD5_BYTES);
        fputc(',', f);
        put_hex(f, r->digests.sha256, TAMIS_SHA256_BYTES);
    } else {
        fputc(',', f);
    }
    fputc(',', f);
    if (r->status == SCAN_OK && r->type == SCAN_VIDEO)
        fprintf(f, "%zu,%.3f", r->frames, r->vinfo.duration);
    else
        fputc(',', f);
    fputc(',', f);
    if (r->status == SCAN_OK && r->type == SCAN_TEXT)
        fprintf(f, "%s,%s,%s", r->text.exact, r->text.near, r->text.tlsh);
    else
        fputs(",,", f);
    fprintf(f, ",%zu,", r->nm);
    /* The matches as the JSON report has them, in one quoted field. */
    char *mj = NULL;
    size_t mlen = 0;
    FILE *mf = open_memstream(&mj, &mlen);
    if (!mf) {
        fclose(f);
        free(buf);
        return NULL;
    }
    put_matches(mf, r);
    if (fclose(mf) != 0) {
        fclose(f);
        free(buf);
        return NULL;
    }
    csv_field(f, mj);
    free(mj);
    fputc('\n', f);
    return finish(f, &buf, len);
}

/* ---- The set of finished paths ----------------------------------------
 * SipHash-2-4 (Aumasson and Bernstein, 2012) under two random keys gives
 * each path 128 bits: with a billion paths the chance that two collide,
 * and a file is wrongly taken as done, is under 10^-20. */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
    do {                                                                       \
        v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);              \
        v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                 \
        v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                 \
        v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);              \
    } while (0)

static uint64_t siphash(const uint64_t k[2], const unsigned char *in, size_t len) {
    uint64_t v0 = 0x736f6d6570736575ull ^ k[0], v1 = 0x646f72616e646f6dull ^ k[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ k[0], v3 = 0x7465646279746573ull ^ k[1];
    uint64_t b = (uint64_t)len << 56;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t m = 0;
        for (int j = 0; j < 8; j++)
            m |= (uint64_t)in[i + j] << (8 * j);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    for (int j = 0; i < len; i++, j++)
        b |= (uint64_t)in[i] << (8 * j);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

int pathset_init(pathset *s) {
    memset(s, 0, sizeof *s);
    if (getrandom(s->key, sizeof s->key, 0) != (ssize_t)sizeof s->key) {
        /* No entropy source: a fixed key still works, only predictably. */
        s->key[0] = 0x0123456789abcdefull, s->key[1] = (uint64_t)getpid();
        s->key[2] = (uint64_t)time(NULL), s->key[3] = 0xfedcba9876543210ull;
    }
    return 0;
}

void pathset_free(pathset *s) {
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static void path_key(const pathset *s, const char *p, size_t len, uint64_t out[2]) {
    out[0] = siphash(s->key, (const unsigned char *)p, len);
    out[1] = siphash(s->key + 2, (const unsigned char *)p, len);
    if (out[0] == 0 && out[1] == 0)
        out[1] = 1; /* {0, 0} marks an empty slot */
}

static size_t slot_of(const pathset *s, const uint64_t k[2], int *found) {
    size_t mask = s->cap - 1, i = (size_t)k[0] & mask;
    for (;;) {
        const uint64_t *e = &s->slots[2 * i];
        if (e[0] == k[0] && e[1] == k[1]) {
            *found = 1;
            return i;
        }
        if (e[0] == 0 && e[1] == 0) {
            *found = 0;
            return i;
        }
        i = (i + 1) & mask;
    }
}

int pathset_has(const pathset *s, const char *path, size_t len) {
    if (s->n == 0)
        return 0;
    uint64_t k[2];
    int found;
    path_key(s, path, len, k);
    slot_of(s, k, &found);
    return found;
}

int pathset_add(pathset *s, const char *path, size_t len) {
    if (4 * (s->n + 1) > 3 * s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *slots = calloc(cap, 2 * sizeof *slots);
        if (!slots)
            return -1;
        pathset old = *s;
        s->slots = slots, s->cap = cap;
        for (size_t i = 0; i < old.cap; i++) {
            const uint64_t *e = &old.slots[2 * i];
            if (e[0] || e[1]) {
                int found;
                size_t j = slot_of(s, e, &found);
                s->slots[2 * j] = e[0], s->slots[2 * j + 1] = e[1];
            }
        }
        free(old.slots);
    }
    uint64_t k[2];
    int found;
    path_key(s, path, len, k);
    size_t i = slot_of(s, k, &found);
    if (found)
        return 0;
    s->slots[2 * i] = k[0], s->slots[2 * i + 1] = k[1];
    s->n++;
    return 1;
}

/* ---- Resuming ----------------------------------------------------------- */

/* Where the k-th complete line (record) of a report ends. */
typedef struct {
    FILE *f;
    const char *name;
    int csv;
    unsigned long long lines; /* complete records read */
    off_t end;                /* offset just after the last complete record */
} reader;

/* Reads the next complete record of a report into *line (a CSV record
 * may span lines inside quotes). Returns 1, 0 at the end (an incomplete
 * record at the end is not returned), -1 on a read error. */
static int next_record(reader *rd, char **line, size_t *cap, size_t *len) {
    size_t n = 0;
    int inq = 0, c;
    for (;;) {
        c = getc(rd->f);
        if (c == EOF)
            return ferror(rd->f) ? -1 : 0;
        if (n + 2 > *cap) {
            size_t nc = *cap ? 2 * *cap : 4096;
            char *p = realloc(*line, nc);
            if (!p)
                return -1;
            *line = p, *cap = nc;
        }
        (*line)[n++] = (char)c;
        if (rd->csv && c == '"')
            inq = !inq;
        if (c == '\n' && !inq)
            break;
    }
    (*line)[n] = '\0';
    *len = n;
    rd->end += (off_t)n;
    rd->lines++;
    return 1;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void count_prior(scan_prior *p, const char *status, unsigned long long nm) {
    if (!p)
        return;
    p->lines++;
    p->errors += status && strcmp(status, "error") == 0;
    p->skipped += status && strcmp(status, "skipped") == 0;
    p->matches += nm;
    p->files_matched += nm > 0;
}

/* The path of a JSON line: "path_hex" when present, else "path". */
static char *json_path(const char *line, size_t len, size_t *plen, scan_prior *prior) {
    json_error_t e;
    json_t *j = json_loadb(line, len, 0, &e);
    if (!j)
        return NULL;
    char *out = NULL;
    count_prior(prior, json_string_value(json_object_get(j, "status")),
                json_array_size(json_object_get(j, "matches")));
    const char *hex = json_string_value(json_object_get(j, "path_hex"));
    const char *p = json_string_value(json_object_get(j, "path"));
    if (hex && strlen(hex) % 2 == 0) {
        size_t n = strlen(hex) / 2;
        out = malloc(n + 1);
        for (size_t i = 0; out && i < n; i++) {
            int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                free(out);
                out = NULL;
                break;
            }
            out[i] = (char)(hi << 4 | lo);
        }
        if (out) {
            out[n] = '\0';
            *plen = n;
        }
    } else if (p) {
        out = strdup(p);
        *plen = out ? strlen(out) : 0;
    }
    json_decref(j);
    return out;
}

/* Field k (from 0) of a CSV record, unquoted, into out[cap]. */
static void csv_get(const char *line, size_t len, int k, char *out, size_t cap) {
    size_t i = 0, n = 0;
    for (int f = 0; f <= k && i < len; f++) {
        int inq = 0;
        n = 0;
        for (; i < len; i++) {
            char ch = line[i];
            if (inq && ch == '"' && i + 1 < len && line[i + 1] == '"') {
                i++;
            } else if (ch == '"') {
                inq = !inq;
                continue;
            } else if (!inq && (ch == ',' || ch == '\n')) {
                i++;
                break;
            }
            if (f == k && n + 1 < cap)
                out[n++] = ch;
        }
    }
    out[n] = '\0';
}

/* The path of a CSV record: its first field, quoted. */
static char *csv_path(const char *line, size_t len, size_t *plen, scan_prior *prior) {
    if (prior) {
        char status[16], nm[24];
        csv_get(line, len, 4, status, sizeof status);
        csv_get(line, len, 19, nm, sizeof nm);
        count_prior(prior, status, strtoull(nm, NULL, 10));
    }
    if (len < 2 || line[0] != '"')
        return NULL;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 1; i < len; i++) {
        if (line[i] == '"') {
            if (i + 1 < len && line[i + 1] == '"') {
                out[n++] = '"';
                i++;
                continue;
            }
            out[n] = '\0';
            *plen = n;
            return out;
        }
        out[n++] = line[i];
    }
    free(out);
    return NULL;
}

static int open_reader(reader *rd, const char *path, int csv, char *err, size_t errlen) {
    memset(rd, 0, sizeof *rd);
    rd->name = path;
    rd->csv = csv;
    if (!path)
        return 0;
    rd->f = fopen(path, "rb");
    if (!rd->f && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Counts the complete records of a report, or reads them into `done`. */
static int read_records(reader *rd, unsigned long long max, pathset *done, scan_prior *prior,
                        char *err, size_t errlen) {
    char *line = NULL;
    size_t cap = 0, len;
    int rc = 0;
    if (!rd->f)
        return 0;
    rewind(rd->f);
    rd->lines = 0;
    rd->end = 0;
    if (rd->csv) { /* the header */
        int r = next_record(rd, &line, &cap, &len);
        if (r < 0 || (r == 1 && strcmp(line, scan_csv_header) != 0)) {
            snprintf(err, errlen, "%s: not a report of tamis scan (its first line differs)",
                     rd->name);
            free(line);
            return -1;
        }
        rd->lines = 0;
    }
    while (rd->lines < max) {
        int r = next_record(rd, &line, &cap, &len);
        if (r < 0) {
            snprintf(err, errlen, "%s: read error", rd->name);
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        if (!done)
            continue;
        size_t plen = 0;
        char *p = rd->csv ? csv_path(line, len, &plen, prior) : json_path(line, len, &plen, prior);
        if (!p) {
            snprintf(err, errlen,
                     "%s: line %llu is not a line of tamis scan's report; cannot resume "
                     "from it",
                     rd->name, rd->lines + (rd->csv ? 1 : 0));
            rc = -1;
            break;
        }
        int added = pathset_add(done, p, plen);
        free(p);
        if (added < 0) {
            snprintf(err, errlen, "out of memory reading %s", rd->name);
            rc = -1;
            break;
        }
    }
    free(line);
    return rc;
}

int scan_resume_load(const char *json_path_, const char *csv_path_, pathset *done,
                     scan_prior *prior, char *err, size_t errlen) {
    reader j, c;
    memset(prior, 0, sizeof *prior);
    if (open_reader(&j, json_path_, 0, err, errlen) ||
        open_reader(&c, csv_path_, 1, err, errlen)) {
        if (j.f)
            fclose(j.f);
        return -1;
    }
    int rc = 0;
    unsigned long long max = ~0ull;
    if (j.f && c.f) {
        /* Both: the common prefix. */
        if (read_records(&j, max, NULL, NULL, err, errlen) ||
            read_records(&c, max, NULL, NULL, err, errlen))
            rc = -1;
        max = j.lines < c.lines ? j.lines : c.lines;
    } else if (json_path_ && csv_path_ && (j.f || c.f)) {
        max = 0; /* one of the two is missing: start both again */
    }
    if (rc == 0 && j.f)
        rc = read_records(&j, max, done, prior, err, errlen);
    if (rc == 0 && c.f)
        rc = read_records(&c, max, j.f ? NULL : done, j.f ? NULL : prior, err, errlen);
    /* Cut each after its last line kept. */
    reader *rs[2] = {&j, &c};
    for (int i = 0; i < 2 && rc == 0; i++) {
        reader *rd = rs[i];
        if (!rd->f)
            continue;
        off_t end = rd->end;
        if (rd->csv && rd->lines == 0)
            end = 0; /* rewritten with its header */
        if (truncate(rd->name, end) != 0) {
            snprintf(err, errlen, "%s: cannot cut the torn last line: %s", rd->name,
                     strerror(errno));
            rc = -1;
        }
    }
    if (j.f)
        fclose(j.f);
    if (c.f)
        fclose(c.f);
    return rc;
}
