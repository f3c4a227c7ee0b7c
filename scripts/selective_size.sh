#!/usr/bin/env bash
# The figures of docs/selective-build.md: ember_run's stripped size with every
# portable kernel, and with only MobileNetV2's (operators only; operators and
# dtypes; then with the optimized kernels, trimmed alike). Builds runtime-only
# MinSizeRel trees in build/selective_size (section GC, no thread pool, no
# XNNPACK, the optimized library only in the last), after exporting
# MobileNetV2 (tests/models/vision.py, random weights, 224x224) with .venv's
# Ember.
#
#   scripts/selective_size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/build/selective_size
PY=$ROOT/.venv/bin/python
mkdir -p "$WORK"

"$PY" - "$WORK" <<'EOF'
import sys
from pathlib import Path
import torch
import ember
sys.path.insert(0, ".")
from tests.models.vision import mobilenet_v2
work = Path(sys.argv[1])
x = torch.randn(1, 3, 224, 224)
ep = torch.export.export(mobilenet_v2().eval(), (x,))
ember.to_edge(ep).to_executorch().save(work / "mv2.pte")
EOF
"$PY" -m ember selective-build "$WORK/mv2.pte" -o "$WORK/mv2" >/dev/null
# The same operators with every dtype: what selecting operators alone gives.
mkdir -p "$WORK/mv2_ops"
cp "$WORK/mv2/selected_kernels.cmake" "$WORK/mv2_ops/"
{
  grep -v "EMBER_SELECT_DTYPE_\|EMBER_SELECTED_DTYPE_NAMES" "$WORK/mv2/selected_kernels.h"
  for d in Float Double Half BFloat16 Int Long Short Char Byte Bool; do
    echo "#define EMBER_SELECT_DTYPE_$d 1"
  done
} > "$WORK/mv2_ops/selected_kernels.h"

build() {  # name, extra cmake flags...
  local name=$1; shift
  cmake -S "$ROOT" -B "$WORK/$name.build" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_PYTHON=OFF \
    -DEMBER_BUILD_OPTIMIZED_KERNELS=OFF -DEMBER_BUILD_XNNPACK=OFF -DEMBER_USE_PTHREADPOOL=OFF \
    "$@" >/dev/null
  cmake --build "$WORK/$name.build" --target ember_run >/dev/null
  strip --strip-all -o "$WORK/$name.ember_run" "$WORK/$name.build/runtime/ember_run"
  "$WORK/$name.ember_run" "$WORK/mv2.pte" >/dev/null
  printf '%-40s %10d bytes\n' "$name" "$(stat -c %s "$WORK/$name.ember_run")"
}
echo "ember_run, stripped ($(c++ --version | head -1)):"
build all_portable_kernels -DCMAKE_CXX_FLAGS="-ffunction-sections -fdata-sections" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--gc-sections"
build mv2_operators -DEMBER_SELECTED_KERNELS="$WORK/mv2_ops"
build mv2_operators_and_dtypes -DEMBER_SELECTED_KERNELS="$WORK/mv2"
build mv2_with_optimized_kernels -DEMBER_SELECTED_KERNELS="$WORK/mv2" \
  -DEMBER_BUILD_OPTIMIZED_KERNELS=ON
