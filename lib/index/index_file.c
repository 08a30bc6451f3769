/*
 * index_file.c - saving an index to one file and mapping it back.
 *
 * The file is a header followed by one segment's arrays in the layout of
 * segment.c, 64-byte aligned, little-endian as in memory: loading maps the
 * file and points the segment at it, so a 10-million-code index is ready
 * after one pass that checks it. A 64-bit checksum covers everything after
 * the header; the header has its own. Files are written to a temporary name
 * and renamed, so a crash leaves either the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index.h"

#define MAGIC "TAMISPX4"
#define FILE_VERSION 1
#define NOFF SEG_NOFF

typedef struct {
    char magic[8];
    uint32_t version, header_size;
    uint64_t n, nd, file_size;
    uint32_t m, reserved;
    struct {
        uint16_t start;
        uint8_t len, dir_bits, in_bits, pad[3];
    } sub[SEG_MAX_SUB];
    uint8_t perm[256];
    uint64_t offsets[NOFF];
    uint64_t data_sum;   /* checksum of bytes [header_size, file_size) */
    uint64_t header_sum; /* checksum of the header before this field */
} file_header;

/* Four independent multiply-xorshift lanes over 8-byte words, so that it
 * runs at memory speed; not cryptographic, it catches damage. */
uint64_t tamis__index_checksum(const uint8_t *p, size_t n) {
    uint64_t h[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull,
                     0x2545f4914f6cdd1dull};
    const uint64_t k = 0xff51afd7ed558ccdull;
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            h[l] = (h[l] ^ w) * k;
            h[l] ^= h[l] >> 29;
        }
    uint64_t t = 0;
    for (; i < n; i++)
        t = (t << 8 | p[i]) * 31 + 7;
    uint64_t r = h[0] ^ (h[1] * 3) ^ (h[2] * 5) ^ (h[3] * 7) ^ t ^ (uint64_t)n;
    r ^= r >> 31;
    return r * k;
}

