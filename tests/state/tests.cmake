# The crawl state (storage/state/): one behavioural suite run against every backend.
# (issue 15) the Redis backend too, against a real redis-server on loopback
# (three backends' 100,000-record throughput cases: 300 s for ASan builds under load)
feedarc_test(test_state SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_state.c
             ${CMAKE_SOURCE_DIR}/tests/redis/redis_test_util.c LIBS fa_state TIMEOUT 300)
# read-only opening beside a running (locked) writer, for `feedarc status`
feedarc_test(test_state_readonly SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_state_readonly.c
             ${CMAKE_CURRENT_LIST_DIR}/state_test_util.c LIBS fa_state Threads::Threads)
# (issue 15) source leases between nodes, against a real redis-server (77 without one)
feedarc_test(test_cluster_lease SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cluster_lease.c
             ${CMAKE_SOURCE_DIR}/tests/redis/redis_test_util.c
             ${CMAKE_SOURCE_DIR}/tests/redis/redis_loop_util.c LIBS fa_state)
# (issue 15) cluster-wide host politeness, against a real redis-server (77 without one)
feedarc_test(test_cluster_host_gate SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cluster_host_gate.c
             ${CMAKE_SOURCE_DIR}/tests/redis/redis_test_util.c
             ${CMAKE_SOURCE_DIR}/tests/redis/redis_loop_util.c LIBS fa_state)
# (issue 15) the Redis backend's own cases: shared by nodes, threads, outage, auth
feedarc_test(test_state_redis SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_state_redis.c
             ${CMAKE_SOURCE_DIR}/tests/redis/redis_test_util.c LIBS fa_state Threads::Threads)
