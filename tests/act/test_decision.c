/*
 * test_decision.c - policies, automated decisions and the review queue, on
 * a simulated clock, on SQLite and PostgreSQL: a trusted bank's close
 * match is removed automatically, a doubtful one queued, a far one left;
 * a claim is held by one reviewer until its lease runs out; a false
 * positive disables the bank item that caused it; every step audited.
 */
#include <jansson.h>
#include <unistd.h>

#include "../server/client.h"
#include "../test.h"
#include "tamis.h"

static double t_now = 1767258000.0;
static double sim(void *ctx) {
    (void)ctx;
    return t_now;
}
static const tamis_clock CLK = {sim, NULL};

TEST(policy_decides_by_trust_type_and_distance) {
#define trusted                                                                          \
    "{\"trusted\":true,\"action\":\"disable\",\"auto\":{\"pdq\":10,\"md5\":0},"              \
    "\"review\":{\"pdq\":31}}"
#define untrusted "{\"auto\":{\"pdq\":10},\"review\":{\"pdq\":31}}"
    static const struct {
        const char *policy, *type;
        int distance;
        tamis_action want;
    } cases[] = {
        {trusted, "pdq", 0, TAMIS_ACTION_DISABLE},   {trusted, "pdq", 10, TAMIS_ACTION_DISABLE},
        {trusted, "pdq", 11, TAMIS_ACTION_REVIEW},   {trusted, "pdq", 31, TAMIS_ACTION_REVIEW},
        {trusted, "pdq", 32, TAMIS_ACTION_NONE},     {trusted, "md5", 0, TAMIS_ACTION_DISABLE},
        {trusted, "vpdq", 0, TAMIS_ACTION_REVIEW},   {untrusted, "pdq", 0, TAMIS_ACTION_REVIEW},
        {untrusted, "pdq", 40, TAMIS_ACTION_NONE},   {NULL, "pdq", 0, TAMIS_ACTION_REVIEW},
        {"{}", "pdq", 0, TAMIS_ACTION_REVIEW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tamis_action a;
        ASSERT_OK(tamis_policy_decide(cases[i].policy, cases[i].type, cases[i].distance, &a));
        if (a != cases[i].want)
            FAIL("case %zu: %d, want %d", i, a, cases[i].want);
    }
    tamis_action a;
    ASSERT_EQ(tamis_policy_decide("[1]", "pdq", 0, &a), TAMIS_ERR_INVALID);
#undef trusted
#undef untrusted
}

static int64_t add_item(tamis_db *db, const char *bank) {
    tamis_signal s = {"pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"};
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)bank;
    c.signals = &s;
    c.n_signals = 1;
    int64_t id;
    ASSERT_OK(tamis_db_content_add(db, &c, &id));
    return id;
}

static int64_t record(tamis_db *db, const char *bank, int64_t item, int distance,
                      tamis_action want) {
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "upload-77";
    d.bank = bank;
    d.content_id = item;
    d.signal_type = "pdq";
    d.variant = "rotate90";
    d.distance = distance;
    int64_t id = 0;
    tamis_action a;
    tamis_status st = tamis_decision_record(db, &CLK, "matcher", &d, &id, &a);
    ASSERT(st == (want == TAMIS_ACTION_NONE ? TAMIS_DONE : TAMIS_OK));
    ASSERT_EQ(a, want);
    return id;
}

static int count(void *ctx, const tamis_decision *d) {
    (void)d;
    ++*(int *)ctx;
    return 0;
}

