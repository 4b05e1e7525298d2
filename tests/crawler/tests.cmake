feedarc_test(test_crawl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crawl.c
             LIBS fa_crawler fa_demo fa_storage fa_feeds fa_config fa_common PkgConfig::ZLIB TIMEOUT 180)
feedarc_test(test_host_queue SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_host_queue.c
             LIBS fa_crawler fa_common)
