// f32-gemv-avx2: matrix-vector products on packed panels (see f32-gemm.h), 8 lanes.
//  lhs: the panel is a flat dot product with the expanded vector; a chunk of L = lcm(8, mr) floats keeps
//       every lane on a fixed row, so V = L / 8 accumulators per chunk are folded into rows at the end
//       (mr 4 -> V 1, mr 6 or 12 -> V 3, mr 16 -> V 2); other mr fall back to the scalar loop.
//  rhs: nr / 8 column vectors per k step, k unrolled so that at least 8 FMA chains are in flight.
#include <immintrin.h>

#include <numeric>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

constexpr int kLanes = 8;

template <int V, int U>
void lhs_chunks(int64_t len, int mr, const float* a, const float* bx, float* out) {
  constexpr int L = V * kLanes;
  __m256 acc[U][V];
  for (int u = 0; u < U; ++u)
    for (int v = 0; v < V; ++v) acc[u][v] = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + U * L <= len; j += U * L)
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < V; ++v) {
        const int64_t o = j + u * L + v * kLanes;
        acc[u][v] = _mm256_fmadd_ps(_mm256_loadu_ps(a + o), _mm256_loadu_ps(bx + o), acc[u][v]);
      }
  for (; j + L <= len; j += L)
    for (int v = 0; v < V; ++v) {
      const int64_t o = j + v * kLanes;
      acc[0][v] = _mm256_fmadd_ps(_mm256_loadu_ps(a + o), _mm256_loadu_ps(bx + o), acc[0][v]);
    }
  alignas(32) float lanes[L];  // lane l holds a partial sum of row l % mr
  for (int v = 0; v < V; ++v) {
    __m256 s = acc[0][v];
    for (int u = 1; u < U; ++u) s = _mm256_add_ps(s, acc[u][v]);
    _mm256_store_ps(lanes + v * kLanes, s);
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
  __m256 acc[U][V];
  for (int u = 0; u < U; ++u)
    for (int v = 0; v < V; ++v) acc[u][v] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + U <= k; p += U)
    for (int u = 0; u < U; ++u) {
      const __m256 ap = _mm256_broadcast_ss(a + p + u);
      for (int v = 0; v < V; ++v)
        acc[u][v] = _mm256_fmadd_ps(ap, _mm256_loadu_ps(b + (p + u) * nr + v * kLanes), acc[u][v]);
    }
  for (; p < k; ++p) {
    const __m256 ap = _mm256_broadcast_ss(a + p);
    for (int v = 0; v < V; ++v) acc[0][v] = _mm256_fmadd_ps(ap, _mm256_loadu_ps(b + p * nr + v * kLanes), acc[0][v]);
  }
  for (int v = 0; v < V; ++v) {
    __m256 s = acc[0][v];
    for (int u = 1; u < U; ++u) s = _mm256_add_ps(s, acc[u][v]);
    _mm256_storeu_ps(out + v * kLanes, s);
  }
}

}  // namespace

void f32_gemv_lhs__avx2(int64_t len, int mr, const float* a, const float* bx, float* out) {
  switch (std::lcm(mr, kLanes) / kLanes) {
    case 1: return lhs_chunks<1, 8>(len, mr, a, bx, out);
    case 2: return lhs_chunks<2, 4>(len, mr, a, bx, out);
    case 3: return lhs_chunks<3, 2>(len, mr, a, bx, out);
    default: return f32_gemv_lhs__scalar(len, mr, a, bx, out);
  }
}

void f32_gemv_rhs__avx2(int64_t k, int nr, const float* a, const float* b, float* out) {
  switch (nr) {
    case 8: return rhs_panel<1, 8>(k, a, b, out);
    case 16: return rhs_panel<2, 4>(k, a, b, out);
    case 32: return rhs_panel<4, 2>(k, a, b, out);
    default: return f32_gemv_rhs__scalar(k, nr, a, b, out);
  }
}

}  // namespace edgerun::kernels
