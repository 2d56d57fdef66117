#include "vision/preprocess.h"

#include <algorithm>
#include <cmath>

namespace edgerun::vision {
namespace {

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// PIL resamples 8-bit images in fixed point: each normalized weight becomes round(w * 2^22), sums start at 2^21
// (round half up) and are shifted back and clipped. Doing the same reproduces its pixels exactly; float
// accumulation differed by one level in up to ~600 values of a 224x224x3 crop (measured on the reference inputs
// of the shared MobileNet test data), which is enough to flip a quantized model's close calls.
constexpr int kFixedBits = 22;
constexpr int32_t kFixedHalf = 1 << (kFixedBits - 1);

// [out, taps]; sums stay below 2^31: 255 * (2^22 + taps) + 2^21.
std::vector<int32_t> fixed_point_weights(const ResampleWeights& rw) {
  std::vector<int32_t> q(rw.weights.size());
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<int32_t>(std::lround(rw.weights[i] * (1 << kFixedBits)));
  return q;
}

uint8_t fixed_to_u8(int32_t acc) { return static_cast<uint8_t>(std::clamp(acc >> kFixedBits, 0, 255)); }

// [h, w, 3] -> [h, out_w, 3]
Image resize_horizontal(const Image& src, int out_w) {
  ResampleWeights rw = compute_resample_weights(src.width, out_w);
  std::vector<int32_t> q = fixed_point_weights(rw);  // [out_w, taps]
  Image dst;
  dst.width = out_w;
  dst.height = src.height;
  dst.channels = 3;
  dst.pixels.resize(static_cast<size_t>(out_w) * static_cast<size_t>(src.height) * 3);
  for (int y = 0; y < src.height; ++y) {
    const uint8_t* in = src.row(y);
    uint8_t* out = dst.row(y);
    for (int ox = 0; ox < out_w; ++ox) {
      const int32_t* w = &q[static_cast<size_t>(ox) * static_cast<size_t>(rw.taps)];
      const uint8_t* p = in + static_cast<size_t>(rw.start[static_cast<size_t>(ox)]) * 3;
      int32_t r = kFixedHalf, g = kFixedHalf, b = kFixedHalf;
      for (int k = 0; k < rw.count[static_cast<size_t>(ox)]; ++k, p += 3) {
        r += w[k] * p[0];
        g += w[k] * p[1];
        b += w[k] * p[2];
      }
      out[3 * ox] = fixed_to_u8(r);
      out[3 * ox + 1] = fixed_to_u8(g);
      out[3 * ox + 2] = fixed_to_u8(b);
    }
  }
  return dst;
}

// [h, w, 3] -> [out_h, w, 3]
Image resize_vertical(const Image& src, int out_h) {
  ResampleWeights rw = compute_resample_weights(src.height, out_h);
  std::vector<int32_t> q = fixed_point_weights(rw);  // [out_h, taps]
  Image dst;
  dst.width = src.width;
  dst.height = out_h;
  dst.channels = 3;
  size_t row_len = static_cast<size_t>(src.width) * 3;
  dst.pixels.resize(row_len * static_cast<size_t>(out_h));
  std::vector<int32_t> acc(row_len);  // [w * 3]
  for (int oy = 0; oy < out_h; ++oy) {
    std::fill(acc.begin(), acc.end(), kFixedHalf);
    const int32_t* w = &q[static_cast<size_t>(oy) * static_cast<size_t>(rw.taps)];
    for (int k = 0; k < rw.count[static_cast<size_t>(oy)]; ++k) {
      const uint8_t* in = src.row(rw.start[static_cast<size_t>(oy)] + k);
      int32_t wk = w[k];
      for (size_t i = 0; i < row_len; ++i) acc[i] += wk * in[i];
    }
    uint8_t* out = dst.row(oy);
    for (size_t i = 0; i < row_len; ++i) out[i] = fixed_to_u8(acc[i]);
  }
  return dst;
}

Status check_rgb(const Image& image) {
  if (image.empty() || image.channels != 3 ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
    return invalid_argument("expected a non-empty RGB image, got ", image.width, "x", image.height, "x", image.channels,
                            " with ", image.pixels.size(), " bytes");
  return Status();
}

}  // namespace

ResampleWeights compute_resample_weights(int in_size, int out_size) {
  ResampleWeights rw;
  double scale = static_cast<double>(in_size) / out_size;
  double filter_scale = std::max(scale, 1.0);
  double support = 1.0 * filter_scale;  // the triangle's radius is 1 source pixel, widened when shrinking
  rw.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  rw.start.resize(static_cast<size_t>(out_size));
  rw.count.resize(static_cast<size_t>(out_size));
  rw.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(rw.taps), 0.0f);
  std::vector<double> tmp(static_cast<size_t>(rw.taps));  // unnormalized weights of one output pixel
  for (int o = 0; o < out_size; ++o) {
    double center = (o + 0.5) * scale;
    // Truncation toward zero, then clamping, as PIL computes the window.
    int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    int n = std::min(hi - lo, rw.taps);
    double* w = &rw.weights[static_cast<size_t>(o) * static_cast<size_t>(rw.taps)];
    double sum = 0.0;
    for (int k = 0; k < n; ++k) {
      tmp[static_cast<size_t>(k)] = triangle((k + lo - center + 0.5) / filter_scale);
      sum += tmp[static_cast<size_t>(k)];
    }
    for (int k = 0; k < n; ++k) w[k] = (sum != 0.0 ? tmp[static_cast<size_t>(k)] / sum : 0.0);
    rw.start[static_cast<size_t>(o)] = lo;
    rw.count[static_cast<size_t>(o)] = std::max(n, 0);
  }
  return rw;
}

int center_crop_offset(int in_size, int out_size) { return (in_size - out_size) / 2; }

int scaled_long_side(int long_side, int short_side, int shorter) {
  double scaled = long_side * (static_cast<double>(shorter) / short_side);
  return static_cast<int>(std::max(1L, std::lrint(scaled)));  // default rounding mode: half to even
}

Expected<Image> resize_bilinear(const Image& image, int width, int height) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    return invalid_argument("invalid resize target ", width, "x", height);
  // Horizontal first, then vertical, rounding in between (PIL's order); a pass is skipped when its size is kept.
  if (width == image.width && height == image.height) return image;
  if (width == image.width) return resize_vertical(image, height);
  Image h = resize_horizontal(image, width);
  if (height == image.height) return h;
  return resize_vertical(h, height);
}

