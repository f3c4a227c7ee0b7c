//===- EdgeOpTable.h - What each ATen-mirroring Edge op is ----------------===//
//
// The table generated from ops.yaml, for code that handles every Edge op the
// same way: the importer (ATen name -> op, arguments in schema order) and the
// emitter (op -> out-variant kernel and its argument order).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "mlir/IR/Types.h"

namespace ember::edge {

/// The kind of one schema argument.
enum class ArgKind : uint8_t {
  Tensor,              ///< operand (`none`-typed when optional and absent)
  TensorList,          ///< the op's variadic operands
  OptionalTensorList,  ///< variadic operands, some `none`
  Int, IntList, Float, FloatList, Bool, BoolList,
  Scalar,              ///< int, float or bool attribute
  ScalarType, Layout, MemoryFormat,  ///< integer attributes (wire enums)
  Device, String,      ///< string attributes
};

/// One argument of a schema.
struct ArgSpec {
  const char *name;  ///< operand or attribute name (as in the ATen schema)
  ArgKind kind;
  bool optional;     ///< `T?`: may be absent (attribute missing, operand `none`)
  bool isOut;        ///< an out tensor of the out-variant schema
};

/// Bit per element type, for EdgeOpInfo::dtypes.
namespace DTypeBit {
constexpr uint32_t F32 = 1u << 0, F16 = 1u << 1, BF16 = 1u << 2, F64 = 1u << 3,
                   I64 = 1u << 4, I32 = 1u << 5, I16 = 1u << 6, I8 = 1u << 7,
                   UI8 = 1u << 8, I1 = 1u << 9;
} // namespace DTypeBit

/// One ATen-mirroring op.
struct EdgeOpInfo {
  const char *opName;       ///< "edge.add.Tensor"
  const char *atenName;     ///< "aten::add"
  const char *atenOverload; ///< "Tensor" ("" for default)
  const char *outName;      ///< "aten::add"
  const char *outOverload;  ///< "out"
  llvm::ArrayRef<ArgSpec> args;     ///< functional schema arguments
  llvm::ArrayRef<ArgSpec> outArgs;  ///< out-variant schema arguments
  unsigned numResults;
  uint32_t dtypes;          ///< DTypeBit mask of kernel element types
  /// Some argument is SymInt, SymInt[] or Scalar: the op has `sym_values`
  /// operands (after its tensors) and a `sym_slots` attribute saying which
  /// argument each one computes (see symSlots()).
  bool symbolic;
};


/// Every ATen-mirroring op, in ops.yaml order.
llvm::ArrayRef<EdgeOpInfo> getEdgeOpTable();

/// The op mirroring `atenName` + `overload` ("aten::add", "Tensor"), or null.
const EdgeOpInfo *lookupAtenOp(llvm::StringRef atenName, llvm::StringRef overload);

/// The entry for an Edge op name ("edge.add.Tensor"), or null.
const EdgeOpInfo *lookupEdgeOp(llvm::StringRef opName);

/// The DTypeBit of an MLIR element type, or 0 if the runtime has no such type.
uint32_t dtypeBit(mlir::Type elementType);

/// "f32", "i64", ... for diagnostics.
std::string dtypeName(mlir::Type elementType);

} // namespace ember::edge
