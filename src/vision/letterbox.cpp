// Detector geometry: area-averaging resize and letterbox (scale to fit, pad), as an image or straight into a
// model's NCHW input tensor.
#include "vision/letterbox.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace edgerun::vision {
namespace {

Status check_rgb(const Image& image) {
  if (image.empty() || image.channels != 3 ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
    return invalid_argument("expected a non-empty RGB image, got ", image.width, "x", image.height, "x", image.channels,
                            " with ", image.pixels.size(), " bytes");
  return Status();
}

// Box filter along one axis when shrinking in_size -> out_size: output o averages the source interval
// [o * in/out, (o + 1) * in/out), each source pixel weighted by its overlap with it.
struct AreaWeights {
  std::vector<int> start, count;  // [out]
  std::vector<float> weights;     // [out, taps]
  int taps = 0;
};

AreaWeights area_weights(int in_size, int out_size) {
  AreaWeights aw;
  double scale = static_cast<double>(in_size) / out_size;
  aw.taps = static_cast<int>(std::ceil(scale)) + 1;  // an interval of length s touches at most ceil(s) + 1 pixels
  aw.start.resize(static_cast<size_t>(out_size));
  aw.count.resize(static_cast<size_t>(out_size));
  aw.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(aw.taps), 0.0f);
  for (int o = 0; o < out_size; ++o) {
    double lo = o * scale, hi = std::min((o + 1) * scale, static_cast<double>(in_size));
    int first = static_cast<int>(std::floor(lo));
    int n = 0;
    float* w = &aw.weights[static_cast<size_t>(o) * static_cast<size_t>(aw.taps)];
    for (int i = first; i < in_size && i < hi && n < aw.taps; ++i) {
      double overlap = std::min(hi, i + 1.0) - std::max(lo, static_cast<double>(i));
      w[n++] = static_cast<float>(std::max(overlap, 0.0) / scale);
    }
    aw.start[static_cast<size_t>(o)] = first;
    aw.count[static_cast<size_t>(o)] = n;
  }
  return aw;
}

// 8-bit value of a float accumulator (round half up, clamped).
uint8_t to_u8(float v) { return static_cast<uint8_t>(std::clamp(static_cast<int>(v + 0.5f), 0, 255)); }

// tensor value of each 0..255 pixel. When scale is 1/k for an integer k the values are p / k, which is what a
// reference pipeline computes (x / 255.0 in float32) and what p * float(1/255) misses by an ulp for some p.
std::array<float, 256> pixel_lut(float scale) {
  std::array<float, 256> lut{};
  double inv = scale != 0 ? 1.0 / static_cast<double>(scale) : 0.0;
  double k = std::round(inv);
  bool divide = k >= 1 && std::fabs(inv - k) < 1e-4 * k;
  for (int p = 0; p < 256; ++p)
    lut[static_cast<size_t>(p)] =
        divide ? static_cast<float>(p) / static_cast<float>(k) : static_cast<float>(p) * scale;
  return lut;
}

}  // namespace

Expected<Image> resize_area(const Image& image, int width, int height) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    return invalid_argument("invalid resize target ", width, "x", height);
  if (width == image.width && height == image.height) return image;
  if (width > image.width || height > image.height) return resize_bilinear(image, width, height);

  // Horizontal pass into floats (no rounding between the passes), then vertical.
  AreaWeights hx = area_weights(image.width, width), hy = area_weights(image.height, height);
  const size_t row_len = static_cast<size_t>(width) * 3;
  std::vector<float> tmp(row_len * static_cast<size_t>(image.height));  // [in_h, out_w, 3]
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* in = image.row(y);
    float* out = &tmp[static_cast<size_t>(y) * row_len];
    for (int ox = 0; ox < width; ++ox) {
      const float* w = &hx.weights[static_cast<size_t>(ox) * static_cast<size_t>(hx.taps)];
      const uint8_t* p = in + static_cast<size_t>(hx.start[static_cast<size_t>(ox)]) * 3;
      float r = 0, g = 0, b = 0;
      for (int k = 0; k < hx.count[static_cast<size_t>(ox)]; ++k, p += 3) {
        r += w[k] * p[0];
        g += w[k] * p[1];
        b += w[k] * p[2];
      }
      out[3 * ox] = r, out[3 * ox + 1] = g, out[3 * ox + 2] = b;
    }
  }
  Image dst;
  dst.width = width;
  dst.height = height;
  dst.channels = 3;
  dst.pixels.resize(row_len * static_cast<size_t>(height));
  std::vector<float> acc(row_len);  // [out_w * 3]
  for (int oy = 0; oy < height; ++oy) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = &hy.weights[static_cast<size_t>(oy) * static_cast<size_t>(hy.taps)];
    for (int k = 0; k < hy.count[static_cast<size_t>(oy)]; ++k) {
      const float* in = &tmp[static_cast<size_t>(hy.start[static_cast<size_t>(oy)] + k) * row_len];
      for (size_t i = 0; i < row_len; ++i) acc[i] += w[k] * in[i];
    }
    uint8_t* out = dst.row(oy);
    for (size_t i = 0; i < row_len; ++i) out[i] = to_u8(acc[i]);
  }
  return dst;
}

