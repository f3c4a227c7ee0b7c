"""ember-fuse-activations end to end: SiLU and hardswish, which torch.export
decomposes into two and five ops, run as aten::silu.out and
aten::hardswish.out where they are left to Ember's kernels, equal to eager
torch in float32 (to rounding) and float16; the lookalikes stay as they are
(a hard sigmoid gating another tensor, a sigmoid read twice); the XNNPACK
partitioner still takes the pieces; EdgeCompileConfig(fuse_activations=False)
keeps them. The kernels themselves are tested in
tests/runtime/kernels/optimized_test.cpp against float64 and the portable ones."""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from helpers import assert_close
from torch import nn

import ember
from ember.partitioners import XnnpackPartitioner


class Block(nn.Module):
    """conv -> SiLU -> conv -> hardswish, a squeeze-excite gate by hard
    sigmoid (not hardswish: it scales another tensor) and a sigmoid used twice
    (not SiLU: the gate itself is an output)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 1)
        self.se = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        y = F.silu(self.c1(x))
        y = F.hardswish(self.c2(y))
        y = y * F.hardsigmoid(self.se(y.mean((2, 3), keepdim=True)))
        g = torch.sigmoid(y)
        return y * g, g


def _program(model, args, partitioner=None, **config):
    ep = torch.export.export(model.eval(), args)
    cfg = ember.EdgeCompileConfig(**config)
    if partitioner is None:
        return ember.to_edge(ep, compile_config=cfg).to_executorch()
    return ember.to_edge_transform_and_lower(ep, partitioner=[partitioner],
                                             compile_config=cfg).to_executorch()


def _run(program, args):
    return ember.runtime.load(program.buffer).forward(*args)


def _assert_matches_eager(program, model, args, tol=1e-6):
    with torch.no_grad():
        want = model(*args)
    for got, w in zip(_run(program, args), want):
        assert_close(got, w, rtol=tol, atol=tol)


def test_silu_and_hardswish_run_as_one_op_each():
    torch.manual_seed(0)
    model, x = Block(), torch.randn(2, 3, 9, 9) * 3
    program = _program(model, (x,), channels_last=False)
    ir = program.ir()
    assert ir.count("edge.silu") == 1 and ir.count("edge.hardswish") == 1
    # The gate read twice keeps its sigmoid and product; the hard sigmoid of
    # the squeeze-excite keeps its four ops (one clamp pair, the add and the divide).
    assert ir.count("edge.sigmoid") == 1 and ir.count("edge.clamp") == 2
    _assert_matches_eager(program, model, (x,))
    # Channels-last (the default): both run inside the convolution before them.
    nhwc = _program(model, (x,)).ir()
    assert "edge.silu" not in nhwc and "edge.hardswish" not in nhwc
    assert 'activation = "silu"' in nhwc and 'activation = "hardswish"' in nhwc
    _assert_matches_eager(_program(model, (x,)), model, (x,))


def test_fuse_activations_false_keeps_the_decomposition():
    torch.manual_seed(1)
    model, x = Block(), torch.randn(1, 3, 6, 6)
    program = _program(model, (x,), fuse_activations=False)
    ir = program.ir()
    assert "edge.silu" not in ir and "edge.hardswish" not in ir
    _assert_matches_eager(program, model, (x,))


def test_half_precision():
    torch.manual_seed(2)
    model, x = Block().half(), torch.randn(1, 3, 8, 8).half()
    program = _program(model, (x,))
    assert "edge.silu" in program.ir() and "edge.hardswish" in program.ir()
    _assert_matches_eager(program, model, (x,), tol=2e-2)


def test_dynamic_batch():
    torch.manual_seed(3)
    model = Block()
    batch = torch.export.Dim("batch", min=1, max=8)
    ep = torch.export.export(model.eval(), (torch.randn(2, 3, 7, 7),),
                             dynamic_shapes=({0: batch},))
    program = ember.to_edge(ep).to_executorch()
    assert "edge.silu" in program.ir()
    module = ember.runtime.load(program.buffer)
    for n in (1, 5):
        x = torch.randn(n, 3, 7, 7)
        with torch.no_grad():
            want = model(x)
        for got, w in zip(module.forward(x), want):
            assert_close(got, w, rtol=1e-6, atol=1e-6)


def test_xnnpack_still_takes_the_pieces():
    """The fusion runs after partitioning: XNNPACK's delegate keeps the
    sigmoid and multiply, and makes its own hardswish node."""
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.SiLU(), nn.Conv2d(8, 8, 1), nn.Hardswish())
    x = torch.randn(1, 3, 8, 8)
    program = _program(model, (x,), XnnpackPartitioner())
    ir = program.ir()
    assert "edge.silu" not in ir and "edge.hardswish" not in ir
    assert ir.count("edge.delegate_call") == 1
    with torch.no_grad():
        want = model(x)
    assert_close(_run(program, (x,)), want, rtol=1e-5, atol=1e-5)


class ConvActivations(nn.Module):
    """Convolutions followed by relu, relu6 (hardtanh), a clamp and a
    depthwise relu6, and one whose output is also a residual (not fused)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 16, 3, padding=1)
        self.b = nn.Conv2d(16, 16, 1)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.c = nn.Conv2d(16, 16, 3, stride=2)
        self.d = nn.Conv2d(16, 16, 1)

    def forward(self, x):
        y = F.relu(self.a(x))
        y = F.relu6(self.b(y))
        y = F.relu6(self.dw(y))
        y = torch.clamp(self.c(y), min=-0.25, max=0.5)
        z = self.d(y)
        return F.relu(z) + z


