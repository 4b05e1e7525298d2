# dedup: extraction, normalisation, shingling, signatures, the index and
# the findings engine; the quality targets on generated corpora.
feedarc_test(test_dedup_quality
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_quality.c ${CMAKE_CURRENT_LIST_DIR}/corpus.c
             LIBS fa_dedup TIMEOUT 60)
feedarc_test(test_dedup_text SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_text.c LIBS fa_dedup)
feedarc_test(test_dedup_engine SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_engine.c
             ${CMAKE_CURRENT_LIST_DIR}/index_checks.c LIBS fa_dedup Threads::Threads TIMEOUT 120)
# The findings record: writer and parser agree (round trip), refusals.
feedarc_test(test_findings_record SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_findings_record.c
             LIBS fa_dedup)
# the classifier's structural rules, one hand-written page each
feedarc_test(test_extract_rules SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_extract_rules.c LIBS fa_dedup)
feedarc_test(test_dedup_confirm SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_confirm.c LIBS fa_dedup)
# (issue 13, seventh round) the near decision: copy-shaped pairs, own blocks, short English pairs
feedarc_test(test_dedup_near SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_near.c LIBS fa_dedup)
# (issue 15) the index on Redis, shared by a cluster's nodes: cross-node
# findings, the same findings as the file index on the corpora, an outage.
feedarc_test(test_dedup_redis
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_redis.c ${CMAKE_CURRENT_LIST_DIR}/corpus.c
             ${CMAKE_CURRENT_LIST_DIR}/index_checks.c ${CMAKE_SOURCE_DIR}/tests/redis/redis_test_util.c LIBS fa_dedup TIMEOUT 180)
