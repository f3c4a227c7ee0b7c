"""Quantized models: Ember beside ExecuTorch (XNNPACK), in one run.

    .venv/bin/python -m bench.quant                       # the int8 CNNs and dynamic-int8 BERT
    .venv/bin/python -m bench.quant --models resnet18 --threads 1 --no-doc   # a quick look

Each system quantizes the same exported float program with its own quantizer
(Ember: ember.quantizer; ExecuTorch: its XNNPACKQuantizer; the same config,
static int8 with per-channel weights for the CNNs, dynamic int8 for BERT),
calibrated on the same inputs; the quantization counts in its export time.
Beside them, each system's float32 file (Ember optimized, ExecuTorch XNNPACK),
so that the speed-up and size of int8 show. The timing, processes and
footprint are bench.harness's (systems in turns, each in its own process, 1
and 2 threads). Agreement is measured against the float model in eager
PyTorch: it shows the quantization error, which both int8 systems share.
Results go to the section "Quantized models beside ExecuTorch" of
docs/benchmarks.md (unless --no-doc).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, _geomean, _mib, _ms, _ratio, _table, key, run_model, \
    warm_up_exporters
from bench.report import recorded_line, replace_section
from bench.systems import LABELS

SECTION = "## Quantized models beside ExecuTorch"
STATIC_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0"]
DYNAMIC_MODELS = ["bert"]
STATIC_KINDS = ["ember_int8", "et_int8", "ember_opt", "et_xnnpack"]
DYNAMIC_KINDS = ["ember_dyn8", "et_dyn8", "ember_opt", "et_xnnpack"]


def _med(r: dict, k: str) -> float | None:
    return r["latency"].get(k, {}).get("median_ms")


def _size(r: dict, k: str) -> float | None:
    return r["footprint"].get(k, {}).get("file_bytes")


def write_doc(results: list[dict], threads: list[int], command: str, note: str = "") -> None:
    lines = [SECTION, "",
             "Each system quantizes the same float program with its own quantizer (Ember:",
             "`ember.quantizer`; ExecuTorch: its `XNNPACKQuantizer`), same config and calibration",
             "inputs: static int8 with per-channel weights for the CNNs, dynamic int8 (linears)",
             "for BERT. Ember's int8 file runs on its optimized kernels; ExecuTorch's is fully",
             "delegated to its XNNPACK. Their float32 files are beside them. Timing as in",
             "\"Ember beside its peers\" (systems in turns, each in its own process).",
             "ExecuTorch's quantizer fails on BERT (calibrating its prepared model raises",
             "`IndexError: tensors used as indices must be long, int, byte or bool tensors`), so",
             "ExecuTorch's dynamic BERT is quantized by `ember.quantizer` (whose graphs are",
             "ExecuTorch's quantizer's, tests/python/test_quantizer.py) and lowered and run by",
             "ExecuTorch: its latency is ExecuTorch's, its quantize + compile time is not.", "",
             recorded_line(command), "", *([note, ""] if note else [])]
    for title, kinds, mine, theirs in (("Static int8 CNNs", ["ember_int8", "et_int8"], "ember_int8",
                                        "et_int8"),
                                       ("Dynamic int8", ["ember_dyn8", "et_dyn8"], "ember_dyn8",
                                        "et_dyn8")):
        rs = [r for r in results if mine in r["export"]]
        if not rs:
            continue
        lat = [key(k, n) for k in [*kinds, "ember_opt", "et_xnnpack"] for n in threads]
        lines += [f"### {title}", "", "Median / p90 ms of one inference.", "",
                  *_table(["model", *(f"{LABELS[k.split('@')[0]]}, {k.split('@')[1]} thr."
                                      for k in lat)],
                          [[r["model"], *(_ms(r["latency"].get(k)) for k in lat)] for r in rs]),
                  ""]
        cols: dict[str, list] = {}
        for n in threads:
            cols[f"{LABELS[mine]} / {LABELS[theirs]}, {n} thr."] = [
                _ratio(_med(r, key(mine, n)), _med(r, key(theirs, n))) for r in rs]
            cols[f"Ember float32 / {LABELS[mine]}, {n} thr. (speed-up)"] = [
                _ratio(_med(r, key("ember_opt", n)), _med(r, key(mine, n))) for r in rs]
        cols[f"{LABELS[mine]} file / Ember float32 file"] = [
            _ratio(_size(r, mine), _size(r, "ember_opt")) for r in rs]
        cols[f"{LABELS[mine]} / {LABELS[theirs]} quantize + compile time"] = [
            _ratio(r["export"].get(mine, {}).get("s"), r["export"].get(theirs, {}).get("s"))
            for r in rs]

        def geo(values: list[str]) -> str:
            g = _geomean([float(v) for v in values if v != "n/a"])
            return f"{g:.2f}" if g else "n/a"

        lines += ["Ratios (latency: below 1, Ember is faster).", "",
                  *_table(["model", *cols], [[r["model"], *(v[i] for v in cols.values())]
                                             for i, r in enumerate(rs)]
                          + [["geometric mean", *(geo(v) for v in cols.values())]]), "",
                  "Files (MiB), quantize + compile time (s), and max |output - float eager|.", "",
                  *_table(["model", *(f"{LABELS[k]} file" for k in kinds),
                           *(f"{LABELS[k]} export" for k in kinds),
                           *(f"{LABELS[k]} error" for k in kinds)],
                          [[r["model"], *(_mib(_size(r, k)) for k in kinds),
                            *(f"{r['export'][k]['s']:.1f}" if "s" in r["export"].get(k, {})
                              else "n/a" for k in kinds),
                            *(f"{e['max_abs_diff']:.1e}" if "max_abs_diff" in e else "n/a"
                              for k in kinds for e in [r["latency"].get(key(k, 1), {})])]
                           for r in rs]), ""]
    replace_section(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quant", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[*STATIC_MODELS, *DYNAMIC_MODELS])
    parser.add_argument("--small", action="store_true", help="the test-size models")
    parser.add_argument("--threads", nargs="+", type=int, default=None)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--budget", type=float, default=2.0)
    parser.add_argument("--gap", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "quant.json")
    parser.add_argument("--no-doc", action="store_true")
    a = parser.parse_args(argv)
    threads = a.threads or sorted({1, os.cpu_count() or 1})
    command = " ".join(["python -m bench.quant", *(argv if argv is not None else sys.argv[1:])])
    with tempfile.TemporaryDirectory(prefix="ember-bench-") as d:
        # Every exporter timed below, the quantizing ones too (their first call
        # imports and sets up the PT2E quantizer, torchao and each lowering).
        warm_up_exporters(list(dict.fromkeys([*STATIC_KINDS, *DYNAMIC_KINDS])), Path(d))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    results = []
    for name in a.models:
        kinds = DYNAMIC_KINDS if name in DYNAMIC_MODELS else STATIC_KINDS
        t0 = time.perf_counter()
        r = run_model(name, not a.small, kinds, threads, 1, a.runs, a.budget, 1, a.timeout, a.gap)
        r["seconds"] = time.perf_counter() - t0
        print(json.dumps(r), flush=True)
        results.append(r)
        done = len(results) == len(a.models)
        a.out.write_text(json.dumps({"command": command, "threads": threads, "complete": done,
                                     "results": results}, indent=1))
        if not a.no_doc:
            write_doc(results, threads, command,
                      "" if done else f"Incomplete: {len(results)} of {len(a.models)} models.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
