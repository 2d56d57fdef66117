// MaxPool, AveragePool, LpPool (1-D, 2-D, 3-D) and GlobalAveragePool / GlobalMaxPool / GlobalLpPool,
// reference kernels. Windows are separable, so for every output coordinate along each axis prepare
// precomputes which kernel taps land inside the input (and inside input + pads, for
// count_include_pad); run() then only loops over valid taps.
// Fast paths (float32, not the reference backend): separable 2-D Max/AveragePool and a vectorized
// GlobalAveragePool, parallel over the N*C planes.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "kernels/f32-pool/pool.h"
#include "kernels/f32-vmath/vmath.h"
#include "ops/nn_util.h"
#include "ops/op_registry.h"

namespace edgerun {
namespace {

using nn::Window3d;

enum class PoolKind { kMax, kAverage, kLp };

// Per output coordinate along one axis: first input position of the window and its taps.
struct AxisTaps {
  std::vector<int64_t> start;   // o * stride - pad_begin
  std::vector<int64_t> lo, hi;  // taps k in [lo, hi) read the input
  std::vector<int64_t> padded;  // taps that fall inside input + explicit pads
};

AxisTaps make_axis_taps(const Window3d& w, int a) {
  AxisTaps t;
  const size_t n = static_cast<size_t>(w.out[a]);
  t.start.resize(n);
  t.lo.resize(n);
  t.hi.resize(n);
  t.padded.resize(n);
  for (size_t o = 0; o < n; ++o) {
    const int64_t s = static_cast<int64_t>(o) * w.stride[a] - w.pad_begin[a];
    t.start[o] = s;
    nn::valid_range(w.kernel[a], w.dilation[a], s, w.in[a], &t.lo[o], &t.hi[o]);
    int64_t plo, phi;
    nn::valid_range(w.kernel[a], w.dilation[a], s + w.pad_begin[a], w.in[a] + w.pad_begin[a] + w.pad_end[a], &plo,
                    &phi);
    t.padded[o] = phi - plo;
  }
  return t;
}

struct PoolParams {
  PoolKind kind = PoolKind::kMax;
  int64_t planes = 0;  // N * C
  Window3d win;
  bool count_include_pad = false;
  float p = 2.0f;                // LpPool
  bool column_major_indices = false;  // MaxPool storage_order = 1
};

class PoolKernel : public OpKernel {
 public:
  explicit PoolKernel(PoolParams p) : p_(std::move(p)) {
    for (int a = 0; a < 3; ++a) taps_[a] = make_axis_taps(p_.win, a);
  }

