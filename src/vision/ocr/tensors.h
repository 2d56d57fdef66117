// Model inputs of the OCR pipeline, prepared as PaddleOCR prepares them from cv2.imread's BGR pixels.
#pragma once

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "edgerun/vision.h"

namespace edgerun::vision::ocr {

// The detector's input size for an image: the longer side scaled down to max_side when longer (never up), both
// sides then rounded to the nearest multiple of 32 (half to even, like Python's round), at least 32.
void det_input_size(int width, int height, int max_side, int* out_width, int* out_height);

// [1, 3, H, W] float32, channels B, G, R, ((x / 255) - mean) / std with the ImageNet mean (0.485, 0.456, 0.406)
// and std (0.229, 0.224, 0.225) applied to the B, G, R planes in that order: PaddleOCR's NormalizeImage indexes
// them by position on its BGR array, and the models were trained that way.
Expected<Tensor> det_input(const Image& image, int width, int height);

// A text line for cls / rec: resized to `height` rows and min(out_width, ceil(height * w / h)) columns, B, G, R,
// (x / 255 - 0.5) / 0.5, zero (mid-gray after normalization) padding on the right up to out_width.
// [1, 3, height, out_width] float32.
Expected<Tensor> line_input(const Image& line, int height, int out_width);

// The recognizer's input width for a line: PaddleOCR's batch width for a batch of one, height * max(w / h,
// min_width / height), then limited to max_width.
int rec_input_width(const Image& line, int height, int min_width, int max_width);

}  // namespace edgerun::vision::ocr
