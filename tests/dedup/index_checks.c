/*
 * index_checks.c - checks shared by the dedup index backends' tests (see
 * index_checks.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedup/candidate_rank.h"
#include "index_checks.h"

/* STOCK documents of 80 sketch values (more than DEDUP_SHORT_ANCHORED: 8
 * anchors) whose 8 anchors (their smallest sketch values) are 8 values
 * the query holds - a register's stock 4-grams, in every one of
 * them - and a copy with 4 of its 8 anchors in the query.  Counted raw,
 * every stock document scores 8 / 8 and the copy 4 / 8: it comes last.
 * Weighed by rarity, a hit through a value 240 documents hold counts
 * 32 / 240 of one: the stock documents score 0.13, under the floor of
 * 0.15, and the copy alone is a candidate. */
void index_insert_stock_and_copy(dedup_index *ix, uint32_t stock)
{
    enum { N = 80 };
    uint32_t sk[N];
    uint64_t blocks[1] = {11};
    uint32_t bchars[1] = {100};
    for (uint32_t d = 0; d <= stock; d++) {
        for (uint32_t i = 0; i < N; i++)
            sk[i] = d < stock ? (i < 8 ? 100u + i : 1000000u + d * 1000u + i)
                              : 500000u + i * 8u; /* the copy: no stock value */
        dedup_doc_record r = {0};
        r.group = UINT32_MAX;
        r.n_sketch = N, r.sketch = sk;
        r.n_blocks = 1, r.blocks = blocks, r.block_chars = bchars;
        r.url = "https://example.org/a", r.digest = "", r.record_id = "<urn:x>";
        assert_int_equal(ix->ops->insert(ix, &r), 0);
    }
}

void index_check_stock_anchors(dedup_index *ix)
{
    enum { STOCK = 240, N = 80, COPY = STOCK };
    index_insert_stock_and_copy(ix, STOCK);
    uint32_t q[N];
    for (uint32_t i = 0; i < N; i++) /* the stock values, 4 of the copy's anchors, others */
        q[i] = i < 8 ? 100u + i : i < 12 ? 500000u + (i - 8) * 16u : 2000000u + i;
    static dedup_candidate c[STOCK + 1];
    uint32_t post[N];
    int n = ix->ops->candidates(ix, q, N, c, STOCK + 1, 0, post);
    assert_int_equal(n, STOCK + 1);
    assert_int_equal(c[0].hits, 8);
    assert_int_equal(c[STOCK].doc, COPY);
    assert_int_equal(c[STOCK].hits, 4);
    /* the documents whose anchors hold each value, with and without the
     * rarity weights (the engine's block anchors are chosen on them) */
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(post[i], i < 8 ? STOCK : i < 12 ? 1 : 0);
    n = ix->ops->candidates(ix, q, N, c, STOCK + 1, DEDUP_CAND_RARITY, post);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].doc, COPY);
    assert_int_equal(c[0].hits, 4);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(post[i], i < 8 ? STOCK : i < 12 ? 1 : 0);
}

/* A story (80 values: 8 anchors) whose roundup, archived after it,
 * keeps one of its anchors (value 300000, no other document holds it):
 * 1 hit of 8, score 0.125, under DEDUP_CANDIDATE_MIN_SCORE - ranked all
 * the same for a page in words.  Documents 1..5 share anchor 400000 (five
 * documents: a phrase of more than one story), met once: not ranked. */
void index_check_unique_anchor(dedup_index *ix)
{
    enum { N = 80, SHARED = DEDUP_UNIQUE_POSTINGS + 1 };
    uint32_t sk[N];
    uint64_t blocks[1] = {11};
    uint32_t bchars[1] = {100};
    for (uint32_t d = 0; d <= SHARED; d++) {
        for (uint32_t i = 0; i < N; i++)
            sk[i] = d == 0 ? 300000u + i : i == 0 ? 400000u : 3000000u + d * 1000u + i;
        dedup_doc_record r = {0};
        r.group = UINT32_MAX;
        r.n_sketch = N, r.sketch = sk;
        r.n_blocks = 1, r.blocks = blocks, r.block_chars = bchars;
        r.url = "https://example.org/u", r.digest = "", r.record_id = "<urn:u>";
        assert_int_equal(ix->ops->insert(ix, &r), 0);
    }
    uint32_t q[N];
    for (uint32_t i = 0; i < N; i++) /* one value of each kind, the others the page's own */
        q[i] = i == 0 ? 300000u : i == 1 ? 400000u : 5000000u + i;
    dedup_candidate c[8];
    int n = ix->ops->candidates(ix, q, N, c, 8, 0, NULL);
    assert_int_equal(n, 0); /* without rarity: the floor */
    n = ix->ops->candidates(ix, q, N, c, 8, DEDUP_CAND_RARITY, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].doc, 0);
    assert_int_equal(c[0].hits, 1);
}
