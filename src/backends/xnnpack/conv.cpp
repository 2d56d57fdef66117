// Conv / com.edgerun.FusedConv through xnn_convolution2d_nhwc_f32 (2-D, float32, constant W and B, any group count;
// XNNPACK picks its depthwise microkernels for one input and one output channel per group). edgerun's activations
// are NCHW: the input is transposed into an NHWC scratch buffer and the result back, adding FusedConv's residual Z
// on the way. A clamp activation without a residual is fused into the operator's output bounds.
#include <limits>

#include "backends/xnnpack/xnn_ops.h"
#include "backends/xnnpack/xnn_util.h"
#include "ops/fused.h"
#include "ops/nn_util.h"

namespace edgerun::xnn {
namespace {

class ConvKernel : public OpKernel {
 public:
  int64_t batch = 0, in_c = 0, in_hw = 0, out_c = 0, out_hw = 0;
  int64_t out_h = 0, out_w = 0, in_h = 0, in_w = 0;
  bool depthwise = false, has_residual = false;
  float clamp_lo = 0, clamp_hi = 0;  // applied while transposing back (residual case)
  double flop_count = 0;
  size_t weight_bytes = 0;
  OperatorPtr op;
  PostActivation post_nhwc, post_nchw;  // activation on the NHWC result (no residual) or on Y (after the residual)
  PaddedBuffer in_nhwc;   // [N, H, W, C]
  PaddedBuffer out_nhwc;  // [N, OH, OW, M]
  pthreadpool_t set_up_pool = nullptr;
  bool set_up = false;

