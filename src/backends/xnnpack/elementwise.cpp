// Element-wise float32 ops through XNNPACK: Add / Mul (numpy broadcasting up to 6 dims, xnn_{add,multiply}_nd_f32)
// and Relu / Clip / HardSwish / Sigmoid / LeakyRelu (xnn_*_nc_f32 over the flat tensor). Layout-agnostic: no
// transposes. Constant operands are copied at prepare into buffers with XNNPACK's read-past-the-end slack.
#include <limits>

#include "backends/xnnpack/xnn_ops.h"
#include "backends/xnnpack/xnn_util.h"

namespace edgerun::xnn {
namespace {

class BinaryKernel : public OpKernel {
 public:
  bool mul = false;
  std::vector<size_t> shape_a, shape_b;
  PaddedBuffer const_a, const_b;  // copies of constant operands (size 0: run-time input)
  OperatorPtr op;
  const float* set_up_a = nullptr;
  const float* set_up_b = nullptr;
  float* set_up_out = nullptr;
  pthreadpool_t set_up_pool = nullptr;
  bool set_up = false;

  Status run(KernelContext& ctx) override {
    pthreadpool_t pool = threadpool_for(ctx);
    const float* a = const_a.size() ? const_a.data() : ctx.inputs[0]->data<float>();
    const float* b = const_b.size() ? const_b.data() : ctx.inputs[1]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    if (!set_up || a != set_up_a || b != set_up_b || y != set_up_out || pool != set_up_pool) {
      enum xnn_status st =
          mul ? xnn_setup_multiply_nd_f32(op.get(), shape_a.size(), shape_a.data(), shape_b.size(), shape_b.data(), a,
                                          b, y, pool)
              : xnn_setup_add_nd_f32(op.get(), shape_a.size(), shape_a.data(), shape_b.size(), shape_b.data(), a, b, y,
                                     pool);
      ER_RETURN_IF_ERROR(check(st, mul ? "setup multiply_nd_f32" : "setup add_nd_f32"));
      set_up = true;
      set_up_a = a;
      set_up_b = b;
      set_up_out = y;
      set_up_pool = pool;
    }
    return check(xnn_run_operator(op.get(), pool), mul ? "run multiply_nd_f32" : "run add_nd_f32");
  }
  std::vector<int> packed_inputs() const override {
    std::vector<int> p;
    if (const_a.size()) p.push_back(0);
    if (const_b.size()) p.push_back(1);
    return p;
  }
  const char* variant() const override { return mul ? "xnnpack-multiply-nd-f32" : "xnnpack-add-nd-f32"; }
};

class UnaryKernel : public OpKernel {
 public:
  kernels::Activation act;
  size_t count = 0;
  OperatorPtr op;
  const float* set_up_in = nullptr;
  float* set_up_out = nullptr;
  pthreadpool_t set_up_pool = nullptr;
  bool set_up = false;

