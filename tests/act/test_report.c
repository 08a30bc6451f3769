/*
 * test_report.c - the transparency report on a simulated clock, on SQLite
 * and PostgreSQL. A scenario of orders (executed after 10 and 70 minutes,
 * a clarification and a force majeure stopping the clock, rejections,
 * one pending), decisions (automated and reviewed, by bank and signal),
 * notices and complaints (one upheld: a reinstatement) is played in a
 * period of its own, and every number of the report is checked against
 * what the test itself did, never against earlier output. The HTML page
 * must hold both plots, the totals, and no puid or personal data.
 */
#include <math.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../server/client.h"
#include "../test.h"
#include "tamis.h"

static double t_now;
static double sim(void *ctx) {
    (void)ctx;
    return t_now;
}
static const tamis_clock CLK = {sim, NULL};

#define DAY 86400.0
#define BASE 1924992000.0 /* 2031-01-01T00:00:00Z */
#define SLOT (4 * DAY)    /* a run's data lies within one slot */

/* What the test did, to recompute the report from. */
typedef struct {
    double clock[16], since[16]; /* executed orders: from the running hour, from receipt */
    int n;
} executed;

static int64_t receive(tamis_db *db, double at, const char *ref) {
    t_now = at;
    tamis_order o;
    memset(&o, 0, sizeof o);
    o.authority = "Office central de lutte contre la criminalite liee aux TIC";
    o.member_state = "FR";
    o.reference = ref;
    o.issued_at = at - 300;
    o.locators = "[\"https://host.example/v/1\",\"https://host.example/v/2\"]";
    o.reasons = "terrorist content within the meaning of Art 2(7)";
    o.redress = "administrative court, within two months";
    int64_t id;
    ASSERT_OK(tamis_order_receive(db, &CLK, "ops", &o, &id));
    return id;
}

static void step(tamis_db *db, double at, int64_t id, tamis_order_state to, const char *note) {
    t_now = at;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops", id, to, note));
}

static void execute(tamis_db *db, executed *ex, double at, int64_t id, double hour_start,
                    double received) {
    step(db, at, id, TAMIS_ORDER_EXECUTED, NULL);
    ex->clock[ex->n] = at - hour_start;
    ex->since[ex->n++] = at - received;
}

static int64_t decide(tamis_db *db, double at, const char *bank, const char *type,
                      int distance, const char *puid, tamis_action want) {
    t_now = at;
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = puid;
    d.bank = bank;
    d.content_id = 1;
    d.signal_type = type;
    d.distance = distance;
    int64_t id = 0;
    tamis_action a;
    ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, &id, &a));
    ASSERT_EQ(a, want);
    return id;
}

static void review(tamis_db *db, double at, int64_t id, tamis_action a) {
    t_now = at;
    ASSERT_OK(tamis_review_claim(db, &CLK, "reviewer-1", id, 600));
    ASSERT_OK(tamis_review_decide(db, &CLK, "reviewer-1", id, a, "seen by a person", 0));
}

static int64_t notice(tamis_db *db, double at, int trusted, const char *puid) {
    t_now = at;
    tamis_notice n;
    memset(&n, 0, sizeof n);
    n.puid = puid;
    n.locator = "https://platform.example/p/1";
    n.explanation = "calls for attacks";
    n.trusted_flagger = trusted;
    n.notifier = "flagger@example.org";
    int64_t id;
    ASSERT_OK(tamis_notice_receive(db, &CLK, "intake", &n, &id));
    return id;
}

static int64_t complain(tamis_db *db, double at, int64_t decision, int64_t order) {
    t_now = at;
    tamis_complaint c;
    memset(&c, 0, sizeof c);
    c.decision_id = decision;
    c.order_id = order;
    c.puid = "upload-report-complained";
    c.grounds = "a documentary, not propaganda";
    int64_t id;
    ASSERT_OK(tamis_complaint_receive(db, &CLK, "provider", &c, &id));
    return id;
}

static json_t *report(tamis_db *db, double from, double to) {
    char *text;
    ASSERT_OK(tamis_report_json(db, from, to, &text));
    json_t *j = json_loads(text, 0, NULL);
    ASSERT(j != NULL);
    free(text);
    return j;
}

/* An integer at a dotted path of the report. */
static long long at(json_t *j, const char *path) {
    char key[64];
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        j = json_object_get(j, key);
        path = dot + 1;
    }
    json_t *v = json_object_get(j, path);
    if (!json_is_integer(v))
        FAIL("%s is not an integer in the report", path);
    return json_integer_value(v);
}

