# Redis (issue 15): the connection module against a real redis-server on a
# random loopback port; exits 77 (skipped) without redis-server.
feedarc_test(test_redis_conn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_redis_conn.c
             ${CMAKE_CURRENT_LIST_DIR}/redis_test_util.c LIBS fa_redis TIMEOUT 120)
# (issue 15) `feedarc once`/`serve` processes crawling the sample sites as one
# cluster: three nodes (exactly once, politeness from the servers' logs), a
# node killed -9 in serve, redis-server stopped and restarted mid-crawl
if(TARGET feedarc)
  feedarc_test(test_cluster_crawl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cluster_crawl.c
               ${CMAKE_CURRENT_LIST_DIR}/redis_test_util.c
               LIBS fa_demo fa_redis fa_common PkgConfig::YAJL TIMEOUT 300)
  foreach(case tail kill9 restart)
    add_test(NAME test_cluster_crawl_${case} COMMAND test_cluster_crawl ${case})
    set_tests_properties(test_cluster_crawl_${case} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                         ENVIRONMENT "FEEDARC_BIN=$<TARGET_FILE:feedarc>")
  endforeach()
endif()
