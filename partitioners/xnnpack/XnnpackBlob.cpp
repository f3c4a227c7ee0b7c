//===- XnnpackBlob.cpp - ExecuTorch's XNNPACK delegate blob, written and read -===//
//
// The writer gives every tensor a value (id = its position in Graph.values):
// the function's arguments first (external inputs, external id = argument
// position), then constants and node results in program order; a returned
// result is an external output (external id = number of inputs + result
// position). Nodes follow in program order, each with its index as debug
// handle. The reader decodes a blob for `--ember-xnnpack-serialize=dump`.
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackBlob.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackDialect.h"
#include "partitioners/xnnpack/XnnpackUtils.h"
#include "runtime/backends/xnnpack/xnnpack_graph_generated.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
namespace fb = ember::xnnpack::fb;

namespace ember::xnnpack {
namespace {

uint64_t alignTo16(uint64_t n) { return (n + kConstantAlignment - 1) & ~(kConstantAlignment - 1); }

/// How a value is stored: its datatype and, for quantized ones, a scale
/// and zero point, or one scale per index of `channelDim`.
struct ValueQuant {
  fb::DataType type = fb::DataType::fp32;
  std::vector<float> scales;  ///< empty: not quantized
  int32_t zeroPoint = 0;
  int32_t channelDim = -1;  ///< >= 0: per channel
};

/// An 8-bit activation's datatype and parameters (quantParamsOf).
FailureOr<ValueQuant> activationQuant(Value v) {
  if (isF32Tensor(v))
    return ValueQuant{};
  std::optional<QuantParams> p = quantParamsOf(v);
  if (!isQuantizedTensor(v) || !p)
    return emitError(v.getLoc(), "value is neither fp32 nor a quantized 8-bit tensor with a "
                                 "scale and zero point");
  bool isUnsigned = cast<RankedTensorType>(v.getType()).getElementType().isUnsignedInteger();
  return ValueQuant{isUnsigned ? fb::DataType::quint8 : fb::DataType::qint8,
                    {(float)p->scale},
                    (int32_t)p->zeroPoint,
                    -1};
}

/// A quantized node's int8 filter and int32 bias: one scale (qint8 /
/// qint32) or one per output channel (qcint8 on `filterChannelDim`,
/// qcint32 on dim 0), the bias scale input_scale * filter_scale.
std::pair<ValueQuant, ValueQuant> weightQuant(ArrayRef<float> filterScales, double inputScale,
                                              int32_t filterChannelDim) {
  bool perChannel = filterScales.size() > 1;
  ValueQuant filter{perChannel ? fb::DataType::qcint8 : fb::DataType::qint8,
                    std::vector<float>(filterScales.begin(), filterScales.end()), 0,
                    perChannel ? filterChannelDim : -1};
  ValueQuant bias{perChannel ? fb::DataType::qcint32 : fb::DataType::qint32, {}, 0,
                  perChannel ? 0 : -1};
  for (float s : filterScales)
    bias.scales.push_back((float)(inputScale * s));
  return {filter, bias};
}

/// Builds the flatbuffer graph and the constant data of one function.
class GraphWriter {
public:
  explicit GraphWriter(func::FuncOp func) : func(func) {}

  FailureOr<std::vector<uint8_t>> run();

private:
  LogicalResult defineArguments();
  FailureOr<uint32_t> valueId(Value v);
  FailureOr<uint32_t> optionalId(Value v) { return v ? valueId(v) : FailureOr<uint32_t>(kInvalidValueId); }
  FailureOr<uint32_t> addConstant(Operation *op, Value v, const ValueQuant &quant = {});
  uint32_t addValue(Value v, uint32_t constantIndex, uint32_t externalId, uint32_t flags,
                    const ValueQuant &quant);
  LogicalResult addWeights(Operation *op);
  LogicalResult addNode(Operation *op, uint32_t index);
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> u32Vector(ArrayRef<int64_t> values);

