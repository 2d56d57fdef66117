// Binary and variadic element-wise ops with multidirectional (numpy) broadcasting, plus the opset < 7
// legacy `broadcast`/`axis` form: arithmetic, Pow, Mod, Max/Min/Sum/Mean, comparisons, logical and
// bitwise ops, BitShift.
//
// Integer semantics (documented choices where ONNX leaves behaviour undefined):
//  - Add/Sub/Mul/Neg wrap around (two's complement) on overflow.
//  - Div truncates toward zero; x / 0 gives 0; INT_MIN / -1 wraps to INT_MIN.
//  - Mod (fmod=0) takes the sign of the divisor, Mod (fmod=1) the sign of the dividend; x mod 0 gives 0.
//  - BitShift by >= the bit width gives 0.
//
// float32 Add/Sub/Mul/Div take a fast path when one input has the output's shape and the other has it too, is a
// scalar, a row vector over the last axis ([..., 1, n]) or one value per row ([..., rows, 1]): flat loops the
// compiler vectorizes, split over the thread pool when large. Pow with a constant exponent 1, 2 or 0.5 becomes a
// copy, x * x or sqrt. Session backend "reference" keeps the generic broadcast loops.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "ops/ew_common.h"
#include "ops/op_util.h"

namespace edgerun::ew {
namespace {

struct BinParams {
  int mode = 0;
};

using BinaryFn = void (*)(const BroadcastPlan& plan, const void* a, const void* b, void* out, const BinParams& p);

// One row: the inner strides are 0 or 1, so the four cases become plain loops the compiler can vectorize.
template <class A, class B, class O, class Op>
void binary_loop(const BroadcastPlan& plan, const void* va, const void* vb, void* vo, const BinParams& p) {
  const A* a = static_cast<const A*>(va);
  const B* b = static_cast<const B*>(vb);
  O* out = static_cast<O*>(vo);
  const int64_t n = plan.inner();
  const bool sa = plan.inner_stride(0) != 0;
  const bool sb = plan.inner_stride(1) != 0;
  plan.for_each_row([&](int64_t o, const int64_t* off) {
    const A* ra = a + off[0];
    const B* rb = b + off[1];
    O* ro = out + o;
    if (sa && sb) {
      for (int64_t i = 0; i < n; ++i) ro[i] = Num<O>::store(Op::f(Num<A>::load(ra[i]), Num<B>::load(rb[i]), p));
    } else if (sa) {
      const auto bv = Num<B>::load(*rb);
      for (int64_t i = 0; i < n; ++i) ro[i] = Num<O>::store(Op::f(Num<A>::load(ra[i]), bv, p));
    } else if (sb) {
      const auto av = Num<A>::load(*ra);
      for (int64_t i = 0; i < n; ++i) ro[i] = Num<O>::store(Op::f(av, Num<B>::load(rb[i]), p));
    } else {
      const O v = Num<O>::store(Op::f(Num<A>::load(*ra), Num<B>::load(*rb), p));
      for (int64_t i = 0; i < n; ++i) ro[i] = v;
    }
  });
}

// Output <- one input, broadcast (Max/Min/Sum/Mean with a single input, or a first input to expand).
template <class T>
void broadcast_copy(const BroadcastPlan& plan, const void* va, void* vo) {
  const T* a = static_cast<const T*>(va);
  T* out = static_cast<T*>(vo);
  const int64_t n = plan.inner();
  const bool sa = plan.inner_stride(0) != 0;
  plan.for_each_row([&](int64_t o, const int64_t* off) {
    if (sa) std::copy(a + off[0], a + off[0] + n, out + o);
    else std::fill(out + o, out + o + n, a[off[0]]);
  });
}

// ---- functors: f(a, b, params) on compute types ----

struct OpBase {
  template <class T>
  static constexpr bool accepts() { return true; }
  static Status read(const PrepareContext&, BinParams&) { return Status(); }
};

struct OpAdd : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_integral_v<C>) return wrap_add(a, b);
    else return a + b;
  }
};
struct OpSub : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_integral_v<C>) return wrap_sub(a, b);
    else return a - b;
  }
};
struct OpMul : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_integral_v<C>) return wrap_mul(a, b);
    else return a * b;
  }
};
struct OpDiv : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C(0);
      if constexpr (std::is_signed_v<C>)
        if (b == C(-1)) return wrap_neg(a);
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};
// Mod with fmod=0: result has the sign of the divisor (integers only).
struct OpModInt : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C(0);
      if constexpr (std::is_signed_v<C>) {
        if (b == C(-1)) return C(0);
        C r = static_cast<C>(a % b);
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
        return r;
      } else {
        return static_cast<C>(a % b);
      }
    } else {
      return a;  // not instantiated for floats (prepare rejects fmod=0 with float inputs)
    }
  }
};
// Mod with fmod=1: C fmod, result has the sign of the dividend.
struct OpFmod : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C(0);
      if constexpr (std::is_signed_v<C>)
        if (b == C(-1)) return C(0);
      return static_cast<C>(a % b);
    } else {
      return std::fmod(a, b);
    }
  }
};
struct OpMax : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_floating_point_v<C>) {
      if (a != a) return a;  // NaN propagates
      if (b != b) return b;
    }
    return a < b ? b : a;
  }
};
struct OpMin : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) {
    if constexpr (std::is_floating_point_v<C>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return b < a ? b : a;
  }
};
struct OpEqual : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a == b; }
};
struct OpGreater : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a > b; }
};
struct OpGreaterOrEqual : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a >= b; }
};
struct OpLess : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a < b; }
};
struct OpLessOrEqual : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a <= b; }
};
struct OpAnd : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a != 0 && b != 0; }
};
struct OpOr : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return a != 0 || b != 0; }
};
struct OpXor : OpBase {
  template <class C>
  static bool f(C a, C b, const BinParams&) { return (a != 0) != (b != 0); }
};
struct OpBitwiseAnd : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) { return static_cast<C>(a & b); }
};
struct OpBitwiseOr : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) { return static_cast<C>(a | b); }
};
struct OpBitwiseXor : OpBase {
  template <class C>
  static C f(C a, C b, const BinParams&) { return static_cast<C>(a ^ b); }
};
struct OpBitShift : OpBase {
  static Status read(const PrepareContext& ctx, BinParams& p) {
    const std::string dir = ctx.node().attr_string("direction", "");
    if (dir == "LEFT") p.mode = 0;
    else if (dir == "RIGHT") p.mode = 1;
    else return ctx.error("direction must be 'LEFT' or 'RIGHT', got '", dir, "'");
    return Status();
  }
  template <class C>
  static C f(C a, C b, const BinParams& p) {
    if (b >= static_cast<C>(sizeof(C) * 8)) return C(0);
    // Shift in at least unsigned int width so uint8/uint16 do not promote to signed int.
    using P = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, C>;
    return static_cast<C>(p.mode == 0 ? static_cast<P>(a) << b : static_cast<P>(a) >> b);
  }
};
// Pow: same-type float fast path; integer base with integral exponent is exact (repeated squaring, wrapping).
struct OpPow : OpBase {
  template <class CA, class CB>
  static CA f(CA a, CB b, const BinParams&) {
    if constexpr (std::is_floating_point_v<CA> && std::is_same_v<CA, CB>) {
      return std::pow(a, b);
    } else if constexpr (std::is_floating_point_v<CA>) {
      return static_cast<CA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    } else {
      const double e = static_cast<double>(b);
      if (e == std::floor(e) && std::fabs(e) < 9.2e18) return int_pow(a, static_cast<int64_t>(e));
      return float_to_int<CA>(std::pow(static_cast<double>(a), e));
    }
  }
  template <class C>
  static C int_pow(C base, int64_t e) {
    if (e < 0) {
      if (base == C(1)) return C(1);
      if constexpr (std::is_signed_v<C>)
        if (base == C(-1)) return (e % 2) ? C(-1) : C(1);
      return C(0);  // |base| > 1: the true value is a fraction, which truncates to 0 (base 0: 1/0, also 0)
    }
    C r = C(1);
    while (e > 0) {
      if (e & 1) r = wrap_mul(r, base);
      base = wrap_mul(base, base);
      e >>= 1;
    }
    return r;
  }
};
// Integer and bitwise functors only make sense on integers; float dtypes never reach them.
template <class Op>
struct IntOnly : Op {
  template <class T>
  static constexpr bool accepts() { return std::is_integral_v<T>; }
};

