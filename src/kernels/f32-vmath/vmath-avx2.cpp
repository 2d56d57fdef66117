// f32-vmath-avx2: 8 lanes per step with FMA; the tail (n % 8) goes through masked loads/stores so
// short rows (GEMM epilogues) need no scalar loop.
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

alignas(32) const int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i tail_mask(int64_t rem) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - rem)); }

// Applies f to every 8-lane block of x, writing y (may alias x).
template <class F>
inline void map8(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

inline __m256 pow2i(__m256i n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

inline __m256 expm1_reduced(__m256 r) {
  __m256 p = _mm256_set1_ps(kC7);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC5));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC2));
  return _mm256_fmadd_ps(_mm256_mul_ps(r, r), p, r);
}

// e^r on the reduced range (vmath_consts.h kP*). NEG: of -r, given r (Horner with fnmadd: p(-r) exactly).
template <bool NEG = false>
inline __m256 exp_reduced(__m256 r) {
  const auto step = [&](__m256 p, float c) {
    return NEG ? _mm256_fnmadd_ps(p, r, _mm256_set1_ps(c)) : _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
  };
  __m256 p = step(_mm256_set1_ps(kP6), kP5);
  p = step(p, kP4);
  p = step(p, kP3);
  p = step(p, kP2);
  p = step(p, 1.0f);
  return step(p, 1.0f);
}

inline __m256 keep_nan(__m256 x, __m256 y) {
  return _mm256_blendv_ps(y, _mm256_add_ps(x, x), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// Reduced argument r and integer n with v = n ln2 + r.
inline __m256 reduce(__m256 v, __m256i* n) {
  const __m256 nf = _mm256_round_ps(_mm256_mul_ps(v, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Hi), v);
  r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Lo), r);
  *n = _mm256_cvtps_epi32(nf);
  return r;
}

// p * 2^n as two exact factors, so that results in the denormal range round once.
inline __m256 scale_pow2(__m256 p, __m256i n) {
  const __m256i n1 = _mm256_srai_epi32(n, 1);
  return _mm256_mul_ps(_mm256_mul_ps(p, pow2i(n1)), pow2i(_mm256_sub_epi32(n, n1)));
}

// e^x for non-NaN x (a NaN lane gives some finite value).
inline __m256 exp8_ordered(__m256 x) {
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kExpMin)), _mm256_set1_ps(kExpMax));
  __m256i n;
  const __m256 r = reduce(xc, &n);
  return scale_pow2(exp_reduced(r), n);
}

inline __m256 exp8(__m256 x) { return keep_nan(x, exp8_ordered(x)); }

inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
inline __m256 copysign8(__m256 mag, __m256 sign) {
  const __m256 s = _mm256_set1_ps(-0.0f);
  return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sign));
}

inline __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(r, _mm256_mul_ps(e, r), neg);
}

// x / (1 + e^-x) (as vmath-scalar's silu1); a NaN x gives x quieted through the division.
// e^-x without negating x: every step of exp8_ordered(-x) has its exact negative here (u = x clamped to
// [-kExpMax, -kExpMin] is -xc; n = round(u * -log2e) is the same n; u + n ln2hi + n ln2lo is -r, rounded at the
// same places as roundings are sign-symmetric; the polynomial takes -r through fnmadd), so the result is
// bit-identical to the plain form with one operation fewer.
inline __m256 silu8(__m256 x) {
  const __m256 u = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-kExpMax)), _mm256_set1_ps(-kExpMin));
  const __m256 nf = _mm256_round_ps(_mm256_mul_ps(u, _mm256_set1_ps(-kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 nr = _mm256_fmadd_ps(nf, _mm256_set1_ps(kLn2Hi), u);
  nr = _mm256_fmadd_ps(nf, _mm256_set1_ps(kLn2Lo), nr);
  const __m256 e = scale_pow2(exp_reduced<true>(nr), _mm256_cvtps_epi32(nf));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

inline __m256 tanh8(__m256 x) {
  const __m256 a = _mm256_min_ps(abs8(x), _mm256_set1_ps(kTanhMax));
  __m256i n;
  const __m256 r = reduce(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)), &n);
  const __m256 s = pow2i(n);
  const __m256 t = _mm256_fmadd_ps(s, expm1_reduced(r), _mm256_sub_ps(s, _mm256_set1_ps(1.0f)));
  const __m256 y = _mm256_div_ps(_mm256_sub_ps(_mm256_setzero_ps(), t), _mm256_add_ps(t, _mm256_set1_ps(2.0f)));
  return keep_nan(x, copysign8(y, x));
}

struct ErfTable {
  __m256 c[kErfDegree + 1];
  ErfTable() {
    for (int j = 0; j <= kErfDegree; ++j) {
      alignas(32) float v[8];
      for (int k = 0; k < 8; ++k) v[k] = kErfCoeffs[j][k & 3];
      c[j] = _mm256_load_ps(v);
    }
  }
};

inline __m256 erf8(__m256 x, const ErfTable& tab) {
  const __m256 a = _mm256_min_ps(abs8(x), _mm256_set1_ps(kErfMax));
  const __m256i k = _mm256_min_epi32(_mm256_cvttps_epi32(a), _mm256_set1_epi32(3));
  const __m256 first = _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_setzero_si256()));
  const __m256 base = _mm256_blendv_ps(a, _mm256_mul_ps(a, a), first);
  const __m256 off = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_add_epi32(k, k), _mm256_set1_epi32(1)));
  const __m256 t = _mm256_fmsub_ps(_mm256_set1_ps(2.0f), base, off);
  __m256 p = _mm256_permutevar8x32_ps(tab.c[kErfDegree], k);
  for (int j = kErfDegree - 1; j >= 0; --j) p = _mm256_fmadd_ps(p, t, _mm256_permutevar8x32_ps(tab.c[j], k));
  const __m256 y = _mm256_blendv_ps(p, _mm256_mul_ps(p, a), first);
  return keep_nan(x, copysign8(y, x));
}

