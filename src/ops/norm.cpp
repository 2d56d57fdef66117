// Normalization ops, reference kernels: BatchNormalization, LayerNormalization,
// InstanceNormalization, GroupNormalization, LRN, MeanVarianceNormalization; Softmax / LogSoftmax /
// Hardmax live in nn_softmax.cpp and are registered here too.
// Statistics accumulate in double (two passes: mean, then centered variance) so results do not
// depend on the order of summation more than float rounding of the output.
#include <algorithm>
#include <cmath>

#include "ops/nn_util.h"
#include "ops/op_registry.h"
#include "ops/op_util.h"

namespace edgerun {
namespace {

// Mean and (biased) variance of n floats.
void mean_var(const float* x, int64_t n, double* mean, double* var) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  const double m = n > 0 ? s / static_cast<double>(n) : 0.0;
  double v = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - m;
    v += d * d;
  }
  *mean = m;
  *var = n > 0 ? v / static_cast<double>(n) : 0.0;
}

Status check_float_inputs(const PrepareContext& ctx, int required, const char* op_inputs) {
  for (int i = 0; i < required; ++i)
    if (!ctx.has_input(i)) return ctx.error("input ", i, " is required (inputs: ", op_inputs, ")");
  for (int i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i)) ER_RETURN_IF_ERROR(nn::check_float_input(ctx, i, str_cat("input ", i).c_str()));
  return Status();
}

Status check_param_shape(const PrepareContext& ctx, int i, const char* name, int64_t size) {
  if (!ctx.has_input(i)) return Status();
  const Shape& s = ctx.input_shape(i);
  if (s.size() != 1 || s[0] != size) return ctx.error(name, " must have shape [", size, "], got [", shape_str(s), "]");
  return Status();
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization

class BatchNormKernel : public OpKernel {
 public:
  // training: normalize with the batch statistics (opset >= 14, training_mode=1) and write the
  // updated running mean / var to outputs 1 and 2 when present.
  BatchNormKernel(int64_t batch, int64_t channels, int64_t spatial, float eps, bool per_element, bool training,
                  float momentum)
      : batch_(batch), channels_(channels), spatial_(spatial), eps_(eps), per_element_(per_element),
        training_(training), momentum_(momentum) {}

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    const float* scale = ctx.inputs[1]->data<float>();
    const float* bias = ctx.inputs[2]->data<float>();
    const float* mean = ctx.inputs[3]->data<float>();
    const float* var = ctx.inputs[4]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    if (training_) {
      run_training(ctx, x, scale, bias, mean, var, y);
      return Status();
    }
    for (int64_t n = 0; n < batch_; ++n)
      for (int64_t c = 0; c < channels_; ++c) {
        const float* xc = x + (n * channels_ + c) * spatial_;
        float* yc = y + (n * channels_ + c) * spatial_;
        if (per_element_) {  // spatial=0 (opset < 9): one set of statistics per [C, D1, ...] element
          for (int64_t s = 0; s < spatial_; ++s) {
            const int64_t i = c * spatial_ + s;
            const float a = scale[i] / std::sqrt(var[i] + eps_);
            yc[s] = (xc[s] - mean[i]) * a + bias[i];
          }
          continue;
        }
        normalize_channel(xc, yc, scale[c], bias[c], mean[c], var[c]);
      }
    return Status();
  }

 private:
  void normalize_channel(const float* xc, float* yc, double scale, double bias, double mean, double var) const {
    const float a = static_cast<float>(scale / std::sqrt(var + eps_));
    const float b = static_cast<float>(bias - mean * a);
    for (int64_t s = 0; s < spatial_; ++s) yc[s] = xc[s] * a + b;
  }

  void run_training(KernelContext& ctx, const float* x, const float* scale, const float* bias, const float* mean,
                    const float* var, float* y) const {
    float* running_mean = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->data<float>() : nullptr;
    float* running_var = ctx.outputs.size() > 2 && ctx.outputs[2] ? ctx.outputs[2]->data<float>() : nullptr;
    const double count = static_cast<double>(batch_ * spatial_);
    for (int64_t c = 0; c < channels_; ++c) {
      // Batch statistics of channel c over N and the spatial dims (population variance).
      double sum = 0.0;
      for (int64_t n = 0; n < batch_; ++n)
        for (int64_t s = 0; s < spatial_; ++s) sum += x[(n * channels_ + c) * spatial_ + s];
      const double m = count > 0 ? sum / count : 0.0;
      double sq = 0.0;
      for (int64_t n = 0; n < batch_; ++n)
        for (int64_t s = 0; s < spatial_; ++s) {
          const double d = x[(n * channels_ + c) * spatial_ + s] - m;
          sq += d * d;
        }
      const double v = count > 0 ? sq / count : 0.0;
      for (int64_t n = 0; n < batch_; ++n)
        normalize_channel(x + (n * channels_ + c) * spatial_, y + (n * channels_ + c) * spatial_, scale[c], bias[c],
                          m, v);
      if (running_mean) running_mean[c] = static_cast<float>(mean[c] * momentum_ + m * (1.0 - momentum_));
      if (running_var) running_var[c] = static_cast<float>(var[c] * momentum_ + v * (1.0 - momentum_));
    }
  }

  int64_t batch_, channels_, spatial_;
  float eps_;
  bool per_element_;
  bool training_;
  float momentum_;
};

