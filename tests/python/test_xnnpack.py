"""ExecuTorch's XNNPACK-delegated files run in Ember's runtime (XnnpackBackend).

Each model is exported with ExecuTorch 1.4.1 (`to_edge_transform_and_lower` with
its `XnnpackPartitioner`), saved as a .pte, loaded with `ember.runtime.load` and
run on Debian's XNNPACK; the outputs are compared with eager PyTorch (fp32:
rtol 1e-4, atol 1e-5; XNNPACK's kernels accumulate in other orders and use
their own sigmoid/ELU approximations). Each case also says which operators
ExecuTorch leaves outside the delegates, so that a case that silently stops
being delegated fails. A file whose nodes Debian's 2022 XNNPACK lacks must
fail to load with an error naming the node.

Skipped when `executorch` is not importable or Ember was built without
XNNPACK (EMBER_BUILD_XNNPACK=OFF).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytest.importorskip(
    "executorch.exir",
    reason="executorch is not importable: these tests need executorch==1.4.1 in .venv",
)

from executorch.backends.xnnpack.partition.xnnpack_partitioner import (  # noqa: E402
    XnnpackPartitioner,
)
from executorch.exir import to_edge_transform_and_lower  # noqa: E402

import ember  # noqa: E402
from ember.errors import EmberRuntimeError  # noqa: E402

RTOL = 1e-4
ATOL = 1e-5


def _xnnpack_built() -> bool:
    return "XnnpackBackend" in ember._C.registered_backends()


def export_xnnpack(model: nn.Module, inputs: tuple, path: Path) -> Path:
    ep = torch.export.export(model.eval(), inputs)
    prog = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()]).to_executorch()
    path.write_bytes(prog.buffer)
    return path


# Small models, each on a few node kinds (NCHW inputs: ExecuTorch wraps the
# NHWC nodes in static transposes, which Ember runs between XNNPACK stages).
class Conv(nn.Module):
    """conv2d: plain + fused relu; strided, non-square kernel, no bias; dilated; grouped."""

    def __init__(self):
        super().__init__()
        self.plain = nn.Conv2d(3, 8, 3, padding=1)
        self.strided = nn.Conv2d(8, 6, (3, 5), stride=2, padding=(2, 1), bias=False)
        self.dilated = nn.Conv2d(6, 6, 3, padding=2, dilation=2)
        self.grouped = nn.Conv2d(6, 4, 1, groups=2)

    def forward(self, x):
        y = torch.relu(self.plain(x))
        return self.grouped(self.dilated(self.strided(y)))


class Depthwise(nn.Module):
    """depthwise conv2d (multiplier 1 and 2, stride 2) with relu6."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.dw2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=8)

    def forward(self, x):
        return self.dw2(F.relu6(self.dw(x)))


class Conv1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class ConvTranspose(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x):
        return self.up(x)


class Linear(nn.Module):
    """linear on a 3-D input with bias, then without bias."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(16, 32)
        self.b = nn.Linear(32, 8, bias=False)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class Binary(nn.Module):
    """add/sub/mul/div/minimum/maximum with broadcasting, and a constant operand."""

    def __init__(self):
        super().__init__()
        self.register_buffer("c", torch.randn(5))

    def forward(self, x, y):
        a = x + y
        b = (x - y) * self.c
        c = x / (y.abs() + 1.0)
        return torch.minimum(a, b) + torch.maximum(b, c)


class Activations(nn.Module):
    """relu, relu6, hardtanh, clamp, hardswish, sigmoid, leaky relu, prelu (ExecuTorch
    1.4.1 does not delegate elu: its EluConfig is commented out)."""

    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(4)

    def forward(self, x):
        return (torch.relu(x) + F.relu6(x * 4) + F.hardtanh(x, -0.5, 0.25)
                + torch.clamp(x, -0.3, 0.7), F.hardswish(x) + torch.sigmoid(x),
                F.leaky_relu(x, 0.1), self.prelu(x))


class Unary(nn.Module):
    """abs, neg, sqrt, ceil, floor, square."""

    def forward(self, x):
        return torch.sqrt(x.abs()) - x.neg(), torch.ceil(x * 3) + torch.floor(x * 3), x * x


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


class Pools(nn.Module):
    """max pool, avg pool (ExecuTorch delegates it without counting the padding),
    adaptive avg pool to 1x1, mean over H and W."""

    def forward(self, x):
        return (F.max_pool2d(x, 2, stride=2),
                F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
                F.adaptive_avg_pool2d(x, 1), x.mean(dim=(2, 3), keepdim=True))


class PadView(nn.Module):
    """constant pad, view, permute."""

    def forward(self, x):
        p = F.pad(x, (1, 2, 0, 1), value=0.5)
        return p.view(2, -1) * 2, x.permute(0, 2, 3, 1) + 1


class Upsample(nn.Module):
    def forward(self, x):
        return (F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
                F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True))


class MobileNetBlocks(nn.Module):
    """A MobileNetV2-like chain: stem, inverted residual blocks (expand 1x1,
    depthwise 3x3, project 1x1, residual add), head with hardswish, global
    pooling, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU6())
        self.blocks = nn.ModuleList([self._block(16, 16), self._block(16, 16)])
        self.head = nn.Sequential(nn.Conv2d(16, 32, 1), nn.Hardswish())
        self.fc = nn.Linear(32, 10)

    @staticmethod
    def _block(c_in: int, c_out: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(c_in, 4 * c_in, 1), nn.ReLU6(),
            nn.Conv2d(4 * c_in, 4 * c_in, 3, padding=1, groups=4 * c_in), nn.ReLU6(),
            nn.Conv2d(4 * c_in, c_out, 1))

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = x + block(x)
        x = F.adaptive_avg_pool2d(self.head(x), 1)
        return self.fc(torch.flatten(x, 1))


