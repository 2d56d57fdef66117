// The frame loop of `edgerun watch`: frames from a pump -> detector -> rules -> snapshot + actions, with live stats on
// stderr every few seconds and a summary at the end.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/detect.h"
#include "watch/actions.h"
#include "watch/frame_pump.h"
#include "watch/rules.h"

namespace edgerun::watch {

using DetectFn = std::function<Expected<std::vector<vision::Detection>>(const vision::Image&)>;

struct WatchConfig {
  std::vector<Rule> rules;      // class ids resolved
  double stats_interval_s = 5;  // 0 = no live stats
  std::string snapshot_dir;     // empty = no snapshots
  int jpeg_quality = 90;
  int max_detect_failures = 20;  // in a row; then the watch ends with an error
  std::string source;            // for the stats and summary
};

struct WatchSummary {
  std::string source;
  PumpCounts counts;
  int64_t processed = 0;
  int64_t detect_failures = 0;
  std::vector<std::pair<std::string, int64_t>> alerts;  // per rule, in --rule order
  double p50_ms = 0, p95_ms = 0;                        // detect latency
  double seconds = 0;                                   // wall time of the loop
  double fps = 0;                                       // processed frames per second
  std::string ended;                                    // "end of source", "stopped", "source lost", ...
  bool failure = false;                                 // ended by an error (exit code 1)
  std::vector<std::string> action_lines;                // action summaries (webhook counts, ...)

  int64_t failed() const { return counts.corrupt + detect_failures; }
};

class Watcher {
 public:
  Watcher(WatchConfig config, DetectFn detect, FramePump& pump, std::vector<std::unique_ptr<Action>>& actions,
          const std::atomic<bool>* stop);
  // Runs until the pump ends or `stop` is set; then shuts the pump down. Actions are finished by the caller
  // (finish_actions), so that their summaries are complete.
  WatchSummary run();

 private:
  // The detect time in ms, or -1 when detection failed.
  double process(Frame& frame, WatchSummary& summary);
  void alert(RuleTracker& tracker, const Frame& frame, std::vector<vision::Detection> matched);
  std::string snapshot(const RuleTracker& tracker, const Frame& frame, const std::vector<vision::Detection>& matched);

  WatchConfig config_;
  DetectFn detect_;
  FramePump& pump_;
  std::vector<std::unique_ptr<Action>>& actions_;
  const std::atomic<bool>* stop_;
  std::vector<RuleTracker> trackers_;
  int consecutive_failures_ = 0;
};

// finish() on every action with one shared deadline, then their summaries into summary.action_lines.
void finish_actions(std::vector<std::unique_ptr<Action>>& actions, double seconds, WatchSummary* summary);

std::string format_summary_text(const WatchSummary& summary);  // several lines, for stderr
std::string format_summary_json(const WatchSummary& summary);  // one line: {"summary": {...}}

}  // namespace edgerun::watch
