// Arithmetic reductions: sum, mean, prod, var, var_mean, linalg_vector_norm,
// and the cumulative sum.
//
// 1. Plan the reduction (reduce_util.h): which dims are reduced (none given,
//    or an empty list, means all; negative dims wrap), the output sizes, and
//    two strided walks, so any dim order works.
// 2. For each output element walk the reduced elements in logical order,
//    accumulating in double for floating results (long float32 rows stay
//    within rounding of the exact sum) or in uint64 for integer results
//    (wrapping on overflow as torch does, without undefined behaviour).
// As in torch, an explicit dtype casts each element to it before it is
// accumulated, and integer or bool inputs sum (and multiply) into int64.
#include <cmath>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace portable {
namespace {

/// What a fold computes for each output.
enum class Fold { Sum, Mean, Prod };

/// Casting each element to the result dtype before accumulating (what torch
/// does) changes nothing when the result type holds every input value
/// exactly, or for an integer into an integer (wrapping commutes with + and
/// *): then the kernels skip the per-element cast.
bool cast_is_exact(ScalarType in, ScalarType out) {
  if (in == out) return true;
  const bool small = in == ScalarType::Bool || in == ScalarType::Byte || in == ScalarType::Char;
  switch (out) {
    case ScalarType::Bool: return false;
    case ScalarType::Double: return in != ScalarType::Long;
    case ScalarType::Float:
      return small || in == ScalarType::Short || in == ScalarType::Half ||
             in == ScalarType::BFloat16;
    case ScalarType::Half:
    case ScalarType::BFloat16: return small;
    default: return is_integral_type(out) && is_integral_type(in);
  }
}

/// A value in an accumulator: double for floating results, wrapping uint64
/// for integer ones.
template <typename Acc, typename T>
Acc to_acc(T v) {
  if constexpr (std::is_same<Acc, double>::value) {
    return static_cast<double>(static_cast<compute_t<T>>(v));
  } else if constexpr (is_floating_v<T>) {
    return static_cast<uint64_t>(reduce_cast<int64_t>(v));
  } else {
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  }
}

/// `x` cast to `out`, then into the accumulator (the rare, slow path: kept
/// out of line so the loops stay small).
template <typename Acc, typename In>
__attribute__((noinline)) Acc cast_element(In x, ScalarType out) {
  EMBER_SWITCH_ALL(out, break, {
    if constexpr (is_floating_v<CTYPE> == std::is_same<Acc, double>::value) {
      return to_acc<Acc>(reduce_cast<CTYPE>(x));
    }
  });
  return Acc(0);
}

/// One input element as the accumulator sees it: cast to `out` first unless
/// that cast is exact.
template <typename Acc, typename In>
Acc element(In x, ScalarType out, bool exact) {
  return exact ? to_acc<Acc>(x) : cast_element<Acc>(x, out);
}

/// Store an accumulator into element `off` of `data`, of dtype `out` (integer
/// results wrap, as torch's do).
template <typename Acc>
void store_acc(void* data, ScalarType out, int64_t off, Acc acc) {
  EMBER_SWITCH_ALL(out, break, {
    CTYPE* p = static_cast<CTYPE*>(data) + off;
    if constexpr (is_floating_v<CTYPE> != std::is_same<Acc, double>::value) {
      // Not a pairing the kernels produce.
    } else if constexpr (is_floating_v<CTYPE>) {
      *p = static_cast<CTYPE>(static_cast<compute_t<CTYPE>>(acc));
    } else if constexpr (std::is_same<CTYPE, bool>::value) {
      *p = acc != 0;
    } else {
      *p = reduce_cast<CTYPE>(static_cast<int64_t>(acc));
    }
  });
}

template <typename In, typename Acc>
void fold(const ReducePlan& plan, const Tensor& self, Tensor& out, Fold kind) {
  const In* in = self.data_as<const In>();
  void* dst = out.mutable_data();
  const ScalarType out_t = out.dtype();
  const bool exact = cast_is_exact(self.dtype(), out_t);
  const int64_t count = plan.count;
  for_each_output(plan, [&](const int64_t* off) {
    const In* base = in + off[0];
    Acc acc = kind == Fold::Prod ? Acc(1) : Acc(0);
    if (kind == Fold::Prod) {
      for_each_reduced(plan, [&](int64_t i) { acc *= element<Acc>(load(base + i), out_t, exact); });
    } else {
      for_each_reduced(plan, [&](int64_t i) { acc += element<Acc>(load(base + i), out_t, exact); });
    }
    if constexpr (std::is_same<Acc, double>::value) {
      if (kind == Fold::Mean) acc = count == 0 ? NAN : acc / static_cast<double>(count);
    }
    store_acc(dst, out_t, off[1], acc);
  });
}

/// The result dtype of sum, prod and cumsum: dtype if given, else int64 for
/// integer and bool inputs, else self's.
ScalarType widened_dtype(ScalarType self_t, bool has_dtype, int64_t dtype) {
  if (has_dtype) return static_cast<ScalarType>(dtype);
  return is_integral_type(self_t) ? ScalarType::Long : self_t;
}

/// Check the input and result dtypes of a fold; false (logged) if not handled.
bool check_fold_dtypes(KernelContext& ctx, const char* op, const Tensor& self, const Tensor& out,
                       ScalarType res_t, Fold kind) {
  const ScalarType in_t = self.dtype();
  if (!is_floating_type(in_t) && !is_integral_type(in_t)) {
    return kernel_fail(ctx, Error::NotSupported, op, "unsupported input dtype %s",
                       scalar_type_name(in_t));
  }
  const bool ok = kind == Fold::Mean ? is_floating_type(res_t)
                                     : is_floating_type(res_t) || is_integral_type(res_t);
  if (!ok) {
    return kernel_fail(ctx, Error::NotSupported, op, "unsupported result dtype %s for input %s%s",
                       scalar_type_name(res_t), scalar_type_name(in_t),
                       kind == Fold::Mean ? " (mean needs a floating dtype)" : "");
  }
  return check_dtype(ctx, op, "out", out, res_t);
}

void run_fold(KernelContext& ctx, const char* op, const ReducePlan& plan, const Tensor& self,
              Tensor& out, Fold kind) {
  const bool floating = is_floating_type(out.dtype());
  EMBER_SWITCH_ALL(self.dtype(),
                   EMBER_KERNEL_CHECK(ctx, false, NotSupported, op, "cannot reduce %s",
                                      scalar_type_name(self.dtype())),
                   {
                     if (floating) {
                       fold<CTYPE, double>(plan, self, out, kind);
                     } else {
                       fold<CTYPE, uint64_t>(plan, self, out, kind);
                     }
                   });
}

/// sum.IntList_out, mean.out, mean.dtype_out, prod.out, prod.int_out: without
/// `has_dim_args` the op reduces every dim (args: self, dtype, out, ret);
/// `single_dim` means it takes one int dim rather than a list.
void fold_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, Fold kind,
                 bool has_dim_args, bool single_dim) {
  ArgReader r(ctx, args, op, has_dim_args ? 6 : 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims;
  int64_t dim = 0;
  bool has_dims = false, keepdim = false;
  if (has_dim_args && single_dim) {
    dim = r.integer(1, "dim");
  } else if (has_dim_args) {
    has_dims = r.optional_int_list(1, "dim", &dims);
  }
  if (has_dim_args) keepdim = r.boolean(2, "keepdim");
  const size_t dtype_i = has_dim_args ? 3 : 1;
  int64_t dtype_arg = 0;
  const bool has_dtype = r.optional_integer(dtype_i, "dtype", &dtype_arg);
  Tensor* out = r.tensor(dtype_i + 1, "out");
  if (!r.ok()) return;

  const ScalarType res_t = kind == Fold::Mean
                               ? (has_dtype ? static_cast<ScalarType>(dtype_arg) : self->dtype())
                               : widened_dtype(self->dtype(), has_dtype, dtype_arg);
  if (!check_fold_dtypes(ctx, op, *self, *out, res_t, kind)) return;
  ReducePlan plan;
  const char* names[1] = {"out"};
  const bool planned =
      single_dim ? plan_reduce_dim(ctx, op, *self, dim, keepdim, &out, names, 1, &plan)
                 : plan_reduce(ctx, op, *self, dims, !has_dims || dims.empty(), keepdim, &out,
                               names, 1, &plan);
  if (!planned) return;
  run_fold(ctx, op, plan, *self, *out, kind);
}

/// Sum of squared deviations over the reduced dims in double (two passes),
/// divided by max(count - correction, 0); also writes the mean when asked.
template <typename T>
void variance(const ReducePlan& plan, const Tensor& self, Tensor& var, Tensor* mean,
              double correction) {
  const T* in = self.data_as<const T>();
  T* var_dst = var.data_as<T>();
  T* mean_dst = mean ? mean->data_as<T>() : nullptr;
  const double n = static_cast<double>(plan.count);
  const double divisor = n - correction > 0.0 ? n - correction : 0.0;
  for_each_output(plan, [&](const int64_t* off) {
    const T* base = in + off[0];
    double sum = 0.0;
    for_each_reduced(plan, [&](int64_t i) { sum += static_cast<compute_t<T>>(base[i]); });
    const double m = plan.count == 0 ? NAN : sum / n;
    double ssd = 0.0;
    for_each_reduced(plan, [&](int64_t i) {
      const double d = static_cast<compute_t<T>>(base[i]) - m;
      ssd += d * d;
    });
    var_dst[off[1]] = static_cast<T>(static_cast<compute_t<T>>(divisor > 0.0 ? ssd / divisor
                                                               : (ssd > 0.0 ? INFINITY : NAN)));
    if (mean_dst != nullptr) mean_dst[off[2]] = static_cast<T>(static_cast<compute_t<T>>(m));
  });
}

void variance_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, bool with_mean) {
  ArgReader r(ctx, args, op, with_mean ? 7 : 6);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims;
  const bool has_dims = r.optional_int_list(1, "dim", &dims);
  const bool has_correction = args.size() > 2 && args[2] != nullptr && !args[2]->is_none();
  const double correction = has_correction ? r.scalar(2, "correction").to_double() : 1.0;
  const bool keepdim = r.boolean(3, "keepdim");
  Tensor* outs[2] = {r.tensor(4, with_mean ? "out0" : "out"), nullptr};
  if (with_mean) outs[1] = r.tensor(5, "out1");
  if (!r.ok()) return;
  if (!check_floating(ctx, op, "self", *self)) return;
  for (int i = 0; i < (with_mean ? 2 : 1); ++i) {
    if (!check_dtype(ctx, op, i ? "out1" : "out0", *outs[i], self->dtype())) return;
  }
  ReducePlan plan;
  const char* names[2] = {with_mean ? "out0" : "out", "out1"};
  if (!plan_reduce(ctx, op, *self, dims, !has_dims || dims.empty(), keepdim, outs, names,
                   with_mean ? 2 : 1, &plan)) {
    return;
  }
  EMBER_SWITCH_FLOAT(self->dtype(), return,
                     variance<CTYPE>(plan, *self, *outs[0], outs[1], correction));
}

