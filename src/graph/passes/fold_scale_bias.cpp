// Constant per-channel or scalar Mul / Div / Add / Sub after a Conv with constant weights fold into the Conv:
//   conv(x, W, B) * s + b = conv(x, W * s[m]) + (B * s + b)[m]
// (PP-OCRv3/v4 write each "learnable affine" conv as Conv -> Mul(scale) -> Add(bias)). A chain of such nodes
// folds as long as each intermediate value has a single consumer and is not a graph output. A constant folds
// when it has one element, or its shape, aligned right against the conv output [N, M, spatial...], is 1
// everywhere except M there; it never has more dimensions than the conv output (no broadcast up).
#include <vector>

#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"

namespace edgerun::passes {
namespace {

// Per-output-channel values of constant `v` for a conv output of rank `rank` with `m` channels; false if `v`
// is not a float32 constant of a shape that folds (see the file comment).
bool channel_constant(const Graph& g, int v, int64_t m, int rank, std::vector<float>* out) {
  const Tensor* t = constant_tensor(g, v);
  if (!t) {
    float s = 0.0f;  // Constant(value_float = s): a float32 scalar
    if (v < 0 || !scalar_constant(g, v, &s)) return false;
    out->assign(static_cast<size_t>(m), s);
    return true;
  }
  if (t->dtype() != DType::kFloat32 || t->rank() > rank) return false;
  const float* d = t->data<float>();
  if (t->numel() == 1) {
    out->assign(static_cast<size_t>(m), d[0]);
    return true;
  }
  // Index in t's shape that lines up with the output's channel dimension (output dim 1).
  const int k = t->rank() - rank + 1;
  if (k < 0 || t->dim(k) != m || t->numel() != m) return false;
  out->assign(d, d + m);
  return true;
}

// Folds the chain of constant affine nodes after Conv `ci`; returns how many nodes it folded.
int fold_chain(Graph& g, const GraphUses& uses, size_t ci, std::vector<bool>& dead) {
  Node& conv = g.nodes[ci];
  if (!is_op(conv, "Conv") || conv.inputs.size() < 2 || conv.inputs.size() > 3 || conv.outputs.size() != 1 ||
      conv.outputs[0] < 0)
    return 0;
  std::vector<double> w_scale;  // a scale an earlier fold deferred on the weight
  const Tensor* w = scaled_source(g, conv.inputs[1], &w_scale);
  if (!w || w->rank() < 3) return 0;
  const int64_t m = w->dim(0);
  const int rank = w->rank();
  const float* bias = nullptr;
  if (conv.inputs.size() > 2 && conv.inputs[2] >= 0) {
    const Tensor* b = constant_tensor(g, conv.inputs[2]);
    if (!b || b->dtype() != DType::kFloat32 || b->rank() != 1 || b->numel() != m) return 0;
    bias = b->data<float>();
  }
  std::vector<double> scale(static_cast<size_t>(m), 1.0), shift(static_cast<size_t>(m), 0.0);
  for (int64_t c = 0; c < m; ++c) shift[static_cast<size_t>(c)] = bias ? bias[c] : 0.0;
  int out = conv.outputs[0];
  std::vector<int> chain;
  std::vector<float> k;
  while (uses.single_use(out)) {
    const int ni = uses.consumers[static_cast<size_t>(out)][0];
    const Node& n = g.nodes[static_cast<size_t>(ni)];
    if (dead[static_cast<size_t>(ni)] || n.inputs.size() != 2 || n.outputs.size() != 1 || n.outputs[0] < 0) break;
    const bool first = n.inputs[0] == out;
    if (n.inputs[0] == n.inputs[1]) break;
    const int other = first ? n.inputs[1] : n.inputs[0];
    if (!channel_constant(g, other, m, rank, &k)) break;
    if (is_op(n, "Mul")) {
      for (size_t c = 0; c < k.size(); ++c) scale[c] *= k[c], shift[c] *= k[c];
    } else if (is_op(n, "Div") && first) {
      bool zero = false;
      for (float v : k) zero = zero || v == 0.0f;
      if (zero) break;
      for (size_t c = 0; c < k.size(); ++c) scale[c] /= k[c], shift[c] /= k[c];
    } else if (is_op(n, "Add")) {
      for (size_t c = 0; c < k.size(); ++c) shift[c] += k[c];
    } else if (is_op(n, "Sub")) {
      // y - k, or k - y = (-1) * y + k.
      for (size_t c = 0; c < k.size(); ++c) {
        if (first) {
          shift[c] -= k[c];
        } else {
          scale[c] = -scale[c];
          shift[c] = k[c] - shift[c];
        }
      }
    } else {
      break;
    }
    chain.push_back(ni);
    out = n.outputs[0];
  }
  if (chain.empty()) return 0;
  Tensor b2 = Tensor::empty(DType::kFloat32, {m});
  if (!b2.defined()) return 0;  // out of memory: graph untouched
  for (int64_t c = 0; c < m; ++c) {
    w_scale[static_cast<size_t>(c)] *= scale[static_cast<size_t>(c)];
    b2.data<float>()[c] = static_cast<float>(shift[static_cast<size_t>(c)]);
  }
  const std::string base = conv.name.empty() ? std::string("conv") : conv.name;
  // W * scale is computed by the plan just before this Conv is prepared (ScaledConstant), not here.
  const int w_id = add_scaled_constant(g, base + "_W_affine", conv.inputs[1], std::move(w_scale));
  const int b_id = add_initializer(g, base + "_B_affine", std::move(b2));
  conv.inputs.resize(3);
  conv.inputs[1] = w_id;
  conv.inputs[2] = b_id;
  conv.outputs[0] = out;
  for (int ni : chain) dead[static_cast<size_t>(ni)] = true;
  return static_cast<int>(chain.size());
}

}  // namespace

int fold_scale_bias_into_conv(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int folded = 0;
  for (size_t ci = 0; ci < g.nodes.size(); ++ci)
    if (!dead[ci]) folded += fold_chain(g, uses, ci, dead);
  if (folded > 0) remove_nodes(g, dead);
  return folded;
}

}  // namespace edgerun::passes