template <class Op, bool kBoolOut, TypeSet kTypes>
BinaryFn pick_binary(DType d) {
  BinaryFn fn = nullptr;
  visit_set<kTypes>(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (Op::template accepts<T>()) {
      if constexpr (kBoolOut) fn = &binary_loop<T, T, uint8_t, Op>;
      else fn = &binary_loop<T, T, T, Op>;
    }
  });
  return fn;
}

class BinaryKernel : public OpKernel {
 public:
  BinaryKernel(BinaryFn fn, BroadcastPlan plan, BinParams p) : fn_(fn), plan_(std::move(plan)), p_(p) {}
  Status run(KernelContext& ctx) override {
    fn_(plan_, ctx.inputs[0]->raw_data(), ctx.inputs[1]->raw_data(), ctx.outputs[0]->raw_data(), p_);
    return Status();
  }

 private:
  BinaryFn fn_;
  BroadcastPlan plan_;
  BinParams p_;
};

// Output shape and broadcast plan of a two-input op, with the opset < 7 legacy form when `legacy`.
Expected<std::pair<Shape, BroadcastPlan>> plan_two(PrepareContext& ctx, bool legacy) {
  const Shape& a = ctx.input_shape(0);
  Shape b = ctx.input_shape(1);
  Shape out;
  if (legacy && ctx.opset() < 7) {
    ER_ASSIGN_OR_RETURN(b, legacy_broadcast_shape(ctx, a, b));
    out = a;
  } else {
    auto s = broadcast_shapes({a, b});
    if (!s.ok()) return ctx.error(s.status().message());
    out = *s;
  }
  auto plan = BroadcastPlan::make(out, {a, b});
  if (!plan.ok()) return ctx.error(plan.status().message());
  return std::make_pair(std::move(out), std::move(*plan));
}

