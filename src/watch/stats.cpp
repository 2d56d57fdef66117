#include "watch/stats.h"

#include <algorithm>
#include <cmath>

namespace edgerun::watch {

namespace {
constexpr double kMinMs = 0.01;
constexpr double kGrowth = 1.01;  // bucket i covers [kMinMs * kGrowth^i, kMinMs * kGrowth^(i+1))
const int kBuckets = static_cast<int>(std::ceil(std::log(1e5 / kMinMs) / std::log(kGrowth))) + 1;
}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(static_cast<size_t>(kBuckets), 0) {}

void LatencyHistogram::add(double ms) {
  int i = 0;
  if (ms > kMinMs && std::isfinite(ms)) i = static_cast<int>(std::log(ms / kMinMs) / std::log(kGrowth));
  if (std::isinf(ms) || i >= kBuckets) i = kBuckets - 1;
  ++buckets_[static_cast<size_t>(std::max(i, 0))];
  ++count_;
}

void LatencyHistogram::clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
}

double LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  int64_t rank = static_cast<int64_t>(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(count_)));
  rank = std::max<int64_t>(rank, 1);
  int64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return kMinMs * std::pow(kGrowth, static_cast<double>(i) + 0.5);
  }
  return kMinMs * std::pow(kGrowth, static_cast<double>(buckets_.size()));
}

}  // namespace edgerun::watch
