// qu8-quantize-avx512: the scalar variant's operations on 16 lanes (tails with masks). min/max operand order
// matches `x < lo ? x : lo` (a NaN x keeps lo); the lanes' partial ranges are combined at the end, which is exact
// for min and max.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/qu8-quantize/quantize.h"
#include "kernels/qu8-quantize/requant-avx512.h"

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

namespace {

// acc (int32, bias added with wrap) -> bytes, 16 lanes (requant-avx512.h).
struct Requant16 {
  __m512i b, z;
  __m512 m, lo, hi;
  Requant16(int32_t bias, float mult, int32_t zp, int32_t l, int32_t h)
      : b(_mm512_set1_epi32(bias)), z(_mm512_set1_epi32(zp)), m(_mm512_set1_ps(mult)),
        lo(_mm512_set1_ps(static_cast<float>(l - zp))), hi(_mm512_set1_ps(static_cast<float>(h - zp))) {}
  __m128i operator()(__m512i acc) const { return requant16(_mm512_add_epi32(acc, b), m, z, lo, hi); }
};

template <class Load>
void requantize_loop(int64_t n, const Requant16& q, uint8_t* y, Load load) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), q(load(i, __mmask16(0xFFFF))));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(y + i, m, q(load(i, m)));
  }
}

}  // namespace

void requantize__avx512(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                        uint8_t* y) {
  const Requant16 q(bias, mult, zp, lo, hi);
  requantize_loop(n, q, y, [&](int64_t i, __mmask16 m) { return _mm512_maskz_loadu_epi32(m, acc + i); });
}

void requantize_f32__avx512(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                            uint8_t* y) {
  const Requant16 q(bias, mult, zp, lo, hi);
  requantize_loop(n, q, y, [&](int64_t i, __mmask16 m) { return _mm512_cvttps_epi32(_mm512_maskz_loadu_ps(m, acc + i)); });
}

void shift_to_f32__avx512(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y) {
  const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
  const __m512i z = _mm512_set1_epi32(zp);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)), f);
    _mm512_storeu_ps(y + i, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(b), z)));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m128i b = _mm_xor_si128(_mm_maskz_loadu_epi8(m, x + i), f);
    _mm512_mask_storeu_ps(y + i, m, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(b), z)));
  }
}

// Products and sum with explicit rounding operands: GCC cannot contract those into an FMA.
void add__avx512(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y) {
  constexpr int kR = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m128i f = _mm_set1_epi8(static_cast<char>(p.flip));
  const __m512i za = _mm512_set1_epi32(p.za), zb = _mm512_set1_epi32(p.zb);
  const __m512 ka = _mm512_set1_ps(p.ka), kb = _mm512_set1_ps(p.kb), z = _mm512_set1_ps(static_cast<float>(p.zc));
  const __m512 lo = _mm512_set1_ps(static_cast<float>(p.lo)), hi = _mm512_set1_ps(static_cast<float>(p.hi));
  auto q = [&](__m128i av, __m128i bv) {
    const __m512 va = _mm512_mul_round_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_xor_si128(av, f)), za)), ka, kR);
    const __m512 vb = _mm512_mul_round_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_xor_si128(bv, f)), zb)), kb, kR);
    __m512 r = _mm512_add_ps(_mm512_roundscale_ps(_mm512_add_round_ps(va, vb, kR), kR), z);
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), z, r);
    r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
    return _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(r));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), q(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)),
                                                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(y + i, m, q(_mm_maskz_loadu_epi8(m, a + i), _mm_maskz_loadu_epi8(m, b + i)));
  }
}

}  // namespace edgerun::kernels
