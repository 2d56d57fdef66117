// A space-to-depth made of strided Slices and a Concat (YOLOv5 / YOLOX "Focus") feeding a Conv folds into the
// Conv. The four phases P(a,b) = x[:, :, a::2, b::2] (a, b in {0, 1}, in any order s = 0..3) concatenated on
// channels give F[s*C + c][y][x'] = X[c][2y + a_s][2x' + b_s], so for a Conv over F (kernel kh x kw, stride s,
// pads pt, pl, pb, pr)
//   sum over (s, c, ky, kx) of W[m][s*C + c][ky][kx] * F[s*C + c][oy*sh + ky - pt][ox*sw + kx - pl]
// is a Conv over X with kernel 2kh x 2kw, stride 2s, pads 2p and W'[m][c][2ky + a_s][2kx + b_s] =
// W[m][s*C + c][ky][kx]: row 2(oy*sh + ky - pt) + a_s of X lies in [0, H) exactly when row oy*sh + ky - pt of F
// lies in [0, H/2) (H even), so both read the same products and the same zeros; the output sizes agree
// ((H + 2pt + 2pb - 2kh) / 2sh = (H/2 + pt + pb - kh) / sh). The slices and the concat (four strided copies of
// the image and one more of the result: yolox-nano 0.6 ms at one thread) disappear; the Conv reads X directly.
//
// Only where provable before shapes are known: X is a graph input of shape [N, C, H, W] in the file, C, H and W
// fixed (Session rejects other input shapes) and H and W even, so that every phase has H/2 x W/2 (with H odd the
// Concat would fail and the folded Conv would not).
#include <algorithm>
#include <array>

#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"
#include "ops/op_util.h"

namespace edgerun::passes {
namespace {

// Values of a constant integer vector (int32 / int64, Slice's index types); false if `v` is not one.
bool int_vector(const Graph& g, int v, std::vector<int64_t>* out) {
  const Tensor* t = v >= 0 ? constant_tensor(g, v) : nullptr;
  if (!t || t->rank() > 1 || (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32)) return false;
  *out = read_ints(*t);
  return true;
}

// One axis of a Slice: start, end, step on `axis` (normalized to 0..rank-1).
struct AxisSlice {
  int64_t axis = 0, start = 0, end = 0, step = 1;
};

// The per-axis slices of Slice node `n` (inputs or, before opset 10, attributes) on a rank-4 input; false if they
// are not all constant or malformed.
bool slice_axes(const Graph& g, const Node& n, int64_t opset, std::vector<AxisSlice>* out) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    starts = n.attr_ints("starts");
    ends = n.attr_ints("ends");
    axes = n.attr_ints("axes");
  } else {
    if (n.inputs.size() < 3 || !int_vector(g, n.inputs[1], &starts) || !int_vector(g, n.inputs[2], &ends))
      return false;
    if (n.inputs.size() > 3 && n.inputs[3] >= 0 && !int_vector(g, n.inputs[3], &axes)) return false;
    if (n.inputs.size() > 4 && n.inputs[4] >= 0 && !int_vector(g, n.inputs[4], &steps)) return false;
  }
  if (starts.empty() || ends.size() != starts.size()) return false;
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) return false;
  out->clear();
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
    if (axis < 0 || axis >= 4) return false;
    out->push_back(AxisSlice{axis, starts[i], ends[i], steps[i]});
  }
  return true;
}

struct Phase {
  int source = -1;           // X
  int a = -1, b = -1;        // row and column offsets
  std::vector<int> nodes;    // the Slice nodes making it
};

// `v` (a Concat input) as a phase x[:, :, a::2, b::2] of a statically shaped X, made by one or two Slices whose
// intermediate values nothing else reads; false otherwise.
bool match_phase(const Graph& g, const GraphUses& uses, int64_t opset, int v, Phase* ph) {
  std::array<int64_t, 4> start{0, 0, 0, 0}, end{}, step{1, 1, 1, 1};
  std::array<bool, 4> seen{};
  *ph = Phase{};
  int cur = v;
  for (int depth = 0; depth < 2; ++depth) {
    if (!uses.single_use(cur)) return false;
    const int p = g.values[static_cast<size_t>(cur)].producer;
    if (p < 0) return false;
    const Node& n = g.nodes[static_cast<size_t>(p)];
    if (!is_op(n, "Slice") || n.inputs.empty() || n.outputs.size() != 1 || n.outputs[0] != cur) return false;
    std::vector<AxisSlice> axes;
    if (!slice_axes(g, n, opset, &axes)) return false;
    for (const AxisSlice& s : axes) {
      if (seen[static_cast<size_t>(s.axis)]) return false;
      seen[static_cast<size_t>(s.axis)] = true;
      start[static_cast<size_t>(s.axis)] = s.start;
      end[static_cast<size_t>(s.axis)] = s.end;
      step[static_cast<size_t>(s.axis)] = s.step;
    }
    ph->nodes.push_back(p);
    cur = n.inputs[0];
    if (cur < 0) return false;
    const int q = g.values[static_cast<size_t>(cur)].producer;
    if (depth == 0 && q >= 0 && is_op(g.nodes[static_cast<size_t>(q)], "Slice") && (!seen[2] || !seen[3]) &&
        uses.single_use(cur))
      continue;  // the other axis is sliced by the node before
    break;
  }
  // X must be a graph input: Session checks its fixed dims at every run, where a value_info shape of an
  // intermediate value is only the file's claim. The batch may be dynamic.
  if (std::find(g.inputs.begin(), g.inputs.end(), cur) == g.inputs.end()) return false;
  const Value& x = g.values[static_cast<size_t>(cur)];
  if (!x.has_shape || x.shape.size() != 4) return false;
  for (size_t d = 1; d < 4; ++d)
    if (x.shape[d] <= 0) return false;
  if (x.shape[2] % 2 != 0 || x.shape[3] % 2 != 0) return false;
  if (seen[0] || seen[1] || !seen[2] || !seen[3]) return false;
  for (size_t d = 2; d < 4; ++d)
    if (step[d] != 2 || (start[d] != 0 && start[d] != 1) || end[d] < x.shape[d]) return false;
  ph->source = cur;
  ph->a = static_cast<int>(start[2]);
  ph->b = static_cast<int>(start[3]);
  return true;
}

