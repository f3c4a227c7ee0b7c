// Choosing structural mutations (see pte_mutator.h): the deterministic
// campaign of the strictness test, libFuzzer's random pick, and the names
// they are reported by.
#include <cstdio>
#include <utility>

#include "runtime/fuzz/pte_mutator.h"

namespace ember {
namespace fuzz {
namespace {

/// Pick up to `k` distinct members of `pool` (deterministic partial shuffle).
std::vector<int32_t> sample(std::vector<int32_t> pool, size_t k, Rng& rng) {
  if (pool.size() <= k) return pool;
  for (size_t i = 0; i < k; ++i) std::swap(pool[i], pool[i + rng.below(pool.size() - i)]);
  pool.resize(k);
  return pool;
}

std::vector<std::vector<int32_t>> members_by_class(const PlanMap& pm) {
  std::vector<std::vector<int32_t>> by(static_cast<size_t>(ValueClass::kCount));
  for (size_t i = 0; i < pm.values.size(); ++i) {
    by[static_cast<size_t>(pm.values[i].cls)].push_back(static_cast<int32_t>(i));
  }
  return by;
}

ValueClass class_of(const ProgramMap& map, uint32_t plan, int64_t v) {
  const PlanMap& pm = map.plans[plan];
  return v >= 0 && static_cast<size_t>(v) < pm.values.size() ? pm.values[static_cast<size_t>(v)].cls
                                                             : ValueClass::Other;
}

}  // namespace

const char* value_class_name(ValueClass c) {
  static const char* const names[] = {
      "Constant", "Planned", "Mutable", "Unplanned", "Null", "Int", "Bool", "Double", "String",
      "IntList", "DoubleList", "BoolList", "TensorList", "OptionalTensorList", "Other"};
  return c < ValueClass::kCount ? names[static_cast<size_t>(c)] : "?";
}

const char* site_kind_name(SiteKind k) {
  static const char* const names[] = {
      "KernelArg", "DelegateArg", "Input", "Output", "MoveFrom", "MoveTo", "JumpCond",
      "FreeValue", "TensorListItem", "OptionalTensorListItem", "IntListItem"};
  return k < SiteKind::kCount ? names[static_cast<size_t>(k)] : "?";
}

const char* swap_name(Swap s) {
  static const char* const names[] = {"Constant", "Planned", "Mutable", "Unplanned", "Null",
                                      "Int", "Bool", "Double", "IntList", "TensorList"};
  return s < Swap::kCount ? names[static_cast<size_t>(s)] : "?";
}

std::string category(const ProgramMap& map, const StructuralMutation& m) {
  char buf[96];
  switch (m.op) {
    case StructuralMutation::Rewire: {
      const IndexSite& s = map.sites[m.site];
      std::snprintf(buf, sizeof buf, "%s->%s", site_kind_name(s.kind),
                    value_class_name(class_of(map, s.plan, m.target)));
      break;
    }
    case StructuralMutation::SwapValue:
      std::snprintf(buf, sizeof buf, "swap %s->%s",
                    value_class_name(class_of(map, m.plan, m.target)), swap_name(m.swap));
      break;
    case StructuralMutation::InsertMove:
      std::snprintf(buf, sizeof buf, "insert Move %s->%s",
                    value_class_name(class_of(map, m.plan, m.target)),
                    value_class_name(class_of(map, m.plan, m.to)));
      break;
    case StructuralMutation::InsertJumpFalse:
      std::snprintf(buf, sizeof buf, "insert JumpFalse cond %s",
                    value_class_name(class_of(map, m.plan, m.target)));
      break;
  }
  return buf;
}

std::string describe(const ProgramMap& map, const StructuralMutation& m) {
  char buf[160];
  switch (m.op) {
    case StructuralMutation::Rewire: {
      const IndexSite& s = map.sites[m.site];
      char where[48];
      if (s.kind == SiteKind::Input || s.kind == SiteKind::Output) {
        std::snprintf(where, sizeof where, "%s %u", s.kind == SiteKind::Input ? "input" : "output",
                      s.pos);
      } else if (s.kind == SiteKind::KernelArg || s.kind == SiteKind::DelegateArg) {
        std::snprintf(where, sizeof where, "instruction %u argument %u", s.owner, s.pos);
      } else if (s.kind <= SiteKind::FreeValue) {
        std::snprintf(where, sizeof where, "instruction %u", s.owner);
      } else {
        std::snprintf(where, sizeof where, "list value %u item %u", s.owner, s.pos);
      }
      std::snprintf(buf, sizeof buf, " (plan %u, %s: value %lld -> %lld)", s.plan, where,
                    static_cast<long long>(s.value), static_cast<long long>(m.target));
      break;
    }
    case StructuralMutation::SwapValue:
      std::snprintf(buf, sizeof buf, " (plan %u, value %lld)", m.plan,
                    static_cast<long long>(m.target));
      break;
    case StructuralMutation::InsertMove:
      std::snprintf(buf, sizeof buf, " (plan %u, before instruction %u: values %lld -> %d)", m.plan,
                    m.pc, static_cast<long long>(m.target), m.to);
      break;
    case StructuralMutation::InsertJumpFalse:
      std::snprintf(buf, sizeof buf, " (plan %u, before instruction %u: cond value %lld, to %d)",
                    m.plan, m.pc, static_cast<long long>(m.target), m.to);
      break;
  }
  return category(map, m) + buf;
}

std::vector<StructuralMutation> plan_campaign(const ProgramMap& map, uint64_t seed,
                                              size_t per_class) {
  std::vector<StructuralMutation> out;
  Rng rng{seed};
  std::vector<std::vector<std::vector<int32_t>>> by_plan;
  for (const PlanMap& pm : map.plans) by_plan.push_back(members_by_class(pm));
  // 1. Rewire every site to sampled values of every class.
  for (uint32_t i = 0; i < map.sites.size(); ++i) {
    const IndexSite& s = map.sites[i];
    for (const std::vector<int32_t>& members : by_plan[s.plan]) {
      for (int32_t target : sample(members, per_class, rng)) {
        if (target == s.value) continue;
        StructuralMutation m;
        m.op = StructuralMutation::Rewire;
        m.site = i;
        m.target = target;
        out.push_back(m);
      }
    }
  }
  for (uint32_t p = 0; p < map.plans.size(); ++p) {
    const PlanMap& pm = map.plans[p];
    // 2. Every value swapped to every other kind (build_swapped skips no-ops).
    for (uint32_t v = 0; v < pm.values.size(); ++v) {
      for (uint8_t s = 0; s < static_cast<uint8_t>(Swap::kCount); ++s) {
        StructuralMutation m;
        m.op = StructuralMutation::SwapValue;
        m.plan = p;
        m.target = v;
        m.swap = static_cast<Swap>(s);
        out.push_back(m);
      }
    }
    // 3b. Moves between sampled members of every pair of classes, and
    //     JumpFalses on every class, at the start, middle and end.
    if (pm.instructions_slot == 0) continue;
    const uint32_t n = static_cast<uint32_t>(pm.instructions.size());
    // 3a. Every constant moved into every other tensor of its byte size, so
    //     that whatever later writes that tensor writes the constant.
    for (int32_t from : by_plan[p][static_cast<size_t>(ValueClass::Constant)]) {
      for (uint32_t to = 0; to < pm.values.size(); ++to) {
        const ValueInfo& t = pm.values[to];
        if (static_cast<int32_t>(to) == from || !is_tensor_class(t.cls) ||
            t.nbytes != pm.values[static_cast<size_t>(from)].nbytes) {
          continue;
        }
        StructuralMutation m;
        m.op = StructuralMutation::InsertMove;
        m.plan = p;
        m.target = from;
        m.to = static_cast<int32_t>(to);
        out.push_back(m);
      }
    }
    std::vector<uint32_t> pcs = {0};
    if (n / 2 != 0) pcs.push_back(n / 2);
    if (n != 0 && n != n / 2) pcs.push_back(n);
    for (uint32_t pc : pcs) {
      for (const std::vector<int32_t>& from : by_plan[p]) {
        for (const std::vector<int32_t>& to : by_plan[p]) {
          if (from.empty() || to.empty()) continue;
          StructuralMutation m;
          m.op = StructuralMutation::InsertMove;
          m.plan = p;
          m.pc = pc;
          m.target = from[rng.below(from.size())];
          m.to = to[rng.below(to.size())];
          if (m.target != m.to) out.push_back(m);
        }
      }
      for (const std::vector<int32_t>& cond : by_plan[p]) {
        if (cond.empty()) continue;
        for (uint32_t dest : {pc + 1, n + 1}) {
          StructuralMutation m;
          m.op = StructuralMutation::InsertJumpFalse;
          m.plan = p;
          m.pc = pc;
          m.target = cond[rng.below(cond.size())];
          m.to = static_cast<int32_t>(dest);
          out.push_back(m);
        }
      }
    }
  }
  return out;
}

bool random_mutation(const ProgramMap& map, Rng& rng, StructuralMutation* out) {
  if (map.plans.empty()) return false;
  StructuralMutation m;
  const size_t dice = rng.below(20);
  m.plan = static_cast<uint32_t>(rng.below(map.plans.size()));
  const PlanMap& pm = map.plans[m.plan];
  if (pm.values.empty()) return false;
  const int32_t nv = static_cast<int32_t>(pm.values.size());
  if (dice < 12 && !map.sites.empty()) {
    m.op = StructuralMutation::Rewire;
    m.site = static_cast<uint32_t>(rng.below(map.sites.size()));
    const PlanMap& site_plan = map.plans[map.sites[m.site].plan];
    if (site_plan.values.empty()) return false;
    m.target = static_cast<int64_t>(rng.below(site_plan.values.size()));
  } else if (dice < 17) {
    m.op = StructuralMutation::SwapValue;
    m.target = static_cast<int64_t>(rng.below(pm.values.size()));
    m.swap = static_cast<Swap>(rng.below(static_cast<size_t>(Swap::kCount)));
  } else {
    if (pm.instructions_slot == 0) return false;
    const uint32_t n = static_cast<uint32_t>(pm.instructions.size());
    m.op = dice < 19 ? StructuralMutation::InsertMove : StructuralMutation::InsertJumpFalse;
    m.pc = static_cast<uint32_t>(rng.below(n + 1));
    m.target = static_cast<int64_t>(rng.below(pm.values.size()));
    m.to = m.op == StructuralMutation::InsertMove
               ? static_cast<int32_t>(rng.below(static_cast<size_t>(nv)))
               : static_cast<int32_t>(m.pc + 1 + rng.below(n + 1 - m.pc));
  }
  *out = m;
  return true;
}

}  // namespace fuzz
}  // namespace ember
