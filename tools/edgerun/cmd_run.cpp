// edgerun run MODEL: feed tensors from files (ONNX TensorProto .pb or raw bytes) or seeded random data,
// run the model, print or save the outputs, and report latency.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>  // std::mt19937 for random_input
#include <string>
#include <vector>

#include "cli_args.h"
#include "cli_model.h"
#include "cli_session.h"
#include "commands.h"
#include "onnx/tensor_proto.h"

namespace edgerun::cli {
namespace {

const CommandSpec kSpec = {
    "run",
    "MODEL [--input [NAME=]FILE]... [--random] [--shape NAME=DIMS]... [--output DIR|FILE.pb] [options]",
    "Run a model once (or --runs times) on inputs from files or random data; print a summary of each output\n"
    "or write the outputs as ONNX TensorProto files, and print the latency to stderr.",
    {
        {"--input", "[NAME=]FILE",
         "input tensor: FILE.pb (TensorProto) or raw bytes (FILE.bin; shape from --shape "
         "or the model; dtype = the input's). Without NAME, inputs go in model order",
         true},
        {"--random", "",
         "fill inputs not given by --input with seeded random data (floats uniform in [0,1), "
         "integers in [0,10), bool 0/1)"},
        {"--seed", "N", "seed for --random (default 0)"},
        {"--shape", "NAME=DIMS", "shape of an input with dynamic dims or a raw file, e.g. x=1x3x224x224", true},
        {"--output", "DIR|FILE.pb",
         "write outputs to DIR/output_0.pb, output_1.pb, ... or, for a single output, FILE.pb"},
        {"--runs", "N", "timed runs (default 1); the latency summary covers them"},
        {"--warmup", "N", "untimed runs before the timed ones (default 0)"},
        threads_option(),
        affinity_option(),
        {"--show", "N", "values printed per output (default 8)"},
    },
    "output (without --output), per output:\n"
    "  output 0: NAME  DTYPE  [DIMS]\n"
    "    min MIN  max MAX  mean MEAN\n"
    "    values: V0, V1, ... (N of TOTAL)\n"
    "latency (stderr): latency: first run F ms; N runs: mean M ms, p50 P ms, min A ms, max B ms\n"
    "\n"
    "examples:\n"
    "  edgerun run mnist.onnx --input test_data_set_0/input_0.pb --output out/\n"
    "  edgerun run model.onnx --random --shape input=1x3x224x224 --warmup 3 --runs 20\n"
    "  edgerun run model.onnx --input pixels=img.bin --shape pixels=1x224x224x3\n",
};

// Holds the parsed inputs in model order; undefined tensors are still to be filled.
struct InputPlan {
  std::vector<std::string> sources;  // file path, "random" or ""
  std::vector<Tensor> tensors;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Expected<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found("cannot open '", path, "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return io_error("cannot read '", path, "'");
  return bytes;
}

Expected<Tensor> load_input_file(const IoSpec& in, const std::string& path,
                                 const std::map<std::string, Shape>& shapes) {
  auto shape_it = shapes.find(in.spec.name);
  if (ends_with(path, ".pb")) {
    if (!std::filesystem::exists(path)) return not_found("input file '", path, "' does not exist");
    std::string name;
    auto t = read_tensor_proto_file(path, &name);
    if (!t.ok()) return Status(t.status().code(), "cannot read input '" + path + "': " + t.status().message());
    if (in.spec.dtype != DType::kUndefined && t->dtype() != in.spec.dtype)
      return invalid_argument("input '", in.spec.name, "' is ", dtype_name(in.spec.dtype), ", but ", path, " holds ",
                              dtype_name(t->dtype()));
    if (shape_it != shapes.end() && shape_it->second != t->shape())
      return invalid_argument("--shape ", in.spec.name, "=", shape_str(shape_it->second), " does not match ", path,
                              ", which holds ", shape_str(t->shape()));
    return t;
  }
  // Raw bytes: the shape comes from --shape or the model, the dtype from the model.
  if (in.spec.dtype == DType::kUndefined || in.spec.dtype == DType::kString)
    return invalid_argument("input '", in.spec.name, "' has dtype ", dtype_name(in.spec.dtype),
                            ", which a raw file cannot hold; use a .pb file");
  Shape shape;
  if (shape_it != shapes.end()) {
    shape = shape_it->second;
  } else if (in.has_shape && shape_fully_known(in.spec.shape)) {
    shape = in.spec.shape;
  } else {
    return invalid_argument("raw input ", path, ": input '", in.spec.name, "' has shape ",
                            format_spec_shape(in.spec, in.has_shape), "; give it with --shape ", in.spec.name, "=DIMS");
  }
  ER_RETURN_IF_ERROR(check_tensor_size("input '" + in.spec.name + "'", in.spec.dtype, shape));
  // Compare sizes before reading or allocating anything.
  size_t need = static_cast<size_t>(shape_numel(shape)) * dtype_size(in.spec.dtype);
  std::error_code ec;
  uintmax_t have = std::filesystem::file_size(path, ec);
  if (ec) return not_found("cannot read input file '", path, "': ", ec.message());
  if (have != need)
    return invalid_argument("raw input ", path, " has ", have, " bytes, but input '", in.spec.name, "' as ",
                            dtype_name(in.spec.dtype), " ", shape_str(shape), " needs ", need);
  ER_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(path));
  if (bytes.size() != need) return io_error("input file '", path, "' changed while it was read");
  Tensor t = Tensor::empty(in.spec.dtype, shape);
  if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), static_cast<uint8_t*>(t.raw_data()));
  return t;
}

