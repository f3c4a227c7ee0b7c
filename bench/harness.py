"""Inference latency of Ember beside ExecuTorch and eager PyTorch, in one run.

    .venv/bin/python -m bench                         # the default models, full size
    .venv/bin/python -m bench --models resnet50 bert --runs 30 --threads 1
    .venv/bin/python -m bench --small --models mobilenet_v3_small --runs 3   # a smoke run

For each model the systems are timed in turns (one call of each per round),
so that noise on the machine hits all of them alike; the first `--warmup`
rounds are not counted. Reported per system: median and p90 latency, and the
max |output - eager| so that a fast wrong answer shows. A system that cannot
run a model shows its reason instead of numbers. Results go to a JSON file
and the "Latency" section of docs/benchmarks.md (unless --no-doc).

Systems: eager PyTorch (torch.inference_mode, at each --threads count),
Ember's runtime (portable kernels, single-threaded), ExecuTorch 1.4.1's
runtime with its portable kernels (single-threaded).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import recorded_line, replace_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "models"))
SECTION = "## Latency"
DEFAULT_MODELS = ["resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "vit_b16",
                  "convnext_tiny", "bert", "gpt2", "whisper_encoder"]


def _first(x: Any) -> Any:
    return x[0] if isinstance(x, (tuple, list)) else x


def _error(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"


def build_systems(model: Any, args: tuple, threads: list[int], workdir: Path
                  ) -> dict[str, Callable[[], Any] | str]:
    """name -> a zero-argument call running one inference, or the reason it cannot."""
    import torch

    import ember

    systems: dict[str, Callable[[], Any] | str] = {}

    def eager(n: int) -> Callable[[], Any]:
        def run() -> Any:
            torch.set_num_threads(n)
            with torch.inference_mode():
                return _first(model(*args))
        return run

    for n in threads:
        systems[f"eager ({n} thread{'s' if n > 1 else ''})"] = eager(n)
    try:
        ep = torch.export.export(model, args)
    except Exception as e:  # noqa: BLE001 - reported in the table
        reason = f"torch.export failed: {_error(e)}"
        return {**systems, "ember": reason, "executorch (portable)": reason}
    try:
        path = workdir / "ember.pte"
        ember.to_edge(ep).to_executorch().save(path)
        module = ember.runtime.load(path)
        systems["ember"] = lambda: _first(module.forward(*args))
    except Exception as e:  # noqa: BLE001
        systems["ember"] = _error(e)
    try:
        from executorch.exir import to_edge
        from executorch.runtime import Runtime

        path = workdir / "executorch.pte"
        to_edge(ep).to_executorch().save(str(path))
        method = Runtime.get().load_program(str(path)).load_method("forward")
        systems["executorch (portable)"] = lambda: _first(method.execute(list(args)))
    except Exception as e:  # noqa: BLE001
        systems["executorch (portable)"] = _error(e)
    return systems


def measure(systems: dict[str, Callable[[], Any] | str], reference: Any, warmup: int,
            runs: int) -> dict[str, dict]:
    """Interleaved timing: each round calls every runnable system once."""
    import torch

    times: dict[str, list[float]] = {name: [] for name, f in systems.items() if callable(f)}
    diffs: dict[str, float] = {}
    for round_ in range(warmup + runs):
        for name in times:
            t0 = time.perf_counter()
            out = systems[name]()
            dt = time.perf_counter() - t0
            if round_ >= warmup:
                times[name].append(dt)
            if name not in diffs:
                got = torch.as_tensor(out)
                diffs[name] = (float((got.float() - reference.float()).abs().max())
                               if got.shape == reference.shape else float("inf"))
    result: dict[str, dict] = {}
    for name, f in systems.items():
        if not callable(f):
            result[name] = {"error": f}
            continue
        ts = sorted(times[name])
        result[name] = {"median_ms": 1e3 * statistics.median(ts),
                        "p90_ms": 1e3 * ts[min(len(ts) - 1, int(0.9 * len(ts)))],
                        "max_abs_diff": diffs[name], "runs": len(ts)}
    return result


def run_model(name: str, full: bool, threads: list[int], warmup: int, runs: int) -> dict:
    import torch
    from zoo import ZOO

    torch.manual_seed(0)
    model, args = ZOO[name](full)
    with torch.inference_mode():
        reference = _first(model(*args))
    with tempfile.TemporaryDirectory() as d:
        systems = build_systems(model, args, threads, Path(d))
        return {"model": name, "full": full, "systems": measure(systems, reference, warmup, runs)}


def _cell(r: dict) -> str:
    if "error" in r:
        return f"n/a: {r['error']}"
    return f"{r['median_ms']:.2f} / {r['p90_ms']:.2f}"


def write_doc(results: list[dict], command: str) -> None:
    names: list[str] = []
    for r in results:
        names += [n for n in r["systems"] if n not in names]
    lines = [
        SECTION, "",
        "Median / p90 latency in ms of one inference (batch 1), systems timed in turns; then",
        "Ember / ExecuTorch and Ember / eager (1 thread) of the medians, and each system's max",
        "|output - eager|.", "",
        recorded_line(command), "",
        "| model | " + " | ".join(names) + " | Ember / ExecuTorch | Ember / eager 1t | max diff |",
        "|---|" + "---:|" * len(names) + "---:|---:|---|",
    ]
    for r in results:
        s = r["systems"]
        med = {n: s[n].get("median_ms") for n in s}
        eager1 = next((v for n, v in med.items() if n.startswith("eager (1 ")), None)
        def ratio(a: float | None, b: float | None) -> str:
            return f"{a / b:.2f}" if a and b else "n/a"
        diffs = ", ".join(f"{n}: {s[n]['max_abs_diff']:.1e}" for n in s
                          if "max_abs_diff" in s[n] and not n.startswith("eager"))
        lines.append(f"| {r['model']} | " + " | ".join(_cell(s[n]) if n in s else "" for n in names)
                     + f" | {ratio(med.get('ember'), med.get('executorch (portable)'))}"
                     f" | {ratio(med.get('ember'), eager1)} | {diffs} |")
    replace_section(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--small", action="store_true", help="the test-size models")
    parser.add_argument("--threads", nargs="+", type=int, default=None,
                        help="eager PyTorch thread counts (default: 1 and all cores)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "latency.json")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    a = parser.parse_args(argv)
    threads = a.threads or sorted({1, os.cpu_count() or 1})
    results = []
    for name in a.models:
        r = run_model(name, not a.small, threads, a.warmup, a.runs)
        print(json.dumps(r), flush=True)
        results.append(r)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=1))
    if not a.no_doc:
        args = argv if argv is not None else sys.argv[1:]
        write_doc(results, "python -m bench " + " ".join(args))
    return 0
