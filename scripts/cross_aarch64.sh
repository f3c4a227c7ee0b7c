#!/usr/bin/env bash
# Cross-build the runtime for aarch64 (Debian's g++-aarch64-linux-gnu) in
# build/aarch64 and run its tests under qemu-user-static: the runtime gtests,
# the kernel gtests (so the NEON code paths are correctness-tested on x86
# machines), the strictness fuzz tests and the ember_run tests. Prints ctest's
# summary; exits non-zero if a tool is missing, the build fails or a test fails.
#
#   scripts/cross_aarch64.sh             configure (once), build, test
#   EMBER_CROSS_JOBS=4 scripts/cross_aarch64.sh
#
# Runtime only (EMBER_BUILD_COMPILER=OFF): the compiler needs MLIR and torch,
# which exist here for the host only. Built without pthreadpool and XNNPACK
# (Debian has no arm64 builds of them installed here), so the runtime runs on
# one thread: threads are not exercised on ARM. qemu says nothing about speed.
# GoogleTest is built from Debian's sources (/usr/src/googletest) with the
# cross compiler. See docs/arm.md.
#
# Nothing is excluded: every test of the runtime-only build runs (391 on
# 2026-12-06, 30-40 s under qemu on two cores). To leave a test out, add it to EXCLUDE below
# with the reason it cannot run under qemu.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=build/aarch64
JOBS=${EMBER_CROSS_JOBS:-$(nproc)}
TRIPLE=aarch64-linux-gnu
GTEST_SRC=/usr/src/googletest
EXCLUDE=""

# 1. The tools. A missing one is an error, not a skip: scripts/setup.sh
#    installs them (g++-aarch64-linux-gnu, qemu-user-static, libgtest-dev).
missing=()
command -v "$TRIPLE-g++" >/dev/null || missing+=("$TRIPLE-g++ (Debian: g++-aarch64-linux-gnu)")
command -v qemu-aarch64-static >/dev/null || missing+=("qemu-aarch64-static (Debian: qemu-user-static)")
[ -f "$GTEST_SRC/googletest/CMakeLists.txt" ] || missing+=("$GTEST_SRC (Debian: libgtest-dev)")
if ((${#missing[@]})); then
  printf 'cross_aarch64: missing %s\n' "${missing[@]}"
  echo "cross_aarch64: run scripts/setup.sh to install them"
  exit 1
fi

# 2. Configure once. The toolchain file keeps the host's x86-64 headers and
#    libraries out (pthreadpool, XNNPACK, gtest); the FlatBuffers headers are
#    architecture-independent, so they are the host's, with the host's flatc.
if [ ! -f "$BUILD/build.ninja" ]; then
  mkdir -p "$BUILD"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/$TRIPLE.cmake" \
    -DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_PYTHON=OFF -DEMBER_BUILD_TESTS=ON \
    -DEMBER_USE_PTHREADPOOL=OFF -DEMBER_BUILD_XNNPACK=OFF \
    -DFLATBUFFERS_INCLUDE_DIR=/usr/include -DEMBER_GTEST_SOURCE_DIR="$GTEST_SRC" \
    >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; echo "cross_aarch64: configure failed"; exit 1; }
fi

# 3. Build everything of the runtime-only build: the libraries, ember_run,
#    ember_size_test and the gtests (listing their tests already runs them under qemu).
if ! out=$(cmake --build "$BUILD" -j"$JOBS" 2>&1); then
  echo "$out" | grep -E "error|FAILED" | head -n 40
  echo "cross_aarch64: build failed"
  exit 1
fi
# The binaries must really be aarch64 ones (ELF e_machine 183, EM_AARCH64),
# not a host build in the wrong folder that would pass without qemu.
if [ "$(od -An -tu2 -j18 -N2 "$BUILD/runtime/ember_run" 2>/dev/null | tr -d ' ')" != 183 ]; then
  echo "cross_aarch64: $BUILD/runtime/ember_run is not an aarch64 executable"
  exit 1
fi

# 4. Run the tests; ctest runs each through qemu-aarch64-static (the
#    toolchain's CMAKE_CROSSCOMPILING_EMULATOR).
args=(--test-dir "$BUILD" --output-on-failure -j"$JOBS")
[ -n "$EXCLUDE" ] && args+=(-E "$EXCLUDE")
out=$(ctest "${args[@]}" 2>&1); rc=$?
echo "$out" | grep -E "^\s*[0-9]+/[0-9]+ Test .*(Failed|Exception|Timeout|Not Run)" | head -n 40
echo "$out" | sed -n '/tests passed/,$p'
exit $rc
