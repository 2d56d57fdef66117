// OCR pipeline pieces on synthetic data: geometry (hull, minimum-area rectangle, unclip, corner and reading
// order), DB regions and boxes, CTC decoding, the line crop and the model inputs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "vision/ocr/crop.h"
#include "vision/ocr/ctc.h"
#include "vision/ocr/db_postprocess.h"
#include "vision/ocr/geometry.h"
#include "vision/ocr/tensors.h"

namespace edgerun::vision::ocr {
namespace {

constexpr double kPi = std::numbers::pi;

// Corners of a w x h rectangle centered at (cx, cy), its w side at `angle` radians.
std::vector<Point> rect_corners(double cx, double cy, double w, double h, double angle) {
  const double ux = std::cos(angle), uy = std::sin(angle), vx = -uy, vy = ux;
  std::vector<Point> p;
  for (auto [a, b] : {std::pair{-0.5, -0.5}, {0.5, -0.5}, {0.5, 0.5}, {-0.5, 0.5}})
    p.push_back({cx + a * w * ux + b * h * vx, cy + a * w * uy + b * h * vy});
  return p;
}

// The minimum-area rectangle by brute force: every hull edge direction, every point projected. The reference
// the rotating calipers must agree with.
double brute_force_min_area(const std::vector<Point>& points) {
  std::vector<Point> hull = convex_hull(points);
  if (hull.size() < 3) return 0;
  double best = INFINITY;
  for (size_t i = 0; i < hull.size(); ++i) {
    const Point& a = hull[i];
    const Point& b = hull[(i + 1) % hull.size()];
    double len = distance(a, b), ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
    double u0 = INFINITY, u1 = -INFINITY, v0 = INFINITY, v1 = -INFINITY;
    for (const Point& p : hull) {
      double u = p.x * ux + p.y * uy, v = -p.x * uy + p.y * ux;
      u0 = std::min(u0, u), u1 = std::max(u1, u), v0 = std::min(v0, v), v1 = std::max(v1, v);
    }
    best = std::min(best, (u1 - u0) * (v1 - v0));
  }
  return best;
}

// True when p lies in the rectangle (within eps), using its corners.
bool inside_rect(const RotatedRect& r, const Point& p, double eps) {
  const Quad& c = r.corners;
  double sign = 0;
  for (int i = 0; i < 4; ++i) {
    const Point& a = c[static_cast<size_t>(i)];
    const Point& b = c[static_cast<size_t>((i + 1) % 4)];
    double len = distance(a, b);
    if (len < 1e-12) continue;
    double s = ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)) / len;
    if (sign == 0 && std::fabs(s) > eps) sign = s > 0 ? 1 : -1;
    if (sign * s < -eps) return false;
  }
  return true;
}

// ---- geometry ----

TEST(OcrGeometry, ConvexHullDropsInteriorAndCollinearPoints) {
  std::vector<Point> pts = {{0, 0}, {4, 0}, {2, 0}, {4, 3}, {0, 3}, {2, 1}, {1, 2}, {4, 1}, {0, 0}};
  std::vector<Point> hull = convex_hull(pts);
  ASSERT_EQ(hull.size(), 4u);
  EXPECT_DOUBLE_EQ(polygon_area(hull), 12.0);
  EXPECT_DOUBLE_EQ(polygon_perimeter(hull), 14.0);
  EXPECT_EQ(convex_hull({{1, 1}, {1, 1}}).size(), 1u);
}

