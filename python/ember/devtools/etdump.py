"""ETDump files (ExecuTorch's format of runtime events) as profiles for the
Inspector: the ones `ember run --etdump` and Profile.save_etdump write, and the
ones ExecuTorch's runtime writes when it runs a .pte with its event tracer.

The file holds no event kinds; the compiler's debug info says what each
instruction is, so the profile is made against it:
- "Method::execute" is a run's own event (its execute() time);
- an event with a delegate's id (int or string) is work a delegate timed
  inside its call;
- at an instruction, an event that lies inside another event of the same
  instruction is work timed inside that call (ExecuTorch's runtime times a
  kernel call as "OPERATOR_CALL", and the kernel inside it as
  "native_call_<op>");
- the others are the instruction's calls, named as the debug info names the
  instruction (its kernel or backend), ExecuTorch's "OPERATOR_CALL" or
  "DELEGATE_CALL", or, where the debug info has no entry, one of Ember's
  control instructions. Any other name means the file is of another program.

    profile = read_etdump_profile("model.etdp", prog.debug_info)
    Inspector(prog.debug_info, "model.etdp")      # the same, inside the Inspector
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _C
from ..runtime import Event

RUN_EVENT = "Method::execute"
# ExecuTorch's names for the framework's own events and for its calls.
_FRAMEWORK_EVENTS = {"Method::init", "Program::load_method"}
_CALL_EVENTS = {"OPERATOR_CALL", "DELEGATE_CALL"}
_CONTROL_EVENTS = {"ember::move", "ember::jump_false", "ember::free"}


@dataclass(frozen=True)
class EtdumpProfile:
    """The runs of one method in an ETDump, as Module.profile's Profile has
    them: `events` in the kinds of ember.runtime.Event."""
    method: str
    runs: int
    events: list[Event]
    run_times_ms: list[float]
    total_ms: float
    dropped: int = 0


def read_etdump(source: str | os.PathLike | bytes) -> list[tuple[str, int, list[tuple]]]:
    """An ETDump's runs, as the file holds them: (name, bundled_input_index,
    events), each event (name, chain_index, instruction_id,
    delegate_debug_id_int, delegate_debug_id_str, start_time, end_time).
    EmberRuntimeError for a file that is no ETDump or a damaged one."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _C.read_etdump(bytes(source))
    return _C.read_etdump(Path(source).read_bytes())


def _pick_runs(runs: list, methods: set[str], method: str | None) -> tuple[str, list]:
    """The method whose runs to read, and those runs: the blocks named after
    it, or every block when none is named after any method (ExecuTorch's
    runtime names its blocks its own way)."""
    named = [r for r in runs if r[0] in methods]
    if method is None:
        if named:
            method = named[0][0]
        elif len(methods) == 1:
            method = next(iter(methods))
        else:
            raise ValueError(f"the ETDump's run blocks ({sorted({r[0] for r in runs})}) name "
                             f"none of the debug info's methods ({sorted(methods)}): say which "
                             "with method=")
    if method not in methods:
        raise ValueError(f"the debug info has no method '{method}' (it has {sorted(methods)})")
    return method, ([r for r in named if r[0] == method] if named else list(runs))


def read_etdump_profile(source: str | os.PathLike | bytes, debug_info: list[dict],
                        method: str | None = None) -> EtdumpProfile:
    """The runs of `method` (default: the method the run blocks are named
    after) in an ETDump, as a profile whose event kinds come from
    `debug_info` (ExecutorchProgramManager.debug_info's entries)."""
    methods = {e["method"] for e in debug_info}
    method, runs = _pick_runs(read_etdump(source), methods, method)
    entries = {int(e["instruction"]): e for e in debug_info if e["method"] == method}
    events: list[Event] = []
    run_times: list[float] = []
    for index, (_, _, raw) in enumerate(runs):
        # An instruction's spans, to tell a call from the work timed inside
        # it: of two equal spans, the later one (ended last) is the call.
        spans: dict[int, list[tuple[int, int, int]]] = {}
        for pos, (_, chain, instr, id_int, id_str, start, end) in enumerate(raw):
            if chain >= 0 and instr >= 0 and id_int == -1 and not id_str:
                spans.setdefault(instr, []).append((start, end, pos))
        for pos, (name, chain, instr, id_int, id_str, start, end) in enumerate(raw):
            handle = instr if chain >= 0 and instr >= 0 else -1
            kind = "delegate_internal"
            if name == RUN_EVENT:
                kind, handle = "method", -1
                run_times.append((end - start) / 1e6)
            elif name in _FRAMEWORK_EVENTS:
                continue
            elif handle >= 0 and id_int == -1 and not id_str and not any(
                    s <= start and end <= e and ((s, e) != (start, end) or p > pos)
                    for s, e, p in spans[handle] if p != pos):
                entry = entries.get(handle)
                expected = {entry["target"]} | _CALL_EVENTS if entry else _CONTROL_EVENTS
                if name not in expected:
                    raise ValueError(
                        f"the ETDump's event '{name}' at instruction {handle} of '{method}' is "
                        f"not what the debug info has there "
                        f"({entry['target'] if entry else 'no kernel or delegate call'}): "
                        "it is another program's")
                if entry is None:
                    kind = "control"
                else:
                    kind = "delegate" if entry["op"] == "edge.delegate_call" else "kernel"
            events.append(Event(name, kind, handle, id_int, start, end, index))
    return EtdumpProfile(method, len(runs), events, run_times, sum(run_times))


def is_etdump_source(profile: Any) -> bool:
    """Whether the Inspector was given an ETDump (a path or bytes) rather than a
    profile object."""
    return isinstance(profile, (str, os.PathLike, bytes, bytearray, memoryview))
