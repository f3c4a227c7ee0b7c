"""Fused scaled-dot-product attention (edge.scaled_dot_product_attention,
kernel ember::sdpa.out) against eager torch: the op kept whole from
F.scaled_dot_product_attention, attention written out by hand and rewritten
by ember-fuse-attention, the portable and the optimized kernels, 1 and 2
threads, and the cases left to the decomposition or refused."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from helpers import assert_close

import ember
from ember.errors import CompileError
from ember.partitioners import XnnpackPartitioner

FUSED = "edge.scaled_dot_product_attention"


class Sdpa(torch.nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, q, k, v, mask=None):
        if mask is None:
            return F.scaled_dot_product_attention(q, k, v, **self.kwargs)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **self.kwargs)


def _qkv(n: int, hq: int, hk: int, length: int, s: int, e: int,
         ev: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(length * 1000 + s * 10 + e)
    return (torch.randn(n, hq, length, e, generator=g), torch.randn(n, hk, s, e, generator=g),
            torch.randn(n, hk, s, ev or e, generator=g))


def _compile(model, args, **config):
    ep = torch.export.export(model.eval(), args)
    edge = ember.to_edge(ep, compile_config=ember.EdgeCompileConfig(**config))
    return edge, edge.to_executorch().buffer


def _run(buffer, args):
    return ember.runtime.load(buffer).forward(*[a for a in args if a is not None])


def _mask(kind: str, n: int, h: int, length: int, s: int) -> torch.Tensor:
    """bool/float masks of several broadcast shapes; 'row' masks one query row fully."""
    g = torch.Generator().manual_seed(7)
    keep = torch.rand(n, h, length, s, generator=g) > 0.3
    keep[..., 0] = True  # no row fully masked unless asked
    if kind == "bool_2d":
        return keep[0, 0]
    if kind == "bool_pad":  # [N, 1, 1, S]: padding per batch, as BERT
        return keep[:, :1, :1, :]
    if kind == "bool_row":
        m = keep[:1, :1].clone()
        m[..., length // 2, :] = False
        return m
    additive = torch.randn(n, h, length, s, generator=g)
    if kind == "float_3d":
        return additive[0]
    if kind == "float_4d":
        return additive
    if kind == "float_row":
        additive = additive.clone()
        additive[:, :, length // 2, :] = float("-inf")
        return additive
    raise ValueError(kind)


# (L, S, E, mask kind or None, is_causal, key/value heads, scale)
CASES = [
    (1, 1, 8, None, False, 3, None),
    (7, 17, 8, None, False, 3, None),
    (17, 7, 64, None, False, 3, 0.3),
    (129, 129, 64, None, False, 3, None),
    (7, 7, 8, None, True, 3, None),
    (17, 7, 8, None, True, 3, None),
    (7, 17, 64, None, True, 3, None),
    (129, 129, 8, None, True, 3, None),
    (17, 129, 8, "bool_2d", False, 3, None),
    (7, 17, 64, "bool_pad", False, 3, None),
    (17, 17, 8, "bool_row", False, 3, None),
    (129, 17, 8, "float_3d", False, 3, 0.5),
    (7, 129, 64, "float_4d", False, 3, None),
    (17, 7, 8, "float_row", False, 3, None),
    (17, 17, 8, None, False, 1, None),       # grouped: 3 query heads per key head
    (129, 129, 64, None, True, 1, None),
    (7, 17, 8, "bool_pad", False, 1, None),
]
CASE_IDS = [f"L{c[0]}-S{c[1]}-E{c[2]}-{c[3] or 'nomask'}{'-causal' if c[4] else ''}-hk{c[5]}"
            f"{'-scale' if c[6] else ''}" for c in CASES]


def _case(case: tuple) -> tuple[torch.nn.Module, tuple]:
    length, s, e, mask_kind, causal, hk, scale = case
    n, hq = 2, 3
    q, k, v = _qkv(n, hq, hk, length, s, e, ev=e if e != 8 else 5)
    mask = _mask(mask_kind, n, hq, length, s) if mask_kind else None
    kwargs = {"is_causal": causal}
    if hk != hq:
        kwargs["enable_gqa"] = True
    if scale is not None:
        kwargs["scale"] = scale
    return Sdpa(**kwargs), (q, k, v, mask)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sdpa_matches_eager(case):
    model, args = _case(case)
    edge, buffer = _compile(model, tuple(a for a in args if a is not None))
    ir = edge.ir()
    assert FUSED in ir and "edge._softmax" not in ir and "edge.bmm" not in ir, ir
    got = _run(buffer, args)
    with torch.no_grad():
        want = model(*args)
    assert not torch.isnan(want).any()  # a fully masked row is 0 in eager too
    assert_close(got, want, rtol=1e-5, atol=2e-6)


_RUNNER = """
import sys, torch, ember
assert ember._C.kernel_library().startswith(sys.argv[3]), ember._C.kernel_library()
cases = torch.load(sys.argv[1])
torch.save([ember.runtime.load(b).forward(*args) for b, args in cases], sys.argv[2])
"""


def _run_in_subprocess(tmp_path: Path, cases: list, env: dict, library: str) -> list:
    torch.save(cases, tmp_path / "cases.pt")
    subprocess.run([sys.executable, "-c", _RUNNER, str(tmp_path / "cases.pt"),
                    str(tmp_path / "out.pt"), library], check=True, env={**os.environ, **env})
    return torch.load(tmp_path / "out.pt")


def test_portable_and_optimized_kernels_agree(tmp_path):
    """Every case on the portable kernel (EMBER_KERNELS=portable, in a
    subprocess) against eager, and on the optimized one at each instruction
    set this CPU runs (EMBER_KERNELS_ISA) against the portable one."""
    assert ember._C.kernel_library().startswith("optimized")
    cases, wants = [], []
    for case in CASES:
        model, args = _case(case)
        args = tuple(a for a in args if a is not None)
        cases.append((_compile(model, args)[1], args))
        with torch.no_grad():
            wants.append(model(*args))
    portable = _run_in_subprocess(tmp_path, cases, {"EMBER_KERNELS": "portable"}, "portable")
    for p, w in zip(portable, wants, strict=True):
        assert_close(p, w, rtol=1e-5, atol=1e-6)
    isas = ["generic"] + (["avx2", "avx512"] if "avx" in ember._C.kernel_library() else [])
    for isa in isas:
        if isa == "avx512" and "avx512" not in ember._C.kernel_library():
            continue
        optimized = _run_in_subprocess(tmp_path, cases, {"EMBER_KERNELS_ISA": isa},
                                       f"optimized ({isa})")
        for o, p in zip(optimized, portable, strict=True):
            assert_close(o, p, rtol=1e-5, atol=2e-6)


def test_results_do_not_depend_on_the_thread_count():
    model, args = _case((129, 129, 64, "float_4d", False, 1, None))
    args = (*args[:3], args[3])
    _, buffer = _compile(model, args)
    before = ember.runtime.get_num_threads()
    try:
        outs = []
        for threads in (1, 2):
            ember.runtime.set_num_threads(threads)
            outs.append(_run(buffer, args))
    finally:
        ember.runtime.set_num_threads(before)
    assert torch.equal(outs[0], outs[1])


class HandWritten(torch.nn.Module):
    """Attention as models write it: matmul, scale, mask, softmax, matmul."""

    def __init__(self, mask: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, q, k, v, runtime_mask=None):
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        if self.mask is not None:
            scores = scores + self.mask
        if runtime_mask is not None:
            scores = scores + runtime_mask
        return torch.matmul(torch.softmax(scores, dim=-1), v)


def _causal_additive(length: int, s: int) -> torch.Tensor:
    return torch.full((length, s), float("-inf")).triu(1)


@pytest.mark.parametrize("mask", [None, "causal"])
def test_pass_fuses_hand_written_attention(mask):
    q, k, v = _qkv(2, 3, 3, 17, 17, 8)
    model = HandWritten(_causal_additive(17, 17) if mask else None)
    edge, buffer = _compile(model, (q, k, v))
    ir = edge.ir()
    assert ir.count(FUSED) == 1 and "edge._softmax" not in ir and "edge.bmm" not in ir, ir
    with torch.no_grad():
        assert_close(_run(buffer, (q, k, v)), model(q, k, v))


def test_pass_leaves_a_run_time_mask_without_guard_alone():
    """A bare softmax gives NaN for a fully masked row, the kernel 0: a mask
    computed at run time without torch's guard is not rewritten."""
    q, k, v = _qkv(1, 2, 2, 7, 9, 8)
    mask = torch.randn(1, 1, 7, 9)
    model = HandWritten()
    edge, buffer = _compile(model, (q, k, v, mask))
    assert FUSED not in edge.ir() and "edge._softmax" in edge.ir()
    with torch.no_grad():
        assert_close(_run(buffer, (q, k, v, mask)), model(q, k, v, mask))


