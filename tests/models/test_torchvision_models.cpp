// torchvision models with seeded random weights (scripts/gen_torchvision_models.py): edgerun's output must match
// PyTorch's within 1e-3 of the output's largest magnitude. Skips when scripts/gen_test_models.sh has not run.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "edgerun/session.h"
#include "models/model_test_util.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;
using testing::generated_dir;

constexpr double kTolerance = 1e-3;

class TorchvisionModel : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchvisionModel, MatchesPyTorch) {
  const std::string name = GetParam();
  const fs::path dir = fs::path(generated_dir()) / "torchvision" / name;
  if (!fs::exists(dir / "model.onnx") || !fs::exists(dir / "test_data_set_0" / "output_0.pb"))
    GTEST_SKIP() << "generated model not found: " << dir.string()
                 << " (run scripts/gen_test_models.sh; it needs python3-torchvision)";

  Expected<std::unique_ptr<Session>> session = Session::load((dir / "model.onnx").string());
  ASSERT_TRUE(session.ok()) << name << ": " << session.status().to_string();
  Session& s = **session;

  // The export has one static input and one output: [1, 3, 224, 224] -> [1, 1000].
  ASSERT_EQ(s.inputs().size(), 1u);
  EXPECT_EQ(s.inputs()[0].name, "input");
  EXPECT_EQ(s.inputs()[0].dtype, DType::kFloat32);
  EXPECT_EQ(s.inputs()[0].shape, (Shape{1, 3, 224, 224}));
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.outputs()[0].shape, (Shape{1, 1000}));

  testing::run_and_compare(s, dir / "test_data_set_0", name, kTolerance);
  Session::Stats st = s.stats();
  std::printf("[ %-28s ] %zu steps, %zu folded nodes, arena %.1f MiB\n", name.c_str(), st.steps, st.folded_nodes,
              static_cast<double>(st.arena_bytes) / (1 << 20));
}

// The list scripts/gen_torchvision_models.py generates; a model missing from the generated data skips.
INSTANTIATE_TEST_SUITE_P(Generated, TorchvisionModel,
                         ::testing::Values("mobilenet_v2", "mobilenet_v3_small", "resnet18", "resnet50",
                                           "efficientnet_b0", "squeezenet1_1", "vit_tiny"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace edgerun
