// The op interface: each op validates attributes and infers output shapes at prepare time
// (TFLM-style Init/Prepare/Eval), returning a kernel object whose run() does only the math.
#pragma once

#include <climits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "graph/ir.h"

namespace edgerun {

class ThreadPool;

// What prepare knows about one input: dtype, concrete shape, and the data when it is constant.
struct ValueInfo {
  DType dtype = DType::kUndefined;
  Shape shape;
  const Tensor* constant = nullptr;  // initializer, Constant, or folded value; nullptr at run time only
  int value_id = -1;                 // index into Graph::values
};

// Run-time view of a node's tensors. Omitted optional inputs/outputs are nullptr.
// Output tensors are preallocated with the dtype and shape set at prepare.
struct KernelContext {
  std::vector<const Tensor*> inputs;
  std::vector<Tensor*> outputs;
  ThreadPool* pool = nullptr;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual Status run(KernelContext& ctx) = 0;
  // Bytes of weights this kernel repacked at prepare and owns (reported by inspect/bench).
  virtual size_t packed_bytes() const { return 0; }
  // Input indices whose constant data this kernel copied (packed) at prepare and never reads at run time:
  // the planner may release those source pages (madvise) to keep peak RSS at one copy of the weights.
  virtual std::vector<int> packed_inputs() const { return {}; }
  // Which implementation runs, for profiles ("gemm-6x16-avx2", "winograd-f6x6-avx2", "reference").
  virtual const char* variant() const { return "reference"; }
  // Floating-point operations of one run (multiply-add = 2), 0 if not counted.
  virtual double flops() const { return 0.0; }
  // An input whose buffer the output may take over (the memory plan then writes the output there when this step is
  // that input's last reader), or -1. Only for kernels that read every element of that input before writing the same
  // output element and never read it after: e.g. a conv adding its residual in the GEMM's store phase.
  virtual int in_place_input() const { return -1; }
};

// Lets an op ask for the value of a non-constant input at prepare (e.g. Reshape's `shape`
// fed as a graph input). The planner then re-prepares whenever that input's contents change.
class InputValueResolver {
 public:
  virtual ~InputValueResolver() = default;
  virtual const Tensor* resolve(int value_id) = 0;  // nullptr if the value is computed at run time
};

class PrepareContext {
 public:
  PrepareContext(const Node& node, int64_t opset, std::vector<ValueInfo> inputs,
                 InputValueResolver* resolver);

  const Node& node() const { return node_; }
  // Session backend "reference": ops must choose their plain reference kernels (the test oracle).
  bool reference_kernels() const { return backend_ == "reference"; }
  void set_reference_kernels(bool on) { backend_ = on ? "reference" : "cpu"; }
  // Session backend: "cpu" (own kernels), "reference" or "xnnpack" (the planner swaps in the XNNPACK adapter's
  // kernel after the op's own prepare when src/backends/xnnpack covers the node).
  const std::string& backend() const { return backend_; }
  void set_backend(std::string backend) { backend_ = std::move(backend); }
  int64_t opset() const { return opset_; }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const { return i >= 0 && i < num_inputs() && inputs_[static_cast<size_t>(i)].value_id >= 0; }
  const ValueInfo& input(int i) const { return inputs_[static_cast<size_t>(i)]; }
  DType input_dtype(int i) const { return input(i).dtype; }
  const Shape& input_shape(int i) const { return input(i).shape; }
  // Constant data of input i, or nullptr (never binds a graph input).
  const Tensor* constant_input(int i) const { return has_input(i) ? input(i).constant : nullptr; }
  // Data of input i needed to decide shapes: a constant, or a graph input's current value.
  // Error naming the node and input when it is computed at run time (dynamic shapes).
  Expected<const Tensor*> input_value(int i);

  int num_outputs() const { return static_cast<int>(node_.outputs.size()); }
  bool has_output(int i) const { return i >= 0 && i < num_outputs() && node_.outputs[static_cast<size_t>(i)] >= 0; }
  void set_output(int i, DType dtype, Shape shape);
  // The output's value is known now (Shape, Constant, ...): the planner stores it as a constant.
  void set_output_constant(int i, Tensor value);

  // Errors that name the node: ctx.error("kernel_shape must have 2 values, got ", n).
  template <class... Args>
  Status error(const Args&... args) const { return invalid_model(node_.describe(), ": ", args...); }
  template <class... Args>
  Status unsupported_error(const Args&... args) const { return unsupported(node_.describe(), ": ", args...); }

  // For the planner.
  struct OutputInfo {
    bool set = false;
    DType dtype = DType::kUndefined;
    Shape shape;
    Tensor constant;
  };
  const std::vector<OutputInfo>& outputs() const { return outputs_; }

 private:
  const Node& node_;
  int64_t opset_;
  std::vector<ValueInfo> inputs_;
  InputValueResolver* resolver_;
  std::vector<OutputInfo> outputs_;
  std::string backend_ = "cpu";
};

using PrepareFn = Expected<std::unique_ptr<OpKernel>> (*)(PrepareContext& ctx);

struct OpSchema {
  std::string domain;   // "" = ai.onnx, "com.microsoft"
  std::string op_type;
  int since_version = 1;        // first opset whose semantics this prepare implements
  int until_version = INT_MAX;  // last opset (inclusive)
  PrepareFn prepare = nullptr;
};

class OpRegistry {
 public:
  static const OpRegistry& get();  // built once, on first use
  void add(OpSchema schema);
  const OpSchema* find(std::string_view domain, std::string_view op_type, int64_t opset) const;
  bool knows(std::string_view domain, std::string_view op_type) const;  // any version
  const std::vector<OpSchema>& all() const { return schemas_; }

 private:
  std::vector<OpSchema> schemas_;
};

// Convenience for ops whose kernel is a lambda-free function object.
template <class K, class... Args>
Expected<std::unique_ptr<OpKernel>> make_kernel(Args&&... args) {
  return std::unique_ptr<OpKernel>(new K(std::forward<Args>(args)...));
}

// One registration function per op family (src/ops/<family>.cpp); registry.cpp calls them all.
void register_elementwise_ops(OpRegistry& r);  // unary, binary, logical, comparison, Where, Clip, Cast
void register_reduce_ops(OpRegistry& r);       // Reduce*, ArgMax/ArgMin
void register_shape_ops(OpRegistry& r);        // Reshape, Transpose, Concat, Slice, Gather, Shape, ...
void register_resize_ops(OpRegistry& r);       // Resize, Upsample
void register_conv_ops(OpRegistry& r);         // Conv, ConvTranspose
void register_conv_chain_op(OpRegistry& r);    // com.edgerun.ConvChain (1x1 -> depthwise -> 1x1, conv_chain.cpp)
void register_pool_ops(OpRegistry& r);         // MaxPool, AveragePool, Global*Pool
void register_matmul_ops(OpRegistry& r);       // MatMul, Gemm
void register_norm_ops(OpRegistry& r);         // BatchNormalization, LayerNormalization, Softmax, ...
void register_quant_ops(OpRegistry& r);        // QuantizeLinear, QLinearConv, ConvInteger, com.microsoft QLinear*

}  // namespace edgerun
