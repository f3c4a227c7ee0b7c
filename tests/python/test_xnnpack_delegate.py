"""XnnpackPartitioner end to end: every op it claims, at several shapes and
layouts, exported by Ember with its XNNPACK delegate and run against eager
PyTorch (fp32, rtol 1e-4); delegate/portable boundaries mid-graph; what the
delegation summary says about refused ops; zoo CNNs delegated whole.

The runtimes are a fixture: ExecuTorch 1.4.1's (`executorch.runtime`, whose
XnnpackBackend reads ExecuTorch's XNNPACK blob format, the one Ember
writes) and Ember's own (`ember.runtime.load`). Each is used when it can run
an XnnpackBackend delegate: ExecuTorch's when `executorch` is importable,
Ember's as soon as runtime/backends/xnnpack registers XnnpackBackend (the
fixture probes it with a one-op program). Every case runs on each runtime
available; a runtime that cannot is reported as skipped. Ember's runs twice:
with the float convolutions on Ember's own channels-last kernel inside the
delegate ("ember", EMBER_XNNPACK_CONVOLUTIONS=ember, the default on AVX-512
CPUs) and on XNNPACK's ("ember-xnnpack-convs").
"""

from __future__ import annotations

import collections
import math
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import ember
from ember.errors import CompileError, EmberRuntimeError
from ember.partitioners import Partitioner, XnnpackPartitioner

Runner = Callable[[bytes, tuple], list]


def _executorch_runner() -> Runner | None:
    try:
        from executorch.runtime import Runtime
    except ImportError:
        return None
    runtime = Runtime.get()
    if "XnnpackBackend" not in runtime.backend_registry.registered_backend_names:
        return None

    def run(buffer: bytes, args: tuple) -> list:
        return list(runtime.load_program(buffer).load_method("forward").execute(list(args)))
    return run


class convolutions_on:  # noqa: N801 - a context manager, used like a function
    """EMBER_XNNPACK_CONVOLUTIONS set to `who` ("ember" or "xnnpack") while
    Ember's runtime loads and runs (the delegate reads it at init)."""

    def __init__(self, who: str) -> None:
        self.who = who

    def __enter__(self) -> None:
        self.saved = os.environ.get("EMBER_XNNPACK_CONVOLUTIONS")
        os.environ["EMBER_XNNPACK_CONVOLUTIONS"] = self.who

    def __exit__(self, *exc) -> None:
        if self.saved is None:
            del os.environ["EMBER_XNNPACK_CONVOLUTIONS"]
        else:
            os.environ["EMBER_XNNPACK_CONVOLUTIONS"] = self.saved


def _ember_runner(convolutions: str) -> Callable[[], Runner | None]:
    def make() -> Runner | None:
        probe = ember.to_edge_transform_and_lower(
            torch.export.export(nn.ReLU(), (torch.randn(2),)), partitioner=[XnnpackPartitioner()])
        try:
            ember.runtime.load(probe.to_executorch().buffer).load_method("forward")
        except EmberRuntimeError as e:
            if "backend 'XnnpackBackend' is not registered" in str(e):
                return None
            raise

        def run(buffer: bytes, args: tuple) -> list:
            with convolutions_on(convolutions):
                out = ember.runtime.load(buffer).forward(*args)
            return list(out) if isinstance(out, (tuple, list)) else [out]
        return run
    return make


RUNTIMES: dict[str, Callable[[], Runner | None]] = {
    "executorch": _executorch_runner,
    "ember": _ember_runner("ember"),
    "ember-xnnpack-convs": _ember_runner("xnnpack"),
}


@pytest.fixture(scope="module", params=list(RUNTIMES))
def run_pte(request) -> Runner:
    runner = RUNTIMES[request.param]()
    if runner is None:
        pytest.skip(f"{request.param}'s runtime has no XnnpackBackend here")
    return runner


class Fn(nn.Module):
    """A function as a module (elementwise cases)."""

    def __init__(self, fn: Callable) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


