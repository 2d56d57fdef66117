// Alert rules for `edgerun watch`: which detections count (classes, minimum score, zone), for how many consecutive
// processed frames, and how long a rule stays quiet after it fired (cooldown).
//
// Syntax (one --rule each): semicolon-separated key=value pairs, e.g.
//   name=gate;classes=person,car;conf=0.7;frames=2;zone=0.1,0.5 0.9,0.5 0.9,1 0.1,1;cooldown=10
// Keys: name (letters, digits, '_', '-', '.'; default rule<N>), classes (names or ids, comma-separated; default any),
// conf (0..1, default 0.5), frames (>= 1, default 1), zone (normalized 0..1 points "x,y x,y ...") or zone_px (the
// same in pixels), cooldown (seconds >= 0, default 10). A detection is in the zone when the bottom-centre point of
// its box (where an object touches the ground) is inside the polygon or on its edge.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/detect.h"
#include "edgerun/status.h"

namespace edgerun::watch {

struct PointD {
  double x = 0, y = 0;
};

struct Rule {
  std::string name;
  std::vector<std::string> class_names;  // as written (names and ids); resolved into class_ids
  std::vector<int> class_ids;            // empty = any class (after resolve_rule_classes)
  double conf = 0.5;                     // minimum score, inclusive
  int64_t frames = 1;                    // consecutive processed frames with a match before the rule fires
  std::vector<PointD> zone;              // empty = the whole frame
  bool zone_pixels = false;              // zone in pixels (zone_px) instead of 0..1 fractions of width/height
  double cooldown_s = 10;                // quiet time after firing (media time for files, wall time for live)
};

// Parses one rule; `index` (1-based) names a rule without name=. Errors name the key and the bad value.
Expected<Rule> parse_rule(const std::string& text, int index);
// Parses every rule and refuses duplicate names.
Expected<std::vector<Rule>> parse_rules(const std::vector<std::string>& texts);

// Turns class names into ids with the model's labels (exact match first, then case-insensitive) and checks ids
// against num_classes (<= 0: unknown, not checked).
Status resolve_rule_classes(Rule& rule, const std::vector<std::string>& labels, int num_classes);

// "person, car (score >= 0.70) in a 4-point zone, 2 frames, cooldown 10 s"
std::string describe_rule(const Rule& rule);

// Even-odd test; points on an edge or vertex count as inside.
bool point_in_polygon(PointD p, const std::vector<PointD>& polygon);

// The zone in pixels for a width x height frame.
std::vector<PointD> zone_in_pixels(const Rule& rule, int width, int height);

// Class, score and zone test for one detection on a width x height frame.
bool detection_matches(const Rule& rule, const vision::Detection& det, int width, int height);

// The state of one rule across processed frames.
class RuleTracker {
 public:
  explicit RuleTracker(Rule rule) : rule_(std::move(rule)) {}
  const Rule& rule() const { return rule_; }

  // One processed frame at time_s (seconds). A frame with a match extends the streak, one without ends it; the rule
  // fires when the streak reaches `frames` and the cooldown since its last firing has passed (then it keeps firing
  // every cooldown while the streak lasts). Returns true when it fires; `matched` gets the matching detections.
  bool update(double time_s, int width, int height, const std::vector<vision::Detection>& detections,
              std::vector<vision::Detection>* matched);

  int64_t streak() const { return streak_; }
  int64_t alerts() const { return alerts_; }

 private:
  Rule rule_;
  int64_t streak_ = 0;
  int64_t alerts_ = 0;
  bool fired_ = false;
  double last_fire_s_ = 0;
};

}  // namespace edgerun::watch
