"""Seeded random CNN- and transformer-shaped models, and padding variants of
the vision zoo, for the memory planner's comparison with ExecuTorch.

`random_model(seed)` builds a small module whose graph has the shapes real
networks have (conv / batch norm / activation chains, explicit pads, pools,
residual adds, concatenated branches; or linear / attention / softmax /
layer norm blocks with residuals), sized so that ExecuTorch exports it in
about a second. `same_padding(model)` turns every padded convolution into
TensorFlow's "same" padding (an explicit, possibly asymmetric F.pad, then a
convolution without padding), `explicit_padding(model)` into a symmetric
F.pad then an unpadded convolution. bench/memory_plan.py and
tests/python/test_memory_plan_vs_executorch.py use them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------
# Padding styles
# ---------------------------------------------------------------------------


class PaddedConv(nn.Module):
    """`conv` (its own padding set to 0) after an explicit F.pad: TensorFlow's
    "same" padding (`same=True`: total (out - 1) * stride + dilated kernel - in,
    the odd pixel after) or the conv's own symmetric padding."""

    def __init__(self, conv: nn.Conv2d, same: bool):
        super().__init__()
        self.pad = tuple(conv.padding)
        self.same = same
        conv.padding = (0, 0)
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []
        for i in (1, 0):  # F.pad lists the last dimension first
            if self.same:
                n, k = x.shape[2 + i], self.conv.kernel_size[i]
                s, d = self.conv.stride[i], self.conv.dilation[i]
                total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
                pads += [total // 2, total - total // 2]
            else:
                pads += [self.pad[i], self.pad[i]]
        return self.conv(F.pad(x, pads))


def _repad(model: nn.Module, same: bool) -> nn.Module:
    for name, child in list(model.named_children()):
        if (isinstance(child, nn.Conv2d) and not isinstance(child.padding, str)
                and any(p > 0 for p in child.padding)):
            setattr(model, name, PaddedConv(child, same))
        else:
            _repad(child, same)
    return model


def same_padding(model: nn.Module) -> nn.Module:
    """`model` with every padded Conv2d in TensorFlow "same" style (in place)."""
    return _repad(model, same=True)


def explicit_padding(model: nn.Module) -> nn.Module:
    """`model` with every padded Conv2d's padding as a separate F.pad (in place)."""
    return _repad(model, same=False)


PADDINGS: dict[str, Callable[[nn.Module], nn.Module]] = {
    "torch": lambda m: m,
    "same": same_padding,
    "explicit": explicit_padding,
}

# ---------------------------------------------------------------------------
# Random CNNs
# ---------------------------------------------------------------------------


class ConvBnAct(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int, groups: int, act: str,
                 padding: str):
        super().__init__()
        conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)
        self.conv = PADDINGS[padding](nn.Sequential(conv))[0] if k > 1 else conv
        self.bn = nn.BatchNorm2d(cout)
        self.act = {"relu": nn.ReLU(), "relu6": nn.ReLU6(), "silu": nn.SiLU(),
                    "none": nn.Identity()}[act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class InvertedResidual(nn.Module):
    """1x1 expand, kxk depthwise, 1x1 project; residual when the shape is kept."""

    def __init__(self, c: int, cout: int, expand: int, k: int, stride: int, padding: str):
        super().__init__()
        h = c * expand
        self.body = nn.Sequential(ConvBnAct(c, h, 1, 1, 1, "relu6", padding),
                                  ConvBnAct(h, h, k, stride, h, "relu6", padding),
                                  ConvBnAct(h, cout, 1, 1, 1, "none", padding))
        self.residual = stride == 1 and c == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class Basic(nn.Module):
    """Two kxk convs with a residual (a projection when the shape changes)."""

    def __init__(self, c: int, cout: int, k: int, stride: int, padding: str):
        super().__init__()
        self.a = ConvBnAct(c, cout, k, stride, 1, "relu", padding)
        self.b = ConvBnAct(cout, cout, k, 1, 1, "none", padding)
        self.proj = (ConvBnAct(c, cout, 1, stride, 1, "none", padding)
                     if stride != 1 or c != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.b(self.a(x)) + self.proj(x))


class Branches(nn.Module):
    """Inception-style: parallel 1x1, kxk and pool branches concatenated."""

    def __init__(self, c: int, widths: list[int], k: int, padding: str):
        super().__init__()
        self.b1 = ConvBnAct(c, widths[0], 1, 1, 1, "relu", padding)
        self.b2 = nn.Sequential(ConvBnAct(c, widths[1], 1, 1, 1, "relu", padding),
                                ConvBnAct(widths[1], widths[1], k, 1, 1, "relu", padding))
        self.b3 = nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvBnAct(c, widths[2], 1, 1, 1, "relu",
                                                                 padding))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x)], 1)


class Pad(nn.Module):
    def __init__(self, pads: tuple[int, int, int, int]):
        super().__init__()
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads)


