// MatMul(A, constant B[K, N]) [+ Add(constant bias[N])] [+ activation] -> com.edgerun.FusedMatMul(A, B, bias?);
// Gemm + activation -> com.edgerun.FusedGemm.
#include <algorithm>

#include "graph/passes/activation_match.h"
#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"
#include "ops/fused.h"

namespace edgerun::passes {
namespace {

// Add(mm_out, bias) with bias a constant float32 [N]; the bias value id or -1.
int bias_operand(const Graph& g, const Node& add, int mm_out, int64_t n) {
  if (!is_op(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) return -1;
  if (add.inputs[0] != mm_out && add.inputs[1] != mm_out) return -1;
  int b = add.inputs[0] == mm_out ? add.inputs[1] : add.inputs[0];
  const Tensor* t = constant_tensor(g, b);
  if (!t || t->dtype() != DType::kFloat32 || t->rank() != 1 || t->dim(0) != n) return -1;
  return b;
}

// Replaces `first` and `chain` by `f` placed at the last of them.
void replace_chain(Graph& g, std::vector<bool>& dead, size_t first, const std::vector<int>& chain, Node f) {
  const int last = *std::max_element(chain.begin(), chain.end());
  dead[first] = true;
  for (int n : chain) dead[static_cast<size_t>(n)] = true;
  dead[static_cast<size_t>(last)] = false;
  g.nodes[static_cast<size_t>(last)] = std::move(f);
}

bool any_dead(const std::vector<bool>& dead, const std::vector<int>& nodes) {
  return std::any_of(nodes.begin(), nodes.end(), [&](int n) { return dead[static_cast<size_t>(n)]; });
}

}  // namespace

int fuse_matmul_epilogues(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  const int64_t opset = m.opset("");
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (size_t mi = 0; mi < g.nodes.size(); ++mi) {
    const Node& mm = g.nodes[mi];
    if (dead[mi] || mm.outputs.size() != 1 || mm.outputs[0] < 0) continue;
    const bool is_gemm = is_op(mm, "Gemm");
    if (!is_gemm && !is_op(mm, "MatMul")) continue;
    if (mm.inputs.size() < 2 || mm.inputs[0] < 0 || mm.inputs[1] < 0) continue;
    std::vector<int> chain;
    int out = mm.outputs[0];
    int bias = -1;
    if (is_gemm) {
      if (known_dtype(g, mm.inputs[0]) != DType::kFloat32 && known_dtype(g, mm.inputs[1]) != DType::kFloat32) continue;
    } else {
      const Tensor* b = constant_tensor(g, mm.inputs[1]);
      if (!b || b->dtype() != DType::kFloat32 || b->rank() != 2) continue;
      if (uses.single_use(out)) {
        int ai = uses.consumers[static_cast<size_t>(out)][0];
        bias = dead[static_cast<size_t>(ai)] ? -1 : bias_operand(g, g.nodes[static_cast<size_t>(ai)], out, b->dim(1));
        if (bias >= 0) {
          chain.push_back(ai);
          out = g.nodes[static_cast<size_t>(ai)].outputs[0];
        }
      }
    }
    ActivationMatch act;
    bool has_act = match_activation(g, uses, opset, out, &act) && !any_dead(dead, act.nodes);
    if (has_act) {
      chain.insert(chain.end(), act.nodes.begin(), act.nodes.end());
      out = act.output;
    }
    if (chain.empty()) continue;
    Node f = mm;
    f.domain = kEdgerunDomain;
    f.op_type = is_gemm ? "FusedGemm" : "FusedMatMul";
    if (bias >= 0) f.inputs = {mm.inputs[0], mm.inputs[1], bias};
    f.outputs = {out};
    if (has_act) set_fused_activation(f, act.act);
    replace_chain(g, dead, mi, chain, std::move(f));
    ++fused;
  }
  if (fused > 0) {
    remove_nodes(g, dead);
    import_edgerun_domain(m);
  }
  return fused;
}

}  // namespace edgerun::passes
