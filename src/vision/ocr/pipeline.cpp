// OcrPipeline: det -> DB boxes -> line crops -> cls (0/180) -> rec -> CTC text, one image at a time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "edgerun/ocr.h"
#include "vision/ocr/crop.h"
#include "vision/ocr/ctc.h"
#include "vision/ocr/db_postprocess.h"
#include "vision/ocr/geometry.h"
#include "vision/ocr/tensors.h"

namespace edgerun::vision {
namespace {

using ocr::Quad;

// PaddleOCR's classifier input (cls_image_shape "3, 48, 192").
constexpr int kClsHeight = 48;
constexpr int kClsWidth = 192;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool valid_fraction(float v) { return v >= 0.0f && v <= 1.0f; }  // false for NaN

Status check_options(const OcrOptions& o) {
  if (o.max_side < 32 || o.max_side > 8192) return invalid_argument("max_side must be in [32, 8192], got ", o.max_side);
  if (!valid_fraction(o.det_thresh)) return invalid_argument("det_thresh must be in [0, 1], got ", o.det_thresh);
  if (!valid_fraction(o.box_thresh)) return invalid_argument("box_thresh must be in [0, 1], got ", o.box_thresh);
  if (!valid_fraction(o.cls_thresh)) return invalid_argument("cls_thresh must be in [0, 1], got ", o.cls_thresh);
  if (!valid_fraction(o.drop_score)) return invalid_argument("drop_score must be in [0, 1], got ", o.drop_score);
  if (!(o.unclip_ratio > 0.0f && o.unclip_ratio <= 100.0f))
    return invalid_argument("unclip_ratio must be in (0, 100], got ", o.unclip_ratio);
  if (o.max_candidates < 1) return invalid_argument("max_candidates must be at least 1, got ", o.max_candidates);
  if (o.rec_height < 8 || o.rec_height > 512) return invalid_argument("rec_height must be in [8, 512]");
  if (o.rec_min_width < 1 || o.rec_max_width < o.rec_min_width || o.rec_max_width > 16384)
    return invalid_argument("need 1 <= rec_min_width <= rec_max_width <= 16384, got ", o.rec_min_width, " and ",
                            o.rec_max_width);
  return Status::ok_status();
}

// One float32 image input [N, 3, H, W] with dims fixed or dynamic; `fixed_hw` gets the file's fixed height and
// width (-1 where dynamic).
Status check_image_model(const Session& s, const std::string& what, const std::string& path, int64_t fixed_hw[2]) {
  if (s.inputs().size() != 1)
    return invalid_model(what, " model '", path, "' has ", s.inputs().size(), " inputs; expected one image input");
  if (s.outputs().empty()) return invalid_model(what, " model '", path, "' has no outputs");
  const TensorSpec& in = s.inputs()[0];
  if (in.dtype != DType::kFloat32)
    return invalid_model(what, " model '", path, "': input '", in.name, "' is ", dtype_name(in.dtype),
                         "; expected float32");
  if (!in.shape.empty() && (in.shape.size() != 4 || (in.shape[1] >= 0 && in.shape[1] != 3)))
    return invalid_model(what, " model '", path, "': input '", in.name, "' has shape ", shape_str(in.shape),
                         "; expected [N, 3, H, W]");
  fixed_hw[0] = in.shape.size() == 4 ? in.shape[2] : -1;
  fixed_hw[1] = in.shape.size() == 4 ? in.shape[3] : -1;
  return Status::ok_status();
}

Expected<std::unique_ptr<Session>> load_model(const std::string& what, const std::string& path,
                                              const SessionOptions& session_options) {
  if (path.empty()) return invalid_argument("no ", what, " model given");
  auto s = Session::load(path, session_options);
  if (!s.ok()) return s.status().with_context(what + " model '" + path + "'");
  return std::move(*s);
}

}  // namespace

struct OcrPipeline::Impl {
  OcrOptions options;
  std::unique_ptr<Session> det, cls, rec;
  std::vector<std::string> dictionary;  // [classes - 1]: class i reads dictionary[i - 1]
  std::string rec_path;
  int64_t det_fixed[2] = {-1, -1};  // a det model exported for one input size: [H, W]
  int cls_width = kClsWidth;

