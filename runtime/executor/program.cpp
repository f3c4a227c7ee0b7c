// Program loading: header, flatbuffer verification, constant and mutable data.
#include "runtime/executor/program.h"

#include <cstring>

#include "runtime/executor/method.h"
#include "serializer/schema/program_generated.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the runtime reads flatbuffer vectors in place and needs a little-endian host"
#endif

namespace fb = executorch_flatbuffer;

namespace ember {
namespace {

constexpr size_t kIdentifierOffset = 4;
constexpr size_t kExtendedHeaderOffset = 8;
constexpr uint32_t kMinExtendedHeaderLength = 24;  // magic, length, program_size, base
constexpr uint32_t kFullExtendedHeaderLength = 32;  // ... plus segment_data_size
constexpr size_t kHeadBytes = 64;
// Verifier limits: far above any real model, low enough to bound the work.
constexpr flatbuffers::uoffset_t kMaxDepth = 64;
constexpr flatbuffers::uoffset_t kMaxTables = 1u << 24;

uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint64_t read_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

/// True when a vector of 8-byte elements starts 8-byte aligned (or is absent
/// or empty: FlatBuffers does not align empty vectors, and nothing is read).
template <typename T>
bool aligned8(const flatbuffers::Vector<T>* v) {
  static_assert(sizeof(T) == 8, "only 8-byte elements need this check");
  return v == nullptr || v->size() == 0 || reinterpret_cast<uintptr_t>(v->data()) % 8 == 0;
}

/// The FlatBuffers verifier checks vector alignment only to 4 bytes; reading
/// a misaligned int64/double vector is undefined behaviour (and DoubleList
/// items go to kernels as a pointer). Check every 8-byte vector once.
Error check_wide_vectors(const fb::Program* program) {
  const fb::SubsegmentOffsets* cs = program->constant_segment();
  EMBER_CHECK(cs == nullptr || aligned8(cs->offsets()), Error::InvalidProgram,
              "constant segment offsets are misaligned");
  if (program->mutable_data_segments() != nullptr) {
    for (const fb::SubsegmentOffsets* m : *program->mutable_data_segments()) {
      EMBER_CHECK(aligned8(m->offsets()), Error::InvalidProgram,
                  "mutable data offsets are misaligned");
    }
  }
  if (program->execution_plan() == nullptr) return Error::Ok;
  for (const fb::ExecutionPlan* plan : *program->execution_plan()) {
    EMBER_CHECK(aligned8(plan->non_const_buffer_sizes()), Error::InvalidProgram,
                "non_const_buffer_sizes is misaligned");
    if (plan->values() == nullptr) continue;
    for (uint32_t i = 0; i < plan->values()->size(); ++i) {
      const fb::EValue* ev = plan->values()->Get(i);
      const fb::IntList* il = ev->val_as_IntList();
      const fb::DoubleList* dl = ev->val_as_DoubleList();
      EMBER_CHECK((il == nullptr || aligned8(il->items())) && (dl == nullptr || aligned8(dl->items())),
                  Error::InvalidProgram, "value %u: list items are misaligned", i);
    }
  }
  return Error::Ok;
}

}  // namespace

Result<ProgramHeader> parse_program_header(Span<const uint8_t> head, size_t file_size) {
  EMBER_CHECK(head.size() >= 8 && head.size() <= file_size, Error::InvalidProgram,
              "file too small for a .pte header (%zu bytes)", file_size);
  EMBER_CHECK(std::memcmp(head.data() + kIdentifierOffset, "ET12", 4) == 0,
              Error::VersionMismatch, "file identifier is not ET12 (bytes 4..7 are %02x%02x%02x%02x)",
              head[4], head[5], head[6], head[7]);
  ProgramHeader h;
  h.program_size = file_size;
  if (head.size() < kExtendedHeaderOffset + 8 ||
      std::memcmp(head.data() + kExtendedHeaderOffset, "eh00", 4) != 0) {
    return h;  // no extended header: the whole file is the flatbuffer
  }
  h.has_extended_header = true;
  const uint8_t* eh = head.data() + kExtendedHeaderOffset;
  const uint32_t length = read_u32(eh + 4);
  EMBER_CHECK(length >= kMinExtendedHeaderLength, Error::InvalidProgram,
              "extended header length %u is below %u", length, kMinExtendedHeaderLength);
  const size_t needed = kExtendedHeaderOffset +
      (length >= kFullExtendedHeaderLength ? kFullExtendedHeaderLength : kMinExtendedHeaderLength);
  EMBER_CHECK(head.size() >= needed && kExtendedHeaderOffset + uint64_t{length} <= file_size,
              Error::InvalidProgram, "extended header (%u bytes) is truncated in a %zu-byte file",
              length, file_size);
  h.program_size = read_u64(eh + 8);
  h.segment_base_offset = read_u64(eh + 16);
  if (length >= kFullExtendedHeaderLength) h.segment_data_size = read_u64(eh + 24);
  EMBER_CHECK(h.program_size >= kExtendedHeaderOffset + length && h.program_size <= file_size,
              Error::InvalidProgram, "program_size %llu is outside the %zu-byte file",
              static_cast<unsigned long long>(h.program_size), file_size);
  if (h.segment_base_offset == 0) {
    EMBER_CHECK(h.segment_data_size == 0, Error::InvalidProgram,
                "segment_data_size %llu without a segment base offset",
                static_cast<unsigned long long>(h.segment_data_size));
    return h;
  }
  EMBER_CHECK(h.segment_base_offset >= h.program_size && h.segment_base_offset <= file_size,
              Error::InvalidProgram, "segment_base_offset %llu is outside [%llu, %zu]",
              static_cast<unsigned long long>(h.segment_base_offset),
              static_cast<unsigned long long>(h.program_size), file_size);
  EMBER_CHECK(h.segment_data_size <= file_size - h.segment_base_offset, Error::InvalidProgram,
              "segment data (%llu bytes at %llu) runs past the end of the %zu-byte file",
              static_cast<unsigned long long>(h.segment_data_size),
              static_cast<unsigned long long>(h.segment_base_offset), file_size);
  return h;
}

Result<Program> Program::load(DataLoader* loader, Verification verification) {
  EMBER_CHECK(loader != nullptr, Error::InvalidArgument, "null data loader");
  const size_t file_size = loader->size();
  EMBER_CHECK(file_size >= 8, Error::InvalidProgram, "file too small for a .pte (%zu bytes)",
              file_size);
  // 1. Header.
  Result<Span<const uint8_t>> head =
      loader->load(0, file_size < kHeadBytes ? file_size : kHeadBytes);
  if (!head.ok()) return head.error();
  Result<ProgramHeader> header = parse_program_header(*head, file_size);
  if (!header.ok()) return header.error();

  Program p;
  p.loader_ = loader;
  p.header_ = *header;
  EMBER_CHECK(p.header_.program_size < FLATBUFFERS_MAX_BUFFER_SIZE, Error::InvalidProgram,
              "flatbuffer part too large (%llu bytes)",
              static_cast<unsigned long long>(p.header_.program_size));

  // 2. The flatbuffer part, verified.
  Result<Span<const uint8_t>> data = loader->load(0, static_cast<size_t>(p.header_.program_size));
  if (!data.ok()) return data.error();
  p.program_data_ = *data;
  EMBER_CHECK(fb::ProgramBufferHasIdentifier(p.program_data_.data()), Error::VersionMismatch,
              "flatbuffer identifier is not ET12");
  if (verification == Verification::InternalConsistency) {
    flatbuffers::Verifier verifier(p.program_data_.data(), p.program_data_.size(), kMaxDepth,
                                   kMaxTables);
    EMBER_CHECK(fb::VerifyProgramBuffer(verifier), Error::InvalidProgram,
                "the flatbuffer failed verification (corrupt or truncated .pte)");
  }
  p.program_ = fb::GetProgram(p.program_data_.data());
  if (verification == Verification::InternalConsistency) {
    EMBER_TRY(check_wide_vectors(p.program_));
  }

  // 3. The constant segment, when the file has one with data.
  const fb::SubsegmentOffsets* cs = p.program_->constant_segment();
  if (cs != nullptr && cs->offsets() != nullptr && cs->offsets()->size() > 0) {
    Result<Span<const uint8_t>> seg = p.segment_data(cs->segment_index());
    if (!seg.ok()) return seg.error();
    p.constant_segment_ = *seg;
    p.has_constant_segment_ = true;
  }
  return p;
}

size_t Program::num_methods() const {
  const auto* plans = program_->execution_plan();
  return plans != nullptr ? plans->size() : 0;
}

Result<const char*> Program::get_method_name(size_t i) const {
  EMBER_CHECK(i < num_methods(), Error::InvalidArgument, "method index %zu out of range (%zu)", i,
              num_methods());
  const fb::ExecutionPlan* plan = program_->execution_plan()->Get(static_cast<uint32_t>(i));
  return plan->name() != nullptr ? plan->name()->c_str() : "";
}

Result<MethodMeta> Program::method_meta(const char* name) const {
  EMBER_CHECK(name != nullptr, Error::InvalidArgument, "null method name");
  for (size_t i = 0; i < num_methods(); ++i) {
    const fb::ExecutionPlan* plan = program_->execution_plan()->Get(static_cast<uint32_t>(i));
    const char* n = plan->name() != nullptr ? plan->name()->c_str() : "";
    if (std::strcmp(n, name) == 0) return MethodMeta(plan);
  }
  EMBER_LOG(Error, "no method named '%s' in the program", name);
  return Error::NotFound;
}

Result<Method> Program::load_method(const char* name, MemoryManager* memory) const {
  Result<MethodMeta> meta = method_meta(name);
  if (!meta.ok()) return meta.error();
  return Method::load(this, meta->plan(), memory);
}

Result<Span<const uint8_t>> Program::named_data(const char* key) const {
  EMBER_CHECK(key != nullptr, Error::InvalidArgument, "named data: null key");
  const auto* entries = flatbuffer()->named_data();
  const uint32_t n = entries != nullptr ? entries->size() : 0;
  for (uint32_t i = 0; i < n; ++i) {
    const fb::NamedData* entry = entries->Get(i);
    if (entry->key() == nullptr || std::strcmp(entry->key()->c_str(), key) != 0) continue;
    Result<Span<const uint8_t>> data = segment_data(entry->segment_index());
    EMBER_CHECK(data.ok(), data.error(), "named data '%.64s': segment %u is invalid", key,
                entry->segment_index());
    return *data;
  }
  EMBER_LOG(Error, "named data '%.64s' is not in the program", key);
  return Error::NotFound;
}

void Program::release_data(Span<const uint8_t> bytes) const {
  const uint8_t* begin = program_data_.data();
  const uint8_t* end = begin + program_data_.size();
  if (bytes.empty() || (bytes.data() < end && bytes.data() + bytes.size() > begin)) return;
  loader_->release(bytes);
}

Result<Span<const uint8_t>> Program::segment_data(size_t segment_idx) const {
  const auto* segments = program_->segments();
  EMBER_CHECK(segments != nullptr && segment_idx < segments->size(), Error::InvalidProgram,
              "segment index %zu out of range (%u segments)", segment_idx,
              segments != nullptr ? segments->size() : 0u);
  const fb::DataSegment* seg = segments->Get(static_cast<uint32_t>(segment_idx));
  const uint64_t offset = seg->offset();
  const uint64_t size = seg->size();
  if (size == 0) return Span<const uint8_t>();
  const uint64_t base = header_.segment_base_offset;
  EMBER_CHECK(base != 0, Error::InvalidProgram,
              "segment %zu has data but the file has no segment base offset", segment_idx);
  // The header check guarantees base <= file size.
  const uint64_t avail = header_.segment_data_size != 0
                             ? header_.segment_data_size
                             : static_cast<uint64_t>(loader_->size()) - base;
  EMBER_CHECK(offset <= avail && size <= avail - offset, Error::InvalidProgram,
              "segment %zu (%llu bytes at %llu) is outside the %llu bytes of segment data",
              segment_idx, static_cast<unsigned long long>(size),
              static_cast<unsigned long long>(offset), static_cast<unsigned long long>(avail));
  return loader_->load(static_cast<size_t>(base + offset), static_cast<size_t>(size));
}

Result<const void*> Program::constant_data(size_t buffer_idx, size_t nbytes) const {
  if (has_constant_segment_) {
    const auto* offsets = program_->constant_segment()->offsets();
    EMBER_CHECK(buffer_idx < offsets->size(), Error::InvalidProgram,
                "constant buffer %zu out of range (%u offsets)", buffer_idx, offsets->size());
    const uint64_t off = offsets->Get(static_cast<uint32_t>(buffer_idx));
    EMBER_CHECK(off <= constant_segment_.size() && nbytes <= constant_segment_.size() - off,
                Error::InvalidProgram,
                "constant buffer %zu (%zu bytes at %llu) is outside the %zu-byte constant segment",
                buffer_idx, nbytes, static_cast<unsigned long long>(off),
                constant_segment_.size());
    return static_cast<const void*>(constant_segment_.data() + off);
  }
  const auto* buffers = program_->constant_buffer();
  EMBER_CHECK(buffers != nullptr && buffer_idx < buffers->size(), Error::InvalidProgram,
              "constant buffer %zu out of range (no constant segment, %u inline buffers)",
              buffer_idx, buffers != nullptr ? buffers->size() : 0u);
  const auto* storage = buffers->Get(static_cast<uint32_t>(buffer_idx))->storage();
  const size_t have = storage != nullptr ? storage->size() : 0;
  EMBER_CHECK(nbytes <= have, Error::InvalidProgram,
              "constant buffer %zu holds %zu bytes, the tensor needs %zu", buffer_idx, have, nbytes);
  return storage != nullptr ? static_cast<const void*>(storage->data()) : nullptr;
}

Result<const void*> Program::mutable_data(size_t segments_idx, size_t offset_idx,
                                          size_t nbytes) const {
  const auto* mds = program_->mutable_data_segments();
  EMBER_CHECK(mds != nullptr && segments_idx < mds->size(), Error::InvalidProgram,
              "mutable data segment %zu out of range", segments_idx);
  const fb::SubsegmentOffsets* sub = mds->Get(static_cast<uint32_t>(segments_idx));
  EMBER_CHECK(sub->offsets() != nullptr && offset_idx < sub->offsets()->size(),
              Error::InvalidProgram, "mutable data offset %zu out of range", offset_idx);
  Result<Span<const uint8_t>> seg = segment_data(sub->segment_index());
  if (!seg.ok()) return seg.error();
  const uint64_t off = sub->offsets()->Get(static_cast<uint32_t>(offset_idx));
  EMBER_CHECK(off <= seg->size() && nbytes <= seg->size() - off, Error::InvalidProgram,
              "mutable data %zu (%zu bytes at %llu) is outside its %zu-byte segment", offset_idx,
              nbytes, static_cast<unsigned long long>(off), seg->size());
  return static_cast<const void*>(seg->data() + off);
}

}  // namespace ember
