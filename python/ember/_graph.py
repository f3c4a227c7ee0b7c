"""From a torch.export ExportedProgram to the plain graph the C++ importer takes.

This is the only place that reads FX graphs. It decomposes to core ATen, fills
every schema argument (defaults included) in schema order, resolves getitem on
multi-output ops, turns Python scalars passed where a schema wants a Tensor
into 0-d constants, and hands weights over as numpy views (no copy). Before any
of that it checks every operator against the Edge op table, so that a model
using ops Ember lacks fails at once with all of them named.

Dynamic shapes: every size is given at its upper bound (each size symbol at
the maximum of its range, checked to be where every size expression is
largest), tensors whose sizes vary are flagged, and the SymInt arithmetic of
the graph becomes run-time sizes ("syms") that the arguments refer to.
"""

from __future__ import annotations

import math
import operator
import os
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy
import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind
from torch.fx.experimental.symbolic_shapes import free_unbacked_symbols
from torch.utils._sympy.numbers import int_oo
from torch.utils._sympy.value_ranges import bound_sympy

from . import _C, _pytree
from .errors import CompileError, UnsupportedOpError

# torch dtype -> .pte ScalarType code.
SCALAR_TYPES = {
    torch.uint8: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.int64: 4,
    torch.float16: 5, torch.float32: 6, torch.float64: 7, torch.bool: 11, torch.bfloat16: 15,
}
MEMORY_FORMATS = {
    torch.contiguous_format: 0, torch.preserve_format: 1, torch.channels_last: 2,
    torch.channels_last_3d: 3,
}
_TORCH_DIR = os.path.dirname(torch.__file__)
# Export-time assertions about metadata (dtype, shape, value ranges). They
# produce nothing any other node uses, so they are dropped: dtypes and static
# shapes are fixed by the .pte, and the runtime checks a dynamic input
# against its upper bound (not the lower bounds or relations these assert).
_ASSERTIONS = {
    torch.ops.aten._assert_tensor_metadata.default,
    torch.ops.aten._assert_scalar.default,
    torch.ops.aten.sym_constrain_range_for_size.default,
    torch.ops.aten._assert_async.msg,
}


def _is_assertion(node: torch.fx.Node) -> bool:
    return node.op == "call_function" and node.target in _ASSERTIONS and not node.users
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')


@dataclass
class SourceLoc:
    file: str = ""
    line: int = 0
    function: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}" if self.file else "<unknown location>"


def source_loc(node: torch.fx.Node) -> SourceLoc:
    """The innermost frame of the node's stack trace that is the user's code
    (not inside torch itself)."""
    frames = [m for m in _FRAME.finditer(node.meta.get("stack_trace") or "")]
    user = [m for m in frames if not m.group("file").startswith(_TORCH_DIR)]
    m = (user or frames or [None])[-1]
    if m is None:
        return SourceLoc()
    return SourceLoc(m.group("file"), int(m.group("line")), m.group("func"))


def _supported() -> set[str]:
    return {op["aten"] for op in _C.edge_ops()} | {op_name(t) for t in _REWRITES}


# Functions of sizes the runtime computes (edge.sym_op's functions).
_SYM_FNS = {
    operator.add: "add", operator.sub: "sub", operator.mul: "mul",
    operator.floordiv: "floordiv", operator.truediv: "truediv", operator.mod: "mod",
    operator.neg: "neg", torch.sym_float: "sym_float", torch.sym_int: "trunc",
    math.trunc: "trunc", math.ceil: "ceil", round: "round",
}
# ATen ops that read a size.
_SIZE_OPS = {torch.ops.aten.sym_size.int, torch.ops.aten.sym_numel.default}
_SYM_TYPES = (torch.SymInt, torch.SymFloat, torch.SymBool)


def _finite(x: Any) -> bool:
    return x not in (int_oo, -int_oo, sympy.oo, -sympy.oo) and bool(x.is_finite)


def _varies(value: Any) -> bool:
    """Whether a SymInt/SymFloat depends on a size symbol (not a constant in disguise)."""
    return isinstance(value, _SYM_TYPES) and not sympy.sympify(value.node.expr).is_number


def _is_size_node(node: torch.fx.Node) -> bool:
    """A node computing a number (a size or arithmetic on sizes), not a tensor."""
    return node.op == "call_function" and isinstance(
        node.meta.get("val"), (*_SYM_TYPES, int, float, bool))