  // The recognizer's class count must match the dictionary: an off-by-one here reads every character shifted.
  Status check_rec_classes(int64_t classes) const {
    const int64_t want = static_cast<int64_t>(dictionary.size()) + 1;
    if (classes != want)
      return invalid_model("rec model '", rec_path, "' has ", classes, " classes but the dictionary has ",
                           dictionary.size() - 1, " lines (expected lines + 2 = ", want,
                           ": blank, the dictionary, space); is --dict the model's own character list?");
    return Status::ok_status();
  }

  Expected<std::vector<ocr::DbBox>> detect(const Image& image, OcrTimings* t) {
    double t0 = now_ms();
    int w = 0, h = 0;
    ocr::det_input_size(image.width, image.height, options.max_side, &w, &h);
    if (det_fixed[0] > 0 && det_fixed[1] > 0) {  // exported for one size: the whole image stretched onto it
      h = static_cast<int>(det_fixed[0]);
      w = static_cast<int>(det_fixed[1]);
    }
    ER_ASSIGN_OR_RETURN(Tensor input, ocr::det_input(image, w, h));
    double t1 = now_ms();
    std::vector<Tensor> out;
    Status st = det->run({input}, &out);
    if (!st.ok()) return st.with_context("det model");
    double t2 = now_ms();
    if (out.empty() || out[0].dtype() != DType::kFloat32 || out[0].rank() != 4 || out[0].dim(0) != 1 ||
        out[0].dim(1) != 1 || out[0].dim(2) < 1 || out[0].dim(3) < 1)
      return invalid_model("det model: expected a float32 [1, 1, H, W] probability map, got ",
                           out.empty() ? std::string("nothing") : shape_str(out[0].shape()));
    ocr::DbOptions db;
    db.thresh = options.det_thresh;
    db.box_thresh = options.box_thresh;
    db.unclip_ratio = options.unclip_ratio;
    db.max_candidates = options.max_candidates;
    // The map covers the whole (resized) image, whatever its resolution: boxes scale from it to the original.
    std::vector<ocr::DbBox> boxes = ocr::db_boxes(out[0].data<float>(), static_cast<int>(out[0].dim(3)),
                                                  static_cast<int>(out[0].dim(2)), image.width, image.height, db);
    double t3 = now_ms();
    t->det_preprocess_ms += t1 - t0;
    t->det_ms += t2 - t1;
    t->det_postprocess_ms += t3 - t2;
    return boxes;
  }

  // True when the classifier says the line is upside down with more than cls_thresh.
  Expected<bool> upside_down(const Image& line) {
    ER_ASSIGN_OR_RETURN(Tensor input, ocr::line_input(line, kClsHeight, cls_width));
    std::vector<Tensor> out;
    Status st = cls->run({input}, &out);
    if (!st.ok()) return st.with_context("cls model");
    if (out.empty() || out[0].dtype() != DType::kFloat32 || out[0].numel() != 2)
      return invalid_model("cls model: expected float32 [1, 2] scores (0, 180 degrees), got ",
                           out.empty() ? std::string("nothing") : shape_str(out[0].shape()));
    const float* p = out[0].data<float>();  // [0 degrees, 180 degrees]
    return p[1] > p[0] && p[1] > options.cls_thresh;
  }

