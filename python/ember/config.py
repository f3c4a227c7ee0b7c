"""Compile options, under the names ExecuTorch users know."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EdgeCompileConfig:
    """Options of `to_edge`.

    _check_ir_validity: run the Edge-contract verifier after import (always
    on in Ember; kept for ExecuTorch compatibility, False is rejected).
    fold_constants: evaluate at compile time every operator whose inputs are
    all constants (weights, buffers that are never mutated, values computed
    from nothing such as an arange or a causal mask), as long as its result
    is no larger in bytes than the constants it is computed from (at most
    256 KiB when it is computed from sizes alone): a linear layer's weight is
    stored transposed instead of being transposed on every call, and a mask
    built from shapes alone becomes one constant. A dequantize is never
    folded, nor is an int8 -> float conversion of a weight (4x the bytes): a
    quantized weight is never stored as float.
    fuse_attention: run attention as one op, edge.scaled_dot_product_attention
    (Ember's kernel ember::sdpa.out): torch's scaled_dot_product_attention is
    kept whole, and the ember-fuse-attention pass rewrites attention written
    out by hand (matmul, scale, mask, softmax, matmul). ExecuTorch's runtime
    has no such kernel: set it False for files that must also run there (the
    attention then stays in core ATen ops).
    fuse_linear: a matrix product whose right operand is a run-time transpose
    of a 2-d tensor (a tied LM head reading the embedding's weight) runs as
    aten::linear.out, which reads the weight in place, instead of copying the
    transpose on every run (the ember-fuse-linear pass). ExecuTorch's portable
    kernel library has no linear.out: set it False for files that must also
    run there.
    fuse_activations: SiLU and hardswish, which torch.export decomposes into
    two and five ops, run as one op each (aten::silu.out, aten::hardswish.out)
    where they are left to Ember's kernels, and so do GELU's tanh form, a
    convolution's clamp (ember::convolution_clamp.out) and RMS norm
    (ember::rms_norm.out, six ops): the ember-fuse-activations and
    ember-fuse-rms-norm passes, run by to_executorch after partitioning.
    ExecuTorch's portable kernel library has none of them: set it False for
    files that must also run there.
    channels_last: float32 2-d convolutions left to Ember's kernels run on
    channels-last (NHWC) images (ember::convolution_nhwc.out, the
    ember-channels-last pass, run by to_executorch after partitioning): a
    CNN's feature maps stay NHWC from one convolution to the next through
    its activations, residual adds, max pools and global average pool, and
    are transposed once at the input and once at the end. ExecuTorch's
    runtime has no such kernel: set it False for files that must also run
    there.
    fold_quantized: quantized patterns (PT2E's quantize/dequantize around a
    convolution, linear or residual add, its dynamic linears, torchao's
    group-wise int4/int8 linears) run as Ember's quantized ops
    (ember::quantized_convolution.out, quantized_linear, quantized_add,
    linear_dynamic_int8, linear_lowbit), from the int8 or int4 weights, in
    the quantize phase before partitioning; what cannot be folded stays on
    the reference kernels and the delegation summary says why. ExecuTorch's
    runtime has none of these ops: set it False for files that must also
    run there (or to compare with the reference path).
    """

    _check_ir_validity: bool = True
    fold_constants: bool = True
    fuse_attention: bool = True
    fuse_linear: bool = True
    fuse_activations: bool = True
    channels_last: bool = True
    fold_quantized: bool = True

    def __post_init__(self) -> None:
        if not self._check_ir_validity:
            raise ValueError("Ember always verifies the Edge contract; "
                             "_check_ir_validity=False is not supported")


@dataclass(frozen=True)
class ExecutorchBackendConfig:
    """Options of `to_executorch`: memory planning.

    alloc_graph_input / alloc_graph_output: place user inputs / outputs in the
    planned arena (True, the default) or leave them to the caller.
    memory_alignment: byte alignment of every planned tensor (a power of two).
    memory_planning_algorithm: "best" (the default: every algorithm, the
    smallest plan kept), or one of "greedy" (ExecuTorch 1.4's shared objects),
    "greedy_by_size" (offset search, largest first, best-fitting gap),
    "greedy_by_size_first_fit" (the same, lowest gap), "greedy_by_breadth"
    (the positions with most live bytes first), "refined" (the best of those,
    improved by a bounded search over placement orders).
    remove_view_copy: a view shares its input's memory instead of copying it
    (executorch_prim::et_view, as ExecuTorch does).
    extract_delegate_segments: store delegate blobs as segments after the
    program (True, as ExecuTorch does) or inline in the flatbuffer.
    """

    alloc_graph_input: bool = True
    alloc_graph_output: bool = True
    memory_alignment: int = 16
    memory_planning_algorithm: str = "best"
    remove_view_copy: bool = True
    extract_delegate_segments: bool = True

    ALGORITHMS = ("best", "greedy", "greedy_by_size", "greedy_by_size_first_fit",
                  "greedy_by_breadth", "refined")

    def __post_init__(self) -> None:
        a = self.memory_alignment
        if a <= 0 or a & (a - 1):
            raise ValueError(f"memory_alignment must be a power of two, got {a}")
        if self.memory_planning_algorithm not in self.ALGORITHMS:
            raise ValueError(f"memory_planning_algorithm must be one of {self.ALGORITHMS}, "
                             f"got {self.memory_planning_algorithm!r}")
