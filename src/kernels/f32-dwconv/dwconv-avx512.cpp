// f32-dwconv-{3x3,5x5}s{1,2}-avx512: the AVX2 algorithm with 16-lane vectors. Each channel is first
// copied into a zero-padded scratch plane (stride 2: every row split into its even and odd columns with
// _mm512_permutex2var_ps), so the inner loop has no bounds checks: 2 output rows x 16 pixels per step
// (3x3: 32 pixels while at least 17 are left), K*K broadcast-weight FMAs per row and 16 pixels, a
// __mmask16 for the row tail (masked residual load and store, no scalar loop). Bias / residual /
// ReLU-type clamps / HardSwish are applied in registers, other activations through f32-vmath once per
// block of output planes.
//
// What differs from the 8-lane loop (measured on Zen 5, where a 64-byte load that straddles two cache
// lines costs the load port more than twice an aligned one, so unaligned taps made the AVX2 structure
// load-bound):
//  - scratch rows (and both halves of a stride-2 row) start on 64-byte boundaries; the taps of a
//    scratch row are built from aligned loads and valignd (kx = 1..K-1), never loaded unaligned;
//  - the two output rows of a step share the taps of their common input rows (stride 1: K + 1 input
//    rows for 2K row-FMA groups, stride 2: K + 2);
//  - scratch rows are filled with one masked load (zeros in the padding) and one aligned store per
//    16 floats, the masks worked out once per call instead of per row.
// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps / _epi32 as the pass-through of
// max/min and valignd; -Wuninitialized at -O2, -Wmaybe-uninitialized at -O3).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/f32-dwconv/dwconv_table.h"
#include "kernels/f32-transpose/transpose.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun::kernels {
namespace {

inline __mmask16 tail_mask(int64_t rem) {
  return rem >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rem) - 1u);
}

// Geometry of the padded scratch plane of one channel. A row holds the columns that valid output
// lanes read, rounded up to whole 16-float vectors; the lanes past out_w of a row's last step read on
// into the next row (or the slack after the last one), and their results are never stored.
template <int K, int S>
struct Padded {
  int64_t rows;   // (out_h - 1) * S + K
  int64_t half;   // S == 2: columns per parity half, a multiple of 16
  int64_t width;  // floats per scratch row, a multiple of 16
  static constexpr int64_t kSlack = 32;  // floats after the last row
  explicit Padded(const DwConvParams& p) {
    rows = (p.out_h - 1) * S + K;
    half = (p.out_w + (K - 1) / 2 + 15) / 16 * 16;
    width = S == 1 ? (p.out_w + K - 1 + 15) / 16 * 16 : 2 * half;
  }
};

inline void zero_row(float* dst, int64_t width) {
  for (int64_t i = 0; i < width; i += 16) _mm512_store_ps(dst + i, _mm512_setzero_ps());
}

