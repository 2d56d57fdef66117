// Softmax, LogSoftmax and Hardmax (registered by register_norm_ops).
//
// Before opset 13 the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] and each row is
// normalized; from opset 13 on only the `axis` dim is. Both are the same loop over
// (outer, n, inner stride): opset < 13 uses (prod(dims[:axis]), prod(dims[axis:]), 1).
#include <algorithm>
#include <cmath>
#include <limits>

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
  return nn::finish_float_kernel(ctx, std::make_unique<SoftmaxKernel>(kKind, outer, n, inner));
}

}  // namespace

void register_softmax_ops(OpRegistry& r) {
  nn::add_op(r, "Softmax", 1, prepare_softmax<SoftmaxKind::kSoftmax>);
  nn::add_op(r, "LogSoftmax", 1, prepare_softmax<SoftmaxKind::kLogSoftmax>);
  nn::add_op(r, "Hardmax", 1, prepare_softmax<SoftmaxKind::kHardmax>);
}

}  // namespace edgerun
