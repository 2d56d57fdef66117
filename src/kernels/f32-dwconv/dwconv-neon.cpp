// f32-dwconv-{3x3,5x5}s{1,2}-neon: each channel is first copied into a zero-padded scratch plane
// (stride 2: every row split into its even and odd columns by vld2q), so the inner loop has no bounds checks:
// 8 output pixels of a row (two q vectors) per step, K*K by-lane FMAs per vector with the channel's weights
// held in ceil(K*K/4) q registers, the row tail by lane loads / stores.
// Bias / residual / ReLU-type clamps / HardSwish are applied in registers, other activations per row
// through f32-vmath.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/f32-dwconv/dwconv_table.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun::kernels {
namespace {

using V = float32x4_t;

// Geometry of the padded scratch plane of one channel.
template <int K, int S>
struct Padded {
  int64_t rows;   // (out_h - 1) * S + K
  int64_t half;   // S == 2: columns per parity half
  int64_t width;  // floats per scratch row
  explicit Padded(const DwConvParams& p) {
    const int64_t ow8 = (p.out_w + 7) / 8 * 8;
    rows = (p.out_h - 1) * S + K;
    half = ow8 + (K - 1) / 2;
    width = S == 1 ? ow8 + K - 1 : 2 * half;
  }
};

// Stride 1: padded row = [pad_left zeros, input row, zeros].
void fill_row_s1(const float* src, int64_t in_w, int64_t pad_left, float* dst, int64_t width) {
  const int64_t n = std::max<int64_t>(0, std::min(in_w, width - pad_left));
  std::fill(dst, dst + std::min(pad_left, width), 0.0f);
  if (n > 0) std::memcpy(dst + pad_left, src, static_cast<size_t>(n) * sizeof(float));
  std::fill(dst + pad_left + n, dst + width, 0.0f);
}

// Stride 2: padded column j = pad_left + i goes to dst[j / 2] (j even) or dst[half + j / 2] (j odd).
void fill_row_s2(const float* src, int64_t in_w, int64_t pad_left, float* dst, int64_t half) {
  std::fill(dst, dst + 2 * half, 0.0f);
  const int64_t n = std::max<int64_t>(0, std::min(in_w, 2 * half - pad_left));
  // Where input columns 0, 2, 4, ... and 1, 3, 5, ... start.
  float* ev = (pad_left % 2 == 0) ? dst + pad_left / 2 : dst + half + (pad_left - 1) / 2;
  float* od = (pad_left % 2 == 0) ? dst + half + pad_left / 2 : dst + (pad_left + 1) / 2;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4x2_t d = vld2q_f32(src + i);  // val[0]: columns i, i+2, ..; val[1]: i+1, i+3, ..
    vst1q_f32(ev + i / 2, d.val[0]);
    vst1q_f32(od + i / 2, d.val[1]);
  }
  for (; i < n; ++i) (i % 2 == 0 ? ev : od)[i / 2] = src[i];
}

template <int K, int S>
void fill_padded(const DwConvParams& p, const Padded<K, S>& g, const float* x, float* scratch) {
  for (int64_t r = 0; r < g.rows; ++r) {
    float* dst = scratch + r * g.width;
    const int64_t iy = r - p.pad_top;
    if (iy < 0 || iy >= p.in_h) {
      std::fill(dst, dst + g.width, 0.0f);
    } else if (S == 1) {
      fill_row_s1(x + iy * p.in_w, p.in_w, p.pad_left, dst, g.width);
    } else {
      fill_row_s2(x + iy * p.in_w, p.in_w, p.pad_left, dst, g.half);
    }
  }
}

// Input columns of tap kx for the output columns starting at ox, in scratch row `row`.
template <int S, int Kx>
inline const float* tap(const float* row, int64_t half, int64_t ox) {
  if constexpr (S == 1) return row + ox + Kx;
  else return row + (Kx % 2) * half + ox + Kx / 2;
}

// Kernel row Ky: acc0/acc1 (output columns ox..ox+3, ox+4..ox+7) += taps * w[Ky*K + kx] (weight from its lane).
template <int K, int S, int Ky, int... Kx>
[[gnu::always_inline]] inline void kernel_row(const float* row, int64_t half, int64_t ox, const V* w, V& acc0, V& acc1,
                       std::integer_sequence<int, Kx...>) {
  ((acc0 = vfmaq_laneq_f32(acc0, vld1q_f32(tap<S, Kx>(row, half, ox)), w[(Ky * K + Kx) / 4], (Ky * K + Kx) % 4),
    acc1 = vfmaq_laneq_f32(acc1, vld1q_f32(tap<S, Kx>(row, half, ox) + 4), w[(Ky * K + Kx) / 4], (Ky * K + Kx) % 4)),
   ...);
}

// Two chains per vector (even and odd kernel rows) hide the FMA latency.
template <int K, int S, int... Ky>
[[gnu::always_inline]] inline void taps(const float* r0, int64_t width, int64_t half, int64_t ox, const V* w, V* acc,
                 std::integer_sequence<int, Ky...>) {
  (kernel_row<K, S, Ky>(r0 + Ky * width, half, ox, w, acc[2 * (Ky % 2)], acc[2 * (Ky % 2) + 1],
                        std::make_integer_sequence<int, K>{}),
   ...);
}

enum class InReg { kNone, kClamp, kHardSwish, kLater };

// v + (bias + residual), then the in-register activation.
template <InReg kAct>
inline V finish(V v, V add, V lo, V hi) {
  v = vaddq_f32(v, add);
  if constexpr (kAct == InReg::kClamp) v = vminq_f32(hi, vmaxq_f32(lo, v));
  if constexpr (kAct == InReg::kHardSwish) {
    const V gate = vfmaq_f32(vdupq_n_f32(0.5f), v, vdupq_n_f32(1.0f / 6.0f));
    v = vmulq_f32(v, vminq_f32(vdupq_n_f32(1.0f), vmaxq_f32(vdupq_n_f32(0.0f), gate)));
  }
  return v;
}

