"""Partitioners: which ops a backend takes. `edge.to_backend(partitioner)`
outlines them into delegate calls that the backend compiled ahead of time.

The partitioning itself runs in C++ (partitioners/); a Python partitioner
names the backend and its options.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Partitioner", "TestBackendPartitioner", "XnnpackPartitioner"]


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

    quantized: also take the static int8 ops of a PT2E-quantized model
    (ember::quantized_convolution, quantized_linear with per-tensor weights,
    quantized_add, quantize/dequantize_per_tensor at the edges, max pooling
    between them), as ExecuTorch's quantized XNNPACK blobs. Off by default:
    on x86-64 Ember's own int8 kernels (VNNI) run a quantized ResNet-18
    about 2x faster than Debian's XNNPACK 2022 (23 ms against 52 ms, one
    thread), and the delegation summary says so for each int8 op it leaves
    there. Per-channel linears stay on Ember's kernels either way (the 2022
    library has no per-channel fully-connected).
    """

    def __init__(self, quantized: bool = False) -> None:
        super().__init__("XnnpackBackend", {"quantized": "1"} if quantized else {})
        self.quantized = quantized
