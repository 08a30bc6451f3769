/*
 * preserve.c - preservation of removed content (TCO Art 6): one AES-256-GCM
 * container file per item in a directory of its own, the key in a file
 * outside it, a purge that removes what expired and is not on legal hold,
 * and a callback after each access for the audit log.
 *
 * Container (integers little-endian; doc/preservation.md):
 *   0  magic "TAMISPRV"        8
 *   8  version (1)             2
 *  10  cipher (1: AES-256-GCM) 1
 *  11  flags (bit 0: hold)     1
 *  12  key id                  8   first bytes of SHA-256(label, key)
 *  20  nonce                  12   fresh from RAND_bytes at every write
 *  32  created, expires, hold_changed (int64 Unix seconds)  24
 *  56  id length (1..256)      2
 *  58  content type length     2
 *  60  metadata length         4
 *  64  hold note length        4
 *  68  content length          8
 *  76  id, content type
 *      ciphertext of metadata || hold note || content
 *      GCM tag                16
 * Everything before the ciphertext is the AAD, so no header field can be
 * changed without the tag failing.
 *
 * Mutations (put, hold, release, purge) hold an exclusive flock on
 * DIR/.lock, so a purge cannot unlink a file a hold has just rewritten.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "preserve.h"

static const char MAGIC[8] = {'T', 'A', 'M', 'I', 'S', 'P', 'R', 'V'};
#define VERSION 1
#define CIPHER_AES256GCM 1
#define SUFFIX ".tpv"
#define NAME_LEN (64 + 4)     /* hex SHA-256 of the id, ".tpv" */
#define TMP_MARK ".tmp."
#define TMP_STALE_SECONDS 600 /* real time, not the store's clock */

struct tamis_preserve_store {
    char *dir;
    int dirfd, lockfd;
    uint8_t key[32];
    uint8_t key_id[TAMIS__PV_KEY_ID];
    tamis_clock clock;
    int has_clock;
    tamis_preserve_access_fn on_access;
    void *access_ctx;
    tamis__err err;
};

/* ---- little-endian fields ------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- the container ------------------------------------------------------- */

