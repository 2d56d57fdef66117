// f32-gemv-avx512: the f32-gemv-avx2 scheme with 16 lanes.
// (lhs: L = lcm(16, mr): mr 4 or 8 or 16 -> V 1, mr 6 or 12 -> V 3; rhs: nr 16 or 32.)
// GCC 12 warns inside its own avx512fintrin.h (see f32-gemm-12x32-avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <numeric>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

constexpr int kLanes = 16;

template <int V, int U>
void lhs_chunks(int64_t len, int mr, const float* a, const float* bx, float* out) {
  constexpr int L = V * kLanes;
  __m512 acc[U][V];
  for (int u = 0; u < U; ++u)
    for (int v = 0; v < V; ++v) acc[u][v] = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + U * L <= len; j += U * L)
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < V; ++v) {
        const int64_t o = j + u * L + v * kLanes;
        acc[u][v] = _mm512_fmadd_ps(_mm512_loadu_ps(a + o), _mm512_loadu_ps(bx + o), acc[u][v]);
      }
  for (; j + L <= len; j += L)
    for (int v = 0; v < V; ++v) {
      const int64_t o = j + v * kLanes;
      acc[0][v] = _mm512_fmadd_ps(_mm512_loadu_ps(a + o), _mm512_loadu_ps(bx + o), acc[0][v]);
    }
  alignas(64) float lanes[L];  // lane l holds a partial sum of row l % mr
  for (int v = 0; v < V; ++v) {
    __m512 s = acc[0][v];
    for (int u = 1; u < U; ++u) s = _mm512_add_ps(s, acc[u][v]);
    _mm512_store_ps(lanes + v * kLanes, s);
  }
  for (int64_t t = j; t < len; ++t) lanes[t - j] += a[t] * bx[t];  // j is a multiple of L (and of mr)
  for (int r = 0; r < mr; ++r) {
    float s = 0.0f;
    for (int l = r; l < L; l += mr) s += lanes[l];
    out[r] = s;
  }
}

template <int V, int U>
void rhs_panel(int64_t k, const float* a, const float* b, float* out) {
  constexpr int nr = V * kLanes;
  __m512 acc[U][V];
  for (int u = 0; u < U; ++u)
    for (int v = 0; v < V; ++v) acc[u][v] = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + U <= k; p += U)
    for (int u = 0; u < U; ++u) {
      const __m512 ap = _mm512_set1_ps(*(a + p + u));
      for (int v = 0; v < V; ++v)
        acc[u][v] = _mm512_fmadd_ps(ap, _mm512_loadu_ps(b + (p + u) * nr + v * kLanes), acc[u][v]);
    }
  for (; p < k; ++p) {
    const __m512 ap = _mm512_set1_ps(*(a + p));
    for (int v = 0; v < V; ++v) acc[0][v] = _mm512_fmadd_ps(ap, _mm512_loadu_ps(b + p * nr + v * kLanes), acc[0][v]);
  }
  for (int v = 0; v < V; ++v) {
    __m512 s = acc[0][v];
    for (int u = 1; u < U; ++u) s = _mm512_add_ps(s, acc[u][v]);
    _mm512_storeu_ps(out + v * kLanes, s);
  }
}

}  // namespace

void f32_gemv_lhs__avx512(int64_t len, int mr, const float* a, const float* bx, float* out) {
  switch (std::lcm(mr, kLanes) / kLanes) {
    case 1: return lhs_chunks<1, 8>(len, mr, a, bx, out);
    case 2: return lhs_chunks<2, 4>(len, mr, a, bx, out);
    case 3: return lhs_chunks<3, 2>(len, mr, a, bx, out);
    default: return f32_gemv_lhs__scalar(len, mr, a, bx, out);
  }
}

void f32_gemv_rhs__avx512(int64_t k, int nr, const float* a, const float* b, float* out) {
  switch (nr) {
    case 16: return rhs_panel<1, 8>(k, a, b, out);
    case 32: return rhs_panel<2, 4>(k, a, b, out);
    default: return f32_gemv_rhs__scalar(k, nr, a, b, out);
  }
}

}  // namespace edgerun::kernels