/// The p-norm of the reduced elements, in double: max or min of |x| for
/// p = +-inf (NaN propagates), the count of nonzeros for p = 0, else
/// (sum |x|^p)^(1/p) with the common p = 1 and p = 2 computed directly.
/// (torch casts the input to the result dtype first; that dtype only widens.)
template <typename In>
void vector_norm(const ReducePlan& plan, const Tensor& self, Tensor& out, double p) {
  const In* in = self.data_as<const In>();
  void* dst = out.mutable_data();
  const ScalarType out_t = out.dtype();
  for_each_output(plan, [&](const int64_t* off) {
    const In* base = in + off[0];
    auto abs_at = [&](int64_t i) {
      return std::fabs(static_cast<double>(static_cast<compute_t<In>>(base[i])));
    };
    double acc = 0.0;
    if (std::isinf(p)) {
      acc = p > 0 ? 0.0 : INFINITY;
      for_each_reduced(plan, [&](int64_t i) {
        const double a = abs_at(i);
        if (std::isnan(a) || (p > 0 ? a > acc : a < acc)) acc = std::isnan(acc) ? acc : a;
      });
    } else if (p == 0.0) {
      for_each_reduced(plan, [&](int64_t i) { acc += abs_at(i) != 0.0 ? 1.0 : 0.0; });
    } else if (p == 1.0) {
      for_each_reduced(plan, [&](int64_t i) { acc += abs_at(i); });
    } else if (p == 2.0) {
      for_each_reduced(plan, [&](int64_t i) {
        const double a = abs_at(i);
        acc += a * a;
      });
      acc = std::sqrt(acc);
    } else {
      for_each_reduced(plan, [&](int64_t i) { acc += std::pow(abs_at(i), p); });
      acc = std::pow(acc, 1.0 / p);
    }
    store_acc(dst, out_t, off[1], acc);
  });
}