@dataclass
class Case:
    name: str
    model: nn.Module
    shapes: list[tuple[int, ...]]
    portable: int = 0      # ops expected on the portable path
    delegates: int = 1     # delegate calls expected
    args: tuple = field(init=False)

    def __post_init__(self) -> None:
        gen = torch.Generator().manual_seed(zlib.crc32(self.name.encode()))
        self.args = tuple(torch.randn(s, generator=gen) for s in self.shapes)
        self.model = self.model.eval()


def _conv_cases() -> list[Case]:
    return [
        Case("conv2d_3x3", nn.Conv2d(3, 8, 3), [(1, 3, 8, 8)]),
        Case("conv2d_stride_pad_batch2", nn.Conv2d(4, 6, 3, stride=2, padding=1), [(2, 4, 7, 5)]),
        Case("conv2d_dilated", nn.Conv2d(4, 5, 3, dilation=2, padding=2), [(1, 4, 9, 9)]),
        Case("conv2d_asym_nobias", nn.Conv2d(3, 4, (3, 1), padding=(1, 0), bias=False),
             [(1, 3, 6, 5)]),
        Case("conv2d_grouped", nn.Conv2d(4, 6, 3, groups=2, padding=1), [(1, 4, 6, 6)]),
        Case("conv2d_grouped3", nn.Conv2d(6, 9, 1, groups=3), [(2, 6, 5, 4)]),
        Case("conv2d_depthwise", nn.Conv2d(8, 8, 3, groups=8, padding=1), [(1, 8, 7, 7)]),
        Case("conv2d_depthwise_mult2_s2", nn.Conv2d(4, 8, 3, groups=4, stride=2), [(2, 4, 9, 8)]),
        Case("conv2d_one_input_channel", nn.Conv2d(1, 4, 3), [(1, 1, 6, 6)]),
        Case("conv2d_one_input_channel_7x7", nn.Conv2d(1, 8, 7, padding=3), [(1, 1, 9, 9)]),
        Case("conv2d_grouped_deep", nn.Conv2d(16, 24, 3, groups=2, padding=1, stride=2),
             [(2, 16, 7, 6)]),
        Case("conv1d_deep", nn.Conv1d(16, 8, 3, padding=1), [(2, 16, 10)]),
        Case("conv_transpose2d", nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),
             [(1, 4, 5, 5)]),
        Case("conv_transpose2d_groups", nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2),
             [(2, 4, 3, 4)]),
        Case("conv_transpose2d_dilated_nobias",
             nn.ConvTranspose2d(3, 2, 3, dilation=2, bias=False), [(1, 3, 4, 4)]),
        Case("conv1d", nn.Conv1d(4, 6, 3, stride=2, padding=1), [(2, 4, 11)]),
        Case("conv1d_depthwise", nn.Conv1d(4, 4, 3, groups=4), [(1, 4, 12)]),
        # XNNPACK 2022 has depthwise kernels for windows of 3, 4, 9 and 25 taps
        # only (any other runs as a slow grouped GEMM): 5 and 49 taps stay on
        # Ember's depthwise kernel, 25 are delegated.
        Case("conv1d_depthwise_5_taps", nn.Conv1d(4, 4, 5, groups=4), [(1, 4, 12)], portable=1,
             delegates=0),
        Case("conv_depthwise_7x7", nn.Conv2d(4, 4, 7, padding=3, groups=4), [(1, 4, 9, 9)],
             portable=1, delegates=0),
        Case("conv_depthwise_5x5", nn.Conv2d(4, 4, 5, padding=2, groups=4), [(1, 4, 9, 9)]),
        Case("conv_transpose1d", nn.ConvTranspose1d(4, 3, 3, stride=2), [(1, 4, 7)]),
        Case("conv_batchnorm", nn.Sequential(nn.Conv2d(3, 4, 3), _random_bn(nn.BatchNorm2d(4))),
             [(1, 3, 6, 6)]),
    ]


def _random_bn(bn: nn.Module) -> nn.Module:
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    return bn


