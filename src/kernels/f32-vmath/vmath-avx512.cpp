// f32-vmath-avx512: the f32-vmath-avx2 algorithms at 16 lanes, operation for operation (same constants,
// same order of FMAs, roundings and blends), so every element comes out bit-identical to the AVX2 variant:
// switching ISA never changes a model's output. Tails (n % 16) use AVX-512 mask registers.
// The sum keeps the AVX2 variant's order (table entry sum_f32__avx2): a 16-lane reduction would round
// differently.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on _mm512_undefined_ps inside the unmasked intrinsics
// (GCC PR 105593): silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <limits>

#include "kernels/f32-vmath/vmath_consts.h"
#include "kernels/f32-vmath/vmath_table.h"

namespace edgerun::kernels {
namespace {

using namespace vmath;

// Applies f to every 16-lane block of x, writing y (may alias x).
template <class F>
inline void map16(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

inline __m512 expm1_reduced(__m512 r) {
  __m512 p = _mm512_set1_ps(kC7);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC5));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC2));
  return _mm512_fmadd_ps(_mm512_mul_ps(r, r), p, r);
}

// e^r on the reduced range (vmath_consts.h kP*). NEG: of -r, given r (Horner with fnmadd: p(-r) exactly).
template <bool NEG = false>
inline __m512 exp_reduced(__m512 r) {
  const auto step = [&](__m512 p, float c) {
    return NEG ? _mm512_fnmadd_ps(p, r, _mm512_set1_ps(c)) : _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  };
  __m512 p = step(_mm512_set1_ps(kP6), kP5);
  p = step(p, kP4);
  p = step(p, kP3);
  p = step(p, kP2);
  p = step(p, 1.0f);
  return step(p, 1.0f);
}

inline __m512 keep_nan(__m512 x, __m512 y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, _mm512_add_ps(x, x));
}

// Reduced argument r and n (integral, as a float) with v = n ln2 + r.
inline __m512 reduce(__m512 v, __m512* nf) {
  *nf = _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(*nf, _mm512_set1_ps(kLn2Hi), v);
  return _mm512_fnmadd_ps(*nf, _mm512_set1_ps(kLn2Lo), r);
}

inline __m512 exp16(__m512 x) {
  // max/min return their second operand when either is NaN: a NaN x stays NaN through every step below and
  // comes out as keep_nan's x + x would make it (x quieted), so no blend is needed.
  const __m512 xc = _mm512_min_ps(_mm512_set1_ps(kExpMax), _mm512_max_ps(_mm512_set1_ps(kExpMin), x));
  __m512 nf;
  const __m512 r = reduce(xc, &nf);
  const __m512 p = exp_reduced(r);
  // p * 2^n rounded once (vscalefps), which is what the other variants' two exact factors 2^(n/2) 2^(n - n/2)
  // give too (the first product is exact, the second rounds once, also into the denormals): bit-identical, one
  // instruction instead of eight (sigmoid / SiLU ~20 % faster).
  return _mm512_scalef_ps(p, nf);
}

inline __m512 abs16(__m512 x) { return _mm512_abs_ps(x); }
inline __m512 copysign16(__m512 mag, __m512 sign) {
  const __m512 s = _mm512_set1_ps(-0.0f);
  return _mm512_or_ps(_mm512_andnot_ps(s, mag), _mm512_and_ps(s, sign));
}

inline __m512 sigmoid16(__m512 x) {
  const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), abs16(x)));
  const __m512 r = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(neg, r, _mm512_mul_ps(e, r));
}