Status check_two_inputs(const PrepareContext& ctx, bool same_dtype) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("two inputs are required");
  if (same_dtype && ctx.input_dtype(0) != ctx.input_dtype(1))
    return ctx.error("inputs have different dtypes: ", dtype_name(ctx.input_dtype(0)), " and ",
                     dtype_name(ctx.input_dtype(1)));
  return Status();
}

template <class Op, TypeSet kTypes, bool kBoolOut, bool kLegacy>
Expected<std::unique_ptr<OpKernel>> prepare_binary(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_two_inputs(ctx, true));
  const DType d = ctx.input_dtype(0);
  BinaryFn fn = pick_binary<Op, kBoolOut, kTypes>(d);
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  BinParams p;
  ER_RETURN_IF_ERROR(Op::read(ctx, p));
  ER_ASSIGN_OR_RETURN(auto sp, plan_two(ctx, kLegacy));
  ctx.set_output(0, kBoolOut ? DType::kBool : d, sp.first);
  return make_kernel<BinaryKernel>(fn, std::move(sp.second), p);
}

// ---- float32 fast paths ----

// How the non-full operand of a float32 binary op maps onto the output, seen as [rows, n] with n = last dim.
enum class FastBcast { kFull, kScalar, kRow, kPerRow };

// Work units of at least this many elements are worth a thread.
constexpr int64_t kParallelMinElems = 1 << 15;
constexpr int64_t kFlatBlock = 1 << 13;

