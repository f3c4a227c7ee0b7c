"""Ops under dynamic shapes: each graph is exported with size symbols that
have an upper bound, compiled once (every tensor planned at the bound), and
run at the bound and at smaller sizes, compared with eager every time.

The sizes reach the runtime in three ways, all covered here: a kernel that
derives its output size from its inputs (elementwise, reductions, conv),
an op whose size arguments are computed at run time (view, expand, full,
arange, slice, narrow) and a size used as a number (x / t)."""

from __future__ import annotations

import torch
from opcheck import check, check_rejected, compile_fn
from torch.export import Dim

import ember
from ember.errors import CompileError

F = torch.nn.functional
B = Dim("b", min=1, max=4)
T = Dim("t", min=2, max=12)
# For graphs that halve t (torch's guards want it even and at least 4).
T4 = Dim("t", min=4, max=12)
T_EVEN = 2 * Dim("half", min=2, max=6)


def dyn(*specs: dict) -> tuple:
    """dynamic_shapes for check()'s forward(*args): one dict per input."""
    return (specs,)


def sizes(*shapes: tuple) -> list[tuple]:
    return [tuple(torch.randn(*s) for s in case) for case in shapes]


def test_elementwise_and_broadcast_follow_the_inputs():
    check(lambda x, y: (x * y + 1).relu() - y.exp(), torch.randn(2, 6, 8), torch.randn(1, 6, 1),
          dynamic_shapes=dyn({0: B, 1: T}, {1: T}),
          run_with=[(torch.randn(4, 12, 8), torch.randn(1, 12, 1)),
                    (torch.randn(1, 2, 8), torch.randn(1, 2, 1))])


