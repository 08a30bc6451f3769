/*
 * report.c - the transparency report (TCO Art 7(3), DSA Art 15) for a
 * period: what was removed or disabled and why, the removal orders and how
 * fast they were executed, the notices, the complaints and reinstatements.
 *
 * The report is computed once, as a JSON document read only through the
 * public list functions of the acting modules (decisions, orders, notices,
 * complaints, and the audit log for the causes of clock stops); the HTML
 * page is drawn from that document, so the two never disagree. Field
 * names are a contract: doc/transparency.md documents each one.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../common/common.h"
#include "../store/store.h"

#define DAY 86400.0
#define MAX_DAYS 3660
#define BIN_SECONDS 600 /* histogram bins of ten minutes... */
#define BINS 13         /* ...up to two hours, then one for the rest */

/* ---- Collecting ------------------------------------------------------------ */

typedef struct {
    double *v;
    size_t n, cap;
} series;

static int series_add(series *s, double x) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        double *v = tamis__realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return 0;
}

typedef struct {
    double from, to;
    int64_t day0;       /* the UTC day of `from`, in days since 1970 */
    size_t ndays;
    int64_t *day_items; /* items removed or disabled, per day */
    int64_t *day_orders;/* orders executed, per day */
    int nomem;

    /* items actioned */
    int64_t items, removed, disabled, automated, reviewed;
    json_t *by_signal, *by_bank;

    /* orders */
    int64_t received, executed, on_time, late, rejected, pending, locators;
    int64_t stopped_orders;
    double stopped_seconds;
    json_t *by_state, *reasons;
    series clock, since_receipt;
    int64_t bins[BINS];
    series stopped_ids; /* ids of this period's orders whose clock stopped */
    int64_t clarification, force_majeure;

    /* notices and complaints */
    int64_t n_received, n_trusted, n_decided, n_actioned, n_kept;
    int64_t c_received, c_decisions, c_orders, c_upheld, c_rejected, c_open, c_in_time,
        c_late, reinstated;
} collect;

static int in_period(const collect *c, double t) { return t >= c->from && t < c->to; }

static int64_t day_of(double t) { return (int64_t)floor(t / DAY); }

