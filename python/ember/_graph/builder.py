"""The graph builder: value ids, constants, nodes and run-time sizes of one
method, as the C++ structs of ember._C.graph (compiler/GraphDesc.h).

Every schema argument becomes a typed `Arg` here, in schema order with
defaults filled in: a tensor by value id, a list of tensors (None where an
optional one is absent), a literal int, float, bool or string (a dtype,
layout or memory format as its .pte code, a device as its string), a list
of ints, floats or bools, or a size computed at run time (the literal at the
upper bound plus the id of the `Sym` computing it). A Python scalar passed
where a schema wants a Tensor becomes a 0-d constant, a run-time size a
scalar_tensor node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._C import graph as _desc
from ..errors import CompileError
from .fx import MEMORY_FORMATS, SCALAR_TYPES, op_name, source_loc
from .sizes import SYM_FNS, Sizes, is_size_node, varies

Arg, Constant, Input, Node = _desc.Arg, _desc.Constant, _desc.Input, _desc.Node
Sym, TensorType = _desc.Sym, _desc.TensorType


def tensor_type(val: Any, where: str, sizes: Sizes) -> TensorType:
    """Dtype code, shape at the upper bound, and whether the sizes vary."""
    if not isinstance(val, torch.Tensor):
        raise CompileError(f"{where}: expected a tensor value, got {type(val).__name__}")
    if val.dtype not in SCALAR_TYPES:
        raise CompileError(f"{where}: dtype {val.dtype} is not supported")
    shape = [sizes.upper(d, f"{where}, dim {i}", is_size=True) for i, d in enumerate(val.shape)]
    return TensorType(SCALAR_TYPES[val.dtype], shape, any(varies(d) for d in val.shape))


def _array(t: torch.Tensor) -> np.ndarray:
    """A C-contiguous numpy view of a CPU tensor (a copy only when it must be)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy()
    return t.contiguous().numpy()


@dataclass
class Builder:
    """Accumulates one method's graph."""

    name: str
    sizes: Sizes
    ids: dict[torch.fx.Node, Any] = field(default_factory=dict)
    next_id: int = 0
    inputs: list[Input] = field(default_factory=list)
    constants: list[Constant] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    # Constant values by node (weights, unmutated buffers, folded results);
    # one becomes a constant of the graph only when something not folded uses it.
    values: dict[torch.fx.Node, Any] = field(default_factory=dict)
    value_names: dict[torch.fx.Node, str] = field(default_factory=dict)
    # Run-time sizes, by the node (or literal) they compute.
    syms: list[Sym] = field(default_factory=list)
    sym_ids: dict[Any, int] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add_constant(self, name: str, tensor: torch.Tensor, mutable: bool = False) -> int:
        """A weight or constant; `mutable` for a buffer the method updates."""
        cid = self.new_id()
        if tensor.dtype not in SCALAR_TYPES:
            raise CompileError(f"constant '{name}' has unsupported dtype {tensor.dtype}")
        self.constants.append(Constant(cid, name, TensorType(SCALAR_TYPES[tensor.dtype],
                                                             list(tensor.shape)),
                                       _array(tensor), mutable))
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
            constant = Sym.float_constant if isinstance(value, float) else Sym.int_constant
            sym = constant(len(self.syms), value)
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
                ref = self.tensor_ref(tensor, here)
                sym = Sym.size(len(self.syms), ref, dim % rank if rank else 0)
            elif value.target is torch.ops.aten.sym_numel.default:
                ref = self.tensor_ref(value.args[0], here)
                sym = Sym.numel(len(self.syms), ref)
            elif value.target in SYM_FNS:
                # Operands first: a Sym only refers to Syms before it.
                operands = [self.sym_ref(a, here) for a in value.args]
                sym = Sym.op(len(self.syms), SYM_FNS[value.target], operands, is_float)
            else:
                known = ", ".join(sorted(set(SYM_FNS.values())))
                raise CompileError(f"{here}: Ember cannot compute this function of sizes at "
                                   f"run time (it computes {known})")
        self.syms.append(sym)
        self.sym_ids[key] = sym.id
        return sym.id

    def size_value(self, value: Any, where: str) -> tuple[Any, int | None]:
        """A SymInt/Scalar argument: (its value at the upper bound, the id of
        the Sym computing it at run time or None when it is a literal)."""
        if not isinstance(value, torch.fx.Node):
            return value, None
        val = value.meta.get("val")
        if not varies(val):
            return self.sizes.upper(val, where), None
        return self.sizes.upper(val, where), self.sym_ref(value, where)


def _literal(value: Any, where: str) -> Arg:
    if isinstance(value, bool):
        return Arg.bool(value)
    if isinstance(value, int):
        return Arg.int(value)
    if isinstance(value, float):
        return Arg.float(value)
    if isinstance(value, str):
        return Arg.string(value)
    raise CompileError(f"{where}: unsupported argument value {value!r}")