class Head(nn.Module):
    def __init__(self, c: int, classes: int):
        super().__init__()
        self.fc = nn.Linear(c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def random_cnn(rng: random.Random) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    padding = rng.choice(list(PADDINGS))
    size = rng.choice([16, 24, 32, 40, 48, 64])
    c = rng.choice([4, 8, 16])
    stride = rng.choice([1, 2])
    layers: list[nn.Module] = [ConvBnAct(3, c, 3, stride, 1,
                                         rng.choice(["relu", "relu6", "silu"]), padding)]
    spatial = -(-size // stride)
    for _ in range(rng.randrange(2, 9)):
        kind = rng.choice(["inverted", "basic", "branches", "pool", "pad", "conv"])
        stride = 2 if spatial >= 8 and rng.random() < 0.3 else 1
        k = rng.choice([3, 3, 5])
        cout = c if rng.random() < 0.5 else min(64, c * rng.choice([1, 2]) + rng.choice([0, 8]))
        if kind == "inverted":
            layers.append(InvertedResidual(c, cout, rng.choice([1, 2, 4, 6]), k, stride, padding))
        elif kind == "basic":
            layers.append(Basic(c, cout, k, stride, padding))
        elif kind == "branches":
            widths = [rng.choice([4, 8, 16]) for _ in range(3)]
            layers.append(Branches(c, widths, k, padding))
            cout, stride = sum(widths), 1
        elif kind == "pool":
            if spatial < 4:
                continue
            layers.append(rng.choice([nn.MaxPool2d(2, 2), nn.AvgPool2d(2, 2)]))
            cout, stride = c, 2
        elif kind == "pad":
            before, after = rng.randrange(3), rng.randrange(1, 3)
            layers.append(nn.Sequential(Pad((before, after, before, after)),
                                        ConvBnAct(c, cout, 1, 1, 1, "relu", padding)))
            spatial, stride = spatial + before + after, 1
        else:
            layers.append(ConvBnAct(c, cout, k, stride, 1, rng.choice(["relu", "silu"]), padding))
        c, spatial = cout, (spatial // 2 if kind == "pool" else -(-spatial // stride))
    if rng.random() < 0.7:
        layers.append(Head(c, rng.choice([10, 100])))
    model = nn.Sequential(*layers)
    return model, (torch.randn(1, 3, size, size),)


# ---------------------------------------------------------------------------
# Random transformers
# ---------------------------------------------------------------------------


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, causal: bool, fused_qkv: bool):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(d, 3 * d) if fused_qkv else None
        self.q, self.k, self.v = (None, None, None) if fused_qkv else (
            nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d))
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.heads
        if self.qkv is not None:
            q, k, v = self.qkv(x).view(b, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        else:
            q, k, v = (m(x).view(b, t, h, d // h).transpose(1, 2)
                       for m in (self.q, self.k, self.v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d // h)
        if self.causal:
            s = s.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        a = s.softmax(-1) @ v
        return self.out(a.transpose(1, 2).reshape(b, t, d))


class Mlp(nn.Module):
    def __init__(self, d: int, ratio: int, gated: bool):
        super().__init__()
        self.up = nn.Linear(d, d * ratio)
        self.gate = nn.Linear(d, d * ratio) if gated else None
        self.down = nn.Linear(d * ratio, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gate is not None:
            return self.down(F.silu(self.gate(x)) * self.up(x))
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    def __init__(self, d: int, heads: int, ratio: int, pre_norm: bool, causal: bool,
                 gated: bool, fused_qkv: bool):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads, causal, fused_qkv)
        self.mlp = Mlp(d, ratio, gated)
        self.pre_norm = pre_norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_norm:
            x = x + self.attn(self.n1(x))
            return x + self.mlp(self.n2(x))
        x = self.n1(x + self.attn(x))
        return self.n2(x + self.mlp(x))


class Transformer(nn.Module):
    def __init__(self, d: int, blocks: list[Block], classes: int, pool: bool):
        super().__init__()
        self.inp = nn.Linear(d, d)
        self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        return self.head(x.mean(1) if self.pool else x)


def random_transformer(rng: random.Random) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    heads = rng.choice([1, 2, 4])
    d = heads * rng.choice([8, 16, 32])
    t = rng.choice([4, 8, 16, 32, 64])
    blocks = [Block(d, heads, rng.choice([2, 4]), rng.random() < 0.7, rng.random() < 0.5,
                    rng.random() < 0.4, rng.random() < 0.5) for _ in range(rng.randrange(1, 4))]
    model = Transformer(d, blocks, rng.choice([10, 64, 256]), rng.random() < 0.5)
    return model, (torch.randn(1, t, d),)


def random_model(seed: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The seed's model (even seeds CNNs, odd ones transformers) in eval mode,
    with random weights and example input."""
    rng = random.Random(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, args = (random_cnn if seed % 2 == 0 else random_transformer)(rng)
    return model.eval(), args