static void t_review(const char *url) {
    char err[256], trusted[64], plain[64];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    snprintf(trusted, sizeof trusted, "TRUSTED_%d_%d", (int)getpid(), rand() % 100000);
    snprintf(plain, sizeof plain, "PLAIN_%d_%d", (int)getpid(), rand() % 100000);
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = trusted;
    b.enabled_ratio = 1;
    b.policy = "{\"trusted\":true,\"action\":\"remove\",\"auto\":{\"pdq\":10},\"review\":{\"pdq\":31}}";
    ASSERT_OK(tamis_db_bank_create(db, &b));
    b.name = plain;
    b.policy = NULL;
    ASSERT_OK(tamis_db_bank_create(db, &b));
    int64_t item = add_item(db, trusted), item2 = add_item(db, plain);
    tamis_audit_report before;
    ASSERT_OK(tamis_audit_verify(db, &before));
    /* automated, queued, nothing */
    int64_t auto_id = record(db, trusted, item, 4, TAMIS_ACTION_REMOVE);
    int64_t q1 = record(db, trusted, item, 20, TAMIS_ACTION_REVIEW);
    record(db, trusted, item, 40, TAMIS_ACTION_NONE);
    int64_t q2 = record(db, plain, item2, 0, TAMIS_ACTION_REVIEW);
    tamis_decision d;
    ASSERT_OK(tamis_decision_get(db, auto_id, &d));
    ASSERT_EQ(d.state, TAMIS_DECISION_DONE);
    ASSERT_EQ(d.action, TAMIS_ACTION_REMOVE);
    ASSERT(d.automated_detection && d.automated_decision);
    ASSERT_STR_EQ(d.variant, "rotate90");
    ASSERT_EQ(d.distance, 4);
    ASSERT_STR_EQ(d.bank, trusted);
    tamis_decision_clear(&d);
    ASSERT_OK(tamis_decision_get(db, q1, &d));
    ASSERT_EQ(d.state, TAMIS_DECISION_PENDING);
    ASSERT(d.automated_detection && !d.automated_decision);
    tamis_decision_clear(&d);
    int pending = 0;
    ASSERT_OK(tamis_decision_list(db, TAMIS_DECISION_PENDING, count, &pending));
    ASSERT_GE(pending, 2);
    /* one reviewer at a time */
    ASSERT_EQ(tamis_review_decide(db, &CLK, "alice", q1, TAMIS_ACTION_REMOVE, "clear", 0),
              TAMIS_ERR_INVALID); /* not claimed */
    ASSERT_OK(tamis_review_claim(db, &CLK, "alice", q1, 600));
    ASSERT_EQ(tamis_review_claim(db, &CLK, "bob", q1, 600), TAMIS_ERR_EXISTS);
    ASSERT_EQ(tamis_review_decide(db, &CLK, "bob", q1, TAMIS_ACTION_REMOVE, "x", 0),
              TAMIS_ERR_EXISTS);
    t_now += 601; /* alice's lease ran out */
    ASSERT_OK(tamis_review_claim(db, &CLK, "bob", q1, 600));
    ASSERT_OK(tamis_review_decide(db, &CLK, "bob", q1, TAMIS_ACTION_ESCALATE, "unsure", 0));
    ASSERT_OK(tamis_decision_get(db, q1, &d));
    ASSERT_EQ(d.state, TAMIS_DECISION_PENDING);
    ASSERT(d.claimed_by == NULL);
    tamis_decision_clear(&d);
    ASSERT_OK(tamis_review_claim(db, &CLK, "carol", q1, 600));
    ASSERT_OK(tamis_review_decide(db, &CLK, "carol", q1, TAMIS_ACTION_REMOVE,
                                  "propaganda video, same scene", 0));
    ASSERT_EQ(tamis_review_claim(db, &CLK, "carol", q1, 600), TAMIS_ERR_INVALID); /* decided */
    /* a false positive: kept, and the bank item that caused it disabled */
    ASSERT_OK(tamis_review_claim(db, &CLK, "alice", q2, 600));
    ASSERT_EQ(tamis_review_decide(db, &CLK, "alice", q2, TAMIS_ACTION_REMOVE, "x", 1),
              TAMIS_ERR_INVALID);
    ASSERT_OK(tamis_review_decide(db, &CLK, "alice", q2, TAMIS_ACTION_KEEP,
                                  "a news report, not propaganda", 1));
    tamis_content c;
    ASSERT_OK(tamis_db_content_get(db, item2, &c));
    ASSERT(c.disabled_until == INT64_MAX); /* for ever: HMA's disable_until_ts 0 */
    tamis_content_clear(&c);
    ASSERT_OK(tamis_decision_get(db, q2, &d));
    ASSERT_EQ(d.action, TAMIS_ACTION_KEEP);
    ASSERT_STR_EQ(d.reviewer, "alice");
    ASSERT_STR_EQ(d.reason, "a news report, not propaganda");
    tamis_decision_clear(&d);
    /* every step in the audit log */
    tamis_audit_report after;
    ASSERT_OK(tamis_audit_verify(db, &after));
    ASSERT_GE(after.entries - before.entries, 10);
    tamis_db_close(db);
}

