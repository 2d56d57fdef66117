// Decomposed hard activations -> single nodes, so that fuse_conv_epilogues can take them into a conv epilogue:
//   Clip(x + 3, 0, 6) / 6                       -> HardSigmoid(x, alpha = 1/6, beta = 0.5)
//   x * Clip(x + 3, 0, 6) / 6, x * (Clip(..) / 6) -> HardSwish(x)
//   x * HardSigmoid(x, 1/6, 0.5)                -> HardSwish(x)
// (paddle2onnx writes hardswish as the second form). "/ 6" is Div by 6 or Mul by 1/6; Add and Mul take their
// operands in either order. The constants are one-element floating-point tensors, so x is floating point too
// (ONNX binary ops take one type). Every intermediate value must have a single consumer and not be a graph output.
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"

namespace edgerun::passes {
namespace {

bool near(float a, float b) { return std::fabs(a - b) <= 1e-6f * std::fabs(b) + 1e-7f; }

int single_output(const Node& n) { return n.outputs.size() == 1 ? n.outputs[0] : -1; }

// The node index of v's single consumer (v used once, not pinned), or -1.
int sole_consumer(const GraphUses& uses, int v) {
  return uses.single_use(v) ? uses.consumers[static_cast<size_t>(v)][0] : -1;
}

// `n` is a binary `op_type` node with `a` as one input (at `slot` only when slot >= 0); the other in *other.
bool binary_with(const Node& n, const char* op_type, int a, int* other, int slot = -1) {
  if (!is_op(n, op_type) || n.inputs.size() != 2 || single_output(n) < 0 || n.inputs[0] == n.inputs[1]) return false;
  if (n.inputs[0] == a && slot != 1) *other = n.inputs[1];
  else if (n.inputs[1] == a && slot != 0) *other = n.inputs[0];
  else return false;
  return true;
}

// A one-element floating-point constant one of whose dims would not broadcast x up: rank 0, or rank 1
// (every input these patterns see in practice has rank >= 1; a rank-0 x is checked where its shape is known).
bool scalar_operand(const Graph& g, int v, int x, float want) {
  float value = 0.0f;
  if (!scalar_constant(g, v, &value) || !near(value, want)) return false;
  const Tensor* t = constant_tensor(g, v);
  if (!t || t->rank() == 0) return true;
  if (t->rank() > 1) return false;
  const Value& xv = g.values[static_cast<size_t>(x)];
  return !xv.has_shape || !xv.shape.empty();
}

// `n` computes a / 6 (Div(a, 6) or Mul(a, 1/6) in either order).
bool divides_by_6(const Graph& g, const Node& n, int a, int x) {
  int other = -1;
  if (binary_with(n, "Div", a, &other, 0)) return scalar_operand(g, other, x, 6.0f);
  return binary_with(n, "Mul", a, &other) && scalar_operand(g, other, x, 1.0f / 6.0f);
}

bool clip_0_6(const Graph& g, const Node& n, int64_t opset) {
  if (!is_op(n, "Clip") || n.inputs.empty() || single_output(n) < 0) return false;
  float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
  if (opset < 11) {
    if (n.inputs.size() != 1) return false;
    lo = n.attr_float("min", lo);
    hi = n.attr_float("max", hi);
  } else {
    if (n.inputs.size() > 3) return false;
    if (n.inputs.size() > 1 && (n.inputs[1] < 0 || !scalar_constant(g, n.inputs[1], &lo))) return false;
    if (n.inputs.size() > 2 && (n.inputs[2] < 0 || !scalar_constant(g, n.inputs[2], &hi))) return false;
  }
  return lo == 0.0f && near(hi, 6.0f);
}

struct Match {
  std::vector<int> nodes;  // pattern nodes; the last in graph order is replaced
  int x = -1;
  int output = -1;
  bool swish = false;  // HardSwish, else HardSigmoid(1/6, 0.5)
};

// Patterns rooted at Clip node `ci`.
bool match_clip(const Graph& g, const GraphUses& uses, int64_t opset, int ci, Match* out) {
  const Node& clip = g.nodes[static_cast<size_t>(ci)];
  if (!clip_0_6(g, clip, opset)) return false;
  const int a = clip.inputs[0];
  if (!uses.single_use(a)) return false;
  const int ai = g.values[static_cast<size_t>(a)].producer;
  if (ai < 0) return false;
  const Node& add = g.nodes[static_cast<size_t>(ai)];
  if (!is_op(add, "Add") || add.inputs.size() != 2 || single_output(add) != a) return false;
  int x = -1;
  for (int slot = 0; slot < 2 && x < 0; ++slot) {
    int other = add.inputs[static_cast<size_t>(1 - slot)];
    if (add.inputs[static_cast<size_t>(slot)] >= 0 && scalar_operand(g, other, add.inputs[static_cast<size_t>(slot)], 3.0f))
      x = add.inputs[static_cast<size_t>(slot)];
  }
  if (x < 0) return false;
  const int y = single_output(clip);
  const int u = sole_consumer(uses, y);
  if (u < 0) return false;
  const Node& un = g.nodes[static_cast<size_t>(u)];
  int other = -1;
  if (divides_by_6(g, un, y, x)) {
    // Clip(x + 3, 0, 6) / 6, then maybe x * that.
    const int h = single_output(un);
    out->x = x;
    out->nodes = {ai, ci, u};
    out->output = h;
    out->swish = false;
    const int v = sole_consumer(uses, h);
    if (v >= 0 && binary_with(g.nodes[static_cast<size_t>(v)], "Mul", h, &other) && other == x) {
      out->nodes.push_back(v);
      out->output = single_output(g.nodes[static_cast<size_t>(v)]);
      out->swish = true;
    }
    return true;
  }
  if (binary_with(un, "Mul", y, &other) && other == x) {
    // (x * Clip(x + 3, 0, 6)) / 6.
    const int p = single_output(un);
    const int w = sole_consumer(uses, p);
    if (w < 0 || !divides_by_6(g, g.nodes[static_cast<size_t>(w)], p, x)) return false;
    out->x = x;
    out->nodes = {ai, ci, u, w};
    out->output = single_output(g.nodes[static_cast<size_t>(w)]);
    out->swish = true;
    return true;
  }
  return false;
}

// x * HardSigmoid(x, 1/6, 0.5).
bool match_hardsigmoid_mul(const Graph& g, const GraphUses& uses, int hi, Match* out) {
  const Node& hs = g.nodes[static_cast<size_t>(hi)];
  if (!is_op(hs, "HardSigmoid") || hs.inputs.size() != 1 || hs.inputs[0] < 0 || single_output(hs) < 0) return false;
  if (!near(hs.attr_float("alpha", 0.2f), 1.0f / 6.0f) || hs.attr_float("beta", 0.5f) != 0.5f) return false;
  const int x = hs.inputs[0];
  const int h = single_output(hs);
  const int v = sole_consumer(uses, h);
  int other = -1;
  if (v < 0 || !binary_with(g.nodes[static_cast<size_t>(v)], "Mul", h, &other) || other != x) return false;
  out->x = x;
  out->nodes = {hi, v};
  out->output = single_output(g.nodes[static_cast<size_t>(v)]);
  out->swish = true;
  return true;
}

}  // namespace

int match_hard_activations(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  const int64_t opset = m.opset("");
  std::vector<bool> dead(g.nodes.size(), false);
  int rewritten = 0;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    if (dead[ni]) continue;
    Match mt;
    const int i = static_cast<int>(ni);
    if (!match_clip(g, uses, opset, i, &mt) && !match_hardsigmoid_mul(g, uses, i, &mt)) continue;
    if (std::any_of(mt.nodes.begin(), mt.nodes.end(), [&](int n) { return dead[static_cast<size_t>(n)]; })) continue;
    const int last = *std::max_element(mt.nodes.begin(), mt.nodes.end());
    Node n;
    n.name = g.nodes[static_cast<size_t>(last)].name;
    n.inputs = {mt.x};
    n.outputs = {mt.output};
    if (mt.swish) {
      n.op_type = "HardSwish";
    } else {
      n.op_type = "HardSigmoid";
      Attribute alpha;
      alpha.name = "alpha";
      alpha.type = AttrType::kFloat;
      alpha.f = 1.0f / 6.0f;
      Attribute beta;
      beta.name = "beta";
      beta.type = AttrType::kFloat;
      beta.f = 0.5f;
      n.attrs = {alpha, beta};
    }
    for (int k : mt.nodes) dead[static_cast<size_t>(k)] = true;
    dead[static_cast<size_t>(last)] = false;
    g.nodes[static_cast<size_t>(last)] = std::move(n);
    ++rewritten;
  }
  if (rewritten > 0) remove_nodes(g, dead);
  return rewritten;
}

}  // namespace edgerun::passes
