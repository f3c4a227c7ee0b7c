"""What the front end reads off FX nodes: operator names, the user's source
line, dtype and memory-format codes, and which nodes are export-time
assertions (dropped)."""

from __future__ import annotations

import os
import re
from typing import Any

import torch

from .._C import graph as _desc

SourceLoc = _desc.SourceLoc

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
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')

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


def is_assertion(node: torch.fx.Node) -> bool:
    return node.op == "call_function" and node.target in _ASSERTIONS and not node.users


def source_loc(node: torch.fx.Node) -> SourceLoc:
    """The innermost frame of the node's stack trace that is the user's code
    (not inside torch itself); str() gives "file:line in function"."""
    frames = [m for m in _FRAME.finditer(node.meta.get("stack_trace") or "")]
    user = [m for m in frames if not m.group("file").startswith(_TORCH_DIR)]
    m = (user or frames or [None])[-1]
    if m is None:
        return SourceLoc()
    return SourceLoc(m.group("file"), int(m.group("line")), m.group("func"))


def op_name(target: Any) -> str:
    """"aten::add.Tensor" for an OpOverload; a readable name otherwise."""
    if isinstance(target, torch._ops.OpOverload):
        return f"{target._schema.name}.{target._overloadname}"
    return getattr(target, "__name__", str(target))