void tamis__pv_key_id(const uint8_t key[32], uint8_t out[TAMIS__PV_KEY_ID]) {
    static const char label[] = "tamis preservation key id v1";
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    uint8_t in[sizeof label + 32];
    memcpy(in, label, sizeof label);
    memcpy(in + sizeof label, key, 32);
    if (EVP_Digest(in, sizeof in, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < TAMIS__PV_KEY_ID)
        memset(md, 0, TAMIS__PV_KEY_ID);
    memcpy(out, md, TAMIS__PV_KEY_ID);
    OPENSSL_cleanse(in, sizeof in);
}

/* An id is 1 to 256 bytes without control characters (it is written to
 * logs and file listings). */
static int valid_id(const char *id, size_t n) {
    if (n < 1 || n > TAMIS_PRESERVE_MAX_ID)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return 0;
    return 1;
}

static int valid_ctype(const char *t, size_t n) {
    if (n > TAMIS__PV_MAX_CTYPE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (t[i] < 0x20 || t[i] > 0x7e)
            return 0;
    return 1;
}

tamis_status tamis__pv_parse(const uint8_t *buf, size_t len, int whole,
                             tamis__pv_header *h, tamis__err *e) {
    memset(h, 0, sizeof *h);
    if (len < TAMIS__PV_FIXED || memcmp(buf, MAGIC, sizeof MAGIC) != 0)
        return tamis__fail(e, TAMIS_ERR_CORRUPT, "not a tamis preservation file (%s)",
                           len < TAMIS__PV_FIXED ? "too short" : "bad magic");
    uint16_t version = get16(buf + 8);
    if (version != VERSION || buf[10] != CIPHER_AES256GCM)
        return tamis__fail(e, TAMIS_ERR_CORRUPT,
                           "preservation file version %u, cipher %u: this tamis reads version %d, cipher %d",
                           version, buf[10], VERSION, CIPHER_AES256GCM);
    h->flags = buf[11];
    if (h->flags & ~TAMIS__PV_FLAG_HOLD)
        return tamis__fail(e, TAMIS_ERR_CORRUPT, "unknown flags 0x%02x in the header", h->flags);
    memcpy(h->key_id, buf + 12, TAMIS__PV_KEY_ID);
    memcpy(h->nonce, buf + 20, TAMIS__PV_NONCE);
    h->created = (int64_t)get64(buf + 32);
    h->expires = (int64_t)get64(buf + 40);
    h->hold_changed = (int64_t)get64(buf + 48);
    h->id_len = get16(buf + 56);
    h->ctype_len = get16(buf + 58);
    h->meta_len = get32(buf + 60);
    h->note_len = get32(buf + 64);
    h->content_len = get64(buf + 68);
    if (h->created < 0 || h->expires < h->created || h->hold_changed < 0)
        return tamis__fail(e, TAMIS_ERR_CORRUPT,
                           "impossible times in the header (created %" PRId64 ", expires %" PRId64 ")",
                           h->created, h->expires);
    if (h->id_len < 1 || h->id_len > TAMIS_PRESERVE_MAX_ID || h->ctype_len > TAMIS__PV_MAX_CTYPE)
        return tamis__fail(e, TAMIS_ERR_CORRUPT, "id or content type length out of range (%zu, %zu)",
                           h->id_len, h->ctype_len);
    if (h->meta_len > TAMIS__PV_MAX_META || h->note_len > TAMIS__PV_MAX_NOTE ||
        h->content_len > TAMIS_PRESERVE_MAX_CONTENT)
        return tamis__fail(e, TAMIS_ERR_CORRUPT, "a size in the header is over its limit");
    h->header_len = TAMIS__PV_FIXED + h->id_len + h->ctype_len;
    if (len < h->header_len)
        return tamis__fail(e, TAMIS_ERR_CORRUPT, "the header is truncated");
    h->id = (const char *)buf + TAMIS__PV_FIXED;
    h->ctype = h->id + h->id_len;
    if (!valid_id(h->id, h->id_len) || !valid_ctype(h->ctype, h->ctype_len))
        return tamis__fail(e, TAMIS_ERR_CORRUPT, "bad characters in the id or content type");
    if (whole) {
        uint64_t want = (uint64_t)h->header_len + h->meta_len + h->note_len + h->content_len +
                        TAMIS__PV_TAG;
        if ((uint64_t)len != want)
            return tamis__fail(e, TAMIS_ERR_CORRUPT,
                               "the file has %zu bytes, its header announces %" PRIu64, len, want);
    }
    return TAMIS_OK;
}

/* Runs the cipher over `n` bytes in pieces that fit an int. */
static int crypt_update(EVP_CIPHER_CTX *c, int enc, uint8_t *out, const uint8_t *in, uint64_t n) {
    while (n > 0) {
        int piece = n > (1u << 24) ? (1 << 24) : (int)n, outl = 0;
        int ok = enc ? EVP_EncryptUpdate(c, out, &outl, in, piece)
                     : EVP_DecryptUpdate(c, out, &outl, in, piece);
        if (ok != 1 || outl != piece)
            return 0;
        out += piece, in += piece, n -= (uint64_t)piece;
    }
    return 1;
}

tamis_status tamis__pv_open(const uint8_t key[32], const uint8_t *buf, size_t len,
                            tamis__pv_header *h, uint8_t **plain, tamis__err *e) {
    *plain = NULL;
    tamis_status st = tamis__pv_parse(buf, len, 1, h, e);
    if (st != TAMIS_OK)
        return st;
    uint8_t kid[TAMIS__PV_KEY_ID];
    tamis__pv_key_id(key, kid);
    size_t n = (size_t)h->meta_len + h->note_len + (size_t)h->content_len;
    uint8_t *p = tamis__malloc(n ? n : 1);
    if (!p)
        return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory for %zu bytes", n);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, TAMIS__PV_NONCE, NULL) == 1 &&
             EVP_DecryptInit_ex(c, NULL, NULL, key, h->nonce) == 1;
    int outl = 0;
    if (!ok || EVP_DecryptUpdate(c, NULL, &outl, buf, (int)h->header_len) != 1 ||
        !crypt_update(c, 0, p, buf + h->header_len, n) ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAMIS__PV_TAG,
                            (void *)(buf + h->header_len + n)) != 1) {
        EVP_CIPHER_CTX_free(c);
        tamis__free(p);
        return tamis__fail(e, TAMIS_ERR_INTERNAL, "OpenSSL's AES-256-GCM failed");
    }
    uint8_t fin[16];
    int auth = EVP_DecryptFinal_ex(c, fin, &outl) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!auth) {
        OPENSSL_cleanse(p, n);
        tamis__free(p);
        if (memcmp(kid, h->key_id, sizeof kid) != 0)
            return tamis__fail(e, TAMIS_ERR_CORRUPT,
                               "encrypted under another key than this store's (or its header was altered): "
                               "authentication failed");
        return tamis__fail(e, TAMIS_ERR_CORRUPT,
                           "authentication failed: the file was altered or damaged (header, content or tag)");
    }
    *plain = p;
    return TAMIS_OK;
}

