// MatMul (numpy semantics: 1-D operands, batch broadcasting) and Gemm (transA/transB, alpha, beta,
// optional unidirectionally broadcast C), plus the fused com.edgerun FusedMatMul / FusedGemm (ops/fused.h).
// float32 runs on the packed f32-gemm kernels (constant B packed once at prepare, bias and activation in
// the GEMM epilogue); the reference kernels on top of nn::gemm_f32 serve the reference backend, the other
// float dtypes and the Gemm C shapes the epilogue cannot express.
#include <algorithm>

#include "kernels/epilogue.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/gemm.h"
#include "ops/fused.h"
#include "ops/nn_util.h"
#include "ops/op_registry.h"
#include "ops/op_util.h"

namespace edgerun {
namespace {

Status check_same_float_dtypes(const PrepareContext& ctx, int count) {
  for (int i = 0; i < count; ++i) {
    if (!ctx.has_input(i)) continue;
    ER_RETURN_IF_ERROR(nn::check_float_input(ctx, i, i == 0 ? "A" : i == 1 ? "B" : "C"));
    if (ctx.input_dtype(i) != ctx.input_dtype(0))
      return ctx.error("input ", i, " has dtype ", dtype_name(ctx.input_dtype(i)), ", input 0 has ",
                       dtype_name(ctx.input_dtype(0)));
  }
  return Status();
}

// ---------------------------------------------------------------------------------------------
// MatMul

class MatMulKernel : public OpKernel {
 public:
  // a_offsets / b_offsets: element offset of each output batch's A and B matrices.
  // FusedMatMul: `has_bias` (input 2, [N]) and `act` applied after each product.
  MatMulKernel(int64_t m, int64_t n, int64_t k, std::vector<int64_t> a_offsets, std::vector<int64_t> b_offsets,
               bool has_bias, kernels::Activation act)
      : m_(m), n_(n), k_(k), a_off_(std::move(a_offsets)), b_off_(std::move(b_offsets)), has_bias_(has_bias), act_(act) {}

  Status run(KernelContext& ctx) override {
    const float* a = ctx.inputs[0]->data<float>();
    const float* b = ctx.inputs[1]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    kernels::Epilogue ep;
    ep.bias = has_bias_ ? ctx.inputs[2]->data<float>() : nullptr;
    ep.bias_per_column = true;
    ep.act = act_;
    const bool fused = has_bias_ || act_.kind != kernels::Act::kNone;
    for (size_t i = 0; i < a_off_.size(); ++i) {
      float* yi = y + static_cast<int64_t>(i) * m_ * n_;
      nn::gemm_f32(m_, n_, k_, a + a_off_[i], k_, b + b_off_[i], n_, yi, n_, false);
      if (fused) kernels::apply_epilogue_ref(ep, yi, n_, 0, m_, 0, n_);
    }
    return Status();
  }

 private:
  int64_t m_, n_, k_;
  std::vector<int64_t> a_off_, b_off_;
  bool has_bias_;
  kernels::Activation act_;
};

// float32 MatMul on the f32-gemm kernels. With a constant B shared by all batches, B is packed once and
// the batches of A (contiguous) form one tall GEMM; otherwise each batch runs gemm() (attention).
class MatMulF32Kernel : public OpKernel {
 public:
  MatMulF32Kernel(int64_t m, int64_t n, int64_t k, std::vector<int64_t> a_offsets, std::vector<int64_t> b_offsets,
                  bool has_bias, kernels::Activation act, kernels::PackedRhs packed_b)
      : m_(m), n_(n), k_(k), a_off_(std::move(a_offsets)), b_off_(std::move(b_offsets)), has_bias_(has_bias),
        act_(act), packed_b_(std::move(packed_b)) {}

  Status run(KernelContext& ctx) override {
    const float* a = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    kernels::Epilogue ep;
    ep.bias = has_bias_ ? ctx.inputs[2]->data<float>() : nullptr;
    ep.bias_per_column = true;
    ep.act = act_;
    if (packed_b_.uk) {  // a: [batches * m, k]
      kernels::gemm_packed_rhs(a, static_cast<int64_t>(a_off_.size()) * m_, k_, packed_b_, y, n_, ep, ctx.pool);
      return Status();
    }
    const float* b = ctx.inputs[1]->data<float>();
    for (size_t i = 0; i < a_off_.size(); ++i)
      kernels::gemm(m_, n_, k_, a + a_off_[i], k_, false, b + b_off_[i], n_, false,
                    y + static_cast<int64_t>(i) * m_ * n_, n_, ep, ctx.pool);
    return Status();
  }

