#include "ops/conv_fast.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "kernels/f32-conv/conv-direct.h"
#include "kernels/f32-conv/conv_scratch.h"
#include "kernels/f32-conv/im2col.h"
#include "kernels/f32-conv/winograd.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/f32-transpose/transpose.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun {
namespace {

using kernels::Epilogue;

// Loops images, resolves bias / residual for each, and hands one image to the path's run_image().
class FastConvKernel : public OpKernel {
 public:
  FastConvKernel(const FastConvParams& p, Tensor bias) : p_(p), bias_(std::move(bias)) {
    cg_ = p_.in_channels / p_.group;
    mg_ = p_.out_channels / p_.group;
    in_plane_ = p_.win.in[1] * p_.win.in[2];
    out_plane_ = p_.win.out[1] * p_.win.out[2];
  }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    const Tensor* b = bias_.defined() ? &bias_ : (ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr);
    const Tensor* z = p_.has_residual && ctx.inputs.size() > 3 ? ctx.inputs[3] : nullptr;
    float* y = ctx.outputs[0]->data<float>();
    for (int64_t n = 0; n < p_.batch; ++n) {
      Epilogue ep;
      ep.bias = b ? b->data<float>() : nullptr;
      ep.residual = z ? z->data<float>() + n * p_.out_channels * out_plane_ : nullptr;
      ep.ld_residual = out_plane_;
      ep.act = p_.act;
      run_image(x + n * p_.in_channels * in_plane_, y + n * p_.out_channels * out_plane_, ep, ctx.pool);
    }
    return Status();
  }

  std::vector<int> packed_inputs() const override { return {1}; }
  // The residual's buffer can take the output where the path adds it element by element at the very end (the GEMM
  // paths: residual_in_c in gemm.cpp, the pixel-rows transpose): resnet50's layer1 conv3 shape with a separate
  // residual 1.62 ms, in place 1.26-1.30 (one stream of loads and stores less per tile, nothing to read for ownership).
  int in_place_input() const override { return p_.has_residual && residual_in_place() ? 3 : -1; }
  double flops() const override {
    return 2.0 * static_cast<double>(p_.batch * p_.out_channels * out_plane_ * cg_ * p_.win.kernel_size());
  }

 protected:
  // x: [Cin, H, W], y: [Cout, OH, OW]; ep indexes rows by output channel, columns by output pixel.
  virtual void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) = 0;
  // run_image() is correct when ep.residual is y itself (each residual element read once, before that output
  // element is written). Paths that write partial results or read the residual elsewhere keep the default.
  virtual bool residual_in_place() const { return false; }

  // The epilogue of group g (rows [g*mg, (g+1)*mg)) seen from that group's first row and column c0.
  Epilogue group_epilogue(const Epilogue& ep, int64_t g, int64_t c0) const {
    Epilogue e = ep;
    if (e.bias) e.bias += g * mg_;
    if (e.residual) e.residual += g * mg_ * out_plane_ + c0;
    return e;
  }

  FastConvParams p_;
  Tensor bias_;  // constant bias as float32, else undefined (read input 2 at run)
  int64_t cg_ = 0, mg_ = 0, in_plane_ = 0, out_plane_ = 0;
};

// Packs W [group][Mg, K] as one left GEMM operand per group.
std::vector<kernels::PackedLhs> pack_groups(const float* w, int64_t group, int64_t mg, int64_t k) {
  std::vector<kernels::PackedLhs> packed;
  for (int64_t g = 0; g < group; ++g) packed.push_back(kernels::pack_lhs(w + g * mg * k, mg, k, k));
  return packed;
}

size_t packed_size(const std::vector<kernels::PackedLhs>& v) {
  size_t b = 0;
  for (const auto& p : v) b += p.bytes();
  return b;
}

