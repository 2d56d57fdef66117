#include "ops/nn_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/half.h"

namespace edgerun::nn {

// ---------------------------------------------------------------------------------------------
// GEMM

namespace {

// Panel sizes: a kKc x kNc block of B (256 KiB) stays in L2 while all rows of A pass over it.
constexpr int64_t kNc = 512;
constexpr int64_t kKc = 128;

// c[0..n) += sum_p a[p] * b[p*ldb + 0..n) for four rows of A at once, so each loaded B row feeds
// four accumulator rows.
void gemm_rows4(int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                int64_t ldc) {
  float* __restrict c0 = c;
  float* __restrict c1 = c + ldc;
  float* __restrict c2 = c + 2 * ldc;
  float* __restrict c3 = c + 3 * ldc;
  for (int64_t p = 0; p < k; ++p) {
    const float a0 = a[p], a1 = a[lda + p], a2 = a[2 * lda + p], a3 = a[3 * lda + p];
    const float* __restrict bp = b + p * ldb;
    for (int64_t j = 0; j < n; ++j) {
      const float bv = bp[j];
      c0[j] += a0 * bv;
      c1[j] += a1 * bv;
      c2[j] += a2 * bv;
      c3[j] += a3 * bv;
    }
  }
}

void gemm_row1(int64_t n, int64_t k, const float* a, const float* b, int64_t ldb, float* c) {
  float* __restrict c0 = c;
  for (int64_t p = 0; p < k; ++p) {
    const float a0 = a[p];
    const float* __restrict bp = b + p * ldb;
    for (int64_t j = 0; j < n; ++j) c0[j] += a0 * bp[j];
  }
}

}  // namespace

void gemm_f32(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
              int64_t ldc, bool accumulate) {
  if (n == 1) {  // matrix x vector: dot products (the blocked loop below would run length-1 inner loops)
    for (int64_t i = 0; i < m; ++i) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p) sum += a[i * lda + p] * b[p * ldb];
      c[i * ldc] = accumulate ? c[i * ldc] + sum : sum;
    }
    return;
  }
  if (!accumulate)
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nb = std::min(kNc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKc) {
      const int64_t kb = std::min(kKc, k - p0);
      const float* bblk = b + p0 * ldb + j0;
      int64_t i = 0;
      for (; i + 4 <= m; i += 4) gemm_rows4(nb, kb, a + i * lda + p0, lda, bblk, ldb, c + i * ldc + j0, ldc);
      for (; i < m; ++i) gemm_row1(nb, kb, a + i * lda + p0, bblk, ldb, c + i * ldc + j0);
    }
  }
}

namespace {

// Eight independent partial sums: the compiler may not reorder a float reduction, so this is what
// lets the loop vectorize and hide the add latency.
float dot_f32(const float* x, const float* y, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t p = 0;
  for (; p + 8 <= n; p += 8)
    for (int q = 0; q < 8; ++q) acc[q] += x[p + q] * y[p + q];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; p < n; ++p) s += x[p] * y[p];
  return s;
}

}  // namespace

void gemm_f32_nt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* bt, int64_t ldb,
                 float* c, int64_t ldc, bool accumulate) {
  if (!accumulate)
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
  // A 32 x 512 block of Bt (64 KiB) stays in cache while every row of A is dotted with it.
  constexpr int64_t kRows = 32, kDepth = 512;
  for (int64_t p0 = 0; p0 < k; p0 += kDepth) {
    const int64_t kb = std::min(kDepth, k - p0);
    for (int64_t j0 = 0; j0 < n; j0 += kRows) {
      const int64_t j1 = std::min(n, j0 + kRows);
      for (int64_t i = 0; i < m; ++i) {
        const float* ai = a + i * lda + p0;
        float* ci = c + i * ldc;
        for (int64_t j = j0; j < j1; ++j) ci[j] += dot_f32(ai, bt + j * ldb + p0, kb);
      }
    }
  }
}

void transpose_f32(const float* src, int64_t rows, int64_t cols, float* dst) {
  constexpr int64_t kB = 32;  // tile so both sides stay in cache
  for (int64_t r0 = 0; r0 < rows; r0 += kB)
    for (int64_t c0 = 0; c0 < cols; c0 += kB)
      for (int64_t r = r0; r < std::min(rows, r0 + kB); ++r)
        for (int64_t cc = c0; cc < std::min(cols, c0 + kB); ++cc) dst[cc * rows + r] = src[r * cols + cc];
}

// ---------------------------------------------------------------------------------------------
// Scratch memory

namespace {
struct Scratch {
  std::unique_ptr<float[]> data;
  size_t size = 0;
};
thread_local Scratch t_scratch;
}  // namespace

void reserve_scratch_floats(size_t count) {
  if (count <= t_scratch.size) return;
  t_scratch.data.reset(new float[count]);
  t_scratch.size = count;
}

float* scratch_floats(size_t count) {
  reserve_scratch_floats(count);
  return t_scratch.data.get();
}

// ---------------------------------------------------------------------------------------------
// Sliding windows

