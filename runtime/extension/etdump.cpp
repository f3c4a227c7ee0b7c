// ETDump writing and reading (see etdump.h): a Profile's events as
// ExecuTorch's profile events, one RunData per run, built with the FlatBuffers
// builder; and a file's profile events back, after the verifier.
#include "runtime/extension/etdump.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "serializer/schema/etdump_generated.h"

namespace ember {
namespace {

/// Chain of every instruction: Ember's methods have one (Method::init
/// refuses more).
constexpr int32_t kChainIndex = 0;
/// ExecuTorch's chain_index of an event outside any instruction.
constexpr int32_t kNoChain = -1;
/// The schema's version field, as ExecuTorch 1.4 writes it.
constexpr uint32_t kEtdumpVersion = 0;
/// Bytes a file may take: FlatBuffers' offsets are signed 32-bit, and the
/// bound below is rough, so keep a margin.
constexpr uint64_t kMaxFileBytes = (uint64_t{1} << 31) - (uint64_t{1} << 24);
/// An upper bound of the bytes one event takes besides its strings: the Event
/// and ProfileEvent tables, their vtables, offsets and alignment.
constexpr uint64_t kEventOverheadBytes = 160;

/// Length of the valid UTF-8 character at s[i..n), or 0 if none starts there.
size_t utf8_char_length(const unsigned char* s, size_t n, size_t i) {
  const unsigned char b = s[i];
  if (b < 0x80) return 1;
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + need >= n) return 0;
  for (size_t k = 1; k <= need; ++k) {
    const unsigned char c = s[i + k];
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return 0;
  }
  return need + 1;
}

/// `name` with every byte that is not part of valid UTF-8 replaced by '?'.
/// Names come from the .pte, untrusted; FlatBuffers strings are UTF-8, and
/// flatc (ExecuTorch's reader) refuses a file with anything else.
std::string utf8_name(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  const auto* s = reinterpret_cast<const unsigned char*>(name.data());
  for (size_t i = 0; i < name.size();) {
    const size_t len = utf8_char_length(s, name.size(), i);
    if (len == 0) {
      out += '?';
      ++i;
    } else {
      out.append(name, i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace

struct EtdumpWriter::State {
  flatbuffers::FlatBufferBuilder builder{1 << 16};
  std::vector<flatbuffers::Offset<etdump::RunData>> runs;
  uint64_t bytes_bound = 64;  // the root table and the run vector
};

EtdumpWriter::EtdumpWriter() : state_(new State) {}
EtdumpWriter::~EtdumpWriter() = default;

size_t EtdumpWriter::num_runs() const { return state_->runs.size(); }

Status EtdumpWriter::add(const Profile& profile, int32_t bundled_input_index) {
  // 1. A bound of the bytes the runs take, then their events by run
  //    (Profile::events holds them run by run, but a hand-made Profile need not).
  const size_t runs = profile.runs;
  uint64_t bound = 0;
  const uint64_t per_run = 64 + 2 * profile.method.size();
  const bool too_many = runs > kMaxFileBytes / per_run;
  if (!too_many) {
    bound = per_run * (runs + 1);
    for (const ProfileEvent& e : profile.events) {
      bound += kEventOverheadBytes + 2 * (e.name.size() + 8);
    }
  }
  if (too_many || state_->bytes_bound + bound > kMaxFileBytes) {
    return {Error::InvalidArgument,
            "etdump: " + std::to_string(runs) + " runs with " +
                std::to_string(profile.events.size()) + " events of method '" + profile.method +
                "' would make the file larger than 2 GiB; profile fewer runs"};
  }
  std::vector<std::vector<const ProfileEvent*>> by_run(runs);
  for (size_t i = 0; i < profile.events.size(); ++i) {
    const ProfileEvent& e = profile.events[i];
    if (e.run >= runs) {
      return {Error::InvalidArgument, "etdump: event " + std::to_string(i) + " ('" + e.name +
                                          "') is of run " + std::to_string(e.run) +
                                          ", but the profile has " + std::to_string(runs)};
    }
    by_run[e.run].push_back(&e);
  }
  state_->bytes_bound += bound;

  // 2. One RunData per run. Names are shared strings: every run repeats them.
  flatbuffers::FlatBufferBuilder& b = state_->builder;
  const std::string method = utf8_name(profile.method);
  std::vector<flatbuffers::Offset<etdump::Event>> events;
  for (const std::vector<const ProfileEvent*>& run : by_run) {
    events.clear();
    for (const ProfileEvent* e : run) {
      const bool whole_run = e->kind == EventKind::Method;
      const bool in_delegate = e->kind == EventKind::DelegateInternal;
      const bool has_id = in_delegate && e->delegate_debug_id != kNoDelegateDebugId;
      const auto name = b.CreateSharedString(whole_run ? kEtdumpRunEventName : utf8_name(e->name));
      // A delegate's event is known by its id (the Inspector names it so): its
      // int id, or its name as a string id when it gave none.
      flatbuffers::Offset<flatbuffers::String> id_str;
      if (in_delegate && !has_id) id_str = name;
      const bool in_instruction = !whole_run && e->debug_handle != kNoDebugHandle;
      const auto event = etdump::CreateProfileEvent(
          b, name, in_instruction ? kChainIndex : kNoChain,
          in_instruction ? e->debug_handle : -1, has_id ? e->delegate_debug_id : -1, id_str,
          /*delegate_debug_metadata=*/0, e->start_ns, e->end_ns);
      events.push_back(etdump::CreateEvent(b, event));
    }
    const auto run_data = etdump::CreateRunData(b, b.CreateSharedString(method),
                                                bundled_input_index, /*allocators=*/0,
                                                b.CreateVector(events));
    state_->runs.push_back(run_data);
  }
  return Status();
}

std::vector<uint8_t> EtdumpWriter::finish() {
  flatbuffers::FlatBufferBuilder& b = state_->builder;
  const auto root = etdump::CreateETDump(b, kEtdumpVersion, b.CreateVector(state_->runs));
  etdump::FinishSizePrefixedETDumpBuffer(b, root);
  std::vector<uint8_t> out(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  state_.reset(new State);
  return out;
}

Status write_etdump(const Profile& profile, std::vector<uint8_t>* out,
                    int32_t bundled_input_index) {
  if (out == nullptr) return {Error::InvalidArgument, "etdump: no buffer to write into"};
  EtdumpWriter writer;
  Status st = writer.add(profile, bundled_input_index);
  if (!st.ok()) return st;
  *out = writer.finish();
  return Status();
}

Status read_etdump(const uint8_t* data, size_t size, std::vector<EtdumpRun>* runs) {
  if (runs == nullptr) return {Error::InvalidArgument, "etdump: no runs to fill"};
  if (data == nullptr && size > 0) return {Error::InvalidArgument, "etdump: no data"};
  // 1. The framing: the identifier at bytes 4..7, or at 8..11 after a size
  //    prefix that fits the data.
  const char* id = etdump::ETDumpIdentifier();
  uint32_t prefix = 0;
  if (size >= 4) std::memcpy(&prefix, data, 4);
  const bool plain = size >= 8 && std::memcmp(data + 4, id, 4) == 0;
  const bool prefixed = !plain && size >= 12 && std::memcmp(data + 8, id, 4) == 0;
  if (!plain && !prefixed) {
    return {Error::VersionMismatch, "etdump: " + std::to_string(size) +
                                        " bytes without the ED00 identifier: not an ETDump"};
  }
  if (prefixed && prefix > size - 4) {
    return {Error::InvalidProgram, "etdump: truncated: the size prefix says " +
                                       std::to_string(prefix) + " bytes follow it, the data has " +
                                       std::to_string(size - 4)};
  }
  // 2. The verifier over the whole buffer; tables take at least 4 bytes, so
  //    size / 4 bounds their count whatever the file's length.
  const size_t length = prefixed ? size_t{prefix} + 4 : size;
  if (length >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return {Error::InvalidProgram, "etdump: " + std::to_string(length) +
                                       " bytes: larger than a FlatBuffer can be"};
  }
  flatbuffers::Verifier verifier(data, length, /*max_depth=*/64,
                                 /*max_tables=*/static_cast<flatbuffers::uoffset_t>(
                                     std::min<size_t>(length / 4 + 64, 0x7fffffff)));
  const bool valid = prefixed ? etdump::VerifySizePrefixedETDumpBuffer(verifier)
                              : etdump::VerifyETDumpBuffer(verifier);
  if (!valid) {
    return {Error::InvalidProgram, "etdump: the FlatBuffers verifier refuses the file (" +
                                       std::to_string(size) + " bytes): truncated or damaged"};
  }
  // 3. The runs' profile events.
  const etdump::ETDump* root =
      prefixed ? etdump::GetSizePrefixedETDump(data) : etdump::GetETDump(data);
  auto text = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
  std::vector<EtdumpRun> out;
  if (root->run_data() != nullptr) {
    for (const etdump::RunData* rd : *root->run_data()) {
      EtdumpRun run;
      run.name = text(rd->name());
      run.bundled_input_index = rd->bundled_input_index();
      if (rd->events() != nullptr) {
        for (const etdump::Event* ev : *rd->events()) {
          const etdump::ProfileEvent* pe = ev->profile_event();
          if (pe == nullptr) continue;
          EtdumpEvent e;
          e.name = text(pe->name());
          e.chain_index = pe->chain_index();
          e.instruction_id = pe->instruction_id();
          e.delegate_debug_id_int = pe->delegate_debug_id_int();
          e.delegate_debug_id_str = text(pe->delegate_debug_id_str());
          e.start_time = pe->start_time();
          e.end_time = pe->end_time();
          run.events.push_back(std::move(e));
        }
      }
      out.push_back(std::move(run));
    }
  }
  *runs = std::move(out);
  return Status();
}

}  // namespace ember
