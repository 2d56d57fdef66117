// edgerun detect and bench --image, run as a separate process: the JSON line format and its values against the
// reference detections, --classes, folders, a corrupt image among good ones, non-detector models, bad options,
// and annotated images decoded back.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "edgerun/vision.h"
#include "test_data.h"

namespace {

namespace fs = std::filesystem;
using edgerun::testing::CliResult;
using edgerun::testing::describe;
using edgerun::testing::model_path;
using edgerun::testing::read_all;
using edgerun::testing::run_cli;

const std::string kYolox = "detection/yolox-nano/model.onnx";
const std::string kYolov8 = "detection/yolov8n-int8/model.onnx";
const std::string kBus = "images/detection/bus.jpg";
const std::string kZidane = "images/detection/zidane.jpg";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edgerun_detect_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// ordered_json keeps the keys in the order printed, so that the documented order can be checked.
std::vector<nlohmann::ordered_json> json_lines(const CliResult& r) {
  std::vector<nlohmann::ordered_json> out;
  for (const std::string& line : lines(r.out)) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(j);
  }
  return out;
}

// One "edgerun: error: ..." line (notes aside), the exit code, and the words that say what is wrong.
void expect_error(const CliResult& r, int code, const std::string& words) {
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(r.exit_code, code) << describe(r);
  EXPECT_EQ(r.err.rfind("edgerun: error: ", 0), 0u) << describe(r);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line expected\n" << describe(r);
  EXPECT_NE(r.err.find(words), std::string::npos) << words << "\n" << describe(r);
}

float iou(const std::vector<double>& a, const std::vector<double>& b) {
  double w = std::min(a[2], b[2]) - std::max(a[0], b[0]), h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  double u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h;
  return static_cast<float>(w * h / u);
}

TEST(CliDetect, HelpDocumentsTheFormats) {
  CliResult h = run_cli({"detect", "--help"});
  EXPECT_EQ(h.exit_code, 0) << describe(h);
  for (const char* words :
       {"usage: edgerun detect", "--classes", "--annotate", "\"latency_ms\"", "\"class_id\"", "examples:", "--size"})
    EXPECT_NE(h.out.find(words), std::string::npos) << words << "\n" << h.out;
}

TEST(CliDetect, JsonLineFormatAndValues) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  const std::string bus = model_path(kBus);
  CliResult r = run_cli({"detect", model, bus, "--json", "--conf", "0.3", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(r.err.empty()) << r.err;
  std::vector<nlohmann::ordered_json> js = json_lines(r);
  ASSERT_EQ(js.size(), 1u) << r.out;
  const nlohmann::ordered_json& j = js[0];
  // Keys in the documented order.
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"image", "width", "height", "detections", "latency_ms"}));
  EXPECT_EQ(j["image"], bus);
  EXPECT_EQ(j["width"], 810);
  EXPECT_EQ(j["height"], 1080);
  EXPECT_GT(j["latency_ms"].get<double>(), 0.0);
  // The reference (yolox-nano/reference_detections.json): bus 0.9112 [7.6, 229.8, 806.0, 734.0], persons 0.85,
  // 0.8159, 0.6785.
  const nlohmann::ordered_json& d = j["detections"];
  ASSERT_EQ(d.size(), 4u) << r.out;
  for (size_t i = 0; i < d.size(); ++i) {
    std::vector<std::string> dk;
    for (auto it = d[i].begin(); it != d[i].end(); ++it) dk.push_back(it.key());
    EXPECT_EQ(dk, (std::vector<std::string>{"class_id", "label", "score", "box"}));
    ASSERT_EQ(d[i]["box"].size(), 4u);
    std::vector<double> b = d[i]["box"].get<std::vector<double>>();
    EXPECT_GE(b[0], 0.0);
    EXPECT_GE(b[1], 0.0);
    EXPECT_LE(b[2], 810.0);
    EXPECT_LE(b[3], 1080.0);
    EXPECT_LT(b[0], b[2]);
    EXPECT_LT(b[1], b[3]);
    if (i > 0) EXPECT_GE(d[i - 1]["score"].get<double>(), d[i]["score"].get<double>());
  }
  EXPECT_EQ(d[0]["class_id"], 5);
  EXPECT_EQ(d[0]["label"], "bus");
  EXPECT_NEAR(d[0]["score"].get<double>(), 0.9112, 0.001);
  EXPECT_GT(iou(d[0]["box"].get<std::vector<double>>(), {7.6, 229.8, 806.0, 734.0}), 0.98);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(d[i]["label"], "person");
  EXPECT_NEAR(d[3]["score"].get<double>(), 0.6785, 0.001);
}

