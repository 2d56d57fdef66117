// Session: load a model once, plan it for concrete input shapes, run it many times.
//
//   auto s = edgerun::Session::load("model.onnx");
//   if (!s.ok()) { puts(s.status().to_string().c_str()); return 1; }
//   std::vector<edgerun::Tensor> out;
//   edgerun::Status st = (*s)->run({input}, &out);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun {

struct Model;

struct SessionOptions {
  int threads = 0;              // 0 = default: physical cores (the big cores on big.LITTLE)
  bool pin_threads = false;     // pin pool thread i to the i-th fastest physical core
  int optimization_level = 1;   // 0 = run the graph as written; 1+ = graph passes
  // "auto" (XNNPACK on arm64 when built with it, else "cpu"), "cpu" (own kernels), "reference" (plain reference
  // kernels), "xnnpack" (XNNPACK where it covers a node, own kernels elsewhere).
  std::string backend = "auto";
  // Binds dynamic input dims (e.g. {"images", {1,3,640,640}}); inputs not named keep the file's shape.
  std::map<std::string, Shape> input_shapes;
};

struct TensorSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;                         // -1 where the dimension is dynamic
  std::vector<std::string> dim_names;  // symbolic names where the file gives them
};

class Session {
 public:
  static Expected<std::unique_ptr<Session>> load(const std::string& path, const SessionOptions& options = {});
  // Takes ownership of an already-loaded model (tests, tools).
  static Expected<std::unique_ptr<Session>> create(std::unique_ptr<Model> model, const SessionOptions& options = {});
  ~Session();

  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  const Model& model() const;

  // Plans for these input shapes now (load does it already when all shapes are known).
  Status prepare(const std::vector<Shape>& input_shapes);
  // Inputs in the model's input order. Outputs are owned tensors in the model's output order.
  Status run(const std::vector<Tensor>& inputs, std::vector<Tensor>* outputs);

  // Ops in the model that edgerun cannot run (deduplicated "domain.Op" or "Op"); empty if none.
  std::vector<std::string> unsupported_ops() const;

  struct Stats {
    size_t arena_bytes = 0;          // activation memory of the current plan
    size_t packed_weight_bytes = 0;  // weights repacked by kernels at prepare
    size_t steps = 0;                // kernels executed per run (after folding)
    size_t folded_nodes = 0;         // nodes evaluated at prepare (constant folding)
  };
  Stats stats() const;

  // Threads the session runs kernels on (the resolved value of SessionOptions::threads).
  int threads() const;
  // Backend the session plans with (SessionOptions::backend with "auto" resolved).
  const std::string& backend() const;

  // Per-node timing of subsequent run() calls (off by default; costs two clock reads per node).
  void enable_profiling(bool on);
  struct NodeProfile {
    std::string node;     // node name
    std::string op_type;  // "Conv", "com.edgerun.FusedConv", ...
    std::string variant;  // kernel implementation that ran
    double mean_ms = 0.0; // mean wall time per run
    double flops = 0.0;   // floating-point operations per run (0 if not counted)
  };
  // One entry per executed node, in execution order, averaged over the runs since enable_profiling(true).
  std::vector<NodeProfile> profile() const;

 private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgerun
