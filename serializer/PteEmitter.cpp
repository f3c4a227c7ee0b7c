//===- PteEmitter.cpp - Edge IR + memory plan -> .pte bytes ---------------===//
//
// Each function becomes an ExecutionPlan with one chain of KernelCalls. A
// call's arguments follow the out-variant schema from the op table: one
// value per schema argument (tensors by value index, None as Null, int lists
// boxed), the out tensor(s), then the result again (a TensorList of the
// results when there are several). Run-time sizes (edge.sym_*) are Int or
// Double values that aten::sym_size.int and executorch_prim::* calls set;
// an argument computed from them refers to those values instead of literals,
// and dynamic tensors are DYNAMIC_BOUND at their upper-bound sizes.
//
//===----------------------------------------------------------------------===//
#include "serializer/PteEmitter.h"

#include "exir/EdgeConstants.h"
#include "exir/EdgeDialect.h"
#include "exir/EdgeOpTable.h"
#include "exir/EdgeSym.h"
#include "exir/EdgeTypes.h"
#include "partitioners/Partitioner.h"
#include "passes/Passes.h"
#include "serializer/PteFile.h"
#include "serializer/schema/program_generated.h"

#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <variant>

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/xxhash.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
namespace fb = executorch_flatbuffer;

namespace ember {
namespace {

constexpr size_t kConstantAlignment = 16;

/// Where the memory plan put `v`, a result of a planned op: (arena, offset),
/// or nothing when it is not planned.
std::optional<std::pair<int64_t, int64_t>> plannedPlace(Value v) {
  auto result = dyn_cast<OpResult>(v);
  if (!result)
    return std::nullopt;
  Operation *op = result.getOwner();
  unsigned i = result.getResultNumber();
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
  if (!offsets || offsets.size() <= static_cast<int64_t>(i) || offsets[i] < 0)
    return std::nullopt;
  auto ids = op->getAttrOfType<DenseI64ArrayAttr>(kMemoryIdsAttr);
  int64_t id = ids && ids.size() > static_cast<int64_t>(i) ? ids[i] : 1;
  return std::pair(id, offsets[i]);
}

/// Whether `a` and `b` are planned at one place (the same memory).
bool samePlace(Value a, Value b) {
  auto place = plannedPlace(a);
  return place && place == plannedPlace(b);
}

/// Whether every byte of `data` is zero.
bool allZero(const edge::ElementBytes &data) {
  return llvm::all_of(data.bytes, [](char c) { return c == 0; });
}

/// The constant segment: deduplicated tensors, each padded to 16 bytes. It
/// keeps views of the tensors (owning only what had to be converted) and
/// finds duplicates by hash then comparison, so a multi-gigabyte model is
/// neither copied nor keyed by copies of itself.
class ConstantPool {
public:
  ConstantPool() { offsets.push_back(0); }  // index 0: reserved, empty

  /// The buffer index of `data`'s bytes, adding them if new.
  uint32_t add(edge::ElementBytes data) {
    ArrayRef<char> bytes = data.bytes;
    uint64_t hash = llvm::xxh3_64bits(
        ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
    auto [first, last] = index.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      ArrayRef<uint8_t> other = pieces[it->second - 1].second;
      if (other.size() == bytes.size() &&
          (bytes.empty() || std::memcmp(other.data(), bytes.data(), bytes.size()) == 0))
        return it->second;
    }
    if (!data.owned.empty()) {
      owned.push_back(std::move(data.owned));
      bytes = ArrayRef<char>(owned.back().data(), owned.back().size());
    }
    if (offsets.size() > 1)
      size = (size + kConstantAlignment - 1) / kConstantAlignment * kConstantAlignment;
    offsets.push_back(size);
    pieces.push_back(
        {size, ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size())});
    size += bytes.size();
    uint32_t id = offsets.size() - 1;
    index.emplace(hash, id);
    return id;
  }

  /// The segment these constants make.
  SegmentData segment() const {
    SegmentData out;
    out.pieces = pieces;
    out.size = size;
    out.alignment = kConstantAlignment;
    return out;
  }

  // offsets[i] is buffer i's offset; offsets[0] is the reserved empty buffer.
  std::vector<uint64_t> offsets;

private:
  std::vector<std::pair<uint64_t, ArrayRef<uint8_t>>> pieces;  // buffer i at pieces[i - 1]
  std::deque<std::vector<char>> owned;
  std::unordered_multimap<uint64_t, uint32_t> index;
  uint64_t size = 0;
};


/// Delegate blobs of the whole program, deduplicated by content in order of
/// first use; each is a segment or an inline data entry.
struct DelegateStore {
  bool inSegments = true;
  uint32_t firstSegment = 1;  // after the constant (and mutable) segments
  std::vector<std::vector<uint8_t>> blobs;
  std::map<std::string, uint32_t> index;

