/*
 * test_near.c - the text_near signature (lib/text/near.c) and its index
 * (lib/text/near_index.c): similarity of edited texts, the string form,
 * adds, removals and lookups.
 */
#include <stdio.h>

#include "../test.h"
#include "tamis.h"

static const char *post =
    "The convoy leaves the northern checkpoint at dawn and follows the river road "
    "towards the old market, where the second group waits with the supplies. "
    "Nobody speaks on the radio until the bridge is crossed and the signal is given.";

static void hash_of(const char *s, tamis_text_hash *h) {
    tamis_text *t;
    ASSERT_OK(tamis_text_create(NULL, &t));
    ASSERT_OK(tamis_text_hash_compute(t, s, strlen(s), h));
    tamis_text_free(t);
}

TEST(near_signature_form_and_similarity) {
    tamis_text_hash a, b, c;
    hash_of(post, &a);
    ASSERT_EQ(strlen(a.near), TAMIS_TEXT_NEAR_LEN);
    ASSERT(!strncmp(a.near, "tn1:", 4));
    ASSERT_EQ(strlen(a.exact), 64);
    ASSERT_EQ(strlen(a.tlsh), TAMIS_TLSH_HEX_LEN);
    /* case, spacing and punctuation: the same normalised text */
    hash_of("THE CONVOY leaves the northern checkpoint at dawn, and follows the river road "
            "towards the old market -- where the second group waits with the supplies!!! "
            "Nobody speaks on the radio until the bridge is crossed and the signal is given",
            &b);
    ASSERT_STR_EQ(a.exact, b.exact);
    ASSERT_STR_EQ(a.near, b.near);
    /* four words changed of 42 */
    hash_of("The convoy leaves the southern checkpoint at night and follows the river road "
            "towards the old market, where the third group waits with the weapons. "
            "Nobody speaks on the radio until the bridge is crossed and the signal is given.",
            &c);
    double s;
    ASSERT_OK(tamis_text_near_similarity(a.near, c.near, &s));
    ASSERT(s > TAMIS_TEXT_NEAR_THRESHOLD);
    ASSERT(s < 1.0);
    ASSERT_OK(tamis_text_near_similarity(a.near, a.near, &s));
    ASSERT_NEAR(s, 1.0, 1e-12);
    ASSERT_EQ(tamis_text_near_similarity(a.near, "tn1:00", &s), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_text_near_similarity(a.near, NULL, &s), TAMIS_ERR_INVALID);
}

