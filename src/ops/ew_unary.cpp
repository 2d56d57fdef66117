// Unary element-wise ops: math, activations, logical Not, BitwiseNot, IsNaN, IsInf.
// Each op is a functor `f(x, params)` on the compute type (float for float16/bfloat16); prepare picks one
// instantiated loop per (op, dtype), so run() is a single indirect call over a contiguous buffer.
// Float32 Sigmoid / Tanh / Erf / Exp / Relu / HardSwish / HardSigmoid use the f32-vmath kernels instead
// (unless the session asks for reference kernels), split over the thread pool for large tensors.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/f32-vmath/vmath.h"
#include "ops/ew_common.h"

namespace edgerun::ew {
namespace {

struct UnaryParams {
  float alpha = 0.0f;
  float beta = 0.0f;
  float gamma = 0.0f;
  int mode = 0;
};

using UnaryFn = void (*)(const void* in, void* out, int64_t n, const UnaryParams& p);

template <class T, class Op>
void unary_loop(const void* in, void* out, int64_t n, const UnaryParams& p) {
  const T* x = static_cast<const T*>(in);
  T* y = static_cast<T*>(out);
  for (int64_t i = 0; i < n; ++i) y[i] = Num<T>::store(Op::f(Num<T>::load(x[i]), p));
}

class UnaryKernel : public OpKernel {
 public:
  UnaryKernel(UnaryFn fn, UnaryParams p) : fn_(fn), p_(p) {}
  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    fn_(x.raw_data(), ctx.outputs[0]->raw_data(), x.numel(), p_);
    return Status();
  }

 private:
  UnaryFn fn_;
  UnaryParams p_;
};

template <class Op, TypeSet kTypes>
UnaryFn pick_unary(DType d) {
  UnaryFn fn = nullptr;
  visit_set<kTypes>(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (Op::template accepts<T>()) fn = &unary_loop<T, Op>;
  });
  return fn;
}

// Base for functors: accept every type the dispatcher offers; no attributes.
struct OpBase {
  template <class T>
  static constexpr bool accepts() { return true; }
  static Status read(const PrepareContext&, UnaryParams&) { return Status(); }
};

// The math. Functors get the compute type C (float, double, or an integer type).
#define ER_UNARY_FLOAT(Name, expr)                   \
  struct Name : OpBase {                             \
    template <class C>                               \
    static C f(C x, const UnaryParams& p) {          \
      (void)p;                                       \
      return static_cast<C>(expr);                   \
    }                                                \
  }

ER_UNARY_FLOAT(OpFloor, std::floor(x));
ER_UNARY_FLOAT(OpCeil, std::ceil(x));
ER_UNARY_FLOAT(OpRound, std::nearbyint(x));  // default rounding mode: half to even, as ONNX Round requires
ER_UNARY_FLOAT(OpSqrt, std::sqrt(x));
ER_UNARY_FLOAT(OpReciprocal, C(1) / x);
ER_UNARY_FLOAT(OpExp, std::exp(x));
ER_UNARY_FLOAT(OpLog, std::log(x));
ER_UNARY_FLOAT(OpSin, std::sin(x));
ER_UNARY_FLOAT(OpCos, std::cos(x));
ER_UNARY_FLOAT(OpTan, std::tan(x));
ER_UNARY_FLOAT(OpAsin, std::asin(x));
ER_UNARY_FLOAT(OpAcos, std::acos(x));
ER_UNARY_FLOAT(OpAtan, std::atan(x));
ER_UNARY_FLOAT(OpSinh, std::sinh(x));
ER_UNARY_FLOAT(OpCosh, std::cosh(x));
ER_UNARY_FLOAT(OpAsinh, std::asinh(x));
ER_UNARY_FLOAT(OpAcosh, std::acosh(x));
ER_UNARY_FLOAT(OpAtanh, std::atanh(x));
ER_UNARY_FLOAT(OpTanh, std::tanh(x));
ER_UNARY_FLOAT(OpErf, std::erf(x));
ER_UNARY_FLOAT(OpSoftsign, x / (C(1) + std::fabs(x)));
#undef ER_UNARY_FLOAT

// Numerically stable in both tails (exp never overflows) and branch-free: e = exp(-|x|) is in (0, 1],
// sigmoid(|x|) = 1 / (1 + e) and sigmoid(-|x|) = e / (1 + e).
struct OpSigmoid : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) {
    const C e = std::exp(-std::fabs(x));
    const C r = C(1) / (C(1) + e);
    return (x >= C(0) ? C(1) : e) * r;
  }
};

