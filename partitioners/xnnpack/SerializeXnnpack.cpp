//===- SerializeXnnpack.cpp - The subgraph as an XNNPACK delegate blob ------===//
//
// A thin pass over serializeXnnpackGraph (XnnpackBlob.cpp): preprocess()
// gives it a buffer for the bytes; from ember-opt, `dump` prints the blob
// decoded back from them.
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackPasses.h"

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackBlob.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace ember::xnnpack {
#define GEN_PASS_DEF_SERIALIZEXNNPACK
#include "partitioners/xnnpack/XnnpackPasses.h.inc"

namespace {

struct SerializeXnnpackPass : impl::SerializeXnnpackBase<SerializeXnnpackPass> {
  using SerializeXnnpackBase::SerializeXnnpackBase;
  explicit SerializeXnnpackPass(std::vector<uint8_t> *out) : out(out) {}

  void runOnOperation() override {
    FailureOr<std::vector<uint8_t>> blob = serializeXnnpackGraph(getOperation());
    if (failed(blob))
      return signalPassFailure();
    if (dump) {
      llvm::outs() << "// " << getOperation().getSymName() << "\n";
      if (failed(printXnnpackBlob(*blob, llvm::outs())))
        return signalPassFailure();
    }
    if (out)
      *out = std::move(*blob);
  }

  std::vector<uint8_t> *out = nullptr;
};

} // namespace

std::unique_ptr<Pass> createSerializeXnnpackPass(std::vector<uint8_t> *out) {
  return std::make_unique<SerializeXnnpackPass>(out);
}

#define GEN_PASS_REGISTRATION
#include "partitioners/xnnpack/XnnpackPasses.h.inc"

void registerXnnpackPasses() { registerXnnpackLoweringPasses(); }

} // namespace ember::xnnpack
