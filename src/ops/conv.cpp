// Conv and ConvTranspose (1-D, 2-D, 3-D), reference kernels.
//
// Conv: im2col over tiles of output columns + GEMM per group; 1x1 stride-1 unpadded convs feed the
// input straight to the GEMM; depthwise convs (one input channel per group) use direct loops whose
// inner loop runs along an output row.
// ConvTranspose: GEMM with the transposed weights per group, then col2im scatter-add.
// com.edgerun.FusedConv: Conv + residual Z (input 3) + activation; the reference kernel applies them
// with apply_epilogue_ref. Fast float32 2-D paths live in conv_fast.cpp and are chosen at prepare.
#include <algorithm>

#include "kernels/epilogue.h"
#include "ops/conv_fast.h"
#include "ops/fused.h"
#include "ops/nn_util.h"
#include "ops/op_registry.h"

namespace edgerun {
namespace {

using nn::Window3d;

// Columns per im2col tile: keeps the scratch tile around 2 MiB.
int64_t tile_columns(int64_t rows, int64_t cols) {
  constexpr int64_t kBudget = int64_t{1} << 19;  // floats
  if (rows * cols <= kBudget) return std::max<int64_t>(cols, 1);
  return std::min(cols, std::max<int64_t>(64, kBudget / std::max<int64_t>(rows, 1)));
}

// Copies the receptive fields of output columns [p0, p1) into col[c*KK + kernel offset][p - p0].
// x: [C, ID, IH, IW] of one image and group. col: [C * KD * KH * KW, p1 - p0].
void im2col_tile(const Window3d& w, int64_t channels, const float* x, int64_t p0, int64_t p1, float* col) {
  const int64_t oh_ow = w.out[1] * w.out[2];
  float* dst = col;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * w.in_size();
    for (int64_t kz = 0; kz < w.kernel[0]; ++kz)
      for (int64_t ky = 0; ky < w.kernel[1]; ++ky)
        for (int64_t kx = 0; kx < w.kernel[2]; ++kx) {
          int64_t p = p0;
          int64_t oz = p / oh_ow, oy = (p / w.out[2]) % w.out[1], ox = p % w.out[2];
          while (p < p1) {
            const int64_t len = std::min(w.out[2] - ox, p1 - p);
            const int64_t iz = oz * w.stride[0] - w.pad_begin[0] + kz * w.dilation[0];
            const int64_t iy = oy * w.stride[1] - w.pad_begin[1] + ky * w.dilation[1];
            if (iz < 0 || iz >= w.in[0] || iy < 0 || iy >= w.in[1]) {
              std::fill(dst, dst + len, 0.0f);
            } else {
              const float* row = xc + (iz * w.in[1] + iy) * w.in[2];
              const int64_t ix0 = ox * w.stride[2] - w.pad_begin[2] + kx * w.dilation[2];
              for (int64_t t = 0; t < len; ++t) {
                const int64_t ix = ix0 + t * w.stride[2];
                dst[t] = ix >= 0 && ix < w.in[2] ? row[ix] : 0.0f;
              }
            }
            dst += len;
            p += len;
            ox = 0;
            if (++oy == w.out[1]) {
              oy = 0;
              ++oz;
            }
          }
        }
  }
}

// Adds col[m*KK + kernel offset][p - p0] (input columns [p0, p1)) into the output positions they
// map to. y: [M, OD, OH, OW] of one image and group.
void col2im_tile(const Window3d& w, int64_t channels, const float* col, int64_t p0, int64_t p1, float* y) {
  const int64_t ih_iw = w.in[1] * w.in[2];
  const float* src = col;
  for (int64_t m = 0; m < channels; ++m) {
    float* ym = y + m * w.out_size();
    for (int64_t kz = 0; kz < w.kernel[0]; ++kz)
      for (int64_t ky = 0; ky < w.kernel[1]; ++ky)
        for (int64_t kx = 0; kx < w.kernel[2]; ++kx) {
          // Input columns ix whose output column ox = ix*s - pad + kx*d lies inside the output.
          int64_t ix_lo, ix_hi;
          nn::valid_range(w.in[2], w.stride[2], kx * w.dilation[2] - w.pad_begin[2], w.out[2], &ix_lo, &ix_hi);
          int64_t p = p0;
          int64_t iz = p / ih_iw, iy = (p / w.in[2]) % w.in[1], ix = p % w.in[2];
          while (p < p1) {
            const int64_t len = std::min(w.in[2] - ix, p1 - p);
            const int64_t oz = iz * w.stride[0] - w.pad_begin[0] + kz * w.dilation[0];
            const int64_t oy = iy * w.stride[1] - w.pad_begin[1] + ky * w.dilation[1];
            if (oz >= 0 && oz < w.out[0] && oy >= 0 && oy < w.out[1]) {
              float* row = ym + (oz * w.out[1] + oy) * w.out[2];
              const int64_t lo = std::max(ix, ix_lo), hi = std::min(ix + len, ix_hi);
              for (int64_t i = lo; i < hi; ++i)
                row[i * w.stride[2] - w.pad_begin[2] + kx * w.dilation[2]] += src[i - ix];
            }
            src += len;
            p += len;
            ix = 0;
            if (++iy == w.in[1]) {
              iy = 0;
              ++iz;
            }
          }
        }
  }
}

const Tensor* optional_input(const KernelContext& ctx, size_t i) {
  return i < ctx.inputs.size() ? ctx.inputs[i] : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Conv

struct ConvParams {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  Window3d win;
  kernels::Activation act;    // FusedConv only
  bool has_residual = false;  // FusedConv's Z (input 3)
};

class ConvKernel : public OpKernel {
 public:
  ConvKernel(ConvParams p, Tensor weight, Tensor bias) : p_(p), weight_(std::move(weight)), bias_(std::move(bias)) {
    cg_ = p_.in_channels / p_.group;
    mg_ = p_.out_channels / p_.group;
    kg_ = cg_ * p_.win.kernel_size();
    const Window3d& w = p_.win;
    pointwise_ = w.kernel_size() == 1 && w.stride == std::array<int64_t, 3>{1, 1, 1} &&
                 w.pad_begin == std::array<int64_t, 3>{0, 0, 0} && w.in == w.out;
    depthwise_ = p_.group > 1 && cg_ == 1;
    tile_ = tile_columns(kg_, w.out_size());
    if (!pointwise_ && !depthwise_) nn::reserve_scratch_floats(static_cast<size_t>(kg_ * tile_));
  }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    const float* wt = weight_.defined() ? weight_.data<float>() : ctx.inputs[1]->data<float>();
    const Tensor* b = bias_.defined() ? &bias_ : optional_input(ctx, 2);
    const float* bias = b ? b->data<float>() : nullptr;
    float* y = ctx.outputs[0]->data<float>();
    if (depthwise_)
      run_depthwise(x, wt, bias, y);
    else
      run_gemm(x, wt, bias, y);
    const Tensor* z = p_.has_residual ? optional_input(ctx, 3) : nullptr;
    if (z || p_.act.kind != kernels::Act::kNone) {
      const int64_t p_out = p_.win.out_size();
      kernels::Epilogue ep;  // the bias is already in y
      ep.act = p_.act;
      ep.ld_residual = p_out;
      for (int64_t n = 0; n < p_.batch; ++n) {
        ep.residual = z ? z->data<float>() + n * p_.out_channels * p_out : nullptr;
        kernels::apply_epilogue_ref(ep, y + n * p_.out_channels * p_out, p_out, 0, p_.out_channels, 0, p_out);
      }
    }
    return Status();
  }

 private:
  void run_gemm(const float* x, const float* wt, const float* bias, float* y) const {
    const Window3d& w = p_.win;
    const int64_t p_out = w.out_size(), p_in = w.in_size();
    float* col = pointwise_ ? nullptr : nn::scratch_floats(static_cast<size_t>(kg_ * tile_));
    for (int64_t n = 0; n < p_.batch; ++n) {
      for (int64_t g = 0; g < p_.group; ++g) {
        const float* xg = x + (n * p_.in_channels + g * cg_) * p_in;  // [Cg, ID, IH, IW]
        float* yg = y + (n * p_.out_channels + g * mg_) * p_out;      // [Mg, OD, OH, OW]
        const float* wg = wt + g * mg_ * kg_;                         // [Mg, Cg * KK]
        for (int64_t m = 0; m < mg_; ++m)
          std::fill(yg + m * p_out, yg + (m + 1) * p_out, bias ? bias[g * mg_ + m] : 0.0f);
        if (pointwise_) {
          nn::gemm_f32(mg_, p_out, cg_, wg, kg_, xg, p_in, yg, p_out, true);
          continue;
        }
        for (int64_t p0 = 0; p0 < p_out; p0 += tile_) {
          const int64_t p1 = std::min(p_out, p0 + tile_);
          im2col_tile(w, cg_, xg, p0, p1, col);
          nn::gemm_f32(mg_, p1 - p0, kg_, wg, kg_, col, p1 - p0, yg + p0, p_out, true);
        }
      }
    }
  }

  // One input channel per group: out channel m reads input channel m / mg_.
  void run_depthwise(const float* x, const float* wt, const float* bias, float* y) const {
    const Window3d& w = p_.win;
    const int64_t p_out = w.out_size(), p_in = w.in_size();
    for (int64_t n = 0; n < p_.batch; ++n) {
      for (int64_t m = 0; m < p_.out_channels; ++m) {
        const float* xc = x + (n * p_.in_channels + m / mg_) * p_in;  // [ID, IH, IW]
        float* ym = y + (n * p_.out_channels + m) * p_out;            // [OD, OH, OW]
        const float* wm = wt + m * w.kernel_size();                   // [KD, KH, KW]
        std::fill(ym, ym + p_out, bias ? bias[m] : 0.0f);
        for (int64_t oz = 0; oz < w.out[0]; ++oz)
          for (int64_t oy = 0; oy < w.out[1]; ++oy) {
            float* yrow = ym + (oz * w.out[1] + oy) * w.out[2];
            for (int64_t kz = 0; kz < w.kernel[0]; ++kz) {
              const int64_t iz = oz * w.stride[0] - w.pad_begin[0] + kz * w.dilation[0];
              if (iz < 0 || iz >= w.in[0]) continue;
              for (int64_t ky = 0; ky < w.kernel[1]; ++ky) {
                const int64_t iy = oy * w.stride[1] - w.pad_begin[1] + ky * w.dilation[1];
                if (iy < 0 || iy >= w.in[1]) continue;
                const float* xrow = xc + (iz * w.in[1] + iy) * w.in[2];
                for (int64_t kx = 0; kx < w.kernel[2]; ++kx) {
                  const float wv = wm[(kz * w.kernel[1] + ky) * w.kernel[2] + kx];
                  const int64_t off = kx * w.dilation[2] - w.pad_begin[2];
                  int64_t lo, hi;
                  nn::valid_range(w.out[2], w.stride[2], off, w.in[2], &lo, &hi);
                  if (w.stride[2] == 1) {
                    for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] += wv * xrow[ox + off];
                  } else {
                    for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] += wv * xrow[ox * w.stride[2] + off];
                  }
                }
              }
            }
          }
      }
    }
  }

  ConvParams p_;
  Tensor weight_;  // constant W as float32 (a view when it already is), else undefined: read the input
  Tensor bias_;
  int64_t cg_ = 0, mg_ = 0, kg_ = 0, tile_ = 0;
  bool pointwise_ = false, depthwise_ = false;
};

