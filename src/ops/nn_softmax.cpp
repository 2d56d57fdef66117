// Softmax, LogSoftmax and Hardmax (registered by register_norm_ops).
//
// Before opset 13 the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] and each row is
// normalized; from opset 13 on only the `axis` dim is. Both are the same loop over
// (outer, n, inner stride): opset < 13 uses (prod(dims[:axis]), prod(dims[axis:]), 1).
//
// float32 Softmax / LogSoftmax over a contiguous axis (inner == 1, the transformer case) take a fast path, rows
// split over the thread pool: Softmax is one f32-vmath softmax_f32 call per row (max, exp(x - max), sum, scale at
// the vector width; vit_tiny's 12 Softmax nodes 1.05 -> 0.71 ms per run), LogSoftmax per row max,
// vectorized exp and sum.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "kernels/f32-vmath/vmath.h"
#include "ops/nn_util.h"
#include "ops/op_registry.h"

namespace edgerun {
namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

class SoftmaxKernel : public OpKernel {
 public:
  SoftmaxKernel(SoftmaxKind kind, int64_t outer, int64_t n, int64_t inner)
      : kind_(kind), outer_(outer), n_(n), inner_(inner) {
    nn::reserve_scratch_floats(static_cast<size_t>(2 * inner_));
  }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    // Per inner position: running max (or argmax) and sum, so the inner loops run contiguously.
    float* mx = nn::scratch_floats(static_cast<size_t>(2 * inner_));  // [inner]
    float* sum = mx + inner_;                                           // [inner]
    for (int64_t o = 0; o < outer_; ++o) {
      const float* xo = x + o * n_ * inner_;  // [n, inner]
      float* yo = y + o * n_ * inner_;
      if (n_ == 0) continue;
      if (kind_ == SoftmaxKind::kHardmax) {
        // 1 at the first maximum along the axis.
        std::fill(yo, yo + n_ * inner_, 0.0f);
        for (int64_t s = 0; s < inner_; ++s) {
          int64_t best = 0;
          for (int64_t i = 1; i < n_; ++i)
            if (xo[i * inner_ + s] > xo[best * inner_ + s]) best = i;
          yo[best * inner_ + s] = 1.0f;
        }
        continue;
      }
      std::copy(xo, xo + inner_, mx);
      for (int64_t i = 1; i < n_; ++i)
        for (int64_t s = 0; s < inner_; ++s) mx[s] = std::max(mx[s], xo[i * inner_ + s]);
      std::fill(sum, sum + inner_, 0.0f);
      for (int64_t i = 0; i < n_; ++i)
        for (int64_t s = 0; s < inner_; ++s) {
          const float e = std::exp(xo[i * inner_ + s] - mx[s]);
          sum[s] += e;
          if (kind_ == SoftmaxKind::kSoftmax) yo[i * inner_ + s] = e;
        }
      if (kind_ == SoftmaxKind::kSoftmax) {
        for (int64_t s = 0; s < inner_; ++s) sum[s] = 1.0f / sum[s];
        for (int64_t i = 0; i < n_; ++i)
          for (int64_t s = 0; s < inner_; ++s) yo[i * inner_ + s] *= sum[s];
      } else {
        // (x - max) - log(sum): subtracting max first keeps precision for large inputs.
        for (int64_t s = 0; s < inner_; ++s) sum[s] = std::log(sum[s]);
        for (int64_t i = 0; i < n_; ++i)
          for (int64_t s = 0; s < inner_; ++s) yo[i * inner_ + s] = (xo[i * inner_ + s] - mx[s]) - sum[s];
      }
    }
    return Status();
  }

 private:
  SoftmaxKind kind_;
  int64_t outer_, n_, inner_;
};