tamis_status tamis__pv_seal(const uint8_t key[32], tamis__pv_header *h,
                            const uint8_t *meta, uint32_t meta_len,
                            const uint8_t *note, uint32_t note_len,
                            const uint8_t *content, uint64_t content_len,
                            uint8_t **out, size_t *outlen, tamis__err *e) {
    *out = NULL;
    *outlen = 0;
    if (!valid_id(h->id, h->id_len) || !valid_ctype(h->ctype, h->ctype_len) ||
        meta_len > TAMIS__PV_MAX_META || note_len > TAMIS__PV_MAX_NOTE ||
        content_len > TAMIS_PRESERVE_MAX_CONTENT || h->created < 0 ||
        h->expires < h->created || h->hold_changed < 0 || (h->flags & ~TAMIS__PV_FLAG_HOLD))
        return tamis__fail(e, TAMIS_ERR_INVALID, "a header field is out of range");
    h->meta_len = meta_len;
    h->note_len = note_len;
    h->content_len = content_len;
    h->header_len = TAMIS__PV_FIXED + h->id_len + h->ctype_len;
    tamis__pv_key_id(key, h->key_id);
    if (RAND_bytes(h->nonce, TAMIS__PV_NONCE) != 1)
        return tamis__fail(e, TAMIS_ERR_INTERNAL, "OpenSSL's RAND_bytes failed");
    size_t total = h->header_len + meta_len + note_len + (size_t)content_len + TAMIS__PV_TAG;
    uint8_t *b = tamis__malloc(total);
    if (!b)
        return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory for %zu bytes", total);
    memcpy(b, MAGIC, sizeof MAGIC);
    put16(b + 8, VERSION);
    b[10] = CIPHER_AES256GCM;
    b[11] = h->flags;
    memcpy(b + 12, h->key_id, TAMIS__PV_KEY_ID);
    memcpy(b + 20, h->nonce, TAMIS__PV_NONCE);
    put64(b + 32, (uint64_t)h->created);
    put64(b + 40, (uint64_t)h->expires);
    put64(b + 48, (uint64_t)h->hold_changed);
    put16(b + 56, (uint16_t)h->id_len);
    put16(b + 58, (uint16_t)h->ctype_len);
    put32(b + 60, meta_len);
    put32(b + 64, note_len);
    put64(b + 68, content_len);
    memcpy(b + TAMIS__PV_FIXED, h->id, h->id_len);
    if (h->ctype_len)
        memcpy(b + TAMIS__PV_FIXED + h->id_len, h->ctype, h->ctype_len);
    uint8_t *ct = b + h->header_len;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, TAMIS__PV_NONCE, NULL) == 1 &&
             EVP_EncryptInit_ex(c, NULL, NULL, key, h->nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &outl, b, (int)h->header_len) == 1 &&
             crypt_update(c, 1, ct, meta, meta_len) &&
             crypt_update(c, 1, ct + meta_len, note, note_len) &&
             crypt_update(c, 1, ct + meta_len + note_len, content, content_len) &&
             EVP_EncryptFinal_ex(c, ct, &outl) == 1 && outl == 0 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAMIS__PV_TAG,
                                 ct + meta_len + note_len + content_len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        tamis__free(b);
        return tamis__fail(e, TAMIS_ERR_INTERNAL, "OpenSSL's AES-256-GCM failed");
    }
    *out = b;
    *outlen = total;
    return TAMIS_OK;
}

/* ---- files ---------------------------------------------------------------- */

static void copy_err(char *err, size_t errlen, const char *msg) {
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

static char *str_dup(const char *s, size_t n) {
    char *d = tamis__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void hex_name(const char *id, char out[NAME_LEN + 1]) {
    static const char hx[] = "0123456789abcdef";
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(id, strlen(id), md, &mdlen, EVP_sha256(), NULL) != 1)
        memset(md, 0, 32);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[md[i] >> 4];
        out[2 * i + 1] = hx[md[i] & 15];
    }
    memcpy(out + 64, SUFFIX, sizeof SUFFIX);
}

static int is_item_name(const char *n) {
    if (strlen(n) != NAME_LEN || strcmp(n + 64, SUFFIX) != 0)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
            return 0;
    return 1;
}

static int is_tmp_name(const char *n) {
    return strstr(n, SUFFIX TMP_MARK) != NULL;
}

/* Reads a whole file of at most `max` bytes. TAMIS_ERR_NOT_FOUND when it
 * does not exist. */
static tamis_status read_all(tamis_preserve_store *s, const char *path, const char *what,
                             size_t max, uint8_t **out, size_t *len) {
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return tamis__fail(&s->err, TAMIS_ERR_NOT_FOUND, "%s: not preserved", what);
        return tamis__fail(&s->err, TAMIS_ERR_IO, "%s: cannot open %s: %s", what, path, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tamis__fail(&s->err, TAMIS_ERR_CORRUPT, "%s: %s is not a regular file", what, path);
    }
    if ((uint64_t)sb.st_size > max) {
        close(fd);
        return tamis__fail(&s->err, TAMIS_ERR_CORRUPT, "%s: %s has %lld bytes, more than any item",
                           what, path, (long long)sb.st_size);
    }
    size_t n = (size_t)sb.st_size, got = 0;
    uint8_t *b = tamis__malloc(n ? n : 1);
    if (!b) {
        close(fd);
        return tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory for %zu bytes", n);
    }
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int er = errno;
            close(fd);
            tamis__free(b);
            return tamis__fail(&s->err, TAMIS_ERR_IO, "%s: cannot read %s: %s", what, path,
                               r < 0 ? strerror(er) : "it shrank");
        }
        got += (size_t)r;
    }
    close(fd);
    *out = b;
    *len = n;
    return TAMIS_OK;
}

static int write_full(int fd, const uint8_t *b, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w, n -= (size_t)w;
    }
    return 0;
}

/* Writes `path` atomically: a temporary file beside it, synced, renamed,
 * then the directory synced, so that a crash leaves the old file or the
 * new one and never a partial one under the item's name. */
