// The edgerun CLI, run as a separate process (EDGERUN_CLI_PATH): output formats, exit codes, error lines,
// and end-to-end results on the shared models (MNIST outputs, ImageNet top-1/top-5 with classify).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "onnx/tensor_proto.h"
#include "cli_runner.h"
#include "test_data.h"

namespace {

namespace fs = std::filesystem;
using edgerun::testing::model_path;
using edgerun::testing::CliResult;
using edgerun::testing::describe;
using edgerun::testing::read_all;
using edgerun::testing::run_cli;


// A failure the user caused: non-zero exit, no crash, and an "edgerun: error: " line on stderr.
void expect_clean_error(const CliResult& r) {
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.exit_code, 127) << "could not execute " << EDGERUN_CLI_PATH;
  bool has_line = r.err.rfind("edgerun: error: ", 0) == 0 || r.err.find("\nedgerun: error: ") != std::string::npos;
  EXPECT_TRUE(has_line) << describe(r);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edgerun_cli_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  std::string path_;
};

const std::string kMnist = "classification/mnist-8/model.onnx";

// ---- general ----

TEST(Cli, VersionAndHelp) {
  CliResult v = run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  EXPECT_EQ(v.out.rfind("edgerun ", 0), 0u) << v.out;
  CliResult h = run_cli({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  for (const char* cmd : {"inspect", "run", "classify"}) {
    EXPECT_NE(h.out.find(cmd), std::string::npos) << h.out;
    CliResult c = run_cli({cmd, "--help"});
    EXPECT_EQ(c.exit_code, 0) << describe(c);
    EXPECT_NE(c.out.find(std::string("usage: edgerun ") + cmd), std::string::npos) << c.out;
  }
}

TEST(Cli, UnknownCommandOrNoCommandIsAnError) {
  CliResult r = run_cli({"frobnicate"});
  expect_clean_error(r);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
  expect_clean_error(run_cli({}));
}

// ---- inspect ----

TEST(Cli, InspectJsonOnMnist) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"inspect", model, "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["inputs"].size(), 1u);
  EXPECT_EQ(j["inputs"][0]["name"], "Input3");
  EXPECT_EQ(j["inputs"][0]["dtype"], "float32");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::parse("[1, 1, 28, 28]"));
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "Plus214_Output_0");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json::parse("[1, 10]"));
  EXPECT_EQ(j["opsets"]["ai.onnx"], 8);
  EXPECT_EQ(j["ops"], nlohmann::json::parse(R"({"Add": 3, "Conv": 2, "MatMul": 1, "MaxPool": 2, "Relu": 2,
                                                "Reshape": 2})"));
  // conv1 8x1x5x5 + 8, conv2 16x8x5x5 + 16, fc 256x10 + 10, two 2-element int64 reshape targets.
  EXPECT_EQ(j["params"], 200 + 8 + 3200 + 16 + 2560 + 10 + 4);
  EXPECT_EQ(j["weight_bytes"], (200 + 8 + 3200 + 16 + 2560 + 10) * 4 + 4 * 8);
  EXPECT_EQ(j["unsupported"], nlohmann::json::array());
  ASSERT_TRUE(j["plan"].is_object()) << r.out;
  EXPECT_GT(j["plan"]["arena_bytes"].get<int64_t>(), 0);
}

TEST(Cli, InspectTextOnMnist) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"inspect", model});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* s : {"Input3", "float32", "[1, 1, 28, 28]", "Plus214_Output_0", "CNTK", "ai.onnx 8", "Conv",
                        "unsupported:  none", "arena"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
}

TEST(Cli, InspectShowsSymbolicDimsAndPlansWithShape) {
  std::string model = model_path("classification/mobilenetv2-12-int8/model.onnx");
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"inspect", model, "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::parse(R"(["batch_size", 3, 224, 224])"));
  EXPECT_EQ(j["ops"]["QLinearConv"], 52);
  EXPECT_EQ(j["ops"]["com.microsoft.QLinearAdd"], 11);
  EXPECT_EQ(j["opsets"]["com.microsoft"], 1);
  EXPECT_TRUE(j["plan"].is_null());  // batch_size unknown
  CliResult p = run_cli({"inspect", model, "--json", "--shape", "input=1x3x224x224"});
  ASSERT_EQ(p.exit_code, 0) << describe(p);
  nlohmann::json jp = nlohmann::json::parse(p.out);
  ASSERT_TRUE(jp["plan"].is_object()) << p.out;
  EXPECT_GT(jp["plan"]["arena_bytes"].get<int64_t>(), 0);
}

// ---- run ----

