// Reductions over a list of dims: mean.out and sum.IntList_out.
//
// 1. Split the input dims into kept and reduced ones (no dims, or an empty
//    list, reduces everything; negative dims wrap).
// 2. Walk the kept dims (strided, any dim order) and for each output
//    element walk the reduced dims, accumulating in double (float results)
//    or int64 (integer results).
#include <cmath>
#include <type_traits>

#include "runtime/kernels/portable/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// The kept and reduced index spaces of one reduction.
struct ReducePlan {
  int kept_ndim = 0, red_ndim = 0;
  int64_t kept_sizes[kMaxRank], kept_out_strides[kMaxRank], kept_in_strides[kMaxRank];
  int64_t red_sizes[kMaxRank], red_in_strides[kMaxRank];
  int64_t count = 1;  // elements reduced into each output
};

template <typename In, typename Out>
void reduce(const ReducePlan& plan, const Tensor& self, Tensor& out, bool mean) {
  using Acc = typename std::conditional<std::is_floating_point<Out>::value, double, int64_t>::type;
  const In* in = self.data_as<const In>();
  Out* dst = out.data_as<Out>();
  const int64_t* outer_strides[2] = {plan.kept_out_strides, plan.kept_in_strides};
  StridedLoop outer;
  outer.init(plan.kept_ndim, plan.kept_sizes, 2, outer_strides);
  const int64_t* inner_strides[1] = {plan.red_in_strides};
  StridedLoop inner;
  inner.init(plan.red_ndim, plan.red_sizes, 1, inner_strides);
  outer.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; ++i) {
      const In* base = in + off[1] + i * st[1];
      Acc acc = 0;
      inner.run([&](const int64_t* ioff, int64_t m, const int64_t* ist) {
        const In* row = base + ioff[0];
        if (ist[0] == 1) {
          for (int64_t k = 0; k < m; ++k) acc += static_cast<Acc>(load(row + k));
        } else {
          for (int64_t k = 0; k < m; ++k) acc += static_cast<Acc>(load(row + k * ist[0]));
        }
      });
      Out v;
      if (mean) {
        v = static_cast<Out>(static_cast<double>(acc) / static_cast<double>(plan.count));
      } else if constexpr (std::is_floating_point<Out>::value) {
        v = static_cast<Out>(acc);
      } else {
        v = static_cast<Out>(static_cast<uint64_t>(acc));  // wraps as torch does
      }
      dst[off[0] + i * st[0]] = v;
    }
  });
}

bool is_integral(ScalarType t) {
  return t == ScalarType::Int || t == ScalarType::Long || t == ScalarType::Bool;
}

void reduce_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, bool mean) {
  ArgReader r(ctx, args, op, 6);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims;
  const bool has_dims = r.optional_int_list(1, "dim", &dims);
  const bool keepdim = r.boolean(2, "keepdim");
  int64_t dtype_arg = 0;
  const bool has_dtype = r.optional_integer(3, "dtype", &dtype_arg);
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;

  // 1. Result dtype: dtype if given, else mean keeps self's, sum widens integers to int64.
  const ScalarType in_t = self->dtype();
  ScalarType res_t = has_dtype ? static_cast<ScalarType>(dtype_arg)
                               : (!mean && is_integral(in_t) ? ScalarType::Long : in_t);
  EMBER_KERNEL_CHECK(ctx, in_t == ScalarType::Float || is_integral(in_t), NotSupported,
                     "%s: unsupported input dtype %s", op, scalar_type_name(in_t));
  EMBER_KERNEL_CHECK(ctx,
                     mean ? res_t == ScalarType::Float
                          : (res_t == ScalarType::Float ||
                             (res_t != ScalarType::Bool && is_integral(res_t) && is_integral(in_t))),
                     NotSupported, "%s: unsupported result dtype %s for input %s", op,
                     scalar_type_name(res_t), scalar_type_name(in_t));
  if (!check_dtype(ctx, op, "out", *out, res_t)) return;

  // 2. Which dims are reduced.
  const int ndim = self->dim();
  bool reduced[kMaxRank] = {};
  const bool all = !has_dims || dims.empty();
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = 0;
    EMBER_KERNEL_CHECK(ctx, normalize_dim(dims[i], ndim, &d), InvalidArgument,
                       "%s: dim %lld is out of range for a %d-d tensor", op,
                       static_cast<long long>(dims[i]), ndim);
    if (ndim == 0) continue;
    EMBER_KERNEL_CHECK(ctx, !reduced[d], InvalidArgument, "%s: dim %lld appears twice", op,
                       static_cast<long long>(d));
    reduced[d] = true;
  }
  int64_t out_sizes[kMaxRank];
  int out_ndim = 0;
  for (int d = 0; d < ndim; ++d) {
    if (all) reduced[d] = true;
    if (!reduced[d]) {
      out_sizes[out_ndim++] = self->size(d);
    } else if (keepdim) {
      out_sizes[out_ndim++] = 1;
    }
  }
  if (!resize_out(ctx, op, "out", *out, out_sizes, out_ndim)) return;

  // 3. Plan the two walks.
  ReducePlan plan;
  int out_d = 0;
  for (int d = 0; d < ndim; ++d) {
    if (reduced[d]) {
      plan.red_sizes[plan.red_ndim] = self->size(d);
      plan.red_in_strides[plan.red_ndim++] = self->stride(d);
      plan.count *= self->size(d);
      if (keepdim) ++out_d;
    } else {
      plan.kept_sizes[plan.kept_ndim] = self->size(d);
      plan.kept_in_strides[plan.kept_ndim] = self->stride(d);
      plan.kept_out_strides[plan.kept_ndim++] = out->stride(out_d++);
    }
  }
  EMBER_SWITCH_REAL(res_t, EMBER_KERNEL_CHECK(ctx, false, Internal, "%s: bad dtype", op), {
    using OUT_T = CTYPE;
    switch (in_t) {
      case ScalarType::Float: reduce<float, OUT_T>(plan, *self, *out, mean); break;
      case ScalarType::Int: reduce<int32_t, OUT_T>(plan, *self, *out, mean); break;
      case ScalarType::Long: reduce<int64_t, OUT_T>(plan, *self, *out, mean); break;
      case ScalarType::Bool: reduce<bool, OUT_T>(plan, *self, *out, mean); break;
      default: break;
    }
  });
}

}  // namespace

void mean_out(KernelContext& ctx, Span<EValue*> args) {
  reduce_kernel(ctx, args, "aten::mean.out", true);
}

void sum_intlist_out(KernelContext& ctx, Span<EValue*> args) {
  reduce_kernel(ctx, args, "aten::sum.IntList_out", false);
}

}  // namespace portable
}  // namespace ember
