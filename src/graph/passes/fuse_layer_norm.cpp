// ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div [/ Mul] [/ Add] -> com.edgerun.LayerNorm (see the header).
#include "graph/passes/fuse_layer_norm.h"

#include <string>
#include <vector>

#include "graph/passes/graph_rewrite.h"
#include "ops/fused.h"

namespace edgerun::passes {
namespace {

// The single consumer node of v (only input slot, not a graph output), or -1.
int only_consumer(const GraphUses& uses, int v) {
  return uses.single_use(v) ? uses.consumers[static_cast<size_t>(v)][0] : -1;
}

// A default-domain node with one output, of type op_type; nullptr otherwise.
const Node* node_as(const Graph& g, int ni, const char* op_type) {
  if (ni < 0) return nullptr;
  const Node& n = g.nodes[static_cast<size_t>(ni)];
  if (!is_op(n, op_type) || n.outputs.size() != 1 || n.outputs[0] < 0) return nullptr;
  return &n;
}

// ReduceMean over the last axis of an input of rank `rank` (-1: unknown), keeping dims.
bool is_last_axis_mean(const Graph& g, const Node& n, int64_t opset, int rank) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.attr_int("keepdims", 1) != 1) return false;
  std::vector<int64_t> axes;
  if (opset >= 18) {
    if (n.inputs.size() < 2) return false;
    const Tensor* t = constant_tensor(g, n.inputs[1]);
    if (!t || t->numel() != 1 || (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32)) return false;
    axes.push_back(t->dtype() == DType::kInt64 ? t->data<int64_t>()[0] : t->data<int32_t>()[0]);
  } else {
    if (n.inputs.size() != 1) return false;
    axes = n.attr_ints("axes");
  }
  if (axes.size() != 1) return false;
  return axes[0] == -1 || (rank > 0 && axes[0] == rank - 1);
}

// A float32 constant with one element (an initializer or Constant value / value_float).
bool f32_scalar(const Graph& g, int v, float* out) {
  if (!scalar_constant(g, v, out)) return false;
  const Tensor* t = constant_tensor(g, v);
  return !t || t->dtype() == DType::kFloat32;
}

// The other input of a two-input node whose input `known` is one of them; -1 if `known` is not an input.
int other_input(const Node& n, int known) {
  if (n.inputs.size() != 2) return -1;
  if (n.inputs[0] == known) return n.inputs[1];
  if (n.inputs[1] == known) return n.inputs[0];
  return -1;
}

// A constant float32 tensor of rank <= 1 (gamma / beta of the last axis).
bool is_affine_param(const Graph& g, int v) {
  const Tensor* t = constant_tensor(g, v);
  return t && t->dtype() == DType::kFloat32 && t->rank() <= 1;
}

struct LayerNormMatch {
  std::vector<int> nodes;  // chain node indices, first ReduceMean first
  int x = -1, gamma = -1, beta = -1, out = -1;
  float eps = 0.0f;
};

