#include "vision/image.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace edgerun::vision {

ImageFormat detect_image_format(const uint8_t* data, size_t size) {
  if (!data) return ImageFormat::kUnknown;
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  static const uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size >= 8 && std::memcmp(data, kPngMagic, 8) == 0) return ImageFormat::kPng;
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') return ImageFormat::kBmp;
  return ImageFormat::kUnknown;
}

const char* image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Status check_image_size(int64_t width, int64_t height, const DecodeLimits& limits) {
  if (width <= 0 || height <= 0) return invalid_argument("invalid image size ", width, "x", height);
  if (width > limits.max_dim || height > limits.max_dim || width * height > limits.max_pixels)
    return invalid_argument("image size ", width, "x", height, " exceeds the decoder's limit (", limits.max_dim,
                            " pixels per side, ", limits.max_pixels, " pixels in all)");
  return Status();
}

Image make_rgb_image(int width, int height) {
  Image img;
  img.width = width;
  img.height = height;
  img.channels = 3;
  img.pixels.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 3, 0);
  return img;
}

Expected<Image> decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  if (size == 0) return invalid_argument("empty file");
  switch (detect_image_format(data, size)) {
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, limits);
    case ImageFormat::kPng:
      return decode_png(data, size, limits);
    case ImageFormat::kBmp:
      return decode_bmp(data, size, limits);
    case ImageFormat::kUnknown:
      break;
  }
  return invalid_argument("not a JPEG, PNG or BMP file");
}

Expected<Image> decode_image_file(const std::string& path, const DecodeLimits& limits) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    int err = errno;
    if (err == ENOENT) return not_found(std::strerror(err));
    return io_error(std::strerror(err));
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  for (;;) {
    size_t n = std::fread(buf, 1, sizeof(buf), f.get());
    bytes.insert(bytes.end(), buf, buf + n);
    if (n < sizeof(buf)) break;
    // A compressed image can't usefully be larger than its decoded limit (plus generous metadata).
    if (bytes.size() > static_cast<size_t>(limits.max_pixels) * 4 + (64u << 20))
      return invalid_argument("file is too large for an image");
  }
  if (std::ferror(f.get())) return io_error(std::strerror(errno));
  return decode_image(bytes.data(), bytes.size(), limits);
}

}  // namespace edgerun::vision