// Output pixels as the GEMM's rows, for narrow maps (one group). NCHW puts the pixels of a plane in the GEMM's
// columns, and 7x7 maps fill 49 of the 64 columns of two 32-wide tiles; as rows they fill whole tiles (the micro-kernel
// computes partial row panels exactly) and the output channels, mostly multiples of 32, are the columns:
// C^T[P, Cout] = X^T[P, K] * W^T[K, Cout] into scratch, then transposed into the planes (residual added there).
bool use_pixel_rows(int64_t pixels, int64_t out_channels) {
  const kernels::GemmUkernel* uk = kernels::default_gemm_ukernel();
  constexpr int64_t kMaxPixels = 512;  // scratch P x Cout; wider maps fill their column tiles anyway
  if (!uk || pixels < 1 || pixels > kMaxPixels) return false;
  // One pixel (squeeze-excitation convs on pooled maps): a GEMV either way. Weights as the packed right operand
  // stream one load per FMA (x[k] broadcast); as the left operand each FMA also loads the expanded input column,
  // and every row panel ends in a lane reduction: 2x slower with the weights in cache (bench_f32_gemm v3s_se_fc*),
  // 4x in mobilenet_v3_small (features.10 fc1, 576 -> 144: 0.034 -> 0.008 ms in `edgerun bench --profile`).
  if (pixels == 1) return true;
  auto col_fill = [&](int64_t n) {  // useful share of the columns computed (half-width last tile with `any`)
    const int64_t full = n / uk->nr * uk->nr, rest = n - full;
    const int64_t computed = full + (rest == 0 ? 0 : uk->any && rest <= uk->nr / 2 ? uk->nr / 2 : uk->nr);
    return static_cast<double>(n) / static_cast<double>(computed);
  };
  auto row_fill = [&](int64_t m) {  // `any` computes partial row panels exactly
    if (uk->any) return 1.0;
    return static_cast<double>(m) / static_cast<double>((m + uk->mr - 1) / uk->mr * uk->mr);
  };
  // The transpose back costs a few percent of the GEMM: worth it only for a clearly better fill (49 pixels:
  // 0.77 -> 1.0 with the 12x32 AVX-512 kernel; 196: 0.94, kept in columns).
  constexpr double kTransposeCost = 0.92;
  return row_fill(pixels) * col_fill(out_channels) * kTransposeCost > col_fill(pixels) * row_fill(out_channels);
}

// W [Cout, K] packed as the right operand W^T [K, Cout] for the pixel-rows GEMM.
kernels::PackedRhs pack_pixel_rows_weights(const float* w, int64_t out_channels, int64_t k) {
  return kernels::pack_rhs(w, k, out_channels, k, /*transposed=*/true);
}

// y[c, j] for j < pixels (row stride ldy) = conv output from the pixel-rows GEMM over x = [K, pixels] (row stride
// ldx): bias in the GEMM, the residual added in the transpose, the activation in the GEMM (no residual) or after.
void run_pixel_rows(const kernels::PackedRhs& w, const float* x, int64_t pixels, int64_t ldx, float* y, int64_t ldy,
                    const Epilogue& ep, ThreadPool* pool) {
  const int64_t cout = w.n;
  Epilogue e;
  e.bias = ep.bias;
  e.bias_per_column = true;
  if (!ep.residual) e.act = ep.act;
  if (pixels == 1 && ldx == 1 && ldy == 1 && (!ep.residual || ep.ld_residual == 1)) {
    e.residual = ep.residual;  // [Cout, 1]: one row of C^T, no transpose
    e.ld_residual = 1;
    e.act = ep.act;
    return kernels::gemm_packed_rhs(x, 1, w.k, w, y, cout, e, pool);
  }
  float* ct = kernels::conv_scratch(kernels::ConvScratchSlot::kPixelRows, static_cast<size_t>(pixels * cout));
  const bool post_act = ep.residual && ep.act.kind != kernels::Act::kNone;
  auto back = [&](int64_t c0, int64_t c1) {
    kernels::transpose_f32(ct + c0, pixels, c1 - c0, cout, y + c0 * ldy, ldy,
                           ep.residual ? ep.residual + c0 * ep.ld_residual : nullptr, ep.ld_residual);
    if (post_act)
      for (int64_t c = c0; c < c1; ++c) kernels::activation_f32(ep.act, y + c * ldy, y + c * ldy, pixels);
  };
  // Threads: where the GEMM would split the output channels anyway (run_gemm's choice, gemm.cpp), each thread
  // transposes back the channels it just computed, in the same fork: one barrier instead of two, and the C^T
  // columns a thread reads are the ones its core wrote (mobilenet_v3_small's 7x7 1x1 convs scaled 1.5x at two).
  const int threads = pool ? pool->size() : 1;
  const int64_t nr = w.uk->nr, np = (cout + nr - 1) / nr;
  if (pixels > 1 && np >= 2 * threads &&
      kernels::gemm_partition(*w.uk, pixels, cout, w.k, threads).split == kernels::GemmSplit::kColumns) {
    pool->parallel_for(threads, [&](int64_t tb, int64_t te, int) {
      for (int64_t t = tb; t < te; ++t) {
        int64_t pb, pe;
        ThreadPool::chunk(np, threads, static_cast<int>(t), &pb, &pe);
        const int64_t c0 = pb * nr, c1 = std::min(cout, pe * nr);
        if (c1 <= c0) continue;
        kernels::gemm_packed_rhs_cols(x, pixels, ldx, w, c0, c1, ct, cout, e, /*trans_a=*/true);
        back(c0, c1);
      }
    });
    return;
  }
  kernels::gemm_packed_rhs(x, pixels, ldx, w, ct, cout, e, pool, /*trans_a=*/true);
  constexpr int64_t kBlock = 16;  // channels per transpose block
  const int64_t blocks = (cout + kBlock - 1) / kBlock;
  if (pool && pool->size() > 1 && blocks >= 2 * pool->size())
    pool->parallel_for(blocks, [&](int64_t b, int64_t e2, int) { back(b * kBlock, std::min(cout, e2 * kBlock)); });
  else
    back(0, cout);
}

