// Internal pieces of the detector, exposed for tests: which head a model has (from its output shape), decoding
// raw head outputs into scored candidates, and parsing the Ultralytics metadata strings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/detect.h"
#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun::vision {

struct HeadLayout {
  HeadKind kind = HeadKind::kAuto;
  int num_classes = 0;
  int64_t num_anchors = -1;  // -1 while the declared shape leaves it open (dynamic spatial dims)
  // YOLOv8: [1, 4+C, N] (true, the Ultralytics export) or [1, N, 4+C]. YOLOX is always [1, N, 5+C].
  bool anchors_last = true;
};

// YOLOX rows: the stride 8, 16 and 32 grids of a width x height input, row-major, in that order.
inline constexpr int kYoloxStrides[3] = {8, 16, 32};
int64_t yolox_anchor_count(int input_width, int input_height);

// From the output shape as the model declares it (-1 for dynamic dims) and the input size fed. `requested` forces
// a head (kAuto = decide from the shape). `named_classes` (the size of the names metadata, 0 = none) settles
// [1, N, K] shapes that fit both a YOLOX head and a transposed YOLOv8 one. Errors name the shape and what a
// detector output looks like.
Expected<HeadLayout> infer_head(const Shape& output_shape, int input_width, int input_height, HeadKind requested,
                                int named_classes = 0);

// Reused between frames so that decoding allocates nothing in the steady state.
struct DecodeScratch {
  std::vector<float> best_score;    // [N]
  std::vector<int32_t> best_class;  // [N]
};

// Candidates with score > conf (class = argmax over all classes, ties to the lower id), boxes in input pixels.
// The score test comes before any box arithmetic, so only the few anchors that pass are decoded.
// `out` is [4+C, N] when anchors_last, else [N, 4+C].
void decode_yolov8(const float* out, int num_classes, int64_t num_anchors, bool anchors_last, float conf,
                   DecodeScratch* scratch, std::vector<Detection>* candidates);
// `out` is [N, 5+C] with N = yolox_anchor_count(width, height); score = objectness * class score.
void decode_yolox(const float* out, int num_classes, int input_width, int input_height, float conf,
                  std::vector<Detection>* candidates);
// Checks the actual output against the layout (its shape is only known after the run for dynamic models), then
// dispatches to the decoder above. Candidates are appended.
Status decode_head(const Tensor& output, const HeadLayout& layout, int input_width, int input_height, float conf,
                   DecodeScratch* scratch, std::vector<Detection>* candidates);

// Ultralytics `names` metadata: a Python dict literal "{0: 'person', 1: 'bicycle'}" (single or double quotes,
// Python escapes, optional trailing comma; keys may be quoted) or a list "['person', 'bicycle']". Index = class id;
// ids missing from a dict get "" (no name). Errors say where the text stops making sense.
Expected<std::vector<std::string>> parse_names_metadata(const std::string& text);

// Ultralytics `imgsz` metadata: "[640, 640]" ([height, width]), "[640]" or "640".
struct InputSize {
  int width = 0, height = 0;
};
Expected<InputSize> parse_imgsz_metadata(const std::string& text);

}  // namespace edgerun::vision
