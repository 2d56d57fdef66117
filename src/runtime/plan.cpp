#include "runtime/plan.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unistd.h>

#include "core/mmap_file.h"
#include "runtime/memory_plan.h"

#ifdef EDGERUN_HAVE_XNNPACK
#include "backends/xnnpack/backend.h"
#endif

namespace edgerun {
namespace {

// Hands graph-input values to ops that need them at prepare, remembering which were used.
class GraphInputResolver : public InputValueResolver {
 public:
  GraphInputResolver(const Graph& g, const std::vector<Tensor>& inputs) : graph_(g), inputs_(inputs) {}
  const Tensor* resolve(int value_id) override {
    for (size_t k = 0; k < graph_.inputs.size(); ++k) {
      if (graph_.inputs[k] != value_id) continue;
      if (std::find(used.begin(), used.end(), static_cast<int>(k)) == used.end()) used.push_back(static_cast<int>(k));
      return &inputs_[k];
    }
    return nullptr;
  }
  std::vector<int> used;

 private:
  const Graph& graph_;
  const std::vector<Tensor>& inputs_;
};

bool is_nondeterministic(const Node& n) {
  return n.op_type.rfind("Random", 0) == 0 || n.op_type == "Multinomial" || n.op_type == "Bernoulli";
}


// Sizes come from the model and its inputs: refuse absurd ones instead of failing to allocate.
constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 34;  // 16 GiB

}  // namespace

Expected<Tensor> allocate_tensor(DType dtype, const Shape& shape, const std::string& what) {
  uint64_t bytes = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument(what, ": negative dimension in shape ", shape_str(shape));
    if (d != 0 && bytes > kMaxTensorBytes / static_cast<uint64_t>(d))
      return invalid_argument(what, ": tensor of shape ", shape_str(shape), " would need more than 16 GiB");
    bytes *= static_cast<uint64_t>(d);
  }
  Tensor t = Tensor::empty(dtype, shape);
  if (!t.defined()) return io_error(what, ": out of memory allocating ", bytes, " bytes");
  return t;
}

namespace {

// Nodes that produce nothing anybody reads (no graph output depends on them).
std::vector<bool> dead_nodes(const Graph& g) {
  std::vector<bool> needed(g.values.size(), false), dead(g.nodes.size(), true);
  for (int v : g.outputs)
    if (v >= 0) needed[static_cast<size_t>(v)] = true;
  for (size_t ni = g.nodes.size(); ni-- > 0;) {
    const Node& n = g.nodes[ni];
    for (int v : n.outputs)
      if (v >= 0 && needed[static_cast<size_t>(v)]) dead[ni] = false;
    if (dead[ni]) continue;
    for (int v : n.inputs)
      if (v >= 0) needed[static_cast<size_t>(v)] = true;
  }
  return dead;
}

}  // namespace

Expected<std::unique_ptr<Plan>> Plan::build(const Model& model, const std::vector<Tensor>& inputs,
                                            bool* used_input_values, ThreadPool* pool,
                                            bool reference_kernels, bool reuse_buffers) {
  PlanOptions options;
  options.backend = reference_kernels ? "reference" : "cpu";
  options.reuse_buffers = reuse_buffers;
  return build(model, inputs, used_input_values, pool, options);
}

