// com.microsoft quantized ops (ONNX Runtime contrib domain, version 1), all per-tensor uint8/int8:
//   QLinearAdd        C = (A_scale * (A - A_zp) + B_scale * (B - B_zp)) / C_scale + C_zp     (numpy broadcasting)
//   QLinearMul        C = (A - A_zp) * (B - B_zp) * A_scale * B_scale / C_scale + C_zp
//   QLinearSigmoid    Y = quantize(sigmoid(dequantize(X)))
//   QLinearLeakyRelu  Y = quantize(leaky_relu(dequantize(X), alpha))
//   QLinearConcat     Y = concat(requantize(X_i)) along axis; inputs (Y_scale, Y_zp, (X, X_scale, X_zp)...)
//   QLinearGlobalAveragePool, QLinearAveragePool: average of dequantized values, quantized (channels_last 0/1).
// Results are rounded half to even and saturated. Element-wise ops on 8-bit data map each input byte
// through a 256-entry table built from the scales (once at prepare when they are constant).
#include <cstring>

#include "kernels/qu8-quantize/quantize.h"
#include "ops/op_util.h"
#include "ops/quant_ops.h"
#include "ops/quant_util.h"

namespace edgerun {
namespace {

// Scale and zero point of one tensor (per tensor), from inputs scale_in / zp_in (zp optional).
struct ScalarQuant {
  int scale_in = -1, zp_in = -1;
  float scale = 1.0f;
  int32_t zp = 0;
  void load(const std::vector<const Tensor*>& t) {
    const auto get = [&](int i) -> const Tensor* {
      return i >= 0 && static_cast<size_t>(i) < t.size() ? t[static_cast<size_t>(i)] : nullptr;
    };
    scale = scalar_scale(get(scale_in));
    zp = scalar_zero_point(get(zp_in));
  }
};

Status check_scalar_quant(const PrepareContext& ctx, const ScalarQuant& q, DType t, const char* scale_name,
                          const char* zp_name) {
  ER_RETURN_IF_ERROR(check_scalar_scale(ctx, q.scale_in, scale_name));
  return check_scalar_zero_point(ctx, q.zp_in, zp_name, t);
}

// Table of the requantized output byte for every input byte: lut[bits(x)] = bits(quantize(f(dequantize(x)))).
template <class F>
void build_lut(DType t, const ScalarQuant& in, const ScalarQuant& out, F&& f, uint8_t* lut) {
  const int32_t lo = quant_min(t), hi = quant_max(t);
  for (int i = 0; i < 256; ++i) {
    const int32_t x = t == DType::kInt8 ? static_cast<int8_t>(i) : i;
    const float v = f(static_cast<float>(x - in.zp) * in.scale);
    lut[i] = static_cast<uint8_t>(quantize_value(v / out.scale, out.zp, lo, hi));
  }
}

void apply_lut(const uint8_t* lut, const uint8_t* x, uint8_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = lut[x[i]];
}

// ---------------------------------------------------------------- QLinearAdd / QLinearMul

class QLinearBinaryKernel : public OpKernel {
 public:
  QLinearBinaryKernel(bool mul, DType t, Shape a, Shape b, Shape out) : mul_(mul), t_(t), out_(std::move(out)) {
    a_.scale_in = 1;
    a_.zp_in = 2;
    b_.scale_in = 4;
    b_.zp_in = 5;
    c_.scale_in = 6;
    c_.zp_in = 7;
    const int64_t n = shape_numel(out_);
    same_ = shape_numel(a) == n && shape_numel(b) == n;
    a_st_ = broadcast_strides(a, out_);
    b_st_ = broadcast_strides(b, out_);
    idx_.assign(out_.size(), 0);
  }

  void prepare(const PrepareContext& ctx) {
    std::vector<const Tensor*> c;
    const_ = constant_inputs(ctx, {1, 2, 4, 5, 6, 7}, &c);
    if (const_) build(c);
  }