  size_t packed_bytes() const override { return packed_b_.bytes(); }
  std::vector<int> packed_inputs() const override { return packed_b_.uk ? std::vector<int>{1} : std::vector<int>{}; }
  const char* variant() const override {
    return packed_b_.uk ? packed_b_.uk->name : kernels::default_gemm_ukernel()->name;
  }
  double flops() const override { return 2.0 * static_cast<double>(a_off_.size()) * m_ * n_ * k_; }

 private:
  int64_t m_, n_, k_;
  std::vector<int64_t> a_off_, b_off_;
  bool has_bias_;
  kernels::Activation act_;
  kernels::PackedRhs packed_b_;  // uk == nullptr: B not packed
};

Expected<std::unique_ptr<OpKernel>> prepare_matmul_impl(PrepareContext& ctx, bool fused) {
  const int max_inputs = fused ? 3 : 2;
  if (ctx.num_inputs() < 2 || ctx.num_inputs() > max_inputs || !ctx.has_input(0) || !ctx.has_input(1))
    return ctx.error("needs inputs A and B", fused ? " (and optional bias)" : "");
  const bool has_bias = fused && ctx.has_input(2);
  ER_RETURN_IF_ERROR(check_same_float_dtypes(ctx, has_bias ? 3 : 2));
  kernels::Activation act;
  if (fused) {
    ER_ASSIGN_OR_RETURN(act, read_fused_activation(ctx));
  }
  Shape a = ctx.input_shape(0), b = ctx.input_shape(1);
  if (a.empty() || b.empty())
    return ctx.error("operands must have rank >= 1, got [", shape_str(a), "] and [", shape_str(b), "]");
  // numpy: a 1-D A is a row vector, a 1-D B a column vector; the added dim is dropped afterwards.
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  if (b[b.size() - 2] != k)
    return ctx.error("inner dimensions differ: A is [", shape_str(ctx.input_shape(0)), "], B is [",
                     shape_str(ctx.input_shape(1)), "]");
  Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  auto batch = broadcast_shapes({a_batch, b_batch});
  if (!batch.ok())
    return ctx.error("batch dims cannot be broadcast: A is [", shape_str(ctx.input_shape(0)), "], B is [",
                     shape_str(ctx.input_shape(1)), "]");

  // Offsets of each broadcast batch's matrices.
  std::vector<int64_t> a_off, b_off;
  BroadcastIterator it(*batch, {a_batch, b_batch});
  const int64_t nb = shape_numel(*batch);
  a_off.reserve(static_cast<size_t>(nb));
  b_off.reserve(static_cast<size_t>(nb));
  it.for_each([&](int64_t, const std::vector<int64_t>& off) {
    a_off.push_back(off[0] * m * k);
    b_off.push_back(off[1] * k * n);
  });

  if (has_bias && ctx.input_shape(2) != Shape{n})
    return ctx.error("bias must have shape [", n, "], got [", shape_str(ctx.input_shape(2)), "]");

  Shape out = *batch;
  if (!a_vec) out.push_back(m);
  if (!b_vec) out.push_back(n);
  ctx.set_output(0, ctx.input_dtype(0), out);
  if (ctx.reference_kernels() || ctx.input_dtype(0) != DType::kFloat32)
    return nn::finish_float_kernel(
        ctx, std::make_unique<MatMulKernel>(m, n, k, std::move(a_off), std::move(b_off), has_bias, act));

  // One constant B for every batch and contiguous A batches: pack B once, run one [batches*m, k] GEMM.
  kernels::PackedRhs packed_b;
  const Tensor* b_const = ctx.constant_input(1);
  bool a_contiguous = true;
  for (size_t i = 0; i < a_off.size(); ++i) a_contiguous = a_contiguous && a_off[i] == static_cast<int64_t>(i) * m * k;
  if (b_const && shape_numel(b_batch) == 1 && a_contiguous)
    packed_b = kernels::pack_rhs(b_const->data<float>(), k, n, n, false);
  return std::unique_ptr<OpKernel>(new MatMulF32Kernel(m, n, k, std::move(a_off), std::move(b_off), has_bias, act,
                                                       std::move(packed_b)));
}

Expected<std::unique_ptr<OpKernel>> prepare_matmul(PrepareContext& ctx) { return prepare_matmul_impl(ctx, false); }
Expected<std::unique_ptr<OpKernel>> prepare_fused_matmul(PrepareContext& ctx) { return prepare_matmul_impl(ctx, true); }

// ---------------------------------------------------------------------------------------------
// Gemm

struct GemmParams {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 1.0f;
  bool has_c = false;
  int64_t c_row_stride = 0, c_col_stride = 0;  // C broadcast to [M, N]
};

class GemmKernel : public OpKernel {
 public:
  // a_packed: a constant transposed A already stored as [M, K], else undefined. B is used in place:
  // [K, N], or [N, K] with transB (then the dot-product GEMM reads it directly).
  GemmKernel(GemmParams p, Tensor a_packed, Tensor b_const, kernels::Activation act)
      : p_(p), a_packed_(std::move(a_packed)), b_const_(std::move(b_const)), act_(act) {
    nn::reserve_scratch_floats(static_cast<size_t>(scratch_size()));
  }

