# Cross-compiling the runtime for 64-bit ARM Linux with Debian's
# g++-aarch64-linux-gnu; tests run under qemu-user-static (qemu-aarch64-static).
# Used by scripts/cross_aarch64.sh (see docs/arm.md):
#
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DEMBER_BUILD_COMPILER=OFF -DEMBER_GTEST_SOURCE_DIR=/usr/src/googletest
#
# Only the runtime cross-builds: the compiler needs MLIR, LLVM and torch, which
# exist here for the host only.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EMBER_AARCH64_TRIPLE aarch64-linux-gnu)
set(EMBER_AARCH64_SYSROOT /usr/${EMBER_AARCH64_TRIPLE})
set(CMAKE_C_COMPILER ${EMBER_AARCH64_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${EMBER_AARCH64_TRIPLE}-g++)

# Headers and libraries come only from the aarch64 tree: the host's
# /usr/include and /usr/lib hold x86-64 builds of pthreadpool, XNNPACK and
# gtest, which must not be picked up (the runtime then builds without them).
# Programs (flatc) are the host's. The architecture-independent FlatBuffers
# headers are passed explicitly (FLATBUFFERS_INCLUDE_DIR, see the script).
set(CMAKE_FIND_ROOT_PATH ${EMBER_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Test binaries (ctest, gtest_discover_tests) run through qemu's user-mode
# emulator, with the aarch64 loader and libraries from the cross toolchain.
find_program(EMBER_QEMU_AARCH64 qemu-aarch64-static qemu-aarch64)
if(EMBER_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${EMBER_QEMU_AARCH64} -L ${EMBER_AARCH64_SYSROOT})
endif()
