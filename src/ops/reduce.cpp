// Reduce* ops. Axes come from the `axes` attribute (ReduceSum before opset 13, the others before 18) or from the
// optional second input afterwards; keepdims; noop_with_empty_axes (output = input). Reductions over an empty set
// give the identity of the reduction: 0 for Sum/L1/L2/SumSquare, 1 for Prod, -inf (or the lowest integer) for Max
// and LogSum/LogSumExp, +inf (or the highest integer) for Min, NaN for Mean of floats (0 for integers).
//
// Accumulation is in float64 for float types and in 64-bit integers (wrapping) for integer types.
// float32 ReduceSum / ReduceMean over trailing axes (one output per contiguous row: LayerNorm statistics,
// pooled tokens) take a fast path: float partial sums (kernels/f32-vmath sum_f32), rows split over the pool.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/thread_pool.h"
#include "kernels/f32-vmath/vmath.h"
#include "ops/ew_common.h"
#include "ops/op_util.h"

namespace edgerun {
namespace {

using ew::convert;
using ew::Num;

// Input dims collapsed into alternating kept/reduced groups; rows of `inner` contiguous input elements.
struct ReducePlan {
  static constexpr int kMaxDims = 16;
  std::vector<int64_t> dims;         // outer groups (all but the innermost)
  std::vector<int64_t> out_strides;  // per outer group: output stride, 0 where reduced
  int64_t inner = 1;
  bool inner_reduced = false;
  int64_t rows = 0;       // 0 when the input is empty
  int64_t out_numel = 0;
  int64_t count = 1;      // input elements per output element

  // fn(in_offset, out_offset) for each row.
  template <class Fn>
  void for_each_row(Fn&& fn) const {
    const int nd = static_cast<int>(dims.size());
    int64_t idx[kMaxDims] = {};
    int64_t out = 0;
    for (int64_t r = 0; r < rows; ++r) {
      fn(r * inner, out);
      for (int d = nd - 1; d >= 0; --d) {
        ++idx[d];
        out += out_strides[static_cast<size_t>(d)];
        if (idx[d] < dims[static_cast<size_t>(d)]) break;
        out -= out_strides[static_cast<size_t>(d)] * idx[d];
        idx[d] = 0;
      }
    }
  }
};

Expected<ReducePlan> make_reduce_plan(const Shape& in, const std::vector<bool>& reduced) {
  ReducePlan p;
  p.out_numel = 1;
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) p.count *= in[d];
    else p.out_numel *= in[d];
  }
  if (shape_numel(in) == 0) return p;  // rows = 0: outputs take the empty-set value
  struct Group {
    int64_t size;
    bool reduced;
  };
  std::vector<Group> groups;
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 1) continue;
    if (!groups.empty() && groups.back().reduced == reduced[d]) groups.back().size *= in[d];
    else groups.push_back(Group{in[d], static_cast<bool>(reduced[d])});
  }
  if (groups.empty()) groups.push_back(Group{1, false});
  if (groups.size() > static_cast<size_t>(ReducePlan::kMaxDims) + 1)
    return unsupported("reduction with more than ", ReducePlan::kMaxDims + 1, " dimension groups");
  std::vector<int64_t> ost(groups.size(), 0);
  int64_t stride = 1;
  for (size_t g = groups.size(); g-- > 0;) {
    if (groups[g].reduced) continue;
    ost[g] = stride;
    stride *= groups[g].size;
  }
  p.inner = groups.back().size;
  p.inner_reduced = groups.back().reduced;
  p.rows = 1;
  for (size_t g = 0; g + 1 < groups.size(); ++g) {
    p.dims.push_back(groups[g].size);
    p.out_strides.push_back(ost[g]);
    p.rows *= groups[g].size;
  }
  return p;
}

template <class T>
using WideAcc = std::conditional_t<ew::is_float_v<T>, double,
                                   std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <class A>
