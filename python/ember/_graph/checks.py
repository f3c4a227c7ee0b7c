"""The checks made before any other work: no size depends on the input's
values, and every operator is one Ember has (or one constant folding
evaluates), with every missing one named in a single error."""

from __future__ import annotations

import operator
from collections import defaultdict

import torch
from torch.export import ExportedProgram
from torch.fx.experimental.symbolic_shapes import free_unbacked_symbols

from .. import _C
from ..errors import CompileError, UnsupportedOpError
from .folding import fold_plan
from .fx import is_assertion, op_name, source_loc
from .rewrites import REWRITES
from .sizes import SIZE_OPS, SYM_FNS, is_size_node


def _supported() -> set[str]:
    return {op["aten"] for op in _C.edge_ops()} | {op_name(t) for t in REWRITES}


def _check_static_sizes(programs: dict[str, ExportedProgram]) -> None:
    """Raise CompileError at the first op whose output size depends on the
    input's values (an unbacked size, e.g. x[mask]): static shapes cannot
    express it, and the sym_size/assert nodes export adds for it would
    otherwise be reported as missing operators."""
    for ep in programs.values():
        for node in ep.graph.nodes:
            val = node.meta.get("val") if node.op == "call_function" else None
            vals = val if isinstance(val, (tuple, list)) else [val]
            if any(isinstance(v, torch.Tensor) and free_unbacked_symbols(v) for v in vals):
                raise CompileError(
                    f"{op_name(node.target)} at {source_loc(node)}: its output size depends on "
                    "the input's values (e.g. x[mask] with a bool mask, nonzero, masked_select), "
                    "and Ember needs every size to follow from the input sizes; keep the shape "
                    "with "
                    "torch.where(mask, x, other) or x.masked_fill(~mask, value)")


def check_supported(programs: dict[str, ExportedProgram], fold_constants: bool = True) -> None:
    """Raise UnsupportedOpError naming every operator Ember lacks, with counts
    and source lines, before any other work (and CompileError first for an
    output whose size depends on the data). Operators that constant folding
    evaluates at compile time need no kernel."""
    _check_static_sizes(programs)
    supported = _supported()
    missing: dict[str, list[str]] = defaultdict(list)
    for ep in programs.values():
        folded = fold_plan(ep) if fold_constants else set()
        for node in ep.graph.nodes:
            if (node.op != "call_function" or node.target is operator.getitem
                    or is_assertion(node) or node in folded):
                continue
            if is_size_node(node):
                if node.target not in SIZE_OPS and node.target not in SYM_FNS:
                    missing[f"{op_name(node.target)} (on sizes)"].append(str(source_loc(node)))
                continue
            name = op_name(node.target)
            if name not in supported:
                missing[name].append(str(source_loc(node)))
    if not missing:
        return
    lines = [f"Ember cannot compile {len(missing)} operator(s) used by this model yet:"]
    for name, locs in sorted(missing.items()):
        shown = ", ".join(sorted(set(locs))[:5])
        lines.append(f"  {name} ({len(locs)} use{'s' if len(locs) > 1 else ''}) at {shown}")
    lines.append("Supported operators are listed in docs/ops.md.")
    raise UnsupportedOpError("\n".join(lines), dict(missing))

