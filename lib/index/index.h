/* index.h - the index handle shared by pdq_index.c and index_file.c
 * (internal). */
#ifndef TAMIS_INDEX_INDEX_H
#define TAMIS_INDEX_INDEX_H

#include "segment.h"

struct tamis_index {
    tamis__err err;
    code256 *buf; /* append buffer, scanned linearly */
    uint64_t *buf_ids;
    size_t nbuf, buf_cap;
    seg_segment **segs; /* largest first */
    int nsegs, segs_cap;
};

int tamis__index_search_raw(const tamis_index *ix, const code256 *q, int radius,
                            seg_emit emit, void *ctx);
void tamis__index_seg_release(seg_segment *s);
void tamis__index_unmap(seg_segment *s);
/* Merges the buffer and all segments into one (*out, NULL if empty). */
tamis_status tamis__index_merge_all(tamis_index *ix, seg_segment **out);

/* The checksum of index files (not cryptographic: it catches damage). */
uint64_t tamis__index_checksum(const uint8_t *p, size_t n);

#endif