  Status run(KernelContext& ctx) override {
    if (!const_) build(ctx.inputs);
    const uint8_t* a = static_cast<const uint8_t*>(ctx.inputs[0]->raw_data());
    const uint8_t* b = static_cast<const uint8_t*>(ctx.inputs[3]->raw_data());
    uint8_t* y = static_cast<uint8_t*>(ctx.outputs[0]->raw_data());
    const int64_t n = shape_numel(out_);
    if (same_ && !mul_) {  // the vectorized pass: the table's values computed in place, same roundings
      kernels::quantize_selected().add(a, b, n, add_, y);
      return Status();
    }
    if (same_) {
      for (int64_t i = 0; i < n; ++i) y[i] = combine(a[i], b[i]);
      return Status();
    }
    // General broadcast: walk the output in row-major order, moving both input offsets by their strides.
    const size_t rank = out_.size();
    std::fill(idx_.begin(), idx_.end(), 0);
    int64_t oa = 0, ob = 0;
    for (int64_t i = 0; i < n; ++i) {
      y[i] = combine(a[oa], b[ob]);
      for (size_t d = rank; d-- > 0;) {
        oa += a_st_[d];
        ob += b_st_[d];
        if (++idx_[d] < out_[d]) break;
        oa -= a_st_[d] * out_[d];
        ob -= b_st_[d] * out_[d];
        idx_[d] = 0;
      }
    }
    return Status();
  }

 private:
  void build(const std::vector<const Tensor*>& t) {
    a_.load(t);
    b_.load(t);
    c_.load(t);
    for (int i = 0; i < 256; ++i) {
      const int32_t v = t_ == DType::kInt8 ? static_cast<int8_t>(i) : i;
      if (mul_) {
        da_[i] = static_cast<float>(v - a_.zp);
        db_[i] = static_cast<float>(v - b_.zp);
      } else {
        da_[i] = static_cast<float>(v - a_.zp) * (a_.scale / c_.scale);
        db_[i] = static_cast<float>(v - b_.zp) * (b_.scale / c_.scale);
      }
    }
    mult_ = a_.scale * b_.scale / c_.scale;
    lo_ = quant_min(t_);
    hi_ = quant_max(t_);
    const bool s8 = t_ == DType::kInt8;  // int8 bytes read as uint8 + 128
    add_.flip = s8 ? 0x80 : 0;
    add_.za = a_.zp + (s8 ? 128 : 0);
    add_.zb = b_.zp + (s8 ? 128 : 0);
    add_.zc = c_.zp;
    add_.lo = lo_;
    add_.hi = hi_;
    add_.ka = a_.scale / c_.scale;
    add_.kb = b_.scale / c_.scale;
  }

  uint8_t combine(uint8_t a, uint8_t b) const {
    const float v = mul_ ? da_[a] * db_[b] * mult_ : da_[a] + db_[b];
    return static_cast<uint8_t>(quantize_value(v, c_.zp, lo_, hi_));
  }

  bool mul_;
  DType t_;
  Shape out_;
  bool same_ = false, const_ = false;
  std::vector<int64_t> a_st_, b_st_, idx_;
  ScalarQuant a_, b_, c_;
  float da_[256] = {}, db_[256] = {};  // per input byte: (x - zp) (Mul) or (x - zp) * scale / c_scale (Add)
  float mult_ = 1.0f;
  int32_t lo_ = 0, hi_ = 255;
  kernels::QAddParams add_;  // QLinearAdd of same-shape inputs (kernels/qu8-quantize)
};

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_binary(PrepareContext& ctx, bool mul) {
  if (!ctx.has_input(0) || !ctx.has_input(3)) return ctx.error("inputs A and B are required");
  const DType t = ctx.input_dtype(0);
  if (!is_8bit(t)) return ctx.error("A must be uint8 or int8, got ", dtype_name(t));
  if (ctx.input_dtype(3) != t)
    return ctx.error("B must have the type of A (", dtype_name(t), "), got ", dtype_name(ctx.input_dtype(3)));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {1, 2}, t, "A_scale", "A_zero_point"));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {4, 5}, t, "B_scale", "B_zero_point"));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {6, 7}, t, "C_scale", "C_zero_point"));
  auto out = broadcast_shapes({ctx.input_shape(0), ctx.input_shape(3)});
  if (!out.ok()) return ctx.error(out.status().message());
  ctx.set_output(0, t, *out);
  auto k = std::make_unique<QLinearBinaryKernel>(mul, t, ctx.input_shape(0), ctx.input_shape(3), *out);
  k->prepare(ctx);
  return std::unique_ptr<OpKernel>(std::move(k));
}

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_add(PrepareContext& ctx) {
  return prepare_qlinear_binary(ctx, false);
}
Expected<std::unique_ptr<OpKernel>> prepare_qlinear_mul(PrepareContext& ctx) {
  return prepare_qlinear_binary(ctx, true);
}

