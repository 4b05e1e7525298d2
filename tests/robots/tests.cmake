# robots: the robots.txt parser and matcher against our own RFC 9309 cases
# (data/rfc9309_cases.txt) and, in test_robots_conformance, the reference
# cases in shared/conformance/robots/ beside the repository (absent from a
# fresh clone: exit 77, skipped); `feedarc robots` end to end.
feedarc_test(test_robots SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_robots.c
             LIBS fa_robots PkgConfig::YAJL)
add_test(NAME test_robots_conformance COMMAND test_robots conformance)
set_tests_properties(test_robots_conformance PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                     ENVIRONMENT "FEEDARC_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
# Allocation failure injection: the test wraps malloc/calloc/realloc.
target_link_options(test_robots PRIVATE -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc)
if(TARGET feedarc)
  add_test(NAME test_robots_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_robots_cli.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_CURRENT_LIST_DIR}/data/robots.txt)
  set_tests_properties(test_robots_cli PROPERTIES TIMEOUT 60)
endif()
