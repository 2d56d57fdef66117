#include "cli_model.h"

#include <algorithm>

#include "cli_args.h"
#include "onnx/onnx_loader.h"

namespace edgerun::cli {

Expected<std::unique_ptr<Model>> load_model(const std::string& path) {
  auto model = load_onnx_model(path);
  if (!model.ok()) {
    const Status& st = model.status();
    // report_error(status.message()) prints this as is: the loader's code name stays in the text.
    if (st.message().find(path) != std::string::npos) return Status(st.code(), "cannot load model: " + st.to_string());
    return Status(st.code(), "cannot load model '" + path + "': " + st.to_string());
  }
  return model;
}

static IoSpec io_spec(const Value& v) {
  IoSpec io;
  io.spec.name = v.name;
  io.spec.dtype = v.initializer.defined() ? v.initializer.dtype() : v.dtype;
  io.has_shape = v.has_shape;
  if (v.has_shape) io.spec.shape = v.shape;
  io.spec.dim_names = v.dim_names;
  io.spec.dim_names.resize(io.spec.shape.size());
  return io;
}

std::vector<IoSpec> model_inputs(const Model& model) {
  std::vector<IoSpec> out;
  for (int v : model.graph.inputs) out.push_back(io_spec(model.graph.values[static_cast<size_t>(v)]));
  return out;
}

std::vector<IoSpec> model_outputs(const Model& model) {
  std::vector<IoSpec> out;
  for (int v : model.graph.outputs) out.push_back(io_spec(model.graph.values[static_cast<size_t>(v)]));
  return out;
}

static std::string input_names(const std::vector<IoSpec>& inputs) {
  std::string names;
  for (const IoSpec& in : inputs) names += (names.empty() ? "" : ", ") + in.spec.name;
  return names.empty() ? "(none)" : names;
}

Expected<std::map<std::string, Shape>> parse_shape_options(const std::vector<std::string>& values,
                                                           const std::vector<IoSpec>& inputs) {
  std::map<std::string, Shape> out;
  for (const std::string& text : values) {
    auto named = parse_named_shape(text);
    if (!named.ok()) return invalid_argument("--shape ", text, ": ", named.status().message());
    auto [name, shape] = *named;
    if (name.empty()) {
      if (inputs.size() != 1)
        return invalid_argument("--shape ", text, ": the model has ", inputs.size(),
                                " inputs, so name one (NAME=DIMS); inputs: ", input_names(inputs));
      name = inputs[0].spec.name;
    }
    auto it = std::find_if(inputs.begin(), inputs.end(), [&](const IoSpec& s) { return s.spec.name == name; });
    if (it == inputs.end())
      return invalid_argument("--shape ", text, ": the model has no input '", name, "'; inputs: ", input_names(inputs));
    const Shape& declared = it->spec.shape;
    if (it->has_shape && declared.size() != shape.size())
      return invalid_argument("--shape ", text, ": input '", name, "' has rank ", declared.size(), " ",
                              format_spec_shape(it->spec), ", the shape given has rank ", shape.size());
    for (size_t d = 0; it->has_shape && d < declared.size(); ++d)
      if (declared[d] >= 0 && declared[d] != shape[d])
        return invalid_argument("--shape ", text, ": dimension ", d, " of input '", name, "' is fixed to ", declared[d],
                                " in the model ", format_spec_shape(it->spec));
    if (out.count(name)) return invalid_argument("--shape given twice for input '", name, "'");
    out[name] = shape;
  }
  return out;
}

bool shape_fully_known(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

std::string domain_label(const std::string& domain) { return domain.empty() ? "ai.onnx" : domain; }

std::string op_label(const Node& node) {
  if (node.domain.empty() || node.domain == "ai.onnx") return node.op_type;
  return node.domain + "." + node.op_type;
}

}  // namespace edgerun::cli