def _linear_cases() -> list[Case]:
    return [
        Case("linear", nn.Linear(16, 8), [(4, 16)]),
        Case("linear_nobias", nn.Linear(16, 8, bias=False), [(3, 16)]),
        Case("linear_3d_input", nn.Linear(8, 5), [(2, 3, 8)]),
        Case("mlp_relu_hardtanh", nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4),
                                                nn.Hardtanh(-0.5, 0.5)), [(5, 8)]),
        Case("linear_deep_3d", nn.Linear(48, 40, bias=False), [(2, 7, 48)]),
        Case("linear_deep_relu", nn.Sequential(nn.Linear(64, 33), nn.ReLU6(), nn.Linear(33, 70)),
             [(13, 64)]),
        Case("linear_deep_one_row", nn.Linear(64, 10), [(1, 64)]),
        # One row, a weight of 2**18 or more: a classifier, on Ember's GEMM.
        Case("linear_classifier_one_row", nn.Sequential(nn.Linear(640, 512), nn.Hardswish(),
                                                        nn.Linear(512, 520)), [(1, 640)]),
    ]


class UnaryOp(nn.Module):
    """`fn` on an NHWC value (after a 1x1 conv: it runs inside the NHWC
    chain) and on a plain 2-d input."""

    def __init__(self, fn: Callable) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.fn = fn

    def forward(self, x4, x2):
        return self.fn(self.conv(x4)), self.fn(x2)


class BinaryOp(nn.Module):
    """`fn` with an NHWC operand and an NCHW input of the same shape, with a
    lower-rank broadcast input [C, 1, W], with a per-channel constant, and
    on plain 2-d operands broadcast [N, K] x [K]."""

    def __init__(self, fn: Callable) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.fn = fn
        self.register_buffer("k", torch.rand(4, 1, 1) + 0.5)

    def forward(self, a, b, c, d, e):
        y = self.conv(a)
        return self.fn(y, b), self.fn(c, y), self.fn(y, self.k), self.fn(d, e)


BINARY_SHAPES = [(2, 4, 3, 5), (2, 4, 3, 5), (4, 1, 5), (6, 5), (5,)]
BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
          "maximum": torch.maximum, "minimum": torch.minimum}
UNARY = {
    "relu": F.relu, "relu6": F.relu6, "hardtanh": lambda x: F.hardtanh(x, -2.0, 2.0),
    "clamp_min": lambda x: torch.clamp(x, min=-0.5), "clamp_max": lambda x: x.clamp(max=0.3),
    "clamp": lambda x: x.clamp(-1, 1), "sigmoid": torch.sigmoid,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2), "elu": lambda x: F.elu(x, 0.5),
    "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid, "silu": F.silu,
    "abs": torch.abs, "neg": torch.neg, "square": lambda x: x ** 2,
    "sqrt": lambda x: torch.sqrt(x.abs()), "ceil": torch.ceil, "floor": torch.floor,
}


def _elementwise_cases() -> list[Case]:
    cases = [Case(name, BinaryOp(fn), BINARY_SHAPES) for name, fn in BINARY.items()]
    cases += [Case(name, UnaryOp(fn), [(2, 4, 3, 5), (7, 3)]) for name, fn in UNARY.items()]
    cases += [
        Case("scalar_arithmetic", Fn(lambda x: ((x + 1) * 2 - 3) / 4), [(2, 3, 4)]),
        Case("add_alpha_constant", Fn(lambda x: torch.add(x, torch.ones(5), alpha=2)), [(3, 5)]),
        Case("sub_alpha_constant", Fn(lambda x: torch.sub(x, torch.ones(5), alpha=0.5)), [(3, 5)]),
        Case("prelu_per_channel", nn.PReLU(6), [(2, 6, 4, 5)]),
        Case("prelu_shared_after_conv", nn.Sequential(nn.Conv2d(3, 3, 1), nn.PReLU()),
             [(1, 3, 5, 5)]),
        Case("softmax_2d", Fn(lambda x: torch.softmax(x, -1)), [(4, 10)]),
        Case("softmax_3d", Fn(lambda x: torch.softmax(x, 2)), [(2, 3, 7)]),
        Case("softmax_after_conv", nn.Sequential(nn.Conv2d(3, 4, 1), nn.Softmax(-1)),
             [(1, 3, 4, 6)]),
        Case("batchnorm2d", _random_bn(nn.BatchNorm2d(3)), [(2, 3, 4, 4)]),
        Case("batchnorm1d", _random_bn(nn.BatchNorm1d(5)), [(4, 5)]),
    ]
    return cases


