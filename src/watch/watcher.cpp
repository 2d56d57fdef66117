#include "watch/watcher.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "edgerun/draw.h"
#include "watch/report.h"
#include "watch/stats.h"

namespace edgerun::watch {

namespace fs = std::filesystem;

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Watcher::Watcher(WatchConfig config, DetectFn detect, FramePump& pump, std::vector<std::unique_ptr<Action>>& actions,
                 const std::atomic<bool>* stop)
    : config_(std::move(config)), detect_(std::move(detect)), pump_(pump), actions_(actions), stop_(stop) {
  for (const Rule& r : config_.rules) trackers_.emplace_back(r);
}

WatchSummary Watcher::run() {
  WatchSummary summary;
  summary.source = config_.source;
  LatencyHistogram all, interval;
  const Clock::time_point start = Clock::now();
  const bool stats = config_.stats_interval_s > 0;
  const auto stats_period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(stats ? config_.stats_interval_s : 1.0));
  Clock::time_point next_stats = start + stats_period, interval_start = start;
  int64_t interval_processed = 0;

  while (true) {
    if (stop_ && stop_->load()) {
      summary.ended = "stopped";
      break;
    }
    double wait = 0.2;  // how often the stop flag and the stats clock are looked at while no frame comes
    if (stats) wait = std::min(wait, std::max(0.0, std::chrono::duration<double>(next_stats - Clock::now()).count()));
    PumpResult r = pump_.next(wait);
    if (r.status == PumpStatus::kEnd) {
      PumpEnd end = pump_.end_reason();
      summary.ended = pump_end_name(end);
      summary.failure = end == PumpEnd::kGaveUp;
      break;
    }
    if (r.status == PumpStatus::kFrame) {
      double ms = process(r.frame, summary);
      if (ms >= 0) {
        all.add(ms);
        interval.add(ms);
        ++interval_processed;
      }
      if (summary.failure) break;
    }
    if (stats && Clock::now() >= next_stats) {
      PumpCounts c = pump_.counts();
      double span = seconds_since(interval_start);
      int64_t alerts = 0;
      for (const RuleTracker& t : trackers_) alerts += t.alerts();
      std::string line = "edgerun: stats: " + fixed(span > 0 ? interval_processed / span : 0, 1) + " FPS";
      if (interval.count() > 0)
        line += ", detect p50 " + fixed(interval.percentile(50), 1) + " ms p95 " + fixed(interval.percentile(95), 1) +
                " ms";
      line += ", frames read " + std::to_string(c.read) + " processed " + std::to_string(summary.processed) +
              " dropped " + std::to_string(c.dropped) + " failed " +
              std::to_string(c.corrupt + summary.detect_failures) + ", alerts " + std::to_string(alerts);
      report_line(line);
      interval.clear();
      interval_processed = 0;
      interval_start = Clock::now();
      next_stats = interval_start + stats_period;
    }
  }
  pump_.shutdown();

  summary.counts = pump_.counts();
  summary.seconds = seconds_since(start);
  summary.fps = summary.seconds > 0 ? static_cast<double>(summary.processed) / summary.seconds : 0;
  summary.p50_ms = all.percentile(50);
  summary.p95_ms = all.percentile(95);
  for (const RuleTracker& t : trackers_) summary.alerts.emplace_back(t.rule().name, t.alerts());
  return summary;
}

double Watcher::process(Frame& frame, WatchSummary& summary) {
  auto t = Clock::now();
  auto result = detect_(frame.image);
  double ms = seconds_since(t) * 1e3;
  if (!result.ok()) {
    ++summary.detect_failures;
    report_warning("detection failed on frame " + std::to_string(frame.index) +
                   (frame.name.empty() ? "" : " ('" + frame.name + "')") + ": " + result.status().message());
    if (++consecutive_failures_ >= config_.max_detect_failures) {
      report_warning("detection failed on " + std::to_string(consecutive_failures_) +
                     " frames in a row; stopping the watch");
      summary.ended = "detector failing";
      summary.failure = true;
    }
    return -1;
  }
  consecutive_failures_ = 0;
  ++summary.processed;
  for (RuleTracker& tracker : trackers_) {
    std::vector<vision::Detection> matched;
    if (tracker.update(frame.time_s, frame.image.width, frame.image.height, *result, &matched))
      alert(tracker, frame, std::move(matched));
  }
  return ms;
}