class _Sizes:
    """The size symbols of one exported program and their ranges."""

    def __init__(self, ep: ExportedProgram):
        self.ranges = dict(ep.range_constraints)

    def upper(self, value: Any, where: str, is_size: bool = False) -> int | float:
        """`value` (an int, float, SymInt or SymFloat) with every size symbol
        at its maximum: the one assignment at which the whole graph is given
        (tensor sizes and the arguments that produce them agree). A tensor
        size (`is_size`) must also be largest there, as s0 * 4 or s0 - 1 are
        and 10 - s0 is not: every tensor is planned at the size this gives."""
        if not isinstance(value, _SYM_TYPES):
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


def op_name(target: Any) -> str:
    """"aten::add.Tensor" for an OpOverload; a readable name otherwise."""
    if isinstance(target, torch._ops.OpOverload):
        return f"{target._schema.name}.{target._overloadname}"
    return getattr(target, "__name__", str(target))


_SDPA = torch.ops.aten.scaled_dot_product_attention.default
_SDPA_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _sdpa_args(node: torch.fx.Node) -> dict[str, Any]:
    """A scaled_dot_product_attention node's arguments by name, defaults filled in."""
    out = {}
    for i, arg in enumerate(_SDPA._schema.arguments):
        if not arg.kwarg_only and i < len(node.args):
            out[arg.name] = node.args[i]
        else:
            out[arg.name] = node.kwargs.get(arg.name, arg.default_value)
    return out


def _sdpa_fits(node: torch.fx.Node) -> bool:
    """Whether Ember's attention kernel (ember::sdpa.out) runs this call:
    query, key, value of [N, H, L, E], all float32, all float16 or all
    bfloat16, with key/value heads equal to the query's or dividing them
    (enable_gqa), a mask absent, bool or of the query's dtype and
    broadcastable to [N, H, L, S], not given with is_causal. Other calls are
    decomposed to core ATen (the math form) as before; torch's decomposition
    of a 16-bit call computes in float32 between casts."""
    a = _sdpa_args(node)
    vals = [a[name].meta.get("val") for name in ("query", "key", "value")]
    if not all(isinstance(v, torch.Tensor) and v.dim() == 4 and v.dtype == vals[0].dtype
               for v in vals) or vals[0].dtype not in _SDPA_DTYPES:
        return False
    q, k, v = vals
    if k.shape[0] != q.shape[0] or v.shape[0] != q.shape[0] or k.shape[1:3] != v.shape[1:3]:
        return False
    if k.shape[3] != q.shape[3]:
        return False
    if k.shape[1] != q.shape[1] and not (a["enable_gqa"] and q.shape[1] % k.shape[1] == 0):
        return False
    mask = a["attn_mask"]
    if mask is None:
        return True
    m = mask.meta.get("val") if isinstance(mask, torch.fx.Node) else None
    if not isinstance(m, torch.Tensor) or a["is_causal"] or m.dtype not in (torch.bool, q.dtype):
        return False
    scores = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
    return m.dim() <= 4 and all(d == 1 or d == scores[4 - m.dim() + i]
                                for i, d in enumerate(m.shape))


def _attention_calls(ep: ExportedProgram) -> list[torch.fx.Node]:
    """The program's scaled_dot_product_attention calls; one with dropout_p
    != 0 is an error naming its source line (training-mode attention, whose
    decomposition would draw random numbers)."""
    calls = [n for n in ep.graph.nodes if n.op == "call_function" and n.target is _SDPA]
    for node in calls:
        p = _sdpa_args(node)["dropout_p"]
        if isinstance(p, torch.fx.Node) or p != 0.0:
            raise CompileError(
                f"{op_name(_SDPA)} at {source_loc(node)}: dropout_p={p} is not supported "
                "(inference only); pass dropout_p=0.0, e.g. "
                "dropout_p=self.dropout if self.training else 0.0, and export in eval mode")
    return calls


def _kept_whole(ep: ExportedProgram, fuse_attention: bool) -> list:
    """Ops the decomposition must not break up, because Ember has an Edge op
    for them: scaled_dot_product_attention when every call of it fits
    Ember's kernel (see _sdpa_fits), and torchao's quantize/dequantize ops
    (registered as composite, so torch would otherwise turn them into the
    arithmetic the quantizer passes could no longer recognise)."""
    kept = []
    calls = _attention_calls(ep)
    if fuse_attention and calls and all(_sdpa_fits(node) for node in calls):
        kept.append(_SDPA)
    used = {n.target for n in ep.graph.nodes if n.op == "call_function"}
    kept += [t for t in used if isinstance(t, torch._ops.OpOverload)
             and t.namespace == "torchao" and t._schema.name.split("::")[-1] in _TORCHAO_OPS]
    return kept