TEST(near_signature_absent_without_words) {
    tamis_text_hash h;
    hash_of(" ... !!! ", &h);
    ASSERT_STR_EQ(h.near, "");
    ASSERT_STR_EQ(h.tlsh, "");
    ASSERT_EQ(h.normalised_len, 0);
    /* SHA-256 of the empty string */
    ASSERT_STR_EQ(h.exact, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_of("word", &h);
    ASSERT_EQ(strlen(h.near), TAMIS_TEXT_NEAR_LEN);
}

typedef struct seen {
    uint64_t ids[64];
    double sims[64];
    int n;
} seen;

static int collect(void *ctx, uint64_t id, double sim) {
    seen *s = ctx;
    if (s->n < 64) {
        s->ids[s->n] = id;
        s->sims[s->n] = sim;
        s->n++;
    }
    return 0;
}

TEST(near_index_add_lookup_remove) {
    tamis_text_index *ix;
    ASSERT_OK(tamis_text_index_create(&ix));
    tamis_text *t;
    ASSERT_OK(tamis_text_create(NULL, &t));
    /* 2000 distinct texts, with growth and re-linking on the way */
    char buf[512];
    tamis_text_hash h, target;
    for (int i = 0; i < 2000; i++) {
        snprintf(buf, sizeof buf, "message %d about item %d in place %d with code %d and %d more "
                 "words of text numbered %d", i, i * 7, i * 13, i * 31, i * 3, i * 11);
        ASSERT_OK(tamis_text_hash_compute(t, buf, strlen(buf), &h));
        ASSERT_OK(tamis_text_index_add(ix, (uint64_t)i, h.near, strlen(h.near)));
    }
    hash_of(post, &target);
    ASSERT_OK(tamis_text_index_add(ix, 5000, target.near, strlen(target.near)));
    ASSERT_OK(tamis_text_index_add(ix, 5000, target.near, strlen(target.near))); /* twice */
    ASSERT_EQ(tamis_text_index_size(ix), 2002);
    ASSERT_GT(tamis_text_index_memory(ix), 2002 * 128);
    seen s = {0};
    ASSERT_OK(tamis_text_index_lookup(ix, target.near, strlen(target.near), 0.5, collect, &s));
    ASSERT_EQ(s.n, 2);
    ASSERT_EQ(s.ids[0], 5000);
    ASSERT_NEAR(s.sims[0], 1.0, 1e-12);
    size_t removed = 0;
    ASSERT_OK(tamis_text_index_remove(ix, 5000, &removed));
    ASSERT_EQ(removed, 2);
    ASSERT_OK(tamis_text_index_remove(ix, 5000, &removed));
    ASSERT_EQ(removed, 0);
    s.n = 0;
    ASSERT_OK(tamis_text_index_lookup(ix, target.near, strlen(target.near), 0.5, collect, &s));
    ASSERT_EQ(s.n, 0);
    /* the freed slots are reused and found again */
    ASSERT_OK(tamis_text_index_add(ix, 6000, target.near, strlen(target.near)));
    s.n = 0;
    ASSERT_OK(tamis_text_index_lookup(ix, target.near, strlen(target.near), 0.5, collect, &s));
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.ids[0], 6000);
    /* every entry finds itself, removed ones do not */
    for (int i = 0; i < 2000; i += 2)
        ASSERT_OK(tamis_text_index_remove(ix, (uint64_t)i, NULL));
    for (int i = 0; i < 2000; i += 37) {
        snprintf(buf, sizeof buf, "message %d about item %d in place %d with code %d and %d more "
                 "words of text numbered %d", i, i * 7, i * 13, i * 31, i * 3, i * 11);
        ASSERT_OK(tamis_text_hash_compute(t, buf, strlen(buf), &h));
        s.n = 0;
        ASSERT_OK(tamis_text_index_lookup(ix, h.near, strlen(h.near), 0.9, collect, &s));
        int self = 0;
        for (int k = 0; k < s.n; k++)
            self |= s.ids[k] == (uint64_t)i;
        ASSERT_EQ(self, i % 2);
    }
    ASSERT_EQ(tamis_text_index_add(ix, 1, "tn1:zz", 6), TAMIS_ERR_INVALID);
    ASSERT(strstr(tamis_text_index_errmsg(ix), "malformed") != NULL);
    ASSERT_EQ(tamis_text_index_lookup(ix, "x", 1, 0.5, collect, &s), TAMIS_ERR_INVALID);
    tamis_text_free(t);
    tamis_text_index_free(ix);
    tamis_text_index_free(NULL);
}

static int stop_first(void *ctx, uint64_t id, double sim) {
    (*(int *)ctx)++;
    return 1;
}

TEST(near_index_callback_stops_lookup) {
    tamis_text_index *ix;
    ASSERT_OK(tamis_text_index_create(&ix));
    tamis_text_hash h;
    hash_of(post, &h);
    for (uint64_t i = 0; i < 3; i++)
        ASSERT_OK(tamis_text_index_add(ix, i, h.near, strlen(h.near)));
    int calls = 0;
    ASSERT_EQ(tamis_text_index_lookup(ix, h.near, strlen(h.near), 0.4, stop_first, &calls), TAMIS_DONE);
    ASSERT_EQ(calls, 1);
    tamis_text_index_free(ix);
}
