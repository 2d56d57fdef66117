// QLinearConv and ConvInteger (opset 10; also com.microsoft.QLinearConv with channels_last = 0).
//
//   acc[n, m, p] = sum_{c, k} (x[n, c, p + k] - x_zp) * (w[m, c, k] - w_zp[m])      (int32)
//   ConvInteger: y = acc.
//   QLinearConv: y = saturate(round_half_even(float(acc + B[m]) * (x_scale * w_scale[m] / y_scale)) + y_zp), the
//                product and the multiplier in float32 as ONNX Runtime's CPU kernels compute them (bit-identical
//                outputs on MobileNetV2-int8).
//
// Weights are packed once into int16 rows with their zero point subtracted ([M, K_pad], K = C/group * kernel size).
// The input is unfolded a tile of output pixels at a time into int16 patch rows ([tile, K_pad], zero point
// subtracted, padding = 0) and multiplied by qgemm_s16_dot. Depthwise 2-D convs (one input channel per group)
// skip the unfolding: one zero-padded input plane, then a direct sliding window over whole output rows.
//
// On CPUs with a qu8-gemm kernel (AVX-512 VNNI) 2-D convs that are not depthwise take the 8-bit path instead: the
// input is copied once per image into zero-point-padded planes of 4 channels per 32-bit pixel (NC4HW4, int8 inputs
// shifted to uint8), the patch tile of a receptive-field position (c4, kh, kw) is then a row copy of 32-bit pixels
// (pointwise convs interleave their tiles straight from the input instead), and qu8-gemm multiplies 4 channels per
// lane with exact int32 results, requantizing QLinearConv outputs in its store phase (kernels/qu8-gemm/qu8-gemm.h).
//
// Depthwise 2-D convs with at most 258 taps run on the float depthwise kernels (kernels/f32-dwconv): inputs and
// weights minus their zero points are integers of at most 255 in magnitude, so every product (<= 65025) and every
// partial sum (<= 258 * 65025 < 2^24) is exact in float32 whatever the order of the FMAs; the float accumulators are
// the int32 ones, requantized by kernels/qu8-quantize. Blocks of 16 channels go through shift-to-float, the conv and
// requantization while they are in cache.
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/f32-conv/conv_scratch.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-quantize/quantize.h"
#include "ops/quant_gemm.h"
#include "ops/quant_ops.h"
#include "ops/quant_util.h"

namespace edgerun {
namespace {

struct ConvGeometry {
  int nd = 2;  // spatial dims in the model (1..3); the arrays below hold D, H, W with leading 1s
  int64_t batch = 0, c = 0, m = 0, group = 1, c_g = 0, m_g = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, pad[3] = {0, 0, 0};  // pad = padding at the beginning
  int64_t in_size = 1, out_size = 1, k_size = 1;
  int64_t k_dim = 0, k_pad = 0;  // reduction length C/group * k_size, and it rounded up for the GEMM
  bool depthwise = false;        // one input channel per group and no depth axis
  bool pointwise = false;        // 1x1, stride 1, no padding: unfolding is a transpose
};

Expected<ConvGeometry> conv_geometry(const PrepareContext& ctx, const Shape& x, const Shape& w) {
  const Node& node = ctx.node();
  ConvGeometry g;
  if (x.size() < 3 || x.size() > 5)
    return ctx.unsupported_error("input rank ", x.size(),
                                 " is not supported (3-D to 5-D inputs are: 1 to 3 spatial axes)");
  if (w.size() != x.size())
    return ctx.error("weight rank ", w.size(), " differs from input rank ", x.size(), " (input ", shape_str(x),
                     ", weight ", shape_str(w), ")");
  g.nd = static_cast<int>(x.size()) - 2;
  const int o = 3 - g.nd;
  g.batch = x[0];
  g.c = x[1];
  g.m = w[0];
  g.group = node.attr_int("group", 1);
  if (g.group < 1) return ctx.error("group must be >= 1, got ", g.group);
  if (g.c <= 0 || g.m <= 0) return ctx.error("input channels ", g.c, " and output channels ", g.m, " must be positive");
  if (g.c % g.group != 0 || g.m % g.group != 0)
    return ctx.error("channels in (", g.c, ") and out (", g.m, ") must be divisible by group ", g.group);
  g.c_g = g.c / g.group;
  g.m_g = g.m / g.group;
  if (w[1] != g.c_g)
    return ctx.error("weight shape ", shape_str(w), " needs ", g.c_g, " input channels per group (input ", shape_str(x),
                     ", group ", g.group, ")");
  std::vector<int64_t> ks = node.attr_ints("kernel_shape");
  if (!ks.empty() && static_cast<int>(ks.size()) != g.nd)
    return ctx.error("kernel_shape has ", ks.size(), " values, expected ", g.nd);
  std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(static_cast<size_t>(g.nd), 1));
  std::vector<int64_t> dils = node.attr_ints("dilations", std::vector<int64_t>(static_cast<size_t>(g.nd), 1));
  if (static_cast<int>(strides.size()) != g.nd)
    return ctx.error("strides has ", strides.size(), " values, expected ", g.nd);
  if (static_cast<int>(dils.size()) != g.nd)
    return ctx.error("dilations has ", dils.size(), " values, expected ", g.nd);
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(static_cast<size_t>(2 * g.nd), 0));
  if (static_cast<int>(pads.size()) != 2 * g.nd)
    return ctx.error("pads has ", pads.size(), " values, expected ", 2 * g.nd);
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return ctx.error("auto_pad '", auto_pad, "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");

