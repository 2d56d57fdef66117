// Shared by the generated-model tests: where scripts/gen_test_models.sh put its data, and output comparison.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "edgerun/session.h"
#include "edgerun/tensor.h"
#include "onnx/tensor_proto.h"

namespace edgerun::testing {

// $EDGERUN_GENERATED_DIR, else <repo>/.cache/generated (what scripts/gen_test_models.sh writes by default).
inline std::string generated_dir() {
  const char* env = std::getenv("EDGERUN_GENERATED_DIR");
  return env && *env ? env : std::string(EDGERUN_SOURCE_DIR) + "/.cache/generated";
}

// test_data_set_0, test_data_set_1, ... in numeric order.
inline std::vector<std::filesystem::path> test_data_sets(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> sets;
  for (int i = 0;; ++i) {
    std::filesystem::path p = dir / ("test_data_set_" + std::to_string(i));
    if (!std::filesystem::is_directory(p)) break;
    sets.push_back(p);
  }
  return sets;
}

// Reads input_0.pb, input_1.pb, ... (or output_N.pb with prefix "output").
inline std::vector<Tensor> read_pb_tensors(const std::filesystem::path& set_dir, const std::string& prefix,
                                           std::string* error) {
  std::vector<Tensor> out;
  for (int i = 0;; ++i) {
    std::filesystem::path p = set_dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!std::filesystem::exists(p)) break;
    Expected<Tensor> t = read_tensor_proto_file(p.string());
    if (!t.ok()) {
      *error = t.status().to_string();
      return {};
    }
    out.push_back(std::move(*t));
  }
  return out;
}

struct Comparison {
  double max_abs_err = 0;  // max |got - ref|
  double max_abs_ref = 0;  // max |ref|
  double relative = 0;     // max_abs_err / max_abs_ref: one number per tensor, independent of the output's scale
  int64_t worst_index = -1;
  int64_t non_finite = 0;  // NaN/Inf in `got` where ref is finite
};

inline Comparison compare_f32(const Tensor& ref, const Tensor& got) {
  Comparison c;
  const float* r = ref.data<float>();
  const float* g = got.data<float>();
  for (int64_t i = 0; i < ref.numel(); ++i) {
    c.max_abs_ref = std::max(c.max_abs_ref, std::abs(static_cast<double>(r[i])));
    if (!std::isfinite(g[i])) {
      ++c.non_finite;
      continue;
    }
    double e = std::abs(static_cast<double>(g[i]) - r[i]);
    if (e > c.max_abs_err) {
      c.max_abs_err = e;
      c.worst_index = i;
    }
  }
  c.relative = c.max_abs_err / std::max(c.max_abs_ref, 1e-30);
  return c;
}

// Runs one test data set and checks every output against the reference within `tolerance` (relative to the
// reference's largest magnitude). Prints one line per output; `label` names the model and the set.
inline void run_and_compare(Session& session, const std::filesystem::path& set_dir, const std::string& label,
                            double tolerance, std::vector<Tensor>* outputs_out = nullptr) {
  std::string error;
  std::vector<Tensor> inputs = read_pb_tensors(set_dir, "input", &error);
  ASSERT_TRUE(error.empty()) << error;
  std::vector<Tensor> refs = read_pb_tensors(set_dir, "output", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_FALSE(inputs.empty()) << "no input_0.pb in " << set_dir;
  ASSERT_FALSE(refs.empty()) << "no output_0.pb in " << set_dir;

  std::vector<Tensor> outputs;
  auto start = std::chrono::steady_clock::now();
  Status st = session.run(inputs, &outputs);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(st.ok()) << label << ": run failed: " << st.to_string();
  ASSERT_EQ(outputs.size(), session.outputs().size()) << label;
  ASSERT_GE(outputs.size(), refs.size()) << label;
  for (size_t i = 0; i < refs.size(); ++i) {
    const Tensor& ref = refs[i];
    const Tensor& got = outputs[i];
    ASSERT_EQ(got.dtype(), ref.dtype()) << label << " output " << i;
    ASSERT_EQ(got.shape(), ref.shape()) << label << " output " << i << ": got " << shape_str(got.shape())
                                        << ", reference " << shape_str(ref.shape());
    ASSERT_EQ(ref.dtype(), DType::kFloat32) << label << ": only float32 outputs are compared";
    Comparison c = compare_f32(ref, got);
    std::printf("[ %-28s ] output %zu %s: max abs err %.3g, max |ref| %.3g, relative %.3g (run %.0f ms)\n",
                label.c_str(), i, shape_str(got.shape()).c_str(), c.max_abs_err, c.max_abs_ref, c.relative, ms);
    EXPECT_EQ(c.non_finite, 0) << label << " output " << i << " has NaN/Inf";
    EXPECT_LE(c.relative, tolerance) << label << " output " << i << ": max abs err " << c.max_abs_err
                                     << " at flat index " << c.worst_index << " (got "
                                     << (c.worst_index >= 0 ? got.data<float>()[c.worst_index] : 0.0f) << ", ref "
                                     << (c.worst_index >= 0 ? ref.data<float>()[c.worst_index] : 0.0f)
                                     << "), max |ref| " << c.max_abs_ref;
  }
  if (outputs_out) *outputs_out = std::move(outputs);
}

}  // namespace edgerun::testing