Expected<std::unique_ptr<Plan>> Plan::build(const Model& model, const std::vector<Tensor>& inputs,
                                            bool* used_input_values, ThreadPool* pool, const PlanOptions& options) {
  const bool reuse_buffers = options.reuse_buffers;
#ifndef EDGERUN_HAVE_XNNPACK
  if (options.backend == "xnnpack") return unsupported("backend 'xnnpack': edgerun was built without XNNPACK");
#endif
  const bool use_xnnpack = options.backend == "xnnpack";
  std::vector<bool> xnn_reads_value(model.graph.values.size(), false);  // read in place by an XNNPACK kernel
  if (used_input_values) *used_input_values = false;
  ER_RETURN_IF_ERROR(model.ensure_initializers());
  const Graph& g = model.graph;
  if (inputs.size() != g.inputs.size())
    return invalid_argument("model has ", g.inputs.size(), " inputs, got ", inputs.size());
  std::unique_ptr<Plan> plan(new Plan());
  plan->model_ = &model;
  plan->values_.resize(g.values.size());
  std::vector<ValueInfo> infos(g.values.size());
  std::vector<bool> known(g.values.size(), false);

  for (size_t v = 0; v < g.values.size(); ++v) {
    const Value& val = g.values[v];
    if (val.scaled) {  // computed just before its first reader is prepared (below)
      infos[v] = ValueInfo{DType::kFloat32, val.shape, &plan->values_[v], static_cast<int>(v)};
      known[v] = true;
      continue;
    }
    if (!val.initializer.defined()) continue;
    plan->values_[v] = val.initializer;
    infos[v] = ValueInfo{val.initializer.dtype(), val.initializer.shape(), &plan->values_[v], static_cast<int>(v)};
    known[v] = true;
  }
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    int v = g.inputs[k];
    plan->input_shapes_.push_back(inputs[k].shape());
    infos[static_cast<size_t>(v)] = ValueInfo{inputs[k].dtype(), inputs[k].shape(), nullptr, v};
    known[static_cast<size_t>(v)] = true;
  }

  GraphInputResolver resolver(g, inputs);
  const OpRegistry& registry = OpRegistry::get();
  std::vector<size_t> step_of_value(g.values.size(), SIZE_MAX);  // defining step for run-time values

  const std::vector<bool> dead = reuse_buffers ? dead_nodes(g) : std::vector<bool>(g.nodes.size(), false);
  // Early release of packed initializers: readers still to be prepared, and whether some reader needs the
  // tensor itself (run time, constant folding, graph output).
  Model* release_model = use_xnnpack ? nullptr : options.release_packed_sources;
  std::vector<int> readers_left(g.values.size(), 0);
  std::vector<bool> keep_source(g.values.size(), false);
  if (release_model) {
    for (size_t ni = 0; ni < g.nodes.size(); ++ni)
      if (!dead[ni])
        for (int v : g.nodes[ni].inputs)
          if (v >= 0) ++readers_left[static_cast<size_t>(v)];
    for (int v : g.outputs)
      if (v >= 0) keep_source[static_cast<size_t>(v)] = true;
    for (size_t v = 0; v < g.values.size(); ++v)  // a deferred constant read by some node reads its source once
      if (g.values[v].scaled && readers_left[v] > 0) ++readers_left[static_cast<size_t>(g.values[v].scaled->source)];
  }
  auto keep_inputs = [&](const Node& n) {
    for (int v : n.inputs)
      if (v >= 0) keep_source[static_cast<size_t>(v)] = true;
  };
  // Drops initializer `v` (the model can decode it again: Model::ensure_initializers) and its file pages.
  auto release_initializer = [&](size_t v) {
    Tensor& init = release_model->graph.values[v].initializer;
    if (!init.defined() || plan->values_[v].raw_data() != init.raw_data()) return;
    const MappedFile* file = release_model->file.get();
    const uint8_t* b = static_cast<const uint8_t*>(init.raw_data());
    if (file && file->size() > 0 && b >= file->data() && b + init.nbytes() <= file->data() + file->size())
      file->release_pages(static_cast<size_t>(b - file->data()), init.nbytes());
    init = Tensor();
    plan->values_[v] = Tensor();
    release_model->released_initializers.push_back(static_cast<int>(v));
  };
  auto release_packed = [&](const Node& n, const std::vector<int>& packed) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int v = n.inputs[i];
      if (v < 0) continue;
      const size_t vu = static_cast<size_t>(v);
      if (std::find(packed.begin(), packed.end(), static_cast<int>(i)) == packed.end()) keep_source[vu] = true;
      if (--readers_left[vu] > 0 || keep_source[vu]) continue;
      if (g.values[vu].scaled)
        plan->values_[vu] = Tensor();  // computed again from its source by a later plan
      else
        release_initializer(vu);
    }
  };
  // Deferred folded constants (ScaledConstant) read by `n`, computed now; a source nobody else reads is released.
  std::vector<bool> scaled_done(g.values.size(), false);
  auto compute_scaled_inputs = [&](const Node& n) -> Status {
    for (int v : n.inputs) {
      if (v < 0 || !g.values[static_cast<size_t>(v)].scaled || scaled_done[static_cast<size_t>(v)]) continue;
      const size_t vu = static_cast<size_t>(v);
      scaled_done[vu] = true;
      const ScaledConstant& sc = *g.values[vu].scaled;
      const size_t src = static_cast<size_t>(sc.source);
      if (!plan->values_[src].defined())
        return internal_error(n.describe(), ": source of folded constant '", g.values[vu].name, "' is missing");
      plan->values_[vu] = sc.compute(plan->values_[src]);
      if (!plan->values_[vu].defined())
        return io_error(n.describe(), ": out of memory folding constant '", g.values[vu].name, "' (",
                        plan->values_[src].nbytes(), " bytes)");
      if (release_model && --readers_left[src] == 0 && !keep_source[src]) release_initializer(src);
    }
    return Status();
  };
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    const Node& node = g.nodes[ni];
    if (dead[ni]) {
      ++plan->dead_nodes_;
      continue;
    }
    ER_RETURN_IF_ERROR(compute_scaled_inputs(node));
    std::vector<ValueInfo> in_infos;
    bool all_const = true;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      int v = node.inputs[i];
      if (v < 0) {
        in_infos.push_back(ValueInfo{});
        continue;
      }
      if (!known[static_cast<size_t>(v)])
        return invalid_model(node.describe(), ": input '", g.values[static_cast<size_t>(v)].name,
                             "' is not a graph input, an initializer, or the output of an earlier node");
      in_infos.push_back(infos[static_cast<size_t>(v)]);
      if (!infos[static_cast<size_t>(v)].constant) all_const = false;
    }
    int64_t opset = model.opset(node.domain);
    const OpSchema* schema = registry.find(node.domain, node.op_type, opset);
    if (!schema) {
      if (registry.knows(node.domain, node.op_type))
        return unsupported(node.describe(), ": opset ", opset, " of this op is not supported");
      return unsupported(node.describe(), ": op is not supported by edgerun");
    }
    PrepareContext ctx(node, opset, std::move(in_infos), &resolver);
    ctx.set_backend(options.backend);
    auto prepared = schema->prepare(ctx);
    if (used_input_values && !resolver.used.empty()) *used_input_values = true;
    if (!prepared.ok()) return prepared.status();
    std::unique_ptr<OpKernel> kernel = std::move(prepared).value();
    bool outputs_const = true;
    for (int o = 0; o < ctx.num_outputs(); ++o) {
      int v = node.outputs[static_cast<size_t>(o)];
      if (v < 0) continue;
      const auto& oi = ctx.outputs()[static_cast<size_t>(o)];
      if (!oi.set) return internal_error(node.describe(), ": prepare did not set output ", o);
      for (int64_t d : oi.shape)
        if (d < 0) return internal_error(node.describe(), ": prepare set a negative dimension on output ", o);
      infos[static_cast<size_t>(v)] = ValueInfo{oi.dtype, oi.shape, nullptr, v};
      known[static_cast<size_t>(v)] = true;
      if (oi.constant.defined()) {
        plan->values_[static_cast<size_t>(v)] = oi.constant;
        infos[static_cast<size_t>(v)].constant = &plan->values_[static_cast<size_t>(v)];
      } else {
        outputs_const = false;
      }
    }
    if (outputs_const) {
      if (release_model) keep_inputs(node);
      ++plan->folded_;
      continue;
    }
