#include "graph/passes/activation_match.h"

#include <cmath>
#include <limits>

#include "ops/fused.h"

namespace edgerun::passes {
namespace {

using kernels::Act;

bool near(float a, float b) { return std::fabs(a - b) <= 1e-6f * std::fabs(b); }

// The node index of v's single consumer (v used once, not pinned), or -1.
int sole_consumer(const GraphUses& uses, int v) {
  return uses.single_use(v) ? uses.consumers[static_cast<size_t>(v)][0] : -1;
}

int single_output(const Node& n) { return n.outputs.size() == 1 ? n.outputs[0] : -1; }

// Binary node `n` of `op_type` reading `a` and something else; the other input in *other.
bool binary_with(const Node& n, const char* op_type, int a, int* other) {
  if (!is_op(n, op_type) || n.inputs.size() != 2 || single_output(n) < 0) return false;
  if (n.inputs[0] == a) *other = n.inputs[1];
  else if (n.inputs[1] == a) *other = n.inputs[0];
  else return false;
  return true;
}

bool binary_with_constant(const Graph& g, const Node& n, const char* op_type, int a, float c) {
  int other = -1;
  float value = 0.0f;
  return binary_with(n, op_type, a, &other) && scalar_constant(g, other, &value) && near(value, c);
}

bool clip_bounds(const Graph& g, const Node& n, int64_t opset, float* lo, float* hi) {
  *lo = std::numeric_limits<float>::lowest();
  *hi = std::numeric_limits<float>::max();
  if (opset < 11) {
    *lo = n.attr_float("min", *lo);
    *hi = n.attr_float("max", *hi);
    return true;
  }
  if (n.inputs.size() > 1 && n.inputs[1] >= 0 && !scalar_constant(g, n.inputs[1], lo)) return false;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0 && !scalar_constant(g, n.inputs[2], hi)) return false;
  return true;
}

bool match_unary(const Graph& g, int64_t opset, int v, int ni, ActivationMatch* out) {
  const Node& n = g.nodes[static_cast<size_t>(ni)];
  if (n.inputs.empty() || n.inputs[0] != v || single_output(n) < 0) return false;
  kernels::Activation act;
  if (is_op(n, "Gelu")) {
    if (n.inputs.size() != 1 || n.attr_string("approximate", "none") != "none") return false;
    act.kind = Act::kGelu;
  } else {
    float lo = 0.0f, hi = 0.0f;
    if (is_op(n, "Clip") && !clip_bounds(g, n, opset, &lo, &hi)) return false;
    if (!is_op(n, "Clip") && n.inputs.size() != 1) return false;
    if (!activation_of(n, lo, hi, &act)) return false;
  }
  out->act = act;
  out->nodes = {ni};
  out->output = single_output(n);
  return true;
}

// Mul(v, Sigmoid(v)).
bool match_silu(const Graph& g, const GraphUses& uses, int v, int a, int b, ActivationMatch* out) {
  const Node* sig = &g.nodes[static_cast<size_t>(a)];
  int sig_i = a, mul_i = b;
  if (!is_op(*sig, "Sigmoid")) {
    sig = &g.nodes[static_cast<size_t>(b)];
    sig_i = b;
    mul_i = a;
  }
  if (!is_op(*sig, "Sigmoid") || sig->inputs.size() != 1 || sig->inputs[0] != v) return false;
  int s = single_output(*sig);
  if (s < 0 || sole_consumer(uses, s) != mul_i) return false;
  int other = -1;
  if (!binary_with(g.nodes[static_cast<size_t>(mul_i)], "Mul", v, &other) || other != s) return false;
  out->act.kind = Act::kSiLU;
  out->nodes = {sig_i, mul_i};
  out->output = single_output(g.nodes[static_cast<size_t>(mul_i)]);
  return true;
}

// x * 0.5 * (1 + Erf(x / sqrt(2))): `d` is the x / sqrt(2) node, `m` the other consumer of x.
bool match_gelu(const Graph& g, const GraphUses& uses, int v, int d, int m, ActivationMatch* out) {
  const Node& dn = g.nodes[static_cast<size_t>(d)];
  const float kSqrt2 = std::sqrt(2.0f);
  if (!(is_op(dn, "Div") && dn.inputs.size() == 2 && dn.inputs[0] == v && binary_with_constant(g, dn, "Div", v, kSqrt2)) &&
      !binary_with_constant(g, dn, "Mul", v, 1.0f / kSqrt2))
    return false;
  int e = sole_consumer(uses, single_output(dn));
  if (e < 0 || !is_op(g.nodes[static_cast<size_t>(e)], "Erf")) return false;
  int e_out = single_output(g.nodes[static_cast<size_t>(e)]);
  int a = sole_consumer(uses, e_out);
  if (a < 0 || !binary_with_constant(g, g.nodes[static_cast<size_t>(a)], "Add", e_out, 1.0f)) return false;
  int a_out = single_output(g.nodes[static_cast<size_t>(a)]);
  int a_next = sole_consumer(uses, a_out);
  if (a_next < 0) return false;
  const Node& mn = g.nodes[static_cast<size_t>(m)];
  int m_out = single_output(mn);
  int other = -1;
  int last = -1;
  std::vector<int> extra;
  if (a_next == m && binary_with(mn, "Mul", v, &other) && other == a_out) {
    // (x * (1 + erf)) * 0.5
    int h = sole_consumer(uses, m_out);
    if (h < 0 || !binary_with_constant(g, g.nodes[static_cast<size_t>(h)], "Mul", m_out, 0.5f)) return false;
    last = h;
  } else if (binary_with_constant(g, mn, "Mul", v, 0.5f)) {
    // (x * 0.5) * (1 + erf)
    if (sole_consumer(uses, m_out) != a_next || !binary_with(g.nodes[static_cast<size_t>(a_next)], "Mul", m_out, &other) ||
        other != a_out)
      return false;
    last = a_next;
  } else if (binary_with_constant(g, g.nodes[static_cast<size_t>(a_next)], "Mul", a_out, 0.5f)) {
    // x * ((1 + erf) * 0.5)
    int h_out = single_output(g.nodes[static_cast<size_t>(a_next)]);
    if (sole_consumer(uses, h_out) != m || !binary_with(mn, "Mul", v, &other) || other != h_out) return false;
    extra = {a_next};
    last = m;
  } else {
    return false;
  }
  out->act.kind = Act::kGelu;
  out->nodes = {d, e, a, m};
  if (last != m) out->nodes.push_back(last);
  for (int x : extra) out->nodes.push_back(x);
  out->output = single_output(g.nodes[static_cast<size_t>(last)]);
  return out->output >= 0;
}

}  // namespace

bool match_activation(const Graph& g, const GraphUses& uses, int64_t opset, int v, ActivationMatch* out) {
  if (v < 0 || uses.is_pinned(v)) return false;
  const std::vector<int>& cons = uses.consumers[static_cast<size_t>(v)];
  if (cons.size() == 1) return match_unary(g, opset, v, cons[0], out);
  if (cons.size() != 2 || cons[0] == cons[1]) return false;
  if (match_silu(g, uses, v, cons[0], cons[1], out)) return true;
  return match_gelu(g, uses, v, cons[0], cons[1], out) || match_gelu(g, uses, v, cons[1], cons[0], out);
}

}  // namespace edgerun::passes
