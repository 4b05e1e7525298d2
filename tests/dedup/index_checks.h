/*
 * index_checks.h - checks every dedup index backend must pass the same way
 * (dedup_index_file.c, dedup_index_redis.c): run by test_dedup_engine on
 * the file index and by test_dedup_redis on a real redis-server.
 */
#ifndef FEEDARC_TEST_INDEX_CHECKS_H
#define FEEDARC_TEST_INDEX_CHECKS_H

#include "dedup/dedup_index.h"

/* Inserts documents into ix (empty, parameters {4, 4, 7}) and checks that
 * hits through stock anchor values weigh less with DEDUP_CAND_RARITY
 * (candidate_rank.h), and the same as before without it.  cmocka asserts;
 * ix stays open. */
void index_check_stock_anchors(dedup_index *ix);

#endif