def test_convolution_and_clamp_run_as_one_op():
    torch.manual_seed(5)
    model, x = ConvActivations(), torch.randn(2, 3, 15, 15)
    program = _program(model, (x,), channels_last=False)
    ir = program.ir()
    assert ir.count("edge.convolution_clamp") == 4 and ir.count("edge.relu") == 1, ir
    assert "edge.hardtanh" not in ir and "edge.clamp" not in ir
    with torch.no_grad():
        want = model(x)
    assert_close(_run(program, (x,)), want, rtol=1e-5, atol=1e-5)
    # Channels-last (the default) keeps each clamp in its convolution_nhwc.
    nhwc = _program(model, (x,))
    lines = [line for line in nhwc.ir().splitlines() if "edge.convolution_nhwc" in line]
    assert len(lines) == 5 and sum("min = " in line or "max = " in line for line in lines) == 4
    assert "edge.hardtanh" not in nhwc.ir() and "edge.clamp" not in nhwc.ir()
    assert_close(_run(nhwc, (x,)), want, rtol=1e-5, atol=1e-5)
    # Half precision, where the portable kernel computes and then clamps.
    half_model = copy.deepcopy(model).half()
    half = _program(half_model, (x.half(),))
    assert half.ir().count("edge.convolution_clamp") == 4
    with torch.no_grad():
        want_half = half_model(x.half())
    assert_close(_run(half, (x.half(),)).float(), want_half.float(), rtol=2e-2, atol=2e-2)
    unfused = _program(model, (x,), fuse_activations=False)
    assert "edge.convolution_clamp" not in unfused.ir()


class NewGelu(nn.Module):
    """An MLP with GELU's tanh approximation written out, as Hugging Face's
    NewGELUActivation (GPT-2) does."""

    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(16, 64)
        self.down = nn.Linear(64, 16)

    def forward(self, x):
        h = self.up(x)
        inner = math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))
        g = 0.5 * h * (1.0 + torch.tanh(inner))
        return self.down(g)


def test_gelu_tanh_written_out_runs_as_gelu():
    torch.manual_seed(6)
    model, x = NewGelu(), torch.randn(3, 7, 16) * 2
    program = _program(model, (x,))
    ir = program.ir()
    assert 'edge.gelu' in ir and 'approximate = "tanh"' in ir and "edge.tanh" not in ir
    _assert_matches_eager(program, model, (x,), tol=1e-5)