void expect_close_to_reference(const std::string& got_path, const std::string& ref_path, const std::string& name) {
  std::string got_name;
  auto got = edgerun::read_tensor_proto_file(got_path, &got_name);
  auto ref = edgerun::read_tensor_proto_file(ref_path);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  EXPECT_EQ(got_name, name);
  ASSERT_EQ(got->dtype(), edgerun::DType::kFloat32);
  ASSERT_EQ(got->shape(), ref->shape());
  for (int64_t i = 0; i < got->numel(); ++i) {
    float a = got->data<float>()[i], b = ref->data<float>()[i];
    // MNIST logits reach ~6500: 1e-4 relative (float32 has 24 bits; the reference comes from another runtime).
    EXPECT_NEAR(a, b, 1e-4 * std::max(1.0f, std::fabs(b))) << "element " << i;
  }
}

TEST(Cli, RunMnistWritesTheReferenceOutput) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  std::string data = model_path("classification/mnist-8/test_data_set_0");
  TempDir tmp;
  CliResult r = run_cli({"run", model, "--input", data + "/input_0.pb", "--output", tmp.file("out")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("latency:"), std::string::npos) << r.err;
  expect_close_to_reference(tmp.file("out/output_0.pb"), data + "/output_0.pb", "Plus214_Output_0");

  // A single .pb file, named input, warmup and several runs.
  CliResult f = run_cli({"run", model, "--input", "Input3=" + data + "/input_0.pb", "--output", tmp.file("o.pb"),
                         "--warmup", "1", "--runs", "3"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.err.find("3 runs"), std::string::npos) << f.err;
  expect_close_to_reference(tmp.file("o.pb"), data + "/output_0.pb", "Plus214_Output_0");
}

TEST(Cli, RunMnistPrintsASummary) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"run", model, "--input", model_path("classification/mnist-8/test_data_set_0/input_0.pb")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("output 0: Plus214_Output_0  float32  [1, 10]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("min "), std::string::npos);
  EXPECT_NE(r.out.find("values: "), std::string::npos);
}

TEST(Cli, RunRawInputAndRandom) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  std::string data = model_path("classification/mnist-8/test_data_set_0");
  auto input = edgerun::read_tensor_proto_file(data + "/input_0.pb");
  ASSERT_TRUE(input.ok()) << input.status().to_string();
  TempDir tmp;
  std::string raw(static_cast<const char*>(input->raw_data()), input->nbytes());
  std::string bin = tmp.write("in.bin", raw);
  CliResult r = run_cli({"run", model, "--input", bin, "--output", tmp.file("raw.pb")});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expect_close_to_reference(tmp.file("raw.pb"), data + "/output_0.pb", "Plus214_Output_0");

  // Size mismatch: one byte short.
  std::string short_bin = tmp.write("short.bin", raw.substr(1));
  CliResult s = run_cli({"run", model, "--input", short_bin});
  expect_clean_error(s);
  EXPECT_NE(s.err.find("bytes"), std::string::npos) << s.err;

  // --random is seeded: the same seed gives the same outputs.
  CliResult a = run_cli({"run", model, "--random", "--seed", "7"});
  CliResult b = run_cli({"run", model, "--random", "--seed", "7"});
  CliResult c = run_cli({"run", model, "--random", "--seed", "8"});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

// ---- bad input: an error line, a non-zero exit, never a crash ----

TEST(Cli, BadInputsAreCleanErrors) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  std::string input = model_path("classification/mnist-8/test_data_set_0/input_0.pb");
  TempDir tmp;
  std::string bytes = read_all(model);
  std::string truncated = tmp.write("truncated.onnx", bytes.substr(0, bytes.size() / 2));
  std::string text = tmp.write("notes.txt", "this is a text file, not a model or an image\n");

  expect_clean_error(run_cli({"inspect", tmp.file("missing.onnx")}));
  expect_clean_error(run_cli({"run", tmp.file("missing.onnx"), "--input", input}));
  expect_clean_error(run_cli({"inspect", truncated}));
  expect_clean_error(run_cli({"run", truncated, "--input", input}));
  expect_clean_error(run_cli({"inspect", text}));
  expect_clean_error(run_cli({"run", model, "--input", tmp.file("missing.pb")}));
  expect_clean_error(run_cli({"run", model, "--input", text}));                     // raw file of the wrong size
  expect_clean_error(run_cli({"run", model}));                                      // no input data
  expect_clean_error(run_cli({"run", model, "--input", input, "--input", input}));  // too many inputs
  expect_clean_error(run_cli({"run", model, "--input", input, "--shape", "Input3=1x1x28"}));     // wrong rank
  expect_clean_error(run_cli({"run", model, "--input", input, "--shape", "Input3=1x1x28x29"}));  // fixed dim
  expect_clean_error(run_cli({"run", model, "--input", input, "--shape", "nosuch=1x1x28x28"}));  // unknown input
  expect_clean_error(run_cli({"run", model, "--input", input, "--shape", "Input3=1xfoo"}));      // not a shape
  expect_clean_error(run_cli({"run", model, "--random", "--shape", "Input3=100000x100000x100000x100000"}));
  expect_clean_error(run_cli({"run", model, "--input", input, "--frobnicate"}));  // unknown flag
  expect_clean_error(run_cli({"inspect", model, "--json=yes"}));
  expect_clean_error(run_cli({"run", model, "--input", input, "--runs", "abc"}));
  expect_clean_error(run_cli({"run", model, "--input"}));  // missing value
  expect_clean_error(run_cli({"classify", model, text}));  // not an image (and not an RGB model)
  expect_clean_error(run_cli({"classify", model}));        // no image
}