void set_ints(Node& n, const char* name, std::vector<int64_t> v) {
  for (Attribute& a : n.attrs)
    if (a.name == name) {
      a.type = AttrType::kInts;
      a.ints = std::move(v);
      return;
    }
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  n.attrs.push_back(std::move(a));
}

// Folds the phases into Conv `conv` (whose input 0 is their Concat); false (graph untouched) if not foldable.
bool fold_one(Graph& g, Node& conv, const std::array<Phase, 4>& phases) {
  if (conv.inputs.size() < 2 || conv.outputs.size() != 1 || conv.attr_int("group", 1) != 1) return false;
  const std::string auto_pad = conv.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "") return false;
  const Tensor* w = constant_tensor(g, conv.inputs[1]);
  if (!w || w->dtype() != DType::kFloat32 || w->rank() != 4) return false;
  const Shape& xs = g.values[static_cast<size_t>(phases[0].source)].shape;
  const int64_t m = w->dim(0), c = xs[1], kh = w->dim(2), kw = w->dim(3);
  if (w->dim(1) != 4 * c) return false;
  const std::vector<int64_t> kernel = conv.attr_ints("kernel_shape", {kh, kw});
  const std::vector<int64_t> dil = conv.attr_ints("dilations", {1, 1});
  const std::vector<int64_t> strides = conv.attr_ints("strides", {1, 1});
  const std::vector<int64_t> pads = conv.attr_ints("pads", {0, 0, 0, 0});
  if (kernel != std::vector<int64_t>{kh, kw} || dil != std::vector<int64_t>{1, 1} || strides.size() != 2 ||
      pads.size() != 4 || strides[0] < 1 || strides[1] < 1)
    return false;
  for (int64_t p : pads)
    if (p < 0) return false;
  Tensor w2 = Tensor::empty(DType::kFloat32, {m, c, 2 * kh, 2 * kw});
  if (!w2.defined()) return false;
  const float* src = w->data<float>();
  float* dst = w2.data<float>();
  for (int64_t o = 0; o < m; ++o)
    for (int64_t s = 0; s < 4; ++s)
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            const Phase& ph = phases[static_cast<size_t>(s)];
            dst[((o * c + ci) * 2 * kh + 2 * ky + ph.a) * 2 * kw + 2 * kx + ph.b] =
                src[((o * 4 * c + s * c + ci) * kh + ky) * kw + kx];
          }
  const std::string base = conv.name.empty() ? std::string("conv") : conv.name;
  conv.inputs[0] = phases[0].source;
  conv.inputs[1] = add_initializer(g, base + "_W_space_to_depth", std::move(w2));
  set_ints(conv, "kernel_shape", {2 * kh, 2 * kw});
  set_ints(conv, "strides", {2 * strides[0], 2 * strides[1]});
  set_ints(conv, "pads", {2 * pads[0], 2 * pads[1], 2 * pads[2], 2 * pads[3]});
  return true;
}

}  // namespace

int fold_space_to_depth_into_conv(Model& m) {
  Graph& g = m.graph;
  GraphUses uses(g);
  const int64_t opset = m.opset("");
  std::vector<bool> dead(g.nodes.size(), false);
  int folded = 0;
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    Node& conv = g.nodes[ni];
    if (!is_op(conv, "Conv") || conv.inputs.empty() || conv.inputs[0] < 0 || !uses.single_use(conv.inputs[0]))
      continue;
    const int cat = g.values[static_cast<size_t>(conv.inputs[0])].producer;
    if (cat < 0 || dead[static_cast<size_t>(cat)]) continue;
    const Node& concat = g.nodes[static_cast<size_t>(cat)];
    const int64_t axis = concat.attr_int("axis", 0);
    if (!is_op(concat, "Concat") || concat.inputs.size() != 4 || (axis != 1 && axis != -3)) continue;
    std::array<Phase, 4> phases;
    bool ok = true;
    std::array<bool, 4> have{};
    for (size_t s = 0; s < 4 && ok; ++s) {
      ok = match_phase(g, uses, opset, concat.inputs[s], &phases[s]) && phases[s].source == phases[0].source &&
           !have[static_cast<size_t>(phases[s].a * 2 + phases[s].b)];
      if (ok) have[static_cast<size_t>(phases[s].a * 2 + phases[s].b)] = true;
    }
    if (!ok || !fold_one(g, conv, phases)) continue;
    dead[static_cast<size_t>(cat)] = true;
    for (const Phase& ph : phases)
      for (int n : ph.nodes) dead[static_cast<size_t>(n)] = true;
    ++folded;
  }
  if (folded > 0) remove_nodes(g, dead);
  return folded;
}

}  // namespace edgerun::passes
