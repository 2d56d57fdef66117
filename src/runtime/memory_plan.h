// Activation memory: places the run-time values of a plan in one arena by lifetime. With buffer reuse on,
// view ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity) alias their input's buffer and skip their copy,
// element-wise ops (opt-in list) write into an input buffer that dies at that step, and a Concat whose inputs are
// consecutive byte ranges of its output (outer size 1: NCHW channel concat at batch 1) has its producers write
// straight into those ranges (the Concat step is skipped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/tensor.h"

namespace edgerun {

struct MemoryStep {
  std::string op_type;  // default-domain op type ("" for other domains: never aliased nor in place)
  std::vector<int> inputs, outputs;  // value ids, -1 = omitted
  bool concat_slices = false;        // outputs[0] holds inputs' bytes back to back, in order (Concat, outer 1)
  int in_place_input = -1;           // the kernel may write outputs[0] over this input (OpKernel::in_place_input)
};

struct MemoryValue {
  bool arena = false;  // produced by a step at run time (not a constant, not a graph input)
  DType dtype = DType::kUndefined;
  Shape shape;
  size_t bytes = 0;
};

struct MemoryPlan {
  std::vector<int64_t> offset;  // per value: byte offset in the arena, -1 when not an arena value
  std::vector<bool> skip;       // per step: a view op whose output aliases its input, or a Concat whose
                                // inputs were written into its output (no kernel call)
  size_t arena_bytes = 0;
  size_t aliased_steps = 0, in_place_steps = 0, concat_steps = 0;
  size_t concat_bytes = 0;  // output bytes of the Concats planned in place (copies each run no longer makes)
};

// `steps` in execution order; `values` indexed by value id; `graph_outputs` stay alive to the end.
MemoryPlan plan_memory(const std::vector<MemoryStep>& steps, const std::vector<MemoryValue>& values,
                       const std::vector<int>& graph_outputs, bool reuse_buffers);

// Ops whose kernel computes out[i] from in[i] only (same shape), so out may share in's buffer.
bool op_runs_in_place(const std::string& op_type);
// Ops whose output is its input's bytes unchanged (a reinterpretation of the shape).
bool op_is_view(const std::string& op_type);

}  // namespace edgerun
