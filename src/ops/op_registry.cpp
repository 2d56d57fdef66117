#include "ops/op_registry.h"

namespace edgerun {

PrepareContext::PrepareContext(const Node& node, int64_t opset, std::vector<ValueInfo> inputs,
                               InputValueResolver* resolver)
    : node_(node), opset_(opset), inputs_(std::move(inputs)), resolver_(resolver),
      outputs_(node.outputs.size()) {}

Expected<const Tensor*> PrepareContext::input_value(int i) {
  if (!has_input(i)) return error("input ", i, " is required");
  const ValueInfo& in = input(i);
  if (in.constant) return in.constant;
  if (resolver_) {
    if (const Tensor* t = resolver_->resolve(in.value_id)) return t;
  }
  return unsupported_error("input ", i, " must be known before running (a constant or a graph input); "
                           "it is computed at run time, which makes output shapes data-dependent");
}

void PrepareContext::set_output(int i, DType dtype, Shape shape) {
  if (i < 0 || i >= num_outputs()) return;
  OutputInfo& o = outputs_[static_cast<size_t>(i)];
  o.set = true;
  o.dtype = dtype;
  o.shape = std::move(shape);
}

void PrepareContext::set_output_constant(int i, Tensor value) {
  if (i < 0 || i >= num_outputs()) return;
  OutputInfo& o = outputs_[static_cast<size_t>(i)];
  o.set = true;
  o.dtype = value.dtype();
  o.shape = value.shape();
  o.constant = std::move(value);
}

void OpRegistry::add(OpSchema schema) { schemas_.push_back(std::move(schema)); }

static bool same_domain(std::string_view a, std::string_view b) {
  auto norm = [](std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; };
  return norm(a) == norm(b);
}

const OpSchema* OpRegistry::find(std::string_view domain, std::string_view op_type, int64_t opset) const {
  const OpSchema* best = nullptr;
  for (const OpSchema& s : schemas_) {
    if (s.op_type != op_type || !same_domain(s.domain, domain)) continue;
    if (opset < s.since_version || opset > s.until_version) continue;
    if (!best || s.since_version > best->since_version) best = &s;
  }
  return best;
}

bool OpRegistry::knows(std::string_view domain, std::string_view op_type) const {
  for (const OpSchema& s : schemas_)
    if (s.op_type == op_type && same_domain(s.domain, domain)) return true;
  return false;
}

const OpRegistry& OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_elementwise_ops(r);
    register_reduce_ops(r);
    register_shape_ops(r);
    register_resize_ops(r);
    register_conv_ops(r);
    register_conv_chain_op(r);
    register_pool_ops(r);
    register_matmul_ops(r);
    register_norm_ops(r);
    register_quant_ops(r);
    return r;
  }();
  return registry;
}

}  // namespace edgerun
