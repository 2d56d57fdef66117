// Object detection on images: YOLOv8/YOLO11-style heads ([1, 4+C, N], no objectness) and YOLOX-style heads
// ([1, N, 5+C], grids and strides, objectness), letterbox preprocessing chosen from the model, class-wise NMS,
// boxes mapped back to original-image pixels.
//
//   auto det = edgerun::vision::Detector::load("yolov8n.onnx");
//   auto img = edgerun::vision::decode_image_file("bus.jpg");
//   auto result = (*det)->detect(*img);      // result->detections: class, label, score, box in image pixels
//
// Presets come from the model: the output shape decides the head; Ultralytics metadata (`names`, `imgsz`) gives
// labels and input size; YOLOv8 = RGB 0..1, YOLOX = BGR 0..255; both letterbox at the top-left with pad 114 (the
// recipe behind ../shared/models reference detections). Every choice can be overridden in DetectOptions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "edgerun/session.h"
#include "edgerun/status.h"
#include "edgerun/vision.h"

namespace edgerun::vision {

// Pixel coordinates, x1 <= x2, y1 <= y2.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.0f; }
};

struct Detection {
  int class_id = 0;
  float score = 0;
  Box box;
  std::string label;  // empty when the class has no name
};

enum class HeadKind { kAuto, kYoloV8, kYoloX };
const char* head_kind_name(HeadKind kind);  // "auto", "yolov8", "yolox"

struct DetectOptions {
  float conf = 0.25f;        // minimum score (YOLOX: objectness * class score)
  float iou = 0.45f;         // NMS IoU threshold
  std::vector<int> classes;  // keep only these class ids; empty = all
  bool class_agnostic_nms = false;
  int max_detections = 300;
  HeadKind head = HeadKind::kAuto;
  // Preprocessing overrides; 0 / -1 = from the model's preset.
  int input_width = 0, input_height = 0;  // for models with dynamic spatial dims (default 640, or metadata imgsz)
  int bgr = -1;                           // 1 = feed B,G,R; 0 = R,G,B
  float scale = 0;                        // pixel factor (YOLOv8 1/255, YOLOX 1)
  int pad_value = 114;
  bool center = false;              // letterbox centered instead of at the top-left
  std::vector<std::string> labels;  // overrides the model's names
};

struct DetectTimings {
  double preprocess_ms = 0;   // letterbox + tensor
  double inference_ms = 0;    // Session::run
  double postprocess_ms = 0;  // decode + NMS
};

struct DetectResult {
  std::vector<Detection> detections;  // sorted by score, descending
  DetectTimings timings;
};

class Detector {
 public:
  static Expected<std::unique_ptr<Detector>> load(const std::string& model_path, const DetectOptions& options = {},
                                                  const SessionOptions& session_options = {});
  static Expected<std::unique_ptr<Detector>> create(std::unique_ptr<Model> model, const DetectOptions& options = {},
                                                    const SessionOptions& session_options = {});
  ~Detector();

  Expected<DetectResult> detect(const Image& image);
  // Replaces DetectOptions::classes (e.g. once names have been resolved against labels()); empty = all.
  Status set_classes(const std::vector<int>& classes);

  HeadKind head() const;
  int input_width() const;
  int input_height() const;
  int num_classes() const;
  const std::vector<std::string>& labels() const;
  // One line: "yolov8 head, 80 classes, 640x640 letterbox (top-left, pad 114), RGB, x1/255".
  std::string describe() const;
  // Fallbacks taken at load, one sentence each (malformed `names`/`imgsz` metadata, a label count that does not
  // match the classes), for the caller to show as notes; empty when the model was taken as it is.
  const std::vector<std::string>& notes() const;
  Session& session();

  struct Impl;

 private:
  explicit Detector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Post-processing pieces (also used by tests).
float box_iou(const Box& a, const Box& b);
// Greedy NMS: candidates in any order (sorted here by score, ties keep their order); a box is dropped when its IoU
// with a kept box of its class (any class if class_agnostic) is > iou_threshold; keeps at most max_keep.
std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           bool class_agnostic = false, int max_keep = 300);

// "person,car", "0,2" or a mix -> class ids, in the order given, duplicates dropped. A name is looked up in
// `labels` (exact, then case-insensitive); an id must be < num_classes. Errors name the entry that did not resolve.
Expected<std::vector<int>> parse_class_list(const std::string& list, const std::vector<std::string>& labels,
                                            int num_classes);

// The 80 COCO class names in index order (YOLO class ids), used when a COCO-80 model has no names metadata.
const std::vector<std::string>& coco80_labels();

}  // namespace edgerun::vision
