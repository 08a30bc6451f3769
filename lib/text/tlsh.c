/*
 * tlsh.c - TLSH, Trend Micro's locality-sensitive hash (Oliver, Cheng and
 * Chen, "TLSH - A Locality Sensitive Hash", 2013), in the form TLSH 4.x
 * prints by default and python-threatexchange stores for text_tlsh: 128
 * buckets, a 1-byte checksum, "T1" + 70 hex digits. Written from the
 * paper's description and checked against the digests and distances of
 * the reference's Testing/ directory (tests/text/test_tlsh.c).
 *
 * The digest: a window of 5 bytes slides over the data; each position
 * adds one to six buckets chosen by Pearson hashes of byte triplets of the
 * window (and updates a Pearson checksum); the 128 buckets are then coded
 * in 2 bits each by quartile. A header holds the checksum, the length
 * (log-scaled) and the ratios of the quartiles.
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define BUCKETS 128
#define CODE_BYTES (BUCKETS / 4)
#define MIN_LEN TAMIS_TLSH_MIN_BYTES

/* Pearson's 256-byte permutation ("Fast hashing of variable-length text
 * strings", CACM 1990, table 1), which TLSH uses for its bucket hashes. */
static const uint8_t pearson[256] = {
      1,  87,  49,  12, 176, 178, 102, 166, 121, 193,   6,  84, 249, 230,  44, 163,
     14, 197, 213, 181, 161,  85, 218,  80,  64, 239,  24, 226, 236, 142,  38, 200,
    110, 177, 104, 103, 141, 253, 255,  50,  77, 101,  81,  18,  45,  96,  31, 222,
     25, 107, 190,  70,  86, 237, 240,  34,  72, 242,  20, 214, 244, 227, 149, 235,
     97, 234,  57,  22,  60, 250,  82, 175, 208,   5, 127, 199, 111,  62, 135, 248,
    174, 169, 211,  58,  66, 154, 106, 195, 245, 171,  17, 187, 182, 179,   0, 243,
    132,  56, 148,  75, 128, 133, 158, 100, 130, 126,  91,  13, 153, 246, 216, 219,
    119,  68, 223,  78,  83,  88, 201,  99, 122,  11,  92,  32, 136, 114,  52,  10,
    138,  30,  48, 183, 156,  35,  61,  26, 143,  74, 251,  94, 129, 162,  63, 152,
    170,   7, 115, 167, 241, 206,   3, 150,  55,  59, 151, 220,  90,  53,  23, 131,
    125, 173,  15, 238,  79,  95,  89,  16, 105, 137, 225, 224, 217, 160,  37, 123,
    118,  73,   2, 157,  46, 116,   9, 145, 134, 228, 207, 212, 202, 215,  69, 229,
     27, 188,  67, 124, 168, 252,  42,   4,  29, 108,  21, 247,  19, 205,  39, 203,
    233,  40, 186, 147, 198, 192, 155,  33, 164, 191,  98, 204, 165, 180, 117,  76,
    140,  36, 210, 172,  41,  54, 159,   8, 185, 232, 113, 196, 231,  47, 146, 120,
     51,  65,  28, 144, 254, 221,  93, 189, 194, 139, 112,  43,  71, 109, 184, 209,
};

/* The length code: the smallest i with len <= length_top[i]. The bounds
 * are those of the formula of the paper, floor(log(len) / log(1.5)) up to
 * 656 bytes, floor(log(len) / log(1.3) - 8.72777) up to 3199 and
 * floor(log(len) / log(1.1) - 62.5472) beyond, evaluated once with
 * single-precision logarithms as the reference did when it tabulated them
 * (a double-precision evaluation differs at 86 bounds). */
