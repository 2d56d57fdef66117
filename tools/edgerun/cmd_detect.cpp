// edgerun detect MODEL IMAGE...: object detection with a YOLOv8/YOLO11 or YOLOX model. The preset (head, labels,
// input size, channel order) comes from the model; each image is letterboxed, run, decoded, NMS-ed and printed as
// a table or one JSON line, optionally drawn into an annotated copy. A bad image is reported and skipped (exit 1).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli_args.h"
#include "cli_images.h"
#include "cli_model.h"
#include "cli_session.h"
#include "commands.h"
#include "edgerun/detect.h"
#include "edgerun/draw.h"
#include "edgerun/vision.h"

namespace edgerun::cli {
namespace {

namespace fs = std::filesystem;

const CommandSpec kSpec = {
    "detect",
    "MODEL IMAGE... [--conf F] [--iou F] [--classes LIST] [--labels FILE] [--json] [--annotate OUT] [options]",
    "Detect objects in JPEG, PNG or BMP images with a YOLOv8/YOLO11 ([1, 4+C, N] output) or YOLOX ([1, N, 5+C])\n"
    "model. The preset comes from the model: the head from its output shape, class names and input size from\n"
    "Ultralytics metadata (names, imgsz), COCO-80 names for 80-class models without them; YOLOv8 = RGB 0..1,\n"
    "YOLOX = BGR 0..255; both letterboxed at the top-left with pad 114. An IMAGE that is a folder stands for its\n"
    "images (.jpg, .jpeg, .png, .bmp) in name order.",
    {
        {"--conf", "F", "minimum score, 0..1 (default 0.25; YOLOX score = objectness * class score)"},
        {"--iou", "F", "NMS IoU threshold, 0..1 (default 0.45); NMS is per class unless --agnostic"},
        {"--classes", "LIST", "keep only these classes: ids or names, comma-separated (\"person,car\" or \"0,2\")"},
        {"--labels", "FILE", "class names, one per line (line i = class i); overrides the model's names"},
        {"--json", "", "one JSON object per image and line instead of the table"},
        {"--annotate", "OUT",
         "write annotated copies (boxes and labels): OUT is a folder (created if missing) receiving <image stem>.jpg, "
         "or a .jpg/.png file path when there is exactly one image"},
        {"--size", "N|WxH", "input size for models with dynamic spatial dims (default: metadata imgsz, else 640)"},
        {"--max-det", "N", "most detections kept per image (default 300)"},
        {"--agnostic", "", "class-agnostic NMS (a box suppresses overlapping boxes of any class)"},
        threads_option(),
        affinity_option(),
        backend_option(),
    },
    "text output, per image:\n"
    "  IMAGE  WxH  N detections  LATENCY ms (preprocess P, inference I, postprocess Q)\n"
    "    CLASS  LABEL  SCORE  X1  Y1  X2  Y2        (box corners in original-image pixels)\n"
    "json output, one line per image (stable; fields may be added):\n"
    "  {\"image\": PATH, \"width\": W, \"height\": H, \"detections\": [{\"class_id\": INT, \"label\": STR,\n"
    "   \"score\": F, \"box\": [x1, y1, x2, y2]}, ...], \"latency_ms\": F}\n"
    "  or {\"image\": PATH, \"error\": STR} for an image that could not be read or decoded.\n"
    "  Detections are sorted by score (descending); boxes are in original-image pixels, clipped to the image;\n"
    "  label is \"\" for a class without a name; latency_ms = preprocess + inference + postprocess (decoding the\n"
    "  file excluded).\n"
    "\n"
    "exit code: 0 if every image was processed; 1 if any failed (the others are still processed); 2 bad options.\n"
    "\n"
    "examples:\n"
    "  edgerun detect yolov8n.onnx bus.jpg\n"
    "  edgerun detect yolov8n.onnx photos/ --classes person,car --json > detections.jsonl\n"
    "  edgerun detect yolox_nano.onnx bus.jpg --conf 0.3 --annotate bus_annotated.jpg\n"
    "  edgerun detect yolov8n.onnx frames/ --annotate out/ --threads 2\n",
};

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// Decimal rounding for JSON: an integer divided by a power of ten prints as the short decimal (805.93, not
// 805.9300000000001).
double round_to(double v, double scale) { return std::round(v * scale) / scale; }

}  // namespace

int cmd_detect(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.empty()) return report_usage_error(kSpec, "missing MODEL and IMAGE");
  if (args.positional.size() < 2) return report_usage_error(kSpec, "missing IMAGE");

