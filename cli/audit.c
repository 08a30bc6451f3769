/*
 * audit.c - `tamis audit verify|list`: the audit log's chain checked, or
 * its entries printed (JSON Lines).
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: tamis audit verify [--db URL] [--expect-head HASH]\n"
               "       tamis audit list [--db URL] [--since SEQ] [--limit N]\n"
               "\n"
               "verify walks the whole log and exits 0 when every entry holds, 1 when one\n"
               "does not (naming the first such entry and why), 2 on usage errors. It\n"
               "prints the head hash: keep it elsewhere and give it to --expect-head\n"
               "later, since removing the last entries leaves a valid but shorter chain.\n");
}

static int print_entry(void *ctx, const tamis_audit_entry *e) {
    (void)ctx;
    printf("{\"seq\":%" PRId64 ",\"at_us\":%" PRId64 ",\"actor\":", e->seq, e->at_us);
    json_write_string(stdout, e->actor);
    fputs(",\"action\":", stdout);
    json_write_string(stdout, e->action);
    fputs(",\"subject\":", stdout);
    if (e->subject)
        json_write_string(stdout, e->subject);
    else
        fputs("null", stdout);
    printf(",\"detail\":%s,\"hash\":\"%s\"}\n", e->detail ? e->detail : "null", e->hash);
    return 0;
}

int cmd_audit(int argc, char **argv) {
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"expect-head", required_argument, NULL, 'e'},
                                       {"since", required_argument, NULL, 's'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    if (argc < 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "list") != 0)) {
        usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? EXIT_OK : EXIT_USAGE;
    }
    const char *what = argv[1], *db_url = "tamis.db", *expect = NULL;
    unsigned long long since = 0, limit = 1000, v;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': db_url = optarg; break;
        case 'e': expect = optarg; break;
        case 's':
        case 'l':
            if (parse_count(optarg, &v)) {
                fprintf(stderr, "tamis audit: --%s needs a number\n", c == 's' ? "since" : "limit");
                return EXIT_USAGE;
            }
            if (c == 's')
                since = v;
            else
                limit = v;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    tamis_db *db;
    char err[512];
    if (tamis_db_open(db_url, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis audit: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    int rc = EXIT_OK;
    if (strcmp(what, "list") == 0) {
        tamis_status st = tamis_audit_list(db, (int64_t)since, (size_t)limit, print_entry, NULL);
        if (st != TAMIS_OK && st != TAMIS_DONE) {
            fprintf(stderr, "tamis audit: %s\n", tamis_db_errmsg(db));
            rc = EXIT_SOME_FAILED;
        }
    } else {
        tamis_audit_report r;
        tamis_status st = tamis_audit_verify(db, &r);
        if (st == TAMIS_ERR_CORRUPT) {
            fprintf(stderr, "tamis audit: the audit log does not hold: %s\n", r.problem);
            rc = EXIT_SOME_FAILED;
        } else if (st != TAMIS_OK) {
            fprintf(stderr, "tamis audit: %s\n", tamis_db_errmsg(db));
            rc = EXIT_SOME_FAILED;
        } else if (expect && strcmp(expect, r.head) != 0) {
            fprintf(stderr, "tamis audit: the chain holds but its head is %s, not the %s "
                            "expected: entries were removed from its end, or added since\n",
                    r.head[0] ? r.head : "(empty)", expect);
            rc = EXIT_SOME_FAILED;
        } else {
            printf("audit log intact: %" PRId64 " entries, head %s\n", r.entries,
                   r.head[0] ? r.head : "(empty)");
        }
    }
    tamis_db_close(db);
    return rc;
}
