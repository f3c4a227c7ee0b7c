"""Ember's memory plan is never larger than ExecuTorch's: seeded random CNN-
and transformer-shaped programs (tests/models/random_graphs.py) and the vision
zoo in TensorFlow "same" padding, each exported once and planned by Ember and
by ExecuTorch 1.4.1's own to_edge -> to_executorch (its .pte's planned buffer
sizes). bench/memory_plan.py --campaign runs the long version (hundreds of
seeds, the zoo, more paddings and input sizes)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "models"))
from bench.memory_plan import build_case, plan_both  # noqa: E402

pytest.importorskip("executorch.exir")

# ExecuTorch's export takes about a second per program: a few dozen here.
SEEDS = range(20)
SAME_PADDING = ["mobilenet_v2", "resnet18"]


def _check(case: tuple) -> dict:
    row = plan_both(*build_case(case))
    assert row["bound"] <= row["ember"] <= row["executorch"], row
    return row


@pytest.mark.parametrize("seed", SEEDS)
def test_random_program_is_planned_no_larger_than_executorch(seed):
    _check(("random", seed))


@pytest.mark.parametrize("name", SAME_PADDING)
def test_same_padding_vision_model_is_planned_no_larger_than_executorch(name):
    _check(("variant", name, False, "same", 96))


def test_same_padding_mobilenet_v2_at_128_reaches_its_lower_bound():
    # Issue 12's model: full-size MobileNetV2 with TensorFlow "same" padding at
    # 128x128 was planned at 4.72 MB, 1.48x its 3.20 MB bound, because the
    # size-ordered heuristics started each expand -> batch norm -> ReLU6 chain
    # in the slot the pad output needs. Ember only (ExecuTorch's export of
    # the full model is slow; the campaign compares it). Since the edge phase
    # folds batch norm into convolutions those chains are shorter and the
    # heuristics reach the bound too; the random programs keep exercising
    # the refined search.
    import ember

    model, args = build_case(("variant", "mobilenet_v2", True, "same", 128))
    ep = torch.export.export(model, args)
    session = ember.to_edge(ep)._import()
    session.run_to("memory-plan", channels_last=False)
    plan = session.memory_plans()["forward"]
    assert plan["lower_bound"] == [3195264]
    assert plan["arena_bytes"] == plan["lower_bound"], plan
    # Channels-last (the default) adds the NHWC copy of the input: a higher
    # bound, reached too.
    session = ember.to_edge(ep)._import()
    session.run_to("memory-plan")
    plan = session.memory_plans()["forward"]
    assert plan["lower_bound"][0] > 3195264 and plan["arena_bytes"] == plan["lower_bound"], plan
