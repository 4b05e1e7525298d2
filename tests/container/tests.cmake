# container: builds the Dockerfile with podman from a locally debootstrapped
# Debian bookworm (no image registry needed) and runs the image's feedarc
# (--version, demo) in a chroot of the mounted image.  Opt-in: slow (minutes
# cold), needs root, podman and the Debian mirror apt uses.  Exits 77 (skip)
# when podman cannot work on this machine.
option(FEEDARC_CONTAINER_TEST
       "Build the container image in the test suite (slow; needs podman and the Debian mirror)" OFF)
if(FEEDARC_CONTAINER_TEST)
  add_test(NAME test_container
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_container.sh)
  set_tests_properties(test_container PROPERTIES
                       TIMEOUT 1800 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE LABELS container)
endif()
