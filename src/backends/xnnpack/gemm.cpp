// Gemm / MatMul (and their com.edgerun.Fused* forms) with a constant 2-D B through xnn_fully_connected_nc_f32:
// rows of A stay where they are (row-major is NC), B is transposed once to XNNPACK's [N, K], Gemm's alpha and beta
// are folded into the weights and the bias. A clamp activation is fused; other activations run after, in place.
#include <limits>

#include "backends/xnnpack/xnn_ops.h"
#include "backends/xnnpack/xnn_util.h"
#include "ops/fused.h"

namespace edgerun::xnn {
namespace {

class FullyConnectedKernel : public OpKernel {
 public:
  size_t rows = 0;  // batch of the fully connected operator: A's rows
  double flop_count = 0;
  size_t weight_bytes = 0;
  OperatorPtr op;
  PostActivation post;
  const float* set_up_in = nullptr;
  float* set_up_out = nullptr;
  pthreadpool_t set_up_pool = nullptr;
  bool set_up = false;

  Status run(KernelContext& ctx) override {
    pthreadpool_t pool = threadpool_for(ctx);
    const float* a = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    if (!set_up || a != set_up_in || y != set_up_out || pool != set_up_pool) {
      ER_RETURN_IF_ERROR(check(xnn_setup_fully_connected_nc_f32(op.get(), rows, a, y, pool),
                               "setup fully_connected_nc_f32"));
      set_up = true;
      set_up_in = a;
      set_up_out = y;
      set_up_pool = pool;
    }
    ER_RETURN_IF_ERROR(check(xnn_run_operator(op.get(), pool), "run fully_connected_nc_f32"));
    return post.run(y, pool);
  }
  size_t packed_bytes() const override { return weight_bytes; }
  std::vector<int> packed_inputs() const override { return {1, 2}; }
  const char* variant() const override { return "xnnpack-fully-connected-nc-f32"; }
  double flops() const override { return flop_count; }
};

// w_nk: [N, K]; bias: N values or empty.
Expected<std::unique_ptr<OpKernel>> make_fc(PrepareContext& ctx, size_t rows, int64_t k, int64_t n,
                                             const std::vector<float>& w_nk, const std::vector<float>& bias,
                                             const kernels::Activation& act) {
  std::unique_ptr<OpKernel> none;
  if (!PostActivation::supported(act)) return none;
  auto kern = std::make_unique<FullyConnectedKernel>();
  kern->rows = rows;
  kern->flop_count = 2.0 * static_cast<double>(rows) * static_cast<double>(k * n);
  kern->weight_bytes = (w_nk.size() + bias.size()) * sizeof(float);
  const float inf = std::numeric_limits<float>::infinity();
  float lo = -inf, hi = inf;
  if (act.kind == kernels::Act::kClamp) {
    clamp_bounds(act, &lo, &hi);
  } else if (act.kind != kernels::Act::kNone) {
    ER_RETURN_IF_ERROR(kern->post.init(act, rows * static_cast<size_t>(n)));
  }
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_fully_connected_nc_f32(static_cast<size_t>(k), static_cast<size_t>(n),
                                                         static_cast<size_t>(k), static_cast<size_t>(n), w_nk.data(),
                                                         bias.empty() ? nullptr : bias.data(), lo, hi, 0, &op);
  if (st == xnn_status_invalid_parameter || st == xnn_status_unsupported_parameter) return none;
  ER_RETURN_IF_ERROR(check(st, "create fully_connected_nc_f32", &ctx));
  kern->op.reset(op);
  return std::unique_ptr<OpKernel>(std::move(kern));
}

}  // namespace

Expected<std::unique_ptr<OpKernel>> prepare_gemm(PrepareContext& ctx, bool fused) {
  std::unique_ptr<OpKernel> none;
  if (ctx.num_inputs() < 2 || ctx.input_dtype(0) != DType::kFloat32 || ctx.input_shape(0).size() != 2) return none;
  const Node& node = ctx.node();
  if (node.attr_int("transA", 0) != 0) return none;
  const Tensor* b = ctx.constant_input(1);
  if (!b || b->dtype() != DType::kFloat32 || b->shape().size() != 2) return none;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.0f), beta = node.attr_float("beta", 1.0f);
  const int64_t m = ctx.input_shape(0)[0], k = ctx.input_shape(0)[1];
  const int64_t n = trans_b ? b->shape()[0] : b->shape()[1];
  if ((trans_b ? b->shape()[1] : b->shape()[0]) != k) return none;
  std::vector<float> bias;
  if (ctx.has_input(2)) {
    const Tensor* c = ctx.constant_input(2);
    if (!c || c->dtype() != DType::kFloat32) return none;
    // A per-column bias: C of shape [N], [1, N], [1] or scalar.
    const Shape& cs = c->shape();
    const bool per_col = (cs.size() == 1 && cs[0] == n) || (cs.size() == 2 && cs[0] == 1 && cs[1] == n);
    const bool scalar = c->numel() == 1 && (cs.size() <= 1 || (cs.size() == 2 && cs[0] == 1 && cs[1] == 1));
    if (!per_col && !scalar) return none;
    bias.resize(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) bias[static_cast<size_t>(j)] = beta * c->data<float>()[scalar ? 0 : j];
  }
  kernels::Activation act;
  if (fused) {
    ER_ASSIGN_OR_RETURN(act, read_fused_activation(ctx));
  }
  std::vector<float> w(static_cast<size_t>(n * k));
  const float* bs = b->data<float>();
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i)
      w[static_cast<size_t>(j * k + i)] = alpha * (trans_b ? bs[j * k + i] : bs[i * n + j]);
  return make_fc(ctx, static_cast<size_t>(m), k, n, w, bias, act);
}

Expected<std::unique_ptr<OpKernel>> prepare_matmul(PrepareContext& ctx, bool fused) {
  std::unique_ptr<OpKernel> none;
  if (ctx.num_inputs() < 2 || ctx.input_dtype(0) != DType::kFloat32 || ctx.input_shape(0).size() < 2) return none;
  const Tensor* b = ctx.constant_input(1);
  if (!b || b->dtype() != DType::kFloat32 || b->shape().size() != 2) return none;
  const Shape& as = ctx.input_shape(0);
  const int64_t k = as.back(), n = b->shape()[1];
  if (b->shape()[0] != k) return none;
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < as.size(); ++i) rows *= as[i];
  std::vector<float> bias;
  kernels::Activation act;
  if (fused) {
    if (ctx.has_input(2)) {
      const Tensor* c = ctx.constant_input(2);
      if (!c || c->dtype() != DType::kFloat32 || c->numel() != n) return none;
      bias.assign(c->data<float>(), c->data<float>() + n);
    }
    ER_ASSIGN_OR_RETURN(act, read_fused_activation(ctx));
  }
  std::vector<float> w(static_cast<size_t>(n * k));
  const float* bs = b->data<float>();
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i) w[static_cast<size_t>(j * k + i)] = bs[i * n + j];
  return make_fc(ctx, static_cast<size_t>(rows), k, n, w, bias, act);
}

}  // namespace edgerun::xnn
