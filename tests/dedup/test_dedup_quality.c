/*
 * test_dedup_quality.c - the detector's quality targets on two small
 * generated corpora with different vocabularies and templates
 * (tests/dedup/corpus.c): near-duplicate F1 >= 0.95, containment F1 >=
 * 0.95, exact F1 = 1, hard-negative false positives <= 0.5%, and the
 * extractor's word F1 on the generated pages >= 0.95; on the combined-edits
 * corpora (issue 13, one seed per language, confirmed on the stored text)
 * the levels reached (docs/BENCHMARKS.md), as a floor against regressions:
 * near F1 >= 0.93 / 0.955 / 0.963 / 0.92 (English, Japanese, Chinese,
 * Korean), containment F1 >= 0.89 / 0.91 / 0.90 / 0.83, near precision
 * >= 0.99, at most one hard negative of 135 called related (0.25% over
 * the three seeds of bench_dedup edits).
 */
#include "corpus.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/test_fs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_one(int gen, uint32_t seed, unsigned scale)
{
    corpus c;
    assert_int_equal(corpus_generate(gen, seed, scale, &c), 0);
    char *dir = test_tmpdir_new();
    corpus_score s;
    assert_int_equal(corpus_score_run(&c, dir, NULL, &s), 0);
    printf("generator %d seed %u: %zu docs, %.1f MB HTML, %.2f s\n"
           "  near     P %.3f R %.3f F1 %.3f (tp %zu fp %zu fn %zu)\n"
           "  contain  P %.3f R %.3f F1 %.3f (tp %zu fp %zu fn %zu)\n"
           "  exact    P %.3f R %.3f F1 %.3f (tp %zu fp %zu fn %zu)\n"
           "  hard negatives: %zu/%zu false positives (%.3f%%); extraction word F1 %.3f\n",
           gen, seed, c.n_docs, (double)c.html_bytes / 1e6, s.seconds, s.near.precision,
           s.near.recall, s.near.f1, s.near.tp, s.near.fp, s.near.fn, s.contain.precision,
           s.contain.recall, s.contain.f1, s.contain.tp, s.contain.fp, s.contain.fn,
           s.exact.precision, s.exact.recall, s.exact.f1, s.exact.tp, s.exact.fp, s.exact.fn,
           s.hardneg_fp, s.hardneg_pairs, 100 * s.hardneg_fp_rate, s.extract_f1);
    test_rm_rf(dir);
    free(dir);
    assert_true(s.near.f1 >= 0.95);
    assert_true(s.contain.f1 >= 0.95);
    assert_true(s.exact.f1 >= 0.999);
    assert_true(s.hardneg_fp_rate <= 0.005);
    assert_true(s.extract_f1 >= 0.95);
    corpus_free(&c);
}

static void test_generator0(void **state)
{
    (void)state;
    run_one(0, 1, 24);
    run_one(0, 7, 24);
}

static void test_generator1(void **state)
{
    (void)state;
    run_one(1, 2, 24);
    run_one(1, 11, 24);
}

static void run_edits(int lang, uint32_t seed, double near_f1, double contain_f1)
{
    corpus c;
    assert_int_equal(corpus_generate_edits(lang, seed, 420, &c), 0);
    char dir[] = "/tmp/fa-dedup-quality-XXXXXX";
    assert_non_null(mkdtemp(dir));
    corpus_score s;
    assert_int_equal(corpus_score_run(&c, dir, NULL, &s), 0);
    size_t hn = 0, hn_bad = 0;
    for (int k = 0; k < CORPUS_HN_KINDS; k++)
        hn += s.hardneg_by_kind[k][0], hn_bad += s.hardneg_by_kind[k][1];
    printf("combined edits, language %d seed %u: %zu docs\n"
           "  near     P %.3f R %.3f F1 %.3f\n  contain  P %.3f R %.3f F1 %.3f\n"
           "  hard negatives called related: %zu/%zu\n",
           lang, seed, c.n_docs, s.near.precision, s.near.recall, s.near.f1, s.contain.precision,
           s.contain.recall, s.contain.f1, hn_bad, hn);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    assert_true(s.near.f1 >= near_f1);
    assert_true(s.contain.f1 >= contain_f1);
    assert_true(s.near.precision >= 0.99);
    assert_true(hn_bad <= 1); /* of 135 pairs; 0.25% over the bench's three seeds */
    corpus_free(&c);
}

