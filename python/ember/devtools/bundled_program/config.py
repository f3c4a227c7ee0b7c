"""Test cases of a bundled program, as ExecuTorch's
`executorch.devtools.bundled_program.config` declares them: a MethodTestCase
holds the inputs of one run and, optionally, the outputs expected from it
(computed by the caller, e.g. with the eager model); a MethodTestSuite names
the method they are for.

Inputs and outputs nest as the method takes and returns them (tuples, lists,
dicts, named tuples) and are flattened here in pytree order; leaves are torch
tensors, numpy arrays, ints, floats or bools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MethodTestCase", "MethodTestSuite", "flatten"]


def _is_leaf(x: Any) -> bool:
    if isinstance(x, (bool, int, float, np.ndarray, np.generic)):
        return True
    torch = _torch()
    return torch is not None and isinstance(x, torch.Tensor)


def _torch() -> Any:
    import sys
    return sys.modules.get("torch")  # a tensor can only come from an imported torch


def flatten(value: Any, what: str = "value") -> list[Any]:
    """The leaves of `value` in pytree order (tuples and lists in order, dict
    values in insertion order, as torch.utils._pytree does). A numpy scalar
    becomes its Python value. TypeError for anything else, None included."""
    if isinstance(value, np.generic):
        return [value.item()]
    if _is_leaf(value):
        return [value]
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in flatten(v, what)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in flatten(v, what)]
    raise TypeError(f"{what}: {type(value).__name__} is not a tensor, array, int, float or "
                    "bool (nor a tuple, list or dict of them)")


class MethodTestCase:
    """One run of a method: `inputs` as the method takes them, and the outputs
    expected from them, or None when the case only provides inputs (run, not
    compared)."""

    def __init__(self, inputs: Any, expected_outputs: Any | None = None) -> None:
        self.inputs: list[Any] = flatten(inputs, "test case input")
        self.expected_outputs: list[Any] = (
            [] if expected_outputs is None else flatten(expected_outputs, "expected output"))

    def __repr__(self) -> str:
        return (f"MethodTestCase({len(self.inputs)} inputs, "
                f"{len(self.expected_outputs)} expected outputs)")


@dataclass
class MethodTestSuite:
    """The test cases of method `method_name`."""

    method_name: str
    test_cases: Sequence[MethodTestCase]
