"""Decomposition to core ATen (`ExportedProgram.run_decompositions`), keeping
whole the ops Ember has an Edge op for: scaled_dot_product_attention when
every call of it fits Ember's attention kernel, and torchao's affine
quantization ops; and decomposing aten.copy, which core ATen keeps."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch.export import ExportedProgram

from ..errors import CompileError
from .fx import op_name, source_loc

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


def _copy(self: torch.Tensor, src: torch.Tensor, non_blocking: bool = False) -> torch.Tensor:
    """aten.copy (what a functionalized `buffer.copy_(src)` becomes, e.g. the
    reset of transformers' static cache lengths): src converted to self's
    dtype and broadcast to its shape, as ops Ember runs."""
    return src.to(self.dtype).expand(self.shape).clone()


# Core ATen ops that torch keeps and Ember decomposes further.
_EXTRA_DECOMPOSITIONS = {torch.ops.aten.copy.default: _copy}


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
        # (The graph may hold the in-place form, `copy_` of a buffer, which
        # functionalization turns into aten.copy: the table always has it.)
        table = torch.export.default_decompositions()
        for op in _kept_whole(ep, fuse_attention):
            table.pop(op, None)
        table.update(_EXTRA_DECOMPOSITIONS)
        return ep.run_decompositions(table)
