"""The `ember` command line: inspect, run, --version, and a closed pipe.

`ember inspect --json` is checked field by field against the file's own bytes
(the extended header) and, when executorch is installed, against ExecuTorch's
reading of the same flatbuffer, for Ember's files and for files ExecuTorch
wrote (portable, XNNPACK-delegated with named data, and with a mutable-data
segment).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
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


def _inspect_json(path) -> dict:
    out = _ember("inspect", str(path), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _check_against_bytes(info: dict, data: bytes) -> None:
    """What inspect reports about the header and segments, from the raw bytes."""
    assert info["file_size"] == len(data)
    h = info["header"]
    assert h["extended_header"] == (data[8:12] == b"eh00")
    if h["extended_header"]:
        length, program_size, base = struct.unpack_from("<IQQ", data, 12)
        assert (h["program_size"], h["segment_base_offset"]) == (program_size, base)
        if length >= 32:
            assert h["segment_data_size"] == struct.unpack_from("<Q", data, 32)[0]
    for s in info["segments"]:
        assert s["file_offset"] == h["segment_base_offset"] + s["offset"]
        assert s["in_file"] and s["file_offset"] + s["size"] <= len(data)
        assert s["contents"], f"segment {s['index']} is referenced by nothing"
    for m in info["methods"]:
        assert sum(op["calls"] for op in m["operators"]) == m["instructions"]["kernel_calls"]
        assert sum(m["instructions"].values()) == m["num_instructions"]
        assert m["planned_memory"] == sum(m["planned_buffer_sizes"])


def test_inspect_text_and_json(tmp_path):
    path = _save(tmp_path)
    out = _ember("inspect", str(path))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    size = path.stat().st_size
    assert text.startswith(f"{path}: {size} bytes, 1 method\n")
    assert "header: extended header eh00\n" in text and "  segment_base_offset " in text
    assert "segments: 1\n  [0] offset 0 (file offset " in text and "bytes: constants\n" in text
    assert "constant data: " in text and "6 buffers (index 0 reserved)" in text
    assert "mutable data: none\nnamed data: none\n" in text
    # The linear weights are stored transposed (constant folding): no permutes.
    assert "method forward: 5 instructions (5 kernel), 1 chain\n" in text
    assert "  input  0: float32 [2, 32] dim_order [0, 1] (planned), 256 bytes\n" in text
    assert "  output 0: float32 [2, 10] dim_order [0, 1] (planned), 80 bytes\n" in text
    assert "  input container:  T2#1#0(T1#1($),D0())\n  output container: $\n" in text
    assert "    aten::addmm.out  3 calls\n" in text
    assert "    aten::relu.out   2 calls\n" in text
    assert "  delegates: none\n" in text
    assert "  planned memory: " in text and "    buffer 0 (memory_id 1): " in text

    info = _inspect_json(path)
    _check_against_bytes(info, path.read_bytes())
    assert info["file"] == str(path) and info["file_size"] == size
    m = info["methods"][0]
    assert m["inputs"][0]["sizes"] == [2, 32] and m["outputs"][0]["sizes"] == [2, 10]
    assert m["inputs"][0]["dim_order"] == [0, 1] and m["inputs"][0]["planned"]
    assert {op["name"]: op["calls"] for op in m["operators"]} == {
        "aten::addmm.out": 3, "aten::relu.out": 2}
    assert m["input_spec"] == "T2#1#0(T1#1($),D0())" and m["output_spec"] == "$"
    # The constant segment holds the 3 weights and 3 biases, each padded to 16 bytes.
    c = info["constants"]
    weights = 4 * (32 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10)
    assert c["storage"] == "segment" and c["segment_index"] == 0 and c["num_buffers"] == 6
    assert c["tensor_bytes"] == weights and weights <= c["data_bytes"] < weights + 6 * 16
    assert info["segments"][0]["contents"] == ["constants"]
    assert info["segments"][0]["size"] == c["data_bytes"]
    assert m["delegates"] == [] and info["named_data"] == [] and info["mutable_data"] == []


def test_inspect_without_segments(tmp_path):
    """No constants: no extended header, the whole file is the flatbuffer."""

    class AddMul(torch.nn.Module):
        def forward(self, a, b):
            return a * b + a

    path = tmp_path / "addmul.pte"
    args = (torch.randn(3), torch.randn(3))
    ember.to_edge(torch.export.export(AddMul(), args)).to_executorch().save(path)
    info = _inspect_json(path)
    _check_against_bytes(info, path.read_bytes())
    assert not info["header"]["extended_header"]
    assert "header: no extended header" in _ember("inspect", str(path)).stdout
    assert info["header"]["segment_base_offset"] == 0
    assert all(s["size"] == 0 for s in info["segments"])  # at most the empty constant segment
    assert info["constants"]["num_buffers"] == 0 and info["constants"]["data_bytes"] == 0


def test_run_uses_the_cpp_runner(tmp_path):
    out = _ember("run", str(_save(tmp_path)), "--iterations", "3")
    assert out.returncode == 0, out.stderr
    assert "output[0]: float32 [2, 10]" in out.stdout
    assert "time per run" in out.stdout
    assert re.search(r"^load time: [0-9.]+ ms", out.stdout, re.M), out.stdout
    peak = re.search(r"^peak resident memory: ([0-9]+) KiB", out.stdout, re.M)
    assert peak and 100 < int(peak[1]) < 1 << 20, out.stdout  # a small runner, not 0, not GiBs


def test_run_makes_its_output_folder(tmp_path):
    path = _save(tmp_path)
    out = _ember("run", str(path), "--output-dir", str(tmp_path / "a" / "b"))
    assert out.returncode == 0, out.stderr
    assert np.load(tmp_path / "a" / "b" / "output_0.npy").shape == (2, 10)
    (tmp_path / "file").write_text("")
    out = _ember("run", str(path), "--output-dir", str(tmp_path / "file" / "x"))
    assert out.returncode == 1
    assert f"cannot make the folder {tmp_path / 'file' / 'x'}" in out.stderr


def test_inspect_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"\x00" * 64)
    out = _ember("inspect", str(bad))
    assert out.returncode == 1
    assert "ember:" in out.stderr
    out = _ember("inspect", str(tmp_path / "missing.pte"))
    assert out.returncode == 1 and "ember:" in out.stderr


def _ember_into_closed_pipe(*args) -> subprocess.CompletedProcess:
    """`ember args` with stdout a pipe whose reader has already gone: the first
    write fails (EPIPE), as in `ember inspect model.pte | head` once head has
    exited, but every time rather than by timing."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "ember", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_every_command_quietly(tmp_path):
    path = str(_save(tmp_path))
    for args in (["inspect", path], ["inspect", path, "--json"]):
        out = _ember_into_closed_pipe(*args)
        assert (out.returncode, out.stderr) == (128 + signal.SIGPIPE, ""), args
    # The C++ runner gets SIGPIPE's default action back (Python ignores it, and
    # an ignored signal stays ignored across exec): its first write ends it.
    out = _ember_into_closed_pipe("run", path, "--iterations", "1")
    assert (out.returncode, out.stderr) == (-signal.SIGPIPE, "")
    for args in (["--help"], ["--version"]):  # argparse drops what it cannot write
        out = _ember_into_closed_pipe(*args)
        assert (out.returncode, out.stderr) == (0, ""), args


