// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9).
//
// Everything is decided at prepare: the output size, and per resized axis the input positions
// ("taps") and weights of every output index. Interpolation is separable, so run() resizes one
// axis at a time (as the ONNX reference does): nearest is an index-map copy for any dtype;
// linear and cubic (optionally antialiased) are weighted sums in float (double for float64).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/half.h"
#include "ops/op_registry.h"
#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun {
namespace {

using shape_ops::checked_numel;
using shape_ops::encode_double;

enum class InterpMode { kNearest, kLinear, kCubic };
enum class CoordMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};
// kSimple: Resize-10 / Upsample, which predate nearest_mode: floor when upsampling, ceil when
// downsampling (what ONNX Runtime does for those opsets).
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeAttrs {
  InterpMode mode = InterpMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation_value = 0.0;
};

// Per-axis sampling plan: for output index j, taps positions idx[j*taps + t] with weights w[...].
struct AxisPlan {
  int axis = 0;
  int64_t in = 0, out = 0;
  int taps = 1;
  std::vector<int64_t> idx;          // clamped to [0, in)
  std::vector<double> w;             // empty for nearest
  std::vector<uint8_t> extrapolate;  // per output index: 1 = use extrapolation_value (tf_crop_and_resize)
  bool any_extrapolate = false;
};

