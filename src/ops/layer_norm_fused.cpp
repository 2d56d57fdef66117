// com.edgerun.LayerNorm(X, scale?, bias?): layer normalization over the trailing dims X[axis:], made by the
// fuse_layer_norm pass from the ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div [/ Mul] [/ Add] chain that
// exporters emit before opset 17. Attributes: axis (default -1), epsilon (default 1e-5). scale and bias hold
// either one value or one per normalized element; absent means 1 and 0.
//
//   y = (x - mean) / sqrt(var + epsilon) * scale + bias,  mean and var (biased) per row of X[axis:]
//
// float32 only. The reference kernel accumulates in double; the fast kernel keeps one row in L1 and makes
// two vectorized float passes over it (mean, then centered variance, as the decomposed graph does).
#include <cmath>
#include <memory>

#include "core/thread_pool.h"
#include "kernels/f32-vmath/vmath.h"
#include "ops/fused.h"
#include "ops/op_registry.h"
#include "ops/op_util.h"

namespace edgerun {
namespace {

struct LayerNormDims {
  int64_t rows = 0;  // prod(X[:axis])
  int64_t n = 0;     // prod(X[axis:])
  float eps = 1e-5f;
};

// Scale / bias pointer and whether it holds one value per element (false: a single value); nullptr when absent.
struct Param {
  const float* p = nullptr;
  bool full = false;
};
Param param_of(const KernelContext& ctx, size_t i) {
  if (ctx.inputs.size() <= i || !ctx.inputs[i]) return Param{};
  return Param{ctx.inputs[i]->data<float>(), ctx.inputs[i]->numel() != 1};
}

class LayerNormRefKernel : public OpKernel {
 public:
  explicit LayerNormRefKernel(LayerNormDims d) : d_(d) {}
  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const Param scale = param_of(ctx, 1), bias = param_of(ctx, 2);
    const int64_t n = d_.n;
    for (int64_t r = 0; r < d_.rows; ++r) {
      const float* xr = x + r * n;  // [n]
      float* yr = y + r * n;
      double mean = 0.0;
      for (int64_t j = 0; j < n; ++j) mean += xr[j];
      mean /= static_cast<double>(n);
      double var = 0.0;
      for (int64_t j = 0; j < n; ++j) var += (xr[j] - mean) * (xr[j] - mean);
      var /= static_cast<double>(n);
      const double inv = 1.0 / std::sqrt(var + static_cast<double>(d_.eps));
      for (int64_t j = 0; j < n; ++j) {
        double v = (xr[j] - mean) * inv;
        if (scale.p) v *= scale.p[scale.full ? j : 0];
        if (bias.p) v += bias.p[bias.full ? j : 0];
        yr[j] = static_cast<float>(v);
      }
    }
    return Status();
  }

 private:
  LayerNormDims d_;
};

class LayerNormF32Kernel : public OpKernel {
 public:
  explicit LayerNormF32Kernel(LayerNormDims d) : d_(d) {}
  const char* variant() const override { return "f32-layernorm-rows"; }
  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const Param scale = param_of(ctx, 1), bias = param_of(ctx, 2);
    auto body = [&](int64_t r0, int64_t r1, int) {
      for (int64_t r = r0; r < r1; ++r) row(x + r * d_.n, y + r * d_.n, scale, bias);
    };
    if (ctx.pool && ctx.pool->size() > 1 && d_.rows > 1 && d_.rows * d_.n >= (1 << 14))
      ctx.pool->parallel_for(d_.rows, body);
    else
      body(0, d_.rows, 0);
    return Status();
  }

 private:
  // x, y: [n]
  void row(const float* x, float* y, Param scale, Param bias) const {
    const int64_t n = d_.n;
    const float mean = kernels::sum_f32(x, n) / static_cast<float>(n);
    // Eight independent partial sums so the compiler can keep them in one vector register.
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
      for (int k = 0; k < 8; ++k) {
        const float d = x[j + k] - mean;
        acc[k] += d * d;
      }
    for (; j < n; ++j) {
      const float d = x[j] - mean;
      acc[0] += d * d;
    }
    const float var =
        (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) / static_cast<float>(n);
    const float inv = 1.0f / std::sqrt(var + d_.eps);
    if (scale.p && scale.full && bias.p && bias.full) {
      const float* g = scale.p;
      const float* b = bias.p;
      for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * g[i] + b[i];
      return;
    }
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv;
    if (scale.p) {
      if (scale.full) {
        for (int64_t i = 0; i < n; ++i) y[i] *= scale.p[i];
      } else {
        const float g = scale.p[0];
        for (int64_t i = 0; i < n; ++i) y[i] *= g;
      }
    }
    if (bias.p) {
      if (bias.full) {
        for (int64_t i = 0; i < n; ++i) y[i] += bias.p[i];
      } else {
        const float b = bias.p[0];
        for (int64_t i = 0; i < n; ++i) y[i] += b;
      }
    }
  }

  LayerNormDims d_;
};

Expected<std::unique_ptr<OpKernel>> prepare_layer_norm_fused(PrepareContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input X is required");
  if (ctx.num_inputs() > 3) return ctx.error("has ", ctx.num_inputs(), " inputs, expected at most 3");
  if (ctx.num_outputs() != 1) return ctx.error("has ", ctx.num_outputs(), " outputs, expected 1");
  const Shape& xs = ctx.input_shape(0);
  const int rank = static_cast<int>(xs.size());
  if (rank < 1) return ctx.error("X must have rank >= 1");
  auto axis = normalize_axis(ctx.node().attr_int("axis", -1), rank);
  if (!axis.ok()) return ctx.error(axis.status().message());
  LayerNormDims d;
  d.rows = 1;
  d.n = 1;
  for (int i = 0; i < rank; ++i) (i < *axis ? d.rows : d.n) *= xs[static_cast<size_t>(i)];
  d.eps = ctx.node().attr_float("epsilon", 1e-5f);
  if (!(d.eps >= 0.0f)) return ctx.error("epsilon must be >= 0, got ", d.eps);
  const char* names[3] = {"X", "scale", "bias"};
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    if (ctx.input_dtype(i) != DType::kFloat32)
      return ctx.unsupported_error(names[i], " has dtype ", dtype_name(ctx.input_dtype(i)),
                                   ", only float32 is supported");
    const int64_t numel = shape_numel(ctx.input_shape(i));
    if (i > 0 && numel != 1 && numel != d.n)
      return ctx.error(names[i], " of shape [", shape_str(ctx.input_shape(i)), "] must hold 1 or ", d.n,
                       " values (the normalized size)");
  }
  ctx.set_output(0, DType::kFloat32, xs);
  if (d.n == 0 || d.rows == 0) return make_kernel<LayerNormRefKernel>(d);
  if (ctx.reference_kernels()) return make_kernel<LayerNormRefKernel>(d);
  return make_kernel<LayerNormF32Kernel>(d);
}

}  // namespace

void register_layer_norm_fused_ops(OpRegistry& r) {
  OpSchema s;
  s.domain = kEdgerunDomain;
  s.op_type = "LayerNorm";
  s.since_version = 1;
  s.prepare = prepare_layer_norm_fused;
  r.add(std::move(s));
}

}  // namespace edgerun