// ---------------------------------------------------------------- QLinearSigmoid / QLinearLeakyRelu

class QLinearUnaryKernel : public OpKernel {
 public:
  enum class Fn { kSigmoid, kLeakyRelu };
  QLinearUnaryKernel(Fn fn, DType t, float alpha) : fn_(fn), t_(t), alpha_(alpha) {
    x_.scale_in = 1;
    x_.zp_in = 2;
    y_.scale_in = 3;
    y_.zp_in = 4;
  }

  void prepare(const PrepareContext& ctx) {
    std::vector<const Tensor*> c;
    const_ = constant_inputs(ctx, {1, 2, 3, 4}, &c);
    if (const_) build(c);
  }

  Status run(KernelContext& ctx) override {
    if (!const_) build(ctx.inputs);
    const Tensor& x = *ctx.inputs[0];
    apply_lut(lut_, static_cast<const uint8_t*>(x.raw_data()), static_cast<uint8_t*>(ctx.outputs[0]->raw_data()),
              x.numel());
    return Status();
  }

 private:
  void build(const std::vector<const Tensor*>& t) {
    x_.load(t);
    y_.load(t);
    if (fn_ == Fn::kSigmoid) {
      build_lut(
          t_, x_, y_, [](float v) { return 1.0f / (1.0f + std::exp(-v)); }, lut_);
    } else {
      const float alpha = alpha_;
      build_lut(
          t_, x_, y_, [alpha](float v) { return v >= 0.0f ? v : alpha * v; }, lut_);
    }
  }

  Fn fn_;
  DType t_;
  float alpha_;
  bool const_ = false;
  ScalarQuant x_, y_;
  uint8_t lut_[256] = {};
};

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_unary(PrepareContext& ctx, QLinearUnaryKernel::Fn fn) {
  if (!ctx.has_input(0)) return ctx.error("input X is required");
  const DType t = ctx.input_dtype(0);
  if (!is_8bit(t)) return ctx.error("X must be uint8 or int8, got ", dtype_name(t));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {1, 2}, t, "X_scale", "X_zero_point"));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {3, 4}, t, "Y_scale", "Y_zero_point"));
  ctx.set_output(0, t, ctx.input_shape(0));
  auto k = std::make_unique<QLinearUnaryKernel>(fn, t, ctx.node().attr_float("alpha", 0.01f));
  k->prepare(ctx);
  return std::unique_ptr<OpKernel>(std::move(k));
}

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_sigmoid(PrepareContext& ctx) {
  return prepare_qlinear_unary(ctx, QLinearUnaryKernel::Fn::kSigmoid);
}
Expected<std::unique_ptr<OpKernel>> prepare_qlinear_leaky_relu(PrepareContext& ctx) {
  return prepare_qlinear_unary(ctx, QLinearUnaryKernel::Fn::kLeakyRelu);
}

// ---------------------------------------------------------------- QLinearConcat