def _spatial_cases() -> list[Case]:
    x = (2, 4, 9, 7)
    return [
        Case("max_pool_2x2", nn.MaxPool2d(2), [x]),
        Case("max_pool_3x3_s2_p1", nn.MaxPool2d(3, 2, 1), [x]),
        Case("max_pool_ceil_mode", nn.MaxPool2d(3, 2, ceil_mode=True), [x]),
        Case("max_pool_dilated", nn.MaxPool2d(2, 1, dilation=2), [(1, 3, 6, 6)]),
        Case("avg_pool_2x2", nn.AvgPool2d(2), [x]),
        Case("avg_pool_padded_exclude", nn.AvgPool2d(3, 2, 1, count_include_pad=False), [x]),
        Case("adaptive_avg_pool_1x1", nn.AdaptiveAvgPool2d(1), [x]),
        Case("adaptive_avg_pool_divisible", nn.AdaptiveAvgPool2d((3, 7)), [x]),
        Case("mean_hw", Fn(lambda t: t.mean((2, 3))), [x]),
        Case("mean_hw_keepdim", Fn(lambda t: t.mean((-1, -2), keepdim=True)), [(1, 5, 3, 3)]),
        Case("constant_pad_4d", Fn(lambda t: F.pad(t, (1, 2, 0, 3), value=0.5)), [x]),
        Case("constant_pad_3d", Fn(lambda t: F.pad(t, (2, 0, 1, 1, 1, 0))), [(2, 3, 4)]),
        Case("upsample_bilinear_x2",
             Fn(lambda t: F.interpolate(t, scale_factor=2, mode="bilinear")), [x]),
        Case("upsample_bilinear_align_corners",
             Fn(lambda t: F.interpolate(t, size=(12, 10), mode="bilinear", align_corners=True)),
             [x]),
        Case("flatten", Fn(lambda t: t.flatten(1) * 2), [x]),
        Case("view_unsqueeze_squeeze",
             Fn(lambda t: t.view(2, 4, 63).unsqueeze(1).squeeze(1) + 1), [x]),
        Case("clone", Fn(lambda t: t.clone().abs()), [(3, 4)]),
        # Reshapes alone stay portable, where a view is free.
        Case("view_alone", Fn(lambda t: t.view(12)), [(3, 4)], portable=1, delegates=0),
    ]


class ConvChain(nn.Module):
    """conv -> relu -> conv -> residual add -> relu: one NHWC chain."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = _random_bn(nn.BatchNorm2d(4))
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return F.relu(self.c2(F.relu(self.bn(self.c1(x)))) + x)


class NormalizeConv(nn.Module):
    """Input normalization, then a conv: the NHWC transpose moves to the input."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.5, -0.2, 0.1]).view(3, 1, 1))
        self.register_buffer("std", torch.tensor([2.0, 0.5, 1.5]).view(3, 1, 1))
        self.c = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.c((x - self.mean) / self.std)


class ConvTanhConv(nn.Module):
    """conv -> tanh (portable) -> conv: two delegates around a portable op."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.c2(torch.tanh(F.relu(self.c1(x))))


class ConvCatConv(nn.Module):
    """Two convs, a concatenation on the portable path, a conv after it."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 2, 3, padding=1)
        self.b = nn.Conv2d(3, 2, 1)
        self.c = nn.Conv2d(4, 3, 3)

    def forward(self, x):
        return torch.sigmoid(self.c(torch.cat([self.a(x), self.b(x)], 1)))


class ConvFlattenLinear(nn.Module):
    """A 5x5 feature map flattened into a linear layer (the layer's filter
    columns are permuted into NHWC order) and returned too (in NCHW)."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)
        self.l = nn.Linear(4 * 5 * 5, 6)

    def forward(self, x):
        y = F.relu(self.c(x))
        return self.l(y.flatten(1)), y


class TwoInThreeOut(nn.Module):
    """Inputs used out of order, outputs in another order, an input
    returned through a copy."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(3, 3, 1)

    def forward(self, x, y):
        return torch.relu(self.c(y)), self.c(x) + y, x.clone()


