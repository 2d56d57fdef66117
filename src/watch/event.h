// The alert event of `edgerun watch`: one JSON object per alert, printed as one line on stdout, appended to --log
// files and POSTed to webhooks, all byte-identical. The format is stable:
//   {"time": "2024-05-01T12:34:56.789Z", "frame": 42, "rule": "gate",
//    "detections": [{"class_id": 0, "label": "person", "score": 0.8915, "box": [670.9, 382.9, 809.5, 879.9]}],
//    "snapshot": "snapshots/gate-42.jpg"}
// time = wall clock (UTC) of the alert; frame = the frame number in the source, counted from 0; detections = those
// that satisfied the rule (box in source-frame pixels); snapshot = null when none was written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/detect.h"

namespace edgerun::watch {

struct Event {
  int64_t time_ms = 0;  // milliseconds since the Unix epoch (UTC)
  int64_t frame = 0;
  std::string rule;
  std::vector<vision::Detection> detections;
  std::string snapshot;  // empty = no snapshot
};

// "2024-05-01T12:34:56.789Z"
std::string format_iso8601_utc(int64_t time_ms);
int64_t wall_clock_ms();

// One line of JSON, without the newline. Scores are rounded to 4 decimals, box coordinates to 0.1 pixel.
std::string event_to_json(const Event& event);

}  // namespace edgerun::watch
