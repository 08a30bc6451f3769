/*
 * digest_index.c - exact digests (MD5, SHA-256, ...) to ids: an open-
 * addressing hash table with linear probing. Digests are uniformly
 * distributed, so their first 8 bytes, mixed once, are the hash. Removal
 * leaves tombstones, cleared when the table is rebuilt on growth. The
 * table's arrays are the file format, so a saved table is used in place
 * after mapping; the first change copies it to memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/common.h"

#define SLOT_EMPTY 0
#define SLOT_USED 1
#define SLOT_DEAD 2

struct tamis_digest_index {
    size_t len;        /* digest bytes */
    size_t cap;        /* slots, a power of two */
    size_t used, dead; /* slots in use, tombstones */
    uint8_t *state;    /* cap */
    uint8_t *keys;     /* cap * len */
    uint64_t *ids;     /* cap */
    void *map;         /* set while the arrays point into a mapped file */
    size_t map_len;
};

static size_t slot_of(const tamis_digest_index *ix, const uint8_t *d) {
    uint64_t h = 0;
    memcpy(&h, d, ix->len < 8 ? ix->len : 8);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h & (ix->cap - 1);
}

static tamis_status alloc_table(tamis_digest_index *ix, size_t cap) {
    uint8_t *st = tamis__calloc(cap, 1);
    uint8_t *k = tamis__malloc(cap * ix->len);
    uint64_t *id = tamis__malloc(cap * sizeof *id);
    if (!st || !k || !id) {
        tamis__free(st);
        tamis__free(k);
        tamis__free(id);
        return TAMIS_ERR_NOMEM;
    }
    ix->state = st, ix->keys = k, ix->ids = id, ix->cap = cap;
    ix->used = ix->dead = 0;
    return TAMIS_OK;
}

static void free_table(tamis_digest_index *ix) {
    if (ix->map) {
        munmap(ix->map, ix->map_len);
        ix->map = NULL;
    } else {
        tamis__free(ix->state);
        tamis__free(ix->keys);
        tamis__free(ix->ids);
    }
    ix->state = ix->keys = NULL;
    ix->ids = NULL;
}

tamis_status tamis_digest_index_create(size_t digest_len, tamis_digest_index **out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (digest_len < 1 || digest_len > 64)
        return TAMIS_ERR_INVALID;
    tamis_digest_index *ix = tamis__calloc(1, sizeof *ix);
    if (!ix)
        return TAMIS_ERR_NOMEM;
    ix->len = digest_len;
    if (alloc_table(ix, 64) != TAMIS_OK) {
        tamis__free(ix);
        return TAMIS_ERR_NOMEM;
    }
    *out = ix;
    return TAMIS_OK;
}

void tamis_digest_index_free(tamis_digest_index *ix) {
    if (!ix)
        return;
    free_table(ix);
    tamis__free(ix);
}

static void put(tamis_digest_index *ix, const uint8_t *d, uint64_t id) {
    size_t i = slot_of(ix, d);
    while (ix->state[i] == SLOT_USED)
        i = (i + 1) & (ix->cap - 1);
    if (ix->state[i] == SLOT_DEAD)
        ix->dead--;
    ix->state[i] = SLOT_USED;
    memcpy(ix->keys + i * ix->len, d, ix->len);
    ix->ids[i] = id;
    ix->used++;
}

/* Rebuilds into `cap` slots (dropping tombstones; copying a mapped table
 * into memory). */
static tamis_status rehash(tamis_digest_index *ix, size_t cap) {
    tamis_digest_index old = *ix;
    if (alloc_table(ix, cap) != TAMIS_OK) {
        *ix = old;
        return TAMIS_ERR_NOMEM;
    }
    ix->map = NULL;
    for (size_t i = 0; i < old.cap; i++)
        if (old.state[i] == SLOT_USED)
            put(ix, old.keys + i * old.len, old.ids[i]);
    free_table(&old);
    return TAMIS_OK;
}

