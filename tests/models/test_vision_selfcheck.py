"""Self-check of the vision model zoo (vision.py): the small variants build,
run, export and give the same output exported as eager; the full-size
architectures have torchvision's parameter counts (counted on the meta device,
so without their memory or initialisation time). Ember itself is not involved.
"""

import functools
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vision import (  # noqa: E402
    FULL_PARAM_COUNTS,
    SMALL_IMAGE,
    VISION_MODELS,
    count_params,
    full_param_count,
)

NAMES = sorted(VISION_MODELS)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The small models are too small for intra-op threads to pay: on a busy
    machine the threads' spinning made building and running them ~5x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@functools.cache
def small(name: str) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """Each small model is built once for all the tests (building calibrates
    the batch norms, which is most of the cost)."""
    return VISION_MODELS[name](False)


def test_registry_has_the_six_architectures():
    assert set(VISION_MODELS) == set(FULL_PARAM_COUNTS) == {
        "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
        "convnext_tiny"}


@pytest.mark.parametrize("name", NAMES)
def test_full_size_parameter_count_matches_torchvision(name):
    assert full_param_count(name) == FULL_PARAM_COUNTS[name]


@pytest.mark.parametrize("name", NAMES)
def test_small_model_runs_exports_and_matches_eager(name):
    model, inputs = small(name)
    assert not model.training
    assert inputs[0].shape == (1, 3, SMALL_IMAGE, SMALL_IMAGE)
    assert count_params(model) < FULL_PARAM_COUNTS[name] // 10  # small means small
    with torch.no_grad():
        want = model(*inputs)
    assert want.shape == (1, 10)
    assert torch.isfinite(want).all() and 1e-3 < want.std().item() < 1e3

    ep = torch.export.export(model, inputs)
    got = ep.module()(*inputs)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_small_model_output_depends_on_the_input(name):
    """Not just biases: random weights at a scale where the image matters."""
    model, inputs = small(name)
    with torch.no_grad():
        out = model(*inputs)
        other = model(torch.randn_like(inputs[0]))
    assert (other - out).std() > 0.1 * out.std()


def test_builds_are_seeded():
    """One model is enough: seeding is done by the shared `build`."""
    model, inputs = VISION_MODELS["convnext_tiny"](False)
    again, inputs_again = VISION_MODELS["convnext_tiny"](False)
    torch.testing.assert_close(inputs_again, inputs, rtol=0, atol=0)
    with torch.no_grad():
        torch.testing.assert_close(again(*inputs), model(*inputs), rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_norms_are_not_at_their_defaults(name):
    """Running statistics and affine parameters away from 0/1, so that a
    missing or wrongly folded norm would change the output."""
    model, _ = small(name)
    norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm))]
    assert norms
    for m in norms:
        assert (m.weight != 1).all() and (m.bias != 0).all()
        if isinstance(m, nn.BatchNorm2d):
            assert (m.running_mean != 0).any() and (m.running_var != 1).all()
