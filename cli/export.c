/*
 * export.c - `tamis export`: a bank's hashes in the formats hash lists are
 * shared in (doc/formats.md), or the whole domains among the url signals
 * of chosen banks as a DNS RPZ zone or a hosts file, for resolvers that
 * block them (doc/url.md).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* What the url signals of the banks gave. */
typedef struct {
    tamis_url_index *ix;
    int64_t now;
    unsigned long long domains;     /* bare hosts added */
    unsigned long long expressions; /* host/path entries: not exportable */
    unsigned long long disabled;    /* items disabled now */
    unsigned long long bad;         /* values that do not parse */
    const char *bank;
} url_collect;

static int collect_urls(void *ctx, const tamis_content *c) {
    url_collect *u = ctx;
    for (size_t i = 0; i < c->n_signals; i++) {
        const tamis_signal *s = &c->signals[i];
        if (strcmp(s->type, "url") != 0)
            continue;
        /* A disabled item matches nothing, so it blocks nothing either. */
        if (c->disabled_until > u->now) {
            u->disabled++;
            continue;
        }
        size_t len = strlen(s->value);
        /* TAMIS_URL_AUTO's rule: a '/' or '?' makes an expression. */
        int expression = memchr(s->value, '/', len) || memchr(s->value, '?', len);
        if (tamis_url_index_add(u->ix, s->value, len, TAMIS_URL_AUTO, (uint64_t)c->id) !=
            TAMIS_OK) {
            fprintf(stderr, "tamis export: %s: item %lld: url \"%.200s\" skipped: %s\n",
                    u->bank, (long long)c->id, s->value, tamis_url_index_errmsg(u->ix));
            u->bad++;
        } else if (expression) {
            u->expressions++;
        } else {
            u->domains++;
        }
    }
    return 0;
}

/* Writes the domains of the url signals of banks (a comma-separated
 * list) as an RPZ zone or a hosts file. Returns an exit status. */