class TransposeMidGraph(nn.Module):
    """Global pooling (NHWC inside the delegate) then a reshape to [N, C]: a
    transpose back to NCHW sits in the middle of the graph. And a permute
    whose result feeds a convolution: a real transpose between stages."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 3, 1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        pooled = y.mean(dim=(2, 3), keepdim=True).view(x.shape[0], 8)
        z = self.conv2(y.permute(0, 3, 1, 2))  # [N, 8, 5, 6] -> [N, 6, 8, 5]
        return self.fc(pooled), z


@dataclasses.dataclass
class Case:
    make: Callable[[], nn.Module]
    inputs: Callable[[], tuple]
    outside: frozenset = frozenset()  # operators ExecuTorch leaves to the portable kernels


# A Python scalar operand (x * 3) becomes a 0-d constant the delegate takes as
# an input, copied by the portable kernels first.
SCALARS = frozenset({"dim_order_ops::_to_dim_order_copy.out"})


CASES = {
    "conv": Case(Conv, lambda: (torch.randn(1, 3, 12, 10),)),
    "depthwise": Case(Depthwise, lambda: (torch.randn(2, 8, 9, 9),)),
    "conv1d": Case(Conv1d, lambda: (torch.randn(2, 4, 11),)),
    "conv_transpose": Case(ConvTranspose, lambda: (torch.randn(1, 4, 5, 6),)),
    "linear": Case(Linear, lambda: (torch.randn(2, 3, 16),)),
    "binary": Case(Binary, lambda: (torch.randn(2, 3, 4, 5), torch.randn(4, 1))),
    "activations": Case(Activations, lambda: (torch.randn(2, 4, 3, 5),), SCALARS),
    "unary": Case(Unary, lambda: (torch.randn(3, 7),), SCALARS),
    "softmax": Case(Softmax, lambda: (torch.randn(4, 10),)),
    "pools": Case(Pools, lambda: (torch.randn(1, 3, 8, 10),)),
    "pad_view": Case(PadView, lambda: (torch.randn(2, 3, 4, 5),), SCALARS),
    "upsample": Case(Upsample, lambda: (torch.randn(1, 2, 4, 5),)),
    "mobilenet_blocks": Case(MobileNetBlocks, lambda: (torch.randn(1, 3, 32, 32),)),
    "transpose_mid_graph": Case(TransposeMidGraph, lambda: (torch.randn(2, 4, 5, 6),)),
}


def _flat(out) -> list[torch.Tensor]:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


@pytest.fixture(scope="module", autouse=True)
def _needs_xnnpack():
    if not _xnnpack_built():
        pytest.skip("Ember was built without XnnpackBackend (EMBER_BUILD_XNNPACK=OFF)")


@pytest.mark.parametrize("name", sorted(CASES))
def test_executorch_xnnpack_file_runs_in_ember(name, tmp_path):
    case = CASES[name]
    torch.manual_seed(0)
    model = case.make().eval()
    inputs = case.inputs()
    path = export_xnnpack(model, inputs, tmp_path / f"{name}.pte")

    module = ember.runtime.load(path)
    summary = ember._C.RuntimeModule.load(str(path)).program_summary()
    forward = next(m for m in summary["methods"] if m["name"] == "forward")
    assert [d["id"] for d in forward["delegates"]], "nothing was delegated"
    assert all(d["id"] == "XnnpackBackend" for d in forward["delegates"])
    outside = {op["name"] for op in forward["operators"]}
    assert outside <= case.outside, f"left outside the delegates: {sorted(outside)}"

    got = _flat(module.forward(*inputs))
    with torch.no_grad():
        want = _flat(model(*inputs))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        torch.testing.assert_close(g, w, rtol=RTOL, atol=ATOL)
    # A second run (same addresses: no new setup) gives the same result.
    again = _flat(module.forward(*inputs))
    for g, a in zip(got, again, strict=True):
        assert torch.equal(g, a)


class Bmm(nn.Module):
    def forward(self, a, b):
        return torch.bmm(a, b) + 1


class Cat(nn.Module):
    def forward(self, a, b):
        return torch.cat([a * 2, b], dim=1)


@pytest.mark.parametrize("model, inputs, node", [
    (Bmm(), (torch.randn(2, 3, 4), torch.randn(2, 4, 5)), "BatchMatrixMultiply"),
    (Cat(), (torch.randn(2, 3), torch.randn(2, 4)), "Concatenate2"),
])
def test_nodes_debian_xnnpack_lacks_are_refused_by_name(model, inputs, node, tmp_path):
    path = export_xnnpack(model, inputs, tmp_path / "m.pte")
    with pytest.raises(EmberRuntimeError) as info:
        ember.runtime.load(path).forward(*inputs)
    message = str(info.value)
    assert f"({node})" in message and "node " in message, message
    assert "Debian" in message, message
