// QLinearMatMul (opsets 10, 21) and MatMulInteger (10): numpy-style batched matmul of 8-bit tensors.
//
//   acc[.., m, n] = sum_k (a[.., m, k] - a_zp[m]) * (b[.., k, n] - b_zp[n])          (int32)
//   MatMulInteger: y = acc.   QLinearMatMul: y = saturate(round_half_even(acc * (a_scale[m] * b_scale[n] / y_scale))
//                                                         + y_zp)
//
// Zero points and scales are per tensor, per row of a (shape [M], or [..., M, 1]) or per column of b
// (shape [N], or [..., 1, N]). b is packed transposed ([batch, N, K_pad] int16, zero point subtracted) once when
// constant; a is packed per batch at run; both go through qgemm_s16_dot.
#include "ops/op_util.h"
#include "ops/quant_gemm.h"
#include "ops/quant_ops.h"
#include "ops/quant_util.h"

namespace edgerun {
namespace {

// For one operand viewed as [batches, rows, cols]: which element of a parameter tensor (scale or zero point)
// applies to each (batch, row) of a or each (batch, col) of b.
Expected<std::vector<int64_t>> param_index(const PrepareContext& ctx, const Shape& op_shape, Shape p, bool per_row,
                                           const char* what) {
  const size_t r = op_shape.size();
  const int64_t along = per_row ? op_shape[r - 2] : op_shape[r - 1];
  int64_t batches = 1;
  for (size_t d = 0; d + 2 < r; ++d) batches *= op_shape[d];
  if (shape_numel(p) == 1) return std::vector<int64_t>(static_cast<size_t>(batches * along), 0);
  const Shape given = p;
  if (p.size() == 1) p = per_row ? Shape{p[0], 1} : Shape{1, p[0]};
  auto fail = [&] {
    return ctx.error(what, " shape ", shape_str(given), " is neither one element nor per ", per_row ? "row" : "column",
                     " of an operand of shape ", shape_str(op_shape), " (expected [",
                     per_row ? "..., M, 1" : "..., 1, N", "] or a 1-D ", per_row ? "[M]" : "[N]", ")");
  };
  if (p.size() > r) return fail();
  p.insert(p.begin(), r - p.size(), 1);
  for (size_t d = 0; d < r; ++d)
    if (p[d] != 1 && p[d] != op_shape[d]) return fail();
  if (per_row ? p[r - 1] != 1 : p[r - 2] != 1) return fail();
  std::vector<int64_t> strides = contiguous_strides(p);
  for (size_t d = 0; d < r; ++d)
    if (p[d] == 1) strides[d] = 0;
  std::vector<int64_t> index(static_cast<size_t>(batches * along));
  const int64_t along_stride = strides[per_row ? r - 2 : r - 1];
  for (int64_t b = 0; b < batches; ++b) {
    int64_t off = 0, rem = b;
    for (size_t d = r - 2; d-- > 0;) {
      off += (rem % op_shape[d]) * strides[d];
      rem /= op_shape[d];
    }
    for (int64_t j = 0; j < along; ++j) index[static_cast<size_t>(b * along + j)] = off + j * along_stride;
  }
  return index;
}

// Which batch of an operand (batch dims `op`) each output batch (dims `out`) reads, with broadcasting.
std::vector<int64_t> batch_map(const Shape& out, const Shape& op) {
  std::vector<int64_t> st = broadcast_strides(op, out);
  const int64_t n = shape_numel(out);
  std::vector<int64_t> map(static_cast<size_t>(n));
  for (int64_t o = 0; o < n; ++o) {
    int64_t off = 0, rem = o;
    for (size_t d = out.size(); d-- > 0;) {
      off += (rem % out[d]) * st[d];
      rem /= out[d];
    }
    map[static_cast<size_t>(o)] = off;
  }
  return map;
}

struct MatMulInputs {
  int a = 0, b = 1, a_zp = 2, b_zp = 3;
  int a_scale = -1, b_scale = -1, y_scale = -1, y_zp = -1;
};
constexpr MatMulInputs kMatMulIntegerInputs{0, 1, 2, 3, -1, -1, -1, -1};
constexpr MatMulInputs kQLinearMatMulInputs{0, 3, 2, 5, 1, 4, 6, 7};

struct MatMulShape {
  int64_t m = 1, k = 1, n = 1, k_pad = 0;
  int64_t a_batches = 1, b_batches = 1;
  std::vector<int64_t> a_of_out, b_of_out;  // [output batches] -> operand batch
};

class QMatMulKernel : public OpKernel {
 public:
  QMatMulKernel(MatMulShape s, MatMulInputs in, bool qlinear, DType at, DType bt, DType yt, DType scale_t)
      : s_(std::move(s)), in_(in), qlinear_(qlinear), at_(at), bt_(bt), yt_(yt), scale_t_(scale_t) {}