class QLinearConcatKernel : public OpKernel {
 public:
  QLinearConcatKernel(int64_t outer, std::vector<int64_t> chunk, int64_t out_chunk)
      : outer_(outer), chunk_(std::move(chunk)), out_chunk_(out_chunk), luts_(chunk_.size() * 256) {}

  void prepare(const PrepareContext& ctx, DType t) {
    t_ = t;
    std::vector<int> idx;
    for (int i = 0; i < ctx.num_inputs(); ++i)
      if (i < 2 || (i - 2) % 3 != 0) idx.push_back(i);
    std::vector<const Tensor*> c;
    const_ = constant_inputs(ctx, idx, &c);
    if (const_) build(c);
  }

  Status run(KernelContext& ctx) override {
    if (!const_) build(ctx.inputs);
    uint8_t* y = static_cast<uint8_t*>(ctx.outputs[0]->raw_data());
    for (int64_t o = 0; o < outer_; ++o) {
      uint8_t* dst = y + o * out_chunk_;
      for (size_t i = 0; i < chunk_.size(); ++i) {
        const uint8_t* src = static_cast<const uint8_t*>(ctx.inputs[2 + 3 * i]->raw_data()) + o * chunk_[i];
        if (identity_[i]) {
          std::memcpy(dst, src, static_cast<size_t>(chunk_[i]));
        } else {
          apply_lut(luts_.data() + i * 256, src, dst, chunk_[i]);
        }
        dst += chunk_[i];
      }
    }
    return Status();
  }

 private:
  void build(const std::vector<const Tensor*>& t) {
    ScalarQuant yq{0, 1};
    yq.load(t);
    identity_.assign(chunk_.size(), false);
    for (size_t i = 0; i < chunk_.size(); ++i) {
      ScalarQuant xq{static_cast<int>(3 + 3 * i), static_cast<int>(4 + 3 * i)};
      xq.load(t);
      identity_[i] = xq.scale == yq.scale && xq.zp == yq.zp;
      build_lut(
          t_, xq, yq, [](float v) { return v; }, luts_.data() + i * 256);
    }
  }

  int64_t outer_;
  std::vector<int64_t> chunk_;  // per input: elements per outer index (axis length * inner)
  int64_t out_chunk_;
  DType t_ = DType::kUInt8;
  bool const_ = false;
  std::vector<uint8_t> luts_;  // [inputs, 256]
  std::vector<bool> identity_;
};

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_concat(PrepareContext& ctx) {
  const int n_in = ctx.num_inputs();
  if (n_in < 5 || (n_in - 2) % 3 != 0)
    return ctx.error("expects Y_scale, Y_zero_point and then (X, X_scale, X_zero_point) triples; got ", n_in,
                     " inputs");
  if (!ctx.has_input(1)) return ctx.error("Y_zero_point is required");
  const DType t = ctx.input_dtype(1);
  if (!is_8bit(t)) return ctx.error("Y_zero_point must be uint8 or int8, got ", dtype_name(t));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {0, 1}, t, "Y_scale", "Y_zero_point"));
  if (!ctx.node().has_attr("axis")) return ctx.error("attribute axis is required");
  const int count = (n_in - 2) / 3;
  const Shape& first = ctx.input_shape(2);
  auto axis = normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int>(first.size()));
  if (!axis.ok()) return ctx.error(axis.status().message());
  const size_t ax = static_cast<size_t>(*axis);
  Shape out = first;
  out[ax] = 0;
  std::vector<int64_t> chunk;
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < ax; ++d) outer *= first[d];
  for (size_t d = ax + 1; d < first.size(); ++d) inner *= first[d];
  for (int i = 0; i < count; ++i) {
    const int xi = 2 + 3 * i;
    if (!ctx.has_input(xi)) return ctx.error("input tensor ", i, " is missing");
    if (ctx.input_dtype(xi) != t)
      return ctx.error("input tensor ", i, " must be ", dtype_name(t), ", got ", dtype_name(ctx.input_dtype(xi)));
    ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {xi + 1, xi + 2}, t, "X_scale", "X_zero_point"));
    const Shape& s = ctx.input_shape(xi);
    if (s.size() != first.size())
      return ctx.error("input tensor ", i, " has rank ", s.size(), ", expected ", first.size());
    for (size_t d = 0; d < s.size(); ++d)
      if (d != ax && s[d] != first[d])
        return ctx.error("input tensor ", i, " shape ", shape_str(s), " differs from ", shape_str(first),
                         " outside axis ", ax);
    out[ax] += s[ax];
    chunk.push_back(s[ax] * inner);
  }
  ctx.set_output(0, t, out);
  auto k = std::make_unique<QLinearConcatKernel>(outer, std::move(chunk), out[ax] * inner);
  k->prepare(ctx, t);
  return std::unique_ptr<OpKernel>(std::move(k));
}

