// f32-conv-direct-4x24-avx2: 4 output channels x 24 output columns (12 ymm accumulators) per step: per
// (channel, kernel tap) three loads of input columns, four weight broadcasts, twelve FMAs. Narrower
// column blocks (16, 8, then a masked partial vector) finish the row.
#include <immintrin.h>

#include <algorithm>

#include "kernels/f32-conv/conv-direct.h"

namespace edgerun::kernels {
namespace {

// Lanes [0, n) set.
inline __m256i lane_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Columns [col0, col0 + 8*NV), of which `cols` are valid (the last vector may be partial).
template <int NV>
void block(const ConvDirectRow& r, int64_t col0, int64_t cols) {
  __m256 acc[kConvDirectCouts][NV];
  for (int co = 0; co < kConvDirectCouts; ++co)
    for (int v = 0; v < NV; ++v) acc[co][v] = _mm256_setzero_ps();
  for (int64_t c = 0; c < r.cin; ++c)
    for (int64_t i = 0; i < r.kh; ++i) {
      const float* xr = r.x + c * r.x_c + i * r.x_h + col0;
      const float* wr = r.w + (c * r.kh + i) * r.kw * kConvDirectCouts;
      // Kernel column j = ph + q*sw reads phase ph at column offset q (no division in the loop).
      for (int64_t ph = 0; ph < r.sw; ++ph) {
        const float* xp = xr + ph * r.wq;
        const float* wp = wr + ph * kConvDirectCouts;
        for (int64_t j = ph; j < r.kw; j += r.sw, ++xp, wp += r.sw * kConvDirectCouts) {
          __m256 xv[NV];
          for (int v = 0; v < NV; ++v) xv[v] = _mm256_loadu_ps(xp + 8 * v);
          for (int co = 0; co < kConvDirectCouts; ++co) {
            const __m256 wv = _mm256_broadcast_ss(wp + co);
            for (int v = 0; v < NV; ++v) acc[co][v] = _mm256_fmadd_ps(wv, xv[v], acc[co][v]);
          }
        }
      }
    }
  const __m256 vmin = _mm256_set1_ps(r.min), vmax = _mm256_set1_ps(r.max);
  for (int co = 0; co < r.couts; ++co) {
    float* yr = r.y + co * r.ld_y + col0;
    const float* res = r.residual ? r.residual + co * r.ld_residual + col0 : nullptr;
    const __m256 bias = r.bias ? _mm256_set1_ps(r.bias[co]) : _mm256_setzero_ps();
    for (int v = 0; v < NV; ++v) {
      const int64_t n = std::min<int64_t>(8, cols - 8 * v);
      if (n <= 0) break;
      const __m256i mask = lane_mask(n);
      __m256 s = _mm256_add_ps(acc[co][v], bias);
      if (res) s = _mm256_add_ps(s, n == 8 ? _mm256_loadu_ps(res + 8 * v) : _mm256_maskload_ps(res + 8 * v, mask));
      s = _mm256_min_ps(vmax, _mm256_max_ps(vmin, s));
      if (r.hardswish) {
        __m256 g = _mm256_fmadd_ps(s, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
        g = _mm256_min_ps(_mm256_max_ps(g, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
        s = _mm256_mul_ps(s, g);
      }
      if (n == 8)
        _mm256_storeu_ps(yr + 8 * v, s);
      else
        _mm256_maskstore_ps(yr + 8 * v, mask, s);
    }
  }
}

}  // namespace

void f32_conv_direct_ukernel_4x24__avx2(const ConvDirectRow& r) {
  int64_t col0 = 0;
  for (; col0 + 24 <= r.out_w; col0 += 24) block<3>(r, col0, 24);
  const int64_t rest = r.out_w - col0;
  if (rest > 16)
    block<3>(r, col0, rest);
  else if (rest > 8)
    block<2>(r, col0, rest);
  else if (rest > 0)
    block<1>(r, col0, rest);
}

}  // namespace edgerun::kernels
