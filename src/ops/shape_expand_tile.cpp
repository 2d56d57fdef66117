// Expand (broadcast to a shape) and Tile (repeat). Both are strided copies with zero strides:
// Tile of [d0, d1] by [r0, r1] is the input broadcast over the view [r0, d0, r1, d1].
#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

class BroadcastCopyKernel : public OpKernel {
 public:
  explicit BroadcastCopyKernel(StridedCopy copy) : copy_(std::move(copy)) {}
  Status run(KernelContext& ctx) override {
    copy_.run(ctx.outputs[0]->raw_data(), ctx.inputs[0]->raw_data());
    return Status();
  }

 private:
  StridedCopy copy_;
};

Expected<std::unique_ptr<OpKernel>> prepare_expand(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> dims, int_list_input(ctx, 1, "shape"));
  for (int64_t d : dims)
    if (d < 0) return ctx.error("shape has a negative value ", d);
  const Shape& in = ctx.input_shape(0);
  auto out = broadcast_shapes({in, Shape(dims.begin(), dims.end())});
  if (!out.ok()) return ctx.error(out.status().message());
  ER_RETURN_IF_ERROR(checked_numel(ctx, *out, dtype_size(dt)).status());
  ctx.set_output(0, dt, *out);
  return make_kernel<BroadcastCopyKernel>(
      StridedCopy(dtype_size(dt), *out, contiguous_strides(*out), broadcast_strides(in, *out)));
}

Expected<std::unique_ptr<OpKernel>> prepare_tile(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  const Shape& in = ctx.input_shape(0);
  const int r = static_cast<int>(in.size());
  std::vector<int64_t> repeats(static_cast<size_t>(r), 1);
  if (ctx.opset() < 6) {
    // Tile-1: input 1 = number of tiles, input 2 = the axis to tile along (both scalars).
    ER_ASSIGN_OR_RETURN(std::vector<int64_t> tiles, int_list_input(ctx, 1, "tiles"));
    ER_ASSIGN_OR_RETURN(std::vector<int64_t> axis, int_list_input(ctx, 2, "axis"));
    if (tiles.size() != 1 || axis.size() != 1) return ctx.error("tiles and axis must be scalars");
    auto a = normalize_axis(axis[0], r);
    if (!a.ok()) return ctx.error(a.status().message());
    repeats[static_cast<size_t>(*a)] = tiles[0];
  } else {
    ER_ASSIGN_OR_RETURN(repeats, int_list_input(ctx, 1, "repeats"));
    if (static_cast<int>(repeats.size()) != r)
      return ctx.error("repeats has ", repeats.size(), " values, input has rank ", r);
  }
  Shape view, out;
  std::vector<int64_t> src;
  const std::vector<int64_t> in_strides = contiguous_strides(in);
  for (size_t d = 0; d < static_cast<size_t>(r); ++d) {
    if (repeats[d] < 0) return ctx.error("repeats has a negative value ", repeats[d]);
    int64_t o = 0;
    if (__builtin_mul_overflow(in[d], repeats[d], &o)) return ctx.error("tiled size of axis ", d, " overflows");
    out.push_back(o);
    view.push_back(repeats[d]);
    src.push_back(0);
    view.push_back(in[d]);
    src.push_back(in_strides[d]);
  }
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(dt)).status());
  ctx.set_output(0, dt, out);
  return make_kernel<BroadcastCopyKernel>(StridedCopy(dtype_size(dt), view, contiguous_strides(view), src));
}

}  // namespace

void register_expand_tile_ops(OpRegistry& r) {
  r.add({"", "Expand", 8, INT_MAX, prepare_expand});
  r.add({"", "Tile", 1, INT_MAX, prepare_tile});
}

}  // namespace edgerun::shape_ops