TEST(CliDetect, TableOutput) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"detect", model, model_path(kBus), "--conf", "0.3"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::vector<std::string> l = lines(r.out);
  ASSERT_GE(l.size(), 7u) << r.out;
  EXPECT_NE(l[0].find("yolox head, 80 classes, 416x416"), std::string::npos) << r.out;
  EXPECT_NE(l[1].find("810x1080  4 detections"), std::string::npos) << r.out;
  EXPECT_NE(l[1].find(" ms (preprocess "), std::string::npos) << r.out;
  EXPECT_NE(l[2].find("label"), std::string::npos) << r.out;
  EXPECT_NE(l[3].find("bus"), std::string::npos) << r.out;
  EXPECT_NE(l[3].find("0.911"), std::string::npos) << r.out;
}

TEST(CliDetect, ClassesByNameOrId) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  for (const char* list : {"person", "0", "Person,toothbrush"}) {
    CliResult r = run_cli({"detect", model, model_path(kBus), "--json", "--conf", "0.3", "--classes", list});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    std::vector<nlohmann::ordered_json> js = json_lines(r);
    ASSERT_EQ(js.size(), 1u);
    ASSERT_EQ(js[0]["detections"].size(), 3u) << list << "\n" << r.out;
    for (const nlohmann::ordered_json& d : js[0]["detections"]) EXPECT_EQ(d["class_id"], 0) << list;
  }
  CliResult bus = run_cli({"detect", model, model_path(kBus), "--json", "--conf", "0.3", "--classes", "bus,5"});
  ASSERT_EQ(bus.exit_code, 0) << describe(bus);
  ASSERT_EQ(json_lines(bus)[0]["detections"].size(), 1u);
  expect_error(run_cli({"detect", model, model_path(kBus), "--classes", "unicorn"}), 2, "unicorn");
  expect_error(run_cli({"detect", model, model_path(kBus), "--classes", "80"}), 2, "out of range");
  expect_error(run_cli({"detect", model, model_path(kBus), "--classes", ","}), 2, "--classes");
}

TEST(CliDetect, FolderCorruptImageAndMissingFile) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  TempDir dir;
  fs::copy_file(model_path(kBus), dir.file("a_bus.jpg"));
  fs::copy_file(model_path(kZidane), dir.file("c_zidane.jpg"));
  // A JPEG cut off after its first 2000 bytes, and a file that is not an image at all.
  std::string bytes = read_all(model_path(kBus));
  std::ofstream(dir.file("b_truncated.jpg"), std::ios::binary) << bytes.substr(0, 2000);
  std::ofstream(dir.file("b_zz_text.png"), std::ios::binary) << "this is not a PNG";
  std::ofstream(dir.file("notes.txt")) << "ignored: not an image extension";

  CliResult r = run_cli({"detect", model, dir.path(), dir.file("missing.jpg"), "--json", "--conf", "0.3"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.signal, 0);
  std::vector<nlohmann::ordered_json> js = json_lines(r);
  ASSERT_EQ(js.size(), 5u) << r.out;
  // Folder entries in name order, then the next argument.
  EXPECT_EQ(js[0]["image"], dir.file("a_bus.jpg"));
  EXPECT_EQ(js[1]["image"], dir.file("b_truncated.jpg"));
  EXPECT_EQ(js[2]["image"], dir.file("b_zz_text.png"));
  EXPECT_EQ(js[3]["image"], dir.file("c_zidane.jpg"));
  EXPECT_EQ(js[4]["image"], dir.file("missing.jpg"));
  EXPECT_EQ(js[0]["detections"].size(), 4u);
  EXPECT_EQ(js[3]["width"], 1280);
  EXPECT_FALSE(js[3]["detections"].empty());
  for (int i : {1, 2, 4}) {
    ASSERT_TRUE(js[static_cast<size_t>(i)].contains("error")) << js[static_cast<size_t>(i)].dump();
    EXPECT_FALSE(js[static_cast<size_t>(i)].contains("detections"));
  }
  EXPECT_NE(js[4]["error"].get<std::string>().find("cannot read"), std::string::npos) << js[4].dump();
  EXPECT_NE(r.err.find("edgerun: error: cannot decode image '" + dir.file("b_truncated.jpg")), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("3 of 5 images failed"), std::string::npos) << r.err;

  // A folder without images is an error naming it.
  TempDir empty;
  expect_error(run_cli({"detect", model, empty.path()}), 1, empty.path());
}

