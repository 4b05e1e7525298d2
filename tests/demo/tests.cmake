# demo/: the loopback site server and the bundled sample sites, exercised
# over real HTTP with libcurl.
feedarc_test(test_site_server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_site_server.c ${CMAKE_CURRENT_LIST_DIR}/demo_http.c
  LIBS fa_demo PkgConfig::CURL TIMEOUT 60)
# links the config loader to check that the generated YAML is accepted
feedarc_test(test_sample_sites
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sample_sites.c ${CMAKE_CURRENT_LIST_DIR}/demo_http.c
  LIBS fa_demo fa_config PkgConfig::CURL TIMEOUT 120)
