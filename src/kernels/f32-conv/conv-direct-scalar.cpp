// f32-conv-direct-4x8-scalar: 4 output channels x 8 output columns of accumulators per step.
#include <algorithm>

#include "kernels/f32-conv/conv-direct.h"

namespace edgerun::kernels {

void f32_conv_direct_ukernel_4x8__scalar(const ConvDirectRow& r) {
  constexpr int kCols = 8;
  for (int64_t col0 = 0; col0 < r.out_w; col0 += kCols) {
    float acc[kConvDirectCouts][kCols] = {};
    for (int64_t c = 0; c < r.cin; ++c)
      for (int64_t i = 0; i < r.kh; ++i) {
        const float* xr = r.x + c * r.x_c + i * r.x_h;
        for (int64_t j = 0; j < r.kw; ++j) {
          const float* xp = xr + (j % r.sw) * r.wq + j / r.sw + col0;
          const float* wp = r.w + ((c * r.kh + i) * r.kw + j) * kConvDirectCouts;
          for (int co = 0; co < kConvDirectCouts; ++co)
            for (int v = 0; v < kCols; ++v) acc[co][v] += wp[co] * xp[v];
        }
      }
    const int64_t cols = std::min<int64_t>(kCols, r.out_w - col0);
    for (int co = 0; co < r.couts; ++co) {
      float* yr = r.y + co * r.ld_y + col0;
      for (int64_t v = 0; v < cols; ++v) {
        float s = acc[co][v];
        if (r.bias) s += r.bias[co];
        if (r.residual) s += r.residual[co * r.ld_residual + col0 + v];
        s = std::min(std::max(s, r.min), r.max);
        if (r.hardswish) s *= std::min(std::max(s * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
        yr[v] = s;
      }
    }
  }
}

}  // namespace edgerun::kernels
