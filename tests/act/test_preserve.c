/*
 * test_preserve.c - lib/act/preserve.c on a simulated clock: content
 * preserved is unreadable without its key and after any change to its
 * file, kept for its retention and under legal hold, gone after a purge;
 * every access reaches the callback; a crash before the rename leaves
 * nothing visible; bad key files are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/act/preserve.h"
#include "../test.h"
#include "tamis.h"

#define T0 1767225600.0 /* 2026-01-01 */
#define DAY 86400.0

static double sim_now(void *ctx) { return *(double *)ctx; }

typedef struct {
    int n;
    char log[2048];
} recorder;

static void record(void *ctx, const char *action, const char *id) {
    recorder *r = ctx;
    r->n++;
    size_t l = strlen(r->log);
    snprintf(r->log + l, sizeof r->log - l, "%s%s:%s", l ? " " : "", action, id);
}

typedef struct {
    double t;
    tamis_clock clock;
    recorder rec;
    char dir[512], key[512];
    tamis_preserve_store *s;
} fixture;

static void setup(fixture *f) {
    memset(f, 0, sizeof *f);
    f->t = T0;
    f->clock.now = sim_now;
    f->clock.ctx = &f->t;
    snprintf(f->dir, sizeof f->dir, "%s/store", tmp_dir());
    snprintf(f->key, sizeof f->key, "%s/preserve.key", tmp_dir());
    char err[256] = "";
    ASSERT_OK(tamis_preserve_keygen(f->key, err, sizeof err));
    ASSERT_OK(tamis_preserve_open(f->dir, f->key, &f->clock, record, &f->rec, &f->s, err,
                                  sizeof err));
}

static const char CONTENT[] = "PROPAGANDA-VIDEO-BYTES: a marker that must not appear on disk";
static const char META[] = "{\"bank\":\"TCAP\",\"item\":\"42\",\"signal\":\"pdq\","
                           "\"reason\":\"TCO Art 3 order\",\"order\":\"FR-2026-0017\"}";

static void put(fixture *f, const char *id, int64_t retention) {
    int64_t exp;
    ASSERT_OK(tamis_preserve_put(f->s, id, CONTENT, sizeof CONTENT - 1, "video/mp4", META,
                                 retention, &exp));
    ASSERT_EQ(exp, (int64_t)f->t + (retention ? retention : TAMIS_PRESERVE_DEFAULT_RETENTION));
}

/* The path of an item's file: the only .tpv file in the store. */
static const char *only_file(fixture *f) {
    tamis_preserve_entry *e;
    size_t n;
    ASSERT_OK(tamis_preserve_list(f->s, &e, &n));
    ASSERT_EQ(n, 1);
    tamis_preserve_list_free(e, n);
    char *out = NULL;
    ASSERT_EQ(run_cmd(fmt("ls '%s' | grep '\\.tpv$'", f->dir), &out, NULL), 0);
    ASSERT(out && strlen(out) == 69);
    out[68] = '\0';
    const char *p = fmt("%s/%s", f->dir, out);
    free(out);
    return p;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    ASSERT(fp);
    ASSERT_EQ(fwrite(b, 1, n, fp), n);
    ASSERT_EQ(fclose(fp), 0);
}

static int contains(const unsigned char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return 1;
    return 0;
}

TEST(preserve_keygen_makes_a_private_key_and_never_overwrites) {
    const char *key = fmt("%s/k", tmp_dir());
    char err[256] = "";
    ASSERT_OK(tamis_preserve_keygen(key, err, sizeof err));
    struct stat sb;
    ASSERT_EQ(stat(key, &sb), 0);
    ASSERT_EQ(sb.st_size, 32);
    ASSERT_EQ(sb.st_mode & 0777, 0600);
    size_t n;
    unsigned char *k1 = read_file(key, &n);
    ASSERT_EQ(tamis_preserve_keygen(key, err, sizeof err), TAMIS_ERR_EXISTS);
    ASSERT(strstr(err, "never overwritten"));
    unsigned char *k2 = read_file(key, &n);
    ASSERT_EQ(memcmp(k1, k2, 32), 0);
    free(k1);
    free(k2);
}

