// Direct conv driver (conv-direct.h): weight repacking, the padded stride-phase input copy, and output rows
// split over threads (each row computed whole by one thread, so results do not depend on the thread count).
#include "kernels/f32-conv/conv-direct.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "core/cpu_features.h"
#include "kernels/f32-conv/conv_scratch.h"
#include "kernels/f32-conv/im2col.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx2_fma() { return cpu_features().avx2 && cpu_features().fma; }
[[maybe_unused]] bool has_neon() { return cpu_features().neon; }
bool always() { return true; }

const ConvDirectUkernel kConvDirectUkernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"f32-conv-direct-4x24-avx2", has_avx2_fma, f32_conv_direct_ukernel_4x24__avx2},
#endif
#if defined(__aarch64__)
    {"f32-conv-direct-4x16-neon", has_neon, f32_conv_direct_ukernel_4x16__neon},
#endif
    {"f32-conv-direct-4x8-scalar", always, f32_conv_direct_ukernel_4x8__scalar},
};

constexpr int64_t kColumnSlack = 32;  // vector loads may run past out_w by less than a vector

}  // namespace

std::span<const ConvDirectUkernel> conv_direct_ukernels() { return kConvDirectUkernels; }

const ConvDirectUkernel* select_conv_direct() {
  for (const ConvDirectUkernel& uk : kConvDirectUkernels)
    if (uk.supported()) return &uk;
  return &kConvDirectUkernels[std::size(kConvDirectUkernels) - 1];
}

ConvDirect conv_direct_prepare(const ConvDirectUkernel* uk, const float* w, const ConvDirectParams& p) {
  ConvDirect cd;
  cd.uk = uk ? uk : select_conv_direct();
  cd.p = p;
  const int64_t taps = p.in_channels * p.kernel_h * p.kernel_w;
  const int64_t blocks = (p.out_channels + kConvDirectCouts - 1) / kConvDirectCouts;
  cd.w.assign(static_cast<size_t>(blocks * taps * kConvDirectCouts), 0.0f);
  for (int64_t co = 0; co < p.out_channels; ++co)
    for (int64_t t = 0; t < taps; ++t)
      cd.w[static_cast<size_t>(((co / kConvDirectCouts) * taps + t) * kConvDirectCouts + co % kConvDirectCouts)] =
          w[co * taps + t];
  cd.hp = (p.out_h - 1) * p.stride_h + p.kernel_h;
  cd.wq = (p.out_w + kColumnSlack - 1) / kColumnSlack * kColumnSlack + (p.kernel_w - 1) / p.stride_w + 1;
  return cd;
}

void conv_fill_phase_padded(const float* x, int64_t cin, int64_t in_h, int64_t in_w, int64_t pad_top, int64_t pad_left,
                            int64_t hp, int64_t sw, int64_t wq, float* xb, ThreadPool* pool) {
  const int64_t row_floats = sw * wq;
  auto fill = [&](int64_t c0, int64_t c1, int) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t h = 0; h < hp; ++h) {
        const int64_t ih = h - pad_top;
        float* dst_row = xb + (c * hp + h) * row_floats;
        if (ih < 0 || ih >= in_h) {
          std::fill(dst_row, dst_row + row_floats, 0.0f);
          continue;
        }
        const float* xr = x + (c * in_h + ih) * in_w;
        for (int64_t ph = 0; ph < sw; ++ph) {
          float* dst = dst_row + ph * wq;
          // Columns q with input column q*sw + ph - pad_left inside the row: [q_lo, q_hi).
          const int64_t first = pad_left - ph;  // q*sw >= first
          const int64_t q_lo = std::clamp<int64_t>(first > 0 ? (first + sw - 1) / sw : 0, 0, wq);
          const int64_t last = in_w - 1 + pad_left - ph;  // q*sw <= last
          const int64_t q_hi = std::clamp<int64_t>(last >= 0 ? last / sw + 1 : 0, q_lo, wq);
          std::fill(dst, dst + q_lo, 0.0f);
          const float* src = xr + q_lo * sw + ph - pad_left;
          const int64_t n = q_hi - q_lo;
          if (sw == 1) std::memcpy(dst + q_lo, src, static_cast<size_t>(n) * sizeof(float));
          else if (sw == 2) gather_s2_f32(src, dst + q_lo, n);
          else for (int64_t q = 0; q < n; ++q) dst[q_lo + q] = src[q * sw];
          std::fill(dst + q_hi, dst + wq, 0.0f);
        }
      }
  };
  if (pool && pool->size() > 1 && cin > 1) pool->parallel_for(cin, fill);
  else fill(0, cin, 0);
}

void conv_direct_f32(const ConvDirect& cd, const float* x, float* y, const Epilogue& ep, ThreadPool* pool) {
  const ConvDirectParams& p = cd.p;
  const int64_t sw = p.stride_w, hp = cd.hp, wq = cd.wq;
  // xb: [cin][hp][sw][wq], built before the rows are split, read by all.
  float* xb = conv_scratch(ConvScratchSlot::kDirectInput, static_cast<size_t>(p.in_channels * hp * sw * wq));
  conv_fill_phase_padded(x, p.in_channels, p.in_h, p.in_w, p.pad_top, p.pad_left, hp, sw, wq, xb, pool);
  float clamp_min = -__builtin_inff(), clamp_max = __builtin_inff();
  bool hardswish = false, post = false;
  switch (ep.act.kind) {
    case Act::kNone: break;
    case Act::kClamp:
      clamp_min = ep.act.alpha;
      clamp_max = ep.act.beta;
      break;
    case Act::kHardSwish: hardswish = true; break;
    default: post = true; break;
  }
  const int64_t taps = p.in_channels * p.kernel_h * p.kernel_w;
  const int64_t blocks = (p.out_channels + kConvDirectCouts - 1) / kConvDirectCouts;
  const int64_t plane = p.out_h * p.out_w;
  auto rows = [&](int64_t r0, int64_t r1, int) {
    ConvDirectRow r;
    r.x_c = hp * sw * wq;
    r.x_h = sw * wq;
    r.wq = wq;
    r.cin = p.in_channels;
    r.kh = p.kernel_h;
    r.kw = p.kernel_w;
    r.sw = sw;
    r.out_w = p.out_w;
    r.ld_y = plane;
    r.min = clamp_min;
    r.max = clamp_max;
    r.hardswish = hardswish;
    for (int64_t oh = r0; oh < r1; ++oh) {
      r.x = xb + oh * p.stride_h * r.x_h;
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t co = b * kConvDirectCouts;
        r.w = cd.w.data() + b * taps * kConvDirectCouts;
        r.couts = static_cast<int>(std::min<int64_t>(kConvDirectCouts, p.out_channels - co));
        r.y = y + co * plane + oh * p.out_w;
        r.bias = ep.bias ? ep.bias + co : nullptr;
        r.residual = ep.residual ? ep.residual + co * ep.ld_residual + oh * p.out_w : nullptr;
        r.ld_residual = ep.ld_residual;
        cd.uk->fn(r);
        if (post)
          for (int i = 0; i < r.couts; ++i) activation_f32(ep.act, r.y + i * plane, r.y + i * plane, p.out_w);
      }
    }
  };
  if (pool && pool->size() > 1 && p.out_h > 1)
    pool->parallel_for(p.out_h, rows);
  else
    rows(0, p.out_h, 0);
}

}  // namespace edgerun::kernels
