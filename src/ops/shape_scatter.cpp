// ScatterElements (and its deprecated opset 9-10 name Scatter) and ScatterND: output = data with
// updates written (or reduced: add, mul, max, min) at the given indices. Indices are
// bounds-checked at run; out of range is an error Status.
#include <algorithm>
#include <type_traits>

#include "core/half.h"
#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

// How an element is stored (S) and computed on (C).
template <class T>
struct PlainCodec {
  using S = T;
  using C = T;
  static C load(S v) { return v; }
  static S store(C v) { return v; }
};
struct HalfCodec {
  using S = uint16_t;
  using C = float;
  static C load(S v) { return half_to_float(v); }
  static S store(C v) { return float_to_half(v); }
};
struct BFloat16Codec {
  using S = uint16_t;
  using C = float;
  static C load(S v) { return bfloat16_to_float(v); }
  static S store(C v) { return float_to_bfloat16(v); }
};

// Integer add/mul wrap around (two's complement) instead of overflowing.
struct OpNone {
  template <class C>
  static C apply(C, C b) {
    return b;
  }
};
struct OpAdd {
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_integral_v<C>)
      return static_cast<C>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    else
      return a + b;
  }
};
struct OpMul {
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_integral_v<C>)
      return static_cast<C>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    else
      return a * b;
  }
};
struct OpMax {
  template <class C>
  static C apply(C a, C b) {
    return std::max(a, b);
  }
};
struct OpMin {
  template <class C>
  static C apply(C a, C b) {
    return std::min(a, b);
  }
};

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

// ---- ScatterElements ----

constexpr size_t kMaxRank = 32;

struct ElementsParams {
  Shape idx_shape;
  std::vector<int64_t> data_strides;
  int axis = 0;
  int64_t axis_dim = 0;
};

template <class Codec, class Op>
Status scatter_elements(const ElementsParams& p, KernelContext& ctx) {
  using S = typename Codec::S;
  const Tensor& idx = *ctx.inputs[1];
  const S* upd = ctx.inputs[2]->data<S>();
  S* out = ctx.outputs[0]->data<S>();
  std::memcpy(out, ctx.inputs[0]->raw_data(), ctx.outputs[0]->nbytes());
  const int64_t n = idx.numel();
  if (n == 0) return Status();
  const size_t r = p.idx_shape.size();
  const int64_t last = p.idx_shape[r - 1];
  const int64_t rows = n / last;
  const bool axis_is_last = static_cast<size_t>(p.axis) == r - 1;
  int64_t row_index[kMaxRank] = {};
  for (int64_t row = 0; row < rows; ++row) {
    int64_t base = 0;
    for (size_t d = 0; d + 1 < r; ++d)
      if (static_cast<int>(d) != p.axis) base += row_index[d] * p.data_strides[d];
    for (int64_t j = 0; j < last; ++j) {
      const int64_t flat = row * last + j;
      int64_t k;
      if (!load_index(idx, flat, p.axis_dim, &k)) return index_error(idx, flat, p.axis_dim);
      int64_t off = base + k * p.data_strides[static_cast<size_t>(p.axis)];
      if (!axis_is_last) off += j * p.data_strides[r - 1];
      out[off] = Codec::store(Op::apply(Codec::load(out[off]), Codec::load(upd[flat])));
    }
    for (size_t d = r - 1; d-- > 0;) {
      if (++row_index[d] < p.idx_shape[d]) break;
      row_index[d] = 0;
    }
  }
  return Status();
}

// ---- ScatterND ----

struct NDParams {
  int64_t tuples = 0;                  // number of index tuples
  int64_t k = 0;                       // values per tuple
  std::vector<int64_t> dims, strides;  // of the first k data dims
  int64_t slice = 0;                   // elements updated per tuple
};

template <class Codec, class Op>
Status scatter_nd(const NDParams& p, KernelContext& ctx) {
  using S = typename Codec::S;
  const Tensor& idx = *ctx.inputs[1];
  const S* upd = ctx.inputs[2]->data<S>();
  S* out = ctx.outputs[0]->data<S>();
  std::memcpy(out, ctx.inputs[0]->raw_data(), ctx.outputs[0]->nbytes());
  for (int64_t t = 0; t < p.tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < p.k; ++j) {
      int64_t v;
      const int64_t dim = p.dims[static_cast<size_t>(j)];
      if (!load_index(idx, t * p.k + j, dim, &v)) return index_error(idx, t * p.k + j, dim);
      off += v * p.strides[static_cast<size_t>(j)];
    }
    const S* u = upd + t * p.slice;
    for (int64_t i = 0; i < p.slice; ++i)
      out[off + i] = Codec::store(Op::apply(Codec::load(out[off + i]), Codec::load(u[i])));
  }
  return Status();
}