  Status run(KernelContext& ctx) override {
    const Window3d& w = p_.win;
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    int64_t* indices = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->data<int64_t>() : nullptr;
    const int64_t p_in = w.in_size(), p_out = w.out_size();
    // Flat index strides for the Indices output (row- or column-major over the spatial dims).
    const int64_t sz = p_.column_major_indices ? 1 : w.in[1] * w.in[2];
    const int64_t sy = p_.column_major_indices ? w.in[0] : w.in[2];
    const int64_t sx = p_.column_major_indices ? w.in[0] * w.in[1] : 1;
    for (int64_t plane = 0; plane < p_.planes; ++plane) {
      const float* xp = x + plane * p_in;
      float* yp = y + plane * p_out;
      int64_t* ip = indices ? indices + plane * p_out : nullptr;
      int64_t o = 0;
      for (int64_t oz = 0; oz < w.out[0]; ++oz)
        for (int64_t oy = 0; oy < w.out[1]; ++oy)
          for (int64_t ox = 0; ox < w.out[2]; ++ox, ++o) {
            const size_t z = static_cast<size_t>(oz), yy = static_cast<size_t>(oy), xx = static_cast<size_t>(ox);
            const int64_t z0 = taps_[0].start[z], y0 = taps_[1].start[yy], x0 = taps_[2].start[xx];
            const int64_t zlo = taps_[0].lo[z], zhi = taps_[0].hi[z];
            const int64_t ylo = taps_[1].lo[yy], yhi = taps_[1].hi[yy];
            const int64_t xlo = taps_[2].lo[xx], xhi = taps_[2].hi[xx];
            if (p_.kind == PoolKind::kMax) {
              float best = -std::numeric_limits<float>::infinity();
              int64_t best_at = -1;
              for (int64_t kz = zlo; kz < zhi; ++kz) {
                const int64_t iz = z0 + kz * w.dilation[0];
                for (int64_t ky = ylo; ky < yhi; ++ky) {
                  const int64_t iy = y0 + ky * w.dilation[1];
                  const float* row = xp + (iz * w.in[1] + iy) * w.in[2];
                  for (int64_t kx = xlo; kx < xhi; ++kx) {
                    const int64_t ix = x0 + kx * w.dilation[2];
                    if (best_at < 0 || row[ix] > best) {
                      best = row[ix];
                      best_at = iz * sz + iy * sy + ix * sx;
                    }
                  }
                }
              }
              yp[o] = best;
              if (ip) ip[o] = plane * p_in + std::max<int64_t>(best_at, 0);
              continue;
            }
            double sum = 0.0;
            for (int64_t kz = zlo; kz < zhi; ++kz) {
              const int64_t iz = z0 + kz * w.dilation[0];
              for (int64_t ky = ylo; ky < yhi; ++ky) {
                const int64_t iy = y0 + ky * w.dilation[1];
                const float* row = xp + (iz * w.in[1] + iy) * w.in[2];
                if (p_.kind == PoolKind::kAverage) {
                  for (int64_t kx = xlo; kx < xhi; ++kx) sum += row[x0 + kx * w.dilation[2]];
                } else if (p_.p == 2.0f) {
                  for (int64_t kx = xlo; kx < xhi; ++kx) {
                    const double v = row[x0 + kx * w.dilation[2]];
                    sum += v * v;
                  }
                } else {
                  for (int64_t kx = xlo; kx < xhi; ++kx) sum += std::pow(std::fabs(row[x0 + kx * w.dilation[2]]), p_.p);
                }
              }
            }
            if (p_.kind == PoolKind::kAverage) {
              const int64_t count = p_.count_include_pad
                                        ? taps_[0].padded[z] * taps_[1].padded[yy] * taps_[2].padded[xx]
                                        : (zhi - zlo) * (yhi - ylo) * (xhi - xlo);
              yp[o] = count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
            } else {
              yp[o] = static_cast<float>(p_.p == 2.0f ? std::sqrt(sum) : std::pow(sum, 1.0 / p_.p));
            }
          }
    }
    return Status();
  }

 private:
  PoolParams p_;
  AxisTaps taps_[3];
};

// Runs fn(plane_begin, plane_end) over [0, planes), split over the pool when the work is large enough.
template <class F>
void for_planes(ThreadPool* pool, int64_t planes, int64_t work_per_plane, F&& fn) {
  if (pool && pool->size() > 1 && planes > 1 && planes * work_per_plane >= (1 << 14)) {
    pool->parallel_for(planes, [&](int64_t b, int64_t e, int) { fn(b, e); });
  } else {
    fn(0, planes);
  }
}

// Float32 2-D MaxPool / AveragePool with dilation 1 and no Indices output. Windows are separable:
// per output row, the valid input rows are combined into a row buffer, then each output takes its valid
// columns of that buffer (max: both passes through the f32-pool kernels, -inf around the row so that windows cut
// by the padding need no scalar loop; squeezenet's 3x3 s2 on 111x111x64 0.47 -> 0.2 ms, yolox-nano's SPP (5x5,
// 9x9, 13x13 windows on 13x13 maps) 0.29 -> 0.09 ms). NaN inputs: max ignores a NaN unless it wins the vertical
// pass (the reference keeps the first element); not a case models produce.
class Pool2dFastKernel : public OpKernel {
 public:
  explicit Pool2dFastKernel(PoolParams p) : p_(std::move(p)), ty_(make_axis_taps(p_.win, 1)), tx_(make_axis_taps(p_.win, 2)) {
    const int64_t kw = p_.win.kernel[2];
    // Max pooling reads its row buffer with -inf on both sides of the input columns (a padded tap never wins, which
    // is ONNX's rule), so every output column runs through the row kernel, also those whose window the padding cuts.
    if (p_.kind == PoolKind::kMax) {
      const bool any = p_.win.out[2] > 0;
      row_lead_ = any ? std::max<int64_t>(0, -tx_.start.front()) : 0;
      row_floats_ = row_lead_ + std::max(p_.win.in[2], any ? tx_.start.back() + kw : 0) + kernels::kMaxPoolRowSlack;
    }
  }

