//===- XnnpackBlob.h - ExecuTorch's XNNPACK delegate blob, written and read -===//
//
// A blob is [header][flatbuffer][constant data]:
//   bytes 0..4   zero
//   bytes 4..8   "XH00"
//   u16          header length (30)
//   u32          flatbuffer offset (32: the header padded to 16)
//   u32          flatbuffer size
//   u32          constant data offset (after the flatbuffer padded to 16)
//   u64          constant data size
// all little endian. The flatbuffer (identifier "XN00", schema
// runtime/backends/xnnpack/xnnpack_graph.fbs) lists values and nodes;
// constant i of Graph.constant_data (0 is reserved) is at its offset in the
// constant data, 16-byte aligned.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <vector>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

namespace ember::xnnpack {

/// Magic of the blob header (at byte 4).
inline constexpr char kHeaderMagic[] = "XH00";
/// Length of the header, before padding.
inline constexpr uint16_t kHeaderLength = 30;
/// Alignment of the flatbuffer and of every constant.
inline constexpr uint64_t kConstantAlignment = 16;

/// Value flags (XNNPACK's XNN_VALUE_FLAG_EXTERNAL_*).
inline constexpr uint32_t kExternalInput = 1;
inline constexpr uint32_t kExternalOutput = 2;
/// XNN_INVALID_VALUE_ID: "no value" (an absent bias, a non-external value).
inline constexpr uint32_t kInvalidValueId = 0xFFFFFFFFu;
/// XNN_FLAG_KEEP_DIMS, which ExecuTorch sets on pooling nodes.
inline constexpr uint32_t kKeepDimsFlag = 0x40;
/// XNN_FLAG_ALIGN_CORNERS of the bilinear resize.
inline constexpr uint32_t kAlignCornersFlag = 0x8;

/// Serialize `func` (xnnpack ops, edge.constant, func.return) to a blob.
/// Delegate argument i is function argument i (external id i); output j is
/// function result j (external id num_inputs + j). Errors are emitted at the
/// op at fault.
mlir::FailureOr<std::vector<uint8_t>> serializeXnnpackGraph(mlir::func::FuncOp func);

/// Print `blob` decoded from its bytes: header, values, nodes, constants.
/// Fails (writing why to `os`) when the blob is malformed.
mlir::LogicalResult printXnnpackBlob(llvm::ArrayRef<uint8_t> blob, llvm::raw_ostream &os);

} // namespace ember::xnnpack