class ConvNextBlock(nn.Module):
    """ConvNeXt's block: depthwise conv, permute to channels last, layer norm
    (portable), linear, GELU (portable), linear, layer scale, permute back,
    residual add. With a 5x5 window the permutes are delegated: the one after
    the conv undoes the delegate's own NHWC layout and moves no data. With
    ConvNeXt's own 7x7 window the depthwise conv stays on Ember's kernel (no
    XNNPACK 2022 depthwise kernel has 49 taps) and so does the permute after it."""

    def __init__(self, window: int = 5) -> None:
        super().__init__()
        self.dw = nn.Conv2d(8, 8, window, padding=window // 2, groups=8)
        self.norm = nn.LayerNorm(8)
        self.up = nn.Linear(8, 32)
        self.down = nn.Linear(32, 8)
        self.gamma = nn.Parameter(torch.rand(8))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.down(F.gelu(self.up(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


def _graph_cases() -> list[Case]:
    return [
        Case("conv_chain_residual", ConvChain(), [(1, 4, 8, 8)]),
        Case("normalize_then_conv", NormalizeConv(), [(2, 3, 6, 6)]),
        Case("conv_tanh_conv", ConvTanhConv(), [(1, 3, 6, 6)], portable=1, delegates=2),
        Case("conv_cat_conv", ConvCatConv(), [(2, 3, 5, 5)], portable=1, delegates=2),
        Case("conv_flatten_linear", ConvFlattenLinear(), [(2, 3, 7, 7)]),
        Case("lenet", nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2),
                                    nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(),
                                    nn.Linear(8 * 4 * 4, 16), nn.ReLU(), nn.Linear(16, 10)),
             [(3, 1, 16, 16)]),
        Case("two_in_three_out", TwoInThreeOut(), [(1, 3, 4, 4), (1, 3, 4, 4)]),
        Case("gelu_between_linears", nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 3)),
             [(2, 6)], portable=1, delegates=2),
        Case("convnext_block", ConvNextBlock(), [(1, 8, 6, 5)], portable=2, delegates=3),
        Case("convnext_block_7x7", ConvNextBlock(7), [(1, 8, 6, 5)], portable=4, delegates=2),
        # Data movement alone stays portable: a delegate would be the same copy.
        Case("permute_alone", Fn(lambda x: x.permute(0, 2, 1)), [(2, 3, 4)], portable=1,
             delegates=0),
    ]


torch.manual_seed(0)
CASES = {c.name: c for c in
         _conv_cases() + _linear_cases() + _elementwise_cases() + _spatial_cases() + _graph_cases()}
_lowered: dict[str, tuple[str, bytes]] = {}


def _lower(case: Case) -> tuple[str, bytes]:
    """Delegation summary and .pte of a case, compiled once for all runtimes
    (convolutions XNNPACK leaves stay NCHW: ExecuTorch has no channels-last
    kernel)."""
    if case.name not in _lowered:
        edge = ember.to_edge_transform_and_lower(
            torch.export.export(case.model, case.args), partitioner=[XnnpackPartitioner()],
            compile_config=ember.EdgeCompileConfig(channels_last=False))
        _lowered[case.name] = (edge.delegation_summary(), edge.to_executorch().buffer)
    return _lowered[case.name]


def _counts(summary: str) -> tuple[int, int]:
    """(delegate calls, portable ops) from a delegation summary."""
    first = summary.splitlines()[0]  # "delegated ops: N, portable ops: M"
    portable = int(first.split("portable ops: ")[1])
    delegates = 0
    for line in summary.splitlines():
        if line.startswith("backend XnnpackBackend:"):
            delegates = int(line.split(": ")[1].split()[0])
    return delegates, portable


