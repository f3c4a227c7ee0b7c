//===- FoldQuantizedEmbedding.cpp - Quantized tables as ET's embedding ops ===//
//
// torchao's IntxWeightOnlyConfig on an nn.Embedding (what ExecuTorch's LLM
// recipes use for `embedding_quantize`) leaves aten.embedding over a
// dequantize_affine of the int8 table; PT2E's per-channel weights leave it
// over a dequantize_per_channel. On the reference path the whole table is
// dequantized to float on every call to read a few rows. ExecuTorch's
// quantized_decomposed::embedding_{byte,4bit,2bit} dequantize only the rows
// they read; this pass rewrites the pattern into them, repacking a 4-bit
// table two per byte and a 2-bit one four per byte in ET's order, so the
// file holds the small table and ET's runtime can run it as well.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "exir/EdgeConstants.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDEMBEDDING
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// ScalarType codes.
constexpr uint64_t kUInt8 = 0, kInt8 = 1, kFloat32 = 6;

/// A table as ExecuTorch's embedding ops read it.
struct QuantizedTable {
  Value weight, scales, zeroPoints;  ///< zeroPoints null: none (all 0)
  int bits = 8;
  int64_t quantMin = -128, quantMax = 127;
};

/// torchao's optional quant_min/quant_max: the value, `dflt` when absent,
/// nullopt when not an integer.
std::optional<int64_t> bound(Attribute a, int64_t dflt) {
  if (!a)
    return dflt;
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getInt();
  return std::nullopt;
}

/// The raw bytes of an 8-bit integer constant (no copy for a resource blob).
FailureOr<edge::ElementBytes> constantBytes(Value v) {
  auto constant = isPresent(v) ? v.getDefiningOp<edge::ConstantOp>() : nullptr;
  if (!constant || !elementOf(v).isInteger(8))
    return failure();
  return edge::elementBytes(constant.getValue());
}

