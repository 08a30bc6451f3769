/*
 * preserve.h - the container file of lib/act/preserve.c, internal: tests
 * and the fuzz target (fuzz/fuzz_preserve_file.c) read and seal containers
 * in memory without a store.
 */
#ifndef TAMIS_ACT_PRESERVE_H
#define TAMIS_ACT_PRESERVE_H

#include <stdint.h>

#include "../common/common.h"

#define TAMIS__PV_FIXED 76     /* bytes of the header before id and type */
#define TAMIS__PV_NONCE 12
#define TAMIS__PV_TAG 16
#define TAMIS__PV_KEY_ID 8
#define TAMIS__PV_MAX_CTYPE 255
#define TAMIS__PV_MAX_META ((uint32_t)64 << 20)
#define TAMIS__PV_MAX_NOTE ((uint32_t)64 << 10)
#define TAMIS__PV_FLAG_HOLD 1u

/* A container's header. id and ctype point into the buffer it was parsed
 * from (or, for sealing, to the caller's strings); neither is NUL-ended. */
typedef struct tamis__pv_header {
    uint8_t flags;
    uint8_t key_id[TAMIS__PV_KEY_ID];
    uint8_t nonce[TAMIS__PV_NONCE];
    int64_t created, expires, hold_changed;
    const char *id;
    size_t id_len;
    const char *ctype;
    size_t ctype_len;
    uint32_t meta_len, note_len;
    uint64_t content_len;
    size_t header_len; /* bytes authenticated as AAD, before the ciphertext */
} tamis__pv_header;

/* The 8-byte identifier of a key written in each header, so that a file
 * sealed under another key is told from a damaged one. */
void tamis__pv_key_id(const uint8_t key[32], uint8_t out[TAMIS__PV_KEY_ID]);

/* Parses and checks the clear header of the `len` bytes at `buf` (the
 * whole file; with `whole` 0, only its start, and the sizes are not
 * checked against `len`). TAMIS_ERR_CORRUPT with a message otherwise
 * (another version too: an old reader cannot vouch for a new file). Decrypts nothing. */
tamis_status tamis__pv_parse(const uint8_t *buf, size_t len, int whole,
                             tamis__pv_header *h, tamis__err *e);

/* Parses, authenticates and decrypts a whole container. On success
 * *plain (meta, then note, then content; h->meta_len + h->note_len +
 * h->content_len bytes, at least 1 allocated) is the caller's to wipe and
 * free with tamis__free. TAMIS_ERR_CORRUPT for another key, an altered
 * byte or a damaged file, the message saying which. */
tamis_status tamis__pv_open(const uint8_t key[32], const uint8_t *buf, size_t len,
                            tamis__pv_header *h, uint8_t **plain, tamis__err *e);

/* Seals a container from `h` (flags, times, id, ctype; the sizes are taken
 * from the lengths given, the key id from the key, the nonce drawn fresh)
 * and the three parts. *out (tamis__free) holds *outlen bytes. */
tamis_status tamis__pv_seal(const uint8_t key[32], tamis__pv_header *h,
                            const uint8_t *meta, uint32_t meta_len,
                            const uint8_t *note, uint32_t note_len,
                            const uint8_t *content, uint64_t content_len,
                            uint8_t **out, size_t *outlen, tamis__err *e);

#endif
