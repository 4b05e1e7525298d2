# Redis (issue 15): the connection module against a real redis-server on a
# random loopback port; exits 77 (skipped) without redis-server.
feedarc_test(test_redis_conn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_redis_conn.c
             ${CMAKE_CURRENT_LIST_DIR}/redis_test_util.c LIBS fa_redis TIMEOUT 120)