static tamis_status write_atomic(tamis_preserve_store *s, const char *path,
                                 const uint8_t *b, size_t n) {
    size_t plen = strlen(path);
    char *tmp = tamis__malloc(plen + sizeof TMP_MARK + 6);
    if (!tmp)
        return tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, TMP_MARK "XXXXXX", sizeof TMP_MARK + 6);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        tamis_status st = tamis__fail(&s->err, TAMIS_ERR_IO, "cannot create a file in %s: %s",
                                      s->dir, strerror(errno));
        tamis__free(tmp);
        return st;
    }
    tamis_status st = TAMIS_OK;
    if (write_full(fd, b, n) != 0 || fsync(fd) != 0)
        st = tamis__fail(&s->err, TAMIS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && st == TAMIS_OK)
        st = tamis__fail(&s->err, TAMIS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (st == TAMIS_OK && rename(tmp, path) != 0)
        st = tamis__fail(&s->err, TAMIS_ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
    if (st != TAMIS_OK)
        unlink(tmp);
    else if (fsync(s->dirfd) != 0)
        st = tamis__fail(&s->err, TAMIS_ERR_IO, "cannot sync %s: %s", s->dir, strerror(errno));
    tamis__free(tmp);
    return st;
}

/* Overwrites a file with zeros, syncs it, unlinks it and syncs the
 * directory. The overwrite is best effort (see tamis_preserve_purge); the
 * unlink is not. */
static tamis_status secure_unlink(tamis_preserve_store *s, const char *name) {
    int fd = openat(s->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
            static const uint8_t zeros[65536];
            off_t left = sb.st_size;
            while (left > 0) {
                size_t piece = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;
                if (write_full(fd, zeros, piece) != 0)
                    break;
                left -= (off_t)piece;
            }
            (void)fsync(fd);
        }
        close(fd);
    }
    if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
        return tamis__fail(&s->err, TAMIS_ERR_IO, "cannot remove %s/%s: %s", s->dir, name,
                           strerror(errno));
    (void)fsync(s->dirfd);
    return TAMIS_OK;
}

static int lock(tamis_preserve_store *s) {
    while (flock(s->lockfd, LOCK_EX) != 0)
        if (errno != EINTR)
            return tamis__fail(&s->err, TAMIS_ERR_IO, "cannot lock %s/.lock: %s", s->dir,
                               strerror(errno));
    return TAMIS_OK;
}

static void unlock(tamis_preserve_store *s) {
    flock(s->lockfd, LOCK_UN);
}

static int64_t now_s(const tamis_preserve_store *s) {
    double t = tamis_clock_now(s->has_clock ? &s->clock : NULL);
    return t > 0 ? (int64_t)floor(t) : 0;
}

static void audit(tamis_preserve_store *s, const char *action, const char *id) {
    if (s->on_access)
        s->on_access(s->access_ctx, action, id);
}

static char *item_path(const tamis_preserve_store *s, const char *id) {
    char name[NAME_LEN + 1];
    hex_name(id, name);
    size_t dl = strlen(s->dir);
    char *p = tamis__malloc(dl + 1 + NAME_LEN + 1);
    if (p) {
        memcpy(p, s->dir, dl);
        p[dl] = '/';
        memcpy(p + dl + 1, name, NAME_LEN + 1);
    }
    return p;
}

static size_t max_file(void) {
    return TAMIS__PV_FIXED + TAMIS_PRESERVE_MAX_ID + TAMIS__PV_MAX_CTYPE + TAMIS__PV_MAX_META +
           TAMIS__PV_MAX_NOTE + TAMIS_PRESERVE_MAX_CONTENT + TAMIS__PV_TAG;
}

/* Reads and decrypts the file of `id`, checking it holds that id. */
static tamis_status load(tamis_preserve_store *s, const char *id, uint8_t **file, size_t *flen,
                         tamis__pv_header *h, uint8_t **plain) {
    *file = NULL;
    *plain = NULL;
    if (!id || !valid_id(id, strlen(id)))
        return tamis__fail(&s->err, TAMIS_ERR_INVALID, "bad item id (1 to %d bytes, no control characters)",
                           TAMIS_PRESERVE_MAX_ID);
    char *path = item_path(s, id);
    if (!path)
        return tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
    tamis_status st = read_all(s, path, id, max_file(), file, flen);
    if (st == TAMIS_OK) {
        tamis__err e;
        tamis__err_clear(&e);
        st = tamis__pv_open(s->key, *file, *flen, h, plain, &e);
        if (st != TAMIS_OK)
            tamis__fail(&s->err, st, "item %s (%s): %s", id, path, e.msg);
        else if (h->id_len != strlen(id) || memcmp(h->id, id, h->id_len) != 0) {
            st = tamis__fail(&s->err, TAMIS_ERR_CORRUPT,
                             "item %s (%s): the file holds another item (%.*s): it was renamed", id,
                             path, (int)h->id_len, h->id);
        }
    }
    tamis__free(path);
    if (st != TAMIS_OK) {
        if (*plain) {
            OPENSSL_cleanse(*plain, (size_t)h->meta_len + h->note_len + (size_t)h->content_len);
            tamis__free(*plain);
        }
        tamis__free(*file);
        *plain = NULL;
        *file = NULL;
    }
    return st;
}

static void wipe_free(uint8_t *p, size_t n) {
    if (p) {
        OPENSSL_cleanse(p, n);
        tamis__free(p);
    }
}

/* ---- the key -------------------------------------------------------------- */