  vision::DetectOptions opts;
  auto conf = parse_double("--conf", args.get("--conf", "0.25"));
  if (!conf.ok()) return report_usage_error(kSpec, conf.status().message());
  if (*conf < 0 || *conf > 1) return report_usage_error(kSpec, "--conf must be in 0..1, got " + args.get("--conf"));
  auto iou = parse_double("--iou", args.get("--iou", "0.45"));
  if (!iou.ok()) return report_usage_error(kSpec, iou.status().message());
  if (*iou < 0 || *iou > 1) return report_usage_error(kSpec, "--iou must be in 0..1, got " + args.get("--iou"));
  auto max_det = parse_int("--max-det", args.get("--max-det", "300"), 1, 1000000);
  if (!max_det.ok()) return report_usage_error(kSpec, max_det.status().message());
  auto session_options = session_options_from_args(args);
  if (!session_options.ok()) return report_usage_error(kSpec, session_options.status().message());
  opts.conf = static_cast<float>(*conf);
  opts.iou = static_cast<float>(*iou);
  opts.max_detections = static_cast<int>(*max_det);
  opts.class_agnostic_nms = args.has("--agnostic");
  if (args.has("--size")) {
    auto size = parse_detector_size(args.get("--size"));
    if (!size.ok()) return report_usage_error(kSpec, size.status().message());
    opts.input_width = size->first;
    opts.input_height = size->second;
  }
  const std::string class_list = args.get("--classes");
  if (args.has("--classes") && class_list.find_first_not_of(" ,") == std::string::npos)
    return report_usage_error(kSpec, "--classes needs class ids or names, e.g. person,car or 0,2");
  const bool json = args.has("--json");

  auto images_or = expand_image_args({args.positional.begin() + 1, args.positional.end()});
  if (!images_or.ok()) return report_error(images_or.status().message());
  const std::vector<std::string> images = std::move(*images_or);

  // --annotate: one file for one image, else a folder.
  const std::string annotate = args.get("--annotate");
  bool annotate_file = false;
  if (args.has("--annotate")) {
    if (annotate.empty()) return report_usage_error(kSpec, "--annotate needs a folder or a .jpg/.png path");
    std::string ext = lower_extension(annotate);
    annotate_file = ext == ".jpg" || ext == ".jpeg" || ext == ".png";
    if (ext == ".bmp") return report_usage_error(kSpec, "--annotate writes .jpg or .png images, not .bmp");
    if (annotate_file && images.size() != 1)
      return report_usage_error(kSpec, str_cat("--annotate ", annotate, " names one file, but there are ",
                                               images.size(), " images; give a folder instead"));
    if (!annotate_file) {
      std::error_code ec;
      fs::create_directories(annotate, ec);
      if (ec || !fs::is_directory(annotate))
        return report_error(str_cat("cannot create the --annotate folder '", annotate,
                                    "': ", ec ? ec.message() : "a file of that name exists"));
    }
  }

  if (args.has("--labels")) {
    auto l = read_labels_file(args.get("--labels"));
    if (!l.ok()) return report_error(l.status().message());
    opts.labels = std::move(*l);
  }