static const uint32_t length_top[170] = {
    1, 2, 3, 5, 7, 11, 17, 25,
    38, 57, 86, 129, 194, 291, 437, 656,
    854, 1110, 1443, 1876, 2439, 3171, 3475, 3823,
    4205, 4626, 5088, 5597, 6157, 6772, 7450, 8195,
    9014, 9916, 10907, 11998, 13198, 14518, 15970, 17567,
    19323, 21256, 23382, 25720, 28292, 31121, 34233, 37656,
    41422, 45564, 50121, 55133, 60646, 66711, 73382, 80721,
    88793, 97672, 107439, 118183, 130002, 143002, 157302, 173032,
    190335, 209369, 230306, 253337, 278670, 306538, 337191, 370911,
    408002, 448802, 493682, 543050, 597356, 657091, 722800, 795081,
    874589, 962048, 1058252, 1164078, 1280486, 1408534, 1549388, 1704327,
    1874759, 2062236, 2268459, 2495305, 2744836, 3019320, 3321252, 3653374,
    4018711, 4420582, 4862641, 5348905, 5883796, 6472176, 7119394, 7831333,
    8614467, 9475909, 10423501, 11465851, 12612437, 13873681, 15261050, 16787154,
    18465870, 20312458, 22343706, 24578077, 27035886, 29739474, 32713425, 35984770,
    39583245, 43541573, 47895730, 52685306, 57953837, 63749221, 70124148, 77136564,
    84850228, 93335252, 102668779, 112935659, 124229227, 136652151, 150317384, 165349128,
    181884040, 200072456, 220079703, 242087671, 266296456, 292926096, 322218735, 354440623,
    389884688, 428873168, 471760495, 518936559, 570830240, 627913311, 690704607, 759775136,
    835752671, 919327967, 1011260767, 1112386880, 1223623232, 1345985727, 1480584256, 1628642751,
    1791507135, 1970657856, 2167723648, 2384496256, 2622945920, 2885240448, 3173764736, 3491141248,
    3840255616, 4224281216
};

static uint8_t triplet(uint8_t salt, uint8_t a, uint8_t b, uint8_t c) {
    return pearson[pearson[pearson[salt ^ a] ^ b] ^ c];
}

