// qu8-quantize-avx2: requantize and shift_to_f32 on 8 lanes, the scalar variant's float operations in the same order
// (tails through the scalar code). DynamicQuantizeLinear's range / quantize stay scalar on AVX2-only CPUs.
#include <immintrin.h>

#include "kernels/qu8-quantize/quantize.h"

namespace edgerun::kernels {
namespace {

struct Requant8 {
  __m256i b, pick;
  __m256 m, z, lo, hi;
  Requant8(int32_t bias, float mult, int32_t zp, int32_t l, int32_t h)
      : b(_mm256_set1_epi32(bias)),
        pick(_mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1, -1,
                              -1, -1, -1, -1, -1, -1, -1, -1)),
        m(_mm256_set1_ps(mult)), z(_mm256_set1_ps(static_cast<float>(zp))), lo(_mm256_set1_ps(static_cast<float>(l))),
        hi(_mm256_set1_ps(static_cast<float>(h))) {}
  // 8 results as the low bytes of their int32 values, in order, in the low 64 bits.
  __m128i operator()(__m256i acc) const {
    const __m256 v = _mm256_cvtepi32_ps(_mm256_add_epi32(acc, b));
    // Rounding by instruction, not the scalar variant's magic number: GCC would fuse v * m + magic into an FMA (one
    // rounding less: ties then go the other way). Equal to it wherever the result is not saturated.
    __m256 r = _mm256_add_ps(_mm256_round_ps(_mm256_mul_ps(v, m), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
    r = _mm256_blendv_ps(z, r, _mm256_cmp_ps(r, r, _CMP_ORD_Q));
    r = _mm256_max_ps(r, lo);
    r = _mm256_min_ps(r, hi);
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_cvttps_epi32(r), pick);  // lane bytes 0..3 in each half
    return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1)));
  }
};

}  // namespace

void requantize__avx2(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                      uint8_t* y) {
  const Requant8 q(bias, mult, zp, lo, hi);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), q(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i))));
  requantize__scalar(acc + i, n - i, bias, mult, zp, lo, hi, y + i);
}

void requantize_f32__avx2(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                          uint8_t* y) {
  const Requant8 q(bias, mult, zp, lo, hi);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), q(_mm256_cvttps_epi32(_mm256_loadu_ps(acc + i))));
  requantize_f32__scalar(acc + i, n - i, bias, mult, zp, lo, hi, y + i);
}

void shift_to_f32__avx2(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y) {
  const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
  const __m256i z = _mm256_set1_epi32(zp);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i b = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i)), f);
    _mm256_storeu_ps(y + i, _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(b), z)));
  }
  shift_to_f32__scalar(x + i, n - i, flip, zp, y + i);
}

}  // namespace edgerun::kernels