TEST(review_queue_claims_decisions_feedback_on_each_backend) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++)
        t_review(urls[i]);
}

/* The statement of reasons of a decision: in the database's terms, valid
 * by its rules, explainable, and refused when a reviewer's reason would
 * carry personal data into it. */
static void t_statement(const char *url) {
    char err[256], bank[64];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    snprintf(bank, sizeof bank, "SOR_%d_%d", (int)getpid(), rand() % 100000);
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = bank;
    b.enabled_ratio = 1;
    b.policy = "{\"trusted\":true,\"auto\":{\"vpdq\":0},\"review\":{\"pdq\":31}}";
    ASSERT_OK(tamis_db_bank_create(db, &b));
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "video-2026-0042";
    d.bank = bank;
    d.content_id = 7;
    d.signal_type = "vpdq";
    int64_t auto_id, rev_id;
    ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, &auto_id, NULL));
    d.signal_type = "pdq";
    d.distance = 18;
    d.variant = "flipx";
    ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, &rev_id, NULL));
    char *json = NULL;
    tamis_sor_problem p;
    ASSERT_EQ(tamis_decision_statement(db, rev_id, 0, 0, &json, &p), TAMIS_ERR_INVALID); /* pending */
    ASSERT_OK(tamis_decision_statement(db, auto_id, 0, 0, &json, &p));
    ASSERT_OK(tamis_sor_validate_json(json, strlen(json), &p));
    ASSERT(strstr(json, "DECISION_VISIBILITY_CONTENT_REMOVED") != NULL);
    ASSERT(strstr(json, "AUTOMATED_DECISION_FULLY") != NULL);
    ASSERT(strstr(json, "DECISION_GROUND_ILLEGAL_CONTENT") != NULL);
    ASSERT(strstr(json, "SOURCE_VOLUNTARY") != NULL);
    ASSERT(strstr(json, "CONTENT_TYPE_VIDEO") != NULL);
    ASSERT(strstr(json, "KEYWORD_TERRORIST_CONTENT") != NULL);
    ASSERT(strstr(json, "video-2026-0042") != NULL);
    ASSERT(strstr(json, bank) != NULL); /* the facts name the list */
    free(json);
    /* decided by a reviewer: not automated; a reason with an e-mail address is refused */
    ASSERT_OK(tamis_review_claim(db, &CLK, "alice", rev_id, 600));
    ASSERT_OK(tamis_review_decide(db, &CLK, "alice", rev_id, TAMIS_ACTION_DISABLE,
                                  "reported by someone@example.org, same propaganda poster", 0));
    ASSERT(tamis_decision_statement(db, rev_id, 0, 0, &json, &p) != TAMIS_OK);
    ASSERT(json == NULL);
    ASSERT(p.field[0] != 0);
    /* a content puid of the database's whole 500 characters: the
     * statement's puid is cut to keep its decision id within 500 */
    char longp[501];
    memset(longp, 'p', 500);
    longp[500] = 0;
    d.puid = longp;
    d.signal_type = "vpdq";
    d.distance = 0;
    d.variant = NULL;
    int64_t long_id;
    ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, &long_id, NULL));
    ASSERT_OK(tamis_decision_statement(db, long_id, 0, 0, &json, &p));
    json_t *o = json_loads(json, 0, NULL);
    const char *sp = json_string_value(json_object_get(o, "puid"));
    char tail[32];
    snprintf(tail, sizeof tail, "-%lld", (long long)long_id);
    ASSERT_EQ(strlen(sp), 500);
    ASSERT_STR_EQ(sp + 500 - strlen(tail), tail);
    json_decref(o);
    free(json);
    tamis_db_close(db);
}