  const std::string model_path = args.positional[0];
  auto loaded = load_model(model_path);
  if (!loaded.ok()) return report_error(loaded.status().message());
  auto detector_or = vision::Detector::create(std::move(*loaded), opts, *session_options);
  if (!detector_or.ok()) return report_error(str_cat(model_path, ": ", detector_or.status().message()));
  vision::Detector& detector = **detector_or;
  for (const std::string& note : detector.notes()) report_note(note);
  if (!class_list.empty()) {
    auto ids = vision::parse_class_list(class_list, detector.labels(), detector.num_classes());
    if (!ids.ok()) return report_usage_error(kSpec, "--classes: " + ids.status().message());
    if (Status st = detector.set_classes(*ids); !st.ok()) return report_usage_error(kSpec, st.message());
  }
  if (!json) std::printf("model: %s (%s)\n", model_path.c_str(), detector.describe().c_str());

  std::set<std::string> written;  // annotated outputs of this run, so that equal stems do not overwrite each other
  ImageLoop loop = for_each_image(images, json, [&](const std::string& image_path, vision::Image& image) {
    auto result = detector.detect(image);
    if (!result.ok()) return ImageOutcome::stop(report_error(str_cat(image_path, ": ", result.status().message())));
    const vision::DetectTimings& t = result->timings;
    const double latency = t.preprocess_ms + t.inference_ms + t.postprocess_ms;
    const std::vector<vision::Detection>& dets = result->detections;

    if (json) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const vision::Detection& d : dets)
        list.push_back(
            {{"class_id", d.class_id},
             {"label", d.label},
             {"score", round_to(d.score, 1e4)},
             {"box",
              {round_to(d.box.x1, 100), round_to(d.box.y1, 100), round_to(d.box.x2, 100), round_to(d.box.y2, 100)}}});
      print_json_line({{"image", image_path},
                       {"width", image.width},
                       {"height", image.height},
                       {"detections", list},
                       {"latency_ms", round_to(latency, 1e3)}});
    } else {
      std::printf("%s  %dx%d  %zu detection%s  %.2f ms (preprocess %.2f, inference %.2f, postprocess %.2f)\n",
                  image_path.c_str(), image.width, image.height, dets.size(), dets.size() == 1 ? "" : "s", latency,
                  t.preprocess_ms, t.inference_ms, t.postprocess_ms);
      int lw = 5;
      for (const vision::Detection& d : dets) lw = std::max(lw, static_cast<int>(d.label.size()));
      if (!dets.empty())
        std::printf("  %5s  %-*s  %6s  %8s  %8s  %8s  %8s\n", "class", lw, "label", "score", "x1", "y1", "x2", "y2");
      for (const vision::Detection& d : dets)
        std::printf("  %5d  %-*s  %6.4f  %8.1f  %8.1f  %8.1f  %8.1f\n", d.class_id, lw,
                    d.label.empty() ? "-" : d.label.c_str(), d.score, d.box.x1, d.box.y1, d.box.x2, d.box.y2);
      std::fflush(stdout);
    }

    if (annotate.empty()) return ImageOutcome::done();
    std::string out_path = annotate;
    if (!annotate_file) {
      std::string stem = fs::path(image_path).stem().string();
      out_path = (fs::path(annotate) / (stem + ".jpg")).string();
      for (int k = 2; written.count(out_path); ++k)
        out_path = (fs::path(annotate) / (stem + "_" + std::to_string(k) + ".jpg")).string();
    }
    std::error_code ec;
    if (fs::equivalent(out_path, image_path, ec))
      return ImageOutcome::failed(
          str_cat("--annotate would overwrite the input image '", image_path, "'; choose another folder"));
    vision::Image canvas = std::move(image);
    vision::annotate_detections(canvas, dets);
    if (Status st = vision::write_image_file(out_path, canvas); !st.ok())
      return ImageOutcome::failed(str_cat("cannot write the annotated image: ", st.message()));
    written.insert(out_path);
    return ImageOutcome::done();
  });
  if (loop.stopped) return *loop.stopped;
  return images_exit_code(loop.failures, images.size(), "failed");
}

}  // namespace edgerun::cli
