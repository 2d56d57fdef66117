// Recognizes an activation applied to a value: one unary node (Relu, Clip with constant bounds, HardSwish,
// HardSigmoid, Sigmoid, LeakyRelu, Tanh, Gelu), SiLU written as Mul(x, Sigmoid(x)), and GELU written as
// x * 0.5 * (1 + Erf(x / sqrt(2))) in its common arrangements.
#pragma once

#include <vector>

#include "graph/ir.h"
#include "graph/passes/graph_rewrite.h"
#include "kernels/epilogue.h"

namespace edgerun::passes {

struct ActivationMatch {
  kernels::Activation act;
  std::vector<int> nodes;  // node indices of the pattern
  int output = -1;         // value the pattern produces
};

// Matches an activation whose only input is `v` (every intermediate used once, not a graph output).
// `opset` is the model's default-domain opset (Clip reads its bounds from inputs from opset 11 on).
bool match_activation(const Graph& g, const GraphUses& uses, int64_t opset, int v, ActivationMatch* out);

}  // namespace edgerun::passes
