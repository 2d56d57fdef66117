// The decision parts of `edgerun watch`, without a model or a source: rule parsing (good and bad), zones
// (point-in-polygon on the box's bottom-centre), consecutive-frame counting, cooldown on media time, the event JSON,
// and the small parsers of the actions (GPIO, webhook URL) and the latency histogram.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "watch/actions.h"
#include "watch/event.h"
#include "watch/rules.h"
#include "watch/stats.h"

namespace edgerun::watch {
namespace {

using vision::Detection;

Detection det(int class_id, float score, float x1, float y1, float x2, float y2, const std::string& label = "") {
  Detection d;
  d.class_id = class_id;
  d.score = score;
  d.box = {x1, y1, x2, y2};
  d.label = label;
  return d;
}

Rule parse_ok(const std::string& text) {
  auto r = parse_rule(text, 1);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : Rule{};
}

// The error message of a rule that must not parse.
std::string parse_error(const std::string& text) {
  auto r = parse_rule(text, 1);
  EXPECT_FALSE(r.ok()) << "'" << text << "' parsed";
  return r.ok() ? "" : r.status().message();
}

// ---- parsing ----------------------------------------------------------------------------------------------------

TEST(WatchRuleParse, FullRule) {
  Rule r = parse_ok("name=gate;classes=person,car;conf=0.7;frames=3;zone=0.1,0.5 0.9,0.5 0.9,1 0.1,1;cooldown=12.5");
  EXPECT_EQ(r.name, "gate");
  EXPECT_EQ(r.class_names, (std::vector<std::string>{"person", "car"}));
  EXPECT_DOUBLE_EQ(r.conf, 0.7);
  EXPECT_EQ(r.frames, 3);
  ASSERT_EQ(r.zone.size(), 4u);
  EXPECT_DOUBLE_EQ(r.zone[0].x, 0.1);
  EXPECT_DOUBLE_EQ(r.zone[0].y, 0.5);
  EXPECT_DOUBLE_EQ(r.zone[2].x, 0.9);
  EXPECT_DOUBLE_EQ(r.zone[2].y, 1.0);
  EXPECT_FALSE(r.zone_pixels);
  EXPECT_DOUBLE_EQ(r.cooldown_s, 12.5);
}

TEST(WatchRuleParse, DefaultsAndLeniency) {
  Rule r = parse_ok("classes=person");
  EXPECT_EQ(r.name, "rule1");
  EXPECT_DOUBLE_EQ(r.conf, 0.5);
  EXPECT_EQ(r.frames, 1);
  EXPECT_TRUE(r.zone.empty());
  EXPECT_DOUBLE_EQ(r.cooldown_s, 10);
  // Spaces around keys and values, upper-case keys, 'class' for 'classes', empty pairs, a trailing ';', names with
  // spaces, ids.
  Rule s = parse_ok(" Name = door ; class = stop sign , 0 ;; CONF=1 ; zone_px = 10,20  300,20 300,400 ;");
  EXPECT_EQ(s.name, "door");
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"stop sign", "0"}));
  EXPECT_DOUBLE_EQ(s.conf, 1.0);
  EXPECT_TRUE(s.zone_pixels);
  ASSERT_EQ(s.zone.size(), 3u);
  EXPECT_DOUBLE_EQ(s.zone[2].y, 400);
  // Any class: no classes key.
  EXPECT_TRUE(parse_ok("conf=0.3").class_names.empty());
}

