# feedarc_require(VAR pkgconfig-name debian-package)
# Finds a dependency with pkg-config and creates the imported target
# PkgConfig::VAR; when missing, stops with the Debian package to install.
function(feedarc_require var module debpkg)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR
      "feedarc needs ${module}, which was not found.\n"
      "On Debian: apt-get install ${debpkg}")
  endif()
endfunction()
