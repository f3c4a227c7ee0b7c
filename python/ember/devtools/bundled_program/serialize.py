"""A BundledProgram to .bpte bytes and back, under the names of ExecuTorch's
`executorch.devtools.bundled_program.serialize`.

    buf = serialize_from_bundled_program_to_flatbuffer(bundled)
    again = deserialize_from_flatbuffer_to_bundled_program(buf)

One difference: ExecuTorch's deserializer returns its schema dataclasses;
this one returns a BundledProgram (its `.program` bytes and
`.method_test_suites` of MethodTestCases holding tensors).
"""

from __future__ import annotations

from .core import BundledProgram

__all__ = ["serialize_from_bundled_program_to_flatbuffer",
           "deserialize_from_flatbuffer_to_bundled_program"]


def serialize_from_bundled_program_to_flatbuffer(bundled_program: BundledProgram) -> bytes:
    """The .bpte bytes of `bundled_program` (its `.buffer`)."""
    return bundled_program.buffer


def deserialize_from_flatbuffer_to_bundled_program(flatbuffer: bytes) -> BundledProgram:
    """Read .bpte bytes (Ember's or ExecuTorch's) into a BundledProgram."""
    return BundledProgram.load(flatbuffer)