double cubic_kernel(double x, double a) {
  x = std::fabs(x);
  if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// Source coordinate of output index x along one axis.
double source_coord(const ResizeAttrs& at, double x, double scale, int64_t in, int64_t out_int, double roi_start,
                    double roi_end) {
  const double out_width = scale * static_cast<double>(in);  // fractional when it came from a scale
  switch (at.coord) {
    case CoordMode::kHalfPixel:
      return (x + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out_int) / out_width;
      const double offset = static_cast<double>(in) / 2.0 * (1.0 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case CoordMode::kPytorchHalfPixel:
      return out_int > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners:
      return out_width == 1.0 ? 0.0 : x * static_cast<double>(in - 1) / (out_width - 1.0);
    case CoordMode::kAsymmetric:
      return x / scale;
    case CoordMode::kTfHalfPixelForNn:
      return (x + 0.5) / scale;
    case CoordMode::kTfCropAndResize: {
      const double span = static_cast<double>(in - 1);
      if (out_width == 1.0) return 0.5 * (roi_start + roi_end) * span;
      return roi_start * span + x * (roi_end - roi_start) * span / (out_width - 1.0);
    }
  }
  return 0.0;
}

AxisPlan plan_axis(const ResizeAttrs& at, int axis, int64_t in, int64_t out, double scale, double roi_start,
                   double roi_end) {
  AxisPlan p;
  p.axis = axis;
  p.in = in;
  p.out = out;
  p.extrapolate.assign(static_cast<size_t>(out), 0);
  // Window of taps around the coordinate: the filter support grows by 1/scale when antialiasing.
  const double support = at.mode == InterpMode::kCubic ? 2.0 : 1.0;
  const double s = (at.antialias && at.mode != InterpMode::kNearest) ? std::min(scale, 1.0) : 1.0;
  int64_t start = static_cast<int64_t>(std::floor(-support / s)) + 1;
  if (at.mode == InterpMode::kNearest) start = 0;
  p.taps = at.mode == InterpMode::kNearest ? 1 : static_cast<int>(2 - 2 * start);
  p.idx.resize(static_cast<size_t>(out) * static_cast<size_t>(p.taps));
  if (at.mode != InterpMode::kNearest) p.w.resize(p.idx.size());
  const double limit = static_cast<double>(in) + 4.0 * static_cast<double>(p.taps) + 8.0;
  for (int64_t j = 0; j < out; ++j) {
    double x = source_coord(at, static_cast<double>(j), scale, in, out, roi_start, roi_end);
    if (at.coord == CoordMode::kTfCropAndResize && (x < 0.0 || x > static_cast<double>(in - 1))) {
      p.extrapolate[static_cast<size_t>(j)] = 1;
      p.any_extrapolate = true;
    }
    if (!std::isfinite(x)) x = 0.0;
    x = std::clamp(x, -limit, limit);  // beyond this every tap is an edge: keeps the integer math small
    int64_t* idx = &p.idx[static_cast<size_t>(j) * static_cast<size_t>(p.taps)];
    const double fl = std::floor(x);
    if (at.mode == InterpMode::kNearest) {
      int64_t i = static_cast<int64_t>(fl);
      const double r = x - fl;
      if (r != 0.0) {
        switch (at.nearest) {
          case NearestMode::kRoundPreferFloor:
            i += r <= 0.5 ? 0 : 1;
            break;
          case NearestMode::kRoundPreferCeil:
            i += r < 0.5 ? 0 : 1;
            break;
          case NearestMode::kFloor:
            break;
          case NearestMode::kCeil:
            i += 1;
            break;
          case NearestMode::kSimple:
            i += scale < 1.0 ? 1 : 0;
            break;
        }
      }
      idx[0] = std::clamp<int64_t>(i, 0, in - 1);
      continue;
    }
    // Taps at x_int + start + t; x_int is the pixel left of x (one further left when x is integral,
    // which only matters for which zero-weight tap is included).
    const bool integral = x == fl;
    const int64_t x_int = static_cast<int64_t>(fl) - (integral ? 1 : 0);
    const double ratio = integral ? 1.0 : x - fl;
    double* w = &p.w[static_cast<size_t>(j) * static_cast<size_t>(p.taps)];
    double sum = 0.0;
    for (int t = 0; t < p.taps; ++t) {
      const double d = (static_cast<double>(start + t) - ratio) * s;
      w[t] = at.mode == InterpMode::kCubic ? cubic_kernel(d, at.cubic_a) : std::max(0.0, 1.0 - std::fabs(d));
      sum += w[t];
      idx[t] = x_int + start + t;
    }
    if (at.antialias && sum != 0.0)
      for (int t = 0; t < p.taps; ++t) w[t] /= sum;
    if (at.exclude_outside) {
      sum = 0.0;
      for (int t = 0; t < p.taps; ++t) {
        if (idx[t] < 0 || idx[t] >= in) w[t] = 0.0;
        sum += w[t];
      }
      if (sum != 0.0)
        for (int t = 0; t < p.taps; ++t) w[t] /= sum;
    }
    for (int t = 0; t < p.taps; ++t) idx[t] = std::clamp<int64_t>(idx[t], 0, in - 1);
  }
  return p;
}

// ---- nearest: out[o...] = in[map_0(o_0), ..., map_n(o_n)] (or the extrapolation value) ----

class NearestKernel : public OpKernel {
 public:
  NearestKernel(Shape in, Shape out, std::vector<std::vector<int64_t>> maps, size_t elem, std::vector<uint8_t> fill)
      : in_(std::move(in)),
        out_(std::move(out)),
        maps_(std::move(maps)),
        elem_(elem),
        fill_(std::move(fill)),
        in_strides_(contiguous_strides(in_)),
        out_strides_(contiguous_strides(out_)) {}
  Status run(KernelContext& ctx) override {
    if (ctx.outputs[0]->numel() == 0) return Status();
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    if (out_.empty()) {
      std::memcpy(dst, src, elem_);
      return Status();
    }
    copy_dim(0, dst, src);
    return Status();
  }

 private:
  void fill_block(char* dst, int64_t count) const {
    for (int64_t i = 0; i < count; ++i) std::memcpy(dst + static_cast<size_t>(i) * elem_, fill_.data(), elem_);
  }
  template <size_t E>
  void copy_row(char* dst, const char* src, const std::vector<int64_t>& map) const {
    for (size_t o = 0; o < map.size(); ++o) {
      if (map[o] < 0)
        std::memcpy(dst + o * E, fill_.data(), E);
      else
        std::memcpy(dst + o * E, src + static_cast<size_t>(map[o]) * E, E);
    }
  }
  void copy_dim(size_t d, char* dst, const char* src) const {
    const std::vector<int64_t>& map = maps_[d];
    if (d + 1 == out_.size()) {
      switch (elem_) {
        case 1:
          copy_row<1>(dst, src, map);
          break;
        case 2:
          copy_row<2>(dst, src, map);
          break;
        case 4:
          copy_row<4>(dst, src, map);
          break;
        default:
          copy_row<8>(dst, src, map);
          break;
      }
      return;
    }
    const size_t out_block = static_cast<size_t>(out_strides_[d]) * elem_;
    for (size_t o = 0; o < map.size(); ++o) {
      char* out = dst + o * out_block;
      if (map[o] < 0) {
        fill_block(out, out_strides_[d]);
      } else if (o > 0 && map[o] == map[o - 1]) {
        std::memcpy(out, out - out_block, out_block);  // repeated source row (upsampling): copy the finished row
      } else {
        copy_dim(d + 1, out, src + static_cast<size_t>(map[o] * in_strides_[d]) * elem_);
      }
    }
  }

  Shape in_, out_;
  std::vector<std::vector<int64_t>> maps_;  // per dim: source index per output index, -1 = fill
  size_t elem_;
  std::vector<uint8_t> fill_;  // extrapolation value as one element
  std::vector<int64_t> in_strides_, out_strides_;
};

// ---- linear / cubic: separable passes over the resized axes ----

template <class C>
class InterpKernel : public OpKernel {
 public:
  InterpKernel(DType dtype, Shape in, std::vector<AxisPlan> passes, double extrapolation)
      : dtype_(dtype), in_(std::move(in)), passes_(std::move(passes)), extrapolation_(static_cast<C>(extrapolation)) {
    Shape cur = in_;
    size_t max_numel = static_cast<size_t>(shape_numel(cur));
    for (const AxisPlan& p : passes_) {
      cur[static_cast<size_t>(p.axis)] = p.out;
      max_numel = std::max(max_numel, static_cast<size_t>(shape_numel(cur)));
      std::vector<C> w(p.w.begin(), p.w.end());
      weights_.push_back(std::move(w));
    }
    buf_[0].resize(max_numel);
    buf_[1].resize(max_numel);
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    Tensor& y = *ctx.outputs[0];
    if (y.numel() == 0) return Status();
    // Load the input into compute precision (no copy for float32 / float64 in their own type).
    const C* src;
    if (is_native()) {
      src = static_cast<const C*>(x.raw_data());
    } else {
      for (int64_t i = 0; i < x.numel(); ++i) buf_[0][static_cast<size_t>(i)] = static_cast<C>(read_double(x, i));
      src = buf_[0].data();
    }
    Shape cur = in_;
    int which = is_native() ? 0 : 1;
    for (size_t k = 0; k < passes_.size(); ++k) {
      const AxisPlan& p = passes_[k];
      const bool last = k + 1 == passes_.size();
      C* dst = (last && is_native()) ? static_cast<C*>(y.raw_data()) : buf_[which].data();
      run_pass(p, weights_[k], cur, src, dst);
      cur[static_cast<size_t>(p.axis)] = p.out;
      src = dst;
      which ^= 1;
    }
    if (passes_.empty() && is_native()) {
      std::memcpy(y.raw_data(), x.raw_data(), y.nbytes());
    } else if (!is_native()) {
      for (int64_t i = 0; i < y.numel(); ++i) shape_ops::write_double(y, i, static_cast<double>(src[i]));
    }
    return Status();
  }

 private:
  bool is_native() const {
    return (std::is_same_v<C, float> && dtype_ == DType::kFloat32) ||
           (std::is_same_v<C, double> && dtype_ == DType::kFloat64);
  }

  // [outer, in, inner] -> [outer, out, inner] along p.axis.
  void run_pass(const AxisPlan& p, const std::vector<C>& w, const Shape& cur, const C* src, C* dst) const {
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < cur.size(); ++d) {
      if (static_cast<int>(d) < p.axis) outer *= cur[d];
      if (static_cast<int>(d) > p.axis) inner *= cur[d];
    }
    const int taps = p.taps;
    for (int64_t o = 0; o < outer; ++o) {
      const C* s = src + o * p.in * inner;
      C* dd = dst + o * p.out * inner;
      for (int64_t j = 0; j < p.out; ++j) {
        C* row = dd + j * inner;
        if (p.extrapolate[static_cast<size_t>(j)]) {
          std::fill(row, row + inner, extrapolation_);
          continue;
        }
        const int64_t* idx = &p.idx[static_cast<size_t>(j * taps)];
        const C* wj = &w[static_cast<size_t>(j * taps)];
        if (inner == 1) {
          C acc = 0;
          for (int t = 0; t < taps; ++t) acc += wj[t] * s[idx[t]];
          row[0] = acc;
          continue;
        }
        const C* r0 = s + idx[0] * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] = wj[0] * r0[i];
        for (int t = 1; t < taps; ++t) {
          const C* rt = s + idx[t] * inner;
          const C wt = wj[t];
          if (wt == C(0)) continue;
          for (int64_t i = 0; i < inner; ++i) row[i] += wt * rt[i];
        }
      }
    }
  }

  DType dtype_;
  Shape in_;
  std::vector<AxisPlan> passes_;
  std::vector<std::vector<C>> weights_;
  C extrapolation_;
  std::vector<C> buf_[2];  // ping-pong intermediates, sized at prepare
};

