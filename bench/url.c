/*
 * bench/url.c - `make bench-url` (run by `make bench-text`): URL lookups
 * against a bank of generated expressions, one core.
 *
 *   usage: bench/url [-n EXPRESSIONS] [-d DOMAINS] [-q QUERIES]
 *
 * The bank (default 10M expressions and 1M domains) is made of host names
 * on 3M registered domains ("site123.com", with "www.", "cdn4." or no
 * subdomain) and paths of 0 to 3 directories, a file in some, a query in a
 * few. Half of the queries are URLs under a bank entry (another scheme,
 * case, subdomain, extra path, query and fragment), half URLs on domains
 * the bank does not name. Each lookup is the whole path a caller takes:
 * canonicalise the URL, expand it into its expressions, find every match.
 *
 * Printed: build seconds and memory, lookups per second on one thread,
 * the share that matched, the cost of canonicalising and expanding alone,
 * and the anchor: the same expressions looked up the way Safe Browsing
 * clients keep their lists, 64-bit hashes of every expression in a sorted
 * array searched by bisection. The machine is shared and noisy.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../lib/url/url.h"
#include "tamis.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The thread's CPU time: "per core" figures on a shared machine, where
 * other processes take turns on the same cores. */
static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static const char *tlds[] = {"com", "net", "org", "info", "ru", "io", "co.uk", "de"};

/* The host of entry i (domains share the registered names). */
static int gen_host(uint64_t r, char *out, size_t cap) {
    uint64_t site = r % 3000000;
    const char *tld = tlds[(r >> 24) % 8];
    switch ((r >> 28) % 4) {
    case 0:
    case 1:
        return snprintf(out, cap, "www.site%llu.%s", (unsigned long long)site, tld);
    case 2:
        return snprintf(out, cap, "cdn%u.site%llu.%s", (unsigned)((r >> 32) % 10),
                        (unsigned long long)site, tld);
    default:
        return snprintf(out, cap, "site%llu.%s", (unsigned long long)site, tld);
    }
}

static int gen_entry(uint64_t i, char *out, size_t cap) {
    uint64_t r = mix(i + 1);
    int n = gen_host(r, out, cap);
    uint64_t s = mix(r);
    int depth = (int)(s % 4);
    for (int k = 0; k < depth; k++)
        n += snprintf(out + n, cap - (size_t)n, "/v%u", (unsigned)((s >> (8 + 10 * k)) % 1000));
    switch ((s >> 40) % 4) {
    case 0:
        n += snprintf(out + n, cap - (size_t)n, "/f%u.mp4", (unsigned)((s >> 44) % 100000));
        if ((s >> 60) == 0)
            n += snprintf(out + n, cap - (size_t)n, "?id=%u", (unsigned)(s % 1000));
        break;
    default:
        n += snprintf(out + n, cap - (size_t)n, "/");
    }
    return n;
}

static int gen_domain(uint64_t i, char *out, size_t cap) {
    uint64_t r = mix(i ^ 0xd0d0d0d0ull);
    return snprintf(out, cap, "bad%llu.%s", (unsigned long long)(r % 100000000),
                    tlds[(r >> 40) % 8]);
}

static int gen_query(uint64_t q, uint64_t n_expr, char *out, size_t cap) {
    uint64_t r = mix(q ^ 0x5eedull);
    if (r & 1) {
        /* Under a bank entry: its host with a subdomain sometimes, its path,
         * more path, a query, a fragment. */
        char e[256];
        gen_entry(r % n_expr, e, sizeof e);
        char *slash = strchr(e, '/');
        *slash = '\0';
        int n = snprintf(out, cap, "%s://%s%s%s/%s", (r >> 8) & 1 ? "https" : "http",
                         (r >> 9) & 1 ? "m." : "", e, (r >> 10) & 1 ? ":443" : "", slash + 1);
        if (out[n - 1] == '/')
            n += snprintf(out + n, cap - (size_t)n, "watch%u.html", (unsigned)(r >> 40) % 1000);
        return n + snprintf(out + n, cap - (size_t)n, "?utm_source=x&t=%u#top",
                            (unsigned)(r >> 20) % 100);
    }
    return snprintf(out, cap, "https://www.other%llu.com/news/2026/%u/article-%u.html?ref=feed",
                    (unsigned long long)(r >> 8) % 50000000, (unsigned)(r >> 40) % 12,
                    (unsigned)(r >> 48));
}

