/*
 * fuzz_server_http.c - libFuzzer target for the service's request
 * handling: the real server code (server/, libmicrohttpd underneath) run
 * in-process, each input sent as raw bytes over a socket pair. It reaches
 * libmicrohttpd's request parsing, route matching, the token check, query
 * strings (arg()), JSON bodies (body_json), multipart uploads, and every
 * handler: banks and their content and imports, lookups with odd signals,
 * hashing of uploads, orders, the review queue, decisions, notices,
 * complaints, preservation, webhooks, the audit log, reports and the web
 * UI's files.
 *
 * The server (srv_embedded_open) runs on a SQLite database in a temporary
 * directory (on /dev/shm when there is one) made by LLVMFuzzerInitialize,
 * holding a token of each role, and two banks with a PDQ, an MD5 and a URL,
 * one of them under a policy that acts automatically. Preservation and a
 * webhook outbox are on (nothing is delivered: no thread runs). The state
 * grows as inputs write to it, as a server's does; every RESET_EVERY inputs
 * the server, its database and directory are made afresh.
 *
 * Input: the first byte picks the caller (bits 0-2): 0 no token, 1 matcher,
 * 2 reviewer, 3 curator, 4 admin, 5 an unknown token, 6-7 admin; the rest is
 * sent as it is, one or more HTTP requests, with an "Authorization: Bearer"
 * line added after each request line (a line holding " HTTP/1."). The sending
 * side is then shut down and the answer read until the server closes.
 *
 * Besides crashes, leaks and undefined behaviour (in the server and in
 * libtamis), the target aborts when:
 *   - the server refuses the connection (connections leaked up to the limit);
 *   - it neither answers nor closes a connection whose request is all sent;
 *   - an answer does not start with an HTTP status line;
 *   - a handler answers 500: every input error must be a 4xx (libmicrohttpd's
 *     own 5xx answers, such as 505 for an unknown HTTP version, carry no
 *     JSON and are allowed).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define RESET_EVERY 20000
/* MHD_run calls without progress before a connection counts as stuck. */
#define STUCK_ROUNDS 200000

static srv *server;
static char dir[256];
static char db_path[300], key_path[300], store_dir[300], secret_path[300], outbox_dir[300];
static char tokens[6][TAMIS_TOKEN_LEN + 1];
static unsigned long inputs;

static void fail(const char *what, const char *detail, size_t len) {
    fprintf(stderr, "fuzz_server_http: %s\n%.*s\n", what, (int)(len > 2000 ? 2000 : len),
            detail ? detail : "");
    abort();
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void) {
    srv_embedded_close(server);
    server = NULL;
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void check(tamis_status st, const char *what, tamis_db *db) {
    if (st != TAMIS_OK) {
        fprintf(stderr, "fuzz_server_http: setup: %s: %s %s\n", what, tamis_strerror(st),
                db ? tamis_db_errmsg(db) : "");
        abort();
    }
}

static void add_item(tamis_db *db, const char *bank, const char *type, const char *value) {
    tamis_signal sig = {(char *)type, (char *)value};
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)bank;
    c.n_signals = 1;
    c.signals = &sig;
    check(tamis_db_content_add(db, &c, NULL), "content", db);
}

