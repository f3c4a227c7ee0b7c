//===- TestBackend.cpp - EmberTestBackend: proves the delegate path -------===//
#include "partitioners/test/TestBackend.h"

#include "passes/Passes.h"
#include "exir/EdgeOpTable.h"
#include "serializer/PteEmitter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace ember {

std::unique_ptr<BackendPartitioner>
TestBackendPartitioner::create(const std::map<std::string, std::string> &options,
                               std::string *error) {
  auto p = std::make_unique<TestBackendPartitioner>();
  for (auto &[key, value] : options) {
    if (key == "named_data") {
      if (value != "0" && value != "1") {
        if (error)
          *error = std::string(kBackendId) + ": named_data must be 0 or 1, got '" + value + "'";
        return nullptr;
      }
      p->namedData_ = value == "1";
      continue;
    }
    if (key != "ops") {
      if (error)
        *error = std::string(kBackendId) + ": unknown option '" + key + "'";
      return nullptr;
    }
    SmallVector<StringRef> names;
    StringRef(value).split(names, ',', -1, /*KeepEmpty=*/false);
    for (StringRef name : names) {
      std::string full = name.trim().starts_with("edge.") ? name.trim().str()
                                                          : "edge." + name.trim().str();
      if (!edge::lookupEdgeOp(full)) {
        if (error)
          *error = std::string(kBackendId) + ": '" + name.str() + "' is not an Edge op";
        return nullptr;
      }
      p->ops_.insert(full);
    }
  }
  return p;
}

bool TestBackendPartitioner::supports(Operation *op, std::string &reason) const {
  StringRef name = op->getName().getStringRef();
  if (!edge::lookupEdgeOp(name)) {
    reason = "not an ATen-mirroring op";
    return false;
  }
  if (!ops_.empty() && !ops_.count(name.str())) {
    reason = "not in the partitioner's op list";
    return false;
  }
  return true;
}

FailureOr<DelegateBlob> TestBackendPartitioner::preprocess(ModuleOp subgraph) const {
  // The blob is the subgraph as a planned, serialized .pte of its own.
  PassManager pm(subgraph.getContext());
  pm.addPass(createVerifyEdgeContract());
  pm.addNestedPass<func::FuncOp>(createPlanMemory());
  if (failed(pm.run(subgraph)))
    return failure();
  FailureOr<std::string> bytes = emitPte(subgraph);
  if (failed(bytes))
    return failure();
  DelegateBlob blob;
  if (!namedData_) {
    blob.processed.assign(bytes->begin(), bytes->end());
    return blob;
  }
  // Identical subgraphs give identical keys, so their data is stored once.
  std::string key = kNamedDataPrefix + llvm::utohexstr(llvm::xxh3_64bits(*bytes));
  blob.namedData.push_back({key, std::vector<uint8_t>(bytes->begin(), bytes->end())});
  std::string ref = kNamedBlobMagic + key;
  blob.processed.assign(ref.begin(), ref.end());
  return blob;
}

} // namespace ember
