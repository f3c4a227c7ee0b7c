//===- XnnpackPartitioner.cpp - The XNNPACK backend's compile-time half ---===//
#include "partitioners/xnnpack/XnnpackPartitioner.h"

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackPasses.h"
#include "partitioners/xnnpack/XnnpackSupport.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace ember::xnnpack {

std::unique_ptr<BackendPartitioner>
XnnpackPartitioner::create(const std::map<std::string, std::string> &options,
                           std::string *error) {
  SupportOptions parsed;
  for (const auto &[key, value] : options) {
    if (key == "quantized" && (value == "0" || value == "1")) {
      parsed.quantized = value == "1";
      continue;
    }
    if (error && key == "quantized")
      *error = std::string(kBackendId) + ": option 'quantized' takes \"0\" or \"1\", not '" +
               value + "'";
    else if (error)
      *error = std::string(kBackendId) + ": unknown option '" + key + "'";
    return nullptr;
  }
  return std::make_unique<XnnpackPartitioner>(parsed);
}

bool XnnpackPartitioner::supports(Operation *op, std::string &reason) const {
  return isSupportedByXnnpack(op, reason, options);
}

bool XnnpackPartitioner::acceptsRun(ArrayRef<Operation *> run, std::string &reason) const {
  // Data movement alone gains nothing from a delegate: a view is free on the
  // portable path, and a transpose is the same copy there (without a
  // delegate call around it).
  bool movesOnly = llvm::all_of(run, [](Operation *op) {
    return isa<edge::ViewOp, edge::CloneOp, edge::AliasOp, edge::UnsqueezeOp,
               edge::SqueezeDimsOp, edge::PermuteOp>(op);
  });
  if (movesOnly) {
    reason = "only reshapes and transposes (no faster in a delegate)";
    return false;
  }
  // The same for a run that only converts between fp32 and int8 (a
  // quantize before an op XNNPACK does not take): the portable kernel is
  // the same loop without a delegate call.
  bool convertsOnly = llvm::all_of(run, [](Operation *op) {
    return isa<edge::QuantizePerTensorOp, edge::DequantizePerTensorOp, edge::ViewOp,
               edge::CloneOp, edge::AliasOp, edge::UnsqueezeOp, edge::SqueezeDimsOp,
               edge::PermuteOp>(op);
  });
  if (convertsOnly) {
    reason = "only quantize/dequantize (no faster in a delegate)";
    return false;
  }
  return true;
}

FailureOr<DelegateBlob> XnnpackPartitioner::preprocess(ModuleOp subgraph) const {
  DelegateBlob blob;
  PassManager pm(subgraph.getContext());
  enableDebugPrinting(pm);
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createLowerToXnnpack());
  fpm.addPass(createPropagateNhwc());
  fpm.addPass(createFuseActivations());
  fpm.addPass(createSerializeXnnpackPass(&blob.processed));
  if (failed(pm.run(subgraph)))
    return failure();
  return blob;
}

} // namespace ember::xnnpack
