// The XNNPACK backend (src/backends/xnnpack/) on real models: the same references and tolerances as
// test_shared_models.cpp and test_torchvision_models.cpp, with SessionOptions::backend = "xnnpack", plus checks that
// XNNPACK really ran the nodes it covers (variants "xnnpack-*" in the profile) and that the rest fell back.
// Skips with a message when edgerun was built without XNNPACK (EDGERUN_WITH_XNNPACK=OFF).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "edgerun/session.h"
#include "models/model_test_util.h"
#include "test_data.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;
using testing::model_path;

#ifdef EDGERUN_HAVE_XNNPACK
#define REQUIRE_XNNPACK() \
  do {                    \
  } while (0)
#else
#define REQUIRE_XNNPACK() GTEST_SKIP() << "edgerun was built without XNNPACK (EDGERUN_WITH_XNNPACK=OFF)"
#endif

std::unique_ptr<Session> load_xnnpack(const fs::path& model) {
  SessionOptions o;
  o.backend = "xnnpack";
  auto s = Session::load(model.string(), o);
  EXPECT_TRUE(s.ok()) << model << ": " << s.status().to_string();
  if (!s.ok()) return nullptr;
  EXPECT_EQ((*s)->backend(), "xnnpack");
  (*s)->enable_profiling(true);
  return std::move(*s);
}

// Counts executed nodes per (op, variant) and prints them; returns how many ran on XNNPACK.
int report_variants(const Session& s, const std::string& label) {
  std::map<std::string, int> counts;
  int xnn = 0;
  for (const Session::NodeProfile& p : s.profile()) {
    ++counts[p.op_type + " -> " + p.variant];
    if (p.variant.rfind("xnnpack-", 0) == 0) ++xnn;
  }
  std::printf("[ %-28s ] %d of %zu nodes on XNNPACK:", label.c_str(), xnn, s.profile().size());
  for (const auto& [k, n] : counts) std::printf(" %s x%d;", k.c_str(), n);
  std::printf("\n");
  return xnn;
}

// Every Conv (plain or fused) ran on XNNPACK.
void expect_convs_on_xnnpack(const Session& s, const std::string& label) {
  for (const Session::NodeProfile& p : s.profile()) {
    if (p.op_type.find("Conv") == std::string::npos || p.op_type.find("QLinear") != std::string::npos) continue;
    EXPECT_EQ(p.variant.rfind("xnnpack-", 0), 0u) << label << ": " << p.node << " (" << p.op_type << ") ran "
                                                  << p.variant;
  }
}

TEST(XnnpackBackend, UnknownBackendIsAnError) {
  SessionOptions o;
  o.backend = "gpu";
  auto s = Session::load(model_path("classification/mobilenetv2-fp32-dequantized/model.onnx"), o);
  EXPECT_FALSE(s.ok());
}

TEST(XnnpackBackend, MobilenetV2Fp32DequantizedMatchesOrt) {
  REQUIRE_XNNPACK();
  const fs::path dir = model_path("classification/mobilenetv2-fp32-dequantized");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto s = load_xnnpack(dir / "model.onnx");
  ASSERT_TRUE(s);
  auto sets = testing::test_data_sets(dir);
  ASSERT_EQ(sets.size(), 6u);
  for (size_t i = 0; i < sets.size(); ++i)
    testing::run_and_compare(*s, sets[i], "mobilenetv2-fp32 xnn set " + std::to_string(i), 1e-3);
  EXPECT_GT(report_variants(*s, "mobilenetv2-fp32-dequantized"), 50);
  expect_convs_on_xnnpack(*s, "mobilenetv2-fp32-dequantized");
}

TEST(XnnpackBackend, YoloxNanoMatchesOrt) {
  REQUIRE_XNNPACK();
  const fs::path dir = model_path("detection/yolox-nano");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto s = load_xnnpack(dir / "model.onnx");
  ASSERT_TRUE(s);
  testing::run_and_compare(*s, dir / "test_data_set_0", "yolox-nano xnn set 0", 1e-3);
  EXPECT_GT(report_variants(*s, "yolox-nano"), 50);
  expect_convs_on_xnnpack(*s, "yolox-nano");
}

