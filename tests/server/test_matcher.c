/*
 * test_matcher.c - lib/match/ through its public API on SQLite: the
 * initial load, following the change log (add, disable, delete, rename,
 * bank disabled and deleted), thresholds, digests, snapshots; and video
 * signals (vPDQ, TMK) on SQLite and PostgreSQL.
 */
#include <unistd.h>

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
    ASSERT_EQ(tamis_matcher_snapshot_seq(m), 0);
    ASSERT_OK(tamis_matcher_save(m, snap));
    ASSERT_EQ(tamis_matcher_snapshot_seq(m), tamis_matcher_seq(m));
    int64_t saved = tamis_matcher_seq(m);
    tamis_matcher_free(m);
    /* changes after the snapshot: one added, one deleted */
    int64_t id3 = add(db, "A", "pdq", FAR_HEX);
    ASSERT_OK(tamis_db_content_delete(db, id1));
    ASSERT_OK(tamis_matcher_open(url, snap, &m, err, sizeof err));
    ASSERT_EQ(tamis_matcher_snapshot_seq(m), saved); /* opened from it, changes since */
    ASSERT_GT(tamis_matcher_seq(m), saved);
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

/* ---- Video signals ------------------------------------------------------- */

#include "../video/gen_video.h"
#include "client.h"

typedef struct {
    int n;
    int64_t id;
    double s0, s1;
} vseen;

static const char *v_bank; /* as t_bank below */

static int on_vmatch(void *ctx, const tamis_match *m) {
    vseen *s = ctx;
    if (strcmp(m->bank, v_bank) != 0)
        return 0;
    s->n++;
    s->id = m->content_id;
    s->s0 = m->score[0];
    s->s1 = m->score[1];
    return 0;
}

static int count_item(void *ctx, const tamis_content *c) {
    (void)c;
    ++*(int *)ctx;
    return 0;
}

static vseen vlook(tamis_matcher *m, const char *type, const char *value) {
    ASSERT_OK(tamis_matcher_sync(m, NULL));
    vseen s = {0, 0, 0, 0};
    tamis_status st = tamis_matcher_lookup(m, type, value, -1, on_vmatch, &s);
    ASSERT(st == TAMIS_OK || st == TAMIS_DONE);
    return s;
}

/* A generated video's vPDQ (HMA's JSON) and TMK (base64) signal values. */
static void video_signals(int scene, int frames, char **vpdq, char **tmk) {
    char path[4096];
    snprintf(path, sizeof path, "%s/v%d_%d.mkv", tmp_dir(), scene, frames);
    gen_video_spec spec = {"matroska", "ffv1", 128, 96, 10, frames, scene};
    ASSERT_EQ(gen_video_file(&spec, path), 0);
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    ASSERT_OK(tamis_vpdq_hash_file(v, path, NULL));
    size_t n = tamis_vpdq_to_signal(v, NULL, 0);
    *vpdq = malloc(n + 1);
    tamis_vpdq_to_signal(v, *vpdq, n + 1);
    tamis_vpdq_free(v);
    tamis_tmk *t;
    char err[256];
    ASSERT_OK(tamis_tmk_hash_file(path, NULL, &t, err, sizeof err));
    n = tamis_tmk_to_base64(t, NULL, 0);
    *tmk = malloc(n + 1);
    ASSERT_EQ(tamis_tmk_to_base64(t, *tmk, n + 1), n);
    tamis_tmk_free(t);
}

