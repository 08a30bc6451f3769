/*
 * test_matcher.c - lib/match/matcher.c through its public API on SQLite:
 * the initial load, following the change log (add, disable, delete,
 * rename, bank disabled and deleted), thresholds, digests.
 */
#include "../test.h"
#include "tamis.h"

static const char *H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
static const char *FAR_HEX = "5555555555555555555555555555555555555555555555555555555555555555";
static const char *H1_5 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b3d";

typedef struct {
    int n;
    char bank[64];
    int64_t id;
    int distance;
} seen;

static int on_match(void *ctx, const tamis_match *m) {
    seen *s = ctx;
    s->n++;
    snprintf(s->bank, sizeof s->bank, "%s", m->bank);
    s->id = m->content_id;
    s->distance = m->distance;
    return 0;
}

static seen look(tamis_matcher *m, const char *type, const char *hex) {
    ASSERT_OK(tamis_matcher_sync(m, NULL));
    seen s = {0, "", 0, 0};
    tamis_status st = tamis_matcher_lookup(m, type, hex, -1, on_match, &s);
    ASSERT(st == TAMIS_OK || st == TAMIS_DONE);
    return s;
}

static int64_t add(tamis_db *db, const char *bank, const char *type, const char *value) {
    tamis_signal sig = {(char *)type, (char *)value};
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)bank;
    c.signals = &sig;
    c.n_signals = 1;
    int64_t id;
    ASSERT_OK(tamis_db_content_add(db, &c, &id));
    return id;
}

TEST(matcher_follows_the_database) {
    char url[4096], err[512];
    snprintf(url, sizeof url, "%s/m.db", tmp_dir());
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "A";
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(db, &b));
    int64_t id1 = add(db, "A", "pdq", H1);
    /* loaded at creation */
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_create(url, &m, err, sizeof err));
    ASSERT_EQ(tamis_matcher_count(m, "pdq"), 1);
    seen s = look(m, "pdq", H1_5);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.id, id1);
    ASSERT_EQ(s.distance, 5);
    /* added after: followed */
    int64_t id2 = add(db, "A", "md5", "0123456789abcdef0123456789abcdef");
    s = look(m, "md5", "0123456789ABCDEF0123456789ABCDEF");
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.id, id2);
    /* a threshold of 4 on the bank: distance 5 no longer matches */
    tamis_bank cur;
    memset(&cur, 0, sizeof cur);
    ASSERT_OK(tamis_db_bank_get(db, "A", &cur));
    tamis_bank nb = cur;
    nb.thresholds = "{\"pdq\": 4}";
    ASSERT_OK(tamis_db_bank_update(db, "A", &nb));
    ASSERT_EQ(look(m, "pdq", H1_5).n, 0);
    ASSERT_EQ(look(m, "pdq", H1).n, 1);
    /* renamed: matches under the new name */
    nb.name = "B";
    ASSERT_OK(tamis_db_bank_update(db, "A", &nb));
    s = look(m, "pdq", H1);
    ASSERT_EQ(s.n, 1);
    ASSERT_STR_EQ(s.bank, "B");
    /* disabled item, then enabled again */
    tamis_content c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(tamis_db_content_get(db, id1, &c));
    c.disabled_until = INT64_MAX;
    ASSERT_OK(tamis_db_content_update(db, &c));
    ASSERT_EQ(look(m, "pdq", H1).n, 0);
    c.disabled_until = 0;
    ASSERT_OK(tamis_db_content_update(db, &c));
    ASSERT_EQ(look(m, "pdq", H1).n, 1);
    tamis_content_clear(&c);
    /* bank disabled (ratio 0) */
    nb.enabled_ratio = 0;
    ASSERT_OK(tamis_db_bank_update(db, "B", &nb));
    ASSERT_EQ(look(m, "pdq", H1).n, 0);
    nb.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_update(db, "B", &nb));
    ASSERT_EQ(look(m, "pdq", H1).n, 1);
    /* item deleted */
    ASSERT_OK(tamis_db_content_delete(db, id1));
    ASSERT_EQ(look(m, "pdq", H1).n, 0);
    ASSERT_EQ(tamis_matcher_count(m, "pdq"), 0);
    /* bank deleted: its md5 item goes too */
    ASSERT_OK(tamis_db_bank_delete(db, "B"));
    ASSERT_EQ(look(m, "md5", "0123456789abcdef0123456789abcdef").n, 0);
    /* bad input */
    seen none = {0, "", 0, 0};
    ASSERT_EQ(tamis_matcher_lookup(m, "pdq", "xyz", -1, on_match, &none), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_matcher_lookup(m, "nope", "ab", -1, on_match, &none), TAMIS_ERR_UNSUPPORTED);
    tamis_bank_clear(&cur);
    tamis_matcher_free(m);
    tamis_db_close(db);
}

TEST(matcher_snapshot_then_changes_since) {
    char url[4096], snap[4096], other[4096], err[512];
    snprintf(url, sizeof url, "%s/s.db", tmp_dir());
    snprintf(snap, sizeof snap, "%s/s.snapshot", tmp_dir());
    snprintf(other, sizeof other, "%s/other.db", tmp_dir());
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = "A";
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(db, &b));
    int64_t id1 = add(db, "A", "pdq", H1);
    add(db, "A", "sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_open(url, snap, &m, err, sizeof err)); /* none yet */
    ASSERT_OK(tamis_matcher_save(m, snap));
    tamis_matcher_free(m);
    /* changes after the snapshot: one added, one deleted */
    int64_t id3 = add(db, "A", "pdq", FAR_HEX);
    ASSERT_OK(tamis_db_content_delete(db, id1));
    ASSERT_OK(tamis_matcher_open(url, snap, &m, err, sizeof err));
    ASSERT_EQ(look(m, "pdq", H1).n, 0);
    seen s = look(m, "pdq", FAR_HEX);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.id, id3);
    ASSERT_EQ(look(m, "sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").n, 1);
    tamis_matcher_free(m);
    /* another database: the snapshot is not its own, so it is ignored */
    tamis_db *db2;
    ASSERT_OK(tamis_db_open(other, &db2, err, sizeof err));
    ASSERT_OK(tamis_db_bank_create(db2, &b));
    add(db2, "A", "pdq", FAR_HEX);
    add(db2, "A", "md5", "00000000000000000000000000000000");
    ASSERT_OK(tamis_matcher_open(other, snap, &m, err, sizeof err));
    ASSERT_EQ(look(m, "sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").n, 0);
    ASSERT_EQ(look(m, "md5", "00000000000000000000000000000000").n, 1);
    tamis_matcher_free(m);
    tamis_db_close(db2);
    tamis_db_close(db);
}