  func::FuncOp func;
  flatbuffers::FlatBufferBuilder fbb{1 << 16};
  std::vector<flatbuffers::Offset<fb::Value>> values;
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  std::vector<flatbuffers::Offset<fb::ConstantData>> constants;
  std::vector<uint32_t> inputIds, outputIds;
  llvm::DenseMap<Value, uint32_t> ids;
  llvm::DenseMap<Value, uint32_t> outputPosition;  // returned value -> result index
  std::vector<uint8_t> constantData;
  /// Constants already stored, by content hash: constant index and bytes.
  std::unordered_multimap<uint64_t, std::pair<uint32_t, ArrayRef<uint8_t>>> stored;
  std::vector<std::vector<char>> ownedData;  // keeps hashed bytes alive
};

flatbuffers::Offset<flatbuffers::Vector<uint32_t>> GraphWriter::u32Vector(ArrayRef<int64_t> in) {
  std::vector<uint32_t> out(in.begin(), in.end());
  return fbb.CreateVector(out);
}

uint32_t GraphWriter::addValue(Value v, uint32_t constantIndex, uint32_t externalId,
                               uint32_t flags, const ValueQuant &quant) {
  uint32_t id = values.size();
  ArrayRef<int64_t> shape = shapeOf(v);
  SmallVector<int64_t> dims(shape.begin(), shape.end());
  if (dims.empty())
    dims.push_back(1);  // XNNPACK has no rank-0 tensors
  auto tensor = fb::CreateTensorValue(fbb, quant.type, dims.size(), u32Vector(dims),
                                      constantIndex, externalId, flags, id);
  if (quant.scales.empty()) {
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::TensorValue, tensor.Union()));
  } else if (quant.channelDim < 0) {
    auto params = fb::CreatePerTensor(fbb, quant.scales[0], quant.zeroPoint);
    auto q = fb::CreateQuantizedTensorValue(fbb, tensor, fb::QuantParams::PerTensor,
                                            params.Union());
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::QuantizedTensorValue, q.Union()));
  } else {
    // The scales inline (`scales`), not as a constant (scale_buffer_index
    // 0): ExecuTorch's runtime reads either.
    auto params = fb::CreatePerChannel(fbb, fbb.CreateVector(quant.scales), quant.channelDim);
    auto q = fb::CreateQuantizedTensorValue(fbb, tensor, fb::QuantParams::PerChannel,
                                            params.Union());
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::QuantizedTensorValue, q.Union()));
  }
  ids[v] = id;
  if (flags & kExternalInput)
    inputIds.push_back(id);
  if (flags & kExternalOutput)
    outputIds.push_back(id);
  return id;
}

LogicalResult GraphWriter::defineArguments() {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (isa<BlockArgument>(v))
      return ret.emitOpError("returns input ") << cast<BlockArgument>(v).getArgNumber()
                                               << " unchanged: XNNPACK cannot pass a value through";
    if (!outputPosition.try_emplace(v, i).second)
      return ret.emitOpError("returns the same value twice: XNNPACK values have one external id");
    if (isConstant(v))
      return ret.emitOpError("returns a constant");
  }
  for (BlockArgument arg : func.getArguments()) {
    FailureOr<ValueQuant> quant = activationQuant(arg);
    if (failed(quant))
      return func.emitOpError("argument ") << arg.getArgNumber()
                                           << " is not fp32 nor a quantized int8 tensor";
    addValue(arg, 0, arg.getArgNumber(), kExternalInput, *quant);
  }
  return success();
}

