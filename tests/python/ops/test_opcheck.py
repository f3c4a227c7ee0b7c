"""The per-op harness itself: it passes what matches eager and catches what
does not (so that a per-op test can fail)."""

import pytest
import torch
from opcheck import assert_same, check, check_rejected

from ember.errors import UnsupportedOpError


def test_passes_a_matching_op_and_returns_outputs():
    x = torch.randn(3, 4)
    got = check(torch.relu, x)
    assert torch.equal(got, torch.relu(x))


def test_bfloat16_is_carried_as_float32_and_compared_in_bfloat16():
    x = torch.randn(3, 4, dtype=torch.bfloat16)
    check(lambda a: a.to(torch.float32).to(torch.bfloat16), x)


def test_catches_wrong_values_shapes_and_dtypes():
    a = torch.zeros(2, 3)
    with pytest.raises(AssertionError):
        assert_same(a + 1e-3, a)
    with pytest.raises(AssertionError, match="shape"):
        assert_same(torch.zeros(3, 2), a)
    with pytest.raises(AssertionError, match="dtype"):
        assert_same(a.double(), a)
    with pytest.raises(AssertionError, match="values differ"):
        assert_same(torch.tensor([1, 2]), torch.tensor([1, 3]))


def test_rejection_helper_matches_the_message():
    x = torch.randn(1, 1, 4, 4)
    grid = torch.zeros(1, 2, 2, 2)
    check_rejected(lambda a: torch.nn.functional.grid_sample(a, grid, align_corners=False), x,
                   match="grid_sampler_2d", error=UnsupportedOpError)
