# dedup_report: `feedarc dedup-report` and `feedarc text` through the real
# binary, on archives the test writes in the crawler's record format.
if(TARGET feedarc)
  feedarc_test(test_dedup_report SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dedup_report.c
               LIBS fa_storage PkgConfig::YAJL m TIMEOUT 120 LABELS "dedup;cli")
  add_dependencies(test_dedup_report feedarc)
  set_tests_properties(test_dedup_report PROPERTIES SKIP_RETURN_CODE 77)
endif()