// ---- prepare ----

Expected<ResizeAttrs> parse_attrs(const PrepareContext& ctx, bool legacy) {
  ResizeAttrs at;
  const Node& n = ctx.node();
  const std::string mode = n.attr_string("mode", "nearest");
  if (mode == "nearest")
    at.mode = InterpMode::kNearest;
  else if (mode == "linear" || (legacy && mode == "bilinear"))
    at.mode = InterpMode::kLinear;
  else if (mode == "cubic" && !legacy)
    at.mode = InterpMode::kCubic;
  else
    return ctx.error("unknown mode '", mode, "'");
  if (legacy) {
    at.coord = CoordMode::kAsymmetric;
    at.nearest = NearestMode::kSimple;
    return at;
  }
  const std::string coord = n.attr_string("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel")
    at.coord = CoordMode::kHalfPixel;
  else if (coord == "half_pixel_symmetric")
    at.coord = CoordMode::kHalfPixelSymmetric;
  else if (coord == "pytorch_half_pixel")
    at.coord = CoordMode::kPytorchHalfPixel;
  else if (coord == "align_corners")
    at.coord = CoordMode::kAlignCorners;
  else if (coord == "asymmetric")
    at.coord = CoordMode::kAsymmetric;
  else if (coord == "tf_half_pixel_for_nn")
    at.coord = CoordMode::kTfHalfPixelForNn;
  else if (coord == "tf_crop_and_resize")
    at.coord = CoordMode::kTfCropAndResize;
  else
    return ctx.error("unknown coordinate_transformation_mode '", coord, "'");
  const std::string nearest = n.attr_string("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor")
    at.nearest = NearestMode::kRoundPreferFloor;
  else if (nearest == "round_prefer_ceil")
    at.nearest = NearestMode::kRoundPreferCeil;
  else if (nearest == "floor")
    at.nearest = NearestMode::kFloor;
  else if (nearest == "ceil")
    at.nearest = NearestMode::kCeil;
  else
    return ctx.error("unknown nearest_mode '", nearest, "'");
  at.cubic_a = n.attr_float("cubic_coeff_a", -0.75f);
  at.exclude_outside = n.attr_int("exclude_outside", 0) != 0;
  at.extrapolation_value = n.attr_float("extrapolation_value", 0.0f);
  if (ctx.opset() >= 18) at.antialias = n.attr_int("antialias", 0) != 0;
  return at;
}

