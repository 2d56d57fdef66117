// Detector: reads the preset off the model (head from the output shape, labels and input size from the Ultralytics
// metadata), then per image: letterbox into the input tensor, run, decode above the threshold, NMS, map back.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>

#include "edgerun/detect.h"
#include "graph/ir.h"
#include "onnx/onnx_loader.h"
#include "vision/detect_heads.h"
#include "vision/letterbox.h"

namespace edgerun::vision {

struct Detector::Impl {
  std::unique_ptr<Session> session;
  DetectOptions options;  // as given, with input size, channel order and scale resolved
  HeadLayout layout;
  LetterboxTensorOptions pre;
  std::vector<std::string> labels;  // [num_classes] or empty
  std::vector<std::string> notes;
  std::vector<bool> keep_class;  // [num_classes]; empty = all
  // Reused between frames.
  Tensor input;  // [1, 3, H, W]
  std::vector<Tensor> inputs, outputs;
  DecodeScratch scratch;
  std::vector<Detection> candidates;
};

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string dims_text(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

constexpr int kDefaultSize = 640;  // Ultralytics' default imgsz, for models with dynamic spatial dims

Status check_options(const DetectOptions& o) {
  if (!std::isfinite(o.conf) || o.conf < 0 || o.conf > 1)
    return invalid_argument("confidence threshold ", o.conf, " is not in 0..1");
  if (!std::isfinite(o.iou) || o.iou < 0 || o.iou > 1)
    return invalid_argument("IoU threshold ", o.iou, " is not in 0..1");
  if (o.max_detections < 1) return invalid_argument("max detections must be at least 1, got ", o.max_detections);
  if (o.input_width < 0 || o.input_height < 0 || o.input_width > 16384 || o.input_height > 16384)
    return invalid_argument("invalid input size ", o.input_width, "x", o.input_height);
  if (o.pad_value < 0 || o.pad_value > 255) return invalid_argument("pad value ", o.pad_value, " is not in 0..255");
  if (!std::isfinite(o.scale) || o.scale < 0) return invalid_argument("invalid pixel scale ", o.scale);
  if (o.bgr < -1 || o.bgr > 1) return invalid_argument("bgr must be -1, 0 or 1, got ", o.bgr);
  return Status();
}

// "x1/255", "x1", "x0.5".
std::string scale_text(float scale) {
  double inv = 1.0 / scale;
  if (inv > 1.5 && std::fabs(inv - std::round(inv)) < 1e-4 * inv) return str_cat("x1/", std::lround(inv));
  return str_cat("x", scale);
}

}  // namespace

Detector::Detector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Detector::~Detector() = default;

Expected<std::unique_ptr<Detector>> Detector::load(const std::string& model_path, const DetectOptions& options,
                                                   const SessionOptions& session_options) {
  ER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, load_onnx_model(model_path));
  return create(std::move(model), options, session_options);
}