static void test_combined_edits(void **state)
{
    (void)state;
    run_edits(0, 7919, 0.93, 0.89);
    /* 256 candidates ranked, every document met counted, the character
     * floor 0.55 (fourth round): near 0.940 and 0.954 before, 0.948 and
     * 0.961 at the floor 0.6 */
    run_edits(1, 7920, 0.955, 0.91);
    run_edits(2, 7921, 0.963, 0.90);
    run_edits(3, 7922, 0.92, 0.83);
}

/* Relations a near copy or carried stories already explain (lookup,
 * dedup/dedup_engine.c: explained_by_near, explained_by_carried), on two
 * English seeds where they were reported (bench_dedup's seeds 1231 and
 * 383, corpus seeds x 7919): the first has three copies of one wire
 * story, the later trimmed copy near the first and called contained in a
 * fuller one (2 false containments); the second two roundups of the
 * aggregator carrying the same stories called near (1 false near pair).
 * Neither is reported now; the pairs found stay at least as many.  The
 * third (bench_dedup's seed 1361) is the thirtieth round's. */
static void run_explained(uint32_t seed, size_t near_fp, size_t contain_fp, size_t near_tp,
                          size_t contain_tp)
{
    corpus c;
    assert_int_equal(corpus_generate_edits(0, seed, 420, &c), 0);
    char dir[] = "/tmp/fa-dedup-quality-XXXXXX";
    assert_non_null(mkdtemp(dir));
    corpus_score s;
    assert_int_equal(corpus_score_run(&c, dir, NULL, &s), 0);
    printf("explained relations, English seed %u: near tp %zu fp %zu, contain tp %zu fp %zu\n",
           seed, s.near.tp, s.near.fp, s.contain.tp, s.contain.fp);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    assert_int_equal(s.near.fp, near_fp);
    assert_int_equal(s.contain.fp, contain_fp);
    assert_true(s.near.tp >= near_tp);
    assert_true(s.contain.tp >= contain_tp);
    corpus_free(&c);
}

static void test_explained_relations(void **state)
{
    (void)state;
    run_explained(1231 * 7919, 0, 0, 146, 91);
    run_explained(383 * 7919, 0, 0, 150, 100);
    /* a short story called carried in a roundup marked a carrier on the
     * register's stock quotes (carried_beside), the same sentences found
     * in a story it is unrelated to: explained_by_other (1 false
     * containment without it) */
    run_explained(1361 * 7919, 0, 0, 140, 107);
}

/* A short copy under the page's headline is aligned before the other
 * candidates (presearch: headline_pair first).  Japanese, bench_dedup's
 * seed 102 (corpus seed 102 x 7919 + 1): copies of short stories lost
 * their alignment to stock-phrase candidates ranked over them by the
 * sketch (MAX_CONFIRMED spent) - near recall 0.969 before, 0.992 after. */
static void test_headline_copy_aligned_first(void **state)
{
    (void)state;
    corpus c;
    assert_int_equal(corpus_generate_edits(1, 102 * 7919 + 1, 420, &c), 0);
    char dir[] = "/tmp/fa-dedup-quality-XXXXXX";
    assert_non_null(mkdtemp(dir));
    corpus_score s;
    assert_int_equal(corpus_score_run(&c, dir, NULL, &s), 0);
    printf("headline copies first, Japanese: near tp %zu fp %zu fn %zu\n", s.near.tp, s.near.fp,
           s.near.fn);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    assert_true(s.near.recall >= 0.99);
    assert_int_equal(s.near.fp, 0);
    corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator0),
        cmocka_unit_test(test_generator1),
        cmocka_unit_test(test_combined_edits),
        cmocka_unit_test(test_explained_relations),
        cmocka_unit_test(test_headline_copy_aligned_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