TEST(preserve_round_trip_with_metadata_and_default_retention) {
    fixture f;
    setup(&f);
    put(&f, "upload-1", 0);
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "upload-1", &it));
    ASSERT_STR_EQ(it->id, "upload-1");
    ASSERT_EQ(it->content_len, sizeof CONTENT - 1);
    ASSERT_EQ(memcmp(it->content, CONTENT, it->content_len), 0);
    ASSERT_STR_EQ(it->content_type, "video/mp4");
    ASSERT_STR_EQ(it->metadata, META);
    ASSERT(it->hold_reason == NULL);
    ASSERT_EQ(it->created, (int64_t)T0);
    ASSERT_EQ(it->expires, (int64_t)T0 + 183 * 86400);
    ASSERT_EQ(it->legal_hold, 0);
    tamis_preserved_free(it);
    /* Nothing of the content or the metadata is in clear on disk. */
    size_t n;
    unsigned char *raw = read_file(only_file(&f), &n);
    ASSERT(raw);
    ASSERT(!contains(raw, n, "PROPAGANDA"));
    ASSERT(!contains(raw, n, "FR-2026-0017"));
    ASSERT(contains(raw, n, "upload-1")); /* the id is in the clear header */
    free(raw);
    ASSERT_EQ(tamis_preserve_read(f.s, "upload-2", &it), TAMIS_ERR_NOT_FOUND);
    ASSERT(it == NULL);
    tamis_preserve_close(f.s);
}

TEST(preserve_empty_content_and_no_metadata) {
    fixture f;
    setup(&f);
    ASSERT_OK(tamis_preserve_put(f.s, "empty", NULL, 0, NULL, NULL, 60, NULL));
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "empty", &it));
    ASSERT_EQ(it->content_len, 0);
    ASSERT(it->content != NULL);
    ASSERT_STR_EQ(it->content_type, "");
    ASSERT(it->metadata == NULL);
    ASSERT_EQ(it->expires, (int64_t)T0 + 60);
    tamis_preserved_free(it);
    tamis_preserve_close(f.s);
}