// Lanes l of a 16-lane load from input column a + l that lie inside the row [0, in_w).
inline __mmask16 in_row(int64_t a, int64_t in_w) {
  const int64_t lo = std::clamp<int64_t>(-a, 0, 16), hi = std::clamp<int64_t>(in_w - a, 0, 16);
  return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

// The in_row masks of the input loads of one scratch row: the same for every row and channel of a
// call, so worked out once (chunks past kCached, in rows wider than 1024 floats, on the fly).
template <int S>
struct RowMasks {
  static constexpr int64_t kCached = 64;
  int64_t pad_left, in_w;
  __mmask16 m[kCached * S];
  RowMasks(const DwConvParams& p, int64_t chunks) : pad_left(p.pad_left), in_w(p.in_w) {
    for (int64_t j = 0; j < std::min(chunks, kCached); ++j)
      for (int h = 0; h < S; ++h) m[j * S + h] = compute(j, h);
  }
  // Load h of the 16-float scratch chunk j: stride 1 reads input columns 16j - pad_left + [0, 16),
  // stride 2 reads 32j + 16h - pad_left + [0, 16).
  __mmask16 compute(int64_t j, int h) const { return in_row(16 * S * j + 16 * h - pad_left, in_w); }
  __mmask16 operator()(int64_t j, int h) const { return j < kCached ? m[j * S + h] : compute(j, h); }
};

inline __m512 load_masked(const float* src, __mmask16 m) {
  return m == 0xFFFF ? _mm512_loadu_ps(src) : _mm512_maskz_loadu_ps(m, src);
}

// Stride 1: padded column j holds input column j - pad_left (zero outside the row).
void fill_row_s1(const float* src, const RowMasks<1>& rm, float* dst, int64_t width) {
  src -= rm.pad_left;  // masked lanes are never read
  for (int64_t j = 0; j < width; j += 16) _mm512_store_ps(dst + j, load_masked(src + j, rm(j / 16, 0)));
}

// Stride 2: padded column 2t goes to dst[t], column 2t + 1 to dst[half + t]. The 32 input columns
// behind padded columns 2t .. 2t + 31 give 16 floats of each half. Forced inline: as a call per row it cost
// as much as the convolution of a 28x28 -> 14x14 plane (240 ch 3x3: 0.050 -> 0.038 ms inlined; not done for
// stride 1, where GCC then stops inlining the compute steps: 480 x 14x14 3x3 0.037 -> 0.060).
__attribute__((always_inline)) inline void fill_row_s2(const float* src, const RowMasks<2>& rm, float* dst, int64_t half) {
  const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd_idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  src -= rm.pad_left;
  for (int64_t t = 0; t < half; t += 16) {
    const __m512 v0 = load_masked(src + 2 * t, rm(t / 16, 0));
    const __m512 v1 = load_masked(src + 2 * t + 16, rm(t / 16, 1));
    _mm512_store_ps(dst + t, _mm512_permutex2var_ps(v0, even_idx, v1));
    _mm512_store_ps(dst + half + t, _mm512_permutex2var_ps(v0, odd_idx, v1));
  }
}

template <int K, int S>
void fill_padded(const DwConvParams& p, const Padded<K, S>& g, const RowMasks<S>& rm, const float* x,
                 float* scratch) {
  for (int64_t r = 0; r < g.rows; ++r) {
    float* dst = scratch + r * g.width;
    const int64_t iy = r - p.pad_top;
    if (iy < 0 || iy >= p.in_h) zero_row(dst, g.width);
    else if constexpr (S == 1) fill_row_s1(x + iy * p.in_w, rm, dst, g.width);
    else fill_row_s2(x + iy * p.in_w, rm, dst, g.half);
  }
}

inline __m512 align(__m512 lo, __m512 hi, int n) {  // lanes n..15 of lo, then lanes 0..n-1 of hi
  const __m512i l = _mm512_castps_si512(lo), h = _mm512_castps_si512(hi);
  switch (n) {
    case 1: return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 1));
    case 2: return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 2));
    case 3: return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 3));
    default: return _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 4));
  }
}

// The K input vectors (taps kx = 0..K-1) of 16 outputs starting at ox in scratch row `row`.
// Stride 1: columns ox + kx. Stride 2: even columns (kx = 0, 2, 4) at ox + kx / 2, odd ones
// (kx = 1, 3) at half + ox + kx / 2.
template <int K, int S>
inline void row_taps(const float* row, int64_t half, int64_t ox, __m512* t) {
  if constexpr (S == 1) {
    const __m512 a = _mm512_load_ps(row + ox), b = _mm512_load_ps(row + ox + 16);
    t[0] = a;
    for (int kx = 1; kx < K; ++kx) t[kx] = align(a, b, kx);
  } else {
    const __m512 e0 = _mm512_load_ps(row + ox), e1 = _mm512_load_ps(row + ox + 16);
    const __m512 o0 = _mm512_load_ps(row + half + ox);
    for (int kx = 0; kx < K; kx += 2) t[kx] = kx == 0 ? e0 : align(e0, e1, kx / 2);
    t[1] = o0;
    if constexpr (K == 5) t[3] = align(o0, _mm512_load_ps(row + half + ox + 16), 1);
  }
}

// ROWS output rows x CH*16 pixels at ox: output row j reads scratch rows j*S .. j*S+K-1 from r0, so
// input row i serves every j with 0 <= i - j*S < K. Accumulator chains: two per output row (even
// and odd kernel rows) for one chunk, one per row and chunk for two. out[j * CH + ch].
template <int K, int S, int ROWS, int CH>
inline void block(const float* r0, int64_t width, int64_t half, int64_t ox, const __m512* w, __m512* out) {
  constexpr int kChains = CH == 1 ? 2 : 1;
  __m512 acc[ROWS][CH][kChains];
  for (int j = 0; j < ROWS; ++j)
    for (int ch = 0; ch < CH; ++ch)
      for (int q = 0; q < kChains; ++q) acc[j][ch][q] = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int i = 0; i < (ROWS - 1) * S + K; ++i) {
    __m512 t[CH][K];
    for (int ch = 0; ch < CH; ++ch) row_taps<K, S>(r0 + i * width, half, ox + 16 * ch, t[ch]);
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx) {
#pragma GCC unroll 4
      for (int j = 0; j < ROWS; ++j) {
        const int ky = i - j * S;
        if (ky < 0 || ky >= K) continue;
        for (int ch = 0; ch < CH; ++ch) {
          __m512& a = acc[j][ch][ky % kChains];
          a = _mm512_fmadd_ps(t[ch][kx], w[ky * K + kx], a);
        }
      }
    }
  }
  for (int j = 0; j < ROWS; ++j)
    for (int ch = 0; ch < CH; ++ch)
      out[j * CH + ch] = kChains == 1 ? acc[j][ch][0] : _mm512_add_ps(acc[j][ch][0], acc[j][ch][kChains - 1]);
}