/// True if a float result of dtype `to` holds every value of `from` (torch's
/// rule for linalg_vector_norm's dtype).
bool widens(ScalarType from, ScalarType to) {
  if (from == to || to == ScalarType::Double) return true;
  return to == ScalarType::Float && (from == ScalarType::Half || from == ScalarType::BFloat16);
}

/// The cumulative sum along one dim: one scan per position of the other dims.
template <typename In, typename Acc>
void cumulative_sum(const Tensor& self, Tensor& out, int64_t dim) {
  const Tensor* operands[2] = {&self, &out};
  DimLines lines;
  lines.init(operands, 2, dim);
  const StridedLoop& loop = lines.loop;
  const int64_t len = lines.len, si = lines.steps[0], so = lines.steps[1];
  const In* in = self.data_as<const In>();
  void* dst = out.mutable_data();
  const ScalarType out_t = out.dtype();
  const bool exact = cast_is_exact(self.dtype(), out_t);
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; ++i) {
      const In* x = in + off[0] + i * st[0];
      const int64_t y = off[1] + i * st[1];
      Acc acc = 0;
      for (int64_t k = 0; k < len; ++k) {
        acc += element<Acc>(load(x + k * si), out_t, exact);
        store_acc(dst, out_t, y + k * so, acc);
      }
    }
  });
}

}  // namespace