A acc_add(A a, A b) {
  if constexpr (std::is_integral_v<A>) return ew::wrap_add(a, b);
  else return a + b;
}
template <class A>
A acc_mul(A a, A b) {
  if constexpr (std::is_integral_v<A>) return ew::wrap_mul(a, b);
  else return a * b;
}
template <class T, class A>
A widen(T x) {
  return static_cast<A>(Num<T>::load(x));
}
template <class T>
double lowest_or_neg_inf() {
  if constexpr (ew::is_float_v<T>) return -std::numeric_limits<double>::infinity();
  else return static_cast<double>(std::numeric_limits<T>::lowest());
}

// Reductions: init(), add(acc, x), fin(acc, count) -> T.
template <class T>
struct RSum {
  using A = WideAcc<T>;
  static A init() { return A(0); }
  static A add(A a, T x) { return acc_add(a, widen<T, A>(x)); }
  static T fin(A a, int64_t) { return convert<T, A>(a); }
};
template <class T>
struct RMean : RSum<T> {
  using A = WideAcc<T>;
  static T fin(A a, int64_t n) {
    if constexpr (std::is_integral_v<A>) return convert<T, A>(n > 0 ? static_cast<A>(a / static_cast<A>(n)) : A(0));
    else return convert<T, A>(a / static_cast<double>(n));  // n = 0: 0/0 = NaN
  }
};
template <class T>
struct RProd {
  using A = WideAcc<T>;
  static A init() { return A(1); }
  static A add(A a, T x) { return acc_mul(a, widen<T, A>(x)); }
  static T fin(A a, int64_t) { return convert<T, A>(a); }
};
template <class T>
struct RMax {
  using A = WideAcc<T>;
  static A init() {
    if constexpr (ew::is_float_v<T>) return -std::numeric_limits<double>::infinity();
    else return static_cast<A>(std::numeric_limits<T>::lowest());
  }
  static A add(A a, T x) {
    const A v = widen<T, A>(x);
    return (v > a || v != v) ? v : a;  // NaN propagates (and sticks: nothing compares greater than NaN)
  }
  static T fin(A a, int64_t) { return convert<T, A>(a); }
};
template <class T>
struct RMin {
  using A = WideAcc<T>;
  static A init() {
    if constexpr (ew::is_float_v<T>) return std::numeric_limits<double>::infinity();
    else return static_cast<A>(std::numeric_limits<T>::max());
  }
  static A add(A a, T x) {
    const A v = widen<T, A>(x);
    return (v < a || v != v) ? v : a;
  }
  static T fin(A a, int64_t) { return convert<T, A>(a); }
};
template <class T>
struct RL1 : RSum<T> {
  using A = WideAcc<T>;
  static A add(A a, T x) {
    A v = widen<T, A>(x);
    if constexpr (std::is_floating_point_v<A>) v = std::fabs(v);
    else if constexpr (std::is_signed_v<A>) v = v < A(0) ? ew::wrap_neg(v) : v;
    return acc_add(a, v);
  }
};
template <class T>
struct RSumSquare : RSum<T> {
  using A = WideAcc<T>;
  static A add(A a, T x) {
    const A v = widen<T, A>(x);
    return acc_add(a, acc_mul(v, v));
  }
};
template <class T>
struct RL2 {
  using A = double;
  static A init() { return 0.0; }
  static A add(A a, T x) {
    const double v = widen<T, double>(x);
    return a + v * v;
  }
  static T fin(A a, int64_t) { return convert<T, double>(std::sqrt(a)); }
};
template <class T>
struct RLogSum {
  using A = double;
  static A init() { return 0.0; }
  static A add(A a, T x) { return a + widen<T, double>(x); }
  static T fin(A a, int64_t) { return convert<T, double>(std::log(a)); }
};
// Marker: log(sum(exp(x))) computed as max + log(sum(exp(x - max))) in two passes.
template <class T>
struct RLogSumExp {
  using A = double;
};

template <class T, template <class> class Op>
class ReduceKernel : public OpKernel {
 public:
  using A = typename Op<T>::A;
  static constexpr bool kLse = std::is_same_v<Op<T>, RLogSumExp<T>>;

