/*
 * normalise.c - the text normaliser behind text_exact and text_near: two
 * texts that a reader takes for the same words normalise to the same
 * string. Unicode work (NFKC, case folding, mark removal, character
 * categories) is utf8proc's; the only tables here are the small ones
 * Unicode has no property for: look-alike letters and Arabic letter
 * variants. doc/text.md lists every step in order.
 *
 * The steps, in order:
 *   1. decode: invalid UTF-8 replaced by U+FFFD or refused (offset kept);
 *   2. NFKC with combining marks stripped (utf8proc: COMPAT, COMPOSE,
 *      STRIPMARK, IGNORE drops default-ignorables such as zero-width
 *      spaces and bidi controls);
 *   3. look-alikes folded to Latin, before case folding, so that capitals
 *      and small letters each map to what they look like (Greek capital
 *      NU looks like N, small nu like v);
 *   4. case folding (utf8proc CASEFOLD; marks it produces stripped again),
 *      then look-alikes folded again: a capital the table lacks may fold
 *      to a small letter it has (Armenian OH to oh, which looks like o),
 *      and normalising a normalised text must change nothing;
 *   5. per code point: format characters, apostrophes and tatweel
 *      dropped, Arabic
 *      variants unified, Arabic-Indic digits to ASCII; punctuation,
 *      symbols, separators and controls (NUL included) become a single
 *      space; no space at either end.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text.h"

/* Step 3: look-alikes of Latin letters, from the Latin column of Unicode's
 * confusables (UTS #39, confusables.txt), limited to the letters commonly
 * used for evasion: Cyrillic, Greek, Armenian and a few Latin variants.
 * Sorted by code point for bsearch. */
