#!/usr/bin/env bash
# Fuzz the loader and executor with libFuzzer for a time budget:
#
#   scripts/fuzz.sh [seconds]      (default 60)
#
# Builds runtime/fuzz/pte_fuzzer.cpp with clang, ASan and UBSan in build/fuzz
# (runtime only), seeds the corpus with the .pte files of tests/runtime/data
# and runs. The corpus grows in build/fuzz/corpus (kept between runs); a crash,
# sanitizer report, leak or timeout writes its input to build/fuzz/artifacts/
# and makes the script fail. Reproduce one with
#   build/fuzz/runtime/ember_pte_fuzzer build/fuzz/artifacts/crash-...
# Needs clang and libFuzzer: apt-get install clang-19 libclang-rt-19-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-60}
BUILD=build/fuzz
CXX_BIN=${CLANGXX:-$(command -v clang++-19 || command -v clang++ || true)}
C_BIN=${CLANG:-$(command -v clang-19 || command -v clang || true)}
if [ -z "$CXX_BIN" ] || [ -z "$C_BIN" ]; then
  echo "fuzz: clang not found (apt-get install clang-19 libclang-rt-19-dev)" >&2
  exit 1
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$C_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
    -DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_PYTHON=OFF -DEMBER_BUILD_TESTS=OFF \
    -DEMBER_SANITIZE=ON -DEMBER_BUILD_FUZZER=ON >/dev/null
fi
cmake --build "$BUILD" --target ember_pte_fuzzer >/dev/null

mkdir -p "$BUILD/corpus" "$BUILD/seeds" "$BUILD/artifacts"
cp tests/runtime/data/*.pte tests/runtime/data/fuzz_findings/*.pte "$BUILD/seeds/"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
"$BUILD/runtime/ember_pte_fuzzer" "$BUILD/corpus" "$BUILD/seeds" \
  -dict=runtime/fuzz/pte.dict -max_total_time="$BUDGET" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -artifact_prefix="$BUILD/artifacts/" -print_final_stats=1
