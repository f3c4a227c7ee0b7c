// Order reductions: amax, amin, max.dim, min.dim, max, min, argmax, argmin,
// and the boolean reduction any.
//
// Every kernel plans its reduction with reduce_util.h (any dim order), then
// scans the reduced elements of each output in logical order. As in torch:
// the first NaN wins (values and indices both report it); ties keep the
// first occurrence; reducing over a dim of size 0 is an error (there is no
// identity), except for any, which gives false.
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace portable {
namespace {

/// Writes the extreme value and/or its flat index over the reduced dims
/// (`values`/`indices` may be null; they are outs 1 and 2 of the plan, in
/// that order, when present).
template <typename T, bool kMax>
void extreme(const ReducePlan& plan, const Tensor& self, T* values, int64_t* indices) {
  using C = compute_t<T>;
  const T* in = self.data_as<const T>();
  for_each_output(plan, [&](const int64_t* off) {
    const T* base = in + off[0];
    C best = C();
    int64_t best_i = 0, i = 0;
    bool stop = false;
    for_each_reduced(plan, [&](int64_t e) {
      if (stop) return;
      const C v = static_cast<C>(load(base + e));
      // !(v <= best) is true for a larger v and for NaN: a NaN replaces any
      // value and ends the scan.
      if (i == 0 || (kMax ? !(v <= best) : !(v >= best))) {
        best = v;
        best_i = i;
        stop = v != v;
      }
      ++i;
    });
    int k = 1;
    if (values != nullptr) values[off[k++]] = static_cast<T>(best);
    if (indices != nullptr) indices[off[k]] = best_i;
  });
}

/// Run extreme<T, kMax> on self's dtype; `allow_bool` is false for argmax.
template <bool kMax>
void run_extreme(KernelContext& ctx, const char* op, const ReducePlan& plan, const Tensor& self,
                 Tensor* values, Tensor* indices, bool allow_bool) {
  EMBER_KERNEL_CHECK(ctx, plan.count > 0, InvalidArgument, op,
                     "cannot reduce over a dim of size 0 (input sizes %s): the operation "
                     "has no identity", sizes_text(self.sizes()).text);
  EMBER_KERNEL_CHECK(ctx, allow_bool || self.dtype() != ScalarType::Bool, NotSupported, op,
                     "bool inputs are not supported");
  int64_t* idx = indices ? indices->data_as<int64_t>() : nullptr;
  EMBER_SWITCH_ALL(
      self.dtype(),
      EMBER_KERNEL_CHECK(ctx, false, NotSupported, op, "unsupported dtype %s",
                         scalar_type_name(self.dtype())),
      (extreme<CTYPE, kMax>(plan, self, values ? values->data_as<CTYPE>() : nullptr, idx)));
}

/// amax.out, amin.out: args self, dim (empty = all), keepdim, out, ret.
template <bool kMax>
void amax_kernel(KernelContext& ctx, Span<EValue*> args, const char* op) {
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims = r.int_list(1, "dim");
  const bool keepdim = r.boolean(2, "keepdim");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "out", *out, self->dtype())) return;
  ReducePlan plan;
  const char* names[1] = {"out"};
  if (!plan_reduce(ctx, op, *self, dims, dims.empty(), keepdim, &out, names, 1, &plan)) return;
  run_extreme<kMax>(ctx, op, plan, *self, out, nullptr, true);
}

/// max.dim_max, min.dim_min: args self, dim, keepdim, values, indices, ret.
template <bool kMax>
void max_dim_kernel(KernelContext& ctx, Span<EValue*> args, const char* op) {
  ArgReader r(ctx, args, op, 6);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim = r.integer(1, "dim");
  const bool keepdim = r.boolean(2, "keepdim");
  Tensor* outs[2] = {r.tensor(3, "values"), r.tensor(4, "indices")};
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "values", *outs[0], self->dtype())) return;
  if (!check_dtype(ctx, op, "indices", *outs[1], ScalarType::Long)) return;
  ReducePlan plan;
  const char* names[2] = {"values", "indices"};
  if (!plan_reduce_dim(ctx, op, *self, dim, keepdim, outs, names, 2, &plan)) return;
  run_extreme<kMax>(ctx, op, plan, *self, outs[0], outs[1], true);
}

/// max.unary_out, min.unary_out: args self, out, ret.
template <bool kMax>
void max_all_kernel(KernelContext& ctx, Span<EValue*> args, const char* op) {
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "out", *out, self->dtype())) return;
  ReducePlan plan;
  const char* names[1] = {"out"};
  if (!plan_reduce(ctx, op, *self, {}, true, false, &out, names, 1, &plan)) return;
  run_extreme<kMax>(ctx, op, plan, *self, out, nullptr, true);
}

