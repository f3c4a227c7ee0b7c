// A kernel's Scalar argument (an EValue holding a Bool, an Int or a Double)
// as the program gave it, and its conversion to a tensor's element type.
//
// Every kernel reads a Scalar the one way, ArgReader::scalar(), and converts
// it to an element type T the one way, to<T>(), which follows torch's
// Scalar::to<T> (c10::checked_convert):
//   - to bool: any nonzero value (NaN too) is true;
//   - an integer to an integer type must fit, except that an unsigned type
//     also takes negatives down to -max, wrapping (full(-1, uint8) is 255,
//     clamp(uint8, min=-1) clamps at 255);
//   - a double to an integer type must lie within the type's range before
//     it truncates (NaN and inf never do: full(255.7, uint8) and
//     full(-0.5, uint8) are errors, full(-1.5, int8) is -1);
//   - to a floating type, a finite value must lie within its finite range
//     (an integer too: 70000 does not fit float16); inf and NaN convert.
// torch applies it alike to clamp and hardtanh bounds, leaky_relu slopes,
// add's alpha, full, constant_pad_nd, scatter's value and arange. (Only its
// one-element fill shortcut, which scalar_tensor takes, skips the range
// check for float16 and bfloat16: see fill_tensor.)
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/core/half.h"
#include "runtime/core/scalar_type.h"

namespace ember {

/// Largest finite value of a floating element type (float, double, Half,
/// BFloat16), as a double.
template <typename T>
constexpr double max_finite() {
  if constexpr (std::is_same<T, Half>::value) {
    return 65504.0;
  } else if constexpr (std::is_same<T, BFloat16>::value) {
    return 3.3895313892515355e38;
  } else {
    return static_cast<double>(std::numeric_limits<T>::max());
  }
}

/// A Scalar argument: a Bool, an Int or a Double, with its value. A default
/// Scalar is the Int 0.
class Scalar {
 public:
  /// What the program gave.
  enum class Kind : uint8_t { Bool, Int, Double };

  Scalar() { value_.i = 0; }
  static Scalar of_bool(bool b) {
    Scalar s;
    s.kind_ = Kind::Bool;
    s.value_.i = 0;
    s.value_.b = b;
    return s;
  }
  static Scalar of_int(int64_t i) {
    Scalar s;
    s.value_.i = i;
    return s;
  }
  static Scalar of_double(double d) {
    Scalar s;
    s.kind_ = Kind::Double;
    s.value_.d = d;
    return s;
  }

  Kind kind() const { return kind_; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_double() const { return kind_ == Kind::Double; }
  /// True for an Int or a Bool (not a Double).
  bool is_integral() const { return kind_ != Kind::Double; }

  /// The dtype of the value data() points at: Bool, Long or Double.
  ScalarType dtype() const {
    return kind_ == Kind::Bool  ? ScalarType::Bool
           : kind_ == Kind::Int ? ScalarType::Long
                                : ScalarType::Double;
  }
  /// The value as one element of dtype() (bool, int64_t or double).
  const void* data() const { return &value_; }

  /// An Int's value, a Bool as 0 or 1; for a Double, 0 (check is_integral()).
  int64_t int_value() const {
    return kind_ == Kind::Int ? value_.i : kind_ == Kind::Bool ? (value_.b ? 1 : 0) : 0;
  }
  /// The value as a double (a Bool is 0 or 1), as torch's Scalar::to<double>.
  double to_double() const {
    return kind_ == Kind::Double ? value_.d : static_cast<double>(int_value());
  }

  /// Convert to the element type T as torch's Scalar::to<T> does (see the
  /// file comment); false if the value does not fit T (torch's "value
  /// cannot be converted to type T without overflow"). Never undefined.
  template <typename T>
  bool to(T* out) const {
    if constexpr (std::is_same<T, bool>::value) {
      *out = kind_ == Kind::Double ? value_.d != 0.0 : int_value() != 0;  // NaN != 0
      return true;
    } else if constexpr (std::is_integral<T>::value) {
      static_assert(sizeof(T) < 8 || std::is_signed<T>::value, "uint64 is not an element type");
      constexpr int64_t lo = static_cast<int64_t>(std::numeric_limits<T>::lowest());
      constexpr int64_t hi = static_cast<int64_t>(std::numeric_limits<T>::max());
      if (kind_ != Kind::Double) {
        const int64_t v = int_value();
        const int64_t low = std::is_unsigned<T>::value ? -hi : lo;
        if (v < low || v > hi) return false;
        *out = static_cast<T>(static_cast<uint64_t>(v));  // modular for unsigned
        return true;
      }
      // NaN fails both comparisons; 2^63 (the double nearest INT64_MAX)
      // does not fit int64.
      const double d = value_.d;
      if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) ||
          d >= 9223372036854775808.0) {
        return false;
      }
      *out = static_cast<T>(d);  // truncates toward zero
      return true;
    } else {
      const double v = to_double();
      if (std::isfinite(v) && std::fabs(v) > max_finite<T>()) return false;
      using Wide = typename std::conditional<std::is_same<T, double>::value, double, float>::type;
      *out = static_cast<T>(static_cast<Wide>(v));
      return true;
    }
  }

 private:
  Kind kind_ = Kind::Int;
  union {
    bool b;
    int64_t i;
    double d;
  } value_;
};

}  // namespace ember
