/*
 * test_guard.c - server/guard.c and the per-address limit: a client that
 * trickles its headers a byte at a time is cut off once the timeout has
 * passed (libmicrohttpd's own timeout counts idle time, which a trickle
 * never is), and one address cannot hold more than its share of
 * connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "client.h"

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Whether the server has closed fd (end of stream or reset), waiting up
 * to ms. */
static int closed_within(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0)
        return 0;
    char c[256];
    ssize_t n = recv(fd, c, sizeof c, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

TEST(guard_cuts_off_headers_trickled_past_the_timeout) {
    char db[8300];
    snprintf(db, sizeof db, "%s/guard.db", tmp_dir());
    server_proc s;
    server_start(&s, db, "--timeout 2");
    int fd = connect_to(s.port);
    ASSERT_EQ(send(fd, "GET /status/live HTTP/1.1\r\n", 27, MSG_NOSIGNAL), 27);
    /* a byte every 300 ms: never idle for the 2 s timeout */
    double t0 = now_s();
    int closed = 0;
    while (!closed && now_s() - t0 < 20) {
        if (send(fd, "X", 1, MSG_NOSIGNAL) != 1)
            closed = 1;
        else
            closed = closed_within(fd, 300);
    }
    ASSERT(closed); /* without the guard it stays open as long as it trickles */
    close(fd);
    /* a client that sends its request at once is answered */
    http_resp r;
    ASSERT_EQ(http_do(s.port, "GET", "/status/live", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    free(r.body);
    ASSERT_EQ(server_stop(&s), 0);
}

TEST(guard_keeps_a_keep_alive_connection_that_asks_in_time) {
    char db[8300];
    snprintf(db, sizeof db, "%s/guard2.db", tmp_dir());
    server_proc s;
    server_start(&s, db, "--timeout 2");
    int fd = connect_to(s.port);
    /* three requests on one connection, each sent whole, 1 s apart: past
     * the timeout in all, but never late for one request */
    for (int i = 0; i < 3; i++) {
        const char *req = "GET /status/live HTTP/1.1\r\nHost: x\r\n\r\n";
        ASSERT_EQ(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
        char buf[512];
        struct pollfd p = {fd, POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 5000), 1);
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        ASSERT(n > 12);
        buf[n] = 0;
        ASSERT(strncmp(buf, "HTTP/1.1 200", 12) == 0);
        usleep(1000 * 1000);
    }
    close(fd);
    ASSERT_EQ(server_stop(&s), 0);
}

TEST(guard_one_address_gets_its_share_of_connections) {
    char db[8300];
    snprintf(db, sizeof db, "%s/guard3.db", tmp_dir());
    server_proc s;
    server_start(&s, db, "--max-connections 16 --max-connections-per-ip 3 --timeout 30");
    int fds[4];
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_to(s.port);
        ASSERT(!closed_within(fds[i], 200)); /* held */
    }
    fds[3] = connect_to(s.port);
    ASSERT(closed_within(fds[3], 3000)); /* the fourth from this address: closed */
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    /* once they are gone, the address is served again */
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) {
        http_resp r;
        if (http_do(s.port, "GET", "/status/live", NULL, NULL, NULL, 0, &r) == 0) {
            ok = r.status == 200;
            free(r.body);
        }
        if (!ok)
            usleep(100 * 1000);
    }
    ASSERT(ok);
    ASSERT_EQ(server_stop(&s), 0);
}
