"""Quantized cat, global pooling and products of two activations end to end:
PT2E models (ExecuTorch's XNNPACKQuantizer and Ember's own quantizer)
compile to ember::quantized_cat / quantized_mean / quantized_matmul, and the
outputs match the eager quantized model and Ember's reference kernels.

Bounds (the reference is the converted eager model, never ExecuTorch):
- cat: the kernel takes the pattern's float32 steps, so it is the reference
  path's bits; against eager, one quantization step of the output (the
  other ops' last-bit differences).
- matmul: the optimized kernel is the optimized float chain fused (the
  same bits as the reference path here); the portable kernel's double sums
  and eager's float32 sums differ from it in the last bits, which can move
  a product across a rounding boundary: one step of the product
  (tests/runtime/kernels/optimized_quantized_cat_matmul_test.cpp). At the
  attention blocks' output one step is asserted; measured 0 on 50 inputs.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import ember

quantizer = pytest.importorskip("ember.quantizer")


def _compile(ep: torch.export.ExportedProgram, **config):
    """The Edge program, the .pte bytes and the operators it names."""
    edge = ember.to_edge(ep, compile_config=ember.EdgeCompileConfig(**config))
    program = edge.to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(program.buffer).program_summary()
    ops = {op["name"] for op in summary["methods"][0]["operators"]}
    return edge, program.buffer, ops


def _output_scale(ep: torch.export.ExportedProgram) -> float:
    """The scale of the dequantize that produces the program's output."""
    output = next(n for n in ep.graph.nodes if n.op == "output").args[0][0]
    assert "dequantize_per_tensor" in str(output.target)
    return float(output.args[1])


def _quantize(model: nn.Module, shape: tuple[int, ...], which: str):
    """model quantized per tensor by Ember's quantizer ("ember", its own
    rules; "executorch", ExecuTorch's rules) or ExecuTorch's own
    XNNPACKQuantizer ("et"), calibrated on four random batches."""
    torch.manual_seed(0)
    model = model.eval()
    x = torch.randn(*shape)
    calibration = [(torch.randn(*shape),) for _ in range(4)]
    if which == "et":
        xnnpack = pytest.importorskip("executorch.backends.xnnpack.quantizer.xnnpack_quantizer")
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

        q = xnnpack.XNNPACKQuantizer().set_global(xnnpack.get_symmetric_quantization_config())
        prepared = prepare_pt2e(torch.export.export(model, (x,)).module(), q)
        for batch in calibration:
            prepared(*batch)
        return torch.export.export(convert_pt2e(prepared), (x,))
    q = quantizer.XNNPACKQuantizer(patterns=which).set_global(
        quantizer.get_symmetric_quantization_config())
    return quantizer.quantize_pt2e(model, (x,), q, calibration)


def _check(ep, ops_in: set[str], ops_out: set[str], shape):
    """Compile ep, check its operators, and compare it with eager and with
    the reference kernels (fold_quantized=False) on six inputs."""
    edge, buffer, ops = _compile(ep)
    assert ops_in <= ops, ops
    assert not ops_out & ops, ops
    module = ember.runtime.load(buffer)
    _, ref_buffer, _ = _compile(ep, fold_quantized=False)
    reference = ember.runtime.load(ref_buffer)
    bound = _output_scale(ep) * (1 + 1e-5)
    torch.manual_seed(1)
    worst = 0.0
    for i in range(6):
        x = torch.randn(*shape) * (1 + i % 3)
        got = module.forward(x)
        worst = max(worst, float((got - ep.module()(x)).abs().max()))
        assert float((got - reference.forward(x)).abs().max()) <= bound, f"input {i}"
    assert worst <= bound, worst
    return edge


class Branches(nn.Module):
    """Two convolution branches concatenated over channels (Inception's,
    SqueezeNet's fire module), then a 1x1 convolution and a global pool."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 6, 1)
        self.c = nn.Conv2d(10, 8, 1)

    def forward(self, x):
        y = torch.cat([torch.relu(self.a(x)), self.b(x)], 1)
        return self.c(y)


@pytest.mark.parametrize("which", ["ember", "executorch", "et"])
def test_cat_of_branches_folds_and_matches_eager(which):
    """The cat runs as one quantized_cat on the int8 branches (the
    quantizers give every input the output's scale: a byte copy)."""
    ep = _quantize(Branches(), (2, 3, 9, 7), which)
    _check(ep, {"ember::quantized_cat.out", "ember::quantized_convolution_nhwc.out"},
           {"aten::cat.out"}, (2, 3, 9, 7))


class CnnHead(nn.Module):
    """A classifier head: adaptive average pooling to 1x1 and a mean over
    H and W, each then a linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        pooled = nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.fc(pooled) + self.fc(y.mean((2, 3)))


@pytest.mark.parametrize("which", ["ember", "et"])
def test_global_pool_head_folds_and_matches_eager(which):
    """adaptive_avg_pool2d(1) lowers to a mean over (-1, -2) with keepdim;
    both means run as quantized_mean on the int8 feature map."""
    ep = _quantize(CnnHead(), (2, 3, 8, 6), which)
    _check(ep, {"ember::quantized_mean.out"}, {"aten::mean.out"}, (2, 3, 8, 6))


class Attention(nn.Module):
    """Single-head attention on [B, S, D]: Q @ K^T and P @ V."""

    def __init__(self, dim: int = 16):
        super().__init__()
        self.q, self.k = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.v, self.o = nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        p = torch.softmax(q @ k.transpose(-1, -2) / 4.0, -1)
        return self.o(p @ v)


class MultiHead(nn.Module):
    """Two heads on [B, H, S, D]: the matmuls are views to [B * H, S, D],
    bmm, and a view back."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)
        self.o = nn.Linear(16, 16)

    def forward(self, x):
        b, s, _ = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, 2, 8).permute(2, 0, 3, 1, 4)
        p = torch.softmax(q @ k.transpose(-1, -2), -1)
        return self.o((p @ v).transpose(1, 2).reshape(b, s, 16))


