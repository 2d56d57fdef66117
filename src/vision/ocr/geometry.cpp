#include "vision/ocr/geometry.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgerun::vision::ocr {
namespace {

double cross(const Point& o, const Point& a, const Point& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

double dot(double ux, double uy, const Point& p) { return ux * p.x + uy * p.y; }

}  // namespace

double distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

std::vector<Point> convex_hull(std::vector<Point> points) {
  std::sort(points.begin(), points.end(),
            [](const Point& a, const Point& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  points.erase(std::unique(points.begin(), points.end(),
                           [](const Point& a, const Point& b) { return a.x == b.x && a.y == b.y; }),
               points.end());
  if (points.size() < 3) return points;
  std::vector<Point> hull(2 * points.size());
  size_t k = 0;
  for (const Point& p : points) {  // lower chain
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
    hull[k++] = p;
  }
  for (size_t i = points.size() - 1, lower = k + 1; i-- > 0;) {  // upper chain
    while (k >= lower && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  hull.resize(k - 1);  // the last point repeats the first
  return hull;
}

RotatedRect min_area_rect(const std::vector<Point>& points) {
  RotatedRect best;
  std::vector<Point> hull = convex_hull(points);
  const size_t n = hull.size();
  if (n == 0) return best;
  if (n == 1) {
    best.center = hull[0];
    best.corners = {hull[0], hull[0], hull[0], hull[0]};
    return best;
  }
  if (n == 2) {
    best.center = {(hull[0].x + hull[1].x) / 2, (hull[0].y + hull[1].y) / 2};
    best.width = distance(hull[0], hull[1]);
    best.angle = std::atan2(hull[1].y - hull[0].y, hull[1].x - hull[0].x);
    best.corners = {hull[0], hull[1], hull[1], hull[0]};
    return best;
  }
  // For edge i with unit direction u and inward normal v (the hull is counter-clockwise, so the interior is on the
  // left), the rectangle spans [min u, max u] x [0, max v] relative to the edge's start. The points that reach
  // max u, max v and min u only move forward around the hull as the edge does, so each pointer turns once.
  auto edge_dir = [&](size_t i, double* ux, double* uy) {
    const Point& a = hull[i];
    const Point& b = hull[(i + 1) % n];
    double len = distance(a, b);
    *ux = (b.x - a.x) / len;
    *uy = (b.y - a.y) / len;
  };
  double ux, uy;
  edge_dir(0, &ux, &uy);
  size_t i_max_u = 0, i_max_v = 0, i_min_u = 0;
  for (size_t k = 1; k < n; ++k) {
    if (dot(ux, uy, hull[k]) > dot(ux, uy, hull[i_max_u])) i_max_u = k;
    if (dot(-uy, ux, hull[k]) > dot(-uy, ux, hull[i_max_v])) i_max_v = k;
    if (dot(ux, uy, hull[k]) < dot(ux, uy, hull[i_min_u])) i_min_u = k;
  }
  double best_area = INFINITY;
  for (size_t i = 0; i < n; ++i) {
    edge_dir(i, &ux, &uy);
    const double vx = -uy, vy = ux;
    // A small tolerance keeps ties (parallel edges) from stalling or skipping; projections are in pixels.
    constexpr double kEps = 1e-9;
    while (dot(ux, uy, hull[(i_max_u + 1) % n]) > dot(ux, uy, hull[i_max_u]) + kEps) i_max_u = (i_max_u + 1) % n;
    while (dot(vx, vy, hull[(i_max_v + 1) % n]) > dot(vx, vy, hull[i_max_v]) + kEps) i_max_v = (i_max_v + 1) % n;
    while (dot(ux, uy, hull[(i_min_u + 1) % n]) < dot(ux, uy, hull[i_min_u]) - kEps) i_min_u = (i_min_u + 1) % n;
    const Point& base = hull[i];
    double u0 = dot(ux, uy, hull[i_min_u]) - dot(ux, uy, base);
    double u1 = dot(ux, uy, hull[i_max_u]) - dot(ux, uy, base);
    double h = dot(vx, vy, hull[i_max_v]) - dot(vx, vy, base);
    double area = (u1 - u0) * h;
    if (area < best_area) {
      best_area = area;
      best.width = u1 - u0;
      best.height = h;
      best.angle = std::atan2(uy, ux);
      auto at = [&](double u, double v) { return Point{base.x + u * ux + v * vx, base.y + u * uy + v * vy}; };
      best.corners = {at(u0, 0), at(u1, 0), at(u1, h), at(u0, h)};
      best.center = at((u0 + u1) / 2, h / 2);
    }
  }
  return best;
}

double polygon_area(const std::vector<Point>& polygon) {
  double twice = 0;
  for (size_t i = 0, n = polygon.size(); i < n; ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % n];
    twice += a.x * b.y - b.x * a.y;
  }
  return std::fabs(twice) / 2;
}

double polygon_perimeter(const std::vector<Point>& polygon) {
  double sum = 0;
  for (size_t i = 0, n = polygon.size(); n > 1 && i < n; ++i) sum += distance(polygon[i], polygon[(i + 1) % n]);
  return sum;
}

RotatedRect unclip(const std::vector<Point>& polygon, double ratio) {
  double perimeter = polygon_perimeter(polygon);
  double d = perimeter > 0 ? polygon_area(polygon) * ratio / perimeter : 0.0;
  if (!(d > 0)) return min_area_rect(polygon);
  // Offset directions: a 64-gon for the round corners plus every edge's normal, so that the extent across each of
  // the polygon's own sides (where the minimum rectangle ends up) is exact rather than cos(pi/64) short.
  std::vector<Point> dirs;
  constexpr int kArc = 64;
  for (int k = 0; k < kArc; ++k) {
    double a = 2 * std::numbers::pi * k / kArc;
    dirs.push_back({std::cos(a), std::sin(a)});
  }
  for (size_t i = 0, n = polygon.size(); i < n; ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % n];
    double len = distance(a, b);
    if (len <= 0) continue;
    dirs.push_back({-(b.y - a.y) / len, (b.x - a.x) / len});
    dirs.push_back({(b.y - a.y) / len, -(b.x - a.x) / len});
  }
  std::vector<Point> grown;
  grown.reserve(polygon.size() * dirs.size());
  for (const Point& p : polygon)
    for (const Point& u : dirs) grown.push_back({p.x + d * u.x, p.y + d * u.y});
  return min_area_rect(grown);
}

Quad order_quad(const Quad& quad) {
  Quad q = quad;
  std::stable_sort(q.begin(), q.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  const Point& l0 = q[0];
  const Point& l1 = q[1];
  const Point& r0 = q[2];
  const Point& r1 = q[3];
  Point tl = l0.y <= l1.y ? l0 : l1, bl = l0.y <= l1.y ? l1 : l0;
  Point tr = r0.y <= r1.y ? r0 : r1, br = r0.y <= r1.y ? r1 : r0;
  return {tl, tr, br, bl};
}

std::vector<size_t> reading_order(const std::vector<Quad>& boxes, double same_line_px) {
  std::vector<size_t> order(boxes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto tl = [&](size_t i) -> const Point& { return boxes[i][0]; };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tl(a).y < tl(b).y || (tl(a).y == tl(b).y && tl(a).x < tl(b).x); });
  // A box slightly higher than its left neighbour on the same line sorts before it by y; walk it back left while
  // the box before is on the same line (top-left y within same_line_px) and further right.
  for (size_t i = 1; i < order.size(); ++i) {
    for (size_t j = i; j > 0; --j) {
      const Point& cur = tl(order[j]);
      const Point& prev = tl(order[j - 1]);
      if (std::fabs(cur.y - prev.y) < same_line_px && cur.x < prev.x) {
        std::swap(order[j], order[j - 1]);
      } else {
        break;
      }
    }
  }
  return order;
}

}  // namespace edgerun::vision::ocr
