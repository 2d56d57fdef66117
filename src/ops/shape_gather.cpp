// Gather, GatherElements, GatherND. Indices are data: each is bounds-checked at run and an
// out-of-range index is an error Status naming the index and the axis length.
#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

Status check_indices_dtype(const PrepareContext& ctx, int i) {
  const DType dt = ctx.input_dtype(i);
  if (dt != DType::kInt64 && dt != DType::kInt32)
    return ctx.error("indices must be int32 or int64, got ", dtype_name(dt));
  return Status();
}

// Reads index i of an int32/int64 tensor and maps it into [0, dim); false if out of range.
inline bool load_index(const Tensor& t, int64_t i, int64_t dim, int64_t* out) {
  int64_t v = t.dtype() == DType::kInt64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
  if (v < 0) v += dim;
  if (v < 0 || v >= dim) return false;
  *out = v;
  return true;
}

Status index_error(const Tensor& t, int64_t i, int64_t dim) {
  int64_t v = t.dtype() == DType::kInt64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
  return invalid_argument("index ", v, " (at flat position ", i, ") is out of range for an axis of length ", dim);
}

// ---- Gather: out[outer, j, inner] = data[outer, indices[j], inner] ----

class GatherKernel : public OpKernel {
 public:
  GatherKernel(int64_t outer, int64_t axis_dim, size_t inner_bytes)
      : outer_(outer), axis_dim_(axis_dim), inner_bytes_(inner_bytes) {}
  Status run(KernelContext& ctx) override {
    const Tensor& idx = *ctx.inputs[1];
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    const int64_t n = idx.numel();
    for (int64_t j = 0; j < n; ++j) {  // check all first so a bad index leaves no partial work to reason about
      int64_t k;
      if (!load_index(idx, j, axis_dim_, &k)) return index_error(idx, j, axis_dim_);
    }
    for (int64_t o = 0; o < outer_; ++o) {
      const char* row = src + static_cast<size_t>(o * axis_dim_) * inner_bytes_;
      for (int64_t j = 0; j < n; ++j) {
        int64_t k = 0;
        load_index(idx, j, axis_dim_, &k);
        std::memcpy(dst, row + static_cast<size_t>(k) * inner_bytes_, inner_bytes_);
        dst += inner_bytes_;
      }
    }
    return Status();
  }

 private:
  int64_t outer_, axis_dim_;
  size_t inner_bytes_;
};

Expected<std::unique_ptr<OpKernel>> prepare_gather(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "data"));
  ER_RETURN_IF_ERROR(check_indices_dtype(ctx, 1));
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  auto axis = normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int>(data.size()));
  if (!axis.ok()) return ctx.error(axis.status().message());
  Shape out;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < static_cast<int>(data.size()); ++d) {
    if (d < *axis) outer *= data[static_cast<size_t>(d)];
    if (d > *axis) inner *= data[static_cast<size_t>(d)];
  }
  out.insert(out.end(), data.begin(), data.begin() + *axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + *axis + 1, data.end());
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(dt)).status());
  ctx.set_output(0, dt, out);
  return make_kernel<GatherKernel>(outer, data[static_cast<size_t>(*axis)],
                                   static_cast<size_t>(inner) * dtype_size(dt));
}

// ---- GatherElements: out[i0..ik..in] = data[i0..indices[i]..in] ----

class GatherElementsKernel : public OpKernel {
 public:
  GatherElementsKernel(Shape idx_shape, std::vector<int64_t> data_strides, int axis, int64_t axis_dim, size_t elem)
      : idx_shape_(std::move(idx_shape)),
        data_strides_(std::move(data_strides)),
        axis_(axis),
        axis_dim_(axis_dim),
        elem_(elem) {}
  Status run(KernelContext& ctx) override {
    const Tensor& idx = *ctx.inputs[1];
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    const int64_t n = idx.numel();
    if (n == 0) return Status();
    // Walk the indices tensor row by row (last dim innermost), tracking the data offset of the
    // row start without the axis term.
    const size_t r = idx_shape_.size();
    const int64_t last = r ? idx_shape_[r - 1] : 1;
    const int64_t rows = n / last;
    int64_t row_index[kMaxRank] = {};
    for (int64_t row = 0; row < rows; ++row) {
      int64_t base = 0;
      for (size_t d = 0; d + 1 < r; ++d)
        if (static_cast<int>(d) != axis_) base += row_index[d] * data_strides_[d];
      for (int64_t j = 0; j < last; ++j) {
        const int64_t flat = row * last + j;
        int64_t k;
        if (!load_index(idx, flat, axis_dim_, &k)) return index_error(idx, flat, axis_dim_);
        int64_t off = base + k * data_strides_[static_cast<size_t>(axis_)];
        if (r && static_cast<int>(r - 1) != axis_) off += j * data_strides_[r - 1];
        std::memcpy(dst + static_cast<size_t>(flat) * elem_, src + static_cast<size_t>(off) * elem_, elem_);
      }
      for (size_t d = r - 1; d-- > 0;) {  // odometer over all dims but the last
        if (++row_index[d] < idx_shape_[d]) break;
        row_index[d] = 0;
      }
    }
    return Status();
  }
  static constexpr size_t kMaxRank = 32;

 private:
  Shape idx_shape_;
  std::vector<int64_t> data_strides_;
  int axis_;
  int64_t axis_dim_;
  size_t elem_;
};