// Softmax / LogSoftmax of float32 rows of n contiguous elements.
class SoftmaxRowsKernel : public OpKernel {
 public:
  SoftmaxRowsKernel(SoftmaxKind kind, int64_t rows, int64_t n) : kind_(kind), rows_(rows), n_(n) {
    if (kind_ == SoftmaxKind::kLogSoftmax) nn::reserve_scratch_floats(static_cast<size_t>(n_));
  }
  const char* variant() const override { return kernels::vmath_name(); }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    if (n_ == 0 || rows_ == 0) return Status();
    auto body = [&](int64_t r0, int64_t r1, int) {
      float* tmp = kind_ == SoftmaxKind::kLogSoftmax ? nn::scratch_floats(static_cast<size_t>(n_)) : nullptr;
      for (int64_t r = r0; r < r1; ++r) row(x + r * n_, y + r * n_, tmp);
    };
    // Rows are independent: split them when there is enough work to pay for waking the workers.
    if (ctx.pool && ctx.pool->size() > 1 && rows_ > 1 && rows_ * n_ >= (1 << 14)) ctx.pool->parallel_for(rows_, body);
    else body(0, rows_, 0);
    return Status();
  }

 private:
  // x, y: [n]; tmp: [n] scratch for LogSoftmax.
  void row(const float* x, float* y, float* tmp) const {
    if (kind_ == SoftmaxKind::kSoftmax) {
      // max, exp(x - max) and the scaling in one f32-vmath call; NaN or an infinite maximum: the reference loop.
      if (!kernels::softmax_f32(x, y, n_)) row_reference(x, y);
      return;
    }
    // Eight running maxima the compiler keeps in one vector register (a single one would be a serial chain).
    float m8[8];
    for (int k = 0; k < 8; ++k) m8[k] = x[0];
    int64_t i = 0;
    for (; i + 8 <= n_; i += 8)
      for (int k = 0; k < 8; ++k) m8[k] = x[i + k] > m8[k] ? x[i + k] : m8[k];
    for (; i < n_; ++i) m8[0] = x[i] > m8[0] ? x[i] : m8[0];
    float mx = m8[0];
    for (int k = 1; k < 8; ++k) mx = m8[k] > mx ? m8[k] : mx;
    if (std::isnan(mx) || std::isinf(mx)) {
      // NaN anywhere, or an infinite maximum: the reference loop decides (rare; keeps exp(inf - inf) semantics).
      row_reference(x, y);
      return;
    }
    // LogSoftmax: log(sum exp(x - max)) from the exps in tmp.
    for (int64_t i = 0; i < n_; ++i) tmp[i] = x[i] - mx;
    kernels::exp_f32(tmp, tmp, n_);
    const float ls = std::log(kernels::sum_f32(tmp, n_));
    for (int64_t i = 0; i < n_; ++i) y[i] = (x[i] - mx) - ls;
  }

  void row_reference(const float* x, float* y) const {
    float mx = x[0];
    for (int64_t i = 1; i < n_; ++i) mx = std::max(mx, x[i]);
    float sum = 0.0f;
    for (int64_t i = 0; i < n_; ++i) sum += std::exp(x[i] - mx);
    for (int64_t i = 0; i < n_; ++i)
      y[i] = kind_ == SoftmaxKind::kSoftmax ? std::exp(x[i] - mx) / sum : (x[i] - mx) - std::log(sum);
  }

  SoftmaxKind kind_;
  int64_t rows_, n_;
};

template <SoftmaxKind kKind>
Expected<std::unique_ptr<OpKernel>> prepare_softmax(PrepareContext& ctx) {
  if (ctx.num_inputs() != 1 || !ctx.has_input(0)) return ctx.error("needs exactly one input");
  ER_RETURN_IF_ERROR(nn::check_float_input(ctx, 0, "input"));
  const Shape& xs = ctx.input_shape(0);
  const int64_t rank = static_cast<int64_t>(xs.size());
  const bool coerce_2d = ctx.opset() < 13;
  int64_t axis = ctx.node().attr_int("axis", coerce_2d ? 1 : -1);
  // Coercing to 2-D also accepts axis == rank (rows of length 1).
  const int64_t limit = coerce_2d ? rank : rank - 1;
  if (axis < -rank || axis > limit)
    return ctx.error("axis ", axis, " is out of range for input of rank ", rank, " (shape [", shape_str(xs), "])");
  if (axis < 0) axis += rank;
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xs[static_cast<size_t>(d)];
  if (coerce_2d) {
    for (int64_t d = axis; d < rank; ++d) n *= xs[static_cast<size_t>(d)];
  } else {
    n = xs[static_cast<size_t>(axis)];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= xs[static_cast<size_t>(d)];
  }
  ctx.set_output(0, ctx.input_dtype(0), xs);
  if (kKind != SoftmaxKind::kHardmax && inner == 1 && ctx.input_dtype(0) == DType::kFloat32 &&
      !ctx.reference_kernels())
    return std::unique_ptr<OpKernel>(new SoftmaxRowsKernel(kKind, outer, n));
  return nn::finish_float_kernel(ctx, std::make_unique<SoftmaxKernel>(kKind, outer, n, inner));
}

}  // namespace

// com.edgerun.LayerNorm (layer_norm_fused.cpp), registered with the normalization family through this hook.
void register_layer_norm_fused_ops(OpRegistry& r);

void register_softmax_ops(OpRegistry& r) {
  register_layer_norm_fused_ops(r);
  nn::add_op(r, "Softmax", 1, prepare_softmax<SoftmaxKind::kSoftmax>);
  nn::add_op(r, "LogSoftmax", 1, prepare_softmax<SoftmaxKind::kLogSoftmax>);
  nn::add_op(r, "Hardmax", 1, prepare_softmax<SoftmaxKind::kHardmax>);
}

}  // namespace edgerun
