// f32-gemm-12x32-avx512: 12 rows x 32 columns in 24 zmm accumulators; per k step two loads of B and
// twelve broadcast FMAs pairs (27 of the 32 zmm registers live, no spills).
//
// One template serves every tile shape: MR (1..12) rows are computed (a partial row panel costs MR/12 of a
// full one instead of a full tile on padded copies), and columns past n_eff are masked on every load and
// store, so edge tiles are written straight into C and B may be read in place with any row stride ldb
// (masked-off lanes never fault). Each element sees the same operations as in a full tile.
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps as the pass-through of max/min).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

inline __m512 finish(__m512 v, __mmask16 m, const float* c_old, const float* bias_col, __m512 bias_row,
                     const float* res, const GemmTileParams& p, __m512 vmin, __m512 vmax) {
  if (p.accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, c_old));
  if (p.epilogue) {
    if (p.bias) v = _mm512_add_ps(v, p.bias_per_column ? _mm512_maskz_loadu_ps(m, bias_col) : bias_row);
    if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res));
    v = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v));  // NaN propagates like std::min/max
    if (p.hardswish) {
      __m512 g = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
      g = _mm512_min_ps(_mm512_max_ps(g, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
      v = _mm512_mul_ps(v, g);
    }
  }
  return v;
}

template <bool HALF>
inline void store_row(float* c, int r, int64_t ldc, __m512 lo, __m512 hi, __mmask16 m0, __mmask16 m1,
                      const GemmTileParams& p, __m512 vmin, __m512 vmax) {
  float* cr = c + r * ldc;
  const __m512 brow = p.bias && !p.bias_per_column ? _mm512_set1_ps(p.bias[r]) : _mm512_setzero_ps();
  const float* res = p.residual ? p.residual + r * p.ld_residual : nullptr;
  lo = finish(lo, m0, cr, p.bias, brow, res, p, vmin, vmax);
  _mm512_mask_storeu_ps(cr, m0, lo);
  if constexpr (!HALF) {
    hi = finish(hi, m1, cr + 16, p.bias ? p.bias + 16 : nullptr, brow, res ? res + 16 : nullptr, p, vmin, vmax);
    _mm512_mask_storeu_ps(cr + 16, m1, hi);
  }
}

#define ER_ROW(r)                                           \
  if constexpr (MR > r) {                                   \
    const __m512 av = _mm512_set1_ps(a[r]);                 \
    c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);             \
    if constexpr (!HALF) c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1); \
  }

#define ER_STORE(r) \
  if constexpr (MR > r) store_row<HALF>(c, r, ldc, c##r##0, c##r##1, m0, m1, p, vmin, vmax);

// Rows 0..MR-1 of the tile; a: packed [kc][12]; B row k at b + k * ldb, or (IND) at b_rows[k] + ldb. HALF: at
// most 16 columns (the last panel of 196- or 784-wide maps), half the FMAs of a full tile.
template <int MR, bool HALF, bool IND>
void tile(int64_t kc, const float* a, const float* b, int64_t ldb, const float* const* b_rows, float* c, int64_t ldc,
          __mmask16 m0, __mmask16 m1, const GemmTileParams& p) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
  __m512 c100 = _mm512_setzero_ps(), c101 = _mm512_setzero_ps(), c110 = _mm512_setzero_ps(),
         c111 = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const float* bk = IND ? b_rows[k] + ldb : b;
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, bk);
    const __m512 b1 = HALF ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, bk + 16);
    ER_ROW(0) ER_ROW(1) ER_ROW(2) ER_ROW(3) ER_ROW(4) ER_ROW(5)
    ER_ROW(6) ER_ROW(7) ER_ROW(8) ER_ROW(9) ER_ROW(10) ER_ROW(11)
    a += 12;
    if constexpr (!IND) b += ldb;
  }
  const __m512 vmin = _mm512_set1_ps(p.min), vmax = _mm512_set1_ps(p.max);
  ER_STORE(0) ER_STORE(1) ER_STORE(2) ER_STORE(3) ER_STORE(4) ER_STORE(5)
  ER_STORE(6) ER_STORE(7) ER_STORE(8) ER_STORE(9) ER_STORE(10) ER_STORE(11)
}

#undef ER_ROW
#undef ER_STORE

using TileFn = void (*)(int64_t, const float*, const float*, int64_t, const float* const*, float*, int64_t, __mmask16,
                        __mmask16, const GemmTileParams&);
template <bool IND>
constexpr TileFn kTiles[2][12] = {
    {tile<1, false, IND>, tile<2, false, IND>, tile<3, false, IND>, tile<4, false, IND>, tile<5, false, IND>,
     tile<6, false, IND>, tile<7, false, IND>, tile<8, false, IND>, tile<9, false, IND>, tile<10, false, IND>,
     tile<11, false, IND>, tile<12, false, IND>},
    {tile<1, true, IND>, tile<2, true, IND>, tile<3, true, IND>, tile<4, true, IND>, tile<5, true, IND>,
     tile<6, true, IND>, tile<7, true, IND>, tile<8, true, IND>, tile<9, true, IND>, tile<10, true, IND>,
     tile<11, true, IND>, tile<12, true, IND>}};

inline __mmask16 lo_mask(int n_eff) {
  return n_eff >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << n_eff) - 1);
}
inline __mmask16 hi_mask(int n_eff) {
  return n_eff >= 32 ? __mmask16{0xFFFF} : n_eff <= 16 ? __mmask16{0} : static_cast<__mmask16>((1u << (n_eff - 16)) - 1);
}

}  // namespace

void f32_gemm_ukernel_12x32__avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                    const GemmTileParams& p) {
  tile<12, false, false>(kc, a, b, 32, nullptr, c, ldc, 0xFFFF, 0xFFFF, p);
}

void f32_gemm_ukernel_12x32__avx512_any(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                        int64_t ldc, int m_eff, int n_eff, const GemmTileParams& p) {
  kTiles<false>[n_eff <= 16][m_eff - 1](kc, a, b, ldb, nullptr, c, ldc, lo_mask(n_eff), hi_mask(n_eff), p);
}

void f32_gemm_ukernel_12x32__avx512_indirect(int64_t kc, const float* a, const float* const* b_rows, int64_t b_off,
                                             float* c, int64_t ldc, int m_eff, int n_eff, const GemmTileParams& p) {
  kTiles<true>[n_eff <= 16][m_eff - 1](kc, a, nullptr, b_off, b_rows, c, ldc, lo_mask(n_eff), hi_mask(n_eff), p);
}

}  // namespace edgerun::kernels
