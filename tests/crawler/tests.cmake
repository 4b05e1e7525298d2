feedarc_test(test_crawl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common PkgConfig::ZLIB PkgConfig::BROTLIENC PkgConfig::ZSTD TIMEOUT 180)
# 2,000 short feeds on 20 hosts: the heap a feed waiting for the intake holds
feedarc_test(test_crawl_intake_memory SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl_intake_memory.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common TIMEOUT 180)
feedarc_test(test_host_queue SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_host_queue.c
             LIBS fa_crawler fa_common)
# kill -9 at random moments of real crawls, then a full run: every page
# archived exactly once, every segment whole (20 kills).
if(TARGET feedarc)
  add_test(NAME test_kill9 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_kill9.sh
           $<TARGET_FILE:feedarc> 20)
  # label "crash" (kills processes); it runs in both builds.  Under ASan it
  # once saw pages archived twice: a kill during start-up reconciliation,
  # after a recovered segment's rename and before the state commit (fixed
  # in archive_reconcile.c; test_reconcile reproduces the files it left).
  set_tests_properties(test_kill9 PROPERTIES TIMEOUT 300 LABELS crash)
endif()
feedarc_test(test_sources SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sources.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common TIMEOUT 120)
# feedarc serve: repeated polls, /metrics, /healthz, SIGHUP, SIGTERM
if(TARGET feedarc)
  add_test(NAME test_serve COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_serve.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_serve PROPERTIES TIMEOUT 240 RUN_SERIAL ON)
endif()
# dedup findings of a real crawl, scored against the sample sites' ground truth
if(TARGET feedarc)
  feedarc_test(test_dedup_crawl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_crawl.c
               ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
               LIBS fa_crawler fa_demo fa_config fa_common PkgConfig::YAJL PkgConfig::CURL TIMEOUT 120)
endif()
# feed item links of 4,200 and 9,000 bytes: archived, or that URL's failure
feedarc_test(test_long_urls SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_long_urls.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common TIMEOUT 60)
# serve: a page two sources list (their polls overlapping) fetched once
feedarc_test(test_serve_sources SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_serve_sources.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common TIMEOUT 120)
# Crawl-delay spaces robots.txt and the request after it too (two hosts)
feedarc_test(test_crawl_delay SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl_delay.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common TIMEOUT 60)
# archive_reconcile after kills at its worst moments (the kill -9 duplicates)
feedarc_test(test_reconcile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reconcile.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_storage fa_state fa_config fa_common TIMEOUT 60)
feedarc_test(test_content_decoder SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_content_decoder.c
             LIBS fa_crawler fa_common PkgConfig::ZLIB PkgConfig::BROTLIENC PkgConfig::ZSTD TIMEOUT 60)
# crawls beside misbehaving servers (issue 12)
feedarc_test(test_crawl_hostile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl_hostile.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common TIMEOUT 180)
feedarc_test(test_crawl_hostile_server SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl_hostile_server.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common PkgConfig::ZLIB TIMEOUT 180)
# stop signals at the worst moments: past the grace period, mid-transfer,
# at random moments of a busy crawl (once and serve)
if(TARGET feedarc)
  add_test(NAME test_signals COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_signals.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_signals PROPERTIES TIMEOUT 400 RUN_SERIAL ON)
endif()
# 24 SIGHUPs during a busy serve: /healthz 200, RSS and fds flat
if(TARGET feedarc)
  add_test(NAME test_reload COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_reload.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_reload PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
# network failures (refused, DNS, reset, timeout) named as such, never a
# robots decision; a host down at the first poll is fetched once it is up
if(TARGET feedarc)
  # a serve gives back what a run freed (malloc thresholds, see cmd_serve.c)
  add_test(NAME test_serve_memory COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_serve_memory.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_serve_memory PROPERTIES TIMEOUT 180 RUN_SERIAL ON SKIP_RETURN_CODE 77)
endif()
if(TARGET feedarc)
  add_test(NAME test_outages COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_outages.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_outages PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
# once defers a host backing off past the run's end; --max-duration
if(TARGET feedarc)
  add_test(NAME test_deferred COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_deferred.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_deferred PROPERTIES TIMEOUT 240 RUN_SERIAL ON)
endif()
feedarc_test(test_robots_gate SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_robots_gate.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_robots fa_state fa_config fa_common)
# the state writer on a real SQLite state and segment: order, worker thread, errors
feedarc_test(test_state_batch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_state_batch.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             LIBS fa_crawler fa_storage fa_state fa_config fa_common TIMEOUT 60)

# Every metric docs/OPERATIONS.md lists moves when its event happens (one
# serve over a loopback origin staged for each event; the list is read from
# the doc).
if(TARGET feedarc)
  add_test(NAME test_metrics_events
           COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_metrics_events.py $<TARGET_FILE:feedarc>
                   ${CMAKE_SOURCE_DIR}/docs/OPERATIONS.md)
  set_tests_properties(test_metrics_events PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
# unit tests of modules that only whole crawls covered (issue 10 item 8)
feedarc_test(test_url SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_url.c
             LIBS fa_crawler fa_storage fa_common TIMEOUT 30)
feedarc_test(test_fetcher SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fetcher.c
             LIBS fa_crawler fa_common PkgConfig::ZLIB Threads::Threads TIMEOUT 90)
# a page or feed item whose records cannot be written stays out of the dedup index
feedarc_test(test_crawl_archive SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl_archive.c
             ${CMAKE_CURRENT_LIST_DIR}/crawl_test_util.c
             ${CMAKE_SOURCE_DIR}/tests/state/state_test_util.c
             LIBS fa_crawler fa_storage fa_state fa_config fa_common TIMEOUT 60)