template <class Params>
using ScatterFn = Status (*)(const Params&, KernelContext&);

template <class Params>
class ScatterKernel : public OpKernel {
 public:
  ScatterKernel(Params p, ScatterFn<Params> fn) : p_(std::move(p)), fn_(fn) {}
  Status run(KernelContext& ctx) override { return fn_(p_, ctx); }

 private:
  Params p_;
  ScatterFn<Params> fn_;
};

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

template <class Codec, class Params, template <class, class> class Loop>
ScatterFn<Params> pick_op(Reduction r) {
  switch (r) {
    case Reduction::kNone:
      return &Loop<Codec, OpNone>::run;
    case Reduction::kAdd:
      return &Loop<Codec, OpAdd>::run;
    case Reduction::kMul:
      return &Loop<Codec, OpMul>::run;
    case Reduction::kMax:
      return &Loop<Codec, OpMax>::run;
    case Reduction::kMin:
      return &Loop<Codec, OpMin>::run;
  }
  return nullptr;
}

template <class Codec, class Op>
struct ElementsLoop {
  static Status run(const ElementsParams& p, KernelContext& ctx) { return scatter_elements<Codec, Op>(p, ctx); }
};
template <class Codec, class Op>
struct NDLoop {
  static Status run(const NDParams& p, KernelContext& ctx) { return scatter_nd<Codec, Op>(p, ctx); }
};

// The loop for this dtype and reduction; plain assignment only needs the element size.
template <class Params, template <class, class> class Loop>
ScatterFn<Params> pick_fn(DType dt, Reduction r) {
  if (r == Reduction::kNone) {
    switch (dtype_size(dt)) {
      case 1:
        return pick_op<PlainCodec<uint8_t>, Params, Loop>(r);
      case 2:
        return pick_op<PlainCodec<uint16_t>, Params, Loop>(r);
      case 4:
        return pick_op<PlainCodec<uint32_t>, Params, Loop>(r);
      case 8:
        return pick_op<PlainCodec<uint64_t>, Params, Loop>(r);
      default:
        return nullptr;
    }
  }
  switch (dt) {
    case DType::kFloat32:
      return pick_op<PlainCodec<float>, Params, Loop>(r);
    case DType::kFloat64:
      return pick_op<PlainCodec<double>, Params, Loop>(r);
    case DType::kFloat16:
      return pick_op<HalfCodec, Params, Loop>(r);
    case DType::kBFloat16:
      return pick_op<BFloat16Codec, Params, Loop>(r);
    case DType::kInt8:
      return pick_op<PlainCodec<int8_t>, Params, Loop>(r);
    case DType::kUInt8:
      return pick_op<PlainCodec<uint8_t>, Params, Loop>(r);
    case DType::kInt16:
      return pick_op<PlainCodec<int16_t>, Params, Loop>(r);
    case DType::kUInt16:
      return pick_op<PlainCodec<uint16_t>, Params, Loop>(r);
    case DType::kInt32:
      return pick_op<PlainCodec<int32_t>, Params, Loop>(r);
    case DType::kUInt32:
      return pick_op<PlainCodec<uint32_t>, Params, Loop>(r);
    case DType::kInt64:
      return pick_op<PlainCodec<int64_t>, Params, Loop>(r);
    case DType::kUInt64:
      return pick_op<PlainCodec<uint64_t>, Params, Loop>(r);
    default:
      return nullptr;
  }
}

Expected<Reduction> parse_reduction(const PrepareContext& ctx) {
  if (ctx.opset() < 16 || ctx.node().op_type == "Scatter") return Reduction::kNone;
  const std::string s = ctx.node().attr_string("reduction", "none");
  if (s == "none") return Reduction::kNone;
  if (s == "add") return Reduction::kAdd;
  if (s == "mul") return Reduction::kMul;
  if (ctx.opset() >= 18 && s == "max") return Reduction::kMax;
  if (ctx.opset() >= 18 && s == "min") return Reduction::kMin;
  return ctx.error("unknown reduction '", s, "' for opset ", ctx.opset());
}

