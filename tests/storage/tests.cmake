# storage/: WARC segment writer and reader.
feedarc_test(test_storage SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage.c LIBS fa_storage
             TIMEOUT 180 LABELS storage)

# Interoperability with Webrecorder's warcio.js; exits 77 (SKIP) without
# node/npm/zstd or registry access.  warcio is cached in <build>/npm.
feedarc_test(test_storage_warcio SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage_warcio.c
             LIBS fa_storage TIMEOUT 300 LABELS storage)
target_compile_definitions(test_storage_warcio PRIVATE
  FEEDARC_NPM_DIR="${CMAKE_BINARY_DIR}/npm"
  FEEDARC_WARCIO_CHECK="${CMAKE_CURRENT_LIST_DIR}/warcio_check.cjs")
set_tests_properties(test_storage_warcio PROPERTIES SKIP_RETURN_CODE 77)

# Issue 5: record types, dictionaries, CDXJ, recovery at every byte offset.
feedarc_test(test_storage_archive SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage_archive.c
             LIBS fa_storage PkgConfig::ZSTD TIMEOUT 300 LABELS storage)
