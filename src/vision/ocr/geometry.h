// Plane geometry for text boxes: convex hull, minimum-area rotated rectangle, the DB "unclip" offset, corner order
// and reading order. Coordinates are pixel centers (x right, y down), in double precision.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace edgerun::vision::ocr {

struct Point {
  double x = 0, y = 0;
};

// Four corners; after order_quad: top-left, top-right, bottom-right, bottom-left (clockwise on screen).
using Quad = std::array<Point, 4>;

// Andrew's monotone chain. Counter-clockwise in x-right/y-up terms (clockwise on screen), first point the
// lowest-x (then lowest-y) one, collinear points dropped. Fewer than 3 distinct points come back as they are
// (deduplicated), so callers see degenerate inputs.
std::vector<Point> convex_hull(std::vector<Point> points);

struct RotatedRect {
  Point center;
  double width = 0;   // along `angle`
  double height = 0;  // across it
  double angle = 0;   // radians: direction of the `width` side
  Quad corners;       // in hull order (not sorted; see order_quad)
  double short_side() const { return width < height ? width : height; }
};

// The smallest-area rectangle that contains `points` (any orientation): one of its sides lies on a hull edge,
// so rotating calipers over the hull edges find it in linear time. One point gives a 0x0 rectangle, collinear
// points a Lx0 one; no points give an empty rectangle at the origin.
RotatedRect min_area_rect(const std::vector<Point>& points);

// Shoelace area (absolute) and perimeter of a closed polygon.
double polygon_area(const std::vector<Point>& polygon);
double polygon_perimeter(const std::vector<Point>& polygon);

// DB's box growth: the polygon offset outwards by distance area * ratio / perimeter with round corners (the
// Minkowski sum with a disk, the disk approximated by a 64-gon), then the minimum-area rectangle around it.
// For a W x H rectangle that is (W + 2d) x (H + 2d) around the same center.
RotatedRect unclip(const std::vector<Point>& polygon, double ratio);

// PaddleOCR's corner order: the two leftmost points (by x) give the top-left (smaller y) and bottom-left; the two
// rightmost the top-right and bottom-right. Returns {tl, tr, br, bl}.
Quad order_quad(const Quad& quad);

// Reading order of boxes (indices into `boxes`), as PaddleOCR sorts detections: by the top-left corner's y then x,
// then within a run of boxes whose top-left y differ by less than `same_line_px`, left to right.
std::vector<size_t> reading_order(const std::vector<Quad>& boxes, double same_line_px = 10.0);

double distance(const Point& a, const Point& b);

}  // namespace edgerun::vision::ocr
