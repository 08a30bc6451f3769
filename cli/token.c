/*
 * token.c - `tamis token create --db URL --role ROLE [--label TEXT]`:
 * creates an API token and prints it as the last line (it is shown once;
 * only its hash is stored).
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"

int cmd_token(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "usage: tamis token create --db URL --role matcher|reviewer|curator|admin "
                        "[--label TEXT]\n");
        return EXIT_USAGE;
    }
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"role", required_argument, NULL, 'r'},
                                       {"label", required_argument, NULL, 'l'},
                                       {NULL, 0, NULL, 0}};
    const char *db_url = "tamis.db", *role = NULL, *label = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'd')
            db_url = optarg;
        else if (c == 'r')
            role = optarg;
        else if (c == 'l')
            label = optarg;
        else
            return EXIT_USAGE;
    }
    if (!role) {
        fprintf(stderr, "tamis token create: --role is required (matcher, curator or admin)\n");
        return EXIT_USAGE;
    }
    tamis_db *db;
    char err[512];
    if (tamis_db_open(db_url, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis token: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    char tok[TAMIS_TOKEN_LEN + 1];
    tamis_status st = tamis_db_token_create(db, role, label, tok);
    if (st != TAMIS_OK) {
        fprintf(stderr, "tamis token create: %s\n",
                st == TAMIS_ERR_INVALID ? "role must be matcher, curator or admin"
                                        : tamis_db_errmsg(db));
        tamis_db_close(db);
        return st == TAMIS_ERR_INVALID ? EXIT_USAGE : EXIT_SOME_FAILED;
    }
    tamis_db_close(db);
    fprintf(stderr, "tamis token: a %s token; it is shown once, keep it:\n", role);
    printf("%s\n", tok);
    return EXIT_OK;
}