def test_views_with_sizes_computed_at_run_time():
    def fn(x):
        b, t, c = x.shape
        flat = x.reshape(b * t, c)                       # view with a product of sizes
        heads = x.view(b, t, 2, c // 2).transpose(1, 2)  # [b, 2, t, c/2]
        return (flat, heads.contiguous().view(b * 2, t, c // 2), x.flatten(0, 1),
                x.unsqueeze(1).expand(b, 3, t, c))

    check(fn, torch.randn(2, 6, 8), dynamic_shapes=dyn({0: B, 1: T4}),
          run_with=sizes(((4, 12, 8),), ((1, 4, 8),), ((3, 7, 8),)))


def test_slices_selects_and_narrow_at_run_time_sizes():
    def fn(x):
        t = x.shape[1]
        return (x[:, 1:], x[:, : t // 2], x[:, -1], x.narrow(1, t - 2, 2), x[:, ::2],
                x[:, t - 1:])

    check(fn, torch.randn(2, 6, 3), dynamic_shapes=dyn({0: B, 1: T_EVEN}),
          run_with=sizes(((4, 12, 3),), ((1, 4, 3),), ((3, 8, 3),)))


def test_creation_ops_take_run_time_sizes():
    def fn(x):
        b, t = x.shape[0], x.shape[1]
        causal = torch.ones(t, t).triu(1).bool()
        positions = torch.arange(t).view(1, t) + torch.zeros(b, 1, dtype=torch.long)
        return x.masked_fill(causal, -1.0), positions, torch.full((b, t), 2.5), x.new_zeros(t)

    check(fn, torch.randn(2, 6, 6), dynamic_shapes=dyn({0: B, 1: T, 2: T}),
          run_with=sizes(((4, 12, 12),), ((1, 2, 2),), ((3, 5, 5),)))


def test_sizes_used_as_numbers():
    def fn(x):
        t = x.shape[1]
        return x / t, x * (t // 2) + (t % 3), x / (t / 4), x - t * 2.5

    check(fn, torch.randn(2, 6, 3), dynamic_shapes=dyn({0: B, 1: T4}),
          run_with=sizes(((4, 12, 3),), ((1, 4, 3),), ((3, 7, 3),)))


def test_cat_and_pad_along_a_dynamic_dim():
    def fn(x, y):
        return torch.cat([x, y, x], 1), F.pad(x, (1, 2, 0, 3)), x.repeat(1, 2, 1)

    check(fn, torch.randn(2, 6, 3), torch.randn(2, 4, 3),
          dynamic_shapes=dyn({0: B, 1: T}, {0: B, 1: Dim("u", min=2, max=8)}),
          run_with=[(torch.randn(4, 12, 3), torch.randn(4, 8, 3)),
                    (torch.randn(1, 2, 3), torch.randn(1, 5, 3))])


def test_reductions_and_normalisation_over_dynamic_dims():
    ln = torch.nn.LayerNorm(8).eval()

    def fn(x):
        return (x.mean(1), x.sum((0, 1)), x.amax(1, keepdim=True), x.argmax(1), x.softmax(1),
                x.cumsum(1), x.var(1), ln(x), F.log_softmax(x, -1))

    check(fn, torch.randn(2, 6, 8), dynamic_shapes=dyn({0: B, 1: T}),
          run_with=sizes(((4, 12, 8),), ((1, 2, 8),), ((3, 7, 8),)))


def test_indexing_with_dynamic_index_lengths():
    table = torch.randn(20, 4)

    def fn(ids, x):
        return (F.embedding(ids, table), x.index_select(1, ids[0] % 6),
                x.gather(1, (ids % 6).unsqueeze(-1).expand(-1, -1, 5)), x.sort(1).values,
                x.topk(2, dim=1).indices)

    ids = torch.randint(0, 20, (2, 6))
    check(fn, ids, torch.randn(2, 6, 5), dynamic_shapes=dyn({0: B, 1: T}, {0: B, 1: T}),
          run_with=[(torch.randint(0, 20, (4, 12)), torch.randn(4, 12, 5)),
                    (torch.randint(0, 20, (1, 2)), torch.randn(1, 2, 5))])


def test_matmul_and_attention_at_run_time_lengths():
    def fn(q, k):
        scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
        return scores.softmax(-1) @ k, torch.bmm(q, k.transpose(1, 2))

    check(fn, torch.randn(2, 6, 4), torch.randn(2, 6, 4),
          dynamic_shapes=dyn({0: B, 1: T}, {0: B, 1: T}),
          run_with=[(torch.randn(4, 12, 4), torch.randn(4, 12, 4)),
                    (torch.randn(1, 3, 4), torch.randn(1, 3, 4))])


def test_convolution_pooling_and_resampling_with_dynamic_batch_and_size():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1).eval()

    def fn(x):
        y = conv(x)
        return (F.max_pool2d(y, 2), F.adaptive_avg_pool2d(y, 1), F.avg_pool2d(y, 2),
                F.interpolate(y, scale_factor=2, mode="nearest"),
                F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False))

    H = Dim("h", min=2, max=8)
    check(fn, torch.randn(2, 3, 6, 6) , dynamic_shapes=dyn({0: B, 2: 2 * H, 3: 2 * H}),
          run_with=sizes(((4, 3, 16, 16),), ((1, 3, 4, 4),), ((3, 3, 10, 10),)))


def test_outputs_and_inputs_are_dynamic_bound_at_their_upper_bounds():
    module, _ = compile_fn(lambda x: x.reshape(-1) * 2, torch.randn(2, 6),
                           dynamic_shapes=dyn({0: B, 1: T}))
    meta = module.method_meta("forward")
    assert [(v["dynamism"], v["sizes"]) for v in meta["inputs"]] == [("dynamic_bound", [4, 12])]
    assert [(v["dynamism"], v["sizes"]) for v in meta["outputs"]] == [("dynamic_bound", [48])]
    # Planned at the bound: the input and the output, 48 floats each, apart.
    assert meta["planned_buffer_sizes"][0] >= (48 + 48) * 4


def test_static_dims_stay_static():
    module, _ = compile_fn(lambda x: x.sum(1), torch.randn(2, 6), dynamic_shapes=dyn({1: T}))
    meta = module.method_meta("forward")
    assert meta["inputs"][0]["dynamism"] == "dynamic_bound"
    assert meta["outputs"][0]["dynamism"] == "static"  # [2] whatever t is


def test_a_dim_without_upper_bound_is_rejected_naming_the_input():
    check_rejected(lambda x: x * 2, torch.randn(2, 6), dynamic_shapes=dyn({1: Dim("t", min=2)}),
                   match=r"input 'args_0', dim 1: size \w+ has no upper bound .*Dim\('seq', max=")


def test_a_size_not_largest_at_the_bound_is_rejected():
    # 20 - t is largest at the smallest t: no single plan covers it.
    check_rejected(lambda x: torch.zeros(20 - x.shape[0]), torch.randn(6),
                   dynamic_shapes=dyn({0: T}), match=r"size 20 - \w+ is not largest")


def test_size_arithmetic_ember_lacks_is_named_with_its_source_line():
    err = check_rejected(lambda x: x.reshape(x.shape[0] ** 2), torch.randn(6, 6),
                         dynamic_shapes=dyn({0: T, 1: T}), error=ember.errors.UnsupportedOpError,
                         match=r"pow \(on sizes\) \(1 use\) at .*\.py:\d+")
    assert isinstance(err, CompileError)
