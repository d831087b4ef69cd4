# vcpkg port for finegrain (header-only).
#
# From this checkout, as an overlay port:
#   vcpkg install finegrain --overlay-ports=<checkout>/cmake/packaging/vcpkg/ports
# builds the checkout the port sits in (vcpkg's binary cache hashes only the port files:
# pass --no-binarycaching after changing the sources). Copied elsewhere (a registry,
# microsoft/vcpkg), the port fetches the release tag: set SHA512 to the hash vcpkg reports.
set(_finegrain_checkout "${CMAKE_CURRENT_LIST_DIR}/../../../../..")
if(EXISTS "${_finegrain_checkout}/include/finegrain/version.hpp" AND EXISTS "${_finegrain_checkout}/CMakeLists.txt")
    get_filename_component(SOURCE_PATH "${_finegrain_checkout}" ABSOLUTE)
else()
    vcpkg_from_github(
        OUT_SOURCE_PATH SOURCE_PATH
        REPO finegrain/finegrain
        REF "v${VERSION}"
        SHA512 0
        HEAD_REF main
    )
endif()

# Headers only: one (release) configuration is enough.
set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DFINEGRAIN_INSTALL=ON
        -DFINEGRAIN_BUILD_TESTS=OFF
        -DFINEGRAIN_BUILD_BENCHMARKS=OFF
        -DFINEGRAIN_BUILD_EXAMPLES=OFF
)
vcpkg_cmake_install()
# finegrain installs its package (config, dispatch helper, templates/) here; must match
# FINEGRAIN_INSTALL_CMAKEDIR in cmake/finegrainInstall.cmake (ctest -R packaging.lint checks it).
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/finegrain)
vcpkg_fixup_pkgconfig()

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
