// com.edgerun.ConvChain: 1x1 conv -> depthwise conv -> 1x1 conv (an inverted-residual block), made by the graph pass
// fuse_conv_chains (src/graph/passes/fuse_conv_chain.cpp). Each of the three is a FusedConv (its attributes carry
// the prefix "c0." / "c1." / "c2."), prepared through FusedConv's own prepare, so validation, output shapes and
// reference / XNNPACK kernels are the ones the three nodes would get.
//
// Where the expanded tensor is larger than the L2 cache (mobilenet_v2's 96 x 112x112 = 4.8 MB, efficientnet_b0's
// 96 x 112x112 and 144 x 56x56), the chain runs on bands of output rows: the expand GEMM writes the input rows of a
// band into a per-thread scratch, the depthwise conv reads them there, and the projection GEMM reads the depthwise
// band from a second scratch and writes the band's output rows. The expanded and depthwise tensors never exist
// whole (they stay in L2 instead of being written to and read back from memory), and consecutive bands keep the
// input rows they share (K - stride rows) instead of computing them twice. Elsewhere the three kernels run one
// after the other into the node's outputs 1 and 2 (the intermediate tensors, planned by the memory plan as before),
// except with two or more threads on small maps, where each thread runs the whole chain on its own band of output
// rows (through the stage kernels' packed weights), so that no conv reads what another core wrote.
#include <algorithm>
#include <cstring>
#include <string>

#include "core/thread_pool.h"
#include "kernels/f32-conv/conv_scratch.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-gemm/gemm.h"
#include "ops/conv_fast.h"
#include "ops/fused.h"
#include "ops/nn_util.h"
#include "ops/op_registry.h"

#ifdef EDGERUN_HAVE_XNNPACK
#include "backends/xnnpack/backend.h"
#endif

namespace edgerun {
namespace {

constexpr int kStages = 3;
// Inputs of the fused node: X, then (W, B) per stage, then the last stage's residual Z.
constexpr int kResidualInput = 1 + 2 * kStages;

// The attributes of stage s: those named "c<s>.<name>", without the prefix.
Node stage_node(const Node& chain, int s) {
  Node n;
  n.name = chain.name + "/" + std::to_string(s);
  n.op_type = "FusedConv";
  n.domain = kEdgerunDomain;
  const char prefix[] = {'c', static_cast<char>('0' + s), '.', '\0'};  // (GCC 12 warns falsely on "c" + to_string)
  for (const Attribute& a : chain.attrs) {
    if (!a.name.starts_with(prefix)) continue;
    Attribute b = a;
    b.name = a.name.substr(3);
    n.attrs.push_back(std::move(b));
  }
  return n;
}

// The three stages one after the other (small maps, non-constant weights, other backends).
class ConvChainSeqKernel : public OpKernel {
 public:
  ConvChainSeqKernel(std::unique_ptr<OpKernel> k[kStages], bool residual) : residual_(residual) {
    for (int s = 0; s < kStages; ++s) k_[s] = std::move(k[s]);
  }
  Status run(KernelContext& ctx) override {
    for (int s = 0; s < kStages; ++s) {
      KernelContext c;
      c.pool = ctx.pool;
      c.inputs = {s == 0 ? ctx.inputs[0] : ctx.outputs[static_cast<size_t>(s)], ctx.inputs[static_cast<size_t>(1 + 2 * s)],
                  ctx.inputs[static_cast<size_t>(2 + 2 * s)]};
      if (s == kStages - 1 && residual_) c.inputs.push_back(ctx.inputs[kResidualInput]);
      c.outputs = {s == kStages - 1 ? ctx.outputs[0] : ctx.outputs[static_cast<size_t>(s + 1)]};
      ER_RETURN_IF_ERROR(k_[s]->run(c));
    }
    return Status();
  }
  size_t packed_bytes() const override {
    size_t b = 0;
    for (const auto& k : k_) b += k->packed_bytes();
    return b;
  }
  std::vector<int> packed_inputs() const override {
    std::vector<int> v;
    for (int s = 0; s < kStages; ++s)
      for (int i : k_[s]->packed_inputs())
        if (i == 1 || i == 2) v.push_back(i + 2 * s);
    return v;
  }
  const char* variant() const override { return "conv-chain"; }
  double flops() const override { return k_[0]->flops() + k_[1]->flops() + k_[2]->flops(); }
  // The last stage reads the residual after the first two have read X, so its in-place choice holds for the chain.
  int in_place_input() const override { return residual_ && k_[2]->in_place_input() == 3 ? kResidualInput : -1; }

