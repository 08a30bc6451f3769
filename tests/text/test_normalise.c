/*
 * test_normalise.c - the text normaliser (lib/text/normalise.c) step by
 * step, then on English, French and Arabic examples, then bad input.
 * Examples are written for these tests.
 */
#include "../../lib/common/common.h"
#include "../test.h"

/* Normalises s with a fresh handle and returns a copy (static buffer). */
static const char *norm_flags(const char *s, size_t len, unsigned flags) {
    static char out[4096];
    tamis_text_options o = {flags, 0};
    tamis_text *t;
    ASSERT_OK(tamis_text_create(&o, &t));
    const char *r;
    size_t n;
    ASSERT_OK(tamis_text_normalise(t, s, len, &r, &n));
    ASSERT_EQ(strlen(r), n);
    snprintf(out, sizeof out, "%s", r);
    tamis_text_free(t);
    return out;
}

static const char *norm(const char *s) { return norm_flags(s, strlen(s), 0); }

TEST(normalise_nfkc_full_width_ligatures_math_letters) {
    ASSERT_STR_EQ(norm("\xef\xbc\xa1\xef\xbc\xa2\xef\xbd\x83 \xef\xbc\x91\xef\xbc\x92"), "abc 12");
    ASSERT_STR_EQ(norm("\xef\xac\x81nal"), "final");             /* fi ligature */
    ASSERT_STR_EQ(norm("\xf0\x9d\x90\x81\xf0\x9d\x90\x8e\xf0\x9d\x90\x8c\xf0\x9d\x90\x81"),
                  "bomb");                                         /* bold math letters */
    ASSERT_STR_EQ(norm("x\xc2\xb2"), "x2");
}

TEST(normalise_case_folding) {
    ASSERT_STR_EQ(norm("HeLLo WORLD"), "hello world");
    ASSERT_STR_EQ(norm("STRASSE Stra\xc3\x9f" "e"), "strasse strasse"); /* sharp s */
    ASSERT_STR_EQ(norm("\xc3\x89TAT"), "etat");
}

TEST(normalise_combining_marks_removed) {
    ASSERT_STR_EQ(norm("caf\xc3\xa9 cafe\xcc\x81 na\xc3\xafve"), "cafe cafe naive");
    ASSERT_STR_EQ(norm("z\xcc\xb6\xcc\xb8" "a\xcd\x9blgo"), "zalgo");
}

TEST(normalise_whitespace_and_punctuation_collapse) {
    ASSERT_STR_EQ(norm("  hello,\t\n world!!!  ...  "), "hello world");
    ASSERT_STR_EQ(norm("a\xc2\xa0" "b\xe2\x80\x83" "c\xe2\x80\xa8" "d"), "a b c d");
    ASSERT_STR_EQ(norm("\xc2\xab quoted \xc2\xbb -- \xe2\x80\x94 (x) [y] #tag @user"),
                  "quoted x y tag user");
    ASSERT_STR_EQ(norm("don't l\xe2\x80\x99homme"), "dont lhomme"); /* apostrophes join */
    ASSERT_STR_EQ(norm("!!!"), "");
    ASSERT_STR_EQ(norm(""), "");
}

TEST(normalise_zero_width_and_bidi_controls_removed) {
    ASSERT_STR_EQ(norm("bo\xe2\x80\x8bmb"), "bomb");                 /* ZWSP */
    ASSERT_STR_EQ(norm("a\xe2\x80\x8c" "b\xe2\x80\x8d" "c"), "abc");  /* ZWNJ, ZWJ */
    ASSERT_STR_EQ(norm("\xe2\x80\xae" "evil\xe2\x80\xac \xe2\x81\xa6x\xe2\x81\xa9"), "evil x");
    ASSERT_STR_EQ(norm("\xef\xbb\xbfstart soft\xc2\xad" "hyphen"), "start softhyphen");
    ASSERT_STR_EQ(norm("l\xe2\x80\x8er\xe2\x80\x8f"), "lr");         /* LRM, RLM */
}

