//===- XnnpackPasses.h - The XNNPACK backend's lowering passes ------------===//
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

#include "partitioners/xnnpack/XnnpackDialect.h"

namespace ember::edge {
class EdgeDialect;
}

namespace ember::xnnpack {

#define GEN_PASS_DECL
#include "partitioners/xnnpack/XnnpackPasses.h.inc"

/// The serialization pass writing the blob into `*out` (preprocess's use).
std::unique_ptr<mlir::Pass> createSerializeXnnpackPass(std::vector<uint8_t> *out);

/// Register the XNNPACK passes (for ember-opt); called by registerAllPasses.
void registerXnnpackPasses();

} // namespace ember::xnnpack
