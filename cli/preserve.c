/*
 * preserve.c - `tamis preserve keygen FILE`: the key `tamis serve
 * --preserve-key` encrypts preserved content with (32 random bytes, mode
 * 0600; never overwritten; keep it outside the store and the database).
 */
#include <string.h>

#include "cli.h"

int cmd_preserve(int argc, char **argv) {
    if (argc != 3 || strcmp(argv[1], "keygen") != 0) {
        fprintf(stderr, "usage: tamis preserve keygen FILE\n");
        return EXIT_USAGE;
    }
    char err[512];
    if (tamis_preserve_keygen(argv[2], err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis preserve: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    fprintf(stderr, "tamis preserve: key written to %s (mode 0600); keep it outside the store\n",
            argv[2]);
    return EXIT_OK;
}