TEST(normalise_homoglyphs_folded_to_latin) {
    /* Cyrillic a, o, e, p, c in "paceo" */
    ASSERT_STR_EQ(norm("\xd1\x80\xd0\xb0\xd1\x81\xd0\xb5\xd0\xbe"), "paceo");
    /* Greek capitals BOMB: Beta, Omicron, Mu, Beta */
    ASSERT_STR_EQ(norm("\xce\x92\xce\x9f\xce\x9c\xce\x92"), "bomb");
    /* Cyrillic capitals ATTACK: A T T A C K */
    ASSERT_STR_EQ(norm("\xd0\x90\xd0\xa2\xd0\xa2\xd0\x90\xd0\xa1\xd0\x9a"), "attack");
    /* Greek small nu looks like v, capital Nu like N */
    ASSERT_STR_EQ(norm("\xce\xbd \xce\x9d"), "v n");
    /* dotless i, Armenian oh */
    ASSERT_STR_EQ(norm("j\xc4\xb1had g\xd6\x85"), "jihad go");
    /* a Cyrillic letter without a Latin look-alike is kept (case folded) */
    ASSERT_STR_EQ(norm("\xd0\x94"), "\xd0\xb4");
}

TEST(normalise_arabic_tashkeel_tatweel_variants) {
    /* kataba with fatha on each letter, and with tatweel */
    ASSERT_STR_EQ(norm("\xd9\x83\xd9\x8e\xd8\xaa\xd9\x8e\xd8\xa8\xd9\x8e"), "\xd9\x83\xd8\xaa\xd8\xa8");
    ASSERT_STR_EQ(norm("\xd9\x83\xd9\x80\xd9\x80\xd8\xaa\xd8\xa8"), "\xd9\x83\xd8\xaa\xd8\xa8");
    /* alef with hamza above, below, madda, wasla: bare alef */
    ASSERT_STR_EQ(norm("\xd8\xa3 \xd8\xa5 \xd8\xa2 \xd9\xb1"), "\xd8\xa7 \xd8\xa7 \xd8\xa7 \xd8\xa7");
    /* alef maksura and Farsi yeh: yeh; teh marbuta: heh */
    ASSERT_STR_EQ(norm("\xd9\x89 \xdb\x8c \xd8\xa9"), "\xd9\x8a \xd9\x8a \xd9\x87");
    /* Arabic-Indic and Persian digits: ASCII; Arabic comma and question mark: separators */
    ASSERT_STR_EQ(norm("\xd9\xa1\xd9\xa2 \xdb\xb3\xd8\x8c\xd8\x9f"), "12 3");
    /* presentation forms (NFKC): lam-alef ligature */
    ASSERT_STR_EQ(norm("\xef\xbb\xbb"), "\xd9\x84\xd8\xa7");
}

TEST(normalise_english_example) {
    ASSERT_STR_EQ(norm("  JOIN us NOW!!  The \xe2\x80\x9c" "day\xe2\x80\x9d is coming\xe2\x80\xa6\n"
                       "Share   this message."),
                  "join us now the day is coming share this message");
    ASSERT_STR_EQ(norm("J\xd0\x9e\xce\x99N u\xd1\x95 n\xd0\xbew the d\xd0\xb0y is coming share "
                       "this message"),
                  "join us now the day is coming share this message");
}

TEST(normalise_french_example) {
    const char *a = norm("L'\xc3\xa9t\xc3\xa9 arrive : pr\xc3\xa9parez-vous, fr\xc3\xa8res !");
    ASSERT_STR_EQ(a, "lete arrive preparez vous freres");
    ASSERT_STR_EQ(norm("l ETE ARRIVE... PREPAREZ VOUS FRERES"), "l ete arrive preparez vous freres");
    ASSERT_STR_EQ(norm("\xc5\x92uvre \xc3\xa7\xc3\xa0 \xc3\xaele"), "\xc5\x93uvre ca ile");
}

TEST(normalise_arabic_example) {
    /* "al-nasr qadim" fully vowelled with hamza on alef and tatweel, and
     * written plainly: the same text */
    const char *plain = "\xd8\xa7\xd9\x84\xd9\x86\xd8\xb5\xd8\xb1 \xd9\x82\xd8\xa7\xd8\xaf\xd9\x85";
    char want[64];
    snprintf(want, sizeof want, "%s", norm(plain));
    ASSERT_STR_EQ(norm("\xd8\xa3\xd9\x84\xd9\x86\xd9\x91\xd9\x8e\xd8\xb5\xd9\x92\xd9\x80\xd9\x80"
                       "\xd8\xb1\xd9\x8f \xd9\x82\xd9\x8e\xd8\xa7\xd8\xaf\xd9\x90\xd9\x85\xd9\x8c !"),
                  want);
    ASSERT_STR_EQ(want, plain);
}

