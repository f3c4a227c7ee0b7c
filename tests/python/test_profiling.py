"""Profiling from Python and the command line: Module.profile's rows and
events against the program's own instruction counts, the Chrome trace,
`ember run --profile/--trace/--threads`, and the process's thread count.

No test asserts a time: only counts, orderings and the nesting of events.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pytest
import torch

import ember
from ember import runtime
from ember.partitioners import TestBackendPartitioner
from models import SmallCNN, randomize_batch_norm

RUNS = 3
INSTRUCTION_KINDS = {"kernel", "delegate", "control"}


def _cnn_program(partitioner=None) -> bytes:
    model = randomize_batch_norm(SmallCNN()).eval()
    edge = ember.to_edge(torch.export.export(model, (torch.randn(1, 3, 16, 16),)))
    if partitioner is not None:
        edge = edge.to_backend(partitioner)
    return edge.to_executorch().buffer


@pytest.fixture(scope="module")
def cnn() -> bytes:
    return _cnn_program()


def _method_summary(buffer: bytes) -> dict:
    return runtime._C.RuntimeModule.from_bytes(buffer).program_summary()["methods"][0]


def test_profile_counts_every_instruction_of_every_run(cnn):
    m = runtime.load(cnn)
    summary = _method_summary(cnn)
    n = summary["num_instructions"]
    prof = m.profile(torch.randn(1, 3, 16, 16), runs=RUNS, warmup=1)
    assert (prof.method, prof.runs, prof.dropped) == ("forward", RUNS, 0)

    # 1. Rows: one per operator, calls = runs x its KernelCalls, longest first.
    calls = {r.name: r.calls for r in prof.rows}
    assert calls == {op["name"]: RUNS * op["calls"] for op in summary["operators"]}
    assert all(r.kind == "kernel" for r in prof.rows)
    assert [r.total_ms for r in prof.rows] == sorted((r.total_ms for r in prof.rows), reverse=True)

    # 2. Shares are of execute()'s time: instructions run inside it, one after
    #    another, so they sum to at most 100% (no lower bound: a busy machine
    #    can preempt between instructions; tests assert no time).
    shares = sum(r.share for r in prof.rows)
    assert 0.0 < shares <= 1.0 + 1e-9
    assert prof.total_ms == pytest.approx(sum(prof.run_times_ms))
    assert len(prof.run_times_ms) == RUNS

    # 3. Events: per run, each instruction once, by index, inside its run's event.
    assert len(prof.events) == RUNS * (n + 1)
    for run in range(RUNS):
        events = [e for e in prof.events if e.run == run]
        method = [e for e in events if e.kind == "method"]
        assert len(method) == 1 and method[0].name == "forward" and events[-1] is method[0]
        steps = [e for e in events if e.kind in INSTRUCTION_KINDS]
        assert [e.debug_handle for e in steps] == list(range(n))
        for a, b in zip(steps, steps[1:]):
            assert a.end_ns <= b.start_ns
        assert all(method[0].start_ns <= e.start_ns <= e.end_ns <= method[0].end_ns for e in steps)

    table = prof.table()
    assert f"profile of 'forward': {RUNS} runs" in table
    assert re.search(rf"^ember::convolution_nhwc\.out +kernel +{RUNS * 2} ", table, re.M), table
    assert re.search(rf"^total \(instructions\) +{RUNS * n} ", table, re.M), table


def test_chrome_trace_has_one_event_per_instruction_per_run(cnn, tmp_path):
    m = runtime.load(cnn)
    n = _method_summary(cnn)["num_instructions"]
    prof = m.profile(torch.randn(1, 3, 16, 16), runs=RUNS)
    path = tmp_path / "trace.json"
    prof.save_trace(path)
    trace = json.loads(path.read_text())
    assert trace == prof.trace()
    events = trace["traceEvents"]
    assert all(e["ph"] == "X" and e["ts"] >= 0 and e["dur"] >= 0 for e in events)
    kinds = Counter(e["cat"] for e in events)
    assert kinds == {"kernel": RUNS * n, "method": RUNS}
    per_run = Counter((e["args"]["run"], e["args"]["debug_handle"])
                      for e in events if e["cat"] != "method")
    assert per_run == {(r, i): 1 for r in range(RUNS) for i in range(n)}
    assert trace["otherData"] == {"method": "forward", "runs": RUNS, "dropped_events": 0}


def test_profile_of_a_delegated_program():
    """A delegate call is one row named by its backend; what the backend timed
    inside the call comes as a separate row, not added to the instructions."""
    buffer = _cnn_program(TestBackendPartitioner(["convolution", "relu"]))
    summary = _method_summary(buffer)
    prof = runtime.load(buffer).profile(torch.randn(1, 3, 16, 16), runs=2)
    delegate_calls = sum(d["calls"] for d in summary["delegates"])
    assert delegate_calls > 0
    rows = {(r.name, r.kind): r.calls for r in prof.rows}
    assert rows[("EmberTestBackend", "delegate")] == 2 * delegate_calls
    assert [(r.name, r.calls) for r in prof.delegate_rows] == [
        ("EmberTestBackend::forward", 2 * delegate_calls)]
    inner = [e for e in prof.events if e.kind == "delegate_internal"]
    assert len(inner) == 2 * delegate_calls
    calls = {(e.run, e.debug_handle): e for e in prof.events if e.kind == "delegate"}
    for e in inner:  # inside the call it was logged from
        call = calls[(e.run, e.debug_handle)]
        assert call.start_ns <= e.start_ns <= e.end_ns <= call.end_ns
    assert "EmberTestBackend::forward" in prof.table()


def test_profile_rejects_bad_arguments(cnn):
    m = runtime.load(cnn)
    x = torch.randn(1, 3, 16, 16)
    with pytest.raises(ValueError, match="runs must be >= 1"):
        m.profile(x, runs=0)
    with pytest.raises(ValueError, match="warmup must be >= 0"):
        m.profile(x, warmup=-1)
    with pytest.raises(TypeError, match="runs must be an int"):
        m.profile(x, runs=2.5)
    with pytest.raises(ember.EmberRuntimeError, match="InvalidArgument"):
        m.profile(torch.randn(1, 3, 8, 8))


def test_set_num_threads_round_trips_and_rejects_bad_values():
    before = runtime.get_num_threads()
    try:
        for n in (1, 2):
            runtime.set_num_threads(n)
            assert runtime.get_num_threads() == n
        runtime.set_num_threads(0)
        assert runtime.get_num_threads() == runtime._C.num_cores()
        for bad in (-1, runtime._C.MAX_THREADS + 1):
            with pytest.raises(ValueError, match="between 0 .* and 256"):
                runtime.set_num_threads(bad)
        for bad in (1.5, True, "2"):
            with pytest.raises(TypeError, match="takes an int"):
                runtime.set_num_threads(bad)
        assert runtime.get_num_threads() == runtime._C.num_cores()
    finally:
        runtime.set_num_threads(before)


def _ember(*args):
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True, text=True)


def test_ember_run_profile_trace_threads(cnn, tmp_path):
    path = tmp_path / "cnn.pte"
    path.write_bytes(cnn)
    summary = _method_summary(cnn)
    trace_path = tmp_path / "out.json"
    out = _ember("run", str(path), "--profile", "--trace", str(trace_path), "--threads", "1",
                 "--iterations", str(RUNS), "--warmup", "1")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^threads: 1$", out.stdout, re.M), out.stdout
    assert f"over {RUNS} runs (execute only, profiled)" in out.stdout
    assert f"profile of 'forward': {RUNS} runs" in out.stdout
    for op in summary["operators"]:
        pattern = rf"^{re.escape(op['name'])} +kernel +{RUNS * op['calls']} +[0-9.]+ +[0-9.]+%$"
        assert re.search(pattern, out.stdout, re.M), (op, out.stdout)
    rows = re.findall(r"^(\S+) +(kernel|delegate|control) +\d+ +([0-9.]+) ", out.stdout, re.M)
    times = [float(t) for _, _, t in rows]
    assert times == sorted(times, reverse=True)
    events = json.loads(trace_path.read_text())["traceEvents"]
    assert len([e for e in events if e["cat"] == "kernel"]) == RUNS * summary["num_instructions"]
    assert f"trace: {trace_path} written ({len(events)} events)" in out.stdout

    # --trace alone writes the trace and prints no table.
    out = _ember("run", str(path), "--trace", str(tmp_path / "t2.json"))
    assert out.returncode == 0, out.stderr
    assert "profile of" not in out.stdout
    assert len(json.loads((tmp_path / "t2.json").read_text())["traceEvents"]) == \
        summary["num_instructions"] + 1


def test_ember_run_rejects_bad_threads_and_trace_paths(cnn, tmp_path):
    path = tmp_path / "cnn.pte"
    path.write_bytes(cnn)
    for bad in ("-1", "x", "257"):
        out = _ember("run", str(path), "--threads", bad)
        assert out.returncode != 0
        assert f"bad value for --threads: {bad}" in out.stderr
    out = _ember("run", str(path), "--trace", str(tmp_path / "missing_dir" / "t.json"))
    assert out.returncode != 0 and "cannot write" in out.stderr
