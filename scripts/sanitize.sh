#!/usr/bin/env bash
# Build the runtime alone (no MLIR, no Python) with AddressSanitizer and
# UndefinedBehaviorSanitizer in build/asan, then run every runtime test
# (runtime gtests, kernel gtests, the strictness fuzz test, ember_run) with
# the sanitizers set to stop at the first error. Prints ctest's summary;
# exits non-zero if the build or any test fails.
#
#   scripts/sanitize.sh            configure (once), build, test
#   EMBER_SANITIZE_JOBS=4 scripts/sanitize.sh
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=build/asan
JOBS=${EMBER_SANITIZE_JOBS:-$(nproc)}

# -O0 with line tables: a cold build must stay within a few minutes on two
# cores (optimised sanitizer builds take 3x longer); the tests run fast anyway.
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
    -DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_PYTHON=OFF -DEMBER_SANITIZE=ON \
    >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; echo "sanitize: configure failed"; exit 1; }
fi
if ! out=$(cmake --build "$BUILD" -j"$JOBS" 2>&1); then
  echo "$out" | grep -E "error|FAILED" | head -n 40
  echo "sanitize: build failed"
  exit 1
fi

# Any report stops the process with a non-zero status: the test fails.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
out=$(ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" 2>&1); rc=$?
echo "$out" | grep -E "^\s*[0-9]+/[0-9]+ Test .*(Failed|Exception|Timeout|Not Run)" | head -n 40
echo "$out" | sed -n '/tests passed/,$p'
if [ $rc -ne 0 ]; then
  echo "$out" | grep -E "ERROR: AddressSanitizer|runtime error:|SUMMARY:" | head -n 20
fi
exit $rc