void sum_intlist_out(KernelContext& ctx, Span<EValue*> args) {
  fold_kernel(ctx, args, "aten::sum.IntList_out", Fold::Sum, true, false);
}

void mean_out(KernelContext& ctx, Span<EValue*> args) {
  fold_kernel(ctx, args, "aten::mean.out", Fold::Mean, true, false);
}

void mean_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  fold_kernel(ctx, args, "aten::mean.dtype_out", Fold::Mean, false, false);
}

void prod_out(KernelContext& ctx, Span<EValue*> args) {
  fold_kernel(ctx, args, "aten::prod.out", Fold::Prod, false, false);
}

void prod_int_out(KernelContext& ctx, Span<EValue*> args) {
  fold_kernel(ctx, args, "aten::prod.int_out", Fold::Prod, true, true);
}

void var_correction_out(KernelContext& ctx, Span<EValue*> args) {
  variance_kernel(ctx, args, "aten::var.correction_out", false);
}

void var_mean_correction_out(KernelContext& ctx, Span<EValue*> args) {
  variance_kernel(ctx, args, "aten::var_mean.correction_out", true);
}

void linalg_vector_norm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::linalg_vector_norm.out";
  ArgReader r(ctx, args, op, 7);
  Tensor* self = r.tensor(0, "self");
  const double p = r.scalar(1, "ord").to_double();
  Span<const int64_t> dims;
  const bool has_dims = r.optional_int_list(2, "dim", &dims);
  const bool keepdim = r.boolean(3, "keepdim");
  int64_t dtype_arg = 0;
  const bool has_dtype = r.optional_integer(4, "dtype", &dtype_arg);
  Tensor* out = r.tensor(5, "out");
  if (!r.ok()) return;
  if (!check_floating(ctx, op, "self", *self)) return;
  const ScalarType res_t = has_dtype ? static_cast<ScalarType>(dtype_arg) : self->dtype();
  EMBER_KERNEL_CHECK(ctx, is_floating_type(res_t) && widens(self->dtype(), res_t), NotSupported, op,
                     "dtype %s cannot hold every %s value", scalar_type_name(res_t),
                     scalar_type_name(self->dtype()));
  if (!check_dtype(ctx, op, "out", *out, res_t)) return;
  EMBER_KERNEL_CHECK(ctx, !std::isnan(p), InvalidArgument, op, "ord is NaN");
  ReducePlan plan;
  const char* names[1] = {"out"};
  if (!plan_reduce(ctx, op, *self, dims, !has_dims || dims.empty(), keepdim, &out, names, 1,
                   &plan)) {
    return;
  }
  EMBER_KERNEL_CHECK(ctx, plan.count > 0 || (p >= 0.0 && !std::isinf(p)), InvalidArgument, op,
                     "cannot compute the %g norm over no elements (it has no identity)",
                     p);
  EMBER_SWITCH_FLOAT(self->dtype(), return, vector_norm<CTYPE>(plan, *self, *out, p));
}

void cumsum_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::cumsum.out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  int64_t dtype_arg = 0;
  const bool has_dtype = r.optional_integer(2, "dtype", &dtype_arg);
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  const ScalarType res_t = widened_dtype(self->dtype(), has_dtype, dtype_arg);
  if (!check_fold_dtypes(ctx, op, *self, *out, res_t, Fold::Sum)) return;
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, normalize_dim(dim_arg, self->dim(), &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), static_cast<int>(self->dim()));
  int64_t sizes[kMaxRank];
  tensor_sizes(*self, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, self->dim())) return;
  const bool floating = is_floating_type(res_t);
  EMBER_SWITCH_ALL(self->dtype(),
                   EMBER_KERNEL_CHECK(ctx, false, NotSupported, op, "cannot sum %s",
                                      scalar_type_name(self->dtype())),
                   {
                     if (floating) {
                       cumulative_sum<CTYPE, double>(*self, *out, dim);
                     } else {
                       cumulative_sum<CTYPE, uint64_t>(*self, *out, dim);
                     }
                   });
}

}  // namespace portable
}  // namespace ember