  uint32_t add(ArrayRef<char> bytes) {
    std::string key(bytes.data(), bytes.size());
    auto [it, inserted] = index.emplace(std::move(key), blobs.size());
    if (inserted)
      blobs.emplace_back(bytes.begin(), bytes.end());
    return it->second;
  }

  /// Named data, program-wide by key (sorted: the file is deterministic).
  std::map<std::string, std::vector<uint8_t>> named;
};

/// Emits one function as an ExecutionPlan.
class PlanEmitter {
public:
  PlanEmitter(flatbuffers::FlatBufferBuilder &b, ConstantPool &constants, ConstantPool &mutableData,
              DelegateStore &delegateStore, std::vector<InstructionDebug> *debug)
      : b(b), constants(constants), mutableData(mutableData), delegateStore(delegateStore),
        debug(debug) {}

  FailureOr<flatbuffers::Offset<fb::ExecutionPlan>> emit(func::FuncOp func);
  flatbuffers::Offset<fb::ExecutionPlan> emit(const ConstantMethod &method);
  /// The value of a scalar constant.
  int32_t addConstant(const ConstantMethod &value);

private:
  int32_t add(fb::KernelTypes type, flatbuffers::Offset<void> value) {
    values.push_back(fb::CreateEValue(b, type, value));
    return values.size() - 1;
  }
  int32_t addNull() { return add(fb::KernelTypes::Null, fb::CreateNull(b).Union()); }
  int32_t addInt(int64_t v) { return add(fb::KernelTypes::Int, fb::CreateInt(b, v).Union()); }
  int32_t addTensor(Value v, uint32_t bufferIdx, int64_t offset,
                    flatbuffers::Offset<fb::ExtraTensorInfo> extra = 0, uint32_t memoryId = 1);
  std::vector<int32_t> addResults(Operation *op, DenseI64ArrayAttr offsets);
  LogicalResult emitViewAlias(edge::ViewOp op, const edge::EdgeOpInfo &info);
  int32_t addDouble(double v) { return add(fb::KernelTypes::Double, fb::CreateDouble(b, v).Union()); }
  FailureOr<int32_t> addAttr(Operation *op, const edge::ArgSpec &spec,
                             ArrayRef<edge::SymSlot> syms = {});
  LogicalResult emitOp(Operation *op, const edge::EdgeOpInfo &info);
  LogicalResult emitSym(Operation *op);
  void addKernelCall(StringRef name, StringRef overload, const std::vector<int32_t> &args);
  LogicalResult emitBuffer(edge::MutableBufferOp op);
  LogicalResult emitDelegateCall(edge::DelegateCallOp op);
  void emitWriteBack(edge::WriteBackOp op);
  uint32_t operatorIndex(StringRef name, StringRef overload);
  flatbuffers::Offset<fb::ExecutionPlan> finish(StringRef name,
                                                flatbuffers::Offset<fb::ContainerMetadata> meta,
                                                const std::vector<int32_t> &inputs,
                                                const std::vector<int32_t> &outputs,
                                                ArrayRef<int64_t> plannedSizes);

  flatbuffers::FlatBufferBuilder &b;
  ConstantPool &constants;
  ConstantPool &mutableData;
  DelegateStore &delegateStore;
  std::vector<flatbuffers::Offset<fb::BackendDelegate>> delegates;
  std::vector<flatbuffers::Offset<fb::EValue>> values;
  std::vector<flatbuffers::Offset<fb::Instruction>> instructions;
  std::vector<std::pair<std::string, std::string>> operators;
  llvm::DenseMap<Value, int32_t> valueIndex;
  int32_t noneIndex = -1;
  std::vector<InstructionDebug> *debug;
  std::string method;            ///< the function being emitted
  Operation *current = nullptr;  ///< the op whose instructions are being added

