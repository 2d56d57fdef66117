// MaxPool / AveragePool (2-D, float32) through xnn_{max,average}_pooling2d_nhwc_f32 and GlobalAveragePool through
// xnn_global_average_pooling_nwc_f32, with the NCHW <-> NHWC transposes of conv.cpp. XNNPACK's max pooling clamps
// window taps into the image (padding never wins, as ONNX's -inf padding) and its average pooling divides by the
// taps inside the image (count_include_pad = 0); ceil_mode becomes extra end padding for max pooling.
#include <array>
#include <limits>

#include "backends/xnnpack/xnn_ops.h"
#include "backends/xnnpack/xnn_util.h"
#include "ops/nn_util.h"

namespace edgerun::xnn {
namespace {

enum class PoolKind { kMax, kAverage, kGlobalAverage };

class PoolKernel : public OpKernel {
 public:
  PoolKind kind = PoolKind::kMax;
  int64_t batch = 0, channels = 0, in_h = 0, in_w = 0, out_hw = 0;
  OperatorPtr op;
  PaddedBuffer in_nhwc, out_nhwc;  // [N, H, W, C], [N, OH, OW, C] (global: unused, XNNPACK writes [N, C] = Y)
  float* set_up_out = nullptr;
  pthreadpool_t set_up_pool = nullptr;
  bool set_up = false;