  Status run(KernelContext& ctx) override {
    const float* a = a_packed_.defined() ? a_packed_.data<float>() : ctx.inputs[0]->data<float>();
    if (!a_packed_.defined() && p_.trans_a) {  // stored [K, M]
      float* scratch = nn::scratch_floats(static_cast<size_t>(scratch_size()));
      nn::transpose_f32(a, p_.k, p_.m, scratch);
      a = scratch;
    }
    const float* b = b_const_.defined() ? b_const_.data<float>() : ctx.inputs[1]->data<float>();
    float* y = ctx.outputs[0]->data<float>();  // [M, N]
    const float* c = p_.has_c ? ctx.inputs[2]->data<float>() : nullptr;
    const bool fold_c = p_.alpha == 1.0f;  // start from beta*C and accumulate A*B onto it
    if (fold_c) fill_with_c(y, c);
    if (p_.trans_b)
      nn::gemm_f32_nt(p_.m, p_.n, p_.k, a, p_.k, b, p_.k, y, p_.n, fold_c);
    else
      nn::gemm_f32(p_.m, p_.n, p_.k, a, p_.k, b, p_.n, y, p_.n, fold_c);
    if (!fold_c) {
      for (int64_t i = 0; i < p_.m; ++i)
        for (int64_t j = 0; j < p_.n; ++j) {
          float v = p_.alpha * y[i * p_.n + j];
          if (c) v += p_.beta * c[i * p_.c_row_stride + j * p_.c_col_stride];
          y[i * p_.n + j] = v;
        }
    }
    if (act_.kind != kernels::Act::kNone)
      for (int64_t i = 0; i < p_.m * p_.n; ++i) y[i] = kernels::activation_ref(act_, y[i]);
    return Status();
  }

 private:
  void fill_with_c(float* y, const float* c) const {
    for (int64_t i = 0; i < p_.m; ++i)
      for (int64_t j = 0; j < p_.n; ++j)
        y[i * p_.n + j] = c ? p_.beta * c[i * p_.c_row_stride + j * p_.c_col_stride] : 0.0f;
  }
  int64_t scratch_size() const { return !a_packed_.defined() && p_.trans_a ? p_.m * p_.k : 0; }

  GemmParams p_;
  Tensor a_packed_;  // constant A as [M, K] (transposed at prepare when transA)
  Tensor b_const_;   // constant B as float32 (a view when it already is float32)
  kernels::Activation act_;
};

// How the float32 fast path gets Gemm's C (times beta) into the epilogue.
enum class GemmC { kNone, kBiasConst, kBiasInput, kResidualInput };

// float32 Gemm on the f32-gemm kernels: a constant B (times alpha) is packed once at prepare (transB by
// packing transposed); otherwise gemm() reads both operands with their trans flags (then alpha == 1).
class GemmF32Kernel : public OpKernel {
 public:
  GemmF32Kernel(GemmParams p, GemmC c_mode, std::vector<float> bias, kernels::Activation act,
                kernels::PackedRhs packed_b)
      : p_(p), c_mode_(c_mode), bias_(std::move(bias)), act_(act), packed_b_(std::move(packed_b)) {}

