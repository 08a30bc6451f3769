/*
 * serve.c - `tamis serve`: the matching service (server/), with its
 * options.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../server/server.h"
#include "cli.h"

#define DEFAULT_DB "tamis.db"

int cmd_serve(int argc, char **argv) {
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"listen", required_argument, NULL, 'l'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"max-body", required_argument, NULL, 'b'},
                                       {"max-upload", required_argument, NULL, 'u'},
                                       {"max-connections", required_argument, NULL, 'c'},
                                       {"timeout", required_argument, NULL, 'T'},
                                       {"variants", no_argument, NULL, 'v'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"list-routes", no_argument, NULL, 'L'},
                                       {"snapshot", required_argument, NULL, 'S'},
                                       {"no-snapshot", no_argument, NULL, 'N'},
                                       {"fetch-allow", required_argument, NULL, 'A'},
                                       {"thread-per-connection", no_argument, NULL, 'C'},
                                       {"webhook-url", required_argument, NULL, 'W'},
                                       {"webhook-secret-file", required_argument, NULL, 'K'},
                                       {"webhook-dir", required_argument, NULL, 'O'},
                                       {"preserve-dir", required_argument, NULL, 'R'},
                                       {"preserve-key", required_argument, NULL, 'Y'},
                                       {"web-dir", required_argument, NULL, 'D'},
                                       {"fetch-private", no_argument, NULL, 'P'},
                                       {"fetch-max-bytes", required_argument, NULL, 'M'},
                                       {"fetch-timeout", required_argument, NULL, 'F'},
                                       {"max-video-seconds", required_argument, NULL, 'V'},
                                       {"max-connections-per-ip", required_argument, NULL, 'I'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    srv_config cfg = {.db_url = DEFAULT_DB,
                      .listen = "127.0.0.1:8080",
                      .max_body = 1 << 20,
                      .max_upload = 64 << 20,
                      .max_connections = 1024,
                      .timeout_s = 30,
                      .log = stderr,
                      .snapshot_every_s = 600,
                      .fetch_timeout_s = 10,
                      .max_video_seconds = 3600};
    int fetch_max_set = 0;
    int no_snapshot = 0;
    char snap[4096];
    unsigned long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:l:h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': cfg.db_url = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 'v': cfg.use_variants = 1; break;
        case 'S': cfg.snapshot = optarg; break;
        case 'N': no_snapshot = 1; break;
        case 'A': cfg.fetch_allow = optarg; break;
        case 'P': cfg.fetch_private = 1; break;
        case 'C': cfg.thread_per_connection = 1; break;
        case 'W': cfg.webhook_url = optarg; break;
        case 'K': cfg.webhook_secret_file = optarg; break;
        case 'O': cfg.webhook_dir = optarg; break;
        case 'R': cfg.preserve_dir = optarg; break;
        case 'Y': cfg.preserve_key = optarg; break;
        case 'D': cfg.web_dir = optarg; break;
        case 'L': {
            /* METHOD PATH ROLE per line: the docs' test compares them */
            const char *const *roles = srv_role_names;
            size_t n;
            const route *rt = route_table(&n);
            for (size_t i = 0; i < n; i++)
                printf("%s %s %s\n", rt[i].method, rt[i].pattern, roles[rt[i].role]);
            return EXIT_OK;
        }
        case 'q': cfg.log = NULL; break;
        case 't':
        case 'b':
        case 'u':
        case 'c':
        case 'T':
        case 'M':
        case 'F':
        case 'V':
        case 'I':
            if (parse_count(optarg, &v)) {
                fprintf(stderr, "tamis serve: --%s needs a positive number\n",
                        c == 't' ? "threads" : c == 'b' ? "max-body" : c == 'u' ? "max-upload"
                        : c == 'c' ? "max-connections" : c == 'M' ? "fetch-max-bytes"
                        : c == 'F' ? "fetch-timeout" : c == 'V' ? "max-video-seconds"
                        : c == 'I' ? "max-connections-per-ip" : "timeout");
                return EXIT_USAGE;
            }
            if (c == 't')
                cfg.threads = (int)v;
            else if (c == 'b')
                cfg.max_body = (size_t)v;
            else if (c == 'u')
                cfg.max_upload = (size_t)v;
            else if (c == 'c')
                cfg.max_connections = (unsigned)v;
            else if (c == 'M')
                cfg.fetch_max_bytes = (size_t)v, fetch_max_set = 1;
            else if (c == 'F')
                cfg.fetch_timeout_s = (unsigned)v;
            else if (c == 'I')
                cfg.max_per_ip = (unsigned)v;
            else if (c == 'V')
                cfg.max_video_seconds = v > 100000000 ? 100000000 : (unsigned)v;
            else
                cfg.timeout_s = (unsigned)v;
            break;
        case 'h':
            printf("usage: tamis serve [--db URL] [--listen ADDR:PORT] [options]\n"
                   "\n"
                   "Serves the matching API (doc/api.md) on ADDR:PORT (default\n"
                   "127.0.0.1:8080) from the database URL (default tamis.db, SQLite;\n"
                   "postgresql://... for PostgreSQL, shared by several servers).\n"
                   "Every endpoint but /status/live needs a token: tamis token create.\n"
                   "\n"
                   "  --threads N           request threads (default: cores)\n"
                   "  --max-body BYTES      JSON bodies (default 1 MiB)\n"
                   "  --max-upload BYTES    uploads (default 64 MiB)\n"
                   "  --max-video-seconds S longest uploaded video hashed (default 3600)\n"
                   "  --max-connections N   (default 1024)\n"
                   "  --max-connections-per-ip N  from one address (default: a quarter of\n"
                   "                        --max-connections; behind a proxy, raise it)\n"
                   "  --timeout SECONDS     idle connection timeout, the most a request's\n"
                   "                        headers may take, and drain time (default 30)\n"
                   "  --variants            /m/match queries with rotations, mirrors, trimmed\n"
                   "  --snapshot DIR        where to keep the matcher's snapshot, written at exit\n"
                   "                        and every 10 minutes, mapped at start (default for\n"
                   "                        SQLite: DB.snapshot beside the database)\n"
                   "  --no-snapshot         always load from the database\n"
                   "  --fetch-allow HOSTS   fetch media by URL (url=) from these hosts and their\n"
                   "                        subdomains, comma-separated (default: no fetching)\n"
                   "  --fetch-private       let fetches reach loopback and private addresses\n"
                   "  --fetch-max-bytes N   (default: --max-upload)\n"
                   "  --fetch-timeout S     whole transfer (default 10)\n"
                   "  --thread-per-connection  a thread per connection instead of the epoll pool\n"
                   "  --webhook-url URL     announce decisions (/m/match?puid=) to the platform,\n"
                   "                        signed; with --webhook-secret-file F and\n"
                   "                        --webhook-dir DIR (the outbox, kept across restarts)\n"
                   "  --preserve-dir DIR    keep removed content encrypted there (TCO Art 6),\n"
                   "  --preserve-key FILE   with this key (tamis_preserve_keygen; outside DIR)\n"
                   "  --web-dir DIR         serve the web UI (/ui) from DIR instead of the\n"
                   "                        files built in (for work on web/)\n"
                   "  --quiet               no JSON request log on stderr\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis serve: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!fetch_max_set)
        cfg.fetch_max_bytes = cfg.max_upload;
    /* A SQLite database keeps its snapshot beside it by default. */
    if (no_snapshot) {
        cfg.snapshot = NULL;
    } else if (!cfg.snapshot && strncmp(cfg.db_url, "postgres", 8) != 0) {
        const char *path = strncmp(cfg.db_url, "sqlite:", 7) == 0 ? cfg.db_url + 7 : cfg.db_url;
        snprintf(snap, sizeof snap, "%s.snapshot", path);
        cfg.snapshot = snap;
    }
    return srv_run(&cfg);
}