Expected<std::vector<double>> float_list(PrepareContext& ctx, int i, const char* what) {
  ER_ASSIGN_OR_RETURN(const Tensor* t, ctx.input_value(i));
  if (t->dtype() != DType::kFloat32 && t->dtype() != DType::kFloat64 && t->dtype() != DType::kFloat16 &&
      t->dtype() != DType::kBFloat16)
    return ctx.error(what, " must be a float tensor, got ", dtype_name(t->dtype()));
  std::vector<double> v(static_cast<size_t>(t->numel()));
  for (int64_t k = 0; k < t->numel(); ++k) v[static_cast<size_t>(k)] = read_double(*t, k);
  return v;
}

// Shared by Resize and Upsample once scales/sizes are known. `scales`/`sizes` have one entry per
// element of `axes` (at most one of them non-empty); `roi` has 2 * axes.size() entries or none.
Expected<std::unique_ptr<OpKernel>> build_resize(PrepareContext& ctx, const ResizeAttrs& at, std::vector<int> axes,
                                                 std::vector<double> scales, std::vector<int64_t> sizes,
                                                 std::vector<double> roi, const std::string& aspect_policy) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(shape_ops::check_copyable(ctx, dt, "input"));
  const Shape& in = ctx.input_shape(0);
  const int r = static_cast<int>(in.size());
  const size_t na = axes.size();
  if (!roi.empty() && roi.size() != 2 * na) return ctx.error("roi has ", roi.size(), " values, expected ", 2 * na);
  std::vector<double> roi_start(static_cast<size_t>(r), 0.0), roi_end(static_cast<size_t>(r), 1.0);
  if (at.coord == CoordMode::kTfCropAndResize) {
    for (size_t i = 0; i < na && !roi.empty(); ++i) {
      if (!std::isfinite(roi[i]) || !std::isfinite(roi[i + na])) return ctx.error("roi values must be finite");
      roi_start[static_cast<size_t>(axes[i])] = roi[i];
      roi_end[static_cast<size_t>(axes[i])] = roi[i + na];
    }
  }
  std::vector<double> scale(static_cast<size_t>(r), 1.0);
  Shape out = in;
  if (!scales.empty()) {
    if (scales.size() != na) return ctx.error("scales has ", scales.size(), " values, expected ", na);
    for (size_t i = 0; i < na; ++i) {
      const size_t d = static_cast<size_t>(axes[i]);
      if (!(scales[i] > 0.0) || !std::isfinite(scales[i])) return ctx.error("scales must be positive, got ", scales[i]);
      const double extent = static_cast<double>(in[d]) * (roi_end[d] - roi_start[d]) * scales[i];
      if (!(extent >= 0.0) || extent > 4.0e18) return ctx.error("resized size of axis ", d, " is out of range");
      scale[d] = scales[i];
      out[d] = static_cast<int64_t>(std::floor(extent));
    }
  } else {
    if (sizes.size() != na) return ctx.error("sizes has ", sizes.size(), " values, expected ", na);
    for (size_t i = 0; i < na; ++i) {
      const size_t d = static_cast<size_t>(axes[i]);
      if (sizes[i] < 0) return ctx.error("sizes has a negative value ", sizes[i]);
      if (in[d] == 0 && sizes[i] != 0) return ctx.error("cannot resize axis ", d, " of length 0 to ", sizes[i]);
      scale[d] = in[d] == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(in[d]);
      out[d] = sizes[i];
    }
    if (aspect_policy != "stretch") {
      if (aspect_policy != "not_larger" && aspect_policy != "not_smaller")
        return ctx.error("unknown keep_aspect_ratio_policy '", aspect_policy, "'");
      double common = aspect_policy == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
      for (int a : axes) {
        const double s = scale[static_cast<size_t>(a)];
        common = aspect_policy == "not_larger" ? std::min(common, s) : std::max(common, s);
      }
      for (int a : axes) {
        const size_t d = static_cast<size_t>(a);
        scale[d] = common;
        out[d] = static_cast<int64_t>(common * static_cast<double>(in[d]) + 0.5);  // round half up
      }
    }
  }
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(dt)).status());
  if (at.mode != InterpMode::kNearest && (dt == DType::kBool || dt == DType::kString))
    return ctx.unsupported_error("mode linear/cubic on dtype ", dtype_name(dt), " is not supported");
  ctx.set_output(0, dt, out);

  std::vector<AxisPlan> passes;
  for (int d = 0; d < r; ++d) {
    const size_t u = static_cast<size_t>(d);
    const bool trivial_roi = roi_start[u] == 0.0 && roi_end[u] == 1.0;
    // An axis left at its size with scale 1 maps every index to itself in all modes.
    if (out[u] == in[u] && scale[u] == 1.0 && (trivial_roi || at.coord != CoordMode::kTfCropAndResize)) continue;
    if (out[u] == 0 || in[u] == 0) continue;  // empty output: nothing is computed
    passes.push_back(plan_axis(at, d, in[u], out[u], scale[u], roi_start[u], roi_end[u]));
  }

  if (at.mode == InterpMode::kNearest) {
    std::vector<std::vector<int64_t>> maps(static_cast<size_t>(r));
    for (int d = 0; d < r; ++d) {
      std::vector<int64_t>& m = maps[static_cast<size_t>(d)];
      m.resize(static_cast<size_t>(out[static_cast<size_t>(d)]));
      for (size_t j = 0; j < m.size(); ++j) m[j] = static_cast<int64_t>(j);
    }
    for (const AxisPlan& p : passes) {
      std::vector<int64_t>& m = maps[static_cast<size_t>(p.axis)];
      for (size_t j = 0; j < m.size(); ++j) m[j] = p.extrapolate[j] ? -1 : p.idx[j];
    }
    std::vector<uint8_t> fill(dtype_size(dt));
    encode_double(dt, at.extrapolation_value, fill.data());
    return make_kernel<NearestKernel>(in, out, std::move(maps), dtype_size(dt), std::move(fill));
  }
  if (dt == DType::kFloat64)
    return make_kernel<InterpKernel<double>>(dt, in, std::move(passes), at.extrapolation_value);
  return make_kernel<InterpKernel<float>>(dt, in, std::move(passes), at.extrapolation_value);
}

