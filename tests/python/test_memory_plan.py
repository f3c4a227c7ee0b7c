"""Memory planning: the algorithms, the lower bound and the checker on plain
data (random lifetimes and hand-made wrong plans), and the plan of real
programs: the smallest candidate is kept, views share their input's memory,
options reach the planner, and every plan satisfies the checker (the pass
also runs it on every compile, so every test that compiles is checked)."""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import pytest
import torch

import ember
from ember import _C
from ember.config import ExecutorchBackendConfig

ALGORITHMS = ["greedy", "greedy_by_size", "greedy_by_size_first_fit", "greedy_by_breadth",
              "refined"]


def random_buffers(rng: random.Random, n: int, positions: int, arenas: int = 1) -> list[tuple]:
    out = []
    for _ in range(n):
        begin = rng.randrange(positions)
        end = min(positions - 1, begin + rng.choice([0, 1, 2, 5, positions]))
        size = rng.choice([0, 1, 15, 16, 17, 100, 1000, 4096, rng.randrange(1, 50000)])
        out.append((size, begin, end, rng.randrange(1, arenas + 1)))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_every_algorithm_gives_a_valid_plan_at_or_above_the_lower_bound(seed):
    rng = random.Random(seed)
    buffers = random_buffers(rng, rng.randrange(1, 120), rng.randrange(1, 40), arenas=2)
    bound = _C.memory_lower_bound(buffers)
    for alignment in (16, 64):
        for algorithm in ALGORITHMS:
            offsets, arenas = _C.plan_memory(algorithm, buffers, alignment)
            assert _C.check_memory_plan(buffers, offsets, arenas, alignment) is None, algorithm
            assert all(a >= b for a, b in zip(arenas, bound, strict=True)), \
                (algorithm, arenas, bound)
            assert all(o % alignment == 0 for o in offsets)


@pytest.mark.parametrize("seed", range(200))
def test_refined_is_valid_and_never_worse_than_any_heuristic(seed):
    # Graph-shaped lifetimes (a chain whose values are used by the next few
    # ops, some much later), sizes drawn from few values so ties abound.
    rng = random.Random(seed)
    n = rng.randrange(2, 160)
    sizes = [rng.choice([256, 1024, 4096, 4160, 16384, rng.randrange(1, 20000)]) for _ in range(6)]
    spans = [1, 1, 1, 2, 3, n]
    buffers = [(rng.choice(sizes), i, min(n, i + rng.randrange(1, rng.choice(spans) + 1)),
                1 + (rng.random() < 0.1)) for i in range(n)]
    bound = _C.memory_lower_bound(buffers)
    plans = {a: _C.plan_memory(a, buffers, 16) for a in ALGORITHMS}
    for algorithm, (offsets, arenas) in plans.items():
        assert _C.check_memory_plan(buffers, offsets, arenas, 16) is None, algorithm
    refined = plans["refined"][1]
    for algorithm, (_, arenas) in plans.items():
        assert all(r <= a for r, a in zip(refined, arenas, strict=True)), \
            (algorithm, arenas, refined)
    assert all(r >= b for r, b in zip(refined, bound, strict=True))


