// Concat and Split. Both see each tensor as [outer, axis * inner] rows: per outer index, one
// contiguous chunk per input (Concat) or per output (Split) is copied.
#include <numeric>

#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

struct RowSplit {
  int64_t outer = 1;                // product of dims before the axis
  std::vector<size_t> chunk_bytes;  // per part: axis length * inner * element size
};

RowSplit row_split(const Shape& shape, int axis, const std::vector<int64_t>& axis_lengths, size_t elem) {
  RowSplit rs;
  int64_t inner = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (static_cast<int>(i) < axis) rs.outer *= shape[i];
    if (static_cast<int>(i) > axis) inner *= shape[i];
  }
  for (int64_t len : axis_lengths) rs.chunk_bytes.push_back(static_cast<size_t>(len * inner) * elem);
  return rs;
}

class ConcatKernel : public OpKernel {
 public:
  explicit ConcatKernel(RowSplit rs) : rs_(std::move(rs)) {}
  Status run(KernelContext& ctx) override {
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    for (int64_t o = 0; o < rs_.outer; ++o) {
      for (size_t k = 0; k < rs_.chunk_bytes.size(); ++k) {
        const size_t n = rs_.chunk_bytes[k];
        if (n == 0) continue;
        std::memcpy(dst, static_cast<const char*>(ctx.inputs[k]->raw_data()) + static_cast<size_t>(o) * n, n);
        dst += n;
      }
    }
    return Status();
  }

 private:
  RowSplit rs_;
};

Expected<std::unique_ptr<OpKernel>> prepare_concat(PrepareContext& ctx) {
  if (ctx.num_inputs() < 1) return ctx.error("needs at least one input");
  for (int i = 0; i < ctx.num_inputs(); ++i)
    if (!ctx.has_input(i)) return ctx.error("input ", i, " is missing");
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  const Shape& first = ctx.input_shape(0);
  const int r = static_cast<int>(first.size());
  // Concat-1 defaulted axis to 1; from opset 4 it is required.
  if (ctx.opset() >= 4 && !ctx.node().has_attr("axis")) return ctx.error("attribute 'axis' is required");
  const int64_t axis_attr = ctx.node().attr_int("axis", 1);
  auto axis = normalize_axis(axis_attr, r);
  if (!axis.ok()) return ctx.error(axis.status().message());
  Shape out = first;
  out[static_cast<size_t>(*axis)] = 0;
  std::vector<int64_t> lengths;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Shape& s = ctx.input_shape(i);
    if (ctx.input_dtype(i) != dt)
      return ctx.error("input ", i, " has dtype ", dtype_name(ctx.input_dtype(i)), ", input 0 has ", dtype_name(dt));
    if (static_cast<int>(s.size()) != r)
      return ctx.error("input ", i, " has rank ", s.size(), ", input 0 has rank ", r);
    for (int d = 0; d < r; ++d) {
      if (d != *axis && s[static_cast<size_t>(d)] != first[static_cast<size_t>(d)])
        return ctx.error("input ", i, " has shape [", shape_str(s), "], which does not match input 0 [",
                         shape_str(first), "] outside axis ", *axis);
    }
    out[static_cast<size_t>(*axis)] += s[static_cast<size_t>(*axis)];
    lengths.push_back(s[static_cast<size_t>(*axis)]);
  }
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(dt)).status());
  ctx.set_output(0, dt, out);
  return make_kernel<ConcatKernel>(row_split(out, *axis, lengths, dtype_size(dt)));
}

class SplitKernel : public OpKernel {
 public:
  explicit SplitKernel(RowSplit rs) : rs_(std::move(rs)) {}
  Status run(KernelContext& ctx) override {
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    for (int64_t o = 0; o < rs_.outer; ++o) {
      for (size_t k = 0; k < rs_.chunk_bytes.size(); ++k) {
        const size_t n = rs_.chunk_bytes[k];
        if (n != 0 && k < ctx.outputs.size() && ctx.outputs[k])
          std::memcpy(static_cast<char*>(ctx.outputs[k]->raw_data()) + static_cast<size_t>(o) * n, src, n);
        src += n;
      }
    }
    return Status();
  }

 private:
  RowSplit rs_;
};

Expected<std::unique_ptr<OpKernel>> prepare_split(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  const Shape& in = ctx.input_shape(0);
  auto axis = normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int>(in.size()));
  if (!axis.ok()) return ctx.error(axis.status().message());
  const int64_t dim = in[static_cast<size_t>(*axis)];
  const int64_t n_out = ctx.num_outputs();
  if (n_out < 1) return ctx.error("needs at least one output");

  // Split sizes: input 1 (opset 1 optionally, 13+), attribute 'split' (< 13), 'num_outputs' (18+),
  // else equal parts over the outputs.
  std::vector<int64_t> sizes;
  bool given = false;
  if ((ctx.opset() >= 13 || ctx.opset() < 2) && ctx.has_input(1)) {
    ER_ASSIGN_OR_RETURN(sizes, int_list_input(ctx, 1, "split"));
    given = true;
  } else if (ctx.opset() < 13 && ctx.node().has_attr("split")) {
    sizes = ctx.node().attr_ints("split");
    given = true;
  }
  if (given) {
    if (ctx.opset() >= 18 && ctx.node().has_attr("num_outputs"))
      return ctx.error("'split' and 'num_outputs' must not both be given");
    if (static_cast<int64_t>(sizes.size()) != n_out)
      return ctx.error("split has ", sizes.size(), " values but the node has ", n_out, " outputs");
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.error("split has a negative size ", s);
      sum += s;
      if (sum > dim) break;
    }
    if (sum != dim) return ctx.error("split sizes do not add up to the axis length ", dim);
  } else if (ctx.opset() >= 18 && ctx.node().has_attr("num_outputs")) {
    const int64_t k = ctx.node().attr_int("num_outputs", 0);
    if (k != n_out) return ctx.error("num_outputs is ", k, " but the node has ", n_out, " outputs");
    const int64_t chunk = (dim + k - 1) / k;  // the last chunk is smaller when uneven
    int64_t left = dim;
    for (int64_t i = 0; i < k; ++i) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  } else {
    if (dim % n_out != 0) return ctx.error("axis length ", dim, " cannot be split evenly into ", n_out, " outputs");
    sizes.assign(static_cast<size_t>(n_out), dim / n_out);
  }
  for (int64_t k = 0; k < n_out; ++k) {
    Shape s = in;
    s[static_cast<size_t>(*axis)] = sizes[static_cast<size_t>(k)];
    if (ctx.has_output(static_cast<int>(k))) ctx.set_output(static_cast<int>(k), dt, s);
  }
  return make_kernel<SplitKernel>(row_split(in, *axis, sizes, dtype_size(dt)));
}

}  // namespace

void register_concat_split_ops(OpRegistry& r) {
  r.add({"", "Concat", 1, INT_MAX, prepare_concat});
  r.add({"", "Split", 1, INT_MAX, prepare_split});
}

}  // namespace edgerun::shape_ops