#ifdef EDGERUN_HAVE_XNNPACK
    if (use_xnnpack && !(all_const && !node.inputs.empty() && !is_nondeterministic(node))) {
      // The op's own prepare validated the node and set its outputs; the adapter may replace its kernel.
      ER_ASSIGN_OR_RETURN(std::unique_ptr<OpKernel> xnn_kernel, xnnpack_prepare(ctx));
      if (xnn_kernel) {
        kernel = std::move(xnn_kernel);
        for (int v : node.inputs)
          if (v >= 0) xnn_reads_value[static_cast<size_t>(v)] = true;
      }
    }
#else
    (void)use_xnnpack;
#endif
    Step step;
    step.node = static_cast<int>(ni);
    step.kernel = std::move(kernel);
    step.ctx.pool = pool;
    for (int v : node.inputs) step.ctx.inputs.push_back(v < 0 ? nullptr : &plan->values_[static_cast<size_t>(v)]);
    for (int v : node.outputs) step.ctx.outputs.push_back(v < 0 ? nullptr : &plan->values_[static_cast<size_t>(v)]);
    if (all_const && !node.inputs.empty() && !is_nondeterministic(node)) {
      // Constant folding: evaluate now; the outputs become constants.
      if (release_model) keep_inputs(node);
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        int v = node.outputs[o];
        if (v < 0) continue;
        ER_ASSIGN_OR_RETURN(plan->values_[static_cast<size_t>(v)],
                            allocate_tensor(infos[static_cast<size_t>(v)].dtype, infos[static_cast<size_t>(v)].shape,
                                     node.describe() + " (constant folding)"));
      }
      Status st = step.kernel->run(step.ctx);
      if (!st.ok()) return st.with_context(node.describe() + " (constant folding)");
      for (int v : node.outputs)
        if (v >= 0) infos[static_cast<size_t>(v)].constant = &plan->values_[static_cast<size_t>(v)];
      ++plan->folded_;
      continue;
    }
    for (int v : node.outputs)
      if (v >= 0) step_of_value[static_cast<size_t>(v)] = plan->steps_.size();
    if (release_model) release_packed(node, step.kernel->packed_inputs());
    plan->steps_.push_back(std::move(step));
  }

  for (int v : g.outputs)
    if (v < 0 || !known[static_cast<size_t>(v)])
      return invalid_model("graph output '", v < 0 ? std::string("?") : g.values[static_cast<size_t>(v)].name,
                           "' is never produced");

  // Memory plan: run-time values share one arena according to their lifetimes.
  std::vector<MemoryValue> mvalues(g.values.size());
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (step_of_value[v] == SIZE_MAX || infos[v].constant) continue;
    MemoryValue& mv = mvalues[v];
    mv.arena = true;
    mv.dtype = infos[v].dtype;
    mv.shape = infos[v].shape;
    uint64_t bytes = dtype_size(infos[v].dtype);
    for (int64_t d : infos[v].shape) {
      if (d != 0 && bytes > kMaxTensorBytes / static_cast<uint64_t>(d))
        return invalid_argument("value '", g.values[v].name, "' of shape ", shape_str(infos[v].shape),
                                " would need more than 16 GiB");
      bytes *= static_cast<uint64_t>(d);
    }
    mv.bytes = static_cast<size_t>(bytes);
  }
  std::vector<MemoryStep> msteps;
  for (const Step& st : plan->steps_) {
    const Node& n = g.nodes[static_cast<size_t>(st.node)];
    MemoryStep ms{n.domain.empty() ? n.op_type : std::string(), n.inputs, n.outputs};
    ms.in_place_input = st.kernel->in_place_input();
    if (ms.op_type == "Concat" && n.outputs.size() == 1 && n.outputs[0] >= 0) {
      // Outer size 1 (every dim before the axis is 1): the inputs are consecutive byte ranges of the output.
      const Shape& os = infos[static_cast<size_t>(n.outputs[0])].shape;
      const int64_t rank = static_cast<int64_t>(os.size());
      int64_t axis = n.attr_int("axis", 1);
      if (axis < 0) axis += rank;
      bool outer1 = axis >= 0 && axis < rank;
      for (int64_t d = 0; outer1 && d < axis; ++d) outer1 = os[static_cast<size_t>(d)] == 1;
      ms.concat_slices = outer1;
    }
    msteps.push_back(std::move(ms));
  }
  MemoryPlan mem = plan_memory(msteps, mvalues, g.outputs, reuse_buffers);
  plan->arena_bytes_ = mem.arena_bytes;
  plan->aliased_ = mem.aliased_steps;
  plan->in_place_ = mem.in_place_steps;
  plan->concat_in_place_ = mem.concat_steps;
  plan->concat_in_place_bytes_ = mem.concat_bytes;
  ER_ASSIGN_OR_RETURN(Tensor arena, allocate_tensor(DType::kUInt8, {static_cast<int64_t>(plan->arena_bytes_)}, "activation arena"));
  auto keep = std::make_shared<Tensor>(arena);
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (mem.offset[v] < 0) continue;
    plan->values_[v] = Tensor::view(infos[v].dtype, infos[v].shape, arena.data<uint8_t>() + mem.offset[v], keep);
  }
  std::vector<Step> kept;
  for (size_t s = 0; s < plan->steps_.size(); ++s)
    if (!mem.skip[s]) kept.push_back(std::move(plan->steps_[s]));
  plan->steps_ = std::move(kept);
  for (int k : resolver.used) plan->value_inputs_.emplace_back(k, inputs[static_cast<size_t>(k)].clone());
  // A caller's tensor may end at a page boundary: graph inputs that XNNPACK kernels read in place are staged in
  // buffers with slack (Tensor::empty pads every allocation).
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    if (!xnn_reads_value[static_cast<size_t>(g.inputs[k])]) continue;
    ER_ASSIGN_OR_RETURN(Tensor staged, allocate_tensor(inputs[k].dtype(), inputs[k].shape(), "staged graph input"));
    plan->staged_inputs_.emplace_back(static_cast<int>(k), std::move(staged));
  }
  return plan;
}

