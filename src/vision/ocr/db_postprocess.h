// DB (Differentiable Binarization) post-processing: the detector's text probability map -> text boxes.
//   probability > thresh -> binary map -> 8-connected regions -> minimum-area rectangle of each region
//   -> mean probability inside it >= box_thresh -> grown by unclip_ratio -> rectangle again -> image pixels.
// The steps and parameters are PaddleOCR's DBPostProcess (score_mode "fast", no dilation).
#pragma once

#include <cstdint>
#include <vector>

#include "vision/ocr/geometry.h"

namespace edgerun::vision::ocr {

struct DbOptions {
  float thresh = 0.3f;
  float box_thresh = 0.6f;
  float unclip_ratio = 1.5f;
  int max_candidates = 1000;
  // Regions whose rectangle's short side is below this are noise; after unclip the limit is min_size + 2.
  int min_size = 3;
};

// An 8-connected region of set pixels: its boundary pixels (a 4-neighbour unset or off the map), as pixel centers
// (x = column, y = row), and its pixel count. The boundary has the same convex hull as the whole region, which is
// all the box fitting needs.
struct Region {
  std::vector<Point> boundary;
  int64_t pixels = 0;
};

// Regions of a width x height mask (non-zero = set), in raster order of their first pixel.
std::vector<Region> find_regions(const uint8_t* mask, int width, int height);

// Mean of `map` over the pixels whose centers lie inside the convex quad or within half a pixel of its edges,
// restricted to the quad's bounding box clipped to the map (PaddleOCR's "fast" box score). 0 when none.
double box_score(const float* map, int width, int height, const Quad& quad);

struct DbBox {
  Quad box;         // image pixels, order_quad order, clipped to [0, w-1] x [0, h-1]
  float score = 0;  // mean probability inside the box before unclip
};

// prob: [map_h, map_w] probabilities; boxes are scaled to an image_w x image_h image (the map covers the whole
// image, resized). Boxes whose sides are 3 px or shorter in the image are dropped. Unsorted.
std::vector<DbBox> db_boxes(const float* prob, int map_w, int map_h, int image_w, int image_h,
                            const DbOptions& options);

}  // namespace edgerun::vision::ocr