tamis_status tamis_digest_index_add(tamis_digest_index *ix, const uint8_t *digests,
                                    const uint64_t *ids, size_t n) {
    if (!ix || (n && (!digests || !ids)))
        return TAMIS_ERR_INVALID;
    /* Keep the load (tombstones included) under 0.7. */
    size_t need = ix->used + ix->dead + n;
    if (ix->map || need * 10 > ix->cap * 7) {
        size_t cap = ix->cap;
        while ((ix->used + n) * 10 > cap * 7)
            cap *= 2;
        tamis_status st = rehash(ix, cap);
        if (st != TAMIS_OK)
            return st;
    }
    for (size_t k = 0; k < n; k++)
        put(ix, digests + k * ix->len, ids[k]);
    return TAMIS_OK;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

tamis_status tamis_digest_index_remove(tamis_digest_index *ix, const uint64_t *ids,
                                       size_t n, size_t *removed) {
    if (removed)
        *removed = 0;
    if (!ix || (n && !ids))
        return TAMIS_ERR_INVALID;
    if (n == 0)
        return TAMIS_OK;
    if (ix->map) {
        tamis_status st = rehash(ix, ix->cap);
        if (st != TAMIS_OK)
            return st;
    }
    /* A sorted copy of the ids, searched by bisection, for one pass over
     * the table whatever n is. */
    uint64_t *sorted = tamis__malloc(n * sizeof *sorted);
    if (!sorted)
        return TAMIS_ERR_NOMEM;
    memcpy(sorted, ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_u64);
    size_t count = 0;
    for (size_t i = 0; i < ix->cap; i++) {
        if (ix->state[i] != SLOT_USED)
            continue;
        uint64_t v = ix->ids[i];
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (sorted[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && sorted[lo] == v) {
            ix->state[i] = SLOT_DEAD;
            ix->used--;
            ix->dead++;
            count++;
        }
    }
    tamis__free(sorted);
    if (removed)
        *removed = count;
    return TAMIS_OK;
}

tamis_status tamis_digest_index_lookup(const tamis_digest_index *ix, const uint8_t *digest,
                                       tamis_index_cb cb, void *ctx) {
    if (!ix || !digest || !cb)
        return TAMIS_ERR_INVALID;
    for (size_t i = slot_of(ix, digest); ix->state[i] != SLOT_EMPTY; i = (i + 1) & (ix->cap - 1))
        if (ix->state[i] == SLOT_USED && memcmp(ix->keys + i * ix->len, digest, ix->len) == 0 &&
            cb(ctx, ix->ids[i], 0))
            return TAMIS_DONE;
    return TAMIS_OK;
}

size_t tamis_digest_index_size(const tamis_digest_index *ix) { return ix ? ix->used : 0; }

size_t tamis_digest_index_memory(const tamis_digest_index *ix) {
    return ix ? sizeof *ix + ix->cap * (1 + ix->len + 8) : 0;
}

/* ---- Files --------------------------------------------------------------
 * Header, then state (cap bytes), keys (cap * len), ids (cap * 8), each
 * 64-byte aligned; checksums as in index_file.c. */

#define DMAGIC "TAMISDX1"

typedef struct {
    char magic[8];
    uint32_t version, header_size;
    uint64_t len, cap, used, dead, file_size;
    uint64_t off_state, off_keys, off_ids;
    uint64_t data_sum, header_sum;
} dfile_header;

uint64_t tamis__index_checksum(const uint8_t *p, size_t n);

static size_t al64(size_t x) { return (x + 63) & ~(size_t)63; }

static void dlayout(dfile_header *h) {
    h->off_state = al64(sizeof *h);
    h->off_keys = al64(h->off_state + h->cap);
    h->off_ids = al64(h->off_keys + h->cap * h->len);
    h->file_size = al64(h->off_ids + h->cap * 8);
}

tamis_status tamis_digest_index_save(const tamis_digest_index *ix, const char *path) {
    if (!ix || !path)
        return TAMIS_ERR_INVALID;
    dfile_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, DMAGIC, 8);
    h.version = 1;
    h.header_size = sizeof h;
    h.len = ix->len, h.cap = ix->cap, h.used = ix->used, h.dead = ix->dead;
    dlayout(&h);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return TAMIS_ERR_INVALID;
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return TAMIS_ERR_IO;
    tamis_status st = TAMIS_ERR_IO;
    uint8_t *map = MAP_FAILED;
    if (ftruncate(fd, (off_t)h.file_size) == 0 &&
        (map = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) != MAP_FAILED) {
        memcpy(map + h.off_state, ix->state, ix->cap);
        memcpy(map + h.off_keys, ix->keys, ix->cap * ix->len);
        memcpy(map + h.off_ids, ix->ids, ix->cap * 8);
        h.data_sum = tamis__index_checksum(map + sizeof h, h.file_size - sizeof h);
        h.header_sum = tamis__index_checksum((const uint8_t *)&h, offsetof(dfile_header, header_sum));
        memcpy(map, &h, sizeof h);
        if (msync(map, h.file_size, MS_SYNC) == 0 && fsync(fd) == 0)
            st = TAMIS_OK;
        munmap(map, h.file_size);
    }
    if (close(fd) != 0)
        st = TAMIS_ERR_IO;
    if (st == TAMIS_OK && rename(tmp, path) != 0)
        st = TAMIS_ERR_IO;
    if (st != TAMIS_OK)
        unlink(tmp);
    return st;
}

static tamis_status dfail(char *err, size_t errlen, tamis_status st, const char *path,
                          const char *why) {
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", path, why);
    return st;
}

tamis_status tamis_digest_index_load(const char *path, tamis_digest_index **out, char *err,
                                     size_t errlen) {
    if (!out || !path)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dfail(err, errlen, TAMIS_ERR_IO, path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size < sizeof(dfile_header)) {
        close(fd);
        return dfail(err, errlen, TAMIS_ERR_CORRUPT, path, "not a digest index file (too short)");
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return dfail(err, errlen, TAMIS_ERR_IO, path, strerror(errno));
    dfile_header h, want;
    memcpy(&h, map, sizeof h);
    const char *why = NULL;
    tamis_status st = TAMIS_ERR_CORRUPT;
    want = h;
    if (memcmp(h.magic, DMAGIC, 8) != 0)
        why = "not a tamis digest index file (bad magic)", st = TAMIS_ERR_UNSUPPORTED;
    else if (h.version != 1 || h.header_size != sizeof h)
        why = "unsupported digest index version", st = TAMIS_ERR_UNSUPPORTED;
    else if (h.header_sum != tamis__index_checksum((const uint8_t *)&h, offsetof(dfile_header, header_sum)))
        why = "header checksum mismatch (damaged file)";
    else if (h.len < 1 || h.len > 64 || h.cap < 64 || (h.cap & (h.cap - 1)) || h.cap > ((uint64_t)1 << 40) ||
             h.used + h.dead >= h.cap)
        why = "bad counts in header";
    else if ((dlayout(&want), want.file_size != size || want.off_ids != h.off_ids ||
              want.off_keys != h.off_keys || want.off_state != h.off_state))
        why = "layout does not match the file size";
    else if (h.data_sum != tamis__index_checksum(map + sizeof h, size - sizeof h))
        why = "data checksum mismatch (damaged file)";
    if (!why) {
        /* Counts must agree with the states, and the table must have an
         * empty slot, or a lookup would never end. */
        size_t used = 0, dead = 0;
        for (size_t i = 0; i < h.cap; i++) {
            uint8_t s = map[h.off_state + i];
            used += s == SLOT_USED;
            dead += s == SLOT_DEAD;
            if (s > SLOT_DEAD)
                why = "bad slot state";
        }
        if (!why && (used != h.used || dead != h.dead))
            why = "slot counts differ from the header";
    }
    tamis_digest_index *ix = NULL;
    if (!why && !(ix = tamis__calloc(1, sizeof *ix)))
        why = "out of memory", st = TAMIS_ERR_NOMEM;
    if (why) {
        munmap(map, size);
        return dfail(err, errlen, st, path, why);
    }
    ix->len = h.len, ix->cap = h.cap, ix->used = h.used, ix->dead = h.dead;
    ix->state = map + h.off_state;
    ix->keys = map + h.off_keys;
    ix->ids = (uint64_t *)(map + h.off_ids);
    ix->map = map;
    ix->map_len = size;
    *out = ix;
    return TAMIS_OK;
}