TEST(WatchRuleParse, ErrorsNameTheKeyAndValue) {
  EXPECT_NE(parse_error("classes=person;colour=red").find("unknown key 'colour'"), std::string::npos);
  EXPECT_NE(parse_error("conf=abc").find("conf: 'abc'"), std::string::npos);
  EXPECT_NE(parse_error("conf=1.5").find("conf: '1.5'"), std::string::npos);
  EXPECT_NE(parse_error("conf=-0.1").find("conf"), std::string::npos);
  EXPECT_NE(parse_error("conf=").find("conf"), std::string::npos);
  EXPECT_NE(parse_error("conf=0.5x").find("conf: '0.5x'"), std::string::npos);
  EXPECT_NE(parse_error("conf=nan").find("conf"), std::string::npos);
  EXPECT_NE(parse_error("frames=0").find("frames: '0'"), std::string::npos);
  EXPECT_NE(parse_error("frames=1.5").find("frames: '1.5'"), std::string::npos);
  EXPECT_NE(parse_error("cooldown=-1").find("cooldown: '-1'"), std::string::npos);
  EXPECT_NE(parse_error("cooldown=inf").find("cooldown"), std::string::npos);
  EXPECT_NE(parse_error("zone=0,0 1,1").find("at least 3"), std::string::npos);
  EXPECT_NE(parse_error("zone=0,0 1,0 1,1.5").find("point '1,1.5'"), std::string::npos);
  EXPECT_NE(parse_error("zone=0,0 1,0 1;1").find("zone"), std::string::npos);
  EXPECT_NE(parse_error("zone=0,0 1,0 1,1,1").find("point '1,1,1'"), std::string::npos);
  EXPECT_NE(parse_error("zone=0,0 1,0 1,1;zone_px=0,0 1,0 1,1").find("zone and zone_px"), std::string::npos);
  EXPECT_NE(parse_error("zone_px=0,0 a,0 1,1").find("point 'a,0'"), std::string::npos);
  EXPECT_NE(parse_error("name=front door").find("name: 'front door'"), std::string::npos);
  EXPECT_NE(parse_error("name=a/b").find("name: 'a/b'"), std::string::npos);
  EXPECT_NE(parse_error("name=..").find("name"), std::string::npos);
  EXPECT_NE(parse_error("name=").find("name"), std::string::npos);
  EXPECT_NE(parse_error("classes=person,,car").find("classes"), std::string::npos);
  EXPECT_NE(parse_error("conf=0.5;conf=0.6").find("'conf' given more than once"), std::string::npos);
  EXPECT_NE(parse_error("person").find("'person' is not key=value"), std::string::npos);
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error(" ; ;").find("empty"), std::string::npos);
}

TEST(WatchRuleParse, SeveralRules) {
  auto rules = parse_rules({"classes=person", "name=cars;classes=car", "classes=dog"});
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].name, "rule1");
  EXPECT_EQ((*rules)[1].name, "cars");
  EXPECT_EQ((*rules)[2].name, "rule3");

  auto dup = parse_rules({"name=a;classes=person", "name=a;classes=car"});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("name 'a' is used by another rule"), std::string::npos);
  auto bad = parse_rules({"classes=person", "conf=2"});
  ASSERT_FALSE(bad.ok());
  // The message quotes the whole --rule so that the user sees which one.
  EXPECT_NE(bad.status().message().find("--rule 'conf=2'"), std::string::npos);
}

TEST(WatchRuleParse, ResolveClasses) {
  const std::vector<std::string> labels = {"person", "bicycle", "car", "Stop Sign"};
  Rule r = parse_ok("classes=car, PERSON,1,stop sign,car");
  ASSERT_TRUE(resolve_rule_classes(r, labels, 4).ok());
  EXPECT_EQ(r.class_ids, (std::vector<int>{2, 0, 1, 3}));  // in the order given, duplicates dropped

  Rule unknown = parse_ok("classes=persn");
  Status st = resolve_rule_classes(unknown, labels, 4);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown class 'persn'"), std::string::npos);
  EXPECT_NE(st.message().find("person, bicycle"), std::string::npos);

  Rule out_of_range = parse_ok("classes=4");
  st = resolve_rule_classes(out_of_range, labels, 4);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("class id 4"), std::string::npos);

  Rule no_names = parse_ok("classes=person");
  st = resolve_rule_classes(no_names, {}, 4);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no class names"), std::string::npos);
  Rule ids_only = parse_ok("classes=3");
  EXPECT_TRUE(resolve_rule_classes(ids_only, {}, 4).ok());
  EXPECT_EQ(ids_only.class_ids, std::vector<int>{3});
}

// ---- zones ------------------------------------------------------------------------------------------------------

