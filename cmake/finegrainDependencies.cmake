# Finds xsimd (>= 8.1) for the build and for installed-package consumers alike.
# Debian 12's xsimd 8.1 config links a bare `xtl` it never provides (`ld: cannot find -lxtl`):
# when that is the case, use the real xtl if installed, else an empty stand-in target.
include_guard(GLOBAL)

if(NOT TARGET xsimd)
  find_package(xsimd 8.1 REQUIRED CONFIG)
endif()

get_target_property(_finegrain_xsimd_libs xsimd INTERFACE_LINK_LIBRARIES)
if(_finegrain_xsimd_libs MATCHES "(^|;)xtl(;|$)" AND NOT TARGET xtl)
  find_package(xtl QUIET CONFIG)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED GLOBAL)
  endif()
endif()
unset(_finegrain_xsimd_libs)