// out[r, :] = op(full[r, :], other) for rows [r0, r1); kSwap: the full operand is the op's second input.
template <class Op, bool kSwap>
void fast_rows(FastBcast mode, const float* f, const float* o, float* out, int64_t n, int64_t r0, int64_t r1) {
  auto ap = [](float x, float y) { return kSwap ? Op::template f<float>(y, x, BinParams{}) : Op::template f<float>(x, y, BinParams{}); };
  switch (mode) {
    case FastBcast::kFull:
      for (int64_t i = r0 * n; i < r1 * n; ++i) out[i] = ap(f[i], o[i]);
      break;
    case FastBcast::kScalar: {
      const float v = o[0];
      for (int64_t i = r0 * n; i < r1 * n; ++i) out[i] = ap(f[i], v);
      break;
    }
    case FastBcast::kRow:
      for (int64_t r = r0; r < r1; ++r) {
        const float* fr = f + r * n;
        float* yr = out + r * n;
        for (int64_t j = 0; j < n; ++j) yr[j] = ap(fr[j], o[j]);
      }
      break;
    case FastBcast::kPerRow:
      for (int64_t r = r0; r < r1; ++r) {
        const float* fr = f + r * n;
        float* yr = out + r * n;
        const float v = o[r];
        for (int64_t j = 0; j < n; ++j) yr[j] = ap(fr[j], v);
      }
      break;
  }
}

using FastRowsFn = void (*)(FastBcast, const float*, const float*, float*, int64_t, int64_t, int64_t);

class FastBinaryF32Kernel : public OpKernel {
 public:
  FastBinaryF32Kernel(FastRowsFn fn, FastBcast mode, bool full_is_b, int64_t rows, int64_t n)
      : fn_(fn), mode_(mode), full_is_b_(full_is_b), rows_(rows), n_(n) {
    // Flat modes: regroup into blocks so that tiny last dims still split evenly over threads.
    if ((mode_ == FastBcast::kFull || mode_ == FastBcast::kScalar) && rows_ * n_ > 0) {
      n_ = rows_ * n_;
      rows_ = 1;
      if (n_ >= kParallelMinElems) {
        block_ = kFlatBlock;
      }
    }
  }
  const char* variant() const override { return "f32-binary-fast"; }

  Status run(KernelContext& ctx) override {
    const float* a = ctx.inputs[0]->data<float>();
    const float* b = ctx.inputs[1]->data<float>();
    const float* f = full_is_b_ ? b : a;
    const float* o = full_is_b_ ? a : b;
    float* y = ctx.outputs[0]->data<float>();
    const int64_t total = rows_ * n_;
    if (total == 0) return Status();
    const bool par = ctx.pool && ctx.pool->size() > 1 && total >= kParallelMinElems;
    if (!par) {
      fn_(mode_, f, o, y, n_, 0, rows_);
    } else if (block_ > 0) {
      // Flat: the whole tensor is one row of n_ elements; split it into blocks.
      ctx.pool->parallel_for((n_ + block_ - 1) / block_, [&](int64_t b0, int64_t b1, int) {
        const int64_t i0 = b0 * block_, i1 = std::min(n_, b1 * block_);
        fn_(mode_, f + i0, mode_ == FastBcast::kFull ? o + i0 : o, y + i0, i1 - i0, 0, 1);
      });
    } else {
      ctx.pool->parallel_for(rows_, [&](int64_t r0, int64_t r1, int) { fn_(mode_, f, o, y, n_, r0, r1); });
    }
    return Status();
  }

 private:
  FastRowsFn fn_;
  FastBcast mode_;
  bool full_is_b_;
  int64_t rows_, n_;
  int64_t block_ = 0;  // > 0: flat mode split into blocks of this many elements
};

