/*
 * test_order.c - removal orders on a simulated clock, on SQLite and
 * PostgreSQL: executed within the hour or late, a clarification and force
 * majeure stopping the clock and restarting a whole hour, rejection with a
 * reason, moves the regulation does not allow, Annex I's required fields,
 * the confirmation record, orders due for alerts, and the audit trail.
 */
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

#define T0 1767258000.0 /* 2026-01-01T09:00:00Z */

static int64_t receive(tamis_db *db, const char *ref) {
    tamis_order o;
    memset(&o, 0, sizeof o);
    o.authority = "Office central de lutte contre la criminalite liee aux TIC";
    o.member_state = "FR";
    o.reference = ref;
    o.issued_at = t_now - 300;
    o.locators = "[\"https://host.example/v/123\",\"https://host.example/v/124\"]";
    o.reasons = "terrorist content within the meaning of Art 2(7)";
    o.redress = "administrative court, within two months";
    int64_t id;
    ASSERT_OK(tamis_order_receive(db, &CLK, "ops:alice", &o, &id));
    return id;
}

static tamis_order get(tamis_db *db, int64_t id) {
    tamis_order o;
    ASSERT_OK(tamis_order_get(db, id, &o));
    return o;
}

typedef struct {
    int n;
    int64_t ids[16];
} due_list;

static int on_due(void *ctx, const tamis_order *o) {
    due_list *d = ctx;
    if (d->n < 16)
        d->ids[d->n] = o->id;
    d->n++;
    return 0;
}

static int has(const due_list *d, int64_t id) {
    for (int i = 0; i < d->n && i < 16; i++)
        if (d->ids[i] == id)
            return 1;
    return 0;
}

static void t_orders(const char *url) {
    char err[256];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    /* executed 10 minutes after receipt: within the hour */
    t_now = T0;
    int64_t a = receive(db, "FR-2026-0001");
    tamis_order o = get(db, a);
    ASSERT_EQ(o.state, TAMIS_ORDER_RECEIVED);
    ASSERT(o.received_at == T0);
    ASSERT(o.deadline == T0 + 3600);
    ASSERT_EQ(strlen(o.receipt), 64);
    ASSERT_STR_EQ(o.member_state, "FR");
    tamis_order_clear(&o);
    t_now = T0 + 600;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", a, TAMIS_ORDER_EXECUTED, NULL));
    o = get(db, a);
    ASSERT_EQ(o.state, TAMIS_ORDER_EXECUTED);
    ASSERT_EQ(o.on_time, 1);
    ASSERT(o.executed_at == T0 + 600);
    tamis_order_clear(&o);
    char *conf;
    ASSERT_OK(tamis_order_confirmation(db, a, &conf));
    json_t *c = json_loads(conf, 0, NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(c, "order_reference")), "FR-2026-0001");
    ASSERT_STR_EQ(json_string_value(json_object_get(c, "executed_at")), "2026-01-01T09:10:00Z");
    ASSERT(json_is_true(json_object_get(c, "within_one_hour")));
    ASSERT_EQ(json_array_size(json_object_get(c, "locators")), 2);
    json_decref(c);
    free(conf);
    /* executed 70 minutes after receipt: late */
    t_now = T0 + 1000;
    int64_t b = receive(db, "FR-2026-0002");
    t_now += 70 * 60;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:bob", b, TAMIS_ORDER_EXECUTED, NULL));
    o = get(db, b);
    ASSERT_EQ(o.on_time, 0);
    tamis_order_clear(&o);
    /* a clarification stops the clock; its answer restarts a whole hour */
    t_now = T0 + 10000;
    int64_t c2 = receive(db, "FR-2026-0003");
    t_now += 50 * 60;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", c2, TAMIS_ORDER_CLARIFICATION,
                               "the second URL does not resolve"));
    t_now += 5 * 3600; /* the authority answers five hours later */
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", c2, TAMIS_ORDER_RECEIVED, "clarified"));
    o = get(db, c2);
    ASSERT(o.deadline == t_now + 3600);
    ASSERT(o.clock_stopped == 5 * 3600);
    tamis_order_clear(&o);
    t_now += 40 * 60; /* 90 min after receipt, 40 after the clarification */
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", c2, TAMIS_ORDER_EXECUTED, NULL));
    o = get(db, c2);
    ASSERT_EQ(o.on_time, 1);
    tamis_order_clear(&o);
    /* force majeure the same way */
    t_now = T0 + 50000;
    int64_t d = receive(db, "FR-2026-0004");
    t_now += 30 * 60;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", d, TAMIS_ORDER_FORCE_MAJEURE,
                               "data centre outage"));
    t_now += 2 * 3600;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", d, TAMIS_ORDER_RECEIVED, "power back"));
    t_now += 59 * 60;
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", d, TAMIS_ORDER_EXECUTED, NULL));
    o = get(db, d);
    ASSERT_EQ(o.on_time, 1);
    tamis_order_clear(&o);
    /* rejection needs a reason; moves the regulation does not allow */
    int64_t e = receive(db, "FR-2026-0005");
    ASSERT_EQ(tamis_order_step(db, &CLK, "ops:alice", e, TAMIS_ORDER_REJECTED, NULL),
              TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_order_step(db, &CLK, "ops:alice", e, TAMIS_ORDER_REJECTED,
                               "manifest error: the content is a news report"));
    ASSERT_EQ(tamis_order_step(db, &CLK, "ops:alice", e, TAMIS_ORDER_EXECUTED, NULL),
              TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_order_step(db, &CLK, "ops:alice", a, TAMIS_ORDER_RECEIVED, NULL),
              TAMIS_ERR_INVALID);
    char *none;
    ASSERT_EQ(tamis_order_confirmation(db, e, &none), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_order_get(db, 999999999, &o), TAMIS_ERR_NOT_FOUND);
    /* Annex I's fields are required */
    tamis_order bad;
    memset(&bad, 0, sizeof bad);
    bad.authority = "x";
    bad.member_state = "fr";
    bad.reference = "r";
    bad.issued_at = t_now;
    bad.locators = "[\"https://a\"]";
    ASSERT_EQ(tamis_order_receive(db, &CLK, "ops", &bad, NULL), TAMIS_ERR_INVALID);
    bad.member_state = "FR";
    bad.locators = "[]";
    ASSERT_EQ(tamis_order_receive(db, &CLK, "ops", &bad, NULL), TAMIS_ERR_INVALID);
    /* alerts: open orders due within 15 minutes, or late */
    t_now = T0 + 100000;
    int64_t f1 = receive(db, "FR-2026-0006");
    t_now += 50 * 60;
    int64_t f2 = receive(db, "FR-2026-0007");
    due_list dl = {0, {0}};
    ASSERT_OK(tamis_order_due(db, &CLK, 15 * 60, on_due, &dl));
    ASSERT(has(&dl, f1));  /* 10 minutes left */
    ASSERT(!has(&dl, f2)); /* 60 minutes left */
    ASSERT(!has(&dl, a));  /* executed */
    t_now += 2 * 3600;
    dl.n = 0;
    ASSERT_OK(tamis_order_due(db, &CLK, 0, on_due, &dl));
    ASSERT(has(&dl, f1) && has(&dl, f2)); /* both late now */
    /* every step is in the audit log, and the chain holds */
    tamis_audit_report r;
    ASSERT_OK(tamis_audit_verify(db, &r));
    ASSERT_GE(r.entries, 16);
    tamis_db_close(db);
}

TEST(orders_clock_steps_confirmation_alerts_on_each_backend) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++)
        t_orders(urls[i]);
}