  // Index maps from prepare; sizes every buffer and loads what is constant.
  void prepare(const PrepareContext& ctx, std::vector<int64_t> za_idx, std::vector<int64_t> zb_idx,
               std::vector<int64_t> sa_idx, std::vector<int64_t> sb_idx) {
    za_idx_ = std::move(za_idx);
    zb_idx_ = std::move(zb_idx);
    sa_idx_ = std::move(sa_idx);
    sb_idx_ = std::move(sb_idx);
    za_.assign(za_idx_.size(), 0);
    zb_.assign(zb_idx_.size(), 0);
    sa_.assign(sa_idx_.size(), 0.0f);
    sb_.assign(sb_idx_.size(), 0.0f);
    bt16_.assign(static_cast<size_t>(s_.b_batches * s_.n * s_.k_pad), 0);
    a16_.assign(static_cast<size_t>(s_.m * s_.k_pad), 0);
    if (qlinear_) acc_.assign(static_cast<size_t>(s_.m * s_.n), 0);
    std::vector<const Tensor*> c;
    params_const_ = constant_inputs(ctx, {in_.a_zp, in_.b_zp, in_.a_scale, in_.b_scale, in_.y_scale, in_.y_zp}, &c);
    if (params_const_) load_params(c);
    b_const_ = params_const_ && ctx.constant_input(in_.b) != nullptr;
    if (b_const_) pack_b(*ctx.constant_input(in_.b));
  }

  Status run(KernelContext& ctx) override {
    if (!params_const_) load_params(ctx.inputs);
    if (!b_const_) pack_b(*ctx.inputs[static_cast<size_t>(in_.b)]);
    const Tensor& a = *ctx.inputs[static_cast<size_t>(in_.a)];
    Tensor& y = *ctx.outputs[0];
    const int64_t M = s_.m, N = s_.n;
    int64_t packed_a = -1;
    for (size_t ob = 0; ob < s_.a_of_out.size(); ++ob) {
      const int64_t ia = s_.a_of_out[ob], ib = s_.b_of_out[ob];
      if (ia != packed_a) {
        pack_a(a, ia);
        packed_a = ia;
      }
      const int16_t* bt = bt16_.data() + ib * N * s_.k_pad;
      const int64_t y_off = static_cast<int64_t>(ob) * M * N;
      if (!qlinear_) {
        qgemm_s16_dot(M, N, s_.k_pad, a16_.data(), bt, y.data<int32_t>() + y_off, N);
        continue;
      }
      qgemm_s16_dot(M, N, s_.k_pad, a16_.data(), bt, acc_.data(), N);
      requantize(ia, ib, y, y_off);
    }
    return Status();
  }

 private:
  static const Tensor* at(const std::vector<const Tensor*>& t, int i) {
    return i >= 0 && static_cast<size_t>(i) < t.size() ? t[static_cast<size_t>(i)] : nullptr;
  }

  void load_params(const std::vector<const Tensor*>& t) {
    const Tensor* za = at(t, in_.a_zp);
    const Tensor* zb = at(t, in_.b_zp);
    for (size_t i = 0; i < za_.size(); ++i) za_[i] = za ? load_quant(*za, za_idx_[i]) : 0;
    for (size_t i = 0; i < zb_.size(); ++i) zb_[i] = zb ? load_quant(*zb, zb_idx_[i]) : 0;
    if (!qlinear_) return;
    const Tensor& sa = *at(t, in_.a_scale);
    const Tensor& sb = *at(t, in_.b_scale);
    for (size_t i = 0; i < sa_.size(); ++i) sa_[i] = load_float(sa, sa_idx_[i]);
    for (size_t i = 0; i < sb_.size(); ++i) sb_[i] = load_float(sb, sb_idx_[i]);
    ys_ = load_float(*at(t, in_.y_scale), 0);
    const Tensor* yz = at(t, in_.y_zp);
    yzp_ = yz ? load_quant(*yz, 0) : 0;
  }

