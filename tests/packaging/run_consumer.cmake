# Driver for the packaging tests: cmake -D<var>=<value>... -P run_consumer.cmake
#
#   MODE=install     BUILD_DIR CONFIG PREFIX CMAKEDIR PKGCONFIGDIR INCLUDEDIR
#                    fresh `cmake --install BUILD_DIR --prefix PREFIX`, then check the layout.
#   MODE=cmake       PROJECT_DIR WORK_DIR GENERATOR CXX_COMPILER BUILD_TYPE FINEGRAIN_SOURCE_DIR [PREFIX CMAKEDIR]
#                    configure PROJECT_DIR from scratch in WORK_DIR, build it (-j2), run `consumer`.
#   MODE=pkg-config  PKG_CONFIG PREFIX PKGCONFIGDIR INCLUDEDIR VERSION CXX_COMPILER MAIN WORK_DIR
#                    compile MAIN with `pkg-config --cflags --libs finegrain`, run it.
# EXPECT (a regex) must match the consumer's output.
cmake_minimum_required(VERSION 3.21)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

function(run_consumer exe)
  run("${exe}")
  message(STATUS "${out}")
  # A capped arch (FINEGRAIN_FORCE_ARCH) may legitimately select another kernel than expected.
  if(EXPECT AND NOT "$ENV{FINEGRAIN_FORCE_ARCH}" STREQUAL "" )
    set(EXPECT "kernel=")
  endif()
  if(EXPECT AND NOT out MATCHES "${EXPECT}")
    message(FATAL_ERROR "output does not match '${EXPECT}'")
  endif()
endfunction()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  set(config_arg "")
  if(CONFIG)
    set(config_arg --config "${CONFIG}")
  endif()
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_arg})
  foreach(f IN ITEMS
      "${INCLUDEDIR}/finegrain/finegrain.hpp"
      "${INCLUDEDIR}/finegrain/kernel_families.inc"
      "${CMAKEDIR}/finegrainConfig.cmake"
      "${CMAKEDIR}/finegrainConfigVersion.cmake"
      "${CMAKEDIR}/finegrainTargets.cmake"
      "${CMAKEDIR}/finegrainDependencies.cmake"
      "${CMAKEDIR}/finegrainDispatch.cmake"
      "${CMAKEDIR}/templates/dispatch_arch.cpp.in"
      "${PKGCONFIGDIR}/finegrain.pc")
    if(NOT EXISTS "${PREFIX}/${f}")
      message(FATAL_ERROR "not installed: ${PREFIX}/${f}")
    endif()
  endforeach()
  # Relocatable: no absolute path of this machine in the installed package files.
  file(GLOB_RECURSE pkg_files "${PREFIX}/${CMAKEDIR}/*.cmake" "${PREFIX}/${PKGCONFIGDIR}/*.pc")
  foreach(f IN LISTS pkg_files)
    file(READ "${f}" text)
    string(FIND "${text}" "${PREFIX}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${f} names the install prefix ${PREFIX}: not relocatable")
    endif()
    string(FIND "${text}" "${FINEGRAIN_SOURCE_DIR}" at)
    if(FINEGRAIN_SOURCE_DIR AND NOT at EQUAL -1)
      message(FATAL_ERROR "${f} names the source dir: not relocatable")
    endif()
  endforeach()
  message(STATUS "installed into ${PREFIX}")

elseif(MODE STREQUAL "cmake")
  file(REMOVE_RECURSE "${WORK_DIR}")
  if(NOT BUILD_TYPE)
    set(BUILD_TYPE Release)
  endif()
  set(args -S "${PROJECT_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}"
      "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
      "-DFINEGRAIN_SOURCE_DIR=${FINEGRAIN_SOURCE_DIR}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
  if(PREFIX)
    list(APPEND args "-DCMAKE_PREFIX_PATH=${PREFIX}")
  endif()
  run("${CMAKE_COMMAND}" ${args})
  if(PREFIX)
    # The package found must be the one just installed, not one elsewhere on the machine.
    file(STRINGS "${WORK_DIR}/CMakeCache.txt" dir_line REGEX "^finegrain_DIR:")
    string(REGEX REPLACE "^[^=]*=" "" found_dir "${dir_line}")
    file(REAL_PATH "${found_dir}" found_dir)
    file(REAL_PATH "${PREFIX}/${CMAKEDIR}" want_dir)
    if(NOT found_dir STREQUAL want_dir)
      message(FATAL_ERROR "found finegrain in '${found_dir}', expected '${want_dir}'")
    endif()
  endif()
  run("${CMAKE_COMMAND}" --build "${WORK_DIR}" --config "${BUILD_TYPE}" --parallel 2)
  set(exe "${WORK_DIR}/consumer")
  if(NOT EXISTS "${exe}")
    set(exe "${WORK_DIR}/${BUILD_TYPE}/consumer")  # multi-config generators
  endif()
  run_consumer("${exe}")

elseif(MODE STREQUAL "pkg-config")
  file(REMOVE_RECURSE "${WORK_DIR}")
  file(MAKE_DIRECTORY "${WORK_DIR}")
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${PKGCONFIGDIR}:$ENV{PKG_CONFIG_PATH}")
  run("${PKG_CONFIG}" --modversion finegrain)
  string(STRIP "${out}" got)
  if(NOT got STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config --modversion finegrain: '${got}', expected '${VERSION}'")
  endif()
  run("${PKG_CONFIG}" --print-requires finegrain)
  if(NOT out MATCHES "xsimd >= 8\\.1")
    message(FATAL_ERROR "pkg-config --print-requires finegrain: '${out}', expected 'xsimd >= 8.1'")
  endif()
  run("${PKG_CONFIG}" --cflags finegrain)
  string(STRIP "${out}" cflags)
  # ${pcfiledir}-relative: the include dir must resolve into this prefix.
  set(include_ok FALSE)
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  file(REAL_PATH "${PREFIX}/${INCLUDEDIR}" want_inc)
  foreach(flag IN LISTS cflags)
    if(flag MATCHES "^-I(.+)$")
      file(REAL_PATH "${CMAKE_MATCH_1}" inc)
      if(inc STREQUAL want_inc)
        set(include_ok TRUE)
      endif()
    endif()
  endforeach()
  if(NOT include_ok)
    message(FATAL_ERROR "pkg-config --cflags finegrain gives no -I${want_inc}: ${cflags}")
  endif()
  run("${PKG_CONFIG}" --libs finegrain)
  string(STRIP "${out}" libs)
  separate_arguments(libs UNIX_COMMAND "${libs}")
  run("${CXX_COMPILER}" -std=c++17 -O1 ${cflags} "-DFINEGRAIN_CONSUMER=\"pkg-config\"" "${MAIN}"
      -o "${WORK_DIR}/consumer" ${libs})
  run_consumer("${WORK_DIR}/consumer")

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
