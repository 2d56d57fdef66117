// Internal pieces of image decoding: one decoder per format (each refuses images over the limits before allocating)
// and the shared size check. The public entry points are in edgerun/vision.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgerun/status.h"
#include "edgerun/vision.h"

namespace edgerun::vision {

Expected<Image> decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& limits);
Expected<Image> decode_png(const uint8_t* data, size_t size, const DecodeLimits& limits);
Expected<Image> decode_bmp(const uint8_t* data, size_t size, const DecodeLimits& limits);

// Error unless 1 <= width, height <= limits.max_dim and width * height <= limits.max_pixels.
Status check_image_size(int64_t width, int64_t height, const DecodeLimits& limits);

// An RGB8 image of this size with zeroed pixels (the size must have passed check_image_size).
Image make_rgb_image(int width, int height);

}  // namespace edgerun::vision
