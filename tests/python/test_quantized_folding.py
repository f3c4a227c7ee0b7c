"""The quantize phase end to end: quantized models compile to Ember's
quantized ops (the passes in quantizer/), the float weights never exist in
the file, and the outputs match the eager quantized model.

Bounds (the reference is always the eager quantized model, never ExecuTorch):
- static int8 (PT2E): one quantization step of the output (its
  dequantize's scale). The quantized kernels requantize in integer/float
  arithmetic that differs from PyTorch's float path in the last bit, which
  can move a value across a rounding boundary; the output is read as its
  dequantized value, so such a move is one step.
- dynamic int8 and torchao's low-bit linears: the products are exact int32
  sums (or float32 products of the same values) summed in another order, so
  the difference is float32 rounding: |got - want| <= 1e-4 * max|want| (the
  output normalised by its own scale); measured below 1e-6.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import ember

torchao_quant = pytest.importorskip("torchao.quantization")
quantizer = pytest.importorskip("ember.quantizer")


def _compile(ep: torch.export.ExportedProgram, **config):
    """The .pte bytes, the operators it names and its constant bytes."""
    edge = ember.to_edge(ep, compile_config=ember.EdgeCompileConfig(**config))
    program = edge.to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(program.buffer).program_summary()
    ops = {op["name"] for op in summary["methods"][0]["operators"]}
    return edge, program.buffer, ops, summary["constants"]["tensor_bytes"]


def _load(buffer: bytes, ops: set[str]):
    """The loaded program; a skip naming the op when a quantized kernel is
    not in this build yet (they are written alongside these passes)."""
    try:
        return ember.runtime.load(buffer)
    except Exception as error:  # noqa: BLE001  (the runtime's load error)
        missing = [op for op in ops if op.startswith("ember::") and op in str(error)]
        if missing and "kernel" in str(error).lower():
            pytest.skip(f"runtime has no kernel for {missing[0]} yet: {error}")
        raise


class SmallCnn(nn.Module):
    """conv-bn-relu, a residual add with its relu, pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = torch.relu(self.conv2(y) + y)
        return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))  # flatten: stays float


def _static_cnn(per_channel: bool):
    torch.manual_seed(0)
    model = SmallCnn().eval()
    model.bn.running_mean.uniform_(-0.5, 0.5)
    model.bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(2, 3, 12, 12)
    config = quantizer.get_symmetric_quantization_config(is_per_channel=per_channel)
    calibration = [(torch.randn(2, 3, 12, 12),) for _ in range(4)]
    return quantizer.quantize_pt2e(
        model, (x,), quantizer.XNNPACKQuantizer().set_global(config), calibration)


def _output_scale(ep: torch.export.ExportedProgram) -> float:
    """The scale of the dequantize that produces the program's output."""
    output = next(n for n in ep.graph.nodes if n.op == "output").args[0][0]
    assert "dequantize_per_tensor" in str(output.target)
    return float(output.args[1])


@pytest.mark.parametrize("per_channel", [True, False])
def test_static_cnn_folds_and_matches_eager(per_channel):
    """Convolutions (with the relu of conv-bn-relu and none), the residual
    add with its relu and the linear head run as Ember's quantized ops; no
    weight is dequantized at run time. Within one output step of eager."""
    ep = _static_cnn(per_channel)
    _, buffer, ops, _ = _compile(ep)
    assert {"ember::quantized_convolution_nhwc.out", "ember::quantized_add.out",
            "ember::quantized_linear.out"} <= ops
    assert "ember::quantized_convolution.out" not in ops  # channels-last, every one
    assert "quantized_decomposed::dequantize_per_channel.out" not in ops
    assert "aten::convolution.out" not in ops and "aten::add.out" not in ops
    module = _load(buffer, ops)
    step = _output_scale(ep)
    torch.manual_seed(1)
    for i in range(8):
        x = torch.randn(2, 3, 12, 12) * (1 + i % 3)
        got, want = module.forward(x), ep.module()(x)
        assert float((got - want).abs().max()) <= step * (1 + 1e-5), f"input {i}"