static const struct {
    uint16_t from;
    char to;
} homoglyphs[] = {
    {0x0131, 'i'}, /* dotless i */
    {0x0237, 'j'}, /* dotless j */
    {0x0251, 'a'}, /* Latin alpha */
    {0x0261, 'g'}, /* script g */
    {0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'},
    {0x0399, 'I'}, {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'},
    {0x03A1, 'P'}, {0x03A4, 'T'}, {0x03A5, 'Y'}, {0x03A7, 'X'},
    {0x03B1, 'a'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'},
    {0x03C1, 'p'}, {0x03C5, 'u'}, {0x03C7, 'x'},
    {0x0405, 'S'}, {0x0406, 'I'}, {0x0408, 'J'},
    {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'}, {0x041C, 'M'},
    {0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'},
    {0x0423, 'Y'}, {0x0425, 'X'},
    {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'},
    {0x0443, 'y'}, {0x0445, 'x'},
    {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'},
    {0x04AE, 'Y'}, {0x04AF, 'y'}, {0x04BA, 'H'}, {0x04BB, 'h'},
    {0x04C0, 'I'}, {0x04CF, 'l'},
    {0x0500, 'D'}, {0x0501, 'd'}, {0x051A, 'Q'}, {0x051B, 'q'}, {0x051C, 'W'},
    {0x051D, 'w'},
    {0x057D, 'u'}, {0x0585, 'o'}, /* Armenian seh, oh */
};

static int homoglyph(int32_t c) {
    size_t lo = 0, hi = sizeof homoglyphs / sizeof homoglyphs[0];
    if (c < 0x0131 || c > 0x0585)
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (homoglyphs[mid].from == c)
            return homoglyphs[mid].to;
        if (homoglyphs[mid].from < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Step 5, Arabic: letter variants that writers use interchangeably, as
 * Arabic search engines unify them (alef with hamza or madda or wasla to
 * bare alef; alef maksura and Farsi yeh to yeh; teh marbuta to heh; keheh
 * to kaf). Most hamza forms are already bare after step 2 (the hamza is a
 * combining mark in their decomposition). Returns 0 to drop (tatweel). */
static int32_t arabic(int32_t c) {
    switch (c) {
    case 0x0622: case 0x0623: case 0x0625: case 0x0671: case 0x0672: case 0x0673:
        return 0x0627;
    case 0x0649: case 0x06CC: case 0x0626:
        return 0x064A;
    case 0x0629:
        return 0x0647;
    case 0x0624:
        return 0x0648;
    case 0x06A9:
        return 0x0643;
    case 0x0640:
        return 0;
    }
    if (c >= 0x0660 && c <= 0x0669)
        return '0' + (c - 0x0660);
    if (c >= 0x06F0 && c <= 0x06F9)
        return '0' + (c - 0x06F0);
    return c;
}

/* Step 1: a copy with invalid sequences replaced by U+FFFD (EF BF BD) and
 * NUL bytes by spaces, so that utf8proc sees valid, NUL-free UTF-8. */
static tamis_status clean_utf8(const uint8_t *in, size_t len, unsigned flags, uint8_t **out,
                               size_t *out_len, size_t *bad_offset, tamis__err *e) {
    size_t cap;
    if (!tamis__mul_size(len, 3, &cap) || cap == SIZE_MAX)
        return tamis__fail(e, TAMIS_ERR_TOO_LARGE, "text too large");
    uint8_t *o = tamis__malloc(cap + 1);
    if (!o)
        return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory");
    size_t i = 0, n = 0;
    while (i < len) {
        if (in[i] < 0x80) {
            o[n++] = in[i] ? in[i] : ' ';
            i++;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(in + i, (utf8proc_ssize_t)(len - i), &c);
        if (k > 0) {
            memcpy(o + n, in + i, (size_t)k);
            n += (size_t)k;
            i += (size_t)k;
            continue;
        }
        if (flags & TAMIS_TEXT_REFUSE_INVALID) {
            tamis__free(o);
            if (bad_offset)
                *bad_offset = i;
            return tamis__fail(e, TAMIS_ERR_CORRUPT, "invalid UTF-8 at byte offset %zu", i);
        }
        /* One U+FFFD per maximal bad prefix: the lead byte and the
         * continuation bytes that follow it. */
        o[n++] = 0xEF, o[n++] = 0xBF, o[n++] = 0xBD;
        i++;
        while (i < len && (in[i] & 0xC0) == 0x80)
            i++;
    }
    o[n] = 0;
    *out = o;
    *out_len = n;
    return TAMIS_OK;
}

/* utf8proc_map with its errors as ours; the result is malloc'd by it. */
static tamis_status map(const uint8_t *s, size_t len, utf8proc_option_t opt, uint8_t **out,
                        size_t *out_len, tamis__err *e) {
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t r = utf8proc_map(s, (utf8proc_ssize_t)len, &d, opt);
    if (r < 0) {
        free(d);
        if (r == UTF8PROC_ERROR_NOMEM)
            return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory");
        return tamis__fail(e, TAMIS_ERR_INTERNAL, "utf8proc: %s", utf8proc_errmsg(r));
    }
    *out = d;
    *out_len = (size_t)r;
    return TAMIS_OK;
}

/* Step 3 in place: every look-alike is two bytes of UTF-8 and becomes one,
 * so the text only shrinks. */
static size_t fold_homoglyphs(uint8_t *s, size_t len) {
    size_t i = 0, n = 0;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0)
            k = 1, c = -1; /* cannot happen on utf8proc's output */
        int to = k == 2 ? homoglyph(c) : 0;
        if (to) {
            s[n++] = (uint8_t)to;
        } else {
            memmove(s + n, s + i, (size_t)k);
            n += (size_t)k;
        }
        i += (size_t)k;
    }
    return n;
}

static int is_separator(utf8proc_category_t cat) {
    switch (cat) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK: case UTF8PROC_CATEGORY_SO: case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_CO:
        return 1;
    default:
        return 0;
    }
}

/* Step 5 into `out` (at least len + 1 bytes: nothing grows). */
static size_t final_pass(const uint8_t *s, size_t len, char *out) {
    size_t i = 0, n = 0;
    int pending_space = 0;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0) {
            i++;
            continue;
        }
        i += (size_t)k;
        if (c >= 0x0600 && c <= 0x06FF) {
            c = arabic(c);
            if (!c)
                continue;
        }
        /* Apostrophes join what they separate: "l'homme" and "lhomme",
         * "don't" and "dont" are the same words to a reader. */
        if (c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x02BC || c == '`' || c == 0x00B4)
            continue;
        utf8proc_category_t cat = utf8proc_category(c);
        if (cat == UTF8PROC_CATEGORY_CF)
            continue;
        if (is_separator(cat)) {
            pending_space = n > 0;
            continue;
        }
        if (pending_space) {
            out[n++] = ' ';
            pending_space = 0;
        }
        n += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)out + n);
    }
    out[n] = 0;
    return n;
}

tamis_status tamis__text_normalise(const uint8_t *in, size_t len, unsigned flags, char **out,
                                   size_t *out_len, size_t *bad_offset, tamis__err *e) {
    static const uint8_t none[1];
    if (!in)
        in = none, len = 0;
    /* ASCII alone needs none of utf8proc's steps but case folding, which
     * for ASCII is tolower: a fast path to the same result, for what is
     * most text in Latin script (utf8proc costs ~100 us per KB). */
    size_t k = 0;
    while (k < len && in[k] < 0x80)
        k++;
    if (k == len) {
        uint8_t *low = tamis__malloc(len + 1);
        char *res = tamis__malloc(len + 1);
        if (!low || !res) {
            tamis__free(low);
            tamis__free(res);
            return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < len; i++)
            low[i] = in[i] >= 'A' && in[i] <= 'Z' ? (uint8_t)(in[i] + 32) : in[i] ? in[i] : ' ';
        *out_len = final_pass(low, len, res);
        tamis__free(low);
        *out = res;
        return TAMIS_OK;
    }
    uint8_t *clean = NULL, *nfkc = NULL, *folded = NULL;
    size_t clean_len = 0, nfkc_len = 0, folded_len = 0;
    tamis_status st = clean_utf8(in, len, flags, &clean, &clean_len, bad_offset, e);
    if (st != TAMIS_OK)
        return st;
    const utf8proc_option_t base = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                   UTF8PROC_STRIPMARK | UTF8PROC_IGNORE;
    st = map(clean, clean_len, base, &nfkc, &nfkc_len, e);
    tamis__free(clean);
    if (st != TAMIS_OK)
        return st;
    nfkc_len = fold_homoglyphs(nfkc, nfkc_len);
    st = map(nfkc, nfkc_len, base | UTF8PROC_CASEFOLD, &folded, &folded_len, e);
    free(nfkc);
    if (st != TAMIS_OK)
        return st;
    folded_len = fold_homoglyphs(folded, folded_len);
    char *res = tamis__malloc(folded_len + 1);
    if (!res) {
        free(folded);
        return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory");
    }
    *out_len = final_pass(folded, folded_len, res);
    free(folded);
    *out = res;
    return TAMIS_OK;
}
