/*
 * test_hex.c - lib/common/hex.c: PDQ hashes to and from hex, hex encoding
 * of digests, and the Hamming distance between two hashes.
 */
#include "../../lib/common/common.h"
#include "../test.h"

/* A reference hash (samples/REFERENCE-PDQ.csv, python3-skimage-002.png). */
static const char *const REF_HEX =
    "bed7058ba2005a4b071bb8a4cc6278789fbc02cfcd30d1d73fa71673c67945d2";

/* Counts differing bits nibble by nibble from the hex text: independent of
 * the byte layout and of the popcount used by the library. */
static int naive_hex_distance(const char *a, const char *b) {
    int d = 0;
    for (int i = 0; i < 64; i++) {
        int x = tamis__hex_digit(a[i]) ^ tamis__hex_digit(b[i]);
        for (; x; x >>= 1)
            d += x & 1;
    }
    return d;
}

static tamis_pdq pdq_of(const char *hex) {
    tamis_pdq h;
    if (tamis_pdq_from_hex(hex, strlen(hex), &h) != TAMIS_OK)
        FAIL("cannot parse %s", hex);
    return h;
}

TEST(pdq_hex_round_trip) {
    tamis_pdq h;
    char out[TAMIS_PDQ_HEX_LEN + 1];
    ASSERT_OK(tamis_pdq_from_hex(REF_HEX, 64, &h));
    tamis_pdq_to_hex(&h, out);
    ASSERT_STR_EQ(out, REF_HEX);
}

TEST(pdq_hex_first_digits_are_byte_0) {
    tamis_pdq h = pdq_of(REF_HEX);
    ASSERT_EQ(h.bytes[0], 0xbe);
    ASSERT_EQ(h.bytes[1], 0xd7);
    ASSERT_EQ(h.bytes[31], 0xd2);
}

TEST(pdq_hex_upper_case_accepted) {
    char upper[65];
    for (int i = 0; i < 64; i++)
        upper[i] = (REF_HEX[i] >= 'a' && REF_HEX[i] <= 'f') ? (char)(REF_HEX[i] - 32)
                                                            : REF_HEX[i];
    upper[64] = '\0';
    tamis_pdq a = pdq_of(REF_HEX), b = pdq_of(upper);
    ASSERT_EQ(memcmp(a.bytes, b.bytes, 32), 0);
    char out[65];
    tamis_pdq_to_hex(&b, out);
    ASSERT_STR_EQ(out, REF_HEX); /* printed in lower case */
}

TEST(pdq_hex_wrong_length_rejected) {
    tamis_pdq h;
    ASSERT_EQ(tamis_pdq_from_hex(REF_HEX, 63, &h), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_pdq_from_hex(REF_HEX, 62, &h), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_pdq_from_hex(REF_HEX, 0, &h), TAMIS_ERR_INVALID);
    char longer[70];
    snprintf(longer, sizeof longer, "%s00", REF_HEX);
    ASSERT_EQ(tamis_pdq_from_hex(longer, 66, &h), TAMIS_ERR_INVALID);
}

TEST(pdq_hex_non_hex_rejected) {
    static const char bad[] = {'g', 'G', ' ', '-', 'x', '\0', '/', ':', '@', '`'};
    for (size_t b = 0; b < sizeof bad; b++)
        for (int pos = 0; pos < 64; pos += 21) {
            char s[65];
            memcpy(s, REF_HEX, 65);
            s[pos] = bad[b];
            tamis_pdq h;
            if (tamis_pdq_from_hex(s, 64, &h) != TAMIS_ERR_INVALID)
                FAIL("char 0x%02x at %d accepted", (unsigned)bad[b], pos);
        }
}

TEST(pdq_hex_error_leaves_output_whole) {
    /* The header promises out-parameters are never half-written. */
    char s[65];
    memcpy(s, REF_HEX, 65);
    s[63] = 'z';
    tamis_pdq h, before;
    memset(&h, 0xa5, sizeof h);
    before = h;
    ASSERT_EQ(tamis_pdq_from_hex(s, 64, &h), TAMIS_ERR_INVALID);
    static const tamis_pdq zero;
    ASSERT(memcmp(&h, &before, sizeof h) == 0 || memcmp(&h, &zero, sizeof h) == 0);
}

