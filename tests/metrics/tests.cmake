# metrics/: the registry's text format (a strict checker here, and Debian's
# python3-prometheus-client parser), atomics under threads, histograms; the
# HTTP endpoint over real loopback with libcurl.
feedarc_test(test_metrics
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_metrics.c ${CMAKE_CURRENT_LIST_DIR}/prom_check.c
             LIBS fa_metrics m)
feedarc_test(test_metrics_http
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_metrics_http.c
                     ${CMAKE_CURRENT_LIST_DIR}/prom_check.c
             LIBS fa_metrics PkgConfig::CURL m)
