# cli: the feedarc executable end to end - demo, once, exit codes, and the
# demo's archive read by warcio.js (skipped, exit 77, without node/npm).
if(TARGET feedarc)
  add_test(NAME test_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_BINARY_DIR}/npm ${CMAKE_SOURCE_DIR}/tests/storage/warcio_check.cjs)
  set_tests_properties(test_cli PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
# (issue 11) two writers on one archive folder: the second exits 73 with the
# holder's pid; reading commands meanwhile.
if(TARGET feedarc)
  add_test(NAME test_archive_lock
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_archive_lock.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_archive_lock PROPERTIES TIMEOUT 120)
endif()
# (issue 11) redacted request headers, archive file modes
if(TARGET feedarc)
  add_test(NAME test_archive_privacy
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_archive_privacy.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_archive_privacy PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
# (issue 11) dictionary segments read with the zstd CLI exactly as README.md says
if(TARGET feedarc)
  add_test(NAME test_zstd_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_zstd_cli.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_zstd_cli PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
# (issue 11) status readability, the progress line, demo counts
if(TARGET feedarc)
  add_test(NAME test_status_demo
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_status_demo.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_status_demo PROPERTIES TIMEOUT 180)
endif()
# start-up failures (error alone, exit 73/75/78) and reload warnings
if(TARGET feedarc)
  add_test(NAME test_startup COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_startup.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_startup PROPERTIES TIMEOUT 120 RUN_SERIAL ON)
endif()
# once --quiet / --verbose / --json: failing sources always logged, a line per fetch, JSON summary
if(TARGET feedarc)
  add_test(NAME test_once_output COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_once_output.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_once_output PROPERTIES TIMEOUT 120)
endif()
# (issue 13) extract --batch: NUL-ended records, the same text as one file at a time
if(TARGET feedarc)
  add_test(NAME test_extract_batch
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_extract_batch.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_extract_batch PROPERTIES TIMEOUT 60)
endif()
# (issue 13) tools/bench's extraction scorers on tiny sets in the public sets' layouts
if(TARGET feedarc)
  add_test(NAME test_extract_scorers
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_extract_scorers.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_extract_scorers PROPERTIES TIMEOUT 60)
endif()
# (issue 15) two cluster nodes, one Redis dedup index (B's finding names A's
# record), and ls/verify/index/get/text/dedup-report over both folders
if(TARGET feedarc)
  add_test(NAME test_cluster_archives
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cluster_archives.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_cluster_archives PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
endif()
