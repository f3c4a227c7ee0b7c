// ETDump files from profiles: ExecuTorch's format of runtime events
// (serializer/schema/etdump.fbs, file identifier ED00), which its devtools
// Inspector reads (`executorch.devtools.Inspector(etdump_path=...)`). Each
// profiled run becomes one RunData named after its method, holding one
// profile event per recorded event; docs/devtools.md says how Ember's events
// map to ExecuTorch's. read_etdump reads the profile events of such a file
// back, for Ember's Inspector. Part of the module layer, like profiling.h: it
// works on a finished Profile, after the runs (execute() stays heap-free), and
// leaves writing the file to the caller.
//
//   ember::Profile prof;
//   module->profile("forward", inputs, /*runs=*/10, /*warmup=*/2, &prof);
//   std::vector<uint8_t> bytes;
//   ember::Status st = ember::write_etdump(prof, &bytes);
//   std::ofstream("model.etdp", std::ios::binary).write(...bytes...);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/extension/module.h"
#include "runtime/extension/profiling.h"

namespace ember {

/// Name of the whole-run event in an ETDump: ExecuTorch's, which its
/// Inspector counts among the framework's own events (not an operator).
constexpr const char* kEtdumpRunEventName = "Method::execute";
/// RunData.bundled_input_index of runs that did not take their inputs from a
/// bundled program's test case.
constexpr int32_t kNoBundledInput = -1;

/// Builds one ETDump out of one or more profiles (of one method or several).
class EtdumpWriter {
 public:
  EtdumpWriter();
  ~EtdumpWriter();
  EtdumpWriter(const EtdumpWriter&) = delete;
  EtdumpWriter& operator=(const EtdumpWriter&) = delete;

  /// Append every run of `profile`, in run order, as one RunData each.
  /// `bundled_input_index`: the bundled program's test case whose inputs the
  /// runs took, or kNoBundledInput. InvalidArgument (nothing appended) when
  /// the file would outgrow what a FlatBuffer holds (2 GiB).
  Status add(const Profile& profile, int32_t bundled_input_index = kNoBundledInput);
  /// Runs appended so far.
  size_t num_runs() const;
  /// The file: a size-prefixed FlatBuffer (4-byte little-endian length, then
  /// the buffer with identifier ED00 at bytes 8..11). The writer is empty
  /// again afterwards.
  std::vector<uint8_t> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// EtdumpWriter for one profile: `*out` receives the file's bytes.
Status write_etdump(const Profile& profile, std::vector<uint8_t>* out,
                    int32_t bundled_input_index = kNoBundledInput);

/// One profile event of an ETDump, as the file holds it (-1 and "" where a
/// field is absent).
struct EtdumpEvent {
  std::string name;
  int32_t chain_index = -1;
  int32_t instruction_id = -1;
  int32_t delegate_debug_id_int = -1;
  std::string delegate_debug_id_str;
  uint64_t start_time = 0;
  uint64_t end_time = 0;
};

/// One RunData (event block) of an ETDump: its profile events, in file order.
struct EtdumpRun {
  std::string name;
  int32_t bundled_input_index = kNoBundledInput;
  std::vector<EtdumpEvent> events;
};

/// Read the profile events of an ETDump, Ember's or one ExecuTorch's runtime
/// wrote (size-prefixed, as both write it, or not, as ExecuTorch's Python
/// serializer writes it); debug and allocation events are skipped.
/// VersionMismatch when the bytes carry no ED00 identifier, InvalidProgram
/// when the FlatBuffers verifier refuses them.
Status read_etdump(const uint8_t* data, size_t size, std::vector<EtdumpRun>* runs);

}  // namespace ember