Expected<std::unique_ptr<OpKernel>> prepare_batch_norm(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_float_inputs(ctx, 5, "X, scale, B, mean, var"));
  const bool training = ctx.opset() >= 14 && ctx.node().attr_int("training_mode", 0) != 0;
  if (ctx.opset() >= 14 && ctx.num_outputs() > 3) return ctx.error("has ", ctx.num_outputs(), " outputs, expected <= 3");
  if (ctx.opset() >= 14 && !training && (ctx.has_output(1) || ctx.has_output(2)))
    return ctx.error("running_mean / running_var outputs need training_mode=1");
  // Before opset 14 the extra outputs (mean, var, saved mean, saved var) are training outputs,
  // whose older semantics edgerun does not implement.
  bool old_training_outputs = false;
  for (int o = 1; o < ctx.num_outputs() && ctx.opset() < 14; ++o) old_training_outputs |= ctx.has_output(o);
  if (old_training_outputs)
    return ctx.unsupported_error("training outputs (mean, var, saved_mean, saved_var) before opset 14 are not supported");
  const Shape& xs = ctx.input_shape(0);
  if (xs.size() < 2) return ctx.error("X must have rank >= 2 ([N, C, ...]), got [", shape_str(xs), "]");
  const int64_t channels = xs[1];
  int64_t spatial = 1;
  for (size_t i = 2; i < xs.size(); ++i) spatial *= xs[i];
  // spatial=0 (opset < 9): statistics per element of [C, D1, ...].
  const bool per_element = ctx.opset() < 9 && ctx.node().attr_int("spatial", 1) == 0;
  const int64_t want = per_element ? channels * spatial : channels;
  for (int i = 1; i < 5; ++i) {
    const Shape& ps = ctx.input_shape(i);
    if (shape_numel(ps) != want || (!per_element && ps.size() != 1))
      return ctx.error("input ", i, " has shape [", shape_str(ps), "], expected ", want, " values",
                       per_element ? " (spatial=0: one per [C, D1, ...] element)" : " (one per channel)");
  }
  const float eps = ctx.node().attr_float("epsilon", 1e-5f);
  const float momentum = ctx.node().attr_float("momentum", 0.9f);
  ctx.set_output(0, ctx.input_dtype(0), xs);
  for (int o = 1; o <= 2 && o < ctx.num_outputs(); ++o)
    if (ctx.has_output(o)) ctx.set_output(o, ctx.input_dtype(o + 2), ctx.input_shape(o + 2));
  auto kernel = std::make_unique<BatchNormKernel>(xs[0], channels, spatial, eps, per_element, training, momentum);
  return nn::finish_float_kernel(ctx, std::move(kernel));
}

// ---------------------------------------------------------------------------------------------
// LayerNormalization