// The int8 model's QLinear* ops keep the own integer kernels (XNNPACK's requantization rounds differently), so the
// result must stay within one quantization step of the exact references, as with the cpu backend.
TEST(XnnpackBackend, MobilenetV2Int8WithinOneQuantizationStep) {
  REQUIRE_XNNPACK();
  const fs::path dir = model_path("classification/mobilenetv2-12-int8");
  const fs::path exact_refs = fs::path(EDGERUN_SOURCE_DIR) / "tests/models/data/mobilenetv2-12-int8";
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto xnn = load_xnnpack(dir / "model.onnx");
  ASSERT_TRUE(xnn);
  SessionOptions o;
  o.backend = "cpu";
  auto cpu = Session::load((dir / "model.onnx").string(), o);
  ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
  auto sets = testing::test_data_sets(dir);
  ASSERT_EQ(sets.size(), 6u);
  for (size_t i = 0; i < sets.size(); ++i) {
    const std::string label = "mobilenetv2-12-int8 xnn set " + std::to_string(i);
    std::string error;
    std::vector<Tensor> input = testing::read_pb_tensors(sets[i], "input", &error);
    ASSERT_TRUE(error.empty()) << error;
    auto exact = read_tensor_proto_file((exact_refs / ("output_" + std::to_string(i) + ".pb")).string());
    ASSERT_TRUE(exact.ok()) << exact.status().to_string();
    std::vector<Tensor> out, out_cpu;
    ASSERT_TRUE(xnn->run(input, &out).ok()) << label;
    ASSERT_TRUE((*cpu)->run(input, &out_cpu).ok()) << label;
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].shape(), exact->shape());
    // The output is DequantizeLinear(uint8): values lie on a grid; one step is the smallest gap of the exact refs.
    std::vector<float> v(exact->data<float>(), exact->data<float>() + exact->numel());
    std::sort(v.begin(), v.end());
    double step = 0;
    for (size_t k = 1; k < v.size(); ++k)
      if (v[k] != v[k - 1] && (step == 0 || v[k] - v[k - 1] < step)) step = v[k] - v[k - 1];
    testing::Comparison c = testing::compare_f32(*exact, out[0]);
    testing::Comparison same = testing::compare_f32(out_cpu[0], out[0]);
    std::printf("[ %-28s ] max abs err %.4g (step %.4g) vs exact reference; %.4g vs the cpu backend\n", label.c_str(),
                c.max_abs_err, step, same.max_abs_err);
    EXPECT_EQ(c.non_finite, 0) << label;
    EXPECT_LE(c.max_abs_err, step * (1 + 1e-3) + 1e-6) << label;
  }
  report_variants(*xnn, "mobilenetv2-12-int8");
}

class XnnpackTorchvision : public ::testing::TestWithParam<const char*> {};

TEST_P(XnnpackTorchvision, MatchesPyTorch) {
  REQUIRE_XNNPACK();
  const std::string name = GetParam();
  const fs::path dir = fs::path(testing::generated_dir()) / "torchvision" / name;
  if (!fs::exists(dir / "model.onnx") || !fs::exists(dir / "test_data_set_0" / "output_0.pb"))
    GTEST_SKIP() << "generated model not found: " << dir.string()
                 << " (run scripts/gen_test_models.sh; it needs python3-torchvision)";
  auto s = load_xnnpack(dir / "model.onnx");
  ASSERT_TRUE(s);
  testing::run_and_compare(*s, dir / "test_data_set_0", name + " xnn", 1e-3);
  EXPECT_GT(report_variants(*s, name), 10);
  expect_convs_on_xnnpack(*s, name);
}

INSTANTIATE_TEST_SUITE_P(Generated, XnnpackTorchvision, ::testing::Values("mobilenet_v2", "resnet18"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace edgerun