static int export_domains(tamis_db *db, const char *banks, int rpz,
                          const tamis_rpz_options *ro, const char *address) {
    url_collect u;
    memset(&u, 0, sizeof u);
    u.now = (int64_t)time(NULL);
    if (tamis_url_index_create(&u.ix) != TAMIS_OK) {
        fprintf(stderr, "tamis export: out of memory\n");
        return EXIT_SOME_FAILED;
    }
    int rc = EXIT_OK;
    char *list = strdup(banks), *save = NULL;
    if (!list) {
        fprintf(stderr, "tamis export: out of memory\n");
        tamis_url_index_free(u.ix);
        return EXIT_SOME_FAILED;
    }
    for (char *b = strtok_r(list, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
        u.bank = b;
        tamis_status st = tamis_db_content_list(db, b, 0, 0, collect_urls, &u);
        if (st != TAMIS_OK) {
            fprintf(stderr, "tamis export: %s: %s\n", b,
                    st == TAMIS_ERR_NOT_FOUND ? "no such bank" : tamis_db_errmsg(db));
            rc = EXIT_SOME_FAILED;
        }
    }
    free(list);
    if (rc != EXIT_OK) {
        /* A missing bank would give a zone that silently lacks its names. */
        tamis_url_index_free(u.ix);
        return rc;
    }
    size_t written = 0, skipped = 0;
    tamis_status st =
        rpz ? tamis_url_index_write_rpz(u.ix, ro, NULL, NULL, stdout, &written, &skipped)
            : tamis_url_index_write_hosts(u.ix, address, NULL, NULL, stdout, &written, &skipped);
    if (st == TAMIS_OK && fflush(stdout) != 0)
        st = TAMIS_ERR_IO;
    if (st != TAMIS_OK) {
        fprintf(stderr, "tamis export: %s\n",
                st == TAMIS_ERR_INVALID && rpz
                    ? "--zone is not a DNS name (of at most 240 characters)"
                : st == TAMIS_ERR_INVALID ? "--address is not an IPv4 or IPv6 address"
                : st == TAMIS_ERR_IO      ? "error writing output"
                                          : tamis_strerror(st));
        rc = EXIT_SOME_FAILED;
    } else {
        fprintf(stderr,
                "tamis export: %zu names written, %zu skipped (IP addresses or not DNS "
                "names); from %llu domain entries (%llu expressions with a path are not "
                "exported, %llu url values could not be read, %llu disabled)\n",
                written, skipped, u.domains, u.expressions, u.bad, u.disabled);
    }
    tamis_url_index_free(u.ix);
    return rc;
}

static void export_usage(FILE *f) {
    fprintf(f,
            "usage: tamis export --bank NAME [--db URL] [--format hma|hashlist|pytx-csv] > FILE\n"
            "       tamis export --bank A[,B...] [--db URL] --format rpz [--zone NAME]\n"
            "                    [--serial N] > ZONE\n"
            "       tamis export --bank A[,B...] [--db URL] --format hosts\n"
            "                    [--address ADDR] > HOSTS\n"
            "\n"
            "rpz and hosts take the url signals of the banks that are whole domains\n"
            "(a bare host name): an RPZ zone answers NXDOMAIN for each and all its\n"
            "subdomains; a hosts file maps each to ADDR (default 0.0.0.0). The counts\n"
            "of names written and skipped go to stderr.\n");
}

int cmd_export(int argc, char **argv) {
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"bank", required_argument, NULL, 'b'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"zone", required_argument, NULL, 'z'},
                                       {"serial", required_argument, NULL, 's'},
                                       {"address", required_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *db_url = "tamis.db", *bank = NULL, *fmt = "hma", *address = NULL;
    tamis_rpz_options ro;
    memset(&ro, 0, sizeof ro);
    /* A zone's serial must grow from one export to the next for
     * secondaries to fetch it again: the time does, until 2106. */
    ro.serial = (uint32_t)time(NULL);
    unsigned long long v;
    int c, zone_set = 0, address_set = 0, serial_set = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': db_url = optarg; break;
        case 'b': bank = optarg; break;
        case 'f': fmt = optarg; break;
        case 'z': ro.zone = optarg; zone_set = 1; break;
        case 'a': address = optarg; address_set = 1; break;
        case 's':
            if (parse_count(optarg, &v) || v > UINT32_MAX) {
                fprintf(stderr, "tamis export: --serial needs a number from 1 to %u, not '%s'\n",
                        UINT32_MAX, optarg);
                return EXIT_USAGE;
            }
            ro.serial = (uint32_t)v;
            serial_set = 1;
            break;
        case 'h': export_usage(stdout); return EXIT_OK;
        default: export_usage(stderr); return EXIT_USAGE;
        }
    }
    int rpz = strcmp(fmt, "rpz") == 0, hosts = strcmp(fmt, "hosts") == 0;
    tamis_import_format f = tamis_import_format_from_name(fmt);
    if (!bank || !*bank || optind != argc || (!rpz && !hosts && f == TAMIS_IMPORT_AUTO)) {
        if (bank && optind == argc)
            fprintf(stderr, "tamis export: unknown format '%s'\n", fmt);
        export_usage(stderr);
        return EXIT_USAGE;
    }
    if (((zone_set || serial_set) && !rpz) || (address_set && !hosts)) {
        fprintf(stderr, "tamis export: --zone and --serial are for --format rpz, --address "
                        "for --format hosts\n");
        return EXIT_USAGE;
    }
    if (!rpz && !hosts && strchr(bank, ',')) {
        fprintf(stderr, "tamis export: --format %s takes one bank\n", fmt);
        return EXIT_USAGE;
    }
    tamis_db *db;
    char err[512];
    if (tamis_db_open(db_url, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis export: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    int rc = EXIT_OK;
    if (rpz || hosts) {
        rc = export_domains(db, bank, rpz, &ro, address);
    } else {
        uint64_t rows = 0;
        tamis_status st = tamis_db_export(db, bank, stdout, f, &rows);
        if (st != TAMIS_OK || fflush(stdout) != 0) {
            fprintf(stderr, "tamis export: %s\n",
                    st == TAMIS_ERR_NOT_FOUND ? "no such bank" : tamis_db_errmsg(db));
            rc = EXIT_SOME_FAILED;
        }
    }
    tamis_db_close(db);
    return rc;
}
