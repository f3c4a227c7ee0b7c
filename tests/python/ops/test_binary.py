"""Binary elementwise ops against eager PyTorch: arithmetic (add, sub, mul,
div and its rounding modes, pow, remainder, fmod, maximum, minimum, atan2),
comparisons, logical and bitwise ops and where, in their Tensor and Scalar
forms, over every supported dtype, with torch's type promotion, NumPy
broadcasting, 0-d, empty and non-contiguous operands.

Compiling is the slow part, so each test puts many ops into one graph and
compares every output with eager (a failure names the output's index).
"""

from __future__ import annotations

import pytest
import torch
from opcheck import check, check_rejected, compile_fn

from ember.errors import CompileError, EmberRuntimeError

A = torch.ops.aten
DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
          torch.float16, torch.bfloat16, torch.float32, torch.float64]
IDS = [str(d).removeprefix("torch.") for d in DTYPES]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rand(shape, dtype: torch.dtype, gen: torch.Generator, *, nonzero: bool = False,
          low: int = -20, high: int = 20) -> torch.Tensor:
    """Random values of `dtype`; integers in [low, high) (uint8 from 0), never
    0 with `nonzero`."""
    if dtype == torch.bool:
        t = torch.rand(shape, generator=gen) > 0.5
        return torch.ones(shape, dtype=torch.bool) if nonzero else t
    if dtype.is_floating_point:
        t = torch.randn(shape, generator=gen) * 3
        if nonzero:
            t = torch.where(t.abs() < 0.1, torch.ones_like(t), t)
        return t.to(dtype)
    lo = max(low, 0) if dtype == torch.uint8 else low
    t = torch.randint(lo, high, shape, generator=gen, dtype=torch.int64)
    if nonzero:
        t = torch.where(t == 0, torch.ones_like(t), t)
    return t.to(dtype)