FailureOr<uint32_t> GraphWriter::addConstant(Operation *user, Value v, const ValueQuant &quant) {
  // fp32 data, or the int8 filter / int32 bias of a quantized node (which
  // gives `quant`); an integer constant elsewhere has no XNNPACK datatype.
  if (!isF32Tensor(v) && quant.scales.empty())
    return user->emitOpError("operand is a non-fp32 constant without quantization");
  std::optional<std::vector<char>> data = readConstantBytes(v);
  if (!data)
    return user->emitOpError("operand is a constant without data");
  ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(data->data()), data->size());
  uint64_t hash = llvm::xxh3_64bits(bytes);
  auto [begin, end] = stored.equal_range(hash);
  for (auto it = begin; it != end; ++it)
    if (it->second.second == bytes)
      return addValue(v, it->second.first, kInvalidValueId, 0, quant);
  uint64_t offset = alignTo16(constantData.size());
  constantData.resize(offset, 0);
  constantData.insert(constantData.end(), bytes.begin(), bytes.end());
  uint32_t index = constants.size();
  constants.push_back(fb::CreateConstantData(fbb, offset, bytes.size()));
  ownedData.push_back(std::move(*data));
  ArrayRef<uint8_t> kept(reinterpret_cast<const uint8_t *>(ownedData.back().data()), bytes.size());
  stored.emplace(hash, std::make_pair(index, kept));
  return addValue(v, index, kInvalidValueId, 0, quant);
}

LogicalResult GraphWriter::addWeights(Operation *op) {
  auto scales = op->getAttrOfType<DenseF32ArrayAttr>("filter_scales");
  if (!scales)
    return success();
  std::optional<QuantParams> in = quantParamsOf(op->getOperand(0));
  if (!in)
    return op->emitOpError("int8 input without a scale and zero point");
  // XNNPACK wants a convolution filter's channels on dim 0 ([O, KH, KW, I]),
  // a depthwise filter's on dim 3 ([1, KH, KW, C]).
  auto [filter, bias] = weightQuant(scales.asArrayRef(), in->scale,
                                    isa<DepthwiseConvolution2dOp>(op) ? 3 : 0);
  if (ids.count(op->getOperand(1)))
    return op->emitOpError("int8 filter shared with another node");
  if (failed(addConstant(op, op->getOperand(1), filter)))
    return failure();
  if (op->getNumOperands() > 2 && !ids.count(op->getOperand(2)) &&
      failed(addConstant(op, op->getOperand(2), bias)))
    return failure();
  return success();
}

