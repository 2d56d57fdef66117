// f32-gemm-6x16-avx2: 6 rows x 16 columns held in 12 named ymm accumulators; per k step two loads of
// B, six broadcasts of A and twelve FMAs (15 of the 16 ymm registers live, no spills).
#include <immintrin.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

inline __m256 finish(__m256 v, const float* c_old, const float* bias_col, __m256 bias_row, const float* res,
                     const GemmTileParams& p, __m256 vmin, __m256 vmax) {
  if (p.accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(c_old));
  if (p.epilogue) {
    if (p.bias) v = _mm256_add_ps(v, p.bias_per_column ? _mm256_loadu_ps(bias_col) : bias_row);
    if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res));
    v = _mm256_min_ps(vmax, _mm256_max_ps(vmin, v));  // NaN propagates like std::min/max
    if (p.hardswish) {
      __m256 g = _mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
      g = _mm256_min_ps(_mm256_max_ps(g, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
      v = _mm256_mul_ps(v, g);
    }
  }
  return v;
}

inline void store_row(float* c, int r, int64_t ldc, __m256 lo, __m256 hi, const GemmTileParams& p, __m256 vmin,
                      __m256 vmax) {
  float* cr = c + r * ldc;
  const __m256 brow = p.bias && !p.bias_per_column ? _mm256_set1_ps(p.bias[r]) : _mm256_setzero_ps();
  const float* res = p.residual ? p.residual + r * p.ld_residual : nullptr;
  lo = finish(lo, cr, p.bias, brow, res, p, vmin, vmax);
  hi = finish(hi, cr + 8, p.bias ? p.bias + 8 : nullptr, brow, res ? res + 8 : nullptr, p, vmin, vmax);
  _mm256_storeu_ps(cr, lo);
  _mm256_storeu_ps(cr + 8, hi);
}

}  // namespace

void f32_gemm_ukernel_6x16__avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 const GemmTileParams& p) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += 6;
    b += 16;
  }
  const __m256 vmin = _mm256_set1_ps(p.min), vmax = _mm256_set1_ps(p.max);
  store_row(c, 0, ldc, c00, c01, p, vmin, vmax);
  store_row(c, 1, ldc, c10, c11, p, vmin, vmax);
  store_row(c, 2, ldc, c20, c21, p, vmin, vmax);
  store_row(c, 3, ldc, c30, c31, p, vmin, vmax);
  store_row(c, 4, ldc, c40, c41, p, vmin, vmax);
  store_row(c, 5, ldc, c50, c51, p, vmin, vmax);
}

}  // namespace edgerun::kernels
