//===- EdgeTypes.cpp - Element types of the Edge contract -----------------===//
#include "exir/EdgeTypes.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace ember::edge {

namespace {
// ScalarType codes of the .pte format.
enum Code { Byte = 0, Char = 1, Short = 2, Int = 3, Long = 4, Half = 5, Float = 6,
            Double = 7, Bool = 11, BFloat16 = 15 };
} // namespace

Type scalarTypeToElementType(MLIRContext *ctx, int code) {
  switch (code) {
  case Byte: return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case Char: return IntegerType::get(ctx, 8);
  case Short: return IntegerType::get(ctx, 16);
  case Int: return IntegerType::get(ctx, 32);
  case Long: return IntegerType::get(ctx, 64);
  case Half: return Float16Type::get(ctx);
  case Float: return Float32Type::get(ctx);
  case Double: return Float64Type::get(ctx);
  case Bool: return IntegerType::get(ctx, 1);
  case BFloat16: return BFloat16Type::get(ctx);
  default: return Type();
  }
}

std::optional<int> elementTypeToScalarType(Type t) {
  if (t.isF32()) return Float;
  if (t.isF16()) return Half;
  if (t.isBF16()) return BFloat16;
  if (t.isF64()) return Double;
  if (auto i = dyn_cast<IntegerType>(t)) {
    if (i.getWidth() == 1) return Bool;
    if (i.isUnsigned()) return i.getWidth() == 8 ? std::optional<int>(Byte) : std::nullopt;
    switch (i.getWidth()) {
    case 8: return Char;
    case 16: return Short;
    case 32: return Int;
    case 64: return Long;
    }
  }
  return std::nullopt;
}

} // namespace ember::edge