def _optimum(buffers: list[tuple], alignment: int) -> int:
    """The smallest arena for a few buffers of one arena, by brute force: some
    optimal plan has every buffer at 0 or right on top of another one."""
    slot = [(s + alignment - 1) // alignment * alignment for s, *_ in buffers]
    n, best = len(buffers), None
    for choice in itertools.product(range(n + 1), repeat=n):  # n: at 0, j: on top of j
        offsets: list = [None] * n
        for _ in range(n):  # resolve the "on top of" chains
            for i, c in enumerate(choice):
                if offsets[i] is None and (c == n or offsets[c] is not None):
                    offsets[i] = 0 if c == n else offsets[c] + slot[c]
        if any(o is None for o in offsets):
            continue  # a cycle
        top = max(o + sl for o, sl in zip(offsets, slot, strict=True))
        if best is not None and top >= best:
            continue
        if _C.check_memory_plan(buffers, offsets, [top], alignment) is None:
            best = top
    return best


@pytest.mark.parametrize("seed", range(40))
def test_refined_is_optimal_for_small_arenas(seed):
    rng = random.Random(1000 + seed)
    n = rng.randrange(1, 6)
    buffers = [(rng.choice([16, 48, 64, 100, 130, 200]), b, b + rng.choice([0, 1, 2, 4]), 1)
               for b in (rng.randrange(5) for _ in range(n))]
    offsets, arenas = _C.plan_memory("refined", buffers, 16)
    assert _C.check_memory_plan(buffers, offsets, arenas, 16) is None
    assert arenas[0] == _optimum(buffers, 16), buffers


def test_refined_fixes_the_chain_that_starts_on_the_wrong_side():
    # TensorFlow "same" padding in MobileNet: a chain of (nearly) equal-sized
    # tensors (conv, batch norm, ReLU6) then the slightly larger pad output,
    # alive with the ReLU6 output, and the next block's smaller tensors.
    # Largest first, the offset searches put conv at 0 (nothing is in the way
    # yet), batch norm above it, and ReLU6 must then go above both; with conv
    # the largest of the three, ExecuTorch's greedy starts it on the wrong side
    # too. Every heuristic needs 1.5x the bound; the chain has to start in the
    # slot next to the pad's. Ten tensors: the search, not the exhaustive
    # planner.
    chain = 1572864  # 96 x 64 x 64 f32
    pad = 1622400    # 96 x 65 x 65 f32
    buffers = [(chain // 3, 0, 1, 1),  # the block's input
               (chain + 32, 1, 2, 1), (chain + 16, 2, 3, 1), (chain, 3, 4, 1),  # conv, bn, relu6
               (pad, 4, 5, 1), (chain // 4, 5, 6, 1), (chain // 4, 6, 7, 1),
               (chain // 4, 7, 8, 1), (chain // 8, 8, 9, 1), (chain // 8, 9, 9, 1)]
    bound = _C.memory_lower_bound(buffers)[0]
    assert bound == chain + pad
    for algorithm in ALGORITHMS[:-1]:
        assert _C.plan_memory(algorithm, buffers, 16)[1][0] > 1.4 * bound, algorithm
    offsets, arenas = _C.plan_memory("refined", buffers, 16)
    assert arenas == [bound]
    assert _C.check_memory_plan(buffers, offsets, arenas, 16) is None


def test_greedy_is_executorch_greedy():
    # ExecuTorch 1.4: largest first, the later of equal sizes first; offset 0
    # of the first shared object with no member alive at the same time, else
    # on top of the members alive with it where that fits, else a new object.
    # b (200) opens object 0, a (100, alive with b) object 1 at 200; c (100,
    # later than a, first of the equal sizes) goes to offset 0 of object 0;
    # d (50, alive with c and a) sits on top of c inside object 0.
    buffers = [(100, 0, 3, 1), (200, 0, 0, 1), (100, 2, 3, 1), (48, 3, 3, 1)]
    offsets, arenas = _C.plan_memory("greedy", buffers, 16)
    assert offsets == [208, 0, 0, 112] and arenas == [320]


def test_lower_bound_is_the_most_bytes_alive_at_one_position():
    # a [0, 2], b [1, 3], c [3, 4]: at 1 and 2, a + b = 300; at 3, b + c = 250.
    buffers = [(100, 0, 2, 1), (200, 1, 3, 1), (50, 3, 4, 1)]
    assert _C.memory_lower_bound(buffers) == [300]
    offsets, arenas = _C.plan_memory("greedy_by_size", buffers, 1)
    assert arenas == [300]  # c reuses a's bytes


def test_offset_search_beats_shared_objects():
    # ExecuTorch's greedy puts c and then b (never alive together) in one
    # shared object, a (alive with b) in a second; d, alive with c and a, fits
    # on top of neither inside its object and opens a third: 1088. With free
    # offsets d sits above c and a, where only b (not alive with d) has been.
    buffers = [(512, 1, 3, 1), (512, 3, 4, 1), (512, 0, 0, 1), (64, 0, 1, 1)]
    assert _C.plan_memory("greedy", buffers, 16)[1][0] == 1088
    assert _C.plan_memory("greedy_by_size", buffers, 16)[1][0] == 1024
    assert _C.memory_lower_bound(buffers)[0] == 1024


def test_the_checker_rejects_overlaps_misalignment_and_overflow():
    buffers = [(100, 0, 2, 1), (100, 2, 3, 1), (100, 3, 4, 1)]
    # The first and the last never meet.
    assert _C.check_memory_plan(buffers, [0, 112, 0], [212], 16) is None
    err = _C.check_memory_plan(buffers, [0, 104, 0], [212], 16)
    assert "not a multiple of 16" in err
    err = _C.check_memory_plan(buffers, [0, 64, 224], [336], 16)
    assert "buffers 0 and 1 are alive at the same time" in err and "overlap" in err
    err = _C.check_memory_plan(buffers, [0, 112, 128], [212], 16)
    assert "ends past arena 1" in err
    with pytest.raises(ValueError, match="unknown memory planning algorithm"):
        _C.plan_memory("fastest", buffers)


class Attention(torch.nn.Module):
    """Views (reshape, head split) around matmuls: what transformers do."""

    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(32, 96)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, 4, 8).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2)).softmax(-1) @ v
        return a.transpose(1, 2).reshape(b, t, 32).relu()


def _compile(model, args, **config):
    ep = torch.export.export(model, args)
    return ember.to_edge(ep).to_executorch(ExecutorchBackendConfig(**config))


def test_the_smallest_candidate_is_kept_and_reported():
    program = _compile(Attention().eval(), (torch.randn(2, 6, 32),))
    plan = program.memory_plan()
    assert set(plan["candidates"]) == set(ALGORITHMS)
    assert plan["arena_bytes"][0] == min(plan["candidates"].values())
    assert plan["candidates"][plan["algorithm"]] == plan["arena_bytes"][0]
    assert plan["lower_bound"][0] <= plan["arena_bytes"][0]
    meta = ember.runtime.load(program.buffer).method_meta("forward")
    assert meta["planned_buffer_sizes"] == plan["arena_bytes"]


def test_one_algorithm_can_be_chosen():
    for algorithm in ALGORITHMS:
        plan = _compile(Attention().eval(), (torch.randn(2, 6, 32),),
                        memory_planning_algorithm=algorithm).memory_plan()
        assert plan["algorithm"] == algorithm and list(plan["candidates"]) == [algorithm]
    with pytest.raises(ValueError, match="memory_planning_algorithm must be one of"):
        ExecutorchBackendConfig(memory_planning_algorithm="fastest")


class ViewKeptWithBase(torch.nn.Module):
    """A view used while its input is still needed: a copy doubles the bytes."""

    def forward(self, x):
        y = x.relu()
        z = y.view(-1, 64)
        return z.sigmoid().sum(0) + y.mean()


@pytest.mark.parametrize("model", [Attention(), ViewKeptWithBase()], ids=lambda m: type(m).__name__)
def test_views_share_their_input_memory_and_stay_exact(model):
    model, x = model.eval(), torch.randn(2, 64, 32)
    shared = _compile(model, (x,))
    copied = _compile(model, (x,), remove_view_copy=False)
    assert "edge.view_alias" in shared.ir() and "edge.view_alias" not in copied.ir()
    ops = ember.runtime.load(shared.buffer).method_meta("forward")["operators"]
    assert "executorch_prim::et_view.default" in ops
    shared_bytes = shared.memory_plan()["arena_bytes"][0]
    copied_bytes = copied.memory_plan()["arena_bytes"][0]
    assert shared_bytes <= copied_bytes
    if isinstance(model, ViewKeptWithBase):
        assert copied_bytes - shared_bytes >= 0.9 * x.numel() * 4  # the copy's bytes are gone
    for program in (shared, copied):
        got = ember.runtime.load(program.buffer).forward(x)
        torch.testing.assert_close(got, model(x), rtol=1e-5, atol=1e-5)


def test_every_small_zoo_model_is_planned_within_reach_of_its_lower_bound():
    sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
    from zoo import ZOO

    for name in sorted(ZOO):
        model, args = ZOO[name](False)
        plan = _compile(model, args).memory_plan()
        bound, planned = plan["lower_bound"][0], plan["arena_bytes"][0]
        assert bound <= planned <= 1.25 * bound + 4096, (name, plan)