class PoolDepthwiseCnn(nn.Module):
    """A stem with a max pool, an inverted residual (1x1 expand, 3x3
    depthwise with relu6, 1x1 project, residual add) and global pooling: the
    ops of MobileNet and ResNet stems, 20 channels (one vector of 16 and a
    tail of 4)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 20, 3, stride=2, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.expand = nn.Conv2d(20, 40, 1)
        self.dw = nn.Conv2d(40, 40, 3, padding=1, groups=40)
        self.dw2 = nn.Conv2d(40, 40, 3, stride=2, padding=2, dilation=2, groups=40)
        self.project = nn.Conv2d(40, 20, 1)
        self.fc = nn.Linear(20, 10)

    def forward(self, x):
        y = self.pool(torch.relu(self.stem(x)))
        z = nn.functional.relu6(self.dw(torch.relu(self.expand(y))))
        y = y + self.project(z)
        y = nn.functional.relu6(self.dw2(torch.relu(self.expand(y))))
        return self.fc(self.project(y).mean((2, 3)))


@pytest.mark.parametrize("per_channel", [True, False])
def test_channels_last_chain_matches_eager(per_channel):
    """Max pool, depthwise (plain, strided and dilated) and pointwise
    convolutions and a residual add hand NHWC tensors to each other: every
    convolution and the pool run channels-last, the pool in int8 (no float
    pool left), one transpose in (on the quantized input) and one out (the
    global pool's [N, C] needs none). Within one output step of eager, and
    of the reference kernels (fold_quantized=False)."""
    torch.manual_seed(0)
    model = PoolDepthwiseCnn().eval()
    config = quantizer.get_symmetric_quantization_config(is_per_channel=per_channel)
    ep = quantizer.quantize_pt2e(model, (torch.randn(2, 3, 33, 31),),
                                 quantizer.XNNPACKQuantizer().set_global(config),
                                 [(torch.randn(2, 3, 33, 31),) for _ in range(4)])
    edge, buffer, ops, _ = _compile(ep)
    assert {"ember::quantized_convolution_nhwc.out", "ember::quantized_max_pool2d_nhwc.out",
            "ember::quantized_add.out"} <= ops
    assert "ember::quantized_convolution.out" not in ops
    assert "aten::max_pool2d_with_indices.out" not in ops
    assert edge.ir().count("edge.permute ") == 1, edge.ir()
    module = _load(buffer, ops)
    _, ref_buffer, _, _ = _compile(ep, fold_quantized=False)
    reference = ember.runtime.load(ref_buffer)
    step = _output_scale(ep)
    torch.manual_seed(1)
    for i in range(6):
        x = torch.randn(2, 3, 33, 31) * (1 + i % 3)
        got, want = module.forward(x), ep.module()(x)
        assert float((got - want).abs().max()) <= step * (1 + 1e-5), f"input {i}"
        assert float((got - reference.forward(x)).abs().max()) <= step * (1 + 1e-5), f"input {i}"


class SqueezeExciteCnn(nn.Module):
    """EfficientNet's block in small: a silu feature map (decomposed to
    mul(x, sigmoid(x)), its product quantized), a squeeze-excitation gate
    (global mean, 1x1 convolutions, a sigmoid PT2E quantizes on its own) times
    the feature map, and a hardswish."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 24, 3, padding=1)
        self.reduce = nn.Conv2d(24, 6, 1)
        self.expand = nn.Conv2d(6, 24, 1)
        self.project = nn.Conv2d(24, 16, 1)

    def forward(self, x):
        y = nn.functional.silu(self.conv(x))
        gate = torch.sigmoid(self.expand(nn.functional.silu(self.reduce(y.mean((2, 3), True)))))
        return nn.functional.hardswish(self.project(y * gate))


def test_activation_tables_and_channels_last_gates_match_eager():
    """Activations quantized on their own, the decomposed silus too, become
    256-entry tables (quantized_lut); the pool is one int8 quantized_mean and
    the gate's broadcasting product one int8 quantized_mul; all run
    channels-last between the quantized convolutions (one permute in, one
    out). Within one output step of eager and of the reference kernels
    (unfolded: the float ops)."""
    torch.manual_seed(0)
    model = SqueezeExciteCnn().eval()
    config = quantizer.get_symmetric_quantization_config(is_per_channel=True)
    ep = quantizer.quantize_pt2e(model, (torch.randn(2, 3, 10, 9),),
                                 quantizer.XNNPACKQuantizer().set_global(config),
                                 [(torch.randn(2, 3, 10, 9),) for _ in range(4)])
    edge, buffer, ops, _ = _compile(ep)
    assert {"ember::quantized_lut.out", "ember::quantized_mul.out",
            "ember::quantized_mean.out"} <= ops
    assert not {"aten::sigmoid.out", "aten::silu.out", "aten::mul.out", "aten::mean.out"} & ops, ops
    assert edge.ir().count("edge.permute ") == 2, edge.ir()
    module = _load(buffer, ops)
    _, ref_buffer, _, _ = _compile(ep, fold_quantized=False)
    reference = ember.runtime.load(ref_buffer)
    step = _output_scale(ep)
    for i in range(6):
        x = torch.randn(2, 3, 10, 9) * (1 + i % 3)
        got, want = module.forward(x), ep.module()(x)
        assert float((got - want).abs().max()) <= step * (1 + 1e-5), f"input {i}"
        assert float((got - reference.forward(x)).abs().max()) <= step * (1 + 1e-5), f"input {i}"


