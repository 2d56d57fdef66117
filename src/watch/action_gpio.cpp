// --gpio CHIP:LINE[:MS]: pulse a GPIO line (libgpiod 1.6 API) on each alert: a siren, a relay, an LED.
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "watch/actions.h"
#include "watch/report.h"

#ifdef EDGERUN_HAVE_GPIOD
#include <gpiod.h>
#endif

namespace edgerun::watch {

Expected<GpioSpec> parse_gpio_spec(const std::string& text) {
  // Split from the right: LINE and MS are numbers, the chip is whatever comes before.
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t c = text.find(':', pos);
    parts.push_back(text.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty())
    return invalid_argument("--gpio '", text, "' is not CHIP:LINE[:MS] (e.g. gpiochip0:17 or gpiochip0:17:500)");
  auto number = [&](const std::string& s, const char* what, long min, long max) -> Expected<long> {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
      return invalid_argument("--gpio '", text, "': ", what, " '", s, "' is not a whole number");
    long v = std::stol(s);
    if (v < min || v > max)
      return invalid_argument("--gpio '", text, "': ", what, " ", v, " is out of range ", min, "..", max);
    return v;
  };
  GpioSpec spec;
  spec.chip = parts[0];
  ER_ASSIGN_OR_RETURN(long line, number(parts[1], "line", 0, 1 << 20));
  spec.line = static_cast<unsigned>(line);
  if (parts.size() == 3) {
    ER_ASSIGN_OR_RETURN(long ms, number(parts[2], "pulse length (ms)", 1, 3600 * 1000));
    spec.pulse_ms = static_cast<int>(ms);
  }
  return spec;
}

#ifdef EDGERUN_HAVE_GPIOD
namespace {

class GpioAction : public Action {
 public:
  GpioAction(const GpioSpec& spec, gpiod_chip* chip, gpiod_line* line)
      : spec_(spec), name_(spec.chip + ":" + std::to_string(spec.line)), chip_(chip), line_(line) {
    timer_ = std::thread([this] { timer_loop(); });
  }
  ~GpioAction() override { finish(Clock::now()); }

  void fire(const Event&, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    off_at_ = Clock::now() + std::chrono::milliseconds(spec_.pulse_ms);
    if (!high_) set(1);
    ++pulses_;
    cv_.notify_all();
  }

  void finish(Clock::time_point) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = closing_ = true;
    }
    cv_.notify_all();
    if (timer_.joinable()) timer_.join();
    std::lock_guard<std::mutex> lock(mu_);
    if (high_) set(0);  // never leave a siren on
    gpiod_line_release(line_);
    gpiod_chip_close(chip_);
  }

  std::string summary() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return "gpio " + name_ + ": " + std::to_string(pulses_) + " pulse(s)" +
           (errors_ ? ", " + std::to_string(errors_) + " error(s)" : "");
  }

 private:
  void set(int value) {  // with mu_ held
    if (gpiod_line_set_value(line_, value) != 0) {
      ++errors_;
      report_warning("gpio " + name_ + ": cannot set the line " + (value ? "high" : "low") + ": " +
                     std::strerror(errno));
    }
    high_ = value != 0;
  }

  void timer_loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!closing_) {
      if (!high_) {
        cv_.wait(lock, [&] { return closing_ || high_; });
        continue;
      }
      // off_at_ may move later while waiting (a new alert extends the pulse), so re-check after each wake-up.
      cv_.wait_until(lock, off_at_);
      if (high_ && Clock::now() >= off_at_) set(0);
    }
  }

  GpioSpec spec_;
  std::string name_;
  gpiod_chip* chip_;
  gpiod_line* line_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Clock::time_point off_at_{};
  bool high_ = false, closing_ = false, finished_ = false;
  int64_t pulses_ = 0, errors_ = 0;
  std::thread timer_;
};

}  // namespace

Expected<std::unique_ptr<Action>> make_gpio_action(const GpioSpec& spec) {
  gpiod_chip* chip = gpiod_chip_open_lookup(spec.chip.c_str());
  if (!chip)
    return not_found("cannot open GPIO chip '", spec.chip, "': ", std::strerror(errno),
                     " (see `gpiodetect`; e.g. gpiochip0, /dev/gpiochip4)");
  unsigned n = gpiod_chip_num_lines(chip);
  if (spec.line >= n) {
    gpiod_chip_close(chip);
    return not_found("GPIO chip '", spec.chip, "' has ", n, " lines (0..", n ? n - 1 : 0, "); line ", spec.line,
                     " does not exist");
  }
  gpiod_line* line = gpiod_chip_get_line(chip, spec.line);
  if (!line) {
    int err = errno;
    gpiod_chip_close(chip);
    return io_error("cannot get GPIO line ", spec.line, " of '", spec.chip, "': ", std::strerror(err));
  }
  if (gpiod_line_request_output(line, "edgerun-watch", 0) != 0) {
    int err = errno;
    gpiod_chip_close(chip);
    return io_error("cannot request GPIO line ", spec.line, " of '", spec.chip, "' as an output: ", std::strerror(err),
                    err == EBUSY ? " (another program holds it)" : "");
  }
  return std::unique_ptr<Action>(std::make_unique<GpioAction>(spec, chip, line));
}

#else  // !EDGERUN_HAVE_GPIOD

Expected<std::unique_ptr<Action>> make_gpio_action(const GpioSpec& spec) {
  return unsupported("--gpio ", spec.chip, ":", spec.line,
                     ": edgerun was built without libgpiod; GPIO actions are "
                     "unavailable");
}

#endif

}  // namespace edgerun::watch
