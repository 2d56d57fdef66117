#include "ops/shape_util.h"

#include "kernels/f32-conv/im2col.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/half.h"
#include "ops/op_util.h"

namespace edgerun::shape_ops {

Expected<int64_t> checked_numel(const Shape& shape, size_t elem_size) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_model("negative dimension ", d, " in shape [", shape_str(shape), "]");
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return invalid_model("shape [", shape_str(shape), "] has too many elements");
    n *= d;
  }
  if (elem_size > 1 && n > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(elem_size))
    return invalid_model("shape [", shape_str(shape), "] is too large in bytes");
  return n;
}

Expected<int64_t> checked_numel(const PrepareContext& ctx, const Shape& shape, size_t elem_size) {
  auto n = checked_numel(shape, elem_size);
  if (!n.ok()) return ctx.error(n.status().message());
  return n;
}

Status check_copyable(const PrepareContext& ctx, DType dtype, const char* what) {
  if (dtype_size(dtype) == 0) return ctx.unsupported_error(what, " has dtype ", dtype_name(dtype), ", not supported");
  return Status();
}

Expected<std::vector<int64_t>> int_list_input(PrepareContext& ctx, int i, const char* what) {
  ER_ASSIGN_OR_RETURN(const Tensor* t, ctx.input_value(i));
  if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32)
    return ctx.error(what, " must be int64 or int32, got ", dtype_name(t->dtype()));
  if (t->rank() > 1) return ctx.error(what, " must be a 1-D tensor, got shape [", shape_str(t->shape()), "]");
  return read_ints(*t);
}

Expected<std::vector<int>> normalize_axes(const PrepareContext& ctx, const std::vector<int64_t>& axes, int rank,
                                          const char* what) {
  std::vector<int> out;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return ctx.error(what, " value ", a, " is out of range for rank ", rank);
    int n = static_cast<int>(a < 0 ? a + rank : a);
    if (seen[static_cast<size_t>(n)]) return ctx.error(what, " repeats axis ", a);
    seen[static_cast<size_t>(n)] = true;
    out.push_back(n);
  }
  return out;
}

namespace {

template <class T>
T saturate_round(double v) {
  if (std::isnan(v)) return T(0);
  double r = std::nearbyint(v);
  if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(r);
}

template <class T>
void store(void* out, T v) {
  std::memcpy(out, &v, sizeof(T));
}

}  // namespace

void encode_double(DType dtype, double v, void* out) {
  switch (dtype) {
    case DType::kFloat32:
      store(out, static_cast<float>(v));
      break;
    case DType::kFloat64:
      store(out, v);
      break;
    case DType::kFloat16:
      store(out, float_to_half(static_cast<float>(v)));
      break;
    case DType::kBFloat16:
      store(out, float_to_bfloat16(static_cast<float>(v)));
      break;
    case DType::kInt8:
      store(out, saturate_round<int8_t>(v));
      break;
    case DType::kUInt8:
      store(out, saturate_round<uint8_t>(v));
      break;
    case DType::kInt16:
      store(out, saturate_round<int16_t>(v));
      break;
    case DType::kUInt16:
      store(out, saturate_round<uint16_t>(v));
      break;
    case DType::kInt32:
      store(out, saturate_round<int32_t>(v));
      break;
    case DType::kUInt32:
      store(out, saturate_round<uint32_t>(v));
      break;
    case DType::kInt64:
      store(out, saturate_round<int64_t>(v));
      break;
    case DType::kUInt64:
      store(out, saturate_round<uint64_t>(v));
      break;
    case DType::kBool:
      store(out, static_cast<uint8_t>(v != 0.0 ? 1 : 0));
      break;
    case DType::kUndefined:
    case DType::kString:
      break;
  }
}

void write_double(Tensor& t, int64_t i, double v) {
  encode_double(t.dtype(), v, static_cast<char*>(t.raw_data()) + static_cast<size_t>(i) * dtype_size(t.dtype()));
}

// ---- StridedCopy ----

