// Fast float32 2-D Conv (NCHW) chosen at prepare: 1x1 as a plain GEMM, depthwise through the
// f32-dwconv table, 3x3 stride-1 through Winograd, everything else im2col + GEMM with packed weights.
// Shared by Conv and com.edgerun.FusedConv (residual input 3 + activation in the epilogue).
#pragma once

#include <memory>

#include "edgerun/status.h"
#include "kernels/epilogue.h"
#include "ops/nn_util.h"
#include "ops/op_registry.h"

namespace edgerun {
namespace kernels {
struct PackedLhs;
}

struct FastConvParams {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  nn::Window3d win;
  kernels::Activation act;
  bool has_residual = false;  // input 3 (FusedConv's Z), same shape as the output
};

// A fast kernel for this node, or nullptr when none applies (not 2-D float32 with constant W, or
// ctx.reference_kernels()): the caller then uses the reference kernel.
std::unique_ptr<OpKernel> prepare_fast_conv(const PrepareContext& ctx, const FastConvParams& p);

// The weights W [Cout, Cin] of a one-group 1x1 kernel made by prepare_fast_conv, packed as the GEMM's left operand
// (output pixels in the columns), or nullptr for any other kernel (pixel rows included). Owned by the kernel.
const kernels::PackedLhs* fast_conv_packed_lhs(const OpKernel& k);

}  // namespace edgerun