TEST(WatchZone, PointInPolygon) {
  const std::vector<PointD> square = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  EXPECT_TRUE(point_in_polygon({5, 5}, square));
  EXPECT_TRUE(point_in_polygon({0.001, 9.999}, square));
  EXPECT_FALSE(point_in_polygon({-0.001, 5}, square));
  EXPECT_FALSE(point_in_polygon({5, 10.001}, square));
  EXPECT_FALSE(point_in_polygon({15, 5}, square));
  // Edges and corners count as inside.
  EXPECT_TRUE(point_in_polygon({10, 5}, square));
  EXPECT_TRUE(point_in_polygon({5, 10}, square));
  EXPECT_TRUE(point_in_polygon({0, 0}, square));
  EXPECT_TRUE(point_in_polygon({10, 10}, square));

  // A concave U: the notch (x 4..6, y 0..6) is outside; a ray through it crosses four edges.
  const std::vector<PointD> u = {{0, 0}, {4, 0}, {4, 6}, {6, 6}, {6, 0}, {10, 0}, {10, 10}, {0, 10}};
  EXPECT_FALSE(point_in_polygon({5, 3}, u));
  EXPECT_TRUE(point_in_polygon({2, 3}, u));
  EXPECT_TRUE(point_in_polygon({8, 3}, u));
  EXPECT_TRUE(point_in_polygon({5, 8}, u));
  // A ray at a vertex's height (y = 6 passes through two vertices) must not double count.
  EXPECT_TRUE(point_in_polygon({1, 6}, u));
  EXPECT_FALSE(point_in_polygon({11, 6}, u));

  // Vertex order (clockwise or not) does not matter; fewer than 3 points is never inside.
  const std::vector<PointD> tri_cw = {{0, 0}, {0, 10}, {10, 0}};
  EXPECT_TRUE(point_in_polygon({2, 2}, tri_cw));
  EXPECT_FALSE(point_in_polygon({6, 6}, tri_cw));
  EXPECT_FALSE(point_in_polygon({0, 0}, {{0, 0}, {1, 1}}));
}

TEST(WatchZone, BottomCentreOfTheBoxDecides) {
  // Lower half of a 200x100 frame.
  Rule r = parse_ok("classes=0;conf=0.5;zone=0,0.5 1,0.5 1,1 0,1");
  ASSERT_TRUE(resolve_rule_classes(r, {"person"}, 1).ok());
  // A tall box whose top is in the upper half but whose feet are in the zone.
  EXPECT_TRUE(detection_matches(r, det(0, 0.9f, 80, 10, 120, 90), 200, 100));
  // A box entirely in the upper half.
  EXPECT_FALSE(detection_matches(r, det(0, 0.9f, 80, 10, 120, 40), 200, 100));
  // A box overlapping the zone but standing just above it (bottom y = 49 < 50).
  EXPECT_FALSE(detection_matches(r, det(0, 0.9f, 0, 0, 200, 49), 200, 100));
  // Feet exactly on the zone's top edge, and a box running past the frame's bottom (clamped onto the edge).
  EXPECT_TRUE(detection_matches(r, det(0, 0.9f, 0, 0, 200, 50), 200, 100));
  EXPECT_TRUE(detection_matches(r, det(0, 0.9f, 50, 60, 150, 130), 200, 100));
  // Class and score still apply.
  EXPECT_FALSE(detection_matches(r, det(1, 0.9f, 80, 10, 120, 90), 200, 100));
  EXPECT_FALSE(detection_matches(r, det(0, 0.49f, 80, 10, 120, 90), 200, 100));
  EXPECT_TRUE(detection_matches(r, det(0, 0.5f, 80, 10, 120, 90), 200, 100));  // conf is inclusive

  // The same zone in pixels.
  Rule px = parse_ok("zone_px=0,50 200,50 200,100 0,100");
  EXPECT_TRUE(detection_matches(px, det(7, 0.9f, 80, 10, 120, 90), 200, 100));  // no classes = any class
  EXPECT_FALSE(detection_matches(px, det(7, 0.9f, 80, 10, 120, 40), 200, 100));
  // Normalized zones scale with the frame; pixel zones do not.
  EXPECT_FALSE(detection_matches(r, det(0, 0.9f, 80, 10, 120, 90), 200, 400));
  EXPECT_TRUE(detection_matches(px, det(0, 0.9f, 80, 10, 120, 90), 200, 400));
}

// ---- streaks and cooldowns --------------------------------------------------------------------------------------

