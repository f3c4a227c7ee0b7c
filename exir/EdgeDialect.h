//===- EdgeDialect.h - The Edge dialect -----------------------------------===//
#pragma once

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "exir/EdgeDialect.h.inc"

#define GET_OP_CLASSES
#include "exir/EdgeOps.h.inc"