TEST(OcrGeometry, MinAreaRectOfKnownRotatedRectangles) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(-0.5, 0.5);
  for (double deg : {0.0, 10.0, 30.0, 45.0, 60.0, 90.0, -17.0, 123.0}) {
    const double a = deg * kPi / 180, w = 40, h = 12, cx = 100, cy = 70;
    std::vector<Point> pts = rect_corners(cx, cy, w, h, a);
    // Interior points must not change the answer.
    for (int i = 0; i < 50; ++i) {
      double s = unit(rng) * w, t = unit(rng) * h;
      pts.push_back({cx + s * std::cos(a) - t * std::sin(a), cy + s * std::sin(a) + t * std::cos(a)});
    }
    RotatedRect r = min_area_rect(pts);
    SCOPED_TRACE(deg);
    EXPECT_NEAR(r.width * r.height, w * h, 1e-6);
    EXPECT_NEAR(std::max(r.width, r.height), w, 1e-6);
    EXPECT_NEAR(r.short_side(), h, 1e-6);
    EXPECT_NEAR(r.center.x, cx, 1e-6);
    EXPECT_NEAR(r.center.y, cy, 1e-6);
    // The long side's direction equals the rectangle's angle modulo 180 degrees.
    double long_angle = r.width >= r.height ? r.angle : r.angle + kPi / 2;
    double diff = std::fmod(std::fabs(long_angle - a), kPi);
    EXPECT_LT(std::min(diff, kPi - diff), 1e-6);
    for (const Point& p : pts) EXPECT_TRUE(inside_rect(r, p, 1e-6));
  }
}

TEST(OcrGeometry, MinAreaRectMatchesBruteForceOnRandomPoints) {
  std::mt19937 rng(123);
  for (int trial = 0; trial < 300; ++trial) {
    std::uniform_int_distribution<int> count(3, 60);
    std::normal_distribution<double> coord(0, 20);
    std::vector<Point> pts(static_cast<size_t>(count(rng)));
    // Integer points half of the time: pixel centers, with their ties and collinear runs.
    for (Point& p : pts) p = {coord(rng) * 2, coord(rng)};
    if (trial % 2)
      for (Point& p : pts) p = {std::round(p.x), std::round(p.y)};
    RotatedRect r = min_area_rect(pts);
    SCOPED_TRACE(trial);
    EXPECT_NEAR(r.width * r.height, brute_force_min_area(pts), 1e-6 * (1 + r.width * r.height));
    for (const Point& p : pts) EXPECT_TRUE(inside_rect(r, p, 1e-6));
  }
}

TEST(OcrGeometry, MinAreaRectOfDegenerateInputs) {
  EXPECT_EQ(min_area_rect({}).width, 0);
  RotatedRect one = min_area_rect({{3, 4}});
  EXPECT_EQ(one.width, 0);
  EXPECT_EQ(one.center.x, 3);
  RotatedRect line = min_area_rect({{0, 0}, {5, 0}, {10, 0}});  // a one-pixel-high region: 10 x 0
  EXPECT_NEAR(line.width, 10, 1e-12);
  EXPECT_NEAR(line.short_side(), 0, 1e-12);
}

TEST(OcrGeometry, UnclipGrowsARectangleByAreaTimesRatioOverPerimeter) {
  for (double deg : {0.0, 25.0, 90.0}) {
    const double a = deg * kPi / 180;
    std::vector<Point> box = rect_corners(60, 30, 100, 20, a);
    const double d = 100.0 * 20 * 1.5 / 240;  // 12.5
    RotatedRect r = unclip(box, 1.5);
    SCOPED_TRACE(deg);
    EXPECT_NEAR(std::max(r.width, r.height), 100 + 2 * d, 1e-6);
    EXPECT_NEAR(r.short_side(), 20 + 2 * d, 1e-6);
    EXPECT_NEAR(r.center.x, 60, 1e-6);
    EXPECT_NEAR(r.center.y, 30, 1e-6);
  }
  // Ratio 0 leaves it as it is.
  RotatedRect same = unclip(rect_corners(0, 0, 10, 4, 0), 0);
  EXPECT_NEAR(same.width * same.height, 40, 1e-9);
}

TEST(OcrGeometry, OrderQuadStartsTopLeftClockwise) {
  Quad shuffled = {Point{10, 20}, Point{0, 0}, Point{0, 20}, Point{10, 0}};
  Quad q = order_quad(shuffled);
  EXPECT_EQ(q[0].x, 0);
  EXPECT_EQ(q[0].y, 0);
  EXPECT_EQ(q[1].x, 10);
  EXPECT_EQ(q[1].y, 0);
  EXPECT_EQ(q[2].x, 10);
  EXPECT_EQ(q[2].y, 20);
  EXPECT_EQ(q[3].x, 0);
  EXPECT_EQ(q[3].y, 20);
  // A slightly rotated box keeps the same roles.
  Quad tilted = order_quad({Point{100, 12}, Point{0, 0}, Point{98, 32}, Point{-2, 20}});
  EXPECT_EQ(tilted[0].x, 0);
  EXPECT_EQ(tilted[1].x, 100);
  EXPECT_EQ(tilted[2].x, 98);
  EXPECT_EQ(tilted[3].x, -2);
}