// Lanes [0, n) of 8 floats (n < 8) as two vectors, zero past n, and the matching partial store. Lane by lane
// on purpose: a memcpy call inside the pixel loop would make every live q register a spill (AAPCS64 keeps
// no full q register across a call).
inline void load_partial8(const float* s, int64_t n, V& lo, V& hi) {
  V v[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
  for (int h = 0; h < 2 && n > 0; ++h, s += 4, n -= 4) {
    v[h] = vld1q_lane_f32(s, v[h], 0);
    if (n >= 2) v[h] = vld1q_lane_f32(s + 1, v[h], 1);
    if (n >= 3) v[h] = vld1q_lane_f32(s + 2, v[h], 2);
    if (n >= 4) v[h] = vld1q_lane_f32(s + 3, v[h], 3);
  }
  lo = v[0];
  hi = v[1];
}

inline void store_partial8(float* d, int64_t n, V lo, V hi) {
  if (n >= 4) {
    vst1q_f32(d, lo);
    lo = hi;
    d += 4;
    n -= 4;
  }
  if (n >= 1) vst1q_lane_f32(d, lo, 0);
  if (n >= 2) vst1q_lane_f32(d + 1, lo, 1);
  if (n >= 3) vst1q_lane_f32(d + 2, lo, 2);
}

template <int K, int S, InReg kAct>
void channels(const DwConvParams& p, const float* in, const float* weights, float* out, const Epilogue& ep,
              int64_t c0, int64_t c1) {
  constexpr int kWq = (K * K + 3) / 4;  // q registers of weights
  const Padded<K, S> g(p);
  thread_local std::vector<float> scratch_buf;
  const size_t need = static_cast<size_t>(g.rows * g.width + 16);
  if (scratch_buf.size() < need) scratch_buf.resize(need);
  float* scratch = scratch_buf.data();  // [rows, width]
  const int64_t out_h = p.out_h, out_w = p.out_w, plane = out_h * out_w;
  const int64_t width = g.width, half = g.half;
  const V lo = vdupq_n_f32(ep.act.alpha), hi = vdupq_n_f32(ep.act.beta);
  for (int64_t c = c0; c < c1; ++c) {
    fill_padded<K, S>(p, g, in + c * p.in_cs(), scratch);
    const float* wc = weights + c * K * K;  // [K*K]
    V w[kWq];
    for (int q = 0; q < kWq; ++q) {
      if (4 * q + 4 <= K * K) {
        w[q] = vld1q_f32(wc + 4 * q);
      } else {
        static_assert((K * K) % 4 == 1, "3x3 and 5x5: the last weight vector holds one weight");
        w[q] = vld1q_lane_f32(wc + 4 * q, vdupq_n_f32(0.0f), 0);
      }
    }
    const V bias = vdupq_n_f32(ep.bias ? ep.bias[c] : 0.0f);
    const float* res = ep.residual ? ep.residual + c * ep.ld_residual : nullptr;
    float* y = out + c * p.out_cs();  // [out_h, out_w]
    for (int64_t oy = 0; oy < out_h; ++oy) {
      const float* r0 = scratch + oy * S * width;
      float* yr = y + oy * out_w;
      const float* rr = res ? res + oy * out_w : nullptr;
      for (int64_t ox = 0; ox < out_w; ox += 8) {
        const V z = vdupq_n_f32(0.0f);
        V acc[4] = {z, z, z, z};  // [kernel row parity][half of the 8 columns]
        taps<K, S>(r0, width, half, ox, w, acc, std::make_integer_sequence<int, K>{});
        const int64_t rem = out_w - ox;
        V r_lo = z, r_hi = z;
        if (rr) {
          if (rem >= 8) {
            r_lo = vld1q_f32(rr + ox);
            r_hi = vld1q_f32(rr + ox + 4);
          } else {
            load_partial8(rr + ox, rem, r_lo, r_hi);
          }
        }
        const V v0 = finish<kAct>(vaddq_f32(acc[0], acc[2]), vaddq_f32(bias, r_lo), lo, hi);
        const V v1 = finish<kAct>(vaddq_f32(acc[1], acc[3]), vaddq_f32(bias, r_hi), lo, hi);
        if (rem >= 8) {
          vst1q_f32(yr + ox, v0);
          vst1q_f32(yr + ox + 4, v1);
        } else {
          store_partial8(yr + ox, rem, v0, v1);
        }
      }
    }
    if constexpr (kAct == InReg::kLater) activation_f32(ep.act, y, y, plane);
  }
}

template <int K, int S>
void dwconv_kxs(const DwConvParams& p, const float* in, const float* weights, float* out, const Epilogue& ep,
                int64_t c0, int64_t c1) {
  switch (ep.act.kind) {
    case Act::kNone: return channels<K, S, InReg::kNone>(p, in, weights, out, ep, c0, c1);
    case Act::kClamp: return channels<K, S, InReg::kClamp>(p, in, weights, out, ep, c0, c1);
    case Act::kHardSwish: return channels<K, S, InReg::kHardSwish>(p, in, weights, out, ep, c0, c1);
    default: return channels<K, S, InReg::kLater>(p, in, weights, out, ep, c0, c1);
  }
}

}  // namespace

void dwconv_f32_3x3s1__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<3, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_3x3s2__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<3, 2>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s1__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<5, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s2__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<5, 2>(p, in, weights, out, ep, c0, c1);
}

}  // namespace edgerun::kernels