// log(1 + exp(x)) without overflow for large x.
template <class C>
inline C softplus(C x) {
  return x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
struct OpSoftplus : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) { return softplus(x); }
};
struct OpMish : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) { return x * std::tanh(softplus(x)); }
};

struct OpAbs : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) {
    if constexpr (std::is_unsigned_v<C>) return x;
    else if constexpr (std::is_integral_v<C>) return x < 0 ? wrap_neg(x) : x;  // abs(INT_MIN) wraps to INT_MIN
    else return std::fabs(x);
  }
};
struct OpNeg : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) {
    if constexpr (std::is_integral_v<C>) return wrap_neg(x);
    else return -x;
  }
};
struct OpSign : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) {
    if constexpr (std::is_floating_point_v<C>)
      if (x != x) return x;  // NaN stays NaN
    return x > C(0) ? C(1) : (x < C(0) ? static_cast<C>(-1) : C(0));
  }
};
struct OpRelu : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) { return x > C(0) ? x : (x != x ? x : C(0)); }
};
struct OpLeakyRelu : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 0.01f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) { return x >= C(0) ? x : static_cast<C>(p.alpha) * x; }
};
struct OpElu : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 1.0f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) { return x >= C(0) ? x : static_cast<C>(p.alpha) * std::expm1(x); }
};
struct OpSelu : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 1.67326319217681884765625f);
    p.gamma = ctx.node().attr_float("gamma", 1.05070102214813232421875f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) {
    const C g = static_cast<C>(p.gamma);
    return x > C(0) ? g * x : g * (static_cast<C>(p.alpha) * std::exp(x) - static_cast<C>(p.alpha));
  }
};
struct OpCelu : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 1.0f);
    if (p.alpha == 0.0f) return ctx.error("alpha must not be 0");
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) {
    const C a = static_cast<C>(p.alpha);
    return std::max(C(0), x) + std::min(C(0), a * std::expm1(x / a));
  }
};
struct OpThresholdedRelu : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 1.0f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) { return x > static_cast<C>(p.alpha) ? x : C(0); }
};
struct OpHardSigmoid : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 0.2f);
    p.beta = ctx.node().attr_float("beta", 0.5f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) {
    return std::max(C(0), std::min(C(1), static_cast<C>(p.alpha) * x + static_cast<C>(p.beta)));
  }
};
struct OpHardSwish : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) {
    return x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5)));
  }
};
struct OpSwish : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("alpha", 1.0f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) { return x * OpSigmoid::f(static_cast<C>(p.alpha) * x, p); }
};
struct OpGelu : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    const std::string a = ctx.node().attr_string("approximate", "none");
    if (a == "none") p.mode = 0;
    else if (a == "tanh") p.mode = 1;
    else return ctx.error("approximate must be 'none' or 'tanh', got '", a, "'");
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) {
    if (p.mode == 0) return C(0.5) * x * (C(1) + std::erf(x * static_cast<C>(0.70710678118654752440)));
    const C k = static_cast<C>(0.79788456080286535588);  // sqrt(2/pi)
    return C(0.5) * x * (C(1) + std::tanh(k * (x + C(0.044715) * x * x * x)));
  }
};
struct OpShrink : OpBase {
  static Status read(const PrepareContext& ctx, UnaryParams& p) {
    p.alpha = ctx.node().attr_float("lambd", 0.5f);
    p.beta = ctx.node().attr_float("bias", 0.0f);
    return Status();
  }
  template <class C>
  static C f(C x, const UnaryParams& p) {
    // Computed in double so integer inputs compare against the float lambd exactly.
    const double v = static_cast<double>(x);
    double r = 0.0;
    if (v < -p.alpha) r = v + p.beta;
    else if (v > p.alpha) r = v - p.beta;
    if constexpr (std::is_integral_v<C>) return float_to_int<C>(r);
    else return static_cast<C>(r);
  }
};
struct OpNot : OpBase {
  template <class C>
  static C f(C x, const UnaryParams&) { return x ? C(0) : C(1); }
};
struct OpBitwiseNot : OpBase {
  template <class T>
  static constexpr bool accepts() { return std::is_integral_v<T>; }
  template <class C>
  static C f(C x, const UnaryParams&) {
    if constexpr (std::is_integral_v<C>) return static_cast<C>(~x);
    else return x;
  }
};

