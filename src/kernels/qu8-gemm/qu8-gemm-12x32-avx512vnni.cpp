// qu8-gemm-12x32-avx512vnni: 12 weight rows x 32 pixels in 24 zmm int32 accumulators; per step of 4 k: two
// 64-byte loads of activations (16 pixels x 4 bytes each), twelve 32-bit broadcasts of weights and 24 vpdpbusd
// (1536 multiply-adds). Rows past m_eff are not computed, pixels past n_eff are masked on load and store. The
// corrections of qu8-gemm.h are applied before the store (vpmulld, vpsubd, vpaddd: modulo 2^32 like the sums).
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_epi32 as a pass-through).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/qu8-gemm/qu8-gemm.h"

namespace edgerun::kernels {
namespace {

inline __mmask16 lo_mask(int n) { return n >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << n) - 1); }
inline __mmask16 hi_mask(int n) {
  return n >= 32 ? __mmask16{0xFFFF} : n <= 16 ? __mmask16{0} : static_cast<__mmask16>((1u << (n - 16)) - 1);
}

inline int32_t load_i32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

#define ER_ROW(r)                                                        \
  if constexpr (MR > r) {                                                \
    const __m512i av = _mm512_set1_epi32(load_i32(a + 4 * r));           \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, b0, av);                      \
    c##r##1 = _mm512_dpbusd_epi32(c##r##1, b1, av);                      \
  }
#define ER_STORE(r)                                                                                               \
  if constexpr (MR > r) {                                                                                         \
    const __m512i rt = _mm512_set1_epi32(row_term[r]), rc = _mm512_set1_epi32(row_coef[r]);                        \
    c##r##0 = _mm512_add_epi32(_mm512_sub_epi32(c##r##0, rt), _mm512_mullo_epi32(rc, ct0));                       \
    c##r##1 = _mm512_add_epi32(_mm512_sub_epi32(c##r##1, rt), _mm512_mullo_epi32(rc, ct1));                       \
    _mm512_mask_storeu_epi32(c + r * ldc, m0, c##r##0);                                                           \
    _mm512_mask_storeu_epi32(c + r * ldc + 16, m1, c##r##1);                                                      \
  }

template <int MR>
void tile(int64_t kp4, const int8_t* a, const uint8_t* b, int64_t ldb, int32_t* c, int64_t ldc, __mmask16 m0,
          __mmask16 m1, const int32_t* row_term, const int32_t* row_coef, const int32_t* col_term) {
  const __m512i z = _mm512_setzero_si512();
  __m512i c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
  __m512i c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z, c100 = z, c101 = z, c110 = z,
          c111 = z;
  for (int64_t k = 0; k < kp4; ++k) {
    const __m512i b0 = _mm512_maskz_loadu_epi32(m0, b);
    const __m512i b1 = _mm512_maskz_loadu_epi32(m1, b + 64);
    ER_ROW(0) ER_ROW(1) ER_ROW(2) ER_ROW(3) ER_ROW(4) ER_ROW(5)
    ER_ROW(6) ER_ROW(7) ER_ROW(8) ER_ROW(9) ER_ROW(10) ER_ROW(11)
    a += 4 * kQu8Mr;
    b += ldb;
  }
  const __m512i ct0 = _mm512_maskz_loadu_epi32(m0, col_term), ct1 = _mm512_maskz_loadu_epi32(m1, col_term + 16);
  ER_STORE(0) ER_STORE(1) ER_STORE(2) ER_STORE(3) ER_STORE(4) ER_STORE(5)
  ER_STORE(6) ER_STORE(7) ER_STORE(8) ER_STORE(9) ER_STORE(10) ER_STORE(11)
}

#undef ER_ROW
#undef ER_STORE

using TileFn = void (*)(int64_t, const int8_t*, const uint8_t*, int64_t, int32_t*, int64_t, __mmask16, __mmask16,
                        const int32_t*, const int32_t*, const int32_t*);
constexpr TileFn kTiles[12] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>,  tile<6>,
                               tile<7>, tile<8>, tile<9>, tile<10>, tile<11>, tile<12>};

}  // namespace

void qu8_gemm_tile__avx512vnni(int64_t kp4, const int8_t* a, const uint8_t* b, int64_t ldb, int32_t* c, int64_t ldc,
                               int m_eff, int n_eff, const int32_t* row_term, const int32_t* row_coef,
                               const int32_t* col_term) {
  kTiles[m_eff - 1](kp4, a, b, ldb, c, ldc, lo_mask(n_eff), hi_mask(n_eff), row_term, row_coef, col_term);
}

void qu8_column_sums__avx512vnni(const uint8_t* b, int64_t kp, int64_t pt, int32_t* col_sum) {
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t p = 0; p < pt; p += 16) {
    const __mmask16 m = lo_mask(static_cast<int>(pt - p));
    __m512i s = _mm512_setzero_si512();
    for (int64_t k4 = 0; k4 < kp / 4; ++k4) s = _mm512_dpbusd_epi32(s, _mm512_maskz_loadu_epi32(m, b + (k4 * pt + p) * 4), ones);
    _mm512_mask_storeu_epi32(col_sum + p, m, s);
  }
}

}  // namespace edgerun::kernels
