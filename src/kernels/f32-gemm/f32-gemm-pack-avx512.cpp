// Packing of a row-major A into 12-row panels ([kc][12], f32-gemm-12x32-avx512's layout) with AVX-512:
// 12 rows x 16 columns are loaded as 16-float rows and transposed in registers (the 16 x 16 transpose of
// unpack / shuffle / shuffle_f32x4, rows 12..15 zero), then each of the 16 k-rows is one 12-lane masked store.
// The scalar packer wrote one float per step at a 48-byte stride (7 % of vit_tiny, whose activations are
// packed per call).
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps as a pass-through).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

// out[j] lane i = r[i] lane j for i < 12 (lanes 12..15 of out[j] are zero).
inline void transpose12x16(const __m512* r, __m512* out) {
  const __m512 z = _mm512_setzero_ps();
  __m512 t[12], u[12];
  for (int g = 0; g < 6; ++g) {
    t[2 * g] = _mm512_unpacklo_ps(r[2 * g], r[2 * g + 1]);
    t[2 * g + 1] = _mm512_unpackhi_ps(r[2 * g], r[2 * g + 1]);
  }
  for (int g = 0; g < 3; ++g) {  // u[4g + c]: column 4L + c of rows 4g .. 4g + 3 in 128-bit lane L
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 v_lo = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), w_lo = _mm512_shuffle_f32x4(u[8 + c], z, 0x44);
    const __m512 v_hi = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE), w_hi = _mm512_shuffle_f32x4(u[8 + c], z, 0xEE);
    out[c] = _mm512_shuffle_f32x4(v_lo, w_lo, 0x88);
    out[4 + c] = _mm512_shuffle_f32x4(v_lo, w_lo, 0xDD);
    out[8 + c] = _mm512_shuffle_f32x4(v_hi, w_hi, 0x88);
    out[12 + c] = _mm512_shuffle_f32x4(v_hi, w_hi, 0xDD);
  }
}

}  // namespace

void gemm_pack_a_mr12__avx512(const float* a, int64_t lda, int64_t i0, int64_t rows, int64_t k0, int64_t kc,
                              float* dst) {
  constexpr int kMr = 12;
  for (int64_t p0 = 0; p0 < rows; p0 += kMr) {
    const int64_t r_eff = std::min<int64_t>(kMr, rows - p0);
    for (int64_t kk = 0; kk < kc; kk += 16) {
      const int64_t kn = std::min<int64_t>(16, kc - kk);
      const __mmask16 km = kn == 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << kn) - 1);
      __m512 r[kMr], out[16];
      for (int i = 0; i < kMr; ++i)
        r[i] = i < r_eff ? _mm512_maskz_loadu_ps(km, a + (i0 + p0 + i) * lda + k0 + kk) : _mm512_setzero_ps();
      transpose12x16(r, out);
      for (int64_t j = 0; j < kn; ++j) _mm512_mask_storeu_ps(dst + (kk + j) * kMr, 0x0FFF, out[j]);
    }
    dst += kc * kMr;
  }
}

}  // namespace edgerun::kernels