TEST(preserve_refuses_bad_arguments) {
    fixture f;
    setup(&f);
    put(&f, "a", 0);
    ASSERT_EQ(tamis_preserve_put(f.s, "a", "x", 1, NULL, NULL, 0, NULL), TAMIS_ERR_EXISTS);
    ASSERT(strstr(tamis_preserve_errmsg(f.s), "already preserved"));
    ASSERT_EQ(tamis_preserve_put(f.s, "b", "x", 1, NULL, "[1,2]", 0, NULL), TAMIS_ERR_INVALID);
    ASSERT(strstr(tamis_preserve_errmsg(f.s), "JSON object"));
    ASSERT_EQ(tamis_preserve_put(f.s, "b", "x", 1, NULL, "{\"a\":", 0, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_put(f.s, "line\nbreak", "x", 1, NULL, NULL, 0, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_put(f.s, "", "x", 1, NULL, NULL, 0, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_put(f.s, "b", "x", 1, "bad\ttype", NULL, 0, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_put(f.s, "b", "x", 1, NULL, NULL, -5, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_put(f.s, "b", NULL, 1, NULL, NULL, 0, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_hold(f.s, "a", ""), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_release(f.s, "a", "not held"), TAMIS_ERR_INVALID);
    ASSERT(strstr(tamis_preserve_errmsg(f.s), "not on legal hold"));
    ASSERT_EQ(tamis_preserve_hold(f.s, "nobody", "x"), TAMIS_ERR_NOT_FOUND);
    ASSERT_EQ(f.rec.n, 1); /* only the first put succeeded */
    tamis_preserve_close(f.s);
    tamis_preserve_close(NULL);
}

TEST(preserve_another_key_cannot_read) {
    fixture f;
    setup(&f);
    put(&f, "upload-1", 0);
    tamis_preserve_close(f.s);
    const char *key2 = fmt("%s/other.key", tmp_dir());
    char err[256] = "";
    ASSERT_OK(tamis_preserve_keygen(key2, err, sizeof err));
    tamis_preserve_store *s2;
    ASSERT_OK(tamis_preserve_open(f.dir, key2, &f.clock, NULL, NULL, &s2, err, sizeof err));
    tamis_preserved *it;
    ASSERT_EQ(tamis_preserve_read(s2, "upload-1", &it), TAMIS_ERR_CORRUPT);
    ASSERT(it == NULL);
    ASSERT(strstr(tamis_preserve_errmsg(s2), "another key"));
    /* Nor can its purge destroy what it cannot authenticate. */
    f.t += 200 * DAY;
    size_t removed, damaged;
    ASSERT_OK(tamis_preserve_purge(s2, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    ASSERT_EQ(damaged, 1);
    tamis_preserve_close(s2);
}

TEST(preserve_any_flipped_byte_is_corrupt) {
    fixture f;
    setup(&f);
    put(&f, "upload-1", 0);
    const char *path = only_file(&f);
    size_t n;
    unsigned char *orig = read_file(path, &n);
    ASSERT(orig && n > TAMIS__PV_FIXED + TAMIS__PV_TAG);
    unsigned char *b = malloc(n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            memcpy(b, orig, n);
            b[i] ^= (unsigned char)(1u << bit);
            write_bytes(path, b, n);
            tamis_preserved *it;
            tamis_status st = tamis_preserve_read(f.s, "upload-1", &it);
            if (st != TAMIS_ERR_CORRUPT || it != NULL)
                FAIL("byte %zu bit %d: status %d, want CORRUPT", i, bit, st);
        }
    }
    /* Truncated and extended files too. */
    write_bytes(path, orig, n - 1);
    tamis_preserved *it;
    ASSERT_EQ(tamis_preserve_read(f.s, "upload-1", &it), TAMIS_ERR_CORRUPT);
    write_bytes(path, orig, n);
    ASSERT_OK(tamis_preserve_read(f.s, "upload-1", &it));
    tamis_preserved_free(it);
    free(b);
    free(orig);
    tamis_preserve_close(f.s);
}

static void set64(unsigned char *p, int64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

TEST(preserve_edited_expiry_or_hold_is_detected_and_never_purged) {
    fixture f;
    setup(&f);
    put(&f, "upload-1", 0);
    const char *path = only_file(&f);
    size_t n;
    unsigned char *b = read_file(path, &n);
    /* Later: would keep it past its time. */
    set64(b + 40, (int64_t)T0 + 3650 * 86400);
    write_bytes(path, b, n);
    tamis_preserved *it;
    ASSERT_EQ(tamis_preserve_read(f.s, "upload-1", &it), TAMIS_ERR_CORRUPT);
    ASSERT(strstr(tamis_preserve_errmsg(f.s), "authentication failed"));
    /* Earlier: would get it purged before its time. The purge checks the
     * header before destroying anything. */
    set64(b + 40, (int64_t)T0 + 1);
    write_bytes(path, b, n);
    f.t += 10;
    size_t removed, damaged;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    ASSERT_EQ(damaged, 1);
    ASSERT_EQ(access(path, F_OK), 0);
    /* A hold flag set by hand does not authenticate either. */
    set64(b + 40, (int64_t)T0 + 183 * 86400);
    b[11] |= 1;
    write_bytes(path, b, n);
    ASSERT_EQ(tamis_preserve_read(f.s, "upload-1", &it), TAMIS_ERR_CORRUPT);
    free(b);
    tamis_preserve_close(f.s);
}

TEST(preserve_renamed_file_is_another_item) {
    fixture f;
    setup(&f);
    put(&f, "a", 0);
    const char *pa = only_file(&f);
    char pa_copy[600];
    snprintf(pa_copy, sizeof pa_copy, "%s", pa);
    put(&f, "b", 0);
    /* Move a's file to b's name: b now "holds" a's content. */
    char *out = NULL;
    ASSERT_EQ(run_cmd(fmt("cd '%s' && for x in *.tpv; do [ \"$PWD/$x\" = '%s' ] || cp '%s' \"$x\"; done",
                          f.dir, pa_copy, pa_copy), &out, NULL), 0);
    free(out);
    tamis_preserved *it;
    ASSERT_EQ(tamis_preserve_read(f.s, "b", &it), TAMIS_ERR_CORRUPT);
    ASSERT(strstr(tamis_preserve_errmsg(f.s), "another item"));
    ASSERT_OK(tamis_preserve_read(f.s, "a", &it));
    tamis_preserved_free(it);
    tamis_preserve_close(f.s);
}

TEST(preserve_purge_removes_what_expired_and_only_that) {
    fixture f;
    setup(&f);
    put(&f, "short", 10 * 86400);
    f.t += 1;
    put(&f, "default", 0);
    size_t removed, damaged;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    f.t = T0 + 10 * DAY - 1;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    f.t = T0 + 10 * DAY; /* expired at its expiry */
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 1);
    ASSERT_EQ(damaged, 0);
    tamis_preserved *it;
    ASSERT_EQ(tamis_preserve_read(f.s, "short", &it), TAMIS_ERR_NOT_FOUND);
    ASSERT_OK(tamis_preserve_read(f.s, "default", &it));
    tamis_preserved_free(it);
    /* Six months later the other one goes too, and the store is empty. */
    f.t = T0 + 1 + 183 * DAY;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 1);
    tamis_preserve_entry *e;
    size_t n;
    ASSERT_OK(tamis_preserve_list(f.s, &e, &n));
    ASSERT_EQ(n, 0);
    tamis_preserve_list_free(e, n);
    char *out = NULL;
    ASSERT_EQ(run_cmd(fmt("ls '%s' | wc -l", f.dir), &out, NULL), 0);
    ASSERT_STR_EQ(out, "0\n");
    free(out);
    tamis_preserve_close(f.s);
}

TEST(preserve_purge_refuses_a_time_ahead_of_its_clock) {
    fixture f;
    setup(&f);
    put(&f, "x", 60);
    size_t removed;
    ASSERT_EQ(tamis_preserve_purge(f.s, (int64_t)f.t + 3600, &removed, NULL), TAMIS_ERR_INVALID);
    ASSERT_EQ(removed, 0);
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "x", &it));
    tamis_preserved_free(it);
    tamis_preserve_close(f.s);
}

TEST(preserve_legal_hold_keeps_past_expiry_until_released) {
    fixture f;
    setup(&f);
    put(&f, "held", 0);
    f.t += 30 * DAY;
    ASSERT_OK(tamis_preserve_hold(f.s, "held", "Europol request EU-2026-99"));
    f.t = T0 + 400 * DAY;
    size_t removed, damaged;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    ASSERT_EQ(damaged, 0);
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "held", &it));
    ASSERT_EQ(it->legal_hold, 1);
    ASSERT_STR_EQ(it->hold_reason, "Europol request EU-2026-99");
    ASSERT_EQ(it->hold_changed, (int64_t)(T0 + 30 * DAY));
    ASSERT_EQ(memcmp(it->content, CONTENT, it->content_len), 0);
    ASSERT_STR_EQ(it->metadata, META);
    tamis_preserved_free(it);
    ASSERT_OK(tamis_preserve_release(f.s, "held", "proceedings closed"));
    ASSERT_OK(tamis_preserve_read(f.s, "held", &it));
    ASSERT_EQ(it->legal_hold, 0);
    ASSERT_STR_EQ(it->hold_reason, "proceedings closed");
    ASSERT_EQ(it->hold_changed, (int64_t)(T0 + 400 * DAY));
    ASSERT_EQ(it->expires, (int64_t)T0 + 183 * 86400); /* unchanged */
    tamis_preserved_free(it);
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 1);
    ASSERT_EQ(tamis_preserve_read(f.s, "held", &it), TAMIS_ERR_NOT_FOUND);
    tamis_preserve_close(f.s);
}

TEST(preserve_list_reads_headers_without_the_key) {
    fixture f;
    setup(&f);
    put(&f, "b", 0);
    f.t += 5;
    put(&f, "a", 7 * 86400);
    ASSERT_OK(tamis_preserve_hold(f.s, "b", "court order"));
    tamis_preserve_close(f.s);
    /* Another key: nothing can be decrypted, yet the listing is whole. */
    const char *key2 = fmt("%s/other.key", tmp_dir());
    char err[256];
    ASSERT_OK(tamis_preserve_keygen(key2, err, sizeof err));
    tamis_preserve_store *s2;
    ASSERT_OK(tamis_preserve_open(f.dir, key2, &f.clock, NULL, NULL, &s2, err, sizeof err));
    tamis_preserve_entry *e;
    size_t n;
    ASSERT_OK(tamis_preserve_list(s2, &e, &n));
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(e[0].id, "b");
    ASSERT_EQ(e[0].created, (int64_t)T0);
    ASSERT_EQ(e[0].expires, (int64_t)T0 + 183 * 86400);
    ASSERT_EQ(e[0].legal_hold, 1);
    ASSERT_EQ(e[0].content_len, sizeof CONTENT - 1);
    ASSERT_STR_EQ(e[1].id, "a");
    ASSERT_EQ(e[1].created, (int64_t)T0 + 5);
    ASSERT_EQ(e[1].expires, (int64_t)T0 + 5 + 7 * 86400);
    ASSERT_EQ(e[1].legal_hold, 0);
    tamis_preserve_list_free(e, n);
    tamis_preserve_close(s2);
}

TEST(preserve_every_access_reaches_the_callback) {
    fixture f;
    setup(&f);
    put(&f, "x", 86400);
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "x", &it));
    tamis_preserved_free(it);
    ASSERT_OK(tamis_preserve_hold(f.s, "x", "order 1"));
    ASSERT_OK(tamis_preserve_release(f.s, "x", "order 1 lifted"));
    tamis_preserve_entry *e;
    size_t n;
    ASSERT_OK(tamis_preserve_list(f.s, &e, &n)); /* no content: not an access */
    tamis_preserve_list_free(e, n);
    f.t += 2 * DAY;
    size_t removed;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, NULL));
    ASSERT_EQ(removed, 1);
    ASSERT_STR_EQ(f.rec.log, "preserve:x read:x hold:x release:x purge:x");
    /* Failures are not accesses. */
    ASSERT_EQ(tamis_preserve_read(f.s, "x", &it), TAMIS_ERR_NOT_FOUND);
    ASSERT_EQ(f.rec.n, 5);
    tamis_preserve_close(f.s);
}

