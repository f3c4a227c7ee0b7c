"""Reductions and normalisations against eager torch: sum, mean, prod, cumsum,
any, amax/amin, max/min (full and along a dim), argmax/argmin, var and
var_mean, linalg_vector_norm, softmax/log_softmax, layer, group and batch
norm.

Exporting and compiling dominates the time of a check, so each check
compiles one graph that returns many variants of an op (dims, keepdim,
negative dims, dtype arguments) and compares every output with eager.
Shapes are drawn from the seeded generator (conftest seeds torch with 0).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from opcheck import check, check_rejected

ALL = [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32,
       torch.int16, torch.int8, torch.uint8, torch.bool]
FLOATS = [torch.float32, torch.float16, torch.bfloat16, torch.float64]
aten = torch.ops.aten


def _id(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def shape3() -> tuple[int, int, int]:
    """A random 3-d shape with small sizes (at least 2, so no dim is dropped)."""
    return tuple(int(s) for s in torch.randint(2, 6, (3,)))


def make(shape: tuple[int, ...], dtype: torch.dtype, ties: bool = False) -> torch.Tensor:
    """Random values of `dtype`: normal floats (small integers with `ties`, so
    that maxima repeat), small signed integers, or random bools."""
    if dtype == torch.bool:
        return torch.randint(0, 2, shape).bool()
    if dtype.is_floating_point:
        if ties:
            return torch.randint(-3, 4, shape).to(dtype)
        return torch.randn(shape).to(dtype)
    low = 0 if dtype == torch.uint8 else -3
    return torch.randint(low, 4, shape, dtype=dtype)


# ---- sum, prod, cumsum, any: every dtype


@pytest.mark.parametrize("dtype", ALL, ids=_id)
def test_sum_prod_cumsum_any(dtype):
    x = make(shape3(), dtype)
    check(lambda a: (
        a.sum(), a.sum(1), a.sum((0, -1), keepdim=True), a.sum([]),  # [] reduces every dim
        a.prod(), a.prod(1), a.prod(-1, keepdim=True),
        a.cumsum(0), a.cumsum(-1),
        a.any(), a.any(1), a.any((0, -1), keepdim=True), a.any(-2, keepdim=True),
    ), x)


def test_dtype_arguments_cast_before_accumulating():
    xf = torch.randn(3, 7) * 3
    xi = torch.randint(-50, 50, (3, 7), dtype=torch.int32)
    xb = torch.randint(0, 2, (3, 7)).bool()
    xh = torch.randn(3, 7).half()
    check(lambda f, i, b, h: (
        f.sum(1, dtype=torch.int32),  # each element truncated first
        f.sum(dtype=torch.float64), h.sum(0, dtype=torch.float32),
        i.sum(1, dtype=torch.float32), i.sum(1, dtype=torch.int16), b.sum(dtype=torch.int32),
        i.mean(1, dtype=torch.float32), i.mean(dtype=torch.float64), b.mean(0, dtype=torch.float32),
        i.prod(1, dtype=torch.float64), f.prod(0, dtype=torch.float64),
        i.cumsum(1, dtype=torch.float32), f.cumsum(0, dtype=torch.int64), b.cumsum(1),
    ), xf, xi, xb, xh)


def test_long_float32_sums_and_means_stay_accurate():
    x = torch.randn(4, 20000) + 0.25
    check(lambda a: (a.sum(1), a.mean(1), a.sum(), a.mean(), a.cumsum(1), a.t().sum(0)), x)


def test_integer_sums_and_products_wrap_like_torch():
    x = torch.tensor([[2**62, 2**62, 2**62], [3**39, 3, 3]], dtype=torch.int64)
    check(lambda a: (a.sum(1), a.prod(1), a.cumsum(1), a.to(torch.int32).sum(1, dtype=torch.int32)),
          x)


# ---- amax, amin, max, min, argmax, argmin: every dtype (argmax/argmin: no bool)


@pytest.mark.parametrize("dtype", ALL, ids=_id)
def test_order_reductions(dtype):
    x = make(shape3(), dtype, ties=True)

    def fn(a):
        out = [a.amax(), a.amax(1), a.amin((0, -1), keepdim=True), a.amin(-1), a.max(), a.min()]
        for dim, keepdim in [(1, False), (-1, True), (0, False)]:
            out += list(a.max(dim, keepdim=keepdim)) + list(a.min(dim, keepdim=keepdim))
        if dtype != torch.bool:
            out += [a.argmax(), a.argmin(), a.argmax(1), a.argmin(-1, keepdim=True),
                    a.argmax(None, keepdim=True), a.argmin(0)]
        return tuple(out)

    check(fn, x)


def test_nan_propagates_and_the_first_nan_is_reported():
    x = torch.randn(4, 6)
    x[1, 2] = x[1, 4] = x[3, 0] = float("nan")
    x[2, 1] = float("inf")
    check(lambda a: (
        a.amax(1), a.amin(0), a.max(), a.min(), *a.max(1), *a.min(0), a.argmax(1), a.argmin(1),
        a.argmax(), a.sum(1), a.mean(0), a.var(1), a.softmax(1), a.log_softmax(0),
        torch.linalg.vector_norm(a, math.inf, dim=1), torch.linalg.vector_norm(a, -math.inf, dim=1),
        a.cumsum(1), a.prod(1),
    ), x)


# ---- mean, var, var_mean, linalg_vector_norm: floating dtypes


@pytest.mark.parametrize("dtype", FLOATS, ids=_id)
def test_mean_var_and_vector_norm(dtype):
    x = make(shape3(), dtype)
    ords = [2, 1, math.inf, -math.inf, 0, 3, 0.5, -1]
    check(lambda a: (
        a.mean(), a.mean(1), a.mean((0, -1), keepdim=True), a.mean([]),
        a.var(), a.var(1), a.var([0, 2], correction=0, keepdim=True), a.var(-1, correction=2),
        aten.var.correction(a, [1], correction=None), aten.var.correction(a, None, correction=0.5),
        *torch.var_mean(a, [0, -1], keepdim=True), *torch.var_mean(a, correction=0),
        *[torch.linalg.vector_norm(a, p, dim=(0, 2)) for p in ords],
        torch.linalg.vector_norm(a), torch.linalg.vector_norm(a, 2, dim=-1, keepdim=True),
    ), x)


def test_vector_norm_dtype_argument_widens():
    h = torch.randn(3, 5).half()
    f = torch.randn(3, 5)
    check(lambda a, b: (torch.linalg.vector_norm(a, dtype=torch.float32),
                        torch.linalg.vector_norm(a, 3, dim=1, dtype=torch.float64),
                        torch.linalg.vector_norm(b, 1, dim=0, dtype=torch.float64)), h, f)


# ---- softmax, log_softmax


@pytest.mark.parametrize("dtype", FLOATS, ids=_id)
def test_softmax_and_log_softmax(dtype):
    x = make(shape3(), dtype)
    big = (torch.randn(3, 8) * 100).to(dtype)  # needs the max subtracted
    check(lambda a, b: (
        a.softmax(0), a.softmax(-1), a.softmax(1), a.log_softmax(0), a.log_softmax(-1),
        b.softmax(1), b.log_softmax(1),
    ), x, big)


def test_softmax_long_rows():
    x = torch.randn(3, 4096) * 4
    check(lambda a: (a.softmax(1), a.log_softmax(1), a.softmax(0)), x)


# ---- layer norm, group norm, batch norm


@pytest.mark.parametrize("dtype", FLOATS, ids=_id)
def test_layer_group_and_batch_norm(dtype):
    n, c, h, w = (int(s) for s in torch.randint(2, 5, (4,)))
    c *= 2
    x = make((n, c, h, w), dtype) * 2 + 0.5
    lw, lb = make((h, w), dtype), make((h, w), dtype)
    cw, cb = make((c,), dtype), make((c,), dtype)
    rm, rv = make((c,), dtype), (torch.rand(c) + 0.5).to(dtype)
    check(lambda a, w2, b2, w1, b1, m, v: (
        *aten.native_layer_norm(a, [h, w], w2, b2, 1e-5),
        *aten.native_layer_norm(a, [w], None, None, 1e-3),
        F.layer_norm(a, (c, h, w)),
        *aten.native_group_norm(a, w1, b1, n, c, h * w, 2, 1e-5),
        F.group_norm(a, c, None, None),
        F.group_norm(a.flatten(2), 1, w1, b1),
        F.batch_norm(a, m, v, w1, b1, training=False),
        F.batch_norm(a, m, v, None, None, training=False, eps=1e-3),
    ), x, lw, lb, cw, cb, rm, rv)


def test_norms_on_long_rows_match_within_1e_5():
    x = torch.randn(3, 4096) * 5 + 20  # a large mean: the variance needs care
    g = torch.randn(2, 8, 1024) * 3 - 7
    gw, gb = torch.randn(8), torch.randn(8)
    check(lambda a, b, w, bias: (*aten.native_layer_norm(a, [4096], None, None, 1e-5),
                                 *aten.native_group_norm(b, w, bias, 2, 8, 1024, 2, 1e-5)),
          x, g, gw, gb)


# ---- layouts, 0-d and empty tensors


def test_non_contiguous_inputs():
    # A channels-last clone, a transpose and an expand inside the graph. (Ember's
    # programs hold contiguous tensors today, so the kernels' strided walks over
    # permuted dim orders are tested in tests/runtime/kernels/reduction_test.cpp.)
    x = torch.randn(2, 6, 4, 5)
    s = torch.randn(2, 1, 4, 5)
    w, b, v = torch.randn(6), torch.randn(6), torch.rand(6) + 0.1

    def fn(a, single, weight, bias, var):
        cl = a.contiguous(memory_format=torch.channels_last)
        t = a.transpose(1, 3)
        e = single.expand(2, 3, 4, 5)
        return (cl.sum(1), cl.mean((2, 3)), cl.amax(1), *cl.max(-1), cl.argmin(1), cl.var(1),
                cl.any(2), cl.prod(3), cl.cumsum(1), cl.softmax(1), cl.log_softmax(-1),
                torch.linalg.vector_norm(cl, dim=1),
                *aten.native_layer_norm(cl, [4, 5], None, None, 1e-5),
                *aten.native_group_norm(cl, weight, bias, 2, 6, 20, 3, 1e-5),
                F.batch_norm(cl, bias, var, weight, bias, training=False),
                t.sum(0), t.softmax(2), e.sum(1), e.argmax(1))

    check(fn, x, s, w, b, v)


def test_zero_dim_inputs():
    x = torch.tensor(1.5)
    xi = torch.tensor(7, dtype=torch.int32)
    check(lambda a, i: (
        a.sum(), a.sum(0), a.mean(), a.mean(-1, keepdim=True), a.amax(), a.amin(0),
        *a.max(0), a.min(), a.argmax(), a.argmin(0, keepdim=True), a.var(correction=0),
        a.prod(), a.cumsum(0), a.softmax(0), a.log_softmax(-1), torch.linalg.vector_norm(a),
        i.sum(), i.prod(0), i.cumsum(-1), i.amax(), i.argmax(),
    ), x, xi)


def test_empty_inputs():
    x = torch.randn(0, 3)
    y = torch.randn(2, 0)
    check(lambda a, b: (
        a.sum(0), a.sum(), b.sum(1), a.mean(0), b.mean(1), a.prod(0), b.prod(), a.any(0),
        b.any(), a.cumsum(0), b.cumsum(1), a.softmax(0), b.log_softmax(1), a.var(0),
        a.amax(1), *a.max(1), a.argmax(1),  # an empty kept dim is fine: no reduction is empty
        torch.linalg.vector_norm(a, dim=0), torch.linalg.vector_norm(b, 0, dim=1),
        *aten.native_layer_norm(a, [3], None, None, 1e-5),
    ), x, y)


def test_unsupported_dtypes_are_rejected_at_compile_time():
    # torch.export accepts these graphs (their meta functions do not check
    # dtypes) although eager torch cannot run them; Ember names op and dtype.
    b = torch.ones(3, dtype=torch.bool)
    i = torch.ones(2, 3, dtype=torch.int32)
    check_rejected(lambda a: a.argmax(), b, match=r"edge.argmax.*no kernel for element type 'i1'")
    check_rejected(lambda a: aten._softmax(a, 1, False), i,
                   match=r"edge._softmax.*no kernel for element type 'i32'")
    check_rejected(lambda a: aten.var.correction(a, [1]), i,
                   match=r"edge.var.correction.*expects a floating input, got 'i32'")
    check_rejected(lambda a: a.sum(1), i.to(torch.complex64), match="complex64")