/* Makes the directory, the database and its banks, and starts the server. */
static void setup(void) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tamis-fuzz-http-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_server_http: mkdtemp");
        abort();
    }
    snprintf(db_path, sizeof db_path, "%s/fuzz.db", dir);
    snprintf(key_path, sizeof key_path, "%s/preserve.key", dir);
    snprintf(store_dir, sizeof store_dir, "%s/preserved", dir);
    snprintf(secret_path, sizeof secret_path, "%s/webhook.secret", dir);
    snprintf(outbox_dir, sizeof outbox_dir, "%s/outbox", dir);

    char err[512];
    tamis_db *db = NULL;
    if (tamis_db_open(db_path, &db, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "fuzz_server_http: %s\n", err);
        abort();
    }
    static const char *const roles[] = {"matcher", "reviewer", "curator", "admin"};
    for (int i = 0; i < 4; i++)
        check(tamis_db_token_create(db, roles[i], "fuzz", tokens[i + 1]), "token", db);
    /* well-formed, unknown */
    memset(tokens[5], 'A', TAMIS_TOKEN_LEN);
    tokens[5][TAMIS_TOKEN_LEN] = 0;

    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "FUZZ";
    b.enabled_ratio = 1.0;
    b.labels = "[\"terrorism\"]";
    b.policy = "{\"trusted\":true,\"action\":\"remove\",\"auto\":{\"pdq\":10,\"md5\":0},"
               "\"review\":{\"pdq\":31,\"url\":0}}";
    check(tamis_db_bank_create(db, &b), "bank", db);
    memset(&b, 0, sizeof b);
    b.name = "OTHER";
    b.enabled_ratio = 0.5;
    b.thresholds = "{\"pdq\":20}";
    check(tamis_db_bank_create(db, &b), "bank", db);
    for (int i = 0; i < 2; i++) {
        const char *bank = i ? "OTHER" : "FUZZ";
        add_item(db, bank, "pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22");
        add_item(db, bank, "md5", "d41d8cd98f00b204e9800998ecf8427e");
        add_item(db, bank, "url", "example.com/bad/");
    }
    tamis_db_close(db);

    if (tamis_preserve_keygen(key_path, err, sizeof err) != TAMIS_OK) {
        fprintf(stderr, "fuzz_server_http: %s\n", err);
        abort();
    }
    FILE *f = fopen(secret_path, "wb");
    if (!f || fputs("fuzz-webhook-secret-0123456789\n", f) < 0 || fclose(f) != 0) {
        perror("fuzz_server_http: webhook secret");
        abort();
    }

    srv_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.db_url = db_path;
    cfg.listen = "embedded";
    cfg.max_body = 256 << 10;
    cfg.max_upload = 1 << 20;
    cfg.max_connections = 4;
    cfg.timeout_s = 5;
    cfg.threads = 1;
    cfg.webhook_url = "http://127.0.0.1:9/hook";
    cfg.webhook_secret_file = secret_path;
    cfg.webhook_dir = outbox_dir;
    cfg.preserve_dir = store_dir;
    cfg.preserve_key = key_path;
    if (!(server = srv_embedded_open(&cfg, err, sizeof err))) {
        fprintf(stderr, "fuzz_server_http: %s\n", err);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    setup();
    atexit(cleanup);
    return 0;
}

/* Sends msg (len bytes) on a new connection and reads the answer into
 * ans (at most cap bytes kept); returns the number of bytes kept. */
static size_t exchange(const uint8_t *msg, size_t len, char *ans, size_t cap) {
    int fd = srv_embedded_connect(server);
    if (fd < 0)
        fail("the server refused a connection", NULL, 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t sent = 0, kept = 0;
    int shut = 0;
    unsigned long idle = 0;
    char buf[16384];
    for (;;) {
        int progress = 0;
        if (sent < len) {
            ssize_t n = send(fd, msg + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n, progress = 1;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                sent = len; /* the server closed early (e.g. after a 413) */
        }
        if (sent == len && !shut) {
            shutdown(fd, SHUT_WR);
            shut = 1;
        }
        srv_embedded_run(server);
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
        if (n > 0) {
            size_t k = (size_t)n < cap - kept ? (size_t)n : cap - kept;
            memcpy(ans + kept, buf, k);
            kept += k;
            progress = 1;
        }
        idle = progress ? 0 : idle + 1;
        if (idle > STUCK_ROUNDS && shut)
            fail("the server neither answers nor closes the connection", ans, kept);
    }
    close(fd);
    /* let the server see the close and free the connection */
    srv_embedded_run(server);
    return kept;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    if (++inputs % RESET_EVERY == 0) {
        cleanup();
        setup();
    }
    int who = data[0] & 7;
    if (who > 5)
        who = 4;
    data++, size--;

    /* The requests, with the caller's Authorization line after each
     * request line (a line holding " HTTP/1."). */
    char auth[128] = "";
    if (who > 0)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", tokens[who]);
    size_t alen = strlen(auth), lines = 0;
    for (const uint8_t *p = data; (p = memchr(p, '\n', size - (size_t)(p - data))); p++)
        lines++;
    uint8_t *msg = malloc(size + lines * alen + 1);
    if (!msg)
        return 0;
    size_t len = 0;
    for (const uint8_t *p = data, *end = data + size; p < end;) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
        memcpy(msg + len, p, line);
        len += line;
        if (nl && alen && memmem(p, line, " HTTP/1.", 8)) {
            memcpy(msg + len, auth, alen);
            len += alen;
        }
        p += line;
    }

    static char ans[8192];
    size_t n = exchange(msg, len, ans, sizeof ans - 1);
    free(msg);
    ans[n] = 0;
    srv_embedded_sync(server);

    if (getenv("FUZZ_HTTP_TRACE")) /* the status lines, to check seeds */
        for (const char *p = ans; (p = strstr(p, "HTTP/1.")); p++)
            fprintf(stderr, "%.*s\n", (int)strcspn(p, "\r\n"), p);
    if (n == 0)
        return 0; /* closed without an answer: an incomplete request */
    if (n < 12 || memcmp(ans, "HTTP/1.", 7) != 0)
        fail("the answer does not start with a status line", ans, n);
    if (memcmp(ans + 9, "500", 3) == 0 && strstr(ans, "application/json"))
        fail("a handler answered 500", ans, n);
    return 0;
}
