"""Selective build (docs/selective-build.md): `ember selective-build` lists the
operators, dtypes and backends of .pte files and writes the registration; a
runtime configured with -DEMBER_SELECTED_KERNELS registers, compiles and
links only those, runs the programs exactly, and names what is missing for
anything else.

The runtime-only build lives in build/selective_test and is kept, so that a
second run rebuilds only what changed (ccache serves a fresh folder).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ember
from ember import _C
from ember._cli_selective import selection_macro

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "selective_test"
CMAKE = shutil.which("cmake")


class MobileBlock(torch.nn.Module):
    """MobileNetV2's ops in small: pointwise and depthwise convolutions with
    ReLU6, a residual add, global average pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.expand = torch.nn.Conv2d(8, 16, 1)
        self.dw = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.project = torch.nn.Conv2d(16, 8, 1)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        x = torch.nn.functional.relu6(self.stem(x))
        y = torch.nn.functional.relu6(self.expand(x))
        y = torch.nn.functional.relu6(self.dw(y))
        x = x + self.project(y)
        return self.fc(x.mean((2, 3)))


class Gelu(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.gelu(x)


class IntAdd(torch.nn.Module):
    def forward(self, a, b):
        return a + b


def _save(module, args, path):
    ember.to_edge(torch.export.export(module, args)).to_executorch().save(path)
    return path


def _cli(*args, ok=True):
    out = subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True,
                         text=True, timeout=300)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    d = tmp_path_factory.mktemp("selective")
    torch.manual_seed(0)
    model = MobileBlock().eval()
    x = torch.randn(1, 3, 32, 32)
    np.save(d / "x.npy", x.numpy())
    with torch.no_grad():
        np.save(d / "expected.npy", model(x).numpy())
    g = torch.randn(4, 6)
    np.save(d / "g.npy", g.numpy())
    a = torch.arange(6).reshape(2, 3)
    np.save(d / "a.npy", a.numpy())
    return {"dir": d, "mobile": _save(model, (x,), d / "mobile.pte"),
            "gelu": _save(Gelu(), (g,), d / "gelu.pte"),
            "int_add": _save(IntAdd(), (a, a), d / "int_add.pte")}


def _operators(path):
    summary = _C.RuntimeModule.load(str(path)).program_summary()
    return {op["name"] for m in summary["methods"] for op in m["operators"]}


def test_the_selection_is_what_the_programs_call(programs, tmp_path):
    out = _cli("selective-build", programs["mobile"], programs["gelu"], "-o", tmp_path, "--json")
    sel = json.loads(out.stdout)
    want = _operators(programs["mobile"]) | _operators(programs["gelu"])
    assert set(sel["operators"]) == want
    assert "aten::gelu.out" in want and "ember::convolution_nhwc.out" in want
    assert sel["dtypes"] == ["float32"] and sel["backends"] == []
    assert sel["operators"]["aten::gelu.out"]["files"] == [str(programs["gelu"])]
    header = (tmp_path / "selected_kernels.h").read_text()
    for name in want:
        assert selection_macro(name) + " 1" in header
    assert "#define EMBER_SELECT_DTYPE_Float 1" in header
    assert "EMBER_SELECT_DTYPE_Long" not in header
    assert 'set(EMBER_SELECTED_BACKENDS "")' in (tmp_path / "selected_kernels.cmake").read_text()
    yaml_text = (tmp_path / "selected_kernels.yaml").read_text()
    assert '"aten::gelu.out":' in yaml_text and "dtypes: [float32]" in yaml_text