 private:
  std::unique_ptr<OpKernel> k_[kStages];
  bool residual_ = false;
};

// Everything the banded kernel needs, read from the prepared stages.
struct ChainShape {
  int64_t batch = 0, cin = 0, cexp = 0, cout = 0;
  int64_t h = 0, w = 0, oh = 0, ow = 0;  // depthwise input (= X's map) and output maps
  kernels::DwConvParams dw;              // the whole depthwise conv of one image
  kernels::Activation act[kStages];
};

// Output rows per band: the expanded band (input rows x width x channels) within kBandBytes, at least 2 rows, and
// an even count of bands (two threads each take half of them).
int64_t band_rows(const ChainShape& c) {
  // Measured on mobilenet_v2's features.2 (96 x 112x112 -> 56x56, one thread): 64 KB to 1 MB bands all within
  // noise of each other (0.84-0.87 ms, against 0.96 for the three convs apart).
  constexpr int64_t kBandBytes = 256 * 1024;
  const int64_t s = c.dw.stride_h, k = c.dw.kernel_h;
  const int64_t row_bytes = c.cexp * c.w * static_cast<int64_t>(sizeof(float));
  int64_t r = std::max<int64_t>(2, (kBandBytes / row_bytes - (k - s)) / s);
  int64_t bands = (c.oh + r - 1) / r;
  if (bands > 1 && bands % 2 == 1) ++bands;
  return (c.oh + bands - 1) / bands;
}

class ConvChainBandedKernel : public OpKernel {
 public:
  // seq == nullptr: bands of kBandBytes, weights packed here. Otherwise (small maps) `seq` runs the chain at one
  // thread, and with more each thread takes one band of output rows, through the packed weights of seq's 1x1 stages
  // (p0, p2).
  ConvChainBandedKernel(const ChainShape& c, const float* w0, const float* w1, const float* w2, Tensor b0, Tensor b1,
                        Tensor b2, bool residual, bool residual_is_x, double flops,
                        std::unique_ptr<OpKernel> seq = nullptr, const kernels::PackedLhs* p0 = nullptr,
                        const kernels::PackedLhs* p2 = nullptr)
      : c_(c), residual_(residual), residual_is_x_(residual_is_x), flops_(flops), seq_(std::move(seq)) {
    if (seq_) {
      wp_[0] = p0;
      wp_[2] = p2;
    } else {
      w_[0] = kernels::pack_lhs(w0, c.cexp, c.cin, c.cin);
      w_[2] = kernels::pack_lhs(w2, c.cout, c.cexp, c.cexp);
      wp_[0] = &w_[0];
      wp_[2] = &w_[2];
    }
    dw_w_.assign(w1, w1 + c.cexp * c.dw.kernel_h * c.dw.kernel_w);
    bias_[0] = std::move(b0);
    bias_[1] = std::move(b1);
    bias_[2] = std::move(b2);
    uk_ = kernels::select_dwconv(c.dw);
    rows_ = band_rows(c);
  }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    const float* z = residual_ ? ctx.inputs[kResidualInput]->data<float>() : nullptr;
    float* y = ctx.outputs[0]->data<float>();
    ThreadPool* pool = ctx.pool;
    const int threads = pool ? pool->size() : 1;
    int64_t rows = rows_;
    if (seq_) {
      if (threads <= 1) return seq_->run(ctx);
      // One band per thread while its expanded rows stay within half the L2. Larger (mobilenet_v2's 144 x 56x56
      // blocks, 960 KB per thread) it slowed them 15-25 % against the stage kernels, and bands of kBandBytes
      // (several per thread) 0-10 % (mobilenet_v2 features.3 / 4, two threads, profile).
      constexpr int64_t kThreadBandBytes = 512 * 1024;
      rows = (c_.oh + threads - 1) / threads;
      if (c_.cexp * input_rows(rows) * c_.w * static_cast<int64_t>(sizeof(float)) > kThreadBandBytes)
        return seq_->run(ctx);
    }
    const int64_t bands = (c_.oh + rows - 1) / rows;
    const int64_t in_plane = c_.h * c_.w, out_plane = c_.oh * c_.ow;
    for (int64_t n = 0; n < c_.batch; ++n) {
      const float* xn = x + n * c_.cin * in_plane;
      const float* zn = z ? z + n * c_.cout * out_plane : nullptr;
      float* yn = y + n * c_.cout * out_plane;
      if (threads > 1 && bands > 1) {
        pool->parallel_for(bands, [&](int64_t b0, int64_t b1, int) { run_bands(xn, zn, yn, b0, b1, rows); });
      } else {
        run_bands(xn, zn, yn, 0, bands, rows);
      }
    }
    return Status();
  }
  size_t packed_bytes() const override {
    return seq_ ? seq_->packed_bytes() + dw_w_.size() * sizeof(float)
                : w_[0].bytes() + w_[2].bytes() + dw_w_.size() * sizeof(float);
  }
  std::vector<int> packed_inputs() const override {
    if (!seq_) return {1, 3, 5};
    std::vector<int> v;  // what neither path reads: seq's packed inputs among the weights
    for (int i : seq_->packed_inputs())
      if (i == 1 || i == 3 || i == 5) v.push_back(i);
    return v;
  }
  const char* variant() const override { return seq_ ? "conv-chain-thread-bands" : "conv-chain-banded"; }
  double flops() const override { return flops_; }
  // The output rows of a band are written after the band's input rows are read, but a later band (or another
  // thread's first band) reads input rows above its own: Y may take Z's buffer only when Z is not X.
  int in_place_input() const override {
    if (!residual_ || residual_is_x_) return -1;
    return seq_ ? seq_->in_place_input() : kResidualInput;
  }

