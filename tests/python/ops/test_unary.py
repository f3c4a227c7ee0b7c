"""Unary math and activations against eager PyTorch.

A compile costs about a second (torch's run_decompositions), so each test
compiles one graph that applies many ops and compares every output with
eager, naming the op that differs: one graph per dtype for the bulk, then
graphs for shapes, parameters, clamp's promotion rules and the activations
torch decomposes before Ember sees them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from opcheck import check_all, check_rejected

FLOATS = [torch.float32, torch.float16, torch.bfloat16, torch.float64]
INTS = [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]
ALL = FLOATS + INTS + [torch.bool]

# The float math ops and the input each reads: x anywhere, p > 0, u in (-1, 1).
FLOAT_MATH: dict[str, tuple[Callable, str]] = {
    "exp": (torch.exp, "x"), "expm1": (torch.expm1, "x"), "log": (torch.log, "p"),
    "log1p": (torch.log1p, "p"), "log2": (torch.log2, "p"), "sqrt": (torch.sqrt, "p"),
    "rsqrt": (torch.rsqrt, "p"), "reciprocal": (torch.reciprocal, "x"),
    "sin": (torch.sin, "x"), "cos": (torch.cos, "x"), "tan": (torch.tan, "x"),
    "atan": (torch.atan, "x"), "asin": (torch.asin, "u"), "acos": (torch.acos, "u"),
    "sinh": (torch.sinh, "x"), "cosh": (torch.cosh, "x"), "erf": (torch.erf, "x"),
    "sigmoid": (torch.sigmoid, "x"), "tanh": (torch.tanh, "x"),
    # Out of domain: NaN on both sides.
    "log_of_x": (torch.log, "x"), "asin_of_x": (torch.asin, "x"),
}
PREDICATES = {"isnan": torch.isnan, "isinf": torch.isinf, "logical_not": torch.logical_not}
# Ops whose result has self's dtype, for floats and integers.
SAME_DTYPE = {
    "neg": torch.neg, "abs": torch.abs, "floor": torch.floor, "ceil": torch.ceil,
    "trunc": torch.trunc, "round": torch.round, "sign": torch.sign, "relu": torch.relu,
}
FLOAT_ONLY = {
    "round_2": lambda x: torch.round(x, decimals=2),
    "round_-1": lambda x: torch.round(x, decimals=-1),
    # torch's oneDNN path gives gelu(inf) = NaN (its strided path gives inf):
    # clamp the infinities away.
    "gelu": lambda x: F.gelu(x.clamp(-50, 50)),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": lambda x: torch.ops.aten.elu(x, 1.5, 0.8, 1.2),
    "hardtanh": F.hardtanh,
    "clamp": lambda x: torch.clamp(x, -0.5, 1.25),
}
SPECIALS = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 0.5, -0.5, 2.5, -2.5]



def random_shape(gen: torch.Generator) -> tuple[int, ...]:
    rank = int(torch.randint(1, 5, (1,), generator=gen))
    return tuple(int(s) for s in torch.randint(1, 6, (rank,), generator=gen))


def inputs(dtype: torch.dtype, shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """x (wide, with NaN, infinities and halfway cases for floats), p > 0 and u in (-1, 1)."""
    if dtype == torch.bool:
        return {k: torch.rand(shape) > 0.5 for k in "xpu"}
    if dtype.is_floating_point:
        x = torch.randn(shape) * 3
        flat = x.view(-1)
        n = min(len(SPECIALS), flat.numel())
        flat[:n] = torch.tensor(SPECIALS[:n])
        return {"x": x.to(dtype), "p": (torch.rand(shape) * 5 + 0.05).to(dtype),
                "u": (torch.rand(shape) * 1.9 - 0.95).to(dtype)}
    lo = 0 if dtype == torch.uint8 else -6
    return {"x": torch.randint(lo, 7, shape, dtype=dtype),
            "p": torch.randint(1, 11, shape, dtype=dtype),
            "u": torch.randint(0 if lo == 0 else -1, 2, shape, dtype=dtype)}


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_every_unary_op_for_each_dtype(dtype):
    """Every op this family lowers that torch runs for `dtype`, in one graph
    over a random shape: float math (integers and bool give float32),
    predicates, the ops keeping self's dtype, activations and clamp."""
    gen = torch.Generator().manual_seed(ALL.index(dtype))
    shape = random_shape(gen)
    ins = inputs(dtype, shape)
    ops: dict[str, Callable] = {}
    for name, (op, arg) in FLOAT_MATH.items():
        ops[name] = lambda x, p, u, op=op, arg=arg: op({"x": x, "p": p, "u": u}[arg])
    for name, op in PREDICATES.items():
        ops[name] = lambda x, p, u, op=op: op(x)
    if dtype != torch.bool:
        for name, op in SAME_DTYPE.items():
            ops[name] = lambda x, p, u, op=op: op(x)
        lo = 1 if dtype == torch.uint8 else -1
        ops["hardtanh_int_bounds"] = lambda x, p, u: F.hardtanh(x, lo, 4)
        ops["clamp_int_bounds"] = lambda x, p, u: torch.clamp(x, lo, 4)
        ops["clamp_min"] = lambda x, p, u: torch.clamp(x, min=lo)
        ops["clamp_max"] = lambda x, p, u: torch.clamp(x, max=3)
        ops["clamp_float_bounds"] = lambda x, p, u: torch.clamp(x, 0.5, 3.5)
    if dtype.is_floating_point:
        for name, op in FLOAT_ONLY.items():
            ops[name] = lambda x, p, u, op=op: op(x)
    else:
        ops["bitwise_not"] = lambda x, p, u: torch.bitwise_not(x)
    if dtype == torch.bool:
        ops["sign"] = lambda x, p, u: torch.sign(x)
        ops["clamp_int_bounds"] = lambda x, p, u: torch.clamp(x, 0, 1)  # int64
        ops["clamp_float_bound"] = lambda x, p, u: torch.clamp(x, max=0.5)  # float32
    check_all(ops, ins["x"], ins["p"], ins["u"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.int32], ids=str)
