// Shared pieces of the reduction kernels (see reduce_util.h).
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace portable {

namespace {

/// Steps 2 and 3 of a plan once the reduced dims are known: output sizes,
/// resizing, and the two walks.
bool finish_plan(KernelContext& ctx, const char* op, const Tensor& self, const bool* reduced,
                 bool keepdim, Tensor* const* outs, const char* const* names, int nouts,
                 ReducePlan* plan) {
  const int ndim = self.dim();
  plan->out_ndim = 0;
  for (int d = 0; d < ndim; ++d) {
    if (!reduced[d]) {
      plan->out_sizes[plan->out_ndim++] = self.size(d);
    } else if (keepdim) {
      plan->out_sizes[plan->out_ndim++] = 1;
    }
  }
  for (int i = 0; i < nouts; ++i) {
    if (!resize_out(ctx, op, names[i], *outs[i], plan->out_sizes, plan->out_ndim)) return false;
  }

  // Kept dims walk self and every out; reduced dims walk self alone.
  int64_t kept_sizes[kMaxRank], red_sizes[kMaxRank], red_strides[kMaxRank];
  int64_t kept_strides[kMaxOperands][kMaxRank];
  int kept = 0, red = 0, out_d = 0;
  plan->count = 1;
  for (int d = 0; d < ndim; ++d) {
    if (reduced[d]) {
      red_sizes[red] = self.size(d);
      red_strides[red++] = self.stride(d);
      // Saturates rather than overflows (sizes of an empty tensor may be huge).
      if (__builtin_mul_overflow(plan->count, static_cast<int64_t>(self.size(d)), &plan->count)) {
        plan->count = INT64_MAX;
      }
      if (keepdim) ++out_d;
    } else {
      kept_sizes[kept] = self.size(d);
      kept_strides[0][kept] = self.stride(d);
      for (int i = 0; i < nouts; ++i) kept_strides[1 + i][kept] = outs[i]->stride(out_d);
      ++kept;
      ++out_d;
    }
  }
  const int64_t* outer_strides[kMaxOperands];
  for (int i = 0; i <= nouts; ++i) outer_strides[i] = kept_strides[i];
  plan->outer.init(kept, kept_sizes, 1 + nouts, outer_strides);
  const int64_t* inner_strides[1] = {red_strides};
  plan->inner.init(red, red_sizes, 1, inner_strides);
  return true;
}

}  // namespace

bool plan_reduce(KernelContext& ctx, const char* op, const Tensor& self, Span<const int64_t> dims,
                 bool all_dims, bool keepdim, Tensor* const* outs, const char* const* names,
                 int nouts, ReducePlan* plan) {
  if (nouts < 1 || nouts >= kMaxOperands) {
    return kernel_fail(ctx, Error::Internal, op, "internal: %d outputs", nouts);
  }
  // 1. Which dims are reduced (a 0-d tensor accepts dims 0 and -1 and reduces nothing).
  const int ndim = self.dim();
  bool reduced[kMaxRank] = {};
  for (size_t i = 0; i < dims.size() && !all_dims; ++i) {
    int64_t d = 0;
    if (!normalize_dim(dims[i], ndim, &d)) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "dim %lld is out of range for a %d-d tensor",
                         static_cast<long long>(dims[i]), ndim);
    }
    if (ndim == 0) continue;
    if (reduced[d]) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "dim %lld appears more than once in the list of dims",
                         static_cast<long long>(d));
    }
    reduced[d] = true;
  }
  for (int d = 0; d < ndim && all_dims; ++d) reduced[d] = true;
  return finish_plan(ctx, op, self, reduced, keepdim, outs, names, nouts, plan);
}

bool plan_reduce_dim(KernelContext& ctx, const char* op, const Tensor& self, int64_t dim,
                     bool keepdim, Tensor* const* outs, const char* const* names, int nouts,
                     ReducePlan* plan) {
  return plan_reduce(ctx, op, self, Span<const int64_t>(&dim, 1), false, keepdim, outs, names,
                     nouts, plan);
}

double load_double(const Tensor& t, int64_t i) {
  const int64_t off = t.dim() == 0 ? 0 : i * t.stride(0);
  EMBER_SWITCH_FLOAT(t.dtype(), return 0.0,
                     return static_cast<double>(static_cast<compute_t<CTYPE>>(
                         t.data_as<const CTYPE>()[off])));
  return 0.0;
}

void store_double(Tensor& t, int64_t i, double v) {
  const int64_t off = t.dim() == 0 ? 0 : i * t.stride(0);
  EMBER_SWITCH_FLOAT(
      t.dtype(), return,
      t.data_as<CTYPE>()[off] = static_cast<CTYPE>(static_cast<compute_t<CTYPE>>(v)));
}

bool check_floating(KernelContext& ctx, const char* op, const char* name, const Tensor& t) {
  if (is_floating_type(t.dtype())) return true;
  return kernel_fail(ctx, Error::NotSupported, op,
                     "%s has dtype %s, expected a floating dtype (float32, float64, float16 or "
                     "bfloat16)", name, scalar_type_name(t.dtype()));
}

}  // namespace portable
}  // namespace ember
