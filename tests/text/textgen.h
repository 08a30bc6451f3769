/*
 * textgen.h - the accuracy test data of the text signals, shared by
 * tests/text/test_accuracy.c (a subset, with the targets asserted) and
 * bench/text.c (the whole table, and the 1M-post bank): posts cut from
 * the corpus in ../shared/corpus/text (English, French, Arabic), edited
 * copies of each post of every edit kind, and the measurement of recall
 * per kind and of false matches over all pairs of distinct posts.
 *
 * Header-only (static functions) so that both programs build it without
 * a Makefile rule of their own. Uses the public API, and text.h for the
 * signatures in binary form.
 */
#ifndef TAMIS_TEXTGEN_H
#define TAMIS_TEXTGEN_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/text/text.h"
#include "tamis.h"

/* ---- a growable string and a deterministic random source ---- */

typedef struct tg_buf {
    char *p;
    size_t n, cap;
} tg_buf;

static void tg_put(tg_buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void tg_puts(tg_buf *b, const char *s) { tg_put(b, s, strlen(s)); }

static uint64_t tg_rand(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static size_t tg_below(uint64_t *s, size_t n) { return n ? (size_t)(tg_rand(s) % n) : 0; }

/* ---- posts ---- */

typedef struct tg_post {
    char *text;
    size_t len;
    char lang[3]; /* "en", "fr", "ar" */
} tg_post;

typedef struct tg_corpus {
    tg_post *posts;
    size_t n, cap;
} tg_corpus;

static int tg_is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Characters (code points) in s[0..n). */
static size_t tg_chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += !tg_is_cont((unsigned char)s[i]);
    return c;
}

static void tg_add_post(tg_corpus *c, const char *s, size_t n, const char *lang) {
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->posts = realloc(c->posts, c->cap * sizeof *c->posts);
        if (!c->posts)
            abort();
    }
    tg_post *p = &c->posts[c->n++];
    p->text = malloc(n + 1);
    if (!p->text)
        abort();
    memcpy(p->text, s, n);
    p->text[n] = 0;
    p->len = n;
    snprintf(p->lang, sizeof p->lang, "%s", lang);
}

/* Cuts a file into posts of 100 to 3,000 characters (lengths drawn
 * log-uniformly, as posts are mostly short), each ending at a space or a
 * line end, skipping blank stretches. Posts with fewer than 12 words are
 * left out: too short to call near-duplicates by words. */
static void tg_cut(tg_corpus *c, const char *text, size_t len, const char *lang, uint64_t *rng,
                   size_t max_posts) {
    size_t i = 0;
    while (i < len && c->n < max_posts) {
        while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
            i++;
        double u = (double)tg_below(rng, 1000000) / 1000000.0;
        size_t want = (size_t)(100.0 * __builtin_exp(u * __builtin_log(30.0)));
        size_t j = i, chars = 0;
        while (j < len && chars < want) {
            chars += !tg_is_cont((unsigned char)text[j]);
            j++;
        }
        while (j < len && tg_is_cont((unsigned char)text[j]))
            j++;
        /* end at the next space (or line end) */
        while (j < len && text[j] != ' ' && text[j] != '\n')
            j++;
        if (j >= len)
            break;
        size_t words = 0;
        for (size_t k = i; k < j; k++)
            words += (text[k] == ' ' || text[k] == '\n') && k + 1 < j && text[k + 1] != ' ' &&
                     text[k + 1] != '\n';
        size_t nchars = tg_chars(text + i, j - i);
        if (words >= 12 && nchars >= 100 && nchars <= 3000)
            tg_add_post(c, text + i, j - i, lang);
        i = j;
    }
}

static int tg_cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.en.txt, *.fr.txt and *.ar.txt of `dir` (in name order),
 * at most max_per_file posts from each. Returns 0 when the directory has
 * no such file. */