TEST(decision_statement_of_reasons_on_each_backend) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++)
        t_statement(urls[i]);
}

/* Statements exported in batches for the database's multiple endpoint:
 * every batch valid by its rules, none over 100, and a statement that
 * breaks them left out and counted rather than blocking the rest. */
TEST(decision_statements_in_batches) {
    char url[4096], err[256];
    snprintf(url, sizeof url, "%s/batches.db", tmp_dir());
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "BATCH";
    b.enabled_ratio = 1;
    b.policy = "{\"trusted\":true,\"auto\":{\"pdq\":10},\"review\":{\"pdq\":31}}";
    ASSERT_OK(tamis_db_bank_create(db, &b));
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.bank = "BATCH";
    d.signal_type = "pdq";
    char puid[32];
    for (int i = 0; i < 230; i++) { /* 230 automated removals */
        snprintf(puid, sizeof puid, "up-%d", i);
        d.puid = puid;
        ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, NULL, NULL));
    }
    d.puid = "up-bad";
    d.distance = 20;
    int64_t bad;
    ASSERT_OK(tamis_decision_record(db, &CLK, "matcher", &d, &bad, NULL));
    ASSERT_OK(tamis_review_claim(db, &CLK, "alice", bad, 60));
    ASSERT_OK(tamis_review_decide(db, &CLK, "alice", bad, TAMIS_ACTION_REMOVE,
                                  "call me on +33 6 12 34 56 78", 0));
    int64_t after = 0, last;
    size_t total = 0, skipped_all = 0, count, skipped, batches = 0;
    for (;;) {
        char *json;
        tamis_sor_problem p;
        ASSERT_OK(tamis_decision_statements(db, after, &json, &last, &count, &skipped, &p));
        skipped_all += skipped;
        if (count == 0 && last == after)
            break;
        if (count) {
            ASSERT_LE(count, 100);
            ASSERT_OK(tamis_sor_validate_batch_json(json, strlen(json), &p));
            free(json);
            batches++;
        }
        total += count;
        after = last;
    }
    ASSERT_EQ(total, 230);
    ASSERT_EQ(skipped_all, 1);
    ASSERT_EQ(batches, 3);
    tamis_db_close(db);
}

TEST(action_and_order_state_names_round_trip) {
    for (int a = TAMIS_ACTION_NONE; a <= TAMIS_ACTION_ESCALATE; a++)
        ASSERT_EQ(tamis_action_from_name(tamis_action_name((tamis_action)a)), a);
    ASSERT_STR_EQ(tamis_action_name(TAMIS_ACTION_REMOVE), "remove");
    ASSERT_EQ(tamis_action_from_name("sideways"), TAMIS_ACTION_NONE);
    ASSERT_EQ(tamis_action_from_name(NULL), TAMIS_ACTION_NONE);
    for (int s = TAMIS_ORDER_RECEIVED; s <= TAMIS_ORDER_REJECTED; s++)
        ASSERT_EQ(tamis_order_state_from_name(tamis_order_state_name((tamis_order_state)s)), s);
    ASSERT_STR_EQ(tamis_order_state_name(TAMIS_ORDER_CLARIFICATION), "clarification_requested");
    ASSERT_EQ(tamis_order_state_from_name("lost"), 0);
}