TEST(WatchTracker, ConsecutiveFrames) {
  Rule r = parse_ok("classes=0;conf=0.5;frames=3;cooldown=0");
  ASSERT_TRUE(resolve_rule_classes(r, {"person"}, 1).ok());
  RuleTracker t(r);
  const std::vector<Detection> hit = {det(0, 0.9f, 0, 0, 10, 10)};
  const std::vector<Detection> weak = {det(0, 0.3f, 0, 0, 10, 10), det(1, 0.99f, 0, 0, 10, 10)};
  // hit hit miss hit hit hit hit miss hit
  std::vector<bool> fired;
  std::vector<const std::vector<Detection>*> frames = {&hit, &hit, &weak, &hit, &hit, &hit, &hit, &weak, &hit};
  for (size_t i = 0; i < frames.size(); ++i)
    fired.push_back(t.update(static_cast<double>(i), 100, 100, *frames[i], nullptr));
  EXPECT_EQ(fired, (std::vector<bool>{false, false, false, false, false, true, true, false, false}));
  EXPECT_EQ(t.alerts(), 2);
  EXPECT_EQ(t.streak(), 1);
}

TEST(WatchTracker, MatchedDetectionsAreReturned) {
  Rule r = parse_ok("classes=0;conf=0.6;cooldown=0");
  ASSERT_TRUE(resolve_rule_classes(r, {"person"}, 1).ok());
  RuleTracker t(r);
  std::vector<Detection> matched;
  ASSERT_TRUE(t.update(0, 100, 100,
                       {det(0, 0.9f, 0, 0, 10, 10), det(0, 0.5f, 0, 0, 10, 10), det(2, 0.95f, 0, 0, 10, 10),
                        det(0, 0.61f, 5, 5, 20, 20)},
                       &matched));
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_FLOAT_EQ(matched[0].score, 0.9f);
  EXPECT_FLOAT_EQ(matched[1].score, 0.61f);
}

TEST(WatchTracker, CooldownOnMediaTime) {
  Rule r = parse_ok("classes=0;conf=0.5;cooldown=2");
  ASSERT_TRUE(resolve_rule_classes(r, {"person"}, 1).ok());
  RuleTracker t(r);
  const std::vector<Detection> hit = {det(0, 0.9f, 0, 0, 10, 10)};
  // Media times of processed frames at 2 fps with --every 1; a person in every frame. The tracker never looks at a
  // clock, so the result is the same however fast the frames were processed.
  std::vector<double> fired_at;
  for (int i = 0; i < 12; ++i)
    if (t.update(i * 0.5, 100, 100, hit, nullptr)) fired_at.push_back(i * 0.5);
  // 0 fires; 0.5..1.5 are within 2 s; 2.0 is exactly 2 s later and fires; then 4.0.
  EXPECT_EQ(fired_at, (std::vector<double>{0.0, 2.0, 4.0}));
  // A frame without a match does not restart the cooldown: 4.0 + 2 s is still the next chance.
  EXPECT_FALSE(t.update(5.5, 100, 100, {}, nullptr));
  EXPECT_FALSE(t.update(5.9, 100, 100, hit, nullptr));
  EXPECT_TRUE(t.update(6.0, 100, 100, hit, nullptr));
}

TEST(WatchTracker, CooldownAndStreakTogether) {
  Rule r = parse_ok("classes=0;frames=2;cooldown=1");
  ASSERT_TRUE(resolve_rule_classes(r, {"person"}, 1).ok());
  RuleTracker t(r);
  const std::vector<Detection> hit = {det(0, 0.9f, 0, 0, 10, 10)};
  EXPECT_FALSE(t.update(0.0, 10, 10, hit, nullptr));  // streak 1
  EXPECT_TRUE(t.update(0.5, 10, 10, hit, nullptr));   // streak 2: fires
  EXPECT_FALSE(t.update(1.0, 10, 10, hit, nullptr));  // cooling down (0.5 s)
  EXPECT_TRUE(t.update(1.5, 10, 10, hit, nullptr));   // 1 s later, streak still on
  EXPECT_FALSE(t.update(2.0, 10, 10, {}, nullptr));   // streak ends
  EXPECT_FALSE(t.update(3.0, 10, 10, hit, nullptr));  // streak 1 again, cooled down but not enough frames
  EXPECT_TRUE(t.update(3.5, 10, 10, hit, nullptr));
  EXPECT_EQ(t.alerts(), 3);
}

TEST(WatchTracker, TimeGoingBackwardsDoesNotSilenceTheRule) {
  Rule r = parse_ok("classes=0;cooldown=60");
  ASSERT_TRUE(resolve_rule_classes(r, {"person"}, 1).ok());
  RuleTracker t(r);
  const std::vector<Detection> hit = {det(0, 0.9f, 0, 0, 10, 10)};
  EXPECT_TRUE(t.update(100.0, 10, 10, hit, nullptr));
  EXPECT_FALSE(t.update(130.0, 10, 10, hit, nullptr));
  EXPECT_TRUE(t.update(5.0, 10, 10, hit, nullptr));  // a stream that restarted its clock
  EXPECT_FALSE(t.update(6.0, 10, 10, hit, nullptr));
}

