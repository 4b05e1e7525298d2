/*
 * index_checks.h - checks every dedup index backend must pass the same way
 * (dedup_index_file.c, dedup_index_redis.c): run by test_dedup_engine on
 * the file index and by test_dedup_redis on a real redis-server.
 */
#ifndef FEEDARC_TEST_INDEX_CHECKS_H
#define FEEDARC_TEST_INDEX_CHECKS_H

#include "dedup/dedup_index.h"

/* Inserts stock documents 0..stock-1 into ix, each of 40 sketch values
 * whose 8 smallest (its anchors) are 100..107, the register's stock
 * values, then document `stock`, a copy with sketch values 500000 + 8i
 * (i < 40) and no stock value.  cmocka asserts. */
void index_insert_stock_and_copy(dedup_index *ix, uint32_t stock);

/* Inserts documents into ix (empty, parameters {4, 4, 7}) and checks that
 * hits through stock anchor values weigh less with DEDUP_CAND_RARITY
 * (candidate_rank.h), and the same as before without it.  cmocka asserts;
 * ix stays open. */
void index_check_stock_anchors(dedup_index *ix);

/* Inserts documents into ix (empty, parameters {4, 4, 7}) and checks that
 * a document met through one anchor value held by at most
 * DEDUP_UNIQUE_POSTINGS documents is a candidate of a page in words
 * (DEDUP_CAND_RARITY) although its score is under the floor, and one met
 * through a value more documents hold is not.  cmocka asserts; ix stays
 * open. */
void index_check_unique_anchor(dedup_index *ix);

#endif