// How `in` broadcasts onto `out` in terms of the fast modes; false if none applies. kPerRow: `in` matches
// `out` on the leading dims and is 1 on all the trailing ones (a [N, C, 1, 1] channel scale onto
// [N, C, H, W]); *per_row_n is then the product of those trailing dims of `out`, the row length.
bool fast_bcast_mode(const Shape& in, const Shape& out, FastBcast* mode, int64_t* per_row_n = nullptr) {
  if (in.size() > out.size()) return false;
  Shape p(out.size() - in.size(), 1);
  p.insert(p.end(), in.begin(), in.end());
  if (p == out) {
    *mode = FastBcast::kFull;
    return true;
  }
  if (shape_numel(in) == 1) {
    *mode = FastBcast::kScalar;
    return true;
  }
  if (out.empty()) return false;
  const size_t last = out.size() - 1;
  bool row = p[last] == out[last];
  for (size_t d = 0; d < last; ++d)
    if (p[d] != 1) row = false;
  size_t lead = out.size();  // p[lead..] are all 1
  while (lead > 0 && p[lead - 1] == 1) --lead;
  bool per_row = lead < out.size();
  int64_t n = 1;
  for (size_t d = 0; d < out.size(); ++d) {
    if (d < lead && p[d] != out[d]) per_row = false;
    if (d >= lead) n *= out[d];
  }
  if (row) {
    *mode = FastBcast::kRow;
  } else if (per_row) {
    *mode = FastBcast::kPerRow;
    if (per_row_n) *per_row_n = n;
  }
  return row || per_row;
}

// The fast kernel for a float32 Add/Sub/Mul/Div of shapes a, b onto out, or nullptr.
template <class Op>
std::unique_ptr<OpKernel> make_fast_binary(const Shape& a, const Shape& b, const Shape& out) {
  FastBcast ma, mb;
  const bool a_full = fast_bcast_mode(a, out, &ma) && ma == FastBcast::kFull;
  const bool b_full = fast_bcast_mode(b, out, &mb) && mb == FastBcast::kFull;
  const int64_t numel = shape_numel(out);
  auto make = [&](FastRowsFn fn, FastBcast mode, bool full_is_b, int64_t per_row_n) {
    // Rows of the last dim, or of the trailing dims a per-row operand is 1 on.
    const int64_t n = mode == FastBcast::kPerRow ? per_row_n : out.empty() ? 1 : out.back();
    return std::make_unique<FastBinaryF32Kernel>(fn, mode, full_is_b, n == 0 ? 0 : numel / n, n);
  };
  int64_t n = 1;
  if (a_full && fast_bcast_mode(b, out, &mb, &n)) return make(&fast_rows<Op, false>, mb, false, n);
  if (b_full && fast_bcast_mode(a, out, &ma, &n)) return make(&fast_rows<Op, true>, ma, true, n);
  return nullptr;
}

template <class Op>
Expected<std::unique_ptr<OpKernel>> prepare_arith(PrepareContext& ctx) {
  auto k = prepare_binary<Op, TypeSet::kNumeric, false, true>(ctx);
  if (!k.ok() || ctx.reference_kernels() || ctx.input_dtype(0) != DType::kFloat32) return k;
  if (ctx.opset() < 7 && ctx.node().attr_int("broadcast", 0) != 0) return k;  // legacy axis-aligned broadcast
  const Shape& out = ctx.outputs()[0].shape;
  if (auto fast = make_fast_binary<Op>(ctx.input_shape(0), ctx.input_shape(1), out)) return fast;
  return k;
}

// Pow(x, c) for a constant scalar c in {1, 2, 0.5} on float32 x.
class PowConstF32Kernel : public OpKernel {
 public:
  explicit PowConstF32Kernel(int kind) : kind_(kind) {}
  const char* variant() const override { return kind_ == 2 ? "f32-pow-square" : kind_ == 1 ? "f32-pow-copy" : "f32-pow-sqrt"; }
  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const int64_t n = ctx.inputs[0]->numel();
    auto body = [&](int64_t i0, int64_t i1) {
      if (kind_ == 2) {
        for (int64_t i = i0; i < i1; ++i) y[i] = x[i] * x[i];
      } else if (kind_ == 1) {
        if (x != y) std::copy(x + i0, x + i1, y + i0);
      } else {
        // pow(-0, 0.5) = +0 and pow(-inf, 0.5) = +inf, where sqrt gives -0 and NaN.
        for (int64_t i = i0; i < i1; ++i) y[i] = x[i] == -INFINITY ? INFINITY : std::sqrt(x[i]) + 0.0f;
      }
    };
    if (ctx.pool && ctx.pool->size() > 1 && n >= kParallelMinElems) {
      ctx.pool->parallel_for((n + kFlatBlock - 1) / kFlatBlock, [&](int64_t b0, int64_t b1, int) {
        body(b0 * kFlatBlock, std::min(n, b1 * kFlatBlock));
      });
    } else {
      body(0, n);
    }
    return Status();
  }

 private:
  int kind_;  // 1: copy, 2: square, 0: sqrt
};

