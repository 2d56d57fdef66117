// Cast, CastLike, Clip, Where.
//
// Cast semantics: float -> integer truncates toward zero, saturating at the integer range (NaN -> 0);
// integer -> narrower integer wraps; anything -> bool is (x != 0); float64 -> float16/bfloat16 rounds once
// (no double rounding). float8/int4/string types are not supported (Status kUnsupported naming the type).
#include <algorithm>
#include <cstring>
#include <limits>

#include "ops/ew_common.h"
#include "ops/op_util.h"

namespace edgerun::ew {
namespace {

// ---- Cast / CastLike ----

using CastFn = void (*)(const void* in, void* out, int64_t n);

template <class To, class From, bool kToBool>
void cast_loop(const void* in, void* out, int64_t n) {
  const From* x = static_cast<const From*>(in);
  To* y = static_cast<To*>(out);
  for (int64_t i = 0; i < n; ++i) y[i] = convert<To, From, kToBool>(x[i]);
}

CastFn pick_cast(DType from, DType to) {
  CastFn fn = nullptr;
  visit_all(from, [&](auto from_tag) {
    using F = typename decltype(from_tag)::type;
    if (to == DType::kBool) {
      fn = &cast_loop<uint8_t, F, true>;
      return;
    }
    visit_numeric(to, [&](auto to_tag) {
      using T = typename decltype(to_tag)::type;
      fn = &cast_loop<T, F, false>;
    });
  });
  return fn;
}

class CastKernel : public OpKernel {
 public:
  explicit CastKernel(CastFn fn) : fn_(fn) {}
  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    Tensor& y = *ctx.outputs[0];
    if (fn_) fn_(x.raw_data(), y.raw_data(), x.numel());
    else if (x.nbytes()) std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());  // same dtype
    return Status();
  }

 private:
  CastFn fn_;  // nullptr: plain copy
};

bool castable(DType d) { return d == DType::kBool || visit_numeric(d, [](auto) {}); }

Expected<std::unique_ptr<OpKernel>> make_cast(PrepareContext& ctx, DType to) {
  const DType from = ctx.input_dtype(0);
  if (!castable(from)) return ctx.unsupported_error("cast from ", dtype_name(from), " is not supported");
  CastFn fn = nullptr;
  if (from != to) {
    fn = pick_cast(from, to);
    if (!fn) return ctx.unsupported_error("cast from ", dtype_name(from), " to ", dtype_name(to), " is not supported");
  }
  ctx.set_output(0, to, ctx.input_shape(0));
  return make_kernel<CastKernel>(fn);
}

Expected<std::unique_ptr<OpKernel>> prepare_cast(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is required");
  const Attribute* a = ctx.node().attr("to");
  if (!a) return ctx.error("attribute 'to' is required");
  int64_t to = a->i;
  if (a->type == AttrType::kString) {
    // Opset 1 spelled the target type as a string ("FLOAT", "INT64", ...).
    static const std::pair<const char*, DType> kNames[] = {
        {"FLOAT", DType::kFloat32}, {"UINT8", DType::kUInt8},   {"INT8", DType::kInt8},
        {"UINT16", DType::kUInt16}, {"INT16", DType::kInt16},   {"INT32", DType::kInt32},
        {"INT64", DType::kInt64},   {"BOOL", DType::kBool},     {"FLOAT16", DType::kFloat16},
        {"DOUBLE", DType::kFloat64}, {"UINT32", DType::kUInt32}, {"UINT64", DType::kUInt64},
    };
    to = -1;
    for (const auto& [name, dt] : kNames)
      if (a->s == name) to = static_cast<int64_t>(dt);
    if (to < 0) return ctx.unsupported_error("cast to '", a->s, "' is not supported");
  }
  if (to < INT32_MIN || to > INT32_MAX || !dtype_is_valid(static_cast<int32_t>(to)) ||
      static_cast<DType>(to) == DType::kString)
    return ctx.unsupported_error("cast to ", onnx_dtype_name(to), " is not supported");
  return make_cast(ctx, static_cast<DType>(to));
}

Expected<std::unique_ptr<OpKernel>> prepare_cast_like(PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("inputs 'input' and 'target_type' are required");
  const DType to = ctx.input_dtype(1);
  if (!castable(to)) return ctx.unsupported_error("cast to ", dtype_name(to), " is not supported");
  return make_cast(ctx, to);
}

// ---- Clip ----

// y = min(max(x, lo), hi): NaN stays NaN, and lo > hi gives hi (as numpy.clip).
template <class T>
void clip_loop(const void* in, void* out, int64_t n, const void* lo_p, const void* hi_p, double lo_attr,
               double hi_attr) {
  using C = typename Num<T>::C;
  C lo, hi;
  if (lo_p) {
    lo = Num<T>::load(*static_cast<const T*>(lo_p));
  } else if constexpr (std::is_floating_point_v<C>) {
    lo = static_cast<C>(lo_attr);
  } else {
    lo = std::numeric_limits<C>::lowest();
  }
  if (hi_p) {
    hi = Num<T>::load(*static_cast<const T*>(hi_p));
  } else if constexpr (std::is_floating_point_v<C>) {
    hi = static_cast<C>(hi_attr);
  } else {
    hi = std::numeric_limits<C>::max();
  }
  const T* x = static_cast<const T*>(in);
  T* y = static_cast<T*>(out);
  for (int64_t i = 0; i < n; ++i) {
    C v = Num<T>::load(x[i]);
    v = v < lo ? lo : v;
    v = hi < v ? hi : v;
    y[i] = Num<T>::store(v);
  }
}

