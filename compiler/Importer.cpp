//===- Importer.cpp - GraphDesc -> Edge dialect ----------------------------===//
//
// Builds one func.func per method. Every ATen node is created generically
// from the op table (exir/EdgeOpTable.h): tensor arguments become operands in
// schema order, the others attributes named after the schema argument.
// Run-time sizes (dynamic shapes) become edge.sym_* ops, created just before
// their first use; an argument computed from them keeps its upper-bound value
// as the attribute and takes the run-time value as a `sym_values` operand.
//
//===----------------------------------------------------------------------===//
#include "compiler/Importer.h"

#include "exir/EdgeDialect.h"
#include "exir/EdgeOpTable.h"
#include "exir/EdgeSym.h"
#include "exir/EdgeTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace ember {
namespace {

/// How an error names the kind of value an argument was given.
const char *kindName(ArgValue::Kind kind) {
  using K = ArgValue::Kind;
  switch (kind) {
  case K::None: return "None";
  case K::Int: return "an int";
  case K::Double: return "a float";
  case K::Bool: return "a bool";
  case K::String: return "a string";
  case K::IntList: return "an int list";
  case K::DoubleList: return "a float list";
  case K::BoolList: return "a bool list";
  case K::Tensor: return "a tensor";
  case K::TensorList: return "a tensor list";
  }
  return "an unknown kind of value";
}

class GraphImporter {
public:
  GraphImporter(ModuleOp module, const GraphDesc &graph)
      : module(module), graph(graph), ctx(module.getContext()), builder(ctx) {}

  LogicalResult run();

private:
  FailureOr<RankedTensorType> tensorType(const TensorDesc &desc, Location loc);
  Location locationOf(const NodeDesc &node);
  LogicalResult importNode(const NodeDesc &node);
  FailureOr<Value> tensorOperand(int64_t id, bool optional, Location loc, const char *arg,
                                 const NodeDesc &node);
  FailureOr<Attribute> attribute(const edge::ArgSpec &spec, const ArgValue &value,
                                 const NodeDesc &node, Location loc);
  FailureOr<Value> symValue(int64_t id, Location loc);
  void markDynamic(Operation *op, ArrayRef<TensorDesc> results);

