"""The `ember` command line: inspect and run."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

import ember
from models import MLP


def _save(tmp_path):
    path = tmp_path / "mlp.pte"
    ep = torch.export.export(MLP().eval(), (torch.randn(2, 32),))
    ember.to_edge(ep).to_executorch().save(path)
    return path


def _ember(*args):
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True, text=True)


def test_inspect_text_and_json(tmp_path):
    path = _save(tmp_path)
    out = _ember("inspect", str(path))
    assert out.returncode == 0, out.stderr
    assert "method forward: 8 instructions" in out.stdout
    assert "    aten::addmm.out\n" in out.stdout and "planned memory:" in out.stdout
    info = json.loads(_ember("inspect", str(path), "--json").stdout)
    m = info["methods"][0]
    assert m["inputs"][0]["sizes"] == [2, 32] and m["outputs"][0]["sizes"] == [2, 10]
    assert info["size"] == path.stat().st_size


def test_run_uses_the_cpp_runner(tmp_path):
    out = _ember("run", str(_save(tmp_path)), "--iterations", "3")
    assert out.returncode == 0, out.stderr
    assert "output[0]: float32 [2, 10]" in out.stdout
    assert "time per run" in out.stdout


def test_inspect_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"\x00" * 64)
    out = _ember("inspect", str(bad))
    assert out.returncode == 1
    assert "ember:" in out.stderr