FailureOr<uint32_t> GraphWriter::valueId(Value v) {
  auto it = ids.find(v);
  if (it != ids.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  if (def && isa<edge::ConstantOp>(def))
    return addConstant(def, v);
  return emitError(v.getLoc(), "value used before it is defined");
}

/// The output clamp of a node, or none.
flatbuffers::Offset<fb::OutputClamp> outputClamp(flatbuffers::FlatBufferBuilder &fbb,
                                                 Operation *op, bool always) {
  auto min = op->getAttrOfType<FloatAttr>(kOutputMinAttr);
  auto max = op->getAttrOfType<FloatAttr>(kOutputMaxAttr);
  if (!min && !max && !always)
    return 0;
  float inf = std::numeric_limits<float>::infinity();
  return fb::CreateOutputClamp(fbb, min ? (float)min.getValueAsDouble() : -inf,
                               max ? (float)max.getValueAsDouble() : inf);
}

LogicalResult GraphWriter::addNode(Operation *op, uint32_t index) {
  // Operands first (constants get their values here), then the result.
  if (failed(addWeights(op)))
    return failure();
  SmallVector<uint32_t> in;
  for (Value operand : op->getOperands()) {
    FailureOr<uint32_t> id = valueId(operand);
    if (failed(id))
      return failure();
    in.push_back(*id);
  }
  if (op->getNumResults() != 1)
    return op->emitOpError("must have one result");
  Value result = op->getResult(0);
  FailureOr<ValueQuant> quant = activationQuant(result);
  if (failed(quant))
    return op->emitOpError("result is not fp32 nor a quantized int8 tensor");
  uint32_t external = kInvalidValueId, flags = 0;
  if (auto it = outputPosition.find(result); it != outputPosition.end()) {
    external = func.getNumArguments() + it->second;
    flags = kExternalOutput;
  }
  uint32_t out = addValue(result, 0, external, flags, *quant);

  auto binary = [&](fb::NodeKind kind) {
    return std::make_pair(kind, fb::CreateBinary(fbb, in[0], in[1], out).Union());
  };
  auto unary = [&](fb::NodeKind kind, uint32_t nodeFlags = 0) {
    return std::make_pair(kind, fb::CreateUnary(fbb, in[0], out, nodeFlags).Union());
  };
  auto conv = [&](fb::NodeKind kind, ArrayRef<int64_t> padding, ArrayRef<int64_t> stride,
                  ArrayRef<int64_t> dilation, ArrayRef<int64_t> adjustment, int64_t groups,
                  int64_t groupIn, int64_t groupOut, Value bias) {
    ArrayRef<int64_t> filter = shapeOf(op->getOperand(1));
    return std::make_pair(
        kind, fb::CreateConvolution(fbb, padding[0], padding[1], padding[2], padding[3], filter[1],
                                    filter[2], stride[0], stride[1], dilation[0], dilation[1],
                                    groupIn, groupOut, groups, adjustment[0], adjustment[1], in[0],
                                    in[1], bias ? in[2] : kInvalidValueId, out)
                  .Union());
  };
  auto pool = [&](fb::NodeKind kind, ArrayRef<int64_t> padding, ArrayRef<int64_t> pooling,
                  ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation) {
    return std::make_pair(
        kind, fb::CreatePooling2d(fbb, padding[0], padding[1], padding[2], padding[3], pooling[0],
                                  pooling[1], stride[0], stride[1], dilation[0], dilation[1], in[0],
                                  out, kKeepDimsFlag)
                  .Union());
  };
  using Kind = std::pair<fb::NodeKind, flatbuffers::Offset<void>>;
  FailureOr<Kind> kind =
      llvm::TypeSwitch<Operation *, FailureOr<Kind>>(op)
          .Case([&](AddOp) { return binary(fb::NodeKind::Add); })
          .Case([&](SubtractOp) { return binary(fb::NodeKind::Subtract); })
          .Case([&](MultiplyOp) { return binary(fb::NodeKind::Multiply); })
          .Case([&](DivideOp) { return binary(fb::NodeKind::Divide); })
          .Case([&](MaximumOp) { return binary(fb::NodeKind::Maximum); })
          .Case([&](MinimumOp) { return binary(fb::NodeKind::Minimum); })
          .Case([&](PreluOp) { return binary(fb::NodeKind::Prelu); })
          .Case([&](AbsOp) { return unary(fb::NodeKind::Abs); })
          .Case([&](NegateOp) { return unary(fb::NodeKind::Negate); })
          .Case([&](SquareOp) { return unary(fb::NodeKind::Square); })
          .Case([&](SquareRootOp) { return unary(fb::NodeKind::SquareRoot); })
          .Case([&](CeilingOp) { return unary(fb::NodeKind::Ceiling); })
          .Case([&](FloorOp) { return unary(fb::NodeKind::Floor); })
          .Case([&](SigmoidOp) { return unary(fb::NodeKind::Sigmoid); })
          .Case([&](HardswishOp) { return unary(fb::NodeKind::Hardswish); })
          .Case([&](ClampOp) { return unary(fb::NodeKind::Clamp); })
          .Case([&](ConvertOp) { return unary(fb::NodeKind::Convert); })
          .Case([&](SoftmaxOp) { return unary(fb::NodeKind::Softmax); })
          .Case([&](GlobalAveragePooling2dOp) {
            return unary(fb::NodeKind::GlobalAvgPooling2d, kKeepDimsFlag);
          })
          .Case([&](LeakyReluOp o) {
            return Kind(fb::NodeKind::LeakyRelu,
                        fb::CreateLeakyRelu(fbb, o.getNegativeSlope().convertToFloat(), in[0], out)
                            .Union());
          })
          .Case([&](EluOp o) {
            return Kind(fb::NodeKind::Elu,
                        fb::CreateElu(fbb, o.getAlpha().convertToFloat(), in[0], out).Union());
          })
          .Case([&](FullyConnectedOp o) {
            return Kind(fb::NodeKind::FullyConnected,
                        fb::CreateFullyConnected(fbb, in[0], in[1],
                                                 o.getBias() ? in[2] : kInvalidValueId, out, 0)
                            .Union());
          })
          .Case([&](Convolution2dOp o) {
            ArrayRef<int64_t> filter = shapeOf(o.getFilter());
            int64_t groups = o.getGroups();
            return conv(fb::NodeKind::Conv2d, o.getPadding(), o.getStride(), o.getDilation(),
                        {0, 0}, groups, filter[3], filter[0] / groups, o.getBias());
          })
          .Case([&](DepthwiseConvolution2dOp o) {
            // ExecuTorch's convention: groups = input channels, one input
            // channel per group, C_out / C_in outputs per group.
            int64_t cin = shapeOf(o.getInput())[3], cout = shapeOf(o.getFilter())[3];
            return conv(fb::NodeKind::DepthwiseConv2d, o.getPadding(), o.getStride(),
                        o.getDilation(), {0, 0}, cin, 1, cout / cin, o.getBias());
          })
          .Case([&](Deconvolution2dOp o) {
            ArrayRef<int64_t> filter = shapeOf(o.getFilter());
            int64_t groups = o.getGroups();
            return conv(fb::NodeKind::ConvTranspose2d, o.getPadding(), o.getStride(),
                        o.getDilation(), o.getAdjustment(), groups, filter[3], filter[0] / groups,
                        o.getBias());
          })
          .Case([&](MaxPooling2dOp o) {
            return pool(fb::NodeKind::MaxPooling2d, o.getPadding(), o.getPooling(), o.getStride(),
                        o.getDilation());
          })
          .Case([&](AveragePooling2dOp o) {
            return pool(fb::NodeKind::AvgPooling2d, o.getPadding(), o.getPooling(), o.getStride(),
                        {0, 0});
          })
          .Case([&](StaticResizeBilinear2dOp o) {
            ArrayRef<int64_t> shape = shapeOf(o.getResult());
            return Kind(fb::NodeKind::StaticResizeBilinear2d,
                        fb::CreateStaticResizeBilinear2d(fbb, shape[1], shape[2], in[0], out,
                                                         o.getAlignCorners() ? kAlignCornersFlag : 0)
                            .Union());
          })
          .Case([&](StaticTransposeOp o) {
            return Kind(fb::NodeKind::StaticTranspose,
                        fb::CreateStaticTranspose(fbb, o.getPerm().size(), u32Vector(o.getPerm()),
                                                  in[0], out)
                            .Union());
          })
          .Case([&](StaticReshapeOp o) {
            ArrayRef<int64_t> shape = shapeOf(o.getResult());
            SmallVector<int64_t> dims(shape.begin(), shape.end());
            if (dims.empty())
              dims.push_back(1);
            return Kind(fb::NodeKind::StaticReshape,
                        fb::CreateStaticReshape(fbb, dims.size(), u32Vector(dims), in[0], out)
                            .Union());
          })
          .Case([&](StaticConstantPadOp o) {
            auto pre = u32Vector(o.getPre()), post = u32Vector(o.getPost());
            return Kind(fb::NodeKind::StaticConstantPad,
                        fb::CreateStaticConstantPad(fbb, pre, post, o.getValue().convertToFloat(),
                                                    in[0], out)
                            .Union());
          })
          .Default([&](Operation *) -> FailureOr<Kind> {
            return op->emitOpError("is not an XNNPACK node");
          });
  if (failed(kind))
    return failure();
  bool always = isa<ClampOp>(op);
  auto clamp = op->hasTrait<ClampsOutput>() ? outputClamp(fbb, op, always)
                                            : flatbuffers::Offset<fb::OutputClamp>(0);
  nodes.push_back(fb::CreateNode(fbb, kind->first, kind->second, index, clamp));
  return success();
}

FailureOr<std::vector<uint8_t>> GraphWriter::run() {
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("must have one block");
  constants.push_back(fb::CreateConstantData(fbb, 0, 0));  // entry 0: "not a constant"
  if (failed(defineArguments()))
    return failure();
  uint32_t index = 0;
  for (Operation &op : func.getBody().front()) {
    if (isa<edge::ConstantOp, edge::NoneOp, func::ReturnOp>(op))
      continue;
    if (!isa<XnnpackDialect>(op.getDialect()))
      return op.emitOpError("was not lowered to an XNNPACK node");
    if (failed(addNode(&op, index++)))
      return failure();
  }
  uint32_t numExternals = func.getNumArguments() + outputPosition.size();
  auto graph = fb::CreateGraph(fbb, fbb.CreateString("0"), fbb.CreateVector(nodes),
                               fbb.CreateVector(values), numExternals, fbb.CreateVector(inputIds),
                               fbb.CreateVector(outputIds), 0, 0, fbb.CreateVector(constants));
  fb::FinishGraphBuffer(fbb, graph);

  // Header, flatbuffer and constant data, each at a 16-byte boundary.
  uint64_t flatbufferOffset = alignTo16(kHeaderLength);
  uint64_t flatbufferSize = fbb.GetSize();
  uint64_t constantOffset = flatbufferOffset + alignTo16(flatbufferSize);
  if (constantOffset > std::numeric_limits<uint32_t>::max())
    return func.emitOpError("XNNPACK graph is too large for the blob header");
  std::vector<uint8_t> blob(constantOffset + constantData.size(), 0);
  auto put = [&](size_t at, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
      blob[at + i] = (value >> (8 * i)) & 0xFF;
  };
  std::memcpy(blob.data() + 4, kHeaderMagic, 4);
  put(8, kHeaderLength, 2);
  put(10, flatbufferOffset, 4);
  put(14, flatbufferSize, 4);
  put(18, constantOffset, 4);
  put(22, constantData.size(), 8);
  std::memcpy(blob.data() + flatbufferOffset, fbb.GetBufferPointer(), flatbufferSize);
  if (!constantData.empty())
    std::memcpy(blob.data() + constantOffset, constantData.data(), constantData.size());
  return blob;
}

uint64_t readLE(ArrayRef<uint8_t> bytes, size_t at, int n) {
  uint64_t value = 0;
  for (int i = 0; i < n; ++i)
    value |= uint64_t(bytes[at + i]) << (8 * i);
  return value;
}

void printList(llvm::raw_ostream &os, const flatbuffers::Vector<uint32_t> *v) {
  os << "[";
  if (v)
    llvm::interleaveComma(*v, os, [&](uint32_t x) { os << x; });
  os << "]";
}

void printId(llvm::raw_ostream &os, uint32_t id) {
  if (id == kInvalidValueId)
    os << "none";
  else
    os << id;
}

/// One node's kind and fields, as `Kind field value field value ...`.
void printNode(llvm::raw_ostream &os, const fb::Node *node) {
  os << fb::EnumNameNodeKind(node->kind_type());
  if (!node->kind()) {
    os << " (no fields)";
    return;
  }
  switch (node->kind_type()) {
  case fb::NodeKind::Add:
  case fb::NodeKind::Subtract:
  case fb::NodeKind::Multiply:
  case fb::NodeKind::Divide:
  case fb::NodeKind::Maximum:
  case fb::NodeKind::Minimum:
  case fb::NodeKind::Prelu: {
    auto *n = static_cast<const fb::Binary *>(node->kind());
    os << " inputs " << n->input1() << ", " << n->input2() << " output " << n->output();
    break;
  }
  case fb::NodeKind::FullyConnected: {
    auto *n = node->kind_as_FullyConnected();
    os << " input " << n->input() << " filter " << n->filter() << " bias ";
    printId(os, n->bias());
    os << " output " << n->output() << " flags " << n->flags();
    break;
  }
  case fb::NodeKind::Conv2d:
  case fb::NodeKind::DepthwiseConv2d:
  case fb::NodeKind::ConvTranspose2d: {
    auto *n = static_cast<const fb::Convolution *>(node->kind());
    os << " pad [" << n->pad_top() << ", " << n->pad_right() << ", " << n->pad_bottom() << ", "
       << n->pad_left() << "] kernel [" << n->kernel_height() << ", " << n->kernel_width()
       << "] stride [" << n->stride_height() << ", " << n->stride_width() << "] dilation ["
       << n->dilation_height() << ", " << n->dilation_width() << "] groups " << n->groups()
       << " group_input_channels " << n->group_input_channels() << " group_output_channels "
       << n->group_output_channels();
    if (node->kind_type() == fb::NodeKind::ConvTranspose2d)
      os << " adjustment [" << n->adjustment_height() << ", " << n->adjustment_width() << "]";
    os << " input " << n->input() << " filter " << n->filter() << " bias ";
    printId(os, n->bias());
    os << " output " << n->output();
    break;
  }
  case fb::NodeKind::MaxPooling2d:
  case fb::NodeKind::AvgPooling2d: {
    auto *n = static_cast<const fb::Pooling2d *>(node->kind());
    os << " pad [" << n->pad_top() << ", " << n->pad_right() << ", " << n->pad_bottom() << ", "
       << n->pad_left() << "] pool [" << n->pool_height() << ", " << n->pool_width()
       << "] stride [" << n->stride_height() << ", " << n->stride_width() << "] dilation ["
       << n->dilation_height() << ", " << n->dilation_width() << "] input " << n->input()
       << " output " << n->output() << " flags " << n->flags();
    break;
  }
  case fb::NodeKind::StaticTranspose: {
    auto *n = node->kind_as_StaticTranspose();
    os << " perm ";
    printList(os, n->perm());
    os << " input " << n->input() << " output " << n->output();
    break;
  }
  case fb::NodeKind::StaticReshape: {
    auto *n = node->kind_as_StaticReshape();
    os << " shape ";
    printList(os, n->shape());
    os << " input " << n->input() << " output " << n->output();
    break;
  }
  case fb::NodeKind::StaticConstantPad: {
    auto *n = node->kind_as_StaticConstantPad();
    os << " pre ";
    printList(os, n->pad_before());
    os << " post ";
    printList(os, n->pad_after());
    os << " value " << n->value() << " input " << n->input() << " output " << n->output();
    break;
  }
  case fb::NodeKind::StaticResizeBilinear2d: {
    auto *n = node->kind_as_StaticResizeBilinear2d();
    os << " size [" << n->height() << ", " << n->width() << "] input " << n->input() << " output "
       << n->output() << " flags " << n->flags();
    break;
  }
  case fb::NodeKind::LeakyRelu: {
    auto *n = node->kind_as_LeakyRelu();
    os << " slope " << n->negative_slope() << " input " << n->input() << " output " << n->output();
    break;
  }
  case fb::NodeKind::Elu: {
    auto *n = node->kind_as_Elu();
    os << " alpha " << n->alpha() << " input " << n->input() << " output " << n->output();
    break;
  }
  default: {
    auto *n = static_cast<const fb::Unary *>(node->kind());
    os << " input " << n->input() << " output " << n->output();
    if (n->flags())
      os << " flags " << n->flags();
    break;
  }
  }
  if (auto *clamp = node->output_clamp())
    os << " clamp [" << clamp->min() << ", " << clamp->max() << "]";
}

} // namespace

