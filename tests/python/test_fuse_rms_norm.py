"""ember-fuse-rms-norm end to end: RMS norm, which torch.export decomposes into
six ops, runs as one ember::rms_norm.out where it is left to Ember's kernels,
equal to eager torch to rounding; torch's own nn.RMSNorm (with and without a
weight), the Llama and Qwen3 zoo models (Hugging Face's RMSNorm, every layer's
two norms and the final one), a dynamic sequence length; a lookalike (the mean
over another dim) stays; EdgeCompileConfig(fuse_activations=False) keeps the
decomposition. The kernels themselves are tested in
tests/runtime/kernels/optimized_test.cpp against float64 and the portable one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from helpers import assert_close
from torch import nn

import ember
from ember.partitioners import XnnpackPartitioner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))


class Norms(nn.Module):
    """torch's RMSNorm with a weight, one without, and a lookalike normalising
    over the first dim (not a norm of each row)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.a = nn.RMSNorm(d, eps=1e-5)
        self.b = nn.RMSNorm(d, eps=1e-6, elementwise_affine=False)
        with torch.no_grad():
            self.a.weight.uniform_(0.5, 1.5)

    def forward(self, x):
        other = x * torch.rsqrt(x.pow(2).mean(0, keepdim=True) + 1e-6)
        return self.a(x), self.b(x * 3), other


def _program(model, args, partitioner=None, dynamic_shapes=None, **config):
    ep = torch.export.export(model.eval(), args, dynamic_shapes=dynamic_shapes)
    cfg = ember.EdgeCompileConfig(**config)
    if partitioner is None:
        return ember.to_edge(ep, compile_config=cfg).to_executorch()
    return ember.to_edge_transform_and_lower(ep, partitioner=[partitioner],
                                             compile_config=cfg).to_executorch()


def _check(program, model, args, tol=1e-5):
    with torch.no_grad():
        want = model(*args)
    got = ember.runtime.load(program.buffer).forward(*args)
    if isinstance(want, torch.Tensor):
        want, got = (want,), (got,)
    for g, w in zip(got, want, strict=True):
        assert_close(g, w, rtol=tol, atol=tol)


def test_torch_rms_norm_runs_as_one_op():
    torch.manual_seed(0)
    model, x = Norms(48), torch.randn(3, 5, 48)
    program = _program(model, (x,))
    ir = program.ir()
    assert ir.count("edge.rms_norm") == 2
    assert ir.count("edge.rsqrt") == 1  # the lookalike's
    _check(program, model, (x,))


def test_dynamic_rows():
    torch.manual_seed(1)
    model = Norms(32)
    seq = torch.export.Dim("seq", min=1, max=64)
    program = _program(model, (torch.randn(2, 16, 32),), dynamic_shapes=({1: seq},))
    assert program.ir().count("edge.rms_norm") == 2
    m = ember.runtime.load(program.buffer)
    for n in (1, 7, 64):
        x = torch.randn(2, n, 32)
        with torch.no_grad():
            want = model(x)
        for g, w in zip(m.forward(x), want, strict=True):
            assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_fuse_activations_false_keeps_the_decomposition():
    model, x = Norms(16), torch.randn(2, 16)
    ir = _program(model, (x,), fuse_activations=False).ir()
    assert "edge.rms_norm" not in ir and ir.count("edge.rsqrt") == 3


@pytest.mark.parametrize("name", ["llama", "qwen3"])
def test_zoo_decoders(name):
    from zoo import ZOO
    torch.manual_seed(2)
    model, args = ZOO[name](False)
    program = _program(model, args)
    layers = model.model.config.num_hidden_layers
    # Two per layer and the final one (Qwen3 also normalises q and k per head).
    per_layer = 4 if name == "qwen3" else 2
    assert program.ir().count("edge.rms_norm") == per_layer * layers + 1
    assert "edge.rsqrt" not in program.ir()
    with torch.no_grad():
        want = model(*args)  # the logits
    got = ember.runtime.load(program.buffer).forward(*args)
    assert_close(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(want.abs().max())))


def test_with_the_xnnpack_partitioner():
    torch.manual_seed(3)
    model, x = Norms(24), torch.randn(4, 24)
    program = _program(model, (x,), partitioner=XnnpackPartitioner())
    _check(program, model, (x,))