def _broadcast_shapes(gen: torch.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A random shape and a shape that broadcasts against it (fewer dims
    and/or size-1 dims on either side)."""
    ndim = int(torch.randint(1, 4, (), generator=gen))
    a = [int(s) for s in torch.randint(2, 5, (ndim,), generator=gen)]
    keep = int(torch.randint(1, ndim + 1, (), generator=gen))
    b = list(a[ndim - keep:])
    for i in range(len(b)):
        if torch.rand((), generator=gen) < 0.4:
            b[i] = 1
    if torch.rand((), generator=gen) < 0.5:
        a[-1] = 1  # broadcast both ways
    return tuple(a), tuple(b)


# ---- arithmetic over every dtype -------------------------------------------

def _arithmetic(dtype: torch.dtype):
    is_bool = dtype == torch.bool
    is_float = dtype.is_floating_point

    def fn(a, b, p, e):
        # a, b broadcast (b never 0); p > 0; e a small exponent (>= 0 for ints)
        outs = [a + b, torch.add(a, b, alpha=True if is_bool else 2), a * b, a / b,
                torch.true_divide(a, b), torch.maximum(a, b), torch.minimum(a, b),
                torch.atan2(a, b), a * 0.5, a + 2.5, A.mul.Scalar(a, 0.5), A.div.Scalar(a, 4),
                A.add.Scalar(a, 3, alpha=2 if not is_bool else 1), A.mul.Scalar(a, 3),
                A.pow.Tensor_Scalar(p, 2), A.pow.Tensor_Scalar(p, 3), A.pow.Scalar(2, e),
                A.div.Scalar_mode(a, 3, rounding_mode="floor"),
                A.div.Scalar_mode(a, 3, rounding_mode="trunc"), A.remainder.Scalar(a, 3)]
        if not is_bool:
            outs += [a - b, torch.sub(a, b, alpha=3), torch.rsub(a, b), 1 - a, a - 1, a * 2,
                     a + 1, a / 2, a // b, torch.floor_divide(a, b), a // 2,
                     torch.div(a, b, rounding_mode="trunc"), torch.div(a, b, rounding_mode="floor"),
                     a % b, a % 3, 7 % b, torch.fmod(a, b), torch.fmod(a, 3), p ** e, p ** 2,
                     2 ** e, A.sub.Scalar(a, 2), A.remainder.Scalar(a, -3),
                     A.remainder.Scalar_Tensor(7, b), A.fmod.Scalar(a, -3),
                     A.pow.Tensor_Tensor(a, e)]
        if is_float:
            outs += [a ** b, p ** 0.5, p ** -0.5, p ** -1, p ** -2, p ** 1.7,
                     A.sub.Scalar(a, 1.5), A.add.Scalar(a, 0.25, alpha=-1.5),
                     torch.add(a, b, alpha=0.5)]
        return tuple(outs)
    return fn


def _arithmetic_inputs(dtype: torch.dtype, gen: torch.Generator) -> list[torch.Tensor]:
    sa, sb = _broadcast_shapes(gen)
    a = _rand(sa, dtype, gen)
    b = _rand(sb, dtype, gen, nonzero=True)
    p = _rand(sa, dtype, gen, nonzero=True, low=1, high=6)
    if dtype.is_floating_point:
        p = p.abs()
    e = _rand(sb, dtype, gen, low=-3 if dtype.is_signed else 0, high=4)
    if dtype.is_floating_point:
        e = e.clamp(-3, 3)
    return [a, b, p, e]


# ---- comparisons, logical, bitwise and where over every dtype --------------

def _compare(dtype: torch.dtype):
    is_int = not dtype.is_floating_point

    def fn(a, b, c):
        outs = [a == b, a != b, a < b, a <= b, a > b, a >= b, a > 0, a == 1, a != 1.5, a <= 2,
                a >= -1, a < 0.5, A.gt.Scalar(a, 0), A.le.Scalar(a, True),
                torch.logical_and(a, b), torch.logical_or(a, b), torch.logical_xor(a, b),
                torch.where(a > b, a, b), torch.where(c, a, b), torch.where(c, b, a)]
        if is_int:
            outs += [a & b, a | b, a ^ b, A.bitwise_and.Scalar(a, 3), A.bitwise_or.Scalar(a, 1),
                     A.bitwise_xor.Scalar(a, 5), A.bitwise_and.Scalar(a, True)]
        return tuple(outs)
    return fn


def _compare_inputs(dtype: torch.dtype, gen: torch.Generator) -> list[torch.Tensor]:
    sa, sb = _broadcast_shapes(gen)
    a = _rand(sa, dtype, gen, low=-3, high=4)
    b = _rand(sb, dtype, gen, low=-3, high=4)
    if dtype.is_floating_point:  # halves in [-1.5, 1.5]: many ties; and NaNs
        a = (torch.randint(-3, 4, sa, generator=gen) / 2).to(dtype)
        b = (torch.randint(-3, 4, sb, generator=gen) / 2).to(dtype)
        a.view(-1)[0] = float("nan")
        b.view(-1)[-1] = float("nan")
    c = torch.rand(torch.broadcast_shapes(sa, sb)[1:], generator=gen) > 0.5
    return [a, b, c]


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_every_op_over_dtype(dtype):
    """Arithmetic (Tensor and Scalar forms, Python scalars) on random
    broadcast operands, then comparisons, logical and bitwise ops and where
    on operands with ties (and NaNs for floats), all in one graph."""
    gen = _gen(DTYPES.index(dtype))
    arithmetic, compare = _arithmetic(dtype), _compare(dtype)
    check(lambda a, b, p, e, x, y, c: arithmetic(a, b, p, e) + compare(x, y, c),
          *_arithmetic_inputs(dtype, gen), *_compare_inputs(dtype, gen))


# ---- type promotion ---------------------------------------------------------

DIMENSIONED = [  # (dtype, shape) of self and other: both have dims
    ((torch.int32, (3, 4)), (torch.int64, (4,))),
    ((torch.float16, (2, 3)), (torch.float32, (3,))),
    ((torch.bool, (5,)), (torch.int16, (5,))),
    ((torch.uint8, (4,)), (torch.int8, (4,))),
    ((torch.bfloat16, (2, 2)), (torch.float16, (2, 2))),
    ((torch.bool, (2, 3)), (torch.float64, (3,))),
    ((torch.bfloat16, (3,)), (torch.int64, (3,))),
]
ZERO_DIM = [  # a 0-d operand counts only if its category is higher
    ((torch.float32, (3,)), (torch.float64, ())),
    ((torch.int32, (3,)), (torch.float16, ())),
    ((torch.int64, ()), (torch.float32, ())),
    ((torch.uint8, (3,)), (torch.bool, ())),
    ((torch.int8, (3,)), (torch.uint8, ())),
    ((torch.int16, ()), (torch.uint8, (2, 2))),
]


def _promotion(da: torch.dtype, db: torch.dtype):
    floats = da.is_floating_point or db.is_floating_point

    def fn(a, b, c):
        outs = [a + b, a * b, a / b, torch.maximum(a, b), torch.minimum(b, a), a == b, a < b,
                b >= a, torch.logical_xor(a, b), torch.atan2(a, b), torch.where(c, a, b),
                torch.where(c, b, a), torch.remainder(a, b), torch.fmod(a, b),
                torch.div(a, b, rounding_mode="floor"), a ** b]
        if torch.bool not in (da, db):  # torch refuses to subtract bools
            outs += [a - b, b - a]
        if not floats:
            outs += [a & b, a | b, b ^ a]
        return tuple(outs)
    return fn


@pytest.mark.parametrize("pairs", [DIMENSIONED, ZERO_DIM], ids=["dimensioned", "zero-dim"])
def test_promotion(pairs):
    """Mixed dtypes promote as torch.result_type says (int32 + int64 is
    int64, float32 + 0-d float64 stays float32, int + 0-d float16 is
    float16); every pair's ops run in one graph, pair after pair."""
    gen = _gen(200 + len(pairs))
    inputs, fns = [], []
    for (da, sa), (db, sb) in pairs:
        inputs += [_rand(sa, da, gen, nonzero=True, low=-4, high=5),
                   _rand(sb, db, gen, nonzero=True, low=1, high=4),  # > 0: exact integer pow
                   torch.rand(torch.broadcast_shapes(sa, sb), generator=gen) > 0.5]
        fns.append(_promotion(da, db))

    def fn(*args):
        return tuple(out for k, f in enumerate(fns) for out in f(*args[3 * k:3 * k + 3]))
    check(fn, *inputs)


def test_python_scalars_take_the_tensors_dtype_or_default_float():
    """A Python scalar becomes a 0-d constant of the dtype torch's promotion
    gives (int tensor * 2.5 is float32), converted as eager converts it
    (uint8 + 300 wraps, float16 * 1e6 overflows); uint8 > -1 compares
    against 255 as in eager."""
    gen = _gen(7)
    xs = [_rand((2, 3), d, gen, nonzero=True, low=1, high=9)
          for d in (torch.uint8, torch.int32, torch.float16, torch.bool)]

    def ops(a):
        return (a * 2.5, a + 2, a / 3, a > -1, a == 2, a ** 2, 2 ** a, a % 4, a // 2.5,
                a * True, 0.5 * a)
    check(lambda u, i, h, b: ops(u) + ops(i) + ops(h) + ops(b)
          + (3 - u, 3 - i, 3 - h, i - 0.1, u + 300, h * 1e-8, h * 1e6), *xs)


# ---- shapes: broadcasting, 0-d, empty, non-contiguous ------------------------

def _shape_ops(a, b):
    return (a + b, a * b, a / b, a > b, torch.maximum(a, b), torch.where(a > 0, a, b),
            torch.logical_or(a, b), a % b, a ** 2)


SHAPES = [((), ()), ((), (4, 2)), ((3, 1), ()), ((0, 3), (3,)), ((2, 0), (1,)),
          ((2, 1, 3), (4, 1)), ((1, 5, 1, 2), (5, 3, 1))]


def test_broadcast_zero_dim_and_empty_shapes():
    """Each (self, other) shape pair of SHAPES through the same ops."""
    gen = _gen(300)
    inputs = []
    for sa, sb in SHAPES:
        inputs += [_rand(sa, torch.float32, gen), _rand(sb, torch.float32, gen, nonzero=True)]
    check(lambda *t: tuple(o for k in range(0, len(t), 2) for o in _shape_ops(t[k], t[k + 1])),
          *inputs)


def test_non_contiguous_operands_and_three_way_where():
    gen = _gen(400)
    x = _rand((4, 3), torch.float32, gen)
    y = _rand((3, 4), torch.int32, gen, nonzero=True)
    z = _rand((3, 1), torch.float16, gen)
    cond = torch.rand(2, 1, 1, generator=gen) > 0.5
    w = _rand((3, 1), torch.int64, gen)

    def fn(a, b, c, m, n):
        t = a.transpose(-1, -2)            # (3, 4), permuted
        e = c.expand(3, 4)                 # broadcast by expand
        return (t + b, t * e, b.transpose(0, 1) - a, t > e, torch.where(t > 0, e, b),
                torch.remainder(b, t), A.mul.Scalar(t, 2), torch.logical_and(e, b.t().t()),
                torch.where(m, n, t), torch.where(m, e, b))
    check(fn, x, y, z, cond, w)


# ---- values where the rule matters -------------------------------------------

SPECIALS = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 7.0, -7.0, float("inf"), float("-inf"),
            float("nan"), 1e-3]


