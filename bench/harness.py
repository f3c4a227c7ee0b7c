"""Ember beside ExecuTorch, ONNX Runtime and eager PyTorch, in one run.

    .venv/bin/python -m bench                         # the default models, full size
    .venv/bin/python -m bench --models resnet50 bert --runs 30 --threads 1
    .venv/bin/python -m bench --small --models mobilenet_v3_small --runs 3   # a smoke run

For each model, in this order:
  1. export: torch.export once (timed on its own), then from that program
     Ember (to_edge -> to_executorch -> bytes), ExecuTorch with XNNPACK
     (to_edge_transform_and_lower + XnnpackPartitioner -> to_executorch),
     plain ExecuTorch (to_edge -> to_executorch) and ONNX (torch.onnx.export);
  2. footprint: each file-based system starts in a fresh process of its own
     (bench/worker.py) that loads the file and runs it once: load time, cold
     run, peak RSS. Ember's file also runs under its C++ runner `ember_run`;
  3. latency: every system timed in turns (one call of each per round), so
     that noise on the machine hits all of them alike, each call after
     `--gap` seconds of idle (threads a system leaves spinning after its call
     do not run into the next system's time), at 1 thread and at
     all threads where the runtime has threads. Eager PyTorch runs in the
     harness; each other system (and thread count) in its own process.
     The first `--warmup` calls are not counted. Each system gets about
     `--budget` seconds of timed calls (at least one, at most `--runs`); a
     system whose cold run already took longer than the budget is not called
     again and its cold run is its only
     sample (marked "cold" in the tables).
Every system's first output is compared with eager PyTorch's, so that a fast
wrong answer shows. A system that cannot export or run a model shows the
reason in its cell. Results go to a JSON file and to the section "Ember
beside its peers" of docs/benchmarks.md (unless --no-doc).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import recorded_line, replace_section
from bench.systems import (
    EXPORTERS,
    KINDS,
    LABELS,
    SUFFIX,
    THREADED,
    WORKER_ENV,
    EagerRunner,
    Runner,
    describe_error,
    file_bytes,
    first_output,
    planned_bytes,
    to_numpy,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "models"))
SECTION = "## Ember beside its peers"
# The convolutional networks of the zoo (issue targets quote their geometric mean).
CNNS = ["resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny"]
# ... and its transformers.
TRANSFORMERS = ["vit_b16", "bert", "gpt2", "whisper_encoder"]
DEFAULT_MODELS = ["resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "vit_b16",
                  "convnext_tiny", "bert", "gpt2", "whisper_encoder"]
MIB = 1 << 20


def _max_diff(got: Any, reference: np.ndarray) -> float:
    got = np.asarray(to_numpy(got))
    if got.shape != reference.shape:
        return math.inf
    return float(np.abs(got.astype(np.float64) - reference.astype(np.float64)).max(initial=0.0))


def _weight_bytes(ep: Any) -> int:
    """Bytes of the program's parameters, buffers and constants, each storage once."""
    seen, total = set(), 0
    for t in [*ep.state_dict.values(), *ep.constants.values()]:
        if hasattr(t, "untyped_storage"):
            key = t.untyped_storage().data_ptr()
            if key not in seen:
                seen.add(key)
                total += t.untyped_storage().nbytes()
    return total


def warm_up_exporters(kinds: list[str], workdir: Path) -> None:
    """Export a tiny model through every system once, untimed, so that no
    system's first timed export pays for its imports and first-call set-up."""
    import torch

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 5), torch.nn.LayerNorm(5)).eval()
    export_all(torch.export.export(model, (torch.randn(1, 3, 8, 8),)), kinds, workdir, 1)


def export_all(ep: Any, kinds: list[str], workdir: Path, rounds: int) -> tuple[dict, dict]:
    """Each system's export of `ep`, timed in turns over `rounds` rounds.
    Returns ({kind: {"s": median seconds} or {"error": reason}}, {kind: file})."""
    times: dict[str, list[float]] = {k: [] for k in kinds}
    errors: dict[str, str] = {}
    for _ in range(rounds):
        for kind in kinds:
            if kind in errors:
                continue
            path = workdir / f"{kind}{SUFFIX[kind]}"
            t0 = time.perf_counter()
            try:
                EXPORTERS[kind](ep, path)
            except Exception as e:  # noqa: BLE001 - a peer that cannot export is reported
                errors[kind] = describe_error(e)
                continue
            times[kind].append(time.perf_counter() - t0)
    report = {k: {"error": errors[k]} if k in errors else {"s": statistics.median(times[k])}
              for k in kinds}
    return report, {k: workdir / f"{k}{SUFFIX[k]}" for k in kinds if k not in errors}


