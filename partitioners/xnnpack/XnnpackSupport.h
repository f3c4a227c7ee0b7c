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

/// What the partitioner was asked to take beyond fp32.
struct SupportOptions {
  /// Static int8 ops (ember::quantized_convolution, quantized_linear with
  /// per-tensor weights, quantized_add, quantize/dequantize_per_tensor, max
  /// pooling between them). Off by default: on x86-64 Ember's own int8
  /// kernels (VNNI) run a quantized ResNet-18 about 2x faster than Debian's
  /// XNNPACK (2022, no VNNI), so the delegation summary says they stay there.
  bool quantized = false;
};

/// Whether the XNNPACK backend lowers `op`; when not, `reason` says why in a
/// few words (the delegation summary shows it).
bool isSupportedByXnnpack(mlir::Operation *op, std::string &reason,
                          const SupportOptions &options = {});

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
