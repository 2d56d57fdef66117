#include "watch/event.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace edgerun::watch {

std::string format_iso8601_utc(int64_t time_ms) {
  int64_t secs = time_ms >= 0 ? time_ms / 1000 : (time_ms - 999) / 1000;  // floor, so the milliseconds stay >= 0
  int ms = static_cast<int>(time_ms - secs * 1000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Divides by the integer scale (not multiplies by its inverse) so that the result is the double nearest to the
// short decimal and prints as such (0.8915, not 0.89150000000000007).
static double round_to(double v, double scale) { return std::round(v * scale) / scale; }

std::string event_to_json(const Event& event) {
  nlohmann::ordered_json dets = nlohmann::ordered_json::array();
  for (const vision::Detection& d : event.detections) {
    nlohmann::ordered_json j;
    j["class_id"] = d.class_id;
    j["label"] = d.label;
    j["score"] = round_to(d.score, 1e4);
    j["box"] = {round_to(d.box.x1, 10), round_to(d.box.y1, 10), round_to(d.box.x2, 10), round_to(d.box.y2, 10)};
    dets.push_back(std::move(j));
  }
  nlohmann::ordered_json j;
  j["time"] = format_iso8601_utc(event.time_ms);
  j["frame"] = event.frame;
  j["rule"] = event.rule;
  j["detections"] = std::move(dets);
  j["snapshot"] = event.snapshot.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(event.snapshot);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgerun::watch
