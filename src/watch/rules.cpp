#include "watch/rules.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace edgerun::watch {
namespace {

constexpr const char* kKeys = "name, classes, conf, frames, zone, zone_px, cooldown";
constexpr size_t kMaxZonePoints = 1000;

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return out;
}

// A finite number that uses the whole text.
bool parse_number(const std::string& text, double* out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (errno == ERANGE || end != t.c_str() + t.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "x,y x,y x,y": points separated by spaces, coordinates by a comma.
Expected<std::vector<PointD>> parse_zone(const std::string& key, const std::string& value, bool pixels) {
  std::vector<PointD> points;
  std::string v = trim(value);
  size_t pos = 0;
  while (pos < v.size()) {
    while (pos < v.size() && std::isspace(static_cast<unsigned char>(v[pos]))) ++pos;
    if (pos >= v.size()) break;
    size_t end = pos;
    while (end < v.size() && !std::isspace(static_cast<unsigned char>(v[end]))) ++end;
    std::string token = v.substr(pos, end - pos);
    pos = end;
    std::vector<std::string> xy = split(token, ',');
    PointD p;
    if (xy.size() != 2 || !parse_number(xy[0], &p.x) || !parse_number(xy[1], &p.y))
      return invalid_argument(key, ": point '", token, "' is not x,y (points are separated by spaces)");
    if (!pixels && (p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1))
      return invalid_argument(key, ": point '", token,
                              "' is outside 0..1 (zone takes fractions of the frame size; zone_px takes pixels)");
    points.push_back(p);
    if (points.size() > kMaxZonePoints) return invalid_argument(key, ": more than ", kMaxZonePoints, " points");
  }
  if (points.size() < 3)
    return invalid_argument(key, ": '", value, "' has ", points.size(), " point", points.size() == 1 ? "" : "s",
                            "; a zone needs at least 3 (x,y x,y x,y ...)");
  return points;
}

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

Expected<Rule> parse_rule(const std::string& text, int index) {
  Rule rule;
  std::set<std::string> seen;
  bool any = false;
  for (const std::string& raw : split(text, ';')) {
    std::string part = trim(raw);
    if (part.empty()) continue;  // tolerates "a=1;;b=2" and a trailing ';'
    size_t eq = part.find('=');
    if (eq == std::string::npos)
      return invalid_argument("'", part, "' is not key=value (keys: ", kKeys, "; pairs are separated by ';')");
    std::string key = lower(trim(part.substr(0, eq)));
    std::string value = trim(part.substr(eq + 1));
    if (key == "class") key = "classes";
    if (!seen.insert(key).second) return invalid_argument("key '", key, "' given more than once");
    any = true;
    if (key == "name") {
      if (value.empty() || value.size() > 64)
        return invalid_argument("name: '", value, "' must have 1 to 64 characters");
      for (char c : value)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
          return invalid_argument("name: '", value,
                                  "' may only contain letters, digits, '_', '-' and '.' (it names snapshot files)");
      if (value == "." || value == "..") return invalid_argument("name: '", value, "' is not a usable name");
      rule.name = value;
    } else if (key == "classes") {
      for (const std::string& c : split(value, ',')) {
        std::string name = trim(c);
        if (name.empty()) return invalid_argument("classes: '", value, "' has an empty class name");
        if (all_digits(name) && name.size() > 6) return invalid_argument("classes: class id '", name, "' is too large");
        rule.class_names.push_back(name);
      }
    } else if (key == "conf") {
      if (!parse_number(value, &rule.conf) || rule.conf < 0 || rule.conf > 1)
        return invalid_argument("conf: '", value, "' is not a number from 0 to 1");
    } else if (key == "frames") {
      double f = 0;
      if (!parse_number(value, &f) || f < 1 || f > 1e9 || f != std::floor(f))
        return invalid_argument("frames: '", value, "' is not a whole number >= 1");
      rule.frames = static_cast<int64_t>(f);
    } else if (key == "zone" || key == "zone_px") {
      if (seen.count("zone") && seen.count("zone_px"))
        return invalid_argument("zone and zone_px given together; use one (zone: 0..1 fractions, zone_px: pixels)");
      rule.zone_pixels = key == "zone_px";
      ER_ASSIGN_OR_RETURN(rule.zone, parse_zone(key, value, rule.zone_pixels));
    } else if (key == "cooldown") {
      if (!parse_number(value, &rule.cooldown_s) || rule.cooldown_s < 0 || rule.cooldown_s > 1e9)
        return invalid_argument("cooldown: '", value, "' is not a number of seconds >= 0");
    } else {
      return invalid_argument("unknown key '", key, "' (keys: ", kKeys, ")");
    }
  }
  if (!any) return invalid_argument("the rule is empty (e.g. 'classes=person;conf=0.7')");
  if (rule.name.empty()) rule.name = "rule" + std::to_string(index);
  return rule;
}

Expected<std::vector<Rule>> parse_rules(const std::vector<std::string>& texts) {
  std::vector<Rule> rules;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto r = parse_rule(texts[i], static_cast<int>(i + 1));
    if (!r.ok()) return invalid_argument("--rule '", texts[i], "': ", r.status().message());
    for (const Rule& other : rules)
      if (other.name == r->name)
        return invalid_argument("--rule '", texts[i], "': name '", r->name, "' is used by another rule");
    rules.push_back(std::move(*r));
  }
  return rules;
}

Status resolve_rule_classes(Rule& rule, const std::vector<std::string>& labels, int num_classes) {
  rule.class_ids.clear();
  for (const std::string& name : rule.class_names) {
    int id = -1;
    if (all_digits(name)) {
      id = std::atoi(name.c_str());
      if (num_classes > 0 && id >= num_classes)
        return invalid_argument("rule '", rule.name, "': class id ", id, " is out of range (the model has ",
                                num_classes, " classes, 0..", num_classes - 1, ")");
    } else {
      for (size_t i = 0; i < labels.size() && id < 0; ++i)
        if (labels[i] == name) id = static_cast<int>(i);
      for (size_t i = 0; i < labels.size() && id < 0; ++i)
        if (lower(labels[i]) == lower(name)) id = static_cast<int>(i);
      if (id < 0) {
        if (labels.empty())
          return invalid_argument("rule '", rule.name, "': class '", name,
                                  "' cannot be looked up: the model has no class names (use ids or --labels FILE)");
        std::string known;
        for (size_t i = 0; i < labels.size() && i < 12; ++i) known += (i ? ", " : "") + labels[i];
        if (labels.size() > 12) known += ", ... (" + std::to_string(labels.size()) + " in all)";
        return invalid_argument("rule '", rule.name, "': unknown class '", name, "' (the model's classes: ", known,
                                ")");
      }
    }
    if (std::find(rule.class_ids.begin(), rule.class_ids.end(), id) == rule.class_ids.end())
      rule.class_ids.push_back(id);
  }
  return Status::ok_status();
}

std::string describe_rule(const Rule& rule) {
  std::string s = rule.class_names.empty() ? std::string("any class") : std::string();
  for (size_t i = 0; i < rule.class_names.size(); ++i) s += (i ? ", " : "") + rule.class_names[i];
  s += " (score >= " + format_number(rule.conf) + ")";
  if (!rule.zone.empty())
    s += " in a " + std::to_string(rule.zone.size()) + "-point zone" + (rule.zone_pixels ? " (pixels)" : "");
  s += ", " + std::to_string(rule.frames) + (rule.frames == 1 ? " frame" : " consecutive frames");
  s += ", cooldown " + format_number(rule.cooldown_s) + " s";
  return s;
}

bool point_in_polygon(PointD p, const std::vector<PointD>& polygon) {
  size_t n = polygon.size();
  if (n < 3) return false;
  bool inside = false;
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const PointD& a = polygon[i];
    const PointD& b = polygon[j];
    // On the edge a-b: collinear (cross product ~ 0 relative to the edge length) and within its bounding box. Checked
    // explicitly because the crossing count below is ambiguous for points on the boundary.
    double ex = b.x - a.x, ey = b.y - a.y;
    double cross = ex * (p.y - a.y) - ey * (p.x - a.x);
    double len = std::hypot(ex, ey);
    if (std::fabs(cross) <= 1e-9 * std::max(len, 1.0) && p.x >= std::min(a.x, b.x) - 1e-12 &&
        p.x <= std::max(a.x, b.x) + 1e-12 && p.y >= std::min(a.y, b.y) - 1e-12 && p.y <= std::max(a.y, b.y) + 1e-12)
      return true;
    if ((a.y > p.y) != (b.y > p.y)) {
      double x_cross = a.x + (p.y - a.y) * ex / ey;
      if (p.x < x_cross) inside = !inside;
    }
  }
  return inside;
}