TEST(pdq_hex_null_rejected) {
    tamis_pdq h;
    ASSERT_EQ(tamis_pdq_from_hex(NULL, 64, &h), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_pdq_from_hex(REF_HEX, 64, NULL), TAMIS_ERR_INVALID);
}

TEST(pdq_distance_zero_for_equal) {
    tamis_pdq a = pdq_of(REF_HEX), b = a;
    ASSERT_EQ(tamis_pdq_distance(&a, &b), 0);
}

TEST(pdq_distance_256_for_complement) {
    tamis_pdq a, b;
    memset(a.bytes, 0x00, 32);
    memset(b.bytes, 0xff, 32);
    ASSERT_EQ(tamis_pdq_distance(&a, &b), 256);
    tamis_pdq c = pdq_of(REF_HEX), d;
    for (int i = 0; i < 32; i++)
        d.bytes[i] = (uint8_t)~c.bytes[i];
    ASSERT_EQ(tamis_pdq_distance(&c, &d), 256);
}

TEST(pdq_distance_single_bits) {
    tamis_pdq a = pdq_of(REF_HEX);
    for (int k = 0; k < 256; k++) {
        tamis_pdq b = a;
        b.bytes[k / 8] ^= (uint8_t)(1u << (k % 8));
        if (tamis_pdq_distance(&a, &b) != 1 || tamis_pdq_distance(&b, &a) != 1)
            FAIL("bit %d: distance %d", k, tamis_pdq_distance(&a, &b));
    }
}

TEST(pdq_distance_hand_counted) {
    /* 01 repeated: one bit per byte; ff00 repeated: half the bits. */
    char ones[65], halves[65], zeros[65];
    for (int i = 0; i < 32; i++) {
        memcpy(ones + 2 * i, "01", 2);
        memcpy(halves + 2 * i, i % 2 ? "00" : "ff", 2);
        memcpy(zeros + 2 * i, "00", 2);
    }
    ones[64] = halves[64] = zeros[64] = '\0';
    tamis_pdq o = pdq_of(ones), hv = pdq_of(halves), z = pdq_of(zeros);
    ASSERT_EQ(tamis_pdq_distance(&z, &o), 32);
    ASSERT_EQ(tamis_pdq_distance(&z, &hv), 128);
    ASSERT_EQ(tamis_pdq_distance(&o, &hv), 128); /* 16 shared, 16+112 differ */
}

TEST(pdq_distance_known_pairs) {
    /* Reference hashes of bridge-mods/aaa-orig.jpg and two of its edits
     * (measured-cpp-core-fullres.csv), and of two unrelated samples. */
    static const char *const pairs[][2] = {
        {"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
         "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22"},
        {"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
         "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22"},
        {"bed7058ba2005a4b071bb8a4cc6278789fbc02cfcd30d1d73fa71673c67945d2",
         "1c6715e46266634f72d42df2324ad397e70e86be9c665c59a42ec19c3369b919"},
    };
    /* The first two were counted by hand: 0a22->0a2a and 2ed5->26d5 are one
     * bit each; 0a22->022a, 63f0->67f0 and 2ed5->26d5 add up to four. */
    static const int hand[] = {2, 4, -1};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        tamis_pdq a = pdq_of(pairs[i][0]), b = pdq_of(pairs[i][1]);
        int want = naive_hex_distance(pairs[i][0], pairs[i][1]);
        if (hand[i] >= 0)
            ASSERT_EQ(want, hand[i]);
        ASSERT_EQ(tamis_pdq_distance(&a, &b), want);
    }
}

TEST(hex_encode_bytes) {
    static const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[13];
    memset(out, 'X', sizeof out);
    tamis_hex_encode(b, sizeof b, out);
    ASSERT_STR_EQ(out, "00017f80abff");
}

TEST(hex_encode_empty_writes_nul) {
    char out[2] = {'X', 'X'};
    tamis_hex_encode(NULL, 0, out);
    ASSERT_EQ(out[0], '\0');
}

TEST(hex_digit_all_chars) {
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        if (tamis__hex_digit(c) != want)
            FAIL("char %d: %d vs %d", c, tamis__hex_digit(c), want);
    }
}
