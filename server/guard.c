/*
 * guard.c - slow clients. libmicrohttpd's timeout counts idle time only,
 * so a client that sends its headers a byte at a time (slowloris) keeps
 * a connection for ever, and enough of them take every connection. The
 * guard notes when each connection starts waiting for a request's
 * headers (at connect, and when the previous answer is sent) and shuts
 * down, from the sync thread, those whose headers are not all in after
 * the timeout. Connections are known through MHD's connect/close
 * notifications; the registry's lock keeps a socket from being shut down
 * after MHD has closed it (MHD notifies the close before closing).
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "server.h"

typedef struct slot {
    struct slot *prev, *next;
    int fd;
    double deadline; /* for the headers of the request awaited; 0: one is being answered */
} slot;

struct guard {
    pthread_mutex_t lock;
    slot head; /* a ring: head.next is the first */
    double timeout;
    unsigned long long reaped;
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

guard *guard_create(unsigned timeout_s) {
    guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    g->head.next = g->head.prev = &g->head;
    g->timeout = timeout_s;
    return g;
}

void guard_free(guard *g) {
    if (!g)
        return;
    for (slot *s = g->head.next, *n; s != &g->head; s = n) {
        n = s->next;
        free(s);
    }
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode code) {
    guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        slot *s = ci ? calloc(1, sizeof *s) : NULL;
        *socket_context = s;
        if (!s)
            return; /* unguarded: the idle timeout still applies */
        s->fd = ci->connect_fd;
        s->deadline = now_s() + g->timeout;
        pthread_mutex_lock(&g->lock);
        s->next = g->head.next;
        s->prev = &g->head;
        g->head.next->prev = s;
        g->head.next = s;
        pthread_mutex_unlock(&g->lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        slot *s = *socket_context;
        pthread_mutex_lock(&g->lock);
        s->prev->next = s->next;
        s->next->prev = s->prev;
        pthread_mutex_unlock(&g->lock);
        free(s);
        *socket_context = NULL;
    }
}

static slot *slot_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void guard_headers_in(guard *g, struct MHD_Connection *conn) {
    slot *s = g ? slot_of(conn) : NULL;
    if (!s)
        return;
    pthread_mutex_lock(&g->lock);
    s->deadline = 0;
    pthread_mutex_unlock(&g->lock);
}

void guard_answered(guard *g, struct MHD_Connection *conn) {
    slot *s = g ? slot_of(conn) : NULL;
    if (!s)
        return;
    pthread_mutex_lock(&g->lock);
    s->deadline = now_s() + g->timeout;
    pthread_mutex_unlock(&g->lock);
}

unsigned guard_reap(guard *g) {
    if (!g)
        return 0;
    unsigned n = 0;
    double now = now_s();
    pthread_mutex_lock(&g->lock);
    for (slot *s = g->head.next; s != &g->head; s = s->next) {
        if (s->deadline > 0 && now > s->deadline) {
            /* MHD sees the end of the stream and closes it */
            shutdown(s->fd, SHUT_RDWR);
            s->deadline = 0;
            n++;
        }
    }
    g->reaped += n;
    pthread_mutex_unlock(&g->lock);
    return n;
}
