//===- BundledProgramWriter.h - Write a .bpte: a .pte plus test cases -----===//
//
// A bundled program (ExecuTorch's BundledProgram format, identifier BP08)
// holds a whole .pte and, per method, test cases of inputs and expected
// outputs. The Python front end (ember.devtools) checks the cases against the
// program and passes them here as plain values; this only lays out bytes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llvm/ADT/ArrayRef.h"

namespace ember {

/// One input or expected output of a test case.
struct BundledValueData {
  enum class Kind : uint8_t { Tensor, Int, Bool, Double };
  Kind kind = Kind::Tensor;
  int8_t scalarType = 6;           ///< tensors: the .pte ScalarType wire value
  std::vector<int32_t> sizes;      ///< tensors
  std::vector<uint8_t> dimOrder;   ///< tensors: outermost first
  llvm::ArrayRef<uint8_t> data;    ///< tensors: bytes in dim-order memory order (not owned)
  int64_t intValue = 0;
  bool boolValue = false;
  double doubleValue = 0.0;
};

/// One run of a method: its inputs and the outputs expected from them.
struct BundledTestCaseData {
  std::vector<BundledValueData> inputs;
  std::vector<BundledValueData> expectedOutputs;
};

/// The test cases of one method.
struct BundledTestSuiteData {
  std::string methodName;
  std::vector<BundledTestCaseData> testCases;
};

/// The .bpte bytes of `program` (a whole .pte, copied in 32-byte aligned)
/// with `suites` in the given order (ExecuTorch's readers expect them sorted
/// by method name; the caller sorts). Tensor data is 16-byte aligned.
std::string writeBundledProgram(llvm::ArrayRef<uint8_t> program,
                                llvm::ArrayRef<BundledTestSuiteData> suites);

} // namespace ember