@pytest.mark.parametrize("model", [Attention, MultiHead])
def test_attention_products_fold_and_match_eager(model):
    """Ember's quantizer quantizes both products; each runs as one
    quantized_matmul on the int8 operands (no float bmm left)."""
    ep = _quantize(model(), (2, 5, 16), "ember")
    edge = _check(ep, {"ember::quantized_matmul.out"}, {"aten::bmm.out"}, (2, 5, 16))
    assert edge.ir().count("edge.quantized_matmul ") == 2, edge.ir()


class MixedCat(nn.Module):
    """A cat of an int8 and a uint8 tensor, written with PT2E's ops."""

    def forward(self, x):
        qd = torch.ops.quantized_decomposed
        a = qd.dequantize_per_tensor(qd.quantize_per_tensor(x, 0.05, 3, -128, 127, torch.int8),
                                     0.05, 3, -128, 127, torch.int8)
        b = qd.dequantize_per_tensor(qd.quantize_per_tensor(x, 0.1, 128, 0, 255, torch.uint8),
                                     0.1, 128, 0, 255, torch.uint8)
        y = torch.cat([a, b], 1)  # int8 and uint8: not folded
        y = qd.quantize_per_tensor(y, 0.1, 0, -128, 127, torch.int8)
        return qd.dequantize_per_tensor(y, 0.1, 0, -128, 127, torch.int8)


class RequantizedCat(nn.Module):
    """A cat whose inputs each have their own scale: requantized per input."""

    def forward(self, x):
        qd = torch.ops.quantized_decomposed
        a = qd.dequantize_per_tensor(qd.quantize_per_tensor(x, 0.013, 3, -128, 127, torch.int8),
                                     0.013, 3, -128, 127, torch.int8)
        b = qd.dequantize_per_tensor(qd.quantize_per_tensor(x * 3, 0.07, -9, -128, 127,
                                                            torch.int8),
                                     0.07, -9, -128, 127, torch.int8)
        y = torch.relu(torch.cat([a, b, a], -1))
        y = qd.quantize_per_tensor(y, 0.05, -20, -128, 127, torch.int8)
        return qd.dequantize_per_tensor(y, 0.05, -20, -128, 127, torch.int8)


def test_cat_with_own_scales_is_the_reference_bits():
    """Inputs on other scales than the output's (and a relu): requantized
    per input, exactly as the dequantize -> cat -> quantize chain."""
    x = torch.randn(3, 7, 5) * 3
    ep = torch.export.export(RequantizedCat(), (x,))
    edge, buffer, ops = _compile(ep)
    assert "ember::quantized_cat.out" in ops and "aten::cat.out" not in ops, ops
    _, ref_buffer, _ = _compile(ep, fold_quantized=False)
    got = ember.runtime.load(buffer).forward(x)
    assert torch.equal(got, ember.runtime.load(ref_buffer).forward(x))
    assert torch.equal(got, RequantizedCat()(x))


def test_unfoldable_cat_runs_and_is_in_the_delegation_summary():
    """int8 and uint8 inputs of one cat: the cat stays on the reference path,
    still matches eager, and the summary names the line and why."""
    x = torch.randn(2, 3) * 4
    edge, buffer, ops = _compile(torch.export.export(MixedCat(), (x,)))
    assert "aten::cat.out" in ops and "ember::quantized_cat.out" not in ops, ops
    line = next(i for i, text in enumerate(open(__file__).read().splitlines(), 1)
                if "# int8 and uint8: not folded" in text)
    pattern = (rf"test_quantized_cat_matmul\.py:{line} .*: edge\.cat -- quantizer: "
               r"tensor 2 is quantized to another type than the result")
    summary = edge.delegation_summary()
    assert re.search(pattern, summary), summary
    assert torch.equal(ember.runtime.load(buffer).forward(x), MixedCat()(x))
