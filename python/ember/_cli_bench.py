"""`ember bench`: latency of one method of a .pte, through the Python
binding (ember.runtime), as percentiles of many timed runs.

    ember bench model.pte [--iterations N | --seconds S] [--warmup N]
                          [--threads N] [--input FILE]... [--seed S]
                          [--profile] [--trace FILE] [--etdump FILE] [--json]

Each run is timed around Module.run_method (time.perf_counter_ns), so a run
includes the binding's call (a few microseconds: inputs handed over, outputs
wrapped as numpy arrays). `ember run` times Method::execute in C++ and
prints min and median only; this command adds the percentiles, the
mean, JSON, and a progress bar. --profile reuses Module.profile_method (the
runtime's per-instruction events) in separate runs after the timed ones, so
that its overhead does not enter the percentiles.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

from ._cli_common import CliError, progress_bar, report, show_progress

PROFILE_RUNS_MAX = 100  # the event buffer is finite; enough runs for stable shares

_NUMPY = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
          "bfloat16": np.uint16, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
          "int32": np.int32, "int64": np.int64, "bool": np.bool_}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "bench", help="latency percentiles of a .pte's method (and a per-op profile)",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=__doc__)
    p.add_argument("model", help="a .pte (or a .bpte: the program inside)")
    p.add_argument("--method", default=None, help="the method to time (default: forward, "
                                                  "else the first)")
    runs = p.add_mutually_exclusive_group()
    runs.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                      help="timed runs (default 50)")
    runs.add_argument("--seconds", type=float, default=None, metavar="S",
                      help="time runs for S seconds instead of a count (at least one run)")
    p.add_argument("--warmup", type=int, default=5, metavar="N",
                   help="untimed runs first (default 5)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="threads of the process's pool (0: one per core, the default)")
    p.add_argument("--input", action="append", default=[], metavar="FILE",
                   help="one per method input, in order, as `ember run` takes them: .npy, or "
                        "raw bytes of the planned size; default: random values (seeded): "
                        "floats uniform in [-1, 1), integers in [0, 10), bools, at the planned "
                        "sizes (a dynamic input's upper bound)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--profile", action="store_true",
                   help=f"also profile up to {PROFILE_RUNS_MAX} runs per op "
                        f"(Module.profile_method) and print the per-op table")
    p.add_argument("--trace", metavar="FILE",
                   help="write the profiled runs as a Chrome trace (implies --profile)")
    p.add_argument("--etdump", metavar="FILE",
                   help="write the profiled runs as an ETDump, which ExecuTorch's and "
                        "Ember's Inspectors read (implies --profile)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")


def _random_input(info: dict, rng: np.random.Generator) -> Any:
    """A value for one method input, as ember_run makes them (not the same
    numbers: numpy's generator, not ember_run's splitmix64)."""
    kind = info["kind"]
    if kind != "Tensor":
        scalars = {"Int": 1, "Double": 1.0, "Bool": True}
        if kind not in scalars:
            raise CliError(f"an input of kind {kind} cannot be made up: give --input files")
        return scalars[kind]
    dtype, sizes = info["dtype"], info["sizes"]
    if dtype not in _NUMPY:
        raise CliError(f"an input of dtype {dtype} cannot be made up: give --input files")
    if dtype in ("float32", "float64", "float16"):
        return rng.uniform(-1, 1, sizes).astype(_NUMPY[dtype])
    if dtype == "bfloat16":  # bfloat16 travels as the top 16 bits of a float32
        return (rng.uniform(-1, 1, sizes).astype(np.float32).view(np.uint32) >> 16).astype(
            np.uint16)
    if dtype == "bool":
        return rng.integers(0, 2, sizes).astype(np.bool_)
    return rng.integers(0, 10, sizes).astype(_NUMPY[dtype])


def _file_input(path: str, info: dict, index: int) -> Any:
    if info["kind"] != "Tensor":
        raise CliError(f"input {index} is a scalar ({info['kind']}); files are for tensor inputs")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror or e}") from e
    dtype = info["dtype"]
    if data.startswith(b"\x93NUMPY"):
        try:
            arr = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise CliError(f"{path}: not a readable .npy ({e})") from e
        want = np.dtype(_NUMPY.get(dtype, np.uint8))
        if arr.dtype != want:
            raise CliError(f"{path}: dtype {arr.dtype}, input {index} expects {dtype}")
        return arr
    if dtype not in _NUMPY:
        raise CliError(f"{path}: raw bytes for an input of dtype {dtype}: give a .npy")
    if len(data) != info["nbytes"]:
        raise CliError(f"{path}: {len(data)} bytes, input {index} ({dtype} {info['sizes']}) "
                       f"takes {info['nbytes']}")
    return np.frombuffer(data, dtype=_NUMPY[dtype]).reshape(info["sizes"]).copy()


def _percentiles(times_ms: list[float]) -> dict:
    t = np.asarray(times_ms)
    # numpy's default (linear interpolation between the closest ranks).
    p50, p90, p99 = np.percentile(t, [50, 90, 99])
    return {"min": float(t.min()), "p50": float(p50), "p90": float(p90), "p99": float(p99),
            "mean": float(t.mean()), "max": float(t.max()), "std": float(t.std())}


def bench(args: argparse.Namespace) -> dict:
    from . import runtime

    for flag, value, least in (("--iterations", args.iterations, 1),
                               ("--warmup", args.warmup, 0), ("--threads", args.threads, 0)):
        if value is not None and value < least:
            raise CliError(f"{flag} must be >= {least}, got {value}")
    if args.seconds is not None and not args.seconds > 0:
        raise CliError(f"--seconds must be > 0, got {args.seconds}")
    if not os.path.isfile(args.model):
        raise CliError(f"no such file: {args.model}")
    if args.threads is not None:  # before the load: a backend may bind the pool then
        runtime.set_num_threads(args.threads)
    start = time.perf_counter_ns()
    module = runtime.load(args.model)
    names = module.method_names
    method = args.method or ("forward" if "forward" in names else names[0] if names else None)
    if method not in names:
        raise CliError(f"no method '{method}' in {args.model} (its methods: "
                       f"{', '.join(names) or 'none'})")
    module.load_method(method)
    load_ms = (time.perf_counter_ns() - start) / 1e6
    meta = module.method_meta(method)
    ins = meta["inputs"]
    if args.input and len(args.input) != len(ins):
        raise CliError(f"{len(args.input)} --input files given, method '{method}' has "
                       f"{len(ins)} inputs")
    rng = np.random.default_rng(args.seed)
    inputs = ([_file_input(p, i, k) for k, (p, i) in enumerate(zip(args.input, ins, strict=True))]
              if args.input else [_random_input(i, rng) for i in ins])

    show = show_progress(args.quiet) and not args.json
    for _ in range(args.warmup):
        module.run_method(method, inputs)
    times_ms: list[float] = []
    iterations = 50 if args.iterations is None and args.seconds is None else args.iterations
    with progress_bar(show, total=iterations, desc="ember bench", unit="run") as bar:
        deadline = (time.perf_counter_ns() + int(args.seconds * 1e9)
                    if args.seconds is not None else None)
        while (len(times_ms) < iterations if deadline is None
               else not times_ms or time.perf_counter_ns() < deadline):
            t0 = time.perf_counter_ns()
            module.run_method(method, inputs)
            times_ms.append((time.perf_counter_ns() - t0) / 1e6)
            bar.update()

    result: dict[str, Any] = {
        "file": args.model, "method": method, "threads": runtime.get_num_threads(),
        "kernels": runtime.kernel_library(), "warmup": args.warmup, "iterations": len(times_ms),
        "load_ms": load_ms, "latency_ms": _percentiles(times_ms),
        "inputs": [{"kind": i["kind"], "dtype": i.get("dtype"), "sizes": i.get("sizes"),
                    "source": args.input[k] if args.input else "random"}
                   for k, i in enumerate(ins)],
    }
    if args.profile or args.trace or args.etdump:
        runs = min(len(times_ms), PROFILE_RUNS_MAX)
        prof = module.profile_method(method, inputs, runs=runs, warmup=0)
        if args.trace:
            prof.save_trace(args.trace)
        if args.etdump:
            prof.save_etdump(args.etdump)
        result["profile"] = {
            "runs": prof.runs, "dropped_events": prof.dropped, "total_ms": prof.total_ms,
            "ops": [{"name": r.name, "kind": r.kind, "calls": r.calls, "total_ms": r.total_ms,
                     "share": r.share} for r in prof.rows],
            "table": prof.table(),
        }
    return result


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _print(result: dict) -> None:
    lat = result["latency_ms"]
    print(f"{result['file']}: method {result['method']}, {result['iterations']} timed runs "
          f"after {result['warmup']} warm-up, {_plural(result['threads'], 'thread')}, kernels "
          f"{result['kernels']}")
    print(f"load time: {result['load_ms']:.3f} ms (program and method)")
    print("latency (ms): " + "  ".join(f"{k} {lat[k]:.3f}"
                                       for k in ("min", "p50", "p90", "p99", "mean", "max")))
    prof = result.get("profile")
    if prof:
        print(f"\nper-op profile of {prof['runs']} more runs:")
        print(prof["table"].rstrip("\n"))


def main(args: argparse.Namespace) -> int:
    try:
        result = bench(args)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - one line, whatever failed
        return report("bench", e, args.debug)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0
