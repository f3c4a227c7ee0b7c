//===- EdgeSym.cpp - Dynamic shapes in the Edge dialect -------------------===//
#include "exir/EdgeSym.h"

#include "exir/EdgeDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;

namespace ember::edge {

bool isDynamic(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
    return func && func.getArgAttr(arg.getArgNumber(), kDynamicArgAttr);
  }
  Operation *def = v.getDefiningOp();
  auto flags = def->getAttrOfType<DenseBoolArrayAttr>(kDynamicResultsAttr);
  unsigned i = cast<OpResult>(v).getResultNumber();
  return flags && i < flags.size() && flags[i];
}

bool touchesDynamicShapes(Operation *op) {
  if (isa<SymSizeOp, SymNumelOp, SymConstantOp, SymOp>(op))
    return true;
  for (Value v : op->getOperands())
    if (isa<IntegerType, FloatType>(v.getType()) || (isa<RankedTensorType>(v.getType()) && isDynamic(v)))
      return true;
  for (Value v : op->getResults())
    if (isDynamic(v))
      return true;
  return false;
}

unsigned numSymOperands(Operation *op, const EdgeOpInfo &info) {
  if (!info.symbolic)
    return 0;
  auto slots = op->getAttrOfType<DenseI64ArrayAttr>("sym_slots");
  return slots ? slots.size() / 2 : 0;
}

FailureOr<SmallVector<SymSlot>> symSlots(Operation *op, const EdgeOpInfo &info) {
  SmallVector<SymSlot> out;
  auto slots = op->getAttrOfType<DenseI64ArrayAttr>("sym_slots");
  if (!info.symbolic || !slots)
    return out;
  if (slots.size() % 2 != 0)
    return op->emitOpError("sym_slots must hold (argument, position) pairs");
  unsigned count = slots.size() / 2;
  if (op->getNumOperands() < count)
    return op->emitOpError("has ") << count << " sym_slots but only " << op->getNumOperands()
                                   << " operands";
  unsigned first = op->getNumOperands() - count;
  for (unsigned i = 0; i < count; ++i) {
    int64_t arg = slots[2 * i], position = slots[2 * i + 1];
    Value value = op->getOperand(first + i);
    if (arg < 0 || arg >= (int64_t)info.args.size())
      return op->emitOpError("sym_slots names argument #") << arg << ", the schema has "
                                                            << info.args.size();
    const ArgSpec &spec = info.args[arg];
    if (spec.kind != ArgKind::Int && spec.kind != ArgKind::Scalar && spec.kind != ArgKind::IntList)
      return op->emitOpError("argument '") << spec.name << "' cannot take a run-time value";
    Attribute attr = op->getAttr(spec.name);
    if (!attr)
      return op->emitOpError("sym_slots names argument '") << spec.name
                                                           << "', which has no value";
    bool isFloat = isa<FloatType>(value.getType());
    switch (spec.kind) {
    case ArgKind::Int:
      if (position != -1 || isFloat)
        return op->emitOpError("argument '") << spec.name << "' takes one run-time int";
      break;
    case ArgKind::Scalar:
      if (position != -1)
        return op->emitOpError("argument '") << spec.name << "' is not a list";
      break;
    case ArgKind::IntList: {
      auto list = cast<DenseI64ArrayAttr>(attr);
      if (position < 0 || position >= list.size() || isFloat)
        return op->emitOpError("sym_slots puts a run-time ")
               << (isFloat ? "float" : "int") << " at position " << position << " of '"
               << spec.name << "', which has " << list.size() << " ints";
      break;
    }
    default:
      break;  // other kinds were rejected above
    }
    out.push_back({static_cast<unsigned>(arg), position, value});
  }
  return out;
}

namespace {
using R = SymFn::Result;
constexpr SymFn kSymFns[] = {
    {"add", 2, R::SameAsOperands, "executorch_prim::add", "Scalar"},
    {"sub", 2, R::SameAsOperands, "executorch_prim::sub", "Scalar"},
    {"mul", 2, R::SameAsOperands, "executorch_prim::mul", "Scalar"},
    {"floordiv", 2, R::SameAsOperands, "executorch_prim::floordiv", "Scalar"},
    {"mod", 2, R::SameAsOperands, "executorch_prim::mod", "Scalar"},
    {"truediv", 2, R::Float, "executorch_prim::truediv", "Scalar"},
    {"neg", 1, R::SameAsOperands, "executorch_prim::neg", "Scalar"},
    {"sym_float", 1, R::Float, "executorch_prim::sym_float", "Scalar"},
    {"ceil", 1, R::Int, "executorch_prim::ceil", "Scalar"},
    {"round", 1, R::Int, "executorch_prim::round", "Scalar"},
    {"trunc", 1, R::Int, "executorch_prim::trunc", "Scalar"},
};
} // namespace

const SymFn *lookupSymFn(llvm::StringRef name) {
  for (const SymFn &fn : kSymFns)
    if (name == fn.name)
      return &fn;
  return nullptr;
}

// ---- Verifiers of the sym ops.

LogicalResult SymSizeOp::verify() {
  int64_t rank = getSelf().getType().getRank();
  if (getDim() < 0 || getDim() >= rank)
    return emitOpError("dim ") << getDim() << " is out of range for a " << rank
                               << "-d tensor";
  return success();
}

LogicalResult SymConstantOp::verify() {
  bool isFloat = isa<FloatAttr>(getValue());
  if (isFloat != isa<FloatType>(getResult().getType()))
    return emitOpError("value ") << getValue() << " does not match the result type "
                                 << getResult().getType();
  return success();
}

LogicalResult SymOp::verify() {
  const SymFn *fn = lookupSymFn(getFn());
  if (!fn)
    return emitOpError("unknown function '") << getFn() << "'";
  if (getArgs().size() != fn->arity)
    return emitOpError("'") << getFn() << "' takes " << fn->arity << " operand(s), got "
                            << getArgs().size();
  bool anyFloat = llvm::any_of(getArgs(), [](Value v) { return isa<FloatType>(v.getType()); });
  bool wantFloat = fn->result == SymFn::Result::Float ||
                   (fn->result == SymFn::Result::SameAsOperands && anyFloat);
  if (isa<FloatType>(getResult().getType()) != wantFloat)
    return emitOpError("'") << getFn() << "' of " << (anyFloat ? "a float" : "ints")
                            << " gives " << (wantFloat ? "f64" : "i64") << ", not "
                            << getResult().getType();
  return success();
}

} // namespace ember::edge
