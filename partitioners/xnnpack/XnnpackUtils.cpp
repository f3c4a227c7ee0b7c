//===- XnnpackUtils.cpp - Constants and shapes for the XNNPACK lowering ---===//
#include "partitioners/xnnpack/XnnpackUtils.h"

#include <cstring>

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

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

RankedTensorType tensorLike(Value like, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, cast<RankedTensorType>(like.getType()).getElementType());
}

bool isQuantizedTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isInteger(8);
}

std::optional<QuantParams> quantParamsOf(Value v) {
  if (!isQuantizedTensor(v))
    return std::nullopt;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!func)
      return std::nullopt;
    auto scale = func.getArgAttrOfType<FloatAttr>(arg.getArgNumber(), kArgScaleAttr);
    auto zp = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), kArgZeroPointAttr);
    if (!scale || !zp)
      return std::nullopt;
    return QuantParams{scale.getValueAsDouble(), zp.getInt()};
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  auto scale = def->getAttrOfType<FloatAttr>(kResultScaleAttr);
  auto zp = def->getAttrOfType<IntegerAttr>(kResultZeroPointAttr);
  if (scale && zp)
    return QuantParams{scale.getValueAsDouble(), zp.getInt()};
  // Nodes whose int8 output has the input's parameters.
  if (isa<StaticTransposeOp, StaticReshapeOp, MaxPooling2dOp, ClampOp>(def))
    return quantParamsOf(def->getOperand(0));
  return std::nullopt;
}

std::optional<std::vector<char>> readConstantBytes(Value v) {
  auto constant = v.getDefiningOp<edge::ConstantOp>();
  if (!constant)
    return std::nullopt;
  FailureOr<edge::ElementBytes> bytes = edge::elementBytes(constant.getValue());
  if (failed(bytes))
    return std::nullopt;
  return std::vector<char>(bytes->bytes.begin(), bytes->bytes.end());
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

std::vector<char> permuteBytes(ArrayRef<char> data, size_t elementSize, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> perm) {
  size_t rank = shape.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (size_t d = rank; d-- > 1;)
    inStrides[d - 1] = inStrides[d] * shape[d];
  SmallVector<int64_t> outShape = permuteShape(shape, perm);
  size_t count = data.size() / elementSize;
  std::vector<char> out(data.size());
  SmallVector<int64_t> index(rank, 0);  // position in the output
  for (size_t i = 0; i < count; ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d)
      src += index[d] * inStrides[perm[d]];
    std::memcpy(&out[i * elementSize], &data[src * elementSize], elementSize);
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
  auto type = tensorLike(v, permuteShape(shapeOf(v), perm));
  return b.create<StaticTransposeOp>(loc, type, v, b.getDenseI64ArrayAttr(perm)).getResult();
}

Value createReshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return b.create<StaticReshapeOp>(loc, tensorLike(v, shape), v).getResult();
}

} // namespace ember::xnnpack
