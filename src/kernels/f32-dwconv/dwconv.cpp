// PLACEHOLDER: generic scalar depthwise convolution; replaced by the kernel table with -avx2 variants.
#include "kernels/f32-dwconv/dwconv.h"

namespace edgerun::kernels {

struct DwConvKernel {
  const char* name;
};

namespace {
const DwConvKernel kGeneric{"dwconv-generic-scalar"};
}

const DwConvKernel* select_dwconv(const DwConvParams&) { return &kGeneric; }
const char* dwconv_name(const DwConvKernel* k) { return k ? k->name : "none"; }

void dwconv2d_f32(const DwConvKernel*, const DwConvParams& p, const float* in, const float* weights, float* out,
                  const Epilogue& ep, ThreadPool* pool) {
  const int64_t plane = p.out_h * p.out_w;
  auto body = [&](int64_t c0, int64_t c1, int) {
    for (int64_t c = c0; c < c1; ++c) {
      const float* x = in + c * p.in_h * p.in_w;
      const float* w = weights + c * p.kernel_h * p.kernel_w;
      float* y = out + c * plane;
      for (int64_t oy = 0; oy < p.out_h; ++oy)
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
      apply_epilogue_ref(ep, y, plane, c, 1, 0, plane);
    }
  };
  if (pool) {
    pool->parallel_for(p.channels, body);
  } else {
    body(0, p.channels, 0);
  }
}

}  // namespace edgerun::kernels
