//===- Matchers.h - Small helpers of the pattern-fusing passes -----------===//
//
// What ember-fuse-activations and ember-fuse-rms-norm both ask of a chain of
// Edge ops.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <utility>

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
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

/// Erase `root`, then every op of kind Ops (a fused chain's pieces and its
/// constants) that this leaves without a user, upstream. With `erased`,
/// each erased op goes into it (for a caller still holding a list of ops).
template <typename... Ops>
void eraseChain(mlir::Operation *root, llvm::DenseSet<mlir::Operation *> *erased = nullptr) {
  llvm::SmallVector<mlir::Operation *> dead = {root};
  while (!dead.empty()) {
    mlir::Operation *op = dead.pop_back_val();
    llvm::SmallVector<mlir::Value> operands(op->getOperands());
    if (erased)
      erased->insert(op);
    op->erase();
    for (mlir::Value v : operands) {
      mlir::Operation *def = v.getDefiningOp();
      if (def && def->use_empty() && mlir::isa<Ops...>(def))
        dead.push_back(def);
    }
  }
}

} // namespace ember
