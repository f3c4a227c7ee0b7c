//===- verifiers/Indexing.cpp - Shape rules of the indexing, gather/scatter and embedding ops ===//
//
// Verifiers of the ops flagged `verifier: true` in exir/ops.yaml for this
// family; each recomputes the result shape as ATen does and rejects IR whose
// declared result disagrees. Shared helpers: exir/EdgeVerifierUtils.h.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeVerifierUtils.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;
