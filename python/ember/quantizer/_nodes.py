"""Graph helpers for the annotators: which node is which op, what it holds,
and how an annotation is attached.

An annotation says, for one node, how each of its float inputs and its output
are observed; `prepare_pt2e` turns it into observers and `convert_pt2e` into
quantize/dequantize pairs. A node whose annotation is marked done is never
annotated again, which is how a narrower scope (a module name) takes
precedence over a wider one (the global config): it is annotated first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch.fx import GraphModule, Node
from torchao.quantization.pt2e.quantizer import (
    QuantizationAnnotation,
    QuantizationSpecBase,
    SharedQuantizationSpec,
)

NodeFilter = Callable[[Node], bool]

# torchao's key for the annotation in node.meta (public in its annotators'
# contract, though only exported from a private module).
ANNOTATION_KEY = "quantization_annotation"

aten = torch.ops.aten

CONV_OPS = frozenset({
    aten.conv1d.default, aten.conv1d.padding, aten.conv2d.default, aten.conv2d.padding,
    aten.conv3d.default, aten.conv3d.padding,
})
CONV_TRANSPOSE_OPS = frozenset({
    aten.conv_transpose1d.default, aten.conv_transpose2d.input, aten.conv_transpose3d.input,
})
LINEAR_OPS = frozenset({aten.linear.default})
ADD_OPS = frozenset({aten.add.Tensor, aten.add_.Tensor})
MUL_OPS = frozenset({aten.mul.Tensor, aten.mul_.Tensor})
CAT_OPS = frozenset({aten.cat.default})
MATMUL_OPS = frozenset({aten.matmul.default, aten.bmm.default, aten.mm.default})
BATCH_NORM_OPS = frozenset({aten.batch_norm.default, aten._native_batch_norm_legit.default})
RELU_OPS = frozenset({aten.relu.default, aten.relu_.default})
# Activations an int8 conv, linear or add applies as its output clamp: the
# quantized op writes its clamped result, no requantization in between.
CLAMP_OPS = RELU_OPS | frozenset({
    aten.relu6.default, aten.hardtanh.default, aten.hardtanh_.default, aten.clamp.default,
})

# Ops whose output range lies within their input's, so the output can reuse
# the input's scale and zero point exactly: the int8 kernel copies, moves or
# clamps values without requantizing.
VIEW_OPS = frozenset({
    aten.view.default, aten.view_copy.default, aten.reshape.default, aten.flatten.using_ints,
    aten.permute.default, aten.permute_copy.default, aten.transpose.int,
    aten.squeeze.dim, aten.squeeze_copy.dim, aten.slice_copy.Tensor,
})
POOL_OPS = frozenset({
    aten.max_pool2d.default, aten.mean.default, aten.mean.dim,
    aten.adaptive_avg_pool2d.default,
})
# What ExecuTorch 1.4's XNNPACKQuantizer lets follow an annotated producer.
EXECUTORCH_SHARING_OPS = (VIEW_OPS | POOL_OPS
                          | frozenset({aten.relu.default, aten.hardtanh.default,
                                       aten.hardtanh_.default}))
# Ember's: the same, and the other view ops and the average pools.
EMBER_SHARING_OPS = EXECUTORCH_SHARING_OPS | frozenset({
    aten.squeeze.default, aten.squeeze.dims, aten.unsqueeze.default,
    aten.avg_pool2d.default, aten.relu6.default, aten.clamp.default,
})

# HistogramObserver bins with torch.histc, which fails on values beyond this.
_HISTC_LIMIT = 3.4028235e15


def is_op(node: object, ops: Iterable[object]) -> bool:
    return isinstance(node, Node) and node.op == "call_function" and node.target in ops


def sole_user(node: Node) -> Node | None:
    """The one node reading `node`, or None if it has several (or none)."""
    return next(iter(node.users)) if len(node.users) == 1 else None


def tensor_of(node: Node, gm: GraphModule | None = None) -> torch.Tensor | None:
    """The (fake) value `node` holds: its traced metadata, or for a get_attr
    without it, the module attribute itself."""
    val = node.meta.get("val")
    if isinstance(val, torch.Tensor):
        return val
    if node.op == "get_attr" and gm is not None:
        attr = _get_attr(gm, str(node.target))
        return attr if isinstance(attr, torch.Tensor) else None
    return None


def _get_attr(gm: GraphModule, path: str) -> object:
    obj: object = gm
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


def is_float_activation(node: object, gm: GraphModule) -> bool:
    """Whether `node` is an fp32 tensor an observer can watch: not an integer
    tensor (indices, masks) and not a constant too large for the histogram
    (an additive mask of -inf or -1e30)."""
    if not isinstance(node, Node):
        return False
    val = tensor_of(node, gm)
    if val is None or val.dtype != torch.float32:
        return False
    if node.op == "get_attr" and val.numel() == 1:
        real = _get_attr(gm, str(node.target))
        if isinstance(real, torch.Tensor) and not abs(float(real)) <= _HISTC_LIMIT:
            return False
    return True


def is_annotated(node: Node) -> bool:
    ann = node.meta.get(ANNOTATION_KEY)
    return ann is not None and ann._annotated


def output_spec(node: object) -> QuantizationSpecBase | None:
    """The spec `node`'s output is quantized with, if it has been annotated."""
    if not isinstance(node, Node):
        return None
    ann = node.meta.get(ANNOTATION_KEY)
    return ann.output_qspec if ann is not None and ann._annotated else None


def annotate(node: Node, inputs: dict[Node, QuantizationSpecBase | None] | None = None,
             output: QuantizationSpecBase | None = None) -> None:
    """Attach an annotation to `node` and mark it done. None specs are left
    out: an input without a spec is not quantized."""
    qmap = {k: v for k, v in (inputs or {}).items() if v is not None}
    node.meta[ANNOTATION_KEY] = QuantizationAnnotation(
        input_qspec_map=qmap, output_qspec=output, _annotated=True)


def share_input(node: Node, src: Node, input_spec: QuantizationSpecBase) -> None:
    """Annotate an op whose output reuses its input's qparams: the input
    edge gets `input_spec` (or the producer's own output observer, if it has
    one) and the output shares that edge's observer."""
    if output_spec(src) is not None:
        input_spec = SharedQuantizationSpec(src)
    annotate(node, {src: input_spec}, SharedQuantizationSpec((src, node)))


def has_quantized_source(node: object, sharing_ops: frozenset[object]) -> bool:
    """Whether `node`, looking back through qparam-sharing ops, comes from an
    op whose output is already quantized."""
    seen: set[Node] = set()
    while isinstance(node, Node) and node not in seen:
        seen.add(node)
        if output_spec(node) is not None:
            return True
        if not is_op(node, sharing_ops):
            return False
        node = node.args[0]
    return False


def conv_groups(conv: Node, transposed: bool) -> int:
    """The `groups` of a conv node, deduced from shapes (the traced call may
    leave it at its default and so not list it)."""
    weight = tensor_of(conv.args[1])  # type: ignore[arg-type]
    if transposed:  # weight [C_in, C_out / groups, ...]
        out = tensor_of(conv)
        if weight is None or out is None:
            return 1
        return out.shape[1] // weight.shape[1]
    x = tensor_of(conv.args[0])  # type: ignore[arg-type]
    if weight is None or x is None:  # weight [C_out, C_in / groups, ...]
        return 1
    return x.shape[1] // weight.shape[1]