TEST(normalise_ascii_fast_path_agrees_with_utf8proc_path) {
    const char *ascii = "Tab\there, NUL and CR\r\nEnd: 'quoted' $5 {x} ~y~ A_B";
    char fast[256];
    snprintf(fast, sizeof fast, "%s", norm(ascii));
    char slow_in[256];
    /* a trailing zero-width space forces the general path and adds nothing */
    snprintf(slow_in, sizeof slow_in, "%s\xe2\x80\x8b", ascii);
    ASSERT_STR_EQ(norm(slow_in), fast);
}

TEST(normalise_nul_bytes_are_spaces) {
    ASSERT_STR_EQ(norm_flags("a\0b\0\0c", 6, 0), "a b c");
    ASSERT_STR_EQ(norm_flags("a\0b\xc3\xa9", 5, 0), "a be");
}

TEST(normalise_invalid_utf8_replaced_or_refused_with_offset) {
    /* replaced: U+FFFD is a symbol, so it separates */
    ASSERT_STR_EQ(norm_flags("ab\xff" "cd", 5, 0), "ab cd");
    ASSERT_STR_EQ(norm_flags("ab\xe2\x82" "cd", 6, 0), "ab cd");        /* truncated */
    ASSERT_STR_EQ(norm_flags("\xc0\xaf" "x", 3, 0), "x");              /* overlong */
    ASSERT_STR_EQ(norm_flags("\xed\xa0\x80" "x", 4, 0), "x");          /* surrogate */
    tamis_text_options o = {TAMIS_TEXT_REFUSE_INVALID, 0};
    tamis_text *t;
    ASSERT_OK(tamis_text_create(&o, &t));
    const char *r;
    size_t n;
    ASSERT_EQ(tamis_text_normalise(t, "caf\xc3\xa9 ok \xe2\x82", 11, &r, &n), TAMIS_ERR_CORRUPT);
    ASSERT_EQ(tamis_text_error_offset(t), 9);
    ASSERT(strstr(tamis_text_errmsg(t), "offset 9") != NULL);
    ASSERT_OK(tamis_text_normalise(t, "caf\xc3\xa9", 5, &r, &n));
    ASSERT_STR_EQ(r, "cafe");
    ASSERT_STR_EQ(tamis_text_errmsg(t), "");
    tamis_text_free(t);
}

TEST(normalise_size_limit) {
    tamis_text_options o = {0, 10};
    tamis_text *t;
    ASSERT_OK(tamis_text_create(&o, &t));
    const char *r;
    size_t n;
    ASSERT_OK(tamis_text_normalise(t, "0123456789", 10, &r, &n));
    ASSERT_EQ(tamis_text_normalise(t, "0123456789a", 11, &r, &n), TAMIS_ERR_TOO_LARGE);
    ASSERT(strstr(tamis_text_errmsg(t), "limit") != NULL);
    tamis_text_hash h;
    ASSERT_EQ(tamis_text_hash_compute(t, "0123456789a", 11, &h), TAMIS_ERR_TOO_LARGE);
    ASSERT_EQ(tamis_text_normalise(t, NULL, 3, &r, &n), TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_text_normalise(t, NULL, 0, &r, &n));
    ASSERT_STR_EQ(r, "");
    tamis_text_free(t);
    tamis_text_free(NULL);
}

TEST(normalise_survives_allocation_failures) {
    const char *s = "Caf\xc3\xa9 \xd0\x90TTACK \xd9\x83\xd9\x8e\xd8\xaa";
    for (long fail = 1; fail < 20; fail++) {
        tamis_text *t = NULL;
        tamis__alloc_fail_at(fail);
        tamis_status st = tamis_text_create(NULL, &t);
        tamis_text_hash h;
        if (st == TAMIS_OK)
            st = tamis_text_hash_compute(t, s, strlen(s), &h);
        tamis__alloc_fail_at(0);
        ASSERT(st == TAMIS_OK || st == TAMIS_ERR_NOMEM);
        tamis_text_free(t);
    }
}
