feedarc_test(test_feeds SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_feeds.c LIBS fa_feeds)
# issue 3: every source kind through feeds/source_parser, OPML expansion
feedarc_test(test_feeds_sources SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sources.c
             LIBS fa_crawler fa_feeds fa_config PkgConfig::ZLIB)
