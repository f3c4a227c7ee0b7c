"""Sizes: the upper bound every size is given at, and which values are
computed from sizes at run time.

A program exported with dynamic shapes is built at its upper bound: each
size symbol at the maximum of its range, checked to be where every tensor
size is largest, so that every tensor type is static and one memory plan
covers every call. The graph's SymInt arithmetic is kept for run time
(builder.py turns it into `Sym`s, edge.sym_* ops in the IR).
"""

from __future__ import annotations

import math
import operator
from typing import Any

import sympy
import torch
from torch.export import ExportedProgram
from torch.utils._sympy.numbers import int_oo
from torch.utils._sympy.value_ranges import bound_sympy

from ..errors import CompileError

# Functions of sizes the runtime computes (edge.sym_op's functions).
SYM_FNS = {
    operator.add: "add", operator.sub: "sub", operator.mul: "mul",
    operator.floordiv: "floordiv", operator.truediv: "truediv", operator.mod: "mod",
    operator.neg: "neg", torch.sym_float: "sym_float", torch.sym_int: "trunc",
    math.trunc: "trunc", math.ceil: "ceil", round: "round",
}
# ATen ops that read a size.
SIZE_OPS = {torch.ops.aten.sym_size.int, torch.ops.aten.sym_numel.default}
SYM_TYPES = (torch.SymInt, torch.SymFloat, torch.SymBool)


def _finite(x: Any) -> bool:
    return x not in (int_oo, -int_oo, sympy.oo, -sympy.oo) and bool(x.is_finite)


def varies(value: Any) -> bool:
    """Whether a SymInt/SymFloat depends on a size symbol (not a constant in disguise)."""
    return isinstance(value, SYM_TYPES) and not sympy.sympify(value.node.expr).is_number


def is_size_node(node: torch.fx.Node) -> bool:
    """A node computing a number (a size or arithmetic on sizes), not a tensor."""
    return node.op == "call_function" and isinstance(
        node.meta.get("val"), (*SYM_TYPES, int, float, bool))


class Sizes:
    """The size symbols of one exported program and their ranges."""

    def __init__(self, ep: ExportedProgram):
        self.ranges = dict(ep.range_constraints)

    def upper(self, value: Any, where: str, is_size: bool = False) -> int | float:
        """`value` (an int, float, SymInt or SymFloat) with every size symbol
        at its maximum: the one assignment at which the whole graph is given
        (tensor sizes and the arguments that produce them agree). A tensor
        size (`is_size`) must also be largest there, as s0 * 4 or s0 - 1 are
        and 10 - s0 is not: every tensor is planned at the size this gives."""
        if not isinstance(value, SYM_TYPES):
            return value
        expr = sympy.sympify(value.node.expr)
        if expr.is_number:
            return float(expr) if value.node.is_float() else int(expr)
        for sym in sorted(expr.free_symbols, key=str):
            r = self.ranges.get(sym)
            if r is None or not _finite(r.upper):
                raise CompileError(
                    f"{where}: size {expr} has no upper bound ({sym} is unbounded); give every "
                    "dynamic dim a maximum, e.g. torch.export.Dim('seq', max=2048)")
        at_max = expr.xreplace({sym: self.ranges[sym].upper for sym in expr.free_symbols})
        if is_size:
            bound = bound_sympy(expr, {sym: self.ranges[sym] for sym in expr.free_symbols}).upper
            if not _finite(bound) or sympy.simplify(bound - at_max) != 0:
                raise CompileError(
                    f"{where}: size {expr} is not largest when its symbols are at their maxima "
                    f"({at_max} there, up to {bound} elsewhere), so it cannot be planned at "
                    "its upper bound")
        return float(at_max) if value.node.is_float() else int(at_max)
