// AVX2/FMA Winograd transforms: one __m256 = the same position of 8 tiles.
// Patches come in as whole rows: each lane's alpha input columns are one (masked) 8-float load, and an 8x8
// transpose turns the 8 lanes' rows into the transform's position vectors; outputs go back the same way, a
// tile row per lane with bias, residual and clamp applied on the vector (masked loads and stores where a
// tile is cut by the plane's edge). No float moves alone.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/f32-conv/winograd-variants.h"
#include "kernels/f32-conv/winograd_transform.h"

namespace edgerun::kernels {
namespace {

struct Avx2Ops {
  using V = __m256;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float c) { return _mm256_set1_ps(c); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V a) { _mm256_storeu_ps(p, a); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

// r[j][l] <- r[l][j].
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Address of element `off` of p, where p + off may lie before the plane (a masked load reads nothing there).
inline const float* at(const float* p, int64_t off) {
  return reinterpret_cast<const float*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(off) * sizeof(float));
}

// Lanes j of [begin, end) set.
inline __m256i lane_range(int64_t begin, int64_t end) {
  const __m256i j = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i b = _mm256_set1_epi32(static_cast<int32_t>(std::clamp<int64_t>(begin, 0, 8)) - 1);
  const __m256i e = _mm256_set1_epi32(static_cast<int32_t>(std::clamp<int64_t>(end, 0, 8)));
  return _mm256_and_si256(_mm256_cmpgt_epi32(j, b), _mm256_cmpgt_epi32(e, j));
}

template <class T>
[[gnu::flatten]] void input_rows(const float* x, const WinogradTiles& t, float* v, int64_t v_stride) {
  constexpr int A = T::kAlpha, L = kWinogradLanes;
  static_assert(A <= 8);
  int64_t base[L];
  __m256i cols[L];
  unsigned rows[L];  // bit i: patch row i lies inside the plane
  bool plain = true;  // every lane: all rows inside, 8 columns readable from x0
  for (int l = 0; l < L; ++l) {
    const int64_t y0 = t.y0[l], x0 = t.x0[l];
    base[l] = y0 * t.w + x0;
    rows[l] = 0;
    if (l < t.lanes)
      for (int i = 0; i < A; ++i) rows[l] |= (y0 + i >= 0 && y0 + i < t.h ? 1u : 0u) << i;
    cols[l] = lane_range(-x0, std::min<int64_t>(A, t.w - x0));
    plain = plain && rows[l] == (1u << A) - 1 && x0 >= 0 && x0 + 8 <= t.w;
  }
  __m256 d[A * A];
  for (int i = 0; i < A; ++i) {
    __m256 r[L];
    if (plain) {
      for (int l = 0; l < L; ++l) r[l] = _mm256_loadu_ps(x + base[l] + i * t.w);
    } else {
      for (int l = 0; l < L; ++l)
        r[l] = rows[l] >> i & 1u ? _mm256_maskload_ps(at(x, base[l] + i * t.w), cols[l]) : _mm256_setzero_ps();
    }
    transpose8(r);
    for (int j = 0; j < A; ++j) d[i * A + j] = r[j];
  }
  winograd::input_transform<Avx2Ops, T>(d, v, v_stride);
}

template <int M>
inline __m256 load_row(const float* p) {
  if constexpr (M == 2) return _mm256_castps128_ps256(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(p))));
  else if constexpr (M == 4) return _mm256_castps128_ps256(_mm_loadu_ps(p));
  else
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p)),
                                _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(p + 4))), 1);
}

template <int M>
inline void store_row(float* p, __m256 a) {
  if constexpr (M == 2) {
    _mm_store_sd(reinterpret_cast<double*>(p), _mm_castps_pd(_mm256_castps256_ps128(a)));
    return;
  }
  _mm_storeu_ps(p, _mm256_castps256_ps128(a));
  if constexpr (M == 6) _mm_store_sd(reinterpret_cast<double*>(p + 4), _mm_castps_pd(_mm256_extractf128_ps(a, 1)));
}

template <class T>
[[gnu::flatten]] void output_rows(const float* m, int64_t m_stride, const WinogradTiles& t, const WinogradStore& s) {
  constexpr int M = T::kM, L = kWinogradLanes;
  static_assert(M == 2 || M == 4 || M == 6);
  __m256 o[M * M];
  winograd::output_transform<Avx2Ops, T>(m, m_stride, o);
  const __m256 bias = _mm256_set1_ps(s.bias), lo = _mm256_set1_ps(s.lo), hi = _mm256_set1_ps(s.hi);
  for (int i = 0; i < M; ++i) {
    __m256 r[L];
    for (int j = 0; j < L; ++j) r[j] = j < M ? o[i * M + j] : _mm256_setzero_ps();
    transpose8(r);  // r[l]: row i of lane l's tile
    for (int l = 0; l < t.lanes; ++l) {
      const int64_t y = int64_t{t.y0[l]} + i;
      if (y >= t.h) continue;
      const int64_t off = y * t.w + t.x0[l], cols = std::min<int64_t>(M, t.w - t.x0[l]);
      __m256 val = _mm256_add_ps(r[l], bias);
      if (cols == M) {
        if (s.residual) val = _mm256_add_ps(val, load_row<M>(s.residual + off));
        store_row<M>(s.plane + off, _mm256_min_ps(hi, _mm256_max_ps(lo, val)));  // operand order keeps NaN
      } else {
        const __m256i in_plane = lane_range(0, cols);
        if (s.residual) val = _mm256_add_ps(val, _mm256_maskload_ps(s.residual + off, in_plane));
        _mm256_maskstore_ps(s.plane + off, in_plane, _mm256_min_ps(hi, _mm256_max_ps(lo, val)));
      }
    }
  }
}

}  // namespace

void f32_winograd_input_6x6__avx2(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  input_rows<winograd::F6>(x, t, v, vs);
}
void f32_winograd_output_6x6__avx2(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  output_rows<winograd::F6>(m, ms, t, s);
}
void f32_winograd_input_4x4__avx2(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  input_rows<winograd::F4>(x, t, v, vs);
}
void f32_winograd_output_4x4__avx2(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  output_rows<winograd::F4>(m, ms, t, s);
}

void f32_winograd_input_2x2__avx2(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  input_rows<winograd::F2>(x, t, v, vs);
}
void f32_winograd_output_2x2__avx2(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  output_rows<winograd::F2>(m, ms, t, s);
}

}  // namespace edgerun::kernels