  ModuleOp module;
  const GraphDesc &graph;
  MLIRContext *ctx;
  OpBuilder builder;
  llvm::DenseMap<int64_t, Value> values;
  llvm::DenseMap<int64_t, const SymDesc *> symDescs;
  llvm::DenseMap<int64_t, Value> symValues;
  Value noneValue;
};

FailureOr<Value> GraphImporter::symValue(int64_t id, Location loc) {
  if (Value v = symValues.lookup(id))
    return v;
  const SymDesc *desc = symDescs.lookup(id);
  if (!desc)
    return emitError(loc) << "run-time size refers to unknown value " << id;
  Type type = desc->isFloat ? Type(builder.getF64Type()) : Type(builder.getI64Type());
  Value result;
  switch (desc->kind) {
  case SymDesc::Kind::Size:
  case SymDesc::Kind::Numel: {
    Value tensor = values.lookup(desc->tensor);
    if (!tensor || !isa<RankedTensorType>(tensor.getType()))
      return emitError(loc) << "run-time size of unknown tensor " << desc->tensor;
    if (desc->kind == SymDesc::Kind::Size)
      result = builder.create<edge::SymSizeOp>(loc, builder.getI64Type(), tensor,
                                               builder.getI64IntegerAttr(desc->dim));
    else
      result = builder.create<edge::SymNumelOp>(loc, builder.getI64Type(), tensor);
    break;
  }
  case SymDesc::Kind::Op: {
    SmallVector<Value> operands;
    for (int64_t operand : desc->operands) {
      auto v = symValue(operand, loc);
      if (failed(v))
        return failure();
      operands.push_back(*v);
    }
    result = builder.create<edge::SymOp>(loc, type, builder.getStringAttr(desc->fn), operands);
    break;
  }
  case SymDesc::Kind::Constant: {
    Attribute value = desc->isFloat ? Attribute(builder.getF64FloatAttr(desc->doubleValue))
                                    : Attribute(builder.getI64IntegerAttr(desc->intValue));
    result = builder.create<edge::SymConstantOp>(loc, type, value);
    break;
  }
  }
  if (failed(mlir::verify(result.getDefiningOp())))
    return failure();
  symValues[id] = result;
  return result;
}

void GraphImporter::markDynamic(Operation *op, ArrayRef<TensorDesc> results) {
  SmallVector<bool> flags;
  for (const TensorDesc &r : results)
    flags.push_back(r.dynamic);
  if (llvm::is_contained(flags, true))
    op->setAttr(edge::kDynamicResultsAttr, builder.getDenseBoolArrayAttr(flags));
}

FailureOr<RankedTensorType> GraphImporter::tensorType(const TensorDesc &desc, Location loc) {
  Type element = edge::scalarTypeToElementType(ctx, desc.dtype);
  if (!element)
    return emitError(loc) << "unsupported tensor dtype (ScalarType " << desc.dtype << ")";
  for (int64_t d : desc.shape)
    if (d < 0)
      return emitError(loc) << "tensor has a negative size";
  return RankedTensorType::get(desc.shape, element);
}

Location GraphImporter::locationOf(const NodeDesc &node) {
  Location loc = UnknownLoc::get(ctx);
  if (!node.loc.file.empty())
    loc = FileLineColLoc::get(ctx, node.loc.file, node.loc.line, 0);
  return NameLoc::get(StringAttr::get(ctx, node.name), loc);
}

FailureOr<Value> GraphImporter::tensorOperand(int64_t id, bool optional, Location loc,
                                              const char *arg, const NodeDesc &node) {
  if (id < 0) {
    if (!optional)
      return emitError(loc) << node.target << ": argument '" << arg << "' may not be None";
    return noneValue;
  }
  Value v = values.lookup(id);
  if (!v)
    return emitError(loc) << node.target << ": argument '" << arg << "' refers to unknown value "
                          << id;
  return v;
}

FailureOr<Attribute> GraphImporter::attribute(const edge::ArgSpec &spec, const ArgValue &value,
                                              const NodeDesc &node, Location loc) {
  using K = ArgValue::Kind;
  auto mismatch = [&]() -> FailureOr<Attribute> {
    return emitError(loc) << node.target << ": argument '" << spec.name
                          << "' has a value of the wrong kind (" << kindName(value.kind) << ")";
  };
  switch (spec.kind) {
  case edge::ArgKind::Int:
  case edge::ArgKind::ScalarType:
  case edge::ArgKind::Layout:
  case edge::ArgKind::MemoryFormat:
    if (value.kind != K::Int) return mismatch();
    return Attribute(builder.getI64IntegerAttr(value.intValue));
  case edge::ArgKind::IntList:
    if (value.kind == K::Int)  // int[2] given as one int: ATen repeats it.
      return Attribute(builder.getDenseI64ArrayAttr({value.intValue}));
    if (value.kind != K::IntList) return mismatch();
    return Attribute(builder.getDenseI64ArrayAttr(value.ints));
  case edge::ArgKind::Float:
    if (value.kind == K::Int) return Attribute(builder.getF64FloatAttr((double)value.intValue));
    if (value.kind != K::Double) return mismatch();
    return Attribute(builder.getF64FloatAttr(value.doubleValue));
  case edge::ArgKind::FloatList:
    if (value.kind != K::DoubleList) return mismatch();
    return Attribute(builder.getDenseF64ArrayAttr(value.doubles));
  case edge::ArgKind::Bool:
    if (value.kind != K::Bool) return mismatch();
    return Attribute(builder.getBoolAttr(value.boolValue));
  case edge::ArgKind::BoolList: {
    if (value.kind != K::BoolList) return mismatch();
    SmallVector<bool> bools(value.bools.begin(), value.bools.end());
    return Attribute(builder.getDenseBoolArrayAttr(bools));
  }
  case edge::ArgKind::Scalar:
    if (value.kind == K::Int) return Attribute(builder.getI64IntegerAttr(value.intValue));
    if (value.kind == K::Double) return Attribute(builder.getF64FloatAttr(value.doubleValue));
    if (value.kind == K::Bool) return Attribute(builder.getBoolAttr(value.boolValue));
    return mismatch();
  case edge::ArgKind::Device:
  case edge::ArgKind::String:
    if (value.kind != K::String) return mismatch();
    return Attribute(builder.getStringAttr(value.stringValue));
  case edge::ArgKind::Tensor:
  case edge::ArgKind::TensorList:
  case edge::ArgKind::OptionalTensorList:
    break;
  }
  return mismatch();
}

LogicalResult GraphImporter::importNode(const NodeDesc &node) {
  Location loc = locationOf(node);
  const edge::EdgeOpInfo *info = edge::lookupAtenOp(node.target, node.overload);
  if (!info)
    return emitError(loc) << "Ember cannot compile " << node.target
                          << (node.overload == "default" ? "" : "." + node.overload)
                          << " yet: it is not in the Edge op table";
  if (node.args.size() != info->args.size())
    return emitError(loc) << node.target << ": expected " << info->args.size()
                          << " arguments, got " << node.args.size();

  OperationState state(loc, info->opName);
  SmallVector<Value> symOperands;
  SmallVector<int64_t> symSlots;
  for (auto [index, spec, value] : llvm::enumerate(info->args, node.args)) {
    for (auto [position, id] : llvm::enumerate(value.symIds)) {
      if (id < 0)
        continue;
      if (!info->symbolic)
        return emitError(loc) << node.target << ": argument '" << spec.name
                              << "' cannot take a size computed at run time";
      auto sym = symValue(id, loc);
      if (failed(sym))
        return failure();
      symOperands.push_back(*sym);
      symSlots.push_back(index);
      symSlots.push_back(spec.kind == edge::ArgKind::IntList ? (int64_t)position : -1);
    }
    bool none = value.kind == ArgValue::Kind::None;
    if (spec.kind == edge::ArgKind::Tensor) {
      if (!none && value.kind != ArgValue::Kind::Tensor)
        return emitError(loc) << node.target << ": argument '" << spec.name
                              << "' should be a tensor, not " << kindName(value.kind);
      auto operand = tensorOperand(none ? -1 : value.ints[0], spec.optional, loc, spec.name, node);
      if (failed(operand))
        return failure();
      state.addOperands(*operand);
      continue;
    }
    if (spec.kind == edge::ArgKind::TensorList || spec.kind == edge::ArgKind::OptionalTensorList) {
      if (value.kind != ArgValue::Kind::TensorList)
        return emitError(loc) << node.target << ": argument '" << spec.name
                              << "' should be a list of tensors, not " << kindName(value.kind);
      bool optional = spec.kind == edge::ArgKind::OptionalTensorList;
      for (int64_t id : value.ints) {
        auto operand = tensorOperand(id, optional, loc, spec.name, node);
        if (failed(operand))
          return failure();
        state.addOperands(*operand);
      }
      continue;
    }
    if (none) {
      if (!spec.optional)
        return emitError(loc) << node.target << ": argument '" << spec.name
                              << "' may not be None";
      continue;
    }
    auto attr = attribute(spec, value, node, loc);
    if (failed(attr))
      return failure();
    state.addAttribute(spec.name, *attr);
  }
  if (!symOperands.empty()) {
    state.addOperands(symOperands);
    state.addAttribute("sym_slots", builder.getDenseI64ArrayAttr(symSlots));
  }

  if (node.results.size() != info->numResults || node.resultIds.size() != info->numResults)
    return emitError(loc) << node.target << ": expected " << info->numResults << " results, got "
                          << node.results.size();
  for (const TensorDesc &result : node.results) {
    auto type = tensorType(result, loc);
    if (failed(type))
      return failure();
    state.addTypes(*type);
  }
  Operation *op = builder.create(state);
  markDynamic(op, node.results);
  for (auto [id, result] : llvm::zip(node.resultIds, op->getResults()))
    values[id] = result;
  return success();
}

LogicalResult GraphImporter::run() {
  Location funcLoc = NameLoc::get(StringAttr::get(ctx, graph.name));
  SmallVector<Type> inputTypes, outputTypes;
  for (const InputDesc &input : graph.inputs) {
    auto type = tensorType(input.type, funcLoc);
    if (failed(type))
      return failure();
    inputTypes.push_back(*type);
  }

  builder.setInsertionPointToEnd(module.getBody());
  auto func = builder.create<func::FuncOp>(funcLoc, graph.name,
                                           builder.getFunctionType(inputTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  SmallVector<Attribute> inputNames;
  for (auto [input, arg] : llvm::zip(graph.inputs, entry->getArguments())) {
    values[input.id] = arg;
    inputNames.push_back(builder.getStringAttr(input.name));
    if (input.type.dynamic)
      func.setArgAttr(arg.getArgNumber(), edge::kDynamicArgAttr, builder.getUnitAttr());
  }
  for (const SymDesc &sym : graph.syms)
    symDescs[sym.id] = &sym;
  func->setAttr("edge.input_names", builder.getArrayAttr(inputNames));
  func->setAttr("edge.in_spec", builder.getStringAttr(graph.inSpec));
  func->setAttr("edge.out_spec", builder.getStringAttr(graph.outSpec));

  noneValue = builder.create<edge::NoneOp>(funcLoc, builder.getNoneType()).getResult();

  // Weights: dense_resource blobs over the caller's memory, no copy.
  auto &blobManager = DenseResourceElementsHandle::getManagerInterface(ctx);
  for (const ConstantDesc &constant : graph.constants) {
    Location loc = NameLoc::get(builder.getStringAttr(constant.name));
    auto type = tensorType(constant.type, loc);
    if (failed(type))
      return failure();
    size_t expected = (size_t)type->getNumElements() *
                      std::max<size_t>(1, type->getElementTypeBitWidth() / 8);
    if (constant.nbytes != expected)
      return emitError(loc) << "constant '" << constant.name << "' has " << constant.nbytes
                            << " bytes, its type needs " << expected;
    AsmResourceBlob blob = UnmanagedAsmResourceBlob::allocateInferAlign(
        ArrayRef<char>(static_cast<const char *>(constant.data), constant.nbytes));
    auto handle = blobManager.insert(constant.name.empty() ? "constant" : constant.name,
                                     std::move(blob));
    auto attr = DenseResourceElementsAttr::get(*type, handle);
    if (constant.mutableBuffer) {
      values[constant.id] = builder.create<edge::MutableBufferOp>(
          loc, *type, attr, builder.getStringAttr(constant.name));
      continue;
    }
    auto op = builder.create<edge::ConstantOp>(loc, *type, attr,
                                               constant.name.empty()
                                                   ? StringAttr()
                                                   : builder.getStringAttr(constant.name));
    values[constant.id] = op.getResult();
  }

  for (const NodeDesc &node : graph.nodes)
    if (failed(importNode(node)))
      return failure();

  SmallVector<Value> results;
  for (int64_t id : graph.outputs) {
    Value v = values.lookup(id);
    if (!v)
      return emitError(funcLoc) << "output refers to unknown value " << id;
    results.push_back(v);
    outputTypes.push_back(v.getType());
  }
  // Buffer mutations are written back after everything else has read the
  // buffers' old values.
  for (const WriteBackDesc &wb : graph.writeBacks) {
    Value buffer = values.lookup(wb.bufferId), value = values.lookup(wb.valueId);
    if (!buffer || !buffer.getDefiningOp<edge::MutableBufferOp>() || !value)
      return emitError(funcLoc) << "buffer mutation refers to unknown values " << wb.bufferId
                                << " <- " << wb.valueId;
    if (buffer.getType() != value.getType())
      return emitError(buffer.getLoc()) << "buffer mutation changes the buffer's type from "
                                        << buffer.getType() << " to " << value.getType();
    builder.create<edge::WriteBackOp>(funcLoc, value, buffer);
  }
  builder.create<func::ReturnOp>(funcLoc, results);
  func.setFunctionType(builder.getFunctionType(inputTypes, outputTypes));
  // Unused weights and buffers (e.g. batch norm's num_batches_tracked) would
  // only take space in the constant segment.
  for (Operation &op : llvm::make_early_inc_range(*entry))
    if (isa<edge::ConstantOp, edge::NoneOp, edge::MutableBufferOp>(op) && op.use_empty())
      op.erase();
  return success();
}

} // namespace

LogicalResult importGraph(ModuleOp module, const GraphDesc &graph) {
  return GraphImporter(module, graph).run();
}

} // namespace ember