  Status run(KernelContext& ctx) override {
    const float* a = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();  // [M, N]
    kernels::Epilogue ep;
    ep.bias_per_column = true;
    ep.act = act_;
    switch (c_mode_) {
      case GemmC::kNone: break;
      case GemmC::kBiasConst: ep.bias = bias_.data(); break;
      case GemmC::kBiasInput: ep.bias = ctx.inputs[2]->data<float>(); break;
      case GemmC::kResidualInput:
        ep.residual = ctx.inputs[2]->data<float>();
        ep.ld_residual = p_.n;
        break;
    }
    if (packed_b_.uk) {
      kernels::gemm_packed_rhs(a, p_.m, p_.k, packed_b_, y, p_.n, ep, ctx.pool);
    } else {
      kernels::gemm(p_.m, p_.n, p_.k, a, p_.trans_a ? p_.m : p_.k, p_.trans_a, ctx.inputs[1]->data<float>(),
                    p_.trans_b ? p_.k : p_.n, p_.trans_b, y, p_.n, ep, ctx.pool);
    }
    return Status();
  }

  size_t packed_bytes() const override { return packed_b_.bytes() + bias_.size() * sizeof(float); }
  std::vector<int> packed_inputs() const override {
    std::vector<int> in;
    if (packed_b_.uk) in.push_back(1);
    if (c_mode_ == GemmC::kBiasConst) in.push_back(2);
    return in;
  }
  const char* variant() const override {
    return packed_b_.uk ? packed_b_.uk->name : kernels::default_gemm_ukernel()->name;
  }
  double flops() const override { return 2.0 * static_cast<double>(p_.m) * p_.n * p_.k; }