Expected<std::unique_ptr<Detector>> Detector::create(std::unique_ptr<Model> model, const DetectOptions& options,
                                                     const SessionOptions& session_options) {
  if (!model) return invalid_argument("no model");
  ER_RETURN_IF_ERROR(check_options(options));
  auto impl = std::make_unique<Impl>();
  Impl& im = *impl;
  im.options = options;
  const Graph& g = model->graph;

  // The input: one float32 image, NCHW, 3 channels, batch 1.
  if (g.inputs.size() != 1)
    return invalid_argument("detect needs a model with one image input; this one has ", g.inputs.size());
  const Value& in = g.values[static_cast<size_t>(g.inputs[0])];
  if (in.dtype != DType::kFloat32 && in.dtype != DType::kUndefined)
    return invalid_argument("detect feeds float32 images; input '", in.name, "' is ", dtype_name(in.dtype));
  Shape in_shape = in.has_shape ? in.shape : Shape{-1, 3, -1, -1};
  if (in_shape.size() != 4 || (in_shape[1] >= 0 && in_shape[1] != 3) || in_shape[0] > 1)
    return invalid_argument("detect needs a [1, 3, H, W] image input; '", in.name, "' is ", dims_text(in_shape));

  // Metadata (Ultralytics exports): a bad value is a note and a fallback, never a failure.
  auto meta = [&](const char* key) -> const std::string* {
    auto it = model->metadata.find(key);
    return it == model->metadata.end() ? nullptr : &it->second;
  };
  if (const std::string* task = meta("task"); task && *task != "detect")
    return unsupported("the model's task is '", *task, "'; edgerun detect runs detection models ('detect') only");
  std::vector<std::string> names;
  if (const std::string* v = meta("names")) {
    auto parsed = parse_names_metadata(*v);
    if (parsed.ok())
      names = std::move(*parsed);
    else
      im.notes.push_back(str_cat("ignoring the model's 'names' metadata: ", parsed.status().message()));
  }
  InputSize meta_size;
  if (const std::string* v = meta("imgsz")) {
    auto parsed = parse_imgsz_metadata(*v);
    if (parsed.ok())
      meta_size = *parsed;
    else
      im.notes.push_back(str_cat("ignoring the model's 'imgsz' metadata: ", parsed.status().message()));
  }

  // Input size: the model's fixed dims, else the options, else imgsz, else 640.
  int width = static_cast<int>(in_shape[3]), height = static_cast<int>(in_shape[2]);
  const bool fixed = width > 0 && height > 0;
  if (options.input_width > 0 || options.input_height > 0) {
    int ow = options.input_width > 0 ? options.input_width : options.input_height;
    int oh = options.input_height > 0 ? options.input_height : options.input_width;
    if ((width > 0 && width != ow) || (height > 0 && height != oh))
      return invalid_argument("the model's input '", in.name, "' is fixed at ", dims_text(in_shape), "; input size ",
                              ow, "x", oh, " does not fit it");
    if (!fixed && (ow % 32 != 0 || oh % 32 != 0))
      return invalid_argument("input size ", ow, "x", oh, " is not a multiple of 32 (the largest YOLO stride)");
    width = ow, height = oh;
  } else if (!fixed) {
    if (meta_size.width > 0 && (meta_size.width % 32 != 0 || meta_size.height % 32 != 0)) {
      im.notes.push_back(
          str_cat("ignoring the model's imgsz ", meta_size.width, "x", meta_size.height, ": not a multiple of 32"));
      meta_size = {};
    }
    if (width <= 0) width = meta_size.width > 0 ? meta_size.width : kDefaultSize;
    if (height <= 0) height = meta_size.height > 0 ? meta_size.height : kDefaultSize;
  }

  // The head, from the first output.
  if (g.outputs.empty()) return invalid_argument("the model has no outputs");
  const Value& out = g.values[static_cast<size_t>(g.outputs[0])];
  Shape out_shape = out.has_shape ? out.shape : Shape{-1, -1, -1};
  auto layout = infer_head(out_shape, width, height, options.head, static_cast<int>(names.size()));
  if (!layout.ok())
    return Status(layout.status().code(), str_cat("output '", out.name, "': ", layout.status().message()));
  im.layout = *layout;
  const int classes = im.layout.num_classes;

  // Preprocessing preset, then the overrides.
  const bool yolox = im.layout.kind == HeadKind::kYoloX;
  im.pre.width = width;
  im.pre.height = height;
  im.pre.pad_value = options.pad_value;
  im.pre.center = options.center;
  im.pre.bgr = options.bgr >= 0 ? options.bgr == 1 : yolox;
  im.pre.scale = options.scale > 0 ? options.scale : yolox ? 1.0f : 1.0f / 255.0f;
  im.options.head = im.layout.kind;
  im.options.input_width = width;
  im.options.input_height = height;
  im.options.bgr = im.pre.bgr ? 1 : 0;
  im.options.scale = im.pre.scale;

  // Labels: given > metadata names > COCO-80 for 80-class models > none.
  if (!options.labels.empty()) {
    im.labels = options.labels;
    if (static_cast<int>(im.labels.size()) != classes)
      im.notes.push_back(
          str_cat("the labels have ", im.labels.size(), " names, but the model has ", classes, " classes"));
  } else if (!names.empty()) {
    im.labels = names;
    if (static_cast<int>(names.size()) != classes)
      im.notes.push_back(
          str_cat("the model's 'names' metadata has ", names.size(), " names for ", classes, " classes"));
  } else if (classes == 80) {
    im.labels = coco80_labels();
  }
  if (!im.labels.empty()) im.labels.resize(static_cast<size_t>(classes));  // extra names dropped, missing ones empty

  SessionOptions so = session_options;
  const Shape feed = {1, 3, height, width};
  if (!in.has_shape || in_shape != feed) so.input_shapes[in.name] = feed;
  ER_ASSIGN_OR_RETURN(im.session, Session::create(std::move(model), so));
  std::unique_ptr<Detector> detector(new Detector(std::move(impl)));
  ER_RETURN_IF_ERROR(detector->set_classes(options.classes));
  return detector;
}

Status Detector::set_classes(const std::vector<int>& classes) {
  Impl& im = *impl_;
  const int n = im.layout.num_classes;
  std::vector<bool> keep;
  if (!classes.empty()) {
    keep.assign(static_cast<size_t>(n), false);
    for (int c : classes) {
      if (c < 0 || c >= n)
        return invalid_argument("class id ", c, " is out of range: the model has ", n, " classes (0..", n - 1, ")");
      keep[static_cast<size_t>(c)] = true;
    }
  }
  im.keep_class = std::move(keep);
  im.options.classes = classes;
  return Status();
}

