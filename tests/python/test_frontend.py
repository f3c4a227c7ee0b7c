"""Front-end graph work before import: constant folding and the rewrites of
list-valued ops, each checked against eager and against the operators that
end up in the .pte."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import ember
from ember import EdgeCompileConfig
from helpers import assert_close


def _compile(model: nn.Module, args: tuple, **config):
    ep = torch.export.export(model.eval(), args)
    program = ember.to_edge(ep, compile_config=EdgeCompileConfig(**config)).to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(program.buffer).program_summary()
    ops = {op["name"]: op["calls"] for op in summary["methods"][0]["operators"]}
    return ember.runtime.load(program.buffer), ops, len(program.buffer)


def _constant_bytes(model: nn.Module, args: tuple, **config) -> int:
    """The bytes of the distinct constant tensors in the compiled file."""
    ep = torch.export.export(model.eval(), args)
    program = ember.to_edge(ep, compile_config=EdgeCompileConfig(**config)).to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(program.buffer).program_summary()
    return summary["constants"]["tensor_bytes"]


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 8, bias=False)

    def forward(self, x):
        return self.fc(x)


def test_linear_weight_is_stored_transposed():
    x = torch.randn(4, 16)
    model = Linear()
    folded, ops, _ = _compile(model, (x,))
    assert "aten::permute_copy.out" not in ops and ops == {"aten::mm.out": 1}
    assert_close(folded.forward(x), model(x))
    # Unfolded, the run-time transpose feeds mm: ember-fuse-linear reads the
    # weight in place instead; with that pass off too, the transpose runs.
    unfolded, ops, _ = _compile(model, (x,), fold_constants=False)
    assert ops == {"aten::linear.out": 1}
    assert_close(unfolded.forward(x), model(x))
    unfused, ops, _ = _compile(model, (x,), fold_constants=False, fuse_linear=False)
    assert ops["aten::permute_copy.out"] == 1
    assert_close(unfused.forward(x), model(x))


class CausalMask(nn.Module):
    """A mask built from shapes alone (arange, comparisons, where): folded to
    one constant even though Ember has no kernel for some of those ops."""

    def forward(self, x):
        n = x.shape[-1]
        i = torch.arange(n)
        mask = torch.where(i[None, :] <= i[:, None], 0.0, float("-inf"))
        return torch.softmax(x + mask, dim=-1)


def test_mask_from_shapes_is_one_constant():
    x = torch.randn(2, 6, 6)
    module, ops, _ = _compile(CausalMask(), (x,))
    assert set(ops) == {"aten::add.out", "aten::_softmax.out"}
    assert_close(module.forward(x), CausalMask()(x))


def test_unfolded_mask_runs_its_ops():
    x = torch.randn(2, 6, 6)
    module, ops, _ = _compile(CausalMask(), (x,), fold_constants=False)
    assert "aten::arange.start_out" in ops and "aten::where.self_out" in ops
    assert_close(module.forward(x), CausalMask()(x))


class Broadcast(nn.Module):
    """A small constant broadcast to a big result is not folded: the file
    would grow by the result's size."""

    def __init__(self):
        super().__init__()
        self.register_buffer("row", torch.randn(1, 512))

    def forward(self, x):
        return x + self.row.expand(512, 512).clone()


def test_growth_limit_keeps_big_results_out_of_the_file():
    x = torch.randn(512, 512)
    model = Broadcast()
    module, ops, size = _compile(model, (x,))
    assert "aten::expand_copy.out" in ops
    assert size < 512 * 512 * 4 // 4
    assert_close(module.forward(x), model(x))


class Counter(nn.Module):
    """A mutated buffer is state, never folded, even where its uses are pure."""

    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(3))
        self.register_buffer("step", torch.ones(3))

    def forward(self, x):
        self.count.add_(self.step * 2)
        return x + self.count


def test_mutable_buffers_are_not_folded():
    x = torch.zeros(3)
    module, ops, _ = _compile(Counter(), (x,))
    assert "aten::copy_" in ops
    for expected in (2.0, 4.0, 6.0):
        assert torch.equal(module.forward(x), torch.full((3,), expected))