# torchao's affine quantization ops that are Edge ops (exir/ops.yaml).
_TORCHAO_OPS = {"choose_qparams_affine", "quantize_affine", "dequantize_affine"}


def decompose(ep: ExportedProgram, fuse_attention: bool = True) -> ExportedProgram:
    """`ep` decomposed to core ATen (`ep.run_decompositions()`), keeping
    whole the ops _kept_whole names.

    With `fuse_attention`, torch's scaled_dot_product_attention is kept whole
    when every call of it fits Ember's attention kernel; otherwise it
    decomposes to the math form, which the ember-fuse-attention pass may
    still recognise.

    torch 2.13's run_decompositions deep-copies the program's module call
    graph, whose leaf treespecs are instances of the deprecated LeafSpec
    class, and copying one warns (a FutureWarning telling to stop using
    LeafSpec) on every call. Ember never uses LeafSpec; the warning is about
    torch's own code, so this one message, and only it, is not shown."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)`",
                                category=FutureWarning)
        kept = _kept_whole(ep, fuse_attention)
        if not kept:
            return ep.run_decompositions()
        table = torch.export.default_decompositions()
        for op in kept:
            table.pop(op, None)
        return ep.run_decompositions(table)


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
                    or _is_assertion(node) or node in folded):
                continue
            if _is_size_node(node):
                if node.target not in _SIZE_OPS and node.target not in _SYM_FNS:
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


def _tensor_meta(val: Any, where: str, sizes: _Sizes) -> tuple[int, list[int], bool]:
    """(dtype code, shape at the upper bound, whether the sizes vary)."""
    if not isinstance(val, torch.Tensor):
        raise CompileError(f"{where}: expected a tensor value, got {type(val).__name__}")
    if val.dtype not in SCALAR_TYPES:
        raise CompileError(f"{where}: dtype {val.dtype} is not supported")
    shape = [sizes.upper(d, f"{where}, dim {i}", is_size=True) for i, d in enumerate(val.shape)]
    dynamic = any(_varies(d) for d in val.shape)
    return SCALAR_TYPES[val.dtype], shape, dynamic


def _array(t: torch.Tensor) -> np.ndarray:
    """A C-contiguous numpy view of a CPU tensor (a copy only when it must be)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy()
    return t.contiguous().numpy()


@dataclass
class _Builder:
    """Accumulates one method's graph dict."""

    name: str
    sizes: _Sizes
    ids: dict[torch.fx.Node, Any] = field(default_factory=dict)
    next_id: int = 0
    inputs: list = field(default_factory=list)
    constants: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    # Constant values by node (weights, unmutated buffers, folded results);
    # one becomes a constant of the graph only when something not folded uses it.
    values: dict[torch.fx.Node, Any] = field(default_factory=dict)
    value_names: dict[torch.fx.Node, str] = field(default_factory=dict)
    # Run-time sizes, by the node (or literal) they compute.
    syms: list = field(default_factory=list)
    sym_ids: dict[Any, int] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add_constant(self, name: str, tensor: torch.Tensor, mutable: bool = False) -> int:
        """A weight or constant; `mutable` for a buffer the method updates."""
        cid = self.new_id()
        if tensor.dtype not in SCALAR_TYPES:
            raise CompileError(f"constant '{name}' has unsupported dtype {tensor.dtype}")
        self.constants.append(
            (cid, name, SCALAR_TYPES[tensor.dtype], list(tensor.shape), _array(tensor), mutable))
        return cid

    def tensor_ref(self, value: Any, where: str) -> int:
        if not isinstance(value, torch.fx.Node):
            raise CompileError(f"{where}: expected a tensor")
        if value not in self.ids and value in self.values:
            self.ids[value] = self.add_constant(self.value_names[value], self.values[value])
        ref = self.ids[value]
        if isinstance(ref, list):
            raise CompileError(f"{where}: a multi-output value used as one tensor")
        return ref

    def sym_ref(self, value: Any, where: str) -> int:
        """The id of the run-time size `value` computes (a node, or a literal
        operand of size arithmetic), describing it and what it reads first."""
        key = value if isinstance(value, torch.fx.Node) else (type(value), value)
        if key in self.sym_ids:
            return self.sym_ids[key]
        if not isinstance(value, torch.fx.Node):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise CompileError(f"{where}: {value!r} cannot be an operand of size arithmetic")
            desc: tuple = ("const", isinstance(value, float), value)
        else:
            val = value.meta.get("val")
            is_float = isinstance(val, (torch.SymFloat, float))
            here = f"{op_name(value.target)} at {source_loc(value)}"
            if isinstance(val, (torch.SymBool, bool)):
                raise CompileError(f"{here}: a condition on sizes used as a value is not "
                                   "supported (only int and float sizes are)")
            if value.target is torch.ops.aten.sym_size.int:
                tensor, dim = value.args[0], value.args[1]
                rank = tensor.meta["val"].dim()
                desc = ("size", False, self.tensor_ref(tensor, here), dim % rank if rank else 0)
            elif value.target is torch.ops.aten.sym_numel.default:
                desc = ("numel", False, self.tensor_ref(value.args[0], here))
            elif value.target in _SYM_FNS:
                operands = [self.sym_ref(a, here) for a in value.args]
                desc = ("op", is_float, _SYM_FNS[value.target], operands)
            else:
                known = ", ".join(sorted(set(_SYM_FNS.values())))
                raise CompileError(f"{here}: Ember cannot compute this function of sizes at "
                                   f"run time (it computes {known})")
        sid = len(self.syms)
        self.syms.append((desc[0], sid, *desc[1:]))
        self.sym_ids[key] = sid
        return sid

    def size_arg(self, value: Any, where: str) -> Any:
        """A SymInt/Scalar argument: a literal, or ("s", upper bound, sym id)
        when a node computes it at run time."""
        if not isinstance(value, torch.fx.Node):
            return value
        val = value.meta.get("val")
        if not _varies(val):
            return self.sizes.upper(val, where)
        return ("s", self.sizes.upper(val, where), self.sym_ref(value, where))


