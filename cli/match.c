/*
 * match.c - `tamis match`: every query hash against a bank, printing one
 * line per match (QUERY_ID, BANK_ID, DISTANCE), queries in input order and
 * each query's matches nearest first.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void match_usage(FILE *f) {
    fprintf(f,
            "usage: tamis match --bank BANK [--radius R] [--skip-bad] [-j N] [QUERIES | -]\n"
            "\n"
            "Finds, for each query hash, every bank hash within R bits (default 31,\n"
            "PDQ's match threshold) and prints QUERY_ID<TAB>BANK_ID<TAB>DISTANCE.\n"
            "BANK is a hash list (one 64-hex-digit PDQ hash per line, optionally\n"
            "followed by an id; blank and '#' lines ignored) or an index saved by\n"
            "'tamis index'. QUERIES is a hash list too (default: stdin). An id\n"
            "defaults to the 1-based line number.\n"
            "\n"
            "  --radius R     match distance, 0..256 (default 31)\n"
            "  --skip-bad     skip malformed lines (counted on stderr) instead of failing\n"
            "  -j, --jobs N   search on N threads (default: all cores)\n");
}

/* Opens a bank: an index file (by its magic) or a hash list. */
int bank_open(const char *path, int skip_bad, tamis_index **ix, hashlist *names) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tamis: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    if (got == 8 && memcmp(magic, "TAMISPX", 7) == 0) {
        fclose(f);
        char err[512];
        if (tamis_index_load(path, ix, err, sizeof err) != TAMIS_OK) {
            fprintf(stderr, "tamis: %s\n", err);
            return -1;
        }
        return 0;
    }
    rewind(f);
    unsigned long long lineno = 0;
    size_t bad = 0;
    int rc = hashlist_read(f, path, skip_bad, 0, names, &lineno, &bad);
    fclose(f);
    if (rc) {
        hashlist_free(names);
        return -1;
    }
    if (bad)
        fprintf(stderr, "tamis: %s: skipped %zu malformed line%s\n", path, bad, bad == 1 ? "" : "s");
    uint64_t *ids = malloc((names->n ? names->n : 1) * sizeof *ids);
    if (!ids || tamis_index_create(ix) != TAMIS_OK) {
        free(ids);
        hashlist_free(names);
        fprintf(stderr, "tamis: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < names->n; i++)
        ids[i] = i;
    tamis_status st = tamis_index_add(*ix, names->codes, ids, names->n);
    free(ids);
    if (st != TAMIS_OK) {
        fprintf(stderr, "tamis: %s: %s\n", path, tamis_index_errmsg(*ix));
        tamis_index_free(*ix);
        *ix = NULL;
        hashlist_free(names);
        return -1;
    }
    return 0;
}

int cmd_match(int argc, char **argv) {
    static const struct option lo[] = {{"bank", required_argument, NULL, 'b'},
                                       {"radius", required_argument, NULL, 'r'},
                                       {"skip-bad", no_argument, NULL, 's'},
                                       {"jobs", required_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *bank = NULL;
    int radius = 31, skip_bad = 0, c;
    unsigned long long jobs = 0, v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:r:j:h", lo, NULL)) != -1) {
        switch (c) {
        case 'b': bank = optarg; break;
        case 'r': {
            char *end;
            long r = strtol(optarg, &end, 10);
            if (*end || end == optarg || r < 0 || r > 256) {
                fprintf(stderr, "tamis match: --radius needs 0..256, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            radius = (int)r;
            break;
        }
        case 's': skip_bad = 1; break;
        case 'j':
            if (parse_count(optarg, &v) || v > 256) {
                fprintf(stderr, "tamis match: -j needs a number from 1 to 256, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            jobs = v;
            break;
        case 'h': match_usage(stdout); return EXIT_OK;
        default: match_usage(stderr); return EXIT_USAGE;
        }
    }
    if (!bank) {
        fprintf(stderr, "tamis match: --bank is required\n");
        match_usage(stderr);
        return EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "tamis match: one query file at most\n");
        return EXIT_USAGE;
    }
    const char *qname = optind < argc ? argv[optind] : "-";
    FILE *qf = strcmp(qname, "-") == 0 ? stdin : fopen(qname, "rb");
    if (!qf) {
        fprintf(stderr, "tamis match: %s: %s\n", qname, strerror(errno));
        return EXIT_SOME_FAILED;
    }
    tamis_index *ix = NULL;
    hashlist names = {0};
    if (bank_open(bank, skip_bad, &ix, &names)) {
        if (qf != stdin)
            fclose(qf);
        return EXIT_SOME_FAILED;
    }
    int rc = EXIT_OK;
    unsigned long long lineno = 0;
    size_t bad = 0;
    for (;;) {
        /* Queries in chunks, each searched as a batch on all threads. */
        hashlist q = {0};
        if (hashlist_read(qf, qname, skip_bad, 4096, &q, &lineno, &bad)) {
            hashlist_free(&q);
            rc = EXIT_SOME_FAILED;
            break;
        }
        if (q.n == 0) {
            hashlist_free(&q);
            break;
        }
        tamis_index_results res;
        if (tamis_index_search_batch(ix, q.codes, q.n, radius, (int)jobs, &res) != TAMIS_OK) {
            fprintf(stderr, "tamis match: out of memory searching\n");
            hashlist_free(&q);
            rc = EXIT_SOME_FAILED;
            break;
        }
        for (size_t i = 0; i < q.n; i++)
            for (size_t k = res.offsets[i]; k < res.offsets[i + 1]; k++) {
                const tamis_index_match *m = &res.matches[k];
                if (names.n)
                    printf("%s\t%s\t%d\n", q.ids[i], names.ids[m->id], m->distance);
                else
                    printf("%s\t%llu\t%d\n", q.ids[i], (unsigned long long)m->id, m->distance);
            }
        tamis_index_results_free(&res);
        hashlist_free(&q);
    }
    if (bad)
        fprintf(stderr, "tamis match: %s: skipped %zu malformed line%s\n", qname, bad,
                bad == 1 ? "" : "s");
    if (qf != stdin)
        fclose(qf);
    tamis_index_free(ix);
    hashlist_free(&names);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "tamis match: error writing output\n");
        rc = EXIT_SOME_FAILED;
    }
    return rc;
}