LetterboxGeometry letterbox_geometry(int w, int h, int width, int height, bool center) {
  LetterboxGeometry g;
  if (w <= 0 || h <= 0 || width <= 0 || height <= 0) return g;
  double s = std::min(static_cast<double>(width) / w, static_cast<double>(height) / h);
  g.scale = static_cast<float>(s);
  // lrint: half to even, Python's round(); clamped so that rounding never spills over the canvas.
  g.scaled_width = static_cast<int>(std::clamp<long>(std::lrint(w * s), 1, width));
  g.scaled_height = static_cast<int>(std::clamp<long>(std::lrint(h * s), 1, height));
  if (center) {
    g.pad_x = (width - g.scaled_width) / 2;
    g.pad_y = (height - g.scaled_height) / 2;
  }
  return g;
}

Expected<Letterbox> letterbox(const Image& image, int width, int height, int pad_value, bool center) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    return invalid_argument("invalid letterbox size ", width, "x", height);
  if (pad_value < 0 || pad_value > 255) return invalid_argument("pad value ", pad_value, " is not in 0..255");
  LetterboxGeometry g = letterbox_geometry(image.width, image.height, width, height, center);
  ER_ASSIGN_OR_RETURN(Image scaled, resize_bilinear(image, g.scaled_width, g.scaled_height));
  Letterbox lb;
  lb.scale = g.scale;
  lb.pad_x = g.pad_x;
  lb.pad_y = g.pad_y;
  lb.image.width = width;
  lb.image.height = height;
  lb.image.channels = 3;
  lb.image.pixels.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 3, static_cast<uint8_t>(pad_value));
  for (int y = 0; y < scaled.height; ++y)
    std::copy_n(scaled.row(y), static_cast<size_t>(scaled.width) * 3,
                lb.image.row(g.pad_y + y) + static_cast<size_t>(g.pad_x) * 3);
  return lb;
}

Status letterbox_to_tensor(const Image& image, const LetterboxTensorOptions& options, Tensor* tensor,
                           LetterboxGeometry* geometry) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  const int W = options.width, H = options.height;
  if (W <= 0 || H <= 0 || W > 65536 || H > 65536) return invalid_argument("invalid letterbox size ", W, "x", H);
  if (options.pad_value < 0 || options.pad_value > 255)
    return invalid_argument("pad value ", options.pad_value, " is not in 0..255");
  LetterboxGeometry g = letterbox_geometry(image.width, image.height, W, H, options.center);
  ER_ASSIGN_OR_RETURN(Image scaled, resize_bilinear(image, g.scaled_width, g.scaled_height));

  const Shape shape = {1, 3, H, W};
  if (tensor->dtype() != DType::kFloat32 || tensor->shape() != shape) *tensor = Tensor::empty(DType::kFloat32, shape);
  const std::array<float, 256> lut = pixel_lut(options.scale);
  const float pad = lut[static_cast<size_t>(options.pad_value)];
  const size_t plane = static_cast<size_t>(W) * static_cast<size_t>(H);
  for (int c = 0; c < 3; ++c) {
    const int src_c = options.bgr ? 2 - c : c;
    float* dst = tensor->data<float>() + static_cast<size_t>(c) * plane;  // [H, W]
    for (int y = 0; y < H; ++y) {
      float* row = dst + static_cast<size_t>(y) * static_cast<size_t>(W);
      const int sy = y - g.pad_y;
      if (sy < 0 || sy >= g.scaled_height) {
        std::fill(row, row + W, pad);
        continue;
      }
      std::fill(row, row + g.pad_x, pad);
      const uint8_t* src = scaled.row(sy) + src_c;
      float* out = row + g.pad_x;
      for (int x = 0; x < g.scaled_width; ++x) out[x] = lut[src[3 * x]];
      std::fill(row + g.pad_x + g.scaled_width, row + W, pad);
    }
  }
  if (geometry) *geometry = g;
  return Status();
}

}  // namespace edgerun::vision
