// f32-gemm-8x12-neon: 8 rows x 12 columns in 24 q-register accumulators; per k step one 8-float load of the
// A panel (2 q), one 12-float load of the B panel (3 q) and 24 by-lane FMAs (vfmaq_laneq_f32 takes the A value
// straight from its lane, so no broadcasts): 29 of the 32 q registers live, no spills.
#include <arm_neon.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

inline float32x4_t finish(float32x4_t v, const float* c_old, const float* bias_col, float32x4_t bias_row,
                          const float* res, const GemmTileParams& p, float32x4_t vmin, float32x4_t vmax) {
  if (p.accumulate) v = vaddq_f32(v, vld1q_f32(c_old));
  if (p.epilogue) {
    if (p.bias) v = vaddq_f32(v, p.bias_per_column ? vld1q_f32(bias_col) : bias_row);
    if (res) v = vaddq_f32(v, vld1q_f32(res));
    v = vminq_f32(vmax, vmaxq_f32(vmin, v));  // FMAX/FMIN propagate NaN like the reference
    if (p.hardswish) {
      float32x4_t g = vfmaq_f32(vdupq_n_f32(0.5f), v, vdupq_n_f32(1.0f / 6.0f));
      g = vminq_f32(vmaxq_f32(g, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f));
      v = vmulq_f32(v, g);
    }
  }
  return v;
}

inline void store_row(float* c, int r, int64_t ldc, float32x4_t v0, float32x4_t v1, float32x4_t v2,
                      const GemmTileParams& p, float32x4_t vmin, float32x4_t vmax) {
  float* cr = c + r * ldc;
  const float32x4_t brow = p.bias && !p.bias_per_column ? vdupq_n_f32(p.bias[r]) : vdupq_n_f32(0.0f);
  const float* res = p.residual ? p.residual + r * p.ld_residual : nullptr;
  const float* bc = p.bias;
  v0 = finish(v0, cr, bc, brow, res, p, vmin, vmax);
  v1 = finish(v1, cr + 4, bc ? bc + 4 : nullptr, brow, res ? res + 4 : nullptr, p, vmin, vmax);
  v2 = finish(v2, cr + 8, bc ? bc + 8 : nullptr, brow, res ? res + 8 : nullptr, p, vmin, vmax);
  vst1q_f32(cr, v0);
  vst1q_f32(cr + 4, v1);
  vst1q_f32(cr + 8, v2);
}

}  // namespace

void f32_gemm_ukernel_8x12__neon(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 const GemmTileParams& p) {
  const float32x4_t z = vdupq_n_f32(0.0f);
  float32x4_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z;
  float32x4_t c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
  float32x4_t c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  for (int64_t k = 0; k < kc; ++k) {
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);  // rows 0-3, 4-7
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
    c00 = vfmaq_laneq_f32(c00, b0, a0, 0);
    c01 = vfmaq_laneq_f32(c01, b1, a0, 0);
    c02 = vfmaq_laneq_f32(c02, b2, a0, 0);
    c10 = vfmaq_laneq_f32(c10, b0, a0, 1);
    c11 = vfmaq_laneq_f32(c11, b1, a0, 1);
    c12 = vfmaq_laneq_f32(c12, b2, a0, 1);
    c20 = vfmaq_laneq_f32(c20, b0, a0, 2);
    c21 = vfmaq_laneq_f32(c21, b1, a0, 2);
    c22 = vfmaq_laneq_f32(c22, b2, a0, 2);
    c30 = vfmaq_laneq_f32(c30, b0, a0, 3);
    c31 = vfmaq_laneq_f32(c31, b1, a0, 3);
    c32 = vfmaq_laneq_f32(c32, b2, a0, 3);
    c40 = vfmaq_laneq_f32(c40, b0, a1, 0);
    c41 = vfmaq_laneq_f32(c41, b1, a1, 0);
    c42 = vfmaq_laneq_f32(c42, b2, a1, 0);
    c50 = vfmaq_laneq_f32(c50, b0, a1, 1);
    c51 = vfmaq_laneq_f32(c51, b1, a1, 1);
    c52 = vfmaq_laneq_f32(c52, b2, a1, 1);
    c60 = vfmaq_laneq_f32(c60, b0, a1, 2);
    c61 = vfmaq_laneq_f32(c61, b1, a1, 2);
    c62 = vfmaq_laneq_f32(c62, b2, a1, 2);
    c70 = vfmaq_laneq_f32(c70, b0, a1, 3);
    c71 = vfmaq_laneq_f32(c71, b1, a1, 3);
    c72 = vfmaq_laneq_f32(c72, b2, a1, 3);
    a += 8;
    b += 12;
  }
  const float32x4_t vmin = vdupq_n_f32(p.min), vmax = vdupq_n_f32(p.max);
  store_row(c, 0, ldc, c00, c01, c02, p, vmin, vmax);
  store_row(c, 1, ldc, c10, c11, c12, p, vmin, vmax);
  store_row(c, 2, ldc, c20, c21, c22, p, vmin, vmax);
  store_row(c, 3, ldc, c30, c31, c32, p, vmin, vmax);
  store_row(c, 4, ldc, c40, c41, c42, p, vmin, vmax);
  store_row(c, 5, ldc, c50, c51, c52, p, vmin, vmax);
  store_row(c, 6, ldc, c60, c61, c62, p, vmin, vmax);
  store_row(c, 7, ldc, c70, c71, c72, p, vmin, vmax);
}

}  // namespace edgerun::kernels
