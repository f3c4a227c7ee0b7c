"""GFLOP/s of Ember's GEMM (runtime/kernels/optimized/gemm) beside XNNPACK's
fully-connected operator and eager torch.mm, at 1 and 2 threads, on the
model zoo's GEMM shapes, with the CPU's fp32 FMA peak per core.

    .venv/bin/python bench/gemm.py                    # measure, print, record
    .venv/bin/python bench/gemm.py --min-time 0.1 --no-doc --filter bert   # a quick look

Ember, XNNPACK and the FMA peak come from build/py/bench/ember_gemm_bench
(Google Benchmark, bench/gemm_bench.cpp, which also holds the shape list);
torch.mm is timed here on the same shapes. Writes the "GEMM" section of
docs/benchmarks.md unless --no-doc. The machine is shared: compare ratios
within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import recorded_line, replace_section  # noqa: E402

BINARY = ROOT / "build" / "py" / "bench" / "ember_gemm_bench"
SYSTEMS = ["ember", "ember_packed", "ember_packed_avx2", "xnnpack", "torch"]
LABELS = {"ember": "Ember", "ember_packed": "Ember, B pre-packed",
          "ember_packed_avx2": "pre-packed, avx2 kernels", "xnnpack": "XNNPACK FC",
          "torch": "torch.mm"}


def run_binary(min_time: float, name_filter: str,
               isa: str | None = None) -> tuple[dict, dict, str]:
    """{(system, shape, threads): GFLOP/s}, {isa: peak GFLOP/s}, Ember's ISA;
    with `isa`, Ember's kernels forced to it (EMBER_GEMM_ISA)."""
    env = dict(os.environ)
    env.pop("EMBER_GEMM_ISA", None)
    if isa:
        env["EMBER_GEMM_ISA"] = isa
    out = subprocess.run([str(BINARY), "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}",
                          f"--benchmark_filter={name_filter}"],
                         check=True, capture_output=True, text=True, env=env).stdout
    results, peaks, isa = {}, {}, "?"
    for b in json.loads(out)["benchmarks"]:
        parts = b["name"].split("/")  # e.g. ember/<shape>/threads:1/real_time
        if parts[0] == "peak_fma":
            peaks[parts[1]] = b["GFLOPS"]
            continue
        threads = int(parts[2].split(":")[1])
        results[(parts[0], parts[1], threads)] = b.get("GFLOPS")
        if parts[0] == "ember" and b.get("label"):
            isa = b["label"]
    return results, peaks, isa


def shape_of(name: str) -> tuple[int, int, int]:
    """(m, n, k) from a shape name ending in _MxNxK."""
    m, n, k = re.search(r"_(\d+)x(\d+)x(\d+)$", name).groups()
    return int(m), int(n), int(k)


def time_torch(shapes: list[str], threads: list[int], min_time: float) -> dict:
    import torch

    results = {}
    for t in threads:
        torch.set_num_threads(t)
        for name in shapes:
            m, n, k = shape_of(name)
            a, b = torch.rand(m, k) - 0.5, torch.rand(k, n) - 0.5
            c = torch.empty(m, n)
            with torch.inference_mode():
                for _ in range(3):
                    torch.mm(a, b, out=c)
                calls, start = 0, time.perf_counter()
                while (elapsed := time.perf_counter() - start) < min_time or calls < 3:
                    torch.mm(a, b, out=c)
                    calls += 1
            results[("torch", name, t)] = 2.0 * m * n * k * calls / elapsed / 1e9
    return results


def _f(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _r(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.2f}"


def table(results: dict, shapes: list[str], threads: list[int], peak: float) -> list[str]:
    lines = []
    for t in threads:
        # Like for like: a pre-packed B against XNNPACK (which packs its
        # weights at creation), B packed per call against torch.mm.
        head = ["shape (m x n x k)"] + [LABELS[s] for s in SYSTEMS] + [
            "pre-packed / peak" if t == 1 else f"pre-packed / ({t} x peak)",
            "pre-packed / XNNPACK", "Ember / torch.mm"]
        lines += [f"**{t} thread{'s' if t > 1 else ''}** (GFLOP/s)", "",
                  "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        for name in shapes:
            g = {s: results.get((s, name, t)) for s in SYSTEMS}
            m, n, k = shape_of(name)
            label = re.sub(r"_\d+x\d+x\d+$", "", name) + f" {m}x{n}x{k}"
            lines.append("| " + " | ".join(
                [label] + [_f(g[s]) for s in SYSTEMS]
                + [_r(g["ember_packed"], peak * t), _r(g["ember_packed"], g["xnnpack"]),
                   _r(g["ember"], g["torch"])]) + " |")
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per measurement")
    ap.add_argument("--filter", default=".", help="regex on the shape names")
    ap.add_argument("--no-doc", action="store_true", help="print only")
    args = ap.parse_args(argv)
    threads = [1, 2]
    subprocess.run(["cmake", "--build", str(ROOT / "build" / "py"), "--target", "ember_gemm_bench"],
                   check=True, stdout=subprocess.DEVNULL)
    results, peaks, isa = run_binary(args.min_time, f"peak_fma|/.*({args.filter})")
    # The AVX2 kernels on an AVX-512 CPU (1 thread, pre-packed B).
    if isa == "avx512":
        avx2, _, _ = run_binary(args.min_time, f"ember_packed/.*({args.filter}).*threads:1", "avx2")
        results.update({("ember_packed_avx2",) + key[1:]: v for key, v in avx2.items()})
    shapes = list(dict.fromkeys(name for (_, name, _) in results))
    results.update(time_torch(shapes, threads, args.min_time))
    peak = max(peaks.values()) if peaks else 0.0
    lines = [
        "## GEMM",
        "",
        "Ember's fp32 GEMM (runtime/kernels/optimized/gemm, docs/kernels-gemm.md) on the",
        "zoo's GEMM shapes: BERT-base and ViT-B/16 linears (m = tokens), ResNet-50's 1x1",
        "convolutions as GEMMs (m = pixels, n = output channels, k = input channels), GPT-2's",
        "decode step and a large square. \"Ember\": B row-major [k, n], packed inside each call",
        "(torch.mm's case); \"pre-packed\": B packed once from a linear layer's [n, k] weight (as",
        "at load); \"avx2 kernels\": the same with `EMBER_GEMM_ISA=avx2` (1 thread); XNNPACK:",
        "Debian's 2022 `xnn_create_fully_connected_nc_f32` on that weight,",
        "on the same thread pool; torch.mm: eager, `torch.set_num_threads`. Ember's workspace",
        "is the runtime's per-call scratch (1 MiB) or less. Peak: independent FMAs in",
        "registers, measured in the same binary ("
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(peaks.items()))
        + f" GFLOP/s per core); Ember's micro-kernels: {isa}. One run on a shared 2-core",
        "machine: compare within a row. When the other core is busy with other jobs, the",
        "2-thread rows mostly measure how soon the pool's second thread gets scheduled: the",
        "calling thread does the work and then waits for it (up to ~10 ms a call, seen for",
        "every system alike).",
        "",
        recorded_line("python bench/gemm.py"),
        "",
    ] + table(results, shapes, threads, peak)
    print("\n".join(lines))
    if not args.no_doc:
        replace_section(lines[:-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
