// Structural mutations of a valid .pte, shared by the strictness test
// (tests/runtime/test_fuzz_structural.cpp) and the libFuzzer target's custom
// mutator (pte_fuzzer.cpp). Byte-level mutations almost always break the
// flatbuffer; these keep it verifiable and change what the program means:
//
//   - Rewire: any value index the format stores (kernel and delegate call
//     arguments, method inputs and outputs, Move from/to, JumpFalse
//     conditions, Free, list items) is rewritten in place to another valid
//     value index, e.g. a kernel's `out` made a constant.
//   - Swap: a value is replaced by one of another kind or storage (a planned
//     tensor made constant with the same shape, a tensor made an Int, ...).
//     The new EValue table is appended to the flatbuffer part and the plan's
//     values vector entry pointed at it; the segments move behind it.
//   - Insert: a Move or JumpFalse instruction is inserted into the chain (the
//     instruction vector is rebuilt and appended the same way).
//
// Tool code (heap, std::vector): never linked into the runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ember {
namespace fuzz {

/// splitmix64: a small deterministic random stream.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

/// What a value is: its kind, and for tensors where its storage comes from.
enum class ValueClass : uint8_t {
  Constant,   ///< data_buffer_idx > 0, no allocation_info: bytes of the program
  Planned,    ///< allocation_info, no initial value
  Mutable,    ///< allocation_info and an initial value (a mutable buffer)
  Unplanned,  ///< neither: memory bound by the caller (method inputs, outputs)
  Null, Int, Bool, Double, String, IntList, DoubleList, BoolList, TensorList, OptionalTensorList,
  Other,
  kCount
};
const char* value_class_name(ValueClass c);
inline bool is_tensor_class(ValueClass c) { return c <= ValueClass::Unplanned; }

/// Where a value index is stored.
enum class SiteKind : uint8_t {
  KernelArg, DelegateArg, Input, Output, MoveFrom, MoveTo, JumpCond, FreeValue,
  TensorListItem, OptionalTensorListItem, IntListItem,
  kCount
};
const char* site_kind_name(SiteKind k);

/// One stored value index: file offset, width (4, or 8 for IntList items).
struct IndexSite {
  size_t at = 0;
  uint8_t width = 4;
  SiteKind kind = SiteKind::KernelArg;
  uint32_t plan = 0;
  uint32_t owner = 0;  ///< instruction index, or the list's value index, or 0 for inputs/outputs
  uint32_t pos = 0;    ///< argument or item position
  int64_t value = 0;   ///< the index stored there now
};

/// One instruction, decoded (to rebuild the chain with an insertion).
struct InstructionInfo {
  uint8_t kind = 0;  ///< wire InstructionArguments value
  int32_t a = 0;     ///< op index, delegate index, move_from, cond, or freed value
  int32_t b = 0;     ///< move_to or jump destination
  std::vector<int32_t> args;
};

/// One value of a plan.
struct ValueInfo {
  ValueClass cls = ValueClass::Other;
  size_t slot = 0;  ///< file offset of its entry in ExecutionPlan.values
  uint32_t data_buffer_idx = 0;
  size_t nbytes = 0;  ///< tensors: bytes at the stored sizes (0 if unknown dtype)
};

struct PlanMap {
  std::vector<ValueInfo> values;
  std::vector<InstructionInfo> instructions;
  size_t instructions_slot = 0;  ///< file offset of Chain 0's instructions field (0: none)
  bool has_mutable_data = false;
};

/// Everything the mutations need to know about a valid program.
struct ProgramMap {
  std::vector<PlanMap> plans;
  std::vector<IndexSite> sites;
  size_t flat_size = 0;  ///< bytes of the flatbuffer part (program_size)
  bool extended_header = false;
  uint64_t segment_base = 0;
};

/// Map `file`: header, verifier, then every index site and value. False (and
/// nothing mapped) when the bytes are not a verifiable program.
bool map_program(const uint8_t* file, size_t size, ProgramMap* out);

/// How a value is swapped for another.
enum class Swap : uint8_t {
  ToConstant,   ///< same dtype and shape, data_buffer_idx of a constant big enough
  ToPlanned,    ///< same dtype and shape, planned at offset 0 of buffer 1
  ToMutable,    ///< planned with an initial value (needs mutable data in the program)
  ToUnplanned,  ///< no storage: the caller must bind it
  ToNull, ToInt, ToBool, ToDouble, ToIntList, ToTensorList,
  kCount
};
const char* swap_name(Swap s);

/// One structural mutation.
struct StructuralMutation {
  enum Op : uint8_t { Rewire, SwapValue, InsertMove, InsertJumpFalse } op = Rewire;
  uint32_t site = 0;   ///< Rewire: index into ProgramMap::sites
  uint32_t plan = 0;   ///< the others: the plan
  int64_t target = 0;  ///< Rewire: new index; SwapValue: the value; InsertMove: from; JumpFalse: cond
  int32_t to = 0;      ///< InsertMove: move_to; InsertJumpFalse: destination
  uint32_t pc = 0;     ///< Insert*: position of the new instruction
  Swap swap = Swap::ToConstant;
};

/// "KernelArg->Constant", "Swap Planned->ToConstant", "Move Constant->Planned",
/// "JumpFalse cond Bool": the campaign's reporting key.
std::string category(const ProgramMap& map, const StructuralMutation& m);
/// The category plus the exact place (for failure messages).
std::string describe(const ProgramMap& map, const StructuralMutation& m);

/// The mutated file. False when the mutation does not apply (a swap to
/// mutable data in a program without any, a value kind with no swap).
bool apply(const std::vector<uint8_t>& file, const ProgramMap& map, const StructuralMutation& m,
           std::vector<uint8_t>* out);

/// A deterministic sampled campaign: every index site rewired to up to
/// `per_class` values of each value class present in its plan, every value
/// swapped to every other storage and kind, every constant moved into every
/// tensor of its byte size, and Moves and JumpFalses inserted at the start,
/// middle and end of the chain between sampled values of every class.
std::vector<StructuralMutation> plan_campaign(const ProgramMap& map, uint64_t seed,
                                              size_t per_class);

/// One random structural mutation (libFuzzer's custom mutator). False if the
/// program has nothing to mutate.
bool random_mutation(const ProgramMap& map, Rng& rng, StructuralMutation* out);

}  // namespace fuzz
}  // namespace ember
