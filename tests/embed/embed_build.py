"""Building C++ apps against Ember's runtime, for the tests that do it
(tests/embed/test_embed.py, and the guide's embedding page in
tests/python/test_docs_guide.py).

`runtime_install()` configures, builds and installs the runtime alone
(`-DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_TESTS=OFF`, no MLIR) into
build/embed/prefix. The build folder is kept, so a second run only rebuilds
what changed (and ccache serves a fresh folder); a lock on build/embed makes
test processes running at once (pytest-xdist) take turns, each holding it
while it uses the install.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "embed"
RUNTIME_BUILD = WORK / "runtime"
PREFIX = WORK / "prefix"
CMAKE = shutil.which("cmake")


def run(*cmd: str | Path, ok: bool = True) -> subprocess.CompletedProcess:
    """Run a command (CMAKE_BUILD_TYPE from the environment left out); with `ok`,
    fail with its output unless it exits 0."""
    env = {k: v for k, v in os.environ.items() if k != "CMAKE_BUILD_TYPE"}
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900,
                         env=env)
    if ok:
        assert out.returncode == 0, f"{cmd}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out


def configure(source: Path, build: Path, *defines: str, ok: bool = True
              ) -> subprocess.CompletedProcess:
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    return run(CMAKE, "-S", source, "-B", build, *generator, *defines, ok=ok)


def cache(build: Path) -> str:
    """The build folder's CMakeCache.txt."""
    return (build / "CMakeCache.txt").read_text()


@contextlib.contextmanager
def runtime_install(fresh: bool = False) -> Iterator[Path]:
    """The runtime built and installed into PREFIX (yielded), under the lock
    for the whole `with` block. `fresh` empties PREFIX before installing, to
    check what the install puts there."""
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        configure(ROOT, RUNTIME_BUILD, "-DCMAKE_BUILD_TYPE=Release", "-DEMBER_BUILD_COMPILER=OFF",
                  "-DEMBER_BUILD_TESTS=OFF", f"-DCMAKE_INSTALL_PREFIX={PREFIX}")
        run(CMAKE, "--build", RUNTIME_BUILD, "-j2")
        if fresh:
            shutil.rmtree(PREFIX, ignore_errors=True)
        run(CMAKE, "--install", RUNTIME_BUILD)
        yield PREFIX
