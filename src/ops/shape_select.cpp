// Ops that select or place elements by value: OneHot, Trilu, and the data-dependent-shape ops
// Compress and NonZero, which work only when the deciding input is known at prepare (a
// constant or a graph input); otherwise prepare reports them unsupported.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

// ---- OneHot: out[o, d, i] = values[1] if indices[o, i] (negative counts from depth) == d, else values[0] ----

class OneHotKernel : public OpKernel {
 public:
  OneHotKernel(int64_t outer, int64_t depth, int64_t inner, size_t elem)
      : outer_(outer), depth_(depth), inner_(inner), elem_(elem) {}
  Status run(KernelContext& ctx) override {
    const Tensor& idx = *ctx.inputs[0];
    const char* values = static_cast<const char*>(ctx.inputs[2]->raw_data());
    char* out = static_cast<char*>(ctx.outputs[0]->raw_data());
    const int64_t n = ctx.outputs[0]->numel();
    for (int64_t i = 0; i < n; ++i) std::memcpy(out + static_cast<size_t>(i) * elem_, values, elem_);
    for (int64_t o = 0; o < outer_; ++o) {
      for (int64_t i = 0; i < inner_; ++i) {
        const double raw = read_double(idx, o * inner_ + i);
        // The spec defines out-of-range indices (outside [-depth, depth-1]) as all off_value.
        if (!(raw > -static_cast<double>(depth_) - 1.0 && raw < static_cast<double>(depth_))) continue;
        int64_t v = static_cast<int64_t>(raw);
        if (v < 0) v += depth_;
        if (v < 0 || v >= depth_) continue;
        std::memcpy(out + static_cast<size_t>((o * depth_ + v) * inner_ + i) * elem_, values + elem_, elem_);
      }
    }
    return Status();
  }

 private:
  int64_t outer_, depth_, inner_;
  size_t elem_;
};

Expected<std::unique_ptr<OpKernel>> prepare_one_hot(PrepareContext& ctx) {
  const DType it = ctx.input_dtype(0);
  if (dtype_size(it) == 0 || it == DType::kBool) return ctx.error("indices must be numeric, got ", dtype_name(it));
  const DType vt = ctx.input_dtype(2);
  ER_RETURN_IF_ERROR(check_copyable(ctx, vt, "values"));
  if (shape_numel(ctx.input_shape(2)) != 2) return ctx.error("values must hold 2 elements [off, on]");
  ER_ASSIGN_OR_RETURN(const Tensor* depth_t, ctx.input_value(1));
  if (depth_t->numel() != 1) return ctx.error("depth must hold one value");
  const double depth_d = read_double(*depth_t, 0);
  if (!(depth_d >= 1.0 && depth_d < 9.0e18)) return ctx.error("depth must be positive, got ", depth_d);
  const int64_t depth = static_cast<int64_t>(depth_d);
  const Shape& in = ctx.input_shape(0);
  const int out_rank = static_cast<int>(in.size()) + 1;
  auto axis = normalize_axis(ctx.node().attr_int("axis", -1), out_rank);
  if (!axis.ok()) return ctx.error(axis.status().message());
  Shape out(in.begin(), in.begin() + *axis);
  out.push_back(depth);
  out.insert(out.end(), in.begin() + *axis, in.end());
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(vt)).status());
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < static_cast<int>(in.size()); ++d) (d < *axis ? outer : inner) *= in[static_cast<size_t>(d)];
  ctx.set_output(0, vt, out);
  return make_kernel<OneHotKernel>(outer, depth, inner, dtype_size(vt));
}

// ---- Trilu: keep the upper (j - i >= k) or lower (j - i <= k) triangle of each [N, M] matrix ----

class TriluKernel : public OpKernel {
 public:
  TriluKernel(bool upper, int64_t rows, int64_t cols, size_t elem)
      : upper_(upper), rows_(rows), cols_(cols), elem_(elem) {}
  Status run(KernelContext& ctx) override {
    int64_t k = 0;
    if (ctx.inputs.size() > 1 && ctx.inputs[1]) k = read_int(*ctx.inputs[1], 0);
    k = std::clamp<int64_t>(k, -rows_ - 1, cols_ + 1);  // beyond these, the result no longer changes
    const Tensor& in = *ctx.inputs[0];
    Tensor& out = *ctx.outputs[0];
    const char* src = static_cast<const char*>(in.raw_data());
    char* dst = static_cast<char*>(out.raw_data());
    const size_t row_bytes = static_cast<size_t>(cols_) * elem_;
    const int64_t mats = rows_ * cols_ == 0 ? 0 : in.numel() / (rows_ * cols_);
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t i = 0; i < rows_; ++i) {
        const size_t off = static_cast<size_t>(m * rows_ + i) * row_bytes;
        // Columns [keep_lo, keep_hi) are copied, the rest zeroed.
        int64_t keep_lo = upper_ ? std::clamp<int64_t>(i + k, 0, cols_) : 0;
        int64_t keep_hi = upper_ ? cols_ : std::clamp<int64_t>(i + k + 1, 0, cols_);
        if (keep_hi < keep_lo) keep_hi = keep_lo;
        std::memset(dst + off, 0, static_cast<size_t>(keep_lo) * elem_);
        std::memcpy(dst + off + static_cast<size_t>(keep_lo) * elem_, src + off + static_cast<size_t>(keep_lo) * elem_,
                    static_cast<size_t>(keep_hi - keep_lo) * elem_);
        std::memset(dst + off + static_cast<size_t>(keep_hi) * elem_, 0, static_cast<size_t>(cols_ - keep_hi) * elem_);
      }
    }
    return Status();
  }

 private:
  bool upper_;
  int64_t rows_, cols_;
  size_t elem_;
};

