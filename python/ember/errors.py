"""Exceptions Ember raises. The C++ core never throws through MLIR: it collects
diagnostics and the binding raises one of these with all of them."""

from __future__ import annotations


class EmberError(Exception):
    """Base of every Ember error."""


class CompileError(EmberError):
    """The compiler rejected the program; the message has each diagnostic with
    its location (the user's source line where known)."""


class UnsupportedOpError(CompileError):
    """The program uses operators Ember cannot compile yet.

    `ops` maps each operator ("aten::grid_sampler_2d") to the source locations
    ("model.py:12") where the user's model used it.
    """

    def __init__(self, message: str, ops: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.ops = ops or {}


class EmberRuntimeError(EmberError):
    """The runtime rejected a program or a call. `code` is the runtime's error
    name, e.g. "InvalidProgram", "OperatorMissing", "KernelFailed"."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
