//===- Passes.td - Ember's Edge passes ------------------------------------===//
#ifndef EMBER_PASSES_TD
#define EMBER_PASSES_TD

include "mlir/Pass/PassBase.td"

def VerifyEdgeContract : Pass<"ember-verify-edge-contract", "mlir::ModuleOp"> {
  let summary = "Check that the IR is what the emitter and runtime accept";
  let description = [{
    The Edge contract: every function is one block of Edge ops ending in
    `func.return`; every value is a statically shaped ranked tensor of rank
    at most 16 (or `none` from `edge.none`) with an element type the .pte
    format has; every ATen-mirroring op's result element type is one its
    kernels take (exir/ops.yaml `dtypes`); constants carry their data.
    Runs after import and again before emission. Failing IR is rejected
    with a diagnostic at the op.

    Example of a rejection:
    ```mlir
    // error: 'edge.convolution' op has no kernel for element type f64 (kernels take f32)
    %y = edge.convolution %x, %w, %b {...} : (tensor<1x3x8x8xf64>, ...) -> tensor<1x4x6x6xf64>
    ```
  }];
}

def PlanMemory : Pass<"ember-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place every non-constant tensor in one planned arena";
  let description = [{
    Computes each tensor's lifetime in program order (definition to last
    use; function results live to the end; inputs from the start) and gives
    it an offset in memory arena 1 so that no two tensors alive at the same
    time overlap: greedy by size, each tensor at the lowest aligned offset
    free during its lifetime. The result is recorded as attributes:

    ```mlir
    func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x3xf32>
        attributes {edge.arg_offsets = array<i64: 0>, edge.planned_size = 64 : i64} {
      %0 = edge.relu %x {edge.offsets = array<i64: 32>} : ...
    ```
    An offset of -1 means "not planned" (the caller provides the memory).
    Mutable buffers (`edge.mutable_buffer`) are alive for the whole program:
    no other tensor shares their memory, so their state persists across calls.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "16", "Byte alignment of every tensor">,
    Option<"planInputs", "plan-inputs", "bool", "true",
           "Place user inputs in the arena (else the caller provides them)">,
    Option<"planOutputs", "plan-outputs", "bool", "true",
           "Place user outputs in the arena (else the caller provides them)">,
  ];
  let dependentDialects = ["ember::edge::EdgeDialect"];
}

#endif // EMBER_PASSES_TD
