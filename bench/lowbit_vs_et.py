"""Times ExecuTorch 1.4.1's XNNPACK 8da4w linear beside Ember's.

Each shape is one nn.Linear(k, n, bias=False) quantized with torchao's
Int8DynamicActivationIntxWeightConfig(int4, PerGroup(32)) (ExecuTorch's LLM
recipe), exported for x [m, k]. ExecuTorch lowers it with XnnpackPartitioner
and runs it with executorch.runtime (_unsafe_reset_threadpool after lowering,
before loading: resetting before lowering crashes); Ember compiles the same
program with ember.to_edge (its quantize phase folds it into
ember::linear_lowbit) and runs it with ember.runtime. The two are timed in
turns, case by case, in one process, at 1 and 2 threads, so that the ratios
compare one moment of a shared machine. With --ember-bench, the kernel alone
(ember_lowbit_bench's 8da4w rows) is shown too.

    .venv/bin/python bench/lowbit_vs_et.py
"""

from __future__ import annotations

import argparse
import json
import os
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


def _median_us(call, m: int, seconds: float) -> float:
    for _ in range(3):
        call()
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 5:
        reps = 10 if m == 1 else 2
        t0 = time.perf_counter()
        for _ in range(reps):
            call()
        samples.append((time.perf_counter() - t0) / reps * 1e6)
    return statistics.median(samples)


def time_et(pte: bytes, k: int, m: int, seconds: float) -> float:
    """Median microseconds of one forward() of the .pte (the pool already sized)."""
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(pte).load_method("forward")
    x = torch.randn(m, k)
    return _median_us(lambda: method.execute([x]), m, seconds)


def compile_ember(k: int, n: int, m: int) -> bytes:
    """Ember's .pte of the same 8da4w linear (folded into ember::linear_lowbit)."""
    import ember
    from torchao.quantization import Int8DynamicActivationIntxWeightConfig, quantize_
    from torchao.quantization.granularity import PerGroup

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(k, n, bias=False)).eval()
    quantize_(model, Int8DynamicActivationIntxWeightConfig(
        weight_dtype=torch.int4, weight_granularity=PerGroup(32)))
    return ember.to_edge(torch.export.export(model, (torch.randn(m, k),))).to_executorch().buffer


def time_ember_runtime(pte: bytes, k: int, m: int, seconds: float) -> float:
    import ember.runtime

    module = ember.runtime.load(pte)
    x = torch.randn(m, k).numpy()
    return _median_us(lambda: module.forward(x), m, seconds)


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
    parser.add_argument("--ember-bench", default=None,
                        help="ember_lowbit_bench, for the kernel-alone column")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per case and system")
    args = parser.parse_args()
    import ember.runtime
    from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool

    ptes, ours = {}, {}
    for k, n in SHAPES:
        for m in ROWS:
            t0 = time.perf_counter()
            ptes[(k, n, m)] = lower_8da4w(k, n, m)
            t1 = time.perf_counter()
            ours[(k, n, m)] = compile_ember(k, n, m)
            print(f"k={k} n={n} m={m}: ExecuTorch lowered in {t1 - t0:.1f} s, Ember compiled in "
                  f"{time.perf_counter() - t1:.1f} s", flush=True)
    et, em = {}, {}
    load_before = os.getloadavg()[0]
    for threads in THREADS:  # one thread count at a time: ExecuTorch's pool is reset per count
        _unsafe_reset_threadpool(threads)
        ember.runtime.set_num_threads(threads)
        for (k, n, m), pte in ptes.items():
            et[(k, n, m, threads)] = time_et(pte, k, m, args.seconds)
            em[(k, n, m, threads)] = time_ember_runtime(ours[(k, n, m)], k, m, args.seconds)
    kernel = time_ember(args.ember_bench) if args.ember_bench else {}
    # The ratios compare one moment of a shared machine; the load says how busy it was.
    print(f"\nload average (1 min) before timing {load_before:.1f}, after {os.getloadavg()[0]:.1f}")

    print("\n| m | k | n | threads | ExecuTorch XNNPACK us | Ember us | Ember / ExecuTorch |"
          " Ember GOP/s | Ember kernel alone us |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = {1: [], 128: []}
    for k, n in SHAPES:
        for m in ROWS:
            for threads in THREADS:
                e, x = em[(k, n, m, threads)], et[(k, n, m, threads)]
                ratios[m].append(e / x)
                alone = kernel.get(f"8da4w/m{m}_k{k}_n{n}/threads:{threads}")
                print(f"| {m} | {k} | {n} | {threads} | {x:.1f} | {e:.1f} | {e / x:.2f} | "
                      f"{2.0 * m * n * k / e / 1e3:.0f} | {f'{alone:.1f}' if alone else ''} |")
    for m, rs in ratios.items():
        geo = statistics.geometric_mean(rs)
        phase = "decode" if m == 1 else "prefill"
        print(f"geometric mean of Ember / ExecuTorch, m = {m} ({phase}): {geo:.2f}")


if __name__ == "__main__":
    main()