Status check_scatter_inputs(const PrepareContext& ctx, bool nd) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "data"));
  const DType it = ctx.input_dtype(1);
  if (it != DType::kInt64 && (nd || it != DType::kInt32))
    return ctx.error("indices must be ", nd ? "int64" : "int32 or int64", ", got ", dtype_name(it));
  if (ctx.input_dtype(2) != dt)
    return ctx.error("updates have dtype ", dtype_name(ctx.input_dtype(2)), ", data has ", dtype_name(dt));
  return Status();
}

Expected<std::unique_ptr<OpKernel>> prepare_scatter_elements(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_scatter_inputs(ctx, false));
  const DType dt = ctx.input_dtype(0);
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const int r = static_cast<int>(data.size());
  if (r == 0) return ctx.error("data must have rank >= 1");
  if (static_cast<size_t>(r) > kMaxRank) return ctx.unsupported_error("rank ", r, " is too large");
  if (static_cast<int>(indices.size()) != r) return ctx.error("indices have rank ", indices.size(), ", data has ", r);
  if (ctx.input_shape(2) != indices)
    return ctx.error("updates shape [", shape_str(ctx.input_shape(2)), "] differs from indices [", shape_str(indices),
                     "]");
  auto axis = normalize_axis(ctx.node().attr_int("axis", 0), r);
  if (!axis.ok()) return ctx.error(axis.status().message());
  for (int d = 0; d < r; ++d)
    if (d != *axis && indices[static_cast<size_t>(d)] > data[static_cast<size_t>(d)])
      return ctx.error("indices shape [", shape_str(indices), "] exceeds data shape [", shape_str(data), "] on axis ",
                       d);
  ER_ASSIGN_OR_RETURN(Reduction red, parse_reduction(ctx));
  ScatterFn<ElementsParams> fn = pick_fn<ElementsParams, ElementsLoop>(dt, red);
  if (!fn) return ctx.unsupported_error("reduction on dtype ", dtype_name(dt), " is not supported");
  ctx.set_output(0, dt, data);
  ElementsParams p{indices, contiguous_strides(data), *axis, data[static_cast<size_t>(*axis)]};
  return make_kernel<ScatterKernel<ElementsParams>>(std::move(p), fn);
}

Expected<std::unique_ptr<OpKernel>> prepare_scatter_nd(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_scatter_inputs(ctx, true));
  const DType dt = ctx.input_dtype(0);
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const Shape& updates = ctx.input_shape(2);
  const int64_t r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(indices.size());
  if (r < 1 || q < 1) return ctx.error("data and indices must have rank >= 1");
  const int64_t k = indices.back();
  if (k < 1 || k > r) return ctx.error("indices last dim ", k, " must be in [1, ", r, "]");
  Shape want(indices.begin(), indices.end() - 1);
  want.insert(want.end(), data.begin() + k, data.end());
  if (updates != want) return ctx.error("updates shape [", shape_str(updates), "] should be [", shape_str(want), "]");
  ER_ASSIGN_OR_RETURN(Reduction red, parse_reduction(ctx));
  ScatterFn<NDParams> fn = pick_fn<NDParams, NDLoop>(dt, red);
  if (!fn) return ctx.unsupported_error("reduction on dtype ", dtype_name(dt), " is not supported");
  ctx.set_output(0, dt, data);
  const std::vector<int64_t> st = contiguous_strides(data);
  NDParams p;
  p.tuples = shape_numel(Shape(indices.begin(), indices.end() - 1));
  p.k = k;
  p.dims.assign(data.begin(), data.begin() + k);
  p.strides.assign(st.begin(), st.begin() + k);
  p.slice = shape_numel(Shape(data.begin() + k, data.end()));
  return make_kernel<ScatterKernel<NDParams>>(std::move(p), fn);
}

}  // namespace

void register_scatter_ops(OpRegistry& r) {
  r.add({"", "ScatterElements", 11, INT_MAX, prepare_scatter_elements});
  r.add({"", "Scatter", 9, 10, prepare_scatter_elements});
  r.add({"", "ScatterND", 11, INT_MAX, prepare_scatter_nd});
}

}  // namespace edgerun::shape_ops
