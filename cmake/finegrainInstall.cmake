# Installs finegrain as a relocatable CMake package and a pkg-config file:
#
#   <prefix>/include/finegrain/...                       headers (+ kernel_families.inc)
#   <prefix>/share/cmake/finegrain/finegrainConfig.cmake  + ConfigVersion, Targets, Dependencies,
#                                                           Dispatch and templates/dispatch_arch.cpp.in
#   <prefix>/share/pkgconfig/finegrain.pc
#
# Header-only, so everything goes to the architecture-independent data dir. The Dispatch module
# and its template travel with the config: find_package(finegrain) consumers get
# finegrain_target_dispatch(). Included by the top-level CMakeLists.txt when FINEGRAIN_INSTALL is ON.
include_guard(GLOBAL)

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The vcpkg port's CONFIG_PATH and the conan recipe's build module path name the same dir
# (checked by the `packaging.lint` test).
set(FINEGRAIN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/finegrain")
set(FINEGRAIN_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig")

set(_finegrain_root "${CMAKE_CURRENT_LIST_DIR}/..")

install(DIRECTORY "${_finegrain_root}/include/finegrain"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.inc")

# INCLUDES DESTINATION puts <prefix>/include on the exported target: the target's own
# $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}> is written before GNUInstallDirs is included,
# so it expands to nothing.
install(TARGETS finegrain EXPORT finegrainTargets INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT finegrainTargets
        NAMESPACE finegrain::
        DESTINATION "${FINEGRAIN_INSTALL_CMAKEDIR}")

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/finegrainConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/finegrainConfig.cmake"
                              INSTALL_DESTINATION "${FINEGRAIN_INSTALL_CMAKEDIR}")
# 0.x: a minor release may break the API, so only the same major.minor satisfies a request.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/finegrainConfigVersion.cmake"
                                 VERSION "${PROJECT_VERSION}"
                                 COMPATIBILITY SameMinorVersion
                                 ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/finegrainConfig.cmake"
              "${PROJECT_BINARY_DIR}/finegrainConfigVersion.cmake"
              "${CMAKE_CURRENT_LIST_DIR}/finegrainDependencies.cmake"
              "${CMAKE_CURRENT_LIST_DIR}/finegrainDispatch.cmake"
        DESTINATION "${FINEGRAIN_INSTALL_CMAKEDIR}")
# finegrainDispatch.cmake finds its template relative to itself: keep the same layout.
install(FILES "${CMAKE_CURRENT_LIST_DIR}/templates/dispatch_arch.cpp.in"
        DESTINATION "${FINEGRAIN_INSTALL_CMAKEDIR}/templates")

# pkg-config: relocatable (prefix from the .pc file's own location), so it survives DESTDIR,
# CPack and vcpkg relocation (prefix=${pcfiledir}/../.. for share/pkgconfig).
file(RELATIVE_PATH _finegrain_pc_to_prefix "/prefix/${FINEGRAIN_INSTALL_PKGCONFIGDIR}" "/prefix")
string(REGEX REPLACE "/$" "" _finegrain_pc_to_prefix "${_finegrain_pc_to_prefix}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(_finegrain_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(_finegrain_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/templates/finegrain.pc.in" "${PROJECT_BINARY_DIR}/finegrain.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/finegrain.pc" DESTINATION "${FINEGRAIN_INSTALL_PKGCONFIGDIR}")

unset(_finegrain_root)
unset(_finegrain_pc_to_prefix)
unset(_finegrain_pc_includedir)
