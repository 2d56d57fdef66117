// Latency percentiles in constant memory: a watch may run for months, so samples go into logarithmic buckets 1%
// wide (0.01 ms .. 100 s) instead of a growing list; percentiles are exact to within that 1%.
#pragma once

#include <cstdint>
#include <vector>

namespace edgerun::watch {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void add(double ms);
  void clear();
  int64_t count() const { return count_; }
  // Nearest-rank percentile (p in 0..100), the centre of its bucket; 0 when empty.
  double percentile(double p) const;

 private:
  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
};

}  // namespace edgerun::watch