def test_pass_fuses_torch_decomposition_with_its_guard():
    """The math form torch's decomposition leaves (a mask with a fully masked
    row, and the guard) rewritten by the pass: the IR compiled without
    fusion, parsed again and taken through the edge phase with it, then run."""
    model, args = _case((17, 17, 8, "bool_row", False, 3, None))
    edge, _ = _compile(model, args, fuse_attention=False)
    assert FUSED not in edge.ir() and "edge.any.dim" in edge.ir()
    session = ember._C.CompilerSession()
    session.parse(edge.ir(full=True))
    session.run_to("edge", fuse_attention=True)
    fused = session.print(False)
    assert fused.count(FUSED) == 1 and "edge._softmax" not in fused
    assert "edge.any.dim" not in fused and "edge.bmm" not in fused
    with torch.no_grad():
        assert_close(_run(bytes(memoryview(session.emit())), args), model(*args))


def test_fuse_attention_false_keeps_core_aten():
    model, args = _case((7, 17, 8, "bool_pad", False, 3, None))
    edge, buffer = _compile(model, args, fuse_attention=False)
    assert FUSED not in edge.ir() and "edge._softmax" in edge.ir()
    with torch.no_grad():
        assert_close(_run(buffer, args), model(*args))


def test_calls_the_kernel_does_not_take_are_decomposed():
    """3-d q, k, v (no head dim): decomposed to the math form, as before."""
    q, k, v = (torch.randn(2, 7, 8) for _ in range(3))
    model = Sdpa(is_causal=True)
    edge, buffer = _compile(model, (q, k, v))
    assert FUSED not in edge.ir()
    with torch.no_grad():
        assert_close(_run(buffer, (q, k, v)), model(q, k, v))


