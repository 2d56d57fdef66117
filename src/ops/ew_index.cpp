// Index-producing and scan ops along one axis: ArgMax, ArgMin, CumSum, TopK.
// All view the input as [outer, n, inner] around the axis.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/ew_common.h"
#include "ops/op_util.h"

namespace edgerun::ew {
namespace {

struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisSplit split_at(const Shape& s, int axis) {
  AxisSplit a;
  for (int i = 0; i < static_cast<int>(s.size()); ++i) {
    if (i < axis) a.outer *= s[static_cast<size_t>(i)];
    else if (i == axis) a.n = s[static_cast<size_t>(i)];
    else a.inner *= s[static_cast<size_t>(i)];
  }
  return a;
}

// ---- ArgMax / ArgMin ----

template <class T, bool kMax>
void arg_loop(const void* in, int64_t* out, const AxisSplit& s, bool last) {
  const T* x = static_cast<const T*>(in);
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t i = 0; i < s.inner; ++i) {
      const T* p = x + o * s.n * s.inner + i;
      auto best = Num<T>::load(p[0]);
      int64_t bi = 0;
      for (int64_t k = 1; k < s.n; ++k) {
        const auto v = Num<T>::load(p[k * s.inner]);
        const bool better = kMax ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
        if (better) {
          best = v;
          bi = k;
        }
      }
      out[o * s.inner + i] = bi;
    }
  }
}

class ArgKernel : public OpKernel {
 public:
  using Fn = void (*)(const void*, int64_t*, const AxisSplit&, bool);
  ArgKernel(Fn fn, AxisSplit s, bool last) : fn_(fn), s_(s), last_(last) {}
  Status run(KernelContext& ctx) override {
    fn_(ctx.inputs[0]->raw_data(), ctx.outputs[0]->data<int64_t>(), s_, last_);
    return Status();
  }

 private:
  Fn fn_;
  AxisSplit s_;
  bool last_;
};

template <bool kMax>
Expected<std::unique_ptr<OpKernel>> prepare_arg(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is required");
  const DType d = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  auto axis = normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int>(in.size()));
  if (!axis.ok()) return ctx.error(axis.status().message());
  const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
  const bool last = ctx.node().attr_int("select_last_index", 0) != 0;
  const AxisSplit s = split_at(in, *axis);
  if (s.n == 0 && s.outer * s.inner > 0) return ctx.error("cannot take the index of an extreme over an empty axis");
  ArgKernel::Fn fn = nullptr;
  visit_all(d, [&](auto tag) { fn = &arg_loop<typename decltype(tag)::type, kMax>; });
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  Shape out = in;
  if (keepdims) out[static_cast<size_t>(*axis)] = 1;
  else out.erase(out.begin() + *axis);
  ctx.set_output(0, DType::kInt64, out);
  return make_kernel<ArgKernel>(fn, s, last);
}

// ---- CumSum ----

template <class T>
using ScanAcc = std::conditional_t<is_float_v<T>, double, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <class A>
A wrap_or_add(A a, A b) {
  if constexpr (std::is_integral_v<A>) return wrap_add(a, b);
  else return a + b;
}

template <class T>
void cumsum_loop(const void* in, void* out, const AxisSplit& s, bool exclusive, bool reverse) {
  using A = ScanAcc<T>;
  const T* x = static_cast<const T*>(in);
  T* y = static_cast<T*>(out);
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t base = o * s.n * s.inner + i;
      A acc = A(0);
      for (int64_t t = 0; t < s.n; ++t) {
        const int64_t k = reverse ? s.n - 1 - t : t;
        const int64_t at = base + k * s.inner;
        const A v = static_cast<A>(Num<T>::load(x[at]));
        if (exclusive) {
          y[at] = convert<T, A>(acc);
          acc = wrap_or_add(acc, v);
        } else {
          acc = wrap_or_add(acc, v);
          y[at] = convert<T, A>(acc);
        }
      }
    }
  }
}

class CumSumKernel : public OpKernel {
 public:
  using Fn = void (*)(const void*, void*, const AxisSplit&, bool, bool);
  CumSumKernel(Fn fn, int axis, bool exclusive, bool reverse)
      : fn_(fn), axis_(axis), exclusive_(exclusive), reverse_(reverse) {}
  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    int axis = axis_;
    if (axis < 0) {  // axis computed at run time
      const Tensor& a = *ctx.inputs[1];
      if (a.numel() != 1) return invalid_argument("CumSum: axis must hold one value, got ", a.numel());
      auto ax = normalize_axis(read_int(a, 0), x.rank());
      if (!ax.ok()) return ax.status();
      axis = *ax;
    }
    fn_(x.raw_data(), ctx.outputs[0]->raw_data(), split_at(x.shape(), axis), exclusive_, reverse_);
    return Status();
  }

 private:
  Fn fn_;
  int axis_;  // -1: read from input 1 at run time
  bool exclusive_, reverse_;
};