TEST(Cli, ClassifyReportsUndecodableImagesAndGoesOn) {
  std::string model = model_path("classification/mobilenetv2-fp32-dequantized/model.onnx");
  std::string image = model_path("images/imagenet-samples/n01440764_tench.JPEG");
  EDGERUN_REQUIRE_DATA(model);
  EDGERUN_REQUIRE_DATA(image);
  TempDir tmp;
  std::string text = tmp.write("x.txt", "not an image\n");
  std::string bytes = read_all(image);
  std::string cut = tmp.write("cut.jpg", bytes.substr(0, bytes.size() / 3));
  CliResult r = run_cli({"classify", model, text, image, cut, "--json", "--top", "3", "--labels",
                         model_path("labels/imagenet_classes.txt")});
  expect_clean_error(r);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("edgerun: error: cannot decode image '" + text + "': not a JPEG, PNG or BMP file"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("cannot decode image '" + cut + "'"), std::string::npos) << r.err;
  // One JSON line per image, in order; the good one is classified.
  std::vector<nlohmann::json> lines;
  std::istringstream ss(r.out);
  for (std::string line; std::getline(ss, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_TRUE(lines[0].contains("error"));
  EXPECT_TRUE(lines[2].contains("error"));
  ASSERT_EQ(lines[1]["top"].size(), 3u);
  EXPECT_EQ(lines[1]["image"], image);
  EXPECT_EQ(lines[1]["top"][0]["index"], 0);
  EXPECT_EQ(lines[1]["top"][0]["label"], "tench, Tinca tinca");
  EXPECT_GT(lines[1]["top"][0]["score"].get<double>(), lines[1]["top"][1]["score"].get<double>());
  EXPECT_GT(lines[1]["latency_ms"].get<double>(), 0.0);
}

TEST(Cli, ClassifyTextOutputAndBackgroundLabelLine) {
  std::string model = model_path("classification/mobilenetv2-fp32-dequantized/model.onnx");
  std::string image = model_path("images/misc/grace_hopper.bmp");
  std::string tflite_labels = model_path("classification/tflite/imagenet_labels.txt");  // 1001 lines
  EDGERUN_REQUIRE_DATA(model);
  EDGERUN_REQUIRE_DATA(image);
  EDGERUN_REQUIRE_DATA(tflite_labels);
  CliResult r = run_cli({"classify", model, image, "--labels", tflite_labels, "--top", "2"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("background"), std::string::npos) << r.err;
  // grace_hopper: ONNX Runtime's top-1 is 457 (bow tie); the background line must not shift the label.
  EXPECT_NE(r.out.find("457"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bow tie"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("   1  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("   2  "), std::string::npos) << r.out;
}

// ---- classify accuracy on the 40 ImageNet samples, one call per model ----

struct Accuracy {
  int images = 0, top1 = 0, top5 = 0;
};

// Folder mode with --truth: the test counts top-1/top-5 itself from the per-image lines (its own CSV parse) and
// requires the summary line to agree.
Accuracy classify_samples(const std::string& model) {
  Accuracy acc;
  std::string dir = model_path("images/imagenet-samples");
  std::map<std::string, int> truth;  // file name -> class
  std::ifstream csv(dir + "/labels.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    truth[line.substr(0, c1)] = std::stoi(line.substr(c1 + 1, c2 - c1 - 1));
  }
  EXPECT_EQ(truth.size(), 40u);
  CliResult r = run_cli({"classify", model, dir, "--truth", dir + "/labels.csv", "--json", "--top", "5"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  std::istringstream ss(r.out);
  nlohmann::json summary;
  while (std::getline(ss, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("summary")) {
      summary = j["summary"];
      continue;
    }
    if (j.is_discarded() || !j.contains("top")) {
      ADD_FAILURE() << "bad line: " << line;
      continue;
    }
    std::string file = fs::path(j["image"].get<std::string>()).filename().string();
    int want = truth.at(file);
    ++acc.images;
    EXPECT_EQ(j.value("true_class", -1), want) << line;
    if (j["top"].size() != 5u) ADD_FAILURE() << line;
    bool top1 = !j["top"].empty() && j["top"][0]["index"] == want;
    EXPECT_EQ(j.value("correct", !top1), top1) << line;
    acc.top1 += top1;
    for (const auto& e : j["top"])
      if (e["index"] == want) ++acc.top5;
  }
  EXPECT_FALSE(summary.is_null()) << "no summary line\n" << describe(r);
  if (!summary.is_null()) {
    EXPECT_EQ(summary.value("images", -1), acc.images);
    EXPECT_EQ(summary.value("with_truth", -1), acc.images);
    EXPECT_EQ(summary.value("top1", -1), acc.top1);
    EXPECT_EQ(summary.value("top5", -1), acc.top5);
    EXPECT_NEAR(summary.value("top1_accuracy", -1.0), acc.top1 / 40.0, 1e-9);
    EXPECT_EQ(summary.value("failed", -1), 0);
  }
  return acc;
}

// Text mode: a folder with two good images, a corrupt one and one missing from the CSV.
TEST(Cli, ClassifyFolderTextSummary) {
  std::string model = model_path("classification/mobilenetv2-12-int8/model.onnx");
  EDGERUN_REQUIRE_DATA(model);
  std::string src = model_path("images/imagenet-samples");
  fs::path dir = fs::temp_directory_path() / ("edgerun_classify_folder_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(src + "/n01440764_tench.JPEG", dir / "a.JPEG", fs::copy_options::overwrite_existing);
  fs::copy_file(src + "/n01629819_European_fire_salamander.JPEG", dir / "b.jpg", fs::copy_options::overwrite_existing);
  fs::copy_file(src + "/n01440764_tench.JPEG", dir / "c.png", fs::copy_options::overwrite_existing);  // not in CSV
  std::ofstream(dir / "d.jpg") << "not a jpeg";
  std::ofstream(dir / "notes.txt") << "ignored";
  std::ofstream(dir / "truth.csv") << "file,class_index\na.JPEG,0\nb.jpg,25\nd.jpg,3\n";
  CliResult r = run_cli({"classify", model, dir.string(), "--truth", (dir / "truth.csv").string(), "--top", "1"});
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);  // d.jpg failed
  EXPECT_NE(r.err.find("d.jpg"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find("a.JPEG"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(not in the truth file)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("accuracy: top-1 2/2 (100.0%), top-5 2/2 (100.0%); 1 images not in the truth file; "
                       "1 images failed"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("notes.txt"), std::string::npos) << r.out;
  // A malformed truth file is one clear error.
  std::ofstream(dir / "bad.csv") << "file,class_index\na.JPEG,zero\n";
  CliResult bad = run_cli({"classify", model, dir.string(), "--truth", (dir / "bad.csv").string()});
  EXPECT_EQ(bad.exit_code, 1) << describe(bad);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << describe(bad);
  // An empty folder is an error naming it.
  fs::create_directories(dir / "empty");
  CliResult empty = run_cli({"classify", model, (dir / "empty").string()});
  EXPECT_EQ(empty.exit_code, 1) << describe(empty);
  EXPECT_NE(empty.err.find("holds no"), std::string::npos) << describe(empty);
  fs::remove_all(dir);
}

TEST(Cli, ClassifyAccuracyMobilenetV2Int8) {
  std::string model = model_path("classification/mobilenetv2-12-int8/model.onnx");
  EDGERUN_REQUIRE_DATA(model);
  Accuracy a = classify_samples(model);
  std::printf("mobilenetv2-12-int8: top-1 %d/40, top-5 %d/40 (ONNX Runtime: 30, 37)\n", a.top1, a.top5);
  EXPECT_EQ(a.images, 40);
  EXPECT_GE(a.top1, 30);
  EXPECT_GE(a.top5, 37);
}

TEST(Cli, ClassifyAccuracyMobilenetV2Fp32) {
  std::string model = model_path("classification/mobilenetv2-fp32-dequantized/model.onnx");
  EDGERUN_REQUIRE_DATA(model);
  Accuracy a = classify_samples(model);
  std::printf("mobilenetv2-fp32-dequantized: top-1 %d/40, top-5 %d/40 (ONNX Runtime: 37, 38)\n", a.top1, a.top5);
  EXPECT_EQ(a.images, 40);
  EXPECT_GE(a.top1, 37);
  EXPECT_GE(a.top5, 38);
}

}  // namespace