// ---------------------------------------------------------------------------------------------
// Float32 fast paths through f32-vmath.

using FastUnaryFn = void (*)(const float* x, float* y, int64_t n, const UnaryParams& p);

template <class Op>
struct FastF32 {
  static constexpr FastUnaryFn fn = nullptr;
};
#define ER_FAST_F32(OpName, body)                                                      \
  template <>                                                                          \
  struct FastF32<OpName> {                                                             \
    static void run(const float* x, float* y, int64_t n, const UnaryParams& p) {       \
      (void)p;                                                                         \
      body;                                                                            \
    }                                                                                  \
    static constexpr FastUnaryFn fn = &run;                                            \
  }
ER_FAST_F32(OpSigmoid, kernels::sigmoid_f32(x, y, n));
ER_FAST_F32(OpTanh, kernels::tanh_f32(x, y, n));
ER_FAST_F32(OpErf, kernels::erf_f32(x, y, n));
ER_FAST_F32(OpExp, kernels::exp_f32(x, y, n));
ER_FAST_F32(OpRelu, kernels::activation_f32({kernels::Act::kClamp, 0.0f, INFINITY}, x, y, n));
ER_FAST_F32(OpHardSwish, kernels::activation_f32({kernels::Act::kHardSwish, 0.0f, 0.0f}, x, y, n));
ER_FAST_F32(OpHardSigmoid, kernels::activation_f32({kernels::Act::kHardSigmoid, p.alpha, p.beta}, x, y, n));
#undef ER_FAST_F32

class FastUnaryKernel : public OpKernel {
 public:
  FastUnaryKernel(FastUnaryFn fn, UnaryParams p) : fn_(fn), p_(p) {}
  const char* variant() const override { return kernels::vmath_name(); }
  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const int64_t n = ctx.inputs[0]->numel();
    constexpr int64_t kParallelMin = 1 << 16, kBlock = 1 << 14;
    if (ctx.pool && ctx.pool->size() > 1 && n >= kParallelMin) {
      ctx.pool->parallel_for((n + kBlock - 1) / kBlock, [&](int64_t b, int64_t e, int) {
        const int64_t i0 = b * kBlock, i1 = std::min(n, e * kBlock);
        fn_(x + i0, y + i0, i1 - i0, p_);
      });
    } else {
      fn_(x, y, n, p_);
    }
    return Status();
  }

 private:
  FastUnaryFn fn_;
  UnaryParams p_;
};

template <class Op, TypeSet kTypes>
Expected<std::unique_ptr<OpKernel>> prepare_unary(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is required");
  const DType d = ctx.input_dtype(0);
  UnaryFn fn = pick_unary<Op, kTypes>(d);
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  UnaryParams p;
  ER_RETURN_IF_ERROR(Op::read(ctx, p));
  ctx.set_output(0, d, ctx.input_shape(0));
  if constexpr (FastF32<Op>::fn != nullptr) {
    if (d == DType::kFloat32 && !ctx.reference_kernels()) return make_kernel<FastUnaryKernel>(FastF32<Op>::fn, p);
  }
  return make_kernel<UnaryKernel>(fn, p);
}

// IsNaN / IsInf: float input, bool output.
class FloatClassKernel : public OpKernel {
 public:
  using Fn = void (*)(const void* in, uint8_t* out, int64_t n, bool pos, bool neg);
  FloatClassKernel(Fn fn, bool pos, bool neg) : fn_(fn), pos_(pos), neg_(neg) {}
  Status run(KernelContext& ctx) override {
    fn_(ctx.inputs[0]->raw_data(), ctx.outputs[0]->data<uint8_t>(), ctx.inputs[0]->numel(), pos_, neg_);
    return Status();
  }

 private:
  Fn fn_;
  bool pos_, neg_;
};

template <class T>
void isnan_loop(const void* in, uint8_t* out, int64_t n, bool, bool) {
  const T* x = static_cast<const T*>(in);
  for (int64_t i = 0; i < n; ++i) out[i] = std::isnan(Num<T>::load(x[i])) ? 1 : 0;
}
template <class T>
void isinf_loop(const void* in, uint8_t* out, int64_t n, bool pos, bool neg) {
  const T* x = static_cast<const T*>(in);
  for (int64_t i = 0; i < n; ++i) {
    const auto v = Num<T>::load(x[i]);
    out[i] = std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)) ? 1 : 0;
  }
}