const ErfTable& erf_table() {
  static const ErfTable t;
  return t;
}

}  // namespace

void exp_f32__avx2(const float* x, float* y, int64_t n) { map8(x, y, n, exp8); }
void sigmoid_f32__avx2(const float* x, float* y, int64_t n) { map8(x, y, n, sigmoid8); }
void tanh_f32__avx2(const float* x, float* y, int64_t n) { map8(x, y, n, tanh8); }
void erf_f32__avx2(const float* x, float* y, int64_t n) {
  const ErfTable& tab = erf_table();
  map8(x, y, n, [&](__m256 v) { return erf8(v, tab); });
}

void activation_f32__avx2(const Activation& act, const float* x, float* y, int64_t n) {
  const __m256 alpha = _mm256_set1_ps(act.alpha), beta = _mm256_set1_ps(act.beta);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
  switch (act.kind) {
    case Act::kNone:
      if (x != y) std::copy(x, x + n, y);
      return;
    case Act::kClamp:  // max/min operand order keeps NaN inputs NaN, as the reference does
      return map8(x, y, n, [&](__m256 v) { return _mm256_min_ps(beta, _mm256_max_ps(alpha, v)); });
    case Act::kHardSwish:
      return map8(x, y, n, [&](__m256 v) {
        const __m256 g = _mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), half);
        return _mm256_mul_ps(v, _mm256_min_ps(one, _mm256_max_ps(zero, g)));
      });
    case Act::kHardSigmoid:
      return map8(x, y, n, [&](__m256 v) {
        return _mm256_min_ps(one, _mm256_max_ps(zero, _mm256_fmadd_ps(alpha, v, beta)));
      });
    case Act::kSigmoid: return map8(x, y, n, sigmoid8);
    case Act::kSiLU: return map8(x, y, n, silu8);
    case Act::kGelu: {
      const ErfTable& tab = erf_table();
      return map8(x, y, n, [&](__m256 v) {
        const __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(kInvSqrt2)), tab);
        return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, e));
      });
    }
    case Act::kLeakyRelu:
      return map8(x, y, n, [&](__m256 v) {
        return _mm256_blendv_ps(_mm256_mul_ps(alpha, v), v, _mm256_cmp_ps(v, zero, _CMP_GE_OQ));
      });
    case Act::kTanh: return map8(x, y, n, tanh8);
  }
}

float sum_f32__avx2(const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
  if (i < n) a1 = _mm256_add_ps(a1, _mm256_maskload_ps(x + i, tail_mask(n - i)));
  const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

bool softmax_f32__avx2(const float* x, float* y, int64_t n) {
  if (n <= 0) return true;
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 mx = ninf, bad = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    mx = _mm256_max_ps(mx, v);
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_blendv_ps(ninf, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m));
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    mx = _mm256_max_ps(mx, v);
  }
  if (_mm256_movemask_ps(bad) != 0) return false;
  __m128 q = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
  q = _mm_max_ps(q, _mm_movehl_ps(q, q));
  q = _mm_max_ss(q, _mm_movehdup_ps(q));
  const float m = _mm_cvtss_f32(q);
  if (std::isinf(m)) return false;
  const __m256 vm = _mm256_set1_ps(m);
  map8(x, y, n, [&](__m256 v) { return exp8(_mm256_sub_ps(v, vm)); });
  const __m256 inv = _mm256_set1_ps(1.0f / sum_f32__avx2(y, n));
  map8(y, y, n, [&](__m256 v) { return _mm256_mul_ps(v, inv); });
  return true;
}

}  // namespace edgerun::kernels