  constexpr int64_t kMaxDim = int64_t{1} << 31;
  for (int d = 0; d < g.nd; ++d) {
    const size_t du = static_cast<size_t>(d);
    const int64_t in = x[du + 2], k = w[du + 2], s = strides[du], dl = dils[du];
    if (in <= 0 || in > kMaxDim) return ctx.error("input spatial dimension ", d, " is ", in);
    if (k <= 0 || k > kMaxDim) return ctx.error("kernel dimension ", d, " is ", k);
    if (!ks.empty() && ks[du] != k)
      return ctx.error("kernel_shape[", d, "] = ", ks[du], " differs from the weight's dimension ", k);
    if (s <= 0 || s > kMaxDim) return ctx.error("strides[", d, "] must be positive, got ", s);
    if (dl <= 0 || dl > kMaxDim) return ctx.error("dilations[", d, "] must be positive, got ", dl);
    const int64_t eff = (k - 1) * dl + 1;
    int64_t pb = 0, pe = 0, out = 0;
    if (auto_pad == "NOTSET") {
      pb = pads[du];
      pe = pads[du + static_cast<size_t>(g.nd)];
      if (pb < 0 || pe < 0 || pb > kMaxDim || pe > kMaxDim)
        return ctx.error("pads must be in [0, 2^31), got ", pb, ", ", pe);
      out = (in + pb + pe - eff) / s + 1;
      if (in + pb + pe < eff) out = 0;
    } else if (auto_pad == "VALID") {
      out = in >= eff ? (in - eff) / s + 1 : 0;
    } else {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
      pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    }
    if (out <= 0)
      return ctx.error("kernel (", k, ", dilation ", dl, ") is larger than the padded input (", in,
                       ") on spatial axis ", d);
    g.in[d + o] = in;
    g.k[d + o] = k;
    g.out[d + o] = out;
    g.stride[d + o] = s;
    g.dil[d + o] = dl;
    g.pad[d + o] = pb;
  }
  for (int d = 0; d < 3; ++d) {
    if (!checked_mul(g.in_size, g.in[d], &g.in_size) || !checked_mul(g.out_size, g.out[d], &g.out_size) ||
        !checked_mul(g.k_size, g.k[d], &g.k_size))
      return ctx.error("convolution sizes overflow");
  }
  if (!checked_mul(g.c_g, g.k_size, &g.k_dim) || g.k_dim > kMaxQuantReduction)
    return ctx.unsupported_error("reduction length C/group * kernel size = ", g.c_g, " * ", g.k_size, " exceeds ",
                                 kMaxQuantReduction, " (the int32 accumulator could overflow)");
  g.k_pad = quant_k_pad(g.k_dim);
  g.depthwise = g.c_g == 1 && g.in[0] == 1 && g.k[0] == 1;
  g.pointwise = g.k_size == 1 && g.pad[0] == 0 && g.pad[1] == 0 && g.pad[2] == 0 && g.stride[0] == 1 &&
                g.stride[1] == 1 && g.stride[2] == 1;
  return g;
}

// Input positions of the two ops.
struct ConvInputs {
  int x = 0, w = 1, x_zp = 2, w_zp = 3;
  int x_scale = -1, w_scale = -1, y_scale = -1, y_zp = -1, bias = -1;
};
constexpr ConvInputs kConvIntegerInputs{0, 1, 2, 3, -1, -1, -1, -1, -1};
constexpr ConvInputs kQLinearConvInputs{0, 3, 2, 5, 1, 4, 6, 7, 8};

class QConvKernel : public OpKernel {
 public:
  QConvKernel(const ConvGeometry& g, const ConvInputs& in, bool qlinear, DType xt, DType yt)
      : g_(g), in_(in), qlinear_(qlinear), xt_(xt), yt_(yt) {}

  // Sizes every buffer and packs whatever is constant; run() then allocates nothing, except that the first run on a
  // pool of several threads sizes the other threads' tile buffers once.
  void prepare(const PrepareContext& ctx) {
    dwf_ = g_.depthwise && g_.m_g == 1 && g_.nd <= 2 && g_.k[1] * g_.k[2] <= 258;
    if (dwf_) {
      dwp_.channels = kDwBlock;
      dwp_.in_h = g_.in[1];
      dwp_.in_w = g_.in[2];
      dwp_.out_h = g_.out[1];
      dwp_.out_w = g_.out[2];
      dwp_.kernel_h = g_.k[1];
      dwp_.kernel_w = g_.k[2];
      dwp_.stride_h = g_.stride[1];
      dwp_.stride_w = g_.stride[2];
      dwp_.pad_top = g_.pad[1];
      dwp_.pad_left = g_.pad[2];
      dwp_.dilation_h = g_.dil[1];
      dwp_.dilation_w = g_.dil[2];
      dwk_ = kernels::select_dwconv(dwp_);
      wf_.assign(static_cast<size_t>(g_.m * g_.k[1] * g_.k[2]), 0.0f);
    }
    q8_ = !dwf_ && kernels::qu8_gemm_available() && !g_.depthwise && g_.nd <= 2 && g_.in[0] == 1 && g_.k[0] == 1;
    if (q8_) {
      c4_ = (g_.c_g + 3) / 4;
      hp_ = (g_.out[1] - 1) * g_.stride[1] + (g_.k[1] - 1) * g_.dil[1] + 1;
      wp_ = (g_.out[2] - 1) * g_.stride[2] + (g_.k[2] - 1) * g_.dil[2] + 1;
      k4_ = c4_ * g_.k[1] * g_.k[2];
      q8_direct_ = g_.pointwise;
      // A patch tile of ~128 KiB (k4 x 4 bytes per pixel) stays in L2 while every output channel passes over it.
      tile_ = std::clamp<int64_t>(32768 / k4_ / kernels::kQu8Nr * kernels::kQu8Nr, kernels::kQu8Nr, 1024);
      tile_ = std::min(tile_, g_.out_size);
      coef_.assign(static_cast<size_t>(g_.m), 0);
      row_term_.assign(static_cast<size_t>(g_.m), 0);
      scratch_.resize(1);
      scratch_[0].b32.assign(static_cast<size_t>(k4_ * tile_), 0);
      scratch_[0].col.assign(static_cast<size_t>(tile_), 0);
    } else if (!dwf_) {
      w16_.assign(static_cast<size_t>(g_.m * g_.k_pad), 0);
    }
    std::vector<const Tensor*> c;
    w_const_ = constant_inputs(ctx, {in_.w, in_.w_zp}, &c);
    if (w_const_)
      pack_weights(c[static_cast<size_t>(in_.w)], in_.w_zp >= 0 ? c[static_cast<size_t>(in_.w_zp)] : nullptr);
    if (qlinear_) {
      mult_.assign(static_cast<size_t>(g_.m), 0.0f);
      scales_const_ = constant_inputs(ctx, {in_.x_scale, in_.w_scale, in_.y_scale, in_.y_zp}, &c);
      if (scales_const_) load_scales(c);
    }
    if (q8_ || dwf_) return;
    if (g_.depthwise) {
      plane_h_ = (g_.out[1] - 1) * g_.stride[1] + (g_.k[1] - 1) * g_.dil[1] + 1;
      plane_w_ = (g_.out[2] - 1) * g_.stride[2] + (g_.k[2] - 1) * g_.dil[2] + 1;
      plane_.assign(static_cast<size_t>(plane_h_ * plane_w_), 0);
      row_acc_.assign(static_cast<size_t>(g_.out[2]), 0);
    } else {
      // A patch tile of ~128 KiB stays in L2 while every output channel of the group passes over it.
      tile_ = std::clamp<int64_t>(65536 / g_.k_pad, 16, 1024);
      tile_ = std::min(tile_, g_.out_size);
      scratch_.resize(1);
      scratch_[0].patches.assign(static_cast<size_t>(tile_ * g_.k_pad), 0);
      if (qlinear_) scratch_[0].acc.assign(static_cast<size_t>(g_.m_g * tile_), 0);
    }
  }