  const char* variant() const override {
    return p_.kind == PoolKind::kMax ? "maxpool2d-separable" : "avgpool2d-separable";
  }

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    const Window3d& w = p_.win;
    const int64_t p_in = w.in[1] * w.in[2], p_out = w.out[1] * w.out[2];
    for_planes(ctx.pool, p_.planes, p_in, [&](int64_t b, int64_t e) {
      thread_local std::vector<float> row_buf;
      if (p_.kind == PoolKind::kMax) {  // [row_lead_ x -inf][in_w input columns][-inf to the end]
        const size_t need = static_cast<size_t>(row_floats_);
        if (row_buf.size() < need) row_buf.resize(need);
        std::fill(row_buf.begin(), row_buf.begin() + row_floats_, -std::numeric_limits<float>::infinity());
        for (int64_t plane = b; plane < e; ++plane) run_plane_max(x + plane * p_in, y + plane * p_out, row_buf.data());
        return;
      }
      const size_t need = static_cast<size_t>(w.in[2] + kernels::kMaxPoolRowSlack);
      if (row_buf.size() < need) row_buf.resize(need);
      for (int64_t plane = b; plane < e; ++plane) run_plane_avg(x + plane * p_in, y + plane * p_out, row_buf.data());
    });
    return Status();
  }

 private:
  // rows: [row_floats_], -inf outside [row_lead_, row_lead_ + in_w) (only that range is written here).
  void run_plane_max(const float* xp, float* yp, float* rows) const {
    const Window3d& w = p_.win;
    const int64_t in_w = w.in[2];
    float* cols = rows + row_lead_;
    for (int64_t oy = 0; oy < w.out[1]; ++oy) {
      const size_t yy = static_cast<size_t>(oy);
      const int64_t r0 = ty_.start[yy] + ty_.lo[yy], r1 = ty_.start[yy] + ty_.hi[yy];
      if (r1 <= r0) std::fill(cols, cols + in_w, -std::numeric_limits<float>::infinity());
      else kernels::maxpool_columns_f32(xp + r0 * in_w, in_w, r1 - r0, cols, in_w);
      kernels::maxpool_row_f32(rows, tx_.start.front() + row_lead_, w.stride[2], w.kernel[2], yp + oy * w.out[2],
                               w.out[2]);
    }
  }