tamis_status tamis_preserve_keygen(const char *path, char *err, size_t errlen) {
    char msg[TAMIS__ERRMSG_LEN];
    if (!path || !*path) {
        copy_err(err, errlen, "no key file path");
        return TAMIS_ERR_INVALID;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int exists = errno == EEXIST;
        snprintf(msg, sizeof msg, exists ? "%s already exists: a key is never overwritten (the items "
                                           "preserved under it would be lost)"
                                         : "cannot create %s: %s",
                 path, strerror(errno));
        copy_err(err, errlen, msg);
        return exists ? TAMIS_ERR_EXISTS : TAMIS_ERR_IO;
    }
    uint8_t key[32];
    tamis_status st = TAMIS_OK;
    if (RAND_bytes(key, sizeof key) != 1) {
        snprintf(msg, sizeof msg, "OpenSSL's RAND_bytes failed: no key written");
        st = TAMIS_ERR_INTERNAL;
    } else if (fchmod(fd, 0600) != 0 || write_full(fd, key, sizeof key) != 0 || fsync(fd) != 0) {
        snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(errno));
        st = TAMIS_ERR_IO;
    }
    OPENSSL_cleanse(key, sizeof key);
    if (close(fd) != 0 && st == TAMIS_OK) {
        snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(errno));
        st = TAMIS_ERR_IO;
    }
    if (st != TAMIS_OK) {
        unlink(path);
        copy_err(err, errlen, msg);
        return st;
    }
    /* The new name must survive a crash too. */
    char *dir = str_dup(path, strlen(path));
    if (dir) {
        char *slash = strrchr(dir, '/');
        const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
        int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        tamis__free(dir);
    }
    return TAMIS_OK;
}

static tamis_status load_key(const char *path, uint8_t key[32], char *msg, size_t n) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, n, "cannot open the key file %s: %s", path, strerror(errno));
        return errno == ENOENT ? TAMIS_ERR_NOT_FOUND : TAMIS_ERR_IO;
    }
    struct stat sb;
    tamis_status st = TAMIS_OK;
    if (fstat(fd, &sb) != 0) {
        snprintf(msg, n, "cannot stat the key file %s: %s", path, strerror(errno));
        st = TAMIS_ERR_IO;
    } else if (!S_ISREG(sb.st_mode)) {
        snprintf(msg, n, "the key file %s is not a regular file", path);
        st = TAMIS_ERR_INVALID;
    } else if (sb.st_mode & 077) {
        snprintf(msg, n, "the key file %s may be read or written by others (mode %04o): "
                 "refused; chmod 600 it (and consider the key disclosed)",
                 path, (unsigned)(sb.st_mode & 07777));
        st = TAMIS_ERR_INVALID;
    } else if (sb.st_size != 32) {
        snprintf(msg, n, "the key file %s has %lld bytes, not 32: not a preservation key "
                 "(tamis_preserve_keygen makes one)", path, (long long)sb.st_size);
        st = TAMIS_ERR_INVALID;
    } else {
        size_t got = 0;
        while (got < 32) {
            ssize_t r = read(fd, key + got, 32 - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got != 32) {
            snprintf(msg, n, "cannot read the key file %s", path);
            st = TAMIS_ERR_IO;
            OPENSSL_cleanse(key, 32);
        }
    }
    close(fd);
    return st;
}

/* ---- the store ------------------------------------------------------------ */

tamis_status tamis_preserve_open(const char *dir, const char *key_path,
                                 const tamis_clock *clock,
                                 tamis_preserve_access_fn on_access, void *access_ctx,
                                 tamis_preserve_store **out, char *err, size_t errlen) {
    char msg[TAMIS__ERRMSG_LEN] = "";
    if (out)
        *out = NULL;
    if (!dir || !*dir || !key_path || !*key_path || !out) {
        copy_err(err, errlen, "tamis_preserve_open needs a directory, a key file and an out pointer");
        return TAMIS_ERR_INVALID;
    }
    tamis_preserve_store *s = tamis__calloc(1, sizeof *s);
    if (!s) {
        copy_err(err, errlen, "out of memory");
        return TAMIS_ERR_NOMEM;
    }
    s->dirfd = s->lockfd = -1;
    tamis_status st = TAMIS_OK;
    char *rdir = NULL, *rkey = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(msg, sizeof msg, "cannot create the preservation directory %s: %s", dir, strerror(errno));
        st = TAMIS_ERR_IO;
        goto done;
    }
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        snprintf(msg, sizeof msg, "cannot open the preservation directory %s: %s", dir, strerror(errno));
        st = TAMIS_ERR_IO;
        goto done;
    }
    st = load_key(key_path, s->key, msg, sizeof msg);
    if (st != TAMIS_OK)
        goto done;
    /* A key beside what it protects protects nothing. */
    rdir = realpath(dir, NULL);
    rkey = realpath(key_path, NULL);
    if (!rdir || !rkey) {
        snprintf(msg, sizeof msg, "cannot resolve %s: %s", !rdir ? dir : key_path, strerror(errno));
        st = TAMIS_ERR_IO;
        goto done;
    }
    size_t dl = strlen(rdir);
    if (strncmp(rkey, rdir, dl) == 0 && (rkey[dl] == '/' || dl == 1)) {
        snprintf(msg, sizeof msg, "the key file %s is inside the preservation directory %s: "
                 "keep it elsewhere", key_path, dir);
        st = TAMIS_ERR_INVALID;
        goto done;
    }
    s->lockfd = openat(s->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    s->dir = str_dup(dir, strlen(dir));
    if (s->lockfd < 0 || !s->dir) {
        snprintf(msg, sizeof msg, !s->dir ? "out of memory" : "cannot open %s/.lock: %s", dir,
                 strerror(errno));
        st = !s->dir ? TAMIS_ERR_NOMEM : TAMIS_ERR_IO;
        goto done;
    }
    tamis__pv_key_id(s->key, s->key_id);
    if (clock) {
        s->clock = *clock;
        s->has_clock = 1;
    }
    s->on_access = on_access;
    s->access_ctx = access_ctx;
done:
    free(rdir);
    free(rkey);
    if (st != TAMIS_OK) {
        copy_err(err, errlen, msg);
        tamis_preserve_close(s);
        return st;
    }
    *out = s;
    return TAMIS_OK;
}