def _assert_matches_eager(got: list, want, rtol: float = 1e-4) -> float:
    """Compare with eager within rtol of the largest eager magnitude; return
    the largest relative error."""
    want = list(want) if isinstance(want, (tuple, list)) else [want]
    assert len(got) == len(want)
    worst = 0.0
    for g, w in zip(got, want, strict=True):
        assert tuple(g.shape) == tuple(w.shape) and g.dtype == w.dtype
        scale = max(1.0, w.abs().max().item())
        err = (g - w).abs().max().item() / scale
        assert err <= rtol, f"max error {err:.3g} (relative to {scale:.3g}) > {rtol}"
        worst = max(worst, err)
    return worst


@pytest.mark.parametrize("name", list(CASES))
def test_case_matches_eager(name: str, run_pte: Runner, record_property) -> None:
    case = CASES[name]
    summary, buffer = _lower(case)
    assert _counts(summary) == (case.delegates, case.portable), summary
    with torch.no_grad():
        want = case.model(*case.args)
    record_property("max_rel_error", _assert_matches_eager(run_pte(buffer, case.args), want))


@pytest.mark.parametrize("segments", [True, False], ids=["segments", "inline"])
def test_blob_in_segment_or_inline(segments: bool, run_pte: Runner) -> None:
    case = CASES["conv_flatten_linear"]
    edge = ember.to_edge_transform_and_lower(torch.export.export(case.model, case.args),
                                             partitioner=[XnnpackPartitioner()])
    config = ember.ExecutorchBackendConfig(extract_delegate_segments=segments)
    with torch.no_grad():
        want = case.model(*case.args)
    _assert_matches_eager(run_pte(edge.to_executorch(config).buffer, case.args), want)


class Refused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x, w, idx):
        y = torch.tanh(self.c(x))                        # no tanh in XNNPACK 2022
        s = torch.softmax(y, 1)                          # not the last dim
        m = s.flatten(2) @ w                             # batch matmul
        n = m.sum(0) @ w[0, :5]                          # weight not a constant
        return n, idx + 1                                # int64


def test_delegation_summary_names_refusals() -> None:
    args = (torch.randn(2, 3, 4, 4), torch.randn(2, 16, 5), torch.arange(3))
    edge = ember.to_edge_transform_and_lower(torch.export.export(Refused().eval(), args),
                                             partitioner=[XnnpackPartitioner()])
    summary = edge.delegation_summary()
    assert "backend XnnpackBackend: 1 delegate(s)" in summary and "edge.convolution x1" in summary
    fallbacks = summary.split("why the backend refused it):\n")[1].splitlines()
    expected = {
        "edge.tanh": "tanh: not in XNNPACK 2022",
        "edge._softmax": "softmax not on the last dim",
        "edge.bmm": "batch matmul: not in XNNPACK 2022",
        "edge.mm": "weight is not a constant",
        "edge.add.Tensor": "i64 tensor: fp32 only for now",
    }
    for op, reason in expected.items():
        lines = [line for line in fallbacks if f": {op} --" in line]
        assert lines, f"{op} not in\n{summary}"
        # The source line is this file's, where the op was written.
        assert all("test_xnnpack_delegate.py:" in line for line in lines), lines
        assert any(line.endswith(f"XnnpackBackend: {reason}") for line in lines), (reason, lines)


def test_partitioner_rejects_unknown_options() -> None:
    edge = ember.to_edge(torch.export.export(nn.ReLU(), (torch.randn(2),)))
    with pytest.raises(CompileError, match="XnnpackBackend: unknown option 'ops'"):
        edge.to_backend(Partitioner("XnnpackBackend", {"ops": "relu"})).delegation_summary()


sys.path.append(str(Path(__file__).resolve().parents[1] / "models"))  # the zoo


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_zoo_cnn_is_delegated_whole(name: str, run_pte: Runner, record_property) -> None:
    from zoo import ZOO, tolerance
    model, args = ZOO[name](False)
    edge = ember.to_edge_transform_and_lower(torch.export.export(model.eval(), args),
                                             partitioner=[XnnpackPartitioner()])
    summary = edge.delegation_summary()
    # Every op in one delegate: convolutions with batch norm folded, relu(6)
    # fused, pooling, the residual adds, flatten and the classifier.
    assert _counts(summary) == (1, 0), summary
    record_property("delegated", summary.splitlines()[0])
    got = run_pte(edge.to_executorch().buffer, args)
    with torch.no_grad():
        want = model(*args)
    err = (got[0] - want).abs().max().item()
    assert err <= tolerance(want.abs().max().item()), err
    record_property("max_abs_error", err)