  Status run(KernelContext& ctx) override {
    pthreadpool_t pool = threadpool_for(ctx);
    nchw_to_nhwc(ctx.inputs[0]->data<float>(), batch, in_c, in_hw, in_nhwc.data(), pool);
    if (!set_up || pool != set_up_pool) {
      ER_RETURN_IF_ERROR(check(xnn_setup_convolution2d_nhwc_f32(op.get(), static_cast<size_t>(batch),
                                                                  static_cast<size_t>(in_h), static_cast<size_t>(in_w),
                                                                  in_nhwc.data(), out_nhwc.data(), pool),
                               "setup convolution2d_nhwc_f32"));
      set_up = true;
      set_up_pool = pool;
    }
    ER_RETURN_IF_ERROR(check(xnn_run_operator(op.get(), pool), "run convolution2d_nhwc_f32"));
    ER_RETURN_IF_ERROR(post_nhwc.run(out_nhwc.data(), pool));
    float* y = ctx.outputs[0]->data<float>();
    const float* z = has_residual ? ctx.inputs[3]->data<float>() : nullptr;
    nhwc_to_nchw(out_nhwc.data(), batch, out_c, out_hw, y, z, clamp_lo, clamp_hi, pool);
    return post_nchw.run(y, pool);
  }
  size_t packed_bytes() const override { return weight_bytes; }
  std::vector<int> packed_inputs() const override { return {1, 2}; }
  const char* variant() const override { return depthwise ? "xnnpack-dwconv2d-nhwc-f32" : "xnnpack-conv2d-nhwc-f32"; }
  double flops() const override { return flop_count; }
};

}  // namespace

Expected<std::unique_ptr<OpKernel>> prepare_conv(PrepareContext& ctx, bool fused) {
  std::unique_ptr<OpKernel> none;
  if (ctx.num_inputs() < 2 || ctx.input_dtype(0) != DType::kFloat32 || ctx.input_shape(0).size() != 4) return none;
  const Tensor* w = ctx.constant_input(1);
  const Tensor* b = ctx.constant_input(2);
  if (!w || w->dtype() != DType::kFloat32 || w->shape().size() != 4) return none;
  if (ctx.has_input(2) && (!b || b->dtype() != DType::kFloat32)) return none;
  const bool has_residual = fused && ctx.has_input(3);
  if (has_residual && ctx.input_dtype(3) != DType::kFloat32) return none;
  kernels::Activation act;
  if (fused) {
    ER_ASSIGN_OR_RETURN(act, read_fused_activation(ctx));
  }
  if (!PostActivation::supported(act)) return none;

  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = w->shape();
  const int64_t group = ctx.node().attr_int("group", 1);
  const int64_t c = xs[1], m = ws[0], kh = ws[2], kw = ws[3];
  if (group < 1 || c % group != 0 || m % group != 0 || ws[1] != c / group) return none;
  nn::WindowOptions opts;
  auto win_or = nn::make_window(ctx, Shape{xs[2], xs[3]}, {kh, kw}, opts);
  if (!win_or.ok()) return none;
  const nn::Window3d win = *win_or;
  const Shape& ys = ctx.outputs()[0].shape;
  if (ys.size() != 4 || ys[2] != win.out[1] || ys[3] != win.out[2]) return none;

  auto k = std::make_unique<ConvKernel>();
  k->batch = xs[0];
  k->in_c = c;
  k->in_h = xs[2];
  k->in_w = xs[3];
  k->in_hw = xs[2] * xs[3];
  k->out_c = m;
  k->out_h = ys[2];
  k->out_w = ys[3];
  k->out_hw = ys[2] * ys[3];
  k->has_residual = has_residual;
  const int64_t cg = c / group, mg = m / group, taps = kh * kw;
  k->depthwise = group > 1 && cg == 1 && mg == 1;
  k->flop_count = 2.0 * static_cast<double>(k->batch * k->out_hw * m * cg * taps);

  // OIHW -> [G][M/G][KH][KW][C/G] (OHWI per group), what xnn_create_convolution2d_nhwc_f32 packs from.
  std::vector<float> w_ohwi(static_cast<size_t>(m * taps * cg));
  const float* wsrc = w->data<float>();
  for (int64_t o = 0; o < m; ++o)
    for (int64_t i = 0; i < cg; ++i)
      for (int64_t t = 0; t < taps; ++t) w_ohwi[static_cast<size_t>((o * taps + t) * cg + i)] = wsrc[(o * cg + i) * taps + t];
  const float* bias = b ? b->data<float>() : nullptr;
  if (b && b->numel() != m) return none;

  float lo, hi;
  clamp_bounds(act, &lo, &hi);
  const float inf = std::numeric_limits<float>::infinity();
  float op_lo = -inf, op_hi = inf;
  k->clamp_lo = -inf;
  k->clamp_hi = inf;
  const size_t out_count = static_cast<size_t>(k->batch * k->out_hw * m);
  if (act.kind == kernels::Act::kClamp) {
    if (has_residual) {
      k->clamp_lo = lo;
      k->clamp_hi = hi;
    } else {
      op_lo = lo;
      op_hi = hi;
    }
  } else if (act.kind != kernels::Act::kNone) {
    ER_RETURN_IF_ERROR((has_residual ? k->post_nchw : k->post_nhwc).init(act, out_count));
  }

  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_convolution2d_nhwc_f32(
      static_cast<uint32_t>(win.pad_begin[1]), static_cast<uint32_t>(win.pad_end[2]),
      static_cast<uint32_t>(win.pad_end[1]), static_cast<uint32_t>(win.pad_begin[2]), static_cast<uint32_t>(kh),
      static_cast<uint32_t>(kw), static_cast<uint32_t>(win.stride[1]), static_cast<uint32_t>(win.stride[2]),
      static_cast<uint32_t>(win.dilation[1]), static_cast<uint32_t>(win.dilation[2]), static_cast<uint32_t>(group),
      static_cast<size_t>(cg), static_cast<size_t>(mg), static_cast<size_t>(c), static_cast<size_t>(m), w_ohwi.data(),
      bias, op_lo, op_hi, 0, &op);
  if (st == xnn_status_invalid_parameter || st == xnn_status_unsupported_parameter) return none;
  ER_RETURN_IF_ERROR(check(st, "create convolution2d_nhwc_f32", &ctx));
  k->op.reset(op);
  k->weight_bytes = (w_ohwi.size() + static_cast<size_t>(m)) * sizeof(float);
  k->in_nhwc.resize(static_cast<size_t>(k->batch * k->in_hw * c));
  k->out_nhwc.resize(out_count);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgerun::xnn
