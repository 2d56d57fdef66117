// transpose-avx512: 16 x 16 blocks transposed in registers (unpack, in-lane shuffle, then two 128-bit lane
// shuffles); edge blocks load and store with masks, so nothing outside the rows x cols block is read or written.
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps as a pass-through).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "kernels/f32-transpose/transpose.h"

namespace edgerun::kernels {
namespace {

inline __mmask16 first_n(int64_t n) { return n >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << n) - 1); }

// v[0..15] (rows) -> v[0..15] (columns).
inline void transpose16(__m512 v[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
  }
  // u[4i + j], per 128-bit lane L: column 4L + j of rows 4i .. 4i + 3.
  __m512 u[16];
  for (int i = 0; i < 4; ++i) {
    u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 a = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44), b = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
    const __m512 c = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44),
                 d = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
    v[j] = _mm512_shuffle_f32x4(a, c, 0x88);       // column j
    v[4 + j] = _mm512_shuffle_f32x4(a, c, 0xDD);   // column 4 + j
    v[8 + j] = _mm512_shuffle_f32x4(b, d, 0x88);   // column 8 + j
    v[12 + j] = _mm512_shuffle_f32x4(b, d, 0xDD);  // column 12 + j
  }
}

}  // namespace

void transpose_f32__avx512(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst,
                           const float* add, int64_t ld_add) {
  for (int64_t c0 = 0; c0 < cols; c0 += 16) {
    const int64_t cn = std::min<int64_t>(16, cols - c0);
    const __mmask16 cm = first_n(cn);
    for (int64_t r0 = 0; r0 < rows; r0 += 16) {
      const int64_t rn = std::min<int64_t>(16, rows - r0);
      const __mmask16 rm = first_n(rn);
      __m512 v[16];
      for (int64_t r = 0; r < 16; ++r)
        v[r] = r < rn ? _mm512_maskz_loadu_ps(cm, src + (r0 + r) * ld_src + c0) : _mm512_setzero_ps();
      transpose16(v);
      for (int64_t c = 0; c < cn; ++c) {
        float* d = dst + (c0 + c) * ld_dst + r0;
        __m512 x = v[c];
        if (add) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(rm, add + (c0 + c) * ld_add + r0));
        _mm512_mask_storeu_ps(d, rm, x);
      }
    }
  }
}

}  // namespace edgerun::kernels