class LayerNormKernel : public OpKernel {
 public:
  // scale_idx / bias_idx: per normalized position, the element of Scale / B (empty: identity).
  LayerNormKernel(int64_t outer, int64_t inner, float eps, std::vector<int64_t> scale_idx,
                  std::vector<int64_t> bias_idx)
      : outer_(outer), inner_(inner), eps_(eps), scale_idx_(std::move(scale_idx)), bias_idx_(std::move(bias_idx)) {}

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    const float* scale = ctx.inputs[1]->data<float>();
    const float* bias = ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->data<float>() : nullptr;
    float* y = ctx.outputs[0]->data<float>();
    float* mean_out = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->data<float>() : nullptr;
    float* inv_out = ctx.outputs.size() > 2 && ctx.outputs[2] ? ctx.outputs[2]->data<float>() : nullptr;
    for (int64_t o = 0; o < outer_; ++o) {
      const float* xr = x + o * inner_;
      float* yr = y + o * inner_;
      double mean, var;
      mean_var(xr, inner_, &mean, &var);
      const double inv = 1.0 / std::sqrt(var + eps_);
      for (int64_t j = 0; j < inner_; ++j) {
        const float s = scale[scale_idx_.empty() ? j : scale_idx_[static_cast<size_t>(j)]];
        const float b = bias ? bias[bias_idx_.empty() ? j : bias_idx_[static_cast<size_t>(j)]] : 0.0f;
        yr[j] = static_cast<float>((xr[j] - mean) * inv) * s + b;
      }
      if (mean_out) mean_out[o] = static_cast<float>(mean);
      if (inv_out) inv_out[o] = static_cast<float>(inv);
    }
    return Status();
  }

 private:
  int64_t outer_, inner_;
  float eps_;
  std::vector<int64_t> scale_idx_, bias_idx_;
};

// Index table mapping each element of `target` to the element of a tensor of shape `param`
// broadcast (unidirectionally) to it; empty when no mapping is needed. Error if not broadcastable.
Expected<std::vector<int64_t>> broadcast_index(const PrepareContext& ctx, const char* name, const Shape& param,
                                               const Shape& target) {
  bool ok = param.size() <= target.size();
  for (size_t i = 0; ok && i < param.size(); ++i) {
    const int64_t p = param[param.size() - 1 - i], t = target[target.size() - 1 - i];
    ok = p == t || p == 1;
  }
  if (!ok)
    return ctx.error(name, " of shape [", shape_str(param), "] cannot be broadcast to the normalized shape [",
                     shape_str(target), "]");
  if (shape_numel(param) == shape_numel(target)) return std::vector<int64_t>();
  std::vector<int64_t> idx(static_cast<size_t>(shape_numel(target)));
  BroadcastIterator(target, {param}).for_each(
      [&](int64_t o, const std::vector<int64_t>& off) { idx[static_cast<size_t>(o)] = off[0]; });
  return idx;
}

Expected<std::unique_ptr<OpKernel>> prepare_layer_norm(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_float_inputs(ctx, 2, "X, Scale, B"));
  const Shape& xs = ctx.input_shape(0);
  const int rank = static_cast<int>(xs.size());
  if (rank < 1) return ctx.error("X must have rank >= 1");
  auto axis = normalize_axis(ctx.node().attr_int("axis", -1), rank);
  if (!axis.ok()) return ctx.error(axis.status().message());
  const int64_t stash = ctx.node().attr_int("stash_type", 1);
  if (!dtype_is_valid(static_cast<int32_t>(stash)) || !nn::is_float_dtype(static_cast<DType>(stash)))
    return ctx.error("stash_type ", stash, " is not a float dtype");
  Shape norm_shape(xs.begin() + *axis, xs.end());
  int64_t outer = 1;
  for (int d = 0; d < *axis; ++d) outer *= xs[static_cast<size_t>(d)];
  const int64_t inner = shape_numel(norm_shape);
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> scale_idx, broadcast_index(ctx, "Scale", ctx.input_shape(1), norm_shape));
  std::vector<int64_t> bias_idx;
  if (ctx.has_input(2)) {
    ER_ASSIGN_OR_RETURN(bias_idx, broadcast_index(ctx, "B", ctx.input_shape(2), norm_shape));
  }
  float eps = ctx.node().attr_float("epsilon", 1e-5f);
  ctx.set_output(0, ctx.input_dtype(0), xs);
  Shape stat_shape = xs;
  for (int d = *axis; d < rank; ++d) stat_shape[static_cast<size_t>(d)] = 1;
  for (int o = 1; o < std::min(ctx.num_outputs(), 3); ++o) ctx.set_output(o, static_cast<DType>(stash), stat_shape);
  if (ctx.num_outputs() > 3) return ctx.error("has ", ctx.num_outputs(), " outputs, expected at most 3");
  auto kernel = std::make_unique<LayerNormKernel>(outer, inner, eps, std::move(scale_idx), std::move(bias_idx));
  return nn::finish_float_kernel(ctx, std::move(kernel));
}

