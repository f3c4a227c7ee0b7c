"""Per-op checks against eager PyTorch: export a function, compile it with
Ember, run the .pte in Ember's runtime and compare with eager.

    check(torch.abs, torch.randn(3, 4))
    check(lambda x: x.amax(-1), x, rtol=0, atol=0)
    check_rejected(lambda x: ..., x, match="names the op")

Outputs must match eager's shape and dtype exactly; floating outputs within
`rtol`/`atol` (NaNs must match NaNs), everything else exactly. bfloat16
tensors cannot cross numpy, so a bfloat16 input or output is carried as
float32 across the module boundary and cast inside the graph: the op itself
still runs in bfloat16.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch

import ember
from ember.errors import CompileError

# Default tolerances by the output's dtype (computed in float, rounded once).
TOLERANCES = {
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
}


class _Fn(torch.nn.Module):
    def __init__(self, fn: Callable, boundary: Sequence[torch.dtype | None]):
        super().__init__()
        self.fn = fn
        self.boundary = boundary  # the dtype each input had before it was carried as float32

    def forward(self, *args):
        args = [a.to(d) if d is not None else a for a, d in zip(args, self.boundary, strict=True)]
        return torch.utils._pytree.tree_map(_to_boundary, self.fn(*args))


def _to_boundary(x: Any) -> Any:
    return x.float() if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16 else x


def compile_fn(fn: Callable, *args: Any, dynamic_shapes: Any = None) -> tuple[Any, list]:
    """Export and compile `fn` over `args`; returns (loaded ember module,
    the args as the module takes them)."""
    boundary = [a.dtype if isinstance(a, torch.Tensor) and a.dtype == torch.bfloat16 else None
                for a in args]
    carried = [a.float() if d is not None else a for a, d in zip(args, boundary, strict=True)]
    module = _Fn(fn, boundary).eval()
    ep = torch.export.export(module, tuple(carried), dynamic_shapes=dynamic_shapes)
    program = ember.to_edge(ep).to_executorch()
    # Poison mode: the memory plan is checked while every op test runs.
    return ember.runtime.load(program.buffer, poison_dead_memory=True), carried


def assert_same(got: Any, want: Any, rtol: float | None = None, atol: float | None = None,
                where: str = "output") -> None:
    """Shape and dtype equal; values within tolerance (float) or exact."""
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torch.Tensor), f"{where}: expected a tensor, got {type(got)}"
        if want.dtype == torch.bfloat16 and got.dtype == torch.float32:
            got = got.to(torch.bfloat16)  # carried as float32 across the boundary: exact
        assert got.shape == want.shape, f"{where}: shape {tuple(got.shape)} != {tuple(want.shape)}"
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
        if want.is_floating_point():
            r, a = TOLERANCES.get(want.dtype, (1e-5, 1e-5))
            torch.testing.assert_close(got, want, rtol=r if rtol is None else rtol,
                                       atol=a if atol is None else atol, equal_nan=True,
                                       msg=lambda m: f"{where}: {m}")
        else:
            assert torch.equal(got, want), f"{where}: values differ:\n{got}\nvs eager\n{want}"
        return
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), \
            f"{where}: expected {len(want)} outputs, got {got!r}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, rtol, atol, f"{where}[{i}]")
        return
    assert got == want, f"{where}: {got!r} != {want!r}"


def check(fn: Callable, *args: Any, rtol: float | None = None, atol: float | None = None,
          dynamic_shapes: Any = None, run_with: Sequence[tuple] = ()) -> Any:
    """Compile `fn` for `args` and compare Ember with eager on `args` (and on
    each tuple of `run_with`, e.g. smaller sizes under dynamic shapes).
    Returns Ember's outputs for `args`."""
    module, carried = compile_fn(fn, *args, dynamic_shapes=dynamic_shapes)
    first = None
    for i, case in enumerate([tuple(args), *run_with]):
        boundary = [a.dtype if isinstance(a, torch.Tensor) and a.dtype == torch.bfloat16
                    else None for a in case]
        inputs = [a.float() if d is not None else a for a, d in zip(case, boundary, strict=True)]
        got = module.forward(*inputs)
        with torch.no_grad():
            want = fn(*case)
        if isinstance(want, tuple) and not isinstance(got, tuple):
            got = tuple(got)
        assert_same(got, want, rtol, atol, where=f"case {i} output")
        first = got if first is None else first
    return first


def check_all(ops: dict[str, Callable], *args: Any, rtol: float | None = None,
              atol: float | None = None) -> tuple[Any, list]:
    """Compile ONE graph returning every op of `ops` applied to `args` (a
    compile costs far more than a run) and compare each output with eager,
    naming the op on a mismatch. Returns (module, the args as it takes them)."""
    names = list(ops)

    def fn(*a):
        return tuple(ops[n](*a) for n in names)

    module, carried = compile_fn(fn, *args)
    got = module.forward(*carried)
    with torch.no_grad():
        want = fn(*args)
    assert len(got) == len(want)
    for name, g, w in zip(names, got, want, strict=True):
        assert_same(g, w, rtol, atol, where=name)
    return module, carried


def check_rejected(fn: Callable, *args: Any, match: str,
                   error: type[Exception] = CompileError, dynamic_shapes: Any = None) -> Exception:
    """Compiling `fn` must fail with `error` whose message matches `match`."""
    with pytest.raises(error, match=match) as info:
        compile_fn(fn, *args, dynamic_shapes=dynamic_shapes)
    return info.value