TEST(preserve_crash_before_rename_leaves_nothing_visible) {
    fixture f;
    setup(&f);
    put(&f, "whole", 60);
    /* What a crash between the temporary file's write and its rename
     * leaves: half a container under a temporary name. */
    const char *path = only_file(&f);
    size_t n;
    unsigned char *b = read_file(path, &n);
    const char *tmp = fmt("%s/%s.tmp.Ab12Cd", f.dir,
                          "0000000000000000000000000000000000000000000000000000000000000000.tpv");
    char tmp_copy[600];
    snprintf(tmp_copy, sizeof tmp_copy, "%s", tmp);
    write_bytes(tmp_copy, b, n / 2);
    free(b);
    tamis_preserve_entry *e;
    size_t ne;
    ASSERT_OK(tamis_preserve_list(f.s, &e, &ne));
    ASSERT_EQ(ne, 1);
    ASSERT_STR_EQ(e[0].id, "whole");
    tamis_preserve_list_free(e, ne);
    /* A fresh one may be another process's write in flight: kept. */
    size_t removed, damaged;
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    ASSERT_EQ(damaged, 0);
    ASSERT_EQ(access(tmp_copy, F_OK), 0);
    /* An old one is a crash's leftover: removed, and not counted as an
     * item. */
    struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, tmp_copy, old, 0), 0);
    ASSERT_OK(tamis_preserve_purge(f.s, (int64_t)f.t, &removed, &damaged));
    ASSERT_EQ(removed, 0);
    ASSERT_EQ(damaged, 0);
    ASSERT_EQ(access(tmp_copy, F_OK), -1);
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "whole", &it));
    tamis_preserved_free(it);
    ASSERT_STR_EQ(f.rec.log, "preserve:whole read:whole");
    tamis_preserve_close(f.s);
}