def test_static_linear_on_tokens_folds():
    """A static linear on [B, S, K] (torch.export's view, linear, view back)
    is one quantized_linear on the int8 [B, S, K]; one output step of eager."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)).eval()
    x = torch.randn(2, 5, 16)
    config = quantizer.get_symmetric_quantization_config(is_per_channel=True)
    ep = quantizer.quantize_pt2e(model, (x,), quantizer.XNNPACKQuantizer().set_global(config),
                                 [(torch.randn(2, 5, 16),) for _ in range(4)])
    _, buffer, ops, _ = _compile(ep)
    assert "ember::quantized_linear.out" in ops
    assert "aten::linear.out" not in ops and "aten::addmm.out" not in ops
    module = _load(buffer, ops)
    for _ in range(4):
        xi = torch.randn(2, 5, 16)
        got, want = module.forward(xi), ep.module()(xi)
        assert float((got - want).abs().max()) <= _output_scale(ep) * (1 + 1e-5)


def test_folding_off_keeps_the_reference_path():
    """fold_quantized=False: the same model on the reference kernels, and the
    folded program agrees with it to one output step."""
    ep = _static_cnn(per_channel=True)
    _, ref_buffer, ref_ops, _ = _compile(ep, fold_quantized=False)
    assert not any(op.startswith("ember::quantized_") for op in ref_ops)
    assert "quantized_decomposed::dequantize_per_channel.out" in ref_ops
    _, buffer, ops, _ = _compile(ep)
    x = torch.randn(2, 3, 12, 12)
    got = _load(buffer, ops).forward(x)
    want = ember.runtime.load(ref_buffer).forward(x)
    assert float((got - want).abs().max()) <= _output_scale(ep) * (1 + 1e-5)


def test_unfoldable_pattern_is_in_the_delegation_summary():
    """The flatten (a view) between a dequantize and a quantize has no
    quantized op: the summary names it, the user's source line and why (the
    pooling beside it folds: quantized_mean)."""
    edge, _, _, _ = _compile(_static_cnn(per_channel=True))
    summary = edge.delegation_summary()
    line = next(i for i, text in enumerate(open(__file__).read().splitlines(), 1)
                if "# flatten: stays float" in text)
    pattern = (rf"test_quantized_folding\.py:{line} .*: edge\.view -- quantizer: "
               r"no quantized kernel for edge\.view")
    assert re.search(pattern, summary), summary


def test_dynamic_mlp_folds_and_matches_eager():
    """PT2E dynamic quantization: each linear is one linear_dynamic_int8 (no
    choose_qparams, no dequantized weight); float32 rounding from eager."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16)).eval()
    x = torch.randn(4, 32)
    config = quantizer.get_symmetric_quantization_config(is_per_channel=True, is_dynamic=True)
    ep = quantizer.quantize_pt2e(model, (x,), quantizer.XNNPACKQuantizer().set_global(config),
                                 [(x,)] * 2)
    _, buffer, ops, _ = _compile(ep)
    assert "ember::linear_dynamic_int8.out" in ops
    assert not any(op.startswith("quantized_decomposed::") for op in ops), ops
    module = _load(buffer, ops)
    for _ in range(5):  # the scale follows each input
        xi = torch.randn(4, 32) * float(torch.rand(()) * 4 + 0.1)
        got, want = module.forward(xi), ep.module()(xi)
        assert float((got - want).abs().max()) <= 1e-4 * float(want.abs().max())


