// BatchNormalization (inference) after a Conv with constant weights folds into the Conv:
//   y = s * (conv(x, W) + B - mean) + beta,  s = scale / sqrt(var + epsilon)
//     = conv(x, W * s[m]) + (B - mean) * s + beta.
#include <cmath>

#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"

namespace edgerun::passes {
namespace {

// A constant float32 vector of `m` elements (any shape with that many elements, rank <= 1).
const float* channel_vector(const Graph& g, int v, int64_t m) {
  const Tensor* t = constant_tensor(g, v);
  if (!t || t->dtype() != DType::kFloat32 || t->rank() != 1 || t->numel() != m) return nullptr;
  return t->data<float>();
}

// Folds BatchNormalization node `bn` into the Conv `conv`; false (graph untouched) if not foldable.
bool fold_one(Graph& g, Node& conv, const Node& bn) {
  if (bn.inputs.size() != 5 || bn.attr_int("training_mode", 0) != 0) return false;
  for (size_t o = 1; o < bn.outputs.size(); ++o)
    if (bn.outputs[o] >= 0) return false;  // running mean/var outputs only exist in training mode
  std::vector<double> w_scale;  // a scale an earlier fold deferred on the weight
  const Tensor* w = scaled_source(g, conv.inputs[1], &w_scale);
  if (!w || w->rank() < 3) return false;
  const int64_t m = w->dim(0);
  const float* scale = channel_vector(g, bn.inputs[1], m);
  const float* beta = channel_vector(g, bn.inputs[2], m);
  const float* mean = channel_vector(g, bn.inputs[3], m);
  const float* var = channel_vector(g, bn.inputs[4], m);
  if (!scale || !beta || !mean || !var) return false;
  const float* bias = nullptr;
  if (conv.inputs.size() > 2 && conv.inputs[2] >= 0) {
    bias = channel_vector(g, conv.inputs[2], m);
    if (!bias) return false;
  }
  const float eps = bn.attr_float("epsilon", 1e-5f);
  Tensor b2 = Tensor::empty(DType::kFloat32, {m});  // [M]
  if (!b2.defined()) return false;
  for (int64_t c = 0; c < m; ++c) {
    const double s = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
    w_scale[static_cast<size_t>(c)] *= s;
    const double b = bias ? bias[c] : 0.0;
    b2.data<float>()[c] = static_cast<float>((b - mean[c]) * s + beta[c]);
  }
  const std::string base = conv.name.empty() ? std::string("conv") : conv.name;
  // W * s is computed by the plan just before this Conv is prepared (ScaledConstant), not here.
  int w_id = add_scaled_constant(g, base + "_W_bnfold", conv.inputs[1], std::move(w_scale));
  int b_id = add_initializer(g, base + "_B_bnfold", std::move(b2));
  conv.inputs.resize(3);
  conv.inputs[1] = w_id;
  conv.inputs[2] = b_id;
  conv.outputs[0] = bn.outputs[0];
  return true;
}

}  // namespace

int fold_batchnorm_into_conv(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int folded = 0;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    const Node& bn = g.nodes[ni];
    if (!is_op(bn, "BatchNormalization") || bn.inputs.empty() || bn.outputs.empty()) continue;
    int x = bn.inputs[0];
    if (x < 0 || !uses.single_use(x)) continue;
    int p = g.values[static_cast<size_t>(x)].producer;
    if (p < 0 || dead[static_cast<size_t>(p)]) continue;
    Node& conv = g.nodes[static_cast<size_t>(p)];
    if (!is_op(conv, "Conv") || conv.inputs.size() < 2 || conv.outputs.size() != 1 || conv.outputs[0] != x) continue;
    if (!fold_one(g, conv, bn)) continue;
    dead[ni] = true;
    ++folded;
  }
  if (folded > 0) remove_nodes(g, dead);
  return folded;
}

}  // namespace edgerun::passes
