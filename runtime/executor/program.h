// A loaded .pte: the verified flatbuffer plus its constant and mutable data.
// Loading checks the header and verifies the whole flatbuffer, so every later
// read can trust the flatbuffer's structure (but not its values: indices,
// offsets and sizes are still checked where they are used).
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/data_loader.h"
#include "runtime/core/error.h"
#include "runtime/core/span.h"
#include "runtime/executor/memory_manager.h"
#include "runtime/executor/method_meta.h"

namespace executorch_flatbuffer {
struct Program;
}

namespace ember {

class Method;

/// The fields of a .pte's header. Without the optional extended header the
/// whole file is the flatbuffer and there are no segments.
struct ProgramHeader {
  bool has_extended_header = false;
  uint64_t program_size = 0;         ///< bytes of the flatbuffer part, headers included
  uint64_t segment_base_offset = 0;  ///< file offset of the first segment (0: none)
  uint64_t segment_data_size = 0;    ///< bytes of segment data (0: none or not recorded)
};

/// Parse and check the header. `head` is the start of the file (at least 8
/// bytes, ideally 40+) and `file_size` the whole size: program_size, the
/// segment range and the header length are all checked against it.
/// VersionMismatch if bytes 4..7 are not "ET12"; InvalidProgram otherwise.
Result<ProgramHeader> parse_program_header(Span<const uint8_t> head, size_t file_size);

/// A program loaded from a DataLoader. Movable; borrows the loader, which
/// must outlive the Program and every Method loaded from it.
class Program {
 public:
  /// How much to check at load. InternalConsistency runs the FlatBuffers
  /// verifier over the whole flatbuffer (needed for untrusted files);
  /// Minimal checks only the header and identifier (trusted files).
  enum class Verification : uint8_t { Minimal = 0, InternalConsistency = 1 };

  /// Read the header, load the flatbuffer part, verify it and locate the
  /// constant data. The loader's memory must be 16-byte aligned.
  static Result<Program> load(DataLoader* loader,
                              Verification verification = Verification::InternalConsistency);

  /// Number of methods (execution plans).
  size_t num_methods() const;
  /// Name of method i.
  Result<const char*> get_method_name(size_t i) const;
  /// Read-only description of the method `name`; NotFound if there is none.
  Result<MethodMeta> method_meta(const char* name) const;
  /// Build the method `name` in the caller's memory (see MemoryManager).
  /// Resolves every kernel; OperatorMissing if one is not registered.
  Result<Method> load_method(const char* name, MemoryManager* memory) const;

  /// Constant buffer `buffer_idx` (data_buffer_idx of a constant tensor),
  /// checked to hold at least `nbytes`. Reads the constant segment, or the
  /// legacy Program.constant_buffer when the file has no constant segment.
  Result<const void*> constant_data(size_t buffer_idx, size_t nbytes) const;
  /// Initial value of a mutable tensor: mutable_data_segments[segments_idx]
  /// .offsets[offset_idx], checked to hold at least `nbytes`.
  Result<const void*> mutable_data(size_t segments_idx, size_t offset_idx, size_t nbytes) const;
  /// Bytes of segment `segment_idx` (e.g. a delegate blob).
  Result<Span<const uint8_t>> segment_data(size_t segment_idx) const;
  /// The bytes stored under `key` in the program's named data (a segment),
  /// for backends that share data between delegates. NotFound if absent.
  Result<Span<const uint8_t>> named_data(const char* key) const;
  /// Hint that nobody needs `bytes` (segment data: a delegate's blob or
  /// named data) any more: the data loader may drop them (DataLoader::release).
  /// Bytes of the flatbuffer part are kept. They stay loadable.
  void release_data(Span<const uint8_t> bytes) const;

  const ProgramHeader& header() const { return header_; }
  const executorch_flatbuffer::Program* flatbuffer() const { return program_; }

 private:
  Program() = default;

  DataLoader* loader_ = nullptr;
  ProgramHeader header_;
  Span<const uint8_t> program_data_;
  const executorch_flatbuffer::Program* program_ = nullptr;
  Span<const uint8_t> constant_segment_;  ///< the constant segment's bytes, if any
  bool has_constant_segment_ = false;
};

}  // namespace ember