  Status run(KernelContext& ctx) override {
    pthreadpool_t pool = threadpool_for(ctx);
    const float* x = ctx.inputs[0]->data<float>();
    float* y = ctx.outputs[0]->data<float>();
    if (!set_up || x != set_up_in || y != set_up_out || pool != set_up_pool) {
      enum xnn_status st = xnn_status_success;
      switch (act.kind) {
        case kernels::Act::kClamp: st = xnn_setup_clamp_nc_f32(op.get(), count, x, y, pool); break;
        case kernels::Act::kHardSwish: st = xnn_setup_hardswish_nc_f32(op.get(), count, x, y, pool); break;
        case kernels::Act::kSigmoid: st = xnn_setup_sigmoid_nc_f32(op.get(), count, x, y, pool); break;
        case kernels::Act::kLeakyRelu: st = xnn_setup_leaky_relu_nc_f32(op.get(), count, x, y, pool); break;
        default: return internal_error("XNNPACK unary: unexpected activation");
      }
      ER_RETURN_IF_ERROR(check(st, "setup unary"));
      set_up = true;
      set_up_in = x;
      set_up_out = y;
      set_up_pool = pool;
    }
    return check(xnn_run_operator(op.get(), pool), "run unary");
  }
  const char* variant() const override {
    switch (act.kind) {
      case kernels::Act::kClamp: return "xnnpack-clamp-nc-f32";
      case kernels::Act::kHardSwish: return "xnnpack-hardswish-nc-f32";
      case kernels::Act::kSigmoid: return "xnnpack-sigmoid-nc-f32";
      default: return "xnnpack-leaky-relu-nc-f32";
    }
  }
};

std::vector<size_t> xnn_shape(const Shape& s) {
  if (s.empty()) return {1};
  return std::vector<size_t>(s.begin(), s.end());
}

// Reads Clip's bounds (attributes before opset 11, constant scalar inputs 1 and 2 after); false if not constant.
bool clip_bounds(const PrepareContext& ctx, float* lo, float* hi) {
  *lo = -std::numeric_limits<float>::infinity();
  *hi = std::numeric_limits<float>::infinity();
  if (ctx.opset() < 11) {
    *lo = ctx.node().attr_float("min", *lo);
    *hi = ctx.node().attr_float("max", *hi);
    return true;
  }
  for (int i = 1; i <= 2; ++i) {
    if (!ctx.has_input(i)) continue;
    const Tensor* t = ctx.constant_input(i);
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
    (i == 1 ? *lo : *hi) = t->data<float>()[0];
  }
  return true;
}

}  // namespace

Expected<std::unique_ptr<OpKernel>> prepare_binary(PrepareContext& ctx) {
  std::unique_ptr<OpKernel> none;
  if (ctx.num_inputs() != 2 || ctx.input_dtype(0) != DType::kFloat32 || ctx.input_dtype(1) != DType::kFloat32)
    return none;
  const Shape& as = ctx.input_shape(0);
  const Shape& bs = ctx.input_shape(1);
  if (as.size() > XNN_MAX_TENSOR_DIMS || bs.size() > XNN_MAX_TENSOR_DIMS) return none;
  if (shape_numel(ctx.outputs()[0].shape) == 0) return none;
  auto k = std::make_unique<BinaryKernel>();
  k->mul = ctx.node().op_type == "Mul";
  k->shape_a = xnn_shape(as);
  k->shape_b = xnn_shape(bs);
  for (int i = 0; i < 2; ++i) {
    const Tensor* t = ctx.constant_input(i);
    if (!t) continue;
    PaddedBuffer& buf = i == 0 ? k->const_a : k->const_b;
    buf.resize(static_cast<size_t>(t->numel()));
    std::copy(t->data<float>(), t->data<float>() + t->numel(), buf.data());
  }
  const float inf = std::numeric_limits<float>::infinity();
  xnn_operator_t op = nullptr;
  enum xnn_status st = k->mul ? xnn_create_multiply_nd_f32(-inf, inf, 0, &op) : xnn_create_add_nd_f32(-inf, inf, 0, &op);
  if (st == xnn_status_invalid_parameter || st == xnn_status_unsupported_parameter) return none;
  ER_RETURN_IF_ERROR(check(st, "create binary", &ctx));
  k->op.reset(op);
  return std::unique_ptr<OpKernel>(std::move(k));
}

Expected<std::unique_ptr<OpKernel>> prepare_unary(PrepareContext& ctx) {
  std::unique_ptr<OpKernel> none;
  if (ctx.input_dtype(0) != DType::kFloat32) return none;
  const int64_t count = shape_numel(ctx.input_shape(0));
  if (count == 0) return none;
  auto k = std::make_unique<UnaryKernel>();
  k->count = static_cast<size_t>(count);
  const std::string& op_type = ctx.node().op_type;
  xnn_operator_t op = nullptr;
  enum xnn_status st;
  if (op_type == "Relu" || op_type == "Clip") {
    float lo = 0.0f, hi = std::numeric_limits<float>::infinity();
    if (op_type == "Clip" && !clip_bounds(ctx, &lo, &hi)) return none;
    if (!(lo <= hi)) return none;  // ONNX: all outputs = max; leave that (and NaN bounds) to the own kernel
    k->act = kernels::Activation{kernels::Act::kClamp, lo, hi};
    st = xnn_create_clamp_nc_f32(1, 1, 1, lo, hi, 0, &op);
  } else if (op_type == "HardSwish") {
    k->act.kind = kernels::Act::kHardSwish;
    st = xnn_create_hardswish_nc_f32(1, 1, 1, 0, &op);
  } else if (op_type == "Sigmoid") {
    k->act.kind = kernels::Act::kSigmoid;
    st = xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &op);
  } else if (op_type == "LeakyRelu") {
    k->act = kernels::Activation{kernels::Act::kLeakyRelu, ctx.node().attr_float("alpha", 0.01f), 0.0f};
    st = xnn_create_leaky_relu_nc_f32(1, 1, 1, k->act.alpha, 0, &op);
  } else {
    return none;
  }
  if (st == xnn_status_invalid_parameter || st == xnn_status_unsupported_parameter) return none;
  ER_RETURN_IF_ERROR(check(st, "create unary", &ctx));
  k->op.reset(op);
  return std::unique_ptr<OpKernel>(std::move(k));
}

}  // namespace edgerun::xnn
