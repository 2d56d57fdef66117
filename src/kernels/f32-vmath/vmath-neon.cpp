// f32-vmath-neon: the same approximations as -avx2 (vmath_consts.h) on float32x4_t, two vectors per step;
// the tail (n % 4) goes through a small stack buffer, so short rows (GEMM epilogues) need no scalar loop.
#include <arm_neon.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <limits>

#include "kernels/f32-vmath/vmath_consts.h"
#include "kernels/f32-vmath/vmath_table.h"

namespace edgerun::kernels {
namespace {

using namespace vmath;
using V = float32x4_t;

// Applies f to every 4-lane block of x, writing y (may alias x).
template <class F>
inline void map4(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const V r0 = f(vld1q_f32(x + i)), r1 = f(vld1q_f32(x + i + 4));
    vst1q_f32(y + i, r0);
    vst1q_f32(y + i + 4, r1);
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(vld1q_f32(x + i)));
  if (i < n) {
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
    float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    std::memcpy(buf, x + i, bytes);
    vst1q_f32(buf, f(vld1q_f32(buf)));
    std::memcpy(y + i, buf, bytes);
  }
}

inline V pow2i(int32x4_t n) { return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23)); }

inline V expm1_reduced(V r) {
  V p = vdupq_n_f32(kC7);
  p = vfmaq_f32(vdupq_n_f32(kC6), p, r);
  p = vfmaq_f32(vdupq_n_f32(kC5), p, r);
  p = vfmaq_f32(vdupq_n_f32(kC4), p, r);
  p = vfmaq_f32(vdupq_n_f32(kC3), p, r);
  p = vfmaq_f32(vdupq_n_f32(kC2), p, r);
  return vfmaq_f32(r, vmulq_f32(r, r), p);
}

// e^r on the reduced range (vmath_consts.h kP*). NEG: of -r, given r (Horner with fms: p(-r) exactly).
template <bool NEG = false>
inline V exp_reduced(V r) {
  const auto step = [&](V p, float c) { return NEG ? vfmsq_f32(vdupq_n_f32(c), p, r) : vfmaq_f32(vdupq_n_f32(c), p, r); };
  V p = step(vdupq_n_f32(kP6), kP5);
  p = step(p, kP4);
  p = step(p, kP3);
  p = step(p, kP2);
  p = step(p, 1.0f);
  return step(p, 1.0f);
}

inline V keep_nan(V x, V y) { return vbslq_f32(vceqq_f32(x, x), y, vaddq_f32(x, x)); }

// Reduced argument r and integer n with v = n ln2 + r.
inline V reduce(V v, int32x4_t* n) {
  const V nf = vrndnq_f32(vmulq_f32(v, vdupq_n_f32(kLog2e)));
  V r = vfmsq_f32(v, nf, vdupq_n_f32(kLn2Hi));
  r = vfmsq_f32(r, nf, vdupq_n_f32(kLn2Lo));
  *n = vcvtq_s32_f32(nf);  // nf is integral
  return r;
}

// p * 2^n as two exact factors, so that results in the denormal range round once.
inline V scale_pow2(V p, int32x4_t n) {
  const int32x4_t n1 = vshrq_n_s32(n, 1);
  return vmulq_f32(vmulq_f32(p, pow2i(n1)), pow2i(vsubq_s32(n, n1)));
}

inline V exp4(V x) {
  const V xc = vminq_f32(vmaxq_f32(x, vdupq_n_f32(kExpMin)), vdupq_n_f32(kExpMax));
  int32x4_t n;
  const V r = reduce(xc, &n);
  return keep_nan(x, scale_pow2(exp_reduced(r), n));
}

inline V copysign4(V mag, V sign) {
  const uint32x4_t s = vdupq_n_u32(0x80000000u);
  return vbslq_f32(s, sign, mag);
}

inline V sigmoid4(V x) {
  const V e = exp4(vnegq_f32(vabsq_f32(x)));
  const V r = vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), e));
  return vbslq_f32(vcltq_f32(x, vdupq_n_f32(0.0f)), vmulq_f32(e, r), r);
}

// x / (1 + e^-x) (as vmath-scalar's silu1); a NaN x gives NaN through the division.
// e^-x without negating x, as vmath-avx2's silu8 (the same values as exp4(-x)).
inline V silu4(V x) {
  const V u = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-kExpMax)), vdupq_n_f32(-kExpMin));
  const V nf = vrndnq_f32(vmulq_f32(u, vdupq_n_f32(-kLog2e)));
  V nr = vfmaq_f32(u, nf, vdupq_n_f32(kLn2Hi));
  nr = vfmaq_f32(nr, nf, vdupq_n_f32(kLn2Lo));
  const V e = scale_pow2(exp_reduced<true>(nr), vcvtq_s32_f32(nf));  // nf is integral
  return vdivq_f32(x, vaddq_f32(vdupq_n_f32(1.0f), e));
}

inline V tanh4(V x) {
  const V a = vminq_f32(vabsq_f32(x), vdupq_n_f32(kTanhMax));
  int32x4_t n;
  const V r = reduce(vmulq_f32(a, vdupq_n_f32(-2.0f)), &n);
  const V s = pow2i(n);
  const V t = vfmaq_f32(vsubq_f32(s, vdupq_n_f32(1.0f)), s, expm1_reduced(r));
  const V y = vdivq_f32(vnegq_f32(t), vaddq_f32(t, vdupq_n_f32(2.0f)));
  return keep_nan(x, copysign4(y, x));
}