Expected<std::unique_ptr<OpKernel>> prepare_trilu(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  const Shape& in = ctx.input_shape(0);
  if (in.size() < 2) return ctx.error("input must have rank >= 2, got [", shape_str(in), "]");
  if (ctx.has_input(1)) {
    if (ctx.input_dtype(1) != DType::kInt64) return ctx.error("k must be int64");
    if (shape_numel(ctx.input_shape(1)) != 1) return ctx.error("k must be a scalar");
  }
  ctx.set_output(0, dt, in);
  return make_kernel<TriluKernel>(ctx.node().attr_int("upper", 1) != 0, in[in.size() - 2], in.back(), dtype_size(dt));
}

// ---- Compress: the slices along `axis` (or of the flattened input) where condition is true ----

class CompressKernel : public OpKernel {
 public:
  CompressKernel(int64_t outer, int64_t axis_dim, size_t inner_bytes, std::vector<int64_t> keep)
      : outer_(outer), axis_dim_(axis_dim), inner_bytes_(inner_bytes), keep_(std::move(keep)) {}
  Status run(KernelContext& ctx) override {
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    for (int64_t o = 0; o < outer_; ++o) {
      const char* row = src + static_cast<size_t>(o * axis_dim_) * inner_bytes_;
      for (int64_t k : keep_) {
        std::memcpy(dst, row + static_cast<size_t>(k) * inner_bytes_, inner_bytes_);
        dst += inner_bytes_;
      }
    }
    return Status();
  }

 private:
  int64_t outer_, axis_dim_;
  size_t inner_bytes_;
  std::vector<int64_t> keep_;  // selected indices along the axis
};

Expected<std::unique_ptr<OpKernel>> prepare_compress(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  ER_ASSIGN_OR_RETURN(const Tensor* cond, ctx.input_value(1));
  if (cond->rank() != 1) return ctx.error("condition must be 1-D, got [", shape_str(cond->shape()), "]");
  const Shape& in = ctx.input_shape(0);
  int64_t outer = 1, dim = shape_numel(in), inner = 1;
  int axis = -1;
  if (ctx.node().has_attr("axis")) {
    auto a = normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int>(in.size()));
    if (!a.ok()) return ctx.error(a.status().message());
    axis = *a;
    dim = in[static_cast<size_t>(axis)];
    outer = inner = 1;
    for (int d = 0; d < static_cast<int>(in.size()); ++d) {
      if (d < axis) outer *= in[static_cast<size_t>(d)];
      if (d > axis) inner *= in[static_cast<size_t>(d)];
    }
  }
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < cond->numel(); ++i) {
    if (read_double(*cond, i) == 0.0) continue;
    if (i >= dim) return ctx.error("condition selects index ", i, " of an axis of length ", dim);
    keep.push_back(i);
  }
  Shape out;
  if (axis < 0) {
    out = {static_cast<int64_t>(keep.size())};
  } else {
    out = in;
    out[static_cast<size_t>(axis)] = static_cast<int64_t>(keep.size());
  }
  ctx.set_output(0, dt, out);
  return make_kernel<CompressKernel>(outer, dim, static_cast<size_t>(inner) * dtype_size(dt), std::move(keep));
}

// ---- NonZero: int64 [rank, count] coordinates of the non-zero elements, row-major order ----

Expected<std::unique_ptr<OpKernel>> prepare_non_zero(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  ER_ASSIGN_OR_RETURN(const Tensor* x, ctx.input_value(0));
  Shape shape = x->shape();
  if (shape.empty()) shape = {1};  // a scalar behaves as a 1-element vector (as numpy does)
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < x->numel(); ++i)
    if (read_double(*x, i) != 0.0) hits.push_back(i);
  const int64_t r = static_cast<int64_t>(shape.size()), n = static_cast<int64_t>(hits.size());
  Tensor out = Tensor::empty(DType::kInt64, {r, n});
  const std::vector<int64_t> st = contiguous_strides(shape);
  for (int64_t j = 0; j < n; ++j) {
    int64_t rem = hits[static_cast<size_t>(j)];
    for (int64_t d = 0; d < r; ++d) {
      out.data<int64_t>()[d * n + j] = rem / st[static_cast<size_t>(d)];
      rem %= st[static_cast<size_t>(d)];
    }
  }
  ctx.set_output_constant(0, std::move(out));
  return no_op_kernel();
}

}  // namespace

void register_select_ops(OpRegistry& r) {
  r.add({"", "OneHot", 9, INT_MAX, prepare_one_hot});
  r.add({"", "Trilu", 14, INT_MAX, prepare_trilu});
  r.add({"", "Compress", 9, INT_MAX, prepare_compress});
  r.add({"", "NonZero", 9, INT_MAX, prepare_non_zero});
}

}  // namespace edgerun::shape_ops
