"""The Inspector: a profile's events tied to the Edge ops and the user's
source lines that made them.

The compiler records, per kernel or delegate call of every method, the Edge
op, the kernel (or backend) and the source lines of the PyTorch code the op
came from (ExecutorchProgramManager.debug_info, saved with
save_debug_info(path): Ember's counterpart of ExecuTorch's ETRecord). A
profile (Module.profile / profile_method) names each event by the
instruction's index, its debug handle; the Inspector joins the two.

    prog = ember.to_edge(ep).to_executorch()
    prog.save("m.pte"); prog.save_debug_info("m.debug.json")
    profile = ember.runtime.load("m.pte").profile(x, runs=20)
    inspector = Inspector("m.debug.json", profile)
    print(inspector.table())          # per instruction, slowest first
    print(inspector.by_source()[0])   # the slowest source line
    inspector.save_html("m.html")

The profile may also be an ETDump file (a path or its bytes): one that
`ember run --etdump` or Profile.save_etdump wrote, or ExecuTorch's runtime
when it ran the same .pte with its event tracer (ember.devtools.etdump).

    inspector = Inspector("m.debug.json", "m.etdp")
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .etdump import is_etdump_source, read_etdump_profile


@dataclass(frozen=True)
class InstructionRow:
    """One instruction of the method over the profiled runs."""
    instruction: int  # the events' debug handle
    op: str           # the Edge op ("edge.convolution", "edge.delegate_call", ...)
    target: str       # the kernel ("aten::convolution.out") or the backend
    source: str       # the user's source lines ("model.py:12"; "; "-joined), or ""
    calls: int
    total_ms: float
    share: float      # of the runs' execute() time


@dataclass(frozen=True)
class SourceRow:
    """Every instruction one source line (or group of lines) made."""
    source: str
    ops: tuple[str, ...]
    calls: int
    total_ms: float
    share: float


def _load_debug_info(debug_info: Any) -> list[dict]:
    if hasattr(debug_info, "debug_info"):  # an ExecutorchProgramManager
        return list(debug_info.debug_info)
    if isinstance(debug_info, (str, os.PathLike)):
        path = Path(debug_info)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a debug-info file "
                             f"(ExecutorchProgramManager.save_debug_info): {e}") from None
        if not isinstance(data, dict) or data.get("format") != "ember-debug-info":
            raise ValueError(f"{path}: not a debug-info file "
                             "(ExecutorchProgramManager.save_debug_info)")
        return list(data["instructions"])
    if isinstance(debug_info, list):
        return list(debug_info)
    raise TypeError("debug_info must be an ExecutorchProgramManager, a path to its "
                    f"save_debug_info file or its debug_info list, not {type(debug_info).__name__}")


class Inspector:
    """A profile (ember.runtime.Profile, or an ETDump file's path or bytes)
    read against the compiler's debug info. `method` picks an ETDump's method
    when its run blocks are not named after one (ExecuTorch's runtime's)."""

    def __init__(self, debug_info: Any, profile: Any, method: str | None = None):
        entries = _load_debug_info(debug_info)
        if is_etdump_source(profile):
            profile = read_etdump_profile(profile, entries, method)
        elif method is not None:
            raise TypeError("method= is for an ETDump; a profile knows its method")
        self.method: str = profile.method
        self.runs: int = profile.runs
        self._total_ms = sum(profile.run_times_ms) or profile.total_ms
        by_handle = {int(e["instruction"]): e for e in entries if e["method"] == self.method}
        if entries and not by_handle:
            raise ValueError(f"the debug info has no method '{self.method}' (it has "
                             f"{sorted({e['method'] for e in entries})}): another program's?")
        calls: dict[int, int] = {}
        total: dict[int, float] = {}
        for ev in profile.events:
            if ev.kind not in ("kernel", "delegate") or ev.debug_handle < 0:
                continue
            calls[ev.debug_handle] = calls.get(ev.debug_handle, 0) + 1
            total[ev.debug_handle] = total.get(ev.debug_handle, 0.0) + ev.duration_ms
        unknown = sorted(h for h in calls if h not in by_handle)
        if unknown:
            raise ValueError(f"profile events of instructions {unknown[:5]} are not in the debug "
                             "info: it was saved for another program")
        share = (lambda ms: ms / self._total_ms) if self._total_ms > 0 else (lambda ms: 0.0)
        self.rows: list[InstructionRow] = sorted(
            (InstructionRow(h, by_handle[h]["op"], by_handle[h]["target"],
                            by_handle[h]["source"], calls[h], total[h], share(total[h]))
             for h in calls),
            key=lambda r: (-r.total_ms, r.instruction))

    def by_source(self) -> list[SourceRow]:
        """Instructions grouped by the source lines that made them, slowest first
        (ops with no recorded source are grouped under "")."""
        groups: dict[str, list[InstructionRow]] = {}
        for r in self.rows:
            groups.setdefault(r.source, []).append(r)
        out = [SourceRow(src, tuple(dict.fromkeys(r.op for r in rows)),
                         sum(r.calls for r in rows), sum(r.total_ms for r in rows),
                         sum(r.share for r in rows))
               for src, rows in groups.items()]
        return sorted(out, key=lambda r: -r.total_ms)

    def table(self, limit: int | None = None) -> str:
        """Per instruction, slowest first: time, share, op, kernel, source."""
        lines = [f"method '{self.method}', {self.runs} runs",
                 f"{'total ms':>9} {'share':>6} {'calls':>5}  {'op':<24} {'kernel':<32} source"]
        for r in self.rows[:limit]:
            lines.append(f"{r.total_ms:9.3f} {r.share:6.1%} {r.calls:5d}  {r.op:<24} "
                         f"{r.target:<32} {r.source or '-'}")
        return "\n".join(lines)

    def html(self) -> str:
        """A standalone HTML report: the source lines, then the instructions."""
        def rows(items, cells):
            return "\n".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>"
                                              for c in cells(i)) + "</tr>" for i in items)
        by_src = rows(self.by_source(), lambda r: (r.source or "-", ", ".join(r.ops), r.calls,
                                                   f"{r.total_ms:.3f}", f"{r.share:.1%}"))
        by_ins = rows(self.rows, lambda r: (r.instruction, r.op, r.target, r.source or "-",
                                            r.calls, f"{r.total_ms:.3f}", f"{r.share:.1%}"))
        title = html.escape(f"Ember profile of '{self.method}' ({self.runs} runs)")
        return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px}} td:nth-last-child(-n+2){{text-align:right}}</style>
</head><body><h1>{title}</h1>
<h2>By source line</h2>
<table><tr><th>source</th><th>ops</th><th>calls</th><th>total ms</th><th>share</th></tr>
{by_src}</table>
<h2>By instruction</h2>
<table><tr><th>#</th><th>op</th><th>kernel / backend</th><th>source</th><th>calls</th>
<th>total ms</th><th>share</th></tr>
{by_ins}</table></body></html>
"""

    def save_html(self, path: str | os.PathLike) -> None:
        """Write `html()` to `path`."""
        Path(path).write_text(self.html())
