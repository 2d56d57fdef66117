// Conv [+ Add(residual)] [+ activation] -> com.edgerun.FusedConv(X, W, B?, Z?).
// The residual must be the output of another node (not a broadcasting constant); FusedConv's prepare
// checks that it has the conv output's shape.
#include <algorithm>

#include "graph/passes/activation_match.h"
#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"
#include "ops/fused.h"

namespace edgerun::passes {
namespace {

// Both shapes are fully stated in the file and differ: the Add broadcasts, not a residual.
bool shapes_known_different(const Value& a, const Value& b) {
  if (!a.has_shape || !b.has_shape) return false;
  for (int64_t d : a.shape)
    if (d < 0) return false;
  for (int64_t d : b.shape)
    if (d < 0) return false;
  return a.shape != b.shape;
}

// The residual operand of Add(conv_out, y): produced by a node other than a Constant.
int residual_operand(const Graph& g, const Node& add, int conv_out) {
  if (!is_op(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) return -1;
  int y = add.inputs[0] == conv_out ? add.inputs[1] : add.inputs[0];
  if (y < 0 || y == conv_out || (add.inputs[0] != conv_out && add.inputs[1] != conv_out)) return -1;
  const Value& yv = g.values[static_cast<size_t>(y)];
  if (yv.initializer.defined() || yv.producer < 0) return -1;
  const Node& p = g.nodes[static_cast<size_t>(yv.producer)];
  if (is_op(p, "Constant") || is_op(p, "ConstantOfShape")) return -1;
  if (shapes_known_different(g.values[static_cast<size_t>(conv_out)], yv)) return -1;
  return y;
}

}  // namespace

int fuse_conv_epilogues(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  const int64_t opset = m.opset("");
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (size_t ci = 0; ci < g.nodes.size(); ++ci) {
    const Node& conv = g.nodes[ci];
    if (dead[ci] || !is_op(conv, "Conv") || conv.inputs.size() < 2 || conv.inputs.size() > 3 ||
        conv.outputs.size() != 1 || conv.outputs[0] < 0)
      continue;
    if (known_dtype(g, conv.inputs[1]) != DType::kFloat32) continue;
    std::vector<int> chain;  // fused nodes after the conv
    int out = conv.outputs[0];
    int residual = -1;
    if (uses.single_use(out)) {
      int ai = uses.consumers[static_cast<size_t>(out)][0];
      int y = residual_operand(g, g.nodes[static_cast<size_t>(ai)], out);
      if (y >= 0 && !dead[static_cast<size_t>(ai)]) {
        residual = y;
        chain.push_back(ai);
        out = g.nodes[static_cast<size_t>(ai)].outputs[0];
      }
    }
    ActivationMatch act;
    bool has_act = match_activation(g, uses, opset, out, &act) &&
                   std::none_of(act.nodes.begin(), act.nodes.end(), [&](int n) { return dead[static_cast<size_t>(n)]; });
    if (has_act) {
      chain.insert(chain.end(), act.nodes.begin(), act.nodes.end());
      out = act.output;
    }
    if (chain.empty()) continue;
    Node f = conv;
    f.domain = kEdgerunDomain;
    f.op_type = "FusedConv";
    if (residual >= 0) {
      f.inputs.resize(3, -1);
      f.inputs.push_back(residual);
    }
    f.outputs = {out};
    if (has_act) set_fused_activation(f, act.act);
    const int last = *std::max_element(chain.begin(), chain.end());
    dead[ci] = true;
    for (int n : chain) dead[static_cast<size_t>(n)] = true;
    dead[static_cast<size_t>(last)] = false;
    g.nodes[static_cast<size_t>(last)] = std::move(f);
    ++fused;
  }
  if (fused > 0) {
    remove_nodes(g, dead);
    import_edgerun_domain(m);
  }
  return fused;
}

}  // namespace edgerun::passes
