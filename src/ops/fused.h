// Fused nodes made by the graph passes (src/graph/passes/), in the internal domain "com.edgerun":
//
//   com.edgerun.FusedConv(X, W, B?, Z?)  Conv attributes plus `activation`/`activation_params`;
//                                         Z (optional 4th input) is a residual added before the activation.
//   com.edgerun.FusedGemm(A, B, C?)       Gemm attributes plus `activation`/`activation_params`.
//   com.edgerun.FusedMatMul(A, B, bias?)  MatMul (any rank) + bias[N] (optional) + activation.
//   com.edgerun.LayerNorm(X, scale?, bias?) `axis`, `epsilon`: the opset-13 decomposition of layer norm.
//   com.edgerun.ConvChain(X, W0, B0?, W1, B1?, W2, B2?, Z?) -> (Y, T0, T1)
//                                         FusedConv 1x1 -> depthwise -> 1x1 (attributes prefixed "c0." / "c1." /
//                                         "c2."; Z is the last conv's residual). T0 / T1 are the intermediate
//                                         tensors, empty where the chain runs in bands of rows (ops/conv_chain.cpp).
//
// `activation` (string) is one of: Relu, Clip, HardSwish, HardSigmoid, Sigmoid, SiLU, Gelu, LeakyRelu, Tanh;
// absent or "" means none. `activation_params` (floats): Clip {min, max}; HardSigmoid {alpha, beta};
// LeakyRelu {alpha}. These ops never appear in model files; the passes create them.
#pragma once

#include "edgerun/status.h"
#include "kernels/epilogue.h"
#include "ops/op_registry.h"

namespace edgerun {

inline constexpr const char* kEdgerunDomain = "com.edgerun";

// Reads `activation` / `activation_params` of a fused node (kNone when absent).
Expected<kernels::Activation> read_fused_activation(const PrepareContext& ctx);

// Sets `activation` / `activation_params` on a node (used by the passes).
void set_fused_activation(Node& node, const kernels::Activation& act);

// The activation an ONNX node computes if it is a plain unary activation fusable into an epilogue
// (Relu, Clip with constant min/max given as `mins`/`maxs` already resolved by the caller, HardSwish,
// HardSigmoid, Sigmoid, LeakyRelu, Tanh); false otherwise. Clip's bounds come from inputs 1/2 (opset >= 11)
// or attributes (opset < 11); the caller passes the resolved constants.
bool activation_of(const Node& node, float clip_min, float clip_max, kernels::Activation* out);

}  // namespace edgerun
