// im2col for 2-D NCHW convolution: the receptive fields of a range of output pixels laid out as the
// right GEMM operand, so that Y[Cout, pixels] = W[Cout, Cin*KH*KW] * col[Cin*KH*KW, pixels].
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

struct Im2colParams {
  int64_t channels = 0;  // input channels of one group
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t dilation_h = 1, dilation_w = 1;
};

// x: [channels, in_h, in_w] (one image, one group). Output pixels [p0, p1) (row-major over out_h x out_w)
// go to col: [channels * kernel_h * kernel_w, ld] (ld >= p1 - p0), zero where the window is in the padding.
void im2col_nchw_f32(const Im2colParams& p, const float* x, int64_t p0, int64_t p1, float* col, int64_t ld);

// The stride-2 row gather dst[i] = src[2 i], i < n (reads nothing past src[2(n-1)]): per-ISA variants
// (im2col-<isa>.cpp), the best the CPU supports picked once.
using GatherS2Fn = void (*)(const float* src, float* dst, int64_t n);
struct GatherS2Variant {
  const char* name;
  bool (*supported)();
  GatherS2Fn fn;
};
std::span<const GatherS2Variant> gather_s2_variants();
// Through the best variant the CPU supports (also for any 4-byte elements: the variants only move bits).
void gather_s2_f32(const float* src, float* dst, int64_t n);
void gather_s2_f32__scalar(const float* src, float* dst, int64_t n);
void gather_s2_f32__avx2(const float* src, float* dst, int64_t n);
void gather_s2_f32__avx512(const float* src, float* dst, int64_t n);
void gather_s2_f32__neon(const float* src, float* dst, int64_t n);

}  // namespace edgerun::kernels
