// Slice: starts/ends/axes as attributes (opset 1) or inputs with optional steps (opset 10+),
// clamped as the spec says; the result is one strided copy (negative steps walk backwards).
#include <algorithm>
#include <limits>

#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

class SliceKernel : public OpKernel {
 public:
  SliceKernel(StridedCopy copy, int64_t offset_bytes) : copy_(std::move(copy)), offset_(offset_bytes) {}
  Status run(KernelContext& ctx) override {
    copy_.run(ctx.outputs[0]->raw_data(), static_cast<const char*>(ctx.inputs[0]->raw_data()) + offset_);
    return Status();
  }

 private:
  StridedCopy copy_;
  int64_t offset_;  // byte offset of the first selected element
};

Expected<std::unique_ptr<OpKernel>> prepare_slice(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  const Shape& in = ctx.input_shape(0);
  const int r = static_cast<int>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  bool has_axes = false, has_steps = false;
  if (ctx.opset() < 10) {
    if (!ctx.node().has_attr("starts") || !ctx.node().has_attr("ends"))
      return ctx.error("attributes 'starts' and 'ends' are required");
    starts = ctx.node().attr_ints("starts");
    ends = ctx.node().attr_ints("ends");
    has_axes = ctx.node().has_attr("axes");
    axes = ctx.node().attr_ints("axes");
  } else {
    ER_ASSIGN_OR_RETURN(starts, int_list_input(ctx, 1, "starts"));
    ER_ASSIGN_OR_RETURN(ends, int_list_input(ctx, 2, "ends"));
    if (ctx.has_input(3)) {
      ER_ASSIGN_OR_RETURN(axes, int_list_input(ctx, 3, "axes"));
      has_axes = true;
    }
    if (ctx.has_input(4)) {
      ER_ASSIGN_OR_RETURN(steps, int_list_input(ctx, 4, "steps"));
      has_steps = true;
    }
  }
  const size_t k = starts.size();
  if (ends.size() != k) return ctx.error("starts has ", k, " values, ends has ", ends.size());
  if (!has_axes) {
    axes.resize(k);
    for (size_t i = 0; i < k; ++i) axes[i] = static_cast<int64_t>(i);
  }
  if (!has_steps) steps.assign(k, 1);
  if (axes.size() != k) return ctx.error("axes has ", axes.size(), " values, starts has ", k);
  if (steps.size() != k) return ctx.error("steps has ", steps.size(), " values, starts has ", k);
  ER_ASSIGN_OR_RETURN(std::vector<int> norm_axes, normalize_axes(ctx, axes, r, "axes"));

  // Per dim: first index, step and count; untouched dims take everything.
  std::vector<int64_t> first(static_cast<size_t>(r), 0), step(static_cast<size_t>(r), 1);
  Shape out = in;
  for (size_t i = 0; i < k; ++i) {
    const size_t a = static_cast<size_t>(norm_axes[i]);
    const int64_t dim = in[a];
    const int64_t st = steps[i];
    if (st == 0) return ctx.error("steps must not be 0");
    int64_t s = starts[i], e = ends[i];
    // Negative values count from the end (INT64_MIN + dim cannot overflow since dim >= 0).
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t count;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s - 1) / st + 1 : 0;
    } else if (dim == 0) {
      count = 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      // |INT64_MIN| does not fit; any step that large selects one element anyway.
      const int64_t ast = st == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -st;
      count = s > e ? (s - e - 1) / ast + 1 : 0;
    }
    if (count <= 0) {
      count = 0;
      s = 0;
    }
    first[a] = s;
    step[a] = st;
    out[a] = count;
  }
  ctx.set_output(0, dt, out);
  const std::vector<int64_t> in_strides = contiguous_strides(in);
  std::vector<int64_t> src(static_cast<size_t>(r));
  int64_t offset = 0;
  bool empty = shape_numel(out) == 0;
  for (size_t d = 0; d < static_cast<size_t>(r); ++d) {
    // With 2+ elements, |step| < dim so the product fits; a single element needs no stride.
    src[d] = out[d] > 1 ? in_strides[d] * step[d] : 0;
    if (!empty) offset += first[d] * in_strides[d];
  }
  return make_kernel<SliceKernel>(StridedCopy(dtype_size(dt), out, contiguous_strides(out), src),
                                  offset * static_cast<int64_t>(dtype_size(dt)));
}

}  // namespace

void register_slice_ops(OpRegistry& r) { r.add({"", "Slice", 1, INT_MAX, prepare_slice}); }

}  // namespace edgerun::shape_ops
