feedarc_test(test_common SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_common.c LIBS fa_common)
feedarc_test(test_hashset SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hashset.c LIBS fa_common TIMEOUT 60)
