// Depthwise 2-D convolution over NCHW planes (one input channel per group, channel multiplier 1):
// out[c] = conv2d(in[c], weights[c]) then the epilogue (bias[c], residual, activation).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/epilogue.h"

namespace edgerun::kernels {

struct DwConvParams {
  int64_t channels = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // bottom/right padding is implied by out_h/out_w
  int64_t dilation_h = 1, dilation_w = 1;
  // Floats between consecutive channels of in / out; 0: the planes are packed (in_h * in_w, out_h * out_w). Larger
  // strides let a caller run bands of rows held in a scratch sized for its tallest band (conv_chain.cpp).
  int64_t in_channel_stride = 0, out_channel_stride = 0;
  int64_t in_cs() const { return in_channel_stride > 0 ? in_channel_stride : in_h * in_w; }
  int64_t out_cs() const { return out_channel_stride > 0 ? out_channel_stride : out_h * out_w; }
};

struct DwConvKernel;  // one entry of the f32-dwconv kernel table

// The fastest variant the CPU supports for these parameters (a generic scalar one always exists).
const DwConvKernel* select_dwconv(const DwConvParams& p);
const char* dwconv_name(const DwConvKernel* k);

// in: [channels, in_h, in_w], weights: [channels, kernel_h, kernel_w], out: [channels, out_h, out_w]
// (one image; channel strides p.in_cs() / p.out_cs()). Epilogue rows are channels, columns are output pixels (bias per row).
// Parallel over channels when pool is given.
void dwconv2d_f32(const DwConvKernel* k, const DwConvParams& p, const float* in, const float* weights, float* out,
                  const Epilogue& ep, ThreadPool* pool);

}  // namespace edgerun::kernels
