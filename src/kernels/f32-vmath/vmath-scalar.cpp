// f32-vmath-scalar: the same approximations as the vector variants, one element at a time
// (portable C++; the compiler may still vectorize the loops with the baseline ISA).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/f32-vmath/vmath_consts.h"
#include "kernels/f32-vmath/vmath_table.h"

namespace edgerun::kernels {
namespace {

using namespace vmath;

inline float pow2i(int32_t n) { return std::bit_cast<float>(static_cast<uint32_t>(n + 127) << 23); }

// Rounds to nearest (ties to even) for |v| < 2^22 in the default rounding mode.
inline float round_near(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (v + kMagic) - kMagic;
}

// expm1 of the reduced argument without the leading 1: r + r^2 (1/2 + r/6 + ... + r^5/5040).
inline float expm1_reduced(float r) {
  float p = kC7;
  p = p * r + kC6;
  p = p * r + kC5;
  p = p * r + kC4;
  p = p * r + kC3;
  p = p * r + kC2;
  return (r * r) * p + r;
}

// e^r on the reduced range (vmath_consts.h kP*).
inline float exp_reduced(float r) {
  float p = kP6;
  p = p * r + kP5;
  p = p * r + kP4;
  p = p * r + kP3;
  p = p * r + kP2;
  p = p * r + 1.0f;
  return p * r + 1.0f;
}

inline float exp1(float x) {
  if (x != x) return x + x;
  const float xc = std::min(std::max(x, kExpMin), kExpMax);
  const float n = round_near(xc * kLog2e);
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  const float p = exp_reduced(r);
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t n1 = ni >> 1;
  return p * pow2i(n1) * pow2i(ni - n1);
}

inline float sigmoid1(float x) {
  const float e = exp1(-std::fabs(x));
  const float r = 1.0f / (1.0f + e);
  return x >= 0.0f ? r : e * r;
}

// x / (1 + e^-x): one division and no sign split (e^-x overflows to +inf below x = -89, giving -0 as x * e^x
// underflows; NaN stays NaN).
inline float silu1(float x) { return x / (1.0f + exp1(-x)); }

// tanh(|x|) = -t / (t + 2) with t = expm1(-2|x|) in (-1, 0]: no cancellation anywhere.
inline float tanh1(float x) {
  if (x != x) return x + x;
  const float a = std::min(std::fabs(x), kTanhMax);
  const float v = -2.0f * a;
  const float n = round_near(v * kLog2e);
  float r = v - n * kLn2Hi;
  r = r - n * kLn2Lo;
  const float s = pow2i(static_cast<int32_t>(n));
  const float t = s * expm1_reduced(r) + (s - 1.0f);
  return std::copysign(-t / (t + 2.0f), x);
}

inline float erf1(float x) {
  if (x != x) return x + x;
  const float a = std::min(std::fabs(x), kErfMax);
  const int k = std::min(static_cast<int>(a), 3);
  const float base = k == 0 ? a * a : a;
  const float t = 2.0f * base - static_cast<float>(2 * k + 1);
  float p = kErfCoeffs[kErfDegree][k];
  for (int j = kErfDegree - 1; j >= 0; --j) p = p * t + kErfCoeffs[j][k];
  return std::copysign(k == 0 ? p * a : p, x);
}

inline float act1(const Activation& act, float x) {
  switch (act.kind) {
    case Act::kNone: return x;
    case Act::kClamp: return std::min(std::max(x, act.alpha), act.beta);
    case Act::kHardSwish: return x * std::min(std::max(x * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
    case Act::kHardSigmoid: return std::min(std::max(act.alpha * x + act.beta, 0.0f), 1.0f);
    case Act::kSigmoid: return sigmoid1(x);
    case Act::kSiLU: return silu1(x);
    case Act::kGelu: return 0.5f * x * (1.0f + erf1(x * kInvSqrt2));
    case Act::kLeakyRelu: return x >= 0.0f ? x : act.alpha * x;
    case Act::kTanh: return tanh1(x);
  }
  return x;
}

}  // namespace

void exp_f32__scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp1(x[i]);
}
void sigmoid_f32__scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = sigmoid1(x[i]);
}
void tanh_f32__scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = tanh1(x[i]);
}
void erf_f32__scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = erf1(x[i]);
}
void activation_f32__scalar(const Activation& act, const float* x, float* y, int64_t n) {
  if (act.kind == Act::kNone) {
    if (x != y) std::copy(x, x + n, y);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = act1(act, x[i]);
}
float sum_f32__scalar(const float* x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += x[i + j];
  for (int j = 0; i < n; ++i, ++j) acc[j] += x[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

bool softmax_f32__scalar(const float* x, float* y, int64_t n) {
  if (n <= 0) return true;
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] != x[i]) return false;
    mx = x[i] > mx ? x[i] : mx;
  }
  if (std::isinf(mx)) return false;
  for (int64_t i = 0; i < n; ++i) y[i] = exp1(x[i] - mx);
  const float inv = 1.0f / sum_f32__scalar(y, n);
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  return true;
}

}  // namespace edgerun::kernels
