"""Every zoo model: torch.export, compile with Ember (portable kernels, and
with the XNNPACK backend), run the .pte in Ember's runtime, compare with eager
PyTorch: max |ember - eager| <= 1e-4 * max(1, max |eager|). Small versions in
the test command; full size with -m full (results recorded in docs/models.md
by tests/models/record_full.py)."""

from __future__ import annotations

import time

import pytest
import torch
from zoo import ZOO, tolerance

import ember
from ember.partitioners import XnnpackPartitioner


def run_zoo_model(name: str, full: bool, xnnpack: bool = False) -> dict:
    model, args = ZOO[name](full)
    t0 = time.perf_counter()
    ep = torch.export.export(model, args)
    t1 = time.perf_counter()
    partitioner = [XnnpackPartitioner()] if xnnpack else None
    edge = ember.to_edge_transform_and_lower(ep, partitioner=partitioner)
    program = edge.to_executorch()
    buffer = program.buffer
    t2 = time.perf_counter()
    # Poison mode: every tensor's planned bytes become NaN/-1 when it dies,
    # so a memory plan that overlaps live tensors cannot pass by luck.
    module = ember.runtime.load(buffer, poison_dead_memory=True)
    got = module.forward(*args)
    with torch.no_grad():
        want = model(*args)
    got = got[0] if isinstance(got, (tuple, list)) else got
    want = want[0] if isinstance(want, (tuple, list)) else want
    assert got.shape == want.shape and got.dtype == want.dtype
    diff = (got - want).abs().max().item()
    scale = want.abs().max().item()
    return {"model": name, "full": full, "shape": list(want.shape), "max_abs_diff": diff,
            "max_abs_eager": scale, "bound": tolerance(scale), "pte_bytes": len(buffer),
            "export_s": t1 - t0, "compile_s": t2 - t1, "summary": edge.delegation_summary()}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_small(name):
    r = run_zoo_model(name, full=False)
    assert r["max_abs_diff"] <= r["bound"], r


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_small_xnnpack(name):
    # What XNNPACK takes runs in Ember's XNNPACK backend, the rest on the
    # portable kernels, with delegate/portable boundaries wherever the model
    # has ops the 2022 library lacks (the transformers' matmuls, GELU, ...).
    r = run_zoo_model(name, full=False, xnnpack=True)
    assert r["max_abs_diff"] <= r["bound"], r
    assert "backend XnnpackBackend" in r["summary"], r["summary"]


@pytest.mark.full
@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_full(name):
    r = run_zoo_model(name, full=True)
    print(r)
    assert r["max_abs_diff"] <= r["bound"], r
