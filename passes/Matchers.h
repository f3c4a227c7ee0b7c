//===- Matchers.h - Small helpers of the pattern-fusing passes -----------===//
//
// What ember-fuse-activations and ember-fuse-rms-norm both ask of a chain of
// Edge ops.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <utility>

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace ember {

/// A floating ranked tensor.
inline bool isFloatTensor(mlir::Value v) {
  auto t = mlir::dyn_cast<mlir::RankedTensorType>(v.getType());
  return t && mlir::isa<mlir::FloatType>(t.getElementType());
}

/// The defining op of `v` as OpTy when `v` has no other user.
template <typename OpTy>
OpTy soleProducer(mlir::Value v) {
  auto op = v.getDefiningOp<OpTy>();
  return op && v.hasOneUse() ? op : OpTy();
}

/// The two operands of a commutative binary op, in both orders.
inline std::array<std::pair<mlir::Value, mlir::Value>, 2> bothOrders(mlir::Value a,
                                                                     mlir::Value b) {
  return {std::pair(a, b), std::pair(b, a)};
}

} // namespace ember