Expected<std::unique_ptr<OpKernel>> prepare_gather_elements(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "data"));
  ER_RETURN_IF_ERROR(check_indices_dtype(ctx, 1));
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const int r = static_cast<int>(data.size());
  if (static_cast<int>(indices.size()) != r)
    return ctx.error("indices have rank ", indices.size(), ", data has rank ", r);
  if (r == 0) return ctx.error("data must have rank >= 1");
  if (static_cast<size_t>(r) > GatherElementsKernel::kMaxRank)
    return ctx.unsupported_error("rank ", r, " is too large");
  auto axis = normalize_axis(ctx.node().attr_int("axis", 0), r);
  if (!axis.ok()) return ctx.error(axis.status().message());
  for (int d = 0; d < r; ++d)
    if (d != *axis && indices[static_cast<size_t>(d)] > data[static_cast<size_t>(d)])
      return ctx.error("indices shape [", shape_str(indices), "] exceeds data shape [", shape_str(data), "] on axis ",
                       d);
  ctx.set_output(0, dt, indices);
  return make_kernel<GatherElementsKernel>(indices, contiguous_strides(data), *axis, data[static_cast<size_t>(*axis)],
                                           dtype_size(dt));
}

// ---- GatherND: out[b, i] = data[b, indices[b, i, 0..k-1], ...] ----

class GatherNDKernel : public OpKernel {
 public:
  GatherNDKernel(int64_t batches, int64_t tuples_per_batch, int64_t k, std::vector<int64_t> dims,
                 std::vector<int64_t> strides, int64_t batch_stride, size_t slice_bytes, size_t elem)
      : batches_(batches),
        tuples_(tuples_per_batch),
        k_(k),
        dims_(std::move(dims)),
        strides_(std::move(strides)),
        batch_stride_(batch_stride),
        slice_bytes_(slice_bytes),
        elem_(elem) {}
  Status run(KernelContext& ctx) override {
    const Tensor& idx = *ctx.inputs[1];
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    for (int64_t b = 0; b < batches_; ++b) {
      for (int64_t t = 0; t < tuples_; ++t) {
        const int64_t base = (b * tuples_ + t) * k_;
        int64_t off = b * batch_stride_;
        for (int64_t j = 0; j < k_; ++j) {
          int64_t v;
          const int64_t dim = dims_[static_cast<size_t>(j)];
          if (!load_index(idx, base + j, dim, &v)) return index_error(idx, base + j, dim);
          off += v * strides_[static_cast<size_t>(j)];
        }
        if (slice_bytes_) std::memcpy(dst, src + static_cast<size_t>(off) * elem_, slice_bytes_);
        dst += slice_bytes_;
      }
    }
    return Status();
  }

 private:
  int64_t batches_, tuples_, k_;
  std::vector<int64_t> dims_, strides_;  // of the k indexed data dims (after the batch dims)
  int64_t batch_stride_;                 // data elements per batch
  size_t slice_bytes_, elem_;
};

Expected<std::unique_ptr<OpKernel>> prepare_gather_nd(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "data"));
  if (ctx.input_dtype(1) != DType::kInt64) return ctx.error("indices must be int64");
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const int64_t b = ctx.opset() >= 12 ? ctx.node().attr_int("batch_dims", 0) : 0;
  const int64_t r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(indices.size());
  if (r < 1 || q < 1) return ctx.error("data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q))
    return ctx.error("batch_dims ", b, " must be in [0, min(rank(data), rank(indices)))");
  for (int64_t d = 0; d < b; ++d)
    if (data[static_cast<size_t>(d)] != indices[static_cast<size_t>(d)])
      return ctx.error("batch dim ", d, " differs between data [", shape_str(data), "] and indices [",
                       shape_str(indices), "]");
  const int64_t k = indices.back();
  if (k < 1 || k > r - b) return ctx.error("indices last dim ", k, " must be in [1, ", r - b, "]");
  Shape out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), data.begin() + b + k, data.end());
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(dt)).status());
  ctx.set_output(0, dt, out);

  const std::vector<int64_t> st = contiguous_strides(data);
  int64_t batches = 1, tuples = 1, slice = 1;
  for (int64_t d = 0; d < b; ++d) batches *= data[static_cast<size_t>(d)];
  for (int64_t d = b; d < q - 1; ++d) tuples *= indices[static_cast<size_t>(d)];
  for (int64_t d = b + k; d < r; ++d) slice *= data[static_cast<size_t>(d)];
  const int64_t batch_stride = b > 0 ? st[static_cast<size_t>(b - 1)] : 0;
  std::vector<int64_t> dims(data.begin() + b, data.begin() + b + k), strides(st.begin() + b, st.begin() + b + k);
  return make_kernel<GatherNDKernel>(batches, tuples, k, std::move(dims), std::move(strides), batch_stride,
                                     static_cast<size_t>(slice) * dtype_size(dt), dtype_size(dt));
}

}  // namespace

void register_gather_ops(OpRegistry& r) {
  r.add({"", "Gather", 1, INT_MAX, prepare_gather});
  r.add({"", "GatherElements", 11, INT_MAX, prepare_gather_elements});
  r.add({"", "GatherND", 11, INT_MAX, prepare_gather_nd});
}

}  // namespace edgerun::shape_ops
