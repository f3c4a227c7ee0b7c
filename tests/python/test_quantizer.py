"""ember.quantizer: PT2E int8 quantization, a drop-in for ExecuTorch's XNNPACKQuantizer.

The main check is differential: each small model is quantized once with
Ember's quantizer and once with ExecuTorch's (skipped when ExecuTorch is not
installed), and the converted, re-exported graphs must hold the same
quantize/dequantize ops, with the same literal scales and zero points, around
the same float ops. Where Ember annotates more than ExecuTorch (its default
"ember" patterns), the extra ops are named and checked one by one; the
"executorch" patterns must then give ExecuTorch's graph exactly.
"""

from __future__ import annotations

import io
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.export.graph_signature import InputKind

from ember.quantizer import (
    XNNPACKQuantizer,
    calibrate,
    convert_pt2e,
    get_symmetric_quantization_config,
    prepare_pt2e,
    quantize_pt2e,
)

aten = torch.ops.aten
ANNOTATION = "quantization_annotation"


# -- models -------------------------------------------------------------------

class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        y = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class Depthwise(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.expand = nn.Conv2d(4, 8, 1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.project = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.project(F.hardswish(self.dw(F.hardswish(self.expand(x)))))


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(16, 32), nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.qkv, self.out = nn.Linear(16, 48), nn.Linear(16, 16)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, 2, 8).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-1, -2) * 0.35, -1)
        y = (attn @ v).permute(0, 2, 1, 3).reshape(b, t, c)
        return self.out(torch.cat([y[..., :8], y[..., 8:]], -1))


class MulMean(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3), nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = self.a(x) * self.b(x) * 0.5
        return self.fc(y.mean((2, 3)))


MODELS = {  # name: (class, input shape)
    "cnn": (SmallCNN, (2, 3, 16, 16)),
    "residual": (Residual, (2, 8, 8, 8)),
    "depthwise": (Depthwise, (2, 4, 8, 8)),
    "mlp": (MLP, (4, 16)),
    "attention": (Attention, (2, 5, 16)),
    "mul_mean": (MulMean, (2, 3, 10, 10)),
}
CONFIGS = {
    "static_per_tensor": {},
    "static_per_channel": {"is_per_channel": True},
    "dynamic_per_channel": {"is_per_channel": True, "is_dynamic": True},
}


def _make(name: str):
    cls, shape = MODELS[name]
    torch.manual_seed(0)
    model = cls().eval()
    for m in model.modules():  # non-trivial batch norm statistics to fold
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    data = [(torch.randn(shape),) for _ in range(3)]
    return model, data


class Zoo(nn.Module):
    """All the models side by side in one graph, so that each comparison
    quantizes once per config (ExecuTorch's prepare_pt2e costs a second or
    two whatever the model). Each model's observers see only its own tensors,
    so its qparams are those it gets alone."""

    def __init__(self) -> None:
        super().__init__()
        for name in MODELS:
            self.add_module(name, _make(name)[0])

    def forward(self, cnn, residual, depthwise, mlp, attention, mul_mean):
        inputs = (cnn, residual, depthwise, mlp, attention, mul_mean)
        return tuple(getattr(self, name)(x) for name, x in zip(MODELS, inputs, strict=True))


def _zoo_data():
    batches = [_make(name)[1] for name in MODELS]
    return [tuple(b[i][0] for b in batches) for i in range(3)]


def _quantize(model, data, quantizer) -> torch.export.ExportedProgram:
    prepared = prepare_pt2e(torch.export.export(model, data[0]).module(), quantizer)
    calibrate(prepared, data, progress=False)
    return torch.export.export(convert_pt2e(prepared), data[0])


# -- graph signature: every Q/DQ op, its literal args and the float op it is on

def _is_qdq(node) -> bool:
    return node.op == "call_function" and \
        getattr(node.target, "namespace", "") == "quantized_decomposed"


def _short(node) -> str:
    if node.op == "placeholder":
        return "input"
    if node.op != "call_function":
        return node.op
    name = getattr(node.target, "__name__", str(node.target))
    return name.split(".")[0]