def _special_ops(x, y):
    return (torch.maximum(x, y), torch.minimum(x, y), torch.remainder(x, y), torch.fmod(x, y),
            torch.div(x, y, rounding_mode="floor"), torch.div(x, y, rounding_mode="trunc"),
            x / y, torch.atan2(x, y), x ** y, x ** 0.5, x ** -0.5, x ** -1, x ** 2, x ** 3,
            x ** -2, x == y, x < y, x >= y, torch.logical_and(x, y))


def test_float_special_values():
    """Every pair of SPECIALS (signed zeros, infinities, NaN) in each
    floating dtype: NaN propagation, remainder signs, floor division, pow's
    special exponents."""
    inputs = []
    for dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        v = torch.tensor(SPECIALS, dtype=dtype)
        inputs += [v[:, None], v[None, :]]
    check(lambda *t: tuple(o for k in range(0, len(t), 2) for o in _special_ops(t[k], t[k + 1])),
          *inputs)


def test_integer_rules_are_exact():
    """Wrapping overflow, floor/trunc division and remainder signs, integer
    pow (negative exponents give 0 except for bases 1 and -1)."""
    big = torch.tensor([2**31 - 1, -2**31, 123456789, -7, 7, 0], dtype=torch.int32)
    d = torch.tensor([-1, 3, 1000, 2, -2, 3], dtype=torch.int32)  # no MIN // -1: eager traps
    small = torch.tensor([-128, 127, 1, -1, 100, -3], dtype=torch.int8)
    e = torch.tensor([-1, -2, -3, -3, 0, 3], dtype=torch.int8)

    def fn(a, b, s, t):
        return (a * a, a + a, a - b, b - a, a // b, torch.div(a, b, rounding_mode="trunc"), a % b,
                torch.fmod(a, b), a ** 2, s * s, s ** 3, s - 100, s ** t, s ** (t * t))
    check(fn, big, d, small, e)


