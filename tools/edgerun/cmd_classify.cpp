// edgerun classify MODEL IMAGE|FOLDER...: decode each image, preprocess it (ImageNet preset by default: PIL-style
// bilinear resize of the shorter side, center crop, mean/std), run the model, print the top-K classes.
// A folder stands for its images; with --truth CSV (file,class_index) the run ends with a top-1/top-5 accuracy
// summary. An image that cannot be read or decoded is reported and skipped; the exit code is then 1.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "cli_args.h"
#include "cli_images.h"
#include "cli_model.h"
#include "cli_session.h"
#include "commands.h"
#include "edgerun/vision.h"

namespace edgerun::cli {
namespace {

const CommandSpec kSpec = {
    "classify",
    "MODEL IMAGE|FOLDER... [--labels FILE] [--top K] [--json] [--truth CSV] [preprocessing options]",
    "Classify JPEG, PNG or BMP images with an image classification model (one image per run, batch 1). "
    "A FOLDER stands for the images in it (sorted by name).",
    {
        {"--labels", "FILE", "class names, one per line (line i = class i)"},
        {"--truth", "CSV",
         "ground truth 'file,class_index' (header line and further columns allowed; file matched by name): "
         "mark each image and end with a top-1/top-5 accuracy summary"},
        {"--top", "K", "classes to show per image (default 5)"},
        {"--json", "", "one JSON object per image and line instead of text"},
        {"--preset", "NAME",
         "imagenet (default): shorter side to size/0.875, center crop, 0..1, ImageNet mean/std, "
         "RGB; imagenet-bgr: the same in BGR order; none: 0..1, no mean/std"},
        {"--size", "N", "model input size when the model's is not fixed (default 224)"},
        {"--resize-shorter", "N",
         "resize the shorter side to N before the center crop (default size/0.875, "
         "256 for 224); 0 = resize straight to size x size, no crop"},
        {"--mean", "R,G,B", "per-channel mean, subtracted after scaling to 0..1"},
        {"--std", "R,G,B", "per-channel std, divided after the mean"},
        {"--scale", "S", "factor from 0..255 pixels to the model's range before mean/std (default 1/255)"},
        {"--bgr", "", "feed channels in B, G, R order (mean/std stay given as R,G,B)"},
        {"--layout", "nchw|nhwc", "input layout (default: from the model's input shape, else nchw)"},
        threads_option(),
        affinity_option(),
    },
    "text output, per image:\n"
    "  IMAGE  (LATENCY ms)\n"
    "    RANK  INDEX  SCORE  LABEL\n"
    "json output, one line per image (stable):\n"
    "  {\"image\": PATH, \"top\": [{\"index\": INT, \"label\": STR, \"score\": FLOAT}, ...], \"latency_ms\": FLOAT}\n"
    "  or {\"image\": PATH, \"error\": STR} for an image that could not be decoded.\n"
    "  score = softmax probability, unless the outputs are already non-negative and sum to ~1;\n"
    "  \"label\" is omitted without --labels. latency_ms = model run time (preprocessing excluded).\n"
    "  With --truth each line also has \"true_class\": INT (absent for images not in the CSV) and \"correct\": BOOL\n"
    "  (top-1), and a last line {\"summary\": {\"images\": N, \"with_truth\": N, \"top1\": N, \"top5\": N,\n"
    "  \"top1_accuracy\": F, \"top5_accuracy\": F, \"failed\": N, \"mean_latency_ms\": F}}.\n"
    "  The text output ends with 'accuracy: top-1 N/M (P%), top-5 N/M (P%)'.\n"
    "\n"
    "exit code: 0 if every image was classified; 1 if any failed (the others are still processed).\n"
    "\n"
    "examples:\n"
    "  edgerun classify mobilenetv2.onnx cat.jpg --labels imagenet_classes.txt\n"
    "  edgerun classify model.onnx images/*.JPEG --top 5 --json\n"
    "  edgerun classify model.onnx imagenet-samples/ --truth imagenet-samples/labels.csv\n",
};

// One CSV record (RFC 4180 quoting: "a, b" and "" inside quotes).
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

// --truth: file name (without folders) -> class index. A first line whose second field is not a number is a header.
Expected<std::map<std::string, int64_t>> read_truth_csv(const std::string& path) {
  std::ifstream f(path);
  if (!f) return not_found("cannot open truth file '", path, "'");
  std::map<std::string, int64_t> truth;
  std::string line;
  for (int line_no = 1; std::getline(f, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields = split_csv_line(line);
    if (fields.size() < 2)
      return invalid_argument("truth file '", path, "' line ", line_no, ": expected 'file,class_index', got '", line,
                              "'");
    const std::string& idx = fields[1];
    char* end = nullptr;
    long long v = std::strtoll(idx.c_str(), &end, 10);
    bool numeric = !idx.empty() && end == idx.c_str() + idx.size() && v >= 0;
    if (!numeric) {
      if (line_no == 1) continue;  // header
      return invalid_argument("truth file '", path, "' line ", line_no, ": class index '", idx,
                              "' is not a non-negative integer");
    }
    std::string name = std::filesystem::path(fields[0]).filename().string();
    if (!truth.emplace(name, v).second)
      return invalid_argument("truth file '", path, "' line ", line_no, ": '", name, "' is listed twice");
  }
  if (truth.empty()) return invalid_argument("truth file '", path, "' lists no images");
  return truth;
}

struct Scored {
  int64_t index;
  double score;
};

// Top-k by raw output value (ties: lower index first), scored by softmax unless the outputs look like
// probabilities already.
std::vector<Scored> top_k(const Tensor& out, int64_t k) {
  int64_t n = out.numel();
  std::vector<double> v(static_cast<size_t>(n));
  double sum = 0, lo = 0, hi = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    double x = tensor_element(out, i);
    v[static_cast<size_t>(i)] = std::isnan(x) ? -INFINITY : x;  // NaN would break the sort's ordering
    sum += v[static_cast<size_t>(i)];
    lo = std::min(lo, v[static_cast<size_t>(i)]);
    hi = std::max(hi, v[static_cast<size_t>(i)]);
  }
  bool probabilities = lo >= 0 && std::fabs(sum - 1.0) < 1e-3;
  std::vector<double> score = v;
  if (!probabilities) {
    double z = 0;
    for (double& s : score) z += (s = std::isfinite(hi) ? std::exp(s - hi) : 0.0);
    for (double& s : score) s = z > 0 ? s / z : 0.0;
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, n);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
    double va = v[static_cast<size_t>(a)], vb = v[static_cast<size_t>(b)];
    return va > vb || (va == vb && a < b);
  });
  std::vector<Scored> out_k;
  for (int64_t i = 0; i < k; ++i)
    out_k.push_back({order[static_cast<size_t>(i)], score[static_cast<size_t>(order[static_cast<size_t>(i)])]});
  return out_k;
}

}  // namespace