  size_t packed_bytes() const override {
    size_t n = w16_.size() * sizeof(int16_t) + wf_.size() * sizeof(float);
    for (const kernels::Qu8PackedWeights& w : wq_) n += w.data.size() + w.row_sum.size() * sizeof(int32_t);
    return n;
  }

  const char* variant() const override {
    if (q8_) return "qconv-qu8-gemm";
    if (dwf_) return "qconv-depthwise-f32";
    return g_.depthwise ? "qconv-s16-depthwise" : "qconv-s16-gemm";
  }

  Status run(KernelContext& ctx) override {
    if (!w_const_) pack_weights(input(ctx, in_.w), input(ctx, in_.w_zp));
    if (qlinear_ && !scales_const_) load_scales(ctx.inputs);
    const Tensor& x = *ctx.inputs[static_cast<size_t>(in_.x)];
    const int32_t zx = scalar_zero_point(input(ctx, in_.x_zp));
    const Tensor* b = input(ctx, in_.bias);
    const int32_t* bias = b ? b->data<int32_t>() : nullptr;
    Tensor& y = *ctx.outputs[0];
    if (q8_) {
      run_q8(x, zx, bias, y, ctx.pool);
      return Status();
    }
    if (dwf_) {
      run_dw_f32(x, zx, bias, y, ctx.pool);
      return Status();
    }
    if (xt_ == DType::kUInt8) {
      run_typed(x.data<uint8_t>(), zx, bias, y, ctx.pool);
    } else {
      run_typed(x.data<int8_t>(), zx, bias, y, ctx.pool);
    }
    return Status();
  }

 private:
  static const Tensor* input(const KernelContext& ctx, int i) {
    return i >= 0 && static_cast<size_t>(i) < ctx.inputs.size() ? ctx.inputs[static_cast<size_t>(i)] : nullptr;
  }

  void pack_weights(const Tensor* w, const Tensor* w_zp) {
    const bool per_channel = w_zp && w_zp->numel() > 1;
    if (q8_) return pack_weights_q8(*w, w_zp, per_channel);
    if (dwf_) {
      const int64_t khw = g_.k[1] * g_.k[2];
      for (int64_t m = 0; m < g_.m; ++m) {
        const int32_t z = w_zp ? load_quant(*w_zp, per_channel ? m : 0) : 0;
        for (int64_t t = 0; t < khw; ++t)
          wf_[static_cast<size_t>(m * khw + t)] = static_cast<float>(load_quant(*w, m * khw + t) - z);
      }
      return;
    }
    for (int64_t m = 0; m < g_.m; ++m) {
      const int32_t z = w_zp ? load_quant(*w_zp, per_channel ? m : 0) : 0;
      int16_t* dst = w16_.data() + m * g_.k_pad;
      for (int64_t k = 0; k < g_.k_dim; ++k) dst[k] = static_cast<int16_t>(load_quant(*w, m * g_.k_dim + k) - z);
    }
  }

  // Requantization multipliers x_scale * w_scale[m] / y_scale in float32. They are applied in float32 to the
  // float-converted accumulator, which reproduces ONNX Runtime's CPU results bit for bit (checked on MobileNetV2-int8).
  void load_scales(const std::vector<const Tensor*>& t) {
    const float xs = load_float(*t[static_cast<size_t>(in_.x_scale)], 0);
    const float ys = load_float(*t[static_cast<size_t>(in_.y_scale)], 0);
    const Tensor& ws = *t[static_cast<size_t>(in_.w_scale)];
    const bool per_channel = ws.numel() > 1;
    for (int64_t m = 0; m < g_.m; ++m) {
      const float prod = xs * load_float(ws, per_channel ? m : 0);
      mult_[static_cast<size_t>(m)] = prod / ys;
    }
    const Tensor* yz = static_cast<size_t>(in_.y_zp) < t.size() ? t[static_cast<size_t>(in_.y_zp)] : nullptr;
    y_zp_ = yz ? load_quant(*yz, 0) : 0;
  }

  // Tile buffers per pool chunk t: scratch_[0] is sized at prepare, the others copy its sizes on first use.
  struct TileScratch {
    std::vector<int16_t> patches;  // [tile, K_pad]
    std::vector<int32_t> acc;      // [M/group, tile] (QLinearConv)
    std::vector<uint32_t> b32;     // 8-bit path: [k4][tile] packed activations (4 channels per element)
    std::vector<int32_t> col;      // 8-bit path: [tile] column terms
  };