def _owner(node) -> str:
    """Which of the Zoo's models a node belongs to: that of the nearest float
    op (by its module path) or user input (by its name)."""
    seen, todo = set(), [node]
    while todo:
        n = todo.pop(0)
        if n in seen or n.op == "output":
            continue
        seen.add(n)
        if n.op == "placeholder" and n.name in MODELS:
            return n.name
        if n.op == "call_function" and not _is_qdq(n):
            stack = list(n.meta.get("nn_module_stack", {}).values())
            if stack and stack[-1][0]:
                return stack[-1][0].split(".")[0]
        todo += list(n.all_input_nodes) + list(n.users)
    return "?"


def _qdq_rows(ep: torch.export.ExportedProgram, model: str | None = None) -> list[tuple]:
    """(op, float op it is attached to, literal args) for each quantized_decomposed
    node (of one of the Zoo's models, if given): a quantize is attached to its
    producer, a dequantize to its users. Constant tensors (int8 weights,
    per-channel scales) are read as values."""
    named = {**ep.state_dict, **ep.constants}
    consts = {s.arg.name: named[s.target] for s in ep.graph_signature.input_specs
              if s.kind in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR)}

    def lit(a):
        if isinstance(a, torch.fx.Node):
            return consts[a.name] if a.name in consts else f"<{_short(a)}>"
        return a

    rows = []
    for n in ep.graph.nodes:
        if not _is_qdq(n) or (model is not None and _owner(n) != model):
            continue
        if "dequantize" in n.target.__name__:
            at = tuple(sorted(_short(u) for u in n.users))
        else:
            at = _short(n.args[0])
        rows.append((n.target.__name__, at, tuple(lit(a) for a in n.args)))
    return rows


def _sort_key(row):
    def k(a):
        if isinstance(a, torch.Tensor):
            return f"T{tuple(a.shape)}{a.dtype}{float(a.double().sum()):.4g}"
        return f"{a:.5g}" if isinstance(a, float) else repr(a)
    return (row[0], row[1], tuple(k(a) for a in row[2]))


def _assert_same_qdq(ours, theirs) -> None:
    assert ours, "no quantize/dequantize op at all"
    assert len(ours) == len(theirs), f"{len(ours)} Q/DQ ops vs ExecuTorch's {len(theirs)}"
    for a, b in zip(sorted(ours, key=_sort_key), sorted(theirs, key=_sort_key), strict=True):
        assert a[:2] == b[:2], f"{a[:2]} vs ExecuTorch's {b[:2]}"
        for x, y in zip(a[2], b[2], strict=True):
            if isinstance(x, torch.Tensor):
                assert x.dtype == y.dtype and x.shape == y.shape, (a[:2], x, y)
                if x.is_floating_point():
                    torch.testing.assert_close(x, y, rtol=1e-6, atol=0)
                else:
                    assert torch.equal(x, y), (a[:2], x, y)
            elif isinstance(x, float):
                assert math.isclose(x, y, rel_tol=1e-6), (a[:2], x, y)
            else:
                assert x == y, (a[:2], x, y)


def _float_ops(ep, model: str | None = None) -> list[str]:
    return [_short(n) for n in ep.graph.nodes if n.op == "call_function" and not _is_qdq(n)
            and (model is None or _owner(n) == model)]


_ZOO_CACHE: dict[tuple[str, str], torch.export.ExportedProgram] = {}


def _zoo_graph(config_name: str, patterns: str) -> torch.export.ExportedProgram:
    """The quantized Zoo, by "executorch-1.4" (ExecuTorch's quantizer) or by
    Ember's with the given patterns."""
    key = (config_name, patterns)
    if key not in _ZOO_CACHE:
        config = CONFIGS[config_name]
        if patterns == "executorch-1.4":
            pytest.importorskip("executorch")
            from executorch.backends.xnnpack.quantizer import xnnpack_quantizer as et

            q = et.XNNPACKQuantizer().set_global(et.get_symmetric_quantization_config(**config))
        else:
            q = XNNPACKQuantizer(patterns).set_global(get_symmetric_quantization_config(**config))
        _ZOO_CACHE[key] = _quantize(Zoo().eval(), _zoo_data(), q)
    return _ZOO_CACHE[key]


# Models on which Ember's default patterns annotate more than ExecuTorch's.
# attention: matmul is quantized (its operands and result), ExecuTorch leaves
# both matmuls float. (depthwise: hardswish is annotated, but ExecuTorch
# quantizes the same two edges, as the next conv's input and the previous
# conv's output, so the graphs are still identical.)
EMBER_EXTRA = {"attention"}


