// The 16-lane requantization shared by qu8-quantize-avx512 and qu8-gemm-avx512vnni's store phase (included only by
// AVX-512 translation units): round_half_even(acc * mult) + zp clamped to [lo, hi], bit-identical to the scalar
// variant. The product is clamped to [lo - zp, hi - zp] (integers) before rounding, which commutes with
// round-half-even, so the rounding is the conversion to int32 (embedded rounding, not a magic-number add that GCC
// would contract into an FMA) and zp an integer add. A NaN product (NaN multiplier) passes both bounds (operand
// order) and converts to 0x80000000, whose low byte plus zp's is zp's: the scalar variant's NaN -> zp.
#pragma once

#include <immintrin.h>

namespace edgerun::kernels {
namespace {

// lo_rel / hi_rel: lo - zp and hi - zp as floats; the result's low bytes are the output bytes.
inline __m128i requant16(__m512i acc, __m512 mult, __m512i zp, __m512 lo_rel, __m512 hi_rel) {
  const __m512 f = _mm512_min_ps(hi_rel, _mm512_max_ps(lo_rel, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), mult)));
  const __m512i r = _mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm512_cvtepi32_epi8(_mm512_add_epi32(r, zp));
}

}  // namespace
}  // namespace edgerun::kernels