class Split(nn.Module):
    def forward(self, x):
        a, b, c = x.split([2, 3, 1], dim=-1)
        d, e = x.unbind(0)
        return a * 2, b + 1, c, d - e, torch.ops.aten.alias(x) + 0


def test_split_unbind_and_alias_are_rewritten():
    x = torch.randn(2, 6)
    module, ops, _ = _compile(Split(), (x,))
    assert ops["aten::slice_copy.Tensor_out"] == 5  # 3 pieces of the split, 2 of the unbind
    assert not any("split" in op or "unbind" in op or "alias" in op for op in ops)
    assert_close(module.forward(x), Split()(x))


class PoolChannelsLast(nn.Module):
    """Average pooling of a channels-last tensor exports as mean + as_strided
    (ConvNeXt's head does this): a view of dense memory, compiled as one."""

    def forward(self, x):
        return torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)


def test_as_strided_that_reinterprets_dense_memory_is_a_view():
    x = torch.randn(2, 8, 5, 5).contiguous(memory_format=torch.channels_last)
    ep = torch.export.export(PoolChannelsLast(), (x,)).run_decompositions()
    assert any("as_strided" in str(n.target) for n in ep.graph.nodes)
    module, ops, _ = _compile(PoolChannelsLast(), (x,))
    assert not any("as_strided" in op for op in ops)
    assert_close(module.forward(x), PoolChannelsLast()(x))


class Windows(nn.Module):
    """as_strided that makes overlapping windows: not a view, rejected."""

    def forward(self, x):
        return torch.as_strided(x, (3, 4), (2, 1)) * 2


def test_as_strided_overlapping_windows_are_rejected_with_the_call_named():
    with pytest.raises(ember.errors.CompileError,
                       match=r"aten::as_strided.default at .*test_frontend.py:\d+ in forward: "
                             r"sizes \[3, 4\] with strides \[2, 1\]"):
        _compile(Windows(), (torch.randn(10),))