static int count_cb(void *ctx, const tamis_url_match *m) {
    (void)m;
    (*(long *)ctx)++;
    return 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int in_sorted(const uint64_t *s, size_t n, uint64_t v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && s[lo] == v;
}

int main(int argc, char **argv) {
    uint64_t n_expr = 10000000, n_dom = 1000000, n_q = 2000000;
    int c;
    while ((c = getopt(argc, argv, "n:d:q:")) != -1) {
        switch (c) {
        case 'n': n_expr = strtoull(optarg, NULL, 10); break;
        case 'd': n_dom = strtoull(optarg, NULL, 10); break;
        case 'q': n_q = strtoull(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: %s [-n EXPRESSIONS] [-d DOMAINS] [-q QUERIES]\n", argv[0]);
            return 2;
        }
    }
    if (n_expr == 0)
        n_expr = 1;
    struct utsname un;
    uname(&un);
    char cpuname[128] = "?";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (ci && fgets(line, sizeof line, ci))
        if (strncmp(line, "model name", 10) == 0) {
            snprintf(cpuname, sizeof cpuname, "%s", strchr(line, ':') + 2);
            cpuname[strcspn(cpuname, "\n")] = '\0';
            break;
        }
    if (ci)
        fclose(ci);
    printf("bench-url: %llu expressions + %llu domains, %llu queries, 1 thread\n",
           (unsigned long long)n_expr, (unsigned long long)n_dom, (unsigned long long)n_q);
    printf("machine: %s, %s %s, %ld cores (shared and noisy)\n", cpuname, un.sysname, un.release,
           sysconf(_SC_NPROCESSORS_ONLN));

    /* Build. */
    tamis_url_index *ix;
    if (tamis_url_index_create(&ix) != TAMIS_OK)
        return 1;
    long rss0 = rss_kb();
    char e[512];
    double t0 = cpu();
    for (uint64_t i = 0; i < n_expr; i++) {
        int n = gen_entry(i, e, sizeof e);
        if (tamis_url_index_add(ix, e, (size_t)n, TAMIS_URL_EXPRESSION, i) != TAMIS_OK) {
            fprintf(stderr, "%s: %s\n", e, tamis_url_index_errmsg(ix));
            return 1;
        }
    }
    for (uint64_t i = 0; i < n_dom; i++) {
        int n = gen_domain(i, e, sizeof e);
        if (tamis_url_index_add(ix, e, (size_t)n, TAMIS_URL_DOMAIN, n_expr + i) != TAMIS_OK)
            return 1;
    }
    double t_build = cpu() - t0;
    long rss1 = rss_kb();
    printf("build: %.1f s of CPU (%.0f entries/s), %zu entries (duplicates stored once)\n", t_build,
           (double)(n_expr + n_dom) / t_build, tamis_url_index_size(ix));
    printf("memory: %.0f MB by tamis_url_index_memory, %.0f MB resident growth, %.0f bytes "
           "per entry\n",
           (double)tamis_url_index_memory(ix) / 1e6, (double)(rss1 - rss0) / 1e3,
           (double)tamis_url_index_memory(ix) / (double)tamis_url_index_size(ix));

    /* Queries, made before the clock starts. */
    size_t cap = (size_t)n_q * 100 + 1;
    char *qbuf = malloc(cap);
    uint32_t *qoff = malloc((n_q + 1) * sizeof *qoff);
    size_t pos = 0;
    for (uint64_t q = 0; q < n_q; q++) {
        qoff[q] = (uint32_t)pos;
        pos += (size_t)gen_query(q, n_expr, qbuf + pos, cap - pos > 200 ? 200 : cap - pos);
        if (cap - pos < 256) {
            n_q = q + 1;
            break;
        }
    }
    qoff[n_q] = (uint32_t)pos;

    tamis_url *u;
    tamis_url_create(&u);
    long matches = 0, matched_urls = 0, bad = 0;
    double exprs = 0;
    /* Canonicalise and expand only. */
    t0 = cpu();
    for (uint64_t q = 0; q < n_q; q++) {
        if (tamis_url_parse(u, qbuf + qoff[q], qoff[q + 1] - qoff[q]) != TAMIS_OK)
            bad++;
        exprs += (double)tamis_url_expression_count(u);
    }
    double t_parse = cpu() - t0;
    /* The whole lookup. */
    double w0 = now();
    t0 = cpu();
    for (uint64_t q = 0; q < n_q; q++) {
        if (tamis_url_parse(u, qbuf + qoff[q], qoff[q + 1] - qoff[q]) != TAMIS_OK)
            continue;
        long before = matches;
        tamis_url_index_lookup(ix, u, count_cb, &matches);
        matched_urls += matches > before;
    }
    double t_look = cpu() - t0, w_look = now() - w0;
    printf("lookups: %.2f M URLs/s per core (%.0f ns of CPU each; %.2f M/s by the wall "
           "clock), %.1f expressions per URL, %.1f%% of URLs matched (%ld matches), %ld "
           "malformed\n",
           (double)n_q / t_look / 1e6, t_look / (double)n_q * 1e9, (double)n_q / w_look / 1e6,
           exprs / (double)n_q,
           100.0 * (double)matched_urls / (double)n_q, matches, bad);
    printf("  of which canonicalise + expand: %.0f ns (%.2f M URLs/s alone)\n",
           t_parse / (double)n_q * 1e9, (double)n_q / t_parse / 1e6);
    tamis_url_index_free(ix);

    /* Anchor: sorted 64-bit hashes of every expression, bisection per
     * expression of the query (the structure of Safe Browsing's lists). */
    uint64_t *hs = malloc(n_expr * sizeof *hs);
    t0 = cpu();
    for (uint64_t i = 0; i < n_expr; i++) {
        int n = gen_entry(i, e, sizeof e);
        tamis_url_parse(u, e, (size_t)n);
        size_t len;
        const char *x = tamis_url_expression(u, 0, &len);
        hs[i] = tamis__url_hash(x, len);
    }
    qsort(hs, n_expr, sizeof *hs, cmp_u64);
    double t_abuild = cpu() - t0;
    long amatched = 0;
    t0 = cpu();
    for (uint64_t q = 0; q < n_q; q++) {
        if (tamis_url_parse(u, qbuf + qoff[q], qoff[q + 1] - qoff[q]) != TAMIS_OK)
            continue;
        int hit = 0;
        for (size_t k = 0; k < tamis_url_expression_count(u); k++) {
            size_t len;
            const char *x = tamis_url_expression(u, k, &len);
            hit |= in_sorted(hs, n_expr, tamis__url_hash(x, len));
        }
        amatched += hit;
    }
    double t_anchor = cpu() - t0;
    printf("anchor (sorted hashes, bisection; expressions only, no domains): %.2f M URLs/s "
           "(%.0f ns each), build %.1f s, %.0f MB; %.1f%% of URLs matched\n",
           (double)n_q / t_anchor / 1e6, t_anchor / (double)n_q * 1e9, t_abuild,
           (double)n_expr * 8 / 1e6, 100.0 * (double)amatched / (double)n_q);
    free(hs);
    free(qbuf);
    free(qoff);
    tamis_url_free(u);
    return 0;
}
