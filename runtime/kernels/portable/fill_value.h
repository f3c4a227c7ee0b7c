// Scalar arguments converted to a tensor's element type the way torch
// converts them (c10::checked_convert), shared by the kernels that write a
// given value: full, full_like, scalar_tensor, arange and constant_pad_nd.
//
// torch's rules, which these follow:
//   - to bool: any nonzero value (NaN too) is true;
//   - an integer to an integer type must fit, except that an unsigned type
//     also takes negatives down to -max, wrapping (full(-1, uint8) is 255);
//   - a float to an integer type truncates and must fit (NaN and inf never
//     do; full(255.7, uint8) is an error);
//   - a float to a float type must be within its finite range unless it is
//     inf or NaN; an integer to a float type always converts (70000 to half
//     is inf).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// A Scalar argument as it was given: an integer (a bool reads as 0 or 1) or
/// a double.
struct FillValue {
  bool integral = true;
  int64_t i = 0;
  double d = 0.0;
};

/// Read the Scalar argument `index` of `r` (check r.ok() afterwards).
FillValue read_scalar(ArgReader& r, size_t index, const char* name);

/// Largest finite value of a floating element type.
template <typename T>
constexpr double float_max() {
  return std::numeric_limits<T>::max();
}
template <>
constexpr double float_max<Half>() {
  return 65504.0;
}
template <>
constexpr double float_max<BFloat16>() {
  return 3.3895313892515355e38;
}

/// Convert `s` to T as torch does (see the file comment); false if the value
/// does not fit T (torch's "cannot be converted without overflow").
template <typename T>
bool convert_scalar(const FillValue& s, T* out) {
  if constexpr (std::is_same<T, bool>::value) {
    *out = s.integral ? s.i != 0 : s.d != 0.0;  // NaN != 0
    return true;
  } else if constexpr (std::is_integral<T>::value) {
    constexpr int64_t lo = static_cast<int64_t>(std::numeric_limits<T>::lowest());
    constexpr int64_t hi = static_cast<int64_t>(std::numeric_limits<T>::max());
    if (s.integral) {
      const int64_t low = std::is_unsigned<T>::value ? -hi : lo;
      if (s.i < low || s.i > hi) return false;
      *out = static_cast<T>(static_cast<uint64_t>(s.i));  // modular for unsigned
      return true;
    }
    // NaN fails both comparisons; 2^63 (the double nearest INT64_MAX) does
    // not fit int64.
    if (!(s.d >= static_cast<double>(lo) && s.d <= static_cast<double>(hi)) ||
        s.d >= 9223372036854775808.0) {
      return false;
    }
    *out = static_cast<T>(s.d);
    return true;
  } else {
    using Wide = typename std::conditional<std::is_same<T, double>::value, double, float>::type;
    if (s.integral) {
      *out = static_cast<T>(static_cast<Wide>(s.i));
      return true;
    }
    if (std::isfinite(s.d) && std::fabs(s.d) > float_max<T>()) return false;
    *out = static_cast<T>(static_cast<Wide>(s.d));
    return true;
  }
}

/// Write `value`, converted to out's dtype, to every element of `out`. Logs
/// "<op>: <name> ... " and fails the call if the value does not fit the dtype
/// or the dtype is unknown.
bool fill_tensor(KernelContext& ctx, const char* op, const char* name, const FillValue& value,
                 Tensor& out);

}  // namespace portable
}  // namespace ember
