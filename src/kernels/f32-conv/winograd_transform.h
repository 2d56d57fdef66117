// Winograd F(m x m, 3 x 3) transform matrices and the input/output transforms written once over a
// vector type: each "value" is 8 lanes = the same position of 8 different tiles. The -scalar and
// -avx2 translation units instantiate these templates with their own Ops (no intrinsics here).
// Coefficients are compile-time constants, so zero terms vanish and +-1 terms become add/sub.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

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

template <int N, class F>
inline void static_for(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) { (f(std::integral_constant<int, I>{}), ...); }(
      std::make_integer_sequence<int, N>{});
}

// sum_k c[k] * x[k * Stride] with the coefficients row `Row` of a constant matrix (Coef::get(Row, k)).
template <class Ops, class Coef, int Row, int Stride, int N>
inline typename Ops::V combine(const typename Ops::V* x) {
  using V = typename Ops::V;
  V acc = Ops::zero();
  bool first = true;
  static_for<N>([&](auto kc) {
    constexpr int k = decltype(kc)::value;
    constexpr float c = Coef::get(Row, k);
    if constexpr (c != 0.0f) {
      const V& v = x[k * Stride];
      if (first) {
        if constexpr (c == 1.0f) acc = v;
        else if constexpr (c == -1.0f) acc = Ops::sub(Ops::zero(), v);
        else acc = Ops::mul(Ops::set1(c), v);
      } else {
        if constexpr (c == 1.0f) acc = Ops::add(acc, v);
        else if constexpr (c == -1.0f) acc = Ops::sub(acc, v);
        else acc = Ops::fmadd(Ops::set1(c), v, acc);
      }
      first = false;
    }
  });
  return acc;
}

template <class T>
struct BtOf {
  static constexpr float get(int r, int c) { return T::bt[r][c]; }
};
template <class T>
struct AtOf {
  static constexpr float get(int r, int c) { return T::at[r][c]; }
};

// patches: [alpha*alpha][8] (position-major, 8 tiles per position); v[pos * v_stride + lane].
// flatten: every static_for lambda and combine() must inline, or the constant folding is lost.
template <class Ops, class T>
[[gnu::flatten]] void input_transform(const float* patches, float* v, int64_t v_stride) {
  using V = typename Ops::V;
  constexpr int A = T::kAlpha;
  V d[A * A], t[A * A];  // d: input patch [row][col]; t = Bt * d
  for (int i = 0; i < A * A; ++i) d[i] = Ops::load(patches + i * 8);
  static_for<A>([&](auto ic) {
    constexpr int i = decltype(ic)::value;
    static_for<A>([&](auto jc) {
      constexpr int j = decltype(jc)::value;
      t[i * A + j] = combine<Ops, BtOf<T>, i, A, A>(d + j);
    });
  });
  static_for<A>([&](auto ic) {
    constexpr int i = decltype(ic)::value;
    static_for<A>([&](auto jc) {
      constexpr int j = decltype(jc)::value;
      Ops::store(v + (i * A + j) * v_stride, combine<Ops, BtOf<T>, j, 1, A>(t + i * A));
    });
  });
}

// m[pos * m_stride + lane] (GEMM results per position) -> out: [m*m][8] output pixels of 8 tiles.
template <class Ops, class T>
[[gnu::flatten]] void output_transform(const float* m, int64_t m_stride, float* out) {
  using V = typename Ops::V;
  constexpr int A = T::kAlpha, M = T::kM;
  V x[A * A], o[M * A];  // o = At * x
  for (int i = 0; i < A * A; ++i) x[i] = Ops::load(m + i * m_stride);
  static_for<M>([&](auto ic) {
    constexpr int i = decltype(ic)::value;
    static_for<A>([&](auto jc) {
      constexpr int j = decltype(jc)::value;
      o[i * A + j] = combine<Ops, AtOf<T>, i, A, A>(x + j);
    });
  });
  static_for<M>([&](auto ic) {
    constexpr int i = decltype(ic)::value;
    static_for<M>([&](auto jc) {
      constexpr int j = decltype(jc)::value;
      Ops::store(out + (i * M + j) * 8, combine<Ops, AtOf<T>, j, 1, A>(o + i * A));
    });
  });
}

}  // namespace edgerun::kernels::winograd
