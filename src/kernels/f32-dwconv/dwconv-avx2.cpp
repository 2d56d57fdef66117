// f32-dwconv-{3x3,5x5}s{1,2}-avx2: each channel is first copied into a zero-padded scratch plane
// (stride 2: every row split into its even and odd columns), so the inner loop has no bounds checks:
// 8 output pixels of a row per step, K*K broadcast-weight FMAs, masked store for the row tail.
// Bias / residual / ReLU-type clamps / HardSwish are applied in registers, other
// activations through f32-vmath once per block of output planes.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/f32-dwconv/dwconv_table.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun::kernels {
namespace {

alignas(32) const int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i tail_mask(int64_t rem) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - rem)); }

// Geometry of the padded scratch plane of one channel.
template <int K, int S>
struct Padded {
  int64_t rows;   // (out_h - 1) * S + K
  int64_t half;   // S == 2: columns per parity half
  int64_t width;  // floats per scratch row
  explicit Padded(const DwConvParams& p) {
    const int64_t ow8 = (p.out_w + 7) / 8 * 8;
    rows = (p.out_h - 1) * S + K;
    half = ow8 + (K - 1) / 2;
    width = S == 1 ? ow8 + K - 1 : 2 * half;
  }
};

// Stride 1: padded row = [pad_left zeros, input row, zeros].
void fill_row_s1(const float* src, int64_t in_w, int64_t pad_left, float* dst, int64_t width) {
  const int64_t n = std::max<int64_t>(0, std::min(in_w, width - pad_left));
  std::fill(dst, dst + std::min(pad_left, width), 0.0f);
  if (n > 0) std::memcpy(dst + pad_left, src, static_cast<size_t>(n) * sizeof(float));
  std::fill(dst + pad_left + n, dst + width, 0.0f);
}

// Stride 2: padded column j = pad_left + i goes to dst[j / 2] (j even) or dst[half + j / 2] (j odd).
void fill_row_s2(const float* src, int64_t in_w, int64_t pad_left, float* dst, int64_t half) {
  std::fill(dst, dst + 2 * half, 0.0f);
  const int64_t n = std::max<int64_t>(0, std::min(in_w, 2 * half - pad_left));
  // Where input columns 0, 2, 4, ... and 1, 3, 5, ... start.
  float* ev = (pad_left % 2 == 0) ? dst + pad_left / 2 : dst + half + (pad_left - 1) / 2;
  float* od = (pad_left % 2 == 0) ? dst + half + pad_left / 2 : dst + (pad_left + 1) / 2;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(src + i), b = _mm256_loadu_ps(src + i + 8);
    const __m256 e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    const __m256 o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
    _mm256_storeu_ps(ev + i / 2, e);
    _mm256_storeu_ps(od + i / 2, o);
  }
  for (; i < n; ++i) (i % 2 == 0 ? ev : od)[i / 2] = src[i];
}

template <int K, int S>
void fill_padded(const DwConvParams& p, const Padded<K, S>& g, const float* x, float* scratch) {
  for (int64_t r = 0; r < g.rows; ++r) {
    float* dst = scratch + r * g.width;
    const int64_t iy = r - p.pad_top;
    if (iy < 0 || iy >= p.in_h) {
      std::fill(dst, dst + g.width, 0.0f);
    } else if (S == 1) {
      fill_row_s1(x + iy * p.in_w, p.in_w, p.pad_left, dst, g.width);
    } else {
      fill_row_s2(x + iy * p.in_w, p.in_w, p.pad_left, dst, g.half);
    }
  }
}

// Input vector for tap kx of 8 outputs starting at ox, in scratch row `row`.
template <int S>
inline __m256 tap(const float* row, int64_t half, int64_t ox, int kx) {
  if constexpr (S == 1) return _mm256_loadu_ps(row + ox + kx);
  else return _mm256_loadu_ps(row + (kx % 2) * half + ox + kx / 2);
}

enum class InReg { kNone, kClamp, kHardSwish, kLater };