static int tg_load(tg_corpus *c, const char *dir, size_t max_per_file, uint64_t seed) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char *names[256];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 256) {
        size_t l = strlen(e->d_name);
        if (l > 7 && (!strcmp(e->d_name + l - 7, ".en.txt") || !strcmp(e->d_name + l - 7, ".fr.txt") ||
                      !strcmp(e->d_name + l - 7, ".ar.txt")))
            names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], tg_cmp_names);
    uint64_t rng = seed;
    for (int k = 0; k < nn; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        FILE *f = fopen(path, "rb");
        if (f) {
            tg_buf b = {0};
            char chunk[65536];
            size_t r;
            while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
                tg_put(&b, chunk, r);
            fclose(f);
            char lang[3];
            size_t l = strlen(names[k]);
            memcpy(lang, names[k] + l - 6, 2);
            lang[2] = 0;
            if (b.p)
                tg_cut(c, b.p, b.n, lang, &rng, c->n + max_per_file);
            free(b.p);
        }
        free(names[k]);
    }
    return nn > 0;
}

static void tg_free(tg_corpus *c) {
    for (size_t i = 0; i < c->n; i++)
        free(c->posts[i].text);
    free(c->posts);
    memset(c, 0, sizeof *c);
}

/* ---- edits ---- */

enum {
    TG_CASE_SPACE, TG_PUNCT, TG_HOMOGLYPH, TG_DIACRITICS, TG_WORDS5, TG_WORDS10,
    TG_SENTENCE_ADD, TG_SENTENCE_REMOVE, TG_REORDER, TG_LINK, TG_TRUNCATE20, TG_KINDS
};

static const char *const tg_kind_names[TG_KINDS] = {
    "case+whitespace", "punctuation", "homoglyphs", "diacritics", "5% words",
    "10% words", "sentence added", "sentence removed", "sentences reordered",
    "link appended", "20% truncated"};

/* Splits s into words (maximal runs of non-space bytes); returns their
 * count, with starts and lengths in the arrays (grown as needed). */
static size_t tg_words(const char *s, size_t n, size_t **start, size_t **wlen) {
    size_t cap = 64, k = 0;
    *start = malloc(cap * sizeof **start);
    *wlen = malloc(cap * sizeof **wlen);
    for (size_t i = 0; i < n;) {
        while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i >= n)
            break;
        size_t j = i;
        while (j < n && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' && s[j] != '\r')
            j++;
        if (k == cap) {
            cap *= 2;
            *start = realloc(*start, cap * sizeof **start);
            *wlen = realloc(*wlen, cap * sizeof **wlen);
        }
        (*start)[k] = i;
        (*wlen)[k] = j - i;
        k++;
        i = j;
    }
    return k;
}

/* Drops the posts that share a passage with an earlier post: 10 % or
 * more of their word 5-grams (of the normalised text) seen before. The
 * corpus repeats itself (translations that leave paragraphs in English,
 * title pages, tables of contents): such posts are copies, not distinct
 * posts, and would count as false matches. Returns how many were dropped. */