Quad box_at(double x, double y, double w = 50, double h = 20) {
  return {Point{x, y}, Point{x + w, y}, Point{x + w, y + h}, Point{x, y + h}};
}

TEST(OcrGeometry, ReadingOrderTopToBottomThenLeftToRight) {
  // Line 1: three words whose tops wobble by a few pixels; line 2 below; a word at y + 12 is a new line.
  std::vector<Quad> boxes = {box_at(200, 103), box_at(10, 100), box_at(100, 98),
                             box_at(5, 160),   box_at(80, 158), box_at(150, 172)};
  std::vector<size_t> order = reading_order(boxes);
  EXPECT_EQ(order, (std::vector<size_t>{1, 2, 0, 3, 4, 5}));
  EXPECT_TRUE(reading_order({}).empty());
}

// ---- DB regions and boxes ----

TEST(OcrDb, FindRegionsSeparatesTwoBlobsAndJoinsDiagonals) {
  const int w = 20, h = 10;
  std::vector<uint8_t> mask(w * h, 0);
  for (int y = 2; y <= 5; ++y)
    for (int x = 1; x <= 6; ++x) mask[static_cast<size_t>(y * w + x)] = 1;          // 6 x 4 block
  for (int i = 0; i < 5; ++i) mask[static_cast<size_t>((3 + i) * w + 12 + i)] = 1;  // diagonal: 8-connected
  std::vector<Region> regions = find_regions(mask.data(), w, h);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].pixels, 24);
  EXPECT_EQ(regions[0].boundary.size(), 16u);  // the block's ring; its 4 x 2 inside is interior
  EXPECT_EQ(regions[1].pixels, 5);
  EXPECT_EQ(regions[1].boundary.size(), 5u);
  RotatedRect r = min_area_rect(regions[0].boundary);  // pixel centers: 5 x 3
  EXPECT_NEAR(r.width * r.height, 15, 1e-9);
  EXPECT_TRUE(find_regions(mask.data(), 0, 0).empty());
}

TEST(OcrDb, BoxScoreIsTheMeanInsideTheBox) {
  const int w = 10, h = 10;
  std::vector<float> map(w * h, 0.0f);
  for (int y = 2; y <= 4; ++y)
    for (int x = 2; x <= 6; ++x) map[static_cast<size_t>(y * w + x)] = 1.0f;
  EXPECT_NEAR(box_score(map.data(), w, h, box_at(2, 2, 4, 2)), 1.0, 1e-9);
  // Twice as tall: half of the 5 x 5 pixels are ones... 15 of 25.
  EXPECT_NEAR(box_score(map.data(), w, h, box_at(2, 2, 4, 4)), 15.0 / 25.0, 1e-9);
  // Outside the map: clipped to it, not read out of bounds.
  EXPECT_NEAR(box_score(map.data(), w, h, box_at(-50, -50, 40, 40)), 0.0, 1e-9);
}