Expected<DetectResult> Detector::detect(const Image& image) {
  Impl& im = *impl_;
  DetectResult result;
  double t0 = now_ms();
  LetterboxGeometry geo;
  ER_RETURN_IF_ERROR(letterbox_to_tensor(image, im.pre, &im.input, &geo));
  if (!im.input.defined()) return internal_error("out of memory for the input tensor");
  double t1 = now_ms();
  im.inputs.assign(1, im.input);  // shares the buffer
  im.outputs.clear();
  ER_RETURN_IF_ERROR(im.session->run(im.inputs, &im.outputs));
  double t2 = now_ms();
  if (im.outputs.empty()) return internal_error("the model returned no outputs");

  im.candidates.clear();
  ER_RETURN_IF_ERROR(
      decode_head(im.outputs[0], im.layout, im.pre.width, im.pre.height, im.options.conf, &im.scratch, &im.candidates));
  if (!im.keep_class.empty())  // after the argmax, so that --classes only ever removes detections
    std::erase_if(im.candidates, [&](const Detection& d) { return !im.keep_class[static_cast<size_t>(d.class_id)]; });
  // NMS in input pixels, then map back and clip (clipping first would change the overlaps).
  result.detections = non_max_suppression(std::move(im.candidates), im.options.iou, im.options.class_agnostic_nms,
                                          im.options.max_detections);
  const float inv = 1.0f / geo.scale;
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  for (Detection& d : result.detections) {
    d.box.x1 = std::clamp((d.box.x1 - static_cast<float>(geo.pad_x)) * inv, 0.0f, w);
    d.box.x2 = std::clamp((d.box.x2 - static_cast<float>(geo.pad_x)) * inv, 0.0f, w);
    d.box.y1 = std::clamp((d.box.y1 - static_cast<float>(geo.pad_y)) * inv, 0.0f, h);
    d.box.y2 = std::clamp((d.box.y2 - static_cast<float>(geo.pad_y)) * inv, 0.0f, h);
    d.label = im.labels.empty() ? std::string() : im.labels[static_cast<size_t>(d.class_id)];
  }
  double t3 = now_ms();
  result.timings.preprocess_ms = t1 - t0;
  result.timings.inference_ms = t2 - t1;
  result.timings.postprocess_ms = t3 - t2;
  return result;
}

HeadKind Detector::head() const { return impl_->layout.kind; }
int Detector::input_width() const { return impl_->pre.width; }
int Detector::input_height() const { return impl_->pre.height; }
int Detector::num_classes() const { return impl_->layout.num_classes; }
const std::vector<std::string>& Detector::labels() const { return impl_->labels; }
const std::vector<std::string>& Detector::notes() const { return impl_->notes; }
Session& Detector::session() { return *impl_->session; }

std::string Detector::describe() const {
  const Impl& im = *impl_;
  return str_cat(head_kind_name(im.layout.kind), " head, ", im.layout.num_classes, " classes, ", im.pre.width, "x",
                 im.pre.height, " letterbox (", im.pre.center ? "centered" : "top-left", ", pad ", im.pre.pad_value,
                 "), ", im.pre.bgr ? "BGR" : "RGB", ", ", scale_text(im.pre.scale));
}

Expected<std::vector<int>> parse_class_list(const std::string& list, const std::vector<std::string>& labels,
                                            int num_classes) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  auto trim = [](const std::string& s) {
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  std::vector<int> ids;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string item = trim(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    pos = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (item.empty()) return invalid_argument("empty entry in the class list '", list, "'");
    int id = -1;
    if (std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      id = item.size() > 9 ? num_classes : std::stoi(item);
      if (id >= num_classes)
        return invalid_argument("class id ", item, " is out of range: the model has ", num_classes, " classes (0..",
                                num_classes - 1, ")");
    } else {
      auto it = std::find(labels.begin(), labels.end(), item);
      if (it == labels.end()) {
        const std::string want = lower(item);
        it = std::find_if(labels.begin(), labels.end(), [&](const std::string& l) { return lower(l) == want; });
      }
      if (it == labels.end()) {
        if (labels.empty())
          return invalid_argument("unknown class '", item, "': the model has no class names (give ids or --labels)");
        std::string some;
        for (size_t i = 0; i < labels.size() && i < 8; ++i) some += (i ? ", " : "") + labels[i];
        return invalid_argument("unknown class '", item, "' (the model's classes: ", some,
                                labels.size() > 8 ? ", ..." : "", ")");
      }
      id = static_cast<int>(it - labels.begin());
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

}  // namespace edgerun::vision
