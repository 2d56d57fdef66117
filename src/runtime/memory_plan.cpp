#include "runtime/memory_plan.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace edgerun {
namespace {

struct Buffer {
  int root = -1;
  size_t bytes = 0;
  size_t first = 0, last = 0;  // step indices of definition and last use
  size_t offset = 0;
};

// Greedy-by-size placement of buffers with disjoint lifetimes sharing arena space.
size_t place_buffers(std::vector<Buffer>& bufs) {
  std::vector<size_t> order(bufs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return bufs[a].bytes > bufs[b].bytes; });
  std::vector<size_t> placed;
  size_t total = 0;
  for (size_t bi : order) {
    Buffer& b = bufs[bi];
    std::vector<std::pair<size_t, size_t>> busy;  // [offset, end) of overlapping-lifetime buffers
    for (size_t pi : placed) {
      const Buffer& p = bufs[pi];
      if (p.last < b.first || b.last < p.first) continue;
      busy.emplace_back(p.offset, p.offset + p.bytes);
    }
    std::sort(busy.begin(), busy.end());
    size_t off = 0;
    for (auto [s, e] : busy) {
      if (off + b.bytes <= s) break;
      off = std::max(off, e);
    }
    b.offset = off;
    total = std::max(total, off + b.bytes);
    placed.push_back(bi);
  }
  return total;
}

size_t align64(size_t n) { return (n + 63) / 64 * 64; }

template <size_t N>
bool listed(const std::array<std::string_view, N>& list, const std::string& op) {
  return std::find(list.begin(), list.end(), op) != list.end();
}

}  // namespace

bool op_runs_in_place(const std::string& op_type) {
  // Checked against their kernels: each reads element i of its inputs before writing element i of the output
  // (binary ops index the same-shape operand exactly like the output).
  static constexpr std::array<std::string_view, 35> kOps = {
      "Relu",  "LeakyRelu", "Sigmoid", "Tanh",  "HardSigmoid", "HardSwish", "Exp",   "Log",  "Neg",
      "Abs",   "Sqrt",      "Reciprocal", "Erf", "Softplus",   "Softsign",  "Elu",   "Selu", "Celu",
      "Gelu",  "Mish",      "Floor",   "Ceil",  "Round",       "Sin",       "Cos",   "Clip", "Not",
      "Sign",  "ThresholdedRelu", "Add", "Sub", "Mul",         "Div",       "Swish", "Shrink"};
  return listed(kOps, op_type);
}

bool op_is_view(const std::string& op_type) {
  static constexpr std::array<std::string_view, 5> kOps = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"};
  return listed(kOps, op_type);
}

