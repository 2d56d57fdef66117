// QuantizeLinear (opsets 10-25), DequantizeLinear (10-25), DynamicQuantizeLinear (11).
//
//   QuantizeLinear:   y = saturate(round_half_even(x / scale) + zero_point)
//   DequantizeLinear: y = (x - zero_point) * scale
//
// Granularity follows the shape of the scale: one element = per tensor, 1-D = per axis, same rank as x =
// blocked along `axis` (opset 21+, block_size > 0). float8 / int4 / int2 types are not supported.
#include <cstring>
#include <type_traits>

#include "core/half.h"
#include "kernels/qu8-quantize/quantize.h"
#include "ops/op_util.h"
#include "ops/quant_ops.h"
#include "ops/quant_util.h"

namespace edgerun {
namespace {

// x viewed as [outer, axis_len, inner]; element (o, a, i) uses parameter
// o * outer_stride + (a / block) * axis_stride + i * inner_stride.
struct QuantLayout {
  int64_t outer = 1, axis_len = 1, inner = 1;
  int64_t block = 1;
  int64_t outer_stride = 0, axis_stride = 0, inner_stride = 0;
  int64_t param_count = 1;
};

Expected<QuantLayout> quant_layout(const PrepareContext& ctx, const Shape& x, int scale_in, int zp_in) {
  const Shape& s = ctx.input_shape(scale_in);
  if (ctx.has_input(zp_in)) {
    const Shape& z = ctx.input_shape(zp_in);
    if (z != s && !(shape_numel(z) == 1 && shape_numel(s) == 1))
      return ctx.error("zero point shape ", shape_str(z), " differs from scale shape ", shape_str(s));
  }
  const int64_t block_size = ctx.opset() >= 21 ? ctx.node().attr_int("block_size", 0) : 0;
  if (block_size < 0) return ctx.error("block_size must be positive, got ", block_size);
  QuantLayout q;
  const int rank = static_cast<int>(x.size());
  if (block_size == 0 && shape_numel(s) == 1 && s.size() <= 1) {
    q.inner = shape_numel(x);  // one run, parameter step 0
    return q;  // per tensor
  }
  if (ctx.opset() < 13) return ctx.error("scale must be a scalar before opset 13, got shape ", shape_str(s));
  if (rank == 0) return ctx.error("a scalar input needs a one-element scale, got shape ", shape_str(s));
  auto axis = normalize_axis(ctx.node().attr_int("axis", 1), rank);
  if (!axis.ok()) return ctx.error(axis.status().message());
  const int ax = *axis;
  for (int d = 0; d < ax; ++d) q.outer *= x[static_cast<size_t>(d)];
  q.axis_len = x[static_cast<size_t>(ax)];
  for (int d = ax + 1; d < rank; ++d) q.inner *= x[static_cast<size_t>(d)];
  if (block_size == 0) {
    if (s.size() != 1 || s[0] != q.axis_len)
      return ctx.error("per-axis scale must be 1-D with ", q.axis_len, " elements (dimension ", ax, " of input shape ",
                       shape_str(x), "), got shape ", shape_str(s));
    q.axis_stride = 1;
    q.param_count = q.axis_len;
    return q;
  }
  if (static_cast<int>(s.size()) != rank)
    return ctx.error("blocked quantization needs a scale of rank ", rank, ", got shape ", shape_str(s));
  for (int d = 0; d < rank; ++d) {
    int64_t want = d == ax ? (x[static_cast<size_t>(d)] + block_size - 1) / block_size : x[static_cast<size_t>(d)];
    if (s[static_cast<size_t>(d)] != want)
      return ctx.error("blocked scale shape ", shape_str(s), " does not match input shape ", shape_str(x),
                       " with block_size ", block_size, " on axis ", ax);
  }
  q.block = block_size;
  q.inner_stride = 1;
  q.axis_stride = q.inner;
  q.outer_stride = s[static_cast<size_t>(ax)] * q.inner;
  q.param_count = shape_numel(s);
  return q;
}

// Scales and zero points, read at prepare when constant, otherwise at every run (no allocation then).
struct QuantParamValues {
  int scale_in = 1, zp_in = 2;
  bool constant = false;
  std::vector<float> scale;
  std::vector<int32_t> zero_point;