// ---------------------------------------------------------------------------------------------
// InstanceNormalization and GroupNormalization: statistics per (n, group of channels).

class GroupNormKernel : public OpKernel {
 public:
  // Channels [g*cg, (g+1)*cg) form group g; params_per_group: scale/bias hold one value per group.
  GroupNormKernel(int64_t batch, int64_t channels, int64_t groups, int64_t spatial, float eps, bool params_per_group)
      : batch_(batch), channels_(channels), groups_(groups), spatial_(spatial), eps_(eps),
        params_per_group_(params_per_group) {}

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    const float* scale = ctx.inputs[1]->data<float>();
    const float* bias = ctx.inputs[2]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const int64_t cg = channels_ / groups_;
    for (int64_t n = 0; n < batch_; ++n)
      for (int64_t g = 0; g < groups_; ++g) {
        const int64_t base = (n * channels_ + g * cg) * spatial_;
        double mean, var;
        mean_var(x + base, cg * spatial_, &mean, &var);
        const double inv = 1.0 / std::sqrt(var + eps_);
        for (int64_t c = g * cg; c < (g + 1) * cg; ++c) {
          const int64_t p = params_per_group_ ? g : c;
          const float a = static_cast<float>(scale[p] * inv);
          const float b = static_cast<float>(bias[p] - mean * scale[p] * inv);
          const float* xc = x + (n * channels_ + c) * spatial_;
          float* yc = y + (n * channels_ + c) * spatial_;
          for (int64_t s = 0; s < spatial_; ++s) yc[s] = xc[s] * a + b;
        }
      }
    return Status();
  }

 private:
  int64_t batch_, channels_, groups_, spatial_;
  float eps_;
  bool params_per_group_;
};

Expected<std::unique_ptr<OpKernel>> prepare_instance_norm(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_float_inputs(ctx, 3, "input, scale, B"));
  const Shape& xs = ctx.input_shape(0);
  if (xs.size() < 2) return ctx.error("input must have rank >= 2 ([N, C, ...]), got [", shape_str(xs), "]");
  ER_RETURN_IF_ERROR(check_param_shape(ctx, 1, "scale", xs[1]));
  ER_RETURN_IF_ERROR(check_param_shape(ctx, 2, "B", xs[1]));
  int64_t spatial = 1;
  for (size_t i = 2; i < xs.size(); ++i) spatial *= xs[i];
  float eps = ctx.node().attr_float("epsilon", 1e-5f);
  ctx.set_output(0, ctx.input_dtype(0), xs);
  return nn::finish_float_kernel(ctx, std::make_unique<GroupNormKernel>(xs[0], xs[1], xs[1], spatial, eps, false));
}