std::vector<int> all_axes(int r) {
  std::vector<int> axes;
  for (int i = 0; i < r; ++i) axes.push_back(i);
  return axes;
}

Expected<std::unique_ptr<OpKernel>> prepare_resize(PrepareContext& ctx) {
  const bool legacy = ctx.opset() < 11;
  ER_ASSIGN_OR_RETURN(ResizeAttrs at, parse_attrs(ctx, legacy));
  const int r = static_cast<int>(ctx.input_shape(0).size());
  if (legacy) {
    ER_ASSIGN_OR_RETURN(std::vector<double> scales, float_list(ctx, 1, "scales"));
    return build_resize(ctx, at, all_axes(r), std::move(scales), {}, {}, "stretch");
  }
  std::vector<int> axes = all_axes(r);
  if (ctx.opset() >= 18 && ctx.node().has_attr("axes")) {
    ER_ASSIGN_OR_RETURN(axes, shape_ops::normalize_axes(ctx, ctx.node().attr_ints("axes"), r, "axes"));
  }
  std::vector<double> roi, scales;
  std::vector<int64_t> sizes;
  if (at.coord == CoordMode::kTfCropAndResize && ctx.has_input(1)) {
    ER_ASSIGN_OR_RETURN(roi, float_list(ctx, 1, "roi"));
  }
  if (ctx.has_input(2)) {
    ER_ASSIGN_OR_RETURN(scales, float_list(ctx, 2, "scales"));
  }
  if (ctx.has_input(3)) {
    ER_ASSIGN_OR_RETURN(sizes, shape_ops::int_list_input(ctx, 3, "sizes"));
  }
  if (!scales.empty() && !sizes.empty()) return ctx.error("only one of scales and sizes may be given");
  if (scales.empty() && sizes.empty()) {
    // Both empty is only meaningful for a rank-0 or all-empty request; treat as an error like the spec.
    return ctx.error("one of scales and sizes is required");
  }
  // keep_aspect_ratio_policy only applies to sizes.
  const std::string policy = ctx.opset() >= 18 && !sizes.empty()
                                 ? ctx.node().attr_string("keep_aspect_ratio_policy", "stretch")
                                 : std::string("stretch");
  if (at.coord == CoordMode::kTfCropAndResize && roi.empty()) return ctx.error("tf_crop_and_resize needs roi");
  return build_resize(ctx, at, std::move(axes), std::move(scales), std::move(sizes), std::move(roi), policy);
}

Expected<std::unique_ptr<OpKernel>> prepare_upsample(PrepareContext& ctx) {
  ER_ASSIGN_OR_RETURN(ResizeAttrs at, parse_attrs(ctx, true));
  const int r = static_cast<int>(ctx.input_shape(0).size());
  std::vector<double> scales;
  if (ctx.opset() < 9) {
    if (!ctx.node().has_attr("scales")) return ctx.error("attribute 'scales' is required");
    for (float f : ctx.node().attr_floats("scales")) scales.push_back(f);
  } else {
    ER_ASSIGN_OR_RETURN(scales, float_list(ctx, 1, "scales"));
  }
  return build_resize(ctx, at, all_axes(r), std::move(scales), {}, {}, "stretch");
}

}  // namespace

void register_resize_ops(OpRegistry& r) {
  r.add({"", "Resize", 10, INT_MAX, prepare_resize});
  r.add({"", "Upsample", 7, 9, prepare_upsample});
}

}  // namespace edgerun
