"""Shape, data-movement, creation and resampling ops against eager PyTorch.

Each check compiles one graph (most of its cost is torch's decomposition), so
a test puts many variants of an op into one graph and compares every output.
The view ops run as their *_copy kernels; zeros/ones/new_zeros/... reach the
runtime as full/full_like, stack/flatten/narrow/unbind/... as the ops below.
"""

from __future__ import annotations

import pytest
import torch
from opcheck import check, check_rejected

F = torch.nn.functional
aten = torch.ops.aten

ALL_DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64,
              torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool]
RESAMPLE_DTYPES = [torch.float32, torch.float16, torch.bfloat16]


def rand(shape, dtype=torch.float32) -> torch.Tensor:
    """Random values of any dtype (ints in a range every int dtype holds)."""
    if dtype.is_floating_point:
        return torch.randn(shape).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape) > 0.5
    lo, hi = (0, 256) if dtype == torch.uint8 else (-100, 100)
    return torch.randint(lo, hi, shape).to(dtype)


def rand_shape(rank: int, lo: int = 1, hi: int = 5) -> tuple[int, ...]:
    return tuple(torch.randint(lo, hi + 1, (rank,)).tolist())


def fill_for(dtype: torch.dtype):
    """A fill value of the dtype's kind, not 0 or 1."""
    if dtype == torch.bool:
        return True
    return 2.5 if dtype.is_floating_point else 7


# ---- data movement: every op, every dtype ----------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_data_movement_every_dtype(dtype):
    x = rand(rand_shape(3, 2, 5), dtype)
    v = fill_for(dtype)

    def fn(x):
        t = x.transpose(0, 2)  # non-contiguous inputs inside the graph
        return (x[1:, ::2], x[..., -3:-1], x[:, -1], t[1], aten.alias(x),
                F.pad(x, (1, 2, -1, 1), value=v), x.repeat(2, 1, 1, 2), x.flip(0, -1),
                torch.cat([x, x[:, :1]], 1), torch.cat([t, t], -1), torch.stack([x, x], -1),
                torch.full_like(x, v), t[:, 1:].flip(0).repeat(1, 1, 2))

    check(fn, x)


# ---- slice, select, alias ---------------------------------------------------

def test_slice_bounds_steps_and_clamping():
    x = rand(rand_shape(2, 4, 8))
    s = aten.slice.Tensor

    def fn(x):
        t = x.t()
        return (s(x, 1, None, None, 1), s(x, 1, 2, None, 1), s(x, 1, None, -1, 1),
                s(x, 1, -3, None, 1), s(x, 1, 1, 100, 1), s(x, 1, -100, 2, 1),
                s(x, 1, 5, 2, 1), s(x, 1, 100, None, 1), s(x, 1, None, None, 3),
                s(x, -1, 1, None, 2), s(x, 0, -2, None, 1), s(x, 0, 1, -1, 5),
                s(t, 0, 1, None, 2), s(t, -1, None, -1, 1), x.narrow(1, 1, 2))

    check(fn, x)


def test_select_negative_and_to_0d():
    x = rand(rand_shape(3, 2, 5))
    v = rand((5,))

    def fn(x, v):
        return (x[:, -1], x[0], x.select(-1, 1), x.select(-3, -2), v[-1], v[2],
                x.transpose(0, 2)[-1])

    check(fn, x, v)


def test_alias_of_0d_and_empty():
    check(lambda a, b: (aten.alias(a), aten.alias(b)), torch.tensor(3.5), torch.randn(0, 3))


# ---- constant_pad_nd --------------------------------------------------------

def test_constant_pad_any_rank_and_negative_pads():
    xs = [rand(rand_shape(r, 2, 4)) for r in range(1, 6)]

    def fn(a, b, c, d, e):
        return (F.pad(a, (2, 1), value=-1.5), F.pad(b, (1, 1, 2, 0)), F.pad(c, (0, 0, 1, 1, 1, 0)),
                F.pad(d, (1, 0, 0, 1, 1, 1, 2, 0), value=4.0), F.pad(e, (1, 1), value=9.0),
                F.pad(b, (-1, 1, 0, -1)), F.pad(c, (-1, -1)), F.pad(a, (-2, 3)),
                F.pad(e.transpose(1, 4), (1, -1, 0, 1)), aten.constant_pad_nd(c, []))

    check(fn, *xs)


def test_constant_pad_to_empty_from_empty_and_0d():
    a = torch.randn(3, 3)
    check(lambda a, e, z: (F.pad(a, (-2, -1)), F.pad(e, (1, 1, 0, 2), value=3.0),
                           aten.constant_pad_nd(z, [])),
          a, torch.randn(0, 2), torch.tensor(1.5))


