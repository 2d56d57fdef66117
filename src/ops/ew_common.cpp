#include "ops/ew_common.h"

#include "core/dtype_names.h"

namespace edgerun::ew {

Expected<BroadcastPlan> BroadcastPlan::make(const Shape& out, const std::vector<Shape>& inputs) {
  BroadcastPlan p;
  const int k = static_cast<int>(inputs.size());
  if (k < 1 || k > kMaxInputs) return internal_error("BroadcastPlan: ", k, " inputs (1..", kMaxInputs, " supported)");
  p.num_inputs_ = k;
  const size_t rank = out.size();
  // Each input padded to the output rank; validate compatibility.
  std::vector<Shape> padded(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    const Shape& s = inputs[static_cast<size_t>(i)];
    if (s.size() > rank) return internal_error("BroadcastPlan: input rank ", s.size(), " > output rank ", rank);
    Shape& ps = padded[static_cast<size_t>(i)];
    ps.assign(rank - s.size(), 1);
    ps.insert(ps.end(), s.begin(), s.end());
    for (size_t d = 0; d < rank; ++d)
      if (ps[d] != out[d] && ps[d] != 1)
        return invalid_argument("shape [", shape_str(s), "] cannot be broadcast to [", shape_str(out), "]");
  }
  if (shape_numel(out) == 0) {
    p.rows_ = 0;
    p.inner_ = 0;
    return p;
  }
  // Collapse: drop size-1 output dims, merge neighbours with the same per-input broadcast pattern.
  struct Group {
    int64_t size;
    uint32_t bcast_mask;  // bit i set: input i is broadcast (size 1) along this group
  };
  std::vector<Group> groups;
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    uint32_t mask = 0;
    for (int i = 0; i < k; ++i)
      if (padded[static_cast<size_t>(i)][d] == 1) mask |= 1u << i;
    if (!groups.empty() && groups.back().bcast_mask == mask) {
      groups.back().size *= out[d];
    } else {
      groups.push_back(Group{out[d], mask});
    }
  }
  if (groups.empty()) groups.push_back(Group{1, 0});  // scalar output
  if (groups.size() > static_cast<size_t>(kMaxDims) + 1)
    return unsupported("broadcast with more than ", kMaxDims + 1, " distinct dimension groups");
  // Strides per group: an input's memory holds only its non-broadcast groups, in order.
  const size_t ng = groups.size();
  std::vector<std::vector<int64_t>> st(static_cast<size_t>(k), std::vector<int64_t>(ng, 0));
  for (int i = 0; i < k; ++i) {
    int64_t stride = 1;
    for (size_t g = ng; g-- > 0;) {
      if (groups[g].bcast_mask & (1u << i)) continue;
      st[static_cast<size_t>(i)][g] = stride;
      stride *= groups[g].size;
    }
  }
  p.inner_ = groups.back().size;
  for (int i = 0; i < k; ++i) p.inner_stride_[i] = st[static_cast<size_t>(i)][ng - 1];
  p.rows_ = 1;
  for (size_t g = 0; g + 1 < ng; ++g) {
    p.dims_.push_back(groups[g].size);
    p.rows_ *= groups[g].size;
  }
  for (int i = 0; i < k; ++i) {
    p.strides_[i].assign(st[static_cast<size_t>(i)].begin(), st[static_cast<size_t>(i)].end() - 1);
  }
  return p;
}

Expected<Shape> legacy_broadcast_shape(const PrepareContext& ctx, const Shape& a, const Shape& b) {
  const Node& n = ctx.node();
  if (n.attr_int("broadcast", 0) == 0) {
    if (a != b)
      return ctx.error("shapes [", shape_str(a), "] and [", shape_str(b),
                       "] differ and the legacy 'broadcast' attribute is not set (opset ", ctx.opset(), ")");
    return b;
  }
  const int ra = static_cast<int>(a.size());
  const int rb = static_cast<int>(b.size());
  if (shape_numel(b) == 1) return Shape(a.size(), 1);  // scalar B
  if (rb > ra) return ctx.error("legacy broadcast: B has rank ", rb, " > rank ", ra, " of A");
  int64_t axis = n.attr_int("axis", ra - rb);
  if (n.has_attr("axis") && axis < 0) axis += ra;
  if (axis < 0 || axis + rb > ra)
    return ctx.error("legacy broadcast: axis ", n.attr_int("axis", 0), " does not fit B [", shape_str(b),
                     "] into A [", shape_str(a), "]");
  Shape out(a.size(), 1);
  for (int i = 0; i < rb; ++i) {
    const int64_t bd = b[static_cast<size_t>(i)];
    const int64_t ad = a[static_cast<size_t>(axis + i)];
    if (bd != ad && bd != 1)
      return ctx.error("legacy broadcast: B [", shape_str(b), "] does not match A [", shape_str(a), "] at axis ",
                       axis);
    out[static_cast<size_t>(axis + i)] = bd;
  }
  return out;
}

std::string onnx_dtype_name(int64_t t) {
  const char* name = onnx_type_name(t);
  return *name ? std::string(name) : str_cat("data type ", t);
}

}  // namespace edgerun::ew
