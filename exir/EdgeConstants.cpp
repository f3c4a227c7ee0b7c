//===- EdgeConstants.cpp - Reading and making edge.constant data ----------===//
#include "exir/EdgeConstants.h"

#include <cstring>

#include "exir/EdgeDialect.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace ember::edge {

FailureOr<std::vector<char>> readConstantBytes(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return failure();
  auto type = cast<ShapedType>(constant.getValue().getType());
  if (!type.hasStaticShape())
    return failure();
  size_t elementBytes = std::max<size_t>(1, type.getElementTypeBitWidth() / 8);
  size_t nbytes = type.getNumElements() * elementBytes;
  std::vector<char> out(nbytes);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != nbytes)
      return failure();
    if (nbytes)
      std::memcpy(out.data(), blob->getData().data(), nbytes);
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense)
    return failure();
  if (type.getElementType().isInteger(1)) {  // MLIR packs i1 as bits
    size_t i = 0;
    for (bool b : dense.getValues<bool>())
      out[i++] = b ? 1 : 0;
    return out;
  }
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    for (size_t i = 0; i < nbytes; i += elementBytes)
      std::memcpy(out.data() + i, raw.data(), elementBytes);
  } else if (raw.size() == nbytes) {
    std::memcpy(out.data(), raw.data(), nbytes);
  } else {
    return failure();
  }
  return out;
}

FailureOr<SmallVector<float>> readConstantF32(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32())
    return failure();
  FailureOr<std::vector<char>> bytes = readConstantBytes(value);
  if (failed(bytes))
    return failure();
  SmallVector<float> out(bytes->size() / sizeof(float));
  if (!out.empty())
    std::memcpy(out.data(), bytes->data(), out.size() * sizeof(float));
  return out;
}

Value createConstant(OpBuilder &builder, Location loc, RankedTensorType type,
                     ArrayRef<char> bytes, StringRef name) {
  StringAttr nameAttr = name.empty() ? StringAttr() : builder.getStringAttr(name);
  // Small data is a dense attribute (readable in the IR); larger data a
  // resource blob, which the context does not hash and unique.
  if (bytes.size() <= kInlineConstantBytes && !type.getElementType().isInteger(1)) {
    auto attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
    return builder.create<ConstantOp>(loc, type, attr, nameAttr);
  }
  auto &blobManager = DenseResourceElementsHandle::getManagerInterface(builder.getContext());
  auto handle = blobManager.insert(name.empty() ? "constant" : name,
                                   HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes));
  auto attr = DenseResourceElementsAttr::get(type, handle);
  return builder.create<ConstantOp>(loc, type, attr, nameAttr);
}

Value createConstantF32(OpBuilder &builder, Location loc, ArrayRef<int64_t> shape,
                        ArrayRef<float> values, StringRef name) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  return createConstant(
      builder, loc, type,
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float)),
      name);
}

} // namespace ember::edge