bool match_layer_norm(const Graph& g, const GraphUses& uses, int64_t opset, int mean_node, LayerNormMatch* m) {
  const Node* rm1 = node_as(g, mean_node, "ReduceMean");
  if (!rm1) return false;
  const int x = rm1->inputs.empty() ? -1 : rm1->inputs[0];
  if (x < 0) return false;
  const Value& xv = g.values[static_cast<size_t>(x)];
  const int rank = xv.has_shape ? static_cast<int>(xv.shape.size()) : -1;
  if (!is_last_axis_mean(g, *rm1, opset, rank)) return false;
  // d = x - mean
  const int sub_i = only_consumer(uses, rm1->outputs[0]);
  const Node* sub = node_as(g, sub_i, "Sub");
  if (!sub || sub->inputs.size() != 2 || sub->inputs[0] != x || sub->inputs[1] != rm1->outputs[0]) return false;
  const int d = sub->outputs[0];
  // d feeds exactly Pow(d, 2) and Div(d, .).
  if (uses.is_pinned(d) || uses.consumers[static_cast<size_t>(d)].size() != 2) return false;
  int pow_i = -1, div_i = -1;
  for (int c : uses.consumers[static_cast<size_t>(d)]) {
    if (node_as(g, c, "Pow"))
      pow_i = c;
    else if (node_as(g, c, "Div"))
      div_i = c;
  }
  const Node* pw = node_as(g, pow_i, "Pow");
  const Node* dv = node_as(g, div_i, "Div");
  float exponent = 0.0f;
  if (!pw || !dv || pw->inputs.size() != 2 || pw->inputs[0] != d || !scalar_constant(g, pw->inputs[1], &exponent) ||
      exponent != 2.0f)
    return false;
  // var = mean(d^2); s = sqrt(var + eps)
  const int rm2_i = only_consumer(uses, pw->outputs[0]);
  const Node* rm2 = node_as(g, rm2_i, "ReduceMean");
  if (!rm2 || !is_last_axis_mean(g, *rm2, opset, rank)) return false;
  const int add_i = only_consumer(uses, rm2->outputs[0]);
  const Node* add = node_as(g, add_i, "Add");
  if (!add) return false;
  const int eps_v = other_input(*add, rm2->outputs[0]);
  if (eps_v < 0 || !f32_scalar(g, eps_v, &m->eps) || !(m->eps >= 0.0f)) return false;
  const int sqrt_i = only_consumer(uses, add->outputs[0]);
  const Node* sq = node_as(g, sqrt_i, "Sqrt");
  if (!sq || sq->inputs.size() != 1) return false;
  if (only_consumer(uses, sq->outputs[0]) != div_i || dv->inputs.size() != 2 || dv->inputs[0] != d ||
      dv->inputs[1] != sq->outputs[0])
    return false;
  m->nodes = {mean_node, sub_i, pow_i, rm2_i, add_i, sqrt_i, div_i};
  m->x = x;
  m->out = dv->outputs[0];
  m->gamma = m->beta = -1;
  // Optional affine tail: Mul(y, gamma), then Add(., beta).
  const int mul_i = only_consumer(uses, m->out);
  if (const Node* mul = node_as(g, mul_i, "Mul")) {
    const int gm = other_input(*mul, m->out);
    if (gm >= 0 && gm != m->out && is_affine_param(g, gm)) {
      m->gamma = gm;
      m->out = mul->outputs[0];
      m->nodes.push_back(mul_i);
    }
  }
  const int badd_i = only_consumer(uses, m->out);
  if (const Node* badd = node_as(g, badd_i, "Add")) {
    const int bt = other_input(*badd, m->out);
    if (bt >= 0 && bt != m->out && is_affine_param(g, bt)) {
      m->beta = bt;
      m->out = badd->outputs[0];
      m->nodes.push_back(badd_i);
    }
  }
  return true;
}

std::string fused_name(const std::string& mean_name) {
  const std::string tail = "/ReduceMean";
  if (mean_name.size() > tail.size() && mean_name.compare(mean_name.size() - tail.size(), tail.size(), tail) == 0)
    return mean_name.substr(0, mean_name.size() - tail.size()) + "/LayerNorm";
  return mean_name + "/LayerNorm";
}

}  // namespace

int fuse_layer_norm(Model& m) {
  Graph& g = m.graph;
  const GraphUses uses(g);
  const int64_t opset = m.opset("");
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    if (dead[ni]) continue;
    LayerNormMatch lm;
    if (!match_layer_norm(g, uses, opset, static_cast<int>(ni), &lm)) continue;
    bool overlaps = false;
    for (int n : lm.nodes) overlaps = overlaps || dead[static_cast<size_t>(n)];
    if (overlaps) continue;
    Node f;
    f.name = fused_name(g.nodes[ni].name);
    f.domain = kEdgerunDomain;
    f.op_type = "LayerNorm";
    f.inputs = {lm.x, lm.gamma, lm.beta};
    while (!f.inputs.empty() && f.inputs.back() < 0) f.inputs.pop_back();
    f.outputs = {lm.out};
    Attribute axis;
    axis.name = "axis";
    axis.type = AttrType::kInt;
    axis.i = -1;
    Attribute eps;
    eps.name = "epsilon";
    eps.type = AttrType::kFloat;
    eps.f = lm.eps;
    f.attrs = {axis, eps};
    // The fused node takes the place of the chain's last node: every input is ready there.
    int last = lm.nodes[0];
    for (int n : lm.nodes) {
      dead[static_cast<size_t>(n)] = true;
      last = n > last ? n : last;
    }
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
