"""Embedding the runtime in a C++ app (docs/runtime.md): tests/embed/app loads
tests/runtime/data/et_two.pte, runs forward and checks the outputs against
the model's formula. It is built twice, without MLIR:

- against a runtime-only install (`-DEMBER_BUILD_COMPILER=OFF
  -DEMBER_BUILD_TESTS=OFF`, `cmake --install`) through `find_package(Ember)`;
- from the source tree through `add_subdirectory(<ember> ember)`.

The build folders live in build/embed and are kept, so that a second run only
rebuilds what changed (and ccache serves a fresh folder); embed_build.py builds
the install, which the guide's embedding page uses too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from embed_build import CMAKE, ROOT, RUNTIME_BUILD, WORK, cache, configure, run, runtime_install

APP = Path(__file__).resolve().parent / "app"
ET_TWO = ROOT / "tests" / "runtime" / "data" / "et_two.pte"

pytestmark = pytest.mark.skipif(CMAKE is None, reason="cmake is not on PATH")


def _check_app(app: Path) -> None:
    out = run(app, ET_TWO)
    assert out.stdout.splitlines()[-1] == "ok", out.stdout
    assert re.match(r"output\[0\]: -0\.5 -4\.5 2 ", out.stdout), out.stdout


def test_app_builds_against_an_installed_runtime(tmp_path):
    with runtime_install(fresh=True) as prefix:
        _check_the_install(prefix, tmp_path)


def _check_the_install(prefix: Path, tmp_path: Path) -> None:
    build = RUNTIME_BUILD
    assert "MLIR_DIR" not in cache(build)  # a runtime-only build never looks for MLIR
    for f in ("include/runtime/core/tensor.h", "include/runtime/extension/module.h",
              "include/serializer/schema/program_generated.h",
              "lib/cmake/Ember/EmberConfig.cmake", "lib/cmake/Ember/EmberConfigVersion.cmake"):
        assert (prefix / f).is_file(), f

    app_build = WORK / "app-installed"
    configure(APP, app_build, f"-DCMAKE_PREFIX_PATH={prefix}", "-DEMBER_SOURCE=")
    assert f"Ember_DIR:PATH={prefix}/lib/cmake/Ember" in cache(app_build)
    run(CMAKE, "--build", app_build)
    _check_app(app_build / "embed_app")

    # ember_run is installed as a program.
    out = run(prefix / "bin" / "ember_run", ET_TWO)
    assert "output[1]: float32 [2, 3]" in out.stdout

    # The schema header asserts its FlatBuffers version: the config refuses
    # other headers with a message saying which version it needs.
    real = Path(re.search(r"^FLATBUFFERS_INCLUDE_DIR:PATH=(.*)$", cache(build), re.M)[1])
    fake = tmp_path / "fb" / "flatbuffers"
    fake.mkdir(parents=True)
    base = (real / "flatbuffers" / "base.h").read_text()
    fake.joinpath("base.h").write_text(re.sub(
        r"(#define FLATBUFFERS_VERSION_REVISION )(\d+)",
        lambda m: m[1] + str(int(m[2]) + 1), base))
    fake.joinpath("flatbuffers.h").write_text("")
    out = configure(APP, tmp_path / "app", f"-DCMAKE_PREFIX_PATH={prefix}",
                    f"-DFLATBUFFERS_INCLUDE_DIR={fake.parent}", ok=False)
    assert out.returncode != 0
    assert "but Ember was built with" in re.sub(r"\s+", " ", out.stderr), out.stderr


def test_app_builds_ember_as_a_subdirectory():
    # No build type: Ember must not force its own Release on the app.
    app_build = WORK / "app-subdirectory"
    configure(APP, app_build, f"-DEMBER_SOURCE={ROOT}")
    text = cache(app_build)
    assert "EMBER_BUILD_COMPILER:BOOL=OFF" in text and "MLIR_DIR" not in text
    assert "EMBER_BUILD_TESTS:BOOL=OFF" in text
    assert re.search(r"^CMAKE_BUILD_TYPE:STRING=$", text, re.M), "Ember set the app's build type"
    run(CMAKE, "--build", app_build, "-j2")
    _check_app(app_build / "embed_app")
