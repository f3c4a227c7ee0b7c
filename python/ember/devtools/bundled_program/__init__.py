"""Bundled programs: a .pte plus test cases, as ExecuTorch's
`executorch.devtools.bundled_program` (config, core, serialize)."""

from .config import MethodTestCase, MethodTestSuite
from .core import BundledProgram

__all__ = ["BundledProgram", "MethodTestCase", "MethodTestSuite"]