enum class InReg { kNone, kClamp, kHardSwish, kLater };

// Bias, residual and the in-register activations for 16 outputs of channel row `yr` at ox, then the
// store of the lanes in m.
template <InReg kAct>
inline void finish16(__m512 v, __m512 bias, const float* res_row, float* yr, int64_t ox, __mmask16 m, __m512 lo,
                     __m512 hi) {
  v = _mm512_add_ps(v, bias);
  if (res_row) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res_row + ox));
  if constexpr (kAct == InReg::kClamp) v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
  if constexpr (kAct == InReg::kHardSwish) {
    const __m512 gate = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
    v = _mm512_mul_ps(v, _mm512_min_ps(_mm512_set1_ps(1.0f), _mm512_max_ps(_mm512_setzero_ps(), gate)));
  }
  _mm512_mask_storeu_ps(yr + ox, m, v);
}

// One channel's output plane and what its epilogue needs.
struct Plane {
  const float* scratch;
  int64_t width, half;
  const __m512* w;  // [K * K] broadcast weights
  __m512 bias, lo, hi;
  const float* res;  // [out_h, out_w] or nullptr
  float* y;          // [out_h, out_w]
  int64_t out_w;
};

// Output rows oy .. oy + ROWS - 1, pixels ox .. ox + CH*16 - 1 (the last chunk masked to out_w).
template <int K, int S, InReg kAct, int ROWS, int CH>
inline void step(const Plane& pl, int64_t oy, int64_t ox) {
  __m512 v[ROWS * CH];
  block<K, S, ROWS, CH>(pl.scratch + oy * S * pl.width, pl.width, pl.half, ox, pl.w, v);
  for (int j = 0; j < ROWS; ++j) {
    const int64_t row = (oy + j) * pl.out_w;
    for (int ch = 0; ch < CH; ++ch) {
      const int64_t x = ox + 16 * ch;
      finish16<kAct>(v[j * CH + ch], pl.bias, pl.res ? pl.res + row : nullptr, pl.y + row, x,
                     tail_mask(pl.out_w - x), pl.lo, pl.hi);
    }
  }
}

// Output rows oy .. oy + ROWS - 1: 32 pixels per step where at least 17 are left (3x3 only: 5x5 has
// too few registers left for two chunks' taps), then 16.
template <int K, int S, InReg kAct, int ROWS>
inline void rows(const Plane& pl, int64_t oy) {
  int64_t ox = 0;
  if constexpr (K == 3)
    for (; ox + 16 < pl.out_w; ox += 32) step<K, S, kAct, ROWS, 2>(pl, oy, ox);
  for (; ox < pl.out_w; ox += 16) step<K, S, kAct, ROWS, 1>(pl, oy, ox);
}

// f32-vmath activations (sigmoid, SiLU, ...) run over whole output planes of several channels at once:
// one call per ~kActBlock floats instead of one per (possibly 7-wide) row; the planes are still in cache.
constexpr int64_t kActBlock = 4096;

