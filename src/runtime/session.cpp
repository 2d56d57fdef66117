#include "edgerun/session.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/mmap_file.h"
#include "core/thread_pool.h"
#include "graph/ir.h"
#include "graph/passes/passes.h"
#include "onnx/onnx_loader.h"
#include "ops/op_registry.h"
#include "runtime/plan.h"

namespace edgerun {

namespace {

// Whether initializers may be dropped after packing: Session can re-decode them from the model's mapping.
// Not for graphs with subgraphs (they read outer values by name) nor in-memory models with external data.
bool can_release_initializers(const Model& m) {
  if (!m.file || (m.path.empty() && !m.external_files.empty())) return false;
  for (const Node& n : m.graph.nodes)
    for (const Attribute& a : n.attrs)
      if (a.type == AttrType::kGraph || a.type == AttrType::kGraphs) return false;
  return true;
}

void release_tensor(Model& m, int v, bool restorable) {
  Tensor& t = m.graph.values[static_cast<size_t>(v)].initializer;
  const MappedFile* file = m.file.get();
  const uint8_t* b = static_cast<const uint8_t*>(t.raw_data());
  if (file && file->size() > 0 && b >= file->data() && b + t.nbytes() <= file->data() + file->size())
    file->release_pages(static_cast<size_t>(b - file->data()), t.nbytes());
  t = Tensor();
  if (restorable) m.released_initializers.push_back(v);
}

// After the graph passes: initializers nobody reads any more (e.g. the parameters of a BatchNormalization folded
// into a Conv; the Conv's original weights stay, as the source of its ScaledConstant).
// No plan reads them, so they are not restored either.
void release_unread_initializers(Model& m) {
  const Graph& g = m.graph;
  std::vector<bool> read(g.values.size(), false);
  for (const Node& n : g.nodes)
    for (int v : n.inputs)
      if (v >= 0) read[static_cast<size_t>(v)] = true;
  for (int v : g.outputs)
    if (v >= 0) read[static_cast<size_t>(v)] = true;
  for (int v : g.inputs) read[static_cast<size_t>(v)] = true;
  for (const Value& val : g.values)  // a deferred folded constant reads its source (the plan computes it)
    if (val.scaled) read[static_cast<size_t>(val.scaled->source)] = true;
  for (size_t v = 0; v < g.values.size(); ++v)
    if (!read[v] && g.values[v].initializer.defined()) release_tensor(m, static_cast<int>(v), false);
}

// Brings back the initializers released to save memory: decodes the same mapping again and re-runs the passes
// (deterministic, so value ids match), then moves the released tensors over.
Status restore_released_initializers(Model& m, int level, const std::string& backend) {
  if (m.released_initializers.empty()) return Status();
  std::string dir;
  if (!m.path.empty()) {
    dir = std::filesystem::path(m.path).parent_path().string();
    if (dir.empty()) dir = ".";
  }
  ER_ASSIGN_OR_RETURN(std::unique_ptr<Model> fresh, load_onnx_model(m.file, dir));
  ER_RETURN_IF_ERROR(optimize_model(*fresh, level, backend));
  if (fresh->graph.values.size() != m.graph.values.size())
    return internal_error("re-decoding released initializers: the graph changed");
  for (int v : m.released_initializers) {
    Value& dst = m.graph.values[static_cast<size_t>(v)];
    Value& src = fresh->graph.values[static_cast<size_t>(v)];
    if (src.name != dst.name || !src.initializer.defined())
      return internal_error("re-decoding released initializer '", dst.name, "': not found");
    dst.initializer = std::move(src.initializer);
  }
  m.released_initializers.clear();
  return Status();
}

}  // namespace

struct Session::Impl {
  std::unique_ptr<Model> model;
  SessionOptions options;
  std::vector<TensorSpec> inputs, outputs;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Plan> plan;
  bool profiling = false;

  Expected<std::unique_ptr<Plan>> build(const std::vector<Tensor>& inputs, bool* used_values = nullptr) {
    const bool optimize = options.optimization_level >= 1;
    PlanOptions po;
    po.backend = options.backend;
    po.reuse_buffers = optimize;
    if (optimize && can_release_initializers(*model)) {
      const int level = options.optimization_level;
      model->restore_initializers = [level, backend = options.backend](Model& m) {
        return restore_released_initializers(m, level, backend);
      };
      po.release_packed_sources = model.get();
    }
    auto p = Plan::build(*model, inputs, used_values, pool.get(), po);
    if (p.ok() && profiling) (*p)->enable_profiling(true);
    // Repacked weights are owned by the kernels now: drop the file's copy from memory (re-read if needed).
    if (p.ok() && optimize) (*p)->release_packed_weight_pages();
    return p;
  }
};

Session::Session() : impl_(new Impl()) {}
Session::~Session() = default;

static TensorSpec spec_of(const Value& v) {
  TensorSpec s;
  s.name = v.name;
  s.dtype = v.dtype;
  if (v.has_shape) s.shape = v.shape;
  s.dim_names = v.dim_names;
  s.dim_names.resize(s.shape.size());
  return s;
}

static std::string input_names(const std::vector<TensorSpec>& specs) {
  std::string names;
  for (const TensorSpec& t : specs) names += (names.empty() ? "'" : ", '") + t.name + "'";
  return names;
}

static bool fully_known(const Shape& s) {
  return std::all_of(s.begin(), s.end(), [](int64_t d) { return d >= 0; });
}

Expected<std::unique_ptr<Session>> Session::load(const std::string& path, const SessionOptions& options) {
  ER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, load_onnx_model(path));
  return create(std::move(model), options);
}