  explicit ReduceKernel(ReducePlan plan)
      : plan_(std::move(plan)), acc_(static_cast<size_t>(plan_.out_numel)),
        max_(kLse ? static_cast<size_t>(plan_.out_numel) : 0) {}

  Status run(KernelContext& ctx) override {
    const T* x = ctx.inputs[0]->data<T>();
    T* y = ctx.outputs[0]->data<T>();
    const int64_t n = plan_.inner;
    A* acc = acc_.data();
    if constexpr (kLse) {
      double* mx = max_.data();
      std::fill(max_.begin(), max_.end(), -std::numeric_limits<double>::infinity());
      std::fill(acc_.begin(), acc_.end(), 0.0);
      plan_.for_each_row([&](int64_t i, int64_t o) {
        for (int64_t j = 0; j < n; ++j) {
          const double v = widen<T, double>(x[i + j]);
          double& m = mx[plan_.inner_reduced ? o : o + j];
          if (v > m || v != v) m = v;
        }
      });
      plan_.for_each_row([&](int64_t i, int64_t o) {
        for (int64_t j = 0; j < n; ++j) {
          const int64_t k = plan_.inner_reduced ? o : o + j;
          if (std::isfinite(mx[k])) acc[k] += std::exp(widen<T, double>(x[i + j]) - mx[k]);
        }
      });
      for (int64_t k = 0; k < plan_.out_numel; ++k) {
        // max = +-inf or NaN decides the result on its own (and keeps exp(inf - inf) out).
        const double r = std::isfinite(mx[k]) ? mx[k] + std::log(acc[k]) : mx[k];
        y[k] = convert<T, double>(r);
      }
    } else {
      using R = Op<T>;
      std::fill(acc_.begin(), acc_.end(), R::init());
      if (plan_.inner_reduced) {
        plan_.for_each_row([&](int64_t i, int64_t o) {
          A a = acc[o];
          for (int64_t j = 0; j < n; ++j) a = R::add(a, x[i + j]);
          acc[o] = a;
        });
      } else {
        plan_.for_each_row([&](int64_t i, int64_t o) {
          for (int64_t j = 0; j < n; ++j) acc[o + j] = R::add(acc[o + j], x[i + j]);
        });
      }
      for (int64_t k = 0; k < plan_.out_numel; ++k) y[k] = R::fin(acc[k], plan_.count);
    }
    return Status();
  }

 private:
  ReducePlan plan_;
  std::vector<A> acc_;     // [out_numel]
  std::vector<double> max_;  // [out_numel], LogSumExp only
};

// y[r] = sum(x[r, :]) * scale for float32 rows of n contiguous elements.
class RowSumF32Kernel : public OpKernel {
 public:
  RowSumF32Kernel(int64_t rows, int64_t n, bool mean) : rows_(rows), n_(n), mean_(mean) {}
  const char* variant() const override { return kernels::vmath_name(); }
  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const float count = static_cast<float>(n_);
    auto body = [&](int64_t r0, int64_t r1, int) {
      for (int64_t r = r0; r < r1; ++r) {
        const float s = kernels::sum_f32(x + r * n_, n_);
        y[r] = mean_ ? s / count : s;
      }
    };
    if (ctx.pool && ctx.pool->size() > 1 && rows_ > 1 && rows_ * n_ >= (1 << 15)) ctx.pool->parallel_for(rows_, body);
    else body(0, rows_, 0);
    return Status();
  }

 private:
  int64_t rows_, n_;
  bool mean_;
};

class CopyKernel : public OpKernel {
 public:
  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    if (x.nbytes()) std::memcpy(ctx.outputs[0]->raw_data(), x.raw_data(), x.nbytes());
    return Status();
  }
};

// Which opset moved `axes` from an attribute to an input.
template <template <class> class Op>
constexpr int axes_input_since() {
  if constexpr (std::is_same_v<Op<float>, RSum<float>>) return 13;
  else return 18;
}

