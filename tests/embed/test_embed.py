"""Embedding the runtime in a C++ app (docs/runtime.md): tests/embed/app loads
tests/runtime/data/et_two.pte, runs forward and checks the outputs against
the model's formula. It is built twice, without MLIR:

- against a runtime-only install (`-DEMBER_BUILD_COMPILER=OFF
  -DEMBER_BUILD_TESTS=OFF`, `cmake --install`) through `find_package(Ember)`;
- from the source tree through `add_subdirectory(<ember> ember)`.

The build folders live in build/embed and are kept, so that a second run only
rebuilds what changed (and ccache serves a fresh folder).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).resolve().parent / "app"
WORK = ROOT / "build" / "embed"
ET_TWO = ROOT / "tests" / "runtime" / "data" / "et_two.pte"

CMAKE = shutil.which("cmake")
pytestmark = pytest.mark.skipif(CMAKE is None, reason="cmake is not on PATH")


def _run(*cmd: str | Path, ok: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CMAKE_BUILD_TYPE"}
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900,
                         env=env)
    if ok:
        assert out.returncode == 0, f"{cmd}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out


def _configure(source: Path, build: Path, *defines: str, ok: bool = True):
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    return _run(CMAKE, "-S", source, "-B", build, *generator, *defines, ok=ok)


def _cache(build: Path) -> str:
    return (build / "CMakeCache.txt").read_text()


def _check_app(app: Path) -> None:
    out = _run(app, ET_TWO)
    assert out.stdout.splitlines()[-1] == "ok", out.stdout
    assert re.match(r"output\[0\]: -0\.5 -4\.5 2 ", out.stdout), out.stdout


def test_app_builds_against_an_installed_runtime(tmp_path):
    build, prefix = WORK / "runtime", WORK / "prefix"
    _configure(ROOT, build, "-DCMAKE_BUILD_TYPE=Release", "-DEMBER_BUILD_COMPILER=OFF",
               "-DEMBER_BUILD_TESTS=OFF", f"-DCMAKE_INSTALL_PREFIX={prefix}")
    assert "MLIR_DIR" not in _cache(build)  # a runtime-only build never looks for MLIR
    _run(CMAKE, "--build", build, "-j2")
    shutil.rmtree(prefix, ignore_errors=True)
    _run(CMAKE, "--install", build)
    for f in ("include/runtime/core/tensor.h", "include/runtime/extension/module.h",
              "include/serializer/schema/program_generated.h",
              "lib/cmake/Ember/EmberConfig.cmake", "lib/cmake/Ember/EmberConfigVersion.cmake"):
        assert (prefix / f).is_file(), f

    app_build = WORK / "app-installed"
    _configure(APP, app_build, f"-DCMAKE_PREFIX_PATH={prefix}", "-DEMBER_SOURCE=")
    assert f"Ember_DIR:PATH={prefix}/lib/cmake/Ember" in _cache(app_build)
    _run(CMAKE, "--build", app_build)
    _check_app(app_build / "embed_app")

    # ember_run is installed as a program.
    out = _run(prefix / "bin" / "ember_run", ET_TWO)
    assert "output[1]: float32 [2, 3]" in out.stdout

    # The schema header asserts its FlatBuffers version: the config refuses
    # other headers with a message saying which version it needs.
    real = Path(re.search(r"^FLATBUFFERS_INCLUDE_DIR:PATH=(.*)$", _cache(build), re.M)[1])
    fake = tmp_path / "fb" / "flatbuffers"
    fake.mkdir(parents=True)
    base = (real / "flatbuffers" / "base.h").read_text()
    fake.joinpath("base.h").write_text(re.sub(
        r"(#define FLATBUFFERS_VERSION_REVISION )(\d+)",
        lambda m: m[1] + str(int(m[2]) + 1), base))
    fake.joinpath("flatbuffers.h").write_text("")
    out = _configure(APP, tmp_path / "app", f"-DCMAKE_PREFIX_PATH={prefix}",
                     f"-DFLATBUFFERS_INCLUDE_DIR={fake.parent}", ok=False)
    assert out.returncode != 0
    assert "but Ember was built with" in re.sub(r"\s+", " ", out.stderr), out.stderr


def test_app_builds_ember_as_a_subdirectory():
    # No build type: Ember must not force its own Release on the app.
    app_build = WORK / "app-subdirectory"
    _configure(APP, app_build, f"-DEMBER_SOURCE={ROOT}")
    cache = _cache(app_build)
    assert "EMBER_BUILD_COMPILER:BOOL=OFF" in cache and "MLIR_DIR" not in cache
    assert "EMBER_BUILD_TESTS:BOOL=OFF" in cache
    assert re.search(r"^CMAKE_BUILD_TYPE:STRING=$", cache, re.M), "Ember set the app's build type"
    _run(CMAKE, "--build", app_build, "-j2")
    _check_app(app_build / "embed_app")