Expected<std::unique_ptr<Session>> Session::create(std::unique_ptr<Model> model, const SessionOptions& options) {
  std::unique_ptr<Session> s(new Session());
  Impl& im = *s->impl_;
  im.model = std::move(model);
  im.options = options;
  // "auto" (default): $EDGERUN_BACKEND when set, else XNNPACK on arm64 where it has tuned NEON kernels and the own
  // kernels elsewhere. (The emulated arm64 tests run the same model tests once per backend through the variable.)
  if (im.options.backend == "auto") {
    const char* env = std::getenv("EDGERUN_BACKEND");
    if (env && *env) im.options.backend = env;
  }
#if defined(EDGERUN_HAVE_XNNPACK) && defined(__aarch64__)
  if (im.options.backend == "auto") im.options.backend = "xnnpack";
#else
  if (im.options.backend == "auto") im.options.backend = "cpu";
#endif
#ifdef EDGERUN_HAVE_XNNPACK
  if (im.options.backend != "cpu" && im.options.backend != "reference" && im.options.backend != "xnnpack")
    return invalid_argument("unknown backend '", options.backend, "' (available: auto, cpu, reference, xnnpack)");
#else
  if (im.options.backend == "xnnpack")
    return invalid_argument("backend 'xnnpack': this edgerun was built without XNNPACK (EDGERUN_WITH_XNNPACK=OFF)");
  if (im.options.backend != "cpu" && im.options.backend != "reference")
    return invalid_argument("unknown backend '", options.backend, "' (available: auto, cpu, reference)");
#endif
  im.pool = std::make_unique<ThreadPool>(options.threads, options.pin_threads);
  ER_RETURN_IF_ERROR(optimize_model(*im.model, options.optimization_level, im.options.backend));
  if (options.optimization_level >= 1 && can_release_initializers(*im.model)) release_unread_initializers(*im.model);
  const Graph& g = im.model->graph;
  for (int v : g.inputs) im.inputs.push_back(spec_of(g.values[static_cast<size_t>(v)]));
  for (int v : g.outputs) im.outputs.push_back(spec_of(g.values[static_cast<size_t>(v)]));
  for (const auto& [name, shape] : options.input_shapes) {
    auto it = std::find_if(im.inputs.begin(), im.inputs.end(), [&](const TensorSpec& t) { return t.name == name; });
    if (it == im.inputs.end()) {
      return invalid_argument("--shape names input '", name, "', but the model's inputs are: ", input_names(im.inputs));
    }
    if (!it->shape.empty() && it->shape.size() != shape.size())
      return invalid_argument("--shape ", name, "=", shape_str(shape), " has rank ", shape.size(),
                              ", the model's input has rank ", it->shape.size());
    for (size_t i = 0; i < it->shape.size(); ++i)
      if (it->shape[i] >= 0 && it->shape[i] != shape[i])
        return invalid_argument("--shape ", name, "=", shape_str(shape), ": dimension ", i, " is fixed to ",
                                it->shape[i], " in the model");
    it->shape = shape;
    it->dim_names.resize(shape.size());
  }
  std::vector<std::string> missing = s->unsupported_ops();
  if (!missing.empty()) {
    std::string list;
    for (const std::string& op : missing) list += (list.empty() ? "" : ", ") + op;
    return unsupported("model uses ops edgerun does not implement: ", list);
  }
  bool all_known = true;
  std::vector<Shape> shapes;
  for (const TensorSpec& t : im.inputs) {
    if (!fully_known(t.shape) || t.dtype == DType::kUndefined) all_known = false;
    shapes.push_back(t.shape);
  }
  if (all_known) {
    std::vector<Tensor> placeholders;
    for (size_t i = 0; i < shapes.size(); ++i) {
      ER_ASSIGN_OR_RETURN(Tensor t, allocate_tensor(im.inputs[i].dtype, shapes[i], "input '" + im.inputs[i].name + "'"));
      placeholders.push_back(std::move(t));
    }
    bool used_values = false;
    auto plan = im.build(placeholders, &used_values);
    // An op read an input's value (Reshape target, Resize scales...): zeros are no fair test, plan at run.
    if (plan.ok()) {
      im.plan = std::move(plan).value();
    } else if (!used_values) {
      return plan.status();
    }
  }
  return s;
}

