"""The patterns XNNPACKQuantizer annotates, one annotator each.

Each annotator walks the graph for its anchor ops (conv, linear, add, ...) and
annotates the ones the scope's filter keeps and no earlier scope claimed. Two
rule sets: "executorch" annotates exactly what ExecuTorch 1.4's
XNNPACKQuantizer does on a torch.export graph (so its graphs are identical);
"ember" (the default) annotates more, where Ember's int8 kernels run the op
quantized (see `EMBER_ONLY` below and docs/quantization.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch.fx import GraphModule, Node
from torchao.quantization.pt2e.quantizer import (
    FixedQParamsQuantizationSpec,
    QuantizationConfig,
    QuantizationSpec,
    QuantizationSpecBase,
    SharedQuantizationSpec,
)

from ._nodes import (
    ADD_OPS,
    BATCH_NORM_OPS,
    CAT_OPS,
    CLAMP_OPS,
    CONV_OPS,
    CONV_TRANSPOSE_OPS,
    EMBER_SHARING_OPS,
    EXECUTORCH_SHARING_OPS,
    LINEAR_OPS,
    MATMUL_OPS,
    MUL_OPS,
    RELU_OPS,
    NodeFilter,
    annotate,
    aten,
    conv_groups,
    has_quantized_source,
    is_annotated,
    is_float_activation,
    is_op,
    output_spec,
    share_input,
    sole_user,
    tensor_of,
)
from .config import is_dynamic_config


@dataclass(frozen=True)
class Rules:
    """What differs between the two rule sets."""

    name: str
    fused_activations: frozenset[object]  # clamps folded into conv/linear/add/mul
    sharing_ops: frozenset[object]  # ops whose output reuses their input's qparams
    # A conv whose only user is a relu outside the scope: ExecuTorch leaves it
    # float; Ember quantizes the conv alone (the relu then shares its qparams).
    conv_alone_before_relu: bool


EXECUTORCH_RULES = Rules("executorch", RELU_OPS, EXECUTORCH_SHARING_OPS, False)
EMBER_RULES = Rules("ember", CLAMP_OPS, EMBER_SHARING_OPS, True)

# Anchor ops of the pool annotator (Ember only): quantized even when their
# producer is not, as ExecuTorch means to for adaptive_avg_pool2d (its
# annotator looks for a source_fn_stack that torch.export no longer records).
# Clamps and views are quantized only after a quantized op (propagate_sharing):
# after a float op they would add a quantize and gain nothing.
EMBER_POOL_OPS = frozenset({
    aten.max_pool2d.default, aten.avg_pool2d.default, aten.adaptive_avg_pool2d.default,
    aten.mean.dim, aten.mean.default,
})

Annotator = Callable[[GraphModule, QuantizationConfig, NodeFilter, frozenset, Rules], None]


def _act(config: QuantizationConfig) -> QuantizationSpec | None:
    return config.input_activation


def _input(src: object, config: QuantizationConfig) -> QuantizationSpecBase | None:
    """The spec of an activation input edge. An input with fixed qparams (a
    sigmoid's) is read as it is, not requantized to a scale of its own."""
    if isinstance(output_spec(src), FixedQParamsQuantizationSpec):
        return SharedQuantizationSpec(src)  # type: ignore[arg-type]
    return _act(config)


def _weight(config: QuantizationConfig, conv: Node | None = None) -> QuantizationSpec | None:
    spec = config.weight
    # A transposed conv's weight is [C_in, C_out / groups, ...]: its output
    # channels are axis 1.
    if spec is not None and conv is not None and conv.target in CONV_TRANSPOSE_OPS:
        spec = replace(spec, ch_axis=1)
    return spec


def _weighted_inputs(node: Node, config: QuantizationConfig) -> dict[Node, object]:
    """Input, weight and bias specs of a conv or linear node."""
    inputs: dict[Node, object] = {node.args[0]: _input(node.args[0], config),
                                  node.args[1]: _weight(config, node)}
    if len(node.args) > 2 and isinstance(node.args[2], Node):
        inputs[node.args[2]] = config.bias
    return inputs


def _fusable_activation(node: Node, keep: NodeFilter, rules: Rules) -> Node | None:
    act = sole_user(node)
    if is_op(act, rules.fused_activations) and keep(act) and not is_annotated(act):
        return act
    return None


def _calls(gm: GraphModule, anchors: frozenset, keep: NodeFilter):
    for node in list(gm.graph.nodes):
        if is_op(node, anchors) and not is_annotated(node) and keep(node):
            yield node


def annotate_conv(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """conv1d/2d/3d and conv_transpose, with a fused clamp when it is the
    conv's only user. Dynamic configs: 2-d, not depthwise, not before a relu
    (ExecuTorch's dynamic set)."""
    dynamic = is_dynamic_config(config)
    for conv in _calls(gm, anchors, keep):
        transposed = conv.target in CONV_TRANSPOSE_OPS
        if transposed and conv_groups(conv, True) != 1:
            continue  # XNNPACK's int8 deconvolution is not grouped
        weight = tensor_of(conv.args[1], gm)
        if dynamic:
            if is_op(sole_user(conv), RELU_OPS) or weight is None or weight.dim() != 4:
                continue
            if not transposed and weight.shape[1] == 1:
                continue  # depthwise: no dynamically quantized kernel
            annotate(conv, _weighted_inputs(conv, config))
            continue
        act = _fusable_activation(conv, keep, rules)
        if act is not None:
            annotate(conv, _weighted_inputs(conv, config))
            annotate(act, output=config.output_activation)
        elif rules.conv_alone_before_relu or not is_op(sole_user(conv), RELU_OPS):
            annotate(conv, _weighted_inputs(conv, config), config.output_activation)


def annotate_conv_bn(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """QAT only: conv -> batch_norm (-> relu), before prepare_qat_pt2e folds
    the norm into the conv. The conv's inputs and the last op's output."""
    for conv in _calls(gm, anchors, keep):
        bn = sole_user(conv)
        if not is_op(bn, BATCH_NORM_OPS) or not keep(bn) or is_annotated(bn):
            continue
        if conv.target in CONV_TRANSPOSE_OPS and conv_groups(conv, True) != 1:
            continue
        last = bn
        relu = sole_user(bn)
        if is_op(relu, RELU_OPS) and keep(relu) and not is_annotated(relu):
            last = relu
        annotate(conv, _weighted_inputs(conv, config))
        annotate(last, output=config.output_activation)


def annotate_linear(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """linear, with a fused clamp when it is the linear's only user. Dynamic
    configs quantize the input at run time and leave the output float."""
    for linear in _calls(gm, anchors, keep):
        act = None if is_dynamic_config(config) else _fusable_activation(linear, keep, rules)
        if act is not None:
            annotate(linear, _weighted_inputs(linear, config))
            annotate(act, output=config.output_activation)
        else:
            annotate(linear, _weighted_inputs(linear, config), config.output_activation)


def annotate_binary(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """add and mul of two activations (or an activation and a constant), with
    a fused clamp. Left float if an operand is not an fp32 tensor or a
    constant beyond the histogram's range (an additive -inf mask)."""
    for node in _calls(gm, anchors, keep):
        operands = [a for a in node.args[:2] if isinstance(a, Node)]
        if not operands or not all(is_float_activation(a, gm) for a in operands):
            continue
        inputs = {a: _input(a, config) for a in operands}
        act = _fusable_activation(node, keep, rules)
        if act is not None:
            annotate(node, inputs)
            annotate(act, output=config.output_activation)
        else:
            annotate(node, inputs, config.output_activation)


def annotate_cat(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """cat: every input and the output on one scale, so the int8 kernel copies
    bytes. The scale is that of the first input that is already quantized
    (looking back through views), so no requantization is needed there."""
    for cat in _calls(gm, anchors, keep):
        inputs = cat.args[0]
        if not inputs or not all(is_float_activation(a, gm) for a in inputs):
            continue
        source = next((a for a in inputs if has_quantized_source(a, rules.sharing_ops)),
                      inputs[0])
        shared = SharedQuantizationSpec((source, cat))
        qmap: dict[Node, QuantizationSpecBase | None] = {a: shared for a in inputs}
        qmap[source] = _input(source, config)
        annotate(cat, qmap, shared)


def annotate_matmul(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """Ember only: matmul/bmm/mm of two activations (attention's Q @ K^T and
    P @ V), both operands and the result per tensor."""
    for node in _calls(gm, anchors, keep):
        operands = node.args[:2]
        if all(is_float_activation(a, gm) for a in operands):
            annotate(node, {a: _input(a, config) for a in operands}, config.output_activation)


def annotate_unary(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """Ember only: hardswish and sigmoid, input and output quantized. A
    sigmoid's output has the fixed qparams of [0, 1) (scale 1/256 over int8),
    which the int8 sigmoid kernel requires."""
    act = _act(config)
    for node in _calls(gm, anchors, keep):
        src = node.args[0]
        if act is None or not is_float_activation(src, gm):
            continue
        out: QuantizationSpecBase | None = config.output_activation
        if node.target == aten.sigmoid.default and out is not None:
            out = FixedQParamsQuantizationSpec(
                dtype=act.dtype, scale=1.0 / (act.quant_max - act.quant_min + 1),
                zero_point=act.quant_min, quant_min=act.quant_min, quant_max=act.quant_max,
                qscheme=torch.per_tensor_affine)
        annotate(node, {src: _input(src, config)}, out)


def annotate_pool(gm: GraphModule, config: QuantizationConfig, keep: NodeFilter,
        anchors: frozenset[object], rules: Rules) -> None:
    """Ember only: max/avg pools and means; the output reuses the input's
    qparams (a mean or max of int8 values on one scale needs no other)."""
    act = _act(config)
    for node in _calls(gm, anchors, keep):
        src = node.args[0]
        if act is not None and is_float_activation(src, gm):
            share_input(node, src, act)


def propagate_sharing(gm: GraphModule, rules: Rules) -> None:
    """After all scopes: views, pools and clamps right after a quantized op
    reuse its qparams, so the quantized region continues through them."""
    for node in gm.graph.nodes:
        if not is_op(node, rules.sharing_ops) or is_annotated(node):
            continue
        src = node.args[0]
        if output_spec(src) is not None:
            shared = SharedQuantizationSpec(src)
            annotate(node, {src: shared}, shared)


@dataclass(frozen=True)
class Pattern:
    """One annotator and when it runs: for which anchor ops (what
    set_operator_type selects) and for which kinds of config."""

    name: str
    annotator: Annotator
    anchors: frozenset[object]
    static: bool = True
    dynamic: bool = False
    qat_only: bool = False

    def anchors_for(self, op: object | None) -> frozenset[object]:
        """The anchors selected by an operator type (an OpOverload or its
        packet, e.g. torch.ops.aten.linear), or all of them for None."""
        if op is None:
            return self.anchors
        return frozenset(a for a in self.anchors
                         if a is op or getattr(a, "overloadpacket", None) is op)


_CONV_BN = [Pattern("conv_bn", annotate_conv_bn, CONV_OPS, qat_only=True),
            Pattern("conv_transpose_bn", annotate_conv_bn, CONV_TRANSPOSE_OPS, qat_only=True)]
_COMMON = [
    Pattern("linear", annotate_linear, LINEAR_OPS, dynamic=True),
    Pattern("conv", annotate_conv, CONV_OPS, dynamic=True),
    Pattern("conv_transpose", annotate_conv, CONV_TRANSPOSE_OPS, dynamic=True),
    Pattern("add", annotate_binary, ADD_OPS),
    Pattern("mul", annotate_binary, MUL_OPS),
    Pattern("cat", annotate_cat, CAT_OPS),
]
_MATMUL = Pattern("matmul", annotate_matmul, MATMUL_OPS)
# Before add and mul, so that these read a sigmoid's fixed qparams as they are.
_UNARY = Pattern("hardswish_sigmoid", annotate_unary,
                 frozenset({aten.hardswish.default, aten.sigmoid.default}))
_POOL = Pattern("pool", annotate_pool, EMBER_POOL_OPS)
EMBER_ONLY = [_MATMUL, _UNARY, _POOL]
EXECUTORCH_PATTERNS = _CONV_BN + _COMMON
EMBER_PATTERNS = _CONV_BN + _COMMON[:3] + [_MATMUL, _UNARY] + _COMMON[3:] + [_POOL]


def patterns_for(rules: Rules) -> list[Pattern]:
    return EMBER_PATTERNS if rules is EMBER_RULES else EXECUTORCH_PATTERNS