static tamis_status open_with(const char *key, const char *dir, char *err, size_t n) {
    tamis_preserve_store *s = (tamis_preserve_store *)1;
    tamis_status st = tamis_preserve_open(dir, key, NULL, NULL, NULL, &s, err, n);
    if (st == TAMIS_OK)
        tamis_preserve_close(s);
    else
        ASSERT(s == NULL);
    return st;
}

TEST(preserve_open_refuses_bad_key_files) {
    const char *d = tmp_dir();
    char dir[512], key[512], err[512];
    snprintf(dir, sizeof dir, "%s/store", d);
    /* Wrong size. */
    snprintf(key, sizeof key, "%s/short.key", d);
    write_bytes(key, (const unsigned char *)"0123456789abcdef0123456789abcde", 31);
    ASSERT_EQ(chmod(key, 0600), 0);
    ASSERT_EQ(open_with(key, dir, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT(strstr(err, "31 bytes, not 32"));
    /* Readable by others. */
    snprintf(key, sizeof key, "%s/open.key", d);
    write_bytes(key, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32);
    ASSERT_EQ(chmod(key, 0644), 0);
    ASSERT_EQ(open_with(key, dir, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT(strstr(err, "mode 0644"));
    ASSERT_EQ(chmod(key, 0640), 0);
    ASSERT_EQ(open_with(key, dir, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT_EQ(chmod(key, 0600), 0);
    ASSERT_OK(open_with(key, dir, err, sizeof err));
    /* Missing. */
    ASSERT_EQ(open_with(fmt("%s/none.key", d), dir, err, sizeof err), TAMIS_ERR_NOT_FOUND);
    ASSERT(strstr(err, "none.key"));
    /* Not a file. */
    ASSERT_EQ(open_with(d, dir, err, sizeof err), TAMIS_ERR_INVALID);
    /* Inside the store it protects. */
    snprintf(key, sizeof key, "%s/store/inside.key", d);
    ASSERT_OK(tamis_preserve_keygen(key, err, sizeof err));
    ASSERT_EQ(open_with(key, dir, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT(strstr(err, "inside the preservation directory"));
    /* Arguments. */
    ASSERT_EQ(open_with(NULL, dir, err, sizeof err), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_preserve_keygen(NULL, err, sizeof err), TAMIS_ERR_INVALID);
}

/* Every allocation failing in turn: a clean error, no leak, no crash. */
TEST(preserve_survives_allocation_failures) {
    fixture f;
    setup(&f);
    put(&f, "base", 0);
    for (long k = 1; k < 200; k++) {
        char id[32];
        snprintf(id, sizeof id, "n%ld", k);
        tamis__alloc_fail_at(k);
        tamis_status st = tamis_preserve_put(f.s, id, CONTENT, sizeof CONTENT - 1, "video/mp4", META,
                                             0, NULL);
        tamis_preserved *it = NULL;
        tamis_status rs = tamis_preserve_read(f.s, "base", &it);
        tamis_preserve_entry *e = NULL;
        size_t n = 0;
        tamis_status ls = tamis_preserve_list(f.s, &e, &n);
        tamis_status hs = tamis_preserve_hold(f.s, "base", "r");
        long used = tamis__alloc_fail_at(0);
        ASSERT(st == TAMIS_OK || st == TAMIS_ERR_NOMEM);
        ASSERT(rs == TAMIS_OK || rs == TAMIS_ERR_NOMEM);
        ASSERT(ls == TAMIS_OK || ls == TAMIS_ERR_NOMEM);
        ASSERT(hs == TAMIS_OK || hs == TAMIS_ERR_NOMEM);
        tamis_preserved_free(it);
        tamis_preserve_list_free(e, n);
        if (used < k)
            break;
    }
    tamis_preserved *it;
    ASSERT_OK(tamis_preserve_read(f.s, "base", &it));
    ASSERT_EQ(memcmp(it->content, CONTENT, it->content_len), 0);
    tamis_preserved_free(it);
    tamis_preserve_close(f.s);
}

/* The container functions the fuzz target drives: a sealed container
 * opens to what was sealed, and parse agrees with open on its header. */
TEST(preserve_container_seal_open_round_trip) {
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    tamis__pv_header h;
    memset(&h, 0, sizeof h);
    h.id = "item";
    h.id_len = 4;
    h.ctype = "text/plain";
    h.ctype_len = 10;
    h.created = 100;
    h.expires = 200;
    h.flags = TAMIS__PV_FLAG_HOLD;
    uint8_t *buf;
    size_t len;
    ASSERT_OK(tamis__pv_seal(key, &h, (const uint8_t *)"{}", 2, (const uint8_t *)"why", 3,
                             (const uint8_t *)"hello", 5, &buf, &len, NULL));
    ASSERT_EQ(len, TAMIS__PV_FIXED + 14 + 10 + TAMIS__PV_TAG);
    tamis__pv_header g;
    uint8_t *plain;
    tamis__err e;
    ASSERT_OK(tamis__pv_open(key, buf, len, &g, &plain, &e));
    ASSERT_EQ(memcmp(plain, "{}whyhello", 10), 0);
    ASSERT_EQ(g.flags, TAMIS__PV_FLAG_HOLD);
    ASSERT_EQ(g.expires, 200);
    tamis__free(plain);
    key[0] ^= 1;
    ASSERT_EQ(tamis__pv_open(key, buf, len, &g, &plain, &e), TAMIS_ERR_CORRUPT);
    ASSERT(strstr(e.msg, "another key"));
    tamis__free(buf);
}
