// Greedy non-maximum suppression: the highest-scoring box wins and removes the boxes of its class (or of any class)
// that overlap it by more than the threshold, as torchvision's batched_nms and Ultralytics do.
#include <algorithm>
#include <numeric>

#include "edgerun/detect.h"

namespace edgerun::vision {

float box_iou(const Box& a, const Box& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (!(iw > 0) || !(ih > 0)) return 0.0f;
  const float inter = iw * ih;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold, bool class_agnostic,
                                           int max_keep) {
  std::vector<Detection> kept;
  if (max_keep <= 0 || candidates.empty()) return kept;
  // Stable: equal scores keep their input order (anchor order), so the result does not depend on the sort.
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return candidates[a].score > candidates[b].score; });
  for (size_t i : order) {
    Detection& d = candidates[i];
    if (!(d.score == d.score)) continue;  // NaN has no rank
    bool suppressed = false;
    for (const Detection& k : kept) {
      if (!class_agnostic && k.class_id != d.class_id) continue;
      if (box_iou(k.box, d.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept.push_back(std::move(d));
    if (static_cast<int>(kept.size()) >= max_keep) break;
  }
  return kept;
}

}  // namespace edgerun::vision
