# storage/: WARC segment writer and reader.
feedarc_test(test_storage SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage.c LIBS fa_storage
             TIMEOUT 180 LABELS storage)

# Interoperability with Webrecorder's warcio.js; exits 77 (SKIP) without
# node/npm/zstd or registry access.  warcio is cached in <build>/npm.
feedarc_test(test_storage_warcio SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage_warcio.c
             LIBS fa_storage TIMEOUT 300 LABELS storage)
target_compile_definitions(test_storage_warcio PRIVATE
  FEEDARC_NPM_DIR="${CMAKE_BINARY_DIR}/npm"
  FEEDARC_WARCIO_CHECK="${CMAKE_CURRENT_LIST_DIR}/warcio_check.cjs"
  FEEDARC_WARCIO_CDXJ="${CMAKE_CURRENT_LIST_DIR}/warcio_cdxj.cjs")
set_tests_properties(test_storage_warcio PROPERTIES SKIP_RETURN_CODE 77)

# Issue 5: record types, dictionaries, CDXJ, recovery at every byte offset.
feedarc_test(test_storage_archive SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage_archive.c
             LIBS fa_storage PkgConfig::ZSTD TIMEOUT 300 LABELS storage)

# Disk full (2 MiB tmpfs, root only: 77 = skipped otherwise) and a read-only
# archive folder (read-only bind mount as root, chmod 0555 otherwise).
feedarc_test(test_storage_diskfull SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage_diskfull.c
             LIBS fa_storage TIMEOUT 120 LABELS storage)
set_tests_properties(test_storage_diskfull PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME test_storage_readonly COMMAND test_storage_diskfull readonly)
set_tests_properties(test_storage_readonly PROPERTIES TIMEOUT 120 LABELS storage
                     SKIP_RETURN_CODE 77)

# feedarc ls/get/verify/index end to end on a crawl written by the demo.
if(TARGET feedarc)
  add_test(NAME cli_storage_archive
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli_archive.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(cli_storage_archive PROPERTIES TIMEOUT 120 LABELS "storage;cli")
endif()

# Hostile frames (an RLE bomb, a frame claiming 1 GiB) through `feedarc ls`
# and `feedarc verify`: reported, read past, memory bounded.
if(TARGET feedarc)
  feedarc_test(test_reader_bombs SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reader_bombs.c
               LIBS PkgConfig::ZSTD TIMEOUT 120 LABELS storage)
endif()

# feedarc get: chunked bodies de-chunked (whole or cut short), broken framing raw.
if(TARGET feedarc)
  feedarc_test(test_get_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_get_cli.c
               LIBS fa_storage TIMEOUT 60 LABELS "storage;cli")
endif()
# records whose header lies about their size (issue 12)
feedarc_test(test_warc_reader_hostile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_warc_reader_hostile.c
             LIBS fa_storage LABELS storage)

# Issue 16: feedarc export - .warc.gz byte for byte, the readers' round
# trip (ls, get, verify, text, dedup-report), selection, WACZ structure.
if(TARGET feedarc)
  add_test(NAME export_archive
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/export_archive.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(export_archive PROPERTIES TIMEOUT 300 LABELS "storage;cli")
endif()

# Issue 16: the export read by warcio.js (npm; 77 = skipped offline): every
# record and digest, and `warcio cdx-index` = feedarc's .cdxj line for line.
if(TARGET feedarc)
  add_test(NAME export_warcio
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/export_warcio.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_BINARY_DIR}/npm-export)
  set_tests_properties(export_warcio PROPERTIES TIMEOUT 600 LABELS "storage;cli"
                       SKIP_RETURN_CODE 77)
endif()

# Issue 16: the WACZ opened by ReplayWeb.page in headless chromium (npm:
# replaywebpage, puppeteer-core; 77 = skipped without chromium or the
# registry); the screenshot stays in <build>/tests/artifacts/replay.png.
if(TARGET feedarc)
  add_test(NAME export_replay
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/export_replay.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_BINARY_DIR}/npm-export ${CMAKE_BINARY_DIR}/tests/artifacts)
  set_tests_properties(export_replay PROPERTIES TIMEOUT 600 LABELS "storage;cli"
                       SKIP_RETURN_CODE 77)
endif()

# The WARC record type table; one payload digest for writer, reader and
# crawler, broken chunk framing included.
feedarc_test(test_warc_format SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_warc_format.c LIBS fa_storage
             TIMEOUT 60 LABELS storage)