static double real_at(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        FAIL("%s is not a number in the report", key);
    return json_number_value(v);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double p90_of(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    int rank = (int)ceil(0.9 * n);
    return v[rank - 1];
}

static int empty(json_t *r) {
    return at(r, "removal_orders.received") == 0 && at(r, "items_actioned.total") == 0 &&
           at(r, "notices.received") == 0 && at(r, "complaints.received") == 0 &&
           at(r, "reinstatements") == 0;
}

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void t_report(const char *url) {
    char err[256], trusted[64], plain[64];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    /* A slot of the future nobody else used: the database may be shared. */
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    double S = 0;
    for (int tries = 0; tries < 50 && !S; tries++) {
        double s = BASE + SLOT * (rand() % 2000);
        json_t *r = report(db, s, s + SLOT);
        if (empty(r))
            S = s;
        json_decref(r);
    }
    ASSERT(S != 0);
    const double P = S + DAY, P_END = P + 2 * DAY; /* the period reported: two days */
    const double T = P + 9 * 3600;                 /* day 0, 09:00 */
    executed ex = {{0}, {0}, 0};

    /* ---- orders (all from FR, two locators each) ---- */
    int64_t a = receive(db, T, "FR-R-1"); /* after 10 minutes: within the hour */
    execute(db, &ex, T + 600, a, T, T);
    double tb = T + 1000; /* after 70 minutes: late */
    int64_t b = receive(db, tb, "FR-R-2");
    execute(db, &ex, tb + 70 * 60, b, tb, tb);
    double tc = T + 10000; /* a clarification after 50 min, answered 5 h later */
    int64_t c = receive(db, tc, "FR-R-3");
    step(db, tc + 50 * 60, c, TAMIS_ORDER_CLARIFICATION, "the second URL does not resolve");
    double restart_c = tc + 50 * 60 + 5 * 3600;
    step(db, restart_c, c, TAMIS_ORDER_RECEIVED, "clarified");
    execute(db, &ex, restart_c + 40 * 60, c, restart_c, tc); /* within the new hour */
    double td = T + 20000; /* force majeure after 30 min, for 2 h */
    int64_t d = receive(db, td, "FR-R-4");
    step(db, td + 30 * 60, d, TAMIS_ORDER_FORCE_MAJEURE, "data centre outage");
    double restart_d = td + 30 * 60 + 2 * 3600;
    step(db, restart_d, d, TAMIS_ORDER_RECEIVED, "power back");
    execute(db, &ex, restart_d + 59 * 60, d, restart_d, td);
    int64_t e = receive(db, T + 30000, "FR-R-5");
    step(db, T + 30100, e, TAMIS_ORDER_REJECTED, "manifest error: the content is a news report");
    int64_t f = receive(db, T + 31000, "FR-R-6");
    step(db, T + 31100, f, TAMIS_ORDER_REJECTED, "ask officer.dupont@example.org why");
    receive(db, T + 32000, "FR-R-7"); /* pending */
    double ti = P + DAY + 3600;       /* day 1, after 5 minutes */
    int64_t i = receive(db, ti, "FR-R-8");
    execute(db, &ex, ti + 300, i, ti, ti);
    /* received before the period, executed in it: in the per-day series
     * of executions, not among the orders received */
    int64_t h = receive(db, P - 100, "FR-R-0");
    step(db, P + 100, h, TAMIS_ORDER_EXECUTED, NULL);
    const int received = 8, exec_n = 5, within = 4, late = 1, rejected = 2, pending = 1;

    /* ---- decisions ---- */
    snprintf(trusted, sizeof trusted, "RT_%d_%d", (int)getpid(), rand() % 100000);
    snprintf(plain, sizeof plain, "RP_%d_%d", (int)getpid(), rand() % 100000);
    tamis_bank bk;
    memset(&bk, 0, sizeof bk);
    bk.name = trusted;
    bk.enabled_ratio = 1;
    bk.policy = "{\"trusted\":true,\"action\":\"remove\",\"auto\":{\"pdq\":10,\"md5\":0},"
                "\"review\":{\"pdq\":31}}";
    ASSERT_OK(tamis_db_bank_create(db, &bk));
    bk.name = plain;
    bk.policy = NULL;
    ASSERT_OK(tamis_db_bank_create(db, &bk));
    decide(db, P - 200, trusted, "pdq", 1, "upload-report-0", TAMIS_ACTION_REMOVE); /* before */
    int64_t auto1 = decide(db, T + 100, trusted, "pdq", 4, "upload-report-1", TAMIS_ACTION_REMOVE);
    decide(db, T + 200, trusted, "md5", 0, "upload-report-2", TAMIS_ACTION_REMOVE);
    int64_t q1 = decide(db, T + 300, trusted, "pdq", 20, "upload-report-3", TAMIS_ACTION_REVIEW);
    review(db, P + DAY + 500, q1, TAMIS_ACTION_REMOVE); /* day 1 */
    int64_t q2 = decide(db, T + 400, plain, "pdq", 0, "upload-report-4", TAMIS_ACTION_REVIEW);
    review(db, T + 900, q2, TAMIS_ACTION_DISABLE);
    int64_t q3 = decide(db, T + 500, plain, "pdq", 0, "upload-report-5", TAMIS_ACTION_REVIEW);
    review(db, T + 950, q3, TAMIS_ACTION_KEEP); /* kept: not counted */
    decide(db, T + 600, plain, "pdq", 0, "upload-report-6", TAMIS_ACTION_REVIEW); /* pending */

    /* ---- notices ---- */
    notice(db, P - 300, 1, "upload-report-n0"); /* before the period */
    int64_t n1 = notice(db, T + 700, 1, "upload-report-n1");
    int64_t n2 = notice(db, T + 800, 0, "upload-report-n2");
    notice(db, T + 900, 1, "upload-report-n3"); /* not decided */
    t_now = T + 4000;
    ASSERT_OK(tamis_notice_decide(db, &CLK, "alice", n1, TAMIS_ACTION_REMOVE, "incitement"));
    ASSERT_OK(tamis_notice_decide(db, &CLK, "alice", n2, TAMIS_ACTION_KEEP, "satire"));

    /* ---- complaints ---- */
    int64_t k1 = complain(db, T + 2000, auto1, 0);
    t_now = P + DAY + 7200; /* upheld the next day: a reinstatement */
    ASSERT_OK(tamis_complaint_answer(db, &CLK, "bob", k1, 1, "upheld: a documentary"));
    int64_t k2 = complain(db, T + 3000, 0, a);
    t_now = T + 3000 + 15 * DAY; /* answered after the two weeks */
    ASSERT_OK(tamis_complaint_answer(db, &CLK, "bob", k2, 0, "the order stands"));
    complain(db, T + 5000, 0, b); /* open */

    /* ---- the report, checked against the above ---- */
    json_t *r = report(db, P, P_END);
    ASSERT_STR_EQ(json_string_value(json_object_get(r, "format")), "tamis-transparency-report");
    ASSERT_EQ(at(r, "version"), 1);
    json_t *per = json_object_get(r, "period");
    ASSERT_STR_EQ(json_string_value(json_object_get(per, "from")),
                  json_string_value(json_object_get(per, "from"))); /* present */
    ASSERT(real_at(per, "from_unix") == P && real_at(per, "to_unix") == P_END);
    /* orders */
    ASSERT_EQ(at(r, "removal_orders.received"), received);
    ASSERT_EQ(at(r, "removal_orders.executed"), exec_n);
    ASSERT_EQ(ex.n, exec_n);
    ASSERT_EQ(at(r, "removal_orders.executed_within_one_hour"), within);
    ASSERT_EQ(at(r, "removal_orders.executed_late"), late);
    ASSERT_EQ(at(r, "removal_orders.rejected"), rejected);
    ASSERT_EQ(at(r, "removal_orders.pending"), pending);
    ASSERT_EQ(at(r, "removal_orders.locators_removed"), 2 * exec_n);
    ASSERT_EQ(at(r, "removal_orders.by_member_state.FR"), received);
    ASSERT_EQ(at(r, "removal_orders.clock_stopped.orders"), 2);
    ASSERT_EQ(at(r, "removal_orders.clock_stopped.clarifications"), 1);
    ASSERT_EQ(at(r, "removal_orders.clock_stopped.force_majeure"), 1);
    json_t *ro = json_object_get(r, "removal_orders");
    json_t *cs = json_object_get(ro, "clock_stopped");
    ASSERT_NEAR(real_at(cs, "total_seconds"), 5 * 3600 + 2 * 3600, 1e-3);
    int n_within = 0;
    for (int j = 0; j < ex.n; j++)
        n_within += ex.clock[j] <= 3600;
    ASSERT_EQ(n_within, within); /* the scenario is what it says */
    json_t *ttr = json_object_get(ro, "time_to_removal");
    double v[16];
    memcpy(v, ex.clock, sizeof v);
    ASSERT_NEAR(real_at(ttr, "median_seconds"), median_of(v, ex.n), 1e-3);
    ASSERT_NEAR(real_at(ttr, "p90_seconds"), p90_of(v, ex.n), 1e-3);
    ASSERT_NEAR(real_at(ttr, "max_seconds"), v[ex.n - 1], 1e-3);
    memcpy(v, ex.since, sizeof v);
    ASSERT_NEAR(real_at(ttr, "median_seconds_since_receipt"), median_of(v, ex.n), 1e-3);
    ASSERT_NEAR(real_at(ttr, "p90_seconds_since_receipt"), p90_of(v, ex.n), 1e-3);
    /* the histogram: ten-minute bins, upper bounds included, then > 2 h */
    json_t *hist = json_object_get(ttr, "histogram");
    ASSERT_EQ(json_array_size(hist), 13);
    long long bins[13] = {0};
    for (int j = 0; j < ex.n; j++) {
        int k = 0;
        while (k < 12 && ex.clock[j] > (k + 1) * 600.0)
            k++;
        bins[k]++;
    }
    for (int k = 0; k < 13; k++) {
        json_t *bin = json_array_get(hist, (size_t)k);
        ASSERT_EQ(at(bin, "above_seconds"), k * 600);
        if (k < 12)
            ASSERT_EQ(at(bin, "up_to_seconds"), (k + 1) * 600);
        else
            ASSERT(json_is_null(json_object_get(bin, "up_to_seconds")));
        if (at(bin, "count") != bins[k])
            FAIL("bin %d: %lld, want %lld", k, at(bin, "count"), bins[k]);
    }
    /* rejections and their reasons; the one with an e-mail address withheld */
    json_t *rs = json_object_get(ro, "rejected_reasons");
    ASSERT_EQ(json_array_size(rs), 2);
    int news = 0, withheld = 0;
    for (size_t j = 0; j < json_array_size(rs); j++) {
        const char *why = json_string_value(json_object_get(json_array_get(rs, j), "reason"));
        ASSERT_EQ(at(json_array_get(rs, j), "count"), 1);
        news += strcmp(why, "manifest error: the content is a news report") == 0;
        withheld += strstr(why, "withheld") != NULL;
    }
    ASSERT(news == 1 && withheld == 1);
    /* items removed or disabled: auto pdq, auto md5, reviewed pdq (trusted);
     * reviewed disable (plain) */
    ASSERT_EQ(at(r, "items_actioned.total"), 4);
    ASSERT_EQ(at(r, "items_actioned.removed"), 3);
    ASSERT_EQ(at(r, "items_actioned.disabled"), 1);
    ASSERT_EQ(at(r, "items_actioned.automated"), 2);
    ASSERT_EQ(at(r, "items_actioned.human_reviewed"), 2);
    ASSERT_EQ(at(r, "items_actioned.by_signal_type.pdq.total"), 3);
    ASSERT_EQ(at(r, "items_actioned.by_signal_type.pdq.automated"), 1);
    ASSERT_EQ(at(r, "items_actioned.by_signal_type.pdq.human_reviewed"), 2);
    ASSERT_EQ(at(r, "items_actioned.by_signal_type.pdq.disabled"), 1);
    ASSERT_EQ(at(r, "items_actioned.by_signal_type.md5.total"), 1);
    ASSERT_EQ(at(r, "items_actioned.by_signal_type.md5.automated"), 1);
    json_t *by_bank = json_object_get(json_object_get(r, "items_actioned"), "by_bank");
    ASSERT_EQ(json_object_size(by_bank), 2);
    json_t *bt = json_object_get(by_bank, trusted), *bp = json_object_get(by_bank, plain);
    ASSERT(bt && bp);
    ASSERT_EQ(at(bt, "total"), 3);
    ASSERT_EQ(at(bt, "removed"), 3);
    ASSERT_EQ(at(bt, "automated"), 2);
    ASSERT_EQ(at(bt, "human_reviewed"), 1);
    ASSERT_EQ(at(bp, "total"), 1);
    ASSERT_EQ(at(bp, "disabled"), 1);
    ASSERT_EQ(at(bp, "human_reviewed"), 1);
    /* per day: day 0 has 3 items and 5 executions (a, b, c, d and the
     * order received before the period); day 1 has 1 item and 1 */
    json_t *days = json_object_get(r, "per_day");
    ASSERT_EQ(json_array_size(days), 2);
    ASSERT_EQ(at(json_array_get(days, 0), "items_actioned"), 3);
    ASSERT_EQ(at(json_array_get(days, 0), "orders_executed"), 5);
    ASSERT_EQ(at(json_array_get(days, 1), "items_actioned"), 1);
    ASSERT_EQ(at(json_array_get(days, 1), "orders_executed"), 1);
    /* notices */
    ASSERT_EQ(at(r, "notices.received"), 3);
    ASSERT_EQ(at(r, "notices.from_trusted_flaggers"), 2);
    ASSERT_EQ(at(r, "notices.from_others"), 1);
    ASSERT_EQ(at(r, "notices.decided"), 2);
    ASSERT_EQ(at(r, "notices.actioned"), 1);
    ASSERT_EQ(at(r, "notices.kept"), 1);
    ASSERT_EQ(at(r, "notices.pending"), 1);
    /* complaints and the reinstatement */
    ASSERT_EQ(at(r, "complaints.received"), 3);
    ASSERT_EQ(at(r, "complaints.against_decisions"), 1);
    ASSERT_EQ(at(r, "complaints.against_orders"), 2);
    ASSERT_EQ(at(r, "complaints.upheld"), 1);
    ASSERT_EQ(at(r, "complaints.rejected"), 1);
    ASSERT_EQ(at(r, "complaints.open"), 1);
    ASSERT_EQ(at(r, "complaints.answered_within_14_days"), 1);
    ASSERT_EQ(at(r, "complaints.answered_late"), 1);
    ASSERT_EQ(at(r, "reinstatements"), 1);
    json_decref(r);

    /* A period of day 1 alone: only what happened then. */
    r = report(db, P + DAY, P_END);
    ASSERT_EQ(at(r, "removal_orders.received"), 1);
    ASSERT_EQ(at(r, "removal_orders.executed_within_one_hour"), 1);
    ASSERT_EQ(at(r, "items_actioned.total"), 1);
    ASSERT_EQ(at(r, "items_actioned.human_reviewed"), 1);
    ASSERT_EQ(at(r, "notices.received"), 0);
    ASSERT_EQ(at(r, "complaints.received"), 0);
    ASSERT_EQ(at(r, "reinstatements"), 1); /* answered on day 1 */
    ASSERT(json_is_null(json_object_get(
        json_object_get(json_object_get(r, "removal_orders"), "time_to_removal"),
        "median_seconds_since_receipt")) == 0);
    json_decref(r);

    /* The JSON and the page hold nothing personal. */
    static const char *secret[] = {"upload-report-", "flagger@example.org",
                                   "officer.dupont@example.org", "documentary", "reviewer-1"};
    char *json, *html;
    ASSERT_OK(tamis_report_json(db, P, P_END, &json));
    ASSERT_OK(tamis_report_html(db, P, P_END, &html));
    for (size_t j = 0; j < sizeof secret / sizeof secret[0]; j++) {
        if (strstr(json, secret[j]))
            FAIL("the JSON report holds \"%s\"", secret[j]);
        if (strstr(html, secret[j]))
            FAIL("the HTML report holds \"%s\"", secret[j]);
    }
    /* The page: self-contained, both plots, the totals. */
    ASSERT(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    ASSERT(strstr(html, "</html>") != NULL);
    ASSERT_EQ(count_of(html, "<svg"), 2);
    ASSERT_EQ(count_of(html, "</svg>"), 2);
    ASSERT(strstr(html, "id=\"removals-per-day\""));
    ASSERT(strstr(html, "id=\"time-to-removal\""));
    ASSERT(strstr(html, "class=\"hour\""));
    ASSERT(strstr(html, ">1 hour</text>"));
    ASSERT_EQ(count_of(html, "<table"), count_of(html, "</table>"));
    ASSERT_EQ(count_of(html, "<tr>") + count_of(html, "<tr "), count_of(html, "</tr>"));
    ASSERT_EQ(count_of(html, "<rect"), count_of(html, "</rect>") + count_of(html, "/>") -
                                           count_of(html, "<line"));
    ASSERT_EQ(count_of(html, "<script"), 0);
    ASSERT_EQ(count_of(html, "<link"), 0);
    ASSERT_EQ(count_of(html, "src="), 0);
    ASSERT_EQ(count_of(html, "href="), 0);
    ASSERT_EQ(count_of(html, "url("), 0);
    ASSERT_EQ(count_of(html, "http"), 2); /* the two SVG namespaces */
    char want[128];
    snprintf(want, sizeof want, "Removal orders received</th><td>%d</td>", received);
    ASSERT(strstr(html, want));
    snprintf(want, sizeof want, "Removal orders executed within one hour</th><td>%d</td>", within);
    ASSERT(strstr(html, want));
    snprintf(want, sizeof want, "Removal orders executed late</th><td>%d</td>", late);
    ASSERT(strstr(html, want));
    ASSERT(strstr(html, "Items removed or disabled</th><td>4</td>"));
    ASSERT(strstr(html, "Items reinstated</th><td>1</td>"));
    ASSERT(strstr(html, "manifest error: the content is a news report"));
    ASSERT(strstr(html, trusted) && strstr(html, plain));
    free(json);
    free(html);

    /* Periods that are not one. */
    ASSERT_EQ(tamis_report_json(db, P, P, &json), TAMIS_ERR_INVALID);
    ASSERT(json == NULL);
    ASSERT_EQ(tamis_report_json(db, P_END, P, &json), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_report_json(db, P, P + 3661 * DAY, &json), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_report_html(db, NAN, P, &html), TAMIS_ERR_INVALID);
    tamis_db_close(db);
}

TEST(report_counts_what_happened_in_the_period_on_each_backend) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++)
        t_report(urls[i]);
}

