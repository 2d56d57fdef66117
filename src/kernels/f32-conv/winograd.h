// Winograd F(m x m, 3 x 3) convolution, stride 1, dilation 1, NCHW, one group:
//   U[pos] = G g G^T per (out, in) channel pair, packed once as GEMM left operands [Cout, Cin];
//   per block of tiles: V[pos][Cin][tiles] = Bt d B, M[pos] = U[pos] * V[pos] (alpha^2 GEMMs),
//   Y = At M A, then bias / residual / activation.
// The transforms are in one kernel table (f32-winograd-<m>x<m>-3x3-<isa>) with a -scalar variant per tile.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/f32-conv/winograd-variants.h"
#include "kernels/epilogue.h"
#include "kernels/f32-gemm/gemm.h"

namespace edgerun::kernels {

struct WinogradUkernel {
  const char* name;  // "f32-winograd-6x6-3x3-avx2"
  int m;             // output tile size (2, 4 or 6); alpha = m + 2
  bool (*supported)();
  WinogradInputFn input;    // 8 tiles' patches of one input channel -> V (winograd-variants.h)
  WinogradOutputFn output;  // M of one output channel -> 8 tiles of output, with bias / residual / clamp
};

// Every variant, best first within each tile size (tests and benchmarks iterate this).
const std::vector<WinogradUkernel>& winograd_ukernels();
// The best supported variant for output tile m (2, 4 or 6), nullptr if none.
const WinogradUkernel* select_winograd(int m);

struct WinogradConv {
  const WinogradUkernel* uk = nullptr;
  int64_t in_channels = 0, out_channels = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t pad_top = 0, pad_left = 0;
  std::vector<PackedLhs> u;  // [alpha*alpha] each [Cout, Cin]

  int alpha() const { return uk->m + 2; }
  int64_t tiles_y() const { return (out_h + uk->m - 1) / uk->m; }
  int64_t tiles_x() const { return (out_w + uk->m - 1) / uk->m; }
  size_t packed_bytes() const;
};

// Transforms and packs weights w: [Cout, Cin, 3, 3] (double-precision transform).
WinogradConv winograd_prepare(const WinogradUkernel* uk, const float* w, int64_t out_channels, int64_t in_channels,
                              int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int64_t pad_top,
                              int64_t pad_left);

// One image: x [Cin, in_h, in_w] -> y [Cout, out_h, out_w]. Epilogue rows are output channels, columns output
// pixels (residual indexed like y). Threads over fixed blocks of tiles: bit-identical for any thread count.
void winograd_conv2d(const WinogradConv& wc, const float* x, float* y, const Epilogue& ep, ThreadPool* pool);

}  // namespace edgerun::kernels
