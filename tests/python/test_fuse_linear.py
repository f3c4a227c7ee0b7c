"""ember-fuse-linear end to end: a matrix product whose right operand is a
run-time transpose (a tied embedding and LM head, whose weight constant
folding must not duplicate; a product of run-time values) runs as
aten::linear.out on the weight in place, equal to eager torch (the kernels
themselves, portable and optimized, are tested in
tests/runtime/kernels/optimized_linear_test.cpp); EdgeCompileConfig(fuse_linear=False) keeps
the transpose."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close
from torch import nn

import ember
from ember.partitioners import XnnpackPartitioner


class TiedLM(nn.Module):
    """Embedding and LM head sharing one weight of more than 256 KiB (so
    constant folding leaves its transpose to run time), with a biased head
    too."""

    def __init__(self, vocab: int = 2500, dim: int = 32):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.proj = nn.Linear(dim, dim)
        self.head_bias = nn.Parameter(torch.randn(vocab))

    def forward(self, ids):
        h = torch.tanh(self.proj(self.wte(ids)))
        return h @ self.wte.weight.t(), F.linear(h, self.wte.weight, self.head_bias)


class RuntimeWeight(nn.Module):
    """F.linear with a weight that is an input, not a constant."""

    def forward(self, x, w, b):
        return F.linear(x, w, b), x @ w.t()


def _edge(model, args, **config):
    ep = torch.export.export(model.eval(), args)
    return ember.to_edge(ep, compile_config=ember.EdgeCompileConfig(**config))


def test_tied_head_runs_as_linear():
    torch.manual_seed(0)
    model = TiedLM()
    ids = torch.randint(0, 2500, (1, 9))
    edge = _edge(model, (ids,))
    ir = edge.ir()
    assert ir.count("edge.linear") == 2 and "edge.permute" not in ir
    program = edge.to_executorch()
    # The tied weight is stored once: the file holds no transposed copy.
    assert len(program.buffer) < 2500 * 32 * 4 * 1.5
    with torch.no_grad():
        want = model(ids)
    got = ember.runtime.load(program.buffer).forward(ids)
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_fuse_linear_false_keeps_the_transpose():
    torch.manual_seed(1)
    model = TiedLM()
    ids = torch.randint(0, 2500, (1, 5))
    edge = _edge(model, (ids,), fuse_linear=False)
    ir = edge.ir()
    assert "edge.linear" not in ir and "edge.permute" in ir
    with torch.no_grad():
        want = model(ids)
    got = ember.runtime.load(edge.to_executorch().buffer).forward(ids)
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 7), (3, 5, 7), (7,)])
def test_runtime_weight(shape):
    torch.manual_seed(2)
    x, w, b = torch.randn(*shape), torch.randn(11, 7), torch.randn(11)
    edge = _edge(RuntimeWeight(), (x, w, b))
    assert "edge.linear" in edge.ir()
    got = ember.runtime.load(edge.to_executorch().buffer).forward(x, w, b)
    for g, want in zip(got, RuntimeWeight()(x, w, b)):
        assert_close(g, want, rtol=1e-5, atol=1e-5)


def test_with_the_xnnpack_partitioner():
    """The delegate takes what it can around the head; linear stays on
    Ember's kernels, and the result is unchanged."""
    torch.manual_seed(3)
    model = TiedLM()
    ids = torch.randint(0, 2500, (1, 6))
    ep = torch.export.export(model.eval(), (ids,))
    edge = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    assert "edge.linear" in edge.ir()
    with torch.no_grad():
        want = model(ids)
    got = ember.runtime.load(edge.to_executorch().buffer).forward(ids)
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_dynamic_sequence_length():
    """The tied head of a model exported with a dynamic sequence length: the
    linear's output varies at run time like the product it replaced."""
    torch.manual_seed(4)
    model = TiedLM()
    seq = torch.export.Dim("seq", min=2, max=16)
    ep = torch.export.export(model.eval(), (torch.randint(0, 2500, (1, 9)),),
                             dynamic_shapes={"ids": {1: seq}})
    edge = ember.to_edge(ep)
    assert "edge.linear" in edge.ir()
    module = ember.runtime.load(edge.to_executorch().buffer)
    for n in (9, 2, 16):
        ids = torch.randint(0, 2500, (1, n))
        with torch.no_grad():
            want = model(ids)
        got = module.forward(ids)
        for g, w in zip(got, want):
            assert_close(g, w, rtol=1e-5, atol=1e-5)
