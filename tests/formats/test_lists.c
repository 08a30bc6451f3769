/*
 * test_lists.c - the url-list and text-lines imports: one entry a line,
 * comments and blanks skipped, a bad line rejected with its number, raw
 * text stored as its hashes only, and what is imported matches.
 */
#include "../test.h"
#include "tamis.h"

typedef struct {
    int n;
    uint64_t pos[8];
} rejects;

static void on_reject(void *ctx, uint64_t pos, const char *why) {
    rejects *r = ctx;
    (void)why;
    if (r->n < 8)
        r->pos[r->n] = pos;
    r->n++;
}

static int count(void *ctx, const tamis_match *m) {
    (void)m;
    ++*(int *)ctx;
    return 0;
}

static int no_text(void *ctx, const tamis_content *c) {
    for (size_t i = 0; i < c->n_signals; i++)
        if (strcmp(c->signals[i].type, "text") == 0)
            ++*(int *)ctx;
    return 0;
}

TEST(import_url_list_and_text_lines) {
    char url[4096], err[256];
    snprintf(url, sizeof url, "%s/lists.db", tmp_dir());
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    static const char urls[] = "# an ISP's list\n\nexample.org\n  https://example.com/videos/  \n"
                               "http://\nexample.net\n";
    FILE *f = fmemopen((void *)urls, sizeof urls - 1, "r");
    rejects rj = {0, {0}};
    tamis_import_report rep;
    ASSERT_OK(tamis_db_import(db, "LISTS", f, TAMIS_IMPORT_URL_LIST, "t", on_reject, &rj, &rep));
    fclose(f);
    ASSERT_EQ(rep.added, 3);
    ASSERT_EQ(rep.skipped, 1);
    ASSERT_EQ(rj.n, 1);
    ASSERT_EQ(rj.pos[0], 5);
    static const char texts[] =
        "The meeting of the committee will take place on Thursday in the old town hall.\n"
        "Une autre phrase, en fran\xc3\xa7" "ais, pour la liste.\n"
        "bad \xff byte\n";
    f = fmemopen((void *)texts, sizeof texts - 1, "r");
    rj.n = 0;
    ASSERT_OK(tamis_db_import(db, "LISTS", f, TAMIS_IMPORT_TEXT_LINES, "t", on_reject, &rj, &rep));
    fclose(f);
    ASSERT_EQ(rep.added, 2);
    ASSERT_EQ(rj.n, 1);
    ASSERT_EQ(rj.pos[0], 3);
    int raw = 0;
    ASSERT_OK(tamis_db_content_list(db, "LISTS", 0, 100, no_text, &raw));
    ASSERT_EQ(raw, 0);
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_create(url, &m, err, sizeof err));
    int hits = 0;
    tamis_matcher_lookup(m, "url", "http://www.example.org/x", -1, count, &hits);
    ASSERT_EQ(hits, 1);
    hits = 0;
    tamis_matcher_lookup(m, "text", "THE MEETING of the committee will take place on thursday in the "
                         "old town hall!", -1, count, &hits);
    ASSERT_GE(hits, 2); /* text_exact and text_near */
    tamis_matcher_free(m);
    tamis_db_close(db);
}