Expected<std::unique_ptr<OpKernel>> prepare_mod(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_two_inputs(ctx, true));
  const DType d = ctx.input_dtype(0);
  const int64_t fmod = ctx.node().attr_int("fmod", 0);
  if (fmod != 0 && fmod != 1) return ctx.error("fmod must be 0 or 1, got ", fmod);
  BinaryFn fn = nullptr;
  if (fmod == 1) {
    fn = pick_binary<OpFmod, false, TypeSet::kNumeric>(d);
  } else {
    if (visit_float(d, [](auto) {}))
      return ctx.error("fmod must be 1 for floating-point inputs (", dtype_name(d), ")");
    fn = pick_binary<IntOnly<OpModInt>, false, TypeSet::kInt>(d);
  }
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  ER_ASSIGN_OR_RETURN(auto sp, plan_two(ctx, false));
  ctx.set_output(0, d, sp.first);
  return make_kernel<BinaryKernel>(fn, std::move(sp.second), BinParams{});
}

// Pow with a different exponent dtype: the exponent is converted to float64 into a buffer owned by the kernel
// (sized at prepare), then one loop per base type runs; same-dtype Pow uses the plain BinaryKernel.
class PowMixedKernel : public OpKernel {
 public:
  PowMixedKernel(BinaryFn fn, BroadcastPlan plan, int64_t exp_numel)
      : fn_(fn), plan_(std::move(plan)), exp_(static_cast<size_t>(exp_numel)) {}
  Status run(KernelContext& ctx) override {
    const Tensor& e = *ctx.inputs[1];
    for (int64_t i = 0; i < e.numel(); ++i) exp_[static_cast<size_t>(i)] = read_double(e, i);
    fn_(plan_, ctx.inputs[0]->raw_data(), exp_.data(), ctx.outputs[0]->raw_data(), BinParams{});
    return Status();
  }

 private:
  BinaryFn fn_;
  BroadcastPlan plan_;
  std::vector<double> exp_;  // [numel(exponent)]
};

Expected<std::unique_ptr<OpKernel>> prepare_pow(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_two_inputs(ctx, false));
  const DType d = ctx.input_dtype(0);
  const DType e = ctx.input_dtype(1);
  if (!visit_numeric(e, [](auto) {})) return ctx.unsupported_error("exponent dtype ", dtype_name(e), " is not supported");
  ER_ASSIGN_OR_RETURN(auto sp, plan_two(ctx, true));
  if (d == DType::kFloat32 && !ctx.reference_kernels() && shape_numel(sp.first) == shape_numel(ctx.input_shape(0))) {
    const Tensor* c = ctx.constant_input(1);
    if (c && c->numel() == 1) {
      const double v = read_double(*c, 0);
      const int kind = v == 1.0 ? 1 : v == 2.0 ? 2 : v == 0.5 ? 0 : -1;
      if (kind >= 0) {
        ctx.set_output(0, d, sp.first);
        return make_kernel<PowConstF32Kernel>(kind);
      }
    }
  }
  BinaryFn fn = nullptr;
  if (d == e) {
    fn = pick_binary<OpPow, false, TypeSet::kNumeric>(d);
    if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
    ctx.set_output(0, d, sp.first);
    return make_kernel<BinaryKernel>(fn, std::move(sp.second), BinParams{});
  }
  visit_numeric(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fn = &binary_loop<T, double, T, OpPow>;
  });
  if (!fn) return ctx.unsupported_error("base dtype ", dtype_name(d), " is not supported");
  ctx.set_output(0, d, sp.first);
  return make_kernel<PowMixedKernel>(fn, std::move(sp.second), shape_numel(ctx.input_shape(1)));
}