// 1x1, stride 1, no padding: the input planes are the GEMM's right operand as they are (or, on narrow maps, the
// transposed left operand of the pixel-rows GEMM).
class Conv1x1Kernel : public FastConvKernel {
 public:
  Conv1x1Kernel(const FastConvParams& p, Tensor bias, const float* w) : FastConvKernel(p, std::move(bias)) {
    if (p_.group == 1 && use_pixel_rows(out_plane_, mg_)) wt_ = pack_pixel_rows_weights(w, mg_, cg_);
    else w_ = pack_groups(w, p_.group, mg_, cg_);
  }
  size_t packed_bytes() const override { return packed_size(w_) + wt_.bytes(); }
  const char* variant() const override { return w_.empty() ? "conv-1x1-gemm-pixel-rows" : "conv-1x1-gemm"; }
  const kernels::PackedLhs* packed_lhs() const { return w_.size() == 1 ? &w_[0] : nullptr; }

 private:
  bool residual_in_place() const override { return true; }
  void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) override {
    if (w_.empty()) return run_pixel_rows(wt_, x, out_plane_, in_plane_, y, out_plane_, ep, pool);
    for (int64_t g = 0; g < p_.group; ++g)
      kernels::gemm_packed_lhs(w_[static_cast<size_t>(g)], x + g * cg_ * in_plane_, out_plane_, in_plane_,
                               y + g * mg_ * out_plane_, out_plane_, group_epilogue(ep, g, 0), pool);
  }
  std::vector<kernels::PackedLhs> w_;
  kernels::PackedRhs wt_;  // pixel rows: W^T
};

// One input and one output channel per group.
class ConvDepthwiseKernel : public FastConvKernel {
 public:
  ConvDepthwiseKernel(const FastConvParams& p, Tensor bias, const float* w) : FastConvKernel(p, std::move(bias)) {
    const nn::Window3d& win = p_.win;
    dp_.channels = p_.out_channels;
    dp_.in_h = win.in[1];
    dp_.in_w = win.in[2];
    dp_.out_h = win.out[1];
    dp_.out_w = win.out[2];
    dp_.kernel_h = win.kernel[1];
    dp_.kernel_w = win.kernel[2];
    dp_.stride_h = win.stride[1];
    dp_.stride_w = win.stride[2];
    dp_.pad_top = win.pad_begin[1];
    dp_.pad_left = win.pad_begin[2];
    dp_.dilation_h = win.dilation[1];
    dp_.dilation_w = win.dilation[2];
    uk_ = kernels::select_dwconv(dp_);
    w_.assign(w, w + p_.out_channels * win.kernel_size());
    variant_ = std::string("dwconv-") + kernels::dwconv_name(uk_);
  }
  size_t packed_bytes() const override { return w_.size() * sizeof(float); }
  const char* variant() const override { return variant_.c_str(); }

 private:
  void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) override {
    kernels::dwconv2d_f32(uk_, dp_, x, w_.data(), y, ep, pool);
  }
  kernels::DwConvParams dp_;
  const kernels::DwConvKernel* uk_ = nullptr;
  std::vector<float> w_;  // [C, KH, KW]
  std::string variant_;
};

