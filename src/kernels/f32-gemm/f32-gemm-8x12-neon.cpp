// f32-gemm-8x12-neon: 8 rows x 12 columns in 24 q-register accumulators; per k step one 8-float load of the
// A panel (2 q), one 12-float load of the B panel (3 q) and 24 by-lane FMAs (vfmaq_laneq_f32 takes the A value
// straight from its lane, so no broadcasts): 29 of the 32 q registers live, no spills.
#include <arm_neon.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

// The epilogue runs one feature at a time over all rows (as in the x86 kernels): the tests on p once per tile,
// not once per row. ER_EACH(OP) applies OP to the three quarters of every row: c##r##q = op(c##r##q, r, column).
#define ER_EACH(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7)
#define ER_APPLY(r)            \
  c##r##0 = op(c##r##0, r, 0); \
  c##r##1 = op(c##r##1, r, 4); \
  c##r##2 = op(c##r##2, r, 8);

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
  if (p.accumulate) {
    const auto op = [&](float32x4_t v, int r, int j) { return vaddq_f32(v, vld1q_f32(c + r * ldc + j)); };
    ER_EACH(ER_APPLY)
  }
  if (p.epilogue) {
    if (p.bias && p.bias_per_column) {
      const float* bc = p.bias;
      const auto op = [&](float32x4_t v, int, int j) { return vaddq_f32(v, vld1q_f32(bc + j)); };
      ER_EACH(ER_APPLY)
    } else if (p.bias) {
      const auto op = [&](float32x4_t v, int r, int) { return vaddq_f32(v, vdupq_n_f32(p.bias[r])); };
      ER_EACH(ER_APPLY)
    }
    if (p.residual) {
      const auto op = [&](float32x4_t v, int r, int j) {
        return vaddq_f32(v, vld1q_f32(p.residual + r * p.ld_residual + j));
      };
      ER_EACH(ER_APPLY)
    }
    // FMAX/FMIN propagate NaN like the reference; bounds at -inf / +inf are skipped.
    if (p.min != -__builtin_inff()) {
      const float32x4_t vmin = vdupq_n_f32(p.min);
      const auto op = [&](float32x4_t v, int, int) { return vmaxq_f32(vmin, v); };
      ER_EACH(ER_APPLY)
    }
    if (p.max != __builtin_inff()) {
      const float32x4_t vmax = vdupq_n_f32(p.max);
      const auto op = [&](float32x4_t v, int, int) { return vminq_f32(vmax, v); };
      ER_EACH(ER_APPLY)
    }
    if (p.hardswish) {
      const auto op = [&](float32x4_t v, int, int) {
        float32x4_t g = vfmaq_f32(vdupq_n_f32(0.5f), v, vdupq_n_f32(1.0f / 6.0f));
        g = vminq_f32(vmaxq_f32(g, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f));
        return vmulq_f32(v, g);
      };
      ER_EACH(ER_APPLY)
    }
  }
  const auto op = [&](float32x4_t v, int r, int j) {
    vst1q_f32(c + r * ldc + j, v);
    return v;
  };
  ER_EACH(ER_APPLY)
}

#undef ER_EACH
#undef ER_APPLY

}  // namespace edgerun::kernels