Expected<Image> resize_shorter_side(const Image& image, int shorter) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (shorter <= 0) return invalid_argument("invalid shorter-side size ", shorter);
  int w = image.width, h = image.height;
  if (w <= h) return resize_bilinear(image, shorter, scaled_long_side(h, w, shorter));
  return resize_bilinear(image, scaled_long_side(w, h, shorter), shorter);
}

Expected<Image> center_crop(const Image& image, int width, int height) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (width <= 0 || height <= 0) return invalid_argument("invalid crop size ", width, "x", height);
  if (width > image.width || height > image.height)
    return invalid_argument("crop ", width, "x", height, " is larger than the image (", image.width, "x", image.height,
                            ")");
  int x0 = center_crop_offset(image.width, width);
  int y0 = center_crop_offset(image.height, height);
  Image out;
  out.width = width;
  out.height = height;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (int y = 0; y < height; ++y)
    std::copy_n(image.row(y0 + y) + static_cast<size_t>(x0) * 3, static_cast<size_t>(width) * 3, out.row(y));
  return out;
}

PreprocessOptions imagenet_preprocess(int size) {
  PreprocessOptions o;
  o.width = o.height = size;
  o.resize_shorter = static_cast<int>(std::lround(size / 0.875));
  o.scale = 1.0f / 255.0f;
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float std[3] = {0.229f, 0.224f, 0.225f};
  for (int c = 0; c < 3; ++c) o.mean[c] = mean[c], o.std[c] = std[c];
  return o;
}

Expected<Tensor> image_to_tensor(const Image& image, const PreprocessOptions& options) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (options.dtype != DType::kFloat32 && options.dtype != DType::kUInt8)
    return unsupported("image tensors can be float32 or uint8, not ", dtype_name(options.dtype));
  for (int c = 0; c < 3; ++c)
    if (options.std[c] == 0.0f) return invalid_argument("std of channel ", c, " is zero");
  int64_t h = image.height, w = image.width;
  bool nchw = options.layout == TensorLayout::kNCHW;
  Shape shape = nchw ? Shape{1, 3, h, w} : Shape{1, h, w, 3};
  Tensor t = Tensor::empty(options.dtype, shape);
  size_t plane = static_cast<size_t>(h * w);
  for (int c = 0; c < 3; ++c) {           // tensor channel
    int src_c = options.bgr ? 2 - c : c;  // image channel (R, G, B)
    for (size_t i = 0; i < plane; ++i) {
      uint8_t p = image.pixels[i * 3 + static_cast<size_t>(src_c)];
      size_t dst = nchw ? static_cast<size_t>(c) * plane + i : i * 3 + static_cast<size_t>(c);
      if (options.dtype == DType::kUInt8) {
        t.data<uint8_t>()[dst] = p;
      } else {
        t.data<float>()[dst] = (static_cast<float>(p) * options.scale - options.mean[src_c]) / options.std[src_c];
      }
    }
  }
  return t;
}

Expected<Tensor> preprocess(const Image& image, const PreprocessOptions& options) {
  ER_RETURN_IF_ERROR(check_rgb(image));
  if (options.width <= 0 || options.height <= 0)
    return invalid_argument("invalid input size ", options.width, "x", options.height);
  Image sized;
  if (options.resize_shorter > 0) {
    ER_ASSIGN_OR_RETURN(Image resized, resize_shorter_side(image, options.resize_shorter));
    ER_ASSIGN_OR_RETURN(sized, center_crop(resized, options.width, options.height));
  } else {
    ER_ASSIGN_OR_RETURN(sized, resize_bilinear(image, options.width, options.height));
  }
  return image_to_tensor(sized, options);
}

}  // namespace edgerun::vision
