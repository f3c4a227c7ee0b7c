"""Quantized programs on the reference path: PT2E's quantize/dequantize ops
and torchao's affine ops compile as Edge ops and run on the portable
reference kernels (runtime/kernels/portable/op_quantize*.cpp), which compute
what PyTorch computes. The reference is each quantized model in eager
PyTorch (its converted, fake-quant form), never ExecuTorch.

Bounds: quantize/dequantize themselves are bit-exact with PyTorch; what lies
between them (convolution, linear) is Ember's float kernel, whose last-bit
differences can move a value across a rounding boundary, so an output
re-quantized after such an op may differ by one quantization step.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ember

torchao_quant = pytest.importorskip("torchao.quantization")


# The reference path is what runs when nothing folds: these tests keep it
# (tests/python/test_quantized_folding.py covers the folded, fast path).
REFERENCE = ember.EdgeCompileConfig(fold_quantized=False)


def _run(ep: torch.export.ExportedProgram, *inputs):
    program = ember.to_edge(ep, compile_config=REFERENCE).to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(program.buffer).program_summary()
    module = ember.runtime.load(program.buffer)
    return module.forward(*inputs), summary


class SmallCnn(nn.Module):
    """conv-bn-relu, a residual add, pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = torch.relu(self.conv2(y) + y)
        return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


def _pt2e(model: nn.Module, inputs: tuple, per_channel: bool, dynamic: bool) -> nn.Module:
    """PT2E with ExecuTorch's XNNPACKQuantizer (what its users run today)."""
    pytest.importorskip("executorch")
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = XNNPACKQuantizer().set_global(
        get_symmetric_quantization_config(is_per_channel=per_channel, is_dynamic=dynamic))
    prepared = prepare_pt2e(torch.export.export(model.eval(), inputs).module(), quantizer)
    for _ in range(4):
        prepared(*(torch.randn_like(t) for t in inputs))
    return convert_pt2e(prepared)


@pytest.mark.parametrize("per_channel", [True, False])
def test_static_int8_matches_eager(per_channel):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 12, 12)
    quantized = _pt2e(SmallCnn(), (x,), per_channel, dynamic=False)
    ep = torch.export.export(quantized, (x,))
    got, summary = _run(ep, x)
    want = quantized(x)
    ops = {op["name"] for op in summary["methods"][0]["operators"]}
    assert "quantized_decomposed::quantize_per_tensor.out" in ops
    weight_op = "dequantize_per_channel" if per_channel else "dequantize_per_tensor"
    assert f"quantized_decomposed::{weight_op}.out" in ops
    # The output is dequantized from int8: one step of its scale at most.
    step = float(want.abs().max()) / 127
    torch.testing.assert_close(got, want, rtol=0, atol=step)


def test_dynamic_int8_linear_matches_eager():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
    x = torch.randn(4, 32)
    quantized = _pt2e(model, (x,), per_channel=True, dynamic=True)
    ep = torch.export.export(quantized, (x,))
    for _ in range(3):  # the scale follows each input
        xi = torch.randn(4, 32) * float(torch.rand(()) * 4)
        got, summary = _run(ep, xi)
        torch.testing.assert_close(got, quantized(xi), rtol=1e-5, atol=1e-5)
    ops = {op["name"] for op in summary["methods"][0]["operators"]}
    assert "quantized_decomposed::choose_qparams.Tensor_out" in ops


def _torchao_configs():
    from torchao.quantization.granularity import PerAxis, PerGroup

    q = torchao_quant
    return {
        "8da4w-g32": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int4, weight_granularity=PerGroup(32)),
        "8da4w-g64": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int4, weight_granularity=PerGroup(64)),
        "8da8w": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int8, weight_granularity=PerAxis(0)),
        "4w": q.IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(32)),
        "8w": q.IntxWeightOnlyConfig(weight_dtype=torch.int8, granularity=PerAxis(0)),
    }


@pytest.mark.parametrize("name", ["8da4w-g32", "8da4w-g64", "8da8w", "4w", "8w"])
def test_torchao_linears_match_eager_and_keep_int8_weights(name):
    """torchao's quantize_ configs (ExecuTorch's LLM recipes): the affine
    ops stay whole through decomposition, run on the reference kernels, and
    the weights stay int8 in the file (weight-only included, which
    ExecuTorch 1.4.1's XNNPACK path gets wrong)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(128, 64), nn.SiLU(), nn.Linear(64, 32)).eval()
    torchao_quant.quantize_(model, _torchao_configs()[name])
    x = torch.randn(1, 5, 128)
    ep = torch.export.export(model, (x,))
    program = ember.to_edge(ep, compile_config=REFERENCE).to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(program.buffer).program_summary()
    ops = {op["name"] for op in summary["methods"][0]["operators"]}
    assert "torchao::dequantize_affine.out" in ops
    assert ("torchao::choose_qparams_affine.out" in ops) == name.startswith("8da")
    weights = 128 * 64 + 64 * 32  # int8, one byte per value
    assert summary["constants"]["tensor_bytes"] < weights * 1.5
    module = ember.runtime.load(program.buffer)
    with torch.no_grad():
        for _ in range(2):
            xi = torch.randn(1, 5, 128)
            torch.testing.assert_close(module.forward(xi), model(xi), rtol=1e-5, atol=1e-5)


class BadQuantize(nn.Module):
    def __init__(self, scale: float, zero_point: int):
        super().__init__()
        self.scale, self.zero_point = scale, zero_point

    def forward(self, x):
        ops = torch.ops.quantized_decomposed
        q = ops.quantize_per_tensor(x, self.scale, self.zero_point, -128, 127, torch.int8)
        return ops.dequantize_per_tensor(q, 0.5, 0, -128, 127, torch.int8)


@pytest.mark.parametrize("scale, zero_point, message", [
    (-0.5, 0, "scale -0.5 must be positive and finite"),
    (0.5, 300, "zero point 300 is outside the quantization range [-128, 127]"),
])
def test_inconsistent_parameters_are_compile_errors(scale, zero_point, message):
    import torch.ao.quantization.fx._decomposed  # noqa: F401  (registers the ops)

    ep = torch.export.export(BadQuantize(scale, zero_point), (torch.randn(4),))
    with pytest.raises(ember.CompileError) as info:
        ember.to_edge(ep)
    text = str(info.value)
    assert message in text and "edge.quantize_per_tensor" in text
    assert "test_quantized_reference.py" in text  # the user's source line


# A group size that does not divide K never gets this far from torch.export
# (torchao's own meta function asserts); the Edge verifier's check of it is
# tested in tests/lit/exir/verifiers-quantize.mlir.
