/*
 * test_act_cli.c - `tamis order` and `tamis review` as programs: an order
 * received, executed and confirmed; moves and fields refused with their
 * exit statuses; the review queue claimed and decided; statements printed
 * in batches; all of it in an intact audit log.
 */
#include "../test.h"
#include "tamis.h"

static int run(const char *db, const char *args, char **out, char **err) {
    return run_cmd(fmt("'%s/tamis' %s --db '%s'", build_dir(), args, db), out, err);
}

TEST(order_and_review_commands) {
    char db[4096];
    snprintf(db, sizeof db, "%s/act_cli.db", tmp_dir());
    char *out = NULL, *err = NULL;
    ASSERT_EQ(run(db, "order receive --as ops --authority BKA --member-state DE --reference DE-7 "
                      "--issued-at 1767225600 --locator https://a.example/v/1",
                  &out, &err),
              0);
    ASSERT(strstr(out, "\"state\":\"received\"") && strstr(out, "\"id\":1,"));
    free(out), free(err);
    ASSERT_EQ(run(db, "order receive --authority BKA --member-state de --reference X "
                      "--issued-at 1 --locator https://a",
                  &out, &err),
              1); /* a Member State is two capitals */
    ASSERT(strstr(err, "Member State") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, "order step 1 sideways", &out, &err), 2);
    free(out), free(err);
    ASSERT_EQ(run(db, "order step 1 executed --as ops", &out, &err), 0);
    ASSERT(strstr(out, "\"state\":\"executed\"") && strstr(out, "\"on_time\":true"));
    free(out), free(err);
    ASSERT_EQ(run(db, "order step 1 executed", &out, &err), 1); /* once */
    free(out), free(err);
    ASSERT_EQ(run(db, "order confirm 1", &out, &err), 0);
    ASSERT(strstr(out, "\"within_one_hour\":true") != NULL);
    free(out), free(err);
    /* a queued decision, then the queue */
    char e2[256];
    tamis_db *h;
    ASSERT_OK(tamis_db_open(db, &h, e2, sizeof e2));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "Q";
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(h, &b));
    tamis_decision d;
    memset(&d, 0, sizeof d);
    d.puid = "up-1";
    d.bank = "Q";
    d.signal_type = "pdq";
    d.distance = 12;
    int64_t id;
    ASSERT_OK(tamis_decision_record(h, NULL, "matcher", &d, &id, NULL));
    tamis_db_close(h);
    ASSERT_EQ(run(db, "review list", &out, &err), 0);
    ASSERT(strstr(out, "\"puid\":\"up-1\"") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("review decide %lld --as alice --action remove --reason same", (long long)id),
                  &out, &err),
              1); /* not claimed */
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("review claim %lld --as alice", (long long)id), &out, &err), 0);
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("review claim %lld --as bob", (long long)id), &out, &err), 1);
    ASSERT(strstr(err, "claimed by alice") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("review decide %lld --as alice --action remove --reason 'same poster'",
                          (long long)id),
                  &out, &err),
              0);
    ASSERT(strstr(out, "\"action\":\"remove\"") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, "review statements", &out, &err), 0);
    ASSERT(strstr(out, "{\"statements\":[") != NULL && strstr(out, "up-1") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, "audit verify", &out, &err), 0);
    free(out), free(err);
}

TEST(notice_and_complaint_commands) {
    char db[4096];
    snprintf(db, sizeof db, "%s/nc_cli.db", tmp_dir());
    char *out = NULL, *err = NULL;
    ASSERT_EQ(run(db, "notice receive --as intake --puid p-1 --explanation 'recruitment video' "
                      "--trusted-flagger --notifier tf@example.org",
                  &out, &err),
              0);
    ASSERT(strstr(out, "\"state\":\"received\"") && !strstr(out, "tf@example.org"));
    free(out), free(err);
    ASSERT_EQ(run(db, "notice receive --puid p-2", &out, &err), 1); /* no explanation */
    free(out), free(err);
    ASSERT_EQ(run(db, "notice decide 1 --as alice --action remove --reason 'recruitment'", &out,
                  &err),
              0);
    ASSERT(strstr(out, "out-of-court") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, "order receive --authority A --member-state FR --reference R "
                      "--issued-at 1767225600 --locator https://x.example/1",
                  &out, &err),
              0);
    free(out), free(err);
    ASSERT_EQ(run(db, "complaint receive --order 1 --grounds 'a documentary'", &out, &err), 1);
    free(out), free(err); /* not executed yet */
    ASSERT_EQ(run(db, "order step 1 executed", &out, &err), 0);
    free(out), free(err);
    ASSERT_EQ(run(db, "complaint receive --order 1 --grounds 'a documentary'", &out, &err), 0);
    ASSERT(strstr(out, "\"state\":\"open\"") != NULL);
    long long cid = 0;
    ASSERT_EQ(sscanf(out, "{\"id\":%lld", &cid), 1);
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("complaint answer %lld --as bob --upheld --answer 'indeed'", cid), &out,
                  &err),
              0);
    ASSERT(strstr(out, "\"reinstated\":true") != NULL);
    free(out), free(err);
    ASSERT_EQ(run(db, "complaint close 1", &out, &err), 2);
    free(out), free(err);
}

TEST(preserve_commands_audited) {
    char db[4096], key[4096], dir[4096], file[4096];
    snprintf(db, sizeof db, "%s/pv.db", tmp_dir());
    snprintf(key, sizeof key, "%s/pv.key", tmp_dir());
    snprintf(dir, sizeof dir, "%s/pv", tmp_dir());
    snprintf(file, sizeof file, "%s/ev.bin", tmp_dir());
    FILE *f = fopen(file, "w");
    fputs("the evidence", f);
    fclose(f);
    char *out = NULL, *err = NULL;
    ASSERT_EQ(run_cmd(fmt("'%s/tamis' preserve keygen '%s'", build_dir(), key), &out, &err), 0);
    free(out), free(err);
    const char *store = fmt("--dir '%s' --key '%s'", dir, key);
    char st[9000];
    snprintf(st, sizeof st, "%s", store);
    ASSERT_EQ(run(db, fmt("preserve put up-1 '%s' --as ops --reason 'order X' %s", file, st), &out,
                  &err),
              0);
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("preserve read up-1 --as auditor %s", st), &out, &err), 0);
    ASSERT_STR_EQ(out, "the evidence");
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("preserve hold up-1 --reason 'proceedings' %s", st), &out, &err), 0);
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("preserve list %s", st), &out, &err), 0);
    ASSERT(strstr(out, "up-1\t") && strstr(out, "\thold\t"));
    free(out), free(err);
    ASSERT_EQ(run(db, fmt("preserve read nothing %s", st), &out, &err), 1);
    free(out), free(err);
    ASSERT_EQ(run(db, "audit list", &out, &err), 0);
    ASSERT(strstr(out, "\"action\":\"preserve.preserve\"") &&
           strstr(out, "\"action\":\"preserve.read\"") && strstr(out, "\"actor\":\"auditor\""));
    free(out), free(err);
}