/* Adds one to the counters of `key` in `group` ({"total", ...}). */
static void count_in(collect *c, json_t *group, const char *key, const char *what[],
                     size_t n) {
    json_t *o = json_object_get(group, key);
    if (!o) {
        o = json_pack("{s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)0, "removed",
                      (json_int_t)0, "disabled", (json_int_t)0, "automated", (json_int_t)0,
                      "human_reviewed", (json_int_t)0);
        if (!o || json_object_set_new(group, key, o) != 0) {
            c->nomem = 1;
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(o, what[i]);
        json_integer_set(v, json_integer_value(v) + 1);
    }
}

static int on_decision(void *ctx, const tamis_decision *d) {
    collect *c = ctx;
    if (d->state != TAMIS_DECISION_DONE || !in_period(c, d->decided_at) ||
        (d->action != TAMIS_ACTION_REMOVE && d->action != TAMIS_ACTION_DISABLE))
        return 0;
    const char *what[3] = {"total", d->action == TAMIS_ACTION_REMOVE ? "removed" : "disabled",
                           d->automated_decision ? "automated" : "human_reviewed"};
    c->items++;
    *(d->action == TAMIS_ACTION_REMOVE ? &c->removed : &c->disabled) += 1;
    *(d->automated_decision ? &c->automated : &c->reviewed) += 1;
    count_in(c, c->by_signal, d->signal_type ? d->signal_type : "unknown", what, 3);
    count_in(c, c->by_bank, d->bank ? d->bank : "unknown", what, 3);
    c->day_items[day_of(d->decided_at) - c->day0]++;
    return 0;
}

static void bump(collect *c, json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    if (v)
        json_integer_set(v, json_integer_value(v) + 1);
    else if (json_object_set_new(obj, key, json_integer(1)) != 0)
        c->nomem = 1;
}

/* A rejection's reason, unless it holds personal data. */
static const char *public_reason(const char *note, char *buf, size_t cap) {
    if (!note || !*note)
        return "(no reason recorded)";
    const char *what = NULL;
    if (tamis_sor_find_personal_data(note, strlen(note), &what, NULL) != TAMIS_OK) {
        snprintf(buf, cap, "(reason withheld: it holds %s)", what ? what : "personal data");
        return buf;
    }
    return note;
}

static int on_order(void *ctx, const tamis_order *o) {
    collect *c = ctx;
    if (o->state == TAMIS_ORDER_EXECUTED && in_period(c, o->executed_at))
        c->day_orders[day_of(o->executed_at) - c->day0]++;
    if (!in_period(c, o->received_at))
        return 0;
    c->received++;
    if (o->member_state)
        bump(c, c->by_state, o->member_state);
    if (o->clock_stopped > 0 || o->state == TAMIS_ORDER_CLARIFICATION ||
        o->state == TAMIS_ORDER_FORCE_MAJEURE) {
        c->stopped_orders++;
        c->stopped_seconds += o->clock_stopped;
        if (series_add(&c->stopped_ids, (double)o->id))
            c->nomem = 1;
    }
    switch (o->state) {
    case TAMIS_ORDER_EXECUTED: {
        c->executed++;
        *(o->on_time ? &c->on_time : &c->late) += 1;
        json_t *loc = o->locators ? json_loads(o->locators, 0, NULL) : NULL;
        c->locators += (int64_t)json_array_size(loc);
        json_decref(loc);
        /* The hour runs from receipt, or from the clock's last restart
         * (Art 3(7), 3(8)): the deadline less one hour. */
        double clock = o->executed_at - (o->deadline - 3600);
        if (clock < 0)
            clock = 0;
        if (series_add(&c->clock, clock) || series_add(&c->since_receipt,
                                                       o->executed_at - o->received_at))
            c->nomem = 1;
        int bin = clock <= BIN_SECONDS ? 0 : (int)ceil(clock / BIN_SECONDS) - 1;
        c->bins[bin < BINS - 1 ? bin : BINS - 1]++;
        break;
    }
    case TAMIS_ORDER_REJECTED: {
        char buf[128];
        c->rejected++;
        bump(c, c->reasons, public_reason(o->note, buf, sizeof buf));
        break;
    }
    default: c->pending++; break;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int is_stopped(const collect *c, int64_t id) {
    double x = (double)id;
    return bsearch(&x, c->stopped_ids.v, c->stopped_ids.n, sizeof(double), cmp_double) != NULL;
}

typedef struct {
    collect *c;
    int64_t last;
    size_t n;
} audit_walk;

/* Counts the clock stops of this period's orders by cause. */
static int on_audit(void *ctx, const tamis_audit_entry *e) {
    audit_walk *w = ctx;
    w->last = e->seq;
    w->n++;
    int clar = strcmp(e->action, "order.clarification_requested") == 0;
    int fm = strcmp(e->action, "order.force_majeure") == 0;
    if ((clar || fm) && e->subject && strncmp(e->subject, "order:", 6) == 0 &&
        is_stopped(w->c, strtoll(e->subject + 6, NULL, 10)))
        *(clar ? &w->c->clarification : &w->c->force_majeure) += 1;
    return 0;
}

static int on_notice(void *ctx, const tamis_notice *n) {
    collect *c = ctx;
    if (!in_period(c, n->received_at))
        return 0;
    c->n_received++;
    c->n_trusted += n->trusted_flagger != 0;
    if (n->state == TAMIS_NOTICE_DECIDED) {
        c->n_decided++;
        if (n->action == TAMIS_ACTION_REMOVE || n->action == TAMIS_ACTION_DISABLE)
            c->n_actioned++;
        else
            c->n_kept++;
    }
    return 0;
}

static int on_complaint(void *ctx, const tamis_complaint *k) {
    collect *c = ctx;
    if (k->reinstated && k->answered_at > 0 && in_period(c, k->answered_at))
        c->reinstated++;
    if (!in_period(c, k->received_at))
        return 0;
    c->c_received++;
    *(k->order_id ? &c->c_orders : &c->c_decisions) += 1;
    switch (k->state) {
    case TAMIS_COMPLAINT_UPHELD: c->c_upheld++; break;
    case TAMIS_COMPLAINT_REJECTED: c->c_rejected++; break;
    default: c->c_open++; break;
    }
    if (k->state != TAMIS_COMPLAINT_OPEN)
        *(k->answered_in_time ? &c->c_in_time : &c->c_late) += 1;
    return 0;
}

/* ---- The document ------------------------------------------------------------ */

static void iso_time(double t, char out[32]) {
    time_t s = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void iso_day(int64_t day, char out[16]) {
    time_t s = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* Seconds to the millisecond, so that the JSON does not carry float noise. */
static json_t *secs(double s) { return json_real(round(s * 1000) / 1000); }

/* The median (the mean of the two middle values for an even count) and the
 * nearest-rank percentile p (the value at rank ceil(p * n)), of sorted v;
 * null when there are none. */
static json_t *median(const series *s) {
    if (!s->n)
        return json_null();
    size_t m = s->n / 2;
    return secs(s->n % 2 ? s->v[m] : (s->v[m - 1] + s->v[m]) / 2);
}

static json_t *percentile(const series *s, double p) {
    if (!s->n)
        return json_null();
    size_t rank = (size_t)ceil(p * (double)s->n);
    return secs(s->v[(rank ? rank : 1) - 1]);
}

static json_t *histogram(const collect *c) {
    json_t *a = json_array();
    for (int i = 0; a && i < BINS; i++) {
        json_t *b = json_pack("{s:i,s:o,s:I}", "above_seconds", i * BIN_SECONDS,
                              "up_to_seconds",
                              i < BINS - 1 ? json_integer((i + 1) * BIN_SECONDS) : json_null(),
                              "count", (json_int_t)c->bins[i]);
        if (!b || json_array_append_new(a, b)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *reasons(const collect *c) {
    json_t *a = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(c->reasons, k, v) {
        json_t *r = json_pack("{s:s,s:I}", "reason", k, "count",
                              (json_int_t)json_integer_value(v));
        if (!r || json_array_append_new(a, r))
            return json_decref(a), NULL;
    }
    return a;
}

static json_t *per_day(const collect *c) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->ndays; i++) {
        char d[16];
        iso_day(c->day0 + (int64_t)i, d);
        json_t *o = json_pack("{s:s,s:I,s:I}", "date", d, "items_actioned",
                              (json_int_t)c->day_items[i], "orders_executed",
                              (json_int_t)c->day_orders[i]);
        if (!o || json_array_append_new(a, o))
            return json_decref(a), NULL;
    }
    return a;
}

static json_t *document(collect *c) {
    char from[32], to[32], gen[64];
    iso_time(c->from, from);
    iso_time(c->to, to);
    snprintf(gen, sizeof gen, "tamis %s", tamis_version());
    if (c->clock.n) { /* qsort may not be given NULL, even for none */
        qsort(c->clock.v, c->clock.n, sizeof(double), cmp_double);
        qsort(c->since_receipt.v, c->since_receipt.n, sizeof(double), cmp_double);
    }
    json_t *max = c->clock.n ? secs(c->clock.v[c->clock.n - 1]) : json_null();
    return json_pack(
        "{s:s,s:i,s:s,"
        "s:{s:s,s:s,s:f,s:f},"
        "s:{s:I,s:I,s:I,s:I,s:I,s:O,s:O},"
        "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,"
        "s:{s:I,s:I,s:I,s:o},"
        "s:{s:s,s:o,s:o,s:o,s:o,s:o,s:o},"
        "s:o},"
        "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
        "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
        "s:I,s:o}",
        "format", "tamis-transparency-report", "version", 1, "generator", gen,
        "period", "from", from, "to", to, "from_unix", c->from, "to_unix", c->to,
        "items_actioned", "total", (json_int_t)c->items, "removed", (json_int_t)c->removed,
        "disabled", (json_int_t)c->disabled, "automated", (json_int_t)c->automated,
        "human_reviewed", (json_int_t)c->reviewed, "by_signal_type", c->by_signal, "by_bank",
        c->by_bank,
        "removal_orders", "received", (json_int_t)c->received, "executed",
        (json_int_t)c->executed, "executed_within_one_hour", (json_int_t)c->on_time,
        "executed_late", (json_int_t)c->late, "rejected", (json_int_t)c->rejected, "pending",
        (json_int_t)c->pending, "locators_removed", (json_int_t)c->locators,
        "by_member_state", c->by_state,
        "clock_stopped", "orders", (json_int_t)c->stopped_orders, "clarifications",
        (json_int_t)c->clarification, "force_majeure", (json_int_t)c->force_majeure,
        "total_seconds", secs(c->stopped_seconds),
        "time_to_removal", "measured_from", "the start of the running hour", "median_seconds",
        median(&c->clock), "p90_seconds", percentile(&c->clock, 0.9), "max_seconds", max,
        "median_seconds_since_receipt", median(&c->since_receipt),
        "p90_seconds_since_receipt", percentile(&c->since_receipt, 0.9), "histogram",
        histogram(c),
        "rejected_reasons", reasons(c),
        "notices", "received", (json_int_t)c->n_received, "from_trusted_flaggers",
        (json_int_t)c->n_trusted, "from_others", (json_int_t)(c->n_received - c->n_trusted),
        "decided", (json_int_t)c->n_decided, "actioned", (json_int_t)c->n_actioned, "kept",
        (json_int_t)c->n_kept, "pending", (json_int_t)(c->n_received - c->n_decided),
        "complaints", "received", (json_int_t)c->c_received, "against_decisions",
        (json_int_t)c->c_decisions, "against_orders", (json_int_t)c->c_orders, "upheld",
        (json_int_t)c->c_upheld, "rejected", (json_int_t)c->c_rejected, "open",
        (json_int_t)c->c_open, "answered_within_14_days", (json_int_t)c->c_in_time,
        "answered_late", (json_int_t)c->c_late,
        "reinstatements", (json_int_t)c->reinstated, "per_day", per_day(c));
}

static tamis_status build(tamis_db *db, double from, double to, json_t **out) {
    *out = NULL;
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!isfinite(from) || !isfinite(to) || !(from < to) || from < 0 ||
        (to - from) / DAY > MAX_DAYS)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "a report needs a period [from, to) of at most %d days", MAX_DAYS);
    collect c;
    memset(&c, 0, sizeof c);
    c.from = from;
    c.to = to;
    c.day0 = day_of(from);
    c.ndays = (size_t)(day_of(nextafter(to, 0)) - c.day0 + 1);
    c.day_items = tamis__calloc(c.ndays, sizeof *c.day_items);
    c.day_orders = tamis__calloc(c.ndays, sizeof *c.day_orders);
    c.by_signal = json_object();
    c.by_bank = json_object();
    c.by_state = json_object();
    c.reasons = json_object();
    if (!c.day_items || !c.day_orders || !c.by_signal || !c.by_bank || !c.by_state ||
        !c.reasons)
        st = tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    if (st == TAMIS_OK) {
        st = tamis_decision_list(db, 0, on_decision, &c);
        if (st == TAMIS_OK)
            st = tamis_order_list(db, on_order, &c);
        if (st == TAMIS_OK)
            st = tamis_notice_list(db, on_notice, &c);
        if (st == TAMIS_OK)
            st = tamis_complaint_list(db, on_complaint, &c);
    }
    if (st == TAMIS_OK && c.stopped_ids.n) {
        qsort(c.stopped_ids.v, c.stopped_ids.n, sizeof(double), cmp_double);
        audit_walk w = {&c, 0, 0};
        do {
            w.n = 0;
            st = tamis_audit_list(db, w.last, 1000, on_audit, &w);
        } while (st == TAMIS_OK && w.n == 1000);
    }
    if (st == TAMIS_OK && c.nomem)
        st = tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    if (st == TAMIS_OK && !(*out = document(&c)))
        st = tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    json_decref(c.by_signal);
    json_decref(c.by_bank);
    json_decref(c.by_state);
    json_decref(c.reasons);
    tamis__free(c.day_items);
    tamis__free(c.day_orders);
    tamis__free(c.clock.v);
    tamis__free(c.since_receipt.v);
    tamis__free(c.stopped_ids.v);
    return st;
}

tamis_status tamis_report_json(tamis_db *db, double from, double to, char **json) {
    if (!json)
        return TAMIS_ERR_INVALID;
    *json = NULL;
    json_t *doc;
    tamis_status st = build(db, from, to, &doc);
    if (st != TAMIS_OK)
        return st;
    *json = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    return *json ? TAMIS_OK : tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
}

/* ---- The page ------------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t len, cap;
    int nomem;
} buf;

static void put(buf *b, const char *fmt, ...) TAMIS__PRINTF(2, 3);
static void put(buf *b, const char *fmt, ...) {
    if (b->nomem)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->nomem = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap : 4096);
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *s = tamis__realloc(b->s, cap);
        if (!s) {
            b->nomem = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* Text, escaped for HTML content and attribute values. */
static void text(buf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': put(b, "&lt;"); break;
        case '>': put(b, "&gt;"); break;
        case '&': put(b, "&amp;"); break;
        case '"': put(b, "&quot;"); break;
        case '\'': put(b, "&#39;"); break;
        default: put(b, "%c", *s);
        }
    }
}

static json_int_t num(json_t *o, const char *path) {
    char key[64];
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        o = json_object_get(o, key);
        path = dot + 1;
    }
    return json_integer_value(json_object_get(o, path));
}

static void row(buf *b, const char *label, json_int_t v) {
    put(b, "<tr><th scope=\"row\">");
    text(b, label);
    put(b, "</th><td>%" JSON_INTEGER_FORMAT "</td></tr>\n", v);
}

static void duration(buf *b, json_t *v) {
    if (!json_is_number(v)) {
        put(b, "&ndash;");
        return;
    }
    double s = json_number_value(v);
    if (s < 3600)
        put(b, "%.0f min %02.0f s", floor(s / 60), fmod(floor(s), 60));
    else
        put(b, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
}

static void group_table(buf *b, const char *caption, const char *first, json_t *group) {
    put(b, "<table><caption>");
    text(b, caption);
    put(b, "</caption>\n<tr><th>");
    text(b, first);
    put(b, "</th><th>total</th><th>removed</th><th>disabled</th><th>automated</th>"
           "<th>human reviewed</th></tr>\n");
    const char *k;
    json_t *v;
    json_object_foreach(group, k, v) {
        put(b, "<tr><th scope=\"row\">");
        text(b, k);
        put(b,
            "</th><td>%" JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT
            "</td><td>%" JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT
            "</td><td>%" JSON_INTEGER_FORMAT "</td></tr>\n",
            num(v, "total"), num(v, "removed"), num(v, "disabled"), num(v, "automated"),
            num(v, "human_reviewed"));
    }
    if (!json_object_size(group))
        put(b, "<tr><td colspan=\"6\">none</td></tr>\n");
    put(b, "</table>\n");
}

#define W 760
#define H 260
#define ML 48 /* margins: left, right, top, bottom */
#define MR 16
#define MT 16
#define MB 44

/* The top of an axis: m rounded up so that its four ticks are whole. */
static json_int_t nice_max(json_int_t m) {
    json_int_t step = 1;
    while (m > step * 40)
        step *= 10;
    json_int_t q = 4 * step;
    return m <= 0 ? 4 : (m + q - 1) / q * q;
}

static void y_axis(buf *b, json_int_t top) {
    for (int i = 0; i <= 4; i++) {
        double y = MT + (H - MT - MB) * (1 - i / 4.0);
        put(b,
            "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
            "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%" JSON_INTEGER_FORMAT "</text>\n",
            ML, y, W - MR, y, ML - 6, y + 4, top * i / 4);
    }
}

/* Items removed or disabled per day, with orders executed stacked above. */
static void plot_days(buf *b, json_t *days) {
    size_t n = json_array_size(days);
    json_int_t top = 0;
    for (size_t i = 0; i < n; i++) {
        json_int_t t = num(json_array_get(days, i), "items_actioned") +
                       num(json_array_get(days, i), "orders_executed");
        top = t > top ? t : top;
    }
    top = nice_max(top);
    double pw = W - ML - MR, ph = H - MT - MB, bw = pw / (double)(n ? n : 1);
    put(b, "<svg class=\"plot\" id=\"removals-per-day\" xmlns=\"http://www.w3.org/2000/svg\" "
           "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n"
           "<title>Items removed or disabled, and removal orders executed, per day (UTC)"
           "</title>\n",
           W, H, W, H);
    y_axis(b, top);
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(days, i);
        json_int_t a = num(d, "items_actioned"), o = num(d, "orders_executed");
        double x = ML + bw * (double)i, ha = ph * (double)a / (double)top,
               ho = ph * (double)o / (double)top, w = bw > 2 ? bw - 1 : bw;
        const char *date = json_string_value(json_object_get(d, "date"));
        if (a)
            put(b, "<rect class=\"items\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                   "<title>%s: %" JSON_INTEGER_FORMAT " items</title></rect>\n",
                x, MT + ph - ha, w, ha, date, a);
        if (o)
            put(b, "<rect class=\"orders\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                   "<title>%s: %" JSON_INTEGER_FORMAT " orders executed</title></rect>\n",
                x, MT + ph - ha - ho, w, ho, date, o);
    }
    /* the first and last days, and about six in between */
    size_t every = n > 7 ? (n + 6) / 7 : 1;
    for (size_t i = 0; i < n; i += every)
        put(b, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
            ML + bw * ((double)i + 0.5), H - MB + 16,
            json_string_value(json_object_get(json_array_get(days, i), "date")));
    put(b,
        "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
        "<rect class=\"items\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\"/>"
        "<text class=\"tick\" x=\"%d\" y=\"%d\">items removed or disabled</text>\n"
        "<rect class=\"orders\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\"/>"
        "<text class=\"tick\" x=\"%d\" y=\"%d\">removal orders executed</text>\n</svg>\n",
        ML, MT + (int)ph, W - MR, MT + (int)ph, ML, H - 16, ML + 14, H - 7, ML + 200, H - 16,
        ML + 214, H - 7);
}

/* The time-to-removal histogram, with the line at one hour. */
static void plot_histogram(buf *b, json_t *bins) {
    size_t n = json_array_size(bins);
    json_int_t top = 0;
    for (size_t i = 0; i < n; i++)
        top = num(json_array_get(bins, i), "count") > top ? num(json_array_get(bins, i), "count")
                                                          : top;
    top = nice_max(top);
    double pw = W - ML - MR, ph = H - MT - MB, bw = pw / (double)(n ? n : 1);
    put(b, "<svg class=\"plot\" id=\"time-to-removal\" xmlns=\"http://www.w3.org/2000/svg\" "
           "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n"
           "<title>Removal orders by time to removal (ten-minute bins)</title>\n",
           W, H, W, H);
    y_axis(b, top);
    for (size_t i = 0; i < n; i++) {
        json_t *bin = json_array_get(bins, i);
        json_int_t k = num(bin, "count");
        json_int_t lo = num(bin, "above_seconds") / 60;
        json_t *up = json_object_get(bin, "up_to_seconds");
        double x = ML + bw * (double)i, h = ph * (double)k / (double)top;
        if (json_is_integer(up))
            put(b, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                   "<title>%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT " min: %"
                   JSON_INTEGER_FORMAT "</title></rect>\n",
                json_integer_value(up) <= 3600 ? "ontime" : "late", x, MT + ph - h, bw - 2, h,
                lo, json_integer_value(up) / 60, k);
        else
            put(b, "<rect class=\"late\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                   "<title>over %" JSON_INTEGER_FORMAT " min: %" JSON_INTEGER_FORMAT
                   "</title></rect>\n",
                x, MT + ph - h, bw - 2, h, lo, k);
        put(b, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s%"
               JSON_INTEGER_FORMAT "</text>\n",
            x, H - MB + 16, json_is_integer(up) ? "" : "&gt;", lo);
    }
    double x1h = ML + bw * 3600.0 / BIN_SECONDS;
    put(b,
        "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
        "<line class=\"hour\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
        "<text class=\"hourlabel\" x=\"%.1f\" y=\"%d\">1 hour</text>\n"
        "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">minutes from the start "
        "of the running hour to removal</text>\n</svg>\n",
        ML, MT + (int)ph, W - MR, MT + (int)ph, x1h, MT, x1h, MT + (int)ph, x1h + 4, MT + 12,
        ML + (int)pw / 2, H - 6);
}

static const char CSS[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1d1d1f;max-width:820px;margin:2em auto;"
    "padding:0 1em}h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;"
    "border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:1em 0;min-width:50%}"
    "caption{text-align:left;font-weight:600;padding:.3em 0}th,td{border:1px solid #ddd;"
    "padding:.25em .6em;text-align:left}td{text-align:right;font-variant-numeric:tabular-nums}"
    "td.text{text-align:left}.plot{max-width:100%;height:auto;display:block;margin:1em 0}"
    ".plot .grid{stroke:#eee}.plot .axis{stroke:#555}.plot .tick{font-size:11px;fill:#555}"
    ".plot .items{fill:#3b6ea8}.plot .orders{fill:#e39b35}.plot .ontime{fill:#3b8a5a}"
    ".plot .late{fill:#c0392b}.plot .hour{stroke:#c0392b;stroke-width:2;"
    "stroke-dasharray:6 4}.plot .hourlabel{font-size:12px;fill:#c0392b}"
    ".note{color:#555;font-size:.9em}";

static void page(buf *b, json_t *doc) {
    json_t *p = json_object_get(doc, "period"), *it = json_object_get(doc, "items_actioned"),
           *ro = json_object_get(doc, "removal_orders"),
           *ttr = json_object_get(ro, "time_to_removal"), *no = json_object_get(doc, "notices"),
           *co = json_object_get(doc, "complaints");
    const char *from = json_string_value(json_object_get(p, "from")),
               *to = json_string_value(json_object_get(p, "to"));
    put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Transparency report %s to %s</title>\n<style>%s</style>\n</head>\n<body>\n",
        from, to, CSS);
    put(b, "<h1>Transparency report</h1>\n<p>Period from <time>%s</time> to <time>%s</time> "
           "(end excluded). Regulation (EU) 2021/784, Art 7(3); Regulation (EU) 2022/2065, "
           "Art 15. Generated by ",
        from, to);
    text(b, json_string_value(json_object_get(doc, "generator")));
    put(b, ".</p>\n");

    put(b, "<h2>Summary</h2>\n<table id=\"summary\">\n");
    row(b, "Items removed or disabled", num(it, "total"));
    row(b, "Removal orders received", num(ro, "received"));
    row(b, "Removal orders executed within one hour", num(ro, "executed_within_one_hour"));
    row(b, "Removal orders executed late", num(ro, "executed_late"));
    row(b, "Removal orders not executed (rejected)", num(ro, "rejected"));
    row(b, "Notices received", num(no, "received"));
    row(b, "Complaints received", num(co, "received"));
    row(b, "Items reinstated", num(doc, "reinstatements"));
    put(b, "</table>\n");

    put(b, "<h2>Items removed or disabled</h2>\n<table>\n");
    row(b, "Removed", num(it, "removed"));
    row(b, "Disabled", num(it, "disabled"));
    row(b, "Decided automatically", num(it, "automated"));
    row(b, "Decided by a reviewer", num(it, "human_reviewed"));
    put(b, "</table>\n");
    group_table(b, "By signal type", "signal type", json_object_get(it, "by_signal_type"));
    group_table(b, "By bank", "bank", json_object_get(it, "by_bank"));
    plot_days(b, json_object_get(doc, "per_day"));

    put(b, "<h2>Removal orders (TCO Art 3)</h2>\n<table>\n");
    row(b, "Received", num(ro, "received"));
    row(b, "Executed", num(ro, "executed"));
    row(b, "Executed within one hour", num(ro, "executed_within_one_hour"));
    row(b, "Executed late", num(ro, "executed_late"));
    row(b, "Rejected", num(ro, "rejected"));
    row(b, "Pending", num(ro, "pending"));
    row(b, "Locators removed or disabled", num(ro, "locators_removed"));
    row(b, "Orders whose clock stopped", num(ro, "clock_stopped.orders"));
    row(b, "Clarifications requested (Art 3(8))", num(ro, "clock_stopped.clarifications"));
    row(b, "Force majeure (Art 3(7))", num(ro, "clock_stopped.force_majeure"));
    put(b, "<tr><th scope=\"row\">Median time to removal</th><td>");
    duration(b, json_object_get(ttr, "median_seconds"));
    put(b, "</td></tr>\n<tr><th scope=\"row\">90th percentile</th><td>");
    duration(b, json_object_get(ttr, "p90_seconds"));
    put(b, "</td></tr>\n<tr><th scope=\"row\">Median time from receipt</th><td>");
    duration(b, json_object_get(ttr, "median_seconds_since_receipt"));
    put(b, "</td></tr>\n</table>\n<p class=\"note\">Time to removal runs from receipt, or from "
           "the restart of the clock after a clarification or force majeure, since the "
           "Regulation then gives a whole hour again.</p>\n");
    plot_histogram(b, json_object_get(ttr, "histogram"));
    json_t *ms = json_object_get(ro, "by_member_state");
    if (json_object_size(ms)) {
        put(b, "<table><caption>By issuing Member State</caption>\n");
        const char *k;
        json_t *v;
        json_object_foreach(ms, k, v) row(b, k, json_integer_value(v));
        put(b, "</table>\n");
    }
    put(b, "<table><caption>Orders not executed, and why</caption>\n"
           "<tr><th>reason</th><th>orders</th></tr>\n");
    json_t *rs = json_object_get(doc, "removal_orders");
    rs = json_object_get(rs, "rejected_reasons");
    size_t i;
    json_t *r;
    json_array_foreach(rs, i, r) {
        put(b, "<tr><td class=\"text\">");
        text(b, json_string_value(json_object_get(r, "reason")));
        put(b, "</td><td>%" JSON_INTEGER_FORMAT "</td></tr>\n", num(r, "count"));
    }
    if (!json_array_size(rs))
        put(b, "<tr><td colspan=\"2\">none</td></tr>\n");
    put(b, "</table>\n");

    put(b, "<h2>Notices (DSA Art 16)</h2>\n<table>\n");
    row(b, "Received", num(no, "received"));
    row(b, "From trusted flaggers", num(no, "from_trusted_flaggers"));
    row(b, "From others", num(no, "from_others"));
    row(b, "Decided", num(no, "decided"));
    row(b, "Leading to removal or disabling", num(no, "actioned"));
    row(b, "Content kept", num(no, "kept"));
    row(b, "Pending", num(no, "pending"));
    put(b, "</table>\n");

    put(b, "<h2>Complaints (TCO Art 10, DSA Art 20)</h2>\n<table>\n");
    row(b, "Received", num(co, "received"));
    row(b, "Against decisions", num(co, "against_decisions"));
    row(b, "Against removal orders", num(co, "against_orders"));
    row(b, "Upheld (content reinstated)", num(co, "upheld"));
    row(b, "Rejected", num(co, "rejected"));
    row(b, "Open", num(co, "open"));
    row(b, "Answered within 14 days", num(co, "answered_within_14_days"));
    row(b, "Answered late", num(co, "answered_late"));
    row(b, "Items reinstated in the period", num(doc, "reinstatements"));
    put(b, "</table>\n</body>\n</html>\n");
}

tamis_status tamis_report_html(tamis_db *db, double from, double to, char **html) {
    if (!html)
        return TAMIS_ERR_INVALID;
    *html = NULL;
    json_t *doc;
    tamis_status st = build(db, from, to, &doc);
    if (st != TAMIS_OK)
        return st;
    buf b = {NULL, 0, 0, 0};
    page(&b, doc);
    json_decref(doc);
    if (b.nomem) {
        tamis__free(b.s);
        return tamis__fail(&db->err, TAMIS_ERR_NOMEM, "out of memory");
    }
    *html = b.s;
    return TAMIS_OK;
}
