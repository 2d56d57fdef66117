// Winograd F(m x m, 3 x 3) transform matrices and the input/output transforms written once over a
// vector type: each "value" is 8 lanes = the same position of 8 different tiles. The per-ISA translation
// units instantiate these templates with their own Ops (no intrinsics here) and either the portable
// gather/scatter below or their own way of moving patches between the plane and the lanes.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/f32-conv/winograd-variants.h"

namespace edgerun::kernels::winograd {

// F(6x6, 3x3), interpolation points 0, +-1, +-2, +-1/2, inf (alpha = 8).
struct F6 {
  static constexpr int kM = 6, kAlpha = 8;
  static constexpr float bt[8][8] = {
      {1, 0, -5.25f, 0, 5.25f, 0, -1, 0},         {0, 1, 1, -4.25f, -4.25f, 1, 1, 0},
      {0, -1, 1, 4.25f, -4.25f, -1, 1, 0},        {0, 0.5f, 0.25f, -2.5f, -1.25f, 2, 1, 0},
      {0, -0.5f, 0.25f, 2.5f, -1.25f, -2, 1, 0},  {0, 2, 4, -2.5f, -5, 0.5f, 1, 0},
      {0, -2, 4, 2.5f, -5, -0.5f, 1, 0},          {0, -1, 0, 5.25f, 0, -5.25f, 0, 1}};
  static constexpr float at[6][8] = {{1, 1, 1, 1, 1, 1, 1, 0},       {0, 1, -1, 2, -2, 0.5f, -0.5f, 0},
                                     {0, 1, 1, 4, 4, 0.25f, 0.25f, 0}, {0, 1, -1, 8, -8, 0.125f, -0.125f, 0},
                                     {0, 1, 1, 16, 16, 0.0625f, 0.0625f, 0},
                                     {0, 1, -1, 32, -32, 0.03125f, -0.03125f, 1}};
  static constexpr double g[8][3] = {{1, 0, 0},
                                     {-2.0 / 9, -2.0 / 9, -2.0 / 9},
                                     {-2.0 / 9, 2.0 / 9, -2.0 / 9},
                                     {1.0 / 90, 1.0 / 45, 2.0 / 45},
                                     {1.0 / 90, -1.0 / 45, 2.0 / 45},
                                     {32.0 / 45, 16.0 / 45, 8.0 / 45},
                                     {32.0 / 45, -16.0 / 45, 8.0 / 45},
                                     {0, 0, 1}};
};

// F(4x4, 3x3), points 0, +-1, +-2, inf (alpha = 6): less accurate-critical, fewer transform ops.
struct F4 {
  static constexpr int kM = 4, kAlpha = 6;
  static constexpr float bt[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                     {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static constexpr float at[4][6] = {
      {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
  static constexpr double g[6][3] = {{0.25, 0, 0},
                                     {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                     {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                     {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                     {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                     {0, 0, 1}};
};

// F(2x2, 3x3), points 0, +-1, inf (alpha = 4): the fewest transform ops and the smallest transformed weights
// (16 / 9 of the direct ones), for maps too small for F(4x4)'s tiles (7x7: 16 tiles of 2x2, 4 of 4x4).
struct F2 {
  static constexpr int kM = 2, kAlpha = 4;
  static constexpr float bt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr float at[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
  static constexpr double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
};

// The 1-D transforms with their common terms shared (rows of Bt / At pair up as a +- b): y[k * SO] from
// x[k * SI]. Each is exactly the matrix row of bt / at above, in a fixed order of operations that every
// variant uses, so the variants differ only by the FMA contraction of their vector unit.
template <class Ops, int SI, int SO, class V = typename Ops::V>
inline void bt6(const V* x, V* y) {  // F(6x6): 8 -> 8
  auto c = [](float f) { return Ops::set1(f); };
  y[0 * SO] = Ops::fmadd(c(5.25f), Ops::sub(x[4 * SI], x[2 * SI]), Ops::sub(x[0], x[6 * SI]));
  y[7 * SO] = Ops::fmadd(c(5.25f), Ops::sub(x[3 * SI], x[5 * SI]), Ops::sub(x[7 * SI], x[1 * SI]));
  const V a1 = Ops::fmadd(c(-4.25f), x[4 * SI], Ops::add(x[2 * SI], x[6 * SI]));
  const V b1 = Ops::fmadd(c(-4.25f), x[3 * SI], Ops::add(x[1 * SI], x[5 * SI]));
  y[1 * SO] = Ops::add(a1, b1);
  y[2 * SO] = Ops::sub(a1, b1);
  const V a3 = Ops::fmadd(c(-1.25f), x[4 * SI], Ops::fmadd(c(0.25f), x[2 * SI], x[6 * SI]));
  const V b3 = Ops::fmadd(c(2.0f), x[5 * SI], Ops::fmadd(c(-2.5f), x[3 * SI], Ops::mul(c(0.5f), x[1 * SI])));
  y[3 * SO] = Ops::add(a3, b3);
  y[4 * SO] = Ops::sub(a3, b3);
  const V a5 = Ops::fmadd(c(-5.0f), x[4 * SI], Ops::fmadd(c(4.0f), x[2 * SI], x[6 * SI]));
  const V b5 = Ops::fmadd(c(0.5f), x[5 * SI], Ops::fmadd(c(-2.5f), x[3 * SI], Ops::mul(c(2.0f), x[1 * SI])));
  y[5 * SO] = Ops::add(a5, b5);
  y[6 * SO] = Ops::sub(a5, b5);
}

template <class Ops, int SI, int SO, class V = typename Ops::V>
inline void at6(const V* x, V* y) {  // F(6x6): 8 -> 6
  auto c = [](float f) { return Ops::set1(f); };
  const V s1 = Ops::add(x[1 * SI], x[2 * SI]), d1 = Ops::sub(x[1 * SI], x[2 * SI]);
  const V s2 = Ops::add(x[3 * SI], x[4 * SI]), d2 = Ops::sub(x[3 * SI], x[4 * SI]);
  const V s3 = Ops::add(x[5 * SI], x[6 * SI]), d3 = Ops::sub(x[5 * SI], x[6 * SI]);
  y[0 * SO] = Ops::add(Ops::add(x[0], s1), Ops::add(s2, s3));
  y[1 * SO] = Ops::fmadd(c(0.5f), d3, Ops::fmadd(c(2.0f), d2, d1));
  y[2 * SO] = Ops::fmadd(c(0.25f), s3, Ops::fmadd(c(4.0f), s2, s1));
  y[3 * SO] = Ops::fmadd(c(0.125f), d3, Ops::fmadd(c(8.0f), d2, d1));
  y[4 * SO] = Ops::fmadd(c(0.0625f), s3, Ops::fmadd(c(16.0f), s2, s1));
  y[5 * SO] = Ops::add(Ops::fmadd(c(0.03125f), d3, Ops::fmadd(c(32.0f), d2, d1)), x[7 * SI]);
}

template <class Ops, int SI, int SO, class V = typename Ops::V>
inline void bt4(const V* x, V* y) {  // F(4x4): 6 -> 6
  auto c = [](float f) { return Ops::set1(f); };
  y[0 * SO] = Ops::fmadd(c(-5.0f), x[2 * SI], Ops::fmadd(c(4.0f), x[0], x[4 * SI]));
  y[5 * SO] = Ops::fmadd(c(-5.0f), x[3 * SI], Ops::fmadd(c(4.0f), x[1 * SI], x[5 * SI]));
  const V a1 = Ops::fmadd(c(-4.0f), x[2 * SI], x[4 * SI]), b1 = Ops::fmadd(c(-4.0f), x[1 * SI], x[3 * SI]);
  y[1 * SO] = Ops::add(a1, b1);
  y[2 * SO] = Ops::sub(a1, b1);
  const V a3 = Ops::sub(x[4 * SI], x[2 * SI]), b3 = Ops::sub(x[3 * SI], x[1 * SI]);
  y[3 * SO] = Ops::fmadd(c(2.0f), b3, a3);
  y[4 * SO] = Ops::fmadd(c(-2.0f), b3, a3);
}

template <class Ops, int SI, int SO, class V = typename Ops::V>
inline void at4(const V* x, V* y) {  // F(4x4): 6 -> 4
  auto c = [](float f) { return Ops::set1(f); };
  const V s1 = Ops::add(x[1 * SI], x[2 * SI]), d1 = Ops::sub(x[1 * SI], x[2 * SI]);
  const V s2 = Ops::add(x[3 * SI], x[4 * SI]), d2 = Ops::sub(x[3 * SI], x[4 * SI]);
  y[0 * SO] = Ops::add(Ops::add(x[0], s1), s2);
  y[1 * SO] = Ops::fmadd(c(2.0f), d2, d1);
  y[2 * SO] = Ops::fmadd(c(4.0f), s2, s1);
  y[3 * SO] = Ops::add(Ops::fmadd(c(8.0f), d2, d1), x[5 * SI]);
}

template <class Ops, int SI, int SO, class V = typename Ops::V>
inline void bt2(const V* x, V* y) {  // F(2x2): 4 -> 4
  y[0 * SO] = Ops::sub(x[0], x[2 * SI]);
  y[1 * SO] = Ops::add(x[1 * SI], x[2 * SI]);
  y[2 * SO] = Ops::sub(x[2 * SI], x[1 * SI]);
  y[3 * SO] = Ops::sub(x[1 * SI], x[3 * SI]);
}

template <class Ops, int SI, int SO, class V = typename Ops::V>
inline void at2(const V* x, V* y) {  // F(2x2): 4 -> 2
  y[0 * SO] = Ops::add(Ops::add(x[0], x[1 * SI]), x[2 * SI]);
  y[1 * SO] = Ops::sub(Ops::sub(x[1 * SI], x[2 * SI]), x[3 * SI]);
}

template <class Ops, class T, int SI, int SO>
inline void bt1d(const typename Ops::V* x, typename Ops::V* y) {
  if constexpr (T::kM == 6) bt6<Ops, SI, SO>(x, y);
  else if constexpr (T::kM == 4) bt4<Ops, SI, SO>(x, y);
  else bt2<Ops, SI, SO>(x, y);
}
template <class Ops, class T, int SI, int SO>
inline void at1d(const typename Ops::V* x, typename Ops::V* y) {
  if constexpr (T::kM == 6) at6<Ops, SI, SO>(x, y);
  else if constexpr (T::kM == 4) at4<Ops, SI, SO>(x, y);
  else at2<Ops, SI, SO>(x, y);
}

// d: [alpha*alpha] the patch values of 8 tiles, row-major; v[pos * v_stride + lane] = (Bt d B)[pos].
template <class Ops, class T>
[[gnu::flatten]] inline void input_transform(const typename Ops::V* d, float* v, int64_t v_stride) {
  using V = typename Ops::V;
  constexpr int A = T::kAlpha;
  V t[A * A], r[A];  // t = Bt * d (columns), then each row of t times B
  for (int j = 0; j < A; ++j) bt1d<Ops, T, A, A>(d + j, t + j);
  for (int i = 0; i < A; ++i) {
    bt1d<Ops, T, 1, 1>(t + i * A, r);
    for (int j = 0; j < A; ++j) Ops::store(v + (i * A + j) * v_stride, r[j]);
  }
}

// m[pos * m_stride + lane] (GEMM results per position) -> out: [m*m] output values of 8 tiles, row-major.
template <class Ops, class T>
[[gnu::flatten]] inline void output_transform(const float* m, int64_t m_stride, typename Ops::V* out) {
  using V = typename Ops::V;
  constexpr int A = T::kAlpha, M = T::kM;
  V x[A * A], o[M * A];  // o = At * x (columns), then each row of o times A
  for (int i = 0; i < A * A; ++i) x[i] = Ops::load(m + i * m_stride);
  for (int j = 0; j < A; ++j) at1d<Ops, T, A, A>(x + j, o + j);
  for (int i = 0; i < M; ++i) at1d<Ops, T, 1, 1>(o + i * A, out + i * M);
}

// The portable way in and out of the transforms: patches gathered and outputs stored one float at a time.
template <class Ops, class T>
[[gnu::flatten]] void input_gather(const float* x, const WinogradTiles& t, float* v, int64_t v_stride) {
  using V = typename Ops::V;
  constexpr int A = T::kAlpha, L = kWinogradLanes;
  alignas(64) float patches[A * A * L];  // [row][col][lane]
  for (int l = 0; l < L; ++l)
    for (int i = 0; i < A; ++i) {
      const int64_t iy = int64_t{t.y0[l]} + i;
      const bool row_in = l < t.lanes && iy >= 0 && iy < t.h;
      for (int j = 0; j < A; ++j) {
        const int64_t ix = int64_t{t.x0[l]} + j;
        patches[(i * A + j) * L + l] = row_in && ix >= 0 && ix < t.w ? x[iy * t.w + ix] : 0.0f;
      }
    }
  V d[A * A];
  for (int i = 0; i < A * A; ++i) d[i] = Ops::load(patches + i * L);
  input_transform<Ops, T>(d, v, v_stride);
}

template <class Ops, class T>
[[gnu::flatten]] void output_scatter(const float* m, int64_t m_stride, const WinogradTiles& t,
                                     const WinogradStore& s) {
  using V = typename Ops::V;
  constexpr int M = T::kM, L = kWinogradLanes;
  V o[M * M];
  output_transform<Ops, T>(m, m_stride, o);
  alignas(64) float out[M * M * L];  // [row][col][lane]
  for (int i = 0; i < M * M; ++i) Ops::store(out + i * L, o[i]);
  for (int l = 0; l < t.lanes; ++l) {
    const int64_t rows = std::min<int64_t>(M, t.h - t.y0[l]), cols = std::min<int64_t>(M, t.w - t.x0[l]);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t off = (t.y0[l] + i) * t.w + t.x0[l];
      for (int64_t j = 0; j < cols; ++j) {
        float val = out[(i * M + j) * L + l] + s.bias;
        if (s.residual) val += s.residual[off + j];
        s.plane[off + j] = std::min(std::max(val, s.lo), s.hi);  // NaN stays NaN
      }
    }
  }
}

}  // namespace edgerun::kernels::winograd
