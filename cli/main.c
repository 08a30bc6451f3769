/*
 * main.c - the `tamis` program: dispatches to one subcommand per file.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: tamis <command> [options]\n"
            "\n"
            "commands:\n"
            "  hash      hash images and videos (PDQ, vPDQ, TMK, MD5, SHA-256), texts\n"
            "            (--text) and URLs (--url); see 'tamis hash --help'\n"
            "  compare   compare two videos or video hashes (vPDQ, TMK); see\n"
            "            'tamis compare --help'\n"
            "  match     match hashes against a bank; see 'tamis match --help'\n"
            "  index     build and save the index of a bank\n"
            "  scan      hash and match every file under directories, resumably, with a\n"
            "            report; see 'tamis scan --help'\n"
            "  serve     run the matching service (HTTP API); see 'tamis serve --help'\n"
            "  token     create API tokens: tamis token create --role ROLE\n"
            "  import    import a hash list into a bank\n"
            "  export    export a bank's hashes, or its domains as an RPZ zone or a\n"
            "            hosts file; see 'tamis export --help'\n"
            "  audit     verify the audit log's chain, or list it; see 'tamis audit --help'\n"
            "  preserve  the store of removed content (TCO Art 6): keygen, put, read, list,\n"
            "            hold, release, purge\n"
            "  order     removal orders (TCO Art 3): receive, step, show, confirm, due, list\n"
            "  review    the review queue: list, claim, decide; statements of reasons\n"
            "  notice    notices (DSA Art 16): receive, decide\n"
            "  complaint complaints against removals (TCO Art 10): receive, answer\n"
            "  report    the transparency report for a period, as JSON or HTML; see\n"
            "            'tamis report --help'\n"
            "  version   print the version\n");
}

int main(int argc, char **argv) {
    /* Decoders allocate large buffers per image (libjpeg's coefficient
     * arrays for progressive files run to tens of megabytes). Served from
     * fresh mmap()s, each costs a page fault per 4 KB; kept in the heap,
     * they are reused from one file to the next. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "hash") == 0)
        return cmd_hash(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "match") == 0)
        return cmd_match(argc - 1, argv + 1);
    if (strcmp(cmd, "scan") == 0)
        return cmd_scan(argc - 1, argv + 1);
    if (strcmp(cmd, "index") == 0)
        return cmd_index(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    if (strcmp(cmd, "preserve") == 0)
        return cmd_preserve(argc - 1, argv + 1);
    if (strcmp(cmd, "order") == 0)
        return cmd_order(argc - 1, argv + 1);
    if (strcmp(cmd, "review") == 0)
        return cmd_review(argc - 1, argv + 1);
    if (strcmp(cmd, "notice") == 0)
        return cmd_notice(argc - 1, argv + 1);
    if (strcmp(cmd, "complaint") == 0)
        return cmd_complaint(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tamis %s\n", tamis_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "tamis: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
