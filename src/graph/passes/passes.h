// Graph passes: rewrite a loaded model into an equivalent, cheaper one before planning. Shape-agnostic
// (they run once per model, before shapes are known) and applied only where provably equivalent; values
// that remain graph outputs keep their names. Fused nodes use the com.edgerun convention (ops/fused.h).
#pragma once

#include <string>

#include "edgerun/status.h"
#include "graph/ir.h"

namespace edgerun {

// level 0: nothing; level >= 1: every pass below, in order. `backend` is the session's (resolved): ConvChain nodes
// are made for the own kernels only ("xnnpack" runs each conv of a chain as its own XNNPACK operator instead).
Status optimize_model(Model& model, int level, const std::string& backend = "cpu");

namespace passes {

// Each pass returns how many rewrites it made.
int remove_identity_nodes(Model& m);     // Identity, inference Dropout
int fold_space_to_depth_into_conv(Model& m);  // Concat of x[:, :, a::2, b::2] Slices ("Focus") -> Conv on x
int fold_batchnorm_into_conv(Model& m);  // Conv(const W, B?) -> BatchNormalization
int fold_scale_bias_into_conv(Model& m); // Conv(const W, B?) -> Mul/Div/Add/Sub by per-channel or scalar constants
int match_hard_activations(Model& m);    // x * Clip(x + 3, 0, 6) / 6 -> HardSwish; Clip(x + 3, 0, 6) / 6 -> HardSigmoid
int fuse_conv_epilogues(Model& m);       // Conv [+ Add residual] [+ activation] -> FusedConv
int fuse_conv_chains(Model& m);          // 1x1 conv -> depthwise conv -> 1x1 conv -> ConvChain (after the above)
int fuse_matmul_epilogues(Model& m);     // MatMul [+ bias] [+ activation] -> FusedMatMul; Gemm + act -> FusedGemm

}  // namespace passes
}  // namespace edgerun