 private:
  GemmParams p_;
  GemmC c_mode_;
  std::vector<float> bias_;  // [N] = beta * C, when C is a constant broadcast over rows
  kernels::Activation act_;
  kernels::PackedRhs packed_b_;  // uk == nullptr: B read at run time
};

// The fast path's kernel, or nullptr when this Gemm needs the reference kernel (alpha with a non-constant B,
// C shapes other than [N]/[1,N]/scalar or [M,N] with beta 1).
std::unique_ptr<OpKernel> make_gemm_f32(const PrepareContext& ctx, const GemmParams& p, kernels::Activation act) {
  const Tensor* b_const = ctx.constant_input(1);
  const bool pack_b = b_const && !p.trans_a;
  if (!pack_b && p.alpha != 1.0f) return nullptr;
  GemmC c_mode = GemmC::kNone;
  std::vector<float> bias;
  if (p.has_c) {
    const Tensor* c_const = ctx.constant_input(2);
    if (p.c_row_stride == 0 && c_const) {
      c_mode = GemmC::kBiasConst;
      bias.resize(static_cast<size_t>(p.n));
      for (int64_t j = 0; j < p.n; ++j) bias[static_cast<size_t>(j)] = p.beta * c_const->data<float>()[j * p.c_col_stride];
    } else if (p.c_row_stride == 0 && p.c_col_stride == 1 && p.beta == 1.0f) {
      c_mode = GemmC::kBiasInput;
    } else if (p.c_row_stride == p.n && p.c_col_stride == 1 && p.beta == 1.0f) {
      c_mode = GemmC::kResidualInput;
    } else {
      return nullptr;
    }
  }
  kernels::PackedRhs packed;
  if (pack_b) {
    const float* b = b_const->data<float>();
    std::vector<float> scaled;  // alpha folded into the weights
    if (p.alpha != 1.0f) {
      scaled.assign(b, b + p.k * p.n);
      for (float& v : scaled) v *= p.alpha;
      b = scaled.data();
    }
    packed = kernels::pack_rhs(b, p.k, p.n, p.trans_b ? p.k : p.n, p.trans_b);
  }
  return std::make_unique<GemmF32Kernel>(p, c_mode, std::move(bias), act, std::move(packed));
}

// A float32 copy of constant input i transposed to row-major [cols, rows] when `trans`, else as is.
Tensor pack_constant(const PrepareContext& ctx, int i, bool trans) {
  Tensor t = nn::constant_as_f32(ctx, i);
  if (!t.defined() || !trans) return t;
  Tensor out = Tensor::empty(DType::kFloat32, {t.dim(1), t.dim(0)});
  nn::transpose_f32(t.data<float>(), t.dim(0), t.dim(1), out.data<float>());
  return out;
}

Expected<std::unique_ptr<OpKernel>> prepare_gemm_impl(PrepareContext& ctx, bool fused) {
  if (ctx.num_inputs() < 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("needs inputs A and B");
  const int64_t opset = fused ? 13 : ctx.opset();  // FusedGemm has the semantics of Gemm-13
  kernels::Activation act;
  if (fused) {
    ER_ASSIGN_OR_RETURN(act, read_fused_activation(ctx));
  }
  const bool c_required = opset < 11;
  if (c_required && !ctx.has_input(2)) return ctx.error("input C is required before opset 11");
  ER_RETURN_IF_ERROR(check_same_float_dtypes(ctx, std::min(ctx.num_inputs(), 3)));
  const Shape& as = ctx.input_shape(0);
  const Shape& bs = ctx.input_shape(1);
  if (as.size() != 2 || bs.size() != 2)
    return ctx.error("A and B must be 2-D, got [", shape_str(as), "] and [", shape_str(bs), "]");
  GemmParams p;
  p.trans_a = ctx.node().attr_int("transA", 0) != 0;
  p.trans_b = ctx.node().attr_int("transB", 0) != 0;
  p.alpha = ctx.node().attr_float("alpha", 1.0f);
  p.beta = ctx.node().attr_float("beta", 1.0f);
  p.m = p.trans_a ? as[1] : as[0];
  p.k = p.trans_a ? as[0] : as[1];
  const int64_t kb = p.trans_b ? bs[1] : bs[0];
  p.n = p.trans_b ? bs[0] : bs[1];
  if (kb != p.k)
    return ctx.error("inner dimensions differ: A' is ", p.m, "x", p.k, ", B' is ", kb, "x", p.n, " (transA=", p.trans_a,
                     ", transB=", p.trans_b, ")");

  if (ctx.has_input(2)) {
    const Shape& cs = ctx.input_shape(2);
    // Before opset 7 a C that is not [M, N] needs broadcast=1.
    const bool may_broadcast = opset >= 7 || ctx.node().attr_int("broadcast", 0) != 0;
    const Shape full = {p.m, p.n};
    bool ok = cs.size() <= 2 && (may_broadcast || cs == full);
    Shape c2 = cs;
    while (c2.size() < 2) c2.insert(c2.begin(), 1);
    if (ok && (c2[0] != 1 && c2[0] != p.m)) ok = false;
    if (ok && (c2[1] != 1 && c2[1] != p.n)) ok = false;
    if (!ok) return ctx.error("C of shape [", shape_str(cs), "] cannot be broadcast to [", p.m, ", ", p.n, "]");
    p.has_c = true;
    p.c_row_stride = c2[0] == 1 ? 0 : c2[1];
    p.c_col_stride = c2[1] == 1 ? 0 : 1;
  }

  ctx.set_output(0, ctx.input_dtype(0), {p.m, p.n});
  if (!ctx.reference_kernels() && ctx.input_dtype(0) == DType::kFloat32)
    if (auto fast = make_gemm_f32(ctx, p, act)) return fast;
  auto kernel = std::make_unique<GemmKernel>(p, pack_constant(ctx, 0, p.trans_a), nn::constant_as_f32(ctx, 1), act);
  return nn::finish_float_kernel(ctx, std::move(kernel));
}

Expected<std::unique_ptr<OpKernel>> prepare_gemm(PrepareContext& ctx) { return prepare_gemm_impl(ctx, false); }
Expected<std::unique_ptr<OpKernel>> prepare_fused_gemm(PrepareContext& ctx) { return prepare_gemm_impl(ctx, true); }

void add_fused_op(OpRegistry& r, const char* op_type, PrepareFn prepare) {
  OpSchema s;
  s.domain = kEdgerunDomain;
  s.op_type = op_type;
  s.since_version = 1;
  s.prepare = prepare;
  r.add(std::move(s));
}

}  // namespace

void register_matmul_ops(OpRegistry& r) {
  nn::add_op(r, "MatMul", 1, prepare_matmul);
  nn::add_op(r, "Gemm", 1, prepare_gemm);
  add_fused_op(r, "FusedGemm", prepare_fused_gemm);
  add_fused_op(r, "FusedMatMul", prepare_fused_matmul);
}

}  // namespace edgerun
