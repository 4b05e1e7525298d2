feedarc_test(test_feeds SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_feeds.c LIBS fa_feeds)