  // 8-bit path weights: per group, W reordered to k = ((c4 * KH + kh) * KW + kw) * 4 + c % 4 (the NC4HW4 patch
  // order; channels past C/group get the value that is 0 after the shift to int8), then packed by qu8-gemm.
  void pack_weights_q8(const Tensor& w, const Tensor* w_zp, bool per_channel) {
    const bool w_unsigned = w.dtype() == DType::kUInt8;
    const int64_t khw = g_.k[1] * g_.k[2], kq = k4_ * 4;
    std::vector<uint8_t> re(static_cast<size_t>(g_.m_g * kq));
    wq_.clear();
    for (int64_t grp = 0; grp < g_.group; ++grp) {
      std::fill(re.begin(), re.end(), static_cast<uint8_t>(w_unsigned ? 128 : 0));
      for (int64_t mi = 0; mi < g_.m_g; ++mi) {
        const int64_t m = grp * g_.m_g + mi;
        for (int64_t c = 0; c < g_.c_g; ++c)
          for (int64_t t = 0; t < khw; ++t)
            re[static_cast<size_t>(mi * kq + ((c / 4) * khw + t) * 4 + c % 4)] =
                static_cast<uint8_t>(load_quant(w, (m * g_.c_g + c) * khw + t));
      }
      wq_.push_back(kernels::qu8_pack_weights(re.data(), g_.m_g, kq, kq, w_unsigned));
    }
    for (int64_t m = 0; m < g_.m; ++m) {
      const int32_t z = w_zp ? load_quant(*w_zp, per_channel ? m : 0) : 0;
      coef_[static_cast<size_t>(m)] = (w_unsigned ? 128 : 0) - z;
    }
    coef_zero_ = std::all_of(coef_.begin(), coef_.end(), [](int32_t c) { return c == 0; });
  }

  // 8-bit path, per image: the input as padded NC4HW4 planes, then tiles of output pixels of every group over the pool.
  void run_q8(const Tensor& x, int32_t zx, const int32_t* bias, Tensor& y, ThreadPool* pool) {
    const bool x_signed = xt_ == DType::kInt8;
    const uint32_t zxp = static_cast<uint32_t>(x_signed ? zx + 128 : zx);  // zero point of the uint8 view
    const int64_t plane = hp_ * wp_, kq = k4_ * 4;
    flip_ = x_signed ? 0x80 : 0;
    pad_row_.assign(static_cast<size_t>(std::max(wp_, tile_)), static_cast<uint8_t>(zxp ^ flip_));
    x_bytes_ = static_cast<const uint8_t*>(x.raw_data());
    if (!q8_direct_) xp4_.resize(static_cast<size_t>(g_.group * c4_ * plane));
    for (int64_t grp = 0; grp < g_.group; ++grp)
      for (int64_t mi = 0; mi < g_.m_g; ++mi) {
        const int64_t m = grp * g_.m_g + mi;
        row_term_[static_cast<size_t>(m)] =
            static_cast<int32_t>(zxp * static_cast<uint32_t>(wq_[static_cast<size_t>(grp)].row_sum[static_cast<size_t>(mi)]));
      }
    const int64_t tiles = (g_.out_size + tile_ - 1) / tile_;
    const int64_t units = g_.group * tiles;
    const bool parallel = pool && pool->size() > 1;
    if (parallel && scratch_.size() < static_cast<size_t>(pool->size()))
      scratch_.resize(static_cast<size_t>(pool->size()), scratch_[0]);
    for (int64_t n = 0; n < g_.batch; ++n) {
      auto fill = [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          fill_nc4(x_bytes_ + (n * g_.c + (i / c4_) * g_.c_g) * g_.in_size, i % c4_, zxp, xp4_.data() + i * plane);
      };
      if (!q8_direct_) {  // pointwise convs interleave their tiles straight from x (run_tile_q8)
        if (parallel) pool->parallel_for(g_.group * c4_, [&](int64_t b, int64_t e, int) { fill(b, e); });
        else fill(0, g_.group * c4_);
      }
      auto unit = [&](int64_t u, int t) { run_tile_q8(n, u / tiles, (u % tiles) * tile_, zxp, kq, bias, y, t); };
      if (parallel && units >= 2) {
        pool->parallel_for(units, [&](int64_t b, int64_t e, int t) {
          for (int64_t u = b; u < e; ++u) unit(u, t);
        });
      } else {
        for (int64_t u = 0; u < units; ++u) unit(u, 0);
      }
    }
  }

