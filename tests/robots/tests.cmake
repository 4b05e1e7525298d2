# robots: the robots.txt parser and matcher against the RFC 9309 reference
# cases (shared/conformance/robots/ beside the repository: a missing folder
# fails the test) and our own cases; `feedarc robots` end to end.
feedarc_test(test_robots SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_robots.c
             LIBS fa_robots PkgConfig::YAJL)
# Allocation failure injection: the test wraps malloc/calloc/realloc.
target_link_options(test_robots PRIVATE -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc)
if(TARGET feedarc)
  add_test(NAME test_robots_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_robots_cli.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_CURRENT_LIST_DIR}/data/robots.txt)
  set_tests_properties(test_robots_cli PROPERTIES TIMEOUT 60)
endif()
