// im2col's stride-2 row gather with AVX-512: 16 outputs per step from two loads and one vpermt2ps
// (the even lanes of 32 consecutive inputs); the tail through masked loads, so nothing past src[2(n-1)]
// is read.
#include <immintrin.h>

#include "kernels/f32-conv/im2col.h"

namespace edgerun::kernels {

void gather_s2_f32__avx512(const float* src, float* dst, int64_t n) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // src[2i + 31] is one past the last input this step needs: load it only where it is inside the row.
    const __m512 lo = _mm512_loadu_ps(src + 2 * i);
    const __m512 hi = i + 16 < n ? _mm512_loadu_ps(src + 2 * i + 16) : _mm512_maskz_loadu_ps(0x7FFF, src + 2 * i + 16);
    _mm512_storeu_ps(dst + i, _mm512_permutex2var_ps(lo, even, hi));
  }
  if (i < n) {
    const int64_t need = 2 * (n - i) - 1;  // inputs src[2i .. 2n-2]
    const __mmask16 m_lo = static_cast<__mmask16>(need >= 16 ? 0xFFFF : (1u << need) - 1);
    const __mmask16 m_hi = static_cast<__mmask16>(need > 16 ? (1u << (need - 16)) - 1 : 0);
    const __m512 lo = _mm512_maskz_loadu_ps(m_lo, src + 2 * i);
    const __m512 hi = _mm512_maskz_loadu_ps(m_hi, src + 2 * i + 16);
    _mm512_mask_storeu_ps(dst + i, static_cast<__mmask16>((1u << (n - i)) - 1),
                          _mm512_permutex2var_ps(lo, even, hi));
  }
}

}  // namespace edgerun::kernels
