// Ops whose output is known at prepare from attributes or input shapes: Shape, Size, Constant,
// Range, EyeLike (set as constants so the planner folds their consumers), and ConstantOfShape
// (a fill kernel, so a large output lives in the arena rather than in the plan).
#include <cmath>

#include "core/half.h"
#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

// Outputs materialized at prepare are held by the plan; refuse absurd sizes from data
// instead of failing an allocation.
constexpr int64_t kMaxPrepareBytes = int64_t{1} << 32;

Expected<Tensor> make_prepare_tensor(const PrepareContext& ctx, DType dtype, const Shape& shape) {
  ER_ASSIGN_OR_RETURN(int64_t n, checked_numel(ctx, shape, dtype_size(dtype)));
  if (n * static_cast<int64_t>(dtype_size(dtype)) > kMaxPrepareBytes)
    return ctx.unsupported_error("output of shape [", shape_str(shape), "] is too large to build at prepare");
  return Tensor::empty(dtype, shape);
}

Expected<std::unique_ptr<OpKernel>> prepare_shape(PrepareContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const int64_t r = static_cast<int64_t>(in.size());
  int64_t start = 0, end = r;
  if (ctx.opset() >= 15) {
    start = ctx.node().attr_int("start", 0);
    end = ctx.node().attr_int("end", r);
  }
  auto clamp = [r](int64_t v) { return std::min(std::max(v < 0 ? v + r : v, int64_t{0}), r); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  Tensor out = Tensor::empty(DType::kInt64, {end - start});
  for (int64_t i = start; i < end; ++i) out.data<int64_t>()[i - start] = in[static_cast<size_t>(i)];
  ctx.set_output_constant(0, std::move(out));
  return no_op_kernel();
}

Expected<std::unique_ptr<OpKernel>> prepare_size(PrepareContext& ctx) {
  Tensor out = Tensor::empty(DType::kInt64, {});
  out.data<int64_t>()[0] = shape_numel(ctx.input_shape(0));
  ctx.set_output_constant(0, std::move(out));
  return no_op_kernel();
}

Expected<std::unique_ptr<OpKernel>> prepare_constant(PrepareContext& ctx) {
  const Node& n = ctx.node();
  Tensor out;
  int count = 0;
  for (const Attribute& a : n.attrs) {
    if (a.name == "value") {
      if (!a.t.defined() || dtype_size(a.t.dtype()) == 0)
        return ctx.unsupported_error("'value' tensor has a dtype edgerun cannot hold");
      out = a.t;
    } else if (a.name == "value_float") {
      out = Tensor::empty(DType::kFloat32, {});
      out.data<float>()[0] = a.f;
    } else if (a.name == "value_floats") {
      out = Tensor::from_vector<float>(DType::kFloat32, {static_cast<int64_t>(a.floats.size())}, a.floats);
    } else if (a.name == "value_int") {
      out = Tensor::empty(DType::kInt64, {});
      out.data<int64_t>()[0] = a.i;
    } else if (a.name == "value_ints") {
      out = Tensor::from_vector<int64_t>(DType::kInt64, {static_cast<int64_t>(a.ints.size())}, a.ints);
    } else if (a.name == "sparse_value" || a.name == "value_string" || a.name == "value_strings") {
      return ctx.unsupported_error("attribute '", a.name, "' is not supported");
    } else {
      continue;
    }
    ++count;
  }
  if (count != 1) return ctx.error("exactly one value attribute is required, got ", count);
  ctx.set_output_constant(0, std::move(out));
  return no_op_kernel();
}

class FillKernel : public OpKernel {
 public:
  explicit FillKernel(std::vector<uint8_t> value) : value_(std::move(value)) {}
  Status run(KernelContext& ctx) override {
    Tensor& out = *ctx.outputs[0];
    char* p = static_cast<char*>(out.raw_data());
    const size_t e = value_.size();
    bool zero = true;
    for (uint8_t b : value_) zero = zero && b == 0;
    if (zero) {
      std::memset(p, 0, out.nbytes());
    } else {
      for (int64_t i = 0; i < out.numel(); ++i) std::memcpy(p + static_cast<size_t>(i) * e, value_.data(), e);
    }
    return Status();
  }

 private:
  std::vector<uint8_t> value_;  // bytes of one element
};

Expected<std::unique_ptr<OpKernel>> prepare_constant_of_shape(PrepareContext& ctx) {
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> dims, int_list_input(ctx, 0, "shape"));
  DType dtype = DType::kFloat32;
  std::vector<uint8_t> value(4, 0);
  if (const Attribute* a = ctx.node().attr("value")) {
    if (!a->t.defined() || dtype_size(a->t.dtype()) == 0)
      return ctx.unsupported_error("'value' tensor has a dtype edgerun cannot hold");
    if (a->t.numel() != 1) return ctx.error("'value' must hold exactly one element, got ", a->t.numel());
    dtype = a->t.dtype();
    value.assign(static_cast<const uint8_t*>(a->t.raw_data()),
                 static_cast<const uint8_t*>(a->t.raw_data()) + dtype_size(dtype));
  }
  Shape shape(dims.begin(), dims.end());
  ER_RETURN_IF_ERROR(checked_numel(ctx, shape, dtype_size(dtype)).status());
  ctx.set_output(0, dtype, std::move(shape));
  return make_kernel<FillKernel>(std::move(value));
}

