/*
 * test_accuracy.c - the accuracy targets of text_near on a subset of the
 * generated test data (tests/text/textgen.h): posts cut from
 * ../shared/corpus/text (at most 40 per file) and their edited copies.
 * Recall >= 0.95 for every kind of edit changing at most 10 % of the
 * words, and no false match between distinct posts. `make bench-text`
 * prints the whole table on the whole corpus.
 */
#include "../test.h"
#include "textgen.h"

TEST(text_near_accuracy_targets_on_corpus_subset) {
    const char *shared = shared_dir_or_skip();
    tg_corpus c = {0};
    if (!tg_load(&c, fmt("%s/corpus/text", shared), 40, 1))
        SKIP("no corpus in %s/corpus/text", shared);
    size_t dropped = tg_dedupe(&c);
    fprintf(stderr, "%zu posts sharing a passage with an earlier one left out\n", dropped);
    tg_result r;
    ASSERT_EQ(tg_measure(&c, TAMIS_TEXT_NEAR_THRESHOLD, 2, &r), 0);
    tg_print(stderr, &r, TAMIS_TEXT_NEAR_THRESHOLD);
    for (int k = 0; k < TG_KINDS; k++) {
        if (!r.tried10[k])
            continue;
        double recall = (double)r.found10[k] / (double)r.tried10[k];
        if (recall < 0.95)
            FAIL("%s: recall %.3f under 0.95", tg_kind_names[k], recall);
    }
    ASSERT_EQ(r.pair_false, 0);
    ASSERT_EQ(r.pair_false_brute, 0);
    ASSERT_EQ(r.copy_false, 0);
    tg_free(&c);
}
