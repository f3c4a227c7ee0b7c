// The int8 requantization of float32 lanes with AVX-512, shared by the int8
// GEMM's epilogue (qgemm/kernels_avx512vnni.cpp) and the int8 window
// kernels' AVX-512 copies (simd_qwindow.cpp: the depthwise quads,
// quantized_add). Include only in translation units compiled with AVX-512
// F and BW.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace ember {
namespace optimized {

/// requant_narrow4's constants, broadcast once.
struct Narrow4 {
  __m512 inv_out;
  __m512 hi;             ///< qmax - zp
  __m512i zp16;          ///< zp in each int16 lane
  __m512i qmin8, qmax8;  ///< qmin, qmax in each byte
  Narrow4(float inv, int32_t zp, int32_t qmin, int32_t qmax)
      : inv_out(_mm512_set1_ps(inv)), hi(_mm512_set1_ps(static_cast<float>(qmax - zp))),
        zp16(_mm512_set1_epi16(static_cast<int16_t>(zp))),
        qmin8(_mm512_set1_epi8(static_cast<char>(qmin))),
        qmax8(_mm512_set1_epi8(static_cast<char>(qmax))) {}
};

/// Four vectors of 16 float32 values y requantized to bytes: rint(y *
/// inv_out) + zp clamped to [qmin, qmax] (the reference's quant::Requant;
/// NaN -> qmin), int8 or, kUnsigned, uint8. Each lane: v = min(qmax - zp,
/// y * inv_out) (MINPS gives its second operand for NaN, so NaN stays),
/// rounded to nearest even whatever MXCSR says (NaN and values past int32
/// become INT_MIN); packed to int16 with saturation, + zp with saturation,
/// packed to the type with saturation, clamped to [qmin, qmax]. Every
/// saturation is monotone and clips outside [qmin, qmax], so the bytes are
/// the reference's; the zero point and the lower bound cost one operation a
/// 32 or 64 values, not one a vector. The packs work within 128-bit lanes:
/// lane L of the result holds y0's values 4L .. 4L + 3, then y1's, y2's and
/// y3's (requant_narrow4_ordered puts them back in order).
template <bool kUnsigned>
inline __m512i requant_narrow4(__m512 y0, __m512 y1, __m512 y2, __m512 y3, const Narrow4& r) {
  const auto q = [&r](__m512 y) {
    const __m512 v = _mm512_min_ps(r.hi, _mm512_mul_ps(y, r.inv_out));
    return _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  };
  const __m512i p0 = _mm512_adds_epi16(_mm512_packs_epi32(q(y0), q(y1)), r.zp16);
  const __m512i p1 = _mm512_adds_epi16(_mm512_packs_epi32(q(y2), q(y3)), r.zp16);
  if constexpr (kUnsigned) {
    return _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(p0, p1), r.qmin8), r.qmax8);
  } else {
    return _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p0, p1), r.qmin8), r.qmax8);
  }
}

/// The vpermd index that puts requant_narrow4's dwords in the order of
/// y0, y1, y2, y3's values (4 bytes a dword).
inline __m512i narrow4_order() {
  return _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

/// requant_narrow4's bytes in y0, y1, y2, y3's order (y0's 16 values first),
/// `order` being narrow4_order() (loaded once by the caller's loop).
template <bool kUnsigned>
inline __m512i requant_narrow4_ordered(__m512 y0, __m512 y1, __m512 y2, __m512 y3,
                                       const Narrow4& r, __m512i order) {
  return _mm512_permutexvar_epi32(order, requant_narrow4<kUnsigned>(y0, y1, y2, y3, r));
}

}  // namespace optimized
}  // namespace ember
