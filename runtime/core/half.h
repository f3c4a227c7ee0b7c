// float16 and bfloat16 element types for tensors: storage types only. Kernels
// convert to float, compute in float and convert back with round to nearest,
// ties to even (what torch does for its CPU half kernels).
#pragma once

#include <cstdint>
#include <cstring>

namespace ember {

namespace half_detail {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace half_detail

/// IEEE 754 binary16.
struct Half {
  uint16_t bits = 0;

  Half() = default;
  Half(float f) : bits(from_float(f)) {}  // NOLINT: implicit, like a built-in float type
  operator float() const { return to_float(bits); }  // NOLINT

  static uint16_t from_float(float f) {
    const uint32_t u = half_detail::float_bits(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) {  // inf or NaN (NaN stays quiet NaN)
      return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    }
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
    if (abs < 0x38800000u) {  // subnormal half (or zero): round at 2^-24 granularity
      const float magic = half_detail::bits_float(0x3f000000u);  // 0.5
      const float scaled = half_detail::bits_float(abs) + magic;  // aligns the mantissa
      return static_cast<uint16_t>(sign | (half_detail::float_bits(scaled) - 0x3f000000u));
    }
    // Normal: rebias the exponent and round the 13 dropped bits to nearest even.
    const uint32_t mant_odd = (abs >> 13) & 1u;
    const uint32_t rounded = abs + 0xc8000fffu + mant_odd;  // -(127-15)<<23 + rounding bias
    return static_cast<uint16_t>(sign | (rounded >> 13));
  }

  static float to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return half_detail::bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
      // Zero or subnormal: mant * 2^-24.
      const float v = static_cast<float>(mant) * half_detail::bits_float(0x33800000u);
      return half_detail::bits_float(sign | half_detail::float_bits(v));
    }
    return half_detail::bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

/// bfloat16: the upper 16 bits of a float32.
struct BFloat16 {
  uint16_t bits = 0;

  BFloat16() = default;
  BFloat16(float f) : bits(from_float(f)) {}  // NOLINT: implicit, like a built-in float type
  operator float() const { return to_float(bits); }  // NOLINT

  static uint16_t from_float(float f) {
    const uint32_t u = half_detail::float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // NaN
    const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>((u + rounding) >> 16);
  }

  static float to_float(uint16_t b) { return half_detail::bits_float(static_cast<uint32_t>(b) << 16); }
};

static_assert(sizeof(Half) == 2 && sizeof(BFloat16) == 2, "16-bit storage types");

}  // namespace ember