FailureOr<std::vector<uint8_t>> serializeXnnpackGraph(func::FuncOp func) {
  return GraphWriter(func).run();
}

LogicalResult printXnnpackBlob(ArrayRef<uint8_t> blob, llvm::raw_ostream &os) {
  if (blob.size() < 32 || std::memcmp(blob.data() + 4, kHeaderMagic, 4) != 0) {
    os << "not an XNNPACK blob (no XH00 header)\n";
    return failure();
  }
  uint64_t fbOffset = readLE(blob, 10, 4), fbSize = readLE(blob, 14, 4);
  uint64_t constOffset = readLE(blob, 18, 4), constSize = readLE(blob, 22, 8);
  if (readLE(blob, 8, 2) != kHeaderLength || fbOffset + fbSize > blob.size() ||
      constOffset < fbOffset + fbSize || constOffset + constSize != blob.size()) {
    os << "XNNPACK blob header out of bounds\n";
    return failure();
  }
  flatbuffers::Verifier verifier(blob.data() + fbOffset, fbSize);
  if (!fb::VerifyGraphBuffer(verifier)) {
    os << "XNNPACK blob flatbuffer does not verify\n";
    return failure();
  }
  const fb::Graph *graph = fb::GetGraph(blob.data() + fbOffset);
  os << "xnnpack blob: " << blob.size() << " bytes (flatbuffer " << fbSize << " at " << fbOffset
     << ", constants " << constSize << " at " << constOffset << "), " << graph->num_externals()
     << " externals, inputs ";
  printList(os, graph->input_ids());
  os << " outputs ";
  printList(os, graph->output_ids());
  os << "\n";
  auto *constants = graph->constant_data();
  for (auto [i, value] : llvm::enumerate(*graph->values())) {
    const fb::TensorValue *t = value->kind_as_TensorValue();
    const fb::QuantizedTensorValue *q = value->kind_as_QuantizedTensorValue();
    if (q)
      t = q->tensor();
    if (!t) {
      os << "value " << i << ": not a tensor value\n";
      return failure();
    }
    os << "value " << t->id() << ": " << fb::EnumNameDataType(t->datatype()) << " ";
    printList(os, t->dims());
    if (q && q->params_as_PerTensor())
      os << " scale " << q->params_as_PerTensor()->scale() << " zero_point "
         << q->params_as_PerTensor()->zero_point();
    if (const fb::PerChannel *p = q ? q->params_as_PerChannel() : nullptr) {
      os << " channel_dim " << p->channel_dim() << " scales [";
      if (p->scales())
        llvm::interleaveComma(*p->scales(), os, [&](float f) { os << f; });
      os << "]";
    }
    if (t->flags() & kExternalInput)
      os << " external input " << t->external_id();
    if (t->flags() & kExternalOutput)
      os << " external output " << t->external_id();
    if (uint32_t c = t->constant_index()) {
      if (!constants || c >= constants->size()) {
        os << " constant " << c << " out of range\n";
        return failure();
      }
      const fb::ConstantData *data = constants->Get(c);
      os << " constant " << c << " (" << data->size() << " bytes at " << data->offset() << ")";
      if (data->offset() + data->size() > constSize) {
        os << " out of bounds\n";
        return failure();
      }
      // The first values, to check layouts in tests.
      const uint8_t *at = blob.data() + constOffset + data->offset();
      fb::DataType type = t->datatype();
      size_t width = type == fb::DataType::qint8 || type == fb::DataType::qcint8 ||
                             type == fb::DataType::quint8 ? 1 : 4;
      size_t total = data->size() / width, count = std::min<uint64_t>(total, 8);
      os << " = [";
      for (size_t k = 0; k < count; ++k) {
        if (k)
          os << ", ";
        if (type == fb::DataType::fp32) {
          float f;
          std::memcpy(&f, at + 4 * k, 4);
          os << f;
        } else if (width == 4) {
          int32_t v;
          std::memcpy(&v, at + 4 * k, 4);
          os << v;
        } else {
          os << (type == fb::DataType::quint8 ? int(at[k]) : int(int8_t(at[k])));
        }
      }
      os << (total > count ? ", ...]" : "]");
    }
    os << "\n";
  }
  for (auto [i, node] : llvm::enumerate(*graph->nodes())) {
    os << "node " << i << ": ";
    printNode(os, node);
    os << "\n";
  }
  return success();
}

} // namespace ember::xnnpack
