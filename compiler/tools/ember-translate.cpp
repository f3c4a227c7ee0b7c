//===- ember-translate.cpp - Edge IR text -> .pte -------------------------===//
//
//   ember-translate input.mlir -o model.pte [--plan-inputs=false] [--delegate-segments=false]
// Runs the phases up to memory-plan, checks the contract and writes the .pte.
//
//===----------------------------------------------------------------------===//
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/CompilerSession.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

int main(int argc, char **argv) {
  cl::opt<std::string> input(cl::Positional, cl::desc("<input .mlir>"), cl::init("-"));
  cl::opt<std::string> output("o", cl::desc("Output .pte"), cl::value_desc("file"),
                              cl::Required);
  cl::opt<bool> planInputs("plan-inputs", cl::desc("Place inputs in the arena"), cl::init(true));
  cl::opt<bool> planOutputs("plan-outputs", cl::desc("Place outputs in the arena"),
                            cl::init(true));
  cl::opt<bool> delegateSegments("delegate-segments",
                                 cl::desc("Delegate blobs as segments (else inline)"),
                                 cl::init(true));
  cl::ParseCommandLineOptions(argc, argv, "Ember: Edge IR to .pte\n");

  std::stringstream text;
  if (input == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(input);
    if (!in) {
      llvm::errs() << "ember-translate: cannot read " << input << "\n";
      return 1;
    }
    text << in.rdbuf();
  }
  ember::CompilerSession session;
  ember::PipelineOptions options;
  options.planInputs = planInputs;
  options.planOutputs = planOutputs;
  options.delegatesInSegments = delegateSegments;
  if (mlir::failed(session.parse(text.str()))) {
    llvm::errs() << session.takeDiagnostics();
    return 1;
  }
  auto bytes = session.emit(options);
  if (mlir::failed(bytes)) {
    llvm::errs() << session.takeDiagnostics();
    return 1;
  }
  std::ofstream out(output, std::ios::binary);
  out.write(bytes->data(), bytes->size());
  return out ? 0 : 1;
}
