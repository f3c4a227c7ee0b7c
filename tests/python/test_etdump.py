"""ETDump files from Ember's runtime (`ember run --etdump`, Profile.save_etdump)
read by ExecuTorch's own deserializer and devtools Inspector: one run block per
timed run, one event per instruction named as Ember's profile names it (the
kernel the compiler's debug info records for that instruction), durations that
are the profile's, and a delegate's own events under its call. Then Ember's
Inspector reading ETDumps: its own, one laid out as ExecuTorch's runtime lays
one out (made with ExecuTorch's serializer), and damaged ones.

Skipped when `executorch` is not importable (scripts/setup.sh installs
executorch==1.4.1 into .venv). No test asserts a time: only counts, names,
nesting and the agreement of two views of the same runs.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from collections import defaultdict

import pytest
import torch

import ember
from ember.devtools import BundledProgram, Inspector
from ember.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
from ember.devtools.etdump import read_etdump, read_etdump_profile
from ember.errors import EmberRuntimeError
from ember.partitioners import XnnpackPartitioner

pytest.importorskip(
    "executorch.devtools",
    reason="executorch is not importable: the ETDump tests read the files with ExecuTorch's "
    "Inspector (scripts/setup.sh installs executorch==1.4.1 into .venv)")

from executorch.devtools import Inspector as EtInspector  # noqa: E402
from executorch.devtools.etdump.serialize import deserialize_from_etdump_flatcc  # noqa: E402

RUNS = 3


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x, y):
        return torch.relu(self.fc(x)).sum(1) * 2, self.conv(y).mean()


ARGS = (torch.randn(2, 8), torch.randn(1, 3, 8, 8))


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """The model exported portable and with XNNPACK: (path, debug info) each."""
    d = tmp_path_factory.mktemp("etdump")
    ep = torch.export.export(Small().eval(), ARGS)
    out = {}
    for name, prog in (
            ("portable", ember.to_edge(ep).to_executorch()),
            ("xnnpack", ember.to_edge_transform_and_lower(
                ep, partitioner=[XnnpackPartitioner()]).to_executorch())):
        prog.save(d / f"{name}.pte")
        out[name] = (d / f"{name}.pte", list(prog.debug_info))
    return out


def _ember(*args):
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True, text=True)


def _profile_events(etdump):
    """Per run block: its profile events (ExecuTorch's schema dataclasses)."""
    return [[e.profile_event for e in run.events] for run in etdump.run_data]


def _check_runs(runs, debug_info):
    """Every run: each kernel or delegate call of the debug info once, in order,
    named by its target; delegate events inside their call; the whole-run event
    last, spanning them all."""
    calls = {d["instruction"]: d["target"] for d in debug_info}
    for events in runs:
        *inner, whole = events
        assert (whole.name, whole.instruction_id, whole.chain_index) == ("Method::execute", -1, -1)
        steps = [e for e in inner if e.delegate_debug_id_int == -1]
        assert [(e.instruction_id, e.name) for e in steps] == sorted(calls.items())
        assert all(e.chain_index == 0 for e in inner)
        for e in inner:
            assert whole.start_time <= e.start_time <= e.end_time <= whole.end_time
        for a, b in zip(steps, steps[1:], strict=False):
            assert a.end_time <= b.start_time
        for e in inner:
            if e.delegate_debug_id_int != -1:
                call = next(s for s in steps if s.instruction_id == e.instruction_id)
                assert calls[e.instruction_id] == "XnnpackBackend"
                assert call.start_time <= e.start_time <= e.end_time <= call.end_time


@pytest.mark.parametrize("backend", ["portable", "xnnpack"])
def test_ember_run_etdump_reads_in_executorch(programs, backend, tmp_path):
    pte, debug_info = programs[backend]
    path = tmp_path / "run.etdp"
    out = _ember("run", str(pte), "--etdump", str(path), "--profile", "--threads", "1",
                 "--iterations", str(RUNS), "--warmup", "1")
    assert out.returncode == 0, out.stderr
    data = path.read_bytes()
    # 1. ExecuTorch's deserializer (flatc with the wheel's schema, size-prefixed):
    #    one run block per timed run, named after the method.
    etdump = deserialize_from_etdump_flatcc(data)
    assert etdump.version == 0
    assert [(r.name, r.bundled_input_index) for r in etdump.run_data] == [("forward", -1)] * RUNS
    runs = _profile_events(etdump)
    _check_runs(runs, debug_info)
    n_events = sum(len(r) for r in runs)
    assert f"etdump: {path} written ({RUNS} runs, {n_events} events)" in out.stdout
    delegate_events = [e for r in runs for e in r if e.delegate_debug_id_int != -1]
    assert bool(delegate_events) == (backend == "xnnpack")

    # 2. The same runs as `--profile` printed them: per op, the calls and the
    #    total time (the table rounds to 0.001 ms).
    rows = re.findall(r"^(\S+) +(kernel|delegate) +(\d+) +([0-9.]+) ", out.stdout, re.M)
    assert rows
    totals = defaultdict(lambda: [0, 0.0])
    for e in (e for r in runs for e in r[:-1] if e.delegate_debug_id_int == -1):
        totals[e.name][0] += 1
        totals[e.name][1] += (e.end_time - e.start_time) / 1e6
    assert {name: int(calls) for name, _, calls, _ in rows} == {k: v[0] for k, v in totals.items()}
    for name, _, _, ms in rows:
        assert totals[name][1] == pytest.approx(float(ms), abs=1e-3)

    # 3. ExecuTorch's Inspector: the identical runs make one event block whose
    #    events hold one duration per run, in ms, as the file's times give them.
    inspector = EtInspector(etdump_path=str(path))
    assert [b.name for b in inspector.event_blocks] == ["forward"]
    block = inspector.event_blocks[0]
    assert len(block.events) == len(runs[0])
    for event, first in zip(block.events, runs[0], strict=True):
        assert event._instruction_id == first.instruction_id
        assert len(event.perf_data.raw) == RUNS
        assert event.perf_data.raw[0] == pytest.approx((first.end_time - first.start_time) / 1e6,
                                                      abs=1e-6)
        if first.delegate_debug_id_int != -1:
            # A delegate's event is known by its id, as for ExecuTorch's delegates.
            assert event.is_delegated_op and event.name == str(first.delegate_debug_id_int)
        else:
            assert not event.is_delegated_op and event.name == first.name
    df = block.to_dataframe()
    assert list(df["event_name"]) == [e.name for e in block.events]


def test_profile_save_etdump_matches_the_profile(programs, tmp_path):
    pte, debug_info = programs["xnnpack"]
    prof = ember.runtime.load(pte).profile(*ARGS, runs=2)
    path = tmp_path / "prof.etdp"
    prof.save_etdump(path)
    assert path.read_bytes() == prof.etdump()
    runs = _profile_events(deserialize_from_etdump_flatcc(path.read_bytes()))
    assert len(runs) == prof.runs == 2
    _check_runs(runs, debug_info)
    # Event for event: the profile's, with the whole run under ExecuTorch's name.
    flat = [e for r in runs for e in r]
    assert len(flat) == len(prof.events)
    for theirs, ours in zip(flat, prof.events, strict=True):
        name = "Method::execute" if ours.kind == "method" else ours.name
        assert (theirs.name, theirs.instruction_id) == (name, ours.debug_handle)
        assert (theirs.start_time, theirs.end_time) == (ours.start_ns, ours.end_ns)
        assert theirs.delegate_debug_id_int == ours.delegate_debug_id
    # A run on a bundled program's test case says which.
    tagged = deserialize_from_etdump_flatcc(prof.etdump(bundled_input_index=3))
    assert [r.bundled_input_index for r in tagged.run_data] == [3, 3]


def test_a_bundled_run_records_its_test_case(programs, tmp_path):
    pte, _ = programs["portable"]
    cases = [MethodTestCase(inputs=ARGS, expected_outputs=None)]
    suite = MethodTestSuite(method_name="forward", test_cases=cases)
    BundledProgram(pte.read_bytes(), [suite]).save(tmp_path / "m.bpte")
    out = _ember("run", str(tmp_path / "m.bpte"), "--etdump", str(tmp_path / "b.etdp"))
    assert out.returncode == 0, out.stderr
    etdump = deserialize_from_etdump_flatcc((tmp_path / "b.etdp").read_bytes())
    assert [(r.name, r.bundled_input_index) for r in etdump.run_data] == [("forward", 0)]
    inspector = EtInspector(etdump_path=str(tmp_path / "b.etdp"))
    assert inspector.event_blocks[0].bundled_input_index == 0


def test_bad_paths_and_flags_are_refused(programs, tmp_path):
    pte, _ = programs["portable"]
    out = _ember("run", str(pte), "--etdump", str(tmp_path / "missing_dir" / "x.etdp"))
    assert out.returncode != 0 and f"cannot write {tmp_path / 'missing_dir' / 'x.etdp'}" in \
        out.stderr
    out = _ember("run", str(pte), "--verify", "--etdump", str(tmp_path / "x.etdp"))
    assert out.returncode != 0 and "--etdump" in out.stderr
    assert not (tmp_path / "x.etdp").exists()


def test_executorch_rejects_a_damaged_file(programs, tmp_path):
    # What makes its acceptance of Ember's files mean something: its reader
    # checks the framing and the identifier.
    pte, _ = programs["portable"]
    good = ember.runtime.load(pte).profile(*ARGS).etdump()
    deserialize_from_etdump_flatcc(good)
    wrong_id = good[:8] + b"XX00" + good[12:]
    for bad in (good[:len(good) // 2], wrong_id, b"\x00" * 64):
        with pytest.raises(subprocess.CalledProcessError):  # its flatc fails
            deserialize_from_etdump_flatcc(bad)


# Ember's Inspector reads ETDump files too (ember.devtools.etdump).

def test_ember_inspector_reads_its_etdump_as_the_profile(programs, tmp_path):
    pte, debug_info = programs["xnnpack"]
    prof = ember.runtime.load(pte).profile(*ARGS, runs=2)
    prof.save_etdump(tmp_path / "m.etdp")
    from_profile = Inspector(debug_info, prof)
    for source in (tmp_path / "m.etdp", str(tmp_path / "m.etdp"), prof.etdump()):
        from_file = Inspector(debug_info, source)
        assert (from_file.method, from_file.runs) == ("forward", 2)
        assert from_file.rows == from_profile.rows
        assert {r.target for r in from_file.rows} >= {"XnnpackBackend"}
    loaded = read_etdump_profile(prof.etdump(), debug_info)
    assert [(e.name, e.kind, e.debug_handle, e.delegate_debug_id, e.start_ns, e.end_ns, e.run)
            for e in loaded.events] == \
        [("Method::execute" if e.kind == "method" else e.name, e.kind, e.debug_handle,
          e.delegate_debug_id, e.start_ns, e.end_ns, e.run) for e in prof.events]
    assert loaded.run_times_ms == pytest.approx(prof.run_times_ms)


def _executorch_layout(debug_info, runs, rename=None):
    """An ETDump laid out as ExecuTorch's runtime writes one, built and
    serialized with ExecuTorch's own schema classes and serializer (not
    size-prefixed): per run, a kernel call is "OPERATOR_CALL" with the
    kernel's "native_call_<op>" inside it, a delegate call "DELEGATE_CALL"
    with the backend's events (int ids) inside, the run "Method::execute" on
    no chain (instruction 0: ExecuTorch's unset handle); blocks named its own way."""
    from executorch.devtools.etdump import schema_flatcc as fc
    from executorch.devtools.etdump.serialize import serialize_to_etdump_flatcc

    def event(name, instr, start, end, chain=0, id_int=-1):
        return fc.Event(profile_event=fc.ProfileEvent(
            name=name, chain_index=chain, instruction_id=instr, delegate_debug_id_int=id_int,
            delegate_debug_id_str="", delegate_debug_metadata=b"", start_time=start,
            end_time=end), allocation_event=None, debug_event=None)

    blocks = []
    for r in range(runs):
        t = 10_000_000 * (r + 1)
        events = []
        for d in debug_info:
            i, base = d["instruction"], t + 100_000 * d["instruction"]
            if d["op"] == "edge.delegate_call":
                events.append(event(None, i, base + 10, base + 20_000, id_int=0))
                events.append(event("DELEGATE_CALL", i, base, base + 30_000))
            else:
                op = d["target"].split("::")[1]
                events.append(event(f"native_call_{op}", i, base + 100, base + 40_000))
                events.append(event((rename or {}).get(i, "OPERATOR_CALL"), i, base,
                                    base + 50_000))
        events.append(event("Method::execute", 0, t, t + 100_000 * len(debug_info), chain=-1))
        blocks.append(fc.RunData(name="Execute", bundled_input_index=-1, allocators=None,
                                 events=events))
    return serialize_to_etdump_flatcc(fc.ETDumpFlatCC(version=0, run_data=blocks))


def test_ember_inspector_reads_an_executorch_laid_out_etdump(programs):
    pte, debug_info = programs["xnnpack"]
    data = _executorch_layout(debug_info, runs=2)
    assert data[4:8] == b"ED00"  # ExecuTorch's Python serializer writes no size prefix
    inspector = Inspector(debug_info, data)
    assert (inspector.method, inspector.runs) == ("forward", 2)
    # Each instruction once per run, timed by its call event (not the kernel
    # inside it): 50 us a kernel call, 30 us a delegate call.
    assert sorted((r.instruction, r.target, r.calls, round(r.total_ms, 6))
                  for r in inspector.rows) == \
        [(d["instruction"], d["target"], 2,
          0.06 if d["op"] == "edge.delegate_call" else 0.1) for d in debug_info]
    assert inspector._total_ms == pytest.approx(2 * 0.1 * len(debug_info))
    profile = read_etdump_profile(data, debug_info)
    kinds = {(e.name, e.kind) for e in profile.events}
    assert ("native_call_mean.dtype_out", "delegate_internal") in kinds
    assert ("DELEGATE_CALL", "delegate") in kinds and ("OPERATOR_CALL", "kernel") in kinds

    # A call named as another program's is refused.
    kernel = next(d["instruction"] for d in debug_info if d["op"] != "edge.delegate_call")
    other = _executorch_layout(debug_info, runs=1, rename={kernel: "aten::convolution.out"})
    with pytest.raises(ValueError, match=rf"'aten::convolution.out' at instruction {kernel} "
                                         r"of 'forward' is not what the debug info has"):
        Inspector(debug_info, other)


def test_damaged_etdumps_are_refused(programs):
    pte, debug_info = programs["portable"]
    good = ember.runtime.load(pte).profile(*ARGS).etdump()
    assert len(read_etdump(good)) == 1
    half = len(good) // 2
    for bad, code, says in (
            (good[:half], "InvalidProgram", "truncated: the size prefix says"),
            (struct.pack("<I", half - 4) + good[4:half], "InvalidProgram", "verifier refuses"),
            (good[:8] + b"XX00" + good[12:], "VersionMismatch", "without the ED00 identifier"),
            (b"\0" * 64, "VersionMismatch", "without the ED00 identifier"),
            (b"", "VersionMismatch", "0 bytes without")):
        with pytest.raises(EmberRuntimeError, match=says) as info:
            read_etdump(bad)
        assert info.value.code == code
    with pytest.raises(TypeError, match="method= is for an ETDump"):
        Inspector(debug_info, ember.runtime.load(pte).profile(*ARGS), method="forward")