def test_version_is_the_installed_package_version():
    version = importlib.metadata.version("ember")
    out = _ember("--version")
    assert (out.returncode, out.stdout, out.stderr) == (0, f"ember {version}\n", "")
    assert ember.__version__ == version
    # One source of truth: project(ember VERSION ...), which pyproject.toml reads.
    cmake = (Path(__file__).resolve().parents[2] / "CMakeLists.txt").read_text()
    assert re.search(r"^project\(ember VERSION ([0-9.]+)", cmake, re.M)[1] == version


# ---- Files written by ExecuTorch, checked against ExecuTorch's own reading ----

needs_executorch = pytest.mark.skipif(
    importlib.util.find_spec("executorch") is None,
    reason="executorch is not importable (scripts/setup.sh installs executorch==1.4.1)")


def _et_program(data: bytes):
    """ExecuTorch's reading of the flatbuffer part (its private helpers:
    reference only)."""
    from executorch.exir._serialize._program import _flatbuffer_to_program, _get_extended_header

    eh = _get_extended_header(data)
    return eh, _flatbuffer_to_program(data[: eh.program_size] if eh else data)


def _check_against_executorch(info: dict, data: bytes) -> None:
    from executorch.exir.schema import DataLocation

    _check_against_bytes(info, data)
    eh, prog = _et_program(data)
    if eh is not None:
        assert info["header"]["program_size"] == eh.program_size
        assert info["header"]["segment_base_offset"] == eh.segment_base_offset
        assert info["header"]["segment_data_size"] == eh.segment_data_size
    assert [(s["offset"], s["size"]) for s in info["segments"]] == [
        (s.offset, s.size) for s in prog.segments or []]
    assert [(n["key"], n["segment_index"]) for n in info["named_data"]] == [
        (n.key, n.segment_index) for n in prog.named_data or []]
    assert [m["segment_index"] for m in info["mutable_data"]] == [
        m.segment_index for m in prog.mutable_data_segments or []]
    if prog.constant_segment.offsets:
        assert info["constants"]["segment_index"] == prog.constant_segment.segment_index
        assert info["constants"]["num_buffers"] == len(prog.constant_segment.offsets) - 1
    assert [m["name"] for m in info["methods"]] == [p.name for p in prog.execution_plan]
    for m, plan in zip(info["methods"], prog.execution_plan, strict=True):
        ops = [o.name + (f".{o.overload}" if o.overload else "") for o in plan.operators]
        assert [op["name"] for op in m["operators"]] == ops
        instructions = plan.chains[0].instructions
        calls = [0] * len(ops)
        for ins in instructions:
            if type(ins.instr_args).__name__ == "KernelCall":
                calls[ins.instr_args.op_index] += 1
        assert [op["calls"] for op in m["operators"]] == calls
        assert m["num_instructions"] == len(instructions)
        assert m["planned_buffer_sizes"] == list(plan.non_const_buffer_sizes[1:])
        assert m["input_spec"] == plan.container_meta_type.encoded_inp_str
        assert m["output_spec"] == plan.container_meta_type.encoded_out_str
        for got, i in zip(m["inputs"], plan.inputs, strict=True):
            t = plan.values[i].val
            assert got["sizes"] == list(t.sizes) and got["dim_order"] == list(t.dim_order)
            assert got["planned"] == (t.allocation_info is not None)
        assert len(m["delegates"]) == len(plan.delegates)
        for got, d in zip(m["delegates"], plan.delegates, strict=True):
            assert got["id"] == d.id and got["index"] == d.processed.index
            assert got["location"] == ("inline" if d.processed.location == DataLocation.INLINE
                                       else "segment")
            assert got["compile_spec_keys"] == [c.key for c in d.compile_specs]
            if got["location"] == "segment":
                assert got["size"] == prog.segments[d.processed.index].size


