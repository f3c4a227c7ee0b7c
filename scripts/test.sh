#!/usr/bin/env bash
# Run every test suite against the installed build: lit (compiler passes
# through ember-opt), gtest through ctest (runtime, kernels; again under ASan,
# and cross-built for aarch64 under qemu), pytest (Python API, end to end
# against eager PyTorch). Prints one closing line
# "N passed, N failed" over all suites; exits non-zero if any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}  # as scripts/setup.sh: a clone anywhere hits the cache
BUILD=build/py
VENV=.venv
export PATH="$PWD/$VENV/bin:/usr/lib/llvm-19/bin:$PATH"
passed=0; failed=0; skipped=0; status=0

# lit: "Passed: N" / "Failed: N" lines.
out=$("$VENV/bin/lit" -sv "$BUILD/tests/lit" 2>&1); rc=$?
echo "$out" | tail -n 25
p=$(echo "$out" | sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' | head -1)
f=$(echo "$out" | sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' | head -1)
k=$(echo "$out" | tail -1 | sed -n 's/.* \([0-9]*\) skipped.*/\1/p' | head -1)
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
[ $rc -eq 0 ] && [ -n "$p" ] || status=1

# ctest summaries: "N% tests passed, M tests failed out of T" (or "... passed out of T").
# ctest counts a test that skipped itself as passed: those are counted apart.
count_ctest() {  # $1: ctest output, $2: exit code
  local t f s
  t=$(echo "$1" | sed -n 's/.*tests passed.* out of \([0-9]*\).*/\1/p' | tail -1)
  f=$(echo "$1" | sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' | tail -1)
  s=$(echo "$1" | grep -c '\*\*\*Skipped')
  passed=$((passed + ${t:-0} - ${f:-0} - s)); failed=$((failed + ${f:-0})); skipped=$((skipped + s))
  [ "$2" -eq 0 ] && [ -n "$t" ] || status=1
}

# The suites run one test process per core at once, so each process's runtime
# uses one thread (tests that are about threads set their own counts);
# a pool per process on every core would only make them wait on each other.
export EMBER_NUM_THREADS=1

# gtest (runtime, kernels, fuzz) through ctest.
out=$(ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" 2>&1); rc=$?
echo "$out" | tail -n 15
count_ctest "$out" $rc

# The runtime tests again under AddressSanitizer + UBSan (build/asan).
echo "== runtime under ASan + UBSan (scripts/sanitize.sh)"
out=$(scripts/sanitize.sh 2>&1); rc=$?
echo "$out" | tail -n 12
count_ctest "$out" $rc

# The runtime cross-built for aarch64, its tests under qemu (build/aarch64).
# No ctest summary (a missing cross compiler, a failed build) counts as a failure.
echo "== runtime for aarch64 under qemu (scripts/cross_aarch64.sh)"
out=$(scripts/cross_aarch64.sh 2>&1); rc=$?
echo "$out" | tail -n 12
count_ctest "$out" $rc
echo "$out" | grep -q "tests passed" || failed=$((failed + 1))

# The runtime core's stripped size against Ember's 32 KiB budget (build/size).
echo "== runtime core size (scripts/size.sh)"
out=$(scripts/size.sh 2>&1); rc=$?
echo "$out" | tail -n 3
if [ $rc -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

# pytest last: its summary is the closing line CI reads, with ours after it.
out=$("$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "$(nproc)" tests/python tests/models tests/embed 2>&1); rc=$?
echo "$out" | tail -n 30
p=$(echo "$out" | tail -1 | sed -n 's/.* \([0-9]*\) passed.*/\1/p; s/^\([0-9]*\) passed.*/\1/p' | head -1)
f=$(echo "$out" | tail -1 | sed -n 's/.* \([0-9]*\) failed.*/\1/p; s/^\([0-9]*\) failed.*/\1/p' | head -1)
k=$(echo "$out" | tail -1 | sed -n 's/.* \([0-9]*\) skipped.*/\1/p' | head -1)
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
[ $rc -eq 0 ] && [ -n "$p" ] || status=1

echo
echo "total: $passed passed, $failed failed, $skipped skipped"
exit $status