  void init(const PrepareContext& ctx, int64_t count) {
    scale.assign(static_cast<size_t>(count), 1.0f);
    zero_point.assign(static_cast<size_t>(count), 0);
    std::vector<const Tensor*> c;
    constant = constant_inputs(ctx, {scale_in, zp_in}, &c);
    if (constant)
      load(c[static_cast<size_t>(scale_in)], ctx.has_input(zp_in) ? c[static_cast<size_t>(zp_in)] : nullptr);
  }
  void load(const Tensor* s, const Tensor* z) {
    for (size_t i = 0; i < scale.size(); ++i) {
      scale[i] = load_float(*s, static_cast<int64_t>(i));
      zero_point[i] = z ? load_quant(*z, static_cast<int64_t>(i)) : 0;
    }
  }
  void refresh(const KernelContext& ctx) {
    if (constant) return;
    load(ctx.inputs[static_cast<size_t>(scale_in)],
         static_cast<size_t>(zp_in) < ctx.inputs.size() ? ctx.inputs[static_cast<size_t>(zp_in)] : nullptr);
  }
};

template <class F>
void for_each_param_run(const QuantLayout& q, F&& fn) {
  // fn(first_element, count, param_index, param_step): `count` consecutive elements starting at
  // `first_element` use parameters param_index, param_index + param_step, ...
  int64_t e = 0;
  for (int64_t o = 0; o < q.outer; ++o) {
    for (int64_t a = 0; a < q.axis_len; ++a) {
      int64_t p = o * q.outer_stride + (a / q.block) * q.axis_stride;
      fn(e, q.inner, p, q.inner_stride);
      e += q.inner;
    }
  }
}

// ---------------------------------------------------------------- QuantizeLinear

template <class X>
inline float load_x_float(const void* x, DType xt, int64_t i) {
  if constexpr (std::is_same_v<X, float>) {
    return static_cast<const float*>(x)[i];
  } else {
    const uint16_t v = static_cast<const uint16_t*>(x)[i];
    return xt == DType::kFloat16 ? half_to_float(v) : bfloat16_to_float(v);
  }
}

class QuantizeLinearKernel : public OpKernel {
 public:
  QuantizeLinearKernel(QuantLayout layout, QuantParamValues params, DType x_type, DType y_type, DType precision)
      : q_(layout), p_(std::move(params)), xt_(x_type), yt_(y_type), prec_(precision) {}

  Status run(KernelContext& ctx) override {
    p_.refresh(ctx);
    const Tensor& x = *ctx.inputs[0];
    Tensor& y = *ctx.outputs[0];
    dispatch_quant_type(yt_, [&](auto tag) {
      using Y = decltype(tag);
      if (xt_ == DType::kFloat32) {
        run_float<float, Y>(x.raw_data(), y.data<Y>());
      } else if (xt_ == DType::kInt32) {
        run_int32<Y>(x.data<int32_t>(), y.data<Y>());
      } else {
        run_float<uint16_t, Y>(x.raw_data(), y.data<Y>());
      }
    });
    return Status();
  }

 private:
  template <class X, class Y>
  void run_float(const void* x, Y* y) const {
    const int32_t lo = quant_min(yt_), hi = quant_max(yt_);
    const bool exact = prec_ == DType::kFloat32;
    for_each_param_run(q_, [&](int64_t e, int64_t n, int64_t p, int64_t step) {
      if constexpr (std::is_same_v<X, float> && std::is_same_v<Y, uint8_t>) {
        if (exact && step == 0) {  // one scale for the run: the vectorized DynamicQuantizeLinear pass, same formula
          kernels::quantize_selected().quantize(static_cast<const float*>(x) + e, n, p_.scale[static_cast<size_t>(p)],
                                                p_.zero_point[static_cast<size_t>(p)], y + e);
          return;
        }
      }
      for (int64_t i = 0; i < n; ++i, p += step) {
        const float s = p_.scale[static_cast<size_t>(p)];
        const int32_t z = p_.zero_point[static_cast<size_t>(p)];
        float xv = load_x_float<X>(x, xt_, e + i);
        float v;
        if (exact) {
          v = xv / s;
        } else {  // the division happens in the precision type (float16 / bfloat16)
          v = round_to_dtype(round_to_dtype(xv, prec_) / s, prec_);
        }
        y[e + i] = static_cast<Y>(quantize_value(v, z, lo, hi));
      }
    });
  }
  template <class Y>
  void run_int32(const int32_t* x, Y* y) const {
    const int32_t lo = quant_min(yt_), hi = quant_max(yt_);
    for_each_param_run(q_, [&](int64_t e, int64_t n, int64_t p, int64_t step) {
      for (int64_t i = 0; i < n; ++i, p += step) {
        double v = static_cast<double>(x[e + i]) / static_cast<double>(p_.scale[static_cast<size_t>(p)]);
        y[e + i] = static_cast<Y>(quantize_value(v, p_.zero_point[static_cast<size_t>(p)], lo, hi));
      }
    });
  }

