//===- Matchers.h - Small helpers of the pattern-fusing passes -----------===//
//
// What the pattern passes (ember-fuse-activations, ember-fuse-rms-norm and
// the quantizer/ folds) ask of a chain of Edge ops.
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

/// Erase `root`, then every op `erasable` accepts that this leaves without a
/// user, upstream. Each op is erased once, even when it fed one op twice
/// (mul(x, x)). With `erased`, each erased op goes into it (for a caller
/// still holding a list of ops).
template <typename Pred>
void eraseChainIf(mlir::Operation *root, Pred erasable,
                  llvm::DenseSet<mlir::Operation *> *erased = nullptr) {
  llvm::SmallVector<mlir::Operation *> dead = {root};
  llvm::DenseSet<mlir::Operation *> queued = {root};
  while (!dead.empty()) {
    mlir::Operation *op = dead.pop_back_val();
    llvm::SmallVector<mlir::Value> operands(op->getOperands());
    if (erased)
      erased->insert(op);
    op->erase();
    for (mlir::Value v : operands) {
      mlir::Operation *def = v.getDefiningOp();
      if (def && def->use_empty() && erasable(def) && queued.insert(def).second)
        dead.push_back(def);
    }
  }
}

/// eraseChainIf for the ops of kinds Ops (a fused chain's pieces and its
/// constants).
template <typename... Ops>
void eraseChain(mlir::Operation *root, llvm::DenseSet<mlir::Operation *> *erased = nullptr) {
  eraseChainIf(root, [](mlir::Operation *op) { return mlir::isa<Ops...>(op); }, erased);
}

} // namespace ember