@pytest.mark.parametrize("config_name", CONFIGS)
@pytest.mark.parametrize("model_name", MODELS)
def test_same_graph_as_executorch(model_name, config_name):
    theirs = _zoo_graph(config_name, "executorch-1.4")
    static = not CONFIGS[config_name].get("is_dynamic")
    ours = _zoo_graph(config_name, "executorch" if model_name in EMBER_EXTRA and static
                      else "ember")
    assert _float_ops(ours, model_name) == _float_ops(theirs, model_name)
    _assert_same_qdq(_qdq_rows(ours, model_name), _qdq_rows(theirs, model_name))


def test_attention_extra_matmul_quantization():
    """Ember's default patterns differ from ExecuTorch's on attention: both
    matmuls read dequantized int8 operands and both results are quantized
    (ExecuTorch: float operands; only the first result is quantized, as the
    input of the mul by the scale). The linears are quantized as ExecuTorch does."""
    theirs = _zoo_graph("static_per_tensor", "executorch-1.4")
    ours = _zoo_graph("static_per_tensor", "ember")

    def matmul_edges(ep):
        mm = [n for n in ep.graph.nodes if n.target == aten.matmul.default]
        ins = sum(_short(a) == "dequantize_per_tensor" for n in mm for a in n.args)
        outs = sum(_short(u) == "quantize_per_tensor" for n in mm for u in n.users)
        return len(mm), ins, outs

    assert matmul_edges(theirs) == (2, 0, 1)
    assert matmul_edges(ours) == (2, 4, 2)

    def linear_rows(ep):
        return [r for r in _qdq_rows(ep, "attention") if "linear" in r[1] or r[1] == "linear"]

    _assert_same_qdq(linear_rows(ours), linear_rows(theirs))


class Extras(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 8, 3), nn.Linear(8, 4)

    def forward(self, x):
        y = F.relu6(self.conv(x))
        y = F.avg_pool2d(y * torch.sigmoid(y), 2)
        return F.hardtanh(self.fc(y.mean((2, 3))))


def _neighbours(ep, target):
    node = next(n for n in ep.graph.nodes if n.target == target)
    return node, [_short(a) for a in node.args if isinstance(a, torch.fx.Node)], \
        [_short(u) for u in node.users]


def test_ember_only_patterns():
    """Patterns ExecuTorch leaves float or unfused: conv + relu6 and linear +
    hardtanh are fused (no requantization between them), sigmoid's output
    has fixed qparams (1/256, -128), avg_pool2d and mean keep their input's
    qparams."""
    torch.manual_seed(0)
    data = [(torch.randn(2, 3, 10, 10),) for _ in range(3)]
    q = XNNPACKQuantizer().set_global(get_symmetric_quantization_config())
    ep = _quantize(Extras().eval(), data, q)

    conv, _, conv_users = _neighbours(ep, aten.conv2d.default)
    assert conv_users == ["relu6"]
    fc, _, fc_users = _neighbours(ep, aten.linear.default)
    assert fc_users == ["hardtanh"]
    sig, _, (q_sig,) = _neighbours(ep, aten.sigmoid.default)
    q_node = next(iter(sig.users))
    assert q_sig == "quantize_per_tensor" and q_node.args[1:3] == (1 / 256, -128)
    for pool in (aten.avg_pool2d.default, aten.mean.dim):
        node = next(n for n in ep.graph.nodes if n.target == pool)
        dq_in, (q_out,) = node.args[0], list(node.users)
        assert dq_in.target.__name__ == "dequantize_per_tensor.default"
        assert q_out.args[1:3] == dq_in.args[1:3]


def test_quantized_model_close_to_float():
    """Annotations are sound: the converted CNN stays within 5% of the float one."""
    model, data = _make("cnn")
    data = [(torch.randn(8, 3, 16, 16),) for _ in range(4)]
    x = torch.randn(8, 3, 16, 16)
    with torch.no_grad():
        ref = model(x)
    for config in ({}, {"is_per_channel": True}, {"is_per_channel": True, "is_dynamic": True}):
        q = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(**config))
        ep = quantize_pt2e(model, data[0], q, data, progress=False)
        got = ep.module()(x)
        rel = (got - ref).norm() / ref.norm()
        assert rel < 0.05, (config, float(rel))


