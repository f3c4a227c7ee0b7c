// The int8 requantization of 16 float32 lanes with AVX-512, shared by the
// int8 GEMM's epilogue (qgemm/kernels_avx512vnni.cpp) and the int8 window
// kernels' AVX-512 copies (simd_qwindow.cpp). Include only in translation
// units compiled with AVX-512 F.
#pragma once

#include <immintrin.h>

namespace ember {
namespace optimized {

/// y requantized to 16 int32 lanes within [qmin, qmax]: the reference's
/// rint(y * inv_out) + zp clamped to [qmin, qmax] (quant::Requant), computed
/// as rint(clamp(y * inv_out, lo, hi)) + zp with lo = qmin - zp and hi =
/// qmax - zp. The bounds are integers, so clamping before or after rounding
/// is the same; MAXPS gives its second operand for NaN, so NaN still ends at
/// qmin. The rounding is embedded (to nearest even), whatever MXCSR says.
inline __m512i requant_lanes(__m512 y, __m512 inv_out, __m512 lo, __m512 hi, __m512i zp) {
  __m512 v = _mm512_mul_ps(y, inv_out);
  v = _mm512_max_ps(v, lo);
  v = _mm512_min_ps(v, hi);
  const __m512i q = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm512_add_epi32(q, zp);
}

}  // namespace optimized
}  // namespace ember