/// argmax.out, argmin.out: args self, dim? (None = the flattened tensor), keepdim, out, ret.
template <bool kMax>
void argmax_kernel(KernelContext& ctx, Span<EValue*> args, const char* op) {
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  int64_t dim = 0;
  const bool has_dim = r.optional_integer(1, "dim", &dim);
  const bool keepdim = r.boolean(2, "keepdim");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "out", *out, ScalarType::Long)) return;
  ReducePlan plan;
  const char* names[1] = {"out"};
  const bool planned =
      has_dim ? plan_reduce_dim(ctx, op, *self, dim, keepdim, &out, names, 1, &plan)
              : plan_reduce(ctx, op, *self, {}, true, keepdim, &out, names, 1, &plan);
  if (!planned) return;
  run_extreme<kMax>(ctx, op, plan, *self, nullptr, out, false);
}

template <typename T>
void any_nonzero(const ReducePlan& plan, const Tensor& self, Tensor& out) {
  const T* in = self.data_as<const T>();
  // Bool and uint8 results are both one byte of 0 or 1.
  uint8_t* dst = static_cast<uint8_t*>(out.mutable_data());
  for_each_output(plan, [&](const int64_t* off) {
    const T* base = in + off[0];
    bool any = false;
    for_each_reduced(plan, [&](int64_t e) {
      any = any || static_cast<compute_t<T>>(load(base + e)) != compute_t<T>(0);
    });
    dst[off[1]] = any ? 1 : 0;
  });
}

/// any.all_out (args self, out, ret), any.out (self, dim, keepdim, out, ret)
/// and any.dims_out (self, dim?, keepdim, out, ret; unlike sum, None reduces
/// every dim and an empty list none). The result is bool, or uint8 for a
/// uint8 input, as in torch.
void any_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, bool has_dim,
                bool single_dim) {
  ArgReader r(ctx, args, op, has_dim ? 5 : 3);
  Tensor* self = r.tensor(0, "self");
  int64_t dim = 0;
  Span<const int64_t> dims;
  bool has_dims = false, keepdim = false;
  if (has_dim && single_dim) {
    dim = r.integer(1, "dim");
  } else if (has_dim) {
    has_dims = r.optional_int_list(1, "dim", &dims);
  }
  if (has_dim) keepdim = r.boolean(2, "keepdim");
  Tensor* out = r.tensor(has_dim ? 3 : 1, "out");
  if (!r.ok()) return;
  const ScalarType res_t = self->dtype() == ScalarType::Byte ? ScalarType::Byte : ScalarType::Bool;
  if (!check_dtype(ctx, op, "out", *out, res_t)) return;
  ReducePlan plan;
  const char* names[1] = {"out"};
  const bool planned =
      single_dim ? plan_reduce_dim(ctx, op, *self, dim, keepdim, &out, names, 1, &plan)
                 : plan_reduce(ctx, op, *self, dims, !has_dims, keepdim, &out, names, 1, &plan);
  if (!planned) return;
  EMBER_SWITCH_ALL(self->dtype(),
                   EMBER_KERNEL_CHECK(ctx, false, NotSupported, op, "unsupported dtype %s",
                                      scalar_type_name(self->dtype())),
                   any_nonzero<CTYPE>(plan, *self, *out));
}

}  // namespace

void amax_out(KernelContext& ctx, Span<EValue*> args) {
  amax_kernel<true>(ctx, args, "aten::amax.out");
}

void amin_out(KernelContext& ctx, Span<EValue*> args) {
  amax_kernel<false>(ctx, args, "aten::amin.out");
}

void max_dim_max(KernelContext& ctx, Span<EValue*> args) {
  max_dim_kernel<true>(ctx, args, "aten::max.dim_max");
}

void min_dim_min(KernelContext& ctx, Span<EValue*> args) {
  max_dim_kernel<false>(ctx, args, "aten::min.dim_min");
}

void max_unary_out(KernelContext& ctx, Span<EValue*> args) {
  max_all_kernel<true>(ctx, args, "aten::max.unary_out");
}

void min_unary_out(KernelContext& ctx, Span<EValue*> args) {
  max_all_kernel<false>(ctx, args, "aten::min.unary_out");
}

void argmax_out(KernelContext& ctx, Span<EValue*> args) {
  argmax_kernel<true>(ctx, args, "aten::argmax.out");
}

void argmin_out(KernelContext& ctx, Span<EValue*> args) {
  argmax_kernel<false>(ctx, args, "aten::argmin.out");
}

void any_all_out(KernelContext& ctx, Span<EValue*> args) {
  any_kernel(ctx, args, "aten::any.all_out", false, false);
}

void any_out(KernelContext& ctx, Span<EValue*> args) {
  any_kernel(ctx, args, "aten::any.out", true, true);
}

void any_dims_out(KernelContext& ctx, Span<EValue*> args) {
  any_kernel(ctx, args, "aten::any.dims_out", true, false);
}

}  // namespace portable
}  // namespace ember
