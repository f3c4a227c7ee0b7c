//===- XnnpackUtils.cpp - Constants and shapes for the XNNPACK lowering ---===//
#include "partitioners/xnnpack/XnnpackUtils.h"

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackDialect.h"

using namespace mlir;

namespace ember::xnnpack {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

RankedTensorType f32Tensor(MLIRContext *ctx, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

bool isF32Tensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32();
}

bool isConstant(Value v) { return v.getDefiningOp<edge::ConstantOp>() != nullptr; }

bool isF32Constant(Value v) {
  auto constant = v.getDefiningOp<edge::ConstantOp>();
  // A resource's bytes are viewed, not copied: cheap for any weight.
  return constant && isF32Tensor(v) && succeeded(edge::elementBytes(constant.getValue()));
}

SmallVector<int64_t> permuteShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(shape[p]);
  return out;
}

SmallVector<float> permuteData(ArrayRef<float> data, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> perm) {
  size_t rank = shape.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (size_t d = rank; d-- > 1;)
    inStrides[d - 1] = inStrides[d] * shape[d];
  SmallVector<int64_t> outShape = permuteShape(shape, perm);
  SmallVector<float> out(data.size());
  SmallVector<int64_t> index(rank, 0);  // position in the output
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d)
      src += index[d] * inStrides[perm[d]];
    out[i] = data[src];
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

bool movesOnlyUnitDims(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (shape[p] == 1)
      continue;
    if (p < last)
      return false;
    last = p;
  }
  return true;
}

SmallVector<int64_t> invertPermutation(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return inverse;
}

Value createTranspose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto type = f32Tensor(b.getContext(), permuteShape(shapeOf(v), perm));
  return b.create<StaticTransposeOp>(loc, type, v, b.getDenseI64ArrayAttr(perm)).getResult();
}

Value createReshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return b.create<StaticReshapeOp>(loc, f32Tensor(b.getContext(), shape), v).getResult();
}

} // namespace ember::xnnpack
