/*
 * fuzz_index_file.c - libFuzzer target for the index file loaders
 * (tamis_index_load and tamis_digest_index_load, lib/index/index_file.c
 * and digest_index.c), which map files and must refuse anything damaged
 * before a search could read outside them. The input is written to a
 * file; the first byte chooses the loader and, when the checksums would
 * reject everything, whether to repair them first (so that the checks
 * behind the checksums are reached too). Whatever loads is searched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/index/index.h"
#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, uint64_t id, int d) {
    (void)id;
    if (d < 0 || d > 256)
        abort();
    ++*(size_t *)ctx;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int mode = data[0];
    data++, size--;
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz-index-%ld.bin", (long)getpid());
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    /* Repair the checksums of a PDQ index header when asked: offsets of
     * data_sum and header_sum from the file header struct layout. */
    if ((mode & 2) && size >= 8 && memcmp(buf, "TAMISPX", 7) == 0) {
        uint32_t hs = 0; /* header_size, at offset 12 */
        if (size >= 16)
            memcpy(&hs, buf + 12, 4);
        if (hs >= 16 && hs <= size) {
            uint64_t ds = tamis__index_checksum(buf + hs, size - hs);
            memcpy(buf + hs - 16, &ds, 8);
            uint64_t hsum = tamis__index_checksum(buf, hs - 8);
            memcpy(buf + hs - 8, &hsum, 8);
        }
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        return 0;
    }
    fwrite(buf, 1, size, f);
    fclose(f);
    free(buf);
    char err[256];
    tamis_pdq q;
    memset(&q, 0x5a, sizeof q);
    if (mode & 1) {
        tamis_digest_index *d;
        if (tamis_digest_index_load(path, &d, err, sizeof err) == TAMIS_OK) {
            size_t n = 0;
            uint8_t key[64] = {0};
            tamis_digest_index_lookup(d, key, count, &n);
            tamis_digest_index_free(d);
        }
    } else {
        tamis_index *ix;
        if (tamis_index_load(path, &ix, err, sizeof err) == TAMIS_OK) {
            size_t n = 0;
            tamis_index_search(ix, &q, 31, count, &n);
            tamis_index_search(ix, &q, 256, count, &n);
            if (n > 2 * tamis_index_size(ix) + 2)
                abort();
            tamis_index_free(ix);
        }
    }
    unlink(path);
    return 0;
}
