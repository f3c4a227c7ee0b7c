//===- EdgeConstants.cpp - Reading and making edge.constant data ----------===//
#include "exir/EdgeConstants.h"

#include <cstring>

#include "exir/EdgeDialect.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace ember::edge {

std::optional<double> scalarValue(Attribute attr) {
  if (auto i = dyn_cast_or_null<IntegerAttr>(attr))
    return i.getType().isInteger(1) ? double(i.getValue().getBoolValue())
                                    : double(i.getValue().getSExtValue());
  if (auto f = dyn_cast_or_null<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto b = dyn_cast_or_null<BoolAttr>(attr))
    return b.getValue() ? 1.0 : 0.0;
  return std::nullopt;
}

FailureOr<ElementBytes> elementBytes(ElementsAttr value, Operation *diagnose) {
  auto fail = [&](auto &&...parts) -> FailureOr<ElementBytes> {
    if (diagnose) {
      InFlightDiagnostic d = diagnose->emitOpError();
      (d << ... << parts);
    }
    return failure();
  };
  auto type = cast<ShapedType>(value.getType());
  if (!type.hasStaticShape())
    return fail("value has a dynamic shape");
  size_t elementSize = std::max<size_t>(1, type.getElementTypeBitWidth() / 8);
  size_t nbytes = type.getNumElements() * elementSize;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return fail("has no data for resource '", resource.getRawHandle().getKey(), "'");
    ArrayRef<char> data = blob->getData();
    if (data.size() != nbytes)
      return fail("resource holds ", data.size(), " bytes, its type needs ", nbytes);
    return ElementBytes{{}, data};
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return fail("value must be dense or dense_resource data");
  ElementBytes out;
  out.owned.resize(nbytes);
  if (type.getElementType().isInteger(1)) {  // MLIR packs i1 as bits; the .pte uses bytes
    size_t i = 0;
    for (bool b : dense.getValues<bool>())
      out.owned[i++] = b ? 1 : 0;
  } else {
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      for (size_t i = 0; i < nbytes; i += elementSize)
        std::memcpy(out.owned.data() + i, raw.data(), elementSize);
    } else {
      std::memcpy(out.owned.data(), raw.data(), nbytes);
    }
  }
  out.bytes = ArrayRef<char>(out.owned.data(), out.owned.size());
  return out;
}

FailureOr<SmallVector<float>> readConstantF32(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32())
    return failure();
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return failure();
  FailureOr<ElementBytes> bytes = elementBytes(constant.getValue());
  if (failed(bytes))
    return failure();
  SmallVector<float> out(bytes->bytes.size() / sizeof(float));
  if (!out.empty())
    std::memcpy(out.data(), bytes->bytes.data(), out.size() * sizeof(float));
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