// Coefficient j of the four erf pieces, one per lane; a lane picks piece k by a byte table lookup.
struct ErfTable {
  uint8x16_t c[kErfDegree + 1];
  ErfTable() {
    for (int j = 0; j <= kErfDegree; ++j) c[j] = vreinterpretq_u8_f32(vld1q_f32(kErfCoeffs[j]));
  }
};

inline V pick(uint8x16_t table, uint8x16_t idx) { return vreinterpretq_f32_u8(vqtbl1q_u8(table, idx)); }

inline V erf4(V x, const ErfTable& tab) {
  const V a = vminq_f32(vabsq_f32(x), vdupq_n_f32(kErfMax));
  const int32x4_t k = vminq_s32(vcvtq_s32_f32(a), vdupq_n_s32(3));  // truncation
  const uint32x4_t first = vceqq_s32(k, vdupq_n_s32(0));
  const V base = vbslq_f32(first, vmulq_f32(a, a), a);
  const V off = vcvtq_f32_s32(vaddq_s32(vaddq_s32(k, k), vdupq_n_s32(1)));
  const V t = vsubq_f32(vmulq_f32(vdupq_n_f32(2.0f), base), off);
  // Byte indices 4k + {0, 1, 2, 3} of each lane.
  const uint8x16_t idx = vreinterpretq_u8_u32(
      vaddq_u32(vmulq_n_u32(vreinterpretq_u32_s32(k), 0x04040404u), vdupq_n_u32(0x03020100u)));
  V p = pick(tab.c[kErfDegree], idx);
  for (int j = kErfDegree - 1; j >= 0; --j) p = vfmaq_f32(pick(tab.c[j], idx), p, t);
  const V y = vbslq_f32(first, vmulq_f32(p, a), p);
  return keep_nan(x, copysign4(y, x));
}

const ErfTable& erf_table() {
  static const ErfTable t;
  return t;
}

}  // namespace

void exp_f32__neon(const float* x, float* y, int64_t n) { map4(x, y, n, exp4); }
void sigmoid_f32__neon(const float* x, float* y, int64_t n) { map4(x, y, n, sigmoid4); }
void tanh_f32__neon(const float* x, float* y, int64_t n) { map4(x, y, n, tanh4); }
void erf_f32__neon(const float* x, float* y, int64_t n) {
  const ErfTable& tab = erf_table();
  map4(x, y, n, [&](V v) { return erf4(v, tab); });
}

void activation_f32__neon(const Activation& act, const float* x, float* y, int64_t n) {
  const V alpha = vdupq_n_f32(act.alpha), beta = vdupq_n_f32(act.beta);
  const V zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f), half = vdupq_n_f32(0.5f);
  switch (act.kind) {
    case Act::kNone:
      if (x != y) std::copy(x, x + n, y);
      return;
    case Act::kClamp:  // FMAX/FMIN return NaN for a NaN input, as the reference does
      return map4(x, y, n, [&](V v) { return vminq_f32(beta, vmaxq_f32(alpha, v)); });
    case Act::kHardSwish:
      return map4(x, y, n, [&](V v) {
        const V g = vfmaq_f32(half, v, vdupq_n_f32(1.0f / 6.0f));
        return vmulq_f32(v, vminq_f32(one, vmaxq_f32(zero, g)));
      });
    case Act::kHardSigmoid:
      return map4(x, y, n, [&](V v) { return vminq_f32(one, vmaxq_f32(zero, vfmaq_f32(beta, alpha, v))); });
    case Act::kSigmoid: return map4(x, y, n, sigmoid4);
    case Act::kSiLU: return map4(x, y, n, silu4);
    case Act::kGelu: {
      const ErfTable& tab = erf_table();
      return map4(x, y, n, [&](V v) {
        const V e = erf4(vmulq_f32(v, vdupq_n_f32(kInvSqrt2)), tab);
        return vmulq_f32(vmulq_f32(half, v), vaddq_f32(one, e));
      });
    }
    case Act::kLeakyRelu:
      return map4(x, y, n, [&](V v) { return vbslq_f32(vcgeq_f32(v, zero), v, vmulq_f32(alpha, v)); });
    case Act::kTanh: return map4(x, y, n, tanh4);
  }
}

float sum_f32__neon(const float* x, int64_t n) {
  V a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = vaddq_f32(a0, vld1q_f32(x + i));
    a1 = vaddq_f32(a1, vld1q_f32(x + i + 4));
    a2 = vaddq_f32(a2, vld1q_f32(x + i + 8));
    a3 = vaddq_f32(a3, vld1q_f32(x + i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = vaddq_f32(a0, vld1q_f32(x + i));
  if (i < n) {
    float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    std::memcpy(buf, x + i, static_cast<size_t>(n - i) * sizeof(float));
    a1 = vaddq_f32(a1, vld1q_f32(buf));
  }
  return vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
}

bool softmax_f32__neon(const float* x, float* y, int64_t n) {
  if (n <= 0) return true;
  float mx = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= 4) {
    V m4 = vdupq_n_f32(mx);  // FMAX: NaN in, NaN out, so a NaN anywhere makes the maximum NaN
    for (; i + 4 <= n; i += 4) m4 = vmaxq_f32(m4, vld1q_f32(x + i));
    mx = vmaxvq_f32(m4);
  }
  for (; i < n; ++i) mx = x[i] != x[i] ? x[i] : (x[i] > mx ? x[i] : mx);
  if (mx != mx || std::isinf(mx)) return false;
  const V vm = vdupq_n_f32(mx);
  map4(x, y, n, [&](V v) { return exp4(vsubq_f32(v, vm)); });
  const V inv = vdupq_n_f32(1.0f / sum_f32__neon(y, n));
  map4(y, y, n, [&](V v) { return vmulq_f32(v, inv); });
  return true;
}

}  // namespace edgerun::kernels
