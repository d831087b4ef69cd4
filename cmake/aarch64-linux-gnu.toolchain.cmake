# Cross build for AArch64 Linux with Debian's g++-aarch64-linux-gnu; run with qemu-user:
#   cmake --workflow --preset aarch64
# (apt-get install g++-aarch64-linux-gnu qemu-user). Tests run through qemu-aarch64 via
# CMAKE_CROSSCOMPILING_EMULATOR, about 80x slower than native: keep those runs small.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # build tools come from the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)   # never link an x86 library
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)   # header-only deps (xsimd, doctest) live in /usr/include
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)   # ONLY: "Could not find ... doctestConfig.cmake"

# Debian's xsimd config sits in the x86-64 multiarch dir, which a search for aarch64 skips; it
# is header-only, so the x86 package serves both.
if(NOT DEFINED xsimd_DIR AND EXISTS /usr/lib/x86_64-linux-gnu/cmake/xsimd/xsimdConfig.cmake)
  set(xsimd_DIR /usr/lib/x86_64-linux-gnu/cmake/xsimd CACHE PATH "xsimd CMake package (header-only)")
endif()

# No binfmt_misc on the CI machines: run target binaries (tests, doctest discovery) explicitly.
find_program(FINEGRAIN_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(FINEGRAIN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${FINEGRAIN_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu" CACHE STRING
      "Runs aarch64 binaries on the build host")
endif()
