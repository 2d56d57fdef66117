// Permutations of the input's elements: Transpose, and DepthToSpace / SpaceToDepth, which are
// a transpose of a 6-D view of the [N, C, H, W] input.
#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

class StridedCopyKernel : public OpKernel {
 public:
  explicit StridedCopyKernel(StridedCopy copy) : copy_(std::move(copy)) {}
  Status run(KernelContext& ctx) override {
    copy_.run(ctx.outputs[0]->raw_data(), ctx.inputs[0]->raw_data());
    return Status();
  }

 private:
  StridedCopy copy_;
};

// out = transpose(view, perm) where `view` is a contiguous reinterpretation of the input.
StridedCopy permute_copy(size_t elem, const Shape& view, const std::vector<int>& perm) {
  std::vector<int64_t> in_strides = contiguous_strides(view);
  Shape out_shape;
  std::vector<int64_t> src;
  for (int p : perm) {
    out_shape.push_back(view[static_cast<size_t>(p)]);
    src.push_back(in_strides[static_cast<size_t>(p)]);
  }
  return StridedCopy(elem, out_shape, contiguous_strides(out_shape), src);
}

Expected<std::unique_ptr<OpKernel>> prepare_transpose(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const Shape& in = ctx.input_shape(0);
  const int r = static_cast<int>(in.size());
  std::vector<int> perm;
  if (const Attribute* a = ctx.node().attr("perm")) {
    if (static_cast<int>(a->ints.size()) != r)
      return ctx.error("perm has ", a->ints.size(), " values, input has rank ", r);
    std::vector<bool> seen(static_cast<size_t>(r), false);
    for (int64_t p : a->ints) {
      if (p < 0 || p >= r || seen[static_cast<size_t>(p)]) return ctx.error("perm is not a permutation of 0..", r - 1);
      seen[static_cast<size_t>(p)] = true;
      perm.push_back(static_cast<int>(p));
    }
  } else {
    for (int i = r - 1; i >= 0; --i) perm.push_back(i);
  }
  Shape out;
  for (int p : perm) out.push_back(in[static_cast<size_t>(p)]);
  ctx.set_output(0, ctx.input_dtype(0), out);
  return make_kernel<StridedCopyKernel>(permute_copy(dtype_size(ctx.input_dtype(0)), in, perm));
}

Expected<int64_t> block_size(PrepareContext& ctx) {
  if (!ctx.node().has_attr("blocksize")) return ctx.error("attribute 'blocksize' is required");
  int64_t b = ctx.node().attr_int("blocksize", 0);
  if (b <= 0 || b > (int64_t{1} << 20)) return ctx.error("blocksize must be positive, got ", b);
  return b;
}

Expected<std::unique_ptr<OpKernel>> prepare_depth_to_space(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const Shape& in = ctx.input_shape(0);
  if (in.size() != 4) return ctx.error("input must be 4-D [N, C, H, W], got [", shape_str(in), "]");
  ER_ASSIGN_OR_RETURN(int64_t b, block_size(ctx));
  const int64_t n = in[0], c = in[1], h = in[2], w = in[3];
  if (c % (b * b) != 0) return ctx.error("channels ", c, " are not a multiple of blocksize^2 = ", b * b);
  const int64_t oc = c / (b * b);
  const std::string mode = ctx.opset() >= 11 ? ctx.node().attr_string("mode", "DCR") : "DCR";
  Shape view;
  std::vector<int> perm;
  if (mode == "DCR") {
    view = {n, b, b, oc, h, w};
    perm = {0, 3, 4, 1, 5, 2};
  } else if (mode == "CRD") {
    view = {n, oc, b, b, h, w};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    return ctx.error("mode must be DCR or CRD, got '", mode, "'");
  }
  Shape out = {n, oc, h * b, w * b};
  ER_RETURN_IF_ERROR(checked_numel(ctx, out).status());
  ctx.set_output(0, ctx.input_dtype(0), out);
  return make_kernel<StridedCopyKernel>(permute_copy(dtype_size(ctx.input_dtype(0)), view, perm));
}

Expected<std::unique_ptr<OpKernel>> prepare_space_to_depth(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const Shape& in = ctx.input_shape(0);
  if (in.size() != 4) return ctx.error("input must be 4-D [N, C, H, W], got [", shape_str(in), "]");
  ER_ASSIGN_OR_RETURN(int64_t b, block_size(ctx));
  const int64_t n = in[0], c = in[1], h = in[2], w = in[3];
  if (h % b != 0 || w % b != 0) return ctx.error("H and W (", h, ", ", w, ") must be multiples of blocksize ", b);
  Shape view = {n, c, h / b, b, w / b, b};
  Shape out = {n, c * b * b, h / b, w / b};
  ER_RETURN_IF_ERROR(checked_numel(ctx, out).status());
  ctx.set_output(0, ctx.input_dtype(0), out);
  return make_kernel<StridedCopyKernel>(permute_copy(dtype_size(ctx.input_dtype(0)), view, {0, 3, 5, 1, 2, 4}));
}

}  // namespace

void register_transpose_ops(OpRegistry& r) {
  r.add({"", "Transpose", 1, INT_MAX, prepare_transpose});
  r.add({"", "DepthToSpace", 1, INT_MAX, prepare_depth_to_space});
  r.add({"", "SpaceToDepth", 1, INT_MAX, prepare_space_to_depth});
}

}  // namespace edgerun::shape_ops