// ---------------------------------------------------------------- QLinearGlobalAveragePool / QLinearAveragePool

// Pooling over up to 3 spatial axes (D, H, W with leading 1s), NCHW or NHWC through element strides.
struct PoolGeometry {
  int nd = 2;
  int64_t batch = 0, c = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, stride[3] = {1, 1, 1};
  int64_t pad_begin[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0};
  bool channels_last = false, count_include_pad = false;
};

class QLinearPoolKernel : public OpKernel {
 public:
  QLinearPoolKernel(PoolGeometry g, DType t) : g_(g), t_(t) {
    x_.scale_in = 1;
    x_.zp_in = 2;
    y_.scale_in = 3;
    y_.zp_in = 4;
  }

  void prepare(const PrepareContext& ctx) {
    std::vector<const Tensor*> c;
    const_ = constant_inputs(ctx, {1, 2, 3, 4}, &c);
    if (const_) {
      x_.load(c);
      y_.load(c);
    }
  }

  Status run(KernelContext& ctx) override {
    if (!const_) {
      x_.load(ctx.inputs);
      y_.load(ctx.inputs);
    }
    if (t_ == DType::kUInt8) {
      run_typed(ctx.inputs[0]->data<uint8_t>(), ctx.outputs[0]->data<uint8_t>());
    } else {
      run_typed(ctx.inputs[0]->data<int8_t>(), ctx.outputs[0]->data<int8_t>());
    }
    return Status();
  }

