//===- XnnpackPasses.td - The XNNPACK backend's lowering passes -----------===//
//
// preprocess() runs them in this order on the outlined subgraph (one
// func.func of Edge ops): lower, propagate NHWC, fuse activations,
// serialize. Each works on IR text through ember-opt too.
//
//===----------------------------------------------------------------------===//
#ifndef EMBER_XNNPACK_PASSES_TD
#define EMBER_XNNPACK_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToXnnpack : Pass<"ember-lower-to-xnnpack", "mlir::func::FuncOp"> {
  let summary = "Rewrite the Edge ops of a subgraph as XNNPACK nodes";
  let description = [{
    Every Edge op the XNNPACK partitioner takes becomes the node(s) that
    compute it, with constants in XNNPACK's layouts (OIHW filters to OHWI,
    depthwise filters to [1, KH, KW, C], transposed-convolution filters to
    [O, KH, KW, I] per group, linear weights to [N, K]; a batch norm the edge
    phase did not fold into a convolution becomes a per-channel multiply and
    add).
    Nodes that XNNPACK runs in NHWC get a transpose on each side, so the
    result is correct but transposes are everywhere:
    ember-xnnpack-propagate-nhwc removes them. Conv1d runs as a conv2d with
    H = 1. An op the partitioner would refuse is an error.

    Example:
    ```mlir
    // before
    %y = edge.convolution %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, ...}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    // after
    %t = xnnpack.static_transpose %x {perm = array<i64: 0, 2, 3, 1>} : ... -> tensor<1x8x8x3xf32>
    %c = xnnpack.convolution_2d %t, %w_ohwi, %b {...} : ... -> tensor<1x8x8x4xf32>
    %y = xnnpack.static_transpose %c {perm = array<i64: 0, 3, 1, 2>} : ... -> tensor<1x4x8x8xf32>
    ```
  }];
  let dependentDialects = ["ember::xnnpack::XnnpackDialect", "ember::edge::EdgeDialect"];
}

def PropagateNhwc : Pass<"ember-xnnpack-propagate-nhwc", "mlir::func::FuncOp"> {
  let summary = "Keep chains of NHWC nodes in NHWC: one transpose in, one out";
  let description = [{
    Walks the nodes in order, remembering for each 4-d value its twin in the
    other layout. A transpose whose result already exists is replaced by it;
    an elementwise node (activations, binary ops with broadcasting, constant
    pad) with an input available in NHWC runs in NHWC, its other inputs
    converted once (constants permuted at compile time, lower-rank operands
    reshaped), and its NCHW result is made from it by a transpose that only
    consumers needing NCHW keep. A transpose to NHWC that is the only user
    of an elementwise node then moves above it when that adds no transpose
    (input normalization before the first convolution). Then a transpose
    that moves only size-1 dims becomes a reshape, reshape chains collapse,
    a feature map flattened into fully-connected layers is flattened in
    NHWC (their filter columns permuted) and dead nodes go. What remains is
    a transpose where a value enters the NHWC chain and one where it leaves
    it (an output, a reshape, softmax, a fully-connected on a 4-d value).

    Example (conv -> relu -> conv):
    ```mlir
    // before: T_in conv T_out relu T_in conv T_out
    // after:  T_in conv relu conv T_out
    ```
  }];
  let dependentDialects = ["ember::xnnpack::XnnpackDialect"];
}

def FuseActivations : Pass<"ember-xnnpack-fuse-activations", "mlir::func::FuncOp"> {
  let summary = "Fold clamps into the output clamp of the node before them";
  let description = [{
    A clamp (relu, relu6, hardtanh, clamp) whose input comes from a node that
    clamps its output (convolutions, fully-connected, add, subtract,
    multiply, divide, pooling, clamp) and that has no other user becomes
    that node's output_min/output_max (the intersection with any clamp it
    already has). Also recognises x * clamp(x + 3, 0, 6) / 6 (PyTorch's
    hardswish after decomposition) and makes it one hardswish node.

    Example:
    ```mlir
    // before
    %c = xnnpack.convolution_2d %x, %w, %b {...} : ...
    %r = xnnpack.clamp %c {output_max = 6.0 : f32, output_min = 0.0 : f32} : ...
    // after
    %r = xnnpack.convolution_2d %x, %w, %b {..., output_max = 6.0 : f32, output_min = 0.0 : f32} : ...
    ```
  }];
  let dependentDialects = ["ember::xnnpack::XnnpackDialect"];
}

def SerializeXnnpack : Pass<"ember-xnnpack-serialize", "mlir::func::FuncOp"> {
  let summary = "Write the subgraph as an XNNPACK delegate blob";
  let description = [{
    Builds ExecuTorch's XNNPACK blob: the XNNPACK header ("XH00"), the
    flatbuffer graph ("XN00": values with ids, external ids = the delegate
    call's argument positions, inputs first then outputs, nodes in program
    order) and the constant data after it (16-byte aligned, entry 0
    reserved). preprocess() takes the bytes; with `dump`, the pass prints
    the blob decoded back from its bytes (values, nodes, constants).

    Example (`--ember-xnnpack-serialize=dump`):
    ```
    xnnpack blob: 1184 bytes (flatbuffer 784 at 32, constants 368 at 816)
    value 0: fp32 [1, 3, 8, 8] external input 0
    node 0: StaticTranspose perm [0, 2, 3, 1] input 0 output 1
    ```
  }];
  let options = [
    Option<"dump", "dump", "bool", "false", "Print the blob decoded from its bytes">,
  ];
}

#endif // EMBER_XNNPACK_PASSES_TD
