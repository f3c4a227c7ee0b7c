"""Rewrites of the ops that have no place in the Edge dialect, done while the
graph is built: split_with_sizes into slices and unbind into selects (no
list-valued results), alias into its input, and an as_strided that only
reinterprets dense memory into a view (any other is rejected, naming it)."""

from __future__ import annotations

from typing import Any

import sympy
import torch

from ..errors import CompileError
from .builder import Builder, emit
from .fx import op_name, source_loc
from .sizes import SYM_TYPES


def _rewrite_split(b: Builder, node: torch.fx.Node) -> list[int]:
    """split_with_sizes -> one slice per piece (no list-valued results)."""
    self_, sizes = node.args[0], node.args[1]
    dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
    if any(isinstance(size, torch.fx.Node) for size in sizes):
        raise CompileError(f"aten::split_with_sizes.default at {source_loc(node)}: split sizes "
                           "computed at run time are not supported")
    ids, start = [], 0
    for i, (size, val) in enumerate(zip(sizes, node.meta["val"], strict=True)):
        ids.append(emit(b, node, torch.ops.aten.slice.Tensor,
                         (self_, dim, start, start + size, 1), val, f"_{i}"))
        start += size
    return ids


def _rewrite_unbind(b: Builder, node: torch.fx.Node) -> list[int]:
    """unbind -> one select per piece."""
    self_ = node.args[0]
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    return [emit(b, node, torch.ops.aten.select.int, (self_, dim, i), val, f"_{i}")
            for i, val in enumerate(node.meta["val"])]


def _rewrite_alias(b: Builder, node: torch.fx.Node) -> int:
    """alias is the identity on values: the result is its input."""
    return b.tensor_ref(node.args[0], f"{op_name(node.target)} at {source_loc(node)}")


def _contiguous_strides(shape: list) -> list:
    """Dense strides of `shape` (ints or sympy expressions; a size-0 dim
    counts as 1, as torch's contiguous strides do)."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= sympy.Max(d, 1) if isinstance(d, sympy.Expr) and not d.is_number else max(d, 1)
    return strides[::-1]


def _sym_expr(value: Any) -> Any:
    """A size as a sympy expression (an int, or the expression a node computes)."""
    if isinstance(value, torch.fx.Node):
        value = value.meta.get("val")
    if isinstance(value, SYM_TYPES):
        return sympy.sympify(value.node.expr)
    return sympy.Integer(value) if isinstance(value, int) else value


def _rewrite_as_strided(b: Builder, node: torch.fx.Node) -> int:
    """as_strided that only reinterprets a dense tensor: the identity or a view.

    Ember's tensors are dense in their dim order, so an as_strided whose
    strides are the dense strides of its sizes (size-1 dims aside) over the
    same number of elements is a view; any other is rejected, naming it.
    Sizes computed at run time are compared as expressions: the view must be
    dense at every size, not only at the bound."""
    self_, size, stride = node.args[0], list(node.args[1]), list(node.args[2])
    offset = node.args[3] if len(node.args) > 3 else node.kwargs.get("storage_offset")
    sizes, strides = [_sym_expr(v) for v in size], [_sym_expr(v) for v in stride]
    src = self_.meta["val"]
    dense = _contiguous_strides(sizes)
    same = lambda a, c: sympy.simplify(a - c) == 0  # noqa: E731
    same_layout = all(same(st, ds) for n, st, ds in zip(sizes, strides, dense, strict=True)
                      if not same(n, 1))
    src_numel, numel = _sym_expr(src.numel()), _sym_expr(node.meta["val"].numel())
    if not same(_sym_expr(offset or 0), 0) or not same_layout or not same(src_numel, numel):
        raise CompileError(
            f"aten::as_strided.default at {source_loc(node)}: sizes {sizes} with strides "
            f"{strides} (storage offset {offset or 0}) over a {list(src.shape)} tensor is not a "
            "view of dense memory; only as_strided calls that reinterpret a dense tensor are "
            "supported")
    if len(sizes) == src.dim() and all(same(n, _sym_expr(d))
                                       for n, d in zip(sizes, src.shape, strict=True)):
        return _rewrite_alias(b, node)
    return emit(b, node, torch.ops.aten.view.default, (self_, size), node.meta["val"])


# Ops the front end rewrites into others (or removes) before import.
REWRITES = {
    torch.ops.aten.as_strided.default: _rewrite_as_strided,
    torch.ops.aten.split_with_sizes.default: _rewrite_split,
    torch.ops.aten.unbind.int: _rewrite_unbind,
    torch.ops.aten.alias.default: _rewrite_alias,
}