tamis_status tamis_index_save(tamis_index *ix, const char *path) {
    if (!ix || !path)
        return TAMIS_ERR_INVALID;
    tamis__err_clear(&ix->err);
    /* Everything into one segment first (a no-op for a freshly built or
     * loaded index). */
    if (ix->nbuf || ix->nsegs > 1 || (ix->nsegs == 1 && ix->segs[0]->n_deleted)) {
        seg_segment *s;
        tamis_status st = tamis__index_merge_all(ix, &s);
        if (st != TAMIS_OK)
            return st;
        (void)s;
    }
    seg_segment empty = {0};
    const seg_segment *s = ix->nsegs ? ix->segs[0] : &empty;
    if (!ix->nsegs) {
        seg_plan(&empty, 0);
        for (int j = 0; j < 256; j++)
            empty.perm[j] = (uint8_t)j;
    }

    file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.version = FILE_VERSION;
    h.header_size = sizeof h;
    h.n = s->n;
    h.nd = s->nd;
    memcpy(h.perm, s->perm, 256);
    h.m = (uint32_t)s->m;
    for (int i = 0; i < s->m; i++) {
        h.sub[i].start = (uint16_t)s->sub[i].start;
        h.sub[i].len = (uint8_t)s->sub[i].len;
        h.sub[i].dir_bits = (uint8_t)s->sub[i].dir_bits;
        h.sub[i].in_bits = (uint8_t)s->sub[i].in_bits;
    }
    size_t off[NOFF];
    seg_segment t = *s;
    h.file_size = seg_layout(&t, sizeof h, off);
    for (int i = 0; i < 5 + 2 * s->m; i++)
        h.offsets[i] = off[i];

    /* The arrays, in file order, with their sizes. */
    const void *part[NOFF];
    size_t len[NOFF];
    int np = 0;
    part[np] = s->codes, len[np++] = s->n * sizeof(code256);
    part[np] = s->ids, len[np++] = s->n * sizeof(uint64_t);
    part[np] = s->has_dup, len[np++] = (s->n + 63) / 64 * 8;
    part[np] = s->dup_pos, len[np++] = s->nd * 4;
    part[np] = s->dup_id, len[np++] = s->nd * 8;
    for (int i = 0; i < s->m; i++) {
        part[np] = s->dir[i], len[np++] = (((size_t)1 << s->sub[i].dir_bits) + 1) * 4;
        part[np] = s->post[i], len[np++] = s->n * 4;
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return tamis__fail(&ix->err, TAMIS_ERR_INVALID, "path too long");
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tamis__fail(&ix->err, TAMIS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    /* Size the file, map it, fill it: padding is zero and the checksum is
     * computed over exactly the bytes on disk. */
    tamis_status st = TAMIS_OK;
    uint8_t *map = MAP_FAILED;
    if (ftruncate(fd, (off_t)h.file_size) != 0) {
        st = tamis__fail(&ix->err, TAMIS_ERR_IO, "cannot size %s: %s", tmp, strerror(errno));
        goto out;
    }
    map = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        st = tamis__fail(&ix->err, TAMIS_ERR_IO, "cannot map %s: %s", tmp, strerror(errno));
        goto out;
    }
    for (int i = 0; i < np; i++)
        if (len[i] && part[i]) /* an empty index has no arrays: zeros */
            memcpy(map + off[i], part[i], len[i]);
    h.data_sum = tamis__index_checksum(map + sizeof h, h.file_size - sizeof h);
    h.header_sum = tamis__index_checksum((const uint8_t *)&h, offsetof(file_header, header_sum));
    memcpy(map, &h, sizeof h);
    if (msync(map, h.file_size, MS_SYNC) != 0 || fsync(fd) != 0)
        st = tamis__fail(&ix->err, TAMIS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
out:
    if (map != MAP_FAILED)
        munmap(map, h.file_size);
    if (close(fd) != 0 && st == TAMIS_OK)
        st = tamis__fail(&ix->err, TAMIS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (st == TAMIS_OK && rename(tmp, path) != 0)
        st = tamis__fail(&ix->err, TAMIS_ERR_IO, "cannot rename to %s: %s", path, strerror(errno));
    if (st != TAMIS_OK)
        unlink(tmp);
    return st;
}

void tamis__index_unmap(seg_segment *s) {
    munmap((void *)s->map, s->map_len);
    s->map = NULL;
}

static tamis_status load_fail(char *err, size_t errlen, tamis_status st, const char *path,
                              const char *why) {
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", path, why);
    return st;
}

tamis_status tamis_index_load(const char *path, tamis_index **out, char *err,
                              size_t errlen) {
    if (!out)
        return TAMIS_ERR_INVALID;
    *out = NULL;
    if (!path)
        return TAMIS_ERR_INVALID;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return load_fail(err, errlen, TAMIS_ERR_IO, path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return load_fail(err, errlen, TAMIS_ERR_IO, path, "not a regular file");
    }
    size_t size = (size_t)sb.st_size;
    if (size < sizeof(file_header)) {
        close(fd);
        return load_fail(err, errlen, TAMIS_ERR_CORRUPT, path, "too short for an index file");
    }
    uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return load_fail(err, errlen, TAMIS_ERR_IO, path, strerror(errno));
    /* Read ahead: the whole file is about to be checked. */
    madvise(map, size, MADV_WILLNEED);

    file_header h;
    memcpy(&h, map, sizeof h);
    const char *why = NULL;
    tamis_status st = TAMIS_ERR_CORRUPT;
    seg_segment *s = NULL;
    if (memcmp(h.magic, MAGIC, 8) != 0) {
        why = "not a tamis index file (bad magic)";
        st = TAMIS_ERR_UNSUPPORTED;
    } else if (h.version != FILE_VERSION || h.header_size != sizeof h) {
        why = "unsupported index file version";
        st = TAMIS_ERR_UNSUPPORTED;
    } else if (h.header_sum != tamis__index_checksum((const uint8_t *)&h, offsetof(file_header, header_sum))) {
        why = "header checksum mismatch (damaged file)";
    } else if (h.file_size != size) {
        why = "file size differs from the header (truncated?)";
    } else if (h.n > SEG_MAX_N || h.nd > SEG_MAX_N || h.m < 1 || h.m > SEG_MAX_SUB) {
        why = "bad counts in header";
    } else if (h.data_sum != tamis__index_checksum(map + sizeof h, size - sizeof h)) {
        why = "data checksum mismatch (damaged file)";
    }
    if (!why) {
        s = tamis__calloc(1, sizeof *s);
        if (!s) {
            st = TAMIS_ERR_NOMEM;
            why = "out of memory";
        }
    }
    if (!why) {
        s->n = h.n;
        s->nd = h.nd;
        s->m = (int)h.m;
        int end = 0;
        for (int i = 0; i < s->m && !why; i++) {
            seg_sub *u = &s->sub[i];
            u->start = h.sub[i].start, u->len = h.sub[i].len;
            u->dir_bits = h.sub[i].dir_bits, u->in_bits = h.sub[i].in_bits;
            if (u->start != end || u->len < 1 || u->len > 32 || u->dir_bits < 1 ||
                u->dir_bits > 20 || u->in_bits > 8 || u->dir_bits + u->in_bits > u->len)
                why = "bad substring layout";
            end = u->start + u->len;
        }
        if (!why && end != 256)
            why = "substrings do not cover 256 bits";
        /* The bit permutation must be one. */
        uint8_t seen[256] = {0};
        for (int j = 0; j < 256 && !why; j++) {
            if (seen[h.perm[j]]++)
                why = "bad bit permutation";
            s->perm[j] = h.perm[j];
        }
        if (!why && seg_perm_tables(s) != TAMIS_OK) {
            st = TAMIS_ERR_NOMEM;
            why = "out of memory";
        }
    }
    size_t off[NOFF];
    if (!why) {
        if (seg_layout(s, sizeof h, off) != size)
            why = "layout does not match the file size";
        for (int i = 0; i < 5 + 2 * s->m && !why; i++)
            if (off[i] != h.offsets[i])
                why = "array offsets differ from the layout";
    }
    if (!why) {
        s->codes = (const code256 *)(map + off[0]);
        s->ids = (const uint64_t *)(map + off[1]);
        s->has_dup = (const uint64_t *)(map + off[2]);
        s->dup_pos = (const uint32_t *)(map + off[3]);
        s->dup_id = (const uint64_t *)(map + off[4]);
        /* Extra ids: ascending codes below n, each flagged. */
        for (size_t k = 0; k < s->nd && !why; k++) {
            uint32_t p = s->dup_pos[k];
            if (p >= s->n || (k && p < s->dup_pos[k - 1]) ||
                !(s->has_dup[p >> 6] >> (p & 63) & 1))
                why = "bad duplicate-id table";
        }
        for (int i = 0; i < s->m && !why; i++) {
            const uint32_t *dir = (const uint32_t *)(map + off[5 + 2 * i]);
            const uint32_t *post = (const uint32_t *)(map + off[6 + 2 * i]);
            size_t nb = (size_t)1 << s->sub[i].dir_bits;
            /* Offsets must rise to n and positions stay below n: nothing in
             * the file can make a search read outside it. */
            if (dir[0] != 0 || dir[nb] != s->n)
                why = "bad directory bounds";
            for (size_t b = 0; b < nb && !why; b++)
                if (dir[b + 1] < dir[b])
                    why = "directory offsets decrease";
            uint32_t bad = 0;
            for (size_t e = 0; e < s->n; e++)
                bad |= (post[e] >> 8) >= s->n;
            if (!why && bad)
                why = "posting beyond the codes";
            s->dir[i] = dir;
            s->post[i] = post;
        }
    }
    if (!why && !(s->deleted = tamis__calloc(seg_deleted_words(s->n, s->nd), 8))) {
        st = TAMIS_ERR_NOMEM;
        why = "out of memory";
    }
    tamis_index *ix = NULL;
    if (!why && tamis_index_create(&ix) != TAMIS_OK) {
        st = TAMIS_ERR_NOMEM;
        why = "out of memory";
    }
    if (why) {
        if (s) {
            tamis__free(s->deleted);
            tamis__free(s->fwd);
            tamis__free(s);
        }
        munmap(map, size);
        return load_fail(err, errlen, st, path, why);
    }
    s->map = map;
    s->map_len = size;
    if (s->n == 0) {
        tamis__index_seg_release(s);
    } else {
        ix->segs = tamis__malloc(8 * sizeof *ix->segs);
        if (!ix->segs) {
            tamis__index_seg_release(s);
            tamis_index_free(ix);
            return load_fail(err, errlen, TAMIS_ERR_NOMEM, path, "out of memory");
        }
        ix->segs_cap = 8;
        ix->segs[ix->nsegs++] = s;
    }
    *out = ix;
    return TAMIS_OK;
}