const std::vector<TensorSpec>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorSpec>& Session::outputs() const { return impl_->outputs; }
const Model& Session::model() const { return *impl_->model; }

Status Session::prepare(const std::vector<Shape>& input_shapes) {
  Impl& im = *impl_;
  if (input_shapes.size() != im.inputs.size())
    return invalid_argument("model takes ", im.inputs.size(), " input(s) (", input_names(im.inputs), "), got ",
                            input_shapes.size(), " shapes");
  std::vector<Tensor> placeholders;
  for (size_t i = 0; i < input_shapes.size(); ++i) {
    ER_ASSIGN_OR_RETURN(Tensor t, allocate_tensor(im.inputs[i].dtype, input_shapes[i], "input '" + im.inputs[i].name + "'"));
    placeholders.push_back(std::move(t));
  }
  ER_ASSIGN_OR_RETURN(im.plan, im.build(placeholders));
  return Status();
}

Status Session::run(const std::vector<Tensor>& inputs, std::vector<Tensor>* outputs) {
  Impl& im = *impl_;
  if (inputs.size() != im.inputs.size())
    return invalid_argument("model takes ", im.inputs.size(), " input(s) (", input_names(im.inputs), "), got ",
                            inputs.size());
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& spec = im.inputs[i];
    const Tensor& in = inputs[i];
    if (!in.defined()) return invalid_argument("input '", spec.name, "' is missing");
    if (spec.dtype != DType::kUndefined && in.dtype() != spec.dtype)
      return invalid_argument("input '", spec.name, "' expects ", dtype_name(spec.dtype), ", got ",
                              dtype_name(in.dtype()));
    bool shape_ok = spec.shape.empty() && !im.model->graph.values[static_cast<size_t>(im.model->graph.inputs[i])].has_shape;
    if (!shape_ok && spec.shape.size() == in.shape().size()) {
      shape_ok = true;
      for (size_t d = 0; d < spec.shape.size(); ++d)
        if (spec.shape[d] >= 0 && spec.shape[d] != in.shape()[d]) shape_ok = false;
    }
    if (!shape_ok)
      return invalid_argument("input '", spec.name, "' expects shape ", shape_str(spec.shape), ", got ",
                              shape_str(in.shape()));
    shapes.push_back(in.shape());
  }
  if (!im.plan || im.plan->input_shapes() != shapes ||
      (im.plan->depends_on_input_values() && !im.plan->input_values_match(inputs))) {
    im.plan.reset();
    ER_ASSIGN_OR_RETURN(im.plan, im.build(inputs));
  }
  return im.plan->run(inputs, outputs);
}

std::vector<std::string> Session::unsupported_ops() const {
  const OpRegistry& r = OpRegistry::get();
  std::vector<std::string> out;
  for (const Node& n : impl_->model->graph.nodes) {
    if (r.find(n.domain, n.op_type, impl_->model->opset(n.domain))) continue;
    std::string name = n.domain.empty() ? n.op_type : n.domain + "." + n.op_type;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

Session::Stats Session::stats() const {
  Stats st;
  if (impl_->plan) {
    st.arena_bytes = impl_->plan->arena_bytes();
    st.steps = impl_->plan->num_steps();
    st.folded_nodes = impl_->plan->num_folded();
    st.packed_weight_bytes = impl_->plan->packed_weight_bytes();
  }
  return st;
}

const std::string& Session::backend() const { return impl_->options.backend; }

int Session::threads() const { return impl_->pool->size(); }

void Session::enable_profiling(bool on) {
  impl_->profiling = on;
  if (impl_->plan) impl_->plan->enable_profiling(on);
}

std::vector<Session::NodeProfile> Session::profile() const {
  std::vector<NodeProfile> out;
  if (!impl_->plan) return out;
  for (const Plan::StepProfile& p : impl_->plan->profile()) {
    const Node& n = impl_->model->graph.nodes[static_cast<size_t>(p.node)];
    NodeProfile np;
    np.node = n.name;
    np.op_type = n.domain.empty() ? n.op_type : n.domain + "." + n.op_type;
    np.variant = p.kernel->variant();
    np.mean_ms = p.runs > 0 ? p.total_ms / static_cast<double>(p.runs) : 0.0;
    np.flops = p.kernel->flops();
    out.push_back(std::move(np));
  }
  return out;
}

}  // namespace edgerun