// Matches --input values to model inputs: "NAME=FILE" when NAME is an input's name, else the next unnamed slot.
Expected<InputPlan> plan_inputs(const std::vector<IoSpec>& inputs, const std::vector<std::string>& values) {
  InputPlan plan;
  plan.sources.assign(inputs.size(), "");
  std::vector<std::string> positional;
  for (const std::string& v : values) {
    size_t eq = v.find('=');
    bool named = false;
    if (eq != std::string::npos) {
      std::string name = v.substr(0, eq);
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].spec.name != name) continue;
        if (!plan.sources[i].empty()) return invalid_argument("input '", name, "' given twice");
        plan.sources[i] = v.substr(eq + 1);
        named = true;
      }
    }
    if (!named) positional.push_back(v);
  }
  size_t slot = 0;
  for (const std::string& file : positional) {
    while (slot < inputs.size() && !plan.sources[slot].empty()) ++slot;
    if (slot == inputs.size()) {
      std::string names;
      for (const IoSpec& in : inputs) names += (names.empty() ? "" : ", ") + in.spec.name;
      return invalid_argument("too many --input values: the model has ", inputs.size(), " input(s): ", names);
    }
    plan.sources[slot++] = file;
  }
  return plan;
}

void print_output(size_t index, const std::string& name, const Tensor& t, int show) {
  std::string dims;
  for (int i = 0; i < t.rank(); ++i) dims += (i ? ", " : "") + std::to_string(t.dim(i));
  std::printf("output %zu: %s  %s  [%s]\n", index, name.c_str(), dtype_name(t.dtype()), dims.c_str());
  int64_t n = t.numel();
  if (t.dtype() == DType::kString) {
    std::printf("    (%lld strings)\n", static_cast<long long>(n));
    return;
  }
  if (n == 0) {
    std::printf("    (empty)\n");
    return;
  }
  double lo = tensor_element(t, 0), hi = lo, sum = 0;
  int64_t nan_count = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = tensor_element(t, i);
    if (v != v) {
      ++nan_count;
      continue;
    }
    if (lo != lo || v < lo) lo = v;
    if (hi != hi || v > hi) hi = v;
    sum += v;
  }
  std::printf("    min %s  max %s  mean %s", format_value(lo).c_str(), format_value(hi).c_str(),
              format_value(n > nan_count ? sum / static_cast<double>(n - nan_count) : 0.0).c_str());
  if (nan_count) std::printf("  (%lld NaN)", static_cast<long long>(nan_count));
  std::printf("\n    values: ");
  int64_t k = std::min<int64_t>(n, show);
  for (int64_t i = 0; i < k; ++i) std::printf("%s%s", i ? ", " : "", format_value(tensor_element(t, i)).c_str());
  std::printf("%s (%lld of %lld)\n", k < n ? ", ..." : "", static_cast<long long>(k), static_cast<long long>(n));
}

}  // namespace

