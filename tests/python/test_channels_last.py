"""ember-channels-last end to end: float32 CNNs left to Ember's kernels run
channels-last (ember::convolution_nhwc.out, ember::max_pool2d_nhwc.out), with
one permute at the input and one at the end of each chain, SiLU and hardswish
inside the convolutions they follow, and give eager
PyTorch's results (and those of the same file compiled NCHW,
EdgeCompileConfig(channels_last=False)). Chains end with a permute back where
an op needs NCHW (an average pool, an upsample, a flatten); what a backend
claims stays with it. The pass's rewrites are checked op by op in
tests/lit/passes/channels-last.mlir, the kernels against the portable ones in
tests/runtime/kernels/."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close
from torch import nn

import ember
from ember.partitioners import XnnpackPartitioner


class ResNetish(nn.Module):
    """Stem (7x7 stride 2, batch norm, relu), max pool, a bottleneck with a
    strided 1x1 shortcut, a dilated grouped 3x3, global average pool, fc."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 7, 2, 3, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU())
        self.a = nn.Conv2d(16, 8, 1)
        self.b = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2)
        self.c = nn.Conv2d(8, 24, 1)
        self.down = nn.Conv2d(16, 24, 1, stride=2)
        self.fc = nn.Linear(24, 5)

    def forward(self, x):
        y = F.max_pool2d(self.stem(x), 3, 2, 1)
        z = self.c(F.relu(self.b(F.relu(self.a(y)))))
        y = F.relu(z + self.down(y))
        return self.fc(y.mean((2, 3)))


