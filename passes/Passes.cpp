//===- Passes.cpp - Registration of Ember's passes ------------------------===//
#include "passes/Passes.h"

namespace ember {
namespace {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace

void registerEdgePasses() { registerEmberPasses(); }

} // namespace ember
