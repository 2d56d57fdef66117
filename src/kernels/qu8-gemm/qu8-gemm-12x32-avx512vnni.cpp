// qu8-gemm-12x32-avx512vnni: 12 weight rows x 32 pixels in 24 zmm int32 accumulators; per step of 4 k: two
// 64-byte loads of activations (16 pixels x 4 bytes each), twelve 32-bit broadcasts of weights and 24 vpdpbusd
// (1536 multiply-adds). Rows past m_eff are not computed, pixels past n_eff are masked on load and store. The
// corrections of qu8-gemm.h are applied before the store (vpmulld, vpsubd, vpaddd: modulo 2^32 like the sums; no
// vpmulld when every coef is 0), then either int32 stores or requantization to bytes (Qu8Requant).
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_epi32 as a pass-through).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-quantize/requant-avx512.h"

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
// Corrections, then either the int32 store or requantization to bytes (qu8-quantize's requantize, rounding by
// instruction: GCC would contract a multiply and a magic-number add into an FMA).
#define ER_STORE(r)                                                                                               \
  if constexpr (MR > r) {                                                                                         \
    const __m512i rt = _mm512_set1_epi32(corr.row_term[r]);                                                       \
    c##r##0 = _mm512_sub_epi32(c##r##0, rt);                                                                      \
    c##r##1 = _mm512_sub_epi32(c##r##1, rt);                                                                      \
    if constexpr (kCol) {                                                                                         \
      const __m512i rc = _mm512_set1_epi32(corr.row_coef[r]);                                                     \
      c##r##0 = _mm512_add_epi32(c##r##0, _mm512_mullo_epi32(rc, ct0));                                           \
      c##r##1 = _mm512_add_epi32(c##r##1, _mm512_mullo_epi32(rc, ct1));                                           \
    }                                                                                                             \
    if constexpr (kRequant) {                                                                                     \
      const __m512i bias = _mm512_set1_epi32(rq->bias ? rq->bias[r] : 0);                                        \
      const __m512 mult = _mm512_set1_ps(rq->mult[r]);                                                            \
      uint8_t* y = static_cast<uint8_t*>(c) + r * ldc;                                                            \
      _mm_mask_storeu_epi8(y, m0, requant16(_mm512_add_epi32(c##r##0, bias), mult, zp, lo, hi));                    \
      _mm_mask_storeu_epi8(y + 16, m1, requant16(_mm512_add_epi32(c##r##1, bias), mult, zp, lo, hi));               \
    } else {                                                                                                      \
      int32_t* y = static_cast<int32_t*>(c) + r * ldc;                                                            \
      _mm512_mask_storeu_epi32(y, m0, c##r##0);                                                                   \
      _mm512_mask_storeu_epi32(y + 16, m1, c##r##1);                                                              \
    }                                                                                                             \
  }

template <int MR, bool kCol, bool kRequant>
void tile(int64_t kp4, const int8_t* a, const uint8_t* b, int64_t ldb, void* c, int64_t ldc, __mmask16 m0,
          __mmask16 m1, const Qu8Corrections& corr, const Qu8Requant* rq) {
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
  __m512i ct0 = z, ct1 = z;
  if constexpr (kCol) {
    ct0 = _mm512_maskz_loadu_epi32(m0, corr.col_term);
    ct1 = _mm512_maskz_loadu_epi32(m1, corr.col_term + 16);
  }
  __m512i zp = _mm512_setzero_si512();
  __m512 lo = _mm512_setzero_ps(), hi = lo;
  if constexpr (kRequant) {
    zp = _mm512_set1_epi32(rq->zp);
    lo = _mm512_set1_ps(static_cast<float>(rq->lo - rq->zp));
    hi = _mm512_set1_ps(static_cast<float>(rq->hi - rq->zp));
  }
  ER_STORE(0) ER_STORE(1) ER_STORE(2) ER_STORE(3) ER_STORE(4) ER_STORE(5)
  ER_STORE(6) ER_STORE(7) ER_STORE(8) ER_STORE(9) ER_STORE(10) ER_STORE(11)
  (void)ct0, (void)ct1, (void)rq;
}

#undef ER_ROW
#undef ER_STORE

using TileFn = void (*)(int64_t, const int8_t*, const uint8_t*, int64_t, void*, int64_t, __mmask16, __mmask16,
                        const Qu8Corrections&, const Qu8Requant*);
template <bool kCol, bool kRequant>
constexpr TileFn kTiles[12] = {tile<1, kCol, kRequant>, tile<2, kCol, kRequant>,  tile<3, kCol, kRequant>,
                               tile<4, kCol, kRequant>, tile<5, kCol, kRequant>,  tile<6, kCol, kRequant>,
                               tile<7, kCol, kRequant>, tile<8, kCol, kRequant>,  tile<9, kCol, kRequant>,
                               tile<10, kCol, kRequant>, tile<11, kCol, kRequant>, tile<12, kCol, kRequant>};

}  // namespace

void qu8_gemm_tile__avx512vnni(int64_t kp4, const int8_t* a, const uint8_t* b, int64_t ldb, void* c, int64_t ldc,
                               int m_eff, int n_eff, const Qu8Corrections& corr, const Qu8Requant* rq) {
  const __mmask16 m0 = lo_mask(n_eff), m1 = hi_mask(n_eff);
  const int i = m_eff - 1;
  if (corr.row_coef) {
    (rq ? kTiles<true, true> : kTiles<true, false>)[i](kp4, a, b, ldb, c, ldc, m0, m1, corr, rq);
  } else {
    (rq ? kTiles<false, true> : kTiles<false, false>)[i](kp4, a, b, ldb, c, ldc, m0, m1, corr, rq);
  }
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
