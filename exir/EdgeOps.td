//===- EdgeOps.td - Edge ops that are not ATen ----------------------------===//
//
// Hand-written semantic ops; the ATen-mirroring ops are generated from
// ops.yaml and included here.
//
//===----------------------------------------------------------------------===//
#ifndef EMBER_EDGE_OPS_TD
#define EMBER_EDGE_OPS_TD

include "exir/EdgeBase.td"
include "exir/EdgeAtenOps.td"

def Edge_ConstantOp : Edge_Op<"constant", [Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor: a weight, a buffer or a literal";
  let description = [{
    Holds the tensor's data as an elements attribute. Weights imported from
    torch are `dense_resource` blobs that point at the caller's memory (no
    copy); small literals may be `dense`. `name` is the fully-qualified name
    in the user's module, when it has one.

    Example:
    ```mlir
    %w = edge.constant {name = "conv.weight"} dense_resource<conv.weight> : tensor<8x3x3x3xf32>
    %two = edge.constant dense<2.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value, OptionalAttr<StrAttr>:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
}

def Edge_NoneOp : Edge_Op<"none", [Pure]> {
  let summary = "The absent value of an optional tensor argument";
  let description = [{
    ATen's `None` for a `Tensor?` argument, e.g. a convolution without bias.

    Example:
    ```mlir
    %none = edge.none
    %y = edge.convolution %x, %w, %none {...} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<1x4x6x6xf32>
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // EMBER_EDGE_OPS_TD
