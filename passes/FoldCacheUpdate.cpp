//===- FoldCacheUpdate.cpp - index_put of one index tensor as update_cache -===//
//
// A static KV cache is written with index_copy_(dim, positions, kv) (the
// transformers StaticCache, ExecuTorch's llama KV cache), which export
// functionalizes into index_put(cache, [None, ..., positions], kv) and a
// write-back of the result into the cache buffer. index_put's kernel visits
// the indexed region element by element and, out of place, first copies the
// whole cache. This pass makes it edge.update_cache(cache, positions, kv,
// dim) (kernel ember::update_cache.out): one contiguous copy per slice, and
// the memory plan runs it in place when the cache is a mutable buffer the
// result is written back into (PlanMemory.cpp).
//
//===----------------------------------------------------------------------===//
#include "passes/Matchers.h"
#include "passes/Passes.h"

#include "exir/EdgeVerifierUtils.h"

namespace ember {
#define GEN_PASS_DEF_FOLDCACHEUPDATE
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

using edge::verify::shapeOf;

/// The dim of `put`'s one index tensor when its indices are None up to a
/// 1-d int64/int32 tensor, accumulate is false and values has the cache's
/// sizes with the index's length at that dim (no broadcasting); else -1.
int64_t cacheUpdateDim(edge::IndexPutOp put) {
  if (put.getAccumulate())
    return -1;
  auto indices = put.getIndices();
  if (indices.empty())
    return -1;
  for (Value none : indices.drop_back())
    if (!none.getDefiningOp<edge::NoneOp>())
      return -1;
  Value index = indices.back();
  auto indexType = dyn_cast<RankedTensorType>(index.getType());
  if (!indexType || indexType.getRank() != 1 ||
      !(indexType.getElementType().isSignlessInteger(64) ||
        indexType.getElementType().isSignlessInteger(32)))
    return -1;
  const int64_t dim = static_cast<int64_t>(indices.size()) - 1;
  ArrayRef<int64_t> cache = shapeOf(put.getSelf()), value = shapeOf(put.getValues());
  if (dim >= static_cast<int64_t>(cache.size()) || value.size() != cache.size() ||
      getElementTypeOrSelf(put.getValues()) != getElementTypeOrSelf(put.getSelf()))
    return -1;
  for (int64_t d = 0; d < static_cast<int64_t>(cache.size()); ++d) {
    int64_t want = d == dim ? indexType.getDimSize(0) : cache[d];
    if (value[d] != want && !ShapedType::isDynamic(value[d]) && !ShapedType::isDynamic(want))
      return -1;
  }
  return dim;
}

struct FoldCacheUpdatePass : impl::FoldCacheUpdateBase<FoldCacheUpdatePass> {
  void runOnOperation() override {
    SmallVector<edge::IndexPutOp> puts;
    getOperation().walk([&](edge::IndexPutOp op) { puts.push_back(op); });
    for (edge::IndexPutOp put : puts) {
      const int64_t dim = cacheUpdateDim(put);
      if (dim < 0)
        continue;
      OpBuilder b(put);
      auto update = b.create<edge::UpdateCacheOp>(put.getLoc(), put.getResult().getType(),
                                                  put.getSelf(), put.getIndices().back(),
                                                  put.getValues(), b.getI64IntegerAttr(dim));
      update->setDiscardableAttrs(put->getDiscardableAttrDictionary());
      SmallVector<Operation *> nones;
      for (Value none : put.getIndices().drop_back())
        nones.push_back(none.getDefiningOp());
      put.getResult().replaceAllUsesWith(update.getResult());
      put.erase();
      for (Operation *none : nones)
        if (none->use_empty())
          none->erase();
    }
  }
};

} // namespace
} // namespace ember
