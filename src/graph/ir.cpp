#include "graph/ir.h"

namespace edgerun {

const Attribute* Node::attr(std::string_view attr_name) const {
  for (const Attribute& a : attrs)
    if (a.name == attr_name) return &a;
  return nullptr;
}

int64_t Node::attr_int(std::string_view attr_name, int64_t def) const {
  const Attribute* a = attr(attr_name);
  return a ? a->i : def;
}

float Node::attr_float(std::string_view attr_name, float def) const {
  const Attribute* a = attr(attr_name);
  return a ? a->f : def;
}

std::string Node::attr_string(std::string_view attr_name, const std::string& def) const {
  const Attribute* a = attr(attr_name);
  return a ? a->s : def;
}

std::vector<int64_t> Node::attr_ints(std::string_view attr_name, const std::vector<int64_t>& def) const {
  const Attribute* a = attr(attr_name);
  return a ? a->ints : def;
}

std::vector<float> Node::attr_floats(std::string_view attr_name, const std::vector<float>& def) const {
  const Attribute* a = attr(attr_name);
  return a ? a->floats : def;
}

std::string Node::describe() const {
  std::string d = "node '" + name + "' (";
  if (!domain.empty()) d += domain + ".";
  return d + op_type + ")";
}

Tensor ScaledConstant::compute(const Tensor& source) const {
  Tensor t = Tensor::empty(DType::kFloat32, source.shape());
  if (!t.defined()) return t;
  const int64_t m = static_cast<int64_t>(scale.size());
  const int64_t per_slice = m > 0 ? source.numel() / m : 0;
  const float* src = source.data<float>();
  float* dst = t.data<float>();
  for (int64_t c = 0; c < m; ++c) {
    const double s = scale[static_cast<size_t>(c)];
    for (int64_t i = 0; i < per_slice; ++i) dst[c * per_slice + i] = static_cast<float>(src[c * per_slice + i] * s);
  }
  return t;
}

int Graph::find_value(std::string_view value_name) const {
  auto it = index_.find(std::string(value_name));
  return it == index_.end() ? -1 : it->second;
}

int Graph::add_value(const std::string& value_name) {
  auto it = index_.find(value_name);
  if (it != index_.end()) return it->second;
  int id = static_cast<int>(values.size());
  values.emplace_back();
  values.back().name = value_name;
  index_.emplace(value_name, id);
  return id;
}

Status Model::ensure_initializers() const {
  if (released_initializers.empty()) return Status();
  if (!restore_initializers) return internal_error("model initializers were released and cannot be restored");
  Model& self = const_cast<Model&>(*this);
  return restore_initializers(self);
}

int64_t Model::opset(std::string_view domain) const {
  std::string d(domain);
  if (d == "ai.onnx") d = "";
  auto it = opsets.find(d);
  return it == opsets.end() ? 0 : it->second;
}

}  // namespace edgerun
