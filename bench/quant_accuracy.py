"""The error table of Ember's quantized models: each against its own
quantized model in eager PyTorch (the converted, fake-quant graph), which is
the reference; never ExecuTorch.

    .venv/bin/python -m bench.quant_accuracy            # measure, print, record
    .venv/bin/python -m bench.quant_accuracy --small --no-doc

For the static int8 classifiers (ember.quantizer, per-channel weights,
calibrated on 8 random inputs), over 16 other random inputs:
  - the output's quantization step (its scale: the last dequantize's),
  - the largest |Ember - eager| in steps, and the share of elements equal,
    within 1 and within 2 steps,
  - top-1 agreement with the eager quantized model (and the float model's
    agreement with it, the quantization's own effect).
For the LLM configs (torchao 8da4w with groups of 32, 8da8w, 4- and 8-bit
weight-only) on a two-layer MLP of a 1B model's shapes (K 2048): the largest
|Ember - eager| relative to max |eager|.
Results go to the section "Accuracy" of docs/quantization.md (unless --no-doc).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "models"))
DOC = ROOT / "docs" / "quantization.md"
SECTION = "## Accuracy"
CLASSIFIERS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"]


def _output_scale(ep: torch.export.ExportedProgram) -> float | None:
    """The scale of the dequantize that produces the program's (first) output."""
    out = next(n for n in ep.graph.nodes if n.op == "output").args[0][0]
    while out.op == "call_function" and "dequantize" not in str(out.target):
        if not out.args or not isinstance(out.args[0], torch.fx.Node):
            return None
        out = out.args[0]
    scale = out.args[1] if out.op == "call_function" else None
    return float(scale) if isinstance(scale, float) else None


def classifier_row(name: str, full: bool) -> list[str]:
    import ember
    from ember.quantizer import XNNPACKQuantizer, get_symmetric_quantization_config, quantize_pt2e
    from zoo import ZOO

    torch.manual_seed(0)
    model, (x,) = ZOO[name](full)
    calibration = [(torch.randn_like(x),) for _ in range(8)]
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(
        is_per_channel=True))
    ep = quantize_pt2e(model, (x,), quantizer, calibration, progress=False)
    eager = ep.module()
    program = ember.to_edge(ep).to_executorch()
    module = ember.runtime.load(program.buffer)
    step = _output_scale(ep)
    diffs, top1, float_top1 = [], 0, 0
    trials = 16
    with torch.no_grad():
        for _ in range(trials):
            xi = torch.randn_like(x)
            want = eager(xi)
            got = module.forward(xi)
            diffs.append((got - want).abs().flatten())
            top1 += int(got.argmax() == want.argmax())
            float_top1 += int(model(xi).argmax() == want.argmax())
    d = torch.cat(diffs).numpy() / step if step else None
    cells = [name, f"{step:.3g}" if step else "n/a"]
    if d is None:
        return cells + ["n/a"] * 4 + [f"{top1}/{trials}", f"{float_top1}/{trials}"]
    eq = np.mean(d < 0.5)
    return cells + [f"{d.max():.0f}", f"{100 * eq:.2f}%", f"{100 * np.mean(d < 1.5):.2f}%",
                    f"{100 * np.mean(d < 2.5):.2f}%", f"{top1}/{trials}",
                    f"{float_top1}/{trials}"]


def llm_rows(full: bool) -> list[list[str]]:
    import ember
    from torchao.quantization import (
        Int8DynamicActivationIntxWeightConfig,
        IntxWeightOnlyConfig,
        quantize_,
    )
    from torchao.quantization.granularity import PerAxis, PerGroup

    k, hidden = (2048, 8192) if full else (256, 512)
    configs = {
        "8da4w, groups of 32": Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int4, weight_granularity=PerGroup(32)),
        "8da8w, per channel": Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int8, weight_granularity=PerAxis(0)),
        "4-bit weight-only, groups of 32": IntxWeightOnlyConfig(
            weight_dtype=torch.int4, granularity=PerGroup(32)),
        "8-bit weight-only, per channel": IntxWeightOnlyConfig(
            weight_dtype=torch.int8, granularity=PerAxis(0)),
    }
    rows = []
    for label, config in configs.items():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(k, hidden), torch.nn.SiLU(),
                                    torch.nn.Linear(hidden, k)).eval()
        quantize_(model, config)
        x = torch.randn(1, 16, k)
        program = ember.to_edge(torch.export.export(model, (x,))).to_executorch()
        module = ember.runtime.load(program.buffer)
        worst = 0.0
        with torch.no_grad():
            for _ in range(4):
                xi = torch.randn(1, 16, k)
                want = model(xi)
                worst = max(worst, float((module.forward(xi) - want).abs().max() /
                                         want.abs().max()))
        rows.append([label, f"[{k}, {hidden}], [{hidden}, {k}]", f"{worst:.1e}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quant_accuracy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="the test-size models")
    parser.add_argument("--models", nargs="+", default=CLASSIFIERS)
    parser.add_argument("--no-doc", action="store_true")
    a = parser.parse_args(argv)
    from bench.harness import _table
    from bench.report import recorded_line, replace_section

    rows = [classifier_row(m, not a.small) for m in a.models]
    llm = llm_rows(not a.small)
    command = " ".join(["python -m bench.quant_accuracy", *(argv if argv is not None
                                                            else sys.argv[1:])])
    lines = [SECTION, "",
             "Each quantized model against itself in eager PyTorch (the converted graph), the",
             "reference Ember is held to. Static int8 classifiers: `ember.quantizer`, per-channel",
             "weights, 8 calibration inputs, 16 test inputs; the error in steps of the output's",
             "quantization scale (the model's last dequantize). An int8 kernel's integer sums",
             "are exact, so a difference comes from a float rounding that moved a value across a",
             "rounding boundary somewhere in the network, and then travelled; top-1 agreement",
             "is what a classifier's user sees. The float model's own top-1 agreement with the",
             "quantized one is beside it: the quantization's effect, which Ember does not add to.",
             "", recorded_line(command), "",
             *_table(["model", "output step", "max error (steps)", "equal", "within 1 step",
                      "within 2 steps", "top-1 = eager int8", "top-1 float = eager int8"], rows),
             "",
             "torchao's LLM configs on a two-layer MLP of a 1B model's shapes, 16 tokens: the",
             "largest |Ember - eager| over max |eager| (4 inputs). Ember's integer group sums are",
             "exact; eager dequantizes to float32 and multiplies, so the two differ by float32",
             "rounding only.", "",
             *_table(["config", "weights", "max relative error"], llm), ""]
    print("\n".join(lines))
    if not a.no_doc:
        replace_section(lines, DOC)
    return 0


if __name__ == "__main__":
    sys.exit(main())