def test_constant_pad_value_is_cast_to_the_dtype():
    def fn(i32, i8, u8, b, h, bf):
        return (F.pad(i32, (1, 1), value=2.5), F.pad(i8, (1, 0), value=-3.7),
                F.pad(u8, (0, 2), value=200), F.pad(b, (1, 1), value=0.5),
                F.pad(h, (1, 1), value=1 / 3), F.pad(bf, (2, 0), value=1 / 3),
                F.pad(i32, (1, 0), value=-2))

    check(fn, rand((4,), torch.int32), rand((3,), torch.int8), rand((3,), torch.uint8),
          rand((2,), torch.bool), rand((3,), torch.float16), rand((3,), torch.bfloat16))


# ---- repeat, flip, roll -----------------------------------------------------

def test_repeat_more_dims_zeros_and_0d():
    x = rand(rand_shape(2))

    def fn(x, z):
        return (x.repeat(2, 3), x.repeat(1, 1), x.repeat(2, 1, 3), x.repeat(0, 2),
                x.t().repeat(3, 1), z.repeat(2, 3), aten.repeat(z, []), x.tile(2),
                x.repeat_interleave(2, dim=0), x.repeat(2, 1, 1, 1, 2))

    check(fn, x, torch.tensor(4.0))


def test_flip_dims():
    x = rand(rand_shape(3, 1, 4))
    check(lambda x, z: (x.flip(0), x.flip(-1), x.flip(0, 1, 2), x.flip(-1, 0), x.flip([]),
                        x.transpose(0, 1).flip(-2), z.flip(0), torch.fliplr(x), torch.flipud(x)),
          x, torch.tensor(2.0))


def test_roll():
    x = rand(rand_shape(3, 2, 5))
    check(lambda x: (x.roll(1, -1), x.roll((2, -1), (0, 1)), x.roll(3)), x)


# ---- creation: full, full_like, arange, scalar_tensor ----------------------

def test_full_every_dtype_and_defaults():
    def fn(x):
        fulls = tuple(torch.full((2, 3), fill_for(d), dtype=d) for d in ALL_DTYPES)
        return fulls + (torch.full((2,), 3), torch.full((1, 2), True), torch.full((3,), 2.5),
                        torch.full((2,), -1, dtype=torch.uint8),
                        torch.full((2,), -2.5, dtype=torch.int32),
                        torch.full((2,), 3, dtype=torch.float16), torch.full((), 1.5),
                        torch.full((0, 3), 1.0), torch.zeros(2, 3), torch.ones(4),
                        torch.zeros(3, dtype=torch.int64), torch.ones(2, 2, dtype=torch.bool),
                        x.new_zeros(2, 2), x.new_ones(3), x.new_full((2,), 5.0),
                        x + torch.ones(x.shape))

    check(fn, torch.randn(2, 2))


def test_full_like_every_dtype_and_dtype_argument():
    xs = [rand((2, 3), d) for d in ALL_DTYPES]

    def fn(*xs):
        out = tuple(torch.full_like(x, fill_for(x.dtype)) for x in xs)
        out += tuple(torch.zeros_like(x) for x in xs[:3])
        out += tuple(torch.ones_like(x) for x in xs[4:])
        return out + (torch.full_like(xs[0], 3, dtype=torch.int32),
                      torch.full_like(xs[4], 2.5, dtype=torch.float16),
                      torch.ones_like(xs[0], dtype=torch.bool),
                      torch.zeros_like(xs[0].t()))

    check(fn, *xs)


def test_arange_lengths_and_dtypes():
    def fn(x):
        return (torch.arange(5), torch.arange(2, 11, 3), torch.arange(10, -3, -3),
                torch.arange(0.0, 1.0, 0.1), torch.arange(-1.5, 2.0, 0.25),
                torch.arange(3, 3), torch.arange(1, 0, -0.3),
                torch.arange(0, 5.5, dtype=torch.int64), torch.arange(0, 5.5, dtype=torch.int32),
                torch.arange(0.5, 5, 1.5, dtype=torch.int64),
                torch.arange(0.5, 5, 1.5, dtype=torch.int32),
                torch.arange(0, 50, 0.7, dtype=torch.float16),
                torch.arange(-3, 40, 1.3, dtype=torch.bfloat16),
                torch.arange(1, 2, 0.01, dtype=torch.float64),
                torch.arange(-7, 7, 2, dtype=torch.int16), torch.arange(120, 130, dtype=torch.int8),
                torch.arange(250, 260, dtype=torch.uint8), torch.arange(5, dtype=torch.float32),
                x + torch.arange(x.shape[-1]).float())

    check(fn, torch.randn(3, 4))


def test_scalar_tensor_every_dtype():
    def fn(x):
        return tuple(torch.scalar_tensor(fill_for(d), dtype=d) for d in ALL_DTYPES) + (
            torch.scalar_tensor(3), torch.scalar_tensor(-2.5), x * torch.scalar_tensor(2.0))

    check(fn, torch.randn(3))


