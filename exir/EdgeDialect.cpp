//===- EdgeDialect.cpp - The Edge dialect ---------------------------------===//
#include "exir/EdgeDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace ember::edge;

#include "exir/EdgeDialect.cpp.inc"

void EdgeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "exir/EdgeOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "exir/EdgeOps.cpp.inc"

namespace ember::edge {

void printLocation(llvm::raw_ostream &os, mlir::Location loc) {
  using namespace mlir;
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (auto file = dyn_cast<FileLineColLoc>(name.getChildLoc())) {
      os << file.getFilename().getValue() << ":" << file.getLine() << " ("
         << name.getName().getValue() << ")";
      return;
    }
    os << name.getName().getValue();
    return;
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue() << ":" << file.getLine() << ":" << file.getColumn();
    return;
  }
  os << loc;
}

std::string describeLocation(mlir::Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printLocation(os, loc);
  return os.str();
}

} // namespace ember::edge