class Worker:
    """A file-based system in a process of its own (bench/worker.py). The
    process starts by importing its runtime (`wait_ready`); `load` then has it
    load the file and run it once, and `start` holds what that measured."""

    def __init__(self, kind: str, path: Path, workdir: Path, threads: int):
        self.output = workdir / f"{kind}@{threads}.npy"
        self.log = workdir / f"{kind}@{threads}.log"
        self.error: str | None = None
        self.start: dict = {}
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.worker", kind, str(path),
                 str(workdir / "inputs.npz"), str(self.output), str(threads)],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                env=dict(os.environ, PYTHONWARNINGS="ignore", **WORKER_ENV.get(kind, {})))

    def wait_ready(self, timeout: float) -> None:
        self._answer(timeout, "importing the runtime")

    def load(self, timeout: float) -> None:
        self._send("load")
        self.start = self._answer(timeout, "load and one run")

    def _send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def _answer(self, timeout: float, what: str) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else None
        if line is None:
            raise RuntimeError(f"{what} took over {timeout:.0f} s")
        if not line:
            code = self.proc.wait()
            tail = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
            how = (f"crashed ({signal.Signals(-code).name})" if code < 0
                   else f"exited with code {code}")
            raise RuntimeError(f"{how}: {tail[-1][:160] if tail else 'no message'}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def run(self, timeout: float) -> float:
        """One inference; its time in seconds, as the worker measured it."""
        self._send("run")
        return self._answer(timeout, "one run")["ms"] / 1e3

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send("quit")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def ember_run_footprint(pte: Path, input_files: list[Path], timeout: float) -> dict:
    """Load time, one run and peak RSS of Ember's C++ runner `ember_run` on a
    file (one thread), as it reports them itself: the footprint with no Python at all."""
    from ember.runtime import runner_path

    cmd = [str(runner_path()), str(pte), "--print-limit", "0", "--threads", "1"]
    for f in input_files:
        cmd += ["--input", str(f)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"ember_run exited {proc.returncode}: {proc.stderr.strip()[-160:]}")
    load = re.search(r"^load time: ([0-9.]+) ms", proc.stdout, re.M)
    run = re.search(r"^time per run: min ([0-9.]+) ms", proc.stdout, re.M)
    peak = re.search(r"^peak resident memory: ([0-9]+) KiB", proc.stdout, re.M)
    if not (load and run and peak):
        raise RuntimeError(f"ember_run did not report load time and memory: {proc.stdout[-160:]}")
    return {"load_ms": float(load[1]), "run_ms": float(run[1]), "peak_rss": int(peak[1]) * 1024}


def save_inputs(args: tuple, workdir: Path) -> list[Path]:
    """The inputs as inputs.npz (for the workers) and one .npy each (for ember_run)."""
    arrays = [to_numpy(a) for a in args]
    np.savez(workdir / "inputs.npz", *arrays)
    files = [workdir / f"input_{i}.npy" for i in range(len(arrays))]
    for f, a in zip(files, arrays, strict=True):
        np.save(f, a)
    return files


def measure(calls: dict[str, Callable[[], float]], warmup: int, runs: int, budget: float,
            first_call: dict[str, float] | None = None, gap: float = 0.0) -> dict[str, dict]:
    """Interleaved timing: each round calls every system still measuring once,
    each call after `gap` seconds of idle (threads the previous system left
    spinning, an OpenMP team or a thread pool, stop before the next call).
    A call returns its own time in seconds. A system warms up for `warmup`
    calls (or half the budget), then is timed until it has `runs` samples or
    has spent `budget` seconds in timed calls. `first_call` gives, per system,
    the seconds of a call made before (a cold run), which counts as a warm-up.
    A system that fails gets its reason instead."""
    first_call = first_call or {}
    times: dict[str, list[float]] = {n: [] for n in calls}
    warm_spent = {n: first_call.get(n, 0.0) for n in calls}
    warm_left = {n: 0 if warm_spent[n] >= budget / 2 else max(warmup - (n in first_call), 0)
                 for n in calls}
    result: dict[str, dict] = {}
    active = list(calls)
    while active:
        for name in list(active):
            if gap > 0:
                time.sleep(gap)
            try:
                dt = calls[name]()
            except Exception as e:  # noqa: BLE001 - a crash mid-run is that system's result
                result[name] = {"error": describe_error(e)}
                active.remove(name)
                continue
            if warm_left[name] > 0:
                warm_left[name] -= 1
                warm_spent[name] += dt
                if warm_spent[name] >= budget / 2:
                    warm_left[name] = 0
                continue
            times[name].append(dt)
            if len(times[name]) >= runs or sum(times[name]) >= budget:
                active.remove(name)
    for name, ts in times.items():
        if name in result:
            continue
        ts = sorted(ts)
        result[name] = {"median_ms": 1e3 * statistics.median(ts),
                        "p90_ms": 1e3 * ts[min(len(ts) - 1, math.ceil(0.9 * len(ts)) - 1)],
                        "runs": len(ts)}
    return result


def key(kind: str, threads: int) -> str:
    return f"{kind}@{threads}"


def _timed(runner: Runner) -> Callable[[], float]:
    def call() -> float:
        t0 = time.perf_counter()
        runner.run()
        return time.perf_counter() - t0
    return call


def run_model(name: str, full: bool, kinds: list[str], threads: list[int], warmup: int,
              runs: int, budget: float, export_rounds: int, timeout: float,
              gap: float = 0.0) -> dict:
    import torch
    from zoo import ZOO

    torch.manual_seed(0)
    model, args = ZOO[name](full)
    with torch.inference_mode():  # the reference: eager at torch's default thread count
        reference = to_numpy(first_output(model(*args)))
    result: dict[str, Any] = {"model": name, "full": full, "export": {}, "footprint": {},
                              "latency": {}}
    export_start = time.perf_counter()
    try:
        ep = torch.export.export(model, args)
        result["export"]["torch.export"] = {"s": time.perf_counter() - export_start}
    except Exception as e:  # noqa: BLE001
        reason = f"torch.export failed: {describe_error(e)}"
        result["export"] = {k: {"error": reason} for k in ["torch.export", *kinds]}
        ep = None
    diffs: dict[str, float] = {}
    calls: dict[str, Callable[[], float]] = {}
    first_call: dict[str, float] = {}
    for n in threads:
        eager = EagerRunner(model, args, n)
        t0 = time.perf_counter()
        out = eager.run()
        first_call[key("eager", n)] = time.perf_counter() - t0
        diffs[key("eager", n)] = _max_diff(out, reference)
        calls[key("eager", n)] = _timed(eager)
    workers: dict[str, Worker] = {}
    with tempfile.TemporaryDirectory(prefix="ember-bench-") as d:
        workdir = Path(d)
        files: dict[str, Path] = {}
        if ep is not None:
            result["weight_bytes"] = _weight_bytes(ep)
            report, files = export_all(ep, kinds, workdir, export_rounds)
            result["export"].update(report)
            del ep
        input_files = save_inputs(args, workdir)
        try:
            # Every process imports its runtime at once (the imports are most of
            # a process's start); then each loads its file and runs it once in
            # turn, with nothing else running.
            for kind in kinds:
                counts = threads if kind in THREADED else [1]
                if kind not in files:
                    for n in counts:
                        result["latency"][key(kind, n)] = {"error": result["export"][kind]["error"]}
                    continue
                result["footprint"][kind] = {"file_bytes": file_bytes(files[kind]),
                                             "planned_bytes": planned_bytes(files[kind])}
                for n in counts:
                    workers[key(kind, n)] = Worker(kind, files[kind], workdir, n)
            for worker in workers.values():
                try:
                    worker.wait_ready(timeout)
                except Exception as e:  # noqa: BLE001 - a peer that cannot run is reported
                    worker.error = describe_error(e)
            for k, worker in workers.items():
                kind, n = k.split("@")
                fp = result["footprint"][kind]
                if n != "1" and fp.get("run_ms", 0) > budget * 1e3:
                    worker.close()
                    result["latency"][k] = {"error": f"not timed: one run at 1 thread took "
                                                     f"{fp['run_ms'] / 1e3:.0f} s"}
                    continue
                try:
                    if worker.error:
                        raise RuntimeError(worker.error)
                    worker.load(timeout)
                except Exception as e:  # noqa: BLE001
                    worker.close()
                    result["latency"][k] = {"error": describe_error(e)}
                    fp.setdefault("error", describe_error(e))
                    continue
                if n == "1":  # the footprint is that of the 1-thread process
                    fp.update(worker.start)
                diffs[k] = _max_diff(np.load(worker.output), reference)
                if worker.start["run_ms"] > budget * 1e3:  # its cold run is its only sample
                    ms = worker.start["run_ms"]
                    result["latency"][k] = {"median_ms": ms, "p90_ms": ms, "runs": 1, "cold": True}
                    worker.close()
                else:
                    calls[k] = (lambda w: lambda: w.run(timeout))(worker)
                    first_call[k] = worker.start["run_ms"] / 1e3
            ember_file = files.get("ember_xnnpack") or files.get("ember")
            if ember_file:
                try:
                    result["footprint"]["ember_run"] = ember_run_footprint(
                        ember_file, input_files, timeout)
                except Exception as e:  # noqa: BLE001
                    result["footprint"]["ember_run"] = {"error": describe_error(e)}
            result["latency"].update(measure(calls, warmup, runs, budget, first_call, gap))
        finally:
            for w in workers.values():
                w.close()
    for k, v in result["latency"].items():
        if k in diffs:
            v["max_abs_diff"] = diffs[k]
    order = [key("eager", n) for n in threads] + [key(k, n) for k in kinds
                                                   for n in (threads if k in THREADED else [1])]
    result["latency"] = {k: result["latency"][k] for k in order if k in result["latency"]}
    return result


# -- the report --------------------------------------------------------------

def _label(k: str) -> str:
    kind, n = k.split("@")
    return LABELS[kind] + (f", {n} thread{'s' if n != '1' else ''}" if kind in THREADED else "")


def _ms(r: dict | None) -> str:
    if not r:
        return ""
    if "error" in r:
        return f"n/a: {r['error']}"
    if r.get("cold"):
        return f"{r['median_ms']:,.1f} (cold, 1 run)"
    few = f" ({r['runs']} run{'s' if r['runs'] > 1 else ''})" if r["runs"] < 5 else ""
    return f"{r['median_ms']:,.1f} / {r['p90_ms']:,.1f}{few}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "n/a"


def _mib(b: float | None) -> str:
    return f"{b / MIB:,.1f}" if b is not None else "n/a"


def _geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def ratios(results: list[dict], threads: list[int]) -> dict[str, list[float | None]]:
    """Ember's median over each peer's, per model (None where either is missing):
    Ember XNNPACK against the fast peers at each thread count, Ember portable
    against ExecuTorch portable and the fast peers at 1 thread."""
    def med(r: dict, k: str) -> float | None:
        if k.startswith("best@"):  # the faster of Ember's two paths (optimized, +XNNPACK)
            n = k.split("@")[1]
            got = [m for m in (med(r, f"ember_opt@{n}"), med(r, f"ember_xnnpack@{n}")) if m]
            return min(got) if got else None
        return r["latency"].get(k, {}).get("median_ms")
    pairs: dict[str, tuple[str, str]] = {}
    for n in threads:
        for peer in ("et_xnnpack", "onnxruntime", "eager"):
            pairs[f"{_label(key('ember_xnnpack', n))} / {_label(key(peer, n))}"] = (
                key("ember_xnnpack", n), key(peer, n))
        for peer in ("et_xnnpack", "onnxruntime"):
            pairs[f"{_label(key('ember_opt', n))} / {_label(key(peer, n))}"] = (
                key("ember_opt", n), key(peer, n))
            pairs[f"Ember best, {n} thread{'s' if n != 1 else ''} / {_label(key(peer, n))}"] = (
                f"best@{n}", key(peer, n))
    pairs[f"{LABELS['ember']} / {LABELS['et_portable']}"] = (key("ember", 1), key("et_portable", 1))
    for peer in ("et_xnnpack", "onnxruntime"):
        pairs[f"{LABELS['ember']} / {_label(key(peer, 1))}"] = (key("ember", 1), key(peer, 1))
    out = {}
    for label, (mine, theirs) in pairs.items():
        column = [(med(r, mine) / med(r, theirs)) if med(r, mine) and med(r, theirs) else None
                  for r in results]
        if any(column):
            out[label] = column
    return out


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1),
            *("| " + " | ".join(r) + " |" for r in rows)]


