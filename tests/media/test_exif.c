/*
 * test_exif.c - lib/media/exif.c: the orientation tag from hand-built EXIF
 * APP1 payloads, in both byte orders; anything malformed gives 1.
 */
#include "../test.h"
#include "gen.h"

/* Builds "Exif\0\0" + a TIFF header (II or MM) + IFD0 with `n_before`
 * other entries ahead of the orientation entry (tag 0x0112, SHORT, 1).
 * `orientation` < 0 leaves the orientation entry out. Returns the length;
 * *entry_end is the offset just past the orientation entry. */
static size_t build(uint8_t *p, int le, int n_before, int orientation,
                    size_t *entry_end) {
    size_t n = 0;
    memcpy(p, "Exif\0\0", 6);
    n = 6;
    uint8_t *t = p + 6;
#define PUT16(off, v)                                                          \
    (le ? (t[off] = (uint8_t)(v), t[(off) + 1] = (uint8_t)((v) >> 8))          \
        : (t[off] = (uint8_t)((v) >> 8), t[(off) + 1] = (uint8_t)(v)))
#define PUT32(off, v)                                                          \
    (le ? (PUT16(off, (v)&0xffff), PUT16((off) + 2, (v) >> 16))                \
        : (PUT16(off, (v) >> 16), PUT16((off) + 2, (v)&0xffff)))
    t[0] = t[1] = le ? 'I' : 'M';
    PUT16(2, 42);
    PUT32(4, 8u);
    int count = n_before + (orientation >= 0);
    PUT16(8, count);
    size_t e = 10;
    for (int i = 0; i < n_before; i++, e += 12) {
        PUT16(e, 0x010f + i); /* Make, Model...: ASCII, 4 chars inline */
        PUT16(e + 2, 2);
        PUT32(e + 4, 4u);
        memcpy(t + e + 8, "abc", 4);
    }
    if (orientation >= 0) {
        PUT16(e, 0x0112);
        PUT16(e + 2, 3);
        PUT32(e + 4, 1u);
        PUT16(e + 8, orientation); /* left-justified in the value field */
        t[e + 10] = t[e + 11] = 0;
        e += 12;
    }
    *entry_end = 6 + e;
    PUT32(e, 0u); /* no next IFD */
    n += e + 4;
#undef PUT16
#undef PUT32
    return n;
}

TEST(exif_each_orientation_little_endian) {
    uint8_t p[256];
    size_t end;
    for (int o = 1; o <= 8; o++) {
        size_t n = build(p, 1, 0, o, &end);
        ASSERT_EQ(tamis__exif_orientation(p, n), o);
    }
}

TEST(exif_each_orientation_big_endian) {
    uint8_t p[256];
    size_t end;
    for (int o = 1; o <= 8; o++) {
        size_t n = build(p, 0, 0, o, &end);
        ASSERT_EQ(tamis__exif_orientation(p, n), o);
    }
}

TEST(exif_orientation_after_other_tags) {
    uint8_t p[256];
    size_t end;
    for (int le = 0; le <= 1; le++) {
        size_t n = build(p, le, 3, 6, &end);
        ASSERT_EQ(tamis__exif_orientation(p, n), 6);
    }
}

TEST(exif_hand_written_bytes) {
    /* Big-endian, one entry: orientation 8, written out byte by byte. */
    static const uint8_t mm[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42,
                                 0,   0,   0,   8,   0, 1, 0x01, 0x12, 0, 3,
                                 0,   0,   0,   1,   0, 8, 0,    0,    0, 0,
                                 0,   0};
    ASSERT_EQ(tamis__exif_orientation(mm, sizeof mm), 8);
    static const uint8_t ii[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0,
                                 8,   0,   0,   0,   1, 0, 0x12, 0x01, 3, 0,
                                 1,   0,   0,   0,   3, 0, 0,    0,    0, 0,
                                 0,   0};
    ASSERT_EQ(tamis__exif_orientation(ii, sizeof ii), 3);
}

TEST(exif_missing_tag_is_1) {
    uint8_t p[256];
    size_t end;
    size_t n = build(p, 1, 2, -1, &end);
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
}

TEST(exif_out_of_range_value_is_1) {
    uint8_t p[256];
    size_t end;
    static const int bad[] = {0, 9, 255, 0x0106};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = build(p, i % 2, 0, bad[i], &end);
        ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    }
}

TEST(exif_truncated_is_1) {
    /* Every prefix that cuts the orientation entry short gives 1; once
     * the entry is whole the value may be read. */
    uint8_t p[256];
    size_t end;
    for (int le = 0; le <= 1; le++) {
        size_t n = build(p, le, 2, 6, &end);
        for (size_t k = 0; k < n; k++) {
            uint8_t *copy = malloc(k ? k : 1); /* exact size, for ASan */
            memcpy(copy, p, k);
            int o = tamis__exif_orientation(copy, k);
            int want = k < end ? 1 : 6;
            if (o != want)
                FAIL("%s, %zu of %zu bytes: %d, want %d", le ? "II" : "MM", k, n, o, want);
            free(copy);
        }
    }
}

TEST(exif_garbage_is_1) {
    uint8_t p[256];
    size_t end, n;
    /* Not EXIF. */
    n = build(p, 1, 0, 6, &end);
    p[0] = 'e';
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    /* XMP, not EXIF. */
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>";
    ASSERT_EQ(tamis__exif_orientation((const uint8_t *)xmp, sizeof xmp), 1);
    /* Bad byte order mark. */
    n = build(p, 1, 0, 6, &end);
    p[7] = 'M';
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    /* Bad magic number. */
    n = build(p, 1, 0, 6, &end);
    p[8] = 43;
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    /* IFD offset past the end, and one that would wrap around. */
    n = build(p, 1, 0, 6, &end);
    p[10] = 200;
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    memset(p + 10, 0xff, 4);
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    /* An entry count far beyond the payload (the tag is not reached). */
    n = build(p, 0, 1, 6, &end);
    p[14] = p[15] = 0xff;
    memset(p + 16, 0, 12); /* first entry: tag 0, ignored */
    ASSERT_EQ(tamis__exif_orientation(p, n - 16), 1);
    /* Wrong type for the orientation (LONG instead of SHORT). */
    n = build(p, 1, 0, 6, &end);
    p[6 + 10 + 2] = 4;
    ASSERT_EQ(tamis__exif_orientation(p, n), 1);
    /* Nothing at all. */
    ASSERT_EQ(tamis__exif_orientation(p, 0), 1);
}

TEST(exif_random_payloads_never_crash) {
    /* Random bytes behind a valid header: any answer is 1..8; run under
     * the sanitizer build this also checks every read stays in bounds. */
    for (int round = 0; round < 5000; round++) {
        size_t n = 14 + gen_rand() % 120;
        uint8_t *p = malloc(n);
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)gen_rand();
        memcpy(p, round % 2 ? "Exif\0\0II*\0" : "Exif\0\0MM\0*", 10);
        int o = tamis__exif_orientation(p, n);
        if (o < 1 || o > 8)
            FAIL("round %d: orientation %d", round, o);
        free(p);
    }
}
