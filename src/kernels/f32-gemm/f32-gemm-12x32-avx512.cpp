// f32-gemm-12x32-avx512: 12 rows x 32 columns in 24 zmm accumulators; per k step two loads of B and
// twelve broadcast FMAs pairs (27 of the 32 zmm registers live, no spills).
//
// One template serves every tile shape: MR (1..12) rows are computed (a partial row panel costs MR/12 of a
// full one instead of a full tile on padded copies), and columns past n_eff are masked on every load and
// store, so edge tiles are written straight into C and B may be read in place with any row stride ldb
// (masked-off lanes never fault). Each element sees the same operations as in a full tile. Tiles of at most 8
// columns run tile8 (256-bit vectors).
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps as the pass-through of max/min).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

// GCC 12 does not always inline the store phase's lambdas; one left out of line takes the accumulators' addresses
// and keeps them in memory through the K loop (12-row partial-column tiles ran at half speed).
#define ER_INLINE __attribute__((always_inline))

// The vector operations of the store phase at 16 lanes (zmm) and at 8 (ymm, tile8).
struct Lanes16 {
  using V = __m512;
  using M = __mmask16;
  static V load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V zero() { return _mm512_setzero_ps(); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};
struct Lanes8 {
  using V = __m256;
  using M = __mmask8;
  static V load(M m, const float* p) { return _mm256_maskz_loadu_ps(m, p); }
  static void store(float* p, M m, V v) { _mm256_mask_storeu_ps(p, m, v); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V zero() { return _mm256_setzero_ps(); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

// The store phase of a tile: C added back (K blocks after the first), bias, residual, clamps, HardSwish, then the
// masked store. each(op) applies op(value, row, column offset, mask) to every accumulator and keeps the result;
// m0 / m1 mask the columns at offsets 0 and 16 (m1 unused at 8 lanes). One pass per feature over all rows: the
// tests on p run once per tile (per-row tests made the store phase ~1200 instructions of branches and were ~10 %
// of a K = 16 tile).
template <class S, class Each>
__attribute__((always_inline)) inline void store_phase(Each&& each, float* c, int64_t ldc, typename S::M m0,
                                                       typename S::M m1, const GemmTileParams& p) {
  using V = typename S::V;
  using M = typename S::M;
  if (p.accumulate) each([&](V v, int r, int j, M m) ER_INLINE { return S::add(v, S::load(m, c + r * ldc + j)); });
  if (p.epilogue) {
    if (p.bias && p.bias_per_column) {
      const V bc0 = S::load(m0, p.bias), bc1 = S::load(m1, p.bias + 16);  // a zero mask reads nothing
      each([&](V v, int, int j, M) ER_INLINE { return S::add(v, j ? bc1 : bc0); });
    } else if (p.bias) {
      each([&](V v, int r, int, M) ER_INLINE { return S::add(v, S::set1(p.bias[r])); });
    }
    if (p.residual)
      each([&](V v, int r, int j, M m) ER_INLINE { return S::add(v, S::load(m, p.residual + r * p.ld_residual + j)); });
    // NaN propagates like std::min/max (operand order). Bounds at -inf / +inf are skipped: a Relu is one max.
    if (p.min != -__builtin_inff()) {
      const V vmin = S::set1(p.min);
      each([&](V v, int, int, M) ER_INLINE { return S::max(vmin, v); });
    }
    if (p.max != __builtin_inff()) {
      const V vmax = S::set1(p.max);
      each([&](V v, int, int, M) ER_INLINE { return S::min(vmax, v); });
    }
    if (p.hardswish) {
      each([&](V v, int, int, M) ER_INLINE {
        V g = S::fmadd(v, S::set1(1.0f / 6.0f), S::set1(0.5f));
        g = S::min(S::max(g, S::zero()), S::set1(1.0f));
        return S::mul(v, g);
      });
    }
  }
  each([&](V v, int r, int j, M m) ER_INLINE {
    S::store(c + r * ldc + j, m, v);
    return v;
  });
}

// ER_EACH(OP) applies OP(r) to every row index; ER_APPLY(r) applies `op` to both halves of computed row r.
#define ER_EACH(OP) \
  OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)
#define ER_HALVES(r, F)                      \
  if constexpr (MR > r) {                    \
    c##r##0 = F(c##r##0, r, 0, m0);          \
    if constexpr (!HALF) c##r##1 = F(c##r##1, r, 16, m1); \
  }
#define ER_APPLY(r) ER_HALVES(r, op)

#define ER_ROW(r)                                           \
  if constexpr (MR > r) {                                   \
    const __m512 av = _mm512_set1_ps(a[r]);                 \
    c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);             \
    if constexpr (!HALF) c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1); \
  }

// Rows 0..MR-1 of the tile; a: packed [kc][12]; B row k at b + k * ldb, or (IND) at b_rows[k] + ldb. HALF: at
// most 16 columns (the last panel of 196- or 784-wide maps), half the FMAs of a full tile. FULL: all 32 columns, B
// loaded without masks (a masked load costs the load port more: 12 x 32 x 64 tiles 104.7 -> 106.8 GFLOP/s with only
// that changed).
template <int MR, bool HALF, bool IND, bool FULL = false>
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
    const __m512 b0 = FULL ? _mm512_loadu_ps(bk) : _mm512_maskz_loadu_ps(m0, bk);
    const __m512 b1 = HALF ? _mm512_setzero_ps() : FULL ? _mm512_loadu_ps(bk + 16) : _mm512_maskz_loadu_ps(m1, bk + 16);
    ER_ROW(0) ER_ROW(1) ER_ROW(2) ER_ROW(3) ER_ROW(4) ER_ROW(5)
    ER_ROW(6) ER_ROW(7) ER_ROW(8) ER_ROW(9) ER_ROW(10) ER_ROW(11)
    a += 12;
    if constexpr (!IND) b += ldb;
  }
  const auto each = [&](auto op) ER_INLINE { ER_EACH(ER_APPLY) };
  store_phase<Lanes16>(each, c, ldc, m0, m1, p);
}

