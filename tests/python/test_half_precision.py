"""Half-precision models end to end: a small CNN, a small transformer block and
some of the test-size zoo converted with `.half()` and `.to(torch.bfloat16)`,
compiled with `ember.to_edge(...).to_executorch()` and with the XNNPACK
partitioner (which must claim nothing: its blob is fp32), run with Ember's
runtime and compared with eager PyTorch in the same dtype and with the fp32
eager model.

Bounds, in units in the last place of the dtype (ulp: 2^-10 for float16, 2^-7
for bfloat16) times max(1, max |fp32 output|):
  - against eager in the same dtype: 4 ulps (both accumulate in fp32 and
    round each op's result; they differ in summation order and in which ops
    torch decomposes to fp32 between casts, e.g. silu, hardswish);
  - against the fp32 model: 8 ulps (what rounding weights, inputs and every
    intermediate result to 16 bits costs).
Measured: at most 2.8 and 3.1 ulps (resnet18); the table is in
docs/half-precision.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import ember
from ember.partitioners import XnnpackPartitioner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

ULP = {torch.float16: 2.0**-10, torch.bfloat16: 2.0**-7}
DTYPES = [pytest.param(torch.float16, id="f16"), pytest.param(torch.bfloat16, id="bf16")]
SAME_DTYPE_ULPS = 4
FP32_ULPS = 8


class SmallCnn(nn.Module):
    """conv, batch norm (its own kernel in 16 bits: Ember folds it into the
    convolution in fp32 only), depthwise conv, max and average pools, relu,
    hardswish, global pooling and a linear head, on odd sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 12, 1)
        self.fc = nn.Linear(12, 7)
        with torch.no_grad():  # non-trivial running statistics
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn(self.stem(x)))
        y = F.max_pool2d(y, 3, stride=2, padding=1)
        y = F.hardswish(self.dw(y)) + y
        y = F.avg_pool2d(self.pw(y), 2)
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.fc(y)


class Block(nn.Module):
    """A pre-norm transformer block: layer norm, q/k/v linears, attention both
    written out (matmul, softmax) and through torch's SDPA, gelu MLP,
    residuals."""

    def __init__(self, dim: int = 24, heads: int = 3) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim + 1)
        self.fc2 = nn.Linear(2 * dim + 1, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scores = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1)
        att = scores @ v + F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


def _first(out):
    return out[0] if isinstance(out, (list, tuple)) else out


def _run(model: nn.Module, args: tuple, dtype: torch.dtype, xnnpack: bool):
    """Ember's output of `model` converted to `dtype` (floating inputs too),
    eager's in that dtype, eager's fp32 output, and the delegation summary."""
    model = model.eval()
    with torch.no_grad():
        want32 = _first(model(*args)).float()
    model = model.to(dtype)
    args = tuple(a.to(dtype) if a.is_floating_point() else a for a in args)
    with torch.no_grad():
        want = _first(model(*args))
    edge = ember.to_edge(torch.export.export(model, args))
    if xnnpack:
        edge = edge.to_backend(XnnpackPartitioner())
    summary = edge.delegation_summary()
    got = _first(ember.runtime.load(edge.to_executorch().buffer).forward(*args))
    return got, want, want32, summary


def _check(got: torch.Tensor, want: torch.Tensor, want32: torch.Tensor,
           dtype: torch.dtype) -> tuple[float, float]:
    """Assert the bounds; return the errors in ulps (for the docs' table)."""
    assert got.dtype == dtype and got.shape == want.shape
    scale = ULP[dtype] * max(1.0, want32.abs().max().item())
    same = (got.float() - want.float()).abs().max().item() / scale
    fp32 = (got.float() - want32).abs().max().item() / scale
    assert same <= SAME_DTYPE_ULPS, f"{same:.2f} ulps from eager {dtype}"
    assert fp32 <= FP32_ULPS, f"{fp32:.2f} ulps from eager fp32"
    return same, fp32


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xnnpack", [False, True], ids=["portable", "xnnpack"])
def test_small_cnn(dtype: torch.dtype, xnnpack: bool) -> None:
    got, want, want32, summary = _run(SmallCnn(), (torch.randn(2, 3, 17, 15),), dtype, xnnpack)
    _check(got, want, want32, dtype)
    assert "edge._native_batch_norm_legit_no_training x1" in summary  # not folded in 16 bits
    if xnnpack:
        # Only torch's fp32 middle of hardswish (it upcasts: _to_copy, add,
        # clamp, div, mul, _to_copy) is delegated; every 16-bit op is refused.
        name = "f16" if dtype == torch.float16 else "bf16"
        delegated = summary.split("portable kernels:")[0].splitlines()[2:]
        assert sorted(line.split()[0] for line in delegated) == [
            "edge.add.Tensor", "edge.clamp", "edge.div.Tensor", "edge.mul.Tensor"], summary
        for op in ("convolution", "max_pool2d_with_indices", "avg_pool2d", "addmm", "relu"):
            assert (f"edge.{op} -- XnnpackBackend: {name} tensor: the delegate is fp32 only; "
                    "half precision runs on Ember's kernels") in summary


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xnnpack", [False, True], ids=["portable", "xnnpack"])
def test_transformer_block(dtype: torch.dtype, xnnpack: bool) -> None:
    got, want, want32, summary = _run(Block(), (torch.randn(2, 7, 24),), dtype, xnnpack)
    _check(got, want, want32, dtype)
    # torch's SDPA stays whole, in the 16-bit dtype (not decomposed to fp32
    # between casts); the written-out attention runs as bmm and softmax.
    assert "edge.scaled_dot_product_attention x1" in summary
    assert "edge._to_copy" not in summary and "edge._softmax x1" in summary
    if xnnpack:
        assert "delegated ops: 0," in summary
        assert "edge.native_layer_norm x2" in summary


ZOO_CASES = [("bert", False), ("gpt2", False), ("resnet18", False), ("convnext_tiny", True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,xnnpack", ZOO_CASES, ids=[n for n, _ in ZOO_CASES])
def test_zoo(name: str, xnnpack: bool, dtype: torch.dtype) -> None:
    from zoo import ZOO
    model, args = ZOO[name](False)
    got, want, want32, _ = _run(model, args, dtype, xnnpack)
    _check(got, want, want32, dtype)


def test_bfloat16_crosses_numpy_as_bits() -> None:
    """numpy has no bfloat16: a bfloat16 input is given, and an output comes
    back, as uint16 bit patterns; torch tensors come back as torch.bfloat16."""
    model = nn.Linear(5, 3).to(torch.bfloat16).eval()
    x = torch.randn(2, 5).to(torch.bfloat16)
    module = ember.runtime.load(
        ember.to_edge(torch.export.export(model, (x,))).to_executorch().buffer)
    with torch.no_grad():
        want = model(x)
    bits = module.forward(x.view(torch.int16).numpy().view(np.uint16))
    bits = _first(bits)
    assert bits.dtype == np.uint16
    assert torch.equal(torch.from_numpy(bits.view(np.int16)).view(torch.bfloat16), want)
    got = _first(module.forward(x))
    assert got.dtype == torch.bfloat16 and torch.equal(got, want)
