// What `edgerun watch` does with an alert. Every action gets the event and its JSON line; none may stall the frame
// loop: the webhook posts from a worker thread with a bounded queue, commands run as child processes that are reaped
// by a thread, GPIO pulses are ended by a timer thread. Failures after startup are reported on stderr and counted,
// never fatal; failures at startup (a log file that cannot be opened, a GPIO line that does not exist) are errors.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "edgerun/status.h"
#include "watch/event.h"

namespace edgerun::watch {

using Clock = std::chrono::steady_clock;

class Action {
 public:
  virtual ~Action() = default;
  // Called on the frame loop's thread; must return quickly.
  virtual void fire(const Event& event, const std::string& json) = 0;
  // Stops taking events and finishes pending work until `deadline`; what is left then is reported and dropped.
  virtual void finish(Clock::time_point deadline) {}
  // One line for the summary ("webhook http://h/x: 3 sent, 1 failed"); empty = nothing worth saying.
  virtual std::string summary() const { return ""; }
};

// The JSON line on `out` (stdout), flushed per event so that a pipe reader sees it at once.
std::unique_ptr<Action> make_print_action(FILE* out);

// Appends JSON lines to `path` (created if missing), flushed per event.
Expected<std::unique_ptr<Action>> make_log_action(const std::string& path);

// ---- webhook --------------------------------------------------------------------------------------------------
struct WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;        // 80 / 443 when not given
  std::string path;    // "/..." including any query; "/" when empty
};
// http(s)://host[:port][/path][?query]
Expected<WebhookUrl> parse_webhook_url(const std::string& url);

struct WebhookOptions {
  double connect_timeout_s = 2;
  double read_timeout_s = 2;  // also the write timeout
  size_t queue_size = 64;     // events waiting beyond this are dropped (and reported)
};
// POSTs the JSON (Content-Type: application/json) from a worker thread; a response outside 2xx counts as a failure.
// Without cpp-httplib at build time: an error saying so.
Expected<std::unique_ptr<Action>> make_webhook_action(const std::string& url, const WebhookOptions& options = {});

// ---- exec -----------------------------------------------------------------------------------------------------
// Runs `/bin/sh -c COMMAND` per event with EDGERUN_EVENT (the JSON), EDGERUN_RULE, EDGERUN_FRAME and
// EDGERUN_SNAPSHOT in its environment; its stdout goes to stderr (stdout carries only events). At most
// `max_running` commands run at once; an event beyond that is skipped and reported.
Expected<std::unique_ptr<Action>> make_exec_action(const std::string& command, int max_running = 4);

// ---- GPIO -----------------------------------------------------------------------------------------------------
struct GpioSpec {
  std::string chip;  // "gpiochip0", "/dev/gpiochip4", "0" (libgpiod's lookup)
  unsigned line = 0;
  int pulse_ms = 1000;
};
// CHIP:LINE[:MS]
Expected<GpioSpec> parse_gpio_spec(const std::string& text);
// Requests the line as an output (low) at once, so that a wrong chip or line is an error at startup; each event
// drives it high for pulse_ms (an event during a pulse extends it), then low. Released (low) by finish().
Expected<std::unique_ptr<Action>> make_gpio_action(const GpioSpec& spec);

}  // namespace edgerun::watch
