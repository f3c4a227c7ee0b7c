"""The model zoo: every architecture Ember must compile and run exactly.

ZOO maps a name to a builder `(full: bool) -> (model, example inputs)`; the
small (`full=False`) versions run in the test command, the full-size ones
under `pytest -m full` (see tests/models/test_zoo.py).
"""

from __future__ import annotations

from hf import HF_MODELS

ZOO = dict(HF_MODELS)
try:  # the hand-written torchvision-style architectures
    from vision import VISION_MODELS
    ZOO.update(VISION_MODELS)
except ImportError:  # pragma: no cover - vision.py lands separately
    pass


def tolerance(eager_max_abs: float) -> float:
    """The zoo's float32 bound: 1e-4 * max(1, max |eager|)."""
    return 1e-4 * max(1.0, eager_max_abs)
