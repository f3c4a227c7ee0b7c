// Shared pieces of the reduction and normalisation kernels (op_reduce.cpp,
// op_minmax.cpp, op_softmax.cpp, op_norm.cpp): which dims a reduction covers
// and the two strided walks that visit them, element type traits that treat
// Half and BFloat16 as floating types, and casts that are never undefined.
//
// A reduction kernel:
//   ReducePlan plan;
//   if (!plan_reduce(ctx, op, *self, dims, all_dims, keepdim, outs, names, 1, &plan)) return;
//   for_each_output(plan, [&](const int64_t* off) {   // off[0]: self, off[1..]: outs
//     for_each_reduced(plan, [&](int64_t in_off) { ... self_data[off[0] + in_off] ... });
//   });
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// Cast one element as torch's `.to(Out)` does, without undefined behaviour:
/// to bool is `!= 0`; a float to an integer truncates, wraps through int64 when
/// out of the target's range, and gives the type's minimum for NaN or values
/// beyond int64 (what x86 produces).
template <typename Out, typename In>
Out reduce_cast(In in) {
  using C = compute_t<In>;
  const C x = static_cast<C>(in);
  if constexpr (std::is_same<Out, bool>::value) {
    return x != C(0);
  } else if constexpr (std::is_floating_point<C>::value && std::is_integral<Out>::value) {
    using Lim = std::numeric_limits<Out>;
    if (x >= static_cast<C>(Lim::min()) && x < static_cast<C>(Lim::max())) {
      return static_cast<Out>(x);
    }
    if (x > C(-9.2e18) && x < C(9.2e18)) {
      return static_cast<Out>(static_cast<uint64_t>(static_cast<int64_t>(x)));
    }
    return Lim::min();
  } else if constexpr (std::is_integral<C>::value && std::is_integral<Out>::value) {
    // Integer narrowing wraps (two's complement), as torch's casts do.
    return static_cast<Out>(static_cast<std::make_unsigned_t<Out>>(static_cast<uint64_t>(x)));
  } else {
    return static_cast<Out>(x);
  }
}

/// The kept and reduced index spaces of a reduction of `self`.
struct ReducePlan {
  /// Kept dims: operand 0 is self, operand 1 + i is outs[i].
  StridedLoop outer;
  /// Reduced dims, in logical (row-major) order: operand 0 is self.
  StridedLoop inner;
  /// Elements reduced into each output (1 for a 0-d self).
  int64_t count = 1;
  /// Sizes every output was resized to.
  int64_t out_sizes[kMaxRank] = {};
  int out_ndim = 0;
};

/// Plan a reduction of `self` over `dims` (negative dims wrap; `all_dims`
/// reduces every dim, as an absent or empty dim list does for sum). Resizes
/// each of the `nouts` outputs to the reduced sizes (dims kept as 1 with
/// `keepdim`). Logs and fails the call (InvalidArgument) on a bad or repeated
/// dim or an output that cannot take the sizes.
bool plan_reduce(KernelContext& ctx, const char* op, const Tensor& self, Span<const int64_t> dims,
                 bool all_dims, bool keepdim, Tensor* const* outs, const char* const* names,
                 int nouts, ReducePlan* plan);

/// The same for a reduction over one dim (max.dim, argmax with a dim, ...).
bool plan_reduce_dim(KernelContext& ctx, const char* op, const Tensor& self, int64_t dim,
                     bool keepdim, Tensor* const* outs, const char* const* names, int nouts,
                     ReducePlan* plan);

/// Call fn(offsets) once per output element: offsets[0] is the element offset
/// of its first reduced element in self, offsets[1 + i] its offset in outs[i].
template <typename F>
void for_each_output(const ReducePlan& plan, F&& fn) {
  const int nops = plan.outer.nops;
  plan.outer.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    int64_t o[kMaxOperands];
    for (int64_t i = 0; i < n; ++i) {
      for (int k = 0; k < nops; ++k) o[k] = off[k] + i * st[k];
      fn(static_cast<const int64_t*>(o));
    }
  });
}

/// Call fn(offset) for every element reduced into one output, in logical
/// order (the k-th call is the element with flat index k over the reduced
/// dims); offset is relative to that output's offsets[0].
template <typename F>
void for_each_reduced(const ReducePlan& plan, F&& fn) {
  plan.inner.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t k = 0; k < n; ++k) fn(off[0] + k * st[0]);
  });
}

/// Element `i` of a floating tensor (any of the four float dtypes) as double;
/// for per-channel parameters, where a dtype switch per read is cheap.
double load_double(const Tensor& t, int64_t i);

/// Store `v` into element `i` of a floating tensor (rounded to its dtype).
void store_double(Tensor& t, int64_t i, double v);

/// Check that `t` has a floating dtype; logs and fails with NotSupported if not.
bool check_floating(KernelContext& ctx, const char* op, const char* name, const Tensor& t);

}  // namespace portable
}  // namespace ember
