// edgerun inspect MODEL: what a model file holds (I/O, opsets, ops, parameters), which of its ops edgerun lacks,
// and the memory plan when it can be planned. Reads the model through the loader and the op registry directly,
// because Session::load refuses models with unsupported ops and inspect must list them all at once.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_args.h"
#include "cli_model.h"
#include "commands.h"
#include "ops/op_registry.h"

namespace edgerun::cli {
namespace {

const CommandSpec kSpec = {
    "inspect",
    "MODEL [--json] [--shape NAME=DIMS]...",
    "Show a model's inputs and outputs (dtype, shape with symbolic dims), IR version, producer, opsets,\n"
    "op histogram, parameter count and weight bytes, the ops edgerun does not support, and - when the model\n"
    "can be planned - the activation arena of the memory plan and the bytes of weights repacked by kernels.",
    {
        {"--json", "", "print one JSON object instead of text"},
        {"--shape", "NAME=DIMS", "bind an input's dynamic dims for planning, e.g. input=1x3x224x224", true},
    },
    "JSON format (stable):\n"
    "  {\"model\": PATH, \"ir_version\": INT, \"producer\": STR, \"opsets\": {DOMAIN: INT},\n"
    "   \"inputs\": [{\"name\", \"dtype\", \"shape\"}], \"outputs\": [...], \"nodes\": INT, \"ops\": {OP: COUNT},\n"
    "   \"params\": INT, \"weight_bytes\": INT, \"initializers\": INT, \"unsupported\": [OP, ...],\n"
    "   \"plan\": {\"arena_bytes\": INT, \"packed_weight_bytes\": INT, \"steps\": INT, \"folded_nodes\": INT}\n"
    "            or null, \"plan_error\": STR}\n"
    "  shape entries: INT for a fixed dim, the dim's name (STR) for a symbolic one, null if unknown;\n"
    "  \"shape\": null when the file gives no shape. Ops outside ai.onnx are prefixed: \"com.microsoft.QLinearAdd\".\n"
    "\n"
    "examples:\n"
    "  edgerun inspect model.onnx\n"
    "  edgerun inspect yolo.onnx --shape images=1x3x640x640 --json\n",
};

struct Summary {
  size_t nodes = 0;
  std::map<std::string, int64_t> ops;  // label -> count
  uint64_t params = 0;
  uint64_t weight_bytes = 0;
  size_t initializers = 0;
  std::vector<std::string> unsupported;  // in first-seen order
};

void add_weights(Summary& s, const Tensor& t) {
  if (!t.defined()) return;
  s.params += static_cast<uint64_t>(t.numel());
  s.weight_bytes += t.nbytes();
}

// Constant nodes hold weights too (value, value_float(s), value_int(s)).
void add_constant_node(Summary& s, const Node& n) {
  for (const Attribute& a : n.attrs) {
    if (a.name == "value" || a.name == "sparse_value") {
      add_weights(s, a.t);
    } else if (a.name == "value_floats") {
      s.params += a.floats.size(), s.weight_bytes += a.floats.size() * 4;
    } else if (a.name == "value_ints") {
      s.params += a.ints.size(), s.weight_bytes += a.ints.size() * 8;
    } else if (a.name == "value_float" || a.name == "value_int") {
      s.params += 1, s.weight_bytes += a.name == "value_float" ? 4 : 8;
    }
  }
}

void summarize(const Model& model, const Graph& g, Summary& s) {
  const OpRegistry& registry = OpRegistry::get();
  for (const Value& v : g.values) {
    if (v.producer == -1 && v.initializer.defined()) {
      add_weights(s, v.initializer);
      ++s.initializers;
    }
  }
  for (const Node& n : g.nodes) {
    ++s.nodes;
    std::string label = op_label(n);
    ++s.ops[label];
    if ((n.domain.empty() || n.domain == "ai.onnx") && n.op_type == "Constant") add_constant_node(s, n);
    if (!registry.find(n.domain, n.op_type, model.opset(n.domain)) &&
        std::find(s.unsupported.begin(), s.unsupported.end(), label) == s.unsupported.end())
      s.unsupported.push_back(label);
    for (const Attribute& a : n.attrs) {  // If / Loop / Scan bodies
      if (a.g) summarize(model, *a.g, s);
    }
  }
}

nlohmann::ordered_json shape_json(const IoSpec& io) {
  if (!io.has_shape) return nullptr;
  nlohmann::ordered_json dims = nlohmann::ordered_json::array();
  for (size_t i = 0; i < io.spec.shape.size(); ++i) {
    if (io.spec.shape[i] >= 0) {
      dims.push_back(io.spec.shape[i]);
    } else if (!io.spec.dim_names[i].empty()) {
      dims.push_back(io.spec.dim_names[i]);
    } else {
      dims.push_back(nullptr);
    }
  }
  return dims;
}

nlohmann::ordered_json io_json(const std::vector<IoSpec>& list) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const IoSpec& io : list)
    arr.push_back({{"name", io.spec.name}, {"dtype", dtype_name(io.spec.dtype)}, {"shape", shape_json(io)}});
  return arr;
}

void print_io(const char* title, const std::vector<IoSpec>& list) {
  std::printf("%s:\n", title);
  if (list.empty()) std::printf("  (none)\n");
  size_t width = 0;
  for (const IoSpec& io : list) width = std::max(width, io.spec.name.size());
  for (const IoSpec& io : list)
    std::printf("  %-*s  %-8s  %s\n", static_cast<int>(width), io.spec.name.c_str(), dtype_name(io.spec.dtype),
                format_spec_shape(io.spec, io.has_shape).c_str());
}

}  // namespace

