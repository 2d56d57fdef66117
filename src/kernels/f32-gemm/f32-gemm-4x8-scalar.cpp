// f32-gemm-4x8-scalar: the portable micro-kernel (and the one EDGERUN_ISA=scalar selects).
#include <algorithm>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {

void f32_gemm_ukernel_4x8__scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                  const GemmTileParams& p) {
  constexpr int kMr = 4, kNr = 8;
  float acc[kMr][kNr] = {};  // the tile
  for (int64_t k = 0; k < kc; ++k) {
    const float* ak = a + k * kMr;
    const float* bk = b + k * kNr;
    for (int r = 0; r < kMr; ++r)
      for (int j = 0; j < kNr; ++j) acc[r][j] += ak[r] * bk[j];
  }
  for (int r = 0; r < kMr; ++r) {
    float* cr = c + r * ldc;
    for (int j = 0; j < kNr; ++j) {
      float v = acc[r][j];
      if (p.accumulate) v += cr[j];
      if (p.epilogue) {
        if (p.bias) v += p.bias_per_column ? p.bias[j] : p.bias[r];
        if (p.residual) v += p.residual[r * p.ld_residual + j];
        v = std::min(std::max(v, p.min), p.max);
        if (p.hardswish) v = v * std::min(std::max(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
      }
      cr[j] = v;
    }
  }
}

}  // namespace edgerun::kernels