def _convert_arg(b: _Builder, arg: torch.Argument, value: Any, node: torch.fx.Node,
                 target: Any) -> Any:
    where = f"{op_name(target)} argument '{arg.name}' at {source_loc(node)}"
    t = arg.type
    real = t.getElementType() if isinstance(t, torch.OptionalType) else t
    if value is None:
        return None
    if isinstance(real, torch.TensorType):
        if isinstance(value, torch.fx.Node) and _is_size_node(value):
            return ("t", _size_tensor(b, value, node, where))
        if isinstance(value, torch.fx.Node):
            return ("t", b.tensor_ref(value, where))
        if isinstance(value, (bool, int, float)):
            # A Python scalar where ATen wants a Tensor: a 0-d constant of the
            # dtype torch's promotion gives (mul(x, 2) on float x stays float).
            others = [a for a in node.args if isinstance(a, torch.fx.Node)]
            ref = others[0].meta["val"] if others else None
            dtype = torch.result_type(ref, value) if ref is not None else \
                torch.tensor(value).dtype
            # Converted as eager converts a wrapped number: uint8 + 300 wraps.
            wide = torch.float64 if isinstance(value, float) else None
            return ("t", b.add_constant(f"_scalar_{len(b.constants)}",
                                        torch.tensor(value, dtype=wide).to(dtype)))
        raise CompileError(f"{where}: expected a tensor, got {type(value).__name__}")
    if isinstance(real, torch.ListType) and isinstance(real.getElementType(),
                                                       (torch.TensorType, torch.OptionalType)):
        return ("tl", [-1 if v is None else b.tensor_ref(v, where) for v in value])
    if isinstance(value, torch.dtype):
        return SCALAR_TYPES[value]
    if isinstance(value, torch.memory_format):
        return MEMORY_FORMATS[value]
    if isinstance(value, torch.layout):
        return 0
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, (list, tuple)):
        items = [b.size_arg(v, f"{where}, element {i}") for i, v in enumerate(value)]
        if any(isinstance(v, tuple) for v in items):
            return ("sl", [v[1] if isinstance(v, tuple) else v for v in items],
                    [v[2] if isinstance(v, tuple) else -1 for v in items])
        return items
    if isinstance(value, torch.fx.Node):
        return b.size_arg(value, where)
    if isinstance(real, torch.ListType) and isinstance(value, int):
        # `int[2] padding=0`: ATen repeats a single int to the list's length.
        return [value] * (getattr(arg, "N", None) or 1)
    return value


