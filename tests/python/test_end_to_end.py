"""Export -> compile -> save -> load -> run, compared with eager PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import ember
from helpers import assert_close, compile_and_run
from models import MLP, SmallCNN, TwoInTwoOut, randomize_batch_norm


def test_mlp(tmp_path):
    got, want = compile_and_run(MLP(), (torch.randn(4, 32),), tmp_path)
    assert_close(got, want)


def test_cnn(tmp_path):
    model = randomize_batch_norm(SmallCNN())
    got, want = compile_and_run(model, (torch.randn(2, 3, 32, 32),), tmp_path)
    assert_close(got, want)


def test_two_inputs_two_outputs(tmp_path):
    args = (torch.randn(3, 8), torch.randn(3, 8))
    got, want = compile_and_run(TwoInTwoOut(), args, tmp_path)
    assert isinstance(got, tuple) and len(got) == 2
    assert_close(got, want)


def test_numpy_inputs_give_numpy_outputs(tmp_path):
    model = MLP().eval()
    x = torch.randn(2, 32)
    path = tmp_path / "mlp.pte"
    ember.to_edge(torch.export.export(model, (x,))).to_executorch().save(path)
    out = ember.runtime.load(path).forward(x.numpy())
    assert isinstance(out, np.ndarray)
    with torch.no_grad():
        np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-5)


def test_load_from_bytes_and_repeat_calls(tmp_path):
    model = MLP().eval()
    x1, x2 = torch.randn(2, 32), torch.randn(2, 32)
    prog = ember.to_edge(torch.export.export(model, (x1,))).to_executorch()
    m = ember.runtime.load(prog.buffer)
    with torch.no_grad():
        for x in (x1, x2, x1):
            assert_close(m.forward(x), model(x))


def test_conv_variants(tmp_path):
    class Convs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
            self.b = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4)
            self.c = nn.Conv1d(6, 4, 5, stride=2)

        def forward(self, x, y):
            return self.b(torch.relu(self.a(x))), self.c(y)

    args = (torch.randn(1, 4, 17, 15), torch.randn(2, 6, 40))
    got, want = compile_and_run(Convs(), args, tmp_path)
    assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_save_is_deterministic_and_atomic(tmp_path):
    model = randomize_batch_norm(SmallCNN()).eval()
    ep = torch.export.export(model, (torch.randn(1, 3, 16, 16),))
    a = ember.to_edge(ep).to_executorch().buffer
    b = ember.to_edge(ep).to_executorch().buffer
    assert a == b
    path = tmp_path / "m.pte"
    ember.to_edge(ep).to_executorch().save(path)
    assert path.read_bytes() == a
    assert [p.name for p in tmp_path.iterdir()] == ["m.pte"]  # no temporary left behind


def test_wrong_input_is_a_clear_error(tmp_path):
    model = MLP().eval()
    prog = ember.to_edge(torch.export.export(model, (torch.randn(2, 32),))).to_executorch()
    m = ember.runtime.load(prog.buffer)
    with pytest.raises(TypeError, match="dtype"):
        m.forward(torch.randn(2, 32, dtype=torch.float64))
    with pytest.raises(TypeError, match="method 'forward' takes 1 positional inputs, got 2"):
        m.forward(torch.randn(2, 32), torch.randn(2, 32))
    with pytest.raises(ember.EmberRuntimeError):
        m.forward(torch.randn(3, 32))  # static shape [2, 32]


def test_dtype_casts_compile(tmp_path):
    """x.to(dtype) exports an _assert_tensor_metadata node beside the cast."""
    class Cast(nn.Module):
        def forward(self, x, n):
            return x.to(torch.int64) + n, (n.to(torch.float32) * x)

    args = (torch.randn(2, 3) * 10, torch.arange(6).reshape(2, 3))
    got, want = compile_and_run(Cast(), args, tmp_path)
    assert_close(got, want)