class ConvWinogradKernel : public FastConvKernel {
 public:
  ConvWinogradKernel(const FastConvParams& p, Tensor bias, const float* w, const kernels::WinogradUkernel* uk)
      : FastConvKernel(p, std::move(bias)) {
    const nn::Window3d& win = p_.win;
    wc_ = kernels::winograd_prepare(uk, w, p_.out_channels, p_.in_channels, win.in[1], win.in[2], win.out[1],
                                    win.out[2], win.pad_begin[1], win.pad_begin[2]);
    variant_ = uk->m == 6 ? "conv-winograd-f6x6" : uk->m == 4 ? "conv-winograd-f4x4" : "conv-winograd-f2x2";
  }
  size_t packed_bytes() const override { return wc_.packed_bytes(); }
  const char* variant() const override { return variant_; }

 private:
  void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) override {
    kernels::winograd_conv2d(wc_, x, y, ep, pool);
  }
  kernels::WinogradConv wc_;
  const char* variant_ = "";
};

// Few input channels (first layers): direct, vectorized over output columns (conv-direct.h).
class ConvDirectKernel : public FastConvKernel {
 public:
  ConvDirectKernel(const FastConvParams& p, Tensor bias, const float* w, const kernels::ConvDirectUkernel* uk)
      : FastConvKernel(p, std::move(bias)) {
    const nn::Window3d& win = p_.win;
    kernels::ConvDirectParams dp;
    dp.in_channels = p_.in_channels;
    dp.out_channels = p_.out_channels;
    dp.in_h = win.in[1];
    dp.in_w = win.in[2];
    dp.out_h = win.out[1];
    dp.out_w = win.out[2];
    dp.kernel_h = win.kernel[1];
    dp.kernel_w = win.kernel[2];
    dp.stride_h = win.stride[1];
    dp.stride_w = win.stride[2];
    dp.pad_top = win.pad_begin[1];
    dp.pad_left = win.pad_begin[2];
    cd_ = kernels::conv_direct_prepare(uk, w, dp);
    variant_ = std::string("conv-direct-") + cd_.uk->name;
  }
  size_t packed_bytes() const override { return cd_.packed_bytes(); }
  const char* variant() const override { return variant_.c_str(); }

 private:
  void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) override {
    kernels::conv_direct_f32(cd_, x, y, ep, pool);
  }
  kernels::ConvDirect cd_;
  std::string variant_;
};

// A last column tile of one column: gemm_packed_lhs computes it as a GEMV, whose sums are ordered differently from
// the GEMM micro-kernel's, so a tiling that leaves one would change that column's bits with the thread count.
bool one_column_tail(int64_t columns, int64_t tile) { return columns > 1 && tile > 1 && columns % tile == 1; }

// Everything else: im2col of a tile of output pixels into per-thread scratch, then GEMM.
class ConvIm2colKernel : public FastConvKernel {
 public:
  ConvIm2colKernel(const FastConvParams& p, Tensor bias, const float* w) : FastConvKernel(p, std::move(bias)) {
    const nn::Window3d& win = p_.win;
    k_ = cg_ * win.kernel_size();
    if (p_.group == 1 && use_pixel_rows(out_plane_, mg_)) wt_ = pack_pixel_rows_weights(w, mg_, k_);
    else w_ = pack_groups(w, p_.group, mg_, k_);
    ip_.channels = cg_;
    ip_.in_h = win.in[1];
    ip_.in_w = win.in[2];
    ip_.out_h = win.out[1];
    ip_.out_w = win.out[2];
    ip_.kernel_h = win.kernel[1];
    ip_.kernel_w = win.kernel[2];
    ip_.stride_h = win.stride[1];
    ip_.stride_w = win.stride[2];
    ip_.pad_top = win.pad_begin[1];
    ip_.pad_left = win.pad_begin[2];
    ip_.dilation_h = win.dilation[1];
    ip_.dilation_w = win.dilation[2];
    // Column tile: the im2col tile stays around 512 KiB; whole planes when they are small.
    constexpr int64_t kBudget = int64_t{1} << 17;  // floats
    tile_ = std::max<int64_t>(64, kBudget / std::max<int64_t>(k_, 1) / 16 * 16);
    while (one_column_tail(out_plane_, tile_)) tile_ += 16;  // ends: a tile wider than the plane leaves no tail
    if (tile_ >= out_plane_) tile_ = std::max<int64_t>(out_plane_, 1);
    tiles_ = (out_plane_ + tile_ - 1) / tile_;
  }
  size_t packed_bytes() const override { return packed_size(w_) + wt_.bytes(); }
  const char* variant() const override { return w_.empty() ? "conv-im2col-gemm-pixel-rows" : "conv-im2col-gemm"; }

