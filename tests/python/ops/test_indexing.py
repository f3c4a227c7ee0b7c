"""Indexing, gather/scatter, embedding, topk and sort against eager PyTorch.

A compile costs about a second (torch's run_decompositions), so most tests
compile one graph that applies many ops and compare every output with eager,
naming the op that differs: one graph per dtype for the data-movement ops and
scatter's reductions, one per dtype for topk and sort, then graphs for the
index patterns models produce (GPT-2's among them), 0-d and empty tensors,
ties and NaN, run-time index errors and compile-time rejections.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from opcheck import assert_same, check_all, check_rejected, compile_fn

from ember.errors import EmberRuntimeError

FLOATS = [torch.float32, torch.float16, torch.bfloat16, torch.float64]
INTS = [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]
ALL = FLOATS + INTS + [torch.bool]



def data(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """Random values of `dtype`, small enough for int8 sums and products."""
    if dtype == torch.bool:
        return torch.rand(shape) > 0.5
    if dtype.is_floating_point:
        return torch.randn(shape).to(dtype)
    lo = 0 if dtype == torch.uint8 else -9
    return torch.randint(lo, 10, shape, dtype=dtype)


def distinct(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """Distinct values of `dtype` (at most 120 of them: exact in int8 and
    bfloat16), so that topk's and sort's indices are defined."""
    n = 1
    for s in shape:
        n *= s
    perm = torch.randperm(n).reshape(shape)
    if dtype == torch.uint8:
        return perm.to(dtype)
    if dtype.is_floating_point:
        return (perm.double() * 0.5 - n / 4).to(dtype)
    return (perm - n // 2).to(dtype)


def unique_along(dim: int, sizes: tuple[int, ...], size: int) -> torch.Tensor:
    """An index of `sizes` whose entries are distinct along `dim` and lie in
    [0, size): scatter without duplicates (which torch leaves unspecified)."""
    full = list(sizes)
    full[dim] = size
    return torch.rand(full).argsort(dim=dim).narrow(dim, 0, sizes[dim])


# --- every data-movement op and scatter reduction, per dtype ----------------

REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_data_movement_and_scatter_for_each_dtype(dtype):
    """index (None, negative, int32, 2-d, separated indices), index_select,
    gather, scatter with src and value, embedding (int64/int32 indices,
    padding_idx) and every scatter reduction with and without self, for one
    dtype; negative dims and an index larger than self along dim included."""
    x = data((3, 4, 5), dtype)
    cols = torch.randint(-4, 4, (5,))  # negative indices count from the end
    grid = torch.randint(0, 5, (2, 3), dtype=torch.int32)
    rows, lasts = torch.randint(-3, 3, (4,)), torch.randint(0, 5, (4,))
    sel = torch.randint(0, 5, (7,))
    gat = torch.randint(0, 4, (3, 6, 5))  # dim 1 larger than self's
    sca = unique_along(1, (3, 2, 5), 4)
    src = data((3, 3, 6), dtype)
    dup = torch.randint(0, 4, (3, 6, 5))  # duplicates: the reductions combine them
    dsrc = data((3, 6, 5), dtype)
    emb = torch.randint(0, 12, (2, 3))
    # Ops the graphs must not contain (slicing, remainder: other families')
    # are applied here, outside the traced functions.
    cols4, sel2 = cols[:4], (sel[:2] % 3).int()
    gat32 = gat[:, :4, :2].int()
    value = True if dtype == torch.bool else (7 if not dtype.is_floating_point else -2.5)
    ops = {
        "index [:, cols]": lambda x, *_: x[:, cols],
        "index [:, :, grid] int32": lambda x, *_: x[:, :, grid],
        "index [rows, :, lasts] separated": lambda x, *_: x[rows, :, lasts],
        "index [rows, cols[:4]] adjacent": lambda x, *_: x[rows, cols4],
        "index_select dim -1": lambda x, *_: torch.index_select(x, -1, sel),
        "index_select dim 0 int32": lambda x, *_: torch.index_select(x, 0, sel2),
        "gather dim 1": lambda x, *_: torch.gather(x, 1, gat),
        "gather dim -1 int32": lambda x, *_: torch.gather(x, -1, gat32),
        "scatter src": lambda x, s, *_: x.scatter(1, sca, s),
        "scatter value": lambda x, *_: x.scatter(-2, sca, value),
        "embedding": lambda x, *_: F.embedding(emb, x.reshape(12, 5)),
        "embedding int32 padding_idx": lambda x, *_: F.embedding(emb.int(), x.reshape(12, 5),
                                                                 padding_idx=0),
        "scatter_add": lambda x, _, d: x.scatter_add(1, dup, d),
        "scatter reduce add": lambda x, _, d: x.scatter(1, dup, d, reduce="add"),
        "scatter reduce multiply": lambda x, _, d: x.scatter(1, dup, d, reduce="multiply"),
    }
    for red in REDUCTIONS:
        if red == "mean" and dtype == torch.bool:
            continue  # torch has no mean of bools
        for include_self in (True, False):
            ops[f"scatter_reduce {red} include_self={include_self}"] = (
                lambda x, _, d, red=red, inc=include_self:
                    x.scatter_reduce(1, dup, d, red, include_self=inc))
    check_all(ops, x, src, dsrc)


# --- topk and sort, per dtype ------------------------------------------------

@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_topk_and_sort_for_each_dtype(dtype):
    """topk (largest and smallest, every dim, k up to the dim's size, a
    transposed input) and sort/argsort (ascending, descending, stable) over
    distinct values: values and indices must both match torch's. bool has
    only sort (torch's topk rejects it), over ties: the stable sort's indices
    are still defined."""
    ops = {
        "sort dim -1": lambda x: torch.sort(x),
        "sort dim 0 descending": lambda x: torch.sort(x, dim=0, descending=True),
        "argsort dim 1 stable": lambda x: torch.argsort(x, dim=1, stable=True),
        "sort stable descending dim -2": lambda x: torch.sort(x, dim=-2, descending=True,
                                                              stable=True),
    }
    if dtype == torch.bool:
        x = data((3, 4, 5), dtype)
        del ops["sort dim -1"], ops["sort dim 0 descending"]  # not stable: ties unspecified
        ops["argsort descending stable"] = lambda x: torch.argsort(x, descending=True,
                                                                   stable=True)
        check_all(ops, x)
        return
    x = distinct((3, 4, 5), dtype)
    ops.update({
        "topk 2": lambda x: torch.topk(x, 2),
        "topk smallest dim 0": lambda x: torch.topk(x, 2, dim=0, largest=False),
        "topk k = size dim 1": lambda x: torch.topk(x, 4, dim=1),
        "topk k = 0": lambda x: torch.topk(x, 0, dim=-1),
        "topk of a transpose": lambda x: torch.topk(x.transpose(0, 2), 3, dim=1),
        "sort of an expand": lambda x: torch.sort(x.unsqueeze(0).expand(2, 3, 4, 5), dim=-1),
    })
    check_all(ops, x)


def test_ties_and_nan_order_like_torch():
    """Ties: a stable sort's indices are exact; topk's and the default sort's
    values must match and their indices must point at those values. NaN
    sorts above every number (first in descending order and in topk).
    topk(sorted=False) leaves torch's order unspecified: compare as sets."""
    ties = torch.randint(0, 4, (5, 9)).float()
    nan = torch.randn(4, 7)
    nan[torch.arange(4), torch.randint(0, 7, (4,))] = float("nan")  # one per row
    nan[0, :3] = torch.tensor([0.0, -0.0, float("nan")])
    exact = {
        "stable ascending": lambda t, n: torch.sort(t, stable=True),
        "stable descending": lambda t, n: torch.sort(t, dim=0, descending=True, stable=True),
        "nan stable ascending": lambda t, n: torch.sort(n, stable=True),
        "nan stable descending": lambda t, n: torch.sort(n, descending=True, stable=True),
        "nan topk values": lambda t, n: torch.topk(n, 3).values,
        "nan topk smallest values": lambda t, n: torch.topk(n, 3, largest=False).values,
    }
    check_all(exact, ties, nan)
    loose = {
        "topk": lambda t: torch.topk(t, 4),
        "topk smallest dim 0": lambda t: torch.topk(t, 3, dim=0, largest=False),
        "sort descending": lambda t: torch.sort(t, descending=True),
        "topk unsorted": lambda t: torch.topk(t, 3, sorted=False),
    }
    names = list(loose)
    module, carried = compile_fn(lambda t: tuple(loose[n](t) for n in names), ties)
    for name, (values, indices) in zip(names, module.forward(*carried), strict=True):
        want = loose[name](ties)
        dim = 0 if "dim 0" in name else -1
        if name == "topk unsorted":
            values, want_values = values.sort(-1).values, want.values.sort(-1).values
            assert torch.equal(values, want_values), name
            continue
        assert torch.equal(values, want.values), name
        assert torch.equal(ties.gather(dim, indices), values), f"{name}: indices"


# --- the index patterns models produce --------------------------------------

def test_index_patterns_of_models():
    """x[:, idx], x[idx_2d], x[idx] with a constant index, an index tensor
    that is an expand, index tensors broadcasting against each other, and
    non-contiguous selves (a transpose, an expand) inside the graph."""
    x = torch.randn(6, 5, 4)
    idx = torch.tensor([4, 0, -1])
    idx2d = torch.randint(-6, 6, (2, 3))
    col = torch.randint(0, 5, (2, 1))
    last = torch.randint(-4, 4, (3,))
    first = idx[:1]
    ops = {
        "x[:, const]": lambda x, i, j: x[:, torch.tensor([0, 2, 2])],
        "x[:, idx]": lambda x, i, j: x[:, i],
        "x[idx_2d]": lambda x, i, j: x[j],
        "x[idx_2d, col] broadcast": lambda x, i, j: x[j, col],
        "x[..., idx]": lambda x, i, j: x[..., last],
        "x[expanded idx]": lambda x, i, j: x[:, first.expand(4)],
        "x.transpose(0, 1)[idx]": lambda x, i, j: x.transpose(0, 1)[i],
        "x.expand(2, ...)[:, idx, :, idx]": lambda x, i, j: x.expand(2, 6, 5, 4)[:, i, :, last],
        "x[idx, :, idx] separated": lambda x, i, j: x[j, :, last],
    }
    check_all(ops, x, idx, idx2d)


def test_gpt2_index_shapes():
    """The exact shapes GPT-2 (transformers, use_cache=False) exports: the
    position ids (1, 16) int64 indexed by a (1, 1, 1, 1) and a (1, 1, 16, 1)
    or (1, 1, 1, 16) index (its attention-mask construction), and the token
    and position embeddings."""
    pos = torch.arange(16).view(1, 16).cumsum(-1)
    zero = torch.zeros(1, 1, 1, 1, dtype=torch.int64)
    q = torch.arange(16).view(1, 1, 16, 1)
    k = torch.arange(16).view(1, 1, 1, 16)
    ids = torch.randint(0, 1000, (1, 16))
    wte, wpe = torch.randn(1000, 64), torch.randn(1024, 64)
    positions = torch.arange(16).unsqueeze(0)
    ops = {
        "pos[zero, q]": lambda p, z, q, k, i: p[z, q],
        "pos[zero, k]": lambda p, z, q, k, i: p[z, k],
        "wte(ids)": lambda p, z, q, k, i: F.embedding(i, wte),
        "wpe(positions)": lambda p, z, q, k, i: F.embedding(positions, wpe),
    }
    check_all(ops, pos, zero, q, k, ids)


def test_zero_d_and_empty_tensors():
    """0-d selves and indices (ATen reads a 0-d tensor as one element along
    dim 0) and tensors with a size-0 dim, through every op."""
    s = torch.tensor(1.5)
    x = torch.randn(3, 0, 4)
    y = torch.randn(3, 4)
    w = torch.randn(5, 3)
    none = torch.zeros(0, dtype=torch.int64)
    none_3x0, none_0x4 = torch.zeros(3, 0, dtype=torch.int64), torch.zeros(0, 4, dtype=torch.int64)
    none_0x2 = torch.zeros(0, 2, dtype=torch.int64)
    ops = {
        "gather 0-d": lambda s, x, y: torch.gather(s, 0, torch.tensor(0)),
        "gather 0-d self, 1-d index": lambda s, x, y: torch.gather(s, -1, torch.tensor([0, 0])),
        "scatter 0-d": lambda s, x, y: s.scatter(0, torch.tensor(0), torch.tensor(2.5)),
        "index_select 0-d": lambda s, x, y: torch.index_select(s, 0, torch.tensor([0])),
        "index_select 0-d index": lambda s, x, y: torch.index_select(y, 1, torch.tensor(2)),
        "topk 0-d": lambda s, x, y: torch.topk(s, 1),
        "sort 0-d": lambda s, x, y: torch.sort(s),
        "embedding 0-d index": lambda s, x, y: F.embedding(torch.tensor(3), w),
        "sort empty dim": lambda s, x, y: torch.sort(x, dim=1),
        "topk empty other dim": lambda s, x, y: torch.topk(x, 2, dim=0),
        "index_select empty index": lambda s, x, y: torch.index_select(y, 0, none),
        "index empty index": lambda s, x, y: y[:, none],
        "index of empty self": lambda s, x, y: x[torch.tensor([2, 0])],
        "gather empty index": lambda s, x, y: torch.gather(y, 1, none_3x0),
        "scatter empty index": lambda s, x, y: y.scatter(0, none_0x4, 1.0),
        "embedding empty indices": lambda s, x, y: F.embedding(none_0x2, w),
    }
    check_all(ops, s, x, y)


# --- masked_fill (lowers to where) -------------------------------------------

def test_masked_fill_with_a_tensor_value():
    """masked_fill with a 0-d tensor value (where.self over a constant):
    a mask of self's shape, a broadcast one and one expanded to self's
    shape (the attention-mask pattern), on float and int selves."""
    x = torch.randn(2, 4, 5)
    mask = torch.rand(2, 4, 5) > 0.5
    row = torch.rand(2, 1, 5) > 0.5
    ops = {
        "same shape": lambda x, m, r: x.masked_fill(m, torch.tensor(3.0)),
        "broadcast mask": lambda x, m, r: x.masked_fill(r, torch.tensor(float("-inf"))),
        "expanded mask": lambda x, m, r: x.masked_fill(r.expand(2, 4, 5), torch.tensor(0.5)),
        "int self": lambda x, m, r: x.long().masked_fill(m, torch.tensor(7)),
    }
    check_all(ops, x, mask, row)


def test_masked_fill_with_a_scalar():
    """masked_fill with a Python number, as models write it."""
    x = torch.randn(2, 4, 5)
    mask = torch.rand(2, 4, 5) > 0.5
    row = torch.rand(2, 1, 5) > 0.5
    ops = {
        "scalar": lambda x, m, r: x.masked_fill(m, -1.5),
        "-inf, expanded mask": lambda x, m, r: x.masked_fill(r.expand(2, 4, 5), float("-inf")),
        "int self": lambda x, m, r: x.long().masked_fill(m, 7),
    }
    check_all(ops, x, mask, row)


# --- errors -------------------------------------------------------------------

def test_out_of_range_indices_fail_cleanly_at_run_time():
    """A module compiled for valid indices, then run with an out-of-range
    one for each op in turn: a KernelFailed error naming the op, never a
    crash; the same module still runs with valid indices afterwards."""
    x = torch.randn(4, 5)
    w = torch.randn(10, 3)
    good = [torch.tensor([1, -1]), torch.tensor([0, 4]), torch.tensor([[1], [2], [3], [0]]),
            torch.tensor([[0, 1, 2, 3, 0]]), torch.tensor([9, 0])]

    def fn(x, i, s, g, c, e):
        return (x[:, i], torch.index_select(x, 1, s), torch.gather(x, 1, g),
                x.scatter(0, c, 1.0), F.embedding(e, w))

    module, carried = compile_fn(fn, x, *good)
    bad = {0: ("aten::index.Tensor_out", torch.tensor([1, 5])),
           1: ("aten::index_select.out", torch.tensor([0, -1])),
           2: ("aten::gather.out", torch.tensor([[1], [2], [5], [0]])),
           3: ("aten::scatter.value_out", torch.tensor([[0, 1, 2, 4, 4]])),
           4: ("aten::embedding.out", torch.tensor([10, 0]))}
    for k, (op, index) in bad.items():
        args = list(carried)
        args[1 + k] = index
        with pytest.raises(EmberRuntimeError, match=op) as info:
            module.forward(*args)
        assert info.value.code == "KernelFailed"
        assert "out of bounds" in str(info.value)
    for g, w_ in zip(module.forward(*carried), fn(x, *good), strict=True):
        assert_same(g, w_)


def test_data_dependent_sizes_are_rejected_at_compile_time():
    """A bool mask index gives an output size that depends on the data (an
    unbacked size in torch.export), even when the mask is an input or a
    constant: rejected with a message saying so and pointing at where()."""
    x = torch.randn(4, 5)
    match = "depends on the input's values"
    check_rejected(lambda x: x[x > 0], x, match=match)
    mask = torch.tensor([True, False, True, True])  # an input, not computed from x
    check_rejected(lambda x, m: x[m[:, None].expand(4, 5)], x, mask, match=match)


def test_unsupported_dtypes_are_rejected_at_compile_time():
    """topk of bool has no kernel (torch has none either)."""
    b = torch.rand(3, 4) > 0.5
    check_rejected(lambda b: torch.topk(b, 2), b, match="topk")