static void t_video_signals(const char *url, const char *bank) {
    char err[512];
    v_bank = bank;
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = (char *)bank;
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(db, &b));
    char *va, *ta, *vb, *tb, *vc, *tc;
    video_signals(0, 30, &va, &ta);
    video_signals(1, 30, &vb, &tb);
    video_signals(0, 24, &vc, &tc); /* the first 24 frames of video a */
    int64_t ida = add(db, bank, "vpdq", va);
    int64_t idt = add(db, bank, "tmk", ta);
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_create(url, &m, err, sizeof err));
    ASSERT_GE(tamis_matcher_count(m, "vpdq"), 1);
    ASSERT_GE(tamis_matcher_count(m, "tmk"), 1);
    vseen s = vlook(m, "vpdq", va);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.id, ida);
    ASSERT_NEAR(s.s0, 100.0, 1e-9);
    ASSERT_NEAR(s.s1, 100.0, 1e-9);
    /* a part of it: all its frames are in the bank's video */
    s = vlook(m, "vpdq", vc);
    ASSERT_EQ(s.n, 1);
    ASSERT_GE(s.s0, 80.0);
    ASSERT(s.s1 < 100.0);
    ASSERT_EQ(vlook(m, "vpdq", vb).n, 0); /* another scene */
    s = vlook(m, "tmk", ta);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.id, idt);
    ASSERT_GT(s.s0, 0.99);
    ASSERT_EQ(vlook(m, "tmk", tb).n, 0);
    /* the store refuses what the matcher could not read */
    tamis_signal bad[] = {{"vpdq", "[\"zz,100,0.0\"]"}, {"vpdq", "not json"}, {"tmk", "QUJD"},
                          {"tmk", "!!!!"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tamis_content c;
        memset(&c, 0, sizeof c);
        c.bank = (char *)bank;
        c.signals = &bad[i];
        c.n_signals = 1;
        int64_t id;
        ASSERT_EQ(tamis_db_content_add(db, &c, &id), TAMIS_ERR_INVALID);
    }
    /* found by value (as an import's duplicate check does), on both backends */
    tamis_signal big = {"tmk", ta};
    int found = 0;
    tamis_status fst = tamis_db_content_find(db, bank, &big, count_item, &found);
    ASSERT(fst == TAMIS_OK || fst == TAMIS_DONE);
    ASSERT_EQ(found, 1);
    /* deleted: no longer matched */
    ASSERT_OK(tamis_db_content_delete(db, ida));
    ASSERT_OK(tamis_db_content_delete(db, idt));
    ASSERT_EQ(vlook(m, "vpdq", va).n, 0);
    ASSERT_EQ(vlook(m, "tmk", ta).n, 0);
    /* a snapshot keeps them */
    int64_t ida2 = add(db, bank, "vpdq", va);
    add(db, bank, "tmk", ta);
    ASSERT_OK(tamis_matcher_sync(m, NULL));
    char snap[4096];
    snprintf(snap, sizeof snap, "%s/%s.snapshot", tmp_dir(), bank);
    ASSERT_OK(tamis_matcher_save(m, snap));
    tamis_matcher_free(m);
    ASSERT_OK(tamis_matcher_open(url, snap, &m, err, sizeof err));
    s = vlook(m, "vpdq", va);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.id, ida2);
    ASSERT_EQ(vlook(m, "tmk", ta).n, 1);
    tamis_matcher_free(m);
    tamis_db_close(db);
    free(va), free(ta), free(vb), free(tb), free(vc), free(tc);
}

TEST(matcher_video_signals_vpdq_and_tmk) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++) {
        char bank[64];
        snprintf(bank, sizeof bank, "V%d_%d", (int)getpid(), i);
        t_video_signals(urls[i], bank);
    }
}

/* ---- Text and URL signals ---------------------------------------------- */

typedef struct {
    int n, exact, near, tlsh, url;
    double sim;
    char matched[256];
} tseen;

/* Only this test's bank: on PostgreSQL other tests' banks share the
 * database, and may hold the same texts and URLs. */
static const char *t_bank;

static int on_tmatch(void *ctx, const tamis_match *m) {
    tseen *s = ctx;
    if (strcmp(m->bank, t_bank) != 0)
        return 0;
    s->n++;
    if (strcmp(m->signal_type, "text_exact") == 0)
        s->exact++;
    if (strcmp(m->signal_type, "text_near") == 0) {
        s->near++;
        s->sim = m->score[0];
    }
    if (strcmp(m->signal_type, "text_tlsh") == 0)
        s->tlsh++;
    if (strcmp(m->signal_type, "url") == 0) {
        s->url++;
        snprintf(s->matched, sizeof s->matched, "%s", m->matched ? m->matched : "(null)");
    }
    return 0;
}

static tseen tlook(tamis_matcher *m, const char *type, const char *value) {
    ASSERT_OK(tamis_matcher_sync(m, NULL));
    tseen s;
    memset(&s, 0, sizeof s);
    tamis_status st = tamis_matcher_lookup(m, type, value, -1, on_tmatch, &s);
    ASSERT(st == TAMIS_OK || st == TAMIS_DONE);
    return s;
}

static const char *POST =
    "The meeting of the committee will take place on Thursday in the old town hall, "
    "where members will discuss the budget, the new library and the repairs to the bridge "
    "over the river that were promised last spring by the mayor and the council.";
/* the same post, a few words changed and the case and spacing altered */
static const char *EDITED =
    "THE MEETING of the committee will take place on Friday in the old town hall,  "
    "where members will discuss the budget, the new museum and the repairs to the bridge "
    "over the river that were promised last spring by the mayor and the council!";