template <bool kIsInf>
Expected<std::unique_ptr<OpKernel>> prepare_float_class(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is required");
  const DType d = ctx.input_dtype(0);
  FloatClassKernel::Fn fn = nullptr;
  visit_float(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fn = kIsInf ? &isinf_loop<T> : &isnan_loop<T>;
  });
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  const bool pos = ctx.node().attr_int("detect_positive", 1) != 0;
  const bool neg = ctx.node().attr_int("detect_negative", 1) != 0;
  ctx.set_output(0, DType::kBool, ctx.input_shape(0));
  return make_kernel<FloatClassKernel>(fn, pos, neg);
}

}  // namespace

void register_unary_ops(OpRegistry& r) {
  auto add = [&](const char* name, PrepareFn fn) { r.add(OpSchema{"", name, 1, INT_MAX, fn}); };
  add("Abs", &prepare_unary<OpAbs, TypeSet::kNumeric>);
  add("Neg", &prepare_unary<OpNeg, TypeSet::kNumeric>);
  add("Sign", &prepare_unary<OpSign, TypeSet::kNumeric>);
  add("Relu", &prepare_unary<OpRelu, TypeSet::kNumeric>);
  add("Floor", &prepare_unary<OpFloor, TypeSet::kFloat>);
  add("Ceil", &prepare_unary<OpCeil, TypeSet::kFloat>);
  add("Round", &prepare_unary<OpRound, TypeSet::kFloat>);
  add("Sqrt", &prepare_unary<OpSqrt, TypeSet::kFloat>);
  add("Reciprocal", &prepare_unary<OpReciprocal, TypeSet::kFloat>);
  add("Exp", &prepare_unary<OpExp, TypeSet::kFloat>);
  add("Log", &prepare_unary<OpLog, TypeSet::kFloat>);
  add("Sin", &prepare_unary<OpSin, TypeSet::kFloat>);
  add("Cos", &prepare_unary<OpCos, TypeSet::kFloat>);
  add("Tan", &prepare_unary<OpTan, TypeSet::kFloat>);
  add("Asin", &prepare_unary<OpAsin, TypeSet::kFloat>);
  add("Acos", &prepare_unary<OpAcos, TypeSet::kFloat>);
  add("Atan", &prepare_unary<OpAtan, TypeSet::kFloat>);
  add("Sinh", &prepare_unary<OpSinh, TypeSet::kFloat>);
  add("Cosh", &prepare_unary<OpCosh, TypeSet::kFloat>);
  add("Asinh", &prepare_unary<OpAsinh, TypeSet::kFloat>);
  add("Acosh", &prepare_unary<OpAcosh, TypeSet::kFloat>);
  add("Atanh", &prepare_unary<OpAtanh, TypeSet::kFloat>);
  add("Tanh", &prepare_unary<OpTanh, TypeSet::kFloat>);
  add("Sigmoid", &prepare_unary<OpSigmoid, TypeSet::kFloat>);
  add("Erf", &prepare_unary<OpErf, TypeSet::kFloat>);
  add("Softplus", &prepare_unary<OpSoftplus, TypeSet::kFloat>);
  add("Softsign", &prepare_unary<OpSoftsign, TypeSet::kFloat>);
  add("Mish", &prepare_unary<OpMish, TypeSet::kFloat>);
  add("LeakyRelu", &prepare_unary<OpLeakyRelu, TypeSet::kFloat>);
  add("Elu", &prepare_unary<OpElu, TypeSet::kFloat>);
  add("Selu", &prepare_unary<OpSelu, TypeSet::kFloat>);
  add("Celu", &prepare_unary<OpCelu, TypeSet::kFloat>);
  add("ThresholdedRelu", &prepare_unary<OpThresholdedRelu, TypeSet::kFloat>);
  add("HardSigmoid", &prepare_unary<OpHardSigmoid, TypeSet::kFloat>);
  add("HardSwish", &prepare_unary<OpHardSwish, TypeSet::kFloat>);
  add("Swish", &prepare_unary<OpSwish, TypeSet::kFloat>);
  add("Gelu", &prepare_unary<OpGelu, TypeSet::kFloat>);
  add("Shrink", &prepare_unary<OpShrink, TypeSet::kNumeric>);
  add("Not", &prepare_unary<OpNot, TypeSet::kBool>);
  add("BitwiseNot", &prepare_unary<OpBitwiseNot, TypeSet::kInt>);
  add("IsNaN", &prepare_float_class<false>);
  add("IsInf", &prepare_float_class<true>);
}

}  // namespace edgerun::ew
