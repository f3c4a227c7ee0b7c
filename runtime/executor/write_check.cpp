// The load-time write check (see write_check.h).
//
// 1. Every tensor value gets an origin: -1 if its memory is writable, else
//    the read-only value whose memory it is or may come to share.
// 2. Moves and views spread origins until nothing changes: after a Move b <- a
//    value b holds a's tensor, after a view it shares its argument's bytes.
// 3. Every write target must have origin -1.
#include "runtime/executor/write_check.h"

#include <cstdio>

#include "runtime/executor/delegate.h"
#include "runtime/executor/method_meta.h"
#include "runtime/executor/value_table.h"
#include "runtime/kernel/kernel.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace {

constexpr int32_t kWritable = -1;

/// Why a read-only value is read-only, for the message.
const char* read_only_reason(const fb::ExecutionPlan* plan, int32_t origin) {
  const fb::Tensor* t = plan->values()->Get(static_cast<uint32_t>(origin))->val_as_Tensor();
  if (t != nullptr && t->allocation_info() == nullptr && t->data_buffer_idx() > 0) {
    return "a constant (the program's read-only data)";
  }
  return "an unplanned input (the caller's memory, only read)";
}

class Checker {
 public:
  Checker(const WriteCheckInput& in, int32_t* origin) : in_(in), origin_(origin) {}

  void classify() {
    for (size_t v = 0; v < in_.num_values; ++v) {
      origin_[v] = read_only(static_cast<int32_t>(v)) ? static_cast<int32_t>(v) : kWritable;
    }
  }

  void propagate() {
    // Each round either marks a value or stops; a value is marked once.
    for (size_t round = 0; round <= in_.num_values; ++round) {
      bool changed = false;
      for (size_t pc = 0; pc < in_.num_steps; ++pc) {
        const Method::Step& s = in_.steps[pc];
        if (s.kind == Method::Step::Move) {
          changed |= spread(s.a, s.b);
        } else if (s.kind == Method::Step::Kernel && s.writes != nullptr &&
                   s.writes->result_aliases >= 0 && s.num_args > 0 &&
                   static_cast<uint32_t>(s.writes->result_aliases) < s.num_args) {
          changed |= spread(index_of(s.args[s.writes->result_aliases]),
                            index_of(s.args[s.num_args - 1]));
        }
      }
      if (!changed) return;
    }
  }

  Error check() {
    for (size_t i = 0; i < in_.num_inputs; ++i) {
      // set_input copies into a planned (or constant) input slot; an unplanned
      // one is bound to the caller's memory instead.
      const int32_t v = in_.inputs[i];
      if (!in_.input_planned[i] || origin_[v] == kWritable) continue;
      if (origin_[v] == v) {
        EMBER_LOG(Error, "input %zu is value %d, %s: set_input would write into it", i,
                  static_cast<int>(v), read_only_reason(in_.plan, v));
      } else {
        EMBER_LOG(Error, "input %zu is value %d, which a Move can make share value %d, %s: "
                  "set_input would write into it", i, static_cast<int>(v),
                  static_cast<int>(origin_[v]), read_only_reason(in_.plan, origin_[v]));
      }
      return Error::InvalidProgram;
    }
    for (size_t pc = 0; pc < in_.num_steps; ++pc) {
      const Method::Step& s = in_.steps[pc];
      switch (s.kind) {
        case Method::Step::Kernel: {
          for (uint32_t k = 0; k < s.num_args; ++k) {
            if (kernel_writes(s, k)) EMBER_TRY(check_target(pc, s, k));
          }
          break;
        }
        case Method::Step::Delegate: {
          const DelegateState& d = in_.delegates[s.a];
          Result<size_t> outs = d.backend->num_outputs(d.handle);
          uint32_t first = 0;  // a backend that does not say: every argument may be written
          if (outs.ok()) {
            if (*outs > s.num_args) {
              char what[kWhatSize];
              describe(pc, s, what);
              EMBER_LOG(Error, "%s: the call has %u arguments, the delegate has %zu outputs", what,
                        s.num_args, *outs);
              return Error::InvalidProgram;
            }
            first = s.num_args - static_cast<uint32_t>(*outs);
          }
          for (uint32_t k = first; k < s.num_args; ++k) EMBER_TRY(check_target(pc, s, k));
          break;
        }
        case Method::Step::Move: {
          const EValue& from = in_.values[s.a];
          const EValue& to = in_.values[s.b];
          if (from.tag != to.tag) {
            EMBER_LOG(Error, "instruction %zu (Move): value %d and value %d are of different kinds",
                      pc, static_cast<int>(s.a), static_cast<int>(s.b));
            return Error::InvalidProgram;
          }
          // The slot itself must be writable memory; what it holds after the
          // move (maybe a constant's tensor) is checked where it is written.
          if (to.is_tensor() && read_only(s.b)) {
            EMBER_LOG(Error, "instruction %zu (Move) writes its destination, value %d, which is %s",
                      pc, static_cast<int>(s.b), read_only_reason(in_.plan, s.b));
            return Error::InvalidProgram;
          }
          break;
        }
        default:
          break;
      }
    }
    return Error::Ok;
  }