def test_integer_division_by_zero_fails_at_run_time():
    module, _ = compile_fn(lambda a, b: a // b, torch.ones(3, dtype=torch.int32),
                           torch.ones(3, dtype=torch.int32))
    ok = module.forward(torch.tensor([4, 5, 6], dtype=torch.int32),
                        torch.tensor([2, 2, 2], dtype=torch.int32))
    assert torch.equal(ok, torch.tensor([2, 2, 3], dtype=torch.int32))
    with pytest.raises(EmberRuntimeError):
        module.forward(torch.tensor([4, 5, 6], dtype=torch.int32),
                       torch.tensor([2, 0, 2], dtype=torch.int32))


# ---- what torch.export produces, and rejections -------------------------------

def test_export_gives_the_overloads_the_table_covers():
    """The overloads real code exports to (after run_decompositions) are the
    ones in the op table: Python scalars go through .Tensor for arithmetic and
    .Scalar for comparisons; floor_divide and rsub decompose."""
    class M(torch.nn.Module):
        def forward(self, x, y):
            return (x > 0, x * 2, x * 0.5, 1 - x, x // y, torch.floor_divide(x, 2),
                    torch.rsub(x, y), x ** 2, 2 ** x, x ** y, x % 2, 2 % x, x % y, x == y,
                    torch.where(x > y, x, y), (x > 0) & (y > 0), torch.fmod(x, y))
    ep = torch.export.export(M(), (torch.randn(3), torch.randn(3))).run_decompositions()
    got = {f"{n.target._schema.name}.{n.target._overloadname}"
           for n in ep.graph.nodes if n.op == "call_function"}
    assert got == {
        "aten::gt.Scalar", "aten::mul.Tensor", "aten::sub.Tensor", "aten::div.Tensor_mode",
        "aten::pow.Tensor_Scalar", "aten::pow.Scalar", "aten::pow.Tensor_Tensor",
        "aten::remainder.Scalar", "aten::remainder.Scalar_Tensor", "aten::remainder.Tensor",
        "aten::eq.Tensor", "aten::gt.Tensor", "aten::where.self", "aten::bitwise_and.Tensor",
        "aten::fmod.Tensor"}


def test_unsupported_dtype_is_rejected_at_compile_time():
    z = torch.randn(3, dtype=torch.complex64)
    check_rejected(lambda a: a * a, z, match="complex64", error=CompileError)
