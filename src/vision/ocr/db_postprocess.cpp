#include "vision/ocr/db_postprocess.h"

#include <algorithm>
#include <cmath>

namespace edgerun::vision::ocr {

std::vector<Region> find_regions(const uint8_t* mask, int width, int height) {
  std::vector<Region> regions;
  if (width <= 0 || height <= 0) return regions;
  const size_t w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  std::vector<int32_t> label(w * h, -1);  // [h, w] region index, -1 = unvisited or unset
  auto set = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < width && y < height && mask[static_cast<size_t>(y) * w + static_cast<size_t>(x)];
  };
  std::vector<int32_t> stack;  // pixel indices; explicit, because a page-sized region would overflow recursion
  for (size_t start = 0; start < w * h; ++start) {
    if (!mask[start] || label[start] >= 0) continue;
    const int32_t id = static_cast<int32_t>(regions.size());
    Region region;
    label[start] = id;
    stack.assign(1, static_cast<int32_t>(start));
    while (!stack.empty()) {
      const int32_t p = stack.back();
      stack.pop_back();
      const int x = p % width, y = p / width;
      ++region.pixels;
      if (!set(x - 1, y) || !set(x + 1, y) || !set(x, y - 1) || !set(x, y + 1))
        region.boundary.push_back({static_cast<double>(x), static_cast<double>(y)});
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          if (!set(x + dx, y + dy)) continue;
          const size_t q = static_cast<size_t>(y + dy) * w + static_cast<size_t>(x + dx);
          if (label[q] >= 0) continue;
          label[q] = id;
          stack.push_back(static_cast<int32_t>(q));
        }
      }
    }
    regions.push_back(std::move(region));
  }
  return regions;
}

double box_score(const float* map, int width, int height, const Quad& quad) {
  if (width <= 0 || height <= 0) return 0.0;
  double min_x = quad[0].x, max_x = quad[0].x, min_y = quad[0].y, max_y = quad[0].y;
  for (const Point& p : quad) {
    min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
  }
  if (!std::isfinite(min_x) || !std::isfinite(max_x) || !std::isfinite(min_y) || !std::isfinite(max_y)) return 0.0;
  // Clamped as doubles: a far-off corner must not overflow the conversion to int.
  auto clamp_to = [](double v, int size) {
    return static_cast<int>(std::clamp(v, 0.0, static_cast<double>(size - 1)));
  };
  const int x0 = clamp_to(std::floor(min_x), width), x1 = clamp_to(std::ceil(max_x), width);
  const int y0 = clamp_to(std::floor(min_y), height), y1 = clamp_to(std::ceil(max_y), height);
  // Inside = on the interior side of every edge, within half a pixel. The interior side follows the quad's
  // orientation; a degenerate (flat) quad has none, and either sign then accepts the same half-pixel band.
  double twice_area = 0;
  for (int i = 0; i < 4; ++i) twice_area += quad[i].x * quad[(i + 1) % 4].y - quad[(i + 1) % 4].x * quad[i].y;
  const double sign = twice_area >= 0 ? 1.0 : -1.0;
  struct Edge {
    double nx, ny, c;  // signed distance of (x, y) to the edge line = nx * x + ny * y + c, interior positive
  };
  std::vector<Edge> edges;
  for (int i = 0; i < 4; ++i) {
    const Point& a = quad[i];
    const Point& b = quad[(i + 1) % 4];
    double len = distance(a, b);
    if (len < 1e-9) continue;
    double nx = -(b.y - a.y) / len * sign, ny = (b.x - a.x) / len * sign;
    edges.push_back({nx, ny, -(nx * a.x + ny * a.y)});
  }
  double sum = 0;
  int64_t count = 0;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      bool inside = true;
      for (const Edge& e : edges) {
        if (e.nx * x + e.ny * y + e.c < -0.5) {
          inside = false;
          break;
        }
      }
      if (!inside) continue;
      sum += map[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)];
      ++count;
    }
  }
  return count ? sum / static_cast<double>(count) : 0.0;
}

std::vector<DbBox> db_boxes(const float* prob, int map_w, int map_h, int image_w, int image_h,
                            const DbOptions& options) {
  std::vector<DbBox> out;
  if (map_w <= 0 || map_h <= 0 || image_w <= 0 || image_h <= 0) return out;
  const size_t n = static_cast<size_t>(map_w) * static_cast<size_t>(map_h);
  std::vector<uint8_t> bitmap(n);                                               // [map_h, map_w]
  for (size_t i = 0; i < n; ++i) bitmap[i] = prob[i] > options.thresh ? 1 : 0;  // NaN counts as background
  std::vector<Region> regions = find_regions(bitmap.data(), map_w, map_h);
  // The largest regions first when there are more than max_candidates: a page of noise keeps its real text.
  if (options.max_candidates >= 0 && regions.size() > static_cast<size_t>(options.max_candidates)) {
    std::stable_sort(regions.begin(), regions.end(),
                     [](const Region& a, const Region& b) { return a.pixels > b.pixels; });
    regions.resize(static_cast<size_t>(options.max_candidates));
  }
  const double sx = static_cast<double>(image_w) / map_w, sy = static_cast<double>(image_h) / map_h;
  for (const Region& region : regions) {
    RotatedRect rect = min_area_rect(region.boundary);
    if (rect.short_side() < options.min_size) continue;
    Quad box = order_quad(rect.corners);
    double score = box_score(prob, map_w, map_h, box);
    if (!(score >= options.box_thresh)) continue;
    RotatedRect grown = unclip(std::vector<Point>(box.begin(), box.end()), options.unclip_ratio);
    if (grown.short_side() < options.min_size + 2) continue;
    Quad g = order_quad(grown.corners);
    // To image pixels as PaddleOCR does: scale, round, clip to [0, size]; then its second pass clips to the last
    // pixel and drops boxes that are 3 px or less across.
    DbBox db;
    for (int i = 0; i < 4; ++i) {
      double x = std::clamp(std::nearbyint(g[static_cast<size_t>(i)].x * sx), 0.0, static_cast<double>(image_w));
      double y = std::clamp(std::nearbyint(g[static_cast<size_t>(i)].y * sy), 0.0, static_cast<double>(image_h));
      db.box[static_cast<size_t>(i)] = {x, y};
    }
    db.box = order_quad(db.box);
    for (Point& p : db.box) {
      p.x = std::clamp(p.x, 0.0, static_cast<double>(image_w - 1));
      p.y = std::clamp(p.y, 0.0, static_cast<double>(image_h - 1));
    }
    if (static_cast<int>(distance(db.box[0], db.box[1])) <= 3 || static_cast<int>(distance(db.box[0], db.box[3])) <= 3)
      continue;
    db.score = static_cast<float>(score);
    out.push_back(db);
  }
  return out;
}

}  // namespace edgerun::vision::ocr