 private:
  bool residual_in_place() const override { return true; }
  void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) override {
    if (w_.empty()) {  // pixel rows (narrow map, whole plane in one im2col matrix)
      float* col = kernels::conv_scratch(kernels::ConvScratchSlot::kIm2col, static_cast<size_t>(k_ * out_plane_));
      im2col(x, 0, out_plane_, col, out_plane_, pool);  // [K, P]
      return run_pixel_rows(wt_, col, out_plane_, out_plane_, y, out_plane_, ep, pool);
    }
    const int threads = pool ? pool->size() : 1;
    if (threads > 1 && p_.group == 1 && run_balanced(x, y, ep, pool)) return;
    // Groups, one thread, or a one-column tail: units of (group, column tile), each thread running its own im2col
    // and GEMM. With threads, a one-group conv's column tiles are shrunk (never grown) so that their count is a
    // multiple of the thread count. Tiles stay multiples of 32 columns (the widest micro-kernel's nr). GEMM
    // columns are independent, so results do not depend on the tiling.
    int64_t tile = tile_, tiles = tiles_;
    if (threads > 1 && p_.group == 1 && tiles % threads != 0) {
      constexpr int64_t kMinTile = 32;
      const int64_t want = (tiles + threads - 1) / threads * threads;
      const int64_t t2 = ((out_plane_ + want - 1) / want + 31) / 32 * 32;
      if (t2 >= kMinTile && t2 <= tile_ && !one_column_tail(out_plane_, t2)) {
        tile = t2;
        tiles = (out_plane_ + tile - 1) / tile;
      }
    }
    const int64_t units = p_.group * tiles;
    auto unit = [&](int64_t u, ThreadPool* gemm_pool) {
      const int64_t g = u / tiles, p0 = (u % tiles) * tile, p1 = std::min(out_plane_, p0 + tile);
      float* col = kernels::conv_scratch(kernels::ConvScratchSlot::kIm2col, static_cast<size_t>(k_ * tile));
      kernels::im2col_nchw_f32(ip_, x + g * cg_ * in_plane_, p0, p1, col, p1 - p0);  // [K, p1 - p0]
      kernels::gemm_packed_lhs(w_[static_cast<size_t>(g)], col, p1 - p0, p1 - p0, y + g * mg_ * out_plane_ + p0,
                               out_plane_, group_epilogue(ep, g, p0), gemm_pool);
    };
    if (pool && pool->size() > 1 && units >= pool->size()) {
      pool->parallel_for(units, [&](int64_t b, int64_t e, int) {
        for (int64_t u = b; u < e; ++u) unit(u, nullptr);
      });
    } else {
      for (int64_t u = 0; u < units; ++u) unit(u, pool);
    }
  }

  // im2col of output pixels [p0, p1) of the one-group input x into col [K, ld], split by input channels over the
  // pool when the matrix is large enough to pay for the fork (resnet50's stride-2 convs at two threads).
  void im2col(const float* x, int64_t p0, int64_t p1, float* col, int64_t ld, ThreadPool* pool) const {
    constexpr int64_t kParallelFloats = 16 * 1024;
    if (!pool || pool->size() < 2 || ip_.channels < 2 || k_ * (p1 - p0) < kParallelFloats) {
      kernels::im2col_nchw_f32(ip_, x, p0, p1, col, ld);
      return;
    }
    const int64_t taps = ip_.kernel_h * ip_.kernel_w;
    pool->parallel_for(ip_.channels, [&](int64_t c0, int64_t c1, int) {
      kernels::Im2colParams q = ip_;
      q.channels = c1 - c0;
      kernels::im2col_nchw_f32(q, x + c0 * in_plane_, p0, p1, col + c0 * taps * ld, ld);
    });
  }

  // One group, threads > 1: the cheaper of two balanced partitions, by the busiest thread's micro-kernel tiles
  // (mp row panels x column panels). (a) Each thread takes a contiguous, nr-aligned run of column panels and
  // tiles it on its own (im2col + GEMM, no barrier); (b) the plane's column tiles one after the other, each
  // im2col'd by all threads (split by channels) and multiplied by all (the GEMM's own split), two barriers per
  // tile. The unit partition of the grouped path split 784 columns (resnet50's stride-2 convs at 28x28) into
  // tiles of 512 + 272 or 4 + 3 tiles of 112, and 196 columns into 2 x 64 + (64 + 4): 1.5-1.6x at two threads.
  // Returns false (the caller runs the unit partition) where a 1-column tail tile would take the GEMV path,
  // whose sums are ordered differently (results must not depend on the thread count).
  bool run_balanced(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) {
    const kernels::PackedLhs& w = w_[0];
    const int64_t mr = w.uk->mr, nr = w.uk->nr, threads = pool->size();
    const int64_t mp = (mg_ + mr - 1) / mr, np = (out_plane_ + nr - 1) / nr;
    const int64_t tile = tile_ >= out_plane_ ? out_plane_ : std::max(nr, tile_ / nr * nr);  // whole plane, or nr-aligned
    if (one_column_tail(out_plane_, nr) || one_column_tail(out_plane_, tile)) return false;
    // (a): thread t gets column panels [np * t / T, np * (t + 1) / T).
    const int64_t cost_a = (np + threads - 1) / threads * mp;
    // (b): per tile, the busiest thread of the GEMM's own split plus the barriers (~1 tile each).
    int64_t cost_b = 0;
    for (int64_t p0 = 0; p0 < out_plane_; p0 += tile)
      cost_b += kernels::gemm_partition(*w.uk, mg_, std::min(tile, out_plane_ - p0), k_, static_cast<int>(threads)).busiest + 2;
    if (cost_a <= cost_b) {
      pool->parallel_for(threads, [&](int64_t tb, int64_t te, int) {
        for (int64_t t = tb; t < te; ++t) {
          int64_t pb, pe;
          ThreadPool::chunk(np, static_cast<int>(threads), static_cast<int>(t), &pb, &pe);
          const int64_t c_end = std::min(out_plane_, pe * nr);
          for (int64_t p0 = pb * nr; p0 < c_end; p0 += tile) {
            const int64_t p1 = std::min(c_end, p0 + tile);
            float* col = kernels::conv_scratch(kernels::ConvScratchSlot::kIm2col, static_cast<size_t>(k_ * tile));
            kernels::im2col_nchw_f32(ip_, x, p0, p1, col, p1 - p0);
            kernels::gemm_packed_lhs(w, col, p1 - p0, p1 - p0, y + p0, out_plane_, group_epilogue(ep, 0, p0),
                                     nullptr);
          }
        }
      });
      return true;
    }
    float* col = kernels::conv_scratch(kernels::ConvScratchSlot::kIm2col, static_cast<size_t>(k_ * tile));
    for (int64_t p0 = 0; p0 < out_plane_; p0 += tile) {
      const int64_t p1 = std::min(out_plane_, p0 + tile);
      im2col(x, p0, p1, col, p1 - p0, pool);
      kernels::gemm_packed_lhs(w, col, p1 - p0, p1 - p0, y + p0, out_plane_, group_epilogue(ep, 0, p0), pool);
    }
    return true;
  }

  std::vector<kernels::PackedLhs> w_;
  kernels::PackedRhs wt_;  // pixel rows: W^T
  kernels::Im2colParams ip_;
  int64_t k_ = 0, tile_ = 0, tiles_ = 0;
};