class MobileNetish(nn.Module):
    """Inverted residuals: 1x1 expand, depthwise 3x3 / 5x5 (stride 1 and 2),
    squeeze-excitation with hard sigmoid (a scalar add and division), hardswish
    and relu6, residual add, then a flatten (the chain's end)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1)
        self.expand = nn.Conv2d(16, 48, 1)
        self.dw = nn.Conv2d(48, 48, 5, padding=2, groups=48)
        self.se1 = nn.Conv2d(48, 12, 1)
        self.se2 = nn.Conv2d(12, 48, 1)
        self.project = nn.Conv2d(48, 16, 1)
        self.dw2 = nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16)

    def forward(self, x):
        x = F.hardswish(self.stem(x))
        y = F.relu6(self.expand(x))
        y = F.hardswish(self.dw(y))
        g = F.hardsigmoid(self.se2(F.relu(self.se1(y.mean((2, 3), keepdim=True)))))
        y = self.project(y * g) + x
        return torch.flatten(F.relu6(self.dw2(y)), 1)


class ConvNeXtish(nn.Module):
    """A ConvNeXt block: depthwise 7x7, the model's own permute to NHWC,
    layer norm, linear, gelu, linear, permute back, a layer scale [C, 1, 1],
    the residual add; then an average pool (the chain's end) and an upsample."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, 4)
        self.dw = nn.Conv2d(16, 16, 7, padding=3, groups=16)
        self.norm = nn.LayerNorm(16)
        self.fc1 = nn.Linear(16, 64)
        self.fc2 = nn.Linear(64, 16)
        self.gamma = nn.Parameter(torch.rand(16, 1, 1) + 0.5)
        self.head = nn.Conv2d(16, 8, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(F.gelu(self.fc1(self.norm(y)))).permute(0, 3, 1, 2)
        x = x + self.gamma * y
        x = F.avg_pool2d(x, 2)
        return self.head(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class EfficientNetish(nn.Module):
    """MBConv: SiLU after the expansion, the depthwise and the squeeze's 1x1
    (each joins its convolution as its activation), a sigmoid gate, a 1x1
    projection and the residual; a SiLU whose convolution output is read
    twice stays an op of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 24, 3, 2, 1)
        self.expand = nn.Conv2d(24, 72, 1)
        self.dw = nn.Conv2d(72, 72, 3, padding=1, groups=72)
        self.se1 = nn.Conv2d(72, 6, 1)
        self.se2 = nn.Conv2d(6, 72, 1)
        self.project = nn.Conv2d(72, 24, 1)

    def forward(self, x):
        s = self.stem(x)
        x = F.silu(s) + 0.1 * s                       # the stem's output read twice
        y = F.silu(self.expand(x))
        y = F.silu(self.dw(y))
        g = torch.sigmoid(self.se2(F.silu(self.se1(y.mean((2, 3), keepdim=True)))))
        return (self.project(y * g) + x).mean((2, 3))


MODELS = {
    "efficientnetish": (EfficientNetish, (2, 3, 33, 29)),
    "resnetish": (ResNetish, (2, 3, 37, 41)),
    "mobilenetish": (MobileNetish, (1, 3, 30, 34)),
    "convnextish": (ConvNeXtish, (1, 3, 64, 56)),
}


def _compile(model, args, partitioner=None, **config):
    ep = torch.export.export(model, args)
    cfg = ember.EdgeCompileConfig(**config)
    edge = ember.to_edge_transform_and_lower(
        ep, partitioner=[partitioner] if partitioner else None, compile_config=cfg)
    return edge.to_executorch()


def _ops(program) -> list[str]:
    return re.findall(r"= edge\.([\w.]+)", program._planned_ir)


def _run(program, args):
    out = ember.runtime.load(program.buffer).forward(*args)
    return out[0] if isinstance(out, (list, tuple)) else out


@pytest.fixture(params=list(MODELS))
def case(request):
    torch.manual_seed(7)
    cls, shape = MODELS[request.param]
    model = cls().eval()
    for m in model.modules():  # batch norm with statistics of its own
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return request.param, model, (torch.randn(shape),)


def test_cnn_runs_channels_last_and_matches_eager(case):
    name, model, args = case
    program = _compile(model, args)
    ops = _ops(program)
    assert "convolution" not in ops and "convolution_clamp" not in ops, ops
    assert ops.count("convolution_nhwc") == sum(isinstance(m, nn.Conv2d)
                                               for m in model.modules())
    if name == "resnetish":
        assert ops.count("max_pool2d_nhwc") == 1 and "max_pool2d_with_indices" not in ops
    # One permute in; one out where the chain ends (the mean over H and W
    # without keepdim needs none); the ConvNeXt block's own two permutes are
    # gone, its chain ends at the average pool and starts again after the
    # upsample.
    expected = {"resnetish": 1, "mobilenetish": 2, "convnextish": 4, "efficientnetish": 1}[name]
    assert ops.count("permute") == expected, ops
    # SiLU and hardswish after a convolution read by nothing else run in it.
    activated = re.findall(r'edge\.convolution_nhwc .*activation = "(\w+)"', program._planned_ir)
    if name == "efficientnetish":
        assert ops.count("silu") == 1 and activated.count("silu") == 3, (ops, activated)
    if name == "mobilenetish":
        assert "hardswish" not in ops and activated.count("hardswish") == 2, (ops, activated)
    with torch.no_grad():
        want = model(*args)
    got = _run(program, args)
    assert_close(got, want, rtol=1e-4, atol=1e-4)
    nchw = _run(_compile(model, args, channels_last=False), args)
    assert "convolution_nhwc" not in _ops(_compile(model, args, channels_last=False))
    assert_close(got, nchw, rtol=1e-4, atol=1e-4)


def test_threads_give_identical_results(case):
    _, model, args = case
    program = _compile(model, args)
    before = ember.runtime.get_num_threads()
    try:
        ember.runtime.set_num_threads(1)
        one = _run(program, args)
        ember.runtime.set_num_threads(2)
        two = _run(program, args)
    finally:
        ember.runtime.set_num_threads(before)
    assert torch.equal(one, two)


def test_max_pool_propagates_nan_like_torch():
    """A NaN in a window wins (torch's max pool), in the channels-last pool too."""
    model = nn.Sequential(nn.Conv2d(4, 6, 1), nn.MaxPool2d(3, 2, 1), nn.Conv2d(6, 3, 1)).eval()
    x = torch.randn(1, 4, 9, 9)
    x[0, 2, 4, 4] = float("nan")
    x[0, :, 0, 0] = float("-inf")
    program = _compile(model, (x,))
    assert "max_pool2d_nhwc" in _ops(program)
    with torch.no_grad():
        want = model(x)
    got = _run(program, (x,))
    assert torch.equal(got.isnan(), want.isnan()) and got.isnan().any()
    assert_close(got.nan_to_num(), want.nan_to_num(), rtol=1e-5, atol=1e-5)


def test_backend_keeps_what_it_claims():
    """With the XNNPACK partitioner the convolutions are delegated; nothing
    of theirs becomes channels-last, and the result still matches eager."""
    torch.manual_seed(3)
    model = MobileNetish().eval()
    args = (torch.randn(1, 3, 30, 34),)
    program = _compile(model, args, partitioner=XnnpackPartitioner())
    ops = _ops(program)
    assert "convolution_nhwc" not in ops and "delegate_call" in ops, ops
    with torch.no_grad():
        want = model(*args)
    assert_close(_run(program, args), want, rtol=1e-4, atol=1e-4)


def test_left_alone_float16_transposed_and_1d():
    """float16, transposed and 1-d convolutions stay as they are (NCHW)."""
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(4, 4, 2, 2)
            self.c1 = nn.Conv1d(4, 4, 3)

        def forward(self, x, s):
            return self.up(x), self.c1(s)

    args = (torch.randn(1, 4, 5, 5), torch.randn(1, 4, 9))
    model = Net().eval()
    ops = _ops(_compile(model, args))
    assert "convolution_nhwc" not in ops and ops.count("convolution") == 2
    half = nn.Conv2d(4, 4, 3).eval().half()
    ops = _ops(_compile(half, (torch.randn(1, 4, 6, 6).half(),)))
    assert "convolution_nhwc" not in ops
