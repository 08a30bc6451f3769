/*
 * report.c - `tamis report`: the transparency report (TCO Art 7(3), DSA
 * Art 15) for a period, as JSON or as a self-contained HTML page.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: tamis report [--db URL] --from YYYY-MM-DD --to YYYY-MM-DD [--html]\n"
               "\n"
               "Writes the transparency report for the period from the start of --from\n"
               "to the start of --to (UTC; --to itself is not included, so a year is\n"
               "--from 2031-01-01 --to 2032-01-01) to stdout: JSON (doc/transparency.md\n"
               "defines its fields), or with --html a self-contained HTML page with its\n"
               "plots. Exit status 0, 1 when the database fails, 2 on usage errors.\n");
}

/* A day as YYYY-MM-DD (UTC) to Unix seconds; -1 if it is not one. */
static double parse_day(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
    if (!end || *end || strlen(s) != 10)
        return -1;
    int y = tm.tm_year, m = tm.tm_mon, d = tm.tm_mday;
    time_t t = timegm(&tm);
    /* strptime takes 2031-02-30; timegm would move it to March */
    if (t == (time_t)-1 || tm.tm_year != y || tm.tm_mon != m || tm.tm_mday != d)
        return -1;
    return (double)t;
}

int cmd_report(int argc, char **argv) {
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"from", required_argument, NULL, 'f'},
                                       {"to", required_argument, NULL, 't'},
                                       {"html", no_argument, NULL, 'H'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *db_url = "tamis.db", *from_s = NULL, *to_s = NULL;
    int html = 0, c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': db_url = optarg; break;
        case 'f': from_s = optarg; break;
        case 't': to_s = optarg; break;
        case 'H': html = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || !from_s || !to_s) {
        usage(stderr);
        return EXIT_USAGE;
    }
    double from = parse_day(from_s), to = parse_day(to_s);
    if (from < 0 || to < 0) {
        fprintf(stderr, "tamis report: '%s' is not a date (YYYY-MM-DD)\n", from < 0 ? from_s : to_s);
        return EXIT_USAGE;
    }
    if (!(from < to)) {
        fprintf(stderr, "tamis report: --to must be after --from (--to is the first day not "
                        "reported)\n");
        return EXIT_USAGE;
    }
    tamis_db *db;
    char err[512];
    if (tamis_db_open(db_url, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis report: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    char *out = NULL;
    tamis_status st = html ? tamis_report_html(db, from, to, &out)
                           : tamis_report_json(db, from, to, &out);
    int rc = EXIT_OK;
    if (st == TAMIS_ERR_INVALID) {
        fprintf(stderr, "tamis report: %s\n", tamis_db_errmsg(db));
        rc = EXIT_USAGE;
    } else if (st != TAMIS_OK) {
        fprintf(stderr, "tamis report: %s\n", tamis_db_errmsg(db));
        rc = EXIT_SOME_FAILED;
    } else {
        fputs(out, stdout);
        if (!html)
            fputc('\n', stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            perror("tamis report: stdout");
            rc = EXIT_SOME_FAILED;
        }
    }
    free(out);
    tamis_db_close(db);
    return rc;
}