class ClipKernel : public OpKernel {
 public:
  using Fn = void (*)(const void*, void*, int64_t, const void*, const void*, double, double);
  ClipKernel(Fn fn, double lo, double hi) : fn_(fn), lo_(lo), hi_(hi) {}
  Status run(KernelContext& ctx) override {
    auto bound = [&](size_t i) -> const void* {
      return ctx.inputs.size() > i && ctx.inputs[i] ? ctx.inputs[i]->raw_data() : nullptr;
    };
    fn_(ctx.inputs[0]->raw_data(), ctx.outputs[0]->raw_data(), ctx.inputs[0]->numel(), bound(1), bound(2), lo_, hi_);
    return Status();
  }

 private:
  Fn fn_;
  double lo_, hi_;
};

Expected<std::unique_ptr<OpKernel>> prepare_clip(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is required");
  const DType d = ctx.input_dtype(0);
  ClipKernel::Fn fn = nullptr;
  visit_numeric(d, [&](auto tag) { fn = &clip_loop<typename decltype(tag)::type>; });
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  if (ctx.opset() < 11) {
    // Bounds are attributes; the defaults are the float range (opset 6 spec).
    lo = ctx.node().attr_float("min", std::numeric_limits<float>::lowest());
    hi = ctx.node().attr_float("max", std::numeric_limits<float>::max());
  } else {
    for (int i = 1; i <= 2 && i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) continue;
      if (ctx.input_dtype(i) != d)
        return ctx.error(i == 1 ? "min" : "max", " has dtype ", dtype_name(ctx.input_dtype(i)), ", input has ",
                         dtype_name(d));
      if (shape_numel(ctx.input_shape(i)) != 1)
        return ctx.error(i == 1 ? "min" : "max", " must be a scalar, got shape [", shape_str(ctx.input_shape(i)),
                         "]");
    }
  }
  ctx.set_output(0, d, ctx.input_shape(0));
  return make_kernel<ClipKernel>(fn, lo, hi);
}

// ---- Where ----

// Copies by element size: the value type does not matter for selection.
template <class U>
void where_loop(const BroadcastPlan& plan, const uint8_t* c, const void* vx, const void* vy, void* vo) {
  const U* x = static_cast<const U*>(vx);
  const U* y = static_cast<const U*>(vy);
  U* out = static_cast<U*>(vo);
  const int64_t n = plan.inner();
  const int64_t sc = plan.inner_stride(0), sx = plan.inner_stride(1), sy = plan.inner_stride(2);
  plan.for_each_row([&](int64_t o, const int64_t* off) {
    const uint8_t* rc = c + off[0];
    const U* rx = x + off[1];
    const U* ry = y + off[2];
    U* ro = out + o;
    if (sc && sx && sy) {
      // Select by mask rather than a branch: vectorizes, and random conditions cost no mispredictions.
      for (int64_t i = 0; i < n; ++i) {
        const U m = static_cast<U>(U(0) - static_cast<U>(rc[i] != 0));
        ro[i] = static_cast<U>((rx[i] & m) | (ry[i] & static_cast<U>(~m)));
      }
    } else {
      for (int64_t i = 0; i < n; ++i) ro[i] = rc[i * sc] ? rx[i * sx] : ry[i * sy];
    }
  });
}

class WhereKernel : public OpKernel {
 public:
  using Fn = void (*)(const BroadcastPlan&, const uint8_t*, const void*, const void*, void*);
  WhereKernel(Fn fn, BroadcastPlan plan) : fn_(fn), plan_(std::move(plan)) {}
  Status run(KernelContext& ctx) override {
    fn_(plan_, ctx.inputs[0]->data<uint8_t>(), ctx.inputs[1]->raw_data(), ctx.inputs[2]->raw_data(),
        ctx.outputs[0]->raw_data());
    return Status();
  }

 private:
  Fn fn_;
  BroadcastPlan plan_;
};

Expected<std::unique_ptr<OpKernel>> prepare_where(PrepareContext& ctx) {
  for (int i = 0; i < 3; ++i)
    if (!ctx.has_input(i)) return ctx.error("inputs condition, X and Y are required");
  if (ctx.input_dtype(0) != DType::kBool)
    return ctx.error("condition must be bool, got ", dtype_name(ctx.input_dtype(0)));
  const DType d = ctx.input_dtype(1);
  if (ctx.input_dtype(2) != d)
    return ctx.error("X and Y have different dtypes: ", dtype_name(d), " and ", dtype_name(ctx.input_dtype(2)));
  WhereKernel::Fn fn = nullptr;
  switch (dtype_size(d)) {
    case 1: fn = &where_loop<uint8_t>; break;
    case 2: fn = &where_loop<uint16_t>; break;
    case 4: fn = &where_loop<uint32_t>; break;
    case 8: fn = &where_loop<uint64_t>; break;
    default: return ctx.unsupported_error("dtype ", dtype_name(d), " is not supported");
  }
  std::vector<Shape> shapes = {ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2)};
  auto out = broadcast_shapes(shapes);
  if (!out.ok()) return ctx.error(out.status().message());
  auto plan = BroadcastPlan::make(*out, shapes);
  if (!plan.ok()) return ctx.error(plan.status().message());
  ctx.set_output(0, d, *out);
  return make_kernel<WhereKernel>(fn, std::move(*plan));
}

}  // namespace

void register_misc_ops(OpRegistry& r) {
  r.add(OpSchema{"", "Cast", 1, INT_MAX, &prepare_cast});
  r.add(OpSchema{"", "CastLike", 1, INT_MAX, &prepare_cast_like});
  r.add(OpSchema{"", "Clip", 1, INT_MAX, &prepare_clip});
  r.add(OpSchema{"", "Where", 1, INT_MAX, &prepare_where});
}

}  // namespace edgerun::ew