Expected<std::unique_ptr<OpKernel>> prepare_group_norm(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_float_inputs(ctx, 3, "X, scale, bias"));
  const Shape& xs = ctx.input_shape(0);
  if (xs.size() < 2) return ctx.error("X must have rank >= 2 ([N, C, ...]), got [", shape_str(xs), "]");
  if (!ctx.node().has_attr("num_groups")) return ctx.error("num_groups attribute is required");
  const int64_t groups = ctx.node().attr_int("num_groups", 1);
  const int64_t channels = xs[1];
  if (groups < 1 || channels % groups != 0)
    return ctx.error("num_groups ", groups, " must be >= 1 and divide the ", channels, " channels");
  // Opset 18 gives scale/bias per group; opset 21 per channel.
  const bool per_group = ctx.opset() < 21 && shape_numel(ctx.input_shape(1)) == groups;
  const int64_t want = per_group ? groups : channels;
  ER_RETURN_IF_ERROR(check_param_shape(ctx, 1, "scale", want));
  ER_RETURN_IF_ERROR(check_param_shape(ctx, 2, "bias", want));
  int64_t spatial = 1;
  for (size_t i = 2; i < xs.size(); ++i) spatial *= xs[i];
  float eps = ctx.node().attr_float("epsilon", 1e-5f);
  ctx.set_output(0, ctx.input_dtype(0), xs);
  return nn::finish_float_kernel(ctx,
                                 std::make_unique<GroupNormKernel>(xs[0], channels, groups, spatial, eps, per_group));
}

// ---------------------------------------------------------------------------------------------
// LRN: y = x / (bias + alpha / size * sum of x^2 over neighbouring channels) ^ beta

class LrnKernel : public OpKernel {
 public:
  LrnKernel(int64_t batch, int64_t channels, int64_t spatial, int64_t size, float alpha, float beta, float bias)
      : batch_(batch), channels_(channels), spatial_(spatial), size_(size), alpha_(alpha), beta_(beta), bias_(bias) {
    nn::reserve_scratch_floats(static_cast<size_t>(spatial_));
  }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    float* sq = nn::scratch_floats(static_cast<size_t>(spatial_));  // [spatial]
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const float k = alpha_ / static_cast<float>(size_);
    for (int64_t n = 0; n < batch_; ++n)
      for (int64_t c = 0; c < channels_; ++c) {
        std::fill(sq, sq + spatial_, 0.0f);
        for (int64_t j = std::max<int64_t>(0, c - before); j <= std::min(channels_ - 1, c + after); ++j) {
          const float* xj = x + (n * channels_ + j) * spatial_;
          for (int64_t s = 0; s < spatial_; ++s) sq[s] += xj[s] * xj[s];
        }
        const float* xc = x + (n * channels_ + c) * spatial_;
        float* yc = y + (n * channels_ + c) * spatial_;
        for (int64_t s = 0; s < spatial_; ++s) yc[s] = xc[s] / std::pow(bias_ + k * sq[s], beta_);
      }
    return Status();
  }

 private:
  int64_t batch_, channels_, spatial_, size_;
  float alpha_, beta_, bias_;
};

Expected<std::unique_ptr<OpKernel>> prepare_lrn(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_float_inputs(ctx, 1, "X"));
  const Shape& xs = ctx.input_shape(0);
  if (xs.size() < 2) return ctx.error("X must have rank >= 2 ([N, C, ...]), got [", shape_str(xs), "]");
  if (!ctx.node().has_attr("size")) return ctx.error("size attribute is required");
  const int64_t size = ctx.node().attr_int("size", 1);
  if (size < 1) return ctx.error("size must be >= 1, got ", size);
  int64_t spatial = 1;
  for (size_t i = 2; i < xs.size(); ++i) spatial *= xs[i];
  ctx.set_output(0, ctx.input_dtype(0), xs);
  auto kernel = std::make_unique<LrnKernel>(xs[0], xs[1], spatial, size, ctx.node().attr_float("alpha", 1e-4f),
                                            ctx.node().attr_float("beta", 0.75f), ctx.node().attr_float("bias", 1.0f));
  return nn::finish_float_kernel(ctx, std::move(kernel));
}

// ---------------------------------------------------------------------------------------------
// MeanVarianceNormalization: (X - mean) / (sqrt(var) + 1e-9) with statistics over `axes`.

