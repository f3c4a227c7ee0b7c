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
