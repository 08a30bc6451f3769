/*
 * client.c - a minimal HTTP client and a fixture that runs `tamis serve`,
 * for tests/server/. Deliberately independent of the server's code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../test.h"
#include "client.h"

int http_do(int port, const char *method, const char *path, const char *token,
            const char *ctype, const void *body, size_t len, http_resp *out) {
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    /* sized for long paths and tokens (the header-limit test sends 20 KB) */
    size_t hcap = 1024 + strlen(path) + (token ? strlen(token) : 0) + (ctype ? strlen(ctype) : 0);
    char *head = malloc(hcap);
    if (!head) {
        close(fd);
        return -1;
    }
    int n = snprintf(head, hcap,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n",
                     method, path, len);
    if (token)
        n += snprintf(head + n, hcap - (size_t)n, "Authorization: Bearer %s\r\n", token);
    if (ctype)
        n += snprintf(head + n, hcap - (size_t)n, "Content-Type: %s\r\n", ctype);
    n += snprintf(head + n, hcap - (size_t)n, "\r\n");
    if (write(fd, head, (size_t)n) != n || (len && write(fd, body, len) != (ssize_t)len)) {
        /* the server may answer (413) before reading a large body */
    }
    free(head);
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    ssize_t k;
    while ((k = read(fd, buf + got, cap - got - 1)) > 0) {
        got += (size_t)k;
        if (got + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[got] = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
        free(buf);
        return -1;
    }
    size_t hl = (size_t)(sep - buf);
    snprintf(out->headers, sizeof out->headers, "%.*s", (int)hl, buf);
    out->len = got - hl - 4;
    out->body = malloc(out->len + 1);
    memcpy(out->body, sep + 4, out->len);
    out->body[out->len] = 0;
    free(buf);
    return 0;
}

char *multipart(const char *field, const char *filename, const void *data, size_t len,
                size_t *out_len, char *ct, size_t ct_cap) {
    const char *b = "tamisTestBoundary7MA4YWxkTrZu0gW";
    snprintf(ct, ct_cap, "multipart/form-data; boundary=%s", b);
    char head[512], tail[128];
    int hn = snprintf(head, sizeof head,
                      "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n",
                      b, field, filename);
    int tn = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", b);
    *out_len = (size_t)hn + len + (size_t)tn;
    char *body = malloc(*out_len);
    memcpy(body, head, (size_t)hn);
    memcpy(body + hn, data, len);
    memcpy(body + (size_t)hn + len, tail, (size_t)tn);
    return body;
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

void server_start(server_proc *s, const char *db, const char *extra) {
    memset(s, 0, sizeof *s);
    snprintf(s->db, sizeof s->db, "%s", db);
    snprintf(s->log, sizeof s->log, "%s/server-%d.log", tmp_dir(), (int)getpid());
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = free_port();
        char cmd[16384];
        snprintf(cmd, sizeof cmd, "exec '%s/tamis' serve --db '%s' --listen 127.0.0.1:%d %s",
                 build_dir(), db, s->port, extra ? extra : "");
        s->pid = fork();
        if (s->pid == 0) {
            /* a test that fails exits without server_stop: the server goes too */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            freopen(s->log, "a", stderr);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 300; i++) { /* up to 30 s to load and listen */
            http_resp r;
            if (http_do(s->port, "GET", "/status/live", NULL, NULL, NULL, 0, &r) == 0) {
                free(r.body);
                if (r.status == 200)
                    return;
            }
            int st;
            if (waitpid(s->pid, &st, WNOHANG) == s->pid)
                break; /* it died: maybe the port was taken */
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    char *log = (char *)read_file(s->log, NULL);
    FAIL("tamis serve did not start; its log:\n%s", log ? log : "(none)");
}

int server_stop(server_proc *s) {
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int st;
    if (waitpid(s->pid, &st, 0) != s->pid)
        return -1;
    s->pid = 0;
    /* In a sanitizer build the server reports leaks as it exits. */
    char *log = (char *)read_file(s->log, NULL);
    if (log && (strstr(log, "ERROR: AddressSanitizer") || strstr(log, "ERROR: LeakSanitizer") ||
                strstr(log, "runtime error: ")))
        FAIL("sanitizer report from tamis serve:\n%s", log);
    free(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *make_token(const char *db, const char *role) {
    char *out = NULL, *err = NULL;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s/tamis' token create --db '%s' --role %s", build_dir(), db, role);
    int st = run_cmd(cmd, &out, &err);
    if (st != 0)
        FAIL("token create failed (%d): %s", st, err ? err : "");
    free(err);
    /* the token is the last line */
    size_t n = strlen(out);
    while (n && out[n - 1] == '\n')
        out[--n] = 0;
    char *last = strrchr(out, '\n');
    char *tok = strdup(last ? last + 1 : out);
    free(out);
    return tok;
}

int backends(char urls[2][4096]) {
    int n = 0;
    snprintf(urls[n++], 4096, "%s/api.db", tmp_dir());
    const char *pg = getenv("TAMIS_TEST_PG");
    if (pg && *pg)
        snprintf(urls[n++], 4096, "%s", pg);
    return n;
}

static void *media_serve(void *p) {
    media_server *m = p;
    while (!m->stop) {
        struct pollfd pf = {m->fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        int c = accept(m->fd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[8192];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof buf - 1 && (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
            got += (size_t)n;
            buf[got] = 0;
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        char head[1024];
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                          m->status, m->len, m->headers ? m->headers : "");
        if (write(c, head, (size_t)hl) == hl && m->len)
            (void)!write(c, m->body, m->len);
        m->served++;
        close(c);
    }
    return NULL;
}

void media_server_start(media_server *m, int status, const char *headers, const void *body,
                        size_t len) {
    memset(m, 0, sizeof *m);
    m->status = status, m->headers = headers, m->body = body, m->len = len;
    m->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(m->fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(m->fd, (struct sockaddr *)&a, &l);
    m->port = ntohs(a.sin_port);
    ASSERT_EQ(listen(m->fd, 16), 0);
    ASSERT_EQ(pthread_create(&m->thread, NULL, media_serve, m), 0);
}

void media_server_stop(media_server *m) {
    m->stop = 1;
    pthread_join(m->thread, NULL);
    close(m->fd);
}

int http_json(int port, const char *method, const char *path, const char *token,
              const char *json, json_t **out) {
    http_resp r;
    ASSERT_EQ(http_do(port, method, path, token, json ? "application/json" : NULL, json,
                      json ? strlen(json) : 0, &r),
              0);
    if (out)
        *out = json_loads(r.body, 0, NULL);
    free(r.body);
    return r.status;
}