  /// Records what the instruction just added runs.
  void noteInstruction(StringRef target);
};

/// The user's source lines a location holds ("file:line", in order, each
/// once; fused locations after passes give several), "; "-joined.
std::string sourceLines(Location loc) {
  std::vector<std::string> lines;
  loc->walk([&](Location sub) {
    if (auto file = dyn_cast<FileLineColLoc>(sub)) {
      std::string line = (file.getFilename().getValue() + ":" + Twine(file.getLine())).str();
      if (llvm::find(lines, line) == lines.end())
        lines.push_back(std::move(line));
    }
    return WalkResult::advance();
  });
  return llvm::join(lines, "; ");
}

void PlanEmitter::noteInstruction(StringRef target) {
  if (!debug || !current)
    return;
  InstructionDebug d;
  d.method = method;
  d.instruction = static_cast<uint32_t>(instructions.size() - 1);
  d.op = current->getName().getStringRef().str();
  d.target = target.str();
  d.source = sourceLines(current->getLoc());
  if (auto refused = current->getAttrOfType<DictionaryAttr>(kRefusedAttrName))
    for (NamedAttribute r : refused)
      if (auto why = dyn_cast<StringAttr>(r.getValue()))
        d.refused.emplace_back(r.getName().str(), why.str());
  if (auto ops = current->getAttrOfType<DictionaryAttr>(kDelegatedOpsAttrName))
    for (NamedAttribute n : ops)
      if (auto count = dyn_cast<IntegerAttr>(n.getValue()))
        d.delegatedOps.emplace_back(n.getName().str(), count.getInt());
  debug->push_back(std::move(d));
}

int32_t PlanEmitter::addTensor(Value v, uint32_t bufferIdx, int64_t offset,
                               flatbuffers::Offset<fb::ExtraTensorInfo> extra,
                               uint32_t memoryId) {
  auto type = cast<RankedTensorType>(v.getType());
  std::vector<int32_t> sizes(type.getShape().begin(), type.getShape().end());
  std::vector<uint8_t> dimOrder(type.getRank());
  for (int64_t i = 0; i < type.getRank(); ++i)
    dimOrder[i] = i;
  flatbuffers::Offset<fb::AllocationDetails> alloc = 0;
  if (offset >= 0)
    alloc = fb::CreateAllocationDetails(b, memoryId, static_cast<uint32_t>(offset),
                                        static_cast<uint32_t>(static_cast<uint64_t>(offset) >> 32));
  auto scalarType = static_cast<fb::ScalarType>(*edge::elementTypeToScalarType(type.getElementType()));
  auto dynamism = edge::isDynamic(v) ? fb::TensorShapeDynamism::DYNAMIC_BOUND
                                     : fb::TensorShapeDynamism::STATIC;
  auto tensor = fb::CreateTensor(b, scalarType, /*storage_offset=*/0, b.CreateVector(sizes),
                                 b.CreateVector(dimOrder), /*requires_grad=*/false, bufferIdx,
                                 alloc, /*layout=*/0, dynamism, extra);
  int32_t idx = add(fb::KernelTypes::Tensor, tensor.Union());
  valueIndex[v] = idx;
  return idx;
}

FailureOr<int32_t> PlanEmitter::addAttr(Operation *op, const edge::ArgSpec &spec,
                                        ArrayRef<edge::SymSlot> syms) {
  Attribute attr = op->getAttr(spec.name);
  if (!attr)
    return addNull();
  // A whole argument computed at run time is that value.
  for (const edge::SymSlot &slot : syms)
    if (slot.position < 0)
      return valueIndex.lookup(slot.value);
  switch (spec.kind) {
  case edge::ArgKind::Int:
  case edge::ArgKind::ScalarType:
  case edge::ArgKind::Layout:
  case edge::ArgKind::MemoryFormat:
    return addInt(cast<IntegerAttr>(attr).getInt());
  case edge::ArgKind::IntList: {
    std::vector<int64_t> items;
    for (int64_t v : cast<DenseI64ArrayAttr>(attr).asArrayRef())
      items.push_back(addInt(v));  // boxed: indices of Int values
    for (const edge::SymSlot &slot : syms)
      items[slot.position] = valueIndex.lookup(slot.value);
    return add(fb::KernelTypes::IntList, fb::CreateIntList(b, b.CreateVector(items)).Union());
  }
  case edge::ArgKind::Float:
    return addDouble(cast<FloatAttr>(attr).getValueAsDouble());
  case edge::ArgKind::FloatList: {
    std::vector<double> items(cast<DenseF64ArrayAttr>(attr).asArrayRef().begin(),
                              cast<DenseF64ArrayAttr>(attr).asArrayRef().end());
    return add(fb::KernelTypes::DoubleList, fb::CreateDoubleList(b, b.CreateVector(items)).Union());
  }
  case edge::ArgKind::Bool:
    return add(fb::KernelTypes::Bool, fb::CreateBool(b, cast<BoolAttr>(attr).getValue()).Union());
  case edge::ArgKind::BoolList: {
    std::vector<uint8_t> items;
    for (bool v : cast<DenseBoolArrayAttr>(attr).asArrayRef())
      items.push_back(v);
    return add(fb::KernelTypes::BoolList,
               fb::CreateBoolList(b, b.CreateVector(items)).Union());
  }
  case edge::ArgKind::Scalar:
    if (auto i = dyn_cast<BoolAttr>(attr))
      return add(fb::KernelTypes::Bool, fb::CreateBool(b, i.getValue()).Union());
    if (auto i = dyn_cast<IntegerAttr>(attr))
      return addInt(i.getInt());
    return addDouble(cast<FloatAttr>(attr).getValueAsDouble());
  case edge::ArgKind::Device:
  case edge::ArgKind::String:
    return add(fb::KernelTypes::String,
               fb::CreateString(b, b.CreateString(cast<StringAttr>(attr).getValue().str())).Union());
  default:
    return op->emitOpError("argument '") << spec.name << "' is not an attribute kind";
  }
}

uint32_t PlanEmitter::operatorIndex(StringRef name, StringRef overload) {
  std::pair<std::string, std::string> key{name.str(), overload.str()};
  for (auto [i, existing] : llvm::enumerate(operators))
    if (existing == key)
      return i;
  operators.push_back(key);
  return operators.size() - 1;
}

std::vector<int32_t> PlanEmitter::addResults(Operation *op, DenseI64ArrayAttr offsets) {
  auto ids = op->getAttrOfType<DenseI64ArrayAttr>(kMemoryIdsAttr);
  std::vector<int32_t> indices;
  for (auto [i, result] : llvm::enumerate(op->getResults()))
    indices.push_back(addTensor(result, 0, offsets[i], 0,
                                ids && (int64_t)i < ids.size() ? ids[i] : 1));
  return indices;
}

LogicalResult PlanEmitter::emitViewAlias(edge::ViewOp op, const edge::EdgeOpInfo &info) {
  // executorch_prim::et_view.default(Tensor self, int[] size) -> Tensor:
  // [self, size, out]; out is planned at self's offset and et_view points
  // it at self's memory at run time.
  auto syms = edge::symSlots(op, info);
  if (failed(syms))
    return failure();
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
  int32_t out = addResults(op, offsets)[0];
  unsigned sizeArg = 1;  // view(Tensor self, SymInt[] size)
  SmallVector<edge::SymSlot> sizeSyms;
  for (const edge::SymSlot &slot : *syms)
    if (slot.arg == sizeArg)
      sizeSyms.push_back(slot);
  auto size = addAttr(op, info.args[sizeArg], sizeSyms);
  if (failed(size))
    return failure();
  addKernelCall("executorch_prim::et_view", "default",
                {valueIndex.lookup(op.getSelf()), *size, out});
  return success();
}

LogicalResult PlanEmitter::emitOp(Operation *op, const edge::EdgeOpInfo &info) {
  auto offsetsAttr = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
  if (!offsetsAttr || offsetsAttr.size() != (int64_t)op->getNumResults())
    return op->emitOpError("has no memory plan: run ember-plan-memory before emission");
  if (auto view = dyn_cast<edge::ViewOp>(op); view && op->hasAttr(kViewAliasAttr))
    return emitViewAlias(view, info);
  std::vector<int32_t> resultIdx = addResults(op, offsetsAttr);

  // Operand ranges of the functional arguments (at most one is variadic);
  // run-time sizes come last.
  auto syms = edge::symSlots(op, info);
  if (failed(syms))
    return failure();
  unsigned singles = 0;
  for (const edge::ArgSpec &spec : info.args)
    singles += spec.kind == edge::ArgKind::Tensor;
  unsigned variadic = op->getNumOperands() - singles - syms->size();
  llvm::StringMap<std::pair<unsigned, unsigned>> operandRange;
  llvm::StringMap<const edge::ArgSpec *> functional;
  unsigned next = 0;
  for (const edge::ArgSpec &spec : info.args) {
    functional[spec.name] = &spec;
    if (spec.kind == edge::ArgKind::Tensor)
      operandRange[spec.name] = {next++, 1};
    else if (spec.kind == edge::ArgKind::TensorList || spec.kind == edge::ArgKind::OptionalTensorList) {
      operandRange[spec.name] = {next, variadic};
      next += variadic;
    }
  }
  auto tensorIndex = [&](Value v) -> int32_t {
    if (isa<NoneType>(v.getType()))
      return -1;
    return valueIndex.lookup(v);
  };

  std::vector<int32_t> args;
  unsigned outIndex = 0;
  for (const edge::ArgSpec &spec : info.outArgs) {
    if (spec.isOut) {
      args.push_back(resultIdx[outIndex++]);
      continue;
    }
    if (spec.kind == edge::ArgKind::Tensor) {
      int32_t idx = tensorIndex(op->getOperand(operandRange[spec.name].first));
      args.push_back(idx >= 0 ? idx : addNull());
    } else if (spec.kind == edge::ArgKind::TensorList ||
               spec.kind == edge::ArgKind::OptionalTensorList) {
      auto [start, count] = operandRange[spec.name];
      std::vector<int32_t> items;
      for (unsigned i = 0; i < count; ++i)
        items.push_back(tensorIndex(op->getOperand(start + i)));
      if (spec.kind == edge::ArgKind::TensorList)
        args.push_back(add(fb::KernelTypes::TensorList,
                           fb::CreateTensorList(b, b.CreateVector(items)).Union()));
      else
        args.push_back(add(fb::KernelTypes::OptionalTensorList,
                           fb::CreateOptionalTensorList(b, b.CreateVector(items)).Union()));
    } else {
      unsigned argIndex = functional[spec.name] - info.args.data();
      SmallVector<edge::SymSlot> argSyms;
      for (const edge::SymSlot &slot : *syms)
        if (slot.arg == argIndex)
          argSyms.push_back(slot);
      auto idx = addAttr(op, spec, argSyms);
      if (failed(idx))
        return failure();
      args.push_back(*idx);
    }
  }
  if (resultIdx.size() == 1)
    args.push_back(resultIdx[0]);
  else
    args.push_back(add(fb::KernelTypes::TensorList,
                       fb::CreateTensorList(b, b.CreateVector(resultIdx)).Union()));

  addKernelCall(info.outName, info.outOverload, args);
  return success();
}

void PlanEmitter::addKernelCall(StringRef name, StringRef overload,
                                const std::vector<int32_t> &args) {
  auto call = fb::CreateKernelCall(b, operatorIndex(name, overload), b.CreateVector(args));
  instructions.push_back(
      fb::CreateInstruction(b, fb::InstructionArguments::KernelCall, call.Union()));
  noteInstruction(overload.empty() ? name.str() : (name + "." + overload).str());
}

LogicalResult PlanEmitter::emitSym(Operation *op) {
  Value result = op->getResult(0);
  bool isFloat = isa<FloatType>(result.getType());
  if (auto constant = dyn_cast<edge::SymConstantOp>(op)) {
    Attribute value = constant.getValue();
    valueIndex[result] = isFloat ? addDouble(cast<FloatAttr>(value).getValueAsDouble())
                                 : addInt(cast<IntegerAttr>(value).getInt());
    return success();
  }
  // The value the call sets when the method runs (0 until then).
  int32_t out = isFloat ? addDouble(0) : addInt(0);
  valueIndex[result] = out;
  if (auto size = dyn_cast<edge::SymSizeOp>(op)) {
    addKernelCall("aten::sym_size", "int",
                  {valueIndex.lookup(size.getSelf()), addInt(size.getDim()), out});
    return success();
  }
  if (auto numel = dyn_cast<edge::SymNumelOp>(op)) {
    addKernelCall("aten::sym_numel", "", {valueIndex.lookup(numel.getSelf()), out});
    return success();
  }
  auto symOp = cast<edge::SymOp>(op);
  const edge::SymFn *fn = edge::lookupSymFn(symOp.getFn());
  if (!fn)
    return op->emitOpError("unknown function '") << symOp.getFn() << "'";
  std::vector<int32_t> args;
  for (Value operand : symOp.getArgs())
    args.push_back(valueIndex.lookup(operand));
  args.push_back(out);
  addKernelCall(fn->kernel, fn->overload, args);
  return success();
}

LogicalResult PlanEmitter::emitBuffer(edge::MutableBufferOp op) {
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
  if (!offsets || offsets.size() != 1 || offsets[0] < 0)
    return op.emitOpError("has no memory plan: a mutable buffer must be planned");
  auto bytes = edge::elementBytes(op.getValue(), op);
  if (failed(bytes))
    return failure();
  // Initial value from mutable-data segment 0, storage in the arena. An
  // all-zero one (a KV cache's) is not stored: a named mutable buffer
  // without data starts at zero (the runtime clears it at load), as
  // ExecuTorch stores its own mutable buffers.
  auto extra = fb::CreateExtraTensorInfo(b, /*mutable_data_segments_idx=*/0,
                                         b.CreateString(op.getName().str()));
  auto ids = op->getAttrOfType<DenseI64ArrayAttr>(kMemoryIdsAttr);
  const uint32_t data = allZero(*bytes) ? 0 : mutableData.add(std::move(*bytes));
  addTensor(op.getResult(), data, offsets[0], extra, ids ? ids[0] : 1);
  return success();
}

LogicalResult PlanEmitter::emitDelegateCall(edge::DelegateCallOp op) {
  auto offsetsAttr = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
  if (!offsetsAttr || offsetsAttr.size() != (int64_t)op->getNumResults())
    return op.emitOpError("has no memory plan: run ember-plan-memory before emission");
  auto bytes = edge::elementBytes(op.getProcessed(), op);
  if (failed(bytes))
    return failure();
  uint32_t blob = delegateStore.add(bytes->bytes);
  if (auto named = op.getNamedData())
    for (NamedAttribute entry : *named) {
      auto data = edge::elementBytes(cast<ElementsAttr>(entry.getValue()), op);
      if (failed(data))
        return failure();
      std::vector<uint8_t> value(data->bytes.begin(), data->bytes.end());
      auto [it, inserted] = delegateStore.named.emplace(entry.getName().str(), value);
      if (!inserted && it->second != value)
        return op.emitOpError("named data '")
               << entry.getName().getValue() << "' differs from earlier data under that key";
    }
  auto location = delegateStore.inSegments ? fb::DataLocation::SEGMENT : fb::DataLocation::INLINE;
  uint32_t dataIndex = delegateStore.inSegments ? delegateStore.firstSegment + blob : blob;
  std::vector<flatbuffers::Offset<fb::CompileSpec>> specs;
  if (auto dict = op.getCompileSpecs())
    for (NamedAttribute spec : *dict) {
      StringRef value = cast<StringAttr>(spec.getValue()).getValue();
      specs.push_back(fb::CreateCompileSpec(
          b, b.CreateString(spec.getName().str()),
          b.CreateVector(reinterpret_cast<const uint8_t *>(value.data()), value.size())));
    }
  delegates.push_back(fb::CreateBackendDelegate(
      b, b.CreateString(op.getBackend().str()),
      fb::CreateBackendDelegateDataReference(b, location, dataIndex), b.CreateVector(specs)));

  std::vector<int32_t> args;
  for (Value input : op.getInputs())
    args.push_back(valueIndex.lookup(input));
  for (int32_t result : addResults(op, offsetsAttr))
    args.push_back(result);
  auto call = fb::CreateDelegateCall(b, delegates.size() - 1, b.CreateVector(args));
  instructions.push_back(
      fb::CreateInstruction(b, fb::InstructionArguments::DelegateCall, call.Union()));
  noteInstruction(op.getBackend());
  return success();
}

void PlanEmitter::emitWriteBack(edge::WriteBackOp op) {
  // A value planned at the buffer's own place (an in-place cache update)
  // is the buffer already: nothing to copy.
  if (samePlace(op.getValue(), op.getBuffer()))
    return;
  // As ExecuTorch writes buffer mutations back: copy_(self, src, non_blocking) -> self.
  int32_t buffer = valueIndex.lookup(op.getBuffer());
  int32_t value = valueIndex.lookup(op.getValue());
  int32_t nonBlocking = add(fb::KernelTypes::Bool, fb::CreateBool(b, false).Union());
  addKernelCall("aten::copy_", "", {buffer, value, nonBlocking, buffer});
}

int32_t PlanEmitter::addConstant(const ConstantMethod &value) {
  switch (value.kind) {
  case ConstantMethod::Kind::Int: return addInt(value.intValue);
  case ConstantMethod::Kind::Double: return addDouble(value.doubleValue);
  case ConstantMethod::Kind::Bool:
    return add(fb::KernelTypes::Bool, fb::CreateBool(b, value.boolValue).Union());
  case ConstantMethod::Kind::String:
    return add(fb::KernelTypes::String,
               fb::CreateString(b, b.CreateString(value.stringValue)).Union());
  case ConstantMethod::Kind::List: break;  // items are scalars (the binding checks)
  }
  return addInt(0);
}

flatbuffers::Offset<fb::ExecutionPlan> PlanEmitter::emit(const ConstantMethod &method) {
  std::vector<int32_t> outs;
  std::string spec = "$";
  if (method.kind == ConstantMethod::Kind::List) {
    // A list container of one leaf per item: "L<n>#1...#1($,...,$)".
    spec = "L" + std::to_string(method.items.size());
    std::string leaves;
    for (const ConstantMethod &item : method.items) {
      outs.push_back(addConstant(item));
      spec += "#1";
      leaves += leaves.empty() ? "$" : ",$";
    }
    spec += "(" + leaves + ")";
  } else {
    outs.push_back(addConstant(method));
  }
  auto meta = fb::CreateContainerMetadata(b, b.CreateString("T2#0#0(T0(),D0())"),
                                          b.CreateString(spec));
  return finish(method.name, meta, {}, outs, {0});
}

flatbuffers::Offset<fb::ExecutionPlan>
PlanEmitter::finish(StringRef name, flatbuffers::Offset<fb::ContainerMetadata> meta,
                    const std::vector<int32_t> &inputs, const std::vector<int32_t> &outputs,
                    ArrayRef<int64_t> plannedSizes) {
  std::vector<flatbuffers::Offset<fb::Operator>> ops;
  for (auto &[opName, overload] : operators)
    ops.push_back(fb::CreateOperator(b, b.CreateString(opName), b.CreateString(overload)));
  auto chain = fb::CreateChain(b, b.CreateVector(std::vector<int32_t>{}),
                               b.CreateVector(std::vector<int32_t>{}), b.CreateVector(instructions));
  std::vector<int64_t> bufferSizes = {0};  // index 0 reserved; then arena 1, 2, ...
  bufferSizes.insert(bufferSizes.end(), plannedSizes.begin(), plannedSizes.end());
  return fb::CreateExecutionPlan(
      b, b.CreateString(name.str()), meta, b.CreateVector(values), b.CreateVector(inputs),
      b.CreateVector(outputs), b.CreateVector(std::vector<flatbuffers::Offset<fb::Chain>>{chain}),
      b.CreateVector(ops), b.CreateVector(delegates), b.CreateVector(bufferSizes));
}

FailureOr<flatbuffers::Offset<fb::ExecutionPlan>> PlanEmitter::emit(func::FuncOp func) {
  auto argOffsets = func->getAttrOfType<DenseI64ArrayAttr>(kArgOffsetsAttr);
  auto plannedSizes = func->getAttrOfType<DenseI64ArrayAttr>(kPlannedSizesAttr);
  if (!argOffsets || !plannedSizes || argOffsets.size() != (int64_t)func.getNumArguments())
    return func.emitOpError("has no memory plan: run ember-plan-memory before emission");

  method = func.getSymName().str();
  std::vector<int32_t> inputs, outputs;
  for (auto [arg, offset] : llvm::zip(func.getArguments(), argOffsets.asArrayRef())) {
    auto id = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), kMemoryIdAttr);
    inputs.push_back(addTensor(arg, 0, offset, 0, id ? id.getInt() : 1));
  }

  for (Operation &op : func.getBody().front()) {
    current = &op;
    if (auto constant = dyn_cast<edge::ConstantOp>(op)) {
      auto bytes = edge::elementBytes(constant.getValue(), constant);
      if (failed(bytes))
        return failure();
      addTensor(constant.getResult(), constants.add(std::move(*bytes)), -1);
      continue;
    }
    if (isa<edge::NoneOp>(op))
      continue;
    if (auto buffer = dyn_cast<edge::MutableBufferOp>(op)) {
      if (failed(emitBuffer(buffer)))
        return failure();
      continue;
    }
    if (auto writeBack = dyn_cast<edge::WriteBackOp>(op)) {
      emitWriteBack(writeBack);
      continue;
    }
    if (auto call = dyn_cast<edge::DelegateCallOp>(op)) {
      if (failed(emitDelegateCall(call)))
        return failure();
      continue;
    }
    if (isa<edge::SymSizeOp, edge::SymNumelOp, edge::SymConstantOp, edge::SymOp>(op)) {
      if (failed(emitSym(&op)))
        return failure();
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        outputs.push_back(valueIndex.lookup(v));
      continue;
    }
    const edge::EdgeOpInfo *info = edge::lookupEdgeOp(op.getName().getStringRef());
    if (!info)
      return op.emitOpError("cannot be emitted: it is not in the Edge op table");
    if (failed(emitOp(&op, *info)))
      return failure();
  }

  auto str = [&](StringRef attr) {
    auto s = func->getAttrOfType<StringAttr>(attr);
    return b.CreateString(s ? s.getValue().str() : std::string());
  };
  auto meta = fb::CreateContainerMetadata(b, str("edge.in_spec"), str("edge.out_spec"));
  return finish(func.getSymName(), meta, inputs, outputs, plannedSizes.asArrayRef());
}

} // namespace