  void run_plane_avg(const float* xp, float* yp, float* rows) const {  // rows: [in_w]
    const Window3d& w = p_.win;
    const int64_t in_w = w.in[2];
    for (int64_t oy = 0; oy < w.out[1]; ++oy) {
      const size_t yy = static_cast<size_t>(oy);
      const int64_t r0 = ty_.start[yy] + ty_.lo[yy], r1 = ty_.start[yy] + ty_.hi[yy];
      if (r1 <= r0) {
        std::fill(rows, rows + in_w, 0.0f);
      } else {
        std::copy(xp + r0 * in_w, xp + (r0 + 1) * in_w, rows);
        for (int64_t r = r0 + 1; r < r1; ++r) {
          const float* src = xp + r * in_w;
          for (int64_t i = 0; i < in_w; ++i) rows[i] += src[i];
        }
      }
      float* yr = yp + oy * w.out[2];
      for (int64_t ox = 0; ox < w.out[2]; ++ox) {
        const size_t xx = static_cast<size_t>(ox);
        const int64_t c0 = tx_.start[xx] + tx_.lo[xx], c1 = tx_.start[xx] + tx_.hi[xx];
        float sum = 0.0f;
        for (int64_t i = c0; i < c1; ++i) sum += rows[i];
        const int64_t count = p_.count_include_pad ? ty_.padded[yy] * tx_.padded[xx] : (r1 - r0) * (c1 - c0);
        yr[ox] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
    }
  }

  PoolParams p_;
  AxisTaps ty_, tx_;
  int64_t row_lead_ = 0, row_floats_ = 0;     // max: -inf columns before the input in the row buffer, buffer size
};

bool use_fast_pool2d(const PrepareContext& ctx, const PoolParams& p) {
  return !ctx.reference_kernels() && p.kind != PoolKind::kLp && ctx.input_dtype(0) == DType::kFloat32 &&
         ctx.input_shape(0).size() == 4 && p.win.dilation[1] == 1 && p.win.dilation[2] == 1 &&
         (ctx.num_outputs() < 2 || !ctx.has_output(1));
}

Expected<float> read_lp_p(const PrepareContext& ctx) {
  const Attribute* a = ctx.node().attr("p");
  if (!a) return 2.0f;
  // LpPool-1 / GlobalLpPool-1 declare p as a float, later versions as an int.
  const float p = a->type == AttrType::kFloat ? a->f : static_cast<float>(a->i);
  if (!(p > 0.0f) || !std::isfinite(p)) return ctx.error("p must be a positive number, got ", p);
  return p;
}

Status check_pool_input(const PrepareContext& ctx, bool allow_8bit) {
  if (ctx.num_inputs() < 1 || !ctx.has_input(0)) return ctx.error("needs input X");
  ER_RETURN_IF_ERROR(nn::check_float_input(ctx, 0, "X", allow_8bit));
  const Shape& xs = ctx.input_shape(0);
  if (xs.size() < 3) return ctx.error("X must have rank >= 3 ([N, C, spatial...]), got shape [", shape_str(xs), "]");
  return Status();
}

template <PoolKind kKind>
Expected<std::unique_ptr<OpKernel>> prepare_pool(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_pool_input(ctx, kKind == PoolKind::kMax));
  const Shape& xs = ctx.input_shape(0);
  const size_t r = xs.size() - 2;
  if (!ctx.node().has_attr("kernel_shape")) return ctx.error("kernel_shape attribute is required");
  std::vector<int64_t> kernel = ctx.node().attr_ints("kernel_shape");
  if (kernel.size() != r) return ctx.error("kernel_shape has ", kernel.size(), " values, input has ", r, " spatial dims");

  PoolParams p;
  p.kind = kKind;
  p.planes = xs[0] * xs[1];
  nn::WindowOptions opts;
  opts.allow_ceil_mode = true;
  ER_ASSIGN_OR_RETURN(p.win, nn::make_window(ctx, Shape(xs.begin() + 2, xs.end()), kernel, opts));
  if (kKind == PoolKind::kAverage) p.count_include_pad = ctx.node().attr_int("count_include_pad", 0) != 0;
  if (kKind == PoolKind::kLp) {
    ER_ASSIGN_OR_RETURN(p.p, read_lp_p(ctx));
  }
  if (kKind == PoolKind::kMax) {
    const int64_t order = ctx.node().attr_int("storage_order", 0);
    if (order != 0 && order != 1) return ctx.error("storage_order must be 0 or 1, got ", order);
    p.column_major_indices = order == 1;
  } else if (ctx.num_outputs() > 1) {
    return ctx.error("has ", ctx.num_outputs(), " outputs, expected 1");
  }