// x / (1 + e^-x) (as vmath-scalar's silu1); a NaN x stays NaN through the steps and the division.
// e^-x without negating x, as vmath-avx2's silu8 (bit-identical to exp16(-x)).
inline __m512 silu16(__m512 x) {
  const __m512 u = _mm512_min_ps(_mm512_set1_ps(-kExpMin), _mm512_max_ps(_mm512_set1_ps(-kExpMax), x));
  const __m512 nf =
      _mm512_roundscale_ps(_mm512_mul_ps(u, _mm512_set1_ps(-kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 nr = _mm512_fmadd_ps(nf, _mm512_set1_ps(kLn2Hi), u);
  nr = _mm512_fmadd_ps(nf, _mm512_set1_ps(kLn2Lo), nr);
  const __m512 e = _mm512_scalef_ps(exp_reduced<true>(nr), nf);
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

inline __m512 tanh16(__m512 x) {
  const __m512 a = _mm512_min_ps(abs16(x), _mm512_set1_ps(kTanhMax));
  __m512 nf;
  const __m512 r = reduce(_mm512_mul_ps(a, _mm512_set1_ps(-2.0f)), &nf);
  const __m512 s = _mm512_scalef_ps(_mm512_set1_ps(1.0f), nf);
  const __m512 t = _mm512_fmadd_ps(s, expm1_reduced(r), _mm512_sub_ps(s, _mm512_set1_ps(1.0f)));
  const __m512 y = _mm512_div_ps(_mm512_sub_ps(_mm512_setzero_ps(), t), _mm512_add_ps(t, _mm512_set1_ps(2.0f)));
  return keep_nan(x, copysign16(y, x));
}

struct ErfTable {
  __m512 c[kErfDegree + 1];
  ErfTable() {
    for (int j = 0; j <= kErfDegree; ++j) {
      alignas(64) float v[16];
      for (int k = 0; k < 16; ++k) v[k] = kErfCoeffs[j][k & 3];
      c[j] = _mm512_load_ps(v);
    }
  }
};

inline __m512 erf16(__m512 x, const ErfTable& tab) {
  const __m512 a = _mm512_min_ps(abs16(x), _mm512_set1_ps(kErfMax));
  const __m512i k = _mm512_min_epi32(_mm512_cvttps_epi32(a), _mm512_set1_epi32(3));
  const __mmask16 first = _mm512_cmpeq_epi32_mask(k, _mm512_setzero_si512());
  const __m512 base = _mm512_mask_blend_ps(first, a, _mm512_mul_ps(a, a));
  const __m512 off = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_add_epi32(k, k), _mm512_set1_epi32(1)));
  const __m512 t = _mm512_fmsub_ps(_mm512_set1_ps(2.0f), base, off);
  __m512 p = _mm512_permutexvar_ps(k, tab.c[kErfDegree]);
  for (int j = kErfDegree - 1; j >= 0; --j) p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(k, tab.c[j]));
  const __m512 y = _mm512_mask_blend_ps(first, p, _mm512_mul_ps(p, a));
  return keep_nan(x, copysign16(y, x));
}

const ErfTable& erf_table() {
  static const ErfTable t;
  return t;
}

}  // namespace

void exp_f32__avx512(const float* x, float* y, int64_t n) { map16(x, y, n, exp16); }
void sigmoid_f32__avx512(const float* x, float* y, int64_t n) { map16(x, y, n, sigmoid16); }
void tanh_f32__avx512(const float* x, float* y, int64_t n) { map16(x, y, n, tanh16); }
void erf_f32__avx512(const float* x, float* y, int64_t n) {
  const ErfTable& tab = erf_table();
  map16(x, y, n, [&](__m512 v) { return erf16(v, tab); });
}

void activation_f32__avx512(const Activation& act, const float* x, float* y, int64_t n) {
  const __m512 alpha = _mm512_set1_ps(act.alpha), beta = _mm512_set1_ps(act.beta);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
  switch (act.kind) {
    case Act::kNone:
      if (x != y) std::copy(x, x + n, y);
      return;
    case Act::kClamp:  // max/min operand order keeps NaN inputs NaN, as the reference does
      return map16(x, y, n, [&](__m512 v) { return _mm512_min_ps(beta, _mm512_max_ps(alpha, v)); });
    case Act::kHardSwish:
      return map16(x, y, n, [&](__m512 v) {
        const __m512 g = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), half);
        return _mm512_mul_ps(v, _mm512_min_ps(one, _mm512_max_ps(zero, g)));
      });
    case Act::kHardSigmoid:
      return map16(x, y, n, [&](__m512 v) {
        return _mm512_min_ps(one, _mm512_max_ps(zero, _mm512_fmadd_ps(alpha, v, beta)));
      });
    case Act::kSigmoid: return map16(x, y, n, sigmoid16);
    case Act::kSiLU: return map16(x, y, n, silu16);
    case Act::kGelu: {
      const ErfTable& tab = erf_table();
      return map16(x, y, n, [&](__m512 v) {
        const __m512 e = erf16(_mm512_mul_ps(v, _mm512_set1_ps(kInvSqrt2)), tab);
        return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, e));
      });
    }
    case Act::kLeakyRelu:
      return map16(x, y, n, [&](__m512 v) {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GE_OQ), _mm512_mul_ps(alpha, v), v);
      });
    case Act::kTanh: return map16(x, y, n, tanh16);
  }
}

// The sum goes through sum_f32__avx2 (the AVX2 order), so the result is bit-identical to softmax_f32__avx2.
bool softmax_f32__avx512(const float* x, float* y, int64_t n) {
  if (n <= 0) return true;
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 mx = ninf;
  __mmask16 bad = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    bad |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    mx = _mm512_max_ps(mx, v);
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_mask_loadu_ps(ninf, m, x + i);
    bad |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    mx = _mm512_max_ps(mx, v);
  }
  if (bad != 0) return false;
  const float m = _mm512_reduce_max_ps(mx);
  if (std::isinf(m)) return false;
  const __m512 vm = _mm512_set1_ps(m);
  map16(x, y, n, [&](__m512 v) { return exp16(_mm512_sub_ps(v, vm)); });
  const __m512 inv = _mm512_set1_ps(1.0f / sum_f32__avx2(y, n));
  map16(y, y, n, [&](__m512 v) { return _mm512_mul_ps(v, inv); });
  return true;
}

}  // namespace edgerun::kernels