def test_zero_d_and_empty_tensors(dtype):
    ops = {
        "exp": torch.exp, "neg": torch.neg, "abs": torch.abs, "floor": torch.floor,
        "sign": torch.sign, "relu": torch.relu, "isnan": torch.isnan,
        "logical_not": torch.logical_not, "clamp": lambda x: torch.clamp(x, -1, 1),
        "hardtanh": F.hardtanh, "sigmoid": torch.sigmoid,
    }
    if dtype.is_floating_point:
        ops |= {"gelu": F.gelu, "elu": F.elu, "leaky_relu": F.leaky_relu}
    else:
        ops["bitwise_not"] = torch.bitwise_not
    both = {f"{k}_{which}": (lambda s, e, op=op, w=which: op(s if w == "0d" else e))
            for k, op in ops.items() for which in ("0d", "empty")}
    scalar = torch.tensor(-2.5).to(dtype)
    empty = torch.zeros(0, 3, dtype=dtype)
    check_all(both, scalar, empty)


def test_non_contiguous_and_broadcast_inputs_inside_the_graph():
    """Ops applied to transposed, permuted (negative dims) and expanded views."""
    x = torch.randn(4, 5)
    y = torch.randn(2, 3, 4)
    r = torch.randn(1, 5)
    i = torch.randint(-5, 5, (3, 4), dtype=torch.int32)
    check_all({
        "exp_t": lambda x, y, r, i: torch.exp(x.t()),
        "gelu_permute": lambda x, y, r, i: F.gelu(y.permute(-1, 0, -2)),
        "abs_transpose": lambda x, y, r, i: torch.abs(y.transpose(-1, -3)),
        "tanh_expand": lambda x, y, r, i: torch.tanh(r.expand(3, 4, 5)),
        "clamp_t": lambda x, y, r, i: torch.clamp(x.t(), -0.5, 0.5),
        "neg_int_t": lambda x, y, r, i: torch.neg(i.t()),
        "sqrt_int_t": lambda x, y, r, i: torch.sqrt(i.t().abs()),
        "clamp_tensor_t": lambda x, y, r, i: torch.clamp(x.t(), min=r.t(), max=r.t() + 1),
    }, x, y, r, i)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16], ids=str)
def test_activation_and_rounding_parameters(dtype):
    x = (torch.randn(6, 7) * 4).to(dtype)
    x.view(-1)[:4] = torch.tensor([float("nan"), 0.125, -0.125, 12.5]).to(dtype)
    ops: dict[str, Callable] = {}
    for slope in (0.0, 0.01, -0.5, 2.0):
        ops[f"leaky_relu_{slope}"] = lambda x, s=slope: F.leaky_relu(x, s)
    for alpha, scale, input_scale in ((1.0, 1.0, 1.0), (0.5, 2.0, 1.0), (1.0, 1.0, 3.0),
                                      (2, 1, 1)):
        ops[f"elu_{alpha}_{scale}_{input_scale}"] = (
            lambda x, a=alpha, s=scale, i=input_scale: torch.ops.aten.elu(x, a, s, i))
    ops["selu"] = F.selu
    for decimals in (0, 1, 3, -1, -2):
        ops[f"round_{decimals}"] = lambda x, d=decimals: torch.round(x, decimals=d)
    for lo, hi in ((-1, 1), (0.0, 6.0), (-2.5, 0.5), (0.5, 0.5)):
        ops[f"hardtanh_{lo}_{hi}"] = lambda x, lo=lo, hi=hi: F.hardtanh(x, lo, hi)
    check_all(ops, x)