# -- scopes and precedence ----------------------------------------------------

class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


class TwoBlocks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first, self.second = Block(), Block()
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.first(x) + self.second(x))


def _annotations(quantizer) -> dict[str, object]:
    """Annotate TwoBlocks; map each conv/linear to its config kind: "dynamic",
    "per_channel", "per_tensor" or None (float)."""
    gm = torch.export.export(TwoBlocks().eval(), (torch.randn(1, 3, 6, 6),)).module()
    quantizer.annotate(quantizer.transform_for_annotation(gm))
    quantizer.validate(gm)
    kinds = {}
    for n in gm.graph.nodes:
        if n.target not in (aten.conv2d.default, aten.linear.default):
            continue
        path = list(n.meta["nn_module_stack"].values())[-1][0]
        ann = n.meta.get(ANNOTATION)
        if ann is None:
            kinds[path] = None
            continue
        act, weight = ann.input_qspec_map[n.args[0]], ann.input_qspec_map[n.args[1]]
        kinds[path] = ("dynamic" if act.is_dynamic else
                       "per_channel" if weight.qscheme == torch.per_channel_symmetric
                       else "per_tensor")
    return kinds


STATIC = get_symmetric_quantization_config()
PER_CHANNEL = get_symmetric_quantization_config(is_per_channel=True)
DYNAMIC = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=True)


def test_global_config_quantizes_everything():
    kinds = _annotations(XNNPACKQuantizer().set_global(STATIC))
    assert set(kinds.values()) == {"per_tensor"} and len(kinds) == 5


def test_module_name_beats_module_type_beats_operator_type_beats_global():
    q = (XNNPACKQuantizer().set_global(STATIC)
         .set_operator_type(aten.linear.default, DYNAMIC)
         .set_module_type(Block, PER_CHANNEL)
         .set_module_name("second.fc", DYNAMIC)
         .set_module_name("second.conv", None))
    assert _annotations(q) == {
        "first.conv": "per_channel", "first.fc": "per_channel",  # module type
        "second.conv": None, "second.fc": "dynamic",  # module names
        "head": "dynamic",  # operator type
    }


def test_operator_type_packet_and_none_scopes():
    q = (XNNPACKQuantizer().set_global(STATIC)
         .set_operator_type(aten.conv2d, None)  # an overload packet selects its overloads
         .set_module_type(nn.Linear, PER_CHANNEL))
    kinds = _annotations(q)
    assert kinds["first.conv"] is None and kinds["second.conv"] is None
    assert kinds["head"] == kinds["first.fc"] == "per_channel"


def test_set_filter_function():
    q = XNNPACKQuantizer().set_global(STATIC).set_filter_function(
        lambda n: n.target != aten.linear.default)
    kinds = _annotations(q)
    assert kinds["head"] is None and kinds["first.conv"] == "per_tensor"


def test_mixed_scopes_match_executorch():
    """A module type set to dynamic, the rest static: ExecuTorch's result."""
    pytest.importorskip("executorch")
    from executorch.backends.xnnpack.quantizer import xnnpack_quantizer as et

    model, data = _make("mlp")
    theirs = _quantize(model, data, et.XNNPACKQuantizer()
                       .set_global(et.get_symmetric_quantization_config())
                       .set_module_name("fc2", et.get_symmetric_quantization_config(
                           is_per_channel=True, is_dynamic=True)))
    ours = _quantize(model, data, XNNPACKQuantizer().set_global(STATIC)
                     .set_module_name("fc2", DYNAMIC))
    _assert_same_qdq(_qdq_rows(ours), _qdq_rows(theirs))


# -- QAT, calibration, errors --------------------------------------------------