// Implicit GEMM (one group, dilation 1, a micro-kernel with `indirect`): the input is copied once into a zero-padded,
// stride-phase layout xb[cin][hp][sw][wq] (xb[c][h][ph][q] = x[c][h - pad_top][q*sw + ph - pad_left], 0 outside),
// in which the receptive-field row (c, ky, kx) of output row oy is contiguous: xb[c][oy*sh + ky][kx % sw][kx / sw + ox].
// The GEMM reads those rows through a table of K row pointers, so there is no im2col matrix (K times the output
// plane, written and read again): yolox-nano's 12 -> 16 3x3 at 208x208 spent 40 % of its time in im2col's copies.
class ConvImplicitKernel : public FastConvKernel {
 public:
  ConvImplicitKernel(const FastConvParams& p, Tensor bias, const float* w) : FastConvKernel(p, std::move(bias)) {
    const nn::Window3d& win = p_.win;
    k_ = p_.in_channels * win.kernel_size();
    w_ = kernels::pack_lhs(w, p_.out_channels, k_, k_);
    sw_ = win.stride[2];
    hp_ = (win.out[1] - 1) * win.stride[1] + win.kernel[1];
    wq_ = win.out[2] + (win.kernel[2] - 1) / sw_;
    rows_.resize(static_cast<size_t>(k_));
  }
  size_t packed_bytes() const override { return w_.bytes(); }
  const char* variant() const override { return "conv-implicit-gemm"; }