int cmd_run(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return report_usage_error(
        kSpec, args.positional.empty() ? "missing MODEL" : "expected one MODEL; give inputs with --input FILE");
  auto runs = parse_int("--runs", args.get("--runs", "1"), 1, 1000000);
  auto warmup = parse_int("--warmup", args.get("--warmup", "0"), 0, 1000000);
  auto session_options = session_options_from_args(args);
  auto seed = parse_int("--seed", args.get("--seed", "0"), 0, INT64_MAX);
  auto show = parse_int("--show", args.get("--show", "8"), 0, 1000000);
  for (const Status* st : {&runs.status(), &warmup.status(), &session_options.status(), &seed.status(), &show.status()})
    if (!st->ok()) return report_usage_error(kSpec, st->message());
  std::string output = args.get("--output");
  if (args.has("--output") && output.empty()) return report_usage_error(kSpec, "--output needs a path");

  const std::string path = args.positional[0];
  auto loaded = load_model(path);
  if (!loaded.ok()) return report_error(loaded.status().message());
  std::unique_ptr<Model> model = std::move(*loaded);
  std::vector<IoSpec> inputs = model_inputs(*model), outputs = model_outputs(*model);
  auto shapes = parse_shape_options(args.all("--shape"), inputs);
  if (!shapes.ok()) return report_error(shapes.status().message());
  auto plan = plan_inputs(inputs, args.all("--input"));
  if (!plan.ok()) return report_error(plan.status().message());

  // Inputs, in model order.
  std::vector<Tensor> tensors(inputs.size());
  std::mt19937 rng(static_cast<uint32_t>(*seed));
  std::vector<std::string> missing;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& src = plan->sources[i];
    if (!src.empty()) {
      auto t = load_input_file(inputs[i], src, *shapes);
      if (!t.ok()) return report_error(t.status().message());
      tensors[i] = std::move(*t);
    } else if (args.has("--random")) {
      auto t = random_input(inputs[i], *shapes, rng);
      if (!t.ok()) return report_error(t.status().message());
      tensors[i] = std::move(*t);
    } else {
      missing.push_back(inputs[i].spec.name);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "'" : ", '") + m + "'";
    return report_error(str_cat("no data for input ", list, " (the model has ", inputs.size(),
                                " input(s)); give --input FILE for each, or --random"));
  }
  if (!output.empty() && ends_with(output, ".pb") && outputs.size() != 1)
    return report_error(str_cat("--output ", output, " names one file, but the model has ", outputs.size(),
                                " outputs; give a directory"));

  // The session plans for the shapes of the tensors we feed (bound dims also pin dynamic ones).
  SessionOptions options = *session_options;
  for (size_t i = 0; i < inputs.size(); ++i) {
    bool dynamic = !inputs[i].has_shape || !shape_fully_known(inputs[i].spec.shape);
    if (dynamic || shapes->count(inputs[i].spec.name)) options.input_shapes[inputs[i].spec.name] = tensors[i].shape();
  }
  double t0 = now_ms();
  auto session = Session::create(std::move(model), options);
  if (!session.ok()) return report_error(session.status());
  double load_ms = now_ms() - t0;

  std::vector<Tensor> results;
  std::vector<double> times;
  double first_ms = 0;
  int64_t total = *warmup + *runs;
  for (int64_t r = 0; r < total; ++r) {
    std::vector<Tensor> out;
    double start = now_ms();
    Status st = (*session)->run(tensors, &out);
    double ms = now_ms() - start;
    if (!st.ok()) return report_error(st);
    if (r == 0) {
      first_ms = ms;
      results = std::move(out);
    }
    if (r >= *warmup) times.push_back(ms);
  }
  if (results.size() != outputs.size())
    return report_error(
        str_cat("internal error: the model has ", outputs.size(), " outputs, run returned ", results.size()));

  if (output.empty()) {
    for (size_t i = 0; i < results.size(); ++i)
      print_output(i, outputs[i].spec.name, results[i], static_cast<int>(*show));
  } else {
    std::vector<std::string> files;
    if (ends_with(output, ".pb")) {
      files.push_back(output);
    } else {
      std::error_code ec;
      std::filesystem::create_directories(output, ec);
      if (ec) return report_error(str_cat("cannot create output directory '", output, "': ", ec.message()));
      for (size_t i = 0; i < results.size(); ++i)
        files.push_back((std::filesystem::path(output) / ("output_" + std::to_string(i) + ".pb")).string());
    }
    for (size_t i = 0; i < results.size(); ++i) {
      Status st = write_tensor_proto_file(files[i], results[i], outputs[i].spec.name);
      if (!st.ok()) return report_error(st);
      std::printf("wrote %s: %s %s %s\n", files[i].c_str(), outputs[i].spec.name.c_str(),
                  dtype_name(results[i].dtype()), shape_str(results[i].shape()).c_str());
    }
  }

  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double t : times) sum += t;
  std::fflush(stdout);
  std::fprintf(stderr,
               "latency: load %.2f ms; first run %.3f ms; %zu run%s: mean %.3f ms, p50 %.3f ms, min %.3f ms, "
               "max %.3f ms\n",
               load_ms, first_ms, times.size(), times.size() == 1 ? "" : "s", sum / static_cast<double>(times.size()),
               sorted[(sorted.size() - 1) / 2], sorted.front(), sorted.back());
  return kExitOk;
}

}  // namespace edgerun::cli
