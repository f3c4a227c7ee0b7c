#!/usr/bin/env bash
# Measure the runtime core's footprint: build runtime/tools/size_test.cpp
# (load and execute a kernel-free .pte from a buffer; core only, no kernels,
# no backends, no thread pool) in build/size with -Os, LTO, function/data
# sections, --gc-sections, no PLT, no unwind tables, one R+X load segment
# (-z noseparate-code: no page padding between code and read-only data) and
# no RELRO (its page alignment of the writable segment pads the file by up to
# 4 KiB), strip it (and its .comment), run it once, print its size.
# (docs/runtime.md lists the size under other settings.)
#
#   scripts/size.sh [limit]     exits non-zero if the stripped size exceeds
#                               `limit` bytes (default 32768, Ember's budget)
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${1:-32768}
BUILD=build/size
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_PYTHON=OFF -DEMBER_BUILD_TESTS=OFF \
  -DEMBER_USE_PTHREADPOOL=OFF -DEMBER_BUILD_XNNPACK=OFF \
  -DCMAKE_CXX_FLAGS="-flto -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
-fno-unwind-tables -fno-threadsafe-statics -fno-plt -fmerge-all-constants" \
  -DCMAKE_EXE_LINKER_FLAGS="-flto -Wl,--gc-sections -Wl,--as-needed -Wl,-z,noseparate-code \
-Wl,-z,norelro -Wl,--build-id=none -Wl,--no-eh-frame-hdr" \
  >/dev/null
cmake --build "$BUILD" --target ember_size_test >/dev/null
strip --strip-all -R .comment -o "$BUILD/ember_size_test.stripped" "$BUILD/runtime/ember_size_test"
"$BUILD/ember_size_test.stripped" tests/runtime/data/ember_no_kernels.pte >/dev/null
bytes=$(stat -c %s "$BUILD/ember_size_test.stripped")
size "$BUILD/ember_size_test.stripped"
echo "ember_size_test: $bytes bytes (stripped; -Os, LTO, gc-sections, no PLT/RELRO; $(c++ --version | head -1))"
if [ "$bytes" -gt "$LIMIT" ]; then
  echo "size: over the limit of $LIMIT bytes" >&2
  exit 1
fi
