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

Each case is timed twice: one linear a run (a program of that one linear), and
--layers linears a run (a program applying the same quantized linear to as many
inputs: as in an LLM's decode step, where a run holds a hundred linears, the
thread pool's workers stay awake between them and a call's fixed costs are
shared). The second is given per linear. Both systems run the same programs.

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
SETTLE_S = 0.2  # pause before timing a system


class Layers(nn.Module):
    """One nn.Linear(k, n) applied to each input: a run of as many linears as inputs."""

    def __init__(self, k: int, n: int) -> None:
        super().__init__()
        self.linear = nn.Linear(k, n, bias=False)

    def forward(self, *xs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.linear(x) for x in xs)


def export_8da4w(k: int, n: int, m: int, layers: int) -> torch.export.ExportedProgram:
    """`layers` 8da4w nn.Linear(k, n) calls on inputs [m, k], exported (same weights, seed 0)."""
    from torchao.quantization import Int8DynamicActivationIntxWeightConfig, quantize_
    from torchao.quantization.granularity import PerGroup

    torch.manual_seed(0)
    model = Layers(k, n).eval()
    quantize_(model, Int8DynamicActivationIntxWeightConfig(
        weight_dtype=torch.int4, weight_granularity=PerGroup(32)))
    return torch.export.export(model, tuple(torch.randn(m, k) for _ in range(layers)))


def lower_8da4w(k: int, n: int, m: int, layers: int) -> bytes:
    """ExecuTorch's .pte (XNNPACK) of export_8da4w's program."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    edge = to_edge_transform_and_lower(export_8da4w(k, n, m, layers),
                                       partitioner=[XnnpackPartitioner()])
    return edge.to_executorch().buffer


def _median_us(call, m: int, seconds: float) -> float:
    # The other system's workers may still spin (pthreadpool's do for a while after a call):
    # Ember's pool would then find its worker missing and run serially for a time.
    time.sleep(SETTLE_S)
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


def time_et(pte: bytes, k: int, m: int, layers: int, seconds: float) -> float:
    """Median microseconds of one forward() of the .pte, per linear (the pool already sized)."""
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(pte).load_method("forward")
    xs = [torch.randn(m, k) for _ in range(layers)]
    return _median_us(lambda: method.execute(xs), m, seconds) / layers


def compile_ember(k: int, n: int, m: int, layers: int) -> bytes:
    """Ember's .pte of the same program (each linear folded into ember::linear_lowbit)."""
    import ember

    return ember.to_edge(export_8da4w(k, n, m, layers)).to_executorch().buffer


def time_ember_runtime(pte: bytes, k: int, m: int, layers: int, seconds: float) -> float:
    import ember.runtime

    module = ember.runtime.load(pte)
    xs = [torch.randn(m, k).numpy() for _ in range(layers)]
    return _median_us(lambda: module.forward(*xs), m, seconds) / layers


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
    parser.add_argument("--layers", type=int, default=8,
                        help="linears a run in the second timing (an LLM step holds ~100)")
    args = parser.parse_args()
    import ember.runtime
    from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool

    runs = (1, args.layers)
    ptes, ours = {}, {}
    for k, n in SHAPES:
        for m in ROWS:
            for layers in runs:
                t0 = time.perf_counter()
                ptes[(k, n, m, layers)] = lower_8da4w(k, n, m, layers)
                t1 = time.perf_counter()
                ours[(k, n, m, layers)] = compile_ember(k, n, m, layers)
                print(f"k={k} n={n} m={m} x{layers}: ExecuTorch lowered in {t1 - t0:.1f} s, "
                      f"Ember compiled in {time.perf_counter() - t1:.1f} s", flush=True)
    et, em = {}, {}
    load_before = os.getloadavg()[0]
    for threads in THREADS:  # one thread count at a time: ExecuTorch's pool is reset per count
        _unsafe_reset_threadpool(threads)
        ember.runtime.set_num_threads(threads)
        for (k, n, m, layers), pte in ptes.items():
            et[(k, n, m, layers, threads)] = time_et(pte, k, m, layers, args.seconds)
            em[(k, n, m, layers, threads)] = time_ember_runtime(
                ours[(k, n, m, layers)], k, m, layers, args.seconds)
    kernel = time_ember(args.ember_bench) if args.ember_bench else {}
    # The ratios compare one moment of a shared machine; the load says how busy it was.
    print(f"\nload average (1 min) before timing {load_before:.1f}, after {os.getloadavg()[0]:.1f}")

    many = args.layers
    print(f"\n| m | k | n | threads | ExecuTorch us, 1 a run | Ember us, 1 a run"
          f" | Ember / ExecuTorch | ExecuTorch us, {many} a run | Ember us, {many} a run"
          f" | Ember / ExecuTorch, {many} a run | Ember GOP/s, {many} a run"
          f" | Ember kernel alone us |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = {(m, layers): [] for m in ROWS for layers in runs}
    for k, n in SHAPES:
        for m in ROWS:
            for threads in THREADS:
                cells = []
                for layers in runs:
                    e, x = em[(k, n, m, layers, threads)], et[(k, n, m, layers, threads)]
                    ratios[(m, layers)].append(e / x)
                    cells += [f"{x:.1f}", f"{e:.1f}", f"{e / x:.2f}"]
                gops = 2.0 * m * n * k / em[(k, n, m, many, threads)] / 1e3
                alone = kernel.get(f"8da4w/m{m}_k{k}_n{n}/threads:{threads}")
                print(f"| {m} | {k} | {n} | {threads} | {' | '.join(cells)} | {gops:.0f} | "
                      f"{f'{alone:.1f}' if alone else ''} |")
    for (m, layers), rs in ratios.items():
        phase = "decode" if m == 1 else "prefill"
        print(f"geometric mean of Ember / ExecuTorch, m = {m} ({phase}), {layers} a run: "
              f"{statistics.geometric_mean(rs):.2f}")


if __name__ == "__main__":
    main()