int cmd_classify(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.empty()) return report_usage_error(kSpec, "missing MODEL and IMAGE");
  if (args.positional.size() < 2) return report_usage_error(kSpec, "missing IMAGE");
  auto top = parse_int("--top", args.get("--top", "5"), 1, 1000000);
  if (!top.ok()) return report_usage_error(kSpec, top.status().message());
  auto session_options = session_options_from_args(args);
  if (!session_options.ok()) return report_usage_error(kSpec, session_options.status().message());
  bool json = args.has("--json");

  // Preprocessing options from the preset, then the individual flags.
  std::string preset = args.get("--preset", "imagenet");
  if (preset != "imagenet" && preset != "imagenet-bgr" && preset != "none")
    return report_usage_error(kSpec, "--preset must be imagenet, imagenet-bgr or none, got '" + preset + "'");
  vision::PreprocessOptions pre = vision::imagenet_preprocess(224);
  if (preset == "none") {
    for (int c = 0; c < 3; ++c) pre.mean[c] = 0.0f, pre.std[c] = 1.0f;
  }
  pre.bgr = preset == "imagenet-bgr" || args.has("--bgr");
  if (args.has("--mean")) {
    auto m = parse_floats("--mean", args.get("--mean"), 3);
    if (!m.ok()) return report_usage_error(kSpec, m.status().message());
    for (int c = 0; c < 3; ++c) pre.mean[c] = (*m)[static_cast<size_t>(c)];
  }
  if (args.has("--std")) {
    auto s = parse_floats("--std", args.get("--std"), 3);
    if (!s.ok()) return report_usage_error(kSpec, s.status().message());
    for (int c = 0; c < 3; ++c) {
      if ((*s)[static_cast<size_t>(c)] == 0.0f) return report_usage_error(kSpec, "--std values must not be zero");
      pre.std[c] = (*s)[static_cast<size_t>(c)];
    }
  }
  if (args.has("--scale")) {
    auto s = parse_double("--scale", args.get("--scale"));
    if (!s.ok()) return report_usage_error(kSpec, s.status().message());
    pre.scale = static_cast<float>(*s);
  }
  std::string layout_flag = args.get("--layout");
  if (!layout_flag.empty() && layout_flag != "nchw" && layout_flag != "nhwc")
    return report_usage_error(kSpec, "--layout must be nchw or nhwc, got '" + layout_flag + "'");

  // The model: one rank-4 image input, batch 1.
  const std::string model_path = args.positional[0];
  auto loaded = load_model(model_path);
  if (!loaded.ok()) return report_error(loaded.status().message());
  std::unique_ptr<Model> model = std::move(*loaded);
  std::vector<IoSpec> inputs = model_inputs(*model), outputs = model_outputs(*model);
  if (inputs.size() != 1)
    return report_error(str_cat("classify needs a model with one image input; ", model_path, " has ", inputs.size()));
  if (outputs.empty()) return report_error("the model has no outputs");
  const IoSpec& in = inputs[0];
  if (in.has_shape && in.spec.shape.size() != 4)
    return report_error(
        str_cat("classify needs a 4-D image input; '", in.spec.name, "' is ", format_spec_shape(in.spec)));
  if (in.spec.dtype != DType::kFloat32 && in.spec.dtype != DType::kUInt8)
    return report_error(
        str_cat("classify feeds float32 or uint8 images; input '", in.spec.name, "' is ", dtype_name(in.spec.dtype)));
  pre.dtype = in.spec.dtype;
  Shape declared = in.has_shape ? in.spec.shape : Shape{-1, -1, -1, -1};
  bool nhwc = layout_flag == "nhwc" || (layout_flag.empty() && declared[3] == 3 && declared[1] != 3);
  pre.layout = nhwc ? vision::TensorLayout::kNHWC : vision::TensorLayout::kNCHW;
  int64_t channels = nhwc ? declared[3] : declared[1];
  if (channels >= 0 && channels != 3)
    return report_error(str_cat("input '", in.spec.name, "' ", format_spec_shape(in.spec), " has ", channels,
                                " channels in ", nhwc ? "NHWC" : "NCHW", " layout; classify feeds 3 (RGB)"));
  if (declared[0] > 1)
    return report_error(str_cat("input '", in.spec.name, "' has a fixed batch of ", declared[0],
                                "; classify runs one image at a time"));
  int64_t model_h = nhwc ? declared[1] : declared[2], model_w = nhwc ? declared[2] : declared[3];
  int64_t size = 224;
  if (args.has("--size")) {
    auto s = parse_int("--size", args.get("--size"), 1, 16384);
    if (!s.ok()) return report_usage_error(kSpec, s.status().message());
    size = *s;
    if ((model_h >= 0 && model_h != size) || (model_w >= 0 && model_w != size))
      return report_error(str_cat("--size ", size, " conflicts with the model's input ", format_spec_shape(in.spec)));
  }
  pre.height = static_cast<int>(model_h >= 0 ? model_h : size);
  pre.width = static_cast<int>(model_w >= 0 ? model_w : size);
  pre.resize_shorter = static_cast<int>(std::lround(std::max(pre.width, pre.height) / 0.875));
  if (args.has("--resize-shorter")) {
    auto r = parse_int("--resize-shorter", args.get("--resize-shorter"), 0, 65536);
    if (!r.ok()) return report_usage_error(kSpec, r.status().message());
    pre.resize_shorter = static_cast<int>(*r);
    if (pre.resize_shorter > 0 && pre.resize_shorter < std::min(pre.width, pre.height))
      return report_usage_error(kSpec, str_cat("--resize-shorter ", pre.resize_shorter, " is smaller than the crop ",
                                               pre.width, "x", pre.height));
  }
  if (pre.dtype == DType::kUInt8 && (args.has("--mean") || args.has("--std") || args.has("--scale")))
    report_note("the model takes uint8 pixels: --mean, --std and --scale are ignored");

  Shape feed = nhwc ? Shape{1, pre.height, pre.width, 3} : Shape{1, 3, pre.height, pre.width};
  SessionOptions options = *session_options;
  if (!in.has_shape || !shape_fully_known(in.spec.shape)) options.input_shapes[in.spec.name] = feed;
  auto session = Session::create(std::move(model), options);
  if (!session.ok()) return report_error(session.status());

  // Labels, with the TFLite-style background line handled once the class count is known.
  std::vector<std::string> labels;
  if (args.has("--labels")) {
    auto l = read_labels_file(args.get("--labels"));
    if (!l.ok()) return report_error(l.status().message());
    labels = std::move(*l);
  }
  std::map<std::string, int64_t> truth;
  if (args.has("--truth")) {
    auto t = read_truth_csv(args.get("--truth"));
    if (!t.ok()) return report_error(t.status().message());
    truth = std::move(*t);
  }
  struct {
    int images = 0, with_truth = 0, top1 = 0, top5 = 0;
    double latency_ms = 0;
  } acc;
  auto images = expand_image_args({args.positional.begin() + 1, args.positional.end()});
  if (!images.ok()) return report_error(images.status().message());

  int64_t label_offset = 0;  // label of class i = labels[i + label_offset]
  bool labels_checked = false;

  ImageLoop loop = for_each_image(*images, json, [&](const std::string& image_path, vision::Image& image) {
    auto tensor = vision::preprocess(image, pre);
    if (!tensor.ok())
      return ImageOutcome::failed(str_cat("cannot preprocess image '", image_path, "': ", tensor.status().message()));
    std::vector<Tensor> out;
    double start = now_ms();
    Status st = (*session)->run({*tensor}, &out);
    double ms = now_ms() - start;
    // A model failure will not get better with the next image.
    if (!st.ok()) return ImageOutcome::stop(report_error(st));
    if (out.empty() || out[0].numel() < 1) return ImageOutcome::stop(report_error("the model returned no scores"));
    const Tensor& scores = out[0];
    int64_t classes = scores.numel();
    if (!labels_checked && !labels.empty()) {
      labels_checked = true;
      int64_t n = static_cast<int64_t>(labels.size());
      if (n == classes + 1) {
        label_offset = 1;
        report_note(str_cat("the labels file has ", n, " lines for ", classes, " classes: treating the first line ('",
                            labels[0], "') as a background class and skipping it"));
      } else if (n + 1 == classes) {
        label_offset = -1;
        report_note(str_cat("the model has ", classes, " classes and the labels file ", n,
                            " lines: treating class 0 as background (no label)"));
      } else if (n != classes) {
        report_warning(str_cat("the labels file has ", n, " lines, but the model has ", classes, " classes"));
      }
    }
    auto label_of = [&](int64_t index) -> const std::string* {
      int64_t li = index + label_offset;
      if (labels.empty() || li < 0 || li >= static_cast<int64_t>(labels.size())) return nullptr;
      return &labels[static_cast<size_t>(li)];
    };
    std::vector<Scored> best = top_k(scores, std::max<int64_t>(*top, truth.empty() ? 0 : 5));
    // Accuracy against the truth CSV (top-5 looks at 5 classes even when fewer are printed).
    int64_t true_class = -1;
    ++acc.images;
    acc.latency_ms += ms;
    if (!truth.empty()) {
      auto t = truth.find(std::filesystem::path(image_path).filename().string());
      if (t != truth.end()) {
        true_class = t->second;
        ++acc.with_truth;
        for (size_t r = 0; r < best.size() && r < 5; ++r)
          if (best[r].index == true_class) {
            acc.top1 += r == 0;
            ++acc.top5;
          }
      }
    }
    best.resize(std::min(best.size(), static_cast<size_t>(*top)));
    if (json) {
      nlohmann::ordered_json topj = nlohmann::ordered_json::array();
      for (const Scored& s : best) {
        nlohmann::ordered_json e;
        e["index"] = s.index;
        if (const std::string* l = label_of(s.index)) e["label"] = *l;
        e["score"] = s.score;
        topj.push_back(e);
      }
      nlohmann::ordered_json j = {{"image", image_path}, {"top", topj}, {"latency_ms", ms}};
      if (true_class >= 0) {
        j["true_class"] = true_class;
        j["correct"] = !best.empty() && best[0].index == true_class;
      }
      print_json_line(j);
    } else {
      std::printf("%s  (%.2f ms)", image_path.c_str(), ms);
      if (true_class >= 0) {
        const std::string* l = label_of(true_class);
        std::printf("  truth %lld%s%s: %s", static_cast<long long>(true_class), l ? " " : "", l ? l->c_str() : "",
                    !best.empty() && best[0].index == true_class ? "correct" : "WRONG");
      } else if (!truth.empty()) {
        std::printf("  (not in the truth file)");
      }
      std::printf("\n");
      for (size_t r = 0; r < best.size(); ++r) {
        const std::string* l = label_of(best[r].index);
        std::printf("  %2zu  %5lld  %.4f%s%s\n", r + 1, static_cast<long long>(best[r].index), best[r].score,
                    l ? "  " : "", l ? l->c_str() : "");
      }
    }
    std::fflush(stdout);
    return ImageOutcome::done();
  });
  if (loop.stopped) return *loop.stopped;
  if (!truth.empty()) {
    auto pct = [](int n, int d) { return d ? 100.0 * n / d : 0.0; };
    if (json) {
      nlohmann::ordered_json sj = {{"images", acc.images},
                                   {"with_truth", acc.with_truth},
                                   {"top1", acc.top1},
                                   {"top5", acc.top5},
                                   {"top1_accuracy", acc.with_truth ? double(acc.top1) / acc.with_truth : 0.0},
                                   {"top5_accuracy", acc.with_truth ? double(acc.top5) / acc.with_truth : 0.0},
                                   {"failed", loop.failures},
                                   {"mean_latency_ms", acc.images ? acc.latency_ms / acc.images : 0.0}};
      std::printf("%s\n", nlohmann::ordered_json{{"summary", sj}}.dump().c_str());
    } else {
      std::printf("accuracy: top-1 %d/%d (%.1f%%), top-5 %d/%d (%.1f%%)", acc.top1, acc.with_truth,
                  pct(acc.top1, acc.with_truth), acc.top5, acc.with_truth, pct(acc.top5, acc.with_truth));
      if (acc.images > acc.with_truth) std::printf("; %d images not in the truth file", acc.images - acc.with_truth);
      if (loop.failures) std::printf("; %d images failed", loop.failures);
      std::printf("; mean latency %.2f ms\n", acc.images ? acc.latency_ms / acc.images : 0.0);
    }
    if (acc.with_truth == 0) report_warning("no classified image is listed in the truth file");
  }
  return images_exit_code(loop.failures, images->size(), "could not be classified");
}

}  // namespace edgerun::cli