// ---- events -----------------------------------------------------------------------------------------------------

TEST(WatchEvent, Iso8601) {
  EXPECT_EQ(format_iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_utc(1714566896789), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(format_iso8601_utc(951782400005), "2000-02-29T00:00:00.005Z");
  EXPECT_EQ(format_iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(WatchEvent, JsonIsStable) {
  Event e;
  e.time_ms = 1714566896789;
  e.frame = 42;
  e.rule = "gate";
  e.detections = {det(0, 0.891523f, 670.94f, 382.91f, 809.46f, 879.95f, "person"), det(5, 0.5f, 0, 1, 2, 3, "")};
  e.snapshot = "snapshots/gate-42.jpg";
  EXPECT_EQ(event_to_json(e),
            "{\"time\":\"2024-05-01T12:34:56.789Z\",\"frame\":42,\"rule\":\"gate\",\"detections\":["
            "{\"class_id\":0,\"label\":\"person\",\"score\":0.8915,\"box\":[670.9,382.9,809.5,880.0]},"
            "{\"class_id\":5,\"label\":\"\",\"score\":0.5,\"box\":[0.0,1.0,2.0,3.0]}],"
            "\"snapshot\":\"snapshots/gate-42.jpg\"}");
  e.snapshot.clear();
  e.detections.clear();
  e.rule = "a\"b";
  EXPECT_EQ(event_to_json(e),
            "{\"time\":\"2024-05-01T12:34:56.789Z\",\"frame\":42,\"rule\":\"a\\\"b\","
            "\"detections\":[],\"snapshot\":null}");
}

// ---- action option parsers --------------------------------------------------------------------------------------

TEST(WatchActions, GpioSpec) {
  auto a = parse_gpio_spec("gpiochip0:17");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->chip, "gpiochip0");
  EXPECT_EQ(a->line, 17u);
  EXPECT_EQ(a->pulse_ms, 1000);
  auto b = parse_gpio_spec("/dev/gpiochip4:5:250");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->chip, "/dev/gpiochip4");
  EXPECT_EQ(b->line, 5u);
  EXPECT_EQ(b->pulse_ms, 250);
  for (const char* bad : {"gpiochip0", ":17", "gpiochip0:x", "gpiochip0:17:0", "gpiochip0:17:-5", "gpiochip0:17:5:5",
                          "gpiochip0:", "gpiochip0:17:"}) {
    auto r = parse_gpio_spec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
    }
  }
}

TEST(WatchActions, WebhookUrl) {
  auto a = parse_webhook_url("http://127.0.0.1:8080/hooks/gate?token=x");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->path, "/hooks/gate?token=x");
  auto b = parse_webhook_url("HTTPS://example.com");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->scheme, "https");
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->path, "/");
  auto c = parse_webhook_url("http://[::1]:9000/x#frag");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->path, "/x");
  for (const char* bad : {"example.com/hook", "ftp://example.com/", "http://", "http://host:0/", "http://host:99999/",
                          "http://host:12a/", "http://user:pw@host/", "http://[::1/"})
    EXPECT_FALSE(parse_webhook_url(bad).ok()) << bad;
}

// ---- latency percentiles ----------------------------------------------------------------------------------------

TEST(WatchStats, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(50), 0);
  for (int i = 1; i <= 100; ++i) h.add(i);  // 1..100 ms
  EXPECT_EQ(h.count(), 100);
  EXPECT_NEAR(h.percentile(50), 50, 50 * 0.01);
  EXPECT_NEAR(h.percentile(95), 95, 95 * 0.01);
  EXPECT_NEAR(h.percentile(100), 100, 100 * 0.01);
  EXPECT_NEAR(h.percentile(0), 1, 0.01);
  h.clear();
  EXPECT_EQ(h.count(), 0);
  h.add(0);    // below the first bucket
  h.add(1e9);  // beyond the last
  h.add(-5);   // nonsense must not crash
  EXPECT_EQ(h.count(), 3);
  EXPECT_GT(h.percentile(100), 1e4);
}

}  // namespace
}  // namespace edgerun::watch