FailureOr<std::string> emitPte(ModuleOp module, ArrayRef<ConstantMethod> constantMethods,
                               bool delegatesInSegments, std::vector<InstructionDebug> *debug) {
  // Plans are sorted by method name, functions and constant methods alike.
  std::map<std::string, std::variant<func::FuncOp, const ConstantMethod *>> methods;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    methods[func.getSymName().str()] = func;
  for (const ConstantMethod &method : constantMethods)
    if (!methods.emplace(method.name, &method).second)
      return module.emitError("constant method '") << method.name
                                                   << "' has the name of another method";
  if (methods.empty())
    return module.emitError("nothing to emit: the module has no functions");

  flatbuffers::FlatBufferBuilder b(1 << 16);
  b.ForceDefaults(false);
  ConstantPool constants, mutableData;
  // Segment numbers are fixed before any plan refers to them: constants (0),
  // mutable data (1, if any buffer), then the delegate blobs.
  bool anyBuffer = false;  // with an initial value to store
  module.walk([&](edge::MutableBufferOp op) {
    auto bytes = edge::elementBytes(op.getValue(), op);
    anyBuffer |= failed(bytes) || !allZero(*bytes);
  });
  DelegateStore delegateStore;
  delegateStore.inSegments = delegatesInSegments;
  delegateStore.firstSegment = anyBuffer ? 2 : 1;
  std::vector<flatbuffers::Offset<fb::ExecutionPlan>> plans;
  for (auto &[name, method] : methods) {
    PlanEmitter emitter(b, constants, mutableData, delegateStore, debug);
    if (auto *constant = std::get_if<const ConstantMethod *>(&method)) {
      plans.push_back(emitter.emit(**constant));
      continue;
    }
    auto plan = emitter.emit(std::get<func::FuncOp>(method));
    if (failed(plan))
      return failure();
    plans.push_back(*plan);
  }

  // Segment 0 is the constant segment (always recorded, possibly empty);
  // segment 1 holds the initial values of mutable buffers, when any is not
  // all zero.
  std::vector<SegmentData> segments = {constants.segment()};
  bool hasMutable = mutableData.offsets.size() > 1;
  if (hasMutable != anyBuffer)
    return module.emitError("internal: mutable buffers without initial values");
  if (hasMutable)
    segments.push_back(mutableData.segment());
  std::vector<flatbuffers::Offset<fb::BackendDelegateInlineData>> inlineDelegates;
  for (const std::vector<uint8_t> &blob : delegateStore.blobs) {
    if (delegatesInSegments) {
      segments.push_back({blob, kConstantAlignment});
      continue;
    }
    b.ForceVectorAlignment(blob.size(), sizeof(uint8_t), kConstantAlignment);
    inlineDelegates.push_back(fb::CreateBackendDelegateInlineData(b, b.CreateVector(blob)));
  }
  // Named data last, one segment per key.
  std::vector<flatbuffers::Offset<fb::NamedData>> namedTable;
  for (auto &[key, value] : delegateStore.named) {
    namedTable.push_back(fb::CreateNamedData(b, b.CreateString(key), segments.size()));
    segments.push_back({value, kConstantAlignment});
  }
  std::vector<flatbuffers::Offset<fb::DataSegment>> segmentTable;
  for (auto [offset, size] : layoutSegments(segments))
    segmentTable.push_back(fb::CreateDataSegment(b, offset, size));
  auto constantSegment = fb::CreateSubsegmentOffsets(b, 0, b.CreateVector(constants.offsets));
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SubsegmentOffsets>>> mutableSegments = 0;
  if (hasMutable)
    mutableSegments = b.CreateVector(std::vector<flatbuffers::Offset<fb::SubsegmentOffsets>>{
        fb::CreateSubsegmentOffsets(b, 1, b.CreateVector(mutableData.offsets))});
  auto program = fb::CreateProgram(
      b, /*version=*/0, b.CreateVector(plans),
      b.CreateVector(std::vector<flatbuffers::Offset<fb::Buffer>>{}),
      b.CreateVector(inlineDelegates), b.CreateVector(segmentTable), constantSegment,
      mutableSegments, namedTable.empty() ? 0 : b.CreateVector(namedTable));
  b.Finish(program, fb::ProgramIdentifier());
  return assemblePte(ArrayRef<uint8_t>(b.GetBufferPointer(), b.GetSize()), segments);
}

} // namespace ember
