// Shapes and detection annotations on RGB8 images. Coordinates come from model outputs, so anything is possible:
// boxes partly or wholly outside the image, huge values, NaN and infinities. Every shape is clipped in 64-bit or
// double arithmetic before a pixel is touched; non-finite shapes are skipped.
//
// Pixel (i, j) covers the point (i, j): a box edge at x = 10.4 lands on column 10.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "edgerun/draw.h"
#include "vision/font.h"

namespace edgerun::vision {
namespace {

// Fills the inclusive rectangle [x1, x2] x [y1, y2], clipped to the image (which must be drawable).
void fill_clipped(Image& image, int64_t x1, int64_t y1, int64_t x2, int64_t y2, Color color) {
  if (x1 > x2) std::swap(x1, x2);
  if (y1 > y2) std::swap(y1, y2);
  x1 = std::max<int64_t>(x1, 0);
  y1 = std::max<int64_t>(y1, 0);
  x2 = std::min<int64_t>(x2, image.width - 1);
  y2 = std::min<int64_t>(y2, image.height - 1);
  if (x1 > x2 || y1 > y2) return;
  for (int64_t y = y1; y <= y2; ++y) {
    uint8_t* p = image.row(static_cast<int>(y)) + 3 * x1;
    for (int64_t x = x1; x <= x2; ++x, p += 3) {
      p[0] = color.r;
      p[1] = color.g;
      p[2] = color.b;
    }
  }
}

// Thickness in pixels: at least 1, and at most 2^20 so that coordinate arithmetic stays far from overflow.
int64_t clamp_thickness(int thickness) { return std::clamp<int64_t>(thickness, 1, int64_t{1} << 20); }

// Clips the segment a-b to [x_lo, x_hi] x [y_lo, y_hi] (Liang-Barsky); false when nothing of it is inside.
bool clip_segment(double& ax, double& ay, double& bx, double& by, double x_lo, double y_lo, double x_hi, double y_hi) {
  double t0 = 0, t1 = 1;
  double dx = bx - ax, dy = by - ay;
  // Each edge as p * t <= q.
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {ax - x_lo, x_hi - ax, ay - y_lo, y_hi - ay};
  for (int k = 0; k < 4; ++k) {
    if (p[k] == 0) {
      if (q[k] < 0) return false;  // parallel to this edge and outside it
      continue;
    }
    double t = q[k] / p[k];
    if (p[k] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 > t1) return false;
  }
  double x0 = ax + t0 * dx, y0 = ay + t0 * dy;
  bx = ax + t1 * dx;
  by = ay + t1 * dy;
  ax = x0;
  ay = y0;
  return true;
}

// Pixels are sampled a hair past their point, so a band [c - t/2, c + t/2] covers exactly t rows or columns
// (the lower bound included, the upper one not) instead of t + 1 when c is a whole number.
constexpr double kSampleBias = 1.0 / 1024;

// Every pixel within `radius` of the segment a-b (a capsule: round caps, so polygon corners join smoothly). Row by
// row: the capsule meets a row in one interval, the union of the band around the segment and the two end discs.
void draw_capsule(Image& image, PointF a, PointF b, double radius, Color color) {
  double ax = a.x, ay = a.y, bx = b.x, by = b.y;
  if (!std::isfinite(ax) || !std::isfinite(ay) || !std::isfinite(bx) || !std::isfinite(by)) return;
  // Only the part of the segment within `radius` (plus a margin) of the image can colour a pixel; clipping to it
  // also brings far-away coordinates into a range where the arithmetic below is exact enough.
  double margin = radius + 2;
  double x_lo = -margin, y_lo = -margin, x_hi = image.width - 1 + margin, y_hi = image.height - 1 + margin;
  if (!clip_segment(ax, ay, bx, by, x_lo, y_lo, x_hi, y_hi)) return;
  // With ends ~1e38 apart the clipped ends carry rounding errors of ~1e22 (such a line can't be placed exactly in
  // double anyway); clamping keeps every later value in range for the integer casts.
  ax = std::clamp(ax, x_lo, x_hi), bx = std::clamp(bx, x_lo, x_hi);
  ay = std::clamp(ay, y_lo, y_hi), by = std::clamp(by, y_lo, y_hi);

  double dx = bx - ax, dy = by - ay;
  double length = std::sqrt(dx * dx + dy * dy);
  double r2 = radius * radius;
  int64_t row_lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(std::min(ay, by) - radius)));
  int64_t row_hi = std::min<int64_t>(image.height - 1, static_cast<int64_t>(std::ceil(std::max(ay, by) + radius)));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (int64_t row = row_lo; row <= row_hi; ++row) {
    double py = static_cast<double>(row) + kSampleBias;
    double lo = kInf, hi = -kInf;
    auto disc = [&](double cx, double cy) {
      double q = r2 - (py - cy) * (py - cy);
      if (q < 0) return;
      double s = std::sqrt(q);
      lo = std::min(lo, cx - s);
      hi = std::max(hi, cx + s);
    };
    disc(ax, ay);
    disc(bx, by);
    if (length > 0) {
      // The band: 0 <= (p - a).d <= |d|^2 and |(p - a) x d| <= radius |d|, both linear in x along the row.
      double band_lo = -kInf, band_hi = kInf;
      bool empty = false;
      auto constrain = [&](double slope, double offset, double min_value, double max_value) {
        if (slope == 0) {
          if (offset < min_value || offset > max_value) empty = true;
          return;
        }
        double x0 = (min_value - offset) / slope, x1 = (max_value - offset) / slope;
        if (slope < 0) std::swap(x0, x1);
        band_lo = std::max(band_lo, x0);
        band_hi = std::min(band_hi, x1);
      };
      constrain(dx, -ax * dx + (py - ay) * dy, 0, dx * dx + dy * dy);
      constrain(dy, -ax * dy - (py - ay) * dx, -radius * length, radius * length);
      if (!empty && band_lo <= band_hi) {
        lo = std::min(lo, band_lo);
        hi = std::max(hi, band_hi);
      }
    }
    if (lo > hi) continue;
    // Columns i with lo <= i + kSampleBias <= hi; lo and hi lie within the clipped range, so the casts are safe.
    int64_t col_lo = static_cast<int64_t>(std::ceil(lo - kSampleBias));
    int64_t col_hi = static_cast<int64_t>(std::floor(hi - kSampleBias));
    fill_clipped(image, col_lo, row, col_hi, row, color);
  }
}