def _node_args(b: _Builder, node: torch.fx.Node, target: Any = None,
               args: tuple | None = None, kwargs: dict | None = None) -> list:
    """Every schema argument of `target` (default: the node's own) in schema
    order, from `args`/`kwargs` (default: the node's), defaults filled in."""
    target = target or node.target
    args = node.args if args is None else args
    kwargs = node.kwargs if kwargs is None else kwargs
    out = []
    for i, arg in enumerate(target._schema.arguments):
        if not arg.kwarg_only and i < len(args):
            value = args[i]
        elif arg.name in kwargs:
            value = kwargs[arg.name]
        elif arg.has_default_value():
            value = arg.default_value
        else:
            raise CompileError(f"{op_name(target)}: missing argument '{arg.name}' "
                               f"at {source_loc(node)}")
        out.append(_convert_arg(b, arg, value, node, target))
    return out


def _emit(b: _Builder, node: torch.fx.Node, target: Any, args: tuple, val: Any,
          suffix: str = "", kwargs: dict | None = None) -> int:
    """Append one node calling `target` on `args` whose single result is `val`."""
    where = f"{op_name(node.target)} at {source_loc(node)}"
    result = _tensor_meta(val, where, b.sizes)
    rid = b.new_id()
    loc = source_loc(node)
    b.nodes.append((target._schema.name, target._overloadname, node.name + suffix,
                    _node_args(b, node, target, args, kwargs or {}), [result], [rid],
                    (loc.file, loc.line, loc.function)))
    return rid


def _size_tensor(b: _Builder, value: torch.fx.Node, node: torch.fx.Node, where: str) -> int:
    """A run-time size passed where ATen wants a Tensor (x / s0): a 0-d
    tensor made by scalar_tensor, of the dtype torch's promotion gives a
    wrapped Python number of that kind."""
    val = value.meta["val"]
    number = 1.0 if isinstance(val, (torch.SymFloat, float)) else 1
    others = [a for a in node.args if isinstance(a, torch.fx.Node) and a is not value
              and isinstance(a.meta.get("val"), torch.Tensor)]
    dtype = torch.result_type(others[0].meta["val"], number) if others else \
        torch.tensor(number).dtype
    return _emit(b, node, torch.ops.aten.scalar_tensor.default, (value,),
                 torch.empty((), dtype=dtype), f"_{value.name}", {"dtype": dtype})


def _rewrite_split(b: _Builder, node: torch.fx.Node) -> list[int]:
    """split_with_sizes -> one slice per piece (no list-valued results)."""
    self_, sizes = node.args[0], node.args[1]
    dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
    if any(isinstance(size, torch.fx.Node) for size in sizes):
        raise CompileError(f"aten::split_with_sizes.default at {source_loc(node)}: split sizes "
                           "computed at run time are not supported")
    ids, start = [], 0
    for i, (size, val) in enumerate(zip(sizes, node.meta["val"], strict=True)):
        ids.append(_emit(b, node, torch.ops.aten.slice.Tensor,
                         (self_, dim, start, start + size, 1), val, f"_{i}"))
        start += size
    return ids


def _rewrite_unbind(b: _Builder, node: torch.fx.Node) -> list[int]:
    """unbind -> one select per piece."""
    self_ = node.args[0]
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    return [_emit(b, node, torch.ops.aten.select.int, (self_, dim, i), val, f"_{i}")
            for i, val in enumerate(node.meta["val"])]


def _rewrite_alias(b: _Builder, node: torch.fx.Node) -> int:
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
    if isinstance(value, _SYM_TYPES):
        return sympy.sympify(value.node.expr)
    return sympy.Integer(value) if isinstance(value, int) else value


def _rewrite_as_strided(b: _Builder, node: torch.fx.Node) -> int:
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
    return _emit(b, node, torch.ops.aten.view.default, (self_, size), node.meta["val"])


# Ops the front end rewrites into others (or removes) before import.
_REWRITES = {
    torch.ops.aten.as_strided.default: _rewrite_as_strided,
    torch.ops.aten.split_with_sizes.default: _rewrite_split,
    torch.ops.aten.unbind.int: _rewrite_unbind,
    torch.ops.aten.alias.default: _rewrite_alias,
}


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
        if _is_assertion(node):
            constant.add(node)  # dropped: it reads a constant but stores nothing
            continue
        if node.target is operator.getitem:
            if node.args[0] in folded:
                constant.add(node)
                sources[node] = sources[node.args[0]]
            continue
        target = node.target
        if not isinstance(target, torch._ops.OpOverload) or target in _REWRITES:
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