  // Depthwise through the float kernels (see the top of the file), blocks of kDwBlock channels over the pool.
  void run_dw_f32(const Tensor& x, int32_t zx, const int32_t* bias, Tensor& y, ThreadPool* pool) {
    const bool x_signed = xt_ == DType::kInt8;
    const uint8_t flip = x_signed ? 0x80 : 0;
    const int32_t zs = x_signed ? zx + 128 : zx;
    const int64_t C = g_.c, isz = g_.in_size, osz = g_.out_size, khw = g_.k[1] * g_.k[2];
    const int64_t blocks = g_.batch * ((C + kDwBlock - 1) / kDwBlock), per_image = (C + kDwBlock - 1) / kDwBlock;
    const kernels::QuantizeVariant& qv = kernels::quantize_selected();
    const uint8_t* xb = static_cast<const uint8_t*>(x.raw_data());
    const int32_t lo = quant_min(yt_), hi = quant_max(yt_);
    auto block = [&](int64_t bi) {
      const int64_t n = bi / per_image, c0 = (bi % per_image) * kDwBlock, nc = std::min(kDwBlock, C - c0);
      float* xf = kernels::conv_scratch(kernels::ConvScratchSlot::kQuantInput, static_cast<size_t>(kDwBlock * isz));
      float* yf = kernels::conv_scratch(kernels::ConvScratchSlot::kQuantOutput, static_cast<size_t>(kDwBlock * osz));
      qv.shift_to_f32(xb + (n * C + c0) * isz, nc * isz, flip, zs, xf);
      kernels::DwConvParams p = dwp_;
      p.channels = nc;
      kernels::dwconv2d_f32(dwk_, p, xf, wf_.data() + c0 * khw, yf, kernels::Epilogue{}, nullptr);
      for (int64_t c = 0; c < nc; ++c) {
        const int64_t m = c0 + c, off = (n * C + m) * osz;
        const float* acc = yf + c * osz;
        if (qlinear_) {
          qv.requantize_f32(acc, osz, bias ? bias[m] : 0, mult_[static_cast<size_t>(m)], y_zp_, lo, hi,
                            static_cast<uint8_t*>(y.raw_data()) + off);
        } else {
          int32_t* dst = y.data<int32_t>() + off;
          for (int64_t i = 0; i < osz; ++i) dst[i] = static_cast<int32_t>(acc[i]);
        }
      }
    };
    if (pool && pool->size() > 1 && blocks >= 2) {
      pool->parallel_for(blocks, [&](int64_t b, int64_t e, int) {
        for (int64_t i = b; i < e; ++i) block(i);
      });
    } else {
      for (int64_t i = 0; i < blocks; ++i) block(i);
    }
  }

  // The byte rows of channels 4*c4 .. 4*c4+3 of one group's input xg at element offset off; channels past C/group
  // read pad_row_ (zxp after the XOR, filled by run_q8).
  void quad_rows(const uint8_t* xg, int64_t c4, int64_t off, const uint8_t* r[4]) const {
    for (int64_t q = 0; q < 4; ++q) r[q] = 4 * c4 + q < g_.c_g ? xg + (4 * c4 + q) * g_.in_size + off : pad_row_.data();
  }

  // Channel quad c4 of one group's input (row stride W, planes in_size apart) into padded plane dst[hp][wp] of 32-bit
  // pixels (byte q = channel 4*c4 + q), zxp outside the input and in channels past C/group.
  void fill_nc4(const uint8_t* xg, int64_t c4, uint32_t zxp, uint32_t* dst) const {
    const int64_t IH = g_.in[1], IW = g_.in[2], ph = g_.pad[1], pw = g_.pad[2];
    const uint32_t pad = zxp * 0x01010101u;
    const int64_t col_lo = std::clamp<int64_t>(pw, 0, wp_), col_hi = std::clamp<int64_t>(pw + IW, col_lo, wp_);
    for (int64_t r = 0; r < hp_; ++r) {
      uint32_t* row = dst + r * wp_;
      const int64_t ih = r - ph;
      if (ih < 0 || ih >= IH) {
        std::fill(row, row + wp_, pad);
        continue;
      }
      std::fill(row, row + col_lo, pad);
      std::fill(row + col_hi, row + wp_, pad);
      const uint8_t* q[4];
      quad_rows(xg, c4, ih * IW - pw + col_lo, q);
      kernels::qu8_interleave4(q[0], q[1], q[2], q[3], col_hi - col_lo, flip_, row + col_lo);
    }
  }

  // Patch rows of output pixels [p0, p0 + pt) of group grp from the NC4HW4 planes into b ([k4][pt]): per receptive-
  // field position a row copy of 32-bit pixels (strided for stride > 1).
  void gather_patches_q8(int64_t grp, int64_t p0, int64_t pt, uint32_t* b) const {
    const int64_t OW = g_.out[2], KH = g_.k[1], KW = g_.k[2], sh = g_.stride[1], sw = g_.stride[2];
    const int64_t plane = hp_ * wp_;
    const uint32_t* xg = xp4_.data() + grp * c4_ * plane;
    for (int64_t k4 = 0; k4 < k4_; ++k4) {
      const int64_t c4 = k4 / (KH * KW), kh = (k4 / KW) % KH, kw = k4 % KW;
      const uint32_t* src_plane = xg + c4 * plane + kh * g_.dil[1] * wp_ + kw * g_.dil[2];
      uint32_t* dst = b + k4 * pt;
      for (int64_t p = 0; p < pt;) {
        const int64_t idx = p0 + p, oh = idx / OW, ow = idx % OW;
        const int64_t run = std::min(pt - p, OW - ow);  // the rest of this output row
        const uint32_t* src = src_plane + oh * sh * wp_ + ow * sw;
        if (sw == 1) {
          std::memcpy(dst + p, src, static_cast<size_t>(run) * 4);
        } else {
          for (int64_t i = 0; i < run; ++i) dst[p + i] = src[i * sw];
        }
        p += run;
      }
    }
  }