static size_t tg_dedupe(tg_corpus *c) {
    size_t cap = 1 << 20, dropped = 0, kept = 0;
    uint64_t *set = calloc(cap, sizeof *set);
    size_t used = 0;
    tamis_text *t;
    if (!set || tamis_text_create(NULL, &t) != TAMIS_OK)
        abort();
    for (size_t i = 0; i < c->n; i++) {
        const char *norm;
        size_t nl;
        if (tamis_text_normalise(t, c->posts[i].text, c->posts[i].len, &norm, &nl) != TAMIS_OK)
            abort();
        size_t *ws, *wl;
        size_t nw = tg_words(norm, nl, &ws, &wl);
        size_t ng = nw >= 5 ? nw - 4 : 0, seen = 0;
        uint64_t *g = calloc(ng ? ng : 1, sizeof *g);
        for (size_t k = 0; k < ng; k++) {
            uint64_t h = 1469598103934665603ull;
            for (size_t j = ws[k]; j < ws[k + 4] + wl[k + 4]; j++)
                h = (h ^ (uint8_t)norm[j]) * 1099511628211ull;
            g[k] = h | 1;
            for (size_t q = h & (cap - 1); set[q]; q = (q + 1) & (cap - 1))
                if (set[q] == g[k]) {
                    seen++;
                    break;
                }
        }
        int dup = ng && seen * 10 >= ng;
        if (!dup && used + ng < cap / 2) {
            for (size_t k = 0; k < ng; k++) {
                size_t q = g[k] & (cap - 1);
                while (set[q] && set[q] != g[k])
                    q = (q + 1) & (cap - 1);
                used += !set[q];
                set[q] = g[k];
            }
        }
        free(g);
        free(ws);
        free(wl);
        if (dup) {
            free(c->posts[i].text);
            dropped++;
        } else {
            c->posts[kept++] = c->posts[i];
        }
    }
    c->n = kept;
    free(set);
    tamis_text_free(t);
    return dropped;
}

/* Sentences: split after '.', '!', '?' or the Arabic question mark
 * followed by a space, and at line ends. Returns the count; each is
 * [start, end). */
static size_t tg_sentences(const char *s, size_t n, size_t *st, size_t *en, size_t cap) {
    size_t k = 0, b = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        int end = s[i] == '\n' ||
                  ((s[i] == '.' || s[i] == '!' || s[i] == '?') && i + 1 < n && s[i + 1] == ' ') ||
                  ((unsigned char)s[i] == 0x9F && i > 0 && (unsigned char)s[i - 1] == 0xD8);
        if (end) {
            if (i + 1 > b) {
                st[k] = b;
                en[k] = i + 1;
                k++;
            }
            b = i + 1;
        }
    }
    if (b < n) {
        st[k] = b;
        en[k] = n;
        k++;
    }
    return k;
}

/* Latin letters and look-alikes from other scripts (UTF-8). */
static const char *tg_lookalike(char c) {
    switch (c) {
    case 'a': return "\xd0\xb0";  /* Cyrillic a */
    case 'c': return "\xd1\x81";
    case 'e': return "\xd0\xb5";
    case 'o': return "\xce\xbf";  /* Greek omicron */
    case 'p': return "\xd1\x80";
    case 'x': return "\xd1\x85";
    case 'y': return "\xd1\x83";
    case 'i': return "\xd1\x96";
    case 's': return "\xd1\x95";
    case 'A': return "\xce\x91";  /* Greek Alpha */
    case 'B': return "\xd0\x92";
    case 'E': return "\xd0\x95";
    case 'H': return "\xce\x97";
    case 'K': return "\xd0\x9a";
    case 'M': return "\xce\x9c";
    case 'O': return "\xd0\x9e";
    case 'P': return "\xd0\xa0";
    case 'T': return "\xce\xa4";
    case 'X': return "\xd0\xa5";
    }
    return NULL;
}

/* Accented forms used to add diacritics to Latin text, and the accented
 * letters removed from French (2-byte UTF-8, then the base letter). */
static const char *const tg_accents[][2] = {
    {"\xc3\xa9", "e"}, {"\xc3\xa8", "e"}, {"\xc3\xaa", "e"}, {"\xc3\xa0", "a"},
    {"\xc3\xa2", "a"}, {"\xc3\xa7", "c"}, {"\xc3\xae", "i"}, {"\xc3\xb4", "o"},
    {"\xc3\xbb", "u"}, {"\xc3\xb9", "u"}, {"\xc3\xab", "e"}, {"\xc3\xaf", "i"},
};