class MvnKernel : public OpKernel {
 public:
  // stat_strides: per input dim, the stride into the statistics buffer (0 for reduced dims).
  MvnKernel(Shape shape, std::vector<int64_t> stat_strides, int64_t num_stats)
      : shape_(std::move(shape)), stat_strides_(std::move(stat_strides)), num_stats_(num_stats),
        index_(shape_.size()), stats_(static_cast<size_t>(3 * num_stats)) {}

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const int64_t n = shape_numel(shape_);
    double* mean = stats_.data();              // [num_stats]
    double* inv = mean + num_stats_;           // [num_stats]
    double* count = mean + 2 * num_stats_;     // [num_stats]
    std::fill(stats_.begin(), stats_.end(), 0.0);
    for_each_stat(n, [&](int64_t i, int64_t s) {
      mean[s] += x[i];
      count[s] += 1.0;
    });
    for (int64_t s = 0; s < num_stats_; ++s) mean[s] = count[s] > 0 ? mean[s] / count[s] : 0.0;
    for_each_stat(n, [&](int64_t i, int64_t s) {
      const double d = x[i] - mean[s];
      inv[s] += d * d;
    });
    for (int64_t s = 0; s < num_stats_; ++s)
      inv[s] = 1.0 / (std::sqrt(count[s] > 0 ? inv[s] / count[s] : 0.0) + 1e-9);
    for_each_stat(n, [&](int64_t i, int64_t s) { y[i] = static_cast<float>((x[i] - mean[s]) * inv[s]); });
    return Status();
  }

 private:
  // fn(flat input index, statistics index) for every element, row-major.
  template <class Fn>
  void for_each_stat(int64_t n, Fn&& fn) {
    std::fill(index_.begin(), index_.end(), 0);
    int64_t s = 0;
    for (int64_t i = 0; i < n; ++i) {
      fn(i, s);
      for (size_t d = shape_.size(); d-- > 0;) {
        s += stat_strides_[d];
        if (++index_[d] < shape_[d]) break;
        s -= stat_strides_[d] * index_[d];
        index_[d] = 0;
      }
    }
  }

  Shape shape_;
  std::vector<int64_t> stat_strides_;
  int64_t num_stats_;
  std::vector<int64_t> index_;  // odometer over the input, reused by every run
  std::vector<double> stats_;   // mean, 1/std and count per statistic
};

Expected<std::unique_ptr<OpKernel>> prepare_mvn(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_float_inputs(ctx, 1, "X"));
  const Shape& xs = ctx.input_shape(0);
  const int rank = static_cast<int>(xs.size());
  std::vector<int64_t> axes = ctx.node().attr_ints("axes", {0, 2, 3});
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    auto ax = normalize_axis(a, rank);
    if (!ax.ok()) return ctx.error("axes: ", ax.status().message(), " (input shape [", shape_str(xs), "])");
    reduced[static_cast<size_t>(*ax)] = true;
  }
  std::vector<int64_t> stat_strides(static_cast<size_t>(rank), 0);
  int64_t num_stats = 1;
  for (int d = rank; d-- > 0;) {
    if (reduced[static_cast<size_t>(d)]) continue;
    stat_strides[static_cast<size_t>(d)] = num_stats;
    num_stats *= xs[static_cast<size_t>(d)];
  }
  ctx.set_output(0, ctx.input_dtype(0), xs);
  return nn::finish_float_kernel(ctx, std::make_unique<MvnKernel>(xs, std::move(stat_strides), num_stats));
}

}  // namespace

void register_norm_ops(OpRegistry& r) {
  nn::add_op(r, "BatchNormalization", 1, prepare_batch_norm);
  nn::add_op(r, "LayerNormalization", 17, prepare_layer_norm);
  nn::add_op(r, "InstanceNormalization", 1, prepare_instance_norm);
  nn::add_op(r, "GroupNormalization", 18, prepare_group_norm);
  nn::add_op(r, "LRN", 1, prepare_lrn);
  nn::add_op(r, "MeanVarianceNormalization", 9, prepare_mvn);
  register_softmax_ops(r);
}

}  // namespace edgerun