@pytest.mark.parametrize("fuse", [True, False])
def test_dropout_is_refused_naming_the_call(fuse):
    q, k, v = _qkv(1, 2, 2, 7, 7, 8)
    with pytest.raises(CompileError, match=r"scaled_dot_product_attention.*test_attention\.py:"
                                           r"\d+.*dropout_p=0\.5"):
        _compile(Sdpa(dropout_p=0.5), (q, k, v), fuse_attention=fuse)


def test_xnnpack_leaves_attention_to_embers_kernels():
    q, k, v = _qkv(1, 2, 2, 7, 7, 8)
    model = Sdpa(is_causal=True)
    ep = torch.export.export(model, (q, k, v))
    edge = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    assert FUSED in edge.ir()
    assert "edge.scaled_dot_product_attention -- XnnpackBackend: attention runs on Ember's " \
        "fused kernel (ember::sdpa.out)" in edge.delegation_summary()
    with torch.no_grad():
        assert_close(_run(edge.to_executorch().buffer, (q, k, v)), model(q, k, v))


def test_dynamic_sequence_length():
    """A causal call exported with a dynamic length runs at every length up
    to its bound (the kernel reads the run-time sizes)."""
    seq = torch.export.Dim("seq", min=2, max=64)
    model = Sdpa(is_causal=True)
    q, k, v = _qkv(1, 2, 2, 16, 16, 8)
    ep = torch.export.export(model, (q, k, v), dynamic_shapes=({2: seq}, {2: seq}, {2: seq}))
    edge = ember.to_edge(ep)
    assert FUSED in edge.ir()
    module = ember.runtime.load(edge.to_executorch().buffer)
    for length in (2, 7, 33, 64):
        q, k, v = _qkv(1, 2, 2, length, length, 8)
        with torch.no_grad():
            assert_close(module.forward(q, k, v), model(q, k, v))


@pytest.mark.parametrize("name", ["bert", "whisper_encoder", "llama"])
def test_pass_fuses_decomposed_zoo_transformers(name):
    """The zoo's transformers compiled without fusion (torch's decomposition:
    a bool padding/causal mask, no mask, k/v heads repeated for grouped
    attention), then taken through the edge phase with ember-fuse-attention:
    every attention is rewritten and the model still matches eager."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
    from zoo import ZOO, tolerance

    model, args = ZOO[name](False)
    edge = ember.to_edge(torch.export.export(model, args),
                         compile_config=ember.EdgeCompileConfig(fuse_attention=False))
    session = ember._C.CompilerSession()
    session.parse(edge.ir(full=True))
    session.run_to("edge", fuse_attention=True)
    fused = session.print(False)
    assert fused.count(FUSED) == edge.ir().count("edge._softmax") == 2
    assert "edge._softmax" not in fused
    got = ember.runtime.load(bytes(memoryview(session.emit()))).forward(*args)
    with torch.no_grad():
        want = model(*args)
    got = got[0] if isinstance(got, (tuple, list)) else got
    want = want[0] if isinstance(want, (tuple, list)) else want
    assert (got - want).abs().max().item() <= tolerance(want.abs().max().item())


class RepeatKv(torch.nn.Module):
    """Grouped-query attention as HF models write it: k/v heads repeated
    (repeat_kv) before a causal SDPA."""

    def forward(self, q, k, v):
        def repeat(x, g):
            n, h, s, d = x.shape
            return x[:, :, None, :, :].expand(n, h, g, s, d).reshape(n, h * g, s, d)
        return F.scaled_dot_product_attention(q, repeat(k, 3), repeat(v, 3), is_causal=True)


def test_repeated_kv_heads_become_grouped_heads():
    q, k, v = _qkv(2, 6, 2, 17, 17, 8)
    model = RepeatKv()
    edge, buffer = _compile(model, (q, k, v))
    ir = edge.ir()
    assert ir.count(FUSED) == 1 and "enable_gqa = true" in ir and "edge.expand" not in ir, ir
    with torch.no_grad():
        assert_close(_run(buffer, (q, k, v)), model(q, k, v))
