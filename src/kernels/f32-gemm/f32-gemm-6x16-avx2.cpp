// f32-gemm-6x16-avx2: 6 rows x 16 columns held in 12 named ymm accumulators; per k step two loads of
// B, six broadcasts of A and twelve FMAs (15 of the 16 ymm registers live, no spills).
#include <immintrin.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

// The epilogue runs one feature at a time over all rows (as in the AVX-512 kernel): the tests on p once per tile.
// ER_EACH(OP) applies OP to both halves of every row: c##r##h = op(c##r##h, row r, column offset).
#define ER_EACH(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5)
#define ER_APPLY(r)               \
  c##r##0 = op(c##r##0, r, 0);    \
  c##r##1 = op(c##r##1, r, 8);

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
  if (p.accumulate) {
    const auto op = [&](__m256 v, int r, int j) { return _mm256_add_ps(v, _mm256_loadu_ps(c + r * ldc + j)); };
    ER_EACH(ER_APPLY)
  }
  if (p.epilogue) {
    if (p.bias && p.bias_per_column) {
      const __m256 bc0 = _mm256_loadu_ps(p.bias), bc1 = _mm256_loadu_ps(p.bias + 8);
      const auto op = [&](__m256 v, int, int j) { return _mm256_add_ps(v, j ? bc1 : bc0); };
      ER_EACH(ER_APPLY)
    } else if (p.bias) {
      const auto op = [&](__m256 v, int r, int) { return _mm256_add_ps(v, _mm256_broadcast_ss(p.bias + r)); };
      ER_EACH(ER_APPLY)
    }
    if (p.residual) {
      const auto op = [&](__m256 v, int r, int j) {
        return _mm256_add_ps(v, _mm256_loadu_ps(p.residual + r * p.ld_residual + j));
      };
      ER_EACH(ER_APPLY)
    }
    // NaN propagates like std::min/max (operand order); bounds at -inf / +inf are skipped.
    if (p.min != -__builtin_inff()) {
      const __m256 vmin = _mm256_set1_ps(p.min);
      const auto op = [&](__m256 v, int, int) { return _mm256_max_ps(vmin, v); };
      ER_EACH(ER_APPLY)
    }
    if (p.max != __builtin_inff()) {
      const __m256 vmax = _mm256_set1_ps(p.max);
      const auto op = [&](__m256 v, int, int) { return _mm256_min_ps(vmax, v); };
      ER_EACH(ER_APPLY)
    }
    if (p.hardswish) {
      const auto op = [&](__m256 v, int, int) {
        __m256 g = _mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
        g = _mm256_min_ps(_mm256_max_ps(g, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
        return _mm256_mul_ps(v, g);
      };
      ER_EACH(ER_APPLY)
    }
  }
  const auto op = [&](__m256 v, int r, int j) {
    _mm256_storeu_ps(c + r * ldc + j, v);
    return v;
  };
  ER_EACH(ER_APPLY)
}

#undef ER_EACH
#undef ER_APPLY

}  // namespace edgerun::kernels