TEST(OcrDb, BoxesFromAProbabilityMap) {
  const int mw = 64, mh = 32;
  std::vector<float> prob(mw * mh, 0.02f);
  auto fill = [&](int x0, int y0, int x1, int y1, float v) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) prob[static_cast<size_t>(y * mw + x)] = v;
  };
  fill(4, 4, 43, 9, 0.9f);     // a text core: centers span 39 x 5
  fill(10, 20, 29, 25, 0.9f);  // another
  fill(55, 20, 56, 21, 0.9f);  // 2 x 2 speck: shorter than min_size
  fill(50, 2, 60, 12, 0.4f);   // above thresh, below box_thresh
  DbOptions opt;
  // The image is twice the map's size: boxes scale by 2.
  std::vector<DbBox> boxes = db_boxes(prob.data(), mw, mh, 2 * mw, 2 * mh, opt);
  ASSERT_EQ(boxes.size(), 2u);
  std::sort(boxes.begin(), boxes.end(), [](const DbBox& a, const DbBox& b) { return a.box[0].y < b.box[0].y; });
  // First core: 39 x 5 centers, d = 39 * 5 * 1.5 / 88 = 3.32 -> 45.6 x 11.6 around (23.5, 6.5), times 2, rounded.
  const Quad& b = boxes[0].box;
  EXPECT_NEAR(b[0].x, std::round((23.5 - 22.82) * 2), 1.0);
  EXPECT_NEAR(b[0].y, std::round((6.5 - 5.82) * 2), 1.0);
  EXPECT_NEAR(b[2].x, std::round((23.5 + 22.82) * 2), 1.0);
  EXPECT_NEAR(b[2].y, std::round((6.5 + 5.82) * 2), 1.0);
  EXPECT_EQ(b[0].y, b[1].y);  // axis-aligned, clockwise from the top-left
  EXPECT_EQ(b[1].x, b[2].x);
  EXPECT_NEAR(boxes[0].score, 0.9, 1e-3);
  // A higher box_thresh drops everything; a lower one lets the 0.4 block through.
  opt.box_thresh = 0.95f;
  EXPECT_TRUE(db_boxes(prob.data(), mw, mh, mw, mh, opt).empty());
  opt.box_thresh = 0.3f;
  EXPECT_EQ(db_boxes(prob.data(), mw, mh, mw, mh, opt).size(), 3u);
  // max_candidates keeps the largest regions.
  opt.max_candidates = 1;
  std::vector<DbBox> one = db_boxes(prob.data(), mw, mh, mw, mh, opt);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_LT(one[0].box[0].y, 10);  // the 40 x 6 core, not the 11 x 11 block or the 20 x 6 one
}

TEST(OcrDb, NanAndEmptyMapsGiveNoBoxes) {
  std::vector<float> prob(16 * 16, std::nanf(""));
  EXPECT_TRUE(db_boxes(prob.data(), 16, 16, 16, 16, DbOptions()).empty());
  EXPECT_TRUE(db_boxes(prob.data(), 0, 16, 16, 16, DbOptions()).empty());
}

TEST(OcrDb, NoiseMapsGiveBoxesInsideTheImage) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    const int mw = 8 + trial * 5, mh = 4 + trial * 3, iw = 3 * mw + trial, ih = 2 * mh + 1;
    std::vector<float> prob(static_cast<size_t>(mw * mh));
    for (float& p : prob) p = u(rng) * u(rng) * 1.6f;  // blobs of all shapes, some above 1
    DbOptions opt;
    opt.box_thresh = 0.3f;
    for (const DbBox& b : db_boxes(prob.data(), mw, mh, iw, ih, opt)) {
      for (const Point& p : b.box) {
        EXPECT_GE(p.x, 0);
        EXPECT_GE(p.y, 0);
        EXPECT_LE(p.x, iw - 1);
        EXPECT_LE(p.y, ih - 1);
      }
      EXPECT_GT(distance(b.box[0], b.box[1]), 3);
      EXPECT_GT(distance(b.box[0], b.box[3]), 3);
    }
  }
}

// ---- CTC ----