 private:
  bool residual_in_place() const override { return true; }
  void run_image(const float* x, float* y, const Epilogue& ep, ThreadPool* pool) override {
    const nn::Window3d& win = p_.win;
    const int64_t cin = p_.in_channels, row_floats = sw_ * wq_;
    float* xb = kernels::conv_scratch(kernels::ConvScratchSlot::kDirectInput, static_cast<size_t>(cin * hp_ * row_floats));
    kernels::conv_fill_phase_padded(x, cin, win.in[1], win.in[2], win.pad_begin[1], win.pad_begin[2], hp_, sw_, wq_, xb,
                                    pool);
    const int64_t kh = win.kernel[1], kw = win.kernel[2];
    for (int64_t c = 0; c < cin; ++c)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          rows_[static_cast<size_t>((c * kh + ky) * kw + kx)] = xb + ((c * hp_ + ky) * sw_ + kx % sw_) * wq_ + kx / sw_;
    kernels::gemm_packed_lhs_rows(w_, rows_.data(), win.stride[1] * row_floats, win.out[1], win.out[2], y, out_plane_,
                                  win.out[2], ep, pool);
  }
  kernels::PackedLhs w_;
  int64_t k_ = 0, sw_ = 1, hp_ = 0, wq_ = 0;
  std::vector<const float*> rows_;  // [K] row pointers into the padded input (rebuilt per run)
};

// Implicit GEMM where its tiles are about as full as im2col's: it tiles each output row on its own (a 7x7 map gives
// tiles of 7 columns, where im2col's 49 fill 49 of 64), so small maps stay with im2col (resnet50's 7x7 3x3 convs:
// 3.4 -> 5.0 ms when tiled per row). Columns computed for n: whole nr-panels, the last one halved when it has at
// most nr / 2 columns (the AVX-512 kernel's half tiles).
bool use_implicit(const FastConvParams& p) {
  const kernels::GemmUkernel* uk = kernels::default_gemm_ukernel();
  const nn::Window3d& w = p.win;
  if (!uk || !uk->indirect || p.group != 1 || w.dilation[1] != 1 || w.dilation[2] != 1) return false;
  auto fill = [&](int64_t n) {
    const int64_t full = n / uk->nr * uk->nr, rest = n - full;
    const int64_t computed = full + (rest == 0 ? 0 : rest <= uk->nr / 2 ? uk->nr / 2 : uk->nr);
    return static_cast<double>(n) / static_cast<double>(computed);
  };
  // Within 5 %: squeezenet's 3x3s at 55/27/13 pixels a row (tiles 86/84/81 % full against 99 %) measured the same
  // either way, so the copy im2col saves is worth about that much there.
  return fill(w.out[2]) >= fill(w.out[1] * w.out[2]) - 0.05;
}

// The direct kernel for first layers (Cin <= 4, one group, dilation 1), or nullptr where im2col + GEMM is
// faster. Measured single-thread on 224x224 RGB stems (7x7 s2 -> 64, 3x3 s2 -> 16 / 32, 3x3 s1 -> 32):
// scalar direct 17-28 GFLOP/s vs im2col + 4x8-scalar GEMM 13-25; but 4x24-avx2 direct 30-58 vs im2col +
// 6x16-avx2 36-67 (and + 12x32-avx512 46-106), so SIMD builds keep im2col for now.
const kernels::ConvDirectUkernel* choose_direct(const FastConvParams& p) {
  constexpr int64_t kMaxDirectCin = 4;
  const nn::Window3d& w = p.win;
  if (p.group != 1 || p.in_channels > kMaxDirectCin || w.dilation[1] != 1 || w.dilation[2] != 1 ||
      w.kernel_size() <= 1)
    return nullptr;
  const kernels::ConvDirectUkernel* uk = kernels::select_conv_direct();
  return std::string_view(uk->name).ends_with("-scalar") ? uk : nullptr;
}