TEST(CliDetect, NonDetectorModelIsAClearError) {
  const std::string cls = model_path("classification/mobilenetv2-12-int8/model.onnx");
  EDGERUN_REQUIRE_DATA(cls);
  CliResult r = run_cli({"detect", cls, model_path(kBus)});
  expect_error(r, 1, "1000]");
  EXPECT_NE(r.err.find("not a detection head"), std::string::npos) << r.err;
  expect_error(run_cli({"detect", model_path("detection/nope.onnx"), model_path(kBus)}), 1, "nope.onnx");
}

TEST(CliDetect, BadOptionsExitWithUsageErrors) {
  const std::string model = model_path(kYolox);
  const std::string bus = model_path(kBus);
  expect_error(run_cli({"detect"}), 2, "missing MODEL");
  expect_error(run_cli({"detect", model}), 2, "missing IMAGE");
  expect_error(run_cli({"detect", model, bus, "--conf", "abc"}), 2, "--conf");
  expect_error(run_cli({"detect", model, bus, "--conf", "1.5"}), 2, "--conf");
  expect_error(run_cli({"detect", model, bus, "--iou", "-0.1"}), 2, "--iou");
  expect_error(run_cli({"detect", model, bus, "--size", "100"}), 2, "multiples of 32");
  expect_error(run_cli({"detect", model, bus, "--size", "64xq"}), 2, "--size");
  expect_error(run_cli({"detect", model, bus, "--threads", "-1"}), 2, "--threads");
  expect_error(run_cli({"detect", model, bus, "--backend", "gpu"}), 2, "--backend");
  expect_error(run_cli({"detect", model, bus, "--frobnicate"}), 2, "--frobnicate");
  expect_error(run_cli({"detect", model, bus, bus, "--annotate", "/tmp/x.png"}), 2, "give a folder");
  expect_error(run_cli({"detect", model, bus, "--annotate", "/tmp/x.bmp"}), 2, ".bmp");
}

TEST(CliDetect, SizeMustFitAFixedModel) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  expect_error(run_cli({"detect", model, model_path(kBus), "--size", "320"}), 1, "fixed");
  CliResult same = run_cli({"detect", model, model_path(kBus), "--size", "416x416", "--json"});
  EXPECT_EQ(same.exit_code, 0) << describe(same);
}

// The annotated copy has the original size and differs from the original where boxes were drawn.
TEST(CliDetect, AnnotateWritesDecodableImages) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  TempDir dir;
  const std::string out_dir = dir.file("out/nested");
  CliResult r = run_cli({"detect", model, model_path(kBus), model_path(kZidane), "--annotate", out_dir, "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto original = edgerun::vision::decode_image_file(model_path(kBus));
  ASSERT_TRUE(original.ok());
  auto bus = edgerun::vision::decode_image_file(out_dir + "/bus.jpg");
  ASSERT_TRUE(bus.ok()) << bus.status().to_string();
  EXPECT_EQ(bus->width, 810);
  EXPECT_EQ(bus->height, 1080);
  auto zidane = edgerun::vision::decode_image_file(out_dir + "/zidane.jpg");
  ASSERT_TRUE(zidane.ok()) << zidane.status().to_string();
  EXPECT_EQ(zidane->width, 1280);
  EXPECT_EQ(zidane->height, 720);
  // Along the bus box's top edge (y ~ 230, x 100..700) the drawn outline replaces the picture.
  const nlohmann::ordered_json j = json_lines(r)[0];
  std::vector<double> box = j["detections"][0]["box"].get<std::vector<double>>();
  int y = static_cast<int>(std::lround(box[1]));
  int changed = 0;
  for (int x = 100; x < 700; ++x)
    for (int c = 0; c < 3; ++c) changed += std::abs(bus->row(y)[3 * x + c] - original->row(y)[3 * x + c]) > 40;
  EXPECT_GT(changed, 300) << "no box outline along y = " << y;

  const std::string png = dir.file("one.png");
  CliResult one = run_cli({"detect", model, model_path(kBus), "--annotate", png});
  ASSERT_EQ(one.exit_code, 0) << describe(one);
  auto p = edgerun::vision::decode_image_file(png);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->width, 810);
  EXPECT_EQ(p->height, 1080);
}

