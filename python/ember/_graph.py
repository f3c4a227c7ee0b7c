"""From a torch.export ExportedProgram to the plain graph the C++ importer takes.

This is the only place that reads FX graphs. It decomposes to core ATen, fills
every schema argument (defaults included) in schema order, resolves getitem on
multi-output ops, turns Python scalars passed where a schema wants a Tensor
into 0-d constants, and hands weights over as numpy views (no copy). Before any
of that it checks every operator against the Edge op table, so that a model
using ops Ember lacks fails at once with all of them named.
"""

from __future__ import annotations

import operator
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind

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
# Export-time assertions about metadata (dtype, shape, value ranges). With
# static shapes and dtypes Ember has checked all of it already; they produce
# nothing any other node uses, so they are dropped.
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
    return {op["aten"] for op in _C.edge_ops()}


def op_name(target: Any) -> str:
    """"aten::add.Tensor" for an OpOverload; a readable name otherwise."""
    if isinstance(target, torch._ops.OpOverload):
        return f"{target._schema.name}.{target._overloadname}"
    return getattr(target, "__name__", str(target))


def check_supported(programs: dict[str, ExportedProgram]) -> None:
    """Raise UnsupportedOpError naming every operator Ember lacks, with counts
    and source lines, before any other work."""
    supported = _supported()
    missing: dict[str, list[str]] = defaultdict(list)
    for ep in programs.values():
        for node in ep.graph.nodes:
            if (node.op != "call_function" or node.target is operator.getitem
                    or _is_assertion(node)):
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


def _tensor_meta(val: Any, where: str) -> tuple[int, list[int]]:
    if not isinstance(val, torch.Tensor):
        raise CompileError(f"{where}: expected a tensor value, got {type(val).__name__}")
    if val.dtype not in SCALAR_TYPES:
        raise CompileError(f"{where}: dtype {val.dtype} is not supported")
    shape = []
    for d in val.shape:
        if not isinstance(d, int):
            raise CompileError(
                f"{where}: has a dynamic size ({d}); dynamic shapes are not supported yet")
        shape.append(int(d))
    return SCALAR_TYPES[val.dtype], shape


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
    ids: dict[torch.fx.Node, Any] = field(default_factory=dict)
    next_id: int = 0
    inputs: list = field(default_factory=list)
    constants: list = field(default_factory=list)
    nodes: list = field(default_factory=list)

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
        ref = self.ids[value]
        if isinstance(ref, list):
            raise CompileError(f"{where}: a multi-output value used as one tensor")
        return ref


def _convert_arg(b: _Builder, arg: torch.Argument, value: Any, node: torch.fx.Node,
                 target: Any) -> Any:
    where = f"{op_name(target)} argument '{arg.name}' at {source_loc(node)}"
    t = arg.type
    real = t.getElementType() if isinstance(t, torch.OptionalType) else t
    if value is None:
        return None
    if isinstance(real, torch.TensorType):
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
        items = list(value)
        if any(isinstance(v, torch.fx.Node) for v in items):
            raise CompileError(f"{where}: symbolic sizes are not supported yet")
        return items
    if isinstance(value, torch.fx.Node):
        raise CompileError(f"{where}: symbolic values are not supported yet")
    if isinstance(real, torch.ListType) and isinstance(value, int):
        # `int[2] padding=0`: ATen repeats a single int to the list's length.
        return [value] * (getattr(arg, "N", None) or 1)
    return value


def _node_args(b: _Builder, node: torch.fx.Node) -> list:
    schema = node.target._schema
    out = []
    for i, arg in enumerate(schema.arguments):
        if not arg.kwarg_only and i < len(node.args):
            value = node.args[i]
        elif arg.name in node.kwargs:
            value = node.kwargs[arg.name]
        elif arg.has_default_value():
            value = arg.default_value
        else:
            raise CompileError(f"{op_name(node.target)}: missing argument '{arg.name}' "
                               f"at {source_loc(node)}")
        out.append(_convert_arg(b, arg, value, node, node.target))
    return out


def graph_dict(name: str, ep: ExportedProgram) -> dict:
    """The graph of one method (already decomposed to core ATen)."""
    b = _Builder(name)
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
                dtype, shape = _tensor_meta(val, f"input '{node.name}'")
                b.ids[node] = b.new_id()
                b.inputs.append((b.ids[node], node.name, dtype, shape))
            elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
                source = ep.constants if spec.target in ep.constants else ep.state_dict
                b.ids[node] = b.add_constant(spec.target, source[spec.target],
                                             mutable=spec.target in mutated)
                buffer_ids[spec.target] = b.ids[node]
            else:
                raise CompileError(f"input '{node.name}' of kind {spec.kind.name} "
                                   "is not supported yet")
        elif node.op == "call_function":
            if _is_assertion(node):
                continue
            if node.target is operator.getitem:
                b.ids[node] = b.ids[node.args[0]][node.args[1]]
                continue
            val = node.meta.get("val")
            vals = list(val) if isinstance(val, (tuple, list)) else [val]
            results = [_tensor_meta(v, f"{op_name(node.target)} at {source_loc(node)}")
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
        "in_spec": _pytree.encode(_pytree.from_treespec(ep.call_spec.in_spec)),
        "out_spec": _pytree.encode(_pytree.from_treespec(ep.call_spec.out_spec)),
    }