TEST(OcrCtc, GreedyDecodeCollapsesRepeatsAndDropsBlanks) {
  const std::vector<std::string> dict = {"a", "b", "c", " "};  // classes: blank, a, b, c, space
  // Steps (best class, its probability): a a _ a b b _ _ c space
  const std::vector<std::pair<int, float>> steps = {{1, 0.9f},  {1, 0.8f}, {0, 0.99f}, {1, 0.7f}, {2, 0.6f},
                                                    {2, 0.95f}, {0, 0.9f}, {0, 0.9f},  {3, 0.5f}, {4, 0.8f}};
  const int64_t classes = 5;
  std::vector<float> probs;
  for (auto [best, p] : steps) {
    std::vector<float> row(classes, (1.0f - p) / (classes - 1));
    row[static_cast<size_t>(best)] = p;
    probs.insert(probs.end(), row.begin(), row.end());
  }
  CtcText t = ctc_greedy_decode(probs.data(), static_cast<int64_t>(steps.size()), classes, dict);
  EXPECT_EQ(t.text, "aabc ");
  EXPECT_EQ(t.characters, 5);
  // The first step of each run counts: 0.9, 0.7, 0.6, 0.5, 0.8.
  EXPECT_NEAR(t.score, (0.9 + 0.7 + 0.6 + 0.5 + 0.8) / 5, 1e-6);
  // All blank: nothing read, score 0.
  std::vector<float> blank = {0.9f, 0.05f, 0.05f, 0.0f, 0.0f};
  CtcText none = ctc_greedy_decode(blank.data(), 1, classes, dict);
  EXPECT_EQ(none.text, "");
  EXPECT_EQ(none.score, 0.0f);
}

TEST(OcrCtc, LogitsAreSoftmaxedForTheScore) {
  const std::vector<std::string> dict = {"x"};
  std::vector<float> logits = {0.0f, 2.0f};  // one step: p(x) = e^2 / (1 + e^2)
  CtcText t = ctc_greedy_decode(logits.data(), 1, 2, dict);
  EXPECT_EQ(t.text, "x");
  EXPECT_NEAR(t.score, std::exp(2.0) / (1 + std::exp(2.0)), 1e-6);
}

TEST(OcrCtc, DictionaryGetsASpaceAppended) {
  char path[] = "/tmp/edgerun_ocr_dict_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path, std::ios::binary) << "a\r\nb\n\xe4\xb8\xad\n";
  auto dict = read_ocr_dictionary(path);
  ASSERT_TRUE(dict.ok()) << dict.status().to_string();
  EXPECT_EQ(*dict, (std::vector<std::string>{"a", "b", "\xe4\xb8\xad", " "}));
  std::ofstream(path, std::ios::binary | std::ios::trunc);
  EXPECT_FALSE(read_ocr_dictionary(path).ok());  // empty
  std::remove(path);
  EXPECT_EQ(read_ocr_dictionary("/nonexistent/keys.txt").status().code(), StatusCode::kNotFound);
}

// ---- crops ----

// R = x, G = y, B = 7: bilinear sampling reproduces a linear ramp exactly (up to rounding).
Image ramp_image(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w * h * 3));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(x), p[1] = static_cast<uint8_t>(y), p[2] = 7;
    }
  return img;
}

TEST(OcrCrop, PerspectiveTransformMapsTheCorners) {
  Quad from = {Point{0, 0}, Point{100, 0}, Point{100, 30}, Point{0, 30}};
  Quad to = {Point{12, 7}, Point{110, 20}, Point{103, 52}, Point{8, 40}};
  auto m = perspective_transform(from, to);
  ASSERT_TRUE(m.ok());
  for (size_t i = 0; i < 4; ++i) {
    const auto& h = *m;
    double z = h[6] * from[i].x + h[7] * from[i].y + h[8];
    EXPECT_NEAR((h[0] * from[i].x + h[1] * from[i].y + h[2]) / z, to[i].x, 1e-9);
    EXPECT_NEAR((h[3] * from[i].x + h[4] * from[i].y + h[5]) / z, to[i].y, 1e-9);
  }
  Quad collinear = {Point{0, 0}, Point{1, 1}, Point{2, 2}, Point{3, 3}};
  EXPECT_FALSE(perspective_transform(from, collinear).ok());
}

TEST(OcrCrop, AxisAlignedBoxIsTheSubImage) {
  Image img = ramp_image(120, 80);
  auto crop = crop_text_line(img, box_at(10, 20, 60, 15));
  ASSERT_TRUE(crop.ok()) << crop.status().to_string();
  ASSERT_EQ(crop->width, 60);
  ASSERT_EQ(crop->height, 15);
  for (int y = 0; y < crop->height; ++y)
    for (int x = 0; x < crop->width; ++x) {
      const uint8_t* p = crop->row(y) + 3 * x;
      ASSERT_EQ(p[0], 10 + x) << x << "," << y;
      ASSERT_EQ(p[1], 20 + y) << x << "," << y;
      ASSERT_EQ(p[2], 7);
    }
}

TEST(OcrCrop, RotatedBoxIsStraightened) {
  Image img = ramp_image(200, 200);
  const double a = 20 * kPi / 180, ux = std::cos(a), uy = std::sin(a);
  const Point tl{40, 50};
  const double w = 80.5, h = 20.5;  // not integers: the crop size truncates them to 80 x 20
  Quad box = {tl, Point{tl.x + w * ux, tl.y + w * uy}, Point{tl.x + w * ux - h * uy, tl.y + w * uy + h * ux},
              Point{tl.x - h * uy, tl.y + h * ux}};
  auto crop = crop_text_line(img, box);
  ASSERT_TRUE(crop.ok());
  ASSERT_EQ(crop->width, 80);
  ASSERT_EQ(crop->height, 20);
  // Output pixel (u, v) shows the source point tl + u * sx * (ux, uy) + v * sy * (-uy, ux): the box's sides
  // stretched onto the 80 x 20 strip.
  const double sx = w / 80, sy = h / 20;
  for (int v = 0; v < crop->height; v += 3)
    for (int u = 0; u < crop->width; u += 7) {
      const uint8_t* p = crop->row(v) + 3 * u;
      EXPECT_NEAR(p[0], tl.x + u * sx * ux - v * sy * uy, 1.0) << u << "," << v;
      EXPECT_NEAR(p[1], tl.y + u * sx * uy + v * sy * ux, 1.0) << u << "," << v;
    }
}

TEST(OcrCrop, TallBoxIsTurnedCounterClockwise) {
  Image img = ramp_image(100, 100);
  auto crop = crop_text_line(img, box_at(30, 10, 10, 40));  // 10 wide, 40 high: vertical text
  ASSERT_TRUE(crop.ok());
  ASSERT_EQ(crop->width, 40);
  ASSERT_EQ(crop->height, 10);
  // Turned a quarter counter-clockwise: the strip's right column is now the top row, its top at the left.
  const uint8_t* top_left = crop->row(0);
  EXPECT_EQ(top_left[0], 30 + 9);
  EXPECT_EQ(top_left[1], 10);
  const uint8_t* bottom_right = crop->row(9) + 3 * 39;
  EXPECT_EQ(bottom_right[0], 30);
  EXPECT_EQ(bottom_right[1], 10 + 39);
  Image r = rotate_180(*crop);
  EXPECT_EQ(r.row(9)[3 * 39], top_left[0]);
  EXPECT_FALSE(crop_text_line(img, box_at(5, 5, 0.5, 10)).ok());  // under a pixel wide
}

TEST(OcrCrop, BoxPartlyOutsideReplicatesTheBorder) {
  Image img = ramp_image(50, 50);
  auto crop = crop_text_line(img, box_at(40, 40, 20, 5));
  ASSERT_TRUE(crop.ok());
  EXPECT_EQ(crop->row(0)[3 * 19], 49);  // x = 59 clamps to the last column
}

TEST(OcrCrop, HugeBoxIsSampledSmaller) {
  Image img = ramp_image(4000, 3000);
  auto crop = crop_text_line(img, box_at(0, 0, 3999, 2999));
  ASSERT_TRUE(crop.ok());
  EXPECT_LE(static_cast<double>(crop->width) * crop->height, 4.0 * 1024 * 1024);
  EXPECT_NEAR(static_cast<double>(crop->width) / crop->height, 3999.0 / 2999.0, 0.01);
  // Still the whole box, stretched onto the smaller strip: row k shows source row k * 2999 / height.
  EXPECT_EQ(crop->row(0)[1], 0);
  EXPECT_NEAR(crop->row(100)[1], 100 * 2999.0 / crop->height, 1.0);
  EXPECT_NEAR(crop->row(0)[3 * 100], 100 * 3999.0 / crop->width, 1.0);
}