namespace {
constexpr int64_t kMaxAttr = int64_t{1} << 31;  // keeps every window product far from int64 overflow
}

Expected<AutoPad> read_auto_pad(const PrepareContext& ctx) {
  std::string s = ctx.node().attr_string("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  return ctx.error("auto_pad '", s, "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
}

Expected<std::vector<int64_t>> read_ints_attr(const PrepareContext& ctx, const char* name, size_t count,
                                              const std::vector<int64_t>& def, int64_t lo, int64_t hi) {
  if (!ctx.node().has_attr(name)) return def;
  std::vector<int64_t> v = ctx.node().attr_ints(name);
  if (v.size() != count) return ctx.error(name, " has ", v.size(), " values, expected ", count);
  for (int64_t x : v)
    if (x < lo || x > hi) return ctx.error(name, " value ", x, " is out of range [", lo, ", ", hi, "]");
  return v;
}

Status check_output_size(const PrepareContext& ctx, const Shape& shape) {
  constexpr int64_t kMaxElements = int64_t{1} << 40;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return ctx.error("output shape [", shape_str(shape), "] has a negative dimension");
    if (d != 0 && n > kMaxElements / d) return ctx.error("output shape [", shape_str(shape), "] is too large");
    n *= d;
  }
  return Status();
}

Expected<Window3d> make_window(const PrepareContext& ctx, const Shape& in_spatial, const std::vector<int64_t>& kernel,
                               const WindowOptions& opts) {
  const size_t r = in_spatial.size();
  if (r < 1 || r > 3)
    return ctx.unsupported_error("only 1-D, 2-D and 3-D windows are supported, got ", r, " spatial dims");
  if (kernel.size() != r) return ctx.error("kernel has ", kernel.size(), " dims, input has ", r, " spatial dims");
  for (int64_t k : kernel)
    if (k < 1 || k > kMaxAttr) return ctx.error("kernel size ", k, " is out of range");
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> strides,
                      read_ints_attr(ctx, "strides", r, std::vector<int64_t>(r, 1), 1, kMaxAttr));
  std::vector<int64_t> dilations(r, 1);
  if (opts.allow_dilations) {
    ER_ASSIGN_OR_RETURN(dilations, read_ints_attr(ctx, "dilations", r, std::vector<int64_t>(r, 1), 1, kMaxAttr));
  }
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                      read_ints_attr(ctx, "pads", 2 * r, std::vector<int64_t>(2 * r, 0), 0, kMaxAttr));
  ER_ASSIGN_OR_RETURN(AutoPad auto_pad, read_auto_pad(ctx));
  bool ceil_mode = opts.allow_ceil_mode && ctx.node().attr_int("ceil_mode", 0) != 0;

  Window3d w;
  w.rank = static_cast<int>(r);
  const size_t off = 3 - r;
  for (size_t i = 0; i < r; ++i) {
    const size_t a = off + i;
    if (in_spatial[i] < 0) return ctx.error("negative input dimension");
    w.in[a] = in_spatial[i];
    w.kernel[a] = kernel[i];
    w.stride[a] = strides[i];
    w.dilation[a] = dilations[i];
    const int64_t ext = w.extent(static_cast<int>(a));
    const int64_t s = strides[i];
    if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
      w.out[a] = (w.in[a] + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (w.out[a] - 1) * s + ext - w.in[a]);
      w.pad_begin[a] = auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      w.pad_end[a] = total - w.pad_begin[a];
      continue;
    }
    if (auto_pad == AutoPad::kNotSet) {
      w.pad_begin[a] = pads[i];
      w.pad_end[a] = pads[r + i];
    }
    const int64_t span = w.in[a] + w.pad_begin[a] + w.pad_end[a] - ext;
    if (span < 0)
      return ctx.error("spatial dim ", i, ": input size ", w.in[a], " plus pads ", w.pad_begin[a], "+", w.pad_end[a],
                       " is smaller than the dilated kernel extent ", ext);
    w.out[a] = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    // A window that would start inside the end padding is dropped (ceil_mode only).
    if (ceil_mode && (w.out[a] - 1) * s >= w.in[a] + w.pad_begin[a]) --w.out[a];
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Dtypes

bool is_float_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 || t == DType::kBFloat16;
}

Status check_float_input(const PrepareContext& ctx, int i, const char* what, bool allow_8bit) {
  DType t = ctx.input_dtype(i);
  if (is_float_dtype(t)) return Status();
  if (allow_8bit && (t == DType::kInt8 || t == DType::kUInt8)) return Status();
  return ctx.unsupported_error(what, " has dtype ", dtype_name(t), "; supported: float32, float16, float64, bfloat16",
                               allow_8bit ? ", int8, uint8" : "");
}