  // bt16[ib][n][k] = b[ib][k][n] - b_zp[ib][n]
  void pack_b(const Tensor& b) {
    const int64_t K = s_.k, N = s_.n, KP = s_.k_pad;
    for (int64_t ib = 0; ib < s_.b_batches; ++ib) {
      for (int64_t n = 0; n < N; ++n) {
        const int32_t z = zb_[static_cast<size_t>(ib * N + n)];
        int16_t* dst = bt16_.data() + (ib * N + n) * KP;
        const int64_t base = ib * K * N + n;
        if (bt_ == DType::kUInt8) {
          const uint8_t* src = b.data<uint8_t>() + base;
          for (int64_t k = 0; k < K; ++k) dst[k] = static_cast<int16_t>(src[k * N] - z);
        } else {
          const int8_t* src = b.data<int8_t>() + base;
          for (int64_t k = 0; k < K; ++k) dst[k] = static_cast<int16_t>(src[k * N] - z);
        }
      }
    }
  }

  // a16[m][k] = a[ia][m][k] - a_zp[ia][m]
  void pack_a(const Tensor& a, int64_t ia) {
    const int64_t M = s_.m, K = s_.k, KP = s_.k_pad;
    for (int64_t m = 0; m < M; ++m) {
      const int32_t z = za_[static_cast<size_t>(ia * M + m)];
      int16_t* dst = a16_.data() + m * KP;
      const int64_t base = (ia * M + m) * K;
      if (at_ == DType::kUInt8) {
        const uint8_t* src = a.data<uint8_t>() + base;
        for (int64_t k = 0; k < K; ++k) dst[k] = static_cast<int16_t>(src[k] - z);
      } else {
        const int8_t* src = a.data<int8_t>() + base;
        for (int64_t k = 0; k < K; ++k) dst[k] = static_cast<int16_t>(src[k] - z);
      }
    }
  }

  // The multiplier a_scale * b_scale / y_scale is formed in the scales' precision (as the ONNX definition does)
  // and applied in float32 to the float-converted accumulator, as ONNX Runtime's CPU kernels do.
  void requantize(int64_t ia, int64_t ib, Tensor& y, int64_t y_off) const {
    const int64_t M = s_.m, N = s_.n;
    const int32_t lo = quant_min(yt_), hi = quant_max(yt_);
    for (int64_t m = 0; m < M; ++m) {
      const float sa = sa_[static_cast<size_t>(ia * M + m)];
      const int32_t* acc = acc_.data() + m * N;
      for (int64_t n = 0; n < N; ++n) {
        const float sb = sb_[static_cast<size_t>(ib * N + n)];
        const float mult = round_to_dtype(round_to_dtype(sa * sb, scale_t_) / ys_, scale_t_);
        const int32_t q = quantize_value(static_cast<float>(acc[n]) * mult, yzp_, lo, hi);
        store_quant(y.raw_data(), yt_, y_off + m * N + n, q);
      }
    }
  }