// Output tile size (2, 4 or 6) for Winograd, or 0 when im2col + GEMM should win. Estimated time =
// GEMM FLOPs at ~80 GFLOP/s + weight bytes at ~30 GB/s + transformed bytes at ~64 GB/s. Winograd's GEMM columns
// are the tiles, rounded up to 16 (narrower GEMMs leave most of a 32-wide micro-kernel tile idle), and its
// transformed weights are alpha^2 / 9 times larger: F(4x4) and F(6x6) leave 7x7x512 planes direct, F(2x2) (16 / 9)
// takes them (resnet50's 7x7 512 -> 512: 2.55 -> 1.55 ms standalone). Fitted to one thread on AVX-512
// (squeezenet1_1, resnet18, all 3x3 stride-1 shapes: the choice is the measured best on each).
int choose_winograd_tile(const FastConvParams& p) {
  const nn::Window3d& w = p.win;
  if (p.group != 1 || w.kernel[1] != 3 || w.kernel[2] != 3 || w.stride[1] != 1 || w.stride[2] != 1 ||
      w.dilation[1] != 1 || w.dilation[2] != 1)
    return 0;
  // With few channels the alpha^2 GEMMs (K = Cin, M = Cout) are too small to pay for their calls and the per-tile
  // transforms: yolox-nano's 12 -> 16 3x3 at 208x208 takes 1.9 ms through implicit GEMM, 5.1 with F(6x6).
  if (p.in_channels < 16 || p.out_channels < 16) return 0;
  const double oh = static_cast<double>(w.out[1]), ow = static_cast<double>(w.out[2]);
  const double cin = static_cast<double>(p.in_channels), cout = static_cast<double>(p.out_channels);
  constexpr double kFlopRate = 80e9, kByteRate = 30e9, kTransformRate = 64e9;
  const double direct = 2.0 * oh * ow * 9 * cin * cout / kFlopRate + 4.0 * 9 * cin * cout / kByteRate;
  auto cost = [&](double m) {
    const double tiles = std::ceil(oh / m) * std::ceil(ow / m), a2 = (m + 2) * (m + 2);
    const double columns = std::ceil(tiles / 16) * 16;
    return 2.0 * columns * a2 * cin * cout / kFlopRate + 4.0 * a2 * cin * cout / kByteRate +
           tiles * a2 * (cin + cout) * 4.0 / kTransformRate;
  };
  const double c6 = cost(6), c4 = cost(4), c2 = cost(2);
  if (std::min({c6, c4, c2}) >= 0.8 * direct) return 0;
  return c6 <= c4 && c6 <= c2 ? 6 : c4 <= c2 ? 4 : 2;
}

}  // namespace

const kernels::PackedLhs* fast_conv_packed_lhs(const OpKernel& k) {
  const auto* c = dynamic_cast<const Conv1x1Kernel*>(&k);
  return c ? c->packed_lhs() : nullptr;
}

std::unique_ptr<OpKernel> prepare_fast_conv(const PrepareContext& ctx, const FastConvParams& p) {
  if (ctx.reference_kernels() || p.win.rank != 2) return nullptr;
  for (int i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != DType::kFloat32) return nullptr;
  const Tensor* wt = ctx.constant_input(1);
  if (!wt || p.batch < 1) return nullptr;
  const float* w = wt->data<float>();
  Tensor bias = nn::constant_as_f32(ctx, 2);
  const nn::Window3d& win = p.win;
  const int64_t cg = p.in_channels / p.group, mg = p.out_channels / p.group;
  if (win.kernel[1] == 1 && win.kernel[2] == 1 && win.stride[1] == 1 && win.stride[2] == 1 &&
      win.pad_begin[1] == 0 && win.pad_begin[2] == 0 && win.out[1] == win.in[1] && win.out[2] == win.in[2])
    return std::make_unique<Conv1x1Kernel>(p, std::move(bias), w);
  if (p.group > 1 && cg == 1 && mg == 1) return std::make_unique<ConvDepthwiseKernel>(p, std::move(bias), w);
  if (const kernels::ConvDirectUkernel* uk = choose_direct(p))
    return std::make_unique<ConvDirectKernel>(p, std::move(bias), w, uk);
  if (const int m = choose_winograd_tile(p)) {
    if (const kernels::WinogradUkernel* uk = kernels::select_winograd(m))
      return std::make_unique<ConvWinogradKernel>(p, std::move(bias), w, uk);
  }
  if (use_implicit(p)) return std::make_unique<ConvImplicitKernel>(p, std::move(bias), w);
  return std::make_unique<ConvIm2colKernel>(p, std::move(bias), w);
}

}  // namespace edgerun
