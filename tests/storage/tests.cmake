feedarc_test(test_storage SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_storage.c LIBS fa_storage
             TIMEOUT 180 LABELS storage)
