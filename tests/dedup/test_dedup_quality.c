/*
 * test_dedup_quality.c - the detector's quality targets on two small
 * generated corpora with different vocabularies and templates
 * (tests/dedup/corpus.c): near-duplicate F1 >= 0.95, containment F1 >=
 * 0.95, exact F1 = 1, hard-negative false positives <= 0.5%, and the
 * extractor's word F1 on the generated pages >= 0.95.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator0),
        cmocka_unit_test(test_generator1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
