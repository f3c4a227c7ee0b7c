//===- EdgeBase.td - The Edge dialect and its base classes ---------------===//
//
// The Edge dialect is Ember's IR between torch.export and the .pte: ops that
// mirror core ATen (generated from ops.yaml into EdgeAtenOps.td) plus the few
// semantic ops that are not ATen, defined in EdgeOps.td.
//
//===----------------------------------------------------------------------===//
#ifndef EMBER_EDGE_BASE_TD
#define EMBER_EDGE_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Edge_Dialect : Dialect {
  let name = "edge";
  let summary = "Ember's Edge IR: core ATen ops on ranked tensors, ready to run";
  let description = [{
    Every ATen-mirroring op has tensor operands (`none` for an absent optional
    tensor) and its non-tensor arguments as attributes named as in the ATen
    schema. Functions in this dialect are `func.func` with ranked tensor
    arguments and results; weights are `edge.constant` ops.
  }];
  let cppNamespace = "::ember::edge";
}

class Edge_Op<string mnemonic, list<Trait> traits = []>
    : Op<Edge_Dialect, mnemonic, traits>;

/// A tensor operand that may be absent: ATen's `Tensor?`, given `none`.
def Edge_OptionalTensor : AnyTypeOf<[AnyRankedTensor, NoneType], "tensor or none">;

/// ATen's `Scalar`: an integer, a float or a bool.
def Edge_ScalarAttr : AnyAttrOf<[I64Attr, F64Attr, BoolAttr]>;

/// Base of the generated ATen-mirroring ops: pure, printed generically.
class Edge_AtenOp<string mnemonic, list<Trait> traits = []>
    : Edge_Op<mnemonic, !listconcat(traits, [Pure])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

#endif // EMBER_EDGE_BASE_TD
