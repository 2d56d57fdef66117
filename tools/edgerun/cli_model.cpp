#include "cli_model.h"

#include <algorithm>

#include "cli_args.h"
#include "core/half.h"
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

Expected<Tensor> random_input(const IoSpec& in, const std::map<std::string, Shape>& shapes, std::mt19937& rng) {
  Shape shape;
  auto it = shapes.find(in.spec.name);
  if (it != shapes.end()) {
    shape = it->second;
  } else if (!in.has_shape) {
    return invalid_argument("input '", in.spec.name, "' has no shape in the model; give one with --shape ",
                            in.spec.name, "=DIMS");
  } else {
    shape = in.spec.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] >= 0) continue;
      shape[d] = 1;
      std::string dim = in.spec.dim_names[d].empty() ? "?" : in.spec.dim_names[d];
      report_note(str_cat("input '", in.spec.name, "' dimension ", d, " ('", dim,
                          "') is dynamic; using 1 (choose with --shape ", in.spec.name, "=DIMS)"));
    }
  }
  ER_RETURN_IF_ERROR(check_tensor_size("input '" + in.spec.name + "'", in.spec.dtype, shape));
  Tensor t = Tensor::empty(in.spec.dtype, shape);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 9);
  int64_t n = t.numel();
  switch (in.spec.dtype) {
    case DType::kFloat32:
      for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = uniform(rng);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = uniform(rng);
      break;
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = float_to_half(uniform(rng));
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = float_to_bfloat16(uniform(rng));
      break;
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) t.data<uint8_t>()[i] = small(rng) & 1;
      break;
    case DType::kUInt8:
      for (int64_t i = 0; i < n; ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(small(rng));
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < n; ++i) t.data<int8_t>()[i] = static_cast<int8_t>(small(rng));
      break;
    case DType::kUInt16:
      for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(small(rng));
      break;
    case DType::kInt16:
      for (int64_t i = 0; i < n; ++i) t.data<int16_t>()[i] = static_cast<int16_t>(small(rng));
      break;
    case DType::kInt32:
      for (int64_t i = 0; i < n; ++i) t.data<int32_t>()[i] = small(rng);
      break;
    case DType::kUInt32:
      for (int64_t i = 0; i < n; ++i) t.data<uint32_t>()[i] = static_cast<uint32_t>(small(rng));
      break;
    case DType::kInt64:
      for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = small(rng);
      break;
    case DType::kUInt64:
      for (int64_t i = 0; i < n; ++i) t.data<uint64_t>()[i] = static_cast<uint64_t>(small(rng));
      break;
    case DType::kString:
    case DType::kUndefined:
      return unsupported("--random cannot fill input '", in.spec.name, "' of dtype ", dtype_name(in.spec.dtype));
  }
  return t;
}

}  // namespace edgerun::cli
