// Ops whose output is the input with a new shape: Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// and Dropout in inference mode. The planner has no aliasing yet, so each is one memcpy.
#include <algorithm>
#include <cstring>
#include <random>

#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

Expected<std::unique_ptr<OpKernel>> finish_view(PrepareContext& ctx, Shape out_shape) {
  ER_ASSIGN_OR_RETURN(int64_t n, checked_numel(ctx, out_shape));
  if (n != shape_numel(ctx.input_shape(0)))
    return ctx.error("cannot view input of shape [", shape_str(ctx.input_shape(0)), "] as [", shape_str(out_shape),
                     "]: element counts differ");
  ctx.set_output(0, ctx.input_dtype(0), std::move(out_shape));
  return make_kernel<CopyKernel>();
}

// Reshape-1 takes the target shape as an attribute; 5+ as input 1; 14+ adds allowzero.
Expected<std::unique_ptr<OpKernel>> prepare_reshape(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  std::vector<int64_t> target;
  if (ctx.opset() < 5) {
    if (!ctx.node().has_attr("shape")) return ctx.error("attribute 'shape' is required");
    target = ctx.node().attr_ints("shape");
  } else {
    ER_ASSIGN_OR_RETURN(target, int_list_input(ctx, 1, "shape"));
  }
  const bool allowzero = ctx.opset() >= 14 && ctx.node().attr_int("allowzero", 0) != 0;
  const Shape& in = ctx.input_shape(0);
  Shape out(target.size());
  int infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == -1) {
      if (infer_at >= 0) return ctx.error("shape has more than one -1");
      infer_at = static_cast<int>(i);
      out[i] = 1;
    } else if (d < -1) {
      return ctx.error("shape has invalid value ", d);
    } else if (d == 0 && !allowzero) {
      if (i >= in.size()) return ctx.error("shape[", i, "] is 0 (copy) but the input has rank ", in.size());
      out[i] = in[i];
    } else {
      has_zero = has_zero || d == 0;
      out[i] = d;
    }
  }
  if (infer_at >= 0) {
    if (has_zero) return ctx.error("shape has both 0 (with allowzero) and -1");
    ER_ASSIGN_OR_RETURN(int64_t known, checked_numel(ctx, out));
    int64_t total = shape_numel(in);
    if (known == 0 || total % known != 0)
      return ctx.error("cannot infer the -1 in shape: input has ", total, " elements, other dims multiply to ", known);
    out[static_cast<size_t>(infer_at)] = total / known;
  }
  return finish_view(ctx, std::move(out));
}

Expected<std::unique_ptr<OpKernel>> prepare_flatten(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const Shape& in = ctx.input_shape(0);
  const int64_t r = static_cast<int64_t>(in.size());
  int64_t axis = ctx.node().attr_int("axis", 1);
  const int64_t lo = ctx.opset() >= 11 ? -r : 0;
  if (axis < lo || axis > r) return ctx.error("axis ", axis, " is out of range for rank ", r);
  if (axis < 0) axis += r;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? outer : inner) *= in[static_cast<size_t>(i)];
  return finish_view(ctx, {outer, inner});
}

// Axes come from an attribute before opset 13 and from input 1 from 13 on.
Expected<std::vector<int64_t>> axes_attr_or_input(PrepareContext& ctx, bool* given) {
  *given = false;
  if (ctx.opset() < 13) {
    if (!ctx.node().has_attr("axes")) return std::vector<int64_t>{};
    *given = true;
    return ctx.node().attr_ints("axes");
  }
  if (!ctx.has_input(1)) return std::vector<int64_t>{};
  *given = true;
  return int_list_input(ctx, 1, "axes");
}

Expected<std::unique_ptr<OpKernel>> prepare_squeeze(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const Shape& in = ctx.input_shape(0);
  const int r = static_cast<int>(in.size());
  bool given = false;
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_attr_or_input(ctx, &given));
  std::vector<bool> drop(in.size(), false);
  if (!given) {
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  } else {
    ER_ASSIGN_OR_RETURN(std::vector<int> norm, normalize_axes(ctx, axes, r, "axes"));
    for (int a : norm) {
      if (in[static_cast<size_t>(a)] != 1)
        return ctx.error("cannot squeeze axis ", a, " of size ", in[static_cast<size_t>(a)], " (input shape [",
                         shape_str(in), "])");
      drop[static_cast<size_t>(a)] = true;
    }
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  return finish_view(ctx, std::move(out));
}

Expected<std::unique_ptr<OpKernel>> prepare_unsqueeze(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const Shape& in = ctx.input_shape(0);
  bool given = false;
  ER_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_attr_or_input(ctx, &given));
  if (!given) return ctx.error("axes are required");
  const int out_rank = static_cast<int>(in.size() + axes.size());
  if (ctx.opset() < 11) {
    for (int64_t a : axes)
      if (a < 0) return ctx.error("negative axes need opset 11, got ", a);
  }
  ER_ASSIGN_OR_RETURN(std::vector<int> norm, normalize_axes(ctx, axes, out_rank, "axes"));
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int a : norm) inserted[static_cast<size_t>(a)] = true;
  Shape out;
  size_t k = 0;
  for (int i = 0; i < out_rank; ++i) out.push_back(inserted[static_cast<size_t>(i)] ? 1 : in[k++]);
  return finish_view(ctx, std::move(out));
}

