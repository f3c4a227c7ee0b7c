"""Zoo models exported with dynamic shapes (batch, and sequence length for
the language models), each dim with an upper bound: the .pte's inputs are
DYNAMIC_BOUND at the bound, and running at the bound and at smaller sizes
matches eager within the zoo's bound; a size over the bound is rejected,
naming the input and the bound."""

from __future__ import annotations

import inspect
import re

import pytest
import torch
from torch.export import Dim
from zoo import ZOO, tolerance

import ember
from ember.errors import EmberRuntimeError

# Language models: token ids (and BERT's attention mask) [batch, seq].
TEXT = {"bert", "gpt2", "llama", "qwen3"}
# torch 2.13's run_decompositions fails on GPT-2 with a dynamic batch ("Cannot
# view a tensor with shape [s33, 8, 64] and strides (64, 64*s33, 1)" in its
# attention's re-trace, before Ember sees the graph; ExecuTorch's to_edge
# calls the same), so GPT-2 varies its sequence length only.
STATIC_BATCH = {"gpt2"}
MAX_BATCH, MAX_SEQ = 3, 16
FULL_BATCH, FULL_SEQ = 2, 128  # the bounds of the full-size runs (record_full.py --dynamic)


def _text_inputs(args: tuple, batch: int, seq: int) -> tuple:
    g = torch.Generator().manual_seed(batch * 100 + seq)
    ids = torch.randint(0, int(args[0].max()) + 1, (batch, seq), generator=g)
    if len(args) == 1:
        return (ids,)
    mask = torch.ones(batch, seq, dtype=args[1].dtype)
    mask[0, seq // 2:] = 0  # padding in the first row
    return ids, mask


def _batched(args: tuple, batch: int) -> tuple:
    g = torch.Generator().manual_seed(batch)
    return tuple(torch.randn(batch, *a.shape[1:], generator=g) for a in args)


def dynamic_case(name: str, full: bool = False
                 ) -> tuple[torch.nn.Module, tuple, tuple, list[tuple]]:
    """(model, example inputs, dynamic_shapes, inputs to run: the bound first)."""
    model, args = ZOO[name](full)
    max_batch, max_seq = (FULL_BATCH, FULL_SEQ) if full else (MAX_BATCH, MAX_SEQ)
    batch = Dim("batch", min=1, max=max_batch)
    if name in TEXT:
        seq = Dim("seq", min=2, max=max_seq)
        lengths = (max_seq, max_seq // 3 + 1, 2 * max_seq // 3 + 1)
        if name in STATIC_BATCH:
            spec = tuple({1: seq} for _ in args)
            runs = [_text_inputs(args, 1, n) for n in lengths]
            return model, _text_inputs(args, 1, max_seq // 2), spec, runs
        spec = tuple({0: batch, 1: seq} for _ in args)
        runs = [_text_inputs(args, max_batch, lengths[0]), _text_inputs(args, 1, lengths[1]),
                _text_inputs(args, 2, lengths[2])]
        return model, _text_inputs(args, 2, max_seq // 2), spec, runs
    spec = tuple({0: batch} for _ in args)
    return model, _batched(args, 2), spec, [_batched(args, max_batch), _batched(args, 1)]


def _export(model: torch.nn.Module, example: tuple, spec: tuple):
    params = inspect.signature(model.forward).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        spec = (spec,)  # forward(self, *args): one entry for the args tuple
    return torch.export.export(model, example, dynamic_shapes=spec)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_dynamic(name):
    model, example, spec, runs = dynamic_case(name)
    ep = _export(model, example, spec)
    module = ember.runtime.load(ember.to_edge(ep).to_executorch().buffer,
                                poison_dead_memory=True)  # checks the plan while it runs
    inputs = module.method_meta("forward")["inputs"]
    assert [i["dynamism"] for i in inputs] == ["dynamic_bound"] * len(example)
    assert inputs[0]["sizes"] == list(runs[0][0].shape)  # planned at the bound
    for case in runs:
        got = module.forward(*case)
        with torch.no_grad():
            want = model(*case)
        assert got.shape == want.shape, (case[0].shape, got.shape, want.shape)
        diff = (got - want).abs().max().item()
        assert diff <= tolerance(want.abs().max().item()), (name, tuple(case[0].shape), diff)
    # One more than the bound: the batch, or GPT-2's sequence.
    dim = 1 if name in STATIC_BATCH else 0
    too_big = tuple(torch.cat([a, a.narrow(dim, 0, 1)], dim) for a in runs[0])
    bound = list(runs[0][0].shape)
    with pytest.raises(EmberRuntimeError, match=r"input 0: sizes \[.*\] exceed the upper bound "
                       + re.escape(str(bound))):
        module.forward(*too_big)