// Checks shared by Conv and ConvTranspose: ranks, dtypes, bias shape, group.
Status check_conv_inputs(const PrepareContext& ctx, int64_t* group) {
  if (ctx.num_inputs() < 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("needs inputs X and W");
  ER_RETURN_IF_ERROR(nn::check_float_input(ctx, 0, "X"));
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  if (xs.size() < 3) return ctx.error("X must have rank >= 3 ([N, C, spatial...]), got shape [", shape_str(xs), "]");
  if (ws.size() != xs.size())
    return ctx.error("W has rank ", ws.size(), " but X has rank ", xs.size(), " (W: [", shape_str(ws), "])");
  for (int i = 1; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != ctx.input_dtype(0))
      return ctx.error("input ", i, " has dtype ", dtype_name(ctx.input_dtype(i)), ", X has ",
                       dtype_name(ctx.input_dtype(0)));
  *group = ctx.node().attr_int("group", 1);
  if (*group < 1) return ctx.error("group must be >= 1, got ", *group);
  return Status();
}

Status check_bias(const PrepareContext& ctx, int64_t out_channels) {
  if (!ctx.has_input(2)) return Status();
  const Shape& bs = ctx.input_shape(2);
  if (bs.size() != 1 || bs[0] != out_channels)
    return ctx.error("B must have shape [", out_channels, "], got [", shape_str(bs), "]");
  return Status();
}

// kernel_shape attribute, or W's spatial dims; they must agree when both are present.
Expected<std::vector<int64_t>> conv_kernel_shape(const PrepareContext& ctx, const Shape& ws) {
  std::vector<int64_t> k(ws.begin() + 2, ws.end());
  if (ctx.node().has_attr("kernel_shape")) {
    std::vector<int64_t> attr = ctx.node().attr_ints("kernel_shape");
    if (attr != k)
      return ctx.error("kernel_shape [", shape_str(attr), "] does not match the spatial dims of W [", shape_str(ws),
                       "]");
  }
  return k;
}

Expected<std::unique_ptr<OpKernel>> prepare_conv_impl(PrepareContext& ctx, bool fused) {
  int64_t group = 1;
  ER_RETURN_IF_ERROR(check_conv_inputs(ctx, &group));
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  ConvParams p;
  p.batch = xs[0];
  p.in_channels = xs[1];
  p.out_channels = ws[0];
  p.group = group;
  if (p.in_channels % group != 0)
    return ctx.error("input channels ", p.in_channels, " are not divisible by group ", group);
  if (p.out_channels % group != 0)
    return ctx.error("output channels ", p.out_channels, " (W dim 0) are not divisible by group ", group);
  if (ws[1] != p.in_channels / group)
    return ctx.error("W dim 1 is ", ws[1], " but input channels / group = ", p.in_channels, " / ", group, " = ",
                     p.in_channels / group);
  ER_RETURN_IF_ERROR(check_bias(ctx, p.out_channels));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> kernel, conv_kernel_shape(ctx, ws));
  nn::WindowOptions opts;
  ER_ASSIGN_OR_RETURN(p.win, nn::make_window(ctx, Shape(xs.begin() + 2, xs.end()), kernel, opts));

  Shape out = {p.batch, p.out_channels};
  for (int i = 3 - p.win.rank; i < 3; ++i) out.push_back(p.win.out[static_cast<size_t>(i)]);
  ER_RETURN_IF_ERROR(nn::check_output_size(ctx, out));
  if (fused) {
    ER_ASSIGN_OR_RETURN(p.act, read_fused_activation(ctx));
    if (ctx.num_inputs() > 4) return ctx.error("FusedConv takes at most 4 inputs (X, W, B, Z), got ", ctx.num_inputs());
    p.has_residual = ctx.has_input(3);
    if (p.has_residual && ctx.input_shape(3) != out)
      return ctx.error("residual Z must have the output shape [", shape_str(out), "], got [",
                       shape_str(ctx.input_shape(3)), "]");
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  FastConvParams fp;
  fp.batch = p.batch;
  fp.in_channels = p.in_channels;
  fp.out_channels = p.out_channels;
  fp.group = p.group;
  fp.win = p.win;
  fp.act = p.act;
  fp.has_residual = p.has_residual;
  if (std::unique_ptr<OpKernel> fast = prepare_fast_conv(ctx, fp)) return fast;
  auto kernel_obj = std::make_unique<ConvKernel>(p, nn::constant_as_f32(ctx, 1), nn::constant_as_f32(ctx, 2));
  return nn::finish_float_kernel(ctx, std::move(kernel_obj));
}

Expected<std::unique_ptr<OpKernel>> prepare_conv(PrepareContext& ctx) { return prepare_conv_impl(ctx, false); }
Expected<std::unique_ptr<OpKernel>> prepare_fused_conv(PrepareContext& ctx) { return prepare_conv_impl(ctx, true); }

// ---------------------------------------------------------------------------------------------
// ConvTranspose

class ConvTransposeKernel : public OpKernel {
 public:
  // weight_t: constant weights already transposed to [group][Mg * KK, Cg], else undefined.
  ConvTransposeKernel(ConvParams p, Tensor weight_t, Tensor bias)
      : p_(p), weight_t_(std::move(weight_t)), bias_(std::move(bias)) {
    cg_ = p_.in_channels / p_.group;
    mg_ = p_.out_channels / p_.group;
    kg_ = mg_ * p_.win.kernel_size();
    tile_ = tile_columns(kg_, p_.win.in_size());
    nn::reserve_scratch_floats(static_cast<size_t>(scratch_size()));
  }

  Status run(KernelContext& ctx) override {
    const Window3d& w = p_.win;
    const float* x = ctx.inputs[0]->data<float>();
    const Tensor* b = bias_.defined() ? &bias_ : optional_input(ctx, 2);
    const float* bias = b ? b->data<float>() : nullptr;
    float* y = ctx.outputs[0]->data<float>();
    float* col = nn::scratch_floats(static_cast<size_t>(scratch_size()));  // [Mg * KK, tile]
    const float* wt = weight_t_.defined() ? weight_t_.data<float>() : nullptr;
    if (!wt) {
      float* dst = col + kg_ * tile_;  // [group][Mg * KK, Cg]
      const float* src = ctx.inputs[1]->data<float>();
      for (int64_t g = 0; g < p_.group; ++g) nn::transpose_f32(src + g * cg_ * kg_, cg_, kg_, dst + g * cg_ * kg_);
      wt = dst;
    }
    const int64_t p_out = w.out_size(), p_in = w.in_size();
    for (int64_t n = 0; n < p_.batch; ++n) {
      for (int64_t m = 0; m < p_.out_channels; ++m) {
        float* ym = y + (n * p_.out_channels + m) * p_out;
        std::fill(ym, ym + p_out, bias ? bias[m] : 0.0f);
      }
      for (int64_t g = 0; g < p_.group; ++g) {
        const float* xg = x + (n * p_.in_channels + g * cg_) * p_in;  // [Cg, Pin]
        float* yg = y + (n * p_.out_channels + g * mg_) * p_out;      // [Mg, Pout]
        const float* wg = wt + g * kg_ * cg_;                         // [Mg * KK, Cg]
        for (int64_t p0 = 0; p0 < p_in; p0 += tile_) {
          const int64_t p1 = std::min(p_in, p0 + tile_);
          nn::gemm_f32(kg_, p1 - p0, cg_, wg, cg_, xg + p0, p_in, col, p1 - p0, false);
          col2im_tile(w, mg_, col, p0, p1, yg);
        }
      }
    }
    return Status();
  }

 private:
  int64_t scratch_size() const { return kg_ * tile_ + (weight_t_.defined() ? 0 : p_.group * kg_ * cg_); }

  ConvParams p_;
  Tensor weight_t_;
  Tensor bias_;
  int64_t cg_ = 0, mg_ = 0, kg_ = 0, tile_ = 0;
};

Expected<std::unique_ptr<OpKernel>> prepare_conv_transpose(PrepareContext& ctx) {
  constexpr int64_t kMax = int64_t{1} << 31;
  int64_t group = 1;
  ER_RETURN_IF_ERROR(check_conv_inputs(ctx, &group));
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  ConvParams p;
  p.batch = xs[0];
  p.in_channels = xs[1];
  p.group = group;
  if (ws[0] != p.in_channels)
    return ctx.error("W dim 0 is ", ws[0], " but X has ", p.in_channels, " channels (W: [", shape_str(ws), "])");
  if (p.in_channels % group != 0)
    return ctx.error("input channels ", p.in_channels, " are not divisible by group ", group);
  p.out_channels = ws[1] * group;
  ER_RETURN_IF_ERROR(check_bias(ctx, p.out_channels));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> kernel, conv_kernel_shape(ctx, ws));

  const size_t r = kernel.size();
  if (r > 3) return ctx.unsupported_error("only 1-D, 2-D and 3-D ConvTranspose is supported, got ", r, " spatial dims");
  std::vector<int64_t> ones(r, 1), zeros(r, 0);
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> strides, nn::read_ints_attr(ctx, "strides", r, ones, 1, kMax));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, nn::read_ints_attr(ctx, "dilations", r, ones, 1, kMax));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> out_pad, nn::read_ints_attr(ctx, "output_padding", r, zeros, 0, kMax));
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                      nn::read_ints_attr(ctx, "pads", 2 * r, std::vector<int64_t>(2 * r, 0), 0, kMax));
  ER_ASSIGN_OR_RETURN(nn::AutoPad auto_pad, nn::read_auto_pad(ctx));
  std::vector<int64_t> out_shape;
  if (ctx.node().has_attr("output_shape")) {
    out_shape = ctx.node().attr_ints("output_shape");
    // Some exporters write the full [N, C, spatial...] shape.
    if (out_shape.size() == r + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    if (out_shape.size() != r) return ctx.error("output_shape has ", out_shape.size(), " values, expected ", r);
    for (int64_t d : out_shape)
      if (d < 0 || d > kMax) return ctx.error("output_shape value ", d, " is out of range");
  }

  Window3d& w = p.win;
  w.rank = static_cast<int>(r);
  for (size_t i = 0; i < r; ++i) {
    const size_t a = 3 - r + i;
    w.in[a] = xs[2 + i];
    w.kernel[a] = kernel[i];
    if (kernel[i] < 1 || kernel[i] > kMax) return ctx.error("kernel size ", kernel[i], " is out of range");
    w.stride[a] = strides[i];
    w.dilation[a] = dilations[i];
    // Output size before any padding is removed (bounded first so it cannot overflow).
    if (w.in[a] > kMax || (w.in[a] > 1 && strides[i] > kMax / (w.in[a] - 1)))
      return ctx.error("spatial dim ", i, ": input size ", w.in[a], " times stride ", strides[i], " is too large");
    const int64_t full = strides[i] * (w.in[a] - 1) + out_pad[i] + w.extent(static_cast<int>(a));
    const bool same = auto_pad == nn::AutoPad::kSameUpper || auto_pad == nn::AutoPad::kSameLower;
    if (!out_shape.empty() || same) {
      w.out[a] = !out_shape.empty() ? out_shape[i] : w.in[a] * strides[i];
      // total is negative when output_shape asks for more than the natural size; halves round down.
      const int64_t total = full - w.out[a];
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      w.pad_begin[a] = auto_pad == nn::AutoPad::kSameUpper ? half : total - half;
      w.pad_end[a] = total - w.pad_begin[a];
    } else {
      if (auto_pad == nn::AutoPad::kNotSet) {
        w.pad_begin[a] = pads[i];
        w.pad_end[a] = pads[r + i];
      }
      w.out[a] = full - w.pad_begin[a] - w.pad_end[a];
    }
    if (w.out[a] < 0) return ctx.error("spatial dim ", i, ": output size ", w.out[a], " is negative (pads too large)");
  }

  Shape out = {p.batch, p.out_channels};
  for (size_t i = 0; i < r; ++i) out.push_back(w.out[3 - r + i]);
  ER_RETURN_IF_ERROR(nn::check_output_size(ctx, out));
  ctx.set_output(0, ctx.input_dtype(0), out);

  Tensor weight_t;
  Tensor wc = nn::constant_as_f32(ctx, 1);
  if (wc.defined()) {
    const int64_t cg = p.in_channels / group, kg = ws[1] * w.kernel_size();
    weight_t = Tensor::empty(DType::kFloat32, {group, kg, cg});
    for (int64_t g = 0; g < group; ++g)
      nn::transpose_f32(wc.data<float>() + g * cg * kg, cg, kg, weight_t.data<float>() + g * cg * kg);
  }
  auto kernel_obj = std::make_unique<ConvTransposeKernel>(p, std::move(weight_t), nn::constant_as_f32(ctx, 2));
  return nn::finish_float_kernel(ctx, std::move(kernel_obj));
}

}  // namespace

void register_conv_ops(OpRegistry& r) {
  nn::add_op(r, "Conv", 1, prepare_conv);
  nn::add_op(r, "ConvTranspose", 1, prepare_conv_transpose);
  OpSchema fused;
  fused.domain = kEdgerunDomain;
  fused.op_type = "FusedConv";
  fused.since_version = 1;
  fused.prepare = prepare_fused_conv;
  r.add(std::move(fused));
}

}  // namespace edgerun