void tamis_preserve_close(tamis_preserve_store *s) {
    if (!s)
        return;
    OPENSSL_cleanse(s->key, sizeof s->key);
    if (s->dirfd >= 0)
        close(s->dirfd);
    if (s->lockfd >= 0)
        close(s->lockfd);
    tamis__free(s->dir);
    tamis__free(s);
}

const char *tamis_preserve_errmsg(const tamis_preserve_store *s) {
    return s ? s->err.msg : "no preservation store";
}

tamis_status tamis_preserve_put(tamis_preserve_store *s, const char *id, const void *content,
                                size_t len, const char *content_type, const char *metadata_json,
                                int64_t retention, int64_t *expires) {
    if (!s)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&s->err);
    if (!id || !valid_id(id, strlen(id)))
        return tamis__fail(&s->err, TAMIS_ERR_INVALID, "bad item id (1 to %d bytes, no control characters)",
                           TAMIS_PRESERVE_MAX_ID);
    if (!content && len)
        return tamis__fail(&s->err, TAMIS_ERR_INVALID, "%s: no content", id);
    if (len > TAMIS_PRESERVE_MAX_CONTENT)
        return tamis__fail(&s->err, TAMIS_ERR_TOO_LARGE, "%s: %zu bytes, over the limit of %zu", id,
                           len, TAMIS_PRESERVE_MAX_CONTENT);
    const char *ct = content_type ? content_type : "";
    if (!valid_ctype(ct, strlen(ct)))
        return tamis__fail(&s->err, TAMIS_ERR_INVALID,
                           "%s: content type must be at most 255 printable ASCII characters", id);
    size_t ml = metadata_json ? strlen(metadata_json) : 0;
    if (metadata_json) {
        if (ml > TAMIS__PV_MAX_META)
            return tamis__fail(&s->err, TAMIS_ERR_TOO_LARGE, "%s: metadata over %u bytes", id,
                               TAMIS__PV_MAX_META);
        json_error_t je;
        json_t *j = json_loadb(metadata_json, ml, JSON_REJECT_DUPLICATES, &je);
        int obj = json_is_object(j);
        json_decref(j);
        if (!obj)
            return tamis__fail(&s->err, TAMIS_ERR_INVALID, "%s: metadata is not a JSON object%s%s", id,
                               j ? "" : ": ", j ? "" : je.text);
    }
    if (retention == 0)
        retention = TAMIS_PRESERVE_DEFAULT_RETENTION;
    int64_t now = now_s(s);
    if (retention < 0 || retention > INT64_MAX - now)
        return tamis__fail(&s->err, TAMIS_ERR_INVALID, "%s: retention of %" PRId64 " s is out of range",
                           id, retention);
    tamis__pv_header h;
    memset(&h, 0, sizeof h);
    h.created = now;
    h.expires = now + retention;
    h.id = id;
    h.id_len = strlen(id);
    h.ctype = ct;
    h.ctype_len = strlen(ct);
    char *path = item_path(s, id);
    if (!path)
        return tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
    uint8_t *buf = NULL;
    size_t blen = 0;
    tamis_status st = lock(s);
    if (st == TAMIS_OK) {
        struct stat sb;
        if (lstat(path, &sb) == 0)
            st = tamis__fail(&s->err, TAMIS_ERR_EXISTS, "%s is already preserved", id);
        else if (errno != ENOENT)
            st = tamis__fail(&s->err, TAMIS_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
        if (st == TAMIS_OK)
            st = tamis__pv_seal(s->key, &h, (const uint8_t *)metadata_json, (uint32_t)ml, NULL, 0,
                                content, len, &buf, &blen, &s->err);
        if (st == TAMIS_OK)
            st = write_atomic(s, path, buf, blen);
        unlock(s);
    }
    tamis__free(buf);
    tamis__free(path);
    if (st != TAMIS_OK)
        return st;
    if (expires)
        *expires = h.expires;
    audit(s, "preserve", id);
    return TAMIS_OK;
}

void tamis_preserved_free(tamis_preserved *it) {
    if (!it)
        return;
    wipe_free(it->content, it->content_len);
    if (it->metadata)
        wipe_free((uint8_t *)it->metadata, strlen(it->metadata));
    if (it->hold_reason)
        wipe_free((uint8_t *)it->hold_reason, strlen(it->hold_reason));
    tamis__free(it->id);
    tamis__free(it->content_type);
    tamis__free(it);
}