  MatMulShape s_;
  MatMulInputs in_;
  bool qlinear_;
  DType at_, bt_, yt_, scale_t_;
  bool params_const_ = false, b_const_ = false;
  std::vector<int64_t> za_idx_, zb_idx_, sa_idx_, sb_idx_;
  std::vector<int32_t> za_, zb_;  // [a batches * M], [b batches * N]
  std::vector<float> sa_, sb_;    // same layout as the zero points
  float ys_ = 1.0f;
  int32_t yzp_ = 0;
  std::vector<int16_t> bt16_;  // [b batches, N, K_pad]
  std::vector<int16_t> a16_;   // [M, K_pad]
  std::vector<int32_t> acc_;   // [M, N]
};

Expected<std::unique_ptr<OpKernel>> prepare_qmatmul(PrepareContext& ctx, bool qlinear) {
  const MatMulInputs in = qlinear ? kQLinearMatMulInputs : kMatMulIntegerInputs;
  if (!ctx.has_input(in.a) || !ctx.has_input(in.b)) return ctx.error("inputs A and B are required");
  const DType at = ctx.input_dtype(in.a), bt = ctx.input_dtype(in.b);
  if (!is_8bit(at)) return ctx.error("A must be uint8 or int8, got ", dtype_name(at));
  if (!is_8bit(bt)) return ctx.error("B must be uint8 or int8, got ", dtype_name(bt));
  ER_RETURN_IF_ERROR(check_dtype(ctx, in.a_zp, "a_zero_point", at));
  ER_RETURN_IF_ERROR(check_dtype(ctx, in.b_zp, "b_zero_point", bt));
  Shape a = ctx.input_shape(in.a), b = ctx.input_shape(in.b);
  if (a.empty() || b.empty())
    return ctx.error("A and B must have rank >= 1, got ", shape_str(a), " and ", shape_str(b));
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulShape s;
  s.m = a[a.size() - 2];
  s.k = a[a.size() - 1];
  s.n = b[b.size() - 1];
  if (b[b.size() - 2] != s.k)
    return ctx.error("inner dimensions differ: A ", shape_str(ctx.input_shape(in.a)), ", B ",
                     shape_str(ctx.input_shape(in.b)));
  if (s.k > kMaxQuantReduction)
    return ctx.unsupported_error("inner dimension ", s.k, " exceeds ", kMaxQuantReduction,
                                 " (the int32 accumulator could overflow)");
  s.k_pad = quant_k_pad(s.k);
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  auto out_batch = broadcast_shapes({a_batch, b_batch});
  if (!out_batch.ok()) return ctx.error("batch dimensions: ", out_batch.status().message());
  s.a_batches = shape_numel(a_batch);
  s.b_batches = shape_numel(b_batch);
  s.a_of_out = batch_map(*out_batch, a_batch);
  s.b_of_out = batch_map(*out_batch, b_batch);
  int64_t packed = 0;
  if (!checked_mul(s.b_batches * s.n, s.k_pad, &packed) || packed > (int64_t{1} << 34))
    return ctx.unsupported_error("B is too large to pack");

  auto index = [&](int i, bool per_row, const char* what) -> Expected<std::vector<int64_t>> {
    const Shape& op = per_row ? a : b;
    if (!ctx.has_input(i))
      return std::vector<int64_t>(static_cast<size_t>(per_row ? s.a_batches * s.m : s.b_batches * s.n), 0);
    if ((per_row ? a_vec : b_vec) && shape_numel(ctx.input_shape(i)) != 1)
      return ctx.error(what, " must have one element for a 1-D operand, got shape ", shape_str(ctx.input_shape(i)));
    return param_index(ctx, op, ctx.input_shape(i), per_row, what);
  };
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> za_idx, index(in.a_zp, true, "a_zero_point"));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> zb_idx, index(in.b_zp, false, "b_zero_point"));
  std::vector<int64_t> sa_idx, sb_idx;
  DType yt = DType::kInt32, scale_t = DType::kFloat32;
  if (qlinear) {
    if (!ctx.has_input(in.a_scale) || !ctx.has_input(in.b_scale) || !ctx.has_input(in.y_scale))
      return ctx.error("a_scale, b_scale and y_scale are required");
    scale_t = ctx.input_dtype(in.a_scale);
    const bool float_only = ctx.opset() < 21;
    for (int i : {in.a_scale, in.b_scale, in.y_scale}) {
      const DType t = ctx.input_dtype(i);
      if (float_only ? t != DType::kFloat32 : !is_float_like(t))
        return ctx.error("scales must be ", float_only ? "float32" : "float32, float16 or bfloat16", ", got ",
                         dtype_name(t));
      if (t != scale_t) return ctx.error("a_scale, b_scale and y_scale must have the same type");
    }
    ER_ASSIGN_OR_RETURN(sa_idx, index(in.a_scale, true, "a_scale"));
    ER_ASSIGN_OR_RETURN(sb_idx, index(in.b_scale, false, "b_scale"));
    ER_RETURN_IF_ERROR(check_one_element(ctx, in.y_scale, "y_scale"));
    ER_RETURN_IF_ERROR(check_one_element(ctx, in.y_zp, "y_zero_point"));
    yt = ctx.has_input(in.y_zp) ? ctx.input_dtype(in.y_zp) : at;
    if (!is_8bit(yt)) return ctx.error("y_zero_point must be uint8 or int8, got ", dtype_name(yt));
  }
  Shape out = *out_batch;
  if (!a_vec) out.push_back(s.m);
  if (!b_vec) out.push_back(s.n);
  ctx.set_output(0, yt, out);
  auto kernel = std::make_unique<QMatMulKernel>(std::move(s), in, qlinear, at, bt, yt, scale_t);
  kernel->prepare(ctx, std::move(za_idx), std::move(zb_idx), std::move(sa_idx), std::move(sb_idx));
  return std::unique_ptr<OpKernel>(std::move(kernel));
}

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_matmul(PrepareContext& ctx) { return prepare_qmatmul(ctx, true); }
Expected<std::unique_ptr<OpKernel>> prepare_matmul_integer(PrepareContext& ctx) { return prepare_qmatmul(ctx, false); }

}  // namespace

void register_quant_matmul_ops(OpRegistry& r) {
  r.add({"", "QLinearMatMul", 10, INT_MAX, prepare_qlinear_matmul});
  r.add({"", "MatMulInteger", 10, INT_MAX, prepare_matmul_integer});
}

}  // namespace edgerun