// A box coordinate as a pixel index. Clamped to just beyond the image (by more than the thickness) first: an edge
// out there is invisible either way, and the rounding then can't overflow.
int64_t box_pixel(float v, int size, int64_t thickness) {
  double limit = static_cast<double>(thickness) + 2;
  return std::llround(std::clamp(static_cast<double>(v), -limit, size - 1 + limit));
}

// A distinct palette for class colours, after Sasha Trubetskoy's "List of 20 Simple, Distinct Colors"; the light
// ones are last, as they show poorly on bright scenes.
const Color kPalette[] = {
    {230, 25, 75},   {60, 180, 75},   {0, 130, 200},   {245, 130, 48},  {145, 30, 180},
    {70, 240, 240},  {240, 50, 230},  {255, 225, 25},  {210, 245, 60},  {0, 128, 128},
    {170, 110, 40},  {128, 0, 0},     {128, 128, 0},   {0, 0, 128},     {128, 128, 128},
    {250, 190, 212}, {220, 190, 255}, {170, 255, 195}, {255, 215, 180}, {255, 250, 200},
};
constexpr int kPaletteSize = static_cast<int>(sizeof(kPalette) / sizeof(kPalette[0]));

// Black or white, whichever reads better on `bg` (Rec. 601 luma).
Color text_color_on(Color bg) {
  int luma = (299 * bg.r + 587 * bg.g + 114 * bg.b) / 1000;
  return luma > 140 ? Color{0, 0, 0} : Color{255, 255, 255};
}

}  // namespace

bool is_drawable(const Image& image) {
  return image.width > 0 && image.height > 0 && image.channels == 3 &&
         image.pixels.size() >= static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3;
}