def _literal_list(values: list, where: str) -> Arg:
    """A list of literals, typed by its elements: all bools is a bool list,
    any float makes a float list, anything else numeric an int list."""
    if not all(isinstance(v, (bool, int, float)) for v in values):
        raise CompileError(f"{where}: unsupported argument value {values!r}")
    if values and all(isinstance(v, bool) for v in values):
        return Arg.bool_list(values)
    if any(isinstance(v, float) for v in values):
        return Arg.float_list(values)
    return Arg.int_list(values)


def size_tensor(b: Builder, value: torch.fx.Node, node: torch.fx.Node, where: str) -> int:
    """A run-time size passed where ATen wants a Tensor (x / s0): a 0-d
    tensor made by scalar_tensor, of the dtype torch's promotion gives a
    wrapped Python number of that kind."""
    val = value.meta["val"]
    number = 1.0 if isinstance(val, (torch.SymFloat, float)) else 1
    others = [a for a in node.args if isinstance(a, torch.fx.Node) and a is not value
              and isinstance(a.meta.get("val"), torch.Tensor)]
    dtype = torch.result_type(others[0].meta["val"], number) if others else \
        torch.tensor(number).dtype
    return emit(b, node, torch.ops.aten.scalar_tensor.default, (value,),
                torch.empty((), dtype=dtype), f"_{value.name}", {"dtype": dtype})


def convert_arg(b: Builder, arg: torch.Argument, value: Any, node: torch.fx.Node,
                target: Any) -> Arg:
    """One schema argument's value as an Arg."""
    where = f"{op_name(target)} argument '{arg.name}' at {source_loc(node)}"
    t = arg.type
    real = t.getElementType() if isinstance(t, torch.OptionalType) else t
    if value is None:
        return Arg.none()
    if isinstance(real, torch.TensorType):
        if isinstance(value, torch.fx.Node) and is_size_node(value):
            return Arg.tensor(size_tensor(b, value, node, where))
        if isinstance(value, torch.fx.Node):
            return Arg.tensor(b.tensor_ref(value, where))
        if isinstance(value, (bool, int, float)):
            # A Python scalar where ATen wants a Tensor: a 0-d constant of the
            # dtype torch's promotion gives (mul(x, 2) on float x stays float).
            others = [a for a in node.args if isinstance(a, torch.fx.Node)]
            ref = others[0].meta["val"] if others else None
            dtype = torch.result_type(ref, value) if ref is not None else \
                torch.tensor(value).dtype
            # Converted as eager converts a wrapped number: uint8 + 300 wraps.
            wide = torch.float64 if isinstance(value, float) else None
            return Arg.tensor(b.add_constant(f"_scalar_{len(b.constants)}",
                                             torch.tensor(value, dtype=wide).to(dtype)))
        raise CompileError(f"{where}: expected a tensor, got {type(value).__name__}")
    if isinstance(real, torch.ListType) and isinstance(real.getElementType(),
                                                       (torch.TensorType, torch.OptionalType)):
        return Arg.tensor_list([None if v is None else b.tensor_ref(v, where) for v in value])
    if isinstance(value, torch.dtype):
        return Arg.int(SCALAR_TYPES[value])
    if isinstance(value, torch.memory_format):
        return Arg.int(MEMORY_FORMATS[value])
    if isinstance(value, torch.layout):
        return Arg.int(0)
    if isinstance(value, torch.device):
        return Arg.string(str(value))
    if isinstance(value, (list, tuple)):
        items = [b.size_value(v, f"{where}, element {i}") for i, v in enumerate(value)]
        uppers = [upper for upper, _ in items]
        if any(sym is not None for _, sym in items):
            return Arg.int_list(uppers, syms=[sym for _, sym in items])
        return _literal_list(uppers, where)
    if isinstance(value, torch.fx.Node):
        upper, sym = b.size_value(value, where)
        if sym is None:
            return _literal(upper, where)
        return Arg.float(upper, sym) if isinstance(upper, float) else Arg.int(upper, sym)
    if isinstance(real, torch.ListType) and isinstance(value, int):
        # `int[2] padding=0`: ATen repeats a single int to the list's length.
        return _literal_list([value] * (getattr(arg, "N", None) or 1), where)
    return _literal(value, where)


def node_args(b: Builder, node: torch.fx.Node, target: Any = None,
              args: tuple | None = None, kwargs: dict | None = None) -> list[Arg]:
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
        out.append(convert_arg(b, arg, value, node, target))
    return out


def emit(b: Builder, node: torch.fx.Node, target: Any, args: tuple, val: Any,
         suffix: str = "", kwargs: dict | None = None) -> int:
    """Append one node calling `target` on `args` whose single result is `val`."""
    result = tensor_type(val, f"{op_name(node.target)} at {source_loc(node)}", b.sizes)
    rid = b.new_id()
    b.nodes.append(Node(target._schema.name, target._overloadname, node.name + suffix,
                        node_args(b, node, target, args, kwargs or {}), [result], [rid],
                        source_loc(node)))
    return rid