Expected<std::unique_ptr<OpKernel>> prepare_cumsum(PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("inputs x and axis are required");
  const DType d = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const DType ad = ctx.input_dtype(1);
  if (ad != DType::kInt32 && ad != DType::kInt64) return ctx.error("axis must be int32 or int64, got ", dtype_name(ad));
  if (shape_numel(ctx.input_shape(1)) != 1 || ctx.input_shape(1).size() > 1)
    return ctx.error("axis must be a scalar, got shape [", shape_str(ctx.input_shape(1)), "]");
  int axis = -1;
  if (const Tensor* a = ctx.constant_input(1)) {
    auto ax = normalize_axis(read_int(*a, 0), static_cast<int>(in.size()));
    if (!ax.ok()) return ctx.error(ax.status().message());
    axis = *ax;
  } else if (in.empty()) {
    return ctx.error("input must have rank >= 1");
  }
  CumSumKernel::Fn fn = nullptr;
  visit_numeric(d, [&](auto tag) { fn = &cumsum_loop<typename decltype(tag)::type>; });
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  ctx.set_output(0, d, in);
  return make_kernel<CumSumKernel>(fn, axis, ctx.node().attr_int("exclusive", 0) != 0,
                                   ctx.node().attr_int("reverse", 0) != 0);
}

// ---- TopK ----

// Total order for selection: NaN above every number (so sorting never sees an inconsistent comparator).
template <class C>
bool greater_total(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (a != a) return b == b;
    if (b != b) return false;
  }
  return a > b;
}

template <class T>
class TopKKernel : public OpKernel {
 public:
  using C = typename Num<T>::C;
  TopKKernel(AxisSplit s, int64_t k, bool largest) : s_(s), k_(k), largest_(largest),
      vals_(static_cast<size_t>(s.n)), idx_(static_cast<size_t>(s.n)) {}

  Status run(KernelContext& ctx) override {
    const T* x = ctx.inputs[0]->data<T>();
    T* yv = ctx.outputs.size() > 0 && ctx.outputs[0] ? ctx.outputs[0]->data<T>() : nullptr;
    int64_t* yi = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->data<int64_t>() : nullptr;
    const int64_t n = s_.n;
    // Ties keep the lower index first.
    auto before = [&](int64_t a, int64_t b) {
      const C va = vals_[static_cast<size_t>(a)], vb = vals_[static_cast<size_t>(b)];
      if (largest_ ? greater_total(va, vb) : greater_total(vb, va)) return true;
      if (largest_ ? greater_total(vb, va) : greater_total(va, vb)) return false;
      return a < b;
    };
    for (int64_t o = 0; o < s_.outer; ++o) {
      for (int64_t i = 0; i < s_.inner; ++i) {
        const T* p = x + o * n * s_.inner + i;
        for (int64_t t = 0; t < n; ++t) vals_[static_cast<size_t>(t)] = Num<T>::load(p[t * s_.inner]);
        std::iota(idx_.begin(), idx_.end(), int64_t{0});
        std::partial_sort(idx_.begin(), idx_.begin() + k_, idx_.end(), before);
        const int64_t ob = o * k_ * s_.inner + i;
        for (int64_t t = 0; t < k_; ++t) {
          const int64_t src = idx_[static_cast<size_t>(t)];
          if (yv) yv[ob + t * s_.inner] = p[src * s_.inner];
          if (yi) yi[ob + t * s_.inner] = src;
        }
      }
    }
    return Status();
  }

 private:
  AxisSplit s_;
  int64_t k_;
  bool largest_;
  std::vector<C> vals_;       // [n] one slice
  std::vector<int64_t> idx_;  // [n]
};

Expected<std::unique_ptr<OpKernel>> prepare_topk(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input X is required");
  const DType d = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  auto axis = normalize_axis(ctx.node().attr_int("axis", -1), static_cast<int>(in.size()));
  if (!axis.ok()) return ctx.error(axis.status().message());
  int64_t k = 0;
  if (ctx.opset() < 10) {
    if (!ctx.node().has_attr("k")) return ctx.error("attribute 'k' is required");
    k = ctx.node().attr_int("k", 0);
  } else {
    if (!ctx.has_input(1)) return ctx.error("input K is required");
    ER_ASSIGN_OR_RETURN(const Tensor* kt, ctx.input_value(1));
    if (kt->numel() != 1) return ctx.error("K must hold one value, got shape [", shape_str(kt->shape()), "]");
    if (kt->dtype() != DType::kInt64 && kt->dtype() != DType::kInt32)
      return ctx.error("K must be int64, got ", dtype_name(kt->dtype()));
    k = read_int(*kt, 0);
  }
  const int64_t n = in[static_cast<size_t>(*axis)];
  if (k < 0 || k > n) return ctx.error("K = ", k, " is outside [0, ", n, "] (size of axis ", *axis, ")");
  const bool largest = ctx.node().attr_int("largest", 1) != 0;
  std::unique_ptr<OpKernel> kernel;
  const AxisSplit s = split_at(in, *axis);
  visit_numeric(d, [&](auto tag) { kernel.reset(new TopKKernel<typename decltype(tag)::type>(s, k, largest)); });
  if (!kernel) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  Shape out = in;
  out[static_cast<size_t>(*axis)] = k;
  ctx.set_output(0, d, out);
  ctx.set_output(1, DType::kInt64, out);
  return kernel;
}

}  // namespace

void register_index_ops(OpRegistry& r) {
  r.add(OpSchema{"", "ArgMax", 1, INT_MAX, &prepare_arg<true>});
  r.add(OpSchema{"", "ArgMin", 1, INT_MAX, &prepare_arg<false>});
  r.add(OpSchema{"", "CumSum", 1, INT_MAX, &prepare_cumsum});
  r.add(OpSchema{"", "TopK", 1, INT_MAX, &prepare_topk});
}

}  // namespace edgerun::ew