#undef ER_ROW
#undef ER_EACH
#undef ER_HALVES
#undef ER_APPLY

// At most 8 columns (the last panel of 14x14 maps: 196 = 6 x 32 + 4; Winograd's 100 tiles of 56x56): 256-bit
// vectors. This core splits a 512-bit FMA into two 256-bit halves, so a ymm tile costs half of a HALF tile
// (resnet50 layer3's 1x1 convs, N = 196: see docs/performance.md). Same operations per element as tile().
#define ER8_EACH(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)
#define ER8_APPLY(r) \
  if constexpr (MR > r) c##r = op(c##r, r, 0, m0);
#define ER8_ROW(r) \
  if constexpr (MR > r) c##r = _mm256_fmadd_ps(_mm256_set1_ps(a[r]), b0, c##r);

template <int MR, bool IND>
void tile8(int64_t kc, const float* a, const float* b, int64_t ldb, const float* const* b_rows, float* c, int64_t ldc,
           __mmask8 m0, const GemmTileParams& p) {
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps(), c3 = _mm256_setzero_ps();
  __m256 c4 = _mm256_setzero_ps(), c5 = _mm256_setzero_ps(), c6 = _mm256_setzero_ps(), c7 = _mm256_setzero_ps();
  __m256 c8 = _mm256_setzero_ps(), c9 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const float* bk = IND ? b_rows[k] + ldb : b;
    const __m256 b0 = _mm256_maskz_loadu_ps(m0, bk);
    ER8_ROW(0) ER8_ROW(1) ER8_ROW(2) ER8_ROW(3) ER8_ROW(4) ER8_ROW(5)
    ER8_ROW(6) ER8_ROW(7) ER8_ROW(8) ER8_ROW(9) ER8_ROW(10) ER8_ROW(11)
    a += 12;
    if constexpr (!IND) b += ldb;
  }
  const auto each = [&](auto op) ER_INLINE { ER8_EACH(ER8_APPLY) };
  store_phase<Lanes8>(each, c, ldc, m0, 0, p);
}

#undef ER8_ROW
#undef ER8_EACH
#undef ER8_APPLY

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

using Tile8Fn = void (*)(int64_t, const float*, const float*, int64_t, const float* const*, float*, int64_t, __mmask8,
                         const GemmTileParams&);
template <bool IND>
constexpr Tile8Fn kTiles8[12] = {tile8<1, IND>, tile8<2, IND>, tile8<3, IND>, tile8<4, IND>,  tile8<5, IND>,  tile8<6, IND>,
                                 tile8<7, IND>, tile8<8, IND>, tile8<9, IND>, tile8<10, IND>, tile8<11, IND>, tile8<12, IND>};

inline __mmask8 mask8(int n_eff) { return static_cast<__mmask8>((1u << n_eff) - 1); }

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
  if (m_eff == 12 && n_eff == 32) return tile<12, false, false, true>(kc, a, b, ldb, nullptr, c, ldc, 0xFFFF, 0xFFFF, p);
  if (n_eff <= 8) return kTiles8<false>[m_eff - 1](kc, a, b, ldb, nullptr, c, ldc, mask8(n_eff), p);
  kTiles<false>[n_eff <= 16][m_eff - 1](kc, a, b, ldb, nullptr, c, ldc, lo_mask(n_eff), hi_mask(n_eff), p);
}

void f32_gemm_ukernel_12x32__avx512_indirect(int64_t kc, const float* a, const float* const* b_rows, int64_t b_off,
                                             float* c, int64_t ldc, int m_eff, int n_eff, const GemmTileParams& p) {
  if (m_eff == 12 && n_eff == 32)
    return tile<12, false, true, true>(kc, a, nullptr, b_off, b_rows, c, ldc, 0xFFFF, 0xFFFF, p);
  if (n_eff <= 8) return kTiles8<true>[m_eff - 1](kc, a, nullptr, b_off, b_rows, c, ldc, mask8(n_eff), p);
  kTiles<true>[n_eff <= 16][m_eff - 1](kc, a, nullptr, b_off, b_rows, c, ldc, lo_mask(n_eff), hi_mask(n_eff), p);
}

}  // namespace edgerun::kernels