tamis_status tamis_preserve_read(tamis_preserve_store *s, const char *id, tamis_preserved **out) {
    if (out)
        *out = NULL;
    if (!s || !out)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&s->err);
    uint8_t *file, *plain;
    size_t flen;
    tamis__pv_header h;
    tamis_status st = load(s, id, &file, &flen, &h, &plain);
    if (st != TAMIS_OK)
        return st;
    size_t plen = (size_t)h.meta_len + h.note_len + (size_t)h.content_len;
    /* The metadata and note are returned as C strings: a NUL inside could
     * only come from a writer other than tamis_preserve_put. */
    if (memchr(plain, 0, h.meta_len + h.note_len)) {
        wipe_free(plain, plen);
        tamis__free(file);
        return tamis__fail(&s->err, TAMIS_ERR_CORRUPT, "item %s: a NUL byte in its metadata", id);
    }
    tamis_preserved *it = tamis__calloc(1, sizeof *it);
    if (it) {
        it->id = str_dup(h.id, h.id_len);
        it->content_type = str_dup(h.ctype, h.ctype_len);
        it->metadata = h.meta_len ? str_dup((const char *)plain, h.meta_len) : NULL;
        it->hold_reason = h.note_len ? str_dup((const char *)plain + h.meta_len, h.note_len) : NULL;
        it->content = tamis__malloc(h.content_len ? (size_t)h.content_len : 1);
        if (it->content) {
            memcpy(it->content, plain + h.meta_len + h.note_len, (size_t)h.content_len);
            it->content_len = (size_t)h.content_len;
        }
        it->created = h.created;
        it->expires = h.expires;
        it->hold_changed = h.hold_changed;
        it->legal_hold = (h.flags & TAMIS__PV_FLAG_HOLD) != 0;
    }
    wipe_free(plain, plen);
    tamis__free(file);
    if (!it || !it->id || !it->content_type || !it->content || (h.meta_len && !it->metadata) ||
        (h.note_len && !it->hold_reason)) {
        tamis_preserved_free(it);
        return tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
    }
    *out = it;
    audit(s, "read", id);
    return TAMIS_OK;
}

/* Re-seals item `id` with the hold flag `on` and `reason` as its note. */
static tamis_status set_hold(tamis_preserve_store *s, const char *id, const char *reason, int on) {
    if (!s)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&s->err);
    if (!reason || !*reason || strlen(reason) > TAMIS__PV_MAX_NOTE)
        return tamis__fail(&s->err, TAMIS_ERR_INVALID, "a legal hold or its release needs a reason "
                           "(1 to %u bytes)", TAMIS__PV_MAX_NOTE);
    tamis_status st = lock(s);
    if (st != TAMIS_OK)
        return st;
    uint8_t *file = NULL, *plain = NULL, *buf = NULL;
    size_t flen = 0, blen = 0, plen = 0;
    char *path = NULL;
    tamis__pv_header h;
    st = load(s, id, &file, &flen, &h, &plain);
    if (st == TAMIS_OK) {
        plen = (size_t)h.meta_len + h.note_len + (size_t)h.content_len;
        if (!on && !(h.flags & TAMIS__PV_FLAG_HOLD))
            st = tamis__fail(&s->err, TAMIS_ERR_INVALID, "%s is not on legal hold", id);
    }
    if (st == TAMIS_OK) {
        h.flags = on ? (uint8_t)(h.flags | TAMIS__PV_FLAG_HOLD) : (uint8_t)(h.flags & ~TAMIS__PV_FLAG_HOLD);
        int64_t now = now_s(s);
        h.hold_changed = now > h.hold_changed ? now : h.hold_changed;
        st = tamis__pv_seal(s->key, &h, plain, h.meta_len, (const uint8_t *)reason,
                            (uint32_t)strlen(reason), plain + h.meta_len + h.note_len,
                            h.content_len, &buf, &blen, &s->err);
    }
    if (st == TAMIS_OK && !(path = item_path(s, id)))
        st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
    if (st == TAMIS_OK)
        st = write_atomic(s, path, buf, blen);
    unlock(s);
    wipe_free(plain, plen);
    tamis__free(file);
    tamis__free(buf);
    tamis__free(path);
    if (st == TAMIS_OK)
        audit(s, on ? "hold" : "release", id);
    return st;
}

tamis_status tamis_preserve_hold(tamis_preserve_store *s, const char *id, const char *reason) {
    return set_hold(s, id, reason, 1);
}

tamis_status tamis_preserve_release(tamis_preserve_store *s, const char *id, const char *reason) {
    return set_hold(s, id, reason, 0);
}

/* Reads the clear header of the file `name` in the store. */
static tamis_status peek(tamis_preserve_store *s, const char *name, tamis__pv_header *h,
                         uint8_t *buf, size_t cap) {
    int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? TAMIS_ERR_NOT_FOUND : TAMIS_ERR_IO;
    struct stat sb;
    ssize_t r = -1;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        r = pread(fd, buf, cap, 0);
    close(fd);
    if (r < 0)
        return TAMIS_ERR_IO;
    tamis_status st = tamis__pv_parse(buf, (size_t)r, 0, h, NULL);
    if (st == TAMIS_OK && (uint64_t)sb.st_size != (uint64_t)h->header_len + h->meta_len +
                                                      h->note_len + h->content_len + TAMIS__PV_TAG)
        st = TAMIS_ERR_CORRUPT;
    return st;
}

#define PEEK_CAP (TAMIS__PV_FIXED + TAMIS_PRESERVE_MAX_ID + TAMIS__PV_MAX_CTYPE)

