// Identity and inference-mode Dropout copy their input: consumers read the input directly instead.
#include <algorithm>

#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"

namespace edgerun::passes {
namespace {

bool is_graph_output(const Graph& g, int v) { return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end(); }

// Dropout is a copy when its mask is not used and training_mode is absent or a constant false.
bool dropout_is_copy(const Graph& g, const GraphUses& uses, const Node& n) {
  if (n.outputs.size() > 1) {
    int mask = n.outputs[1];
    if (mask >= 0 && (uses.is_pinned(mask) || !uses.consumers[static_cast<size_t>(mask)].empty())) return false;
  }
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const Tensor* t = constant_tensor(g, n.inputs[2]);
    if (!t || t->numel() != 1 || t->dtype() != DType::kBool || t->data<uint8_t>()[0] != 0) return false;
  }
  return n.attr_int("is_test", 1) != 0 || !n.has_attr("is_test");
}

// Input slots reading v in nodes not yet removed (earlier rewiring may have added some).
int live_consumers(const Graph& g, const std::vector<bool>& dead, int v) {
  int count = 0;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni)
    if (!dead[ni]) count += static_cast<int>(std::count(g.nodes[ni].inputs.begin(), g.nodes[ni].inputs.end(), v));
  return count;
}

}  // namespace

int remove_identity_nodes(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int removed = 0;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    Node& n = g.nodes[ni];
    bool copy = (is_op(n, "Identity") && n.inputs.size() == 1 && n.outputs.size() == 1) ||
                (is_op(n, "Dropout") && !n.inputs.empty() && !n.outputs.empty() && dropout_is_copy(g, uses, n));
    if (!copy) continue;
    int x = n.inputs[0], y = n.outputs[0];
    if (x < 0 || y < 0) continue;
    if (!is_graph_output(g, y)) {
      if (uses.is_pinned(y)) continue;  // read by name from a subgraph
      replace_uses(g, y, x);
    } else {
      // y must keep its name: the node producing x writes y instead, when x is nothing else's business.
      Value& xv = g.values[static_cast<size_t>(x)];
      if (xv.producer < 0 || uses.is_pinned(x) || live_consumers(g, dead, x) != 1) continue;
      Node& p = g.nodes[static_cast<size_t>(xv.producer)];
      std::replace(p.outputs.begin(), p.outputs.end(), x, y);
      g.values[static_cast<size_t>(y)].producer = xv.producer;
      xv.producer = -1;
    }
    dead[ni] = true;
    ++removed;
  }
  if (removed > 0) remove_nodes(g, dead);
  return removed;
}

}  // namespace edgerun::passes