namespace {

bool needs_cast(DType t) {
  return t == DType::kFloat16 || t == DType::kFloat64 || t == DType::kBFloat16 || t == DType::kInt8 ||
         t == DType::kUInt8;
}

void to_f32(const Tensor& src, Tensor& dst) {
  const int64_t n = src.numel();
  float* d = dst.data<float>();
  switch (src.dtype()) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) d[i] = half_to_float(src.data<uint16_t>()[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) d[i] = bfloat16_to_float(src.data<uint16_t>()[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(src.data<double>()[i]);
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < n; ++i) d[i] = src.data<int8_t>()[i];
      break;
    case DType::kUInt8:
      for (int64_t i = 0; i < n; ++i) d[i] = src.data<uint8_t>()[i];
      break;
    default:
      std::memcpy(d, src.raw_data(), static_cast<size_t>(n) * 4);
  }
}

template <class T>
T saturate_round(float v, float lo, float hi) {
  if (std::isnan(v)) return 0;
  return static_cast<T>(std::nearbyint(std::clamp(v, lo, hi)));
}

void from_f32(const Tensor& src, Tensor& dst) {
  const int64_t n = src.numel();
  const float* s = src.data<float>();
  switch (dst.dtype()) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) dst.data<uint16_t>()[i] = float_to_half(s[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) dst.data<uint16_t>()[i] = float_to_bfloat16(s[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) dst.data<double>()[i] = s[i];
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < n; ++i) dst.data<int8_t>()[i] = saturate_round<int8_t>(s[i], -128.0f, 127.0f);
      break;
    case DType::kUInt8:
      for (int64_t i = 0; i < n; ++i) dst.data<uint8_t>()[i] = saturate_round<uint8_t>(s[i], 0.0f, 255.0f);
      break;
    default:
      std::memcpy(dst.raw_data(), s, static_cast<size_t>(n) * 4);
  }
}

// Converts non-float32 inputs into owned float32 tensors, runs the float32 kernel, converts back.
class CastKernel : public OpKernel {
 public:
  CastKernel(std::unique_ptr<OpKernel> inner, std::vector<Tensor> in_f32, std::vector<Tensor> out_f32)
      : inner_(std::move(inner)), in_f32_(std::move(in_f32)), out_f32_(std::move(out_f32)) {
    ictx_.inputs.resize(in_f32_.size());
    ictx_.outputs.resize(out_f32_.size());
  }

  Status run(KernelContext& ctx) override {
    for (size_t i = 0; i < in_f32_.size(); ++i) {
      const Tensor* t = i < ctx.inputs.size() ? ctx.inputs[i] : nullptr;
      if (t && in_f32_[i].defined()) {
        to_f32(*t, in_f32_[i]);
        t = &in_f32_[i];
      }
      ictx_.inputs[i] = t;
    }
    for (size_t i = 0; i < out_f32_.size(); ++i) {
      Tensor* t = i < ctx.outputs.size() ? ctx.outputs[i] : nullptr;
      ictx_.outputs[i] = t && out_f32_[i].defined() ? &out_f32_[i] : t;
    }
    ictx_.pool = ctx.pool;
    ER_RETURN_IF_ERROR(inner_->run(ictx_));
    for (size_t i = 0; i < out_f32_.size(); ++i)
      if (i < ctx.outputs.size() && ctx.outputs[i] && out_f32_[i].defined()) from_f32(out_f32_[i], *ctx.outputs[i]);
    return Status();
  }

 private:
  std::unique_ptr<OpKernel> inner_;
  std::vector<Tensor> in_f32_;   // per input: float32 staging buffer, undefined when no cast is needed
  std::vector<Tensor> out_f32_;  // per output: likewise
  KernelContext ictx_;
};

}  // namespace

Tensor constant_as_f32(const PrepareContext& ctx, int i) {
  const Tensor* t = ctx.constant_input(i);
  if (!t) return Tensor();
  if (t->dtype() == DType::kFloat32) return *t;
  Tensor f = Tensor::empty(DType::kFloat32, t->shape());
  to_f32(*t, f);
  return f;
}

Expected<std::unique_ptr<OpKernel>> finish_float_kernel(const PrepareContext& ctx, std::unique_ptr<OpKernel> kernel) {
  bool any = false;
  std::vector<Tensor> in_f32(static_cast<size_t>(ctx.num_inputs()));
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i) || !needs_cast(ctx.input_dtype(i))) continue;
    in_f32[static_cast<size_t>(i)] = Tensor::empty(DType::kFloat32, ctx.input_shape(i));
    any = true;
  }
  std::vector<Tensor> out_f32(static_cast<size_t>(ctx.num_outputs()));
  for (int o = 0; o < ctx.num_outputs(); ++o) {
    const auto& oi = ctx.outputs()[static_cast<size_t>(o)];
    if (!ctx.has_output(o) || !oi.set || !needs_cast(oi.dtype)) continue;
    out_f32[static_cast<size_t>(o)] = Tensor::empty(DType::kFloat32, oi.shape);
    any = true;
  }
  if (!any) return kernel;
  return std::unique_ptr<OpKernel>(new CastKernel(std::move(kernel), std::move(in_f32), std::move(out_f32)));
}

void add_op(OpRegistry& r, const char* op_type, int since, PrepareFn prepare, int until) {
  OpSchema s;
  s.domain = "";
  s.op_type = op_type;
  s.since_version = since;
  s.until_version = until;
  s.prepare = prepare;
  r.add(std::move(s));
}

}  // namespace edgerun::nn
