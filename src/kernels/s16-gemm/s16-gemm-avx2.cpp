// s16-gemm-avx2: vpmaddwd multiplies 16 int16 pairs and adds neighbours into 8 int32 lanes, so a block keeps one
// ymm accumulator per output and reduces it once at the end (exact integers: the order does not matter). Blocks of
// 4 rows x 2 columns (6 loads for 8 vpmaddwd per 16 k) while 4 rows are left, then 1 row x 4 columns (5 loads for
// 4; QLinearMatMul's single-row GEMV); k_pad is a multiple of 8, its last 8 go through 128-bit vpmaddwd. Four
// accumulators are reduced together (hadd tree) and stored as one vector or two pairs.
#include <immintrin.h>

#include "kernels/s16-gemm/s16-gemm.h"

namespace edgerun::kernels {
namespace {

inline __m256i load16(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m128i load8(const int16_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// The sums of four accumulators as one vector {sum a, sum b, sum c, sum d}: three hadds and one add instead of four
// separate reductions (with K = 32 those were as many instructions as the products).
inline __m128i hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

inline void store2(int32_t* p, __m128i v) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v); }

// R rows of x (k_pad apart) against C rows of y: out[r * ldo + c].
template <int R, int C>
inline void block(const int16_t* x, const int16_t* y, int64_t k_pad, int32_t* out, int64_t ldo) {
  __m256i acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_si256();
  int64_t k = 0;
  for (; k + 16 <= k_pad; k += 16) {
    __m256i yv[C];
    for (int c = 0; c < C; ++c) yv[c] = load16(y + c * k_pad + k);
    for (int r = 0; r < R; ++r) {
      const __m256i xv = load16(x + r * k_pad + k);
      for (int c = 0; c < C; ++c) acc[r][c] = _mm256_add_epi32(acc[r][c], _mm256_madd_epi16(xv, yv[c]));
    }
  }
  if (k < k_pad) {  // the last 8 (k_pad is a multiple of 8)
    __m128i yv[C];
    for (int c = 0; c < C; ++c) yv[c] = load8(y + c * k_pad + k);
    for (int r = 0; r < R; ++r) {
      const __m128i xv = load8(x + r * k_pad + k);
      for (int c = 0; c < C; ++c)
        acc[r][c] = _mm256_add_epi32(acc[r][c], _mm256_zextsi128_si256(_mm_madd_epi16(xv, yv[c])));
    }
  }
  if constexpr (C == 4) {
    for (int r = 0; r < R; ++r)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + r * ldo), hsum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
  } else if constexpr (C == 2 && R % 2 == 0) {
    for (int r = 0; r < R; r += 2) {
      const __m128i v = hsum4(acc[r][0], acc[r][1], acc[r + 1][0], acc[r + 1][1]);
      store2(out + r * ldo, v);
      store2(out + (r + 1) * ldo, _mm_unpackhi_epi64(v, v));
    }
  } else {
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) out[r * ldo + c] = hsum(acc[r][c]);
  }
}

}  // namespace

void s16_gemm_dot__avx2(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                        int64_t ldo) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const int16_t* xi = x + i * k_pad;
    int32_t* o = out + i * ldo;
    int64_t j = 0;
    for (; j + 2 <= cols; j += 2) block<4, 2>(xi, y + j * k_pad, k_pad, o + j, ldo);
    if (j < cols) block<4, 1>(xi, y + j * k_pad, k_pad, o + j, ldo);
  }
  for (; i < rows; ++i) {
    const int16_t* xi = x + i * k_pad;
    int32_t* o = out + i * ldo;
    int64_t j = 0;
    for (; j + 4 <= cols; j += 4) block<1, 4>(xi, y + j * k_pad, k_pad, o + j, ldo);
    for (; j < cols; ++j) block<1, 1>(xi, y + j * k_pad, k_pad, o + j, ldo);
  }
}

}  // namespace edgerun::kernels
