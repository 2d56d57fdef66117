#include "vision/ocr/crop.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace edgerun::vision::ocr {
namespace {

constexpr double kMaxCropPixels = 4.0 * 1024 * 1024;

Image blank_image(int width, int height) {
  Image img;
  img.width = width;
  img.height = height;
  img.channels = 3;
  img.pixels.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 3, 0);
  return img;
}

}  // namespace

Expected<std::array<double, 9>> perspective_transform(const Quad& from, const Quad& to) {
  // Unknowns h0..h7 (h8 = 1). Each correspondence (x, y) -> (u, v) gives two linear equations:
  //   h0 x + h1 y + h2 - h6 x u - h7 y u = u,   h3 x + h4 y + h5 - h6 x v - h7 y v = v.
  double a[8][9] = {};  // augmented [8, 8 | 1]
  for (int i = 0; i < 4; ++i) {
    const double x = from[static_cast<size_t>(i)].x, y = from[static_cast<size_t>(i)].y;
    const double u = to[static_cast<size_t>(i)].x, v = to[static_cast<size_t>(i)].y;
    double* r0 = a[2 * i];
    double* r1 = a[2 * i + 1];
    r0[0] = x, r0[1] = y, r0[2] = 1, r0[6] = -x * u, r0[7] = -y * u, r0[8] = u;
    r1[3] = x, r1[4] = y, r1[5] = 1, r1[6] = -x * v, r1[7] = -y * v, r1[8] = v;
  }
  // Gaussian elimination with partial pivoting; the scale of the pivots is that of pixel coordinates squared, so
  // the singularity test is relative to the largest coefficient.
  double scale = 0;
  for (auto& row : a)
    for (int c = 0; c < 8; ++c) scale = std::max(scale, std::fabs(row[c]));
  if (!(scale > 0) || !std::isfinite(scale)) return invalid_argument("perspective transform of degenerate points");
  for (int col = 0; col < 8; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 8; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    if (std::fabs(a[pivot][col]) < 1e-12 * scale)
      return invalid_argument("perspective transform of degenerate points (three corners on a line)");
    if (pivot != col)
      for (int c = 0; c < 9; ++c) std::swap(a[col][c], a[pivot][c]);
    for (int r = 0; r < 8; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      if (f == 0) continue;
      for (int c = col; c < 9; ++c) a[r][c] -= f * a[col][c];
    }
  }
  std::array<double, 9> h{};
  for (int i = 0; i < 8; ++i) h[static_cast<size_t>(i)] = a[i][8] / a[i][i];
  h[8] = 1;
  return h;
}

Expected<Image> crop_text_line(const Image& image, const Quad& box) {
  if (image.empty() || image.channels != 3) return invalid_argument("crop of an empty or non-RGB image");
  const double w_len = std::max(distance(box[0], box[1]), distance(box[2], box[3]));
  const double h_len = std::max(distance(box[0], box[3]), distance(box[1], box[2]));
  if (!std::isfinite(w_len) || !std::isfinite(h_len)) return invalid_argument("text box with non-finite corners");
  // Truncation like PaddleOCR's int().
  int w = static_cast<int>(std::min(w_len, 65536.0)), h = static_cast<int>(std::min(h_len, 65536.0));
  if (w < 1 || h < 1) return invalid_argument("text box of ", w_len, " x ", h_len, " px is too small to crop");
  // A box the size of a poster would be cut out at full resolution only to be shrunk to 48 rows by the models:
  // beyond kMaxCropPixels the strip is sampled smaller, same aspect ratio, which bounds the memory per line.
  if (static_cast<double>(w) * h > kMaxCropPixels) {
    const double s = std::sqrt(kMaxCropPixels / (static_cast<double>(w) * h));
    w = std::max(1, static_cast<int>(w * s));
    h = std::max(1, static_cast<int>(h * s));
  }
  const Quad dst = {Point{0, 0}, Point{static_cast<double>(w), 0},
                    Point{static_cast<double>(w), static_cast<double>(h)}, Point{0, static_cast<double>(h)}};
  ER_ASSIGN_OR_RETURN(auto m, perspective_transform(dst, box));  // output pixel -> source position
  Image out = blank_image(w, h);
  const int iw = image.width, ih = image.height;
  for (int y = 0; y < h; ++y) {
    uint8_t* row = out.row(y);
    for (int x = 0; x < w; ++x) {
      const double z = m[6] * x + m[7] * y + m[8];
      double sx = (m[0] * x + m[1] * y + m[2]) / z;
      double sy = (m[3] * x + m[4] * y + m[5]) / z;
      if (!std::isfinite(sx) || !std::isfinite(sy)) sx = 0, sy = 0;
      sx = std::clamp(sx, 0.0, static_cast<double>(iw - 1));  // replicate the border
      sy = std::clamp(sy, 0.0, static_cast<double>(ih - 1));
      const int x0 = static_cast<int>(sx), y0 = static_cast<int>(sy);
      const int x1 = std::min(x0 + 1, iw - 1), y1 = std::min(y0 + 1, ih - 1);
      const double fx = sx - x0, fy = sy - y0;
      const uint8_t* p00 = image.row(y0) + 3 * x0;
      const uint8_t* p01 = image.row(y0) + 3 * x1;
      const uint8_t* p10 = image.row(y1) + 3 * x0;
      const uint8_t* p11 = image.row(y1) + 3 * x1;
      for (int c = 0; c < 3; ++c) {
        const double top = p00[c] + (p01[c] - p00[c]) * fx;
        const double bottom = p10[c] + (p11[c] - p10[c]) * fx;
        row[3 * x + c] = static_cast<uint8_t>(std::clamp(top + (bottom - top) * fy + 0.5, 0.0, 255.0));
      }
    }
  }
  if (static_cast<double>(h) / w >= 1.5) return rotate_90_ccw(out);
  return out;
}

Image rotate_180(const Image& image) {
  Image out = blank_image(image.width, image.height);
  const size_t n = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < 3; ++c) out.pixels[(n - 1 - i) * 3 + c] = image.pixels[i * 3 + c];
  return out;
}

Image rotate_90_ccw(const Image& image) {
  // The source's right column becomes the top row: out(x, y) = in(W - 1 - y, x), out is H wide and W tall.
  Image out = blank_image(image.height, image.width);
  for (int y = 0; y < out.height; ++y) {
    uint8_t* row = out.row(y);
    const int sx = image.width - 1 - y;
    for (int x = 0; x < out.width; ++x) {
      const uint8_t* p = image.row(x) + 3 * sx;
      row[3 * x] = p[0], row[3 * x + 1] = p[1], row[3 * x + 2] = p[2];
    }
  }
  return out;
}

}  // namespace edgerun::vision::ocr