static void tg_edit(const tg_corpus *c, size_t self, int kind, uint64_t *rng, tg_buf *out) {
    const tg_post *p = &c->posts[self];
    const char *s = p->text;
    size_t n = p->len;
    out->n = 0;
    tg_put(out, "", 0);
    int arabic = !strcmp(p->lang, "ar");
    switch (kind) {
    case TG_CASE_SPACE: {
        size_t *ws, *wl;
        size_t nw = tg_words(s, n, &ws, &wl);
        for (size_t w = 0; w < nw; w++) {
            static const char *const gaps[] = {" ", "  ", "\n", "\t", "\xc2\xa0", " \n "};
            if (w)
                tg_puts(out, gaps[tg_below(rng, 6)]);
            int mode = (int)tg_below(rng, 4); /* 0 keep, 1 upper, 2 title, 3 lower */
            for (size_t k = 0; k < wl[w]; k++) {
                char ch = s[ws[w] + k];
                if (ch >= 'a' && ch <= 'z' && (mode == 1 || (mode == 2 && k == 0)))
                    ch = (char)(ch - 32);
                else if (ch >= 'A' && ch <= 'Z' && mode == 3)
                    ch = (char)(ch + 32);
                tg_put(out, &ch, 1);
            }
        }
        free(ws);
        free(wl);
        break;
    }
    case TG_PUNCT:
        for (size_t i = 0; i < n; i++) {
            char ch = s[i];
            /* clause punctuation (before a space or the end) and quotes
             * and apostrophes anywhere are dropped */
            if (ch && ((strchr(".,;:!?", ch) && (i + 1 == n || s[i + 1] == ' ' || s[i + 1] == '\n')) ||
                       strchr("\"'()", ch)))
                continue;
            tg_put(out, &ch, 1);
            if (ch == ' ' && tg_below(rng, 8) == 0) {
                static const char *const marks[] = {"- ", "... ", "!! ", ", ", "\xd8\x8c "};
                tg_puts(out, marks[tg_below(rng, arabic ? 5 : 4)]);
            }
        }
        break;
    case TG_HOMOGLYPH:
        /* Latin letters swapped for look-alikes (a third of them), some
         * full-width; invisible characters inside words; for Arabic,
         * tatweel and zero-width non-joiners inside words. */
        for (size_t i = 0; i < n; i++) {
            char ch = s[i];
            const char *alt = tg_lookalike(ch);
            if (alt && tg_below(rng, 3) == 0) {
                tg_puts(out, alt);
            } else if (((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) &&
                       tg_below(rng, 20) == 0) {
                char fw[4] = {(char)0xEF, (char)0xBC, (char)(0x81 + (ch - '!')), 0};
                if (ch >= 'a') /* U+FF41.. */
                    fw[1] = (char)0xBD, fw[2] = (char)(0x81 + (ch - 'a'));
                tg_puts(out, fw);
            } else {
                tg_put(out, &ch, 1);
                if (i + 1 < n && s[i + 1] != ' ' && ch != ' ' && !tg_is_cont((unsigned char)s[i + 1]) &&
                    tg_below(rng, 25) == 0)
                    tg_puts(out, arabic ? (tg_below(rng, 2) ? "\xd9\x80" : "\xe2\x80\x8c")
                                        : (tg_below(rng, 2) ? "\xe2\x80\x8b" : "\xe2\x80\x8f"));
            }
        }
        break;
    case TG_DIACRITICS:
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (arabic && ch >= 0xD8 && ch <= 0xD9 && i + 1 < n) {
                unsigned cp = ((ch & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F);
                i++;
                int letter = cp >= 0x0621 && cp <= 0x064A;
                if (cp == 0x0627 && tg_below(rng, 3) == 0) {
                    tg_puts(out, tg_below(rng, 2) ? "\xd8\xa3" : "\xd8\xa5"); /* alef hamza */
                } else if (cp == 0x064A && (i + 1 >= n || s[i + 1] == ' ') && tg_below(rng, 2)) {
                    tg_puts(out, "\xd9\x89"); /* final yeh as alef maksura */
                } else if (cp == 0x0647 && (i + 1 >= n || s[i + 1] == ' ') && tg_below(rng, 2)) {
                    tg_puts(out, "\xd8\xa9"); /* final heh as teh marbuta */
                } else {
                    char two[2] = {(char)ch, s[i]};
                    tg_put(out, two, 2);
                }
                if (letter && tg_below(rng, 2)) {
                    static const char *const harakat[] = {"\xd9\x8e", "\xd9\x8f", "\xd9\x90",
                                                          "\xd9\x92", "\xd9\x91", "\xd9\x8b"};
                    tg_puts(out, harakat[tg_below(rng, 6)]);
                }
                continue;
            }
            int done = 0;
            if (ch == 0xC3 && i + 1 < n) { /* accented Latin: strip it */
                for (size_t a = 0; a < sizeof tg_accents / sizeof tg_accents[0]; a++)
                    if (!memcmp(s + i, tg_accents[a][0], 2)) {
                        tg_puts(out, tg_accents[a][1]);
                        i++;
                        done = 1;
                        break;
                    }
            } else if ((ch == 'e' || ch == 'a' || ch == 'u') && tg_below(rng, 4) == 0) {
                tg_puts(out, ch == 'e' ? "\xc3\xa9" : ch == 'a' ? "\xc3\xa0" : "u\xcc\x88");
                done = 1;
            }
            if (!done)
                tg_put(out, (const char *)&ch, 1);
        }
        break;
    case TG_WORDS5:
    case TG_WORDS10: {
        /* Each word replaced with that probability by a word of another
         * post of the same language. */
        size_t *ws, *wl;
        size_t nw = tg_words(s, n, &ws, &wl);
        size_t change = nw * (kind == TG_WORDS5 ? 5 : 10) / 100;
        if (change == 0)
            change = 1;
        char *mark = calloc(nw, 1);
        for (size_t k = 0; k < change; k++)
            mark[tg_below(rng, nw)] = 1;
        for (size_t w = 0; w < nw; w++) {
            if (w)
                tg_puts(out, " ");
            if (mark[w]) {
                const tg_post *o;
                do
                    o = &c->posts[tg_below(rng, c->n)];
                while (strcmp(o->lang, p->lang) && c->n > 1);
                size_t *os, *ol;
                size_t on = tg_words(o->text, o->len, &os, &ol);
                size_t pick = tg_below(rng, on);
                tg_put(out, o->text + os[pick], ol[pick]);
                free(os);
                free(ol);
            } else {
                tg_put(out, s + ws[w], wl[w]);
            }
        }
        free(mark);
        free(ws);
        free(wl);
        break;
    }
    case TG_SENTENCE_ADD:
    case TG_SENTENCE_REMOVE:
    case TG_REORDER: {
        size_t st[512], en[512];
        size_t ns = tg_sentences(s, n, st, en, 512);
        if (kind == TG_SENTENCE_ADD) {
            const tg_post *o;
            do
                o = &c->posts[tg_below(rng, c->n)];
            while ((o == p || strcmp(o->lang, p->lang)) && c->n > 1);
            size_t ost[512], oen[512];
            size_t ons = tg_sentences(o->text, o->len, ost, oen, 512);
            size_t pick = tg_below(rng, ons), at = tg_below(rng, ns + 1);
            for (size_t k = 0; k <= ns; k++) {
                if (k == at) {
                    tg_put(out, " ", 1);
                    tg_put(out, o->text + ost[pick], oen[pick] - ost[pick]);
                    tg_put(out, " ", 1);
                }
                if (k < ns)
                    tg_put(out, s + st[k], en[k] - st[k]);
            }
        } else if (kind == TG_SENTENCE_REMOVE) {
            size_t drop = ns > 1 ? tg_below(rng, ns) : ns; /* one sentence: nothing to drop */
            for (size_t k = 0; k < ns; k++)
                if (k != drop)
                    tg_put(out, s + st[k], en[k] - st[k]);
        } else {
            size_t order[512];
            for (size_t k = 0; k < ns; k++)
                order[k] = k;
            for (size_t k = ns; k > 1; k--) {
                size_t j = tg_below(rng, k), t = order[k - 1];
                order[k - 1] = order[j];
                order[j] = t;
            }
            for (size_t k = 0; k < ns; k++) {
                tg_put(out, s + st[order[k]], en[order[k]] - st[order[k]]);
                tg_put(out, " ", 1);
            }
        }
        break;
    }
    case TG_LINK: {
        static const char *const links[] = {
            " https://t.me/joinchat/AAAAAE9xk2", " http://archive.example.org/v/8f3a2c.mp4",
            " https://bit.ly/3xYz9Qa", " www.example.net/watch?v=Zx81"};
        tg_put(out, s, n);
        tg_puts(out, links[tg_below(rng, 4)]);
        break;
    }
    case TG_TRUNCATE20: {
        size_t keep = n * 8 / 10;
        while (keep > 0 && s[keep] != ' ' && s[keep] != '\n')
            keep--;
        tg_put(out, s, keep);
        break;
    }
    }
}

/* Share of the original's words that an edit added or removed, from the
 * multiset difference of the words of the original and the copy (for the
 * kinds whose size depends on the post: sentences added or removed). */
static double tg_change(const char *a, size_t an, const char *b, size_t bn) {
    size_t *as, *al, *bs, *bl;
    size_t na = tg_words(a, an, &as, &al), nb = tg_words(b, bn, &bs, &bl);
    size_t diff = na > nb ? na - nb : nb - na;
    free(as);
    free(al);
    free(bs);
    free(bl);
    return na ? (double)diff / (double)na : 1.0;
}

/* ---- measurement ---- */

typedef struct tg_result {
    size_t posts, pairs;
    size_t tried[TG_KINDS], found[TG_KINDS];       /* text_near, all copies */
    size_t tried10[TG_KINDS], found10[TG_KINDS];   /* copies changing <= 10 % */
    size_t exact[TG_KINDS], tlsh_tried[TG_KINDS], tlsh[TG_KINDS];
    size_t copy_false; /* copies matching another post */
    size_t pair_false; /* distinct posts matching each other (lookups) */
    size_t pair_false_brute; /* the same, comparing every pair directly */
    double max_pair_sim;     /* highest similarity of two distinct posts */
    double min_sim[TG_KINDS];
} tg_result;

typedef struct tg_hits {
    uint64_t want;
    int found;
    size_t other;
} tg_hits;

static int tg_hit_cb(void *ctx, uint64_t id, double sim) {
    tg_hits *h = ctx;
    if (id == h->want)
        h->found = 1;
    else
        h->other++;
    return 0;
}

/* Measures text_near (with the index at `threshold`), text_exact and
 * text_tlsh (distance <= 30 without length, as python-threatexchange) on
 * every post of c and its edited copies. */
static int tg_measure(const tg_corpus *c, double threshold, uint64_t seed, tg_result *r) {
    memset(r, 0, sizeof *r);
    tamis_text *t;
    tamis_text_index *ix;
    if (tamis_text_create(NULL, &t) != TAMIS_OK || tamis_text_index_create(&ix) != TAMIS_OK)
        return -1;
    tamis_text_hash *h = calloc(c->n ? c->n : 1, sizeof *h);
    tamis__near_sig *sig = calloc(c->n ? c->n : 1, sizeof *sig);
    if (!h || !sig)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        if (tamis_text_hash_compute(t, c->posts[i].text, c->posts[i].len, &h[i]) != TAMIS_OK ||
            !h[i].near[0])
            return -1;
        tamis__near_from_string(h[i].near, strlen(h[i].near), &sig[i]);
        if (tamis_text_index_add(ix, i, h[i].near, strlen(h[i].near)) != TAMIS_OK)
            return -1;
    }
    r->posts = c->n;
    /* all pairs of distinct posts: directly, and through the index */
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = i + 1; j < c->n; j++) {
            double s = tamis__near_similarity(&sig[i], &sig[j]);
            if (s > r->max_pair_sim)
                r->max_pair_sim = s;
            r->pair_false_brute += s >= threshold;
        }
        tg_hits hits = {i, 0, 0};
        tamis_text_index_lookup(ix, h[i].near, strlen(h[i].near), threshold, tg_hit_cb, &hits);
        r->pair_false += hits.other;
    }
    r->pairs = c->n * (c->n - 1) / 2;
    r->pair_false /= 2; /* each pair was seen from both ends */
    uint64_t rng = seed;
    tg_buf e = {0};
    for (int k = 0; k < TG_KINDS; k++)
        r->min_sim[k] = 1;
    for (size_t i = 0; i < c->n; i++) {
        for (int k = 0; k < TG_KINDS; k++) {
            tg_edit(c, i, k, &rng, &e);
            tamis_text_hash eh;
            if (tamis_text_hash_compute(t, e.p, e.n, &eh) != TAMIS_OK)
                return -1;
            int small = 1;
            if (k == TG_SENTENCE_ADD || k == TG_SENTENCE_REMOVE)
                small = tg_change(c->posts[i].text, c->posts[i].len, e.p, e.n) <= 0.10;
            else if (k == TG_TRUNCATE20)
                small = 0;
            tg_hits hits = {i, 0, 0};
            if (eh.near[0])
                tamis_text_index_lookup(ix, eh.near, strlen(eh.near), threshold, tg_hit_cb, &hits);
            double sim = 0;
            if (eh.near[0])
                tamis_text_near_similarity(eh.near, h[i].near, &sim);
            if (sim < r->min_sim[k] && (small || k == TG_TRUNCATE20))
                r->min_sim[k] = sim;
            r->tried[k]++;
            r->found[k] += hits.found;
            if (small) {
                r->tried10[k]++;
                r->found10[k] += hits.found;
            }
            r->copy_false += hits.other;
            r->exact[k] += !strcmp(eh.exact, h[i].exact);
            if (h[i].tlsh[0] && eh.tlsh[0]) {
                int d;
                r->tlsh_tried[k]++;
                if (tamis_tlsh_distance(eh.tlsh, h[i].tlsh, 0, &d) == TAMIS_OK &&
                    d <= TAMIS_TLSH_MATCH_DISTANCE)
                    r->tlsh[k]++;
            }
        }
    }
    free(e.p);
    free(h);
    free(sig);
    tamis_text_index_free(ix);
    tamis_text_free(t);
    return 0;
}

