# deploy/: the systemd units pass `systemd-analyze verify` (offline, against
# the feedarc just built) and keep their hardening; sd_notify over a real
# AF_UNIX datagram socket set as NOTIFY_SOCKET.
if(TARGET feedarc)
  add_test(NAME test_units
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_units.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_units PROPERTIES TIMEOUT 120)
endif()
feedarc_test(test_sdnotify SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdnotify.c LIBS fa_common)
if(TARGET feedarc)
  add_test(NAME test_ops_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_ops_cli.sh $<TARGET_FILE:feedarc>)
  set_tests_properties(test_ops_cli PROPERTIES TIMEOUT 120)
endif()
# (issue 15) deploy/compose.yaml: Redis + three nodes sharing deploy/cluster.yaml
if(TARGET feedarc)
  add_test(NAME test_compose
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_compose.sh $<TARGET_FILE:feedarc>
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_compose PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
