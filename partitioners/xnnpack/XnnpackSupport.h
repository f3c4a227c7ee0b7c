//===- XnnpackSupport.h - Which Edge ops the XNNPACK backend takes ---------===//
//
// The one place that decides what XNNPACK (Debian's 2022 library: the nodes
// of docs/xnnpack-compile.md, fp32) can run. The partitioner asks it for
// every op; the lowering asks it again and refuses anything it rejects, so
// the two never disagree.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <string>

#include "exir/EdgeDialect.h"

namespace ember::xnnpack {

/// Whether the XNNPACK backend lowers `op`; when not, `reason` says why in a
/// few words (the delegation summary shows it).
bool isSupportedByXnnpack(mlir::Operation *op, std::string &reason);

/// PyTorch's PReLU after decomposition: where(x > 0, x, w * x) with a
/// constant w of one value or one per channel (dim 1) of a 4-d x.
struct PreluMatch {
  mlir::Value input;  ///< x, [N, C, H, W]
  mlir::Value slope;  ///< the constant w
  mlir::Operation *compare = nullptr;   ///< x > 0
  mlir::Operation *multiply = nullptr;  ///< w * x
};

/// The PReLU pattern rooted at `where`, if it is one.
std::optional<PreluMatch> matchPrelu(edge::WhereSelfOp where);

} // namespace ember::xnnpack
