"""Shared test helper: export, compile, save, load and compare with eager."""

from __future__ import annotations

from pathlib import Path

import torch

import ember


def compile_and_run(model: torch.nn.Module, args: tuple, tmp_path: Path, name: str = "m"):
    """Export `model`, compile it with Ember, save and load the .pte, run it on
    `args`, and return (ember outputs, eager outputs)."""
    model = model.eval()
    ep = torch.export.export(model, args)
    prog = ember.to_edge(ep).to_executorch()
    path = tmp_path / f"{name}.pte"
    prog.save(path)
    module = ember.runtime.load(path)
    got = module.forward(*args)
    with torch.no_grad():
        want = model(*args)
    return got, want


def assert_close(got, want, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torch.Tensor), f"expected a tensor, got {type(got)}"
        assert got.shape == want.shape and got.dtype == want.dtype
        torch.testing.assert_close(got, want, rtol=rtol, atol=atol)
        return
    assert type(got) is type(want) and len(got) == len(want), (type(got), type(want))
    for g, w in zip(got, want, strict=True):
        assert_close(g, w, rtol, atol)
