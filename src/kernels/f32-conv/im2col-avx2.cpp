// im2col's stride-2 row gather with AVX2: 8 outputs per step from two loads, one shufps (even lanes of
// each 128-bit half) and one vpermpd (halves in order); the tail scalar, so nothing past src[2(n-1)] is read.
#include <immintrin.h>

#include "kernels/f32-conv/im2col.h"

namespace edgerun::kernels {

void gather_s2_f32__avx2(const float* src, float* dst, int64_t n) {
  int64_t i = 0;
  // The second load ends at src[2i + 15]: inside the row while 2i + 15 <= 2(n - 1).
  for (; 2 * i + 15 <= 2 * (n - 1); i += 8) {
    const __m256 a = _mm256_loadu_ps(src + 2 * i), b = _mm256_loadu_ps(src + 2 * i + 8);
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
    _mm256_storeu_ps(dst + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
  }
  for (; i < n; ++i) dst[i] = src[2 * i];
}

}  // namespace edgerun::kernels