  Expected<ocr::CtcText> recognize(const Image& line) {
    // Every line at its own width, as PaddleOCR's batch of one. The session re-plans for each new width, a small
    // part of reading the line; padding lines to a few shared widths saved that but cost word spaces (the
    // recognizer drops more of them next to wide gray padding).
    const int width = ocr::rec_input_width(line, options.rec_height, options.rec_min_width, options.rec_max_width);
    ER_ASSIGN_OR_RETURN(Tensor input, ocr::line_input(line, options.rec_height, width));
    std::vector<Tensor> out;
    Status st = rec->run({input}, &out);
    if (!st.ok()) return st.with_context("rec model");
    if (out.empty() || out[0].dtype() != DType::kFloat32 || out[0].rank() != 3 || out[0].dim(0) != 1)
      return invalid_model("rec model: expected float32 [1, T, classes] scores, got ",
                           out.empty() ? std::string("nothing") : shape_str(out[0].shape()));
    ER_RETURN_IF_ERROR(check_rec_classes(out[0].dim(2)));
    return ocr::ctc_greedy_decode(out[0].data<float>(), out[0].dim(1), out[0].dim(2), dictionary);
  }
};

OcrPipeline::OcrPipeline() : impl_(std::make_unique<Impl>()) {}
OcrPipeline::~OcrPipeline() = default;

Expected<std::unique_ptr<OcrPipeline>> OcrPipeline::load(const OcrModels& models, const OcrOptions& options,
                                                         const SessionOptions& session_options) {
  ER_RETURN_IF_ERROR(check_options(options));
  std::unique_ptr<OcrPipeline> p(new OcrPipeline());
  Impl& im = *p->impl_;
  im.options = options;
  im.rec_path = models.rec;
  // The dictionary first: the cheapest file to get wrong, and the rec check below needs it.
  if (models.dict.empty()) return invalid_argument("no dictionary given (the rec model's character list)");
  ER_ASSIGN_OR_RETURN(im.dictionary, ocr::read_ocr_dictionary(models.dict));

  ER_ASSIGN_OR_RETURN(im.det, load_model("det", models.det, session_options));
  ER_RETURN_IF_ERROR(check_image_model(*im.det, "det", models.det, im.det_fixed));

  if (options.use_cls) {
    if (models.cls.empty()) return invalid_argument("no cls model given (or run without the angle classifier)");
    ER_ASSIGN_OR_RETURN(im.cls, load_model("cls", models.cls, session_options));
    int64_t cls_hw[2];
    ER_RETURN_IF_ERROR(check_image_model(*im.cls, "cls", models.cls, cls_hw));
    if (cls_hw[0] >= 0 && cls_hw[0] != kClsHeight)
      return invalid_model("cls model '", models.cls, "' takes lines ", cls_hw[0], " px high; expected ", kClsHeight);
    if (cls_hw[1] > 0) im.cls_width = static_cast<int>(cls_hw[1]);
  }

  ER_ASSIGN_OR_RETURN(im.rec, load_model("rec", models.rec, session_options));
  int64_t rec_hw[2];
  ER_RETURN_IF_ERROR(check_image_model(*im.rec, "rec", models.rec, rec_hw));
  if (rec_hw[0] > 0) im.options.rec_height = static_cast<int>(rec_hw[0]);  // e.g. 32 for the PP-OCRv2 recognizers
  if (rec_hw[1] > 0) im.options.rec_min_width = im.options.rec_max_width = static_cast<int>(rec_hw[1]);
  const Shape rec_out = im.rec->outputs()[0].shape;
  if (rec_out.size() == 3 && rec_out[2] >= 0) ER_RETURN_IF_ERROR(im.check_rec_classes(rec_out[2]));
  return p;
}

const OcrOptions& OcrPipeline::options() const { return impl_->options; }
size_t OcrPipeline::dictionary_size() const { return impl_->dictionary.size(); }

Expected<OcrResult> OcrPipeline::run(const Image& image) {
  Impl& im = *impl_;
  const double start = now_ms();
  if (image.empty() || image.channels != 3 ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
    return invalid_argument("OCR needs a non-empty RGB8 image");
  OcrResult result;
  ER_ASSIGN_OR_RETURN(std::vector<ocr::DbBox> boxes, im.detect(image, &result.timings));
  result.boxes_detected = static_cast<int>(boxes.size());

  std::vector<Quad> quads;
  for (const ocr::DbBox& b : boxes) quads.push_back(b.box);
  std::vector<size_t> order = ocr::reading_order(quads);

  struct Line {
    Quad box;
    Image crop;
    bool rotated = false;
  };
  std::vector<Line> lines;
  double t0 = now_ms();
  for (size_t i : order) {
    auto crop = ocr::crop_text_line(image, quads[i]);
    if (!crop.ok()) continue;  // a sliver the detector let through: nothing to read
    Line line{quads[i], std::move(*crop)};
    if (im.cls) {
      ER_ASSIGN_OR_RETURN(bool flip, im.upside_down(line.crop));
      if (flip) {
        line.crop = ocr::rotate_180(line.crop);
        line.rotated = true;
      }
    }
    lines.push_back(std::move(line));
  }
  double t1 = now_ms();
  result.timings.cls_ms = t1 - t0;

  for (Line& line : lines) {
    ER_ASSIGN_OR_RETURN(ocr::CtcText text, im.recognize(line.crop));
    if (!(text.score >= im.options.drop_score)) continue;
    OcrLine out;
    out.text = std::move(text.text);
    out.score = text.score;
    for (size_t k = 0; k < 4; ++k) out.box[k] = {static_cast<float>(line.box[k].x), static_cast<float>(line.box[k].y)};
    out.rotated = line.rotated;
    result.lines.push_back(std::move(out));
  }
  double t2 = now_ms();
  result.timings.rec_ms = t2 - t1;
  result.timings.total_ms = t2 - start;
  return result;
}

}  // namespace edgerun::vision
