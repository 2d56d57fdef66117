// Plan: a model prepared for concrete input shapes. Shape inference, constant folding and
// kernel choice happen in build(); run() only calls kernels in order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "graph/ir.h"
#include "ops/op_registry.h"

namespace edgerun {
class ThreadPool;
}

namespace edgerun {

// Allocates a zeroed tensor whose shape came from a model or caller: an error (not a crash) when the
// size is absurd (> 16 GiB) or memory is exhausted.
Expected<Tensor> allocate_tensor(DType dtype, const Shape& shape, const std::string& what);

// How a plan chooses kernels and buffers.
struct PlanOptions {
  // "cpu" (own kernels), "reference" (every op's plain reference kernel) or "xnnpack" (the XNNPACK adapter's
  // kernel where it covers the node, the own kernel elsewhere; only when built with EDGERUN_HAVE_XNNPACK).
  std::string backend = "cpu";
  bool reuse_buffers = true;  // see Plan::build
  // Set (to the model being planned): as soon as every reader of an initializer has packed it at prepare, its
  // tensor is dropped from the plan and from the model (ids appended to Model::released_initializers) and its
  // mmapped pages are released. Only safe where the caller can restore released initializers before re-planning.
  Model* release_packed_sources = nullptr;
};

class Plan {
 public:
  // `inputs` holds one tensor per graph input with the shapes to plan for; their values are
  // read only by ops that need them for shapes (see depends_on_input_values()).
  // `used_input_values` (optional) is set when some op read a graph input's value, also on failure: the caller
  // can then tell an error caused by placeholder input values from a real one.
  // `pool` (may be nullptr: single thread) is handed to every kernel at run time.
  // `reference_kernels`: every op uses its plain reference kernel (backend "reference").
  // `reuse_buffers`: skip nodes whose outputs nobody uses, let view ops (Reshape...) alias their input and
  // element-wise ops write in place (false: every value gets its own buffer, every node runs).
  static Expected<std::unique_ptr<Plan>> build(const Model& model, const std::vector<Tensor>& inputs,
                                               bool* used_input_values = nullptr, ThreadPool* pool = nullptr,
                                               bool reference_kernels = false, bool reuse_buffers = true);
  static Expected<std::unique_ptr<Plan>> build(const Model& model, const std::vector<Tensor>& inputs,
                                               bool* used_input_values, ThreadPool* pool, const PlanOptions& options);

  Status run(const std::vector<Tensor>& inputs, std::vector<Tensor>* outputs);

  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  // Graph inputs whose values (not only shapes) shaped the plan; a new value needs a new plan.
  bool depends_on_input_values() const { return !value_inputs_.empty(); }
  bool input_values_match(const std::vector<Tensor>& inputs) const;

  size_t arena_bytes() const { return arena_bytes_; }
  size_t packed_weight_bytes() const;

  // Per-step timing: when enabled, run() records the wall time of every step.
  struct StepProfile {
    int node = -1;               // index into model.graph.nodes
    const OpKernel* kernel = nullptr;
    double total_ms = 0.0;       // summed over the runs since enable_profiling()
    int64_t runs = 0;
  };
  void enable_profiling(bool on);
  const std::vector<StepProfile>& profile() const { return profile_; }
  size_t num_steps() const { return steps_.size(); }
  size_t num_folded() const { return folded_; }
  size_t num_dead_nodes() const { return dead_nodes_; }  // skipped: outputs never used
  size_t num_aliased() const { return aliased_; }        // view ops turned into aliases (no step)
  size_t num_in_place() const { return in_place_; }      // steps writing into an input's buffer
  size_t num_concat_in_place() const { return concat_in_place_; }  // Concats whose inputs were produced in place
  size_t concat_in_place_bytes() const { return concat_in_place_bytes_; }  // their output bytes

  // Releases (madvise) the file pages of initializers that every run-time reader packed at prepare and
  // that nothing reads at run time; returns the bytes of whole pages released. Only for mmapped models.
  size_t release_packed_weight_pages() const;

 private:
  struct Step {
    int node = -1;
    std::unique_ptr<OpKernel> kernel;
    KernelContext ctx;
  };
  const Model* model_ = nullptr;
  std::vector<Shape> input_shapes_;
  std::vector<Tensor> values_;                 // per value id: constant, buffer, or input view
  std::vector<Step> steps_;
  std::vector<std::pair<int, Tensor>> value_inputs_;  // (graph input index, value used)
  // Graph inputs copied each run into a plan-owned buffer with readable slack after the data (XNNPACK kernels
  // read up to 16 bytes past a tensor): (graph input index, staging tensor).
  std::vector<std::pair<int, Tensor>> staged_inputs_;
  size_t arena_bytes_ = 0;
  size_t folded_ = 0;
  size_t dead_nodes_ = 0, aliased_ = 0, in_place_ = 0, concat_in_place_ = 0, concat_in_place_bytes_ = 0;
  bool profiling_ = false;
  std::vector<StepProfile> profile_;
};

}  // namespace edgerun