size_t Plan::release_packed_weight_pages() const {
  const MappedFile* file = model_->file.get();
  if (!file || file->size() == 0) return 0;
  const Graph& g = model_->graph;
  const uint8_t* fbegin = file->data();
  const uint8_t* fend = fbegin + file->size();
  // Byte ranges read at run time: unpacked step inputs and graph outputs (cloned after every run).
  std::vector<std::pair<const uint8_t*, const uint8_t*>> read;
  std::vector<int> packed_readers(g.values.size(), 0);
  std::vector<bool> unpacked_reader(g.values.size(), false);
  auto range = [](const Tensor& t) {
    const uint8_t* p = static_cast<const uint8_t*>(t.raw_data());
    return std::make_pair(p, p + t.nbytes());
  };
  for (const Step& s : steps_) {
    const Node& n = g.nodes[static_cast<size_t>(s.node)];
    std::vector<int> packed = s.kernel->packed_inputs();
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      int v = n.inputs[i];
      if (v < 0) continue;
      if (std::find(packed.begin(), packed.end(), static_cast<int>(i)) != packed.end()) {
        ++packed_readers[static_cast<size_t>(v)];
      } else {
        unpacked_reader[static_cast<size_t>(v)] = true;
        if (values_[static_cast<size_t>(v)].defined()) read.push_back(range(values_[static_cast<size_t>(v)]));
      }
    }
  }
  for (int v : g.outputs)
    if (v >= 0 && values_[static_cast<size_t>(v)].defined()) read.push_back(range(values_[static_cast<size_t>(v)]));
  size_t released = 0;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (size_t v = 0; v < g.values.size(); ++v) {
    const Tensor& t = g.values[v].initializer;
    if (!t.defined() || packed_readers[v] == 0 || unpacked_reader[v]) continue;
    auto [b, e] = range(t);
    if (b < fbegin || e > fend || b == e) continue;
    bool overlaps = std::any_of(read.begin(), read.end(), [&](const auto& r) { return r.first < e && b < r.second; });
    if (overlaps) continue;
    const size_t off = static_cast<size_t>(b - fbegin), len = t.nbytes();
    file->release_pages(off, len);
    const uintptr_t ab = (reinterpret_cast<uintptr_t>(b) + page - 1) / page * page;
    const uintptr_t ae = reinterpret_cast<uintptr_t>(e) / page * page;
    if (ae > ab) released += ae - ab;
  }
  return released;
}