 private:
  // Input rows of the depthwise conv that a band of `rows` output rows reads.
  int64_t input_rows(int64_t rows) const { return (rows - 1) * c_.dw.stride_h + c_.dw.kernel_h; }

  // Bands [b0, b1) of `rows` output rows each (the last one shorter) of one image, on the calling thread.
  void run_bands(const float* x, const float* z, float* y, int64_t b0, int64_t b1, int64_t rows) const {
    const kernels::DwConvParams& d = c_.dw;
    const int64_t s = d.stride_h, pad = d.pad_top, k = d.kernel_h, w = c_.w;
    const int64_t e_cs = input_rows(rows) * w, d_cs = rows * c_.ow;  // channel strides of the two scratches
    float* e = kernels::conv_scratch(kernels::ConvScratchSlot::kChainExpanded, static_cast<size_t>(c_.cexp * e_cs));
    float* dws = kernels::conv_scratch(kernels::ConvScratchSlot::kChainDepthwise, static_cast<size_t>(c_.cexp * d_cs));
    kernels::Epilogue ep[kStages];
    for (int st = 0; st < kStages; ++st) {
      ep[st].bias = bias_[st].defined() ? bias_[st].data<float>() : nullptr;
      ep[st].act = c_.act[st];
    }
    int64_t lo = 0, hi = 0;  // expanded input rows [lo, hi) held in e (row lo at the top of each channel)
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t o0 = b * rows, o1 = std::min(c_.oh, o0 + rows);
      const int64_t i0 = std::max<int64_t>(0, o0 * s - pad), i1 = std::min(c_.h, (o1 - 1) * s - pad + k);
      int64_t from = i0;
      if (b > b0 && i0 >= lo && i0 < hi) {  // rows [i0, hi) were expanded for the previous band: move them up
        if (i0 > lo)
          for (int64_t ch = 0; ch < c_.cexp; ++ch)
            std::memmove(e + ch * e_cs, e + ch * e_cs + (i0 - lo) * w, static_cast<size_t>((hi - i0) * w) * sizeof(float));
        from = hi;
      }
      if (i1 > from)
        kernels::gemm_packed_lhs(*wp_[0], x + from * w, (i1 - from) * w, c_.h * w, e + (from - i0) * w, e_cs, ep[0],
                                 nullptr);
      lo = i0;
      hi = i1;
      kernels::DwConvParams bp = d;
      bp.in_h = i1 - i0;
      bp.out_h = o1 - o0;
      bp.pad_top = i0 - (o0 * s - pad);
      bp.in_channel_stride = e_cs;
      bp.out_channel_stride = d_cs;
      kernels::dwconv2d_f32(uk_, bp, e, dw_w_.data(), dws, ep[1], nullptr);
      kernels::Epilogue e2 = ep[2];
      if (z) {
        e2.residual = z + o0 * c_.ow;
        e2.ld_residual = c_.oh * c_.ow;
      }
      kernels::gemm_packed_lhs(*wp_[2], dws, (o1 - o0) * c_.ow, d_cs, y + o0 * c_.ow, c_.oh * c_.ow, e2, nullptr);
    }
  }

