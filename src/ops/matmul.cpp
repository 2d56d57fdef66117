// MatMul (numpy semantics: 1-D operands, batch broadcasting) and Gemm (transA/transB, alpha, beta,
// optional unidirectionally broadcast C), reference kernels on top of nn::gemm_f32.
#include <algorithm>

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
  MatMulKernel(int64_t m, int64_t n, int64_t k, std::vector<int64_t> a_offsets, std::vector<int64_t> b_offsets)
      : m_(m), n_(n), k_(k), a_off_(std::move(a_offsets)), b_off_(std::move(b_offsets)) {}

  Status run(KernelContext& ctx) override {
    const float* a = ctx.inputs[0]->data<float>();
    const float* b = ctx.inputs[1]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    for (size_t i = 0; i < a_off_.size(); ++i)
      nn::gemm_f32(m_, n_, k_, a + a_off_[i], k_, b + b_off_[i], n_, y + static_cast<int64_t>(i) * m_ * n_, n_, false);
    return Status();
  }

 private:
  int64_t m_, n_, k_;
  std::vector<int64_t> a_off_, b_off_;
};

Expected<std::unique_ptr<OpKernel>> prepare_matmul(PrepareContext& ctx) {
  if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("needs inputs A and B");
  ER_RETURN_IF_ERROR(check_same_float_dtypes(ctx, 2));
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

  Shape out = *batch;
  if (!a_vec) out.push_back(m);
  if (!b_vec) out.push_back(n);
  ctx.set_output(0, ctx.input_dtype(0), out);
  return nn::finish_float_kernel(ctx, std::make_unique<MatMulKernel>(m, n, k, std::move(a_off), std::move(b_off)));
}

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
  GemmKernel(GemmParams p, Tensor a_packed, Tensor b_const)
      : p_(p), a_packed_(std::move(a_packed)), b_const_(std::move(b_const)) {
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
};

// A float32 copy of constant input i transposed to row-major [cols, rows] when `trans`, else as is.
Tensor pack_constant(const PrepareContext& ctx, int i, bool trans) {
  Tensor t = nn::constant_as_f32(ctx, i);
  if (!t.defined() || !trans) return t;
  Tensor out = Tensor::empty(DType::kFloat32, {t.dim(1), t.dim(0)});
  nn::transpose_f32(t.data<float>(), t.dim(0), t.dim(1), out.data<float>());
  return out;
}

Expected<std::unique_ptr<OpKernel>> prepare_gemm(PrepareContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("needs inputs A and B");
  const bool c_required = ctx.opset() < 11;
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
    const bool may_broadcast = ctx.opset() >= 7 || ctx.node().attr_int("broadcast", 0) != 0;
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
  auto kernel = std::make_unique<GemmKernel>(p, pack_constant(ctx, 0, p.trans_a), nn::constant_as_f32(ctx, 1));
  return nn::finish_float_kernel(ctx, std::move(kernel));
}

}  // namespace

void register_matmul_ops(OpRegistry& r) {
  nn::add_op(r, "MatMul", 1, prepare_matmul);
  nn::add_op(r, "Gemm", 1, prepare_gemm);
}

}  // namespace edgerun