  QuantLayout q_;
  QuantParamValues p_;
  DType xt_, yt_, prec_;
};

Expected<std::unique_ptr<OpKernel>> prepare_quantize_linear(PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("inputs x and y_scale are required");
  const Node& node = ctx.node();
  const DType xt = ctx.input_dtype(0);
  const int64_t opset = ctx.opset();
  if (!(xt == DType::kFloat32 || xt == DType::kInt32 ||
        (opset >= 19 && (xt == DType::kFloat16 || xt == DType::kBFloat16))))
    return ctx.error("x must be float32 or int32", opset >= 19 ? ", float16 or bfloat16" : "", ", got ",
                     dtype_name(xt));
  const DType st = ctx.input_dtype(1);
  if (!is_float_like(st)) {
    if (st == DType::kInt32) return ctx.unsupported_error("int32 y_scale is not supported");
    return ctx.error("y_scale must be a float type, got ", dtype_name(st));
  }
  if (opset < 19 && st != DType::kFloat32) return ctx.error("y_scale must be float32 before opset 19");

  DType yt = DType::kUInt8;
  const int64_t out_attr = opset >= 21 ? node.attr_int("output_dtype", 0) : 0;
  if (ctx.has_input(2)) {
    yt = ctx.input_dtype(2);
    if (out_attr != 0 && out_attr != static_cast<int64_t>(yt))
      return ctx.error("output_dtype ", out_attr, " differs from the y_zero_point type ", dtype_name(yt));
  } else if (out_attr != 0) {
    if (!dtype_is_valid(static_cast<int32_t>(out_attr)))
      return ctx.unsupported_error("output_dtype ", out_attr, " (float8 / 4-bit / 2-bit types) is not supported");
    yt = static_cast<DType>(out_attr);
  }
  if (!quant_dtype_supported(yt))
    return ctx.unsupported_error("quantizing to ", dtype_name(yt),
                                 " is not supported (uint8, int8, uint16, int16 are)");
  if (opset < 21 && !is_8bit(yt)) return ctx.error("y must be uint8 or int8 before opset 21, got ", dtype_name(yt));

  DType prec = st == DType::kFloat32 ? DType::kFloat32 : st;
  if (opset >= 23) {
    int64_t p = node.attr_int("precision", 0);
    if (p != 0) {
      if (p != static_cast<int64_t>(DType::kFloat32) && p != static_cast<int64_t>(DType::kFloat16) &&
          p != static_cast<int64_t>(DType::kBFloat16))
        return ctx.unsupported_error("precision ", p, " is not supported (float32, float16, bfloat16 are)");
      prec = static_cast<DType>(p);
    }
  }
  if (xt == DType::kInt32) prec = DType::kFloat32;

  ER_ASSIGN_OR_RETURN(QuantLayout layout, quant_layout(ctx, ctx.input_shape(0), 1, 2));
  QuantParamValues params;
  params.init(ctx, layout.param_count);
  ctx.set_output(0, yt, ctx.input_shape(0));
  return make_kernel<QuantizeLinearKernel>(layout, std::move(params), xt, yt, prec);
}

// ---------------------------------------------------------------- DequantizeLinear

inline void store_float(void* y, DType t, int64_t i, float v) {
  if (t == DType::kFloat32) {
    static_cast<float*>(y)[i] = v;
  } else if (t == DType::kFloat16) {
    static_cast<uint16_t*>(y)[i] = float_to_half(v);
  } else {
    static_cast<uint16_t*>(y)[i] = float_to_bfloat16(v);
  }
}

class DequantizeLinearKernel : public OpKernel {
 public:
  DequantizeLinearKernel(QuantLayout layout, QuantParamValues params, DType x_type, DType y_type)
      : q_(layout), p_(std::move(params)), xt_(x_type), yt_(y_type) {}

  Status run(KernelContext& ctx) override {
    p_.refresh(ctx);
    const Tensor& x = *ctx.inputs[0];
    void* y = ctx.outputs[0]->raw_data();
    dispatch_quant_type(xt_, [&](auto tag) {
      using X = decltype(tag);
      const X* xp = x.data<X>();
      if (yt_ == DType::kFloat32) {
        float* yf = static_cast<float*>(y);
        for_each_param_run(q_, [&](int64_t e, int64_t n, int64_t p, int64_t step) {
          for (int64_t i = 0; i < n; ++i, p += step) {
            const int64_t d = static_cast<int64_t>(xp[e + i]) - p_.zero_point[static_cast<size_t>(p)];
            yf[e + i] = static_cast<float>(d) * p_.scale[static_cast<size_t>(p)];
          }
        });
      } else {
        for_each_param_run(q_, [&](int64_t e, int64_t n, int64_t p, int64_t step) {
          for (int64_t i = 0; i < n; ++i, p += step) {
            const int64_t d = static_cast<int64_t>(xp[e + i]) - p_.zero_point[static_cast<size_t>(p)];
            store_float(y, yt_, e + i, static_cast<float>(d) * p_.scale[static_cast<size_t>(p)]);
          }
        });
      }
    });
    return Status();
  }

