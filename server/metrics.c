/*
 * metrics.c - counters for /metrics in the Prometheus text format:
 * requests by route and status, a latency histogram, matches by bank, and
 * the index sizes. Updated under one mutex: a few nanoseconds a request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const double buckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
#define NB (sizeof buckets / sizeof buckets[0])

typedef struct {
    const char *route;
    int status;
    unsigned long long n;
} req_count;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static req_count counts[256];
static int ncounts;
static unsigned long long hist[NB + 1], total_n;
static double total_s;
static struct {
    char bank[104], type[16];
    unsigned long long n;
} matches[512];
static int nmatches;

void metrics_request(const char *rt, int status, double seconds) {
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < ncounts; i++)
        if (counts[i].route == rt && counts[i].status == status)
            break;
    if (i == ncounts && ncounts < 256)
        counts[ncounts++] = (req_count){rt, status, 0};
    if (i < ncounts)
        counts[i].n++;
    size_t b = 0;
    while (b < NB && seconds > buckets[b])
        b++;
    hist[b]++;
    total_n++;
    total_s += seconds;
    pthread_mutex_unlock(&mu);
}

void metrics_match(const char *bank, const char *type) {
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < nmatches; i++)
        if (strcmp(matches[i].bank, bank) == 0 && strcmp(matches[i].type, type) == 0)
            break;
    if (i == nmatches && nmatches < 512) {
        snprintf(matches[i].bank, sizeof matches[i].bank, "%s", bank);
        snprintf(matches[i].type, sizeof matches[i].type, "%s", type);
        matches[i].n = 0;
        nmatches++;
    }
    if (i < nmatches)
        matches[i].n++;
    pthread_mutex_unlock(&mu);
}

/* Removal orders: open, late, executed on time or not, and the time to
 * removal (TCO Art 3: one hour from receipt, less the clock's stops). */
typedef struct {
    double now;
    unsigned long long open, overdue, on_time, late, rejected;
    unsigned long long bucket[6]; /* <= 600, 1800, 3600, 7200, 86400 s, +Inf */
    double sum;
} order_stats;

static int order_stat(void *ctx, const tamis_order *o) {
    order_stats *s = ctx;
    static const double le[5] = {600, 1800, 3600, 7200, 86400};
    if (o->state == TAMIS_ORDER_EXECUTED) {
        double t = o->executed_at - o->received_at - o->clock_stopped;
        s->sum += t;
        for (int i = 0; i < 6; i++)
            if (i == 5 || t <= le[i])
                s->bucket[i]++;
        if (o->on_time)
            s->on_time++;
        else
            s->late++;
    } else if (o->state == TAMIS_ORDER_REJECTED) {
        s->rejected++;
    } else {
        s->open++;
        if (o->state == TAMIS_ORDER_RECEIVED && o->deadline < s->now)
            s->overdue++;
    }
    return 0;
}

static void order_metrics(FILE *f, tamis_db *db) {
    order_stats s;
    memset(&s, 0, sizeof s);
    s.now = tamis_clock_now(NULL);
    if (!db || tamis_order_list(db, order_stat, &s) != TAMIS_OK)
        return;
    fprintf(f, "# HELP tamis_orders Removal orders by state.\n# TYPE tamis_orders gauge\n"
               "tamis_orders{state=\"open\"} %llu\ntamis_orders{state=\"overdue\"} %llu\n"
               "tamis_orders{state=\"executed_on_time\"} %llu\n"
               "tamis_orders{state=\"executed_late\"} %llu\n"
               "tamis_orders{state=\"rejected\"} %llu\n",
            s.open, s.overdue, s.on_time, s.late, s.rejected);
    static const char *le[6] = {"600", "1800", "3600", "7200", "86400", "+Inf"};
    fprintf(f, "# HELP tamis_order_time_to_removal_seconds From receipt to removal, "
               "less the clock's stops.\n# TYPE tamis_order_time_to_removal_seconds histogram\n");
    for (int i = 0; i < 6; i++)
        fprintf(f, "tamis_order_time_to_removal_seconds_bucket{le=\"%s\"} %llu\n", le[i],
                s.bucket[i]);
    fprintf(f, "tamis_order_time_to_removal_seconds_sum %.3f\n"
               "tamis_order_time_to_removal_seconds_count %llu\n",
            s.sum, s.on_time + s.late);
}

char *metrics_render(tamis_matcher *m, tamis_db *db, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&mu);
    fprintf(f, "# HELP tamis_requests_total HTTP requests by route and status.\n"
               "# TYPE tamis_requests_total counter\n");
    for (int i = 0; i < ncounts; i++)
        fprintf(f, "tamis_requests_total{route=\"%s\",status=\"%d\"} %llu\n", counts[i].route,
                counts[i].status, counts[i].n);
    fprintf(f, "# HELP tamis_request_seconds Request latency.\n"
               "# TYPE tamis_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < NB; b++) {
        cum += hist[b];
        fprintf(f, "tamis_request_seconds_bucket{le=\"%g\"} %llu\n", buckets[b], cum);
    }
    cum += hist[NB];
    fprintf(f, "tamis_request_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    fprintf(f, "tamis_request_seconds_sum %.6f\ntamis_request_seconds_count %llu\n", total_s,
            total_n);
    fprintf(f, "# HELP tamis_matches_total Matches returned, by bank and signal type.\n"
               "# TYPE tamis_matches_total counter\n");
    for (int i = 0; i < nmatches; i++)
        fprintf(f, "tamis_matches_total{bank=\"%s\",signal_type=\"%s\"} %llu\n", matches[i].bank,
                matches[i].type, matches[i].n);
    pthread_mutex_unlock(&mu);
    fprintf(f, "# HELP tamis_index_signals Signals in the in-memory indexes.\n"
               "# TYPE tamis_index_signals gauge\n");
    static const char *types[] = {"pdq",       "md5",       "sha256",    "vpdq", "tmk",
                                  "text_exact", "text_near", "text_tlsh", "url"};
    for (int t = 0; t < (int)(sizeof types / sizeof types[0]); t++)
        fprintf(f, "tamis_index_signals{signal_type=\"%s\"} %zu\n", types[t],
                tamis_matcher_count(m, types[t]));
    fprintf(f, "# HELP tamis_change_seq Change-log position applied.\n"
               "# TYPE tamis_change_seq gauge\ntamis_change_seq %lld\n",
            (long long)tamis_matcher_seq(m));
    order_metrics(f, db);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
