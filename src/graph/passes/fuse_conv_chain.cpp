// 1x1 conv -> depthwise conv -> 1x1 conv (each Conv or FusedConv, the intermediate values read by the next conv
// only) -> com.edgerun.ConvChain (ops/conv_chain.cpp), which runs large maps in bands of rows. The pass only looks
// at the weights' shapes; whether a chain is banded is decided at prepare, from the concrete shapes.
#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"
#include "ops/fused.h"

namespace edgerun::passes {
namespace {

bool is_conv(const Node& n) { return is_op(n, "Conv") || (n.domain == kEdgerunDomain && n.op_type == "FusedConv"); }

// The constant float32 weight's shape, or empty.
Shape weight_shape(const Graph& g, int v) {
  std::vector<double> scale;
  const Tensor* t = scaled_source(g, v, &scale);
  return t ? t->shape() : Shape{};
}

// Conv with a 4-D constant weight [M, C/group, kh, kw] (pointwise: kh = kw = 1, group 1; depthwise: one channel per
// group, group = M), no residual unless `residual_ok`, one output.
bool conv_stage(const Graph& g, const Node& n, bool depthwise, bool residual_ok) {
  if (!is_conv(n) || n.inputs.size() < 2 || n.outputs.size() != 1 || n.outputs[0] < 0) return false;
  if (n.inputs.size() > (residual_ok && !is_op(n, "Conv") ? 4u : 3u)) return false;
  const Shape w = weight_shape(g, n.inputs[1]);
  if (w.size() != 4) return false;
  const int64_t group = n.attr_int("group", 1);
  if (depthwise) return group > 1 && w[0] == group && w[1] == 1;
  return group == 1 && w[2] == 1 && w[3] == 1;
}

void add_prefixed_attrs(Node& dst, const Node& src, int stage) {
  for (const Attribute& a : src.attrs) {
    // "c<stage>.<name>", built in a fresh string (GCC 12 warns falsely, -Wrestrict, on prefix + a.name).
    std::string name(a.name.size() + 3, '.');
    name[0] = 'c';
    name[1] = static_cast<char>('0' + stage);
    a.name.copy(name.data() + 3, a.name.size());
    Attribute b = a;
    b.name = std::move(name);
    dst.attrs.push_back(std::move(b));
  }
}

}  // namespace

int fuse_conv_chains(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
    const Node& a = g.nodes[ai];
    if (dead[ai] || !conv_stage(g, a, false, false) || !uses.single_use(a.outputs[0])) continue;
    const int bi = uses.consumers[static_cast<size_t>(a.outputs[0])][0];
    const Node& b = g.nodes[static_cast<size_t>(bi)];
    if (dead[static_cast<size_t>(bi)] || b.inputs[0] != a.outputs[0] || !conv_stage(g, b, true, false) ||
        !uses.single_use(b.outputs[0]))
      continue;
    const int ci = uses.consumers[static_cast<size_t>(b.outputs[0])][0];
    const Node& c = g.nodes[static_cast<size_t>(ci)];
    if (dead[static_cast<size_t>(ci)] || c.inputs[0] != b.outputs[0] || !conv_stage(g, c, false, true)) continue;
    auto in = [](const Node& n, size_t i) { return i < n.inputs.size() ? n.inputs[i] : -1; };
    Node f;
    f.name = a.name + "/chain";
    f.domain = kEdgerunDomain;
    f.op_type = "ConvChain";
    f.inputs = {a.inputs[0], a.inputs[1], in(a, 2), b.inputs[1], in(b, 2), c.inputs[1], in(c, 2)};
    if (in(c, 3) >= 0) f.inputs.push_back(c.inputs[3]);
    f.outputs = {c.outputs[0], a.outputs[0], b.outputs[0]};
    add_prefixed_attrs(f, a, 0);
    add_prefixed_attrs(f, b, 1);
    add_prefixed_attrs(f, c, 2);
    dead[ai] = dead[static_cast<size_t>(bi)] = true;
    g.nodes[static_cast<size_t>(ci)] = std::move(f);  // every input is produced before c
    ++fused;
  }
  if (fused > 0) {
    remove_nodes(g, dead);
    import_edgerun_domain(m);
  }
  return fused;
}

}  // namespace edgerun::passes