/* `tamis report`: the same report from the command line, dates in UTC,
 * --to the first day not reported. */
TEST(report_cli_json_html_and_usage) {
    const char *path = fmt("%s/report-cli.db", tmp_dir());
    char dbpath[4096];
    snprintf(dbpath, sizeof dbpath, "%s", path);
    char err[256];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(dbpath, &db, err, sizeof err));
    const double day = 1930435200.0; /* 2031-03-05T00:00:00Z */
    int64_t a = receive(db, day + 3600, "FR-CLI-1");
    step(db, day + 3600 + 600, a, TAMIS_ORDER_EXECUTED, NULL);
    int64_t b = receive(db, day + 86400 + 60, "FR-CLI-2"); /* the next day: not reported */
    step(db, day + 86400 + 120, b, TAMIS_ORDER_REJECTED, "not ours");
    tamis_db_close(db);
    char *out, *errs;
    int rc = run_cmd(fmt("'%s/tamis' report --db '%s' --from 2031-03-05 --to 2031-03-06",
                         build_dir(), dbpath), &out, &errs);
    if (rc != 0)
        FAIL("tamis report: %d: %s", rc, errs);
    json_t *j = json_loads(out, 0, NULL);
    ASSERT(j != NULL);
    ASSERT_EQ(at(j, "removal_orders.received"), 1);
    ASSERT_EQ(at(j, "removal_orders.executed_within_one_hour"), 1);
    ASSERT_EQ(at(j, "removal_orders.rejected"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "period"), "from")),
                  "2031-03-05T00:00:00Z");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "period"), "to")),
                  "2031-03-06T00:00:00Z");
    json_decref(j);
    free(out);
    free(errs);
    rc = run_cmd(fmt("'%s/tamis' report --db '%s' --from 2031-03-05 --to 2031-03-07 --html",
                     build_dir(), dbpath), &out, &errs);
    ASSERT_EQ(rc, 0);
    ASSERT(strncmp(out, "<!DOCTYPE html>", 15) == 0);
    ASSERT_EQ(count_of(out, "<svg"), 2);
    ASSERT(strstr(out, "Removal orders received</th><td>2</td>"));
    ASSERT(strstr(out, "not ours"));
    free(out);
    free(errs);
    static const char *bad[] = {"--from 2031-03-05", "--from 2031-02-30 --to 2031-03-01",
                                "--from 2031-3-5 --to 2031-03-06",
                                "--from 2031-03-06 --to 2031-03-05", "--from x --to y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = run_cmd(fmt("'%s/tamis' report --db '%s' %s", build_dir(), dbpath, bad[i]), &out,
                     &errs);
        if (rc != 2)
            FAIL("tamis report %s: exit %d, want 2", bad[i], rc);
        free(out);
        free(errs);
    }
}