static void tg_print(FILE *f, const tg_result *r, double threshold) {
    fprintf(f, "%zu posts, threshold %.2f\n", r->posts, threshold);
    fprintf(f, "%-20s %8s %8s %10s %8s %8s %8s\n", "edit", "copies", "near", "near<=10%",
            "min sim", "exact", "tlsh<=30");
    for (int k = 0; k < TG_KINDS; k++) {
        char ten[32] = "-";
        if (r->tried10[k])
            snprintf(ten, sizeof ten, "%.3f", (double)r->found10[k] / (double)r->tried10[k]);
        fprintf(f, "%-20s %8zu %8.3f %10s %8.2f %8.3f %8.3f\n", tg_kind_names[k], r->tried[k],
                (double)r->found[k] / (double)r->tried[k], ten, r->min_sim[k],
                (double)r->exact[k] / (double)r->tried[k],
                r->tlsh_tried[k] ? (double)r->tlsh[k] / (double)r->tlsh_tried[k] : 0.0);
    }
    fprintf(f, "false matches: %zu over %zu pairs of distinct posts (%zu comparing every pair; "
               "highest similarity %.3f), %zu by edited copies\n",
            r->pair_false, r->pairs, r->pair_false_brute, r->max_pair_sim, r->copy_false);
}

#endif
