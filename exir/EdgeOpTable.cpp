//===- EdgeOpTable.cpp - The generated op table and its lookups -----------===//
#include "exir/EdgeOpTable.h"

#include <string>

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/IR/BuiltinTypes.h"

namespace ember::edge {

#include "exir/EdgeOpTable.inc"

llvm::ArrayRef<EdgeOpInfo> getEdgeOpTable() { return kEdgeOps; }

namespace {
/// Lookups by ATen "name.overload" and by Edge op name, built once.
struct Index {
  llvm::StringMap<const EdgeOpInfo *> byAten, byEdge;
  Index() {
    for (const EdgeOpInfo &info : kEdgeOps) {
      byAten[std::string(info.atenName) + "." + info.atenOverload] = &info;
      byEdge[info.opName] = &info;
    }
  }
};
const Index &index() {
  static const Index idx;
  return idx;
}
} // namespace

const EdgeOpInfo *lookupAtenOp(llvm::StringRef atenName, llvm::StringRef overload) {
  std::string key = (atenName + "." + (overload == "default" ? "" : overload)).str();
  return index().byAten.lookup(key);
}

const EdgeOpInfo *lookupEdgeOp(llvm::StringRef opName) {
  return index().byEdge.lookup(opName);
}

uint32_t dtypeBit(mlir::Type t) {
  if (t.isF32()) return DTypeBit::F32;
  if (t.isF16()) return DTypeBit::F16;
  if (t.isBF16()) return DTypeBit::BF16;
  if (t.isF64()) return DTypeBit::F64;
  if (auto i = llvm::dyn_cast<mlir::IntegerType>(t)) {
    if (i.getWidth() == 1) return DTypeBit::I1;
    if (i.isUnsigned()) return i.getWidth() == 8 ? DTypeBit::UI8 : 0;
    switch (i.getWidth()) {
    case 8: return DTypeBit::I8;
    case 16: return DTypeBit::I16;
    case 32: return DTypeBit::I32;
    case 64: return DTypeBit::I64;
    }
  }
  return 0;
}

std::string dtypeName(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

} // namespace ember::edge
