/*
 * test_notice.c - notices (DSA Art 16) and complaints (TCO Art 10, DSA
 * Art 20) on a simulated clock, on SQLite and PostgreSQL: intake and
 * acknowledgement, the decision and the outcome with redress; complaints
 * against a removal decision or an executed order, the two-week clock,
 * reinstatement when upheld, what cannot be complained of.
 */
#include <unistd.h>

#include "../server/client.h"
#include "../test.h"
#include "tamis.h"

static double t_now = 1893456000.0; /* 2030-01-01 */
static double sim(void *ctx) {
    (void)ctx;
    return t_now;
}
static const tamis_clock CLK = {sim, NULL};

typedef struct {
    int n, trusted;
} tally;

static int on_notice(void *ctx, const tamis_notice *n) {
    tally *t = ctx;
    t->n++;
    t->trusted += n->trusted_flagger;
    return 0;
}

static int on_complaint(void *ctx, const tamis_complaint *c) {
    (void)c;
    ++*(int *)ctx;
    return 0;
}

static int has_action(void *ctx, const tamis_audit_entry *e) {
    if (strcmp(e->action, (const char *)((void **)ctx)[0]) == 0)
        ((void **)ctx)[1] = (void *)1;
    return 0;
}

static void t_notices(const char *url) {
    char err[256], bank[64];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    /* notices */
    tamis_notice n;
    memset(&n, 0, sizeof n);
    n.puid = "post-9";
    n.locator = "https://platform.example/p/9";
    n.explanation = "glorifies the attack of 12 March and calls for more";
    n.trusted_flagger = 1;
    n.notifier = "flagger@example.org";
    int64_t nid;
    ASSERT_OK(tamis_notice_receive(db, &CLK, "intake", &n, &nid));
    tamis_notice got;
    ASSERT_OK(tamis_notice_get(db, nid, &got));
    ASSERT_EQ(got.state, TAMIS_NOTICE_RECEIVED);
    ASSERT(got.acknowledged_at == t_now && got.received_at == t_now);
    ASSERT(got.trusted_flagger);
    tamis_notice_clear(&got);
    t_now += 3600;
    ASSERT_EQ(tamis_notice_decide(db, &CLK, "alice", nid, TAMIS_ACTION_ESCALATE, "x"),
              TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_notice_decide(db, &CLK, "alice", nid, TAMIS_ACTION_REMOVE,
                                  "terrorist content: incitement"));
    ASSERT_OK(tamis_notice_get(db, nid, &got));
    ASSERT_EQ(got.state, TAMIS_NOTICE_DECIDED);
    ASSERT_EQ(got.action, TAMIS_ACTION_REMOVE);
    ASSERT(strstr(got.outcome, "removed") && strstr(got.outcome, "out-of-court") &&
           strstr(got.outcome, "terrorist content: incitement"));
    tamis_notice_clear(&got);
    ASSERT_EQ(tamis_notice_decide(db, &CLK, "alice", nid, TAMIS_ACTION_KEEP, "again"),
              TAMIS_ERR_INVALID);
    memset(&n, 0, sizeof n);
    n.puid = "post-10";
    ASSERT_EQ(tamis_notice_receive(db, &CLK, "intake", &n, NULL), TAMIS_ERR_INVALID);
    tally t = {0, 0};
    ASSERT_OK(tamis_notice_list(db, on_notice, &t));
    ASSERT_GE(t.n, 1);
    ASSERT_GE(t.trusted, 1);
    /* a removal decision to complain of */
    snprintf(bank, sizeof bank, "CB_%d_%d", (int)getpid(), rand() % 100000);
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = bank;
    b.enabled_ratio = 1;
    b.policy = "{\"trusted\":true,\"auto\":{\"pdq\":10}}";
    ASSERT_OK(tamis_db_bank_create(db, &b));
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "upload-5";
    d.bank = bank;
    d.content_id = 1;
    d.signal_type = "pdq";
    d.distance = 2;
    int64_t did;
    ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, &did, NULL));
    tamis_complaint c;
    memset(&c, 0, sizeof c);
    c.decision_id = did;
    c.puid = "upload-5";
    c.grounds = "this is a documentary about the attack, not propaganda";
    int64_t cid;
    ASSERT_OK(tamis_complaint_receive(db, &CLK, "provider", &c, &cid));
    tamis_complaint cg;
    ASSERT_OK(tamis_complaint_get(db, cid, &cg));
    ASSERT_EQ(cg.state, TAMIS_COMPLAINT_OPEN);
    ASSERT(cg.due_at == t_now + 14 * 86400);
    tamis_complaint_clear(&cg);
    t_now += 3 * 86400;
    ASSERT_OK(tamis_complaint_answer(db, &CLK, "bob", cid, 1, "upheld: a documentary"));
    ASSERT_OK(tamis_complaint_get(db, cid, &cg));
    ASSERT_EQ(cg.state, TAMIS_COMPLAINT_UPHELD);
    ASSERT(cg.reinstated && cg.answered_in_time);
    tamis_complaint_clear(&cg);
    ASSERT_EQ(tamis_complaint_answer(db, &CLK, "bob", cid, 0, "again"), TAMIS_ERR_INVALID);
    /* a complaint answered late */
    int64_t cid2;
    ASSERT_OK(tamis_complaint_receive(db, &CLK, "provider", &c, &cid2));
    t_now += 15 * 86400;
    ASSERT_OK(tamis_complaint_answer(db, &CLK, "bob", cid2, 0, "the removal stands"));
    ASSERT_OK(tamis_complaint_get(db, cid2, &cg));
    ASSERT_EQ(cg.state, TAMIS_COMPLAINT_REJECTED);
    ASSERT(!cg.reinstated && !cg.answered_in_time);
    tamis_complaint_clear(&cg);
    /* against an executed order; not against an open one */
    tamis_order o;
    memset(&o, 0, sizeof o);
    o.authority = "BKA";
    o.member_state = "DE";
    o.reference = "DE-1";
    o.issued_at = t_now;
    o.locators = "[\"https://platform.example/v/1\"]";
    int64_t oid;
    ASSERT_OK(tamis_order_receive(db, &CLK, "ops", &o, &oid));
    memset(&c, 0, sizeof c);
    c.order_id = oid;
    c.grounds = "not terrorist content";
    ASSERT_EQ(tamis_complaint_receive(db, &CLK, "provider", &c, NULL), TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_order_step(db, &CLK, "ops", oid, TAMIS_ORDER_EXECUTED, NULL));
    ASSERT_OK(tamis_complaint_receive(db, &CLK, "provider", &c, NULL));
    c.decision_id = did; /* both: refused */
    ASSERT_EQ(tamis_complaint_receive(db, &CLK, "provider", &c, NULL), TAMIS_ERR_INVALID);
    int nc = 0;
    ASSERT_OK(tamis_complaint_list(db, on_complaint, &nc));
    ASSERT_GE(nc, 3);
    /* the reinstatement is on record */
    void *want[2] = {(void *)"content.reinstated", NULL};
    ASSERT_OK(tamis_audit_list(db, 0, 100000, has_action, want));
    ASSERT(want[1] != NULL);
    ASSERT_OK(tamis_audit_verify(db, NULL));
    tamis_db_close(db);
}

TEST(notices_and_complaints_on_each_backend) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++)
        t_notices(urls[i]);
}
