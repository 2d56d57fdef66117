// Pad: modes constant / reflect / edge / wrap; negative pads crop. Pads come from the
// 'paddings' (opset 1) or 'pads' (2-10) attribute or input 1 (11+), optionally per 'axes' (18+).
// Cropping happens first: reflect/edge/wrap use the edges of the cropped input (as np.pad
// applied after slicing).
#include <algorithm>

#include "ops/op_util.h"
#include "ops/shape_util.h"

namespace edgerun::shape_ops {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct PadDim {
  int64_t out = 0;     // output length
  int64_t before = 0;  // elements added before the kept range (>= 0)
  int64_t lo = 0;      // first kept input index (> 0 when cropping at the start)
  int64_t n = 0;       // number of kept input elements
};

class PadKernel : public OpKernel {
 public:
  PadKernel(PadMode mode, std::vector<PadDim> dims, const Shape& in, size_t elem, std::vector<uint8_t> value,
            bool value_from_input)
      : mode_(mode),
        dims_(std::move(dims)),
        elem_(elem),
        value_(std::move(value)),
        value_from_input_(value_from_input),
        in_strides_(contiguous_strides(in)),
        out_block_(dims_.size()) {
    int64_t block = 1;
    for (size_t d = dims_.size(); d-- > 0;) {
      out_block_[d] = block;
      block *= dims_[d].out;
    }
  }

  Status run(KernelContext& ctx) override {
    const uint8_t* value = value_.data();
    if (value_from_input_ && ctx.inputs.size() > 2 && ctx.inputs[2] && ctx.inputs[2]->numel() == 1)
      value = static_cast<const uint8_t*>(ctx.inputs[2]->raw_data());
    char* dst = static_cast<char*>(ctx.outputs[0]->raw_data());
    const char* src = static_cast<const char*>(ctx.inputs[0]->raw_data());
    if (ctx.outputs[0]->numel() == 0) return Status();
    if (dims_.empty()) {
      std::memcpy(dst, src, elem_);
      return Status();
    }
    pad_dim(0, dst, src, value);
    return Status();
  }

 private:
  // Input index for output index o along dim d, or -1 for the constant value.
  int64_t source_index(const PadDim& p, int64_t o) const {
    int64_t j = o - p.before;
    if (j >= 0 && j < p.n) return p.lo + j;
    switch (mode_) {
      case PadMode::kConstant:
        return -1;
      case PadMode::kEdge:
        return p.lo + (j < 0 ? 0 : p.n - 1);
      case PadMode::kWrap: {
        int64_t m = j % p.n;
        return p.lo + (m < 0 ? m + p.n : m);
      }
      case PadMode::kReflect: {
        if (p.n == 1) return p.lo;
        const int64_t period = 2 * (p.n - 1);
        int64_t m = j % period;
        if (m < 0) m += period;
        return p.lo + (m < p.n ? m : period - m);
      }
    }
    return -1;
  }

  void fill(char* dst, int64_t count, const uint8_t* value) const {
    for (int64_t i = 0; i < count; ++i) std::memcpy(dst + static_cast<size_t>(i) * elem_, value, elem_);
  }

  void pad_dim(size_t d, char* dst, const char* src, const uint8_t* value) const {
    const PadDim& p = dims_[d];
    const bool last = d + 1 == dims_.size();
    const size_t block = static_cast<size_t>(out_block_[d]) * elem_;  // bytes of one output index along d
    for (int64_t o = 0; o < p.out; ++o) {
      char* out = dst + static_cast<size_t>(o) * block;
      if (last && o == p.before && p.n > 0) {  // the kept middle of a row is one memcpy
        std::memcpy(out, src + static_cast<size_t>(p.lo) * elem_, static_cast<size_t>(p.n) * elem_);
        o += p.n - 1;
        continue;
      }
      const int64_t i = source_index(p, o);
      if (i < 0) {
        fill(out, out_block_[d], value);
      } else if (last) {
        std::memcpy(out, src + static_cast<size_t>(i) * elem_, elem_);
      } else {
        pad_dim(d + 1, out, src + static_cast<size_t>(i * in_strides_[d]) * elem_, value);
      }
    }
  }

