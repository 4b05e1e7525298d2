feedarc_test(test_feeds SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_feeds.c LIBS fa_feeds)
# issue 3: every source kind through crawler/feeds/source_parser, OPML expansion
feedarc_test(test_feeds_sources SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sources.c
             LIBS fa_crawler fa_feeds fa_config PkgConfig::ZLIB)
# `feedarc feed` and `feedarc import-opml` end to end
if(TARGET feedarc)
  add_test(NAME test_feed_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_feed_cli.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_CURRENT_LIST_DIR}/data)
  set_tests_properties(test_feed_cli PROPERTIES TIMEOUT 120)
endif()
# Conformance with Debian's python3-feedparser (deploy/debian-packages.txt):
# /usr/bin/python3 on purpose - a pyenv python3 earlier on PATH lacks it.
# Fails (never skips) when feedparser is missing.
if(TARGET feedarc)
  add_test(NAME test_feed_conformance
           COMMAND sh -c "test -x /usr/bin/python3 || { echo 'FAIL: /usr/bin/python3 is missing: apt-get install python3-feedparser (tools/scripts/setup.sh)'; exit 1; }; exec /usr/bin/python3 \"$0\" \"$@\""
                   ${CMAKE_CURRENT_LIST_DIR}/feedparser_conformance.py $<TARGET_FILE:feedarc>
                   ${CMAKE_CURRENT_LIST_DIR}/data)
  set_tests_properties(test_feed_conformance PROPERTIES TIMEOUT 120)
endif()
# hostile bodies: NUL and bad UTF-8 in JSON, memory, limits (issue 12)
feedarc_test(test_feeds_hostile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_feeds_hostile.c
             LIBS fa_feeds fa_common TIMEOUT 120)