TEST(CliDetect, Yolov8JsonMatchesTheReference) {
  const std::string model = model_path(kYolov8);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"detect", model, model_path("images/detection/person.jpg"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::vector<nlohmann::ordered_json> js = json_lines(r);
  ASSERT_EQ(js.size(), 1u);
  // yolov8n-int8/reference_detections.json, person.jpg: horse 0.9561, person 0.9441, dog 0.9174.
  const nlohmann::ordered_json& d = js[0]["detections"];
  ASSERT_EQ(d.size(), 3u) << r.out;
  EXPECT_EQ(d[0]["label"], "horse");
  EXPECT_EQ(d[1]["label"], "person");
  EXPECT_EQ(d[2]["label"], "dog");
  EXPECT_NEAR(d[0]["score"].get<double>(), 0.9561, 0.02);
  EXPECT_NEAR(d[1]["score"].get<double>(), 0.9441, 0.02);
  EXPECT_NEAR(d[2]["score"].get<double>(), 0.9174, 0.02);
}

TEST(CliDetect, LabelsFileOverridesNames) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  TempDir dir;
  {
    std::ofstream f(dir.file("labels.txt"));
    for (int i = 0; i < 80; ++i) f << "thing" << i << "\n";
  }
  CliResult r = run_cli({"detect", model, model_path(kBus), "--json", "--conf", "0.3", "--labels",
                         dir.file("labels.txt"), "--classes", "thing5"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::vector<nlohmann::ordered_json> js = json_lines(r);
  ASSERT_EQ(js[0]["detections"].size(), 1u) << r.out;
  EXPECT_EQ(js[0]["detections"][0]["label"], "thing5");
  expect_error(run_cli({"detect", model, model_path(kBus), "--labels", dir.file("none.txt")}), 1, "none.txt");
}

// ---- bench --image ----

TEST(CliBenchImage, JsonHasEveryStage) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli(
      {"bench", model, "--image", model_path(kBus), "--runs", "5", "--warmup", "1", "--threads", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  for (const char* key : {"model", "image", "image_width", "image_height", "detector", "input_width", "input_height",
                          "backend", "threads", "runs", "warmup", "load_ms", "first_frame_ms", "detections",
                          "stages_ms", "fps", "peak_rss_mb", "cpu"})
    EXPECT_TRUE(j.contains(key)) << key << "\n" << r.out;
  EXPECT_EQ(j["image_width"], 810);
  EXPECT_EQ(j["input_width"], 416);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["runs"], 5);
  EXPECT_EQ(j["detections"], 5);  // default conf 0.25: the four of the reference plus a truck at 0.29
  double sum_of_means = 0;
  for (const char* stage : {"decode", "preprocess", "inference", "postprocess", "total"}) {
    const nlohmann::json& s = j["stages_ms"][stage];
    for (const char* key : {"mean", "p50", "p90", "p95", "p99", "min", "max"})
      ASSERT_TRUE(s.contains(key) && s[key].is_number()) << stage << " " << key;
    EXPECT_LE(s["min"].get<double>(), s["p50"].get<double>());
    EXPECT_LE(s["p50"].get<double>(), s["p90"].get<double>());
    EXPECT_LE(s["p90"].get<double>(), s["p99"].get<double>());
    EXPECT_LE(s["p99"].get<double>(), s["max"].get<double>());
    if (std::string(stage) != "total") sum_of_means += s["mean"].get<double>();
  }
  EXPECT_GT(j["stages_ms"]["inference"]["mean"].get<double>(), 0.0);
  EXPECT_GT(j["stages_ms"]["decode"]["mean"].get<double>(), 0.0);
  // The stages are disjoint parts of the frame: together no more than the frame's wall time.
  EXPECT_LE(sum_of_means, j["stages_ms"]["total"]["mean"].get<double>() + 0.01);
  EXPECT_NEAR(j["fps"].get<double>(), 1000.0 / j["stages_ms"]["total"]["mean"].get<double>(), 0.1);
}

TEST(CliBenchImage, TextAndErrors) {
  const std::string model = model_path(kYolox);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"bench", model, "--image", model_path(kBus), "--runs", "2", "--warmup", "0"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* words : {"detector:       yolox head", "  decode", "  inference", "  total", "FPS end to end"})
    EXPECT_NE(r.out.find(words), std::string::npos) << words << "\n" << r.out;
  expect_error(run_cli({"bench", model, "--image", model_path(kBus), "--profile"}), 2, "--profile");
  expect_error(run_cli({"bench", model, "--image", "/nonexistent.jpg"}), 1, "/nonexistent.jpg");
  TempDir dir;
  std::ofstream(dir.file("bad.jpg"), std::ios::binary) << "\xff\xd8\xff garbage";
  expect_error(run_cli({"bench", model, "--image", dir.file("bad.jpg")}), 1, "cannot decode");
  const std::string cls = model_path("classification/mnist-8/model.onnx");
  expect_error(run_cli({"bench", cls, "--image", model_path(kBus)}), 1, "mnist-8");
}

}  // namespace
