// Small IR editing helpers shared by the graph passes: who consumes a value, constant lookup,
// new initializers, rewiring and removal of nodes (keeping topological order and Value::producer right).
#pragma once

#include <string>
#include <vector>

#include "edgerun/tensor.h"
#include "graph/ir.h"

namespace edgerun::passes {

// Consumers of every value, computed once; a pass that rewrites must not rely on it for values it changed.
struct GraphUses {
  explicit GraphUses(const Graph& g);
  std::vector<std::vector<int>> consumers;  // per value id: consuming node index, once per input slot
  std::vector<bool> pinned;                 // graph output, or read by name from a subgraph (If/Loop body)

  // v is read by exactly one input slot of one node, and is neither a graph output nor pinned.
  bool single_use(int v) const;
  bool is_pinned(int v) const { return v >= 0 && pinned[static_cast<size_t>(v)]; }
};

// Data of `v` when it is an initializer or the output of a Constant node (value attribute); nullptr otherwise.
const Tensor* constant_tensor(const Graph& g, int v);
// `v` is a constant float32 (or float16/double) tensor with exactly one element; its value in *out.
bool scalar_constant(const Graph& g, int v, float* out);
// dtype of `v` if known from an initializer or the file's value_info, kUndefined otherwise.
DType known_dtype(const Graph& g, int v);

// Adds an initializer holding `t` under a fresh name derived from `base`; returns its value id.
int add_initializer(Graph& g, const std::string& base, Tensor t);

// Data of weight `v` without any deferred scale, and that scale per dim-0 slice: for a ScaledConstant its source
// and scale, for a plain float32 constant_tensor() (rank >= 1) the tensor and all ones; nullptr otherwise.
const Tensor* scaled_source(const Graph& g, int v, std::vector<double>* scale);
// Adds a deferred constant (ScaledConstant) equal to the data scaled_source(v) found times `scale`, under a fresh
// name from `base`; returns its value id. A Constant node's tensor becomes an initializer sharing its data.
int add_scaled_constant(Graph& g, const std::string& base, int v, std::vector<double> scale);

// Replaces every node input `from` by `to` (graph outputs untouched).
void replace_uses(Graph& g, int from, int to);

// Drops nodes flagged in `dead` and recomputes Value::producer.
void remove_nodes(Graph& g, const std::vector<bool>& dead);

// Imports the com.edgerun domain (version 1) into the model.
void import_edgerun_domain(Model& m);

// `n` is a default-domain node of `op_type`.
inline bool is_op(const Node& n, const char* op_type) { return n.domain.empty() && n.op_type == op_type; }

}  // namespace edgerun::passes