 private:
  template <class T>
  void run_typed(const T* x, T* y) const {
    const int64_t in_size = g_.in[0] * g_.in[1] * g_.in[2];
    const int64_t out_size = g_.out[0] * g_.out[1] * g_.out[2];
    // Element strides: channel, and the W step (H and D steps follow from the extents).
    const int64_t xc = g_.channels_last ? 1 : in_size, xw = g_.channels_last ? g_.c : 1;
    const int64_t yc = g_.channels_last ? 1 : out_size, yw = g_.channels_last ? g_.c : 1;
    const int32_t lo = quant_min(t_), hi = quant_max(t_);
    const bool global = g_.k[0] == g_.in[0] && g_.k[1] == g_.in[1] && g_.k[2] == g_.in[2] && out_size == 1;
    for (int64_t n = 0; n < g_.batch; ++n) {
      const T* xn = x + n * g_.c * in_size;
      T* yn = y + n * g_.c * out_size;
      for (int64_t c = 0; c < g_.c; ++c) {
        const T* xcp = xn + c * xc;
        if (global) {
          // Sum in int64: a large image of uint8 can pass 2^31.
          int64_t sum = 0;
          for (int64_t i = 0; i < in_size; ++i) sum += xcp[i * xw];
          // As x_scale / (y_scale * count) applied to (sum - zp * count): the requantization of ONNX Runtime.
          const float mult = x_.scale / (y_.scale * static_cast<float>(in_size));
          const float v = static_cast<float>(sum - static_cast<int64_t>(x_.zp) * in_size) * mult;
          yn[c * yc] = static_cast<T>(quantize_value(v, y_.zp, lo, hi));
          continue;
        }
        int64_t o = 0;
        for (int64_t od = 0; od < g_.out[0]; ++od)
          for (int64_t oh = 0; oh < g_.out[1]; ++oh)
            for (int64_t ow = 0; ow < g_.out[2]; ++ow, ++o) {
              int64_t lo_i[3], hi_i[3];
              const int64_t oidx[3] = {od, oh, ow};
              int64_t window = 1, count = 1;
              for (int d = 0; d < 3; ++d) {
                const int64_t start = oidx[d] * g_.stride[d] - g_.pad_begin[d];
                const int64_t end = std::min(start + g_.k[d], g_.in[d] + g_.pad_end[d]);
                window *= end - start;
                lo_i[d] = std::max<int64_t>(start, 0);
                hi_i[d] = std::min(end, g_.in[d]);
                count *= std::max<int64_t>(hi_i[d] - lo_i[d], 0);
              }
              int64_t sum = 0;
              for (int64_t id = lo_i[0]; id < hi_i[0]; ++id)
                for (int64_t ih = lo_i[1]; ih < hi_i[1]; ++ih)
                  for (int64_t iw = lo_i[2]; iw < hi_i[2]; ++iw)
                    sum += xcp[((id * g_.in[1] + ih) * g_.in[2] + iw) * xw] - x_.zp;
              const int64_t div = g_.count_include_pad ? window : count;
              const float avg = div > 0 ? static_cast<float>(sum) * x_.scale / static_cast<float>(div) : 0.0f;
              yn[c * yc + o * yw] = static_cast<T>(quantize_value(avg / y_.scale, y_.zp, lo, hi));
            }
      }
    }
  }

  PoolGeometry g_;
  DType t_;
  bool const_ = false;
  ScalarQuant x_, y_;
};

// Common checks; fills batch, channels and input extents of `g` from X.
Status pool_common(const PrepareContext& ctx, PoolGeometry* g, DType* t) {
  if (!ctx.has_input(0)) return ctx.error("input X is required");
  *t = ctx.input_dtype(0);
  if (!is_8bit(*t)) return ctx.error("X must be uint8 or int8, got ", dtype_name(*t));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {1, 2}, *t, "x_scale", "x_zero_point"));
  ER_RETURN_IF_ERROR(check_scalar_quant(ctx, {3, 4}, *t, "y_scale", "y_zero_point"));
  const Shape& x = ctx.input_shape(0);
  if (x.size() < 3 || x.size() > 5)
    return ctx.unsupported_error("input rank ", x.size(), " is not supported (3-D to 5-D inputs are)");
  g->nd = static_cast<int>(x.size()) - 2;
  g->channels_last = ctx.node().attr_int("channels_last", 0) != 0;
  g->batch = x[0];
  g->c = g->channels_last ? x.back() : x[1];
  const int o = 3 - g->nd;
  for (int d = 0; d < g->nd; ++d) g->in[d + o] = x[static_cast<size_t>(g->channels_last ? d + 1 : d + 2)];
  return Status();
}

