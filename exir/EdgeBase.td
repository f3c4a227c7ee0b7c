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

    Dynamic shapes: every tensor type is static, at its upper bound (the
    graph is the exported graph with every size symbol at its maximum), and a
    tensor whose sizes vary at run time is marked: `edge.dynamic_results` on
    its op, `edge.dynamic` on a function argument. Its memory is planned at
    the bound and the .pte marks it DYNAMIC_BOUND. Sizes are computed at run
    time by `edge.sym_size` and `edge.sym_op`; an op whose SymInt or Scalar
    argument is such a value takes it as one of its trailing `sym_values`
    operands, and `sym_slots` (pairs: schema argument index, element
    position or -1) says where each goes. The attribute itself keeps the
    value at the upper bound, so verifiers see one consistent static graph.
  }];
  let cppNamespace = "::ember::edge";
}

class Edge_Op<string mnemonic, list<Trait> traits = []>
    : Op<Edge_Dialect, mnemonic, traits>;

/// A tensor operand that may be absent: ATen's `Tensor?`, given `none`.
def Edge_OptionalTensor : AnyTypeOf<[AnyRankedTensor, NoneType], "tensor or none">;

/// A value computed at run time from the sizes of dynamic-shape tensors
/// (torch's SymInt, i64, or SymFloat, f64).
def Edge_SymValue : AnyTypeOf<[I64, F64], "symbolic int or float">;

/// ATen's `Scalar`: an integer, a float or a bool.
def Edge_ScalarAttr : AnyAttrOf<[I64Attr, F64Attr, BoolAttr]>;

/// Base of the generated ATen-mirroring ops: pure, printed generically.
class Edge_AtenOp<string mnemonic, list<Trait> traits = []>
    : Edge_Op<mnemonic, !listconcat(traits, [Pure])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

#endif // EMBER_EDGE_BASE_TD