 private:
  QuantLayout q_;
  QuantParamValues p_;
  DType xt_, yt_;
};

Expected<std::unique_ptr<OpKernel>> prepare_dequantize_linear(PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("inputs x and x_scale are required");
  const int64_t opset = ctx.opset();
  const DType xt = ctx.input_dtype(0);
  if (!quant_dtype_supported(xt) && xt != DType::kInt32)
    return ctx.unsupported_error("dequantizing ", dtype_name(xt),
                                 " is not supported (uint8, int8, uint16, int16, int32 are)");
  if (opset < 21 && !(is_8bit(xt) || xt == DType::kInt32))
    return ctx.error("x must be uint8, int8 or int32 before opset 21, got ", dtype_name(xt));
  ER_RETURN_IF_ERROR(check_dtype(ctx, 2, "x_zero_point", xt));
  const DType st = ctx.input_dtype(1);
  if (!is_float_like(st)) return ctx.error("x_scale must be a float type, got ", dtype_name(st));
  if (opset < 19 && st != DType::kFloat32) return ctx.error("x_scale must be float32 before opset 19");
  DType yt = st;
  const int64_t out_attr = opset >= 23 ? ctx.node().attr_int("output_dtype", 0) : 0;
  if (out_attr != 0) {
    if (out_attr != static_cast<int64_t>(DType::kFloat32) && out_attr != static_cast<int64_t>(DType::kFloat16) &&
        out_attr != static_cast<int64_t>(DType::kBFloat16))
      return ctx.error("output_dtype must be float32, float16 or bfloat16, got ", out_attr);
    yt = static_cast<DType>(out_attr);
  }
  ER_ASSIGN_OR_RETURN(QuantLayout layout, quant_layout(ctx, ctx.input_shape(0), 1, 2));
  QuantParamValues params;
  params.init(ctx, layout.param_count);
  ctx.set_output(0, yt, ctx.input_shape(0));
  return make_kernel<DequantizeLinearKernel>(layout, std::move(params), xt, yt);
}

// ---------------------------------------------------------------- DynamicQuantizeLinear

class DynamicQuantizeLinearKernel : public OpKernel {
 public:
  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    const float* xp = x.data<float>();
    const int64_t n = x.numel();
    // The range always includes 0 so that 0 is exactly representable. NaNs are skipped.
    const kernels::QuantizeVariant& qv = kernels::quantize_selected();
    float lo = 0.0f, hi = 0.0f;
    qv.range(xp, n, &lo, &hi);
    const float scale = (hi - lo) / 255.0f;
    int32_t zp = 0;
    uint8_t* yp = ctx.outputs[0]->data<uint8_t>();
    if (scale == 0.0f) {
      // All-zero input: every value is 0 and any zero point represents it; avoid 0/0.
      std::memset(yp, 0, static_cast<size_t>(n));
    } else {
      float zp_f = 0.0f - lo / scale;
      zp_f = zp_f > 0.0f ? (zp_f < 255.0f ? zp_f : 255.0f) : 0.0f;  // NaN (infinite inputs) -> 0
      zp = static_cast<int32_t>(round_half_even(zp_f));
      qv.quantize(xp, n, scale, zp, yp);  // quantize_value(xp[i] / scale, zp, 0, 255), vectorized
    }
    if (ctx.outputs.size() > 1 && ctx.outputs[1]) ctx.outputs[1]->data<float>()[0] = scale;
    if (ctx.outputs.size() > 2 && ctx.outputs[2]) ctx.outputs[2]->data<uint8_t>()[0] = static_cast<uint8_t>(zp);
    return Status();
  }
};

Expected<std::unique_ptr<OpKernel>> prepare_dynamic_quantize_linear(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input x is required");
  if (ctx.input_dtype(0) != DType::kFloat32)
    return ctx.error("x must be float32, got ", dtype_name(ctx.input_dtype(0)));
  ctx.set_output(0, DType::kUInt8, ctx.input_shape(0));
  ctx.set_output(1, DType::kFloat32, {});
  ctx.set_output(2, DType::kUInt8, {});
  return make_kernel<DynamicQuantizeLinearKernel>();
}

}  // namespace

void register_quant_linear_ops(OpRegistry& r) {
  r.add({"", "QuantizeLinear", 10, INT_MAX, prepare_quantize_linear});
  r.add({"", "DequantizeLinear", 10, INT_MAX, prepare_dequantize_linear});
  r.add({"", "DynamicQuantizeLinear", 11, INT_MAX, prepare_dynamic_quantize_linear});
}

}  // namespace edgerun
