# issue 17: encodings decided as browsers do (common/fa_charset), on the
# project's own texts in nine legacy encodings.
add_library(charset_texts STATIC ${CMAKE_CURRENT_LIST_DIR}/charset_texts.c)
target_include_directories(charset_texts PUBLIC ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(charset_texts PUBLIC fa_common)
feedarc_test(test_charset SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_charset.c LIBS charset_texts)
feedarc_test(test_charset_parsers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_charset_parsers.c
             LIBS charset_texts fa_feeds fa_dedup)
if(TARGET feedarc)
  feedarc_test(test_charset_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_charset_cli.c
               LIBS charset_texts)
endif()
# an EUC-KR page and its UTF-8 copy found as near-duplicates in a real crawl
if(TARGET feedarc)
  feedarc_test(test_charset_crawl SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_charset_crawl.c
               ${CMAKE_SOURCE_DIR}/tests/crawler/crawl_test_util.c
               LIBS charset_texts fa_crawler fa_demo fa_storage fa_config fa_common
                    PkgConfig::YAJL PkgConfig::CURL TIMEOUT 120)
endif()
