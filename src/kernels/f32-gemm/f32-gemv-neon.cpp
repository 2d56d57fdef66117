// f32-gemv-neon: matrix-vector products on packed panels (see f32-gemm.h), 4 lanes.
//  lhs: the panel is a flat dot product with the expanded vector; a chunk of L = lcm(4, mr) floats keeps
//       every lane on a fixed row, so V = L / 4 accumulators per chunk are folded into rows at the end
//       (mr 4 -> V 1, mr 8 -> V 2, mr 6 or 12 -> V 3, mr 16 -> V 4); other mr fall back to the scalar loop.
//  rhs: nr / 4 column vectors per k step, k unrolled so that at least 8 FMA chains are in flight.
#include <arm_neon.h>

#include <numeric>

#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

constexpr int kLanes = 4;

template <int V, int U>
void lhs_chunks(int64_t len, int mr, const float* a, const float* bx, float* out) {
  constexpr int L = V * kLanes;
  float32x4_t acc[U][V];
  for (int u = 0; u < U; ++u)
    for (int v = 0; v < V; ++v) acc[u][v] = vdupq_n_f32(0.0f);
  int64_t j = 0;
  for (; j + U * L <= len; j += U * L)
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < V; ++v) {
        const int64_t o = j + u * L + v * kLanes;
        acc[u][v] = vfmaq_f32(acc[u][v], vld1q_f32(a + o), vld1q_f32(bx + o));
      }
  for (; j + L <= len; j += L)
    for (int v = 0; v < V; ++v) {
      const int64_t o = j + v * kLanes;
      acc[0][v] = vfmaq_f32(acc[0][v], vld1q_f32(a + o), vld1q_f32(bx + o));
    }
  float lanes[L];  // lane l holds a partial sum of row l % mr
  for (int v = 0; v < V; ++v) {
    float32x4_t s = acc[0][v];
    for (int u = 1; u < U; ++u) s = vaddq_f32(s, acc[u][v]);
    vst1q_f32(lanes + v * kLanes, s);
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
  float32x4_t acc[U][V];
  for (int u = 0; u < U; ++u)
    for (int v = 0; v < V; ++v) acc[u][v] = vdupq_n_f32(0.0f);
  int64_t p = 0;
  for (; p + U <= k; p += U)
    for (int u = 0; u < U; ++u) {
      const float ap = a[p + u];
      for (int v = 0; v < V; ++v) acc[u][v] = vfmaq_n_f32(acc[u][v], vld1q_f32(b + (p + u) * nr + v * kLanes), ap);
    }
  for (; p < k; ++p) {
    const float ap = a[p];
    for (int v = 0; v < V; ++v) acc[0][v] = vfmaq_n_f32(acc[0][v], vld1q_f32(b + p * nr + v * kLanes), ap);
  }
  for (int v = 0; v < V; ++v) {
    float32x4_t s = acc[0][v];
    for (int u = 1; u < U; ++u) s = vaddq_f32(s, acc[u][v]);
    vst1q_f32(out + v * kLanes, s);
  }
}

}  // namespace

void f32_gemv_lhs__neon(int64_t len, int mr, const float* a, const float* bx, float* out) {
  switch (std::lcm(mr, kLanes) / kLanes) {
    case 1: return lhs_chunks<1, 8>(len, mr, a, bx, out);
    case 2: return lhs_chunks<2, 4>(len, mr, a, bx, out);
    case 3: return lhs_chunks<3, 3>(len, mr, a, bx, out);
    case 4: return lhs_chunks<4, 2>(len, mr, a, bx, out);
    default: return f32_gemv_lhs__scalar(len, mr, a, bx, out);
  }
}

void f32_gemv_rhs__neon(int64_t k, int nr, const float* a, const float* b, float* out) {
  switch (nr) {
    case 4: return rhs_panel<1, 8>(k, a, b, out);
    case 8: return rhs_panel<2, 4>(k, a, b, out);
    case 12: return rhs_panel<3, 3>(k, a, b, out);
    case 16: return rhs_panel<4, 2>(k, a, b, out);
    default: return f32_gemv_rhs__scalar(k, nr, a, b, out);
  }
}

}  // namespace edgerun::kernels