std::string Watcher::snapshot(const RuleTracker& tracker, const Frame& frame,
                              const std::vector<vision::Detection>& matched) {
  std::string base = tracker.rule().name + "-" + std::to_string(frame.index);
  // A restarted watch counts frames from 0 again: never overwrite the evidence of an earlier run.
  fs::path path = fs::path(config_.snapshot_dir) / (base + ".jpg");
  std::error_code ec;
  for (int k = 1; fs::exists(path, ec) && k < 1000; ++k)
    path = fs::path(config_.snapshot_dir) / (base + "-" + std::to_string(k) + ".jpg");
  vision::Image annotated = frame.image;
  const Rule& rule = tracker.rule();
  if (!rule.zone.empty()) {
    std::vector<vision::PointF> zone;
    for (const PointD& p : zone_in_pixels(rule, annotated.width, annotated.height))
      zone.push_back({static_cast<float>(p.x), static_cast<float>(p.y)});
    vision::draw_polygon(annotated, zone, vision::Color{255, 220, 0}, 2);
  }
  vision::annotate_detections(annotated, matched);
  Status st = vision::write_image_file(path.string(), annotated, config_.jpeg_quality);
  if (!st.ok()) {
    report_warning("cannot write snapshot '" + path.string() + "': " + st.message());
    return "";
  }
  return path.string();
}

void Watcher::alert(RuleTracker& tracker, const Frame& frame, std::vector<vision::Detection> matched) {
  Event event;
  event.time_ms = wall_clock_ms();
  event.frame = frame.index;
  event.rule = tracker.rule().name;
  if (!config_.snapshot_dir.empty()) event.snapshot = snapshot(tracker, frame, matched);
  event.detections = std::move(matched);
  std::string json = event_to_json(event);
  for (auto& action : actions_) action->fire(event, json);
}

void finish_actions(std::vector<std::unique_ptr<Action>>& actions, double seconds, WatchSummary* summary) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& a : actions) a->finish(deadline);
  for (auto& a : actions) {
    std::string line = a->summary();
    if (!line.empty() && summary) summary->action_lines.push_back(line);
  }
}

std::string format_summary_text(const WatchSummary& s) {
  std::string out = "edgerun: watch summary: " + s.source + "\n";
  out += "  ended: " + s.ended + " after " + fixed(s.seconds, 1) + " s\n";
  out += "  frames: read " + std::to_string(s.counts.read) + ", processed " + std::to_string(s.processed) +
         ", dropped " + std::to_string(s.counts.dropped) + ", failed " + std::to_string(s.failed());
  if (s.counts.reconnects) out += ", reconnects " + std::to_string(s.counts.reconnects);
  out += "\n  alerts:";
  int64_t total = 0;
  for (size_t i = 0; i < s.alerts.size(); ++i) {
    out += (i ? ", " : " ") + s.alerts[i].first + " " + std::to_string(s.alerts[i].second);
    total += s.alerts[i].second;
  }
  out += " (total " + std::to_string(total) + ")\n";
  if (s.processed > 0)
    out += "  detect latency: p50 " + fixed(s.p50_ms, 1) + " ms, p95 " + fixed(s.p95_ms, 1) + " ms\n";
  out += "  throughput: " + fixed(s.fps, 2) + " processed frames/s\n";
  for (const std::string& line : s.action_lines) out += "  " + line + "\n";
  return out;
}

std::string format_summary_json(const WatchSummary& s) {
  nlohmann::ordered_json alerts = nlohmann::ordered_json::object();
  for (const auto& [name, n] : s.alerts) alerts[name] = n;
  auto round2 = [](double v) { return std::round(v * 100) / 100; };
  nlohmann::ordered_json j;
  j["source"] = s.source;
  j["ended"] = s.ended;
  j["seconds"] = round2(s.seconds);
  j["frames"] = {
      {"read", s.counts.read}, {"processed", s.processed}, {"dropped", s.counts.dropped}, {"failed", s.failed()}};
  j["reconnects"] = s.counts.reconnects;
  j["alerts"] = std::move(alerts);
  j["latency_ms"] = {{"p50", round2(s.p50_ms)}, {"p95", round2(s.p95_ms)}};
  j["fps"] = round2(s.fps);
  nlohmann::ordered_json top;
  top["summary"] = std::move(j);
  return top.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgerun::watch
