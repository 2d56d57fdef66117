#include "vision/ocr/tensors.h"

#include <algorithm>
#include <cmath>

namespace edgerun::vision::ocr {
namespace {

// Fills plane c of a [1, 3, H, W] tensor (columns [0, w) of each row) from the image's channel 2 - c (BGR order).
void fill_bgr_planes(const Image& image, float* dst, int tensor_w, const float mean[3], const float inv_std[3]) {
  const size_t plane = static_cast<size_t>(tensor_w) * static_cast<size_t>(image.height);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* row = image.row(y);
    for (int c = 0; c < 3; ++c) {
      float* out = dst + static_cast<size_t>(c) * plane + static_cast<size_t>(y) * static_cast<size_t>(tensor_w);
      const int src_c = 2 - c;
      for (int x = 0; x < image.width; ++x)
        out[x] = (static_cast<float>(row[3 * x + src_c]) * (1.0f / 255.0f) - mean[c]) * inv_std[c];
    }
  }
}

int round_to_32(double v) { return std::max(static_cast<int>(std::nearbyint(v / 32.0)) * 32, 32); }

}  // namespace

void det_input_size(int width, int height, int max_side, int* out_width, int* out_height) {
  double ratio = std::max(width, height) > max_side ? static_cast<double>(max_side) / std::max(width, height) : 1.0;
  // int() first, as PaddleOCR truncates the scaled size before rounding it to the grid.
  *out_width = round_to_32(static_cast<int>(width * ratio));
  *out_height = round_to_32(static_cast<int>(height * ratio));
}

Expected<Tensor> det_input(const Image& image, int width, int height) {
  if (image.empty() || image.channels != 3) return invalid_argument("detector input needs an RGB image");
  Image resized;
  const Image* src = &image;
  if (width != image.width || height != image.height) {
    ER_ASSIGN_OR_RETURN(resized, resize_bilinear(image, width, height));
    src = &resized;
  }
  Tensor t = Tensor::empty(DType::kFloat32, {1, 3, height, width});
  if (!t.defined()) return internal_error("out of memory for a ", width, "x", height, " detector input");
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float inv_std[3] = {1 / 0.229f, 1 / 0.224f, 1 / 0.225f};
  fill_bgr_planes(*src, t.data<float>(), width, mean, inv_std);
  return t;
}

Expected<Tensor> line_input(const Image& line, int height, int out_width) {
  if (line.empty() || line.channels != 3) return invalid_argument("text line input needs an RGB image");
  if (height < 1 || out_width < 1) return invalid_argument("invalid line input size ", out_width, "x", height);
  const double aspect = static_cast<double>(line.width) / line.height;
  const int w = std::clamp(static_cast<int>(std::ceil(height * aspect)), 1, out_width);
  ER_ASSIGN_OR_RETURN(Image resized, resize_bilinear(line, w, height));
  Tensor t = Tensor::empty(DType::kFloat32, {1, 3, height, out_width});  // zero-filled: the padding
  if (!t.defined()) return internal_error("out of memory for a ", out_width, "x", height, " line input");
  const float mean[3] = {0.5f, 0.5f, 0.5f};
  const float inv_std[3] = {2.0f, 2.0f, 2.0f};
  fill_bgr_planes(resized, t.data<float>(), out_width, mean, inv_std);
  return t;
}

int rec_input_width(const Image& line, int height, int min_width, int max_width) {
  const double aspect = line.height > 0 ? static_cast<double>(line.width) / line.height : 1.0;
  const int width = std::max(static_cast<int>(height * aspect), min_width);
  return std::clamp(width, 1, std::max(1, max_width));
}

}  // namespace edgerun::vision::ocr
