//===- XnnpackDialect.h - XNNPACK subgraph nodes as MLIR ops --------------===//
//
// The XNNPACK backend's lowering target: one op per node kind of
// ExecuTorch's XNNPACK delegate format (see XnnpackOps.td).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace ember::xnnpack {

/// Marks a node that can clamp its output (the blob's output_min_max).
template <typename ConcreteType>
class ClampsOutput : public mlir::OpTrait::TraitBase<ConcreteType, ClampsOutput> {};

/// The result of an elementwise node must have the inputs' broadcast shape.
mlir::LogicalResult verifyElementwise(mlir::Operation *op);

/// Marks a node whose output element depends only on the input elements at
/// the same (broadcast) position: it runs in any layout.
template <typename ConcreteType>
class Elementwise : public mlir::OpTrait::TraitBase<ConcreteType, Elementwise> {
public:
  static mlir::LogicalResult verifyTrait(mlir::Operation *op) { return verifyElementwise(op); }
};

/// Names of the output clamp attributes (on ops with ClampsOutput).
inline constexpr llvm::StringLiteral kOutputMinAttr = "output_min";
inline constexpr llvm::StringLiteral kOutputMaxAttr = "output_max";

/// The permutations that take NCHW to NHWC and back.
inline constexpr int64_t kToNhwc[4] = {0, 2, 3, 1};
inline constexpr int64_t kToNchw[4] = {0, 3, 1, 2};

} // namespace ember::xnnpack

#include "partitioners/xnnpack/XnnpackDialect.h.inc"

#define GET_OP_CLASSES
#include "partitioners/xnnpack/XnnpackOps.h.inc"