 private:
  /// Whether value v's own memory is read-only: a constant, or an unplanned
  /// input (bound to the caller's memory). Planned tensors, unplanned outputs
  /// (bound by the caller to writable memory), empty tensors and non-tensors
  /// are writable.
  bool read_only(int32_t v) const {
    if (is_constant_tensor(in_.plan, static_cast<size_t>(v))) return true;
    const fb::Tensor* t = in_.plan->values()->Get(static_cast<uint32_t>(v))->val_as_Tensor();
    if (t == nullptr || t->allocation_info() != nullptr) return false;
    return is_listed(in_.inputs, in_.num_inputs, static_cast<size_t>(v));
  }

  static bool is_listed(const int32_t* list, size_t n, size_t v) {
    for (size_t k = 0; k < n; ++k) {
      if (list[k] == static_cast<int32_t>(v)) return true;
    }
    return false;
  }

  int32_t index_of(const EValue* v) const { return static_cast<int32_t>(v - in_.values); }

  /// Mark `to` with `from`'s origin if `from` is read-only and `to` is not yet.
  bool spread(int32_t from, int32_t to) {
    if (origin_[from] == kWritable || origin_[to] != kWritable) return false;
    origin_[to] = origin_[from];
    return true;
  }

  /// Whether the kernel of `s` writes argument k.
  static bool kernel_writes(const Method::Step& s, uint32_t k) {
    if (s.writes == nullptr) return true;  // unknown operator: assume the worst
    // A result is written, unless it is a view (it then shares an argument's bytes).
    if (k >= s.writes->num_schema_args) return s.writes->result_aliases < 0;
    return (s.writes->written_args >> k) & 1u;
  }

  /// The first value `arg` names (a tensor, or the tensors of a list) that
  /// is read-only, or kWritable.
  int32_t first_read_only(const EValue* arg) const {
    if (arg->is_tensor()) return origin_[index_of(arg)] == kWritable ? kWritable : index_of(arg);
    if (arg->tag == Tag::TensorList || arg->tag == Tag::OptionalTensorList) {
      const auto& list = arg->payload.as_tensor_list;
      for (size_t i = 0; i < list.size; ++i) {
        if (list.items[i] != nullptr && origin_[index_of(list.items[i])] != kWritable) {
          return index_of(list.items[i]);
        }
      }
    }
    return kWritable;
  }

  static constexpr size_t kWhatSize = 320;

  /// "instruction 3 (aten::relu.out)" or "instruction 3 (delegate 0, backend X)".
  void describe(size_t pc, const Method::Step& s, char (&what)[kWhatSize]) const {
    if (s.kind == Method::Step::Delegate) {
      std::snprintf(what, kWhatSize, "instruction %zu (delegate %d, backend %s)", pc,
                    static_cast<int>(s.a), in_.delegates[s.a].id);
      return;
    }
    Result<OperatorName> op = MethodMeta(in_.plan).operator_name(static_cast<size_t>(s.a));
    std::snprintf(what, kWhatSize, "instruction %zu (%s%s%s)", pc, op.ok() ? op->name : "?",
                  op.ok() && op->overload[0] != '\0' ? "." : "", op.ok() ? op->overload : "");
  }

  /// Argument k of step `s`, which the step writes, must be writable.
  Error check_target(size_t pc, const Method::Step& s, uint32_t k) const {
    const int32_t v = first_read_only(s.args[k]);
    if (v == kWritable) return Error::Ok;
    char what[kWhatSize];
    describe(pc, s, what);
    const int32_t origin = origin_[v];
    if (origin == v) {
      EMBER_LOG(Error, "%s writes argument %u, value %d, which is %s", what, k,
                static_cast<int>(v), read_only_reason(in_.plan, origin));
    } else {
      EMBER_LOG(Error, "%s writes argument %u, value %d, which a Move or a view makes share value "
                "%d, %s", what, k, static_cast<int>(v), static_cast<int>(origin),
                read_only_reason(in_.plan, origin));
    }
    return Error::InvalidProgram;
  }

  const WriteCheckInput& in_;
  int32_t* origin_;
};

}  // namespace

size_t write_check_memory_bound(size_t num_values) { return num_values * sizeof(int32_t) + 8; }

Error check_write_targets(const WriteCheckInput& in, MemoryAllocator* allocator) {
  if (in.num_values == 0) return Error::Ok;
  int32_t* origin = allocator->allocate_array<int32_t>(in.num_values);
  EMBER_CHECK(origin != nullptr, Error::MemoryAllocationFailed,
              "method allocator exhausted checking write targets (%zu values)", in.num_values);
  Checker c(in, origin);
  c.classify();
  c.propagate();
  return c.check();
}

}  // namespace ember
