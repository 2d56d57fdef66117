// Image decoding and classification-style preprocessing (decode -> resize -> crop -> normalize -> tensor).
//
//   auto img = edgerun::vision::decode_image_file("cat.jpg");          // RGB8, [height, width, 3]
//   edgerun::vision::PreprocessOptions opt = edgerun::vision::imagenet_preprocess(224);
//   auto input = edgerun::vision::preprocess(*img, opt);                // float32 [1, 3, 224, 224]
//
// Decoding treats the bytes as untrusted: every malformed, truncated or oversized file is an error, never a crash.
// Resizing reproduces PIL's Image.resize(..., BILINEAR) (a triangle filter widened by the scale factor when
// shrinking), because the reference results of the usual ImageNet models were produced with PIL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun::vision {

// 8-bit interleaved pixels, rows top to bottom, no padding.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;             // 3 = RGB (decoders always produce RGB)
  std::vector<uint8_t> pixels;  // [height, width, channels]

  bool empty() const { return width <= 0 || height <= 0; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * width * channels; }
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kBmp };

// From the magic bytes only.
ImageFormat detect_image_format(const uint8_t* data, size_t size);
const char* image_format_name(ImageFormat format);  // "JPEG", "PNG", "BMP", "unknown"

// Refuses images larger than this before allocating (decompression bombs).
struct DecodeLimits {
  int max_dim = 16384;                       // width and height each
  int64_t max_pixels = 128LL * 1024 * 1024;  // width * height
};

// JPEG (libjpeg-turbo), PNG (libpng) or BMP -> RGB8. Gray, palette, 16-bit and alpha inputs are converted to RGB8
// (alpha dropped, as PIL's convert("RGB") does). Errors name the format and the reason.
Expected<Image> decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits = {});
Expected<Image> decode_image_file(const std::string& path, const DecodeLimits& limits = {});

// PIL-compatible bilinear resize: separable horizontal then vertical pass with normalized triangle weights
// (support = max(1, in/out) source pixels each side), accumulated in PIL's 22-bit fixed point and rounded to
// 8 bits after each pass, so the pixels equal PIL's. Upscaling is plain bilinear with half-pixel centers.
Expected<Image> resize_bilinear(const Image& image, int width, int height);
// Scales so that the shorter side becomes `shorter`; the longer side is rounded (half to even, like Python's
// round()), as the recipe behind the shared reference data does.
Expected<Image> resize_shorter_side(const Image& image, int shorter);
// The centered width x height window at offsets floor((in - out) / 2).
Expected<Image> center_crop(const Image& image, int width, int height);

enum class TensorLayout { kNCHW, kNHWC };

struct PreprocessOptions {
  int resize_shorter = 256;  // 0 = resize straight to width x height (no crop)
  int width = 224;           // crop size = model input size
  int height = 224;
  float scale = 1.0f / 255.0f;         // applied to the 0..255 pixel before mean/std
  float mean[3] = {0.0f, 0.0f, 0.0f};  // per channel in R, G, B order
  float std[3] = {1.0f, 1.0f, 1.0f};
  bool bgr = false;  // channel order of the tensor
  TensorLayout layout = TensorLayout::kNCHW;
  DType dtype = DType::kFloat32;  // kFloat32, or kUInt8 (raw pixels; scale/mean/std ignored)
};

// ImageNet (torchvision) preprocessing for a size x size model: shorter side to size/0.875 (256 for 224),
// center crop, 0..1, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), RGB, NCHW.
PreprocessOptions imagenet_preprocess(int size = 224);

// Resize + crop + normalize into a [1, 3, H, W] (NCHW) or [1, H, W, 3] (NHWC) tensor.
Expected<Tensor> preprocess(const Image& image, const PreprocessOptions& options);
// Only the last step: an image already at the target size -> tensor.
Expected<Tensor> image_to_tensor(const Image& image, const PreprocessOptions& options);

// ---- Geometry for detectors -----------------------------------------------------------------------------------
// Area (box) averaging resize, for shrinking (as OpenCV INTER_AREA); upscaling falls back to bilinear.
Expected<Image> resize_area(const Image& image, int width, int height);

// The image scaled by `scale` = min(width / w, height / h) (bilinear) and placed on a width x height canvas filled
// with pad_value, at the top-left (pad_x = pad_y = 0) or centered. A point in the letterboxed image maps back to
// the original as ((x - pad_x) / scale, (y - pad_y) / scale).
struct Letterbox {
  Image image;
  float scale = 1;
  int pad_x = 0, pad_y = 0;
};
Expected<Letterbox> letterbox(const Image& image, int width, int height, int pad_value = 114, bool center = false);

// ---- Encoding ---------------------------------------------------------------------------------------------------
Expected<std::vector<uint8_t>> encode_png(const Image& image);
Expected<std::vector<uint8_t>> encode_jpeg(const Image& image, int quality = 90);
// PNG or JPEG by the file extension (.png, .jpg, .jpeg; case-insensitive); written to a temporary file in the same
// folder and renamed, so a reader never sees a half-written image. Errors name the path.
Status write_image_file(const std::string& path, const Image& image, int jpeg_quality = 90);

}  // namespace edgerun::vision
