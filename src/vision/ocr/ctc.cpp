#include "vision/ocr/ctc.h"

#include <cmath>
#include <fstream>

namespace edgerun::vision::ocr {

Expected<std::vector<std::string>> read_ocr_dictionary(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found("cannot open dictionary '", path, "'");
  std::vector<std::string> chars;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    chars.push_back(line);
  }
  if (f.bad()) return io_error("cannot read dictionary '", path, "'");
  if (chars.empty()) return invalid_argument("dictionary '", path, "' is empty");
  chars.push_back(" ");
  return chars;
}

CtcText ctc_greedy_decode(const float* probs, int64_t steps, int64_t classes,
                          const std::vector<std::string>& dictionary) {
  CtcText out;
  if (steps <= 0 || classes <= 0) return out;
  double score_sum = 0;
  int64_t prev = -1;
  for (int64_t t = 0; t < steps; ++t) {
    const float* row = probs + t * classes;  // [classes]
    int64_t best = 0;
    double sum = 0;
    bool distribution = true;
    for (int64_t c = 0; c < classes; ++c) {
      if (row[c] > row[best] || std::isnan(row[best])) best = c;
      if (!(row[c] >= 0)) distribution = false;
      sum += row[c];
    }
    double p = row[best];
    if (!distribution || std::fabs(sum - 1.0) > 1e-2) {
      // Logits: the probability of the best class is 1 / sum(exp(x - x_best)).
      double z = 0;
      for (int64_t c = 0; c < classes; ++c) z += std::isfinite(row[c]) ? std::exp(row[c] - row[best]) : 0.0;
      p = z > 0 ? 1.0 / z : 0.0;
    }
    if (best != 0 && best != prev && best - 1 < static_cast<int64_t>(dictionary.size())) {
      out.text += dictionary[static_cast<size_t>(best - 1)];
      score_sum += std::isfinite(p) ? p : 0.0;
      ++out.characters;
    }
    prev = best;
  }
  out.score = out.characters ? static_cast<float>(score_sum / out.characters) : 0.0f;
  return out;
}

}  // namespace edgerun::vision::ocr
