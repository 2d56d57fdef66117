// Direct 2-D convolution for few input channels (a network's first layer: Cin <= 4, e.g. 3x3 s2 or 7x7 s2
// on RGB). im2col would build a [Cin*KH*KW, pixels] matrix as large as 49x the input and feed a GEMM whose
// K (27 or 147) is too short to amortize its tiles; here each output row of a block of 4 output channels is
// accumulated in registers straight from the input, vectorized over output columns.
//
// The input is first copied once per image into a zero-padded, stride-phase layout
//   xb[cin][hp][sw][wq]   xb[c][h][ph][q] = x[c][h - pad_top][q*sw + ph - pad_left] (0 outside),
// so that the input of output column ow under kernel column kj is xb[c][oh*sh + ki][kj % sw][ow + kj / sw]:
// contiguous in ow for any stride.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/epilogue.h"

namespace edgerun::kernels {

inline constexpr int kConvDirectCouts = 4;  // output channels per weight block

// One output row of one block of kConvDirectCouts output channels.
struct ConvDirectRow {
  const float* x = nullptr;  // xb at [0][in_row0][0][0]; channel stride x_c, row stride x_h, phase stride wq
  int64_t x_c = 0, x_h = 0, wq = 0;
  int64_t cin = 0, kh = 0, kw = 0, sw = 1;
  const float* w = nullptr;  // [cin][kh][kw][kConvDirectCouts] of this block (zero past the last channel)
  int couts = 0;             // valid output channels in the block
  int64_t out_w = 0;
  float* y = nullptr;  // row of the block's first channel; channel stride ld_y
  int64_t ld_y = 0;
  const float* bias = nullptr;      // [couts] or nullptr
  const float* residual = nullptr;  // at the same row, channel stride ld_residual, or nullptr
  int64_t ld_residual = 0;
  float min = -__builtin_inff(), max = __builtin_inff();  // clamp, then hardswish, in registers
  bool hardswish = false;
};

using ConvDirectRowFn = void (*)(const ConvDirectRow& r);

struct ConvDirectUkernel {
  const char* name;  // "f32-conv-direct-4x24-avx2"
  bool (*supported)();
  ConvDirectRowFn fn;
};

void f32_conv_direct_ukernel_4x8__scalar(const ConvDirectRow& r);
void f32_conv_direct_ukernel_4x24__avx2(const ConvDirectRow& r);
void f32_conv_direct_ukernel_4x16__neon(const ConvDirectRow& r);

// Every variant built into this binary, best first; the best the CPU supports.
std::span<const ConvDirectUkernel> conv_direct_ukernels();
const ConvDirectUkernel* select_conv_direct();

struct ConvDirectParams {
  int64_t in_channels = 0, out_channels = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0, stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
};

struct ConvDirect {
  const ConvDirectUkernel* uk = nullptr;
  ConvDirectParams p;
  std::vector<float> w;  // [ceil(Cout/4)][Cin][KH][KW][4]
  int64_t hp = 0, wq = 0;
  size_t packed_bytes() const { return w.size() * sizeof(float); }
};

// The padded stride-phase layout above, built from x [cin, in_h, in_w] into xb [cin][hp][sw][wq] (rows past the
// input and columns outside it are zero; channels split over the pool when given). Shared with the implicit-GEMM
// conv (ops/conv_fast.cpp), which reads the same layout through row pointers.
void conv_fill_phase_padded(const float* x, int64_t cin, int64_t in_h, int64_t in_w, int64_t pad_top, int64_t pad_left,
                            int64_t hp, int64_t sw, int64_t wq, float* xb, ThreadPool* pool);

// w: [Cout, Cin, KH, KW] (dilation 1, one group).
ConvDirect conv_direct_prepare(const ConvDirectUkernel* uk, const float* w, const ConvDirectParams& p);
// x: [Cin, H, W] -> y: [Cout, OH, OW], epilogue rows = output channels, columns = output pixels.
void conv_direct_f32(const ConvDirect& cd, const float* x, float* y, const Epilogue& ep, ThreadPool* pool);

}  // namespace edgerun::kernels
