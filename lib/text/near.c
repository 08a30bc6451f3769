/*
 * near.c - the text_near signature: MinHash (Broder 1997) of the set of
 * word bigrams of the normalised text, kept as b-bit MinHash with b = 8
 * (Li and König 2010), so a signature is 128 bytes, "tn1:" + 256 hex as a
 * string. The share of equal bytes of two signatures estimates the
 * Jaccard similarity of the two bigram sets; near_index.c finds candidates
 * by locality-sensitive hashing on groups of these bytes.
 *
 * Why word bigrams: a changed word changes at most two of them, so 10 %
 * of the words changed still leaves a Jaccard similarity near 0.67, while
 * two unrelated texts share few pairs (single words would give common
 * words, and long shingles would make each edit cost more).
 *
 * The 128 hash functions are multiply-shift hashes h_k(s) = (a_k s + b_k)
 * >> 32 of a 64-bit hash of each bigram (Dietzfelbinger 1996), with a_k
 * and b_k drawn from a fixed splitmix64 sequence: they are part of the
 * format ("tn1") and never change.
 */
#include <string.h>

#include "text.h"

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* FNV-1a of a word, mixed so that its low bits are usable too. */
static uint64_t word_hash(const char *w, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)w[i]) * 0x100000001b3ull;
    return fmix64(h);
}

static void coefficients(uint64_t a[TAMIS__NEAR_K], uint64_t b[TAMIS__NEAR_K]) {
    uint64_t st = 0x74616d69736e6561ull; /* "tamisnea" */
    for (int k = 0; k < TAMIS__NEAR_K; k++) {
        a[k] = splitmix64(&st) | 1;
        b[k] = splitmix64(&st);
    }
}

static void add_shingle(uint32_t mins[TAMIS__NEAR_K], const uint64_t *a, const uint64_t *b,
                        uint64_t s) {
    for (int k = 0; k < TAMIS__NEAR_K; k++) {
        uint32_t v = (uint32_t)((a[k] * s + b[k]) >> 32);
        mins[k] = v < mins[k] ? v : mins[k];
    }
}

tamis_status tamis__near_compute(const char *norm, size_t len, tamis__near_sig *sig) {
    uint64_t a[TAMIS__NEAR_K], b[TAMIS__NEAR_K];
    uint32_t mins[TAMIS__NEAR_K];
    coefficients(a, b);
    for (int k = 0; k < TAMIS__NEAR_K; k++)
        mins[k] = UINT32_MAX;
    uint64_t prev = 0;
    size_t words = 0, i = 0;
    while (i < len) {
        while (i < len && norm[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && norm[i] != ' ')
            i++;
        if (i == start)
            break;
        uint64_t h = word_hash(norm + start, i - start);
        if (words > 0)
            add_shingle(mins, a, b, fmix64(prev * 0x9e3779b97f4a7c15ull + h));
        prev = h;
        words++;
    }
    if (words == 0)
        return TAMIS_DONE;
    if (words == 1) /* no pair: the word alone, hashed apart from pairs */
        add_shingle(mins, a, b, fmix64(prev ^ 0x5bd1e9955bd1e995ull));
    for (int k = 0; k < TAMIS__NEAR_K; k++)
        sig->v[k] = (uint8_t)mins[k];
    return TAMIS_OK;
}

int tamis__near_agree(const tamis__near_sig *x, const tamis__near_sig *y) {
    int n = 0;
    for (int k = 0; k < TAMIS__NEAR_K; k++)
        n += x->v[k] == y->v[k];
    return n;
}

/* Two different minima share their low byte by chance once in 256:
 * P(equal) = J + (1 - J) / 256, solved for J. */
double tamis__near_agree_to_similarity(int agree) {
    double p = (double)agree / TAMIS__NEAR_K;
    double j = (p - 1.0 / 256) / (1 - 1.0 / 256);
    return j < 0 ? 0 : j > 1 ? 1 : j;
}

double tamis__near_similarity(const tamis__near_sig *x, const tamis__near_sig *y) {
    return tamis__near_agree_to_similarity(tamis__near_agree(x, y));
}

void tamis__near_to_string(const tamis__near_sig *sig, char *out) {
    memcpy(out, TAMIS__NEAR_PREFIX, TAMIS__NEAR_PREFIX_LEN);
    tamis_hex_encode(sig->v, TAMIS__NEAR_K, out + TAMIS__NEAR_PREFIX_LEN);
}

tamis_status tamis__near_from_string(const char *s, size_t len, tamis__near_sig *sig) {
    if (!s || len != TAMIS__NEAR_PREFIX_LEN + 2 * TAMIS__NEAR_K ||
        memcmp(s, TAMIS__NEAR_PREFIX, TAMIS__NEAR_PREFIX_LEN) != 0)
        return TAMIS_ERR_INVALID;
    s += TAMIS__NEAR_PREFIX_LEN;
    tamis__near_sig r;
    for (int k = 0; k < TAMIS__NEAR_K; k++) {
        int hi = tamis__hex_digit(s[2 * k]), lo = tamis__hex_digit(s[2 * k + 1]);
        if (hi < 0 || lo < 0)
            return TAMIS_ERR_INVALID;
        r.v[k] = (uint8_t)(hi << 4 | lo);
    }
    *sig = r;
    return TAMIS_OK;
}
