// qu8-quantize-avx512: the scalar variant's operations on 16 lanes (tails with masks). min/max operand order
// matches `x < lo ? x : lo` (a NaN x keeps lo); the lanes' partial ranges are combined at the end, which is exact
// for min and max.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/qu8-quantize/quantize.h"

namespace edgerun::kernels {

void range_f32__avx512(const float* x, int64_t n, float* lo, float* hi) {
  __m512 l = _mm512_set1_ps(*lo), h = _mm512_set1_ps(*hi);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    l = _mm512_min_ps(v, l);  // v < l ? v : l
    h = _mm512_max_ps(v, h);  // v > h ? v : h
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    l = _mm512_mask_min_ps(l, m, v, l);
    h = _mm512_mask_max_ps(h, m, v, h);
  }
  alignas(64) float ls[16], hs[16];
  _mm512_store_ps(ls, l);
  _mm512_store_ps(hs, h);
  float lr = *lo, hr = *hi;
  for (int k = 0; k < 16; ++k) {
    lr = ls[k] < lr ? ls[k] : lr;
    hr = hs[k] > hr ? hs[k] : hr;
  }
  *lo = lr;
  *hi = hr;
}

void quantize_u8__avx512(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y) {
  const __m512 s = _mm512_set1_ps(scale), z = _mm512_set1_ps(static_cast<float>(zp)), magic = _mm512_set1_ps(12582912.0f);
  const __m512 lo = _mm512_setzero_ps(), hi = _mm512_set1_ps(255.0f);
  auto q = [&](__m512 v) {
    __m512 r = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(_mm512_div_ps(v, s), magic), magic), z);
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), z, r);
    r = _mm512_max_ps(r, lo);
    r = _mm512_min_ps(r, hi);
    return _mm512_cvtusepi32_epi8(_mm512_cvttps_epu32(r));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), q(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(y + i, m, q(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace edgerun::kernels