def write_doc(results: list[dict], threads: list[int], budget: float, gap: float,
              command: str, note: str = "") -> list[str]:
    """Replace the section of docs/benchmarks.md with the tables of `results`."""
    lat_keys: list[str] = []
    for r in results:
        lat_keys += [k for k in r["latency"] if k not in lat_keys]
    peer_keys = [k for k in lat_keys if not k.startswith("eager")]
    kinds = [k for k in KINDS if any(k in r["export"] for r in results)]
    models = [r["model"] for r in results]
    rat = ratios(results, threads)

    def export_s(r: dict, k: str) -> str:
        e = r["export"].get(k)
        return "" if e is None else f"n/a: {e['error']}" if "error" in e else f"{e['s']:.1f}"

    def fp(r: dict, k: str, field: str, fmt: Callable[[Any, dict], str]) -> str:
        e = r["footprint"].get(k)
        if e and e.get(field) is not None:
            return fmt(e[field], e)
        return f"n/a: {e['error']}" if e and "error" in e else "n/a"

    def rss(v: int, e: dict) -> str:
        return f"{v / MIB:,.0f}" + (f" (+{(v - e['import_rss']) / MIB:,.0f})"
                                    if "import_rss" in e else "")

    def ex_ratio(r: dict, mine: str, peer: str) -> str:
        return _ratio(r["export"].get(mine, {}).get("s"), r["export"].get(peer, {}).get("s"))

    lines = [
        SECTION, "",
        "Ember's runtime three ways: with its XNNPACK backend (Debian's XNNPACK of 2022; on",
        "AVX-512 CPUs the delegate's float convolutions run on Ember's own channels-last",
        "kernel, docs/xnnpack.md) and",
        "the optimized kernels for what the delegate leaves; with the optimized kernels alone",
        "(no delegate; runtime/kernels/optimized); and with its portable kernels alone (one",
        "thread). \"Ember best\" is the faster of the first two per model. Threads come from the",
        "process's pool. Beside them: ExecuTorch 1.4's runtime with its portable kernels and with",
        "XNNPACK,",
        "ONNX Runtime's CPU provider (model from `torch.onnx.export(dynamo=True)`) and eager",
        "PyTorch under `torch.inference_mode`. The zoo at full size, random weights, batch 1;",
        "every system exports from the same `torch.export` program. Eager PyTorch runs in the",
        "harness's process, every other system (and thread count) in a process of its own.", "",
        recorded_line(command), "", *([note, ""] if note else []),
        "### Latency", "",
        "Median / p90 of one inference in ms, the systems timed in turns, each for about",
        f"{budget:g} s (the run count is shown when under 5), every call after {gap * 1e3:g} ms",
        "of idle (so that threads one system leaves spinning after its call, an OpenMP team or",
        "a thread pool, do not run into the next system's time). \"cold, 1 run\": one call took",
        "longer than that, so its first run in a fresh process is the only sample.", "",
        *_table(["model", *(_label(k) for k in lat_keys)],
                [[r["model"], *(_ms(r["latency"].get(k)) for k in lat_keys)] for r in results]),
        "", "### Ember's latency over each peer's", "",
        "Ratio of the medians (below 1: Ember is faster); last rows: the geometric mean over",
        "the CNNs (" + ", ".join(CNNS) + "), the transformers (" + ", ".join(TRANSFORMERS) + ")",
        "and every model.", "",
        *_table(["model", *rat],
                [[m, *(f"{v[i]:.2f}" if v[i] else "n/a" for v in rat.values())]
                 for i, m in enumerate(models)]
                + [[f"geometric mean, {kind}",
                    *(f"{g:.2f}" if (g := _geomean([x for x, m in zip(v, models, strict=True)
                                                     if m in names])) else "n/a"
                      for v in rat.values())]
                   for kind, names in (("CNNs", CNNS), ("transformers", TRANSFORMERS))]
                + [["geometric mean", *(f"{g:.2f}" if (g := _geomean(v)) else "n/a"
                                        for v in rat.values())]]),
        "", "### Agreement", "",
        "Max |output - eager PyTorch| of each system's first output.", "",
        *_table(["model", *(_label(k) for k in peer_keys)],
                [[r["model"], *(f"{e['max_abs_diff']:.1e}" if "max_abs_diff" in e else "n/a"
                                for k in peer_keys for e in [r["latency"].get(k, {})])]
                 for r in results]),
        "", "### Export time", "",
        "Seconds from the exported program to the file's bytes; `torch.export` is timed on its",
        "own and counted in none of them.", "",
        *_table(["model", "torch.export", *(LABELS[k] for k in kinds),
                 "Ember XNNPACK / ExecuTorch XNNPACK", "Ember portable / ExecuTorch portable"],
                [[r["model"], export_s(r, "torch.export"), *(export_s(r, k) for k in kinds),
                  ex_ratio(r, "ember_xnnpack", "et_xnnpack"), ex_ratio(r, "ember", "et_portable")]
                 for r in results]),
        "", "### Size", "",
        "MiB: the weights (each storage once), each system's file, and the memory-planned",
        "arena its file asks for (ONNX Runtime allocates as it runs).", "",
        *_table(["model", "weights", *(f"{LABELS[k]} file" for k in kinds),
                 *(f"{LABELS[k]} arena" for k in kinds if SUFFIX[k] == ".pte")],
                [[r["model"], _mib(r.get("weight_bytes")),
                  *(fp(r, k, "file_bytes", lambda v, e: _mib(v)) for k in kinds),
                  *(fp(r, k, "planned_bytes", lambda v, e: _mib(v))
                    for k in kinds if SUFFIX[k] == ".pte")] for r in results]),
        "", "### Process", "",
        "Peak RSS in MiB of a fresh process that loads the file and runs it once (in brackets,",
        "what loading and running added over the runtime's imports), and the load time in ms",
        "(file to a method ready to run). `ember_run` is Ember's C++ runner: no Python.", "",
        *_table(["model", "`ember_run` peak RSS", *(f"{LABELS[k]} peak RSS" for k in kinds),
                 "`ember_run` load", *(f"{LABELS[k]} load" for k in kinds)],
                [[r["model"], fp(r, "ember_run", "peak_rss", rss),
                  *(fp(r, k, "peak_rss", rss) for k in kinds),
                  fp(r, "ember_run", "load_ms", lambda v, e: f"{v:,.1f}"),
                  *(fp(r, k, "load_ms", lambda v, e: f"{v:,.1f}") for k in kinds)]
                 for r in results]),
    ]
    replace_section(lines)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--systems", nargs="+", default=KINDS, choices=KINDS,
                        help="the file-based systems (eager PyTorch always runs)")
    parser.add_argument("--small", action="store_true", help="the test-size models")
    parser.add_argument("--threads", nargs="+", type=int, default=None,
                        help="thread counts (default: 1 and all cores)")
    parser.add_argument("--runs", type=int, default=20, help="most timed calls per system")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed calls per system first (its cold run counts as one)")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds of timed calls per system and model (at least one call)")
    parser.add_argument("--gap", type=float, default=0.02,
                        help="seconds of idle before each timed call, so that threads one "
                             "system leaves spinning do not run into the next one's time "
                             "(a pthreadpool spins about 1M pauses, some 15 ms, before it sleeps)")
    parser.add_argument("--export-rounds", type=int, default=1,
                        help="exports of each system per model (median reported)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds a system's process may take to load and run once")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "peers.json")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    a = parser.parse_args(argv)
    threads = a.threads or sorted({1, os.cpu_count() or 1})
    if 1 not in threads:
        parser.error("--threads must include 1 (Ember's runtime runs one thread)")
    args = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python -m bench", *args])
    results = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ember-bench-") as d:
        warm_up_exporters(a.systems, Path(d))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    for name in a.models:
        t0 = time.perf_counter()
        r = run_model(name, not a.small, a.systems, threads, a.warmup, a.runs, a.budget,
                      a.export_rounds, a.timeout, a.gap)
        r["seconds"] = time.perf_counter() - t0
        print(json.dumps(r), flush=True)
        results.append(r)
        # Written after every model, so that a stopped run keeps what it measured.
        done = len(results) == len(a.models)
        a.out.write_text(json.dumps({"command": command, "threads": threads, "complete": done,
                                     "seconds": time.perf_counter() - start,
                                     "results": results}, indent=1))
        if not a.no_doc:
            note = "" if done else f"Incomplete: {len(results)} of {len(a.models)} models so far."
            write_doc(results, threads, a.budget, a.gap, command, note)
    return 0
