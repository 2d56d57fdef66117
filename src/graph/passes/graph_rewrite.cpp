#include "graph/passes/graph_rewrite.h"

#include <string>
#include <unordered_set>

#include "core/half.h"
#include "ops/fused.h"

namespace edgerun::passes {
namespace {

// Names a subgraph reads (node inputs), recursively; outer-scope values referenced by name are among them.
void collect_subgraph_reads(const Graph& g, std::unordered_set<std::string>* names) {
  for (const Node& n : g.nodes) {
    for (int v : n.inputs)
      if (v >= 0) names->insert(g.values[static_cast<size_t>(v)].name);
    for (const Attribute& a : n.attrs)
      if (a.g) collect_subgraph_reads(*a.g, names);
  }
  for (int v : g.outputs)
    if (v >= 0) names->insert(g.values[static_cast<size_t>(v)].name);
}

}  // namespace

GraphUses::GraphUses(const Graph& g) : consumers(g.values.size()), pinned(g.values.size(), false) {
  for (size_t ni = 0; ni < g.nodes.size(); ++ni)
    for (int v : g.nodes[ni].inputs)
      if (v >= 0) consumers[static_cast<size_t>(v)].push_back(static_cast<int>(ni));
  for (int v : g.outputs)
    if (v >= 0) pinned[static_cast<size_t>(v)] = true;
  std::unordered_set<std::string> sub_reads;
  for (const Node& n : g.nodes)
    for (const Attribute& a : n.attrs)
      if (a.g) collect_subgraph_reads(*a.g, &sub_reads);
  if (sub_reads.empty()) return;
  for (size_t v = 0; v < g.values.size(); ++v)
    if (sub_reads.count(g.values[v].name)) pinned[v] = true;
}

bool GraphUses::single_use(int v) const {
  return v >= 0 && !pinned[static_cast<size_t>(v)] && consumers[static_cast<size_t>(v)].size() == 1;
}

const Tensor* constant_tensor(const Graph& g, int v) {
  if (v < 0) return nullptr;
  const Value& val = g.values[static_cast<size_t>(v)];
  if (val.initializer.defined()) return &val.initializer;
  if (val.producer < 0) return nullptr;
  const Node& n = g.nodes[static_cast<size_t>(val.producer)];
  if (!is_op(n, "Constant")) return nullptr;
  const Attribute* a = n.attr("value");
  if (a && a->type == AttrType::kTensor && a->t.defined()) return &a->t;
  return nullptr;
}

bool scalar_constant(const Graph& g, int v, float* out) {
  if (v >= 0) {
    const Value& val = g.values[static_cast<size_t>(v)];
    if (!val.initializer.defined() && val.producer >= 0) {
      const Node& n = g.nodes[static_cast<size_t>(val.producer)];
      const Attribute* f = n.attr("value_float");
      if (is_op(n, "Constant") && f && f->type == AttrType::kFloat) {
        *out = f->f;
        return true;
      }
    }
  }
  const Tensor* t = constant_tensor(g, v);
  if (!t || t->numel() != 1) return false;
  switch (t->dtype()) {
    case DType::kFloat32: *out = t->data<float>()[0]; return true;
    case DType::kFloat64: *out = static_cast<float>(t->data<double>()[0]); return true;
    case DType::kFloat16: *out = half_to_float(t->data<uint16_t>()[0]); return true;
    default: return false;
  }
}

DType known_dtype(const Graph& g, int v) {
  if (v < 0) return DType::kUndefined;
  const Tensor* t = constant_tensor(g, v);
  if (t) return t->dtype();
  return g.values[static_cast<size_t>(v)].dtype;
}

int add_initializer(Graph& g, const std::string& base, Tensor t) {
  std::string name = base;
  for (int k = 1; g.find_value(name) >= 0; ++k) name = base + "_" + std::to_string(k);
  int id = g.add_value(name);
  Value& val = g.values[static_cast<size_t>(id)];
  val.dtype = t.dtype();
  val.has_shape = true;
  val.shape = t.shape();
  val.initializer = std::move(t);
  val.producer = -1;
  return id;
}

const Tensor* scaled_source(const Graph& g, int v, std::vector<double>* scale) {
  if (v < 0) return nullptr;
  if (const auto& sc = g.values[static_cast<size_t>(v)].scaled) {
    *scale = sc->scale;
    return &g.values[static_cast<size_t>(sc->source)].initializer;
  }
  const Tensor* t = constant_tensor(g, v);
  if (!t || t->dtype() != DType::kFloat32 || t->rank() < 1 || t->dim(0) <= 0) return nullptr;
  scale->assign(static_cast<size_t>(t->dim(0)), 1.0);
  return t;
}

int add_scaled_constant(Graph& g, const std::string& base, int v, std::vector<double> scale) {
  int source = v;
  if (const auto& sc = g.values[static_cast<size_t>(v)].scaled) {
    source = sc->source;
  } else if (!g.values[static_cast<size_t>(v)].initializer.defined()) {  // a Constant node's output
    Tensor shared = *constant_tensor(g, v);
    source = add_initializer(g, g.values[static_cast<size_t>(v)].name + "_data", std::move(shared));
  }
  std::string name = base;
  for (int k = 1; g.find_value(name) >= 0; ++k) name = base + "_" + std::to_string(k);
  const int id = g.add_value(name);
  Value& val = g.values[static_cast<size_t>(id)];
  val.dtype = DType::kFloat32;
  val.has_shape = true;
  val.shape = g.values[static_cast<size_t>(source)].initializer.shape();
  val.initializer = Tensor();
  val.scaled = std::make_shared<const ScaledConstant>(ScaledConstant{source, std::move(scale)});
  val.producer = -1;
  return id;
}

void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes)
    for (int& v : n.inputs)
      if (v == from) v = to;
}

void remove_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  for (Value& v : g.values) v.producer = -1;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int v : g.nodes[i].outputs)
      if (v >= 0) g.values[static_cast<size_t>(v)].producer = static_cast<int>(i);
}

void import_edgerun_domain(Model& m) { m.opsets[kEdgerunDomain] = 1; }

}  // namespace edgerun::passes