static int length_code(size_t len) {
    int lo = 0, hi = 169;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (len <= length_top[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int cmp_u32(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static void hex_byte(uint8_t v, char *out) {
    static const char digits[] = "0123456789ABCDEF";
    out[0] = digits[v >> 4];
    out[1] = digits[v & 15];
}

static uint8_t swap_nibbles(uint8_t v) { return (uint8_t)(v << 4 | v >> 4); }

tamis_status tamis__tlsh_compute(const uint8_t *d, size_t len, char *out) {
    out[0] = 0;
    if (len < MIN_LEN)
        return TAMIS_DONE;
    if (len > length_top[169])
        return TAMIS_ERR_TOO_LARGE;
    /* The salts are pearson[2], [3], [5], [7], [11], [13] (49, 12, 178,
     * 166, 84, 230) and pearson[0] = 1 for the checksum; the triplets of
     * the window (newest byte first) are those of the reference. Indexes
     * past 127 are counted and ignored, as there. */
    uint32_t bucket[256] = {0};
    uint8_t checksum = 0;
    for (size_t i = 4; i < len; i++) {
        uint8_t c0 = d[i], c1 = d[i - 1], c2 = d[i - 2], c3 = d[i - 3], c4 = d[i - 4];
        checksum = triplet(1, c0, c1, checksum);
        bucket[triplet(49, c0, c1, c2)]++;
        bucket[triplet(12, c0, c1, c3)]++;
        bucket[triplet(178, c0, c2, c3)]++;
        bucket[triplet(166, c0, c2, c4)]++;
        bucket[triplet(84, c0, c1, c4)]++;
        bucket[triplet(230, c0, c3, c4)]++;
    }
    uint32_t sorted[BUCKETS];
    memcpy(sorted, bucket, sizeof sorted);
    qsort(sorted, BUCKETS, sizeof sorted[0], cmp_u32);
    uint32_t q1 = sorted[BUCKETS / 4 - 1], q2 = sorted[BUCKETS / 2 - 1],
             q3 = sorted[BUCKETS - BUCKETS / 4 - 1];
    int nonzero = 0;
    for (int i = 0; i < BUCKETS; i++)
        nonzero += bucket[i] > 0;
    /* Too uniform to say anything: the reference gives no digest either. */
    if (q3 == 0 || nonzero <= BUCKETS / 2)
        return TAMIS_DONE;
    uint8_t code[CODE_BYTES];
    for (int i = 0; i < CODE_BYTES; i++) {
        uint8_t h = 0;
        for (int j = 0; j < 4; j++) {
            uint32_t k = bucket[4 * i + j];
            int q = k > q3 ? 3 : k > q2 ? 2 : k > q1 ? 1 : 0;
            h |= (uint8_t)(q << (2 * j));
        }
        code[i] = h;
    }
    uint8_t q1ratio = (uint8_t)((uint64_t)q1 * 100 / q3 % 16);
    uint8_t q2ratio = (uint8_t)((uint64_t)q2 * 100 / q3 % 16);
    /* Header bytes are printed low nibble first; the code last byte first. */
    out[0] = 'T', out[1] = '1';
    hex_byte(swap_nibbles(checksum), out + 2);
    hex_byte(swap_nibbles((uint8_t)length_code(len)), out + 4);
    hex_byte((uint8_t)(q1ratio << 4 | q2ratio), out + 6);
    for (int i = 0; i < CODE_BYTES; i++)
        hex_byte(code[CODE_BYTES - 1 - i], out + 8 + 2 * i);
    out[TAMIS_TLSH_HEX_LEN] = 0;
    return TAMIS_OK;
}

tamis_status tamis_tlsh_compute(const void *data, size_t len, char *out) {
    if (!out)
        return TAMIS_ERR_INVALID;
    out[0] = 0;
    if (!data && len)
        return TAMIS_ERR_INVALID;
    return tamis__tlsh_compute(data, len, out);
}

/* A digest as 35 bytes in printed order: checksum, length, ratios (each
 * still nibble-swapped), then the code. */
static int parse(const char *s, uint8_t b[35]) {
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (n == 72 && s[0] == 'T' && s[1] == '1')
        s += 2;
    else if (n != 70)
        return 0;
    for (int i = 0; i < 35; i++) {
        int hi = tamis__hex_digit(s[2 * i]), lo = tamis__hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return 1;
}

static int mod_diff(int x, int y, int range) {
    int d = x > y ? x - y : y - x;
    return d < range - d ? d : range - d;
}

static int ratio_diff(int x, int y) {
    int d = mod_diff(x, y, 16);
    return d <= 1 ? d : (d - 1) * 12;
}

tamis_status tamis_tlsh_distance(const char *a, const char *b, int include_length, int *out) {
    uint8_t x[35], y[35];
    if (!out || !parse(a, x) || !parse(b, y))
        return TAMIS_ERR_INVALID;
    int diff = 0;
    if (include_length) {
        int ld = mod_diff(swap_nibbles(x[1]), swap_nibbles(y[1]), 256);
        diff += ld <= 1 ? ld : ld * 12;
    }
    /* x[2] holds q1ratio in its high nibble, q2ratio in its low one. */
    diff += ratio_diff(x[2] >> 4, y[2] >> 4);
    diff += ratio_diff(x[2] & 15, y[2] & 15);
    diff += x[0] != y[0];
    /* Each 2-bit bucket code: distance 0, 1, 2, or 6 for opposite ends. */
    for (int i = 3; i < 35; i++) {
        for (int j = 0; j < 8; j += 2) {
            int d = abs(((x[i] >> j) & 3) - ((y[i] >> j) & 3));
            diff += d == 3 ? 6 : d;
        }
    }
    *out = diff;
    return TAMIS_OK;
}
