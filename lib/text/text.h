/*
 * text.h - internal interface of the text signals (lib/text/): the
 * normaliser, the near-duplicate signature (word-bigram MinHash) and TLSH,
 * shared by text.c (the public handle), near_index.c, the tests and the
 * benchmark. Depends on common/, utf8proc and OpenSSL.
 */
#ifndef TAMIS_TEXT_TEXT_H
#define TAMIS_TEXT_TEXT_H

#include "../common/common.h"

/* ---- normalise.c ---- */

/* Normalises `len` bytes of UTF-8 into a fresh NUL-terminated buffer
 * (*out, freed with tamis__free; *out_len excludes the NUL). `flags` are
 * TAMIS_TEXT_*. On invalid UTF-8 with TAMIS_TEXT_REFUSE_INVALID, returns
 * TAMIS_ERR_CORRUPT with the byte offset of the first bad sequence in
 * *bad_offset. The size limit is the caller's to check. */
tamis_status tamis__text_normalise(const uint8_t *in, size_t len, unsigned flags,
                                   char **out, size_t *out_len, size_t *bad_offset,
                                   tamis__err *e);

/* ---- near.c ---- */

/* The near-duplicate signature: NEAR_K one-byte MinHash values (b-bit
 * MinHash, b = 8) over the set of word bigrams of the normalised text. */
#define TAMIS__NEAR_K 128
#define TAMIS__NEAR_PREFIX "tn1:"
#define TAMIS__NEAR_PREFIX_LEN 4

typedef struct tamis__near_sig {
    uint8_t v[TAMIS__NEAR_K];
} tamis__near_sig;

/* Computes the signature of normalised text (words separated by single
 * spaces). Returns TAMIS_DONE, leaving *sig untouched, when the text has
 * no word. */
tamis_status tamis__near_compute(const char *norm, size_t len, tamis__near_sig *sig);

/* The estimated Jaccard similarity of the two bigram sets, 0..1. */
double tamis__near_similarity(const tamis__near_sig *a, const tamis__near_sig *b);

/* Matching bytes of two signatures (the count behind the similarity). */
int tamis__near_agree(const tamis__near_sig *a, const tamis__near_sig *b);
double tamis__near_agree_to_similarity(int agree);

/* "tn1:" and 2*NEAR_K lower-case hex digits, and a NUL. */
void tamis__near_to_string(const tamis__near_sig *sig, char *out);
tamis_status tamis__near_from_string(const char *s, size_t len, tamis__near_sig *sig);

/* ---- tlsh.c ---- */

/* The TLSH digest (128 buckets, 1-byte checksum) of `len` bytes, as
 * "T1" and 70 upper-case hex digits and a NUL. TAMIS_DONE and "" when the
 * data has no digest (under 50 bytes, or too uniform). */
tamis_status tamis__tlsh_compute(const uint8_t *data, size_t len, char *out);

#endif
