#include "kernels/f32-conv/im2col.h"

#include <algorithm>
#include <cstring>

#include "core/cpu_features.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx2() { return cpu_features().avx2; }
[[maybe_unused]] bool has_avx512() { return cpu_features().avx512f; }
[[maybe_unused]] bool has_neon() { return cpu_features().neon; }
bool always() { return true; }

const GatherS2Variant kGatherS2[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"gather-s2-avx512", has_avx512, gather_s2_f32__avx512},
    {"gather-s2-avx2", has_avx2, gather_s2_f32__avx2},
#endif
#if defined(__aarch64__)
    {"gather-s2-neon", has_neon, gather_s2_f32__neon},
#endif
    {"gather-s2-scalar", always, gather_s2_f32__scalar},
};

GatherS2Fn best_gather_s2() {
  static const GatherS2Fn fn = [] {
    for (const GatherS2Variant& v : kGatherS2)
      if (v.supported()) return v.fn;
    return gather_s2_f32__scalar;
  }();
  return fn;
}

}  // namespace

std::span<const GatherS2Variant> gather_s2_variants() { return kGatherS2; }

void gather_s2_f32(const float* src, float* dst, int64_t n) { best_gather_s2()(src, dst, n); }

void gather_s2_f32__scalar(const float* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[2 * i];
}

void im2col_nchw_f32(const Im2colParams& p, const float* x, int64_t p0, int64_t p1, float* col, int64_t ld) {
  const int64_t plane = p.in_h * p.in_w;
  const GatherS2Fn gather_s2 = best_gather_s2();
  int64_t row = 0;
  for (int64_t c = 0; c < p.channels; ++c) {
    const float* xc = x + c * plane;
    for (int64_t ky = 0; ky < p.kernel_h; ++ky)
      for (int64_t kx = 0; kx < p.kernel_w; ++kx, ++row) {
        float* dst = col + row * ld;
        const int64_t dx = kx * p.dilation_w - p.pad_left;
        // Output columns ox whose input column ox*stride + dx lies inside the image: [ox_lo, ox_hi).
        const int64_t ox_lo = dx >= 0 ? 0 : std::min(p.out_w, (-dx + p.stride_w - 1) / p.stride_w);
        const int64_t ox_hi =
            p.in_w - 1 - dx < 0 ? 0 : std::min(p.out_w, (p.in_w - 1 - dx) / p.stride_w + 1);
        int64_t q = p0;
        while (q < p1) {
          const int64_t oy = q / p.out_w, ox0 = q % p.out_w;
          const int64_t len = std::min(p.out_w - ox0, p1 - q);
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          float* d = dst + (q - p0);
          if (iy < 0 || iy >= p.in_h) {
            std::fill(d, d + len, 0.0f);
          } else {
            const float* xr = xc + iy * p.in_w;  // [in_w]
            const int64_t lo = std::clamp(ox_lo, ox0, ox0 + len), hi = std::clamp(ox_hi, lo, ox0 + len);
            std::fill(d, d + (lo - ox0), 0.0f);
            if (p.stride_w == 1) {
              std::memcpy(d + (lo - ox0), xr + lo + dx, static_cast<size_t>(hi - lo) * sizeof(float));
            } else if (p.stride_w == 2) {
              gather_s2(xr + lo * 2 + dx, d + (lo - ox0), hi - lo);
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox - ox0] = xr[ox * p.stride_w + dx];
            }
            std::fill(d + (hi - ox0), d + len, 0.0f);
          }
          q += len;
        }
      }
  }
}

}  // namespace edgerun::kernels
