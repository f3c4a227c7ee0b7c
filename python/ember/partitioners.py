"""Partitioners: which ops a backend takes. `edge.to_backend(partitioner)`
outlines them into delegate calls that the backend compiled ahead of time.

The partitioning itself runs in C++ (partitioners/); a Python partitioner
names the backend and its options.
"""

from __future__ import annotations

from collections.abc import Iterable


class Partitioner:
    """A backend by name with its options (strings)."""

    def __init__(self, backend: str, options: dict[str, str] | None = None):
        self.backend = backend
        self.options = dict(options or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(backend={self.backend!r}, options={self.options!r})"


class TestBackendPartitioner(Partitioner):
    """EmberTestBackend: runs its subgraphs as nested .pte programs on the
    portable kernels. It proves the delegate path end to end (partition,
    outline, blob, DelegateCall, runtime backend) without an accelerator.

    ops: the Edge ops it takes ("add.Tensor", "edge.relu", ...); None takes
    every op.
    named_data: store each nested program in the .pte's named data and make
    the delegate blob a reference to it (as backends that share weights do).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, ops: Iterable[str] | None = None, named_data: bool = False):
        options = {"ops": ",".join(ops)} if ops else {}
        if named_data:
            options["named_data"] = "1"
        super().__init__("EmberTestBackend", options)


class XnnpackPartitioner(Partitioner):
    """XnnpackBackend: the fp32 ops Debian's XNNPACK (2022) runs, compiled to
    ExecuTorch's XNNPACK delegate format, so ExecuTorch's runtime runs the
    delegated .pte too. Convolutions (1-d, 2-d, depthwise, grouped,
    transposed), linear layers with constant weights, elementwise and
    activation ops, softmax on the last dim, pooling, padding, reshapes and
    bilinear upsampling; what it refuses, and why, is in
    `edge.delegation_summary()` (docs/xnnpack-compile.md lists it all).
    """

    def __init__(self) -> None:
        super().__init__("XnnpackBackend", {})