def _inspect_et(tmp_path, prog, name: str) -> tuple[dict, str]:
    path = tmp_path / f"{name}.pte"
    path.write_bytes(prog.buffer)
    info = _inspect_json(path)
    _check_against_executorch(info, prog.buffer)
    text = _ember("inspect", str(path))
    assert text.returncode == 0, text.stderr
    return info, text.stdout


@needs_executorch
def test_inspect_matches_executorch_on_ember_file(tmp_path):
    path = _save(tmp_path)
    _check_against_executorch(_inspect_json(path), path.read_bytes())


@needs_executorch
def test_inspect_executorch_portable_file(tmp_path):
    from executorch.exir import to_edge

    ep = torch.export.export(MLP().eval(), (torch.randn(2, 32),))
    info, text = _inspect_et(tmp_path, to_edge(ep).to_executorch(), "et_mlp")
    m = info["methods"][0]
    assert {op["name"]: op["calls"] for op in m["operators"]} == {
        "aten::permute_copy.out": 3, "aten::addmm.out": 3, "aten::relu.out": 2}
    assert m["output_spec"].startswith("[1, {")  # ExecuTorch writes torch's JSON pytree dump
    assert "  input container:  [1, {" in text and "bytes: constants\n" in text


@needs_executorch
def test_inspect_executorch_delegated_file(tmp_path):
    """XNNPACK-delegated: a delegate blob segment and named-data segments."""
    from executorch.exir import to_edge_transform_and_lower

    try:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    except ImportError as e:  # pragma: no cover - part of the executorch wheel
        pytest.skip(f"XNNPACK partitioner unavailable: {e}")
    ep = torch.export.export(MLP().eval(), (torch.randn(2, 32),))
    prog = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()]).to_executorch()
    info, text = _inspect_et(tmp_path, prog, "et_xnnpack")
    m = info["methods"][0]
    assert m["instructions"]["delegate_calls"] >= 1
    d = m["delegates"][0]
    assert d["id"] == "XnnpackBackend" and d["location"] == "segment" and d["calls"] >= 1
    assert info["segments"][d["index"]]["contents"][0].startswith("delegate XnnpackBackend")
    assert info["named_data"], "XNNPACK stores its weights as named data"
    for n in info["named_data"]:
        assert f"named data '{n['key']}'" in info["segments"][n["segment_index"]]["contents"]
    assert "    [0] XnnpackBackend: segment " in text and "named data: " in text


@needs_executorch
def test_inspect_executorch_mutable_data_file(tmp_path):
    """A buffer with an initial value: a mutable-data segment."""
    from executorch.exir import ExecutorchBackendConfig, to_edge
    from executorch.exir.passes.init_mutable_pass import InitializedMutableBufferPass

    class Acc(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("acc", torch.arange(4.0))

        def forward(self, x):
            self.acc.add_(x)
            return self.acc * 2

    ep = torch.export.export(Acc(), (torch.ones(4),))
    config = ExecutorchBackendConfig(passes=[InitializedMutableBufferPass(["acc"])])
    info, text = _inspect_et(tmp_path, to_edge(ep).to_executorch(config), "et_acc")
    (md,) = info["mutable_data"]
    assert info["segments"][md["segment_index"]]["contents"] == ["mutable data"]
    assert info["methods"][0]["values"]["mutable_tensors"] == 1
    assert "mutable data: segment " in text and ": mutable data\n" in text
