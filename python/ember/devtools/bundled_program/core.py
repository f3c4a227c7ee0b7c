"""BundledProgram: a program and its test suites, checked against each other
and written as a .bpte (ExecuTorch's BundledProgram format, identifier BP08),
or read back from one, Ember's or ExecuTorch's.

The program comes as ExecuTorch's constructor takes it: a program manager
(Ember's `to_executorch()` result, or ExecuTorch's: anything with `.buffer`)
or `pte_file_path=`; raw .pte bytes are accepted too. Each test case is
checked against the method it is for (input count, kinds, dtypes, ranks,
sizes within the planned bounds; output count and dtypes), and tensors are
written in the dim order of the method's value, whatever their own layout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ... import _C
from .config import MethodTestCase, MethodTestSuite

__all__ = ["BundledProgram", "SCALAR_TYPES"]

# dtype name (torch's and numpy's) -> the .pte ScalarType wire value.
SCALAR_TYPES = {
    "uint8": 0, "int8": 1, "int16": 2, "int32": 3, "int64": 4, "float16": 5, "float32": 6,
    "float64": 7, "bool": 11, "bfloat16": 15, "uint16": 27, "uint32": 28, "uint64": 29,
}
_NAMES = {v: k for k, v in SCALAR_TYPES.items()}


class BundledProgram:
    """A program bundled with test suites (one per method, sorted by name).

    bundled = BundledProgram(program_manager, [MethodTestSuite(...)])
    bundled.save("model.bpte")                       # or bundled.buffer
    again = BundledProgram.load("model.bpte")        # Ember's or ExecuTorch's
    """

    def __init__(self, executorch_program: Any | None = None,
                 method_test_suites: Sequence[MethodTestSuite] = (),
                 pte_file_path: str | os.PathLike | None = None) -> None:
        if (executorch_program is None) == (pte_file_path is None):
            raise ValueError("give either executorch_program or pte_file_path (one of them)")
        if pte_file_path is not None:
            program = Path(pte_file_path).read_bytes()
        elif isinstance(executorch_program, (bytes, bytearray, memoryview)):
            program = bytes(executorch_program)
        elif hasattr(executorch_program, "buffer"):
            program = bytes(executorch_program.buffer)
        else:
            raise TypeError(f"executorch_program: {type(executorch_program).__name__} is not a "
                            "program manager (an object with .buffer) nor .pte bytes")
        self.program: bytes = program
        self.method_test_suites: list[MethodTestSuite] = sorted(
            method_test_suites, key=lambda s: s.method_name)
        self._buffer: bytes | None = None
        self._encoded = self._check_and_encode()

    @classmethod
    def load(cls, source: str | os.PathLike | bytes) -> BundledProgram:
        """Read a .bpte (a path or its bytes), written by Ember or ExecuTorch:
        its program and test suites, tensors as torch tensors when torch is
        installed (numpy arrays otherwise), in their logical layout."""
        data = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else \
            Path(source).read_bytes()
        read = _C.RuntimeModule.from_bytes(data).bundled_program()
        if read is None:
            raise ValueError("not a bundled program: the file identifier is not BP08 "
                             "(a .pte has no test cases)")
        program, suites = read
        decoded = [MethodTestSuite(
            method_name=name,
            test_cases=[MethodTestCase([_decode(v) for v in ins],
                                       [_decode(v) for v in outs] if outs else None)
                        for ins, outs in cases]) for name, cases in suites]
        return cls(program, decoded)

    @property
    def buffer(self) -> bytes:
        """The .bpte bytes."""
        if self._buffer is None:
            self._buffer = _C.write_bundled_program(self.program, self._encoded)
        return self._buffer

    def save(self, path: str | os.PathLike) -> None:
        """Write the .bpte to `path`."""
        Path(path).write_bytes(self.buffer)

    def write_to_file(self, f: Any) -> None:
        """Write the .bpte to an open binary file."""
        f.write(self.buffer)

    def __repr__(self) -> str:
        cases = sum(len(s.test_cases) for s in self.method_test_suites)
        names = ", ".join(s.method_name for s in self.method_test_suites)
        return f"BundledProgram({len(self.program)}-byte program, {cases} test cases: {names})"

    def _check_and_encode(self) -> list:
        """Every test case checked against its method, as the writer takes them."""
        module = _C.RuntimeModule.from_bytes(self.program)
        methods = module.method_names()
        encoded = []
        seen = set()
        for suite in self.method_test_suites:
            name = suite.method_name
            if name in seen:
                raise ValueError(f"two test suites for method '{name}'")
            seen.add(name)
            if name not in methods:
                raise ValueError(f"test suite for method '{name}', which the program does not "
                                 f"have (its methods: {', '.join(methods)})")
            info = module.method_info(name)
            cases = []
            for c, case in enumerate(suite.test_cases):
                where = f"method '{name}' test case {c}"
                if len(case.inputs) != len(info["inputs"]):
                    raise ValueError(f"{where}: {len(case.inputs)} inputs, the method takes "
                                     f"{len(info['inputs'])}")
                outs = case.expected_outputs
                if outs and len(outs) != len(info["outputs"]):
                    raise ValueError(f"{where}: {len(outs)} expected outputs, the method "
                                     f"returns {len(info['outputs'])}")
                cases.append((
                    [_encode(x, want, f"{where} input {i}", bound=True)
                     for i, (x, want) in enumerate(zip(case.inputs, info["inputs"], strict=True))],
                    [_encode(x, want, f"{where} expected output {i}", bound=False)
                     for i, (x, want) in enumerate(zip(outs, info["outputs"], strict=False))]))
            encoded.append((name, cases))
        return encoded


def _dtype_name(x: Any) -> str:
    return str(x.dtype).removeprefix("torch.")


def _encode(x: Any, want: dict, where: str, bound: bool) -> tuple:
    """One value as the writer takes it, checked against the method's `want`
    (method_info's input or output entry)."""
    kind = want["kind"]
    if not isinstance(x, (bool, int, float)):
        if kind != "Tensor":
            raise ValueError(f"{where}: a tensor, the method's value is {kind}")
        return _encode_tensor(x, want, where, bound)
    got = "Bool" if isinstance(x, bool) else "Int" if isinstance(x, int) else "Double"
    if got != kind:
        raise ValueError(f"{where}: a Python {type(x).__name__} ({got}), the method's value "
                         f"is {kind}")
    return (got.lower(), x)


def _encode_tensor(x: Any, want: dict, where: str, bound: bool) -> tuple:
    dtype = _dtype_name(x)
    if dtype not in SCALAR_TYPES:
        raise ValueError(f"{where}: dtype {dtype} cannot be bundled")
    if dtype != want["dtype"]:
        raise ValueError(f"{where}: dtype {dtype}, the method's is {want['dtype']}")
    sizes = [int(s) for s in x.shape]
    bounds = want["sizes"]
    if len(sizes) != len(bounds):
        raise ValueError(f"{where}: shape {sizes}, the method's is {bounds} (rank differs)")
    static = want["dynamism"] == "static"
    too_big = any(s > b for s, b in zip(sizes, bounds, strict=True))
    if bound and (sizes != bounds if static else too_big):
        rule = "static shape" if static else "upper bound of its dynamic shape"
        raise ValueError(f"{where}: shape {sizes}, the method takes {bounds} ({rule})")
    order = [int(d) for d in want["dim_order"]] or list(range(len(sizes)))
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        t = x.detach().cpu().resolve_conj().resolve_neg().permute(order).contiguous()
        if t.dtype == torch.bfloat16:
            t = t.view(torch.int16)
        data = t.numpy().tobytes()
    else:
        data = np.ascontiguousarray(np.transpose(np.asarray(x), order)).tobytes()
    return ("tensor", SCALAR_TYPES[dtype], sizes, order, data)


def _decode(v: tuple) -> Any:
    """A value read from a .bpte: a Python scalar, or a tensor in its logical
    layout (torch when installed, else numpy; bfloat16 needs torch)."""
    if v[0] != "tensor":
        return v[1]
    _, scalar_type, sizes, order, data = v
    name = _NAMES.get(scalar_type)
    if name is None:
        raise ValueError(f"a bundled tensor of ScalarType {scalar_type}, which has no "
                         "torch or numpy dtype")
    np_dtype = np.uint16 if name == "bfloat16" else np.dtype(name)
    stored = np.frombuffer(data, dtype=np_dtype).reshape([sizes[d] for d in order])
    logical = np.transpose(stored, np.argsort(order)).copy()  # C order, writable
    try:
        import torch
    except ImportError:
        if name == "bfloat16":
            raise ValueError("a bfloat16 tensor needs torch to be read") from None
        return logical
    if name == "bfloat16":
        return torch.from_numpy(logical.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(logical)