TEST(OcrCrop, AnyQuadCropsOrFailsCleanly) {
  Image img = ramp_image(40, 30);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> c(-100, 140);
  const double specials[] = {NAN, INFINITY, -INFINITY, 0, 1e300};
  for (int trial = 0; trial < 500; ++trial) {
    Quad q;
    for (Point& p : q) p = {c(rng), c(rng)};
    if (trial % 10 == 0) q[static_cast<size_t>(trial / 10 % 4)].x = specials[trial / 10 % 5];
    auto crop = crop_text_line(img, q);
    if (crop.ok()) EXPECT_EQ(crop->pixels.size(), static_cast<size_t>(crop->width) * crop->height * 3);
  }
}

// ---- model inputs ----

TEST(OcrInputs, DetectorSizeIsOnThe32GridAndNeverUpscaledPastIt) {
  int w = 0, h = 0;
  det_input_size(1000, 570, 960, &w, &h);  // scaled by 0.96: 960 x 547 -> 544
  EXPECT_EQ(w, 960);
  EXPECT_EQ(h, 544);
  det_input_size(100, 50, 960, &w, &h);  // small: only rounded (50 / 32 = 1.56 -> 2)
  EXPECT_EQ(w, 96);
  EXPECT_EQ(h, 64);
  det_input_size(10, 10, 960, &w, &h);  // at least 32
  EXPECT_EQ(w, 32);
  EXPECT_EQ(h, 32);
  det_input_size(80, 48, 960, &w, &h);  // halves round to even like Python: 2.5 -> 2, 1.5 -> 2
  EXPECT_EQ(w, 64);
  EXPECT_EQ(h, 64);
  det_input_size(4000, 1100, 960, &w, &h);  // 960 x 264 -> 256
  EXPECT_EQ(w, 960);
  EXPECT_EQ(h, 256);
}

TEST(OcrInputs, DetectorInputIsBgrWithPositionalMeanStd) {
  Image img;
  img.width = 32;
  img.height = 32;
  img.pixels.assign(32 * 32 * 3, 0);
  for (size_t i = 0; i < img.pixels.size(); i += 3) img.pixels[i] = 255;  // pure red
  auto t = det_input(img, 32, 32);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{1, 3, 32, 32}));
  const float* d = t->data<float>();
  EXPECT_NEAR(d[0], (0 - 0.485f) / 0.229f, 1e-5);            // plane 0 = blue, with the first mean/std
  EXPECT_NEAR(d[2 * 32 * 32], (1 - 0.406f) / 0.225f, 1e-5);  // plane 2 = red, with the third
}

TEST(OcrInputs, LineInputIsResizedNormalizedAndPadded) {
  Image img;
  img.width = 10;
  img.height = 20;
  img.pixels.assign(10 * 20 * 3, 0);
  for (size_t i = 0; i < img.pixels.size(); i += 3) img.pixels[i] = 255;  // red
  auto t = line_input(img, 48, 192);                                      // resized to 24 x 48, padded to 192
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{1, 3, 48, 192}));
  const float* d = t->data<float>();
  const size_t plane = 48 * 192;
  EXPECT_FLOAT_EQ(d[0], -1.0f);         // blue 0
  EXPECT_FLOAT_EQ(d[2 * plane], 1.0f);  // red 255
  EXPECT_FLOAT_EQ(d[23], -1.0f);        // last resized column
  EXPECT_FLOAT_EQ(d[24], 0.0f);         // padding
  EXPECT_FLOAT_EQ(d[2 * plane + 191], 0.0f);
  // Recognizer widths: at least 320, else from the aspect ratio, at most the cap.
  img.width = 100;
  img.height = 10;
  EXPECT_EQ(rec_input_width(img, 48, 320, 3200), 480);
  img.width = 20;
  EXPECT_EQ(rec_input_width(img, 48, 320, 3200), 320);
  img.width = 1000;
  EXPECT_EQ(rec_input_width(img, 48, 320, 3200), 3200);
}

}  // namespace
}  // namespace edgerun::vision::ocr