template <int K, int S, InReg kAct>
void channels(const DwConvParams& p, const float* in, const float* weights, float* out, const Epilogue& ep,
              int64_t c0, int64_t c1) {
  const Padded<K, S> g(p);
  const RowMasks<S> rm(p, (S == 1 ? g.width : g.half) / 16);
  thread_local std::vector<float> scratch_buf;
  const size_t need = static_cast<size_t>(g.rows * g.width + g.kSlack + 15);
  if (scratch_buf.size() < need) scratch_buf.resize(need);
  float* scratch = scratch_buf.data();  // [rows, width] + slack, 64-byte aligned:
  scratch += (16 - reinterpret_cast<uintptr_t>(scratch) / sizeof(float) % 16) % 16;
  const int64_t plane = p.out_h * p.out_w;
  __m512 w[K * K];
  Plane pl{scratch, g.width, g.half, w, _mm512_setzero_ps(), _mm512_set1_ps(ep.act.alpha),
           _mm512_set1_ps(ep.act.beta), nullptr, nullptr, p.out_w};
  int64_t act_from = c0;  // first channel whose vmath activation is still pending
  for (int64_t c = c0; c < c1; ++c) {
    fill_padded<K, S>(p, g, rm, in + c * p.in_cs(), scratch);
    for (int t = 0; t < K * K; ++t) w[t] = _mm512_set1_ps(weights[c * K * K + t]);
    pl.bias = ep.bias ? _mm512_set1_ps(ep.bias[c]) : _mm512_setzero_ps();
    pl.res = ep.residual ? ep.residual + c * ep.ld_residual : nullptr;
    pl.y = out + c * p.out_cs();
    int64_t oy = 0;
    for (; oy + 2 <= p.out_h; oy += 2) rows<K, S, kAct, 2>(pl, oy);
    if (oy < p.out_h) rows<K, S, kAct, 1>(pl, oy);  // the last row of an odd out_h
    if constexpr (kAct == InReg::kLater) {
      if (p.out_cs() != plane) {  // planes apart (bands of a caller's scratch): one call per plane
        activation_f32(ep.act, out + c * p.out_cs(), out + c * p.out_cs(), plane);
        act_from = c + 1;
      } else if ((c + 1 - act_from) * plane >= kActBlock || c + 1 == c1) {
        activation_f32(ep.act, out + act_from * plane, out + act_from * plane, (c + 1 - act_from) * plane);
        act_from = c + 1;
      }
    }
  }
}

template <int K, int S>
void dwconv_kxs(const DwConvParams& p, const float* in, const float* weights, float* out, const Epilogue& ep,
                int64_t c0, int64_t c1) {
  static_assert(K == 3 || K == 5);
  switch (ep.act.kind) {
    case Act::kNone: return channels<K, S, InReg::kNone>(p, in, weights, out, ep, c0, c1);
    case Act::kClamp: return channels<K, S, InReg::kClamp>(p, in, weights, out, ep, c0, c1);
    case Act::kHardSwish: return channels<K, S, InReg::kHardSwish>(p, in, weights, out, ep, c0, c1);
    default: return channels<K, S, InReg::kLater>(p, in, weights, out, ep, c0, c1);
  }
}

// Channel-blocked variant for narrow maps (out_w <= 8, where rows fill 7 of 16 lanes): 16 channels in the
// lanes. Per block of 16 channels the input planes are transposed (f32-transpose) into a zero-padded
// [rows][cols][16] scratch (one 64-byte vector per padded pixel), every output pixel is K*K FMAs of aligned tap loads
// with the channels' weights (no alignment shuffles; stride 2 costs nothing extra), P output pixels at a time in
// row-major order (groups run across row ends, so a 7x7 plane is 6 groups of 8 and one of 1), and the [pixels][16]
// result goes back to the planes through f32-transpose, which adds the residual.
template <int K, int S, int P>
inline void c16_pixels(const float* scratch, int64_t wp, int64_t out_w, int64_t i0, const __m512* w, __m512 bias,
                       float* outt, InReg act, __m512 lo, __m512 hi) {
  const float* base[P];
  for (int q = 0; q < P; ++q) {
    const int64_t oy = (i0 + q) / out_w, ox = (i0 + q) % out_w;
    base[q] = scratch + (oy * S * wp + ox * S) * 16;
  }
  __m512 acc[P];
  for (int q = 0; q < P; ++q) acc[q] = bias;
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ++ky)
#pragma GCC unroll 5
    for (int kx = 0; kx < K; ++kx)
      for (int q = 0; q < P; ++q)
        acc[q] = _mm512_fmadd_ps(_mm512_load_ps(base[q] + (ky * wp + kx) * 16), w[ky * K + kx], acc[q]);
  for (int q = 0; q < P; ++q) {
    __m512 v = acc[q];
    if (act == InReg::kClamp) v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
    if (act == InReg::kHardSwish) {
      const __m512 gate = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
      v = _mm512_mul_ps(v, _mm512_min_ps(_mm512_set1_ps(1.0f), _mm512_max_ps(_mm512_setzero_ps(), gate)));
    }
    _mm512_store_ps(outt + (i0 + q) * 16, v);
  }
}

// The last (n < P) pixels of a plane.
template <int K, int S, int P>
inline void c16_tail(int64_t n, const float* scratch, int64_t wp, int64_t out_w, int64_t i0, const __m512* w,
                     __m512 bias, float* outt, InReg act, __m512 lo, __m512 hi) {
  if constexpr (P > 1) {
    if (n == P - 1) return c16_pixels<K, S, P - 1>(scratch, wp, out_w, i0, w, bias, outt, act, lo, hi);
    return c16_tail<K, S, P - 1>(n, scratch, wp, out_w, i0, w, bias, outt, act, lo, hi);
  }
}

