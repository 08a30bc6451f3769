/*
 * bench/text.c - `make bench-text`, the text half: accuracy of text_near
 * (and of text_exact and text_tlsh beside it) on the whole corpus, then a
 * bank of generated posts (1M by default) in a tamis_text_index: the time
 * to hash and to add them, the memory, and the time of a lookup for a 1 KB
 * post, against the anchor of comparing with every entry (what a bank
 * without an index, such as HMA's text matching, does).
 *
 *   usage: bench/text [-n POSTS] [-q QUERIES] [-d CORPUS_DIR] [--no-accuracy]
 *
 * Bank posts are made of sentences drawn at random from the corpus (same
 * language within a post) until 100 to 3,000 characters, so that they are
 * distinct, unlike windows of a 5 MB corpus would be. Queries: half are a
 * bank post of about 1 KB with 10 % of its words changed (found), half a
 * fresh 1 KB post (not in the bank). The machine is shared and noisy:
 * compare the ratio to the anchor, not absolute times.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../tests/text/textgen.h"
#include "tamis.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static void machine(void) {
    char model[512] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            snprintf(model, sizeof model, "%s", c ? c + 2 : line);
            model[strcspn(model, "\n")] = 0;
            break;
        }
    if (f)
        fclose(f);
    printf("machine: %s, %ld cores; tamis %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
           tamis_version());
}

/* Sentences of the corpus, per language, for composing posts. */
typedef struct sentences {
    const char **s;
    size_t *len;
    size_t n, cap;
} sentences;

static void add_sentences(sentences *ss, const tg_post *p) {
    size_t st[512], en[512];
    size_t k = tg_sentences(p->text, p->len, st, en, 512);
    for (size_t i = 0; i < k; i++) {
        if (en[i] - st[i] < 20)
            continue;
        if (ss->n == ss->cap) {
            ss->cap = ss->cap ? ss->cap * 2 : 4096;
            ss->s = realloc(ss->s, ss->cap * sizeof *ss->s);
            ss->len = realloc(ss->len, ss->cap * sizeof *ss->len);
        }
        ss->s[ss->n] = p->text + st[i];
        ss->len[ss->n++] = en[i] - st[i];
    }
}