namespace {

MemoryPlan plan_variant(const std::vector<MemoryStep>& steps, const std::vector<MemoryValue>& values,
                        const std::vector<int>& graph_outputs, bool alias, bool in_place, bool concat) {
  const size_t nv = values.size();
  MemoryPlan plan;
  plan.offset.assign(nv, -1);
  plan.skip.assign(steps.size(), false);
  auto arena = [&](int v) { return v >= 0 && values[static_cast<size_t>(v)].arena; };

  // root[v]: the value whose buffer v lives in (itself unless aliased or written in place).
  std::vector<int> root(nv, -1);
  std::vector<size_t> sub_offset(nv, 0);  // byte offset of v inside its root's buffer (Concat inputs)
  std::vector<std::vector<int>> members(nv);  // per root: the values sharing its buffer
  for (size_t v = 0; v < nv; ++v)
    if (values[v].arena) {
      root[v] = static_cast<int>(v);
      members[v].push_back(static_cast<int>(v));
    }
  if (alias) {
    for (size_t s = 0; s < steps.size(); ++s) {
      const MemoryStep& st = steps[s];
      if (!op_is_view(st.op_type) || st.inputs.empty() || st.outputs.size() != 1) continue;
      int in = st.inputs[0], out = st.outputs[0];
      if (!arena(in) || !arena(out)) continue;
      if (values[static_cast<size_t>(in)].bytes != values[static_cast<size_t>(out)].bytes ||
          values[static_cast<size_t>(in)].dtype != values[static_cast<size_t>(out)].dtype)
        continue;
      root[static_cast<size_t>(out)] = root[static_cast<size_t>(in)];
      members[static_cast<size_t>(root[static_cast<size_t>(in)])].push_back(out);
      members[static_cast<size_t>(out)].clear();
      plan.skip[s] = true;
      ++plan.aliased_steps;
    }
  }

  // Steps that still run, renumbered; lifetimes are in that numbering.
  std::vector<size_t> order;
  for (size_t s = 0; s < steps.size(); ++s)
    if (!plan.skip[s]) order.push_back(s);
  const size_t end = order.size();
  std::vector<size_t> first(nv, SIZE_MAX), last(nv, 0);  // per root
  for (size_t k = 0; k < order.size(); ++k) {
    const MemoryStep& st = steps[order[k]];
    for (int v : st.outputs)
      if (arena(v)) {
        size_t r = static_cast<size_t>(root[static_cast<size_t>(v)]);
        first[r] = std::min(first[r], k);
        last[r] = std::max(last[r], k);
      }
    for (int v : st.inputs)
      if (arena(v)) last[static_cast<size_t>(root[static_cast<size_t>(v)])] = std::max(last[static_cast<size_t>(root[static_cast<size_t>(v)])], k);
  }
  for (int v : graph_outputs)
    if (arena(v)) last[static_cast<size_t>(root[static_cast<size_t>(v)])] = end;

  if (in_place) {
    // In place: an output takes over an input's buffer when that buffer's last reader is this step.
    for (size_t k = 0; k < order.size(); ++k) {
      const MemoryStep& st = steps[order[k]];
      // Element-wise ops by type (either of the first two inputs); other kernels name one input themselves.
      const bool elementwise = op_runs_in_place(st.op_type);
      const bool named = st.in_place_input >= 0 && static_cast<size_t>(st.in_place_input) < st.inputs.size();
      if ((!elementwise && !named) || st.outputs.size() != 1 || !arena(st.outputs[0])) continue;
      const int out = st.outputs[0];
      const MemoryValue& ov = values[static_cast<size_t>(out)];
      if (root[static_cast<size_t>(out)] != out) continue;
      const size_t first_candidate = elementwise ? 0 : static_cast<size_t>(st.in_place_input);
      const size_t end_candidate = elementwise ? (st.op_type == "Clip" ? 1 : std::min<size_t>(st.inputs.size(), 2))
                                               : first_candidate + 1;
      for (size_t i = first_candidate; i < end_candidate; ++i) {
        int in = st.inputs[i];
        if (!arena(in)) continue;
        const MemoryValue& iv = values[static_cast<size_t>(in)];
        if (iv.dtype != ov.dtype || iv.shape != ov.shape) continue;
        const int r = root[static_cast<size_t>(in)];
        if (last[static_cast<size_t>(r)] != k) continue;
        // Another input in the same buffer under a different value (a view) might be indexed differently. A named
        // input must not share its buffer with any other input at all (Conv(x) + x: x is still read by the GEMM).
        bool clash = false;
        for (size_t j = 0; j < st.inputs.size(); ++j)
          if (j != i && arena(st.inputs[j]) && (st.inputs[j] != in || !elementwise) &&
              root[static_cast<size_t>(st.inputs[j])] == r)
            clash = true;
        if (clash) continue;
        for (int v : members[static_cast<size_t>(out)]) {
          root[static_cast<size_t>(v)] = r;
          members[static_cast<size_t>(r)].push_back(v);
        }
        members[static_cast<size_t>(out)].clear();
        last[static_cast<size_t>(r)] = std::max(last[static_cast<size_t>(r)], last[static_cast<size_t>(out)]);
        ++plan.in_place_steps;
        break;
      }
    }
  }

  if (concat) {
    // Concat in place: each input is produced straight into its slice of the output. Only inputs whose buffer is
    // their own (no views, not written in place), read last by this Concat (so nothing can overwrite the slice
    // while they are still read: an in-place consumer of the output comes later) and listed once.
    for (size_t k = 0; k < order.size(); ++k) {
      const MemoryStep& st = steps[order[k]];
      if (!st.concat_slices || st.outputs.size() != 1 || !arena(st.outputs[0])) continue;
      const int out = st.outputs[0];
      if (root[static_cast<size_t>(out)] != out) continue;
      const MemoryValue& ov = values[static_cast<size_t>(out)];
      size_t bytes = 0;
      bool ok = !st.inputs.empty();
      for (size_t i = 0; ok && i < st.inputs.size(); ++i) {
        const int in = st.inputs[i];
        ok = arena(in) && root[static_cast<size_t>(in)] == in && members[static_cast<size_t>(in)].size() == 1 &&
             last[static_cast<size_t>(in)] == k && values[static_cast<size_t>(in)].dtype == ov.dtype &&
             std::count(st.inputs.begin(), st.inputs.end(), in) == 1;
        if (ok) bytes += values[static_cast<size_t>(in)].bytes;
      }
      if (!ok || bytes != ov.bytes) continue;
      size_t off = 0;
      for (int in : st.inputs) {
        const size_t v = static_cast<size_t>(in);
        root[v] = out;
        sub_offset[v] = off;
        off += values[v].bytes;
        members[static_cast<size_t>(out)].push_back(in);
        members[v].clear();
        first[static_cast<size_t>(out)] = std::min(first[static_cast<size_t>(out)], first[v]);
      }
      plan.skip[order[k]] = true;
      ++plan.concat_steps;
      plan.concat_bytes += ov.bytes;
    }
  }

  std::vector<Buffer> bufs;
  std::vector<int> buf_of_root(nv, -1);
  for (size_t v = 0; v < nv; ++v) {
    if (root[v] != static_cast<int>(v) || first[v] == SIZE_MAX) continue;
    Buffer b;
    b.root = static_cast<int>(v);
    b.bytes = align64(values[v].bytes);
    b.first = first[v];
    b.last = last[v];
    buf_of_root[v] = static_cast<int>(bufs.size());
    bufs.push_back(b);
  }
  plan.arena_bytes = place_buffers(bufs);
  for (size_t v = 0; v < nv; ++v) {
    if (root[v] < 0) continue;
    int b = buf_of_root[static_cast<size_t>(root[v])];
    if (b >= 0) plan.offset[v] = static_cast<int64_t>(bufs[static_cast<size_t>(b)].offset + sub_offset[v]);
  }
  return plan;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<MemoryStep>& steps, const std::vector<MemoryValue>& values,
                       const std::vector<int>& graph_outputs, bool reuse_buffers) {
  MemoryPlan plain = plan_variant(steps, values, graph_outputs, false, false, false);
  if (!reuse_buffers) return plain;
  // Greedy placement is not monotone: longer-lived shared buffers can fragment the arena. Keep the most reuse
  // (views, in place, Concat slices; then without in place; then without Concat) that does not grow the arena,
  // or grows it by at most half the bytes of the Concats it plans in place: each of those saves a copy of its
  // whole output every run (yolox-nano: 13 Concats in place, 0.52 MB over the plan without reuse; their copies
  // took 0.13 ms a run at one thread, 0.45 ms at two).
  const bool variants[][3] = {{true, true, true}, {true, false, true}, {true, true, false}, {true, false, false}};
  for (const auto& f : variants) {
    MemoryPlan p = plan_variant(steps, values, graph_outputs, f[0], f[1], f[2]);
    if (p.arena_bytes <= plain.arena_bytes + p.concat_bytes / 2) return p;
  }
  return plain;
}

}  // namespace edgerun
