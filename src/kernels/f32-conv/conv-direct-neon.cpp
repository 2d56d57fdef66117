// f32-conv-direct-4x16-neon: 4 output channels x 16 output columns (16 q accumulators) per step: per
// (channel, kernel tap) four loads of input columns, one load of the 4 channel weights and sixteen by-lane
// FMAs. Narrower column blocks (12, 8, 4 columns, the last one partial) finish the row.
#include <arm_neon.h>

#include <algorithm>

#include "kernels/f32-conv/conv-direct.h"

namespace edgerun::kernels {
namespace {

using V = float32x4_t;

// Lanes [0, n) (n < 4), zero past n, and the matching partial store: lane by lane, since a memcpy call would
// force every live accumulator into memory (AAPCS64 keeps no full q register across a call).
inline V load_partial(const float* s, int64_t n) {
  V v = vdupq_n_f32(0.0f);
  if (n >= 1) v = vld1q_lane_f32(s, v, 0);
  if (n >= 2) v = vld1q_lane_f32(s + 1, v, 1);
  if (n >= 3) v = vld1q_lane_f32(s + 2, v, 2);
  return v;
}

inline void store_partial(float* d, int64_t n, V v) {
  if (n >= 1) vst1q_lane_f32(d, v, 0);
  if (n >= 2) vst1q_lane_f32(d + 1, v, 1);
  if (n >= 3) vst1q_lane_f32(d + 2, v, 2);
}

template <int Co, int NV>
inline void fma_cout(V (&acc)[kConvDirectCouts][NV], const V (&xv)[NV], V wv) {
  for (int v = 0; v < NV; ++v) acc[Co][v] = vfmaq_laneq_f32(acc[Co][v], xv[v], wv, Co);
}

// Columns [col0, col0 + 4*NV), of which `cols` are valid (the last vector may be partial; its input loads stay
// inside the row's padding like the other variants').
template <int NV>
void block(const ConvDirectRow& r, int64_t col0, int64_t cols) {
  static_assert(kConvDirectCouts == 4, "one weight vector per tap");
  V acc[kConvDirectCouts][NV];
  for (int co = 0; co < kConvDirectCouts; ++co)
    for (int v = 0; v < NV; ++v) acc[co][v] = vdupq_n_f32(0.0f);
  for (int64_t c = 0; c < r.cin; ++c)
    for (int64_t i = 0; i < r.kh; ++i) {
      const float* xr = r.x + c * r.x_c + i * r.x_h + col0;
      const float* wr = r.w + (c * r.kh + i) * r.kw * kConvDirectCouts;
      // Kernel column j = ph + q*sw reads phase ph at column offset q (no division in the loop).
      for (int64_t ph = 0; ph < r.sw; ++ph) {
        const float* xp = xr + ph * r.wq;
        const float* wp = wr + ph * kConvDirectCouts;
        for (int64_t j = ph; j < r.kw; j += r.sw, ++xp, wp += r.sw * kConvDirectCouts) {
          V xv[NV];
          for (int v = 0; v < NV; ++v) xv[v] = vld1q_f32(xp + 4 * v);
          const V wv = vld1q_f32(wp);  // the 4 output channels' weights of this tap
          fma_cout<0>(acc, xv, wv);
          fma_cout<1>(acc, xv, wv);
          fma_cout<2>(acc, xv, wv);
          fma_cout<3>(acc, xv, wv);
        }
      }
    }
  const V vmin = vdupq_n_f32(r.min), vmax = vdupq_n_f32(r.max);
  for (int co = 0; co < r.couts; ++co) {
    float* yr = r.y + co * r.ld_y + col0;
    const float* res = r.residual ? r.residual + co * r.ld_residual + col0 : nullptr;
    const V bias = vdupq_n_f32(r.bias ? r.bias[co] : 0.0f);
    for (int v = 0; v < NV; ++v) {
      const int64_t n = std::min<int64_t>(4, cols - 4 * v);
      if (n <= 0) break;
      V s = vaddq_f32(acc[co][v], bias);
      if (res) s = vaddq_f32(s, n == 4 ? vld1q_f32(res + 4 * v) : load_partial(res + 4 * v, n));
      s = vminq_f32(vmax, vmaxq_f32(vmin, s));
      if (r.hardswish) {
        V g = vfmaq_f32(vdupq_n_f32(0.5f), s, vdupq_n_f32(1.0f / 6.0f));
        g = vminq_f32(vmaxq_f32(g, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f));
        s = vmulq_f32(s, g);
      }
      if (n == 4)
        vst1q_f32(yr + 4 * v, s);
      else
        store_partial(yr + 4 * v, n, s);
    }
  }
}

}  // namespace

void f32_conv_direct_ukernel_4x16__neon(const ConvDirectRow& r) {
  int64_t col0 = 0;
  for (; col0 + 16 <= r.out_w; col0 += 16) block<4>(r, col0, 16);
  const int64_t rest = r.out_w - col0;
  if (rest > 12)
    block<4>(r, col0, rest);
  else if (rest > 8)
    block<3>(r, col0, rest);
  else if (rest > 4)
    block<2>(r, col0, rest);
  else if (rest > 0)
    block<1>(r, col0, rest);
}

}  // namespace edgerun::kernels
