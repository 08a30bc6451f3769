/*
 * import.c - `tamis import`: a bank's hashes from the formats hash lists
 * are shared in (doc/formats.md). `tamis export` is in export.c.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void on_reject(void *ctx, uint64_t pos, const char *why) {
    const char *name = ctx;
    fprintf(stderr, "tamis import: %s:%llu: skipped: %s\n", name, (unsigned long long)pos, why);
}

int cmd_import(int argc, char **argv) {
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"bank", required_argument, NULL, 'b'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"source", required_argument, NULL, 's'},
                                       {"batch-rows", required_argument, NULL, 'n'},
                                       {NULL, 0, NULL, 0}};
    const char *db_url = "tamis.db", *bank = NULL, *fmt = NULL, *source = NULL;
    unsigned batch = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'd')
            db_url = optarg;
        else if (c == 'b')
            bank = optarg;
        else if (c == 'f')
            fmt = optarg;
        else if (c == 's')
            source = optarg;
        else if (c == 'n') {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || end == optarg || v == 0 || v > 1000000000) {
                fprintf(stderr, "tamis import: --batch-rows wants a number of rows from 1\n");
                return EXIT_USAGE;
            }
            batch = (unsigned)v;
        } else
            return EXIT_USAGE;
    }
    if (!bank || argc - optind < 1) {
        fprintf(stderr, "usage: tamis import --bank NAME [--db URL] [--format F] "
                        "[--source TEXT] [--batch-rows N] FILE... | -\n"
                        "formats: auto hma hashlist pytx-csv tcap-json ncmec-xml stopncii-json "
                        "vpdq tmk url-list text-lines\n");
        return EXIT_USAGE;
    }
    tamis_import_format f = fmt ? tamis_import_format_from_name(fmt) : TAMIS_IMPORT_AUTO;
    if (fmt && f == TAMIS_IMPORT_AUTO && strcmp(fmt, "auto") != 0) {
        fprintf(stderr, "tamis import: unknown format '%s'\n", fmt);
        return EXIT_USAGE;
    }
    tamis_db *db;
    char err[512];
    if (tamis_db_open(db_url, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis import: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    if (batch)
        tamis_db_set_import_batch(db, batch);
    /* Each file on its own: one that fails does not stop the others (a
     * video's hash files come one per file). */
    int rc = EXIT_OK;
    for (int i = optind; i < argc; i++) {
        const char *name = argv[i];
        FILE *in = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
        if (!in) {
            fprintf(stderr, "tamis import: %s: %s\n", name, strerror(errno));
            rc = EXIT_SOME_FAILED;
            continue;
        }
        tamis_import_report rep;
        tamis_status st =
            tamis_db_import(db, bank, in, f, source ? source : name, on_reject, (void *)name, &rep);
        if (in != stdin)
            fclose(in);
        if (st != TAMIS_OK) {
            fprintf(stderr, "tamis import: %s: %s\n", name,
                    st == TAMIS_ERR_UNSUPPORTED ? "format not recognised (name it with --format)"
                                                : tamis_db_errmsg(db));
            rc = EXIT_SOME_FAILED;
        }
        fprintf(stderr, "tamis import: %s: %llu read, %llu added, %llu removed, %llu skipped\n",
                name, (unsigned long long)rep.read, (unsigned long long)rep.added,
                (unsigned long long)rep.removed, (unsigned long long)rep.skipped);
    }
    tamis_db_close(db);
    return rc;
}