static void compose(const sentences *ss, uint64_t *rng, size_t want_chars, tg_buf *out) {
    out->n = 0;
    tg_put(out, "", 0);
    while (tg_chars(out->p, out->n) < want_chars) {
        size_t k = tg_below(rng, ss->n);
        if (out->n)
            tg_put(out, " ", 1);
        tg_put(out, ss->s[k], ss->len[k]);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct qstat {
    size_t matches;
    uint64_t want;
    int found;
} qstat;

static int count_cb(void *ctx, uint64_t id, double sim) {
    qstat *q = ctx;
    q->matches++;
    q->found |= id == q->want;
    return 0;
}

int main(int argc, char **argv) {
    size_t nposts = 1000000, nq = 2000;
    int accuracy = 1;
    const char *dir = NULL;
    static const struct option longopts[] = {{"no-accuracy", no_argument, NULL, 'A'},
                                             {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "n:q:d:", longopts, NULL)) != -1) {
        switch (o) {
        case 'n': nposts = strtoull(optarg, NULL, 10); break;
        case 'q': nq = strtoull(optarg, NULL, 10); break;
        case 'd': dir = optarg; break;
        case 'A': accuracy = 0; break;
        default:
            fprintf(stderr, "usage: %s [-n POSTS] [-q QUERIES] [-d CORPUS_DIR] [--no-accuracy]\n",
                    argv[0]);
            return 2;
        }
    }
    char def[4096];
    if (!dir) {
        const char *td = getenv("TAMIS_TESTDATA");
        snprintf(def, sizeof def, "%s/corpus/text", td && *td ? td : "../shared");
        dir = def;
    }
    machine();
    tg_corpus c = {0};
    if (!tg_load(&c, dir, (size_t)-1 / 2, 1)) {
        printf("skipped: no corpus in %s (../shared or TAMIS_TESTDATA)\n", dir);
        return 0;
    }
    size_t all_posts = c.n;
    size_t dropped = tg_dedupe(&c);
    printf("corpus %s: %zu posts of 100-3000 characters, %zu sharing a passage with an "
           "earlier one left out\n", dir, all_posts, dropped);
    size_t per_lang[3] = {0};
    for (size_t i = 0; i < c.n; i++)
        per_lang[!strcmp(c.posts[i].lang, "fr") ? 1 : !strcmp(c.posts[i].lang, "ar") ? 2 : 0]++;
    printf("  English %zu, French %zu, Arabic %zu\n\n", per_lang[0], per_lang[1], per_lang[2]);

    if (accuracy) {
        tg_result r;
        double t0 = now();
        if (tg_measure(&c, TAMIS_TEXT_NEAR_THRESHOLD, 2, &r) != 0) {
            fprintf(stderr, "accuracy run failed\n");
            return 1;
        }
        printf("== accuracy (near: recall of the original through the index; exact: same "
               "text_exact; tlsh: distance <= 30 without length)\n");
        tg_print(stdout, &r, TAMIS_TEXT_NEAR_THRESHOLD);
        printf("(%.1f s)\n\n", now() - t0);
    }

    /* ---- the bank ---- */
    sentences ss[3] = {{0}};
    for (size_t i = 0; i < c.n; i++)
        add_sentences(&ss[!strcmp(c.posts[i].lang, "fr") ? 1 : !strcmp(c.posts[i].lang, "ar") ? 2 : 0],
                      &c.posts[i]);
    printf("== bank of %zu generated posts (sentences: en %zu, fr %zu, ar %zu)\n", nposts,
           ss[0].n, ss[1].n, ss[2].n);
    tamis_text *t;
    tamis_text_index *ix;
    if (tamis_text_create(NULL, &t) != TAMIS_OK || tamis_text_index_create(&ix) != TAMIS_OK)
        return 1;
    long rss0 = rss_kb();
    char (*sigs)[TAMIS_TEXT_NEAR_LEN + 1] = malloc(nposts * sizeof *sigs);
    size_t *plen = malloc(nposts * sizeof *plen);
    if (!sigs || !plen)
        return 1;
    uint64_t rng = 7;
    tg_buf b = {0};
    double hash_s = 0, add_s = 0, bytes = 0;
    for (size_t i = 0; i < nposts; i++) {
        int lang = (int)tg_below(&rng, 10);
        lang = lang < 6 ? 0 : lang < 9 ? 1 : 2;
        if (!ss[lang].n)
            lang = 0;
        double u = (double)tg_below(&rng, 1000000) / 1e6;
        compose(&ss[lang], &rng, (size_t)(100.0 * exp(u * log(30.0))), &b);
        plen[i] = b.n;
        bytes += (double)b.n;
        double t0 = now();
        tamis_text_hash h;
        tamis_status hs = tamis_text_hash_compute(t, b.p, b.n, &h);
        if (hs != TAMIS_OK) {
            fprintf(stderr, "post %zu: %s\n", i, tamis_text_errmsg(t));
            return 1;
        }
        double t1 = now();
        if (!h.near[0]) { /* only punctuation (rules of dashes): draw again */
            i--;
            continue;
        }
        memcpy(sigs[i], h.near, sizeof sigs[i]);
        if (tamis_text_index_add(ix, i, h.near, strlen(h.near)) != TAMIS_OK) {
            fprintf(stderr, "post %zu: %s\n", i, tamis_text_index_errmsg(ix));
            return 1;
        }
        double t2 = now();
        hash_s += t1 - t0;
        add_s += t2 - t1;
        if ((i + 1) % 200000 == 0)
            fprintf(stderr, "  %zu posts\n", i + 1);
    }
    printf("posts: %zu, %.0f bytes on average\n", nposts, bytes / (double)nposts);
    printf("hashing (normalise, SHA-256, signature, TLSH): %.1f s, %.1f us per post\n", hash_s,
           hash_s * 1e6 / (double)nposts);
    printf("index build (adds): %.2f s, %.2f us per post\n", add_s, add_s * 1e6 / (double)nposts);
    printf("index memory: %.1f MB (%.0f bytes per post); process RSS grew %.1f MB "
           "(with the bench's own copy of the signatures, %.1f MB)\n",
           (double)tamis_text_index_memory(ix) / 1e6,
           (double)tamis_text_index_memory(ix) / (double)nposts,
           (double)(rss_kb() - rss0) / 1e3, (double)nposts * sizeof *sigs / 1e6);

    /* ---- lookups of 1 KB posts ---- */
    double *lat = malloc(nq * sizeof *lat), *full = malloc(nq * sizeof *full);
    size_t found = 0, planted = 0, other = 0, cands = 0;
    tg_buf e = {0};
    char qsig[TAMIS_TEXT_NEAR_LEN + 1];
    for (size_t q = 0; q < nq; q++) {
        uint64_t want = UINT64_MAX;
        if (q % 2 == 0) {
            /* a 1 KB post added to the bank, queried with 10 % of its
             * words changed */
            int lang = (int)tg_below(&rng, 3);
            if (!ss[lang].n)
                lang = 0;
            compose(&ss[lang], &rng, 1000, &b);
            tamis_text_hash h;
            tamis_text_hash_compute(t, b.p, b.n, &h);
            want = nposts + q;
            tamis_text_index_add(ix, want, h.near, strlen(h.near));
            tg_corpus one = {0};
            tg_add_post(&one, b.p, b.n, lang == 1 ? "fr" : lang == 2 ? "ar" : "en");
            tg_add_post(&one, b.p, b.n, one.posts[0].lang); /* source of replacement words */
            tg_edit(&one, 0, TG_WORDS10, &rng, &e);
            tg_free(&one);
            planted++;
        } else {
            int lang = (int)tg_below(&rng, 3);
            if (!ss[lang].n)
                lang = 0;
            compose(&ss[lang], &rng, 1000, &e);
        }
        double t0 = now();
        tamis_text_hash h;
        tamis_text_hash_compute(t, e.p, e.n, &h);
        double t1 = now();
        qstat st = {0, want, 0};
        tamis_text_index_lookup(ix, h.near, strlen(h.near), TAMIS_TEXT_NEAR_THRESHOLD, count_cb, &st);
        double t2 = now();
        memcpy(qsig, h.near, sizeof qsig);
        lat[q] = (t2 - t1) * 1e6;
        full[q] = (t2 - t0) * 1e6;
        found += st.found;
        other += st.matches - (size_t)st.found;
        cands += st.matches;
    }
    qsort(lat, nq, sizeof *lat, cmp_double);
    qsort(full, nq, sizeof *full, cmp_double);
    printf("lookup of a 1 KB post, one thread, %zu queries (half an edited bank post):\n", nq);
    printf("  index lookup: median %.1f us, p99 %.1f us, max %.1f us\n", lat[nq / 2],
           lat[nq * 99 / 100], lat[nq - 1]);
    printf("  hashing + lookup: median %.1f us, p99 %.1f us\n", full[nq / 2], full[nq * 99 / 100]);
    printf("  edited posts found: %zu of %zu; matches to other posts: %zu\n", found, planted, other);

    /* ---- anchor: compare with every entry ---- */
    tamis__near_sig *bin = malloc(nposts * sizeof *bin);
    for (size_t i = 0; i < nposts; i++)
        tamis__near_from_string(sigs[i], strlen(sigs[i]), &bin[i]);
    tamis__near_sig qs;
    tamis__near_from_string(qsig, strlen(qsig), &qs);
    int rounds = 5;
    double best = 1e9;
    size_t hits = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        hits = 0;
        for (size_t i = 0; i < nposts; i++)
            hits += tamis__near_similarity(&qs, &bin[i]) >= TAMIS_TEXT_NEAR_THRESHOLD;
        double d = now() - t0;
        best = d < best ? d : best;
    }
    printf("anchor, comparing the query's signature with all %zu (best of %d): %.1f ms per "
           "lookup (%zu hits) - %.0fx the index's median\n",
           nposts, rounds, best * 1e3, hits, best * 1e6 / lat[nq / 2]);
    free(bin);
    free(lat);
    free(full);
    free(sigs);
    free(plen);
    free(b.p);
    free(e.p);
    tamis_text_index_free(ix);
    tamis_text_free(t);
    tg_free(&c);
    return 0;
}
