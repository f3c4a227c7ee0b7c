"""Bad input gets a clear error: unsupported ops name the op and the user's line;
malformed .pte files are rejected with an error code."""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn

import ember
from models import MLP


class GridSample(nn.Module):
    def forward(self, x, grid):
        y = torch.relu(x)
        return torch.nn.functional.grid_sample(y, grid, align_corners=False)  # LINE-MARK


def _line_of(marker: str, obj) -> int:
    src, start = inspect.getsourcelines(obj)
    return start + next(i for i, line in enumerate(src) if marker in line)


def test_unsupported_op_names_op_and_source_line():
    ep = torch.export.export(GridSample(), (torch.randn(1, 2, 4, 4), torch.rand(1, 3, 3, 2)))
    with pytest.raises(ember.UnsupportedOpError) as info:
        ember.to_edge(ep)
    msg = str(info.value)
    assert "aten::grid_sampler_2d" in msg
    line = _line_of("LINE-MARK", GridSample.forward)
    assert f"test_errors.py:{line}" in msg, msg
    assert "aten::grid_sampler_2d.default" in info.value.ops


def test_every_missing_op_is_listed_once_with_counts():
    class Many(nn.Module):
        def forward(self, x):
            a = torch.nn.functional.grid_sample(x, torch.zeros(1, 2, 2, 2))
            b = torch.nn.functional.grid_sample(x, torch.ones(1, 2, 2, 2))
            return a + b, torch.histc(x, bins=4)

    ep = torch.export.export(Many(), (torch.randn(1, 1, 4, 4),))
    with pytest.raises(ember.UnsupportedOpError) as info:
        ember.to_edge(ep)
    ops = info.value.ops
    assert len(ops["aten::grid_sampler_2d.default"]) == 2
    assert "aten::histc.default" in ops
    assert "(2 uses)" in str(info.value)


def test_malformed_pte_is_rejected_with_a_code():
    prog = ember.to_edge(torch.export.export(MLP().eval(), (torch.randn(1, 32),))).to_executorch()
    data = bytearray(prog.buffer)
    bad_magic = bytes(data[:4]) + b"XX12" + bytes(data[8:])
    with pytest.raises(ember.EmberRuntimeError) as info:
        ember.runtime.load(bad_magic)
    assert info.value.code in ("VersionMismatch", "InvalidProgram")
    with pytest.raises(ember.EmberRuntimeError) as info:
        ember.runtime.load(bytes(data[: len(data) // 3]))
    assert info.value.code in ("InvalidProgram", "AccessFailed")


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="power of two"):
        ember.ExecutorchBackendConfig(memory_alignment=24)