// Max / Min / Sum / Mean over 1..N inputs: out = op(in0, in1), then out = op(out, in_i) in place.
using CopyFn = void (*)(const BroadcastPlan& plan, const void* a, void* out);
using ScaleFn = void (*)(void* out, int64_t n, int64_t count);

template <class T>
void mean_scale(void* vo, int64_t n, int64_t count) {
  T* o = static_cast<T*>(vo);
  using C = typename Num<T>::C;
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_integral_v<C>) o[i] = static_cast<T>(Num<T>::load(o[i]) / static_cast<C>(count));
    else o[i] = Num<T>::store(Num<T>::load(o[i]) / static_cast<C>(count));
  }
}

class VariadicKernel : public OpKernel {
 public:
  VariadicKernel(BinaryFn fn, CopyFn copy, ScaleFn scale, std::vector<BroadcastPlan> plans)
      : fn_(fn), copy_(copy), scale_(scale), plans_(std::move(plans)) {}
  Status run(KernelContext& ctx) override {
    Tensor& out = *ctx.outputs[0];
    const size_t n = ctx.inputs.size();
    if (n == 1) {
      copy_(plans_[0], ctx.inputs[0]->raw_data(), out.raw_data());
    } else {
      fn_(plans_[0], ctx.inputs[0]->raw_data(), ctx.inputs[1]->raw_data(), out.raw_data(), BinParams{});
      for (size_t i = 2; i < n; ++i)
        fn_(plans_[i - 1], out.raw_data(), ctx.inputs[i]->raw_data(), out.raw_data(), BinParams{});
    }
    if (scale_) scale_(out.raw_data(), out.numel(), static_cast<int64_t>(n));
    return Status();
  }

 private:
  BinaryFn fn_;
  CopyFn copy_;
  ScaleFn scale_;
  std::vector<BroadcastPlan> plans_;
};

template <class Op, bool kMean>
Expected<std::unique_ptr<OpKernel>> prepare_variadic(PrepareContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 1) return ctx.error("at least one input is required");
  std::vector<Shape> shapes;
  for (int i = 0; i < n; ++i) {
    if (!ctx.has_input(i)) return ctx.error("input ", i, " is missing");
    if (ctx.input_dtype(i) != ctx.input_dtype(0))
      return ctx.error("input ", i, " has dtype ", dtype_name(ctx.input_dtype(i)), ", input 0 has ",
                       dtype_name(ctx.input_dtype(0)));
    shapes.push_back(ctx.input_shape(i));
  }
  const DType d = ctx.input_dtype(0);
  BinaryFn fn = nullptr;
  CopyFn copy = nullptr;
  ScaleFn scale = nullptr;
  visit_numeric(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fn = &binary_loop<T, T, T, Op>;
    copy = &broadcast_copy<T>;
    if (kMean) scale = &mean_scale<T>;
  });
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  auto out = broadcast_shapes(shapes);
  if (!out.ok()) return ctx.error(out.status().message());
  std::vector<BroadcastPlan> plans;
  if (n == 1) {
    ER_ASSIGN_OR_RETURN(BroadcastPlan p, BroadcastPlan::make(*out, {shapes[0]}));
    plans.push_back(std::move(p));
  } else {
    // The first step may itself broadcast in0 and in1 to the full output shape.
    auto p0 = BroadcastPlan::make(*out, {shapes[0], shapes[1]});
    if (!p0.ok()) return ctx.error(p0.status().message());
    plans.push_back(std::move(*p0));
    for (int i = 2; i < n; ++i) {
      auto p = BroadcastPlan::make(*out, {*out, shapes[static_cast<size_t>(i)]});
      if (!p.ok()) return ctx.error(p.status().message());
      plans.push_back(std::move(*p));
    }
  }
  ctx.set_output(0, d, *out);
  return make_kernel<VariadicKernel>(fn, copy, scale, std::move(plans));
}

