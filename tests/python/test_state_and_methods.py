"""Mutable buffers keep their state across calls; constant methods; nested
inputs and outputs."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import ember
from helpers import assert_close


class Counter(nn.Module):
    """A running counter that starts at 5 (a non-zero initial value must survive
    compilation) and a running sum."""

    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.full((1,), 5.0))
        self.register_buffer("total", torch.zeros(2, 3))

    def forward(self, x):
        self.count.add_(1)
        self.total.add_(x)
        return x * self.count, self.total.clone()


class KVCache(nn.Module):
    """Rows of a cache written with index_put_, read back every call."""

    def __init__(self):
        super().__init__()
        self.register_buffer("cache", torch.zeros(4, 3))

    def forward(self, x, pos):
        self.cache.index_put_((pos,), x)
        return self.cache * 2.0


def _run_calls(model, calls, tmp_path):
    ep = torch.export.export(model, calls[0])
    fresh = type(model)()  # eager twin with the initial state
    fresh.load_state_dict(model.state_dict())
    path = tmp_path / "state.pte"
    ember.to_edge(ep).to_executorch().save(path)
    m = ember.runtime.load(path)
    for args in calls:
        with torch.no_grad():
            assert_close(m.forward(*args), fresh(*args))


def test_buffer_state_persists_across_calls(tmp_path):
    model = Counter()
    calls = [(torch.randn(2, 3),) for _ in range(4)]
    _run_calls(model, calls, tmp_path)


def test_kv_cache_with_index_put(tmp_path):
    model = KVCache()
    calls = [(torch.randn(1, 3), torch.tensor([i])) for i in (0, 2, 1, 2)]
    _run_calls(model, calls, tmp_path)


def test_buffer_ir_and_initial_values():
    ep = torch.export.export(Counter(), (torch.randn(2, 3),))
    text = ember.to_edge(ep).to_executorch().ir()
    assert re.search(r'edge.mutable_buffer \{[^}]*name = "count"\}', text)
    assert "edge.write_back" in text


def test_two_loads_have_independent_state(tmp_path):
    ep = torch.export.export(Counter(), (torch.randn(2, 3),))
    data = ember.to_edge(ep).to_executorch().buffer
    a, b = ember.runtime.load(data), ember.runtime.load(data)
    x = torch.ones(2, 3)
    a.forward(x)
    a.forward(x)
    out_b = b.forward(x)[0]
    assert torch.equal(out_b, torch.full((2, 3), 6.0))  # count 5 -> 6, not 8


def test_constant_methods():
    ep = torch.export.export(nn.Linear(4, 2).eval(), (torch.randn(1, 4),))
    prog = ember.to_edge(ep, constant_methods={
        "get_max_seq_len": 128, "eps": 1e-5, "use_cache": True, "name": "ember"}).to_executorch()
    assert prog.methods == ["eps", "forward", "get_max_seq_len", "name", "use_cache"]
    m = ember.runtime.load(prog.buffer)
    assert m.run_method("get_max_seq_len") == 128
    assert m.run_method("eps") == pytest.approx(1e-5)
    assert m.run_method("use_cache") is True
    assert m.method_meta("name")["outputs"][0]["tag"] == 6  # String
    with pytest.raises(ValueError, match="has the name of an exported method"):
        ember.to_edge(ep, constant_methods={"forward": 1})
    with pytest.raises(TypeError, match="must return an int, float, bool or str, or a list"):
        ember.to_edge(ep, constant_methods={"bad": [[1], 2]}).to_executorch()
    with pytest.raises(TypeError, match="must return an int, float, bool or str, or a list"):
        ember.to_edge(ep, constant_methods={"bad": {"a": 1}}).to_executorch()
    # A list of scalars is one output per item, returned as a list.
    listed = ember.runtime.load(ember.to_edge(
        ep, constant_methods={"ids": [2, 7], "mixed": (1.5, "a", True)}).to_executorch().buffer)
    assert listed.run_method("ids") == [2, 7]
    assert listed.run_method("mixed") == [1.5, "a", True]


class Nested(nn.Module):
    def forward(self, inputs: dict, scale: torch.Tensor, extra: list):
        a = inputs["a"] * scale
        b = inputs["b"] + extra[0] - extra[1]
        return {"sum": a + b, "parts": [a, b]}, scale * 2


def test_nested_inputs_and_outputs(tmp_path):
    args = ({"a": torch.randn(2, 3), "b": torch.randn(2, 3)}, torch.randn(1),
            [torch.randn(2, 3), torch.randn(2, 3)])
    model = Nested()
    ep = torch.export.export(model, args)
    m = ember.runtime.load(ember.to_edge(ep).to_executorch().buffer)
    got = m.forward(*args)
    want = model(*args)
    assert isinstance(got, tuple) and isinstance(got[0], dict) and isinstance(got[0]["parts"], list)
    assert_close(got[0]["sum"], want[0]["sum"])
    assert_close(tuple(got[0]["parts"]), tuple(want[0]["parts"]))
    assert_close(got[1], want[1])
    with pytest.raises(TypeError, match=r"forward input\[0\]\[0\]: expected a dict"):
        m.forward([1, 2], args[1], args[2])
