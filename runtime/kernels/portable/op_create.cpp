// Creation ops: full, full_like, scalar_tensor and arange. They have no
// tensor input to take a dtype from, so each writes the dtype of its out
// tensor, converting the given Scalars as torch does (Scalar::to, scalar.h).
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernels/portable/fill_value.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {

namespace {

/// torch's one-element fill converts a float16 or bfloat16 value without the
/// range check: the double rounds to float (beyond its range: inf), then to T.
template <typename T>
T round_unchecked(double d) {
  constexpr double kFloatMax = 3.4028234663852886e38;
  const float f = d > kFloatMax    ? INFINITY
                  : d < -kFloatMax ? -INFINITY
                                   : static_cast<float>(d);  // NaN stays NaN
  return static_cast<T>(f);
}

/// Fill out with `value` as T (see fill_tensor); false (failed) if it does
/// not fit.
template <typename T>
bool fill_typed(KernelContext& ctx, const char* op, const char* name, const Scalar& value,
                Tensor& out) {
  const int64_t n = out.numel();  // dense in any dim order: a flat fill
  T v{};
  constexpr bool kReduced = std::is_same<T, Half>::value || std::is_same<T, BFloat16>::value;
  if (kReduced && n == 1) {
    v = round_unchecked<T>(value.to_double());
  } else if (!scalar_arg_to(ctx, op, name, value, &v)) {
    return false;
  }
  T* p = out.data_as<T>();
  for (int64_t i = 0; i < n; ++i) p[i] = v;
  return true;
}

}  // namespace

bool fill_tensor(KernelContext& ctx, const char* op, const char* name, const Scalar& value,
                 Tensor& out) {
  EMBER_SWITCH_ALL(out.dtype(), return reject_dtype(ctx, op, "out", out.dtype()),
                   return fill_typed<CTYPE>(ctx, op, name, value, out));
  return false;
}

void full_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::full.out", 4);
  Span<const int64_t> size = r.int_list(0, "size");
  const Scalar value = r.scalar(1, "fill_value");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  EMBER_KERNEL_CHECK(ctx, size.size() <= static_cast<size_t>(kMaxRank), InvalidArgument, op,
                     "size has %zu dims, more than %d", size.size(), kMaxRank);
  if (!resize_out(ctx, op, "out", *out, size.data(), static_cast<int>(size.size()))) return;
  fill_tensor(ctx, op, "fill_value", value, *out);
}

void full_like_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::full_like.out", 5);
  Tensor* self = r.tensor(0, "self");
  const Scalar value = r.scalar(1, "fill_value");
  int64_t memory_format = 0;
  r.optional_integer(2, "memory_format", &memory_format);  // out's dim order says it all
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  int64_t sizes[kMaxRank];
  tensor_sizes(*self, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, self->dim())) return;
  fill_tensor(ctx, op, "fill_value", value, *out);
}

void scalar_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::scalar_tensor.out", 3);
  const Scalar value = r.scalar(0, "s");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  if (!resize_out(ctx, r.op(), "out", *out, nullptr, 0)) return;
  fill_tensor(ctx, r.op(), "s", value, *out);
}