Color palette_color(int index) {
  int i = index % kPaletteSize;
  return kPalette[i < 0 ? i + kPaletteSize : i];
}

void fill_rect(Image& image, int x1, int y1, int x2, int y2, Color color) {
  if (!is_drawable(image)) return;
  fill_clipped(image, x1, y1, x2, y2, color);
}

// The outline lies inside the box: `thickness` pixels inward from each rounded edge, so a box drawn at the image
// border stays fully visible.
void draw_rect(Image& image, const Box& box, Color color, int thickness) {
  if (!is_drawable(image)) return;
  if (!std::isfinite(box.x1) || !std::isfinite(box.y1) || !std::isfinite(box.x2) || !std::isfinite(box.y2)) return;
  int64_t t = clamp_thickness(thickness);
  int64_t x1 = box_pixel(std::min(box.x1, box.x2), image.width, t);
  int64_t x2 = box_pixel(std::max(box.x1, box.x2), image.width, t);
  int64_t y1 = box_pixel(std::min(box.y1, box.y2), image.height, t);
  int64_t y2 = box_pixel(std::max(box.y1, box.y2), image.height, t);
  fill_clipped(image, x1, y1, x2, std::min(y1 + t - 1, y2), color);  // top
  fill_clipped(image, x1, std::max(y2 - t + 1, y1), x2, y2, color);  // bottom
  fill_clipped(image, x1, y1, std::min(x1 + t - 1, x2), y2, color);  // left
  fill_clipped(image, std::max(x2 - t + 1, x1), y1, x2, y2, color);  // right
}

// Closed outline; lines `thickness` wide centred on the edges. One point draws a dot, two a single line. Edges with a
// non-finite end are skipped, the rest is drawn.
void draw_polygon(Image& image, const std::vector<PointF>& points, Color color, int thickness) {
  if (!is_drawable(image) || points.empty()) return;
  double radius = static_cast<double>(clamp_thickness(thickness)) / 2;
  size_t n = points.size();
  if (n == 1) {
    draw_capsule(image, points[0], points[0], radius, color);
    return;
  }
  size_t edges = n == 2 ? 1 : n;
  for (size_t i = 0; i < edges; ++i) draw_capsule(image, points[i], points[(i + 1) % n], radius, color);
}

void annotate_detections(Image& image, const std::vector<Detection>& detections) {
  if (!is_drawable(image)) return;
  // Sized for the image, so a caption stays readable on 1080p and doesn't swamp a 320x240 frame.
  int thickness = std::max(2, (image.width + image.height) / 640);
  int text_height = std::max(14, 6 * thickness + 4);
  // Boxes first, then captions, so no box crosses out a caption.
  for (const Detection& d : detections) draw_rect(image, d.box, palette_color(d.class_id), thickness);
  if (!text_rendering_available()) return;
  for (const Detection& d : detections) {
    const Box& b = d.box;
    if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) || !std::isfinite(b.y2)) continue;
    float left = std::min(b.x1, b.x2), top = std::min(b.y1, b.y2);
    float right = std::max(b.x1, b.x2), bottom = std::max(b.y1, b.y2);
    if (right < 0 || bottom < 0 || left > image.width - 1 || top > image.height - 1) continue;  // not in view
    char score[32];
    std::snprintf(score, sizeof(score), "%.2f", static_cast<double>(d.score));
    std::string caption = d.label.empty() ? str_cat("class ", d.class_id, " ", score) : str_cat(d.label, " ", score);
    int width = measure_text(caption, text_height);
    // Above the box's top-left corner; inside the box when that would leave the image; shifted left to fit.
    int x = static_cast<int>(std::clamp<int64_t>(box_pixel(left, image.width, 0), 0, image.width - 1));
    int y = static_cast<int>(std::clamp<int64_t>(box_pixel(top, image.height, 0), 0, image.height - 1));
    if (y - text_height >= 0) y -= text_height;
    x = std::max(0, std::min(x, image.width - width));
    Color bg = palette_color(d.class_id);
    draw_text(image, x, y, caption, text_color_on(bg), bg, text_height);
  }
}

}  // namespace edgerun::vision