Shape pool_output_shape(const PoolGeometry& g) {
  Shape s = {g.batch};
  if (!g.channels_last) s.push_back(g.c);
  for (int d = 3 - g.nd; d < 3; ++d) s.push_back(g.out[d]);
  if (g.channels_last) s.push_back(g.c);
  return s;
}

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_global_average_pool(PrepareContext& ctx) {
  PoolGeometry g;
  DType t;
  ER_RETURN_IF_ERROR(pool_common(ctx, &g, &t));
  for (int d = 0; d < 3; ++d) g.k[d] = g.in[d];
  for (int d = 0; d < 3; ++d)
    if (g.in[d] <= 0) return ctx.error("spatial dimensions must be positive, got ", shape_str(ctx.input_shape(0)));
  ctx.set_output(0, t, pool_output_shape(g));
  auto k = std::make_unique<QLinearPoolKernel>(g, t);
  k->prepare(ctx);
  return std::unique_ptr<OpKernel>(std::move(k));
}

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_average_pool(PrepareContext& ctx) {
  PoolGeometry g;
  DType t;
  ER_RETURN_IF_ERROR(pool_common(ctx, &g, &t));
  const Node& node = ctx.node();
  const size_t nd = static_cast<size_t>(g.nd);
  const int o = 3 - g.nd;
  std::vector<int64_t> ks = node.attr_ints("kernel_shape");
  if (ks.size() != nd) return ctx.error("kernel_shape must have ", nd, " values, got ", ks.size());
  std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  if (strides.size() != nd) return ctx.error("strides must have ", nd, " values, got ", strides.size());
  if (pads.size() != 2 * nd) return ctx.error("pads must have ", 2 * nd, " values, got ", pads.size());
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return ctx.error("auto_pad '", auto_pad, "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  g.count_include_pad = node.attr_int("count_include_pad", 0) != 0;
  constexpr int64_t kMaxDim = int64_t{1} << 31;
  for (size_t d = 0; d < nd; ++d) {
    const int64_t in = g.in[d + static_cast<size_t>(o)], k = ks[d], s = strides[d];
    if (in <= 0 || in > kMaxDim) return ctx.error("input spatial dimension ", d, " is ", in);
    if (k <= 0 || k > kMaxDim) return ctx.error("kernel_shape[", d, "] must be positive, got ", k);
    if (s <= 0 || s > kMaxDim) return ctx.error("strides[", d, "] must be positive, got ", s);
    int64_t pb = 0, pe = 0, out = 0;
    if (auto_pad == "NOTSET") {
      pb = pads[d];
      pe = pads[d + nd];
      if (pb < 0 || pe < 0 || pb > kMaxDim || pe > kMaxDim) return ctx.error("pads must be in [0, 2^31)");
      if (pb >= k || pe >= k) return ctx.error("pads (", pb, ", ", pe, ") must be smaller than the kernel (", k, ")");
      const int64_t span = in + pb + pe - k;
      if (span < 0) return ctx.error("kernel ", k, " is larger than the padded input ", in + pb + pe);
      out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
      // A window may not start inside the end padding.
      if (ceil_mode && (out - 1) * s >= in + pb) --out;
    } else if (auto_pad == "VALID") {
      if (in < k) return ctx.error("kernel ", k, " is larger than the input ", in);
      out = (in - k) / s + 1;
    } else {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + k - in);
      pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    }
    g.k[d + static_cast<size_t>(o)] = k;
    g.stride[d + static_cast<size_t>(o)] = s;
    g.out[d + static_cast<size_t>(o)] = out;
    g.pad_begin[d + static_cast<size_t>(o)] = pb;
    g.pad_end[d + static_cast<size_t>(o)] = pe;
  }
  ctx.set_output(0, t, pool_output_shape(g));
  auto k = std::make_unique<QLinearPoolKernel>(g, t);
  k->prepare(ctx);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace

void register_quant_contrib_ops(OpRegistry& r) {
  r.add({"com.microsoft", "QLinearAdd", 1, INT_MAX, prepare_qlinear_add});
  r.add({"com.microsoft", "QLinearMul", 1, INT_MAX, prepare_qlinear_mul});
  r.add({"com.microsoft", "QLinearSigmoid", 1, INT_MAX, prepare_qlinear_sigmoid});
  r.add({"com.microsoft", "QLinearLeakyRelu", 1, INT_MAX, prepare_qlinear_leaky_relu});
  r.add({"com.microsoft", "QLinearConcat", 1, INT_MAX, prepare_qlinear_concat});
  r.add({"com.microsoft", "QLinearGlobalAveragePool", 1, INT_MAX, prepare_qlinear_global_average_pool});
  r.add({"com.microsoft", "QLinearAveragePool", 1, INT_MAX, prepare_qlinear_average_pool});
}

}  // namespace edgerun