  Shape out = {xs[0], xs[1]};
  for (size_t i = 0; i < r; ++i) out.push_back(p.win.out[3 - r + i]);
  ER_RETURN_IF_ERROR(nn::check_output_size(ctx, out));
  ctx.set_output(0, ctx.input_dtype(0), out);
  if (ctx.num_outputs() > 1) ctx.set_output(1, DType::kInt64, out);
  if (use_fast_pool2d(ctx, p)) return make_kernel<Pool2dFastKernel>(std::move(p));
  return nn::finish_float_kernel(ctx, std::make_unique<PoolKernel>(std::move(p)));
}

// ---------------------------------------------------------------------------------------------
// Global pools: one window covering all spatial dims.

// Float32 GlobalAveragePool: vectorized plane sums (f32-vmath), parallel over planes.
class GlobalAveragePoolFastKernel : public OpKernel {
 public:
  GlobalAveragePoolFastKernel(int64_t planes, int64_t plane_size) : planes_(planes), size_(plane_size) {}
  const char* variant() const override { return "global-avgpool-vmath"; }
  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();  // [planes, size]
    float* y = ctx.outputs[0]->data<float>();       // [planes]
    const float inv = size_ > 0 ? 1.0f / static_cast<float>(size_) : 0.0f;
    for_planes(ctx.pool, planes_, size_, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) y[c] = kernels::sum_f32(x + c * size_, size_) * inv;
    });
    return Status();
  }

 private:
  int64_t planes_, size_;
};

class GlobalPoolKernel : public OpKernel {
 public:
  GlobalPoolKernel(PoolKind kind, int64_t planes, int64_t plane_size, float p)
      : kind_(kind), planes_(planes), size_(plane_size), p_(p) {}

  Status run(KernelContext& ctx) override {
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    for (int64_t c = 0; c < planes_; ++c) {
      const float* xp = x + c * size_;
      if (kind_ == PoolKind::kMax) {
        float best = size_ > 0 ? xp[0] : -std::numeric_limits<float>::infinity();
        for (int64_t i = 1; i < size_; ++i) best = std::max(best, xp[i]);
        y[c] = best;
      } else if (kind_ == PoolKind::kAverage) {
        double sum = 0.0;
        for (int64_t i = 0; i < size_; ++i) sum += xp[i];
        y[c] = size_ > 0 ? static_cast<float>(sum / static_cast<double>(size_)) : 0.0f;
      } else {
        double sum = 0.0;
        for (int64_t i = 0; i < size_; ++i) sum += std::pow(std::fabs(static_cast<double>(xp[i])), p_);
        y[c] = static_cast<float>(std::pow(sum, 1.0 / p_));
      }
    }
    return Status();
  }

 private:
  PoolKind kind_;
  int64_t planes_, size_;
  float p_;
};

template <PoolKind kKind>
Expected<std::unique_ptr<OpKernel>> prepare_global_pool(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_pool_input(ctx, kKind == PoolKind::kMax));
  const Shape& xs = ctx.input_shape(0);
  float p = 2.0f;
  if (kKind == PoolKind::kLp) {
    ER_ASSIGN_OR_RETURN(p, read_lp_p(ctx));
  }
  Shape out = xs;
  int64_t plane_size = 1;
  for (size_t i = 2; i < out.size(); ++i) {
    plane_size *= out[i];
    out[i] = 1;
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  if (kKind == PoolKind::kAverage && !ctx.reference_kernels() && ctx.input_dtype(0) == DType::kFloat32)
    return make_kernel<GlobalAveragePoolFastKernel>(xs[0] * xs[1], plane_size);
  return nn::finish_float_kernel(ctx, std::make_unique<GlobalPoolKernel>(kKind, xs[0] * xs[1], plane_size, p));
}

}  // namespace

void register_pool_ops(OpRegistry& r) {
  nn::add_op(r, "MaxPool", 1, prepare_pool<PoolKind::kMax>);
  nn::add_op(r, "AveragePool", 1, prepare_pool<PoolKind::kAverage>);
  nn::add_op(r, "LpPool", 1, prepare_pool<PoolKind::kLp>);
  nn::add_op(r, "GlobalMaxPool", 1, prepare_global_pool<PoolKind::kMax>);
  nn::add_op(r, "GlobalAveragePool", 1, prepare_global_pool<PoolKind::kAverage>);
  nn::add_op(r, "GlobalLpPool", 1, prepare_global_pool<PoolKind::kLp>);
}

}  // namespace edgerun