  PadMode mode_;
  std::vector<PadDim> dims_;
  size_t elem_;
  std::vector<uint8_t> value_;  // constant value bytes (attribute, or zero when input 2 is absent)
  bool value_from_input_;
  std::vector<int64_t> in_strides_;  // input strides in elements
  std::vector<int64_t> out_block_;   // output elements per index of each dim
};

Expected<std::unique_ptr<OpKernel>> prepare_pad(PrepareContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  ER_RETURN_IF_ERROR(check_copyable(ctx, dt, "input"));
  const Shape& in = ctx.input_shape(0);
  const int r = static_cast<int>(in.size());
  const std::string mode_name = ctx.node().attr_string("mode", "constant");
  PadMode mode;
  if (mode_name == "constant")
    mode = PadMode::kConstant;
  else if (mode_name == "reflect")
    mode = PadMode::kReflect;
  else if (mode_name == "edge")
    mode = PadMode::kEdge;
  else if (mode_name == "wrap")
    mode = PadMode::kWrap;
  else
    return ctx.error("unknown mode '", mode_name, "'");

  std::vector<int64_t> pads;
  std::vector<uint8_t> value(dtype_size(dt), 0);
  bool value_from_input = false;
  if (ctx.opset() < 11) {
    const char* name = ctx.opset() < 2 ? "paddings" : "pads";
    if (!ctx.node().has_attr(name)) return ctx.error("attribute '", name, "' is required");
    pads = ctx.node().attr_ints(name);
    encode_double(dt, ctx.node().attr_float("value", 0.0f), value.data());
  } else {
    ER_ASSIGN_OR_RETURN(pads, int_list_input(ctx, 1, "pads"));
    if (ctx.has_input(2)) {
      if (ctx.input_dtype(2) != dt)
        return ctx.error("constant_value has dtype ", dtype_name(ctx.input_dtype(2)), ", data has ", dtype_name(dt));
      const int64_t nv = shape_numel(ctx.input_shape(2));
      if (nv > 1) return ctx.error("constant_value must be a scalar, got shape [", shape_str(ctx.input_shape(2)), "]");
      value_from_input = nv == 1;
    }
  }
  std::vector<int> axes;
  if (ctx.opset() >= 18 && ctx.has_input(3)) {
    ER_ASSIGN_OR_RETURN(std::vector<int64_t> raw_axes, int_list_input(ctx, 3, "axes"));
    ER_ASSIGN_OR_RETURN(axes, normalize_axes(ctx, raw_axes, r, "axes"));
  } else {
    for (int i = 0; i < r; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size())
    return ctx.error("pads has ", pads.size(), " values, expected ", 2 * axes.size(), " (2 per axis)");

  std::vector<int64_t> begin(static_cast<size_t>(r), 0), end(static_cast<size_t>(r), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    begin[static_cast<size_t>(axes[i])] = pads[i];
    end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }
  std::vector<PadDim> dims(static_cast<size_t>(r));
  Shape out(static_cast<size_t>(r));
  for (size_t d = 0; d < static_cast<size_t>(r); ++d) {
    PadDim& p = dims[d];
    const int64_t b = begin[d], e = end[d];
    const int64_t crop_b = b < 0 ? -b : 0, crop_e = e < 0 ? -e : 0;
    if (b == INT64_MIN || e == INT64_MIN || crop_b > in[d] || crop_e > in[d] - crop_b)
      return ctx.error("pads crop more than the ", in[d], " elements of axis ", d);
    p.lo = crop_b;
    p.n = in[d] - crop_b - crop_e;
    p.before = b > 0 ? b : 0;
    const int64_t after = e > 0 ? e : 0;
    if (__builtin_add_overflow(p.n, p.before, &p.out) || __builtin_add_overflow(p.out, after, &p.out))
      return ctx.error("padded size of axis ", d, " overflows");
    if (p.n == 0 && p.out > 0 && mode != PadMode::kConstant)
      return ctx.error("mode '", mode_name, "' cannot pad axis ", d, ", which has no elements");
    out[d] = p.out;
  }
  ER_RETURN_IF_ERROR(checked_numel(ctx, out, dtype_size(dt)).status());
  ctx.set_output(0, dt, out);
  return make_kernel<PadKernel>(mode, std::move(dims), in, dtype_size(dt), std::move(value), value_from_input);
}

}  // namespace

void register_pad_ops(OpRegistry& r) { r.add({"", "Pad", 1, INT_MAX, prepare_pad}); }

}  // namespace edgerun::shape_ops
