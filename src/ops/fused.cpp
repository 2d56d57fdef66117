#include "ops/fused.h"

#include <limits>
#include <string>

namespace edgerun {

using kernels::Act;
using kernels::Activation;

Expected<Activation> read_fused_activation(const PrepareContext& ctx) {
  const Node& n = ctx.node();
  std::string name = n.attr_string("activation", "");
  std::vector<float> p = n.attr_floats("activation_params");
  Activation a;
  auto need = [&](size_t count) -> Status {
    if (p.size() < count) return ctx.error("activation ", name, " needs ", count, " activation_params, got ", p.size());
    return Status();
  };
  if (name.empty()) return a;
  if (name == "Relu") {
    a.kind = Act::kClamp;
    a.alpha = 0.0f;
    a.beta = std::numeric_limits<float>::infinity();
  } else if (name == "Clip") {
    ER_RETURN_IF_ERROR(need(2));
    a.kind = Act::kClamp;
    a.alpha = p[0];
    a.beta = p[1];
  } else if (name == "HardSwish") {
    a.kind = Act::kHardSwish;
  } else if (name == "HardSigmoid") {
    ER_RETURN_IF_ERROR(need(2));
    a.kind = Act::kHardSigmoid;
    a.alpha = p[0];
    a.beta = p[1];
  } else if (name == "Sigmoid") {
    a.kind = Act::kSigmoid;
  } else if (name == "SiLU") {
    a.kind = Act::kSiLU;
  } else if (name == "Gelu") {
    a.kind = Act::kGelu;
  } else if (name == "LeakyRelu") {
    ER_RETURN_IF_ERROR(need(1));
    a.kind = Act::kLeakyRelu;
    a.alpha = p[0];
  } else if (name == "Tanh") {
    a.kind = Act::kTanh;
  } else {
    return ctx.error("unknown fused activation '", name, "'");
  }
  return a;
}

void set_fused_activation(Node& node, const Activation& act) {
  std::string name;
  std::vector<float> params;
  switch (act.kind) {
    case Act::kNone: break;
    case Act::kClamp:
      if (act.alpha == 0.0f && act.beta == std::numeric_limits<float>::infinity()) {
        name = "Relu";
      } else {
        name = "Clip";
        params = {act.alpha, act.beta};
      }
      break;
    case Act::kHardSwish: name = "HardSwish"; break;
    case Act::kHardSigmoid: name = "HardSigmoid"; params = {act.alpha, act.beta}; break;
    case Act::kSigmoid: name = "Sigmoid"; break;
    case Act::kSiLU: name = "SiLU"; break;
    case Act::kGelu: name = "Gelu"; break;
    case Act::kLeakyRelu: name = "LeakyRelu"; params = {act.alpha}; break;
    case Act::kTanh: name = "Tanh"; break;
  }
  std::erase_if(node.attrs, [](const Attribute& a) { return a.name == "activation" || a.name == "activation_params"; });
  if (name.empty()) return;
  Attribute s;
  s.name = "activation";
  s.type = AttrType::kString;
  s.s = name;
  node.attrs.push_back(s);
  if (!params.empty()) {
    Attribute f;
    f.name = "activation_params";
    f.type = AttrType::kFloats;
    f.floats = params;
    node.attrs.push_back(f);
  }
}

bool activation_of(const Node& node, float clip_min, float clip_max, Activation* out) {
  if (!node.domain.empty()) return false;
  const std::string& op = node.op_type;
  Activation a;
  if (op == "Relu") {
    a.kind = Act::kClamp;
    a.alpha = 0.0f;
    a.beta = std::numeric_limits<float>::infinity();
  } else if (op == "Clip") {
    a.kind = Act::kClamp;
    a.alpha = clip_min;
    a.beta = clip_max;
  } else if (op == "HardSwish") {
    a.kind = Act::kHardSwish;
  } else if (op == "HardSigmoid") {
    a.kind = Act::kHardSigmoid;
    a.alpha = node.attr_float("alpha", 0.2f);
    a.beta = node.attr_float("beta", 0.5f);
  } else if (op == "Sigmoid") {
    a.kind = Act::kSigmoid;
  } else if (op == "LeakyRelu") {
    a.kind = Act::kLeakyRelu;
    a.alpha = node.attr_float("alpha", 0.01f);
  } else if (op == "Tanh") {
    a.kind = Act::kTanh;
  } else {
    return false;
  }
  *out = a;
  return true;
}

}  // namespace edgerun
