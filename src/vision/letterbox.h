// Internal pieces of letterboxing, exposed for the detector and tests: the geometry alone, and letterbox straight
// into a model's input tensor (no padded intermediate image).
#pragma once

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "edgerun/vision.h"

namespace edgerun::vision {

// Where an image of w x h lands on a width x height canvas. The scaled size is rounded (half to even), which
// equals the reference recipe (round(w * s), as Ultralytics' LetterBox does) whenever the product is not a tie.
struct LetterboxGeometry {
  float scale = 1;  // min(width / w, height / h)
  int scaled_width = 0, scaled_height = 0;
  int pad_x = 0, pad_y = 0;  // top-left corner of the scaled image
};
LetterboxGeometry letterbox_geometry(int w, int h, int width, int height, bool center);

// How the letterboxed pixels become tensor values: value = pixel * scale, channels in R,G,B or B,G,R order.
struct LetterboxTensorOptions {
  int width = 640, height = 640;
  int pad_value = 114;
  bool center = false;
  bool bgr = false;
  float scale = 1.0f / 255.0f;
};

// image -> [1, 3, height, width] float32 NCHW into *tensor (reused when it already has that shape and dtype).
Status letterbox_to_tensor(const Image& image, const LetterboxTensorOptions& options, Tensor* tensor,
                           LetterboxGeometry* geometry);

}  // namespace edgerun::vision