StridedCopy::StridedCopy(size_t elem_size, const Shape& shape, const std::vector<int64_t>& dst_strides,
                         const std::vector<int64_t>& src_strides)
    : elem_(elem_size), numel_(shape_numel(shape)) {
  const int64_t e = static_cast<int64_t>(elem_size);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    // Merge with the previous (outer) dim when it steps exactly over this one in both tensors.
    if (!shape_.empty() && dst_bytes_.back() == dst_strides[i] * e * shape[i] &&
        src_bytes_.back() == src_strides[i] * e * shape[i]) {
      shape_.back() *= shape[i];
      dst_bytes_.back() = dst_strides[i] * e;
      src_bytes_.back() = src_strides[i] * e;
      continue;
    }
    shape_.push_back(shape[i]);
    dst_bytes_.push_back(dst_strides[i] * e);
    src_bytes_.push_back(src_strides[i] * e);
  }
  if (shape_.empty()) {
    shape_.push_back(1);
    dst_bytes_.push_back(e);
    src_bytes_.push_back(e);
  }
}

namespace {

template <size_t E>
void copy_row(char* dst, const char* src, int64_t n, int64_t ds, int64_t ss) {
  for (int64_t i = 0; i < n; ++i, dst += ds, src += ss) std::memcpy(dst, src, E);
}

// [rows, cols] tail whose source is contiguous along rows and destination along cols (a 2-D
// transpose, e.g. NCHW -> NHWC): walk it in square tiles so both sides stay in cache.
template <size_t E>
void copy_transposed(char* dst, const char* src, int64_t rows, int64_t cols, int64_t dst_row, int64_t src_col) {
  constexpr int64_t kTile = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = std::min(cols, c0 + kTile);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r)
          std::memcpy(dst + r * dst_row + c * static_cast<int64_t>(E), src + r * static_cast<int64_t>(E) + c * src_col,
                      E);
    }
  }
}

}  // namespace

void StridedCopy::copy_dim(size_t d, char* dst, const char* src) const {
  const int64_t n = shape_[d];
  const int64_t ds = dst_bytes_[d], ss = src_bytes_[d];
  const int64_t e = static_cast<int64_t>(elem_);
  if (d + 2 == shape_.size() && ss == e && dst_bytes_[d + 1] == e && src_bytes_[d + 1] != e && n >= 8 &&
      shape_[d + 1] >= 8) {
    const int64_t cols = shape_[d + 1], sc = src_bytes_[d + 1];
    switch (elem_) {
      case 1:
        copy_transposed<1>(dst, src, n, cols, ds, sc);
        return;
      case 2:
        copy_transposed<2>(dst, src, n, cols, ds, sc);
        return;
      case 4:
        copy_transposed<4>(dst, src, n, cols, ds, sc);
        return;
      case 8:
        copy_transposed<8>(dst, src, n, cols, ds, sc);
        return;
      default:
        break;
    }
  }
  if (d + 1 < shape_.size()) {
    for (int64_t i = 0; i < n; ++i) copy_dim(d + 1, dst + i * ds, src + i * ss);
    return;
  }
  if (ds == e && ss == e) {
    std::memcpy(dst, src, static_cast<size_t>(n * e));
    return;
  }
  if (e == 4 && ds == 4 && ss == 8) {  // every other element (YOLOX's Focus slices, ::2 steps)
    kernels::gather_s2_f32(reinterpret_cast<const float*>(src), reinterpret_cast<float*>(dst), n);
    return;
  }
  switch (elem_) {
    case 1:
      copy_row<1>(dst, src, n, ds, ss);
      break;
    case 2:
      copy_row<2>(dst, src, n, ds, ss);
      break;
    case 4:
      copy_row<4>(dst, src, n, ds, ss);
      break;
    case 8:
      copy_row<8>(dst, src, n, ds, ss);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * ds, src + i * ss, elem_);
  }
}

void StridedCopy::run(void* dst, const void* src) const {
  if (numel_ == 0) return;
  copy_dim(0, static_cast<char*>(dst), static_cast<const char*>(src));
}

Status CopyKernel::run(KernelContext& ctx) {
  const Tensor& in = *ctx.inputs[0];
  Tensor& out = *ctx.outputs[0];
  if (out.raw_data() != in.raw_data() && out.nbytes() > 0) std::memcpy(out.raw_data(), in.raw_data(), out.nbytes());
  return Status();
}

}  // namespace edgerun::shape_ops
