//===- BundledProgramWriter.cpp - Write a .bpte ----------------------------===//
//
// Builds the BundledProgram flatbuffer of serializer/schema/bundled_program.fbs
// with the generated builders. The force_align of the schema is applied by
// hand (the builders' plain CreateVector does not): 16 for tensor data, 32
// for the program.
//
//===----------------------------------------------------------------------===//
#include "serializer/BundledProgramWriter.h"

#include "serializer/schema/bundled_program_generated.h"

namespace bp = bundled_program_flatbuffer;

namespace ember {
namespace {

/// ExecuTorch's BUNDLED_PROGRAM_SCHEMA_VERSION, written for its readers.
constexpr uint32_t kBundledProgramVersion = 2;
constexpr size_t kTensorDataAlignment = 16;
constexpr size_t kProgramAlignment = 32;

flatbuffers::Offset<flatbuffers::Vector<uint8_t>>
alignedBytes(flatbuffers::FlatBufferBuilder &fbb, llvm::ArrayRef<uint8_t> bytes,
             size_t alignment) {
  fbb.ForceVectorAlignment(bytes.size(), sizeof(uint8_t), alignment);
  return fbb.CreateVector(bytes.data(), bytes.size());
}

flatbuffers::Offset<bp::Value> createValue(flatbuffers::FlatBufferBuilder &fbb,
                                           const BundledValueData &v) {
  switch (v.kind) {
  case BundledValueData::Kind::Int:
    return bp::CreateValue(fbb, bp::ValueUnion::Int,
                           bp::CreateInt(fbb, v.intValue).Union());
  case BundledValueData::Kind::Bool:
    return bp::CreateValue(fbb, bp::ValueUnion::Bool,
                           bp::CreateBool(fbb, v.boolValue).Union());
  case BundledValueData::Kind::Double:
    return bp::CreateValue(fbb, bp::ValueUnion::Double,
                           bp::CreateDouble(fbb, v.doubleValue).Union());
  case BundledValueData::Kind::Tensor:
    break;
  }
  auto sizes = fbb.CreateVector(v.sizes);
  auto data = alignedBytes(fbb, v.data, kTensorDataAlignment);
  auto dimOrder = fbb.CreateVector(v.dimOrder);
  auto tensor = bp::CreateTensor(fbb, v.scalarType, sizes, data, dimOrder);
  return bp::CreateValue(fbb, bp::ValueUnion::Tensor, tensor.Union());
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<bp::Value>>>
createValues(flatbuffers::FlatBufferBuilder &fbb,
             llvm::ArrayRef<BundledValueData> values) {
  std::vector<flatbuffers::Offset<bp::Value>> offsets;
  offsets.reserve(values.size());
  for (const BundledValueData &v : values)
    offsets.push_back(createValue(fbb, v));
  return fbb.CreateVector(offsets);
}

} // namespace

std::string writeBundledProgram(llvm::ArrayRef<uint8_t> program,
                                llvm::ArrayRef<BundledTestSuiteData> suites) {
  size_t estimate = program.size() + 1024;
  for (const BundledTestSuiteData &suite : suites)
    for (const BundledTestCaseData &tc : suite.testCases)
      for (const auto *values : {&tc.inputs, &tc.expectedOutputs})
        for (const BundledValueData &v : *values)
          estimate += v.data.size() + 64;
  flatbuffers::FlatBufferBuilder fbb(estimate);

  // 1. Test suites, each case's values built before the tables holding them.
  std::vector<flatbuffers::Offset<bp::BundledMethodTestSuite>> suiteOffsets;
  for (const BundledTestSuiteData &suite : suites) {
    std::vector<flatbuffers::Offset<bp::BundledMethodTestCase>> cases;
    for (const BundledTestCaseData &tc : suite.testCases) {
      auto inputs = createValues(fbb, tc.inputs);
      auto expected = createValues(fbb, tc.expectedOutputs);
      cases.push_back(bp::CreateBundledMethodTestCase(fbb, inputs, expected));
    }
    auto name = fbb.CreateString(suite.methodName);
    auto caseVector = fbb.CreateVector(cases);
    suiteOffsets.push_back(bp::CreateBundledMethodTestSuite(fbb, name, caseVector));
  }
  auto suiteVector = fbb.CreateVector(suiteOffsets);

  // 2. The program, then the root.
  auto programBytes = alignedBytes(fbb, program, kProgramAlignment);
  auto root = bp::CreateBundledProgram(fbb, kBundledProgramVersion, suiteVector,
                                       programBytes);
  bp::FinishBundledProgramBuffer(fbb, root);
  return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()),
                     fbb.GetSize());
}

} // namespace ember
