"""Where a model's time goes, from an `ember_run --trace` file: time per
operator and, for the convolutions, per kind (depthwise, 1x1, kxk) and shape
with the GFLOP/s each reaches.

    build/py/runtime/ember_run model.pte --trace /tmp/t.json --iterations 10 --threads 1
    .venv/bin/python bench/op_profile.py /tmp/t.json                      # per operator
    .venv/bin/python bench/op_profile.py /tmp/t.json --model mobilenet_v3_small

Each call's time is its minimum over the traced runs (the first run, a
warm-up, left out when there are several): on a shared machine a run is
often preempted, and the minimum is what the kernel costs. With --model, the
zoo model (full size) is exported again to read its convolutions' shapes,
which the trace lists in the same order.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# The names a convolution of a file without delegates is traced under:
# Ember's kernels, NCHW, clamped and channels-last, float and int8.
CONVOLUTIONS = {"aten::convolution.out", "ember::convolution_clamp.out",
                "ember::convolution_nhwc.out", "ember::quantized_convolution.out",
                "ember::quantized_convolution_nhwc.out"}


def call_minima(trace: Path) -> list[tuple[str, float]]:
    """(op name, minimum duration in us over the runs) for each call of a run."""
    events = [e for e in json.loads(trace.read_text())["traceEvents"] if e["name"] != "forward"]
    runs: dict[int, list[dict]] = collections.defaultdict(list)
    for e in events:
        runs[e["args"]["run"]].append(e)
    keys = sorted(runs)[1:] if len(runs) > 1 else sorted(runs)
    calls = len(runs[keys[0]])
    if any(len(runs[k]) != calls for k in keys):
        sys.exit("op_profile: runs of different lengths in the trace")
    return [(runs[keys[0]][i]["name"], min(runs[k][i]["dur"] for k in keys))
            for i in range(calls)]


def conv_shapes(model: str) -> list[tuple[tuple, tuple, tuple, int]]:
    """(input shape, weight shape, stride, groups) of each convolution, in order."""
    import torch
    sys.path.insert(0, str(ROOT / "tests" / "models"))
    from zoo import ZOO
    net, inputs = ZOO[model](True)
    ep = torch.export.export(net.eval(), inputs).run_decompositions()
    out = []
    for n in ep.graph.nodes:
        if n.op == "call_function" and "convolution" in str(n.target):
            x, w = n.args[0].meta["val"], n.args[1].meta["val"]
            out.append((tuple(x.shape), tuple(w.shape), tuple(n.args[3]), int(n.args[8])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", type=Path)
    parser.add_argument("--model", help="zoo model the trace ran, for the convolution shapes")
    parser.add_argument("--top", type=int, default=12, help="slowest convolutions listed")
    args = parser.parse_args()
    calls = call_minima(args.trace)
    per_op: collections.Counter = collections.Counter()
    for name, dur in calls:
        per_op[name] += dur
    total = sum(per_op.values())
    print(f"sum of per-call minima: {total / 1000:.3f} ms")
    for name, dur in per_op.most_common():
        print(f"  {name:40s} {dur / 1000:8.3f} ms {100 * dur / total:5.1f}%")
    if not args.model:
        return
    convs = conv_shapes(args.model)
    durs = [d for name, d in calls if name in CONVOLUTIONS]
    if len(durs) != len(convs):
        sys.exit(f"op_profile: {len(durs)} traced convolutions, {len(convs)} in {args.model}")
    kinds: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0])
    rows = []
    for (x, w, stride, groups), dur in zip(convs, durs, strict=True):
        oc, icg, kh, kw = w
        flops = 2 * oc * icg * kh * kw * (x[2] // stride[0]) * (x[3] // stride[1])
        kind = "dw" if groups == x[1] and groups > 1 else f"{kh}x{kw}"
        k = kinds[kind]
        k[0] += 1
        k[1] += dur
        k[2] += flops
        rows.append((dur, x, w, stride, groups, flops / dur / 1e3))
    conv_total = sum(k[1] for k in kinds.values())
    print("convolutions by kind (GFLOP/s with the output size as input / stride):")
    for kind, (count, dur, flops) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        print(f"  {kind:6s} {int(count):3d} calls {dur / 1000:8.3f} ms "
              f"{100 * dur / conv_total:5.1f}% {flops / dur / 1e3:6.1f} GFLOP/s")
    for dur, x, w, stride, groups, gflops in sorted(rows, reverse=True)[:args.top]:
        print(f"  {dur:9.1f} us  in {x} w {w} stride {stride} groups {groups}: "
              f"{gflops:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