Expected<std::unique_ptr<OpKernel>> prepare_identity(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  return finish_view(ctx, ctx.input_shape(0));
}

// Dropout. Inference mode: output = input; the optional mask is all ones (bool from opset 10,
// the input dtype before). Training mode (opset 12+): mask = uniform[0,1) >= ratio, y = x * mask / (1 - ratio).
// The uniform draws follow NumPy's legacy RandomState(seed) (MT19937 seeded like std::mt19937, 53-bit
// doubles from two 32-bit words), which is what the ONNX reference uses, so a given `seed` is reproducible.
class DropoutKernel : public OpKernel {
 public:
  explicit DropoutKernel(std::vector<uint8_t> one) : one_(std::move(one)) {}
  Status run(KernelContext& ctx) override {
    ER_RETURN_IF_ERROR(copy_.run(ctx));
    if (ctx.outputs.size() > 1 && ctx.outputs[1]) {
      Tensor& mask = *ctx.outputs[1];
      char* p = static_cast<char*>(mask.raw_data());
      for (int64_t i = 0; i < mask.numel(); ++i)
        std::memcpy(p + static_cast<size_t>(i) * one_.size(), one_.data(), one_.size());
    }
    return Status();
  }

 private:
  CopyKernel copy_;
  std::vector<uint8_t> one_;  // the bytes of one mask element of value 1
};

class TrainingDropoutKernel : public OpKernel {
 public:
  TrainingDropoutKernel(double ratio, uint32_t seed) : ratio_(ratio), seed_(seed) {}
  Status run(KernelContext& ctx) override {
    const Tensor& x = *ctx.inputs[0];
    Tensor& y = *ctx.outputs[0];
    Tensor* mask = ctx.outputs.size() > 1 ? ctx.outputs[1] : nullptr;
    std::mt19937 rng(seed_);
    const double scale = ratio_ < 1.0 ? 1.0 / (1.0 - ratio_) : 0.0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const uint32_t a = rng() >> 5, b = rng() >> 6;
      const double u = (a * 67108864.0 + b) / 9007199254740992.0;
      const bool keep = u >= ratio_;
      const double v = keep ? read_double(x, i) * static_cast<float>(scale) : 0.0;
      encode_double(y.dtype(), v, static_cast<char*>(y.raw_data()) + static_cast<size_t>(i) * dtype_size(y.dtype()));
      if (mask) mask->data<uint8_t>()[i] = keep ? 1 : 0;
    }
    return Status();
  }

 private:
  double ratio_;
  uint32_t seed_;
};

Expected<std::unique_ptr<OpKernel>> prepare_dropout(PrepareContext& ctx) {
  ER_RETURN_IF_ERROR(check_copyable(ctx, ctx.input_dtype(0), "input"));
  const DType mask_dtype = ctx.opset() >= 10 ? DType::kBool : ctx.input_dtype(0);
  if (ctx.opset() >= 12 && ctx.has_input(2)) {
    ER_ASSIGN_OR_RETURN(const Tensor* mode, ctx.input_value(2));
    if (mode->numel() != 1) return ctx.error("training_mode must be a scalar");
    if (read_double(*mode, 0) != 0.0) {
      double ratio = 0.5;
      if (ctx.has_input(1)) {
        ER_ASSIGN_OR_RETURN(const Tensor* r, ctx.input_value(1));
        if (r->numel() != 1) return ctx.error("ratio must be a scalar");
        ratio = read_double(*r, 0);
      }
      if (!(ratio >= 0.0 && ratio <= 1.0)) return ctx.error("ratio must be in [0, 1], got ", ratio);
      if (ratio != 0.0) {
        const DType t = ctx.input_dtype(0);
        if (t != DType::kFloat32 && t != DType::kFloat64 && t != DType::kFloat16 && t != DType::kBFloat16)
          return ctx.unsupported_error("training-mode Dropout needs a float input, got ", dtype_name(t));
        uint32_t seed = ctx.node().has_attr("seed") ? static_cast<uint32_t>(ctx.node().attr_int("seed", 0))
                                                    : std::random_device{}();
        ctx.set_output(0, t, ctx.input_shape(0));
        if (ctx.has_output(1)) ctx.set_output(1, mask_dtype, ctx.input_shape(0));
        return make_kernel<TrainingDropoutKernel>(ratio, seed);
      }
    }
  }
  std::vector<uint8_t> one(dtype_size(mask_dtype));
  encode_double(mask_dtype, 1.0, one.data());
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  if (ctx.has_output(1)) ctx.set_output(1, mask_dtype, ctx.input_shape(0));
  return make_kernel<DropoutKernel>(std::move(one));
}

}  // namespace

void register_view_ops(OpRegistry& r) {
  r.add({"", "Reshape", 1, INT_MAX, prepare_reshape});
  r.add({"", "Flatten", 1, INT_MAX, prepare_flatten});
  r.add({"", "Squeeze", 1, INT_MAX, prepare_squeeze});
  r.add({"", "Unsqueeze", 1, INT_MAX, prepare_unsqueeze});
  r.add({"", "Identity", 1, INT_MAX, prepare_identity});
  r.add({"", "Dropout", 1, INT_MAX, prepare_dropout});
}

}  // namespace edgerun::shape_ops
