/*
 * clock.c - the time the law's clocks run on: the system's, or a test's.
 */
#include <time.h>

#include "../common/common.h"

double tamis_clock_now(const tamis_clock *c) {
    if (c && c->now)
        return c->now(c->ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
