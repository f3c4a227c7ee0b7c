//===- verifiers/Attention.cpp - Shape rules of fused attention -----------===//
//
// The verifier of edge.scaled_dot_product_attention, the one Edge op whose
// kernel is Ember's own (ember::sdpa.out): the front end hands torch's SDPA
// over as it, and ember-fuse-attention rewrites the decomposed form to it. It
// accepts what that kernel runs, a subset of torch's op:
//   q [N, Hq, L, E], k [N, Hk, S, E], v [N, Hk, S, Ev] -> [N, Hq, L, Ev], all
//   f32, all f16 or all bf16;
//   Hk == Hq, or Hq a multiple of Hk with enable_gqa (query head h reads
//   key/value head h / (Hq / Hk), as torch's repeat_interleave);
//   attn_mask absent, or bool (true: attend) or of the query's element type
//   (added to the scores; torch requires that type too),
//   broadcastable to [N, Hq, L, S]; not together with is_causal (torch
//   rejects that too); dropout_p 0.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeTypes.h"
#include "exir/EdgeVerifierUtils.h"

#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

LogicalResult ScaledDotProductAttentionOp::verify() {
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey()), v = shapeOf(getValue());
  if (q.size() != 4 || k.size() != 4 || v.size() != 4)
    return emitOpError("expects 4-d query, key and value [N, H, L, E], got ")
           << shapeStr(q) << ", " << shapeStr(k) << " and " << shapeStr(v);
  Type element = elementOf(getQuery());
  if (!element.isF32() && !element.isF16() && !element.isBF16())
    return emitOpError("expects f32, f16 or bf16 query, key and value, got ") << element;
  for (Value t : {getKey(), getValue()})
    if (elementOf(t) != element)
      return emitOpError("expects query, key and value of one element type, got ")
             << element << " and " << elementOf(t);
  if (k[0] != q[0] || v[0] != q[0])
    return emitOpError("batch sizes differ: ") << shapeStr(q) << ", " << shapeStr(k) << ", "
                                               << shapeStr(v);
  if (k[3] != q[3])
    return emitOpError("query and key head dims differ: ") << shapeStr(q) << " and "
                                                           << shapeStr(k);
  if (v[1] != k[1] || v[2] != k[2])
    return emitOpError("key ") << shapeStr(k) << " and value " << shapeStr(v)
                               << " differ in heads or length";
  if (k[1] != q[1]) {
    if (!getEnableGqa())
      return emitOpError("query has ") << q[1] << " heads and key " << k[1]
                                       << "; different head counts need enable_gqa";
    if (k[1] < 1 || q[1] % k[1] != 0)
      return emitOpError("key heads ") << k[1] << " do not divide query heads " << q[1];
  }
  if (getDropoutP().convertToDouble() != 0.0)
    return emitOpError("dropout_p must be 0 (inference), got ") << getDropoutP().convertToDouble();
  if (auto maskType = dyn_cast<RankedTensorType>(getAttnMask().getType())) {
    if (getIsCausal())
      return emitOpError("takes either attn_mask or is_causal, not both");
    Type maskElement = maskType.getElementType();
    if (!maskElement.isInteger(1) && maskElement != element)
      return emitOpError("attn_mask must be bool or the query's element type ")
             << element << ", got " << maskElement;
    ArrayRef<int64_t> m = maskType.getShape();
    SmallVector<int64_t> scores = {q[0], q[1], q[2], k[2]};
    if (m.size() > 4)
      return emitOpError("attn_mask ") << shapeStr(m) << " has more than 4 dims";
    for (size_t i = 0; i < m.size(); ++i) {
      int64_t want = scores[4 - m.size() + i];
      if (m[i] != 1 && m[i] != want && !ShapedType::isDynamic(m[i]))
        return emitOpError("attn_mask ") << shapeStr(m) << " does not broadcast to the scores "
                                         << shapeStr(scores);
    }
  }
  return checkResult(*this, getResult(), {q[0], q[1], q[2], v[3]}, elementOf(getQuery()));
}
