/*
 * preserve.c - `tamis preserve`: the store of removed content (TCO Art 6)
 * from the command line - its key, and the same operations as
 * /a/preserve, each access written to the audit log of --db as --as.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static unsigned char *read_whole_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap), *nb;
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (!(nb = realloc(buf, cap *= 2))) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static void usage(FILE *f) {
    fprintf(f, "usage: tamis preserve keygen FILE\n"
               "       tamis preserve put ID FILE [--days N] [--reason T]\n"
               "       tamis preserve read ID > FILE\n"
               "       tamis preserve list | hold ID --reason T | release ID --reason T | purge\n"
               "store: --dir DIR --key FILE; audit: --db URL (default tamis.db) --as WHO\n");
}

typedef struct {
    tamis_db *db;
    const char *who;
} auditor;

static void on_access(void *ctx, const char *action, const char *id) {
    auditor *a = ctx;
    char act[64], subject[300];
    snprintf(act, sizeof act, "preserve.%s", action);
    snprintf(subject, sizeof subject, "preserved:%.280s", id);
    if (tamis_audit_append(a->db, NULL, a->who, act, subject, NULL, NULL) != TAMIS_OK)
        fprintf(stderr, "tamis preserve: audit: %s\n", tamis_db_errmsg(a->db));
}

int cmd_preserve(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "keygen") == 0) {
        char err[512];
        if (tamis_preserve_keygen(argv[2], err, sizeof err) != TAMIS_OK) {
            fprintf(stderr, "tamis preserve: %s\n", err);
            return EXIT_SOME_FAILED;
        }
        fprintf(stderr, "tamis preserve: key written to %s (mode 0600); keep it outside the "
                        "store\n", argv[2]);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"dir", required_argument, NULL, 'D'}, {"key", required_argument, NULL, 'K'},
        {"db", required_argument, NULL, 'd'},  {"as", required_argument, NULL, 'a'},
        {"days", required_argument, NULL, 'n'}, {"reason", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    const char *dir = NULL, *key = NULL, *db_url = "tamis.db", *who = "cli", *reason = NULL;
    long days = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'D': dir = optarg; break;
        case 'K': key = optarg; break;
        case 'd': db_url = optarg; break;
        case 'a': who = optarg; break;
        case 'n': days = strtol(optarg, NULL, 10); break;
        case 'r': reason = optarg; break;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    int npos = argc - optind;
    const char *what = npos ? argv[optind] : "";
    const char *id = npos > 1 ? argv[optind + 1] : NULL;
    int ok = dir && key &&
             ((strcmp(what, "put") == 0 && npos == 3) ||
              ((strcmp(what, "read") == 0 || strcmp(what, "hold") == 0 ||
                strcmp(what, "release") == 0) && npos == 2) ||
              ((strcmp(what, "list") == 0 || strcmp(what, "purge") == 0) && npos == 1));
    if (!ok) {
        usage(stderr);
        return EXIT_USAGE;
    }
    auditor a = {NULL, who};
    char err[512];
    if (tamis_db_open(db_url, &a.db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis preserve: %s\n", err);
        return EXIT_SOME_FAILED;
    }
    tamis_preserve_store *s;
    if (tamis_preserve_open(dir, key, NULL, on_access, &a, &s, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "tamis preserve: %s\n", err);
        tamis_db_close(a.db);
        return EXIT_SOME_FAILED;
    }
    tamis_status st = TAMIS_OK;
    if (strcmp(what, "put") == 0) {
        size_t len;
        unsigned char *data = read_whole_file(argv[optind + 2], &len);
        if (!data) {
            fprintf(stderr, "tamis preserve: %s: cannot read\n", argv[optind + 2]);
            st = TAMIS_ERR_IO;
        } else {
            int64_t expires;
            json_t *m = reason ? json_pack("{s:s}", "reason", reason) : NULL;
            char *meta = m ? json_dumps(m, JSON_COMPACT) : NULL;
            json_decref(m);
            st = tamis_preserve_put(s, id, data, len, NULL, meta, (int64_t)days * 86400,
                                    &expires);
            free(meta);
            if (st == TAMIS_OK)
                printf("%s preserved until %lld\n", id, (long long)expires);
            free(data);
        }
    } else if (strcmp(what, "read") == 0) {
        tamis_preserved *p;
        if ((st = tamis_preserve_read(s, id, &p)) == TAMIS_OK) {
            fwrite(p->content, 1, p->content_len, stdout);
            tamis_preserved_free(p);
        }
    } else if (strcmp(what, "hold") == 0) {
        st = tamis_preserve_hold(s, id, reason);
    } else if (strcmp(what, "release") == 0) {
        st = tamis_preserve_release(s, id, reason);
    } else if (strcmp(what, "list") == 0) {
        tamis_preserve_entry *e;
        size_t n;
        if ((st = tamis_preserve_list(s, &e, &n)) == TAMIS_OK) {
            for (size_t i = 0; i < n; i++)
                printf("%s\t%lld\t%lld\t%s\t%llu\n", e[i].id, (long long)e[i].created,
                       (long long)e[i].expires, e[i].legal_hold ? "hold" : "-",
                       (unsigned long long)e[i].content_len);
            tamis_preserve_list_free(e, n);
        }
    } else {
        size_t removed = 0, damaged = 0;
        if ((st = tamis_preserve_purge(s, (int64_t)tamis_clock_now(NULL), &removed, &damaged)) ==
            TAMIS_OK)
            printf("%zu removed, %zu damaged and kept\n", removed, damaged);
    }
    if (st != TAMIS_OK && st != TAMIS_ERR_IO)
        fprintf(stderr, "tamis preserve: %s\n", tamis_preserve_errmsg(s));
    tamis_preserve_close(s);
    tamis_db_close(a.db);
    return st == TAMIS_OK ? EXIT_OK : EXIT_SOME_FAILED;
}