namespace {

/// arange for an integer dtype T: torch computes in int64 (its accumulate
/// type), with each Scalar converted to int64 first (truncating a float).
/// The length is exact integer arithmetic for int64 and
/// ceil((end - start) / step) over the unconverted Scalars in double for
/// the narrower types; the values wrap into T.
template <typename T>
void arange_int(ArgReader& r, const Scalar& start_arg, const Scalar& end_arg,
                const Scalar& step_arg, Tensor& out) {
  const char* op = r.op();
  int64_t start = 0, end = 0, step = 0;
  if (!start_arg.to(&start) || !end_arg.to(&end) || !step_arg.to(&step)) {
    r.fail(Error::InvalidArgument, "start, end or step cannot be converted to int64");
    return;
  }
  if (step == 0) return r.fail(Error::InvalidArgument, "step must be nonzero");
  if (!((step > 0 && end >= start) || (step < 0 && end <= start))) {
    return r.fail(Error::InvalidArgument,
                  "upper bound and lower bound inconsistent with step sign");
  }
  int64_t length = 0;
  if (std::is_same<T, int64_t>::value) {
    // (end - start + step - sign(step)) / step, failing where it overflows.
    const int64_t sign = step > 0 ? 1 : -1;
    int64_t span = 0;
    if (__builtin_sub_overflow(end, start, &span) || __builtin_add_overflow(span, step, &span) ||
        __builtin_sub_overflow(span, sign, &span)) {
      return r.fail(Error::InvalidArgument, "the range %lld to %lld overflows int64",
                    static_cast<long long>(start), static_cast<long long>(end));
    }
    length = span / step;
  } else {
    const double size_d =
        std::ceil((end_arg.to_double() - start_arg.to_double()) / step_arg.to_double());
    if (!(size_d >= 0 && size_d <= 9.2e18)) {
      return r.fail(Error::InvalidArgument, "invalid length %g", size_d);
    }
    length = static_cast<int64_t>(size_d);
  }
  if (!resize_out(r.ctx(), op, "out", out, &length, 1)) return;
  T* p = out.data_as<T>();
  // Wrapping arithmetic in uint64: the last values may leave T's range
  // (they wrap, as in torch) but never int64's for a valid length.
  const uint64_t ustart = static_cast<uint64_t>(start);
  const uint64_t ustep = static_cast<uint64_t>(step);
  for (int64_t i = 0; i < length; ++i) {
    p[i] = static_cast<T>(static_cast<int64_t>(ustart + ustep * static_cast<uint64_t>(i)));
  }
}

/// A computed arange value as T. A double beyond float's range becomes
/// +-inf, as the hardware conversion torch relies on gives (a plain cast
/// would be undefined); the 16-bit types convert from float themselves.
template <typename T, typename Acc>
T to_element(Acc v) {
  if (std::is_same<T, float>::value && std::is_same<Acc, double>::value &&
      std::fabs(v) > static_cast<Acc>(std::numeric_limits<float>::max())) {
    return static_cast<T>(v > 0 ? std::numeric_limits<float>::infinity()
                                : -std::numeric_limits<float>::infinity());
  }
  return static_cast<T>(v);
}

/// arange for a floating dtype T: values start + step * i computed in
/// torch's accumulate type (double for float and double, float for the
/// 16-bit types); the length is ceil((end - start) / step) in double.
template <typename T>
void arange_float(ArgReader& r, const Scalar& start_arg, const Scalar& end_arg,
                  const Scalar& step_arg, Tensor& out) {
  using Acc = typename std::conditional<sizeof(T) == 2, float, double>::type;
  const char* op = r.op();
  Acc start = 0, end = 0, step = 0;
  if (!start_arg.to(&start) || !end_arg.to(&end) || !step_arg.to(&step)) {
    return r.fail(Error::InvalidArgument, "start, end or step overflows %s",
                  scalar_type_name(out.dtype()));
  }
  if (!std::isfinite(static_cast<double>(start)) || !std::isfinite(static_cast<double>(end))) {
    return r.fail(Error::InvalidArgument, "unsupported range %g to %g",
                  static_cast<double>(start), static_cast<double>(end));
  }
  if (!(step > 0 || step < 0)) return r.fail(Error::InvalidArgument, "step must be nonzero");
  if (!((step > 0 && end >= start) || (step < 0 && end <= start))) {
    return r.fail(Error::InvalidArgument,
                  "upper bound and lower bound inconsistent with step sign");
  }
  const double size_d =
      std::ceil((end_arg.to_double() - start_arg.to_double()) / step_arg.to_double());
  if (!(size_d >= 0 && size_d <= 9.2e18)) {
    return r.fail(Error::InvalidArgument, "invalid length %g", size_d);
  }
  const int64_t length = static_cast<int64_t>(size_d);
  if (!resize_out(r.ctx(), op, "out", out, &length, 1)) return;
  T* p = out.data_as<T>();
  for (int64_t i = 0; i < length; ++i) p[i] = to_element<T>(start + step * static_cast<Acc>(i));
}

}  // namespace

void arange_start_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::arange.start_out", 5);
  const Scalar start = r.scalar(0, "start");
  const Scalar end = r.scalar(1, "end");
  const Scalar step = r.scalar(2, "step");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, out->dim() == 1, InvalidArgument, r.op(), "out must be 1-d, got %d dims",
                     static_cast<int>(out->dim()));
  switch (out->dtype()) {
    case ScalarType::Float: return arange_float<float>(r, start, end, step, *out);
    case ScalarType::Double: return arange_float<double>(r, start, end, step, *out);
    case ScalarType::Half: return arange_float<Half>(r, start, end, step, *out);
    case ScalarType::BFloat16: return arange_float<BFloat16>(r, start, end, step, *out);
    case ScalarType::Long: return arange_int<int64_t>(r, start, end, step, *out);
    case ScalarType::Int: return arange_int<int32_t>(r, start, end, step, *out);
    case ScalarType::Short: return arange_int<int16_t>(r, start, end, step, *out);
    case ScalarType::Char: return arange_int<int8_t>(r, start, end, step, *out);
    case ScalarType::Byte: return arange_int<uint8_t>(r, start, end, step, *out);
    default:
      return r.fail(Error::NotSupported, "unsupported out dtype %s",
                    scalar_type_name(out->dtype()));
  }
}

}  // namespace portable
}  // namespace ember