/// ET's packed storage of int8 values `q` [rows, cols] (each fitting `bits`
/// bits): 4 bits, element 2i in the high nibble of byte i as value + 8 and
/// 2i + 1 in the low one; 2 bits, element 4i + j in bits 2j..2j+1 as
/// value + 2.
std::vector<char> packTable(ArrayRef<char> q, int64_t rows, int64_t cols, int bits) {
  const int64_t perByte = 8 / bits, outCols = cols / perByte;
  const int offset = 1 << (bits - 1), mask = (1 << bits) - 1;
  std::vector<char> packed(static_cast<size_t>(rows * outCols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < outCols; ++b) {
      unsigned byte = 0;
      for (int64_t j = 0; j < perByte; ++j) {
        const unsigned v = static_cast<unsigned>(static_cast<int8_t>(q[r * cols + b * perByte + j]) +
                                                 offset) & mask;
        byte |= bits == 4 ? v << (j == 0 ? 4 : 0) : v << (bits * j);
      }
      packed[r * outCols + b] = static_cast<char>(byte);
    }
  return packed;
}

/// Zero points as ET's ops take them: none when all are 0, else float32
/// `shape` (exact: the integers are small), made before `at`.
FailureOr<Value> floatZeroPoints(OpBuilder &b, Location loc, Value zp, ArrayRef<int64_t> shape,
                                 int64_t count, std::string &why) {
  if (!isPresent(zp))
    return Value();
  FailureOr<SmallVector<int64_t>> zps = readConstantInts(zp);
  if (failed(zps) || static_cast<int64_t>(zps->size()) != count) {
    why = "the table's zero points are not integer constants with one per group";
    return failure();
  }
  if (llvm::all_of(*zps, [](int64_t z) { return z == 0; }))
    return Value();
  SmallVector<float> values(zps->begin(), zps->end());
  std::string name = constantName(zp).str();
  return edge::createConstantF32(b, loc, shape, values,
                                 (name.empty() ? "embedding_zero_points" : name) + ".f32");
}

/// torchao: dequantize_affine(w int8 [V, D], [1, G], scale, zero_point).
FailureOr<QuantizedTable> affineTable(edge::DequantizeAffineOp dq, std::string &why) {
  Value w = dq.getInput();
  ArrayRef<int64_t> shape = shapeOf(w);
  if (!dq.getSymValues().empty() || shape.size() != 2 || ShapedType::isDynamicShape(shape)) {
    why = "the table is not a 2-d tensor of static shape";
    return failure();
  }
  if (dq.getInputDtype() != kInt8 || !elementOf(w).isSignlessInteger(8)) {
    why = "the table is not int8";
    return failure();
  }
  if (dq.getOutputDtype() != kFloat32 || !elementOf(dq.getResult()).isF32()) {
    why = "the table is dequantized to another type than float32";
    return failure();
  }
  const int64_t vocab = shape[0], dim = shape[1];
  ArrayRef<int64_t> block = dq.getBlockSize();
  if (block.size() != 2 || block[0] != 1 || block[1] < 1 || dim % block[1] != 0) {
    why = "the table's blocks are not groups along a row ([1, G])";
    return failure();
  }
  const int64_t groups = dim / block[1];
  std::optional<int64_t> qmin = bound(dq.getQuantMinAttr(), -128);
  std::optional<int64_t> qmax = bound(dq.getQuantMaxAttr(), 127);
  if (!qmin || !qmax || *qmin < -128 || *qmax > 127 || *qmin > *qmax) {
    why = "the table's quantization range is not an integer range inside int8";
    return failure();
  }
  FailureOr<edge::ElementBytes> bytes = constantBytes(w);
  if (failed(bytes)) {
    why = "the quantized table is not a constant";
    return failure();
  }
  auto scaleType = cast<RankedTensorType>(dq.getScale().getType());
  if (!scaleType.getElementType().isF32() || scaleType.getNumElements() != vocab * groups) {
    why = "the table's scales are not float32 with one per group";
    return failure();
  }
  QuantizedTable t;
  auto fits = [&](int lo, int hi) {
    return *qmin >= lo && *qmax <= hi && llvm::all_of(bytes->bytes, [&](char c) {
             return static_cast<int8_t>(c) >= lo && static_cast<int8_t>(c) <= hi;
           });
  };
  t.bits = dim % 4 == 0 && fits(-2, 1) ? 2 : dim % 2 == 0 && fits(-8, 7) ? 4 : 8;
  t.quantMin = t.bits == 2 ? -2 : t.bits == 4 ? -8 : *qmin;
  t.quantMax = t.bits == 2 ? 1 : t.bits == 4 ? 7 : *qmax;

  OpBuilder b(dq);
  const SmallVector<int64_t> paramShape{vocab, groups};
  FailureOr<Value> zps =
      floatZeroPoints(b, dq.getLoc(), dq.getZeroPoint(), paramShape, vocab * groups, why);
  if (failed(zps))
    return failure();
  t.zeroPoints = *zps;
  if (scaleType.getShape() == ArrayRef<int64_t>(paramShape)) {
    t.scales = dq.getScale();
  } else {
    FailureOr<SmallVector<float>> scales = edge::readConstantF32(dq.getScale());
    if (failed(scales)) {
      why = "the table's scales have a shape other than [V, D / G] and are not constants";
      return failure();
    }
    t.scales = edge::createConstantF32(b, dq.getLoc(), paramShape, *scales,
                                       (constantName(dq.getScale()) + ".groups").str());
  }
  if (t.bits == 8) {
    t.weight = w;
  } else {
    std::vector<char> packed = packTable(bytes->bytes, vocab, dim, t.bits);
    auto type = RankedTensorType::get({vocab, dim * t.bits / 8},
                                      IntegerType::get(dq.getContext(), 8, IntegerType::Unsigned));
    std::string name = constantName(w).str();
    t.weight = edge::createConstant(b, dq.getLoc(), type, packed,
                                    (name.empty() ? "embedding" : name) +
                                        (t.bits == 4 ? ".et_int4" : ".et_int2"));
  }
  return t;
}

/// PT2E: dequantize_per_channel(w int8/uint8 [V, D], scales [V], zero
/// points [V], axis 0): embedding_byte with one scale per row.
FailureOr<QuantizedTable> perChannelTable(edge::DequantizePerChannelOp dq, std::string &why) {
  Value w = dq.getInput();
  ArrayRef<int64_t> shape = shapeOf(w);
  if (shape.size() != 2 || ShapedType::isDynamicShape(shape)) {
    why = "the table is not a 2-d tensor of static shape";
    return failure();
  }
  const int64_t axis = dq.getAxisAttr().getInt();
  if (axis != 0 && axis != -2) {
    why = "the table is quantized per channel along axis " + std::to_string(axis) +
          ", not per row (axis 0)";
    return failure();
  }
  const uint64_t dtype = static_cast<uint64_t>(dq.getDtypeAttr().getInt());
  if (!(dtype == kInt8 && elementOf(w).isSignlessInteger(8)) &&
      !(dtype == kUInt8 && elementOf(w).isUnsignedInteger(8))) {
    why = "the table is not int8 or uint8";
    return failure();
  }
  if ((dq.getOutDtype() && *dq.getOutDtype() != kFloat32) || !elementOf(dq.getResult()).isF32() ||
      !elementOf(dq.getScales()).isF32()) {
    why = "the table or its scales are not float32";
    return failure();
  }
  if (!w.getDefiningOp<edge::ConstantOp>()) {
    why = "the quantized table is not a constant";
    return failure();
  }
  QuantizedTable t;
  t.weight = w;
  t.scales = dq.getScales();
  t.quantMin = dq.getQuantMinAttr().getInt();
  t.quantMax = dq.getQuantMaxAttr().getInt();
  OpBuilder b(dq);
  FailureOr<Value> zps =
      floatZeroPoints(b, dq.getLoc(), dq.getZeroPoints(), {shape[0]}, shape[0], why);
  if (failed(zps))
    return failure();
  t.zeroPoints = *zps;
  return t;
}

LogicalResult fold(edge::EmbeddingOp op, llvm::DenseMap<Operation *, QuantizedTable> &tables,
                   std::string &why) {
  Operation *dq = op.getWeight().getDefiningOp();
  if (!elementOf(op.getResult()).isF32()) {
    why = "the embedding's result is not float32";
    return failure();
  }
  auto cached = tables.find(dq);
  if (cached == tables.end()) {
    FailureOr<QuantizedTable> t =
        isa<edge::DequantizeAffineOp>(dq)
            ? affineTable(cast<edge::DequantizeAffineOp>(dq), why)
            : perChannelTable(cast<edge::DequantizePerChannelOp>(dq), why);
    if (failed(t))
      return failure();
    cached = tables.try_emplace(dq, *t).first;
  }
  const QuantizedTable &t = cached->second;
  OpBuilder b(op);
  Value zps = t.zeroPoints ? t.zeroPoints : noneValue(b, op.getLoc());
  IntegerAttr qmin = b.getI64IntegerAttr(t.quantMin), qmax = b.getI64IntegerAttr(t.quantMax);
  Type type = op.getResult().getType();
  Operation *folded;
  if (t.bits == 4)
    folded = b.create<edge::Embedding4bitOp>(op.getLoc(), type, t.weight, t.scales, zps, qmin,
                                             qmax, op.getIndices());
  else if (t.bits == 2)
    folded = b.create<edge::Embedding2bitOp>(op.getLoc(), type, t.weight, t.scales, zps, qmin,
                                             qmax, op.getIndices());
  else
    folded = b.create<edge::EmbeddingByteOp>(op.getLoc(), type, t.weight, t.scales, zps, qmin,
                                             qmax, op.getIndices());
  folded->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  op.getResult().replaceAllUsesWith(folded->getResult(0));
  eraseDeadChain(op);
  return success();
}

struct FoldQuantizedEmbeddingPass
    : impl::FoldQuantizedEmbeddingBase<FoldQuantizedEmbeddingPass> {
  void runOnOperation() override {
    SmallVector<edge::EmbeddingOp> lookups;
    getOperation().walk([&](edge::EmbeddingOp op) {
      if (isa_and_nonnull<edge::DequantizeAffineOp, edge::DequantizePerChannelOp>(
              op.getWeight().getDefiningOp()))
        lookups.push_back(op);
    });
    // One converted table per dequantize, shared by every lookup of it (the
    // int8 table erased once the last reader is folded).
    llvm::DenseMap<Operation *, QuantizedTable> tables;
    for (edge::EmbeddingOp op : lookups) {
      std::string why;
      if (failed(fold(op, tables, why)))
        recordNotFolded(op, why);
    }
  }
};

} // namespace
} // namespace ember