  // One tile of output pixels [p0, p0 + pt) of group grp: patch rows (interleaved from x for pointwise convs, else
  // copied from the NC4HW4 planes), column terms if needed, then qu8-gemm into y (ConvInteger) or requantized to y
  // (QLinearConv).
  void run_tile_q8(int64_t n, int64_t grp, int64_t p0, uint32_t zxp, int64_t kq, const int32_t* bias, Tensor& y, int t) {
    TileScratch& ts = scratch_[static_cast<size_t>(t)];
    const int64_t pt = std::min(tile_, g_.out_size - p0);
    uint32_t* b = ts.b32.data();
    if (q8_direct_) {
      const uint8_t* xg = x_bytes_ + (n * g_.c + grp * g_.c_g) * g_.in_size;
      for (int64_t c4 = 0; c4 < c4_; ++c4) {
        const uint8_t* q[4];
        quad_rows(xg, c4, p0, q);
        kernels::qu8_interleave4(q[0], q[1], q[2], q[3], pt, flip_, b + c4 * pt);
      }
    } else {
      gather_patches_q8(grp, p0, pt, b);
    }
    const uint8_t* b8 = reinterpret_cast<const uint8_t*>(b);
    const int64_t m0 = grp * g_.m_g;
    kernels::Qu8Corrections corr;
    corr.row_term = row_term_.data() + m0;
    if (!coef_zero_) {  // the column terms are only read with a nonzero coef (qu8-gemm.h)
      int32_t* col = ts.col.data();
      kernels::qu8_column_sums(b8, kq, pt, col);
      const uint32_t kz = static_cast<uint32_t>(kq) * zxp;
      for (int64_t p = 0; p < pt; ++p) col[p] = static_cast<int32_t>(static_cast<uint32_t>(col[p]) - kz);
      corr.row_coef = coef_.data() + m0;
      corr.col_term = col;
    }
    const int64_t y_off = (n * g_.m + m0) * g_.out_size;
    const kernels::Qu8PackedWeights& w = wq_[static_cast<size_t>(grp)];
    if (!qlinear_) {
      kernels::qu8_gemm(w, 0, g_.m_g, b8, pt, y.data<int32_t>() + y_off + p0, g_.out_size, corr);
      return;
    }
    kernels::Qu8Requant rq;
    rq.bias = bias ? bias + m0 : nullptr;
    rq.mult = mult_.data() + m0;
    rq.zp = y_zp_;
    rq.lo = quant_min(yt_);
    rq.hi = quant_max(yt_);
    kernels::qu8_gemm_requant(w, 0, g_.m_g, b8, pt, static_cast<uint8_t*>(y.raw_data()) + y_off + p0, g_.out_size, corr,
                              rq);
  }

  // One patch tile of one group: unfold, integer GEMM over the group's output channels, requantize (QLinearConv).
  template <class T>
  void run_tile(const T* x, int32_t zx, const int32_t* bias, Tensor& y, int64_t n, int64_t grp, int64_t p0, int t) {
    const T* xg = x + (n * g_.c + grp * g_.c_g) * g_.in_size;
    const int64_t m0 = grp * g_.m_g;
    const int64_t y_off = (n * g_.m + m0) * g_.out_size;  // first output element of this group
    const int64_t pt = std::min(tile_, g_.out_size - p0);
    int16_t* patches = scratch_[static_cast<size_t>(t)].patches.data();
    unfold(xg, zx, p0, pt, patches);
    const int16_t* wg = w16_.data() + m0 * g_.k_pad;
    if (!qlinear_) {
      qgemm_s16_dot(g_.m_g, pt, g_.k_pad, wg, patches, y.data<int32_t>() + y_off + p0, g_.out_size);
      return;
    }
    int32_t* acc = scratch_[static_cast<size_t>(t)].acc.data();
    qgemm_s16_dot(g_.m_g, pt, g_.k_pad, wg, patches, acc, pt);
    for (int64_t mi = 0; mi < g_.m_g; ++mi) requantize(acc + mi * pt, pt, m0 + mi, bias, y, y_off + mi * g_.out_size + p0);
  }

  // Tiles (and groups) are independent and write disjoint outputs, so they are spread over the pool in static
  // contiguous chunks; integer accumulation makes the result identical for any thread count.
  template <class T>
  void run_typed(const T* x, int32_t zx, const int32_t* bias, Tensor& y, ThreadPool* pool) {
    if (g_.depthwise) {
      for (int64_t n = 0; n < g_.batch; ++n) {
        for (int64_t grp = 0; grp < g_.group; ++grp) {
          const T* xg = x + (n * g_.c + grp * g_.c_g) * g_.in_size;
          const int64_t m0 = grp * g_.m_g;
          const int64_t y_off = (n * g_.m + m0) * g_.out_size;
          fill_plane(xg, zx);
          for (int64_t mi = 0; mi < g_.m_g; ++mi) depthwise_channel(m0 + mi, y, y_off + mi * g_.out_size, bias);
        }
      }
      return;
    }
    const int64_t tiles = (g_.out_size + tile_ - 1) / tile_;
    const int64_t units = g_.batch * g_.group * tiles;
    auto unit = [&](int64_t u, int t) {
      const int64_t tile = u % tiles, grp = (u / tiles) % g_.group, n = u / (tiles * g_.group);
      run_tile(x, zx, bias, y, n, grp, tile * tile_, t);
    };
    if (pool && pool->size() > 1 && units >= 2 * static_cast<int64_t>(pool->size())) {
      if (scratch_.size() < static_cast<size_t>(pool->size()))
        scratch_.resize(static_cast<size_t>(pool->size()), scratch_[0]);
      pool->parallel_for(units, [&](int64_t b, int64_t e, int t) {
        for (int64_t u = b; u < e; ++u) unit(u, t);
      });
      return;
    }
    for (int64_t u = 0; u < units; ++u) unit(u, 0);
  }

