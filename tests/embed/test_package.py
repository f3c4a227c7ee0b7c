"""The Python package's build: `pip install .` puts `ember_run` on PATH (in the
environment's scripts folder, beside `ember`) and builds only what the wheel
ships (ember._C and ember_run: no tests, no ember-opt/ember-translate)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import ember

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "runtime" / "data"
SCRIPTS = Path(sysconfig.get_path("scripts"))


def test_ember_run_is_on_path(tmp_path):
    runner = SCRIPTS / "ember_run"
    assert runner.is_file() and os.access(runner, os.X_OK), f"no {runner}"
    assert shutil.which("ember_run", path=str(SCRIPTS)) == str(runner)
    assert ember.runtime.runner_path() == runner  # what `ember run` executes

    # ExecuTorch 1.4.1's own output for this input is the reference.
    out = subprocess.run([runner, DATA / "et_cnn.pte", "--input", DATA / "et_cnn_input.npy",
                          "--output-dir", tmp_path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(np.load(tmp_path / "output_0.npy"),
                               np.load(DATA / "et_cnn_output_et141.npy"), rtol=1e-5, atol=1e-6)

    out = subprocess.run([SCRIPTS / "ember", "run", DATA / "et_two.pte", "--seed", "1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "output[1]: float32 [2, 3]" in out.stdout


def test_wheel_ships_the_module_and_the_runner_only():
    files = [str(f) for f in metadata.distribution("ember").files]
    assert any(re.fullmatch(r"ember/_C\..*\.so", f) for f in files), files
    assert any(f.endswith("bin/ember_run") and f.startswith("..") for f in files), files
    assert not [f for f in files if f.endswith((".a", ".h", ".cmake")) or "/include/" in f]


def test_package_build_compiles_only_what_the_wheel_ships(tmp_path):
    """Configure as scikit-build-core does with pyproject.toml's settings, then
    list (ninja -n) what building the package would compile and link."""
    tomllib = pytest.importorskip("tomllib")
    cmake, ninja = shutil.which("cmake"), shutil.which("ninja")
    if not cmake or not ninja:
        pytest.skip("needs cmake and ninja")
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["scikit-build"]
    defines = [f"-D{k}={v}" for k, v in settings["cmake"]["define"].items()]
    build = tmp_path / "build"
    out = subprocess.run(
        [cmake, "-S", ROOT, "-B", build, "-G", "Ninja", "-DSKBUILD=2",
         f"-DCMAKE_BUILD_TYPE={settings['cmake']['build-type']}",
         f"-DSKBUILD_SCRIPTS_DIR={tmp_path / 'scripts'}",
         f"-DSKBUILD_PLATLIB_DIR={tmp_path / 'platlib'}",
         f"-DPython_EXECUTABLE={sys.executable}", *defines],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    steps = subprocess.run([ninja, "-C", build, "-n"], capture_output=True, text=True,
                           timeout=60).stdout
    linked = set(re.findall(r"Linking CXX (?:executable|shared module|shared library) (\S+)",
                            steps))
    assert {"runtime/ember_run"} <= linked and any(re.match(r"python/_C\.", t) for t in linked)
    # ember_llm (the LLM runner's command) ships too where its tokenizers build (libpcre2-dev).
    tools = {"runtime/ember_run", "runtime/ember_llm"}
    assert linked == {*(t for t in linked if t in tools),
                      *(t for t in linked if t.startswith("python/_C."))}
    assert not re.search(r"\btests/", steps), "the package build compiles tests"
