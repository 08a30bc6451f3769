/*
 * index.c - `tamis index BANK -o FILE`: builds the index of a hash list
 * once and saves it, so that `tamis match --bank FILE` maps it instantly.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"

int cmd_index(int argc, char **argv) {
    static const struct option lo[] = {{"output", required_argument, NULL, 'o'},
                                       {"skip-bad", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int skip_bad = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 's': skip_bad = 1; break;
        case 'h':
            printf("usage: tamis index BANK -o FILE [--skip-bad]\n"
                   "Builds the PDQ index of the hash list BANK and saves it to FILE.\n"
                   "Ids in the saved index are the 0-based positions of the hashes in BANK.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (!out || argc - optind != 1) {
        fprintf(stderr, "usage: tamis index BANK -o FILE [--skip-bad]\n");
        return EXIT_USAGE;
    }
    tamis_index *ix = NULL;
    hashlist names = {0};
    int rc = EXIT_OK;
    if (bank_open(argv[optind], skip_bad, &ix, &names))
        rc = EXIT_SOME_FAILED;
    else if (tamis_index_save(ix, out) != TAMIS_OK) {
        fprintf(stderr, "tamis index: %s\n", tamis_index_errmsg(ix));
        rc = EXIT_SOME_FAILED;
    } else {
        fprintf(stderr, "tamis index: %zu hashes saved to %s\n", tamis_index_size(ix), out);
    }
    tamis_index_free(ix);
    hashlist_free(&names);
    return rc;
}