  // acc + bias as float; the sum wraps like int32 hardware would (ONNX allows int32 accumulation to overflow).
  static float requant_input(int32_t acc, int32_t bias) {
    return static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias)));
  }

  // acc[0..n) of output channel m -> y[y_off..y_off+n), adding the bias and rescaling (kernels/qu8-quantize).
  void requantize(const int32_t* acc, int64_t n, int64_t m, const int32_t* bias, Tensor& y, int64_t y_off) const {
    kernels::quantize_selected().requantize(acc, n, bias ? bias[m] : 0, mult_[static_cast<size_t>(m)], y_zp_,
                                            quant_min(yt_), quant_max(yt_), static_cast<uint8_t*>(y.raw_data()) + y_off);
  }

  // Patch rows for output pixels [p0, p0 + pt): patches[p][(c * KD + kd) * KH * KW + kh * KW + kw], the weight order.
  template <class T>
  void unfold(const T* xg, int32_t zx, int64_t p0, int64_t pt, int16_t* patches) {
    const int64_t kp = g_.k_pad;
    if (g_.pointwise) {
      for (int64_t c = 0; c < g_.c_g; ++c) {
        const T* src = xg + c * g_.in_size + p0;
        for (int64_t p = 0; p < pt; ++p) patches[p * kp + c] = static_cast<int16_t>(src[p] - zx);
      }
      return;
    }
    const int64_t OH = g_.out[1], OW = g_.out[2];
    const int64_t ID = g_.in[0], IH = g_.in[1], IW = g_.in[2];
    const int64_t KD = g_.k[0], KH = g_.k[1], KW = g_.k[2];
    for (int64_t p = 0; p < pt; ++p) {
      const int64_t idx = p0 + p;
      const int64_t ow = idx % OW, oh = (idx / OW) % OH, od = idx / (OW * OH);
      const int64_t id0 = od * g_.stride[0] - g_.pad[0];
      const int64_t ih0 = oh * g_.stride[1] - g_.pad[1];
      const int64_t iw0 = ow * g_.stride[2] - g_.pad[2];
      int16_t* dst = patches + p * kp;
      for (int64_t c = 0; c < g_.c_g; ++c) {
        const T* xc = xg + c * g_.in_size;
        for (int64_t kd = 0; kd < KD; ++kd) {
          const int64_t id = id0 + kd * g_.dil[0];
          if (id < 0 || id >= ID) {
            std::memset(dst, 0, static_cast<size_t>(KH * KW) * sizeof(int16_t));
            dst += KH * KW;
            continue;
          }
          for (int64_t kh = 0; kh < KH; ++kh) {
            const int64_t ih = ih0 + kh * g_.dil[1];
            if (ih < 0 || ih >= IH) {
              for (int64_t kw = 0; kw < KW; ++kw) *dst++ = 0;
              continue;
            }
            const T* row = xc + (id * IH + ih) * IW;
            for (int64_t kw = 0; kw < KW; ++kw) {
              const int64_t iw = iw0 + kw * g_.dil[2];
              *dst++ = (iw >= 0 && iw < IW) ? static_cast<int16_t>(row[iw] - zx) : int16_t{0};
            }
          }
        }
      }
    }
  }

  // Depthwise: the group's single input channel as a zero-padded plane of (x - zx).
  template <class T>
  void fill_plane(const T* xc, int32_t zx) {
    const int64_t IH = g_.in[1], IW = g_.in[2];
    const int64_t ph = g_.pad[1], pw = g_.pad[2];
    // Columns of the plane that map inside the input: [c_lo, c_hi).
    const int64_t c_lo = std::clamp<int64_t>(pw, 0, plane_w_);
    const int64_t c_hi = std::clamp<int64_t>(pw + IW, c_lo, plane_w_);
    for (int64_t r = 0; r < plane_h_; ++r) {
      int16_t* dst = plane_.data() + r * plane_w_;
      const int64_t ih = r - ph;
      if (ih < 0 || ih >= IH) {
        std::memset(dst, 0, static_cast<size_t>(plane_w_) * sizeof(int16_t));
        continue;
      }
      const T* src = xc + ih * IW - pw;
      for (int64_t col = 0; col < c_lo; ++col) dst[col] = 0;
      for (int64_t col = c_lo; col < c_hi; ++col) dst[col] = static_cast<int16_t>(src[col] - zx);
      for (int64_t col = c_hi; col < plane_w_; ++col) dst[col] = 0;
    }
  }

  void depthwise_channel(int64_t m, Tensor& y, int64_t y_off, const int32_t* bias) {
    const int64_t OH = g_.out[1], OW = g_.out[2], KH = g_.k[1], KW = g_.k[2];
    const int64_t sh = g_.stride[1], sw = g_.stride[2], dh = g_.dil[1], dw = g_.dil[2];
    const int16_t* wm = w16_.data() + m * g_.k_pad;
    int32_t* acc = row_acc_.data();
    for (int64_t oh = 0; oh < OH; ++oh) {
      std::fill(row_acc_.begin(), row_acc_.end(), 0);
      for (int64_t kh = 0; kh < KH; ++kh) {
        const int16_t* src_row = plane_.data() + (oh * sh + kh * dh) * plane_w_;
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int32_t wv = wm[kh * KW + kw];
          const int16_t* s = src_row + kw * dw;
          if (sw == 1) {
            for (int64_t ow = 0; ow < OW; ++ow) acc[ow] += wv * s[ow];
          } else {
            for (int64_t ow = 0; ow < OW; ++ow) acc[ow] += wv * s[ow * sw];
          }
        }
      }
      if (qlinear_) {
        requantize(acc, OW, m, bias, y, y_off + oh * OW);
      } else {
        std::memcpy(y.data<int32_t>() + y_off + oh * OW, acc, static_cast<size_t>(OW) * sizeof(int32_t));
      }
    }
  }

  ConvGeometry g_;
  ConvInputs in_;
  bool qlinear_;
  DType xt_, yt_;
  bool w_const_ = false, scales_const_ = false;
  bool q8_ = false;            // the 8-bit qu8-gemm path (see the top of the file)
  static constexpr int64_t kDwBlock = 16;       // float depthwise path: channels per block
  bool dwf_ = false;                            // the float depthwise path (see the top of the file)
  kernels::DwConvParams dwp_;                   // its geometry (channels = one block)
  const kernels::DwConvKernel* dwk_ = nullptr;
  std::vector<float> wf_;                       // [M, KH * KW] weights minus their zero point
  int64_t c4_ = 0, hp_ = 0, wp_ = 0, k4_ = 0;  // 8-bit path: channel quads per group, padded plane, patch quads
  std::vector<kernels::Qu8PackedWeights> wq_;  // 8-bit path: per group
  std::vector<int32_t> coef_, row_term_;       // 8-bit path: [M] (qu8-gemm.h)
  bool coef_zero_ = false;                     // 8-bit path: every coef is 0 (no column terms)
  bool q8_direct_ = false;                     // 8-bit path, pointwise: patch tiles straight from x (no planes)
  uint8_t flip_ = 0;                           // 8-bit path: 0x80 for int8 inputs
  std::vector<uint8_t> pad_row_;               // 8-bit path: zxp ^ flip_ bytes, for channels past C/group
  const uint8_t* x_bytes_ = nullptr;           // 8-bit path: the input of the current run
  std::vector<uint32_t> xp4_;                  // 8-bit path: [group][c4][hp][wp] input pixels of 4 channels
  std::vector<int16_t> w16_;  // [M, K_pad] weights minus their zero point
  std::vector<float> mult_;   // [M] requantization multipliers
  int32_t y_zp_ = 0;
  int64_t tile_ = 1;
  std::vector<TileScratch> scratch_;  // per pool chunk
  int64_t plane_h_ = 0, plane_w_ = 0;
  std::vector<int16_t> plane_;    // [plane_h, plane_w] depthwise padded input channel
  std::vector<int32_t> row_acc_;  // [OW]
};

