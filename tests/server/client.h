/* client.h - a minimal HTTP/1.1 client and a `tamis serve` fixture for the
 * service's tests (over real TCP on loopback). */
#ifndef TAMIS_TEST_CLIENT_H
#define TAMIS_TEST_CLIENT_H

#include <stddef.h>
#include <pthread.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct {
    int status;
    char *body; /* NUL-terminated; free it */
    size_t len;
    char headers[2048];
} http_resp;

/* Sends one request (Connection: close) and reads the whole answer.
 * Returns 0, or -1 if the connection failed. */
int http_do(int port, const char *method, const char *path, const char *token,
            const char *content_type, const void *body, size_t len, http_resp *out);

/* Sends a request with an optional JSON body (the request must go
 * through: the test fails otherwise); *out (may be NULL) gets the answer
 * parsed as JSON (NULL if it is not). Returns the status. */
int http_json(int port, const char *method, const char *path, const char *token,
              const char *json, json_t **out);

/* A multipart/form-data body with one file field; free the result. */
char *multipart(const char *field, const char *filename, const void *data, size_t len,
                size_t *out_len, char *content_type, size_t ct_cap);

typedef struct {
    pid_t pid;
    int port;
    char db[4096];
    char log[4096];
} server_proc;

/* Starts build/tamis serve on a free port with database `db` and waits
 * until /status/live answers; fails the test otherwise. */
void server_start(server_proc *s, const char *db, const char *extra_args);
/* Sends SIGTERM and waits; returns the exit status (or -1). */
int server_stop(server_proc *s);

/* Creates a token with `role` in database `db` (through the CLI). */
char *make_token(const char *db, const char *role);

/* The database URLs the service suite runs against: SQLite in the test's
 * temp dir, and PostgreSQL when TAMIS_TEST_PG is set. */
int backends(char urls[2][4096]);

/* A one-thread HTTP server on loopback that answers every request with the
 * same status, extra header lines (e.g. "Location: ...\r\n") and body:
 * the far end of the service's fetches by URL. */
typedef struct {
    int port, fd, stop;
    int status;
    const char *headers;
    const void *body;
    size_t len;
    unsigned long long served;
    pthread_t thread;
} media_server;

void media_server_start(media_server *m, int status, const char *headers, const void *body,
                        size_t len);
void media_server_stop(media_server *m);

#endif
