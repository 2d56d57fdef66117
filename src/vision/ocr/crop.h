// Cutting text lines out of an image: a perspective warp of a 4-point box to an upright strip, and the quarter
// and half turns that put a strip's text upright.
#pragma once

#include <array>

#include "edgerun/status.h"
#include "edgerun/vision.h"
#include "vision/ocr/geometry.h"

namespace edgerun::vision::ocr {

// Row-major 3x3 homography H with to[i] ~ H * from[i] (homogeneous). Error when the points are degenerate
// (three of them collinear), i.e. the 8x8 system is singular.
Expected<std::array<double, 9>> perspective_transform(const Quad& from, const Quad& to);

// PaddleOCR's line crop: the box (tl, tr, br, bl) becomes a W x H image with W = max(top, bottom edge length)
// and H = max(left, right edge length) (truncated), corner i landing on (0,0), (W,0), (W,H), (0,H); each output
// pixel is sampled bilinearly at its source position, edges replicated. Then, when H / W >= 1.5 (a vertical
// line of text), turned a quarter counter-clockwise. Error for a box under 1 px either way. A box of more than
// 4 Mpixels is sampled at a reduced size (same aspect ratio): the models read 48 px high strips anyway.
Expected<Image> crop_text_line(const Image& image, const Quad& box);

Image rotate_180(const Image& image);
Image rotate_90_ccw(const Image& image);

}  // namespace edgerun::vision::ocr