def _delegate_steps(buffer: bytes, args: tuple, who: str) -> tuple[collections.Counter, list]:
    """The delegate-internal events of one profiled run with the
    convolutions on `who`, and its outputs."""
    with convolutions_on(who):
        module = ember.runtime.load(buffer)
        profile = module.profile(*args)
        out = module.forward(*args)
    steps = collections.Counter(e.name for e in profile.events if e.kind == "delegate_internal")
    return steps, list(out) if isinstance(out, (tuple, list)) else [out]


def _embers(m: nn.Module) -> bool:
    """Whether Ember's kernel takes module m's convolution from XNNPACK:
    depthwise with one output channel per input channel, else a GEMM at
    least 32 deep and no depth multiplier over several input channels."""
    if not isinstance(m, (nn.Conv1d, nn.Conv2d)):
        return False
    in_cg, out_cg = m.in_channels // m.groups, m.out_channels // m.groups
    if in_cg == 1 and out_cg == 1:
        return True
    if in_cg == 1 and m.groups > 1:
        return False  # XNNPACK's depthwise kernel, with a multiplier
    return in_cg * math.prod(m.kernel_size) >= 32


@pytest.mark.parametrize("name", ["conv_chain_residual", "convnext_block", "lenet",
                                  "conv2d_grouped", "conv2d_depthwise", "conv_depthwise_5x5",
                                  "conv2d_depthwise_mult2_s2", "conv2d_dilated",
                                  "conv2d_stride_pad_batch2", "conv1d",
                                  "conv2d_one_input_channel_7x7", "conv2d_grouped_deep",
                                  "conv1d_deep", "conv_flatten_linear", "linear_deep_3d",
                                  "linear_deep_relu", "linear_deep_one_row",
                                  "linear_classifier_one_row", "gelu_between_linears"])
def test_convolutions_on_embers_kernel_inside_the_delegate(name: str) -> None:
    """Ember's runtime runs the float convolutions and fully-connected layers
    XNNPACK's blob holds with its own kernels when told to (and by default
    on AVX-512 CPUs): each is a step of its own ("XnnpackBackend::convolution",
    "XnnpackBackend::fully_connected"), the other nodes stay XNNPACK stages,
    and both ways agree with eager. A depthwise convolution with two outputs
    per input channel, and a GEMM under 32 deep, stay XNNPACK's."""
    if _ember_runner("ember")() is None:
        pytest.skip("Ember's runtime has no XnnpackBackend here")
    case = CASES[name]
    _, buffer = _lower(case)
    with torch.no_grad():
        want = case.model(*case.args)
    own, got_own = _delegate_steps(buffer, case.args, "ember")
    lib, got_lib = _delegate_steps(buffer, case.args, "xnnpack")
    modules = list(case.model.modules())
    assert own["XnnpackBackend::convolution"] == sum(map(_embers, modules)), own
    # Each linear's rows and weight size, seen in an eager call: Ember's GEMM
    # takes 12 rows or more, or fewer with a weight of 2**18 elements or more.
    shapes: list[tuple[int, int]] = []
    hooks = [m.register_forward_hook(
        lambda m, x, y: shapes.append((x[0].numel() // m.in_features, m.weight.numel())))
        for m in modules if isinstance(m, nn.Linear) and m.in_features >= 32]
    with torch.no_grad():
        case.model(*case.args)
    for h in hooks:
        h.remove()
    linears = sum(rows >= 12 or weight >= 1 << 18 for rows, weight in shapes)
    assert own["XnnpackBackend::fully_connected"] == linears, own
    assert lib["XnnpackBackend::convolution"] == lib["XnnpackBackend::fully_connected"] == 0, lib
    _assert_matches_eager(got_own, want)
    _assert_matches_eager(got_lib, want)