struct OpPRelu : OpBase {
  template <class C>
  static C f(C x, C slope, const BinParams&) {
    if constexpr (std::is_integral_v<C>) return x < C(0) ? wrap_mul(x, slope) : x;
    else return x < C(0) ? slope * x : x;
  }
};

// PRelu: slope broadcasts unidirectionally to X (the output always has X's shape). Before opset 7 a 1-D slope
// of X's channel count applies per channel (axis 1), as Caffe-style models exported it.
Expected<std::unique_ptr<OpKernel>> prepare_prelu(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_two_inputs(ctx, true));
  const DType d = ctx.input_dtype(0);
  BinaryFn fn = pick_binary<OpPRelu, false, TypeSet::kNumeric>(d);
  if (!fn) return ctx.unsupported_error("input dtype ", dtype_name(d), " is not supported");
  const Shape& x = ctx.input_shape(0);
  Shape slope = ctx.input_shape(1);
  if (ctx.opset() < 7 && slope.size() == 1 && x.size() >= 2 && slope[0] == x[1] && slope[0] != 1 &&
      x.back() != slope[0]) {
    Shape s(x.size() - 1, 1);
    s[0] = slope[0];
    slope = s;
  }
  auto out = broadcast_shapes({x, slope});
  if (!out.ok() || *out != x)
    return ctx.error("slope of shape [", shape_str(ctx.input_shape(1)), "] cannot be broadcast to X [", shape_str(x),
                     "]");
  auto plan = BroadcastPlan::make(x, {x, slope});
  if (!plan.ok()) return ctx.error(plan.status().message());
  ctx.set_output(0, d, x);
  return make_kernel<BinaryKernel>(fn, std::move(*plan), BinParams{});
}

}  // namespace

void register_binary_ops(OpRegistry& r) {
  auto add = [&](const char* name, PrepareFn fn) { r.add(OpSchema{"", name, 1, INT_MAX, fn}); };
  constexpr TypeSet kNum = TypeSet::kNumeric;
  add("Add", &prepare_arith<OpAdd>);
  add("Sub", &prepare_arith<OpSub>);
  add("Mul", &prepare_arith<OpMul>);
  add("Div", &prepare_arith<OpDiv>);
  add("Pow", &prepare_pow);
  add("Mod", &prepare_mod);
  add("Max", &prepare_variadic<OpMax, false>);
  add("Min", &prepare_variadic<OpMin, false>);
  add("Sum", &prepare_variadic<OpAdd, false>);
  add("Mean", &prepare_variadic<OpAdd, true>);
  add("Equal", &prepare_binary<OpEqual, TypeSet::kAll, true, true>);
  add("Greater", &prepare_binary<OpGreater, kNum, true, true>);
  add("GreaterOrEqual", &prepare_binary<OpGreaterOrEqual, kNum, true, false>);
  add("Less", &prepare_binary<OpLess, kNum, true, true>);
  add("LessOrEqual", &prepare_binary<OpLessOrEqual, kNum, true, false>);
  add("And", &prepare_binary<OpAnd, TypeSet::kBool, true, true>);
  add("Or", &prepare_binary<OpOr, TypeSet::kBool, true, true>);
  add("Xor", &prepare_binary<OpXor, TypeSet::kBool, true, true>);
  add("BitShift", &prepare_binary<IntOnly<OpBitShift>, TypeSet::kUnsigned, false, false>);
  add("BitwiseAnd", &prepare_binary<IntOnly<OpBitwiseAnd>, TypeSet::kInt, false, false>);
  add("BitwiseOr", &prepare_binary<IntOnly<OpBitwiseOr>, TypeSet::kInt, false, false>);
  add("BitwiseXor", &prepare_binary<IntOnly<OpBitwiseXor>, TypeSet::kInt, false, false>);
  add("PRelu", &prepare_prelu);
}

}  // namespace edgerun::ew