size_t Plan::packed_weight_bytes() const {
  size_t total = 0;
  for (const Step& s : steps_) total += s.kernel->packed_bytes();
  return total;
}

void Plan::enable_profiling(bool on) {
  profiling_ = on;
  profile_.clear();
  if (!on) return;
  for (const Step& s : steps_) profile_.push_back(StepProfile{s.node, s.kernel.get(), 0.0, 0});
}

bool Plan::input_values_match(const std::vector<Tensor>& inputs) const {
  for (const auto& [k, t] : value_inputs_) {
    const Tensor& in = inputs[static_cast<size_t>(k)];
    if (in.dtype() != t.dtype() || in.shape() != t.shape()) return false;
    if (std::memcmp(in.raw_data(), t.raw_data(), t.nbytes()) != 0) return false;
  }
  return true;
}

Status Plan::run(const std::vector<Tensor>& inputs, std::vector<Tensor>* outputs) {
  const Graph& g = model_->graph;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    const Tensor& in = inputs[k];
    values_[static_cast<size_t>(g.inputs[k])] =
        Tensor::view(in.dtype(), in.shape(), const_cast<void*>(in.raw_data()));
  }
  for (auto& [k, staged] : staged_inputs_) {
    const Tensor& in = inputs[static_cast<size_t>(k)];
    if (in.nbytes() != staged.nbytes()) return invalid_argument("input ", k, " does not have the planned shape");
    std::memcpy(staged.raw_data(), in.raw_data(), in.nbytes());
    values_[static_cast<size_t>(g.inputs[static_cast<size_t>(k)])] = staged;
  }
  if (profiling_) {
    for (size_t i = 0; i < steps_.size(); ++i) {
      Step& s = steps_[i];
      auto t0 = std::chrono::steady_clock::now();
      Status st = s.kernel->run(s.ctx);
      auto t1 = std::chrono::steady_clock::now();
      if (!st.ok()) return st.with_context(g.nodes[static_cast<size_t>(s.node)].describe());
      profile_[i].total_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
      profile_[i].runs += 1;
    }
  } else {
    for (Step& s : steps_) {
      Status st = s.kernel->run(s.ctx);
      if (!st.ok()) return st.with_context(g.nodes[static_cast<size_t>(s.node)].describe());
    }
  }
  outputs->clear();
  for (int v : g.outputs) outputs->push_back(values_[static_cast<size_t>(v)].clone());
  return Status();
}

}  // namespace edgerun