// Zero point (or scale) of the weights: one element, or one per output channel.
Status check_per_channel(const PrepareContext& ctx, int i, const char* what, int64_t m) {
  if (!ctx.has_input(i)) return Status();
  const Shape& s = ctx.input_shape(i);
  const int64_t n = shape_numel(s);
  if (n == 1) return Status();
  if (s.size() != 1 || n != m)
    return ctx.error(what, " must have 1 element or one per output channel (", m, "), got shape ", shape_str(s));
  return Status();
}

Expected<std::unique_ptr<OpKernel>> prepare_qconv(PrepareContext& ctx, bool qlinear) {
  const ConvInputs in = qlinear ? kQLinearConvInputs : kConvIntegerInputs;
  if (!ctx.has_input(in.x) || !ctx.has_input(in.w)) return ctx.error("inputs x and w are required");
  if (ctx.node().attr_int("channels_last", 0) != 0) return ctx.unsupported_error("channels_last = 1 is not supported");
  const DType xt = ctx.input_dtype(in.x), wt = ctx.input_dtype(in.w);
  if (!is_8bit(xt)) return ctx.error("x must be uint8 or int8, got ", dtype_name(xt));
  if (!is_8bit(wt)) return ctx.error("w must be uint8 or int8, got ", dtype_name(wt));
  ER_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx, ctx.input_shape(in.x), ctx.input_shape(in.w)));
  ER_RETURN_IF_ERROR(check_scalar_zero_point(ctx, in.x_zp, "x_zero_point", xt));
  ER_RETURN_IF_ERROR(check_dtype(ctx, in.w_zp, "w_zero_point", wt));
  ER_RETURN_IF_ERROR(check_per_channel(ctx, in.w_zp, "w_zero_point", g.m));
  DType yt = DType::kInt32;
  if (qlinear) {
    ER_RETURN_IF_ERROR(check_scalar_scale(ctx, in.x_scale, "x_scale"));
    ER_RETURN_IF_ERROR(check_scalar_scale(ctx, in.y_scale, "y_scale"));
    if (!ctx.has_input(in.w_scale)) return ctx.error("w_scale is required");
    if (ctx.input_dtype(in.w_scale) != DType::kFloat32)
      return ctx.error("w_scale must be float32, got ", dtype_name(ctx.input_dtype(in.w_scale)));
    ER_RETURN_IF_ERROR(check_per_channel(ctx, in.w_scale, "w_scale", g.m));
    yt = ctx.has_input(in.y_zp) ? ctx.input_dtype(in.y_zp) : xt;
    if (!is_8bit(yt)) return ctx.error("y_zero_point must be uint8 or int8, got ", dtype_name(yt));
    ER_RETURN_IF_ERROR(check_one_element(ctx, in.y_zp, "y_zero_point"));
    if (ctx.has_input(in.bias)) {
      if (ctx.input_dtype(in.bias) != DType::kInt32)
        return ctx.error("B must be int32, got ", dtype_name(ctx.input_dtype(in.bias)));
      const Shape& bs = ctx.input_shape(in.bias);
      if (bs.size() != 1 || bs[0] != g.m)
        return ctx.error("B must be 1-D with one value per output channel (", g.m, "), got shape ", shape_str(bs));
    }
  }
  Shape out_shape = {g.batch, g.m};
  for (int d = 3 - g.nd; d < 3; ++d) out_shape.push_back(g.out[d]);
  int64_t out_numel = 0;
  if (!checked_mul(g.batch, g.m, &out_numel) || !checked_mul(out_numel, g.out_size, &out_numel))
    return ctx.error("output size overflows");
  if (g.depthwise) {
    // Every index below is < 2^31 per axis, so these sums cannot overflow; the product is checked.
    const int64_t ph = (g.out[1] - 1) * g.stride[1] + (g.k[1] - 1) * g.dil[1] + 1;
    const int64_t pw = (g.out[2] - 1) * g.stride[2] + (g.k[2] - 1) * g.dil[2] + 1;
    int64_t plane = 0;
    if (!checked_mul(ph, pw, &plane) || plane > (int64_t{1} << 34))
      return ctx.unsupported_error("padded input plane ", ph, "x", pw, " is too large");
  }
  ctx.set_output(0, yt, out_shape);
  auto kernel = std::make_unique<QConvKernel>(g, in, qlinear, xt, yt);
  kernel->prepare(ctx);
  return std::unique_ptr<OpKernel>(std::move(kernel));
}

Expected<std::unique_ptr<OpKernel>> prepare_qlinear_conv(PrepareContext& ctx) { return prepare_qconv(ctx, true); }
Expected<std::unique_ptr<OpKernel>> prepare_conv_integer(PrepareContext& ctx) { return prepare_qconv(ctx, false); }

}  // namespace

void register_quant_conv_ops(OpRegistry& r) {
  r.add({"", "QLinearConv", 10, INT_MAX, prepare_qlinear_conv});
  r.add({"", "ConvInteger", 10, INT_MAX, prepare_conv_integer});
  r.add({"com.microsoft", "QLinearConv", 1, INT_MAX, prepare_qlinear_conv});
}

}  // namespace edgerun
