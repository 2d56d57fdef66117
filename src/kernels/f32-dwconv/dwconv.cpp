// f32-dwconv dispatch: the variant table, selection, the channel-parallel driver and the generic
// scalar variant (any kernel, stride, dilation and padding).
#include "kernels/f32-dwconv/dwconv.h"

#include <array>

#include "core/cpu_features.h"
#include "kernels/f32-dwconv/dwconv_table.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun::kernels {
namespace {

#if defined(__x86_64__)
bool has_avx2() { return cpu_features().avx2 && cpu_features().fma; }
bool has_avx512() { return cpu_features().avx512f && has_avx2(); }
#endif
#if defined(__aarch64__)
bool has_neon() { return cpu_features().neon; }
#endif

// Measured (AVX-512, one thread): 960 x 7x7 3x3 s1 0.047 -> 0.030 ms, 5x5 0.100 -> 0.054, 576 x 14x14 -> 7x7 s2
// 0.057 -> 0.036; but 3x3 with 14x14 outputs loses (576 ch s1 0.050 -> 0.065, 240 x 28x28 -> 14x14 s2 0.039 ->
// 0.062: the two transposes cost more than the 14 of 16 lanes rows waste). 5x5 does 25 FMAs per pixel to amortize
// them: with 14x14 outputs it wins (240 ch s1 0.067 -> 0.055, 480 ch 0.13 -> 0.11, 96 x 28x28 -> 14x14 s2 0.040 ->
// 0.030), with 28x28 it loses (240 ch s1 0.136 -> 0.172).
[[maybe_unused]] constexpr int kC16MaxOutW3 = 8;
[[maybe_unused]] constexpr int kC16MaxOutW5 = 14;

const auto kVariants = std::to_array<DwConvKernel>({
#if defined(__x86_64__)
    // Channel-blocked (16 channels in the lanes) for narrow maps, where rows would fill few of 16 lanes.
    {"f32-dwconv-3x3s1-c16-avx512", has_avx512, 3, 1, dwconv_f32_3x3s1_c16__avx512, kC16MaxOutW3},
    {"f32-dwconv-3x3s2-c16-avx512", has_avx512, 3, 2, dwconv_f32_3x3s2_c16__avx512, kC16MaxOutW3},
    {"f32-dwconv-5x5s1-c16-avx512", has_avx512, 5, 1, dwconv_f32_5x5s1_c16__avx512, kC16MaxOutW5},
    {"f32-dwconv-5x5s2-c16-avx512", has_avx512, 5, 2, dwconv_f32_5x5s2_c16__avx512, kC16MaxOutW5},
    {"f32-dwconv-3x3s1-avx512", has_avx512, 3, 1, dwconv_f32_3x3s1__avx512},
    {"f32-dwconv-3x3s2-avx512", has_avx512, 3, 2, dwconv_f32_3x3s2__avx512},
    {"f32-dwconv-5x5s1-avx512", has_avx512, 5, 1, dwconv_f32_5x5s1__avx512},
    {"f32-dwconv-5x5s2-avx512", has_avx512, 5, 2, dwconv_f32_5x5s2__avx512},
    {"f32-dwconv-3x3s1-avx2", has_avx2, 3, 1, dwconv_f32_3x3s1__avx2},
    {"f32-dwconv-3x3s2-avx2", has_avx2, 3, 2, dwconv_f32_3x3s2__avx2},
    {"f32-dwconv-5x5s1-avx2", has_avx2, 5, 1, dwconv_f32_5x5s1__avx2},
    {"f32-dwconv-5x5s2-avx2", has_avx2, 5, 2, dwconv_f32_5x5s2__avx2},
#endif
#if defined(__aarch64__)
    {"f32-dwconv-3x3s1-neon", has_neon, 3, 1, dwconv_f32_3x3s1__neon},
    {"f32-dwconv-3x3s2-neon", has_neon, 3, 2, dwconv_f32_3x3s2__neon},
    {"f32-dwconv-5x5s1-neon", has_neon, 5, 1, dwconv_f32_5x5s1__neon},
    {"f32-dwconv-5x5s2-neon", has_neon, 5, 2, dwconv_f32_5x5s2__neon},
#endif
    {"f32-dwconv-scalar", [] { return true; }, 0, 0, dwconv_f32__scalar},
});

}  // namespace

std::span<const DwConvKernel> dwconv_variants() { return kVariants; }

bool dwconv_matches(const DwConvKernel& k, const DwConvParams& p) {
  if (k.kernel == 0) return true;
  if (k.max_out_w > 0 && p.out_w > k.max_out_w) return false;
  return p.kernel_h == k.kernel && p.kernel_w == k.kernel && p.stride_h == k.stride && p.stride_w == k.stride &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.pad_top >= 0 && p.pad_left >= 0 && p.pad_top < k.kernel &&
         p.pad_left < k.kernel && p.out_h > 0 && p.out_w > 0;
}

const DwConvKernel* select_dwconv(const DwConvParams& p) {
  for (const DwConvKernel& k : kVariants)
    if (k.supported() && dwconv_matches(k, p)) return &k;
  return &kVariants.back();
}

const char* dwconv_name(const DwConvKernel* k) { return k ? k->name : "none"; }

void dwconv_epilogue_row(const Epilogue& ep, int64_t c, int64_t pix0, float* y, int64_t n) {
  if (ep.bias) {
    const float b = ep.bias[c];
    for (int64_t i = 0; i < n; ++i) y[i] += b;
  }
  if (ep.residual) {
    const float* r = ep.residual + c * ep.ld_residual + pix0;
    for (int64_t i = 0; i < n; ++i) y[i] += r[i];
  }
  if (ep.act.kind != Act::kNone) activation_f32(ep.act, y, y, n);
}

void dwconv_f32__scalar(const DwConvParams& p, const float* in, const float* weights, float* out,
                        const Epilogue& ep, int64_t c0, int64_t c1) {
  const int64_t plane = p.out_h * p.out_w;
  for (int64_t c = c0; c < c1; ++c) {
    const float* x = in + c * p.in_cs();              // [in_h, in_w]
    const float* w = weights + c * p.kernel_h * p.kernel_w;  // [kernel_h, kernel_w]
    float* y = out + c * p.out_cs();                  // [out_h, out_w]
    for (int64_t oy = 0; oy < p.out_h; ++oy) {
      for (int64_t ox = 0; ox < p.out_w; ++ox) {
        float acc = 0.0f;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix < 0 || ix >= p.in_w) continue;
            acc += x[iy * p.in_w + ix] * w[ky * p.kernel_w + kx];
          }
        }
        y[oy * p.out_w + ox] = acc;
      }
    }
    dwconv_epilogue_row(ep, c, 0, y, plane);
  }
}

void dwconv2d_f32(const DwConvKernel* k, const DwConvParams& p, const float* in, const float* weights, float* out,
                  const Epilogue& ep, ThreadPool* pool) {
  if (!k || !dwconv_matches(*k, p)) k = &kVariants.back();
  const DwConvFn fn = k->fn;
  if (pool && pool->size() > 1 && p.channels > 1) {
    pool->parallel_for(p.channels, [&](int64_t c0, int64_t c1, int) { fn(p, in, weights, out, ep, c0, c1); });
  } else {
    fn(p, in, weights, out, ep, 0, p.channels);
  }
}

}  // namespace edgerun::kernels