  Status run(KernelContext& ctx) override {
    pthreadpool_t pool = threadpool_for(ctx);
    nchw_to_nhwc(ctx.inputs[0]->data<float>(), batch, channels, in_h * in_w, in_nhwc.data(), pool);
    float* y = ctx.outputs[0]->data<float>();
    float* dst = kind == PoolKind::kGlobalAverage ? y : out_nhwc.data();
    if (!set_up || pool != set_up_pool || dst != set_up_out) {
      const size_t n = static_cast<size_t>(batch), h = static_cast<size_t>(in_h), w = static_cast<size_t>(in_w);
      enum xnn_status st =
          kind == PoolKind::kMax ? xnn_setup_max_pooling2d_nhwc_f32(op.get(), n, h, w, in_nhwc.data(), dst, pool)
          : kind == PoolKind::kAverage
              ? xnn_setup_average_pooling2d_nhwc_f32(op.get(), n, h, w, in_nhwc.data(), dst, pool)
              : xnn_setup_global_average_pooling_nwc_f32(op.get(), n, h * w, in_nhwc.data(), dst, pool);
      ER_RETURN_IF_ERROR(check(st, "setup pooling"));
      set_up = true;
      set_up_pool = pool;
      set_up_out = dst;
    }
    ER_RETURN_IF_ERROR(check(xnn_run_operator(op.get(), pool), "run pooling"));
    if (kind != PoolKind::kGlobalAverage) {
      const float inf = std::numeric_limits<float>::infinity();
      nhwc_to_nchw(out_nhwc.data(), batch, channels, out_hw, y, nullptr, -inf, inf, pool);
    }
    return Status();
  }
  const char* variant() const override {
    return kind == PoolKind::kMax       ? "xnnpack-max-pooling2d-nhwc-f32"
           : kind == PoolKind::kAverage ? "xnnpack-average-pooling2d-nhwc-f32"
                                        : "xnnpack-global-average-pooling-nwc-f32";
  }
};

Expected<std::unique_ptr<OpKernel>> prepare_window_pool(PrepareContext& ctx, PoolKind kind) {
  std::unique_ptr<OpKernel> none;
  if (ctx.input_dtype(0) != DType::kFloat32 || ctx.input_shape(0).size() != 4) return none;
  if (ctx.has_output(1)) return none;  // MaxPool's indices
  const Node& node = ctx.node();
  const std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  if (kernel.size() != 2 || kernel[0] * kernel[1] <= 1) return none;
  const Shape& xs = ctx.input_shape(0);
  nn::WindowOptions opts;
  opts.allow_ceil_mode = true;
  opts.allow_dilations = kind == PoolKind::kMax;
  auto win_or = nn::make_window(ctx, Shape{xs[2], xs[3]}, kernel, opts);
  if (!win_or.ok()) return none;
  const nn::Window3d win = *win_or;
  const Shape& ys = ctx.outputs()[0].shape;
  if (ys.size() != 4 || ys[2] != win.out[1] || ys[3] != win.out[2]) return none;
  std::array<int64_t, 3> pad_end = win.pad_end;
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  const bool padded = win.pad_begin[1] || win.pad_begin[2] || pad_end[1] || pad_end[2];
  if (kind == PoolKind::kAverage) {
    if (ceil_mode) return none;
    if (padded && node.attr_int("count_include_pad", 0) != 0) return none;
  }
  // End padding that makes XNNPACK's floor((in + pads - extent) / stride) + 1 the planned output size.
  for (int a = 1; a < 3; ++a) {
    const int64_t need = (win.out[a] - 1) * win.stride[a] + win.extent(a) - win.in[a] - win.pad_begin[a];
    if (need <= pad_end[a]) continue;  // floor already gives the planned size
    if (kind == PoolKind::kAverage) return none;
    pad_end[a] = need;
  }
  auto k = std::make_unique<PoolKernel>();
  k->kind = kind;
  k->batch = xs[0];
  k->channels = xs[1];
  k->in_h = xs[2];
  k->in_w = xs[3];
  k->out_hw = ys[2] * ys[3];
  const float inf = std::numeric_limits<float>::infinity();
  const size_t c = static_cast<size_t>(k->channels);
  xnn_operator_t op = nullptr;
  enum xnn_status st;
  if (kind == PoolKind::kMax) {
    st = xnn_create_max_pooling2d_nhwc_f32(
        static_cast<uint32_t>(win.pad_begin[1]), static_cast<uint32_t>(pad_end[2]), static_cast<uint32_t>(pad_end[1]),
        static_cast<uint32_t>(win.pad_begin[2]), static_cast<uint32_t>(kernel[0]), static_cast<uint32_t>(kernel[1]),
        static_cast<uint32_t>(win.stride[1]), static_cast<uint32_t>(win.stride[2]),
        static_cast<uint32_t>(win.dilation[1]), static_cast<uint32_t>(win.dilation[2]), c, c, c, -inf, inf, 0, &op);
  } else {
    st = xnn_create_average_pooling2d_nhwc_f32(
        static_cast<uint32_t>(win.pad_begin[1]), static_cast<uint32_t>(pad_end[2]), static_cast<uint32_t>(pad_end[1]),
        static_cast<uint32_t>(win.pad_begin[2]), static_cast<uint32_t>(kernel[0]), static_cast<uint32_t>(kernel[1]),
        static_cast<uint32_t>(win.stride[1]), static_cast<uint32_t>(win.stride[2]), c, c, c, -inf, inf, 0, &op);
  }
  if (st == xnn_status_invalid_parameter || st == xnn_status_unsupported_parameter) return none;
  ER_RETURN_IF_ERROR(check(st, "create pooling2d_nhwc_f32", &ctx));
  k->op.reset(op);
  k->in_nhwc.resize(static_cast<size_t>(k->batch * k->in_h * k->in_w) * c);
  k->out_nhwc.resize(static_cast<size_t>(k->batch * k->out_hw) * c);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace

Expected<std::unique_ptr<OpKernel>> prepare_max_pool(PrepareContext& ctx) {
  return prepare_window_pool(ctx, PoolKind::kMax);
}

Expected<std::unique_ptr<OpKernel>> prepare_average_pool(PrepareContext& ctx) {
  return prepare_window_pool(ctx, PoolKind::kAverage);
}

Expected<std::unique_ptr<OpKernel>> prepare_global_average_pool(PrepareContext& ctx) {
  std::unique_ptr<OpKernel> none;
  if (ctx.input_dtype(0) != DType::kFloat32 || ctx.input_shape(0).size() != 4) return none;
  const Shape& xs = ctx.input_shape(0);
  if (xs[2] * xs[3] == 0) return none;
  auto k = std::make_unique<PoolKernel>();
  k->kind = PoolKind::kGlobalAverage;
  k->batch = xs[0];
  k->channels = xs[1];
  k->in_h = xs[2];
  k->in_w = xs[3];
  k->out_hw = 1;
  const float inf = std::numeric_limits<float>::infinity();
  const size_t c = static_cast<size_t>(k->channels);
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_global_average_pooling_nwc_f32(c, c, c, -inf, inf, 0, &op);
  if (st == xnn_status_invalid_parameter || st == xnn_status_unsupported_parameter) return none;
  ER_RETURN_IF_ERROR(check(st, "create global_average_pooling_nwc_f32", &ctx));
  k->op.reset(op);
  k->in_nhwc.resize(static_cast<size_t>(k->batch * k->in_h * k->in_w) * c);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgerun::xnn
