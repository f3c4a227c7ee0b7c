//===- EdgeSym.h - Dynamic shapes in the Edge dialect ---------------------===//
//
// How the Edge IR says that sizes vary at run time (see the dialect's
// description in EdgeBase.td): which tensors are dynamic, which arguments of
// an ATen-mirroring op are computed by `edge.sym_*` ops, and what each
// `edge.sym_op` function is.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>

#include "exir/EdgeOpTable.h"

#include "llvm/ADT/SmallVector.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace ember::edge {

/// On an op: DenseBoolArrayAttr, one flag per result, true where the result's
/// sizes vary at run time (its type holds the upper bound).
inline constexpr const char *kDynamicResultsAttr = "edge.dynamic_results";
/// On a function argument: UnitAttr, its sizes vary at run time.
inline constexpr const char *kDynamicArgAttr = "edge.dynamic";

/// Whether `v`'s sizes vary at run time (DYNAMIC_BOUND in the .pte).
bool isDynamic(mlir::Value v);

/// Whether any tensor operand or result of `op` is dynamic, or `op` takes or
/// makes run-time sizes: such an op stays with the portable kernels.
bool touchesDynamicShapes(mlir::Operation *op);

/// One run-time value of an ATen-mirroring op: it replaces argument `arg`
/// (index in the functional schema) as a whole (`position` -1) or one
/// element of an int list.
struct SymSlot {
  unsigned arg;
  int64_t position;
  mlir::Value value;
};

/// The run-time values of `op` with their places, checked against the op's
/// schema (the kind of each argument, positions inside the lists), or
/// failure with a diagnostic on `op`.
mlir::FailureOr<llvm::SmallVector<SymSlot>> symSlots(mlir::Operation *op, const EdgeOpInfo &info);

/// The number of trailing `sym_values` operands of an ATen-mirroring op.
unsigned numSymOperands(mlir::Operation *op, const EdgeOpInfo &info);

/// A function of `edge.sym_op`.
struct SymFn {
  const char *name;     ///< "floordiv"
  unsigned arity;       ///< 1 or 2
  enum class Result { SameAsOperands, Float, Int } result;
  const char *kernel;   ///< "executorch_prim::floordiv"
  const char *overload; ///< "Scalar"
};

/// The function named `name`, or null.
const SymFn *lookupSymFn(llvm::StringRef name);

} // namespace ember::edge
