feedarc_test(test_common SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_common.c LIBS fa_common)
# common/fa_fs (write_all, pwrite_all, directory listing) and fa_url.
feedarc_test(test_fa_fs SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fa_fs.c LIBS fa_common)
feedarc_test(test_hashset SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hashset.c LIBS fa_common TIMEOUT 60)
# the table of source kinds config, parser and crawler read
feedarc_test(test_source_kind SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_source_kind.c LIBS fa_common)
# common/fa_workpool: worker threads for a libuv loop (real threads, a real loop)
feedarc_test(test_workpool SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_workpool.c LIBS fa_workpool TIMEOUT 60)