def test_the_selection_keeps_every_dtype_and_backend_called(programs, tmp_path):
    from ember.partitioners import XnnpackPartitioner

    if "XnnpackBackend" not in _C.registered_backends():
        pytest.skip("this build has no XnnpackBackend")
    prog = ember.to_edge_transform_and_lower(
        torch.export.export(MobileBlock().eval(), (torch.randn(1, 3, 16, 16),)),
        partitioner=[XnnpackPartitioner()]).to_executorch()
    prog.save(tmp_path / "x.pte")
    _cli("selective-build", tmp_path / "x.pte", programs["int_add"], "-o", tmp_path / "sel")
    header = (tmp_path / "sel" / "selected_kernels.h").read_text()
    assert "#define EMBER_SELECT_DTYPE_Long 1" in header
    assert "EMBER_SELECT_aten__add_out 1" in header
    cmake = (tmp_path / "sel" / "selected_kernels.cmake").read_text()
    assert 'set(EMBER_SELECTED_BACKENDS "XnnpackBackend")' in cmake


def test_bad_files_are_refused_by_name(programs, tmp_path):
    out = _cli("selective-build", tmp_path / "missing.pte", "-o", tmp_path, ok=False)
    assert out.returncode == 1 and "missing.pte: no such file" in out.stderr
    junk = tmp_path / "junk.pte"
    junk.write_bytes(b"\0" * 64)
    out = _cli("selective-build", junk, "-o", tmp_path, ok=False)
    assert out.returncode == 1 and "junk.pte" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def selected_runtime(programs):
    """ember_run built with only the MobileBlock's kernels, portable and
    optimized (both libraries trimmed by the selection)."""
    if CMAKE is None:
        pytest.skip("cmake is not on PATH")
    sel, build = WORK / "selection", WORK / "build"
    _cli("selective-build", programs["mobile"], "-o", sel)
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    env = {k: v for k, v in os.environ.items() if k != "CMAKE_BUILD_TYPE"}
    for cmd in ([CMAKE, "-S", ROOT, "-B", build, *generator, "-DCMAKE_BUILD_TYPE=MinSizeRel",
                 "-DEMBER_BUILD_COMPILER=OFF", "-DEMBER_BUILD_TESTS=OFF",
                 "-DEMBER_BUILD_PYTHON=OFF", "-DEMBER_BUILD_OPTIMIZED_KERNELS=ON",
                 f"-DEMBER_SELECTED_KERNELS={sel}"],
                [CMAKE, "--build", build, "--target", "ember_run", "-j2"]):
        out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                             timeout=900, env=env)
        assert out.returncode == 0, f"{cmd}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return build / "runtime" / "ember_run"


def test_the_selected_runtime_runs_its_program_exactly(programs, selected_runtime, tmp_path):
    d = programs["dir"]
    out = subprocess.run([selected_runtime, programs["mobile"], "--input", d / "x.npy",
                          "--output-dir", tmp_path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "kernels: optimized" in out.stdout
    got, want = np.load(tmp_path / "output_0.npy"), np.load(d / "expected.npy")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_selected_runtime_links_only_its_kernels(selected_runtime):
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm is not on PATH")
    symbols = subprocess.run([nm, "-C", selected_runtime], capture_output=True, text=True,
                             check=True).stdout
    assert "ember::portable::convolution_nhwc_out" in symbols
    assert "ember::optimized::convolution_nhwc_out" in symbols
    for gone in ("ember::portable::gelu_out", "ember::portable::bmm_out",
                 "ember::portable::embedding_out", "ember::optimized::gelu_out",
                 "ember::optimized::sdpa_out", "ember::optimized::linear_lowbit_out",
                 "ember::optimized::quantized_linear_out", "XnnpackBackend"):
        assert gone not in symbols, gone


def test_the_selected_runtime_names_what_it_lacks(programs, selected_runtime):
    d = programs["dir"]
    out = subprocess.run([selected_runtime, programs["gelu"], "--input", d / "g.npy"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "operator aten::gelu.out" in out.stderr and "no kernel registered" in out.stderr
    out = subprocess.run([selected_runtime, programs["int_add"], "--input", d / "a.npy",
                          "--input", d / "a.npy"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert ("aten::add.out: dtype int64 (for this op) is not in this selective build, which "
            "keeps float32") in out.stderr