static int entry_cmp(const void *a, const void *b) {
    const tamis_preserve_entry *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

void tamis_preserve_list_free(tamis_preserve_entry *entries, size_t n) {
    if (!entries)
        return;
    for (size_t i = 0; i < n; i++)
        tamis__free(entries[i].id);
    tamis__free(entries);
}

tamis_status tamis_preserve_list(tamis_preserve_store *s, tamis_preserve_entry **out, size_t *n) {
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!s || !out || !n)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&s->err);
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return tamis__fail(&s->err, TAMIS_ERR_IO, "cannot list %s: %s", s->dir, strerror(errno));
    }
    rewinddir(d);
    tamis_preserve_entry *v = NULL;
    size_t len = 0, cap = 0;
    tamis_status st = TAMIS_OK;
    uint8_t buf[PEEK_CAP];
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_item_name(de->d_name))
            continue;
        tamis__pv_header h;
        if (peek(s, de->d_name, &h, buf, sizeof buf) != TAMIS_OK)
            continue;
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 16;
            tamis_preserve_entry *nv = tamis__realloc(v, nc * sizeof *v);
            if (!nv) {
                st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        tamis_preserve_entry *e = &v[len];
        if (!(e->id = str_dup(h.id, h.id_len))) {
            st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
            break;
        }
        e->created = h.created;
        e->expires = h.expires;
        e->legal_hold = (h.flags & TAMIS__PV_FLAG_HOLD) != 0;
        e->content_len = h.content_len;
        len++;
    }
    closedir(d);
    if (st != TAMIS_OK) {
        tamis_preserve_list_free(v, len);
        return st;
    }
    if (len)
        qsort(v, len, sizeof *v, entry_cmp);
    *out = v;
    *n = len;
    return TAMIS_OK;
}

tamis_status tamis_preserve_purge(tamis_preserve_store *s, int64_t now, size_t *removed,
                                  size_t *damaged) {
    if (removed)
        *removed = 0;
    if (damaged)
        *damaged = 0;
    if (!s)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&s->err);
    int64_t clock_now = now_s(s);
    if (now > clock_now)
        return tamis__fail(&s->err, TAMIS_ERR_INVALID,
                           "purge at %" PRId64 " refused: the store's clock says %" PRId64, now, clock_now);
    tamis_status st = lock(s);
    if (st != TAMIS_OK)
        return st;
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        unlock(s);
        return tamis__fail(&s->err, TAMIS_ERR_IO, "cannot list %s: %s", s->dir, strerror(errno));
    }
    rewinddir(d);
    /* Names are collected first: removing entries while readdir walks the
     * directory may make it skip some. */
    char **names = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_item_name(de->d_name) && !is_tmp_name(de->d_name))
            continue;
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = tamis__realloc(names, nc * sizeof *names);
            if (!nn) {
                st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[len] = str_dup(de->d_name, strlen(de->d_name)))) {
            st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
            break;
        }
        len++;
    }
    closedir(d);
    size_t nrem = 0, ndam = 0;
    time_t real_now = time(NULL);
    uint8_t peekbuf[PEEK_CAP];
    /* Ids of the removed, reported once the lock is released. */
    char **gone = NULL;
    if (st == TAMIS_OK && len && !(gone = tamis__calloc(len, sizeof *gone)))
        st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == TAMIS_OK && i < len; i++) {
        const char *name = names[i];
        if (is_tmp_name(name)) {
            /* Left by a crash between write and rename; the age keeps a
             * preserve in flight in another process from losing its file. */
            struct stat sb;
            if (fstatat(s->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                real_now - sb.st_mtime >= TMP_STALE_SECONDS)
                st = secure_unlink(s, name);
            continue;
        }
        tamis__pv_header h;
        tamis_status ps = peek(s, name, &h, peekbuf, sizeof peekbuf);
        if (ps == TAMIS_ERR_NOT_FOUND)
            continue;
        if (ps != TAMIS_OK) {
            ndam++;
            continue;
        }
        if ((h.flags & TAMIS__PV_FLAG_HOLD) || h.expires > now)
            continue;
        /* Only a genuine header may cause a removal: check it (and that
         * the file is the one its id names) before destroying anything. */
        char *id = str_dup(h.id, h.id_len);
        if (!id) {
            st = tamis__fail(&s->err, TAMIS_ERR_NOMEM, "out of memory");
            break;
        }
        char want[NAME_LEN + 1];
        hex_name(id, want);
        uint8_t *file = NULL, *plain = NULL;
        size_t flen;
        tamis__pv_header full;
        tamis_status ls = strcmp(want, name) == 0 ? load(s, id, &file, &flen, &full, &plain)
                                                  : TAMIS_ERR_CORRUPT;
        if (ls == TAMIS_OK && !(full.flags & TAMIS__PV_FLAG_HOLD) && full.expires <= now) {
            wipe_free(plain, (size_t)full.meta_len + full.note_len + (size_t)full.content_len);
            tamis__free(file);
            st = secure_unlink(s, name);
            if (st == TAMIS_OK) {
                gone[nrem++] = id;
                id = NULL;
            }
        } else {
            if (ls == TAMIS_OK) {
                wipe_free(plain, (size_t)full.meta_len + full.note_len + (size_t)full.content_len);
                tamis__free(file);
            } else if (ls == TAMIS_ERR_NOMEM) {
                st = ls;
            } else if (ls != TAMIS_ERR_NOT_FOUND) {
                ndam++; /* its message stays in tamis_preserve_errmsg */
            }
        }
        tamis__free(id);
    }
    unlock(s);
    for (size_t i = 0; i < len; i++)
        tamis__free(names[i]);
    tamis__free(names);
    for (size_t i = 0; i < nrem; i++) {
        audit(s, "purge", gone[i]);
        tamis__free(gone[i]);
    }
    tamis__free(gone);
    if (removed)
        *removed = nrem;
    if (damaged)
        *damaged = ndam;
    return st;
}