template <int K, int S>
void channels_c16(const DwConvParams& p, const float* in, const float* weights, float* out, const Epilogue& ep,
                  int64_t c0, int64_t c1) {
  constexpr int P = K == 3 ? 8 : 4;  // accumulators beside K*K weight registers
  const int64_t hp = (p.out_h - 1) * S + K, wp = (p.out_w - 1) * S + K;
  const int64_t in_plane = p.in_h * p.in_w, plane = p.out_h * p.out_w;
  thread_local std::vector<float> buf;
  const size_t need = static_cast<size_t>((hp * wp + 2 * std::max(plane, in_plane)) * 16 + 16);
  if (buf.size() < need) buf.resize(need);
  float* scratch = buf.data();
  scratch += (16 - reinterpret_cast<uintptr_t>(scratch) / sizeof(float) % 16) % 16;  // 64-byte aligned
  float* dense = scratch + hp * wp * 16;                    // [in_plane][16]: the block's input, transposed
  float* outt = dense + std::max(plane, in_plane) * 16;     // [plane][16]
  // Padding stays zero: only the padded pixels that hold input are written below (all 16 lanes).
  std::fill(scratch, scratch + hp * wp * 16, 0.0f);
  const int64_t x0 = std::min(p.pad_left, wp), x1 = std::min(wp, p.pad_left + p.in_w);
  const int64_t y0 = std::min(p.pad_top, hp), y1 = std::min(hp, p.pad_top + p.in_h);
  // Activations that are not one register op: on the [pixels][16] block (no residual) or the planes (after it).
  InReg act = InReg::kLater;
  if (ep.act.kind == Act::kNone) act = InReg::kNone;
  if (!ep.residual && ep.act.kind == Act::kClamp) act = InReg::kClamp;
  if (!ep.residual && ep.act.kind == Act::kHardSwish) act = InReg::kHardSwish;
  const __m512 lo = _mm512_set1_ps(ep.act.alpha), hi = _mm512_set1_ps(ep.act.beta);
  __m512 w[K * K];
  for (int64_t cb = c0; cb < c1; cb += 16) {
    const int64_t cn = std::min<int64_t>(16, c1 - cb);
    const __mmask16 cm = tail_mask(cn);
    // Lanes past cn keep the previous block's (finite) values; their results are never stored.
    transpose_f32__avx512(in + cb * p.in_cs(), cn, in_plane, p.in_cs(), dense, 16, nullptr, 0);
    for (int64_t r = y0; r < y1; ++r) {
      const float* src = dense + ((r - p.pad_top) * p.in_w + (x0 - p.pad_left)) * 16;
      float* dst = scratch + (r * wp + x0) * 16;
      for (int64_t x = 0; x < x1 - x0; ++x) _mm512_store_ps(dst + x * 16, _mm512_load_ps(src + x * 16));
    }
    for (int t = 0; t < K * K; ++t) {
      alignas(64) float wl[16] = {};
      for (int64_t c = 0; c < cn; ++c) wl[c] = weights[(cb + c) * K * K + t];
      w[t] = _mm512_load_ps(wl);
    }
    const __m512 bias = ep.bias ? _mm512_maskz_loadu_ps(cm, ep.bias + cb) : _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + P <= plane; i += P) c16_pixels<K, S, P>(scratch, wp, p.out_w, i, w, bias, outt, act, lo, hi);
    if (i < plane) c16_tail<K, S, P>(plane - i, scratch, wp, p.out_w, i, w, bias, outt, act, lo, hi);
    if (act == InReg::kLater && !ep.residual) activation_f32(ep.act, outt, outt, plane * 16);
    const int64_t ocs = p.out_cs();
    transpose_f32__avx512(outt, plane, cn, 16, out + cb * ocs, ocs,
                          ep.residual ? ep.residual + cb * ep.ld_residual : nullptr, ep.ld_residual);
    if (ep.residual && ep.act.kind != Act::kNone)
      for (int64_t c = cb; c < cb + cn; ++c) activation_f32(ep.act, out + c * ocs, out + c * ocs, plane);
  }
}

}  // namespace

void dwconv_f32_3x3s1__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<3, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_3x3s2__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<3, 2>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s1__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<5, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s2__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<5, 2>(p, in, weights, out, ep, c0, c1);
}

void dwconv_f32_3x3s1_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1) {
  channels_c16<3, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_3x3s2_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1) {
  channels_c16<3, 2>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s1_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1) {
  channels_c16<5, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s2_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1) {
  channels_c16<5, 2>(p, in, weights, out, ep, c0, c1);
}

}  // namespace edgerun::kernels