def _fold(b: _Builder, node: torch.fx.Node) -> None:
    """Evaluate a node of the fold plan on the constant values it reads."""
    args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: b.values[n])
    with torch.no_grad():
        b.values[node] = node.target(*args, **kwargs)
    # Named after what it was computed from, e.g. "fc.weight.permute".
    inputs: list[torch.fx.Node] = []
    torch.fx.node.map_arg((node.args, node.kwargs), inputs.append)
    base = b.value_names[inputs[0]] if inputs else "_folded"
    b.value_names[node] = f"{base}.{node.target._schema.name.split('::')[-1]}"


def graph_dict(name: str, ep: ExportedProgram, fold_constants: bool = True) -> dict:
    """The graph of one method (already decomposed to core ATen)."""
    b = _Builder(name, _Sizes(ep))
    folded = fold_plan(ep) if fold_constants else set()
    sig = ep.graph_signature
    specs = {s.arg.name: s for s in sig.input_specs}
    mutated = set(sig.buffers_to_mutate.values())
    buffer_ids: dict[str, int] = {}
    outputs: list[int] = []
    write_backs: list[tuple[int, int]] = []
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            spec = specs[node.name]
            if spec.kind == InputKind.USER_INPUT:
                val = node.meta.get("val")
                if not isinstance(val, torch.Tensor):
                    raise CompileError(f"input '{node.name}' is a {type(val).__name__}; "
                                       "only tensor inputs are supported yet")
                dtype, shape, dynamic = _tensor_meta(val, f"input '{node.name}'", b.sizes)
                b.ids[node] = b.new_id()
                b.inputs.append((b.ids[node], node.name, dtype, shape, dynamic))
            elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
                source = ep.constants if spec.target in ep.constants else ep.state_dict
                if spec.target in mutated:
                    b.ids[node] = b.add_constant(spec.target, source[spec.target], mutable=True)
                    buffer_ids[spec.target] = b.ids[node]
                else:
                    b.values[node] = source[spec.target]
                    b.value_names[node] = spec.target
            else:
                raise CompileError(f"input '{node.name}' of kind {spec.kind.name} "
                                   "is not supported yet")
        elif node.op == "call_function":
            if _is_assertion(node) or _is_size_node(node):
                continue  # sizes are described where an argument first uses them
            if node.target is operator.getitem:
                if node.args[0] in b.values:
                    b.values[node] = b.values[node.args[0]][node.args[1]]
                    b.value_names[node] = f"{b.value_names[node.args[0]]}_{node.args[1]}"
                else:
                    b.ids[node] = b.ids[node.args[0]][node.args[1]]
                continue
            if node in folded:
                _fold(b, node)
                continue
            if node.target in _REWRITES:
                b.ids[node] = _REWRITES[node.target](b, node)
                continue
            val = node.meta.get("val")
            vals = list(val) if isinstance(val, (tuple, list)) else [val]
            results = [_tensor_meta(v, f"{op_name(node.target)} at {source_loc(node)}", b.sizes)
                       for v in vals]
            result_ids = [b.new_id() for _ in results]
            b.ids[node] = result_ids if isinstance(val, (tuple, list)) else result_ids[0]
            loc = source_loc(node)
            schema = node.target._schema
            b.nodes.append((schema.name, node.target._overloadname, node.name,
                            _node_args(b, node), results, result_ids,
                            (loc.file, loc.line, loc.function)))
        elif node.op == "output":
            for out, spec in zip(node.args[0], sig.output_specs, strict=True):
                if not isinstance(out, torch.fx.Node):
                    raise CompileError(f"output {out!r} is not a tensor; only tensor outputs "
                                       "are supported yet")
                if out in b.values and out not in b.ids:
                    b.tensor_ref(out, "output")  # a constant output: make it a graph constant
                if spec.kind == OutputKind.BUFFER_MUTATION:
                    write_backs.append((buffer_ids[spec.target], b.tensor_ref(out, "output")))
                elif spec.kind == OutputKind.USER_OUTPUT:
                    outputs.append(b.tensor_ref(out, "output"))
                else:
                    raise CompileError(f"output '{spec.arg.name}' of kind {spec.kind.name} "
                                       "(e.g. an input mutated in place) is not supported yet")
    return {
        "name": name,
        "inputs": b.inputs,
        "constants": b.constants,
        "nodes": b.nodes,
        "outputs": outputs,
        "write_backs": write_backs,
        "syms": b.syms,
        "in_spec": _pytree.encode(_pytree.from_treespec(ep.call_spec.in_spec)),
        "out_spec": _pytree.encode(_pytree.from_treespec(ep.call_spec.out_spec)),
    }