// Range: out[i] = start + i * delta, computed in the input type as the spec's loop does.
template <class T>
void fill_range(Tensor& out, T start, T delta) {
  T* p = out.data<T>();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = static_cast<T>(start + static_cast<T>(i) * delta);
}

Expected<std::unique_ptr<OpKernel>> prepare_range(PrepareContext& ctx) {
  const Tensor* v[3];
  for (int i = 0; i < 3; ++i) {
    ER_ASSIGN_OR_RETURN(v[i], ctx.input_value(i));
    if (v[i]->numel() != 1)
      return ctx.error("input ", i, " must be a scalar, got shape [", shape_str(v[i]->shape()), "]");
    if (v[i]->dtype() != v[0]->dtype()) return ctx.error("start, limit and delta must have the same dtype");
  }
  const DType dt = v[0]->dtype();
  int64_t count = 0;
  switch (dt) {
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64: {
      const __int128 start = read_int(*v[0], 0), limit = read_int(*v[1], 0), delta = read_int(*v[2], 0);
      if (delta == 0) return ctx.error("delta must not be 0");
      __int128 span = limit - start;
      // ceil(span / delta) for either sign of delta.
      __int128 q = span / delta;
      if (q * delta != span && ((span > 0) == (delta > 0))) ++q;
      count = q > 0 ? static_cast<int64_t>(std::min<__int128>(q, INT64_MAX)) : 0;
      break;
    }
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kFloat16:
    case DType::kBFloat16: {
      const double start = read_double(*v[0], 0), limit = read_double(*v[1], 0), delta = read_double(*v[2], 0);
      if (delta == 0.0 || !std::isfinite(delta) || !std::isfinite(start) || !std::isfinite(limit))
        return ctx.error("start, limit and delta must be finite and delta non-zero");
      double c = std::ceil((limit - start) / delta);
      if (c > 9.0e18) return ctx.unsupported_error("Range has too many elements");
      count = c > 0 ? static_cast<int64_t>(c) : 0;
      break;
    }
    default:
      return ctx.unsupported_error("dtype ", dtype_name(dt), " is not supported");
  }
  ER_ASSIGN_OR_RETURN(Tensor out, make_prepare_tensor(ctx, dt, {count}));
  switch (dt) {
    case DType::kInt16:
      fill_range<int16_t>(out, v[0]->data<int16_t>()[0], v[2]->data<int16_t>()[0]);
      break;
    case DType::kInt32:
      fill_range<int32_t>(out, v[0]->data<int32_t>()[0], v[2]->data<int32_t>()[0]);
      break;
    case DType::kInt64:
      fill_range<int64_t>(out, v[0]->data<int64_t>()[0], v[2]->data<int64_t>()[0]);
      break;
    case DType::kFloat32:
      fill_range<float>(out, v[0]->data<float>()[0], v[2]->data<float>()[0]);
      break;
    case DType::kFloat64:
      fill_range<double>(out, v[0]->data<double>()[0], v[2]->data<double>()[0]);
      break;
    default: {  // 16-bit floats: compute in float, round each element once
      const float start = static_cast<float>(read_double(*v[0], 0)), delta = static_cast<float>(read_double(*v[2], 0));
      for (int64_t i = 0; i < count; ++i) write_double(out, i, start + static_cast<float>(i) * delta);
    }
  }
  ctx.set_output_constant(0, std::move(out));
  return no_op_kernel();
}

Expected<std::unique_ptr<OpKernel>> prepare_eye_like(PrepareContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (in.size() != 2) return ctx.error("input must be 2-D, got shape [", shape_str(in), "]");
  DType dt = ctx.input_dtype(0);
  if (const Attribute* a = ctx.node().attr("dtype")) {
    if (!dtype_is_valid(static_cast<int32_t>(a->i))) return ctx.unsupported_error("dtype ", a->i, " is not supported");
    dt = static_cast<DType>(a->i);
  }
  if (dtype_size(dt) == 0) return ctx.unsupported_error("dtype ", dtype_name(dt), " is not supported");
  const int64_t k = ctx.node().attr_int("k", 0);
  ER_ASSIGN_OR_RETURN(Tensor out, make_prepare_tensor(ctx, dt, in));
  const int64_t rows = in[0], cols = in[1];
  for (int64_t i = 0; i < rows; ++i) {
    // Column i + k, done in a way that cannot overflow for extreme k.
    if (k >= cols || k <= -rows) break;
    const int64_t j = i + k;
    if (j >= 0 && j < cols) write_double(out, i * cols + j, 1.0);
  }
  ctx.set_output_constant(0, std::move(out));
  return no_op_kernel();
}

}  // namespace

void register_constant_ops(OpRegistry& r) {
  r.add({"", "Shape", 1, INT_MAX, prepare_shape});
  r.add({"", "Size", 1, INT_MAX, prepare_size});
  r.add({"", "Constant", 1, INT_MAX, prepare_constant});
  r.add({"", "ConstantOfShape", 9, INT_MAX, prepare_constant_of_shape});
  r.add({"", "Range", 11, INT_MAX, prepare_range});
  r.add({"", "EyeLike", 9, INT_MAX, prepare_eye_like});
}

}  // namespace edgerun::shape_ops