# ---- upsample ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", RESAMPLE_DTYPES, ids=str)
def test_upsample_nearest(dtype):
    x = rand((2, 3, *rand_shape(2, 2, 6)), dtype)
    s = rand((1, 2, 4, 3), dtype)  # 4x3 with scale 1.7/1.6: the scale, not in/out, decides

    def fn(x, s):
        up = aten.upsample_nearest2d.vec
        return (F.interpolate(x, size=(7, 9)), F.interpolate(x, size=(1, 2)),
                F.interpolate(x, scale_factor=2), F.interpolate(x, scale_factor=1.7),
                F.interpolate(x, scale_factor=(0.6, 2.3)), up(s, None, [1.7, 1.6]),
                up(s, [6, 4], None), up(x, None, [1.1, 1.0]),
                F.interpolate(x.contiguous(memory_format=torch.channels_last), scale_factor=3),
                torch.nn.Upsample(scale_factor=2)(x.transpose(2, 3)))

    check(fn, x, s)


def test_upsample_nearest_scale_and_size_differ_in_torch():
    # What test_upsample_nearest relies on: with scale_factors torch maps
    # indices through 1/scale, so the two calls above disagree.
    s = torch.arange(12.0).reshape(1, 1, 4, 3)
    a = aten.upsample_nearest2d.vec(s, None, [1.7, 1.6])
    b = aten.upsample_nearest2d.vec(s, [6, 4], None)
    assert a.shape == b.shape and not torch.equal(a, b)


@pytest.mark.parametrize("dtype", RESAMPLE_DTYPES, ids=str)
def test_upsample_bilinear(dtype):
    x = rand((2, 3, *rand_shape(2, 2, 6)), dtype)

    def fn(x):
        out = ()
        for ac in (False, True):
            out += (F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=ac),
                    F.interpolate(x, size=(1, 3), mode="bilinear", align_corners=ac),
                    F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=ac),
                    F.interpolate(x, scale_factor=(1.7, 0.6), mode="bilinear", align_corners=ac))
        up = aten.upsample_bilinear2d.vec
        return out + (up(x, None, False, [1.1, 2.3]), up(x, [x.shape[2], 5], False, None),
                      F.interpolate(x.contiguous(memory_format=torch.channels_last),
                                    scale_factor=1.5, mode="bilinear"),
                      F.interpolate(x.transpose(2, 3), size=(4, 4), mode="bilinear"))

    check(fn, x)


def test_upsample_rejects_other_dtypes():
    x = torch.randn(1, 2, 3, 3)
    check_rejected(lambda x: F.interpolate(x.double(), scale_factor=2), x,
                   match=r"upsample_nearest2d.vec' op has no kernel for element type 'f64'")
    check_rejected(lambda x: F.interpolate((x * 10).to(torch.uint8), scale_factor=2), x,
                   match=r"upsample_nearest2d.vec' op has no kernel for element type 'ui8'")


# ---- cat and the ops that decompose to the shape ops ------------------------

def test_cat_empty_negative_dim_and_promotion():
    a, b = rand((2, 3)), rand((4, 3))

    def fn(a, b, e1, e2, i32, i64, u8, bo, h, bf):
        return (torch.cat([a, b], 0), torch.cat([a, e1, a], -1), torch.cat([e1, a, e1]),
                torch.cat([e2, a], 0), torch.cat([a.t(), b.t()], -1), torch.cat([e1, e1]),
                torch.cat([a, i32]), torch.cat([i32, i64]), torch.cat([u8, bo]),
                torch.cat([h, bf]), torch.cat([bo, bo]), torch.cat([a]))

    check(fn, a, b, torch.randn(0), torch.randn(0, 3), rand((2, 3), torch.int32),
          rand((1, 3), torch.int64), rand((2, 3), torch.uint8), rand((2, 3), torch.bool),
          rand((2, 3), torch.float16), rand((2, 3), torch.bfloat16))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool], ids=str)
def test_ops_that_decompose_to_shape_ops(dtype):
    x = rand((2, 1, 3, 4), dtype)

    def fn(x):
        return (torch.stack([x, x]), torch.stack([x[0], x[1]], -1), x.flatten(), x.flatten(1, 2),
                x.flatten(2).unflatten(-1, (4, 3)), x.transpose(0, 3), x.narrow(-1, 1, 2),
                x.movedim(0, -1), x.movedim((1, 2), (0, 3)), x.squeeze(), x.squeeze(1),
                x.squeeze((0, 1)), x.unsqueeze(-1), x[None, :, None], x.unbind(2),
                x.transpose(1, 2).reshape(6, -1), x.mT, x[0, 0].t(), x.expand(3, 2, 2, 3, 4),
                x.view(-1, 4), x.permute(3, 1, 0, 2).contiguous(), x.swapaxes(0, 2))

    check(fn, x)


def test_tril_triu():
    x = rand(rand_shape(3, 2, 5))
    check(lambda x: (x.tril(), x.triu(), x.tril(1), x.triu(-1), x.transpose(1, 2).triu(2)), x)


def test_chunk_and_split():
    x = rand((4, 6))
    check(lambda x: (x.chunk(2, -1), x.split(3), x.split([1, 3], 0)), x)