def _torchao_configs():
    from torchao.quantization.granularity import PerAxis, PerGroup

    q = torchao_quant
    return {
        "8da4w-g32": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int4, weight_granularity=PerGroup(32)),
        "8da4w-g64": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int4, weight_granularity=PerGroup(64)),
        "8da4w-g128": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int4, weight_granularity=PerGroup(128)),
        "8da8w": q.Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int8, weight_granularity=PerAxis(0)),
        "4w": q.IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(32)),
        "8w": q.IntxWeightOnlyConfig(weight_dtype=torch.int8, granularity=PerAxis(0)),
    }


def _torchao_mlp(name: str):
    """A 2-layer MLP with K = 128 quantized by torchao, and its export."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(128, 256), nn.SiLU(), nn.Linear(256, 128)).eval()
    torchao_quant.quantize_(model, _torchao_configs()[name])
    ep = torch.export.export(model, (torch.randn(1, 5, 128),))
    return model, ep


@pytest.mark.parametrize("name", ["8da4w-g32", "8da4w-g64", "8da8w", "4w", "8w"])
def test_torchao_linears_fold_and_match_eager(name):
    """torchao's configs: every linear is one linear_lowbit, torchao's
    affine ops are gone (the per-token quantization of 8da* included), and
    the output is eager's to float32 rounding."""
    model, ep = _torchao_mlp(name)
    _, buffer, ops, _ = _compile(ep)
    assert "ember::linear_lowbit.out" in ops
    assert not any(op.startswith("torchao::") for op in ops), ops
    module = _load(buffer, ops)
    with torch.no_grad():
        for i in range(4):
            x = torch.randn(1, 5, 128) * (1 + i)
            got, want = module.forward(x), model(x)
            assert float((got - want).abs().max()) <= 1e-4 * float(want.abs().max())


def test_int4_weights_stay_4_bit_in_the_file():
    """The 4-bit weights are stored two per byte: with one scale per row
    (group 128 = K) the constants of 8da4w are about half those of 8da8w,
    and far below the float weights' 4 bytes per value."""
    sizes = {}
    for name in ["8da4w-g128", "8da8w"]:
        _, ep = _torchao_mlp(name)
        _, _, _, sizes[name] = _compile(ep)
    weights = 128 * 256 + 256 * 128
    assert sizes["8da8w"] >= weights  # one byte per weight
    assert sizes["8da4w-g128"] <= 0.55 * sizes["8da8w"], sizes
    assert sizes["8da4w-g128"] >= weights // 2


class SymmetricTokenLinear(nn.Module):
    """torchao's 8da4w pattern written out, but with a SYMMETRIC per-token
    activation (not what linear_lowbit computes)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.randint(-8, 8, (64, 128), dtype=torch.int8))
        self.register_buffer("w_scale", torch.rand(64, 4) * 0.01 + 0.001)

    def forward(self, x):
        ops = torch.ops.torchao
        s, z = ops.choose_qparams_affine(x, "SYMMETRIC", [1, 128], torch.int8, -128, 127,
                                         None, None, torch.int8)
        xf = ops.dequantize_affine(ops.quantize_affine(x, [1, 128], s, z, torch.int8, -128, 127),
                                   [1, 128], s, z, torch.int8, -128, 127)
        wf = ops.dequantize_affine(self.w, [1, 32], self.w_scale, None, torch.int8, -8, 7)
        return nn.functional.linear(xf, wf)  # symmetric tokens: not folded


def test_unfoldable_torchao_linear_is_in_the_delegation_summary():
    """A SYMMETRIC per-token activation is not what linear_lowbit computes:
    the linear stays on the reference path (still exact), and the summary
    names it, the user's source line and why."""
    torch.manual_seed(0)
    model = SymmetricTokenLinear().eval()
    x = torch.randn(3, 128)
    edge, buffer, ops, _ = _compile(torch.export.export(model, (x,)))
    assert "ember::linear_lowbit.out" not in ops
    assert "torchao::dequantize_affine.out" in ops
    line = next(i for i, text in enumerate(open(__file__).read().splitlines(), 1)
                if "# symmetric tokens: not folded" in text)
    pattern = (rf"test_quantized_folding\.py:{line} .*: edge\.linear -- quantizer: "
               r"the input is quantized SYMMETRIC")
    summary = edge.delegation_summary()
    assert re.search(pattern, summary), summary
    torch.testing.assert_close(ember.runtime.load(buffer).forward(x), model(x),
                               rtol=1e-5, atol=1e-5)