std::vector<PointD> zone_in_pixels(const Rule& rule, int width, int height) {
  std::vector<PointD> out = rule.zone;
  if (!rule.zone_pixels)
    for (PointD& p : out) p = {p.x * width, p.y * height};
  return out;
}

static bool matches_in_zone(const Rule& rule, const std::vector<PointD>& zone_px, const vision::Detection& det,
                            int width, int height) {
  if (!rule.class_ids.empty() &&
      std::find(rule.class_ids.begin(), rule.class_ids.end(), det.class_id) == rule.class_ids.end())
    return false;
  if (!(det.score >= rule.conf)) return false;
  if (zone_px.empty()) return true;
  // The bottom-centre of the box, kept inside the frame: a box reaching past the bottom edge stands on that edge.
  PointD foot{(static_cast<double>(det.box.x1) + det.box.x2) / 2, static_cast<double>(det.box.y2)};
  foot.x = std::clamp(foot.x, 0.0, static_cast<double>(width));
  foot.y = std::clamp(foot.y, 0.0, static_cast<double>(height));
  return point_in_polygon(foot, zone_px);
}

bool detection_matches(const Rule& rule, const vision::Detection& det, int width, int height) {
  return matches_in_zone(rule, zone_in_pixels(rule, width, height), det, width, height);
}

bool RuleTracker::update(double time_s, int width, int height, const std::vector<vision::Detection>& detections,
                         std::vector<vision::Detection>* matched) {
  std::vector<PointD> zone = zone_in_pixels(rule_, width, height);
  std::vector<vision::Detection> hits;
  for (const vision::Detection& d : detections)
    if (matches_in_zone(rule_, zone, d, width, height)) hits.push_back(d);
  if (matched) *matched = hits;
  if (hits.empty()) {
    streak_ = 0;
    return false;
  }
  ++streak_;
  if (streak_ < rule_.frames) return false;
  // Time running backwards (a stream that restarted its clock) must not silence the rule for good.
  bool cooled = !fired_ || time_s - last_fire_s_ >= rule_.cooldown_s || time_s < last_fire_s_;
  if (!cooled) return false;
  fired_ = true;
  last_fire_s_ = time_s;
  ++alerts_;
  return true;
}

}  // namespace edgerun::watch