  ChainShape c_;
  kernels::PackedLhs w_[kStages];  // [0]: expand, [2]: project ([1] unused: the depthwise weights are dw_w_)
  const kernels::PackedLhs* wp_[kStages] = {};  // &w_[s], or seq_'s
  std::vector<float> dw_w_;
  Tensor bias_[kStages];
  const kernels::DwConvKernel* uk_ = nullptr;
  bool residual_ = false, residual_is_x_ = false;
  double flops_ = 0.0;
  int64_t rows_ = 0;  // output rows per band without seq_ (band_rows)
  std::unique_ptr<OpKernel> seq_;
};

// Banding pays where the expanded tensor of one image is well beyond the L2 cache and its rows fill vectors. Measured
// (mobilenet_v2, one thread, profile): 96 x 112x112 (4.8 MB) 0.96 -> 0.82 ms; the 144 x 56x56 blocks (1.8 MB)
// 0.60 -> 0.61 and 0.39 -> 0.40 ms, so they stay unbanded.
constexpr int64_t kMinExpandedBytes = 2 * 1024 * 1024;
constexpr int64_t kMinWidth = 16;

Expected<std::unique_ptr<OpKernel>> prepare_conv_chain(PrepareContext& ctx) {
  const Node& node = ctx.node();
  if (ctx.num_inputs() < kResidualInput || ctx.num_inputs() > kResidualInput + 1)
    return ctx.error("ConvChain takes X, three (W, B) pairs and an optional Z: ", kResidualInput, " or ",
                     kResidualInput + 1, " inputs, got ", ctx.num_inputs());
  if (ctx.num_outputs() != kStages) return ctx.error("ConvChain has ", kStages, " outputs, got ", ctx.num_outputs());
  const OpSchema* conv = OpRegistry::get().find(kEdgerunDomain, "FusedConv", 1);
  if (!conv) return ctx.unsupported_error("FusedConv is not registered");
  const bool residual = ctx.has_input(kResidualInput);
  Node stages[kStages] = {stage_node(node, 0), stage_node(node, 1), stage_node(node, 2)};
  std::unique_ptr<OpKernel> kernels[kStages];
  Shape out_shape[kStages];
  nn::Window3d win[kStages];  // rank 0 unless 2-D
  kernels::Activation act[kStages];
  // Prepares the three stages for `backend`: validation, output shapes and (unless banded) the kernels.
  auto prepare_stages = [&](const std::string& backend) -> Status {
    ValueInfo prev = ctx.input(0);
    for (int s = 0; s < kStages; ++s) {
      Node& n = stages[s];
      const int out_id = node.outputs[static_cast<size_t>(s == kStages - 1 ? 0 : s + 1)];
      n.inputs = {prev.value_id, node.inputs[static_cast<size_t>(1 + 2 * s)], node.inputs[static_cast<size_t>(2 + 2 * s)]};
      std::vector<ValueInfo> infos = {prev, ctx.input(1 + 2 * s),
                                      ctx.has_input(2 + 2 * s) ? ctx.input(2 + 2 * s) : ValueInfo{}};
      if (s == kStages - 1 && residual) {
        n.inputs.push_back(node.inputs[kResidualInput]);
        infos.push_back(ctx.input(kResidualInput));
      }
      n.outputs = {out_id};
      PrepareContext sc(n, 1, std::move(infos), nullptr);
      sc.set_backend(backend);
      auto k = conv->prepare(sc);
      if (!k.ok()) return k.status();
      kernels[s] = std::move(k).value();
#ifdef EDGERUN_HAVE_XNNPACK
      if (backend == "xnnpack") {
        ER_ASSIGN_OR_RETURN(std::unique_ptr<OpKernel> xk, xnnpack_prepare(sc));
        if (xk) kernels[s] = std::move(xk);
      }
#endif
      const auto& oi = sc.outputs()[0];
      if (!oi.set) return internal_error(n.describe(), ": prepare did not set its output");
      out_shape[s] = oi.shape;
      // The stage's geometry and activation as its prepare read them (it has validated both).
      const Shape& xs = prev.shape;
      const Shape& ws = sc.input_shape(1);
      if (xs.size() == 4 && ws.size() == 4) {
        ER_ASSIGN_OR_RETURN(win[s], nn::make_window(sc, Shape(xs.begin() + 2, xs.end()), {ws[2], ws[3]}, {}));
      }
      ER_ASSIGN_OR_RETURN(act[s], read_fused_activation(sc));
      prev = ValueInfo{oi.dtype, oi.shape, nullptr, out_id};
    }
    return Status();
  };
  // First with the reference kernels, which share the constant weights instead of packing them: the banded kernel
  // packs its own.
  ER_RETURN_IF_ERROR(prepare_stages("reference"));
  const DType dt = ctx.input_dtype(0);
  ctx.set_output(0, dt, out_shape[2]);

  // The banded path: float32 with constant weights and biases, 1x1 / depthwise (kxk, one channel per group, no
  // dilation) / 1x1, NCHW 2-D, own kernels, a large expanded map.
  bool banded = ctx.backend() == "cpu" && dt == DType::kFloat32 && out_shape[0].size() == 4;
  for (int i = 0; i < ctx.num_inputs() && banded; ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != DType::kFloat32) banded = false;
  for (int s = 0; s < kStages && banded; ++s)
    if (!ctx.constant_input(1 + 2 * s) || (ctx.has_input(2 + 2 * s) && !ctx.constant_input(2 + 2 * s))) banded = false;
  ChainShape c;
  bool bandable = false;  // the shapes allow bands (large maps run banded, small ones in thread bands)
  if (banded) {
    const Shape& xs = ctx.input_shape(0);
    c.batch = xs[0];
    c.cin = xs[1];
    c.h = xs[2];
    c.w = xs[3];
    c.cexp = out_shape[0][1];
    c.cout = out_shape[2][1];
    c.oh = out_shape[1][2];
    c.ow = out_shape[1][3];
    auto pointwise = [&](int st) {
      const nn::Window3d& w = win[st];
      return w.rank == 2 && stages[st].attr_int("group", 1) == 1 && w.kernel[1] == 1 &&
             w.kernel[2] == 1 && w.stride[1] == 1 && w.stride[2] == 1 && w.pad_begin[1] == 0 && w.pad_begin[2] == 0 &&
             w.out[1] == w.in[1] && w.out[2] == w.in[2];
    };
    const nn::Window3d& w1 = win[1];
    // Depthwise: one channel per group, square kernel and stride, no dilation. Rows a band reads past the input are
    // the conv's bottom padding (out_h implies it, as for the whole conv).
    banded = pointwise(0) && pointwise(2) && w1.rank == 2 && stages[1].attr_int("group", 1) == c.cexp &&
             ctx.input_shape(3)[1] == 1 && w1.kernel[1] == w1.kernel[2] && w1.stride[1] == w1.stride[2] &&
             w1.dilation[1] == 1 && w1.dilation[2] == 1 && w1.pad_begin[1] < w1.kernel[1] &&
             w1.pad_begin[2] < w1.kernel[2];
    bandable = banded;
    banded = banded && c.ow >= kMinWidth &&
             c.cexp * c.h * c.w * static_cast<int64_t>(sizeof(float)) >= kMinExpandedBytes;
    c.dw.channels = c.cexp;
    c.dw.in_h = c.h;
    c.dw.in_w = c.w;
    c.dw.out_h = c.oh;
    c.dw.out_w = c.ow;
    c.dw.kernel_h = c.dw.kernel_w = w1.kernel[1];
    c.dw.stride_h = c.dw.stride_w = w1.stride[1];
    c.dw.pad_top = w1.pad_begin[1];
    c.dw.pad_left = w1.pad_begin[2];
    for (int st = 0; st < kStages; ++st) c.act[st] = act[st];
  }
  const double flops = 2.0 * static_cast<double>(c.batch) *
                       static_cast<double>(c.cexp * c.cin * c.h * c.w + c.cexp * c.dw.kernel_h * c.dw.kernel_w * c.oh * c.ow +
                                           c.cout * c.cexp * c.oh * c.ow);
  const bool residual_is_x = residual && ctx.input(kResidualInput).value_id == ctx.input(0).value_id;
  if (!banded) {
    if (ctx.backend() != "reference") ER_RETURN_IF_ERROR(prepare_stages(ctx.backend()));
    for (int s = 0; s < kStages - 1; ++s) ctx.set_output(s + 1, dt, out_shape[s]);
    // Two threads on a small map: the stage kernels split each conv their own way (the GEMMs by output channels,
    // the depthwise conv by channels), so every node reads what the other core wrote (mobilenet_v2's 14x14 blocks
    // ran slower at two threads than at one). One band of output rows per thread keeps a block's data on one core;
    // the K - stride input rows the bands share are expanded by both.
    const kernels::PackedLhs* p0 = bandable ? fast_conv_packed_lhs(*kernels[0]) : nullptr;
    const kernels::PackedLhs* p2 = bandable ? fast_conv_packed_lhs(*kernels[2]) : nullptr;
    auto seq = std::unique_ptr<OpKernel>(new ConvChainSeqKernel(kernels, residual));
    if (!p0 || !p2 || c.oh < 2) return seq;
    return std::unique_ptr<OpKernel>(new ConvChainBandedKernel(
        c, nullptr, ctx.constant_input(3)->data<float>(), nullptr, nn::constant_as_f32(ctx, 2),
        nn::constant_as_f32(ctx, 4), nn::constant_as_f32(ctx, 6), residual, residual_is_x, flops, std::move(seq), p0,
        p2));
  }
  // The intermediate tensors exist only as bands in scratch: outputs 1 and 2 are empty.
  for (int s = 0; s < kStages - 1; ++s) ctx.set_output(s + 1, dt, Shape{0});
  return std::unique_ptr<OpKernel>(new ConvChainBandedKernel(
      c, ctx.constant_input(1)->data<float>(), ctx.constant_input(3)->data<float>(),
      ctx.constant_input(5)->data<float>(), nn::constant_as_f32(ctx, 2), nn::constant_as_f32(ctx, 4),
      nn::constant_as_f32(ctx, 6), residual, residual_is_x, flops));
}

}  // namespace

void register_conv_chain_op(OpRegistry& r) {
  OpSchema s;
  s.domain = kEdgerunDomain;
  s.op_type = "ConvChain";
  s.since_version = 1;
  s.prepare = prepare_conv_chain;
  r.add(std::move(s));
}

}  // namespace edgerun
