#!/usr/bin/env bash
# Set up everything Ember needs on a fresh Debian 12 machine, then build and
# install Ember into .venv. Idempotent: a second run checks and returns
# quickly (it rebuilds only when sources changed since the last install).
#
#   scripts/setup.sh            # deps + build + install
#   EMBER_SKIP_BUILD=1 scripts/setup.sh   # deps only
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
STAMP_DIR=$ROOT/build/stamps
# ccache keys on paths relative to the checkout, so a fresh clone elsewhere
# (CI's) reuses what an earlier build compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
mkdir -p "$STAMP_DIR"

log() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages: MLIR 19, FlatBuffers 2.0.8, gtest, XNNPACK, ninja, ccache,
#    the aarch64 cross compiler and qemu for scripts/cross_aarch64.sh, and PCRE2
#    for the LLM tokenizers' pre-tokenizer regexes (runtime/extension/llm), and
#    chromium, the headless browser tests/python/test_graph_view.py loads the graph
#    view in.
APT_PACKAGES=(libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools flatbuffers-compiler
              libflatbuffers-dev libgtest-dev libbenchmark-dev libxnnpack-dev
              libpthreadpool-dev ninja-build ccache g++-aarch64-linux-gnu qemu-user-static
              libpcre2-dev chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The virtual environment and Python packages. torch is pinned first so
#    that nothing installed after it can resolve another (CUDA) build.
# transformers builds the zoo's language and vision models from configs (tests/models);
# pinned because export of its models changes between releases.
# onnxruntime, onnx and onnxscript are the ONNX Runtime peer of the benchmark harness
# (python -m bench; torch.onnx.export needs onnxscript), pinned so that its figures reproduce.
# tokenizers, sentencepiece and tiktoken train and check tokenizers in tests/python/test_llm_tokenizer.py.
PY_PACKAGES=(numpy pytest pytest-xdist lit pybind11 scikit-build-core pyyaml transformers==5.23.0
             onnxruntime==1.31.1 onnx==1.23.2 onnxscript==0.7.2 torchao==0.18.0 tqdm
             tokenizers==0.23.3 sentencepiece==0.2.3 tiktoken==0.14.0)
req_hash=$(printf '%s\n' torch==2.13.0 "${PY_PACKAGES[@]}" | sha1sum | cut -c1-12)
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
  rm -f "$STAMP_DIR/python-deps" "$STAMP_DIR/executorch"  # a new venv has none of them
fi
if [ "$(cat "$STAMP_DIR/python-deps" 2>/dev/null)" != "$req_hash" ]; then
  log "installing Python packages (torch==2.13.0 CPU, ${PY_PACKAGES[*]})"
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$VENV/bin/pip" install -q torch==2.13.0
  "$VENV/bin/pip" install -q "${PY_PACKAGES[@]}" torch==2.13.0
  echo "$req_hash" > "$STAMP_DIR/python-deps"
fi

#    ExecuTorch, for the interop tests only (tests/python/test_interop.py).
#    Optional: if it cannot be installed, setup goes on and those tests skip.
#    torch stays pinned on the same command line so that nothing resolves
#    another torch. The outcome (ok or failed) is stamped either way, so a
#    second run does not retry; EMBER_RETRY_EXECUTORCH=1 retries a failure and
#    EMBER_SKIP_EXECUTORCH=1 skips the step.
ET_PIN=executorch==1.4.1
et_hash=$(printf '%s\n' "$req_hash" "$ET_PIN" | sha1sum | cut -c1-12)
et_stamp=$(cat "$STAMP_DIR/executorch" 2>/dev/null || true)
et_log=$STAMP_DIR/executorch-install.log
if [ "${EMBER_SKIP_EXECUTORCH:-0}" = 1 ]; then
  :
elif [ "$et_stamp" = "ok $et_hash" ] && "$VENV/bin/python" -c \
       "import importlib.util as u, sys; sys.exit(u.find_spec('executorch') is None)" 2>/dev/null; then
  :
elif [ "$et_stamp" = "failed $et_hash" ] && [ "${EMBER_RETRY_EXECUTORCH:-0}" != 1 ]; then
  log "note: $ET_PIN is not installed (an earlier attempt failed, see $et_log);" \
      "the interop tests will be skipped. EMBER_RETRY_EXECUTORCH=1 retries."
else
  log "installing $ET_PIN for the interop tests (torch stays 2.13.0)"
  if "$VENV/bin/pip" install -q "$ET_PIN" torch==2.13.0 >"$et_log" 2>&1 &&
     "$VENV/bin/python" -c "import executorch.runtime, executorch.exir" >>"$et_log" 2>&1; then
    echo "ok $et_hash" > "$STAMP_DIR/executorch"
  else
    echo "failed $et_hash" > "$STAMP_DIR/executorch"
    log "WARNING: could not install $ET_PIN (log: $et_log). Setup continues;"
    log "WARNING: the ExecuTorch interop tests (tests/python/test_interop.py) will be skipped."
  fi
fi

#    llama.cpp, for the LLM benchmark only (bench/llm.py): llama-cpp-python built
#    from its sdist (about 5 minutes on 2 cores; nothing else is fetched), and the
#    sdist unpacked in build/llama-cpp for the GGUF converter it vendors. Opt-in:
#    EMBER_BENCH_LLAMA_CPP=1 scripts/setup.sh (with EMBER_SKIP_BUILD=1: this alone).
LLAMA_PIN=llama-cpp-python==0.3.36
LLAMA_DIR=$ROOT/build/llama-cpp
if [ "${EMBER_BENCH_LLAMA_CPP:-0}" = 1 ] && \
   { [ "$(cat "$STAMP_DIR/llama-cpp" 2>/dev/null)" != "ok $LLAMA_PIN" ] ||
     ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; }; then
  log "building $LLAMA_PIN for bench/llm.py (about 5 minutes; log: $LLAMA_DIR/install.log)"
  rm -rf "$LLAMA_DIR" && mkdir -p "$LLAMA_DIR"
  "$VENV/bin/pip" download -q --no-deps --no-binary :all: -d "$LLAMA_DIR" "$LLAMA_PIN"
  sdist=$(ls "$LLAMA_DIR"/llama_cpp_python-*.tar.gz)
  tar -xzf "$sdist" -C "$LLAMA_DIR"
  # Native kernels (AVX-512 VNNI here); no tests, examples, tools or server.
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF" \
    "$VENV/bin/pip" install -v "$sdist" >"$LLAMA_DIR/install.log" 2>&1 ||
    { log "ERROR: $LLAMA_PIN did not build (log: $LLAMA_DIR/install.log)"; exit 1; }
  "$VENV/bin/python" -c "import llama_cpp"
  echo "ok $LLAMA_PIN" > "$STAMP_DIR/llama-cpp"
  log "built $LLAMA_PIN"
fi

[ "${EMBER_SKIP_BUILD:-0}" = 1 ] && exit 0

# 3. Build and install Ember (incremental: build/py is kept between runs).
#    Skipped when no tracked or new source file changed since the last install
#    and build/py still has the tests. A plain `pip install .` builds only what
#    the package ships (pyproject.toml); here the tests are built too, because
#    scripts/test.sh runs lit and ctest from build/py.
src_hash=$( (git ls-files -co --exclude-standard -- . ':!docs' ':!tests/python' ':!tests/embed' ':!bench' ':!examples' 2>/dev/null \
             | grep -v '^\.' | sort | xargs -r sha1sum 2>/dev/null) | sha1sum | cut -c1-12)
if [ "$(cat "$STAMP_DIR/ember-install" 2>/dev/null)" != "$src_hash" ] || \
   ! grep -q '^EMBER_BUILD_TESTS:BOOL=ON$' build/py/CMakeCache.txt 2>/dev/null || \
   ! "$VENV/bin/python" -c "import ember._C" 2>/dev/null; then
  log "building and installing Ember (build folder: build/py)"
  start=$(date +%s)
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    "$VENV/bin/pip" install -q --no-build-isolation --no-deps \
      --config-settings=cmake.define.EMBER_BUILD_TESTS=ON "$ROOT"
  echo "$src_hash" > "$STAMP_DIR/ember-install"
  log "built and installed in $(( $(date +%s) - start )) s"
fi