def test_qat_annotates_conv_bn_relu_before_folding():
    """QAT graphs keep the batch norm until prepare_qat_pt2e folds it: the
    conv's inputs and the relu's output (after the norm) are fake-quantized.
    (Converted QAT graphs were checked equal to ExecuTorch's by hand;
    prepare_qat_pt2e is too slow for this suite.)"""
    config = get_symmetric_quantization_config(is_qat=True, is_per_channel=True)
    gm = torch.export.export(SmallCNN().train(), (torch.randn(2, 3, 16, 16),)).module()
    q = XNNPACKQuantizer().set_global(config)
    q.annotate(gm)
    conv = next(n for n in gm.graph.nodes if n.target == aten.conv2d.default)
    bn = next(iter(conv.users))
    relu = next(iter(bn.users))
    assert bn.target == aten.batch_norm.default and relu.target == aten.relu.default
    ann = conv.meta[ANNOTATION]
    assert ann.output_qspec is None
    assert ann.input_qspec_map[conv.args[0]] is config.input_activation
    assert ann.input_qspec_map[conv.args[1]] is config.weight
    assert ANNOTATION not in bn.meta
    assert relu.meta[ANNOTATION].output_qspec is config.output_activation


def _prepared_mlp():
    model, data = _make("mlp")
    q = XNNPACKQuantizer().set_global(STATIC)
    return prepare_pt2e(torch.export.export(model, data[0]).module(), q), data


def test_calibrate_without_progress(capsys):
    prepared, data = _prepared_mlp()
    assert calibrate(prepared, data, progress=False) == 3
    assert calibrate(prepared, [d[0] for d in data], progress=False) == 3  # bare tensors
    assert "Calibrating" not in capsys.readouterr().err


def test_calibrate_with_progress(monkeypatch):
    import tqdm.auto

    prepared, data = _prepared_mlp()
    class Terminal(io.StringIO):  # tqdm hides its bar when the output is not a TTY
        def isatty(self) -> bool:
            return True

    out = Terminal()
    real = tqdm.auto.tqdm
    monkeypatch.setattr("ember.quantizer.calibration.tqdm",
                        lambda *a, **k: real(*a, **{**k, "file": out}))
    assert calibrate(prepared, iter(data), progress=True) == 3  # no len(): no total
    assert "Calibrating" in out.getvalue() and "3" in out.getvalue()
    # The observers saw the data: convert gives real (non-default) scales.
    scales = {n.args[1] for n in convert_pt2e(prepared).graph.nodes
              if getattr(n.target, "__name__", "") == "quantize_per_tensor.default"}
    assert scales and all(0 < s < 1 for s in scales)


def test_bad_inputs_error_clearly():
    with pytest.raises(ValueError, match="act_qmin"):
        get_symmetric_quantization_config(act_qmin=10, act_qmax=5)
    with pytest.raises(ValueError, match="int8"):
        get_symmetric_quantization_config(weight_qmin=-200)
    with pytest.raises(TypeError, match="is_dynamic"):
        get_symmetric_quantization_config(is_dynamic="yes")
    with pytest.raises(TypeError, match="QuantizationConfig"):
        XNNPACKQuantizer().set_global({"is_per_channel": True})
    with pytest.raises(TypeError, match="aten op"):
        XNNPACKQuantizer().set_operator_type("linear", STATIC)
    with pytest.raises(ValueError, match="patterns"):
        XNNPACKQuantizer("tflite")
    model, data = _make("mlp")
    with pytest.raises(ValueError, match="eval"):
        quantize_pt2e(model.train(), data[0], XNNPACKQuantizer().set_global(STATIC), data)
    with pytest.raises(ValueError, match="calibration_data"):
        quantize_pt2e(model.eval(), data[0], XNNPACKQuantizer().set_global(STATIC), [])
    with pytest.raises(TypeError, match="calibration item 0"):
        calibrate(_prepared_mlp()[0], [{"x": data[0][0]}], progress=False)


def test_validate_rejects_what_int8_kernels_cannot_run():
    import dataclasses

    bad = dataclasses.replace(STATIC, input_activation=dataclasses.replace(
        STATIC.input_activation, dtype=torch.int16, quant_min=-32768, quant_max=32767))
    with pytest.raises(ValueError, match=r"conv2d.*input x.*int16"):
        _annotations(XNNPACKQuantizer().set_global(bad))


def test_dynamic_needs_no_calibration_and_is_dynamic():
    model, data = _make("mlp")
    ep = quantize_pt2e(model, data[0], XNNPACKQuantizer().set_global(DYNAMIC), None,
                       progress=False)
    targets = [n.target.__name__ for n in ep.graph.nodes
               if getattr(n.target, "namespace", "") == "quantized_decomposed"]
    assert targets.count("choose_qparams.tensor") == 2
    assert targets.count("dequantize_per_channel.default") == 2