template <template <class> class Op, bool kAllowBool>
Expected<std::unique_ptr<OpKernel>> prepare_reduce(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 is required");
  const DType d = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const int rank = static_cast<int>(in.size());
  std::vector<int64_t> axes;
  if (ctx.opset() >= axes_input_since<Op>()) {
    if (ctx.has_input(1)) {
      const DType ad = ctx.input_dtype(1);
      if (ad != DType::kInt64 && ad != DType::kInt32) return ctx.error("axes must be int64, got ", dtype_name(ad));
      ER_ASSIGN_OR_RETURN(const Tensor* t, ctx.input_value(1));
      if (t->rank() > 1) return ctx.error("axes must be 1-D, got shape [", shape_str(t->shape()), "]");
      axes = read_ints(*t);
    }
  } else {
    axes = ctx.node().attr_ints("axes");
  }
  const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
  const bool noop = ctx.node().attr_int("noop_with_empty_axes", 0) != 0;

  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  if (axes.empty()) {
    if (noop) {
      if (!ew::visit_all(d, [](auto) {})) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
      ctx.set_output(0, d, in);
      return make_kernel<CopyKernel>();
    }
    std::fill(reduced.begin(), reduced.end(), true);
  }
  for (int64_t a : axes) {
    auto ax = normalize_axis(a, rank);
    if (!ax.ok()) return ctx.error(ax.status().message());
    if (reduced[static_cast<size_t>(*ax)]) return ctx.error("axis ", a, " appears more than once in axes");
    reduced[static_cast<size_t>(*ax)] = true;
  }
  Shape out;
  for (int i = 0; i < rank; ++i) {
    if (!reduced[static_cast<size_t>(i)]) out.push_back(in[static_cast<size_t>(i)]);
    else if (keepdims) out.push_back(1);
  }
  auto plan = make_reduce_plan(in, reduced);
  if (!plan.ok()) return ctx.error(plan.status().message());

  constexpr bool kSumOrMean = std::is_same_v<Op<float>, RSum<float>> || std::is_same_v<Op<float>, RMean<float>>;
  if (kSumOrMean && d == DType::kFloat32 && !ctx.reference_kernels() && plan->rows > 0 && plan->inner_reduced &&
      plan->inner > 0 && std::all_of(plan->out_strides.begin(), plan->out_strides.end(), [](int64_t s) { return s != 0; })) {
    // Every outer group is kept: row r of the input reduces to output element r.
    ctx.set_output(0, d, out);
    return make_kernel<RowSumF32Kernel>(plan->rows, plan->inner, std::is_same_v<Op<float>, RMean<float>>);
  }
  std::unique_ptr<OpKernel> kernel;
  auto make = [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernel.reset(new ReduceKernel<T, Op>(std::move(*plan)));
  };
  const bool ok = kAllowBool ? ew::visit_all(d, make) : ew::visit_numeric(d, make);
  if (!ok) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  ctx.set_output(0, d, out);
  return kernel;
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  auto add = [&](const char* name, PrepareFn fn) { r.add(OpSchema{"", name, 1, INT_MAX, fn}); };
  add("ReduceSum", &prepare_reduce<RSum, false>);
  add("ReduceMean", &prepare_reduce<RMean, false>);
  add("ReduceMax", &prepare_reduce<RMax, true>);
  add("ReduceMin", &prepare_reduce<RMin, true>);
  add("ReduceProd", &prepare_reduce<RProd, false>);
  add("ReduceL1", &prepare_reduce<RL1, false>);
  add("ReduceL2", &prepare_reduce<RL2, false>);
  add("ReduceLogSum", &prepare_reduce<RLogSum, false>);
  add("ReduceLogSumExp", &prepare_reduce<RLogSumExp, false>);
  add("ReduceSumSquare", &prepare_reduce<RSumSquare, false>);
  ew::register_index_ops(r);
}

}  // namespace edgerun
