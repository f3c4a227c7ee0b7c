"""Constant folding: which nodes are evaluated at compile time (`fold_plan`)
and their evaluation by torch while the graph is built (`fold`).

A fold's result is stored in the .pte in place of the constants it reads, so
it is kept only when that does not make the file larger (see fold_plan)."""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind

from .builder import Builder
from .fx import is_assertion
from .rewrites import REWRITES

# A folded value is stored in the file in place of the constants it reads, so
# it is never larger in bytes than they are together: a dequantize or an
# int8 -> float conversion of a weight (4x) stays a run-time op, a transpose
# or a reshape (the same bytes) and a slice or a cast down (fewer) fold. A value
# built from sizes alone (an arange, a causal mask from comparisons) reads no
# constant; it folds if it is at most this many bytes.
_FOLD_FROM_SIZES = 1 << 18
# A fold that reads a constant of more than this many bytes which something not
# folded also reads is left to run time: both would be stored.
_FOLD_SHARED = 1 << 18


def fold_plan(ep: ExportedProgram) -> set[torch.fx.Node]:
    """The nodes constant folding evaluates at compile time: deterministic,
    non-mutating operators other than dequantize whose every input is a
    weight, an unmutated buffer, a lifted constant or another folded node,
    with static-shape tensor results no larger in bytes than the constants
    they are computed from (_FOLD_FROM_SIZES when those are none). A fold
    that reads a large constant which something not folded also reads is left
    to run time: both the constant and the folded result would be stored (a
    tied embedding and LM head would double)."""
    excluded: set[torch.fx.Node] = set()
    while True:
        folded, constant = _fold_candidates(ep, excluded)
        duplicating = {
            node for node in folded
            if any(_nbytes(i) > _FOLD_SHARED and any(u not in constant for u in i.users)
                   for i in node.all_input_nodes)}
        if not duplicating:
            return folded
        excluded |= duplicating


def _nbytes(node: torch.fx.Node) -> int:
    val = node.meta.get("val")
    vals = val if isinstance(val, (tuple, list)) else [val]
    return sum(v.numel() * v.element_size() for v in vals if isinstance(v, torch.Tensor))


def _is_dequantize(target: Any) -> bool:
    """A dequantize of any namespace (quantized_decomposed::dequantize_per_tensor,
    quantized_decomposed::dequantize_per_channel, torchao::dequantize_affine,
    aten::dequantize, ...): never folded, so that a quantized weight is never
    stored as the float tensor it stands for."""
    return (isinstance(target, torch._ops.OpOverload)
            and "dequantize" in target._schema.name.split("::")[-1])


def _fold_candidates(ep: ExportedProgram, excluded: set[torch.fx.Node]
                     ) -> tuple[set[torch.fx.Node], set[torch.fx.Node]]:
    """(nodes that can be folded, every constant node including those)."""
    sig = ep.graph_signature
    mutated = set(sig.buffers_to_mutate.values())
    const_kinds = (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR)
    specs = {s.arg.name: s for s in sig.input_specs}
    constant: set[torch.fx.Node] = set()
    folded: set[torch.fx.Node] = set()
    # Per constant node, the stored constants (placeholders) its value is computed from.
    sources: dict[torch.fx.Node, frozenset[torch.fx.Node]] = {}
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            spec = specs[node.name]
            if spec.kind in const_kinds and spec.target not in mutated:
                constant.add(node)
                sources[node] = frozenset([node])
            continue
        if node.op != "call_function" or node in excluded:
            continue
        if is_assertion(node):
            constant.add(node)  # dropped: it reads a constant but stores nothing
            continue
        if node.target is operator.getitem:
            if node.args[0] in folded:
                constant.add(node)
                sources[node] = sources[node.args[0]]
            continue
        target = node.target
        if not isinstance(target, torch._ops.OpOverload) or target in REWRITES:
            continue
        if (torch.Tag.nondeterministic_seeded in target.tags or target._schema.is_mutable
                or _is_dequantize(target)):
            continue
        inputs = node.all_input_nodes
        if any(n not in constant for n in inputs):
            continue
        vals = node.meta.get("val")
        outs = list(vals) if isinstance(vals, (tuple, list)) else [vals]
        if not all(isinstance(v, torch.Tensor) and all(isinstance(d, int) for d in v.shape)
                   for v in outs):
            continue
        read = frozenset().union(*(sources.get(n, frozenset()) for n in inputs))
        limit = sum(map(_nbytes, read)) if read else _FOLD_FROM_SIZES
        if _nbytes(node) > limit:
            continue
        folded.add(node)
        constant.add(node)
        sources[node] = read
    return folded, constant


def fold(b: Builder, node: torch.fx.Node) -> None:
    """Evaluate a node of the fold plan on the constant values it reads."""
    args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: b.values[n])
    with torch.no_grad():
        b.values[node] = node.target(*args, **kwargs)
    # Named after what it was computed from, e.g. "fc.weight.permute".
    inputs: list[torch.fx.Node] = []
    torch.fx.node.map_arg((node.args, node.kwargs), inputs.append)
    base = b.value_names[inputs[0]] if inputs else "_folded"
    b.value_names[node] = f"{base}.{node.target._schema.name.split('::')[-1]}"

