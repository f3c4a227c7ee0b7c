"""Times ExecuTorch 1.4.1's XNNPACK 8da4w linear beside Ember's (ember_lowbit_bench).

Each shape is one nn.Linear(k, n, bias=False) quantized with torchao's
Int8DynamicActivationIntxWeightConfig(int4, PerGroup(32)) (ExecuTorch's LLM
recipe), exported for x [m, k], lowered with XnnpackPartitioner and run with
executorch.runtime at 1 and 2 threads (_unsafe_reset_threadpool after lowering,
before loading: resetting before lowering crashes). Ember's figures come from
the same run of ember_lowbit_bench (its 8da4w rows, JSON), so the ratios
compare one moment of a shared machine.

    .venv/bin/python bench/lowbit_vs_et.py --ember-bench build/lowbit/bench/ember_lowbit_bench
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time

import torch
import torch.nn as nn

SHAPES = [(2048, 2048), (2048, 512), (2048, 8192), (8192, 2048)]  # (k, n): Llama 3.2 1B linears
ROWS = [1, 128]
THREADS = [1, 2]


def lower_8da4w(k: int, n: int, m: int) -> bytes:
    """The .pte bytes of one 8da4w nn.Linear(k, n) for x [m, k]."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower
    from torchao.quantization import Int8DynamicActivationIntxWeightConfig, quantize_
    from torchao.quantization.granularity import PerGroup

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(k, n, bias=False)).eval()
    quantize_(model, Int8DynamicActivationIntxWeightConfig(
        weight_dtype=torch.int4, weight_granularity=PerGroup(32)))
    x = torch.randn(m, k)
    ep = torch.export.export(model, (x,))
    edge = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    return edge.to_executorch().buffer


def time_et(pte: bytes, k: int, m: int, threads: int, seconds: float) -> float:
    """Median microseconds of one forward() of the .pte at `threads` threads."""
    from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool
    from executorch.runtime import Runtime

    _unsafe_reset_threadpool(threads)
    method = Runtime.get().load_program(pte).load_method("forward")
    x = torch.randn(m, k)
    for _ in range(3):
        method.execute([x])
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 5:
        reps = 10 if m == 1 else 2
        t0 = time.perf_counter()
        for _ in range(reps):
            method.execute([x])
        samples.append((time.perf_counter() - t0) / reps * 1e6)
    return statistics.median(samples)


def time_ember(bench: str) -> dict[str, float]:
    """Ember's 8da4w rows: name -> microseconds (real time)."""
    out = subprocess.run(
        [bench, "--benchmark_filter=^8da4w/", "--benchmark_format=json",
         "--benchmark_min_time=0.3"],
        check=True, capture_output=True, text=True).stdout
    rows = json.loads(out[out.index("{"):])["benchmarks"]
    return {r["name"].replace("/real_time", ""): r["real_time"] for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ember-bench", default="build/lowbit/bench/ember_lowbit_bench")
    parser.add_argument("--seconds", type=float, default=1.0, help="ET timing per case")
    args = parser.parse_args()

    ptes = {}
    for k, n in SHAPES:
        for m in ROWS:
            t0 = time.perf_counter()
            ptes[(k, n, m)] = lower_8da4w(k, n, m)
            print(f"lowered k={k} n={n} m={m} in {time.perf_counter() - t0:.1f} s", flush=True)
    et = {}
    for threads in THREADS:  # one thread count at a time: the pool is reset per count
        for (k, n, m), pte in ptes.items():
            et[(k, n, m, threads)] = time_et(pte, k, m, threads, args.seconds)
    ember = time_ember(args.ember_bench)

    print("\n| m | k | n | threads | ET XNNPACK us | Ember us | ET / Ember | Ember GOP/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, n in SHAPES:
        for m in ROWS:
            for threads in THREADS:
                e = ember[f"8da4w/m{m}_k{k}_n{n}/threads:{threads}"]
                x = et[(k, n, m, threads)]
                gops = 2.0 * m * n * k / e / 1e3
                print(f"| {m} | {k} | {n} | {threads} | {x:.1f} | {e:.1f} | {x / e:.2f} | {gops:.0f} |")


if __name__ == "__main__":
    main()
