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
};

struct DwConvKernel;  // one entry of the f32-dwconv kernel table

// The fastest variant the CPU supports for these parameters (a generic scalar one always exists).
const DwConvKernel* select_dwconv(const DwConvParams& p);
const char* dwconv_name(const DwConvKernel* k);

// in: [channels, in_h, in_w], weights: [channels, kernel_h, kernel_w], out: [channels, out_h, out_w]
// (one image). Epilogue rows are channels, columns are output pixels (bias per row).
// Parallel over channels when pool is given.
void dwconv2d_f32(const DwConvKernel* k, const DwConvParams& p, const float* in, const float* weights, float* out,
                  const Epilogue& ep, ThreadPool* pool);

}  // namespace edgerun::kernels