int cmd_inspect(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return report_usage_error(kSpec,
                              args.positional.empty()
                                  ? "missing MODEL"
                                  : "expected one MODEL, got " + std::to_string(args.positional.size()) + " arguments");
  const std::string path = args.positional[0];
  bool json = args.has("--json");

  auto loaded = load_model(path);
  if (!loaded.ok()) return report_error(loaded.status().message());
  std::unique_ptr<Model> model = std::move(*loaded);
  std::vector<IoSpec> inputs = model_inputs(*model), outputs = model_outputs(*model);
  auto shapes = parse_shape_options(args.all("--shape"), inputs);
  if (!shapes.ok()) return report_error(shapes.status().message());

  Summary s;
  summarize(*model, model->graph, s);
  int64_t ir_version = model->ir_version;
  std::string producer = model->producer_name;
  if (!model->producer_version.empty()) producer += (producer.empty() ? "" : " ") + model->producer_version;
  std::map<std::string, int64_t> opsets;
  for (const auto& [domain, version] : model->opsets) opsets[domain_label(domain)] = version;

  // Plan, when every op is known and the input shapes are (after --shape).
  bool planned = false;
  std::string plan_error;
  Session::Stats stats;
  if (!s.unsupported.empty()) {
    plan_error = "the model has unsupported ops";
  } else {
    bool all_known = true;
    std::vector<Shape> plan_shapes;
    for (const IoSpec& in : inputs) {
      auto it = shapes->find(in.spec.name);
      Shape shape = it != shapes->end() ? it->second : in.spec.shape;
      if (!in.has_shape && it == shapes->end()) all_known = false;
      if (!shape_fully_known(shape)) all_known = false;
      plan_shapes.push_back(shape);
    }
    if (!all_known) {
      plan_error = "input shapes are not all known; bind them with --shape NAME=DIMS";
    } else {
      SessionOptions options;
      options.input_shapes = *shapes;
      auto session = Session::create(std::move(model), options);
      if (!session.ok()) {
        plan_error = session.status().to_string();
      } else {
        stats = (*session)->stats();
        if (stats.steps == 0 && stats.folded_nodes == 0 && s.nodes > 0) {
          // create() leaves planning to run() for some models (integer inputs that may carry shapes): try now.
          Status st = (*session)->prepare(plan_shapes);
          if (st.ok())
            stats = (*session)->stats();
          else
            plan_error = st.to_string();
          planned = st.ok();
        } else {
          planned = true;
        }
      }
    }
  }

  if (json) {
    nlohmann::ordered_json j;
    j["model"] = path;
    j["ir_version"] = ir_version;
    j["producer"] = producer;
    j["opsets"] = opsets;
    j["inputs"] = io_json(inputs);
    j["outputs"] = io_json(outputs);
    j["nodes"] = s.nodes;
    j["ops"] = s.ops;
    j["params"] = s.params;
    j["weight_bytes"] = s.weight_bytes;
    j["initializers"] = s.initializers;
    j["unsupported"] = s.unsupported;
    if (planned) {
      j["plan"] = {{"arena_bytes", stats.arena_bytes},
                   {"packed_weight_bytes", stats.packed_weight_bytes},
                   {"steps", stats.steps},
                   {"folded_nodes", stats.folded_nodes}};
    } else {
      j["plan"] = nullptr;
      j["plan_error"] = plan_error;
    }
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }

  std::printf("model:        %s\n", path.c_str());
  std::printf("ir_version:   %lld\n", static_cast<long long>(ir_version));
  std::printf("producer:     %s\n", producer.empty() ? "(not given)" : producer.c_str());
  std::string opset_text;
  for (const auto& [domain, version] : opsets)
    opset_text += (opset_text.empty() ? "" : ", ") + domain + " " + std::to_string(version);
  std::printf("opsets:       %s\n", opset_text.c_str());
  print_io("inputs", inputs);
  print_io("outputs", outputs);
  std::printf("nodes:        %zu (%zu op types)\n", s.nodes, s.ops.size());
  std::vector<std::pair<std::string, int64_t>> hist(s.ops.begin(), s.ops.end());
  std::stable_sort(hist.begin(), hist.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  size_t width = 0;
  for (const auto& [op, n] : hist) width = std::max(width, op.size());
  for (const auto& [op, n] : hist)
    std::printf("  %-*s  %lld\n", static_cast<int>(width), op.c_str(), static_cast<long long>(n));
  std::printf("params:       %s (%zu initializers)\n", format_count(s.params).c_str(), s.initializers);
  std::printf("weight bytes: %s (%s)\n", format_count(s.weight_bytes).c_str(), format_bytes(s.weight_bytes).c_str());
  if (s.unsupported.empty()) {
    std::printf("unsupported:  none\n");
  } else {
    std::string list;
    for (const std::string& op : s.unsupported) list += (list.empty() ? "" : ", ") + op;
    std::printf("unsupported:  %zu op types: %s\n", s.unsupported.size(), list.c_str());
  }
  if (planned) {
    std::printf("plan:         arena %s (%s), packed weights %s (%s), %zu steps, %zu nodes folded at prepare\n",
                format_count(stats.arena_bytes).c_str(), format_bytes(stats.arena_bytes).c_str(),
                format_count(stats.packed_weight_bytes).c_str(), format_bytes(stats.packed_weight_bytes).c_str(),
                stats.steps, stats.folded_nodes);
  } else {
    std::printf("plan:         not available: %s\n", plan_error.c_str());
  }
  return kExitOk;
}

}  // namespace edgerun::cli