static const char *OTHER =
    "Recipe: mix two cups of flour with a spoon of sugar, add three eggs and a glass of "
    "milk, stir until smooth, then bake for forty minutes in a hot oven and serve warm.";

static void t_text_url(const char *url, const char *bank) {
    char err[512];
    t_bank = bank;
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = (char *)bank;
    b.enabled_ratio = 1;
    ASSERT_OK(tamis_db_bank_create(db, &b));
    tamis_text *th;
    ASSERT_OK(tamis_text_create(NULL, &th));
    tamis_text_hash h;
    ASSERT_OK(tamis_text_hash_compute(th, POST, strlen(POST), &h));
    tamis_signal ts[3] = {{"text_exact", h.exact}, {"text_near", h.near}, {"text_tlsh", h.tlsh}};
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)bank;
    c.signals = ts;
    c.n_signals = 3;
    int64_t idt;
    ASSERT_OK(tamis_db_content_add(db, &c, &idt));
    int64_t idd = add(db, bank, "url", "example.org");
    int64_t ide = add(db, bank, "url", "example.com/videos/");
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_create(url, &m, err, sizeof err));
    ASSERT_GE(tamis_matcher_count(m, "url"), 2); /* PostgreSQL's database is shared by tests */
    /* URLs: an expression, a domain (any subdomain), and neither */
    tseen s = tlook(m, "url", "https://www.example.com/videos/x?y=1");
    ASSERT_EQ(s.url, 1);
    ASSERT_STR_EQ(s.matched, "example.com/videos/");
    s = tlook(m, "url", "http://cdn.media.EXAMPLE.org/a/b.mp4");
    ASSERT_EQ(s.url, 1);
    ASSERT_EQ(tlook(m, "url", "https://example.net/videos/").n, 0);
    ASSERT_EQ(tlook(m, "url", "https://example.com/other/").n, 0);
    /* Text: the raw text finds all three; an edited copy its near signal */
    s = tlook(m, "text", POST);
    ASSERT_EQ(s.exact, 1);
    ASSERT_EQ(s.near, 1);
    ASSERT_EQ(s.tlsh, 1);
    s = tlook(m, "text", EDITED);
    ASSERT_EQ(s.exact, 0);
    ASSERT_EQ(s.near, 1);
    ASSERT(s.sim >= 0.4 && s.sim < 1.0);
    ASSERT_EQ(tlook(m, "text", OTHER).n, 0);
    ASSERT_EQ(tlook(m, "text_exact", h.exact).exact, 1);
    /* the store keeps hashes, not text, and refuses malformed values */
    tamis_signal bad[] = {{"text", "raw text"},      {"text_near", "tn1:00"},
                          {"text_tlsh", "T1ZZ"},     {"url", "http://"},
                          {"text_exact", "abc"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&c, 0, sizeof c);
        c.bank = (char *)bank;
        c.signals = &bad[i];
        c.n_signals = 1;
        int64_t id;
        if (tamis_db_content_add(db, &c, &id) != TAMIS_ERR_INVALID)
            FAIL("accepted %s %s", bad[i].type, bad[i].value);
    }
    /* a snapshot keeps them; a deletion removes them */
    char snap[4096];
    snprintf(snap, sizeof snap, "%s/%s.tsnap", tmp_dir(), bank);
    ASSERT_OK(tamis_matcher_save(m, snap));
    tamis_matcher_free(m);
    ASSERT_OK(tamis_matcher_open(url, snap, &m, err, sizeof err));
    ASSERT_EQ(tlook(m, "text", EDITED).near, 1);
    ASSERT_EQ(tlook(m, "url", "https://www.example.com/videos/x").url, 1);
    ASSERT_OK(tamis_db_content_delete(db, idt));
    ASSERT_OK(tamis_db_content_delete(db, ide));
    ASSERT_EQ(tlook(m, "text", POST).n, 0);
    ASSERT_EQ(tlook(m, "url", "https://www.example.com/videos/x").n, 0);
    ASSERT_EQ(tlook(m, "url", "https://example.org/").url, 1);
    (void)idd;
    tamis_matcher_free(m);
    tamis_text_free(th);
    tamis_db_close(db);
}

TEST(matcher_text_and_url_signals) {
    char urls[2][4096];
    int n = backends(urls);
    for (int i = 0; i < n; i++) {
        char bank[64];
        snprintf(bank, sizeof bank, "T%d_%d", (int)getpid(), i);
        t_text_url(urls[i], bank);
    }
}
