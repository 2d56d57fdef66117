// f32-gemm-12x32-avx512: 12 rows x 32 columns in 24 zmm accumulators; per k step two loads of B and
// twelve broadcast FMAs pairs (27 of the 32 zmm registers live, no spills).
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps as the pass-through of max/min).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

inline __m512 finish(__m512 v, const float* c_old, const float* bias_col, __m512 bias_row, const float* res,
                     const GemmTileParams& p, __m512 vmin, __m512 vmax) {
  if (p.accumulate) v = _mm512_add_ps(v, _mm512_loadu_ps(c_old));
  if (p.epilogue) {
    if (p.bias) v = _mm512_add_ps(v, p.bias_per_column ? _mm512_loadu_ps(bias_col) : bias_row);
    if (res) v = _mm512_add_ps(v, _mm512_loadu_ps(res));
    v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v));  // NaN propagates like std::min/max
    if (p.hardswish) {
      __m512 g = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
      g = _mm512_min_ps(_mm512_max_ps(g, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
      v = _mm512_mul_ps(v, g);
    }
  }
  return v;
}

inline void store_row(float* c, int r, int64_t ldc, __m512 lo, __m512 hi, const GemmTileParams& p, __m512 vmin,
                      __m512 vmax) {
  float* cr = c + r * ldc;
  const __m512 brow = p.bias && !p.bias_per_column ? _mm512_set1_ps(p.bias[r]) : _mm512_setzero_ps();
  const float* res = p.residual ? p.residual + r * p.ld_residual : nullptr;
  lo = finish(lo, cr, p.bias, brow, res, p, vmin, vmax);
  hi = finish(hi, cr + 16, p.bias ? p.bias + 16 : nullptr, brow, res ? res + 16 : nullptr, p, vmin, vmax);
  _mm512_storeu_ps(cr, lo);
  _mm512_storeu_ps(cr + 16, hi);
}

}  // namespace

#define ER_ROW(r)                                  \
  {                                                \
    const __m512 av = _mm512_set1_ps(a[r]);        \
    c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);    \
    c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);    \
  }

void f32_gemm_ukernel_12x32__avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                    const GemmTileParams& p) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
  __m512 c100 = _mm512_setzero_ps(), c101 = _mm512_setzero_ps(), c110 = _mm512_setzero_ps(),
         c111 = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    ER_ROW(0) ER_ROW(1) ER_ROW(2) ER_ROW(3) ER_ROW(4) ER_ROW(5)
    ER_ROW(6) ER_ROW(7) ER_ROW(8) ER_ROW(9) ER_ROW(10) ER_ROW(11)
    a += 12;
    b += 32;
  }
  const __m512 vmin = _mm512_set1_ps(p.min), vmax = _mm512_set1_ps(p.max);
  store_row(c, 0, ldc, c00, c01, p, vmin, vmax);
  store_row(c, 1, ldc, c10, c11, p, vmin, vmax);
  store_row(c, 2, ldc, c20, c21, p, vmin, vmax);
  store_row(c, 3, ldc, c30, c31, p, vmin, vmax);
  store_row(c, 4, ldc, c40, c41, p, vmin, vmax);
  store_row(c, 5, ldc, c50, c51, p, vmin, vmax);
  store_row(c, 6, ldc, c60, c61, p, vmin, vmax);
  store_row(c, 7, ldc, c70, c71, p, vmin, vmax);
  store_row(c, 8, ldc, c80, c81, p, vmin, vmax);
  store_row(c, 9, ldc, c90, c91, p, vmin, vmax);
  store_row(c, 10, ldc, c100, c101, p, vmin, vmax);
  store_row(c, 11, ldc, c110, c111, p, vmin, vmax);
}

#undef ER_ROW

}  // namespace edgerun::kernels