def test_clamp_scalar_promotion_and_nan():
    """clamp with Scalar bounds: result dtype as torch (integer or bool with a
    float bound gives float32, bool with int bounds int64), NaN propagation,
    and min > max (max wins)."""
    f = torch.tensor([[float("nan"), -3.0, 0.25, 5.0], [1.0, -0.0, 2.5, -7.0]])
    i = torch.randint(-10, 10, (3, 5), dtype=torch.int16)
    b = torch.tensor([True, False, True])
    u = torch.randint(0, 255, (7,), dtype=torch.uint8)
    check_all({
        "float_min_gt_max": lambda f, i, b, u: torch.clamp(f, 2, -2),
        "float_nan_bound": lambda f, i, b, u: torch.clamp(f, min=float("nan")),
        "float_inf_bound": lambda f, i, b, u: torch.clamp(f, max=float("inf")),
        "int_float_bounds": lambda f, i, b, u: torch.clamp(i, -2.5, 3.5),
        "int_mixed_bounds": lambda f, i, b, u: torch.clamp(i, -2, 3.5),
        "int_min_gt_max": lambda f, i, b, u: torch.clamp(i, 4, -4),
        "bool_int_bounds": lambda f, i, b, u: torch.clamp(b, min=0, max=0),
        "bool_float_bound": lambda f, i, b, u: torch.clamp(b, min=0.5),
        "uint8_bounds": lambda f, i, b, u: torch.clamp(u, 10, 200),
        "int_hardtanh_float_bounds": lambda f, i, b, u: F.hardtanh(i, -2.5, 1.5),
    }, f, i, b, u)


def test_clamp_tensor_broadcasting_and_promotion():
    """clamp with Tensor bounds: self, min and max broadcast together, and the
    dtype follows torch's promotion (0-d tensors count only across categories)."""
    x = torch.randn(3, 4) * 3
    lo = torch.randn(4) - 1
    hi = torch.randn(3, 1, dtype=torch.float64) + 1
    i = torch.randint(-9, 9, (2, 3), dtype=torch.int32)
    h = torch.randn(3, 4).to(torch.float16)
    z = torch.tensor(0.5)  # 0-d float32
    n = torch.tensor([float("nan"), 0.0, 1.0, 2.0])
    zi = torch.tensor(3, dtype=torch.int64)  # 0-d int64
    b = torch.tensor([[True], [False]])
    i8 = torch.tensor([-3, 0, 2], dtype=torch.int8)
    check_all({
        "both": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(x, lo, hi),
        "min_only": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(x, min=lo),
        "max_only": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(x, max=lo),
        "bounds_grow_self": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(lo, hi, None),
        "int_float_0d": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(i, min=z),
        "int_int64_0d": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(i, max=zi),
        "half_float_0d": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(h, min=z),
        "half_float_dims": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(h, max=x),
        "nan_bound": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(x, min=n),
        "nan_self": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(n, z, z + 1),
        "bool_int8": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(b, min=i8),
        "zero_d_self": lambda x, lo, hi, i, h, z, n, zi, b, i8: torch.clamp(z, lo, hi),
    }, x, lo, hi, i, h, z, n, zi, b, i8)


def test_activations_torch_decomposes():
    """hardswish, hardsigmoid, relu6, silu and gelu(tanh) reach Ember as clamp,
    hardtanh, sigmoid and gelu mixed with arithmetic."""
    x = torch.randn(4, 9) * 4
    x.view(-1)[:4] = torch.tensor([-3.0, 3.0, 0.0, 6.0])
    check_all({"hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid, "relu6": F.relu6,
               "silu": F.silu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
               "selu": F.selu, "tanhshrink": F.tanhshrink}, x)


def test_mish_and_softplus():
    x = torch.randn(4, 9) * 10
    check_all({"mish": F.mish, "softplus": F.softplus,
               "softplus_beta": lambda x: F.softplus(x, beta=2.0, threshold=5.0)}, x)


@pytest.mark.parametrize("fn, x, match", [
    (torch.relu, torch.tensor([True, False]), r"edge.relu.*no kernel for element type 'i1'"),
    (torch.abs, torch.tensor([True, False]), r"edge.abs.*no kernel for element type 'i1'"),
    (F.gelu, torch.tensor([1, 2]), r"edge.gelu.*no kernel for element type 'i64'"),
    (torch.bitwise_not, torch.tensor([1.0]), r"edge.bitwise_not.*no kernel for element type 'f32'"),
    (lambda x: torch.round(x, decimals=1), torch.tensor([1, 2]),
     r"edge.round.decimals.*no kernel for element type 'i64'"),
    (lambda x: torch.clamp(x, min=True), torch.tensor([True]),
     r"edge.clamp.*bool tensor needs an int or float bound"),
], ids=["relu_bool", "abs_bool", "gelu_int", "bitwise_not_float", "round_decimals_int",
        "clamp_bool_bounds"])
def test_unsupported_dtypes_are_rejected_at_compile_time(fn, x, match):
    """Combinations torch exports (its meta functions allow them) but no
    kernel runs: Ember names the op and the element type."""
    check_rejected(fn, x, match=match)