// Bias, residual and the in-register activations for 8 outputs of channel row `yr` at ox, then the store.
template <InReg kAct>
inline void finish8(__m256 v, __m256 bias, const float* res_row, float* yr, int64_t ox, int64_t out_w, __m256 lo,
                    __m256 hi) {
  v = _mm256_add_ps(v, bias);
  const int64_t rem = out_w - ox;
  const __m256i m = tail_mask(std::min<int64_t>(rem, 8));
  if (res_row) v = _mm256_add_ps(v, _mm256_maskload_ps(res_row + ox, m));
  if constexpr (kAct == InReg::kClamp) v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
  if constexpr (kAct == InReg::kHardSwish) {
    const __m256 gate = _mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
    v = _mm256_mul_ps(v, _mm256_min_ps(_mm256_set1_ps(1.0f), _mm256_max_ps(_mm256_setzero_ps(), gate)));
  }
  if (rem >= 8) _mm256_storeu_ps(yr + ox, v);
  else _mm256_maskstore_ps(yr + ox, m, v);
}

// f32-vmath activations (sigmoid, SiLU, ...) run over whole output planes of several channels at once:
// one call per ~kActBlock floats instead of one per (possibly 7-wide) row; the planes are still in cache.
constexpr int64_t kActBlock = 4096;

template <int K, int S, InReg kAct>
void channels(const DwConvParams& p, const float* in, const float* weights, float* out, const Epilogue& ep,
              int64_t c0, int64_t c1) {
  const Padded<K, S> g(p);
  thread_local std::vector<float> scratch_buf;
  const size_t need = static_cast<size_t>(g.rows * g.width + 16);
  if (scratch_buf.size() < need) scratch_buf.resize(need);
  float* scratch = scratch_buf.data();  // [rows, width]
  const int64_t plane = p.out_h * p.out_w;
  const __m256 lo = _mm256_set1_ps(ep.act.alpha), hi = _mm256_set1_ps(ep.act.beta);
  const __m256 zero = _mm256_setzero_ps();
  int64_t act_from = c0;  // first channel whose vmath activation is still pending
  for (int64_t c = c0; c < c1; ++c) {
    fill_padded<K, S>(p, g, in + c * p.in_cs(), scratch);
    __m256 w[K * K];
    for (int t = 0; t < K * K; ++t) w[t] = _mm256_broadcast_ss(weights + c * K * K + t);
    const __m256 bias = ep.bias ? _mm256_broadcast_ss(ep.bias + c) : zero;
    const float* res = ep.residual ? ep.residual + c * ep.ld_residual : nullptr;
    float* y = out + c * p.out_cs();  // [out_h, out_w]
    for (int64_t oy = 0; oy < p.out_h; ++oy) {
      const float* r0 = scratch + oy * S * g.width;
      for (int64_t ox = 0; ox < p.out_w; ox += 8) {
        __m256 acc0 = zero, acc1 = zero;  // two chains: even and odd kernel rows
        for (int ky = 0; ky < K; ++ky) {
          const float* row = r0 + ky * g.width;
          __m256& acc = (ky % 2 == 0) ? acc0 : acc1;
          for (int kx = 0; kx < K; ++kx) acc = _mm256_fmadd_ps(tap<S>(row, g.half, ox, kx), w[ky * K + kx], acc);
        }
        finish8<kAct>(_mm256_add_ps(acc0, acc1), bias, res ? res + oy * p.out_w : nullptr, y + oy * p.out_w, ox,
                      p.out_w, lo, hi);
      }
    }
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
  switch (ep.act.kind) {
    case Act::kNone: return channels<K, S, InReg::kNone>(p, in, weights, out, ep, c0, c1);
    case Act::kClamp: return channels<K, S, InReg::kClamp>(p, in, weights, out, ep, c0, c1);
    case Act::kHardSwish: return channels<K, S, InReg::kHardSwish>(p, in, weights, out, ep, c0, c1);
    default: return channels<K, S, InReg::kLater>(p, in, weights, out, ep, c0, c1);
  }
}

}  // namespace

void dwconv_f32_3x3s1__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<3, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_3x3s2__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<3, 2>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s1__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<5, 1>(p, in, weights, out, ep, c0, c1);
}
void dwconv_f32_5x5s2__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1) {
  dwconv_kxs<5, 2>(p, in, weights, out, ep, c0, c1);
}

}  // namespace edgerun::kernels
