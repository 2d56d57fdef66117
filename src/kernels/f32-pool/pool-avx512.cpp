// maxpool-row-avx512: 16 outputs per step. Stride 1: one unaligned load per tap. Stride 2: per tap the even
// lanes of 32 consecutive floats (two loads, one vpermt2ps). Other strides: the scalar loop. The last partial
// step is masked on the store only: its loads stay within the caller's kMaxPoolRowSlack.
// vmaxps(v, best) returns `best` when either is NaN, which is exactly `best < v ? v : best`.
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps as the pass-through of max).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/f32-pool/pool.h"

namespace edgerun::kernels {

void maxpool_row_f32__avx512(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n) {
  if (stride != 1 && stride != 2) {
    maxpool_row_f32__scalar(row, first, stride, k, out, n);
    return;
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int64_t i = 0; i < n; i += 16) {
    const float* r = row + first + stride * i;
    __m512 best = _mm512_set1_ps(-__builtin_inff());
    if (stride == 1) {
      for (int64_t t = 0; t < k; ++t) best = _mm512_max_ps(_mm512_loadu_ps(r + t), best);
    } else {
      for (int64_t t = 0; t < k; ++t) {
        const __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(r + t), even, _mm512_loadu_ps(r + t + 16));
        best = _mm512_max_ps(v, best);
      }
    }
    const int64_t left = n - i;
    if (left >= 16)
      _mm512_storeu_ps(out + i, best);
    else
      _mm512_mask_storeu_ps(out + i, static_cast<__mmask16>((1u << left) - 1), best);
  }
}

void maxpool_columns_f32__avx512(const float* x, int64_t ld, int64_t count, float* out, int64_t n) {
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1);
    __m512 best = _mm512_maskz_loadu_ps(m, x + j);
    for (int64_t r = 1; r < count; ++r) best = _mm512_max_ps(_mm512_maskz_loadu_ps(m, x + r * ld + j), best);
    _mm512_mask_storeu_ps(out + j, m, best);
  }
}

}  // namespace edgerun::kernels