class TiedHead(nn.Module):
    """An embedding whose weight is also the output layer (GPT-2, Llama, Qwen3):
    folding the transpose would store the big table twice, so it is not folded."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(4096, 32)
        self.head = nn.Linear(32, 4096, bias=False)
        self.head.weight = self.emb.weight
        self.small = nn.Linear(32, 32)

    def forward(self, ids):
        return self.head(self.small(self.emb(ids)))


def test_a_tied_weight_is_stored_once():
    ids = torch.randint(0, 4096, (1, 8))
    model = TiedHead().eval()
    module, ops, size = _compile(model, (ids,))
    table = 4096 * 32 * 4
    assert table < size < 2 * table  # the table once, not twice
    # The head reads the table in place (ember-fuse-linear), no transpose at run time.
    assert ops["aten::linear.out"] == 1 and "aten::permute_copy.out" not in ops
    assert_close(module.forward(ids), model(ids))
    module, ops, size = _compile(model, (ids,), fuse_linear=False)
    assert table < size < 2 * table
    assert ops["aten::permute_copy.out"] == 1  # the tied head's transpose, at run time
    assert_close(module.forward(ids), model(ids))


class Casts(nn.Module):
    """Two conversions of constants with the same number of elements: int8 to
    float32 is 4x the bytes it reads, int64 to float32 half."""

    def __init__(self):
        super().__init__()
        self.register_buffer("q", torch.randint(-128, 128, (64, 64), dtype=torch.int8))
        self.register_buffer("i", torch.arange(64 * 64).reshape(64, 64))

    def forward(self, x):
        return x @ self.q.float() + self.i.float()


def test_folding_never_makes_a_constant_larger_in_bytes():
    x = torch.randn(64, 64)
    model = Casts()
    module, ops, _ = _compile(model, (x,))
    assert ops["aten::_to_copy.out"] == 1  # int8 -> float32, at run time
    assert_close(module.forward(x), model(x), rtol=1e-5, atol=1e-3)  # sums of +-1000s
    # Stored: the int8 q as it is and i already converted to float32 (not q as
    # float32, 16384 bytes, nor i as int64, 32768 bytes).
    assert _constant_bytes(model, (x,)) == 64 * 64 * (1 + 4)
    assert _constant_bytes(model, (x,), fold_constants=False) == 64 * 64 * (1 + 8)


def test_int8_weight_only_linear_keeps_its_int8_weight():
    """torchao's Int8WeightOnlyConfig: the export converts the int8 weight to
    float and scales the product. Folding that conversion stored the weight as
    float32 (a 4.2 MB file); the conversion runs at run time and the file holds
    the int8 weight (transposed at compile time: the same bytes)."""
    quantization = pytest.importorskip("torchao.quantization")
    model = nn.Sequential(nn.Linear(1024, 1024)).eval()
    quantization.quantize_(model, quantization.Int8WeightOnlyConfig())
    x = torch.randn(2, 1024)
    module, ops, size = _compile(model, (x,))
    weight = 1024 * 1024  # int8
    assert weight < size < weight + 64 * 1024, size  # plus scales, bias and the program
    assert ops["aten::_to_copy.out"] == 1 and "aten::permute_copy.out" not in ops
    with torch.no_grad():
        assert_close(module.forward(x), model(x), rtol=1e-4, atol=1e-4)
    _, _, unfolded = _compile(model, (x,), fold_constants=False)
    assert size <= unfolded


class Dequantize(nn.Module):
    """A dequantized int8 weight, as PT2E's convert_pt2e leaves it."""

    def __init__(self, per_channel: bool):
        super().__init__()
        self.per_channel = per_channel
        self.register_buffer("q", torch.randint(-128, 128, (64, 32), dtype=torch.int8))
        self.register_buffer("scale", torch.rand(64) / 100)
        self.register_buffer("zero_point", torch.zeros(64, dtype=torch.int64))

    def forward(self, x):
        ops = torch.ops.quantized_decomposed
        if self.per_channel:
            w = ops.dequantize_per_channel(self.q, self.scale, self.zero_point, 0, -128, 127,
                                           torch.int8)
        else:
            w = ops.dequantize_per_tensor(self.q, 0.01, 0, -128, 127, torch.int8)
        return nn.functional.linear(x, w)


@pytest.mark.parametrize("per_channel", [True, False])
def test_a_dequantize_is_never_folded(per_channel):
    """Folding used to evaluate the dequantize into a float weight, silently
    (the file held float weights). The dequantize stays a run-time op, the
    file keeps the int8 weight, and the result is eager's."""
    import torch.ao.quantization.fx._decomposed  # noqa: F401  (the quantized_decomposed ops)

    model, x = Dequantize(per_channel), torch.randn(2, 32)
    module, ops, _ = _compile(model, (x,))
    op = f"quantized_decomposed::dequantize_per_{'channel' if per_channel else 'tensor'}.out"
    assert ops[op] == 1
    assert _constant_bytes(model, (x,)) < 64 * 32 + 64 * 16  # int8 weight, scales, zero points
    with torch.no_grad():
        assert_close(module.forward(x), model(x), rtol=1e-5, atol=1e-5)


def test_compiling_shows_no_future_warning():
    """torch's run_decompositions warns (FutureWarning, LeafSpec) on every
    call; compiling shows no FutureWarning. pyproject's filterwarnings leaves
    FutureWarning alone, and this block records every warning anyway."""

    class Nested(nn.Module):
        def forward(self, x, *, scale):
            return {"y": x * scale, "pair": (x + 1, x - 1)}

    ep = torch.export.export(Nested(), (torch.randn(3),), {"scale": torch.randn(3)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.to_edge(ep).to_executorch()
    future = [f"{w.filename}:{w.lineno}: {w.message}" for w in caught
              if issubclass(w.category, FutureWarning)]
    assert not future, future
