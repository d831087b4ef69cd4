# finegrain_target_dispatch(<target> [PUBLIC] [ARCHS <arch>...])
#
# The runtime tier. For each arch, generates one translation unit that holds nothing but
# explicit instantiations of every finegrain kernel family for that arch, compiled with that
# arch's flags, adds it to <target>, and defines FINEGRAIN_DISPATCH_HAS_<ARCH>=1 on <target>
# so its other TUs (built with baseline flags) declare those kernels `extern` and plans pick
# the best one the CPU supports at run time. Archs of another processor family are skipped.
#
#   arch     flags                                                       processor
#   sse4_2   -msse4.2 -mpopcnt                                           x86_64
#   avx2     -mavx2 -mfma -mf16c -mbmi -mbmi2 -mpopcnt                   x86_64
#   avx512   avx2 flags + -mavx512f -mavx512cd -mavx512bw -mavx512dq -mavx512vl   x86_64
#   neon64   (baseline)                                                  aarch64
#
# ARCHS defaults to every arch of the target processor. All TUs that create finegrain plans
# must be compiled with the target's definitions: they are PRIVATE to <target>, or, with
# PUBLIC, also passed to everything linking <target> (so several executables can share one
# static library holding the instantiations instead of compiling them each).
include_guard(GLOBAL)

function(_finegrain_arch_flags arch out_var)
  set(_avx2 -mavx2 -mfma -mf16c -mbmi -mbmi2 -mpopcnt)
  if(arch STREQUAL "sse4_2")
    set(${out_var} -msse4.2 -mpopcnt PARENT_SCOPE)
  elseif(arch STREQUAL "avx2")
    set(${out_var} ${_avx2} PARENT_SCOPE)
  elseif(arch STREQUAL "avx512")
    # GCC 12's own avx512fintrin.h trips -Wmaybe-uninitialized (a known false positive).
    set(${out_var} ${_avx2} -mavx512f -mavx512cd -mavx512bw -mavx512dq -mavx512vl
        $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized> PARENT_SCOPE)
  else()
    set(${out_var} "" PARENT_SCOPE)
  endif()
endfunction()

function(finegrain_target_dispatch target)
  cmake_parse_arguments(PARSE_ARGV 1 FG "PUBLIC" "" "ARCHS")
  set(_scope PRIVATE)
  if(FG_PUBLIC)
    set(_scope PUBLIC)
  endif()
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(_family sse4_2 avx2 avx512)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    set(_family neon64)
  else()
    set(_family "")
  endif()
  if(NOT FG_ARCHS)
    set(FG_ARCHS ${_family})
  endif()
  foreach(arch IN LISTS FG_ARCHS)
    if(NOT arch MATCHES "^(sse4_2|avx2|avx512|neon64)$")
      message(FATAL_ERROR "finegrain_target_dispatch: unknown arch '${arch}' (sse4_2, avx2, avx512, neon64)")
    endif()
    if(NOT arch IN_LIST _family)
      continue()
    endif()
    set(FINEGRAIN_DISPATCH_ARCH ${arch})
    set(_src "${CMAKE_CURRENT_BINARY_DIR}/finegrain_dispatch/${target}_${arch}.cpp")
    # Relative to this file (source tree or installed package), whichever directory calls us.
    configure_file("${CMAKE_CURRENT_FUNCTION_LIST_DIR}/templates/dispatch_arch.cpp.in" "${_src}" @ONLY)
    _finegrain_arch_flags(${arch} _flags)
    set_source_files_properties("${_src}" PROPERTIES COMPILE_OPTIONS "${_flags}")
    target_sources(${target} PRIVATE "${_src}")
    string(TOUPPER ${arch} _ARCH)
    target_compile_definitions(${target} ${_scope} FINEGRAIN_DISPATCH_HAS_${_ARCH}=1)
  endforeach()
endfunction()
