// The always-on action (the JSON line on stdout) and --log FILE.
#include <cerrno>
#include <cstring>

#include "watch/actions.h"
#include "watch/report.h"

namespace edgerun::watch {
namespace {

class PrintAction : public Action {
 public:
  explicit PrintAction(FILE* out) : out_(out) {}
  void fire(const Event&, const std::string& json) override {
    std::fprintf(out_, "%s\n", json.c_str());
    std::fflush(out_);
  }

 private:
  FILE* out_;
};

class LogAction : public Action {
 public:
  LogAction(std::string path, FILE* f) : path_(std::move(path)), f_(f) {}
  ~LogAction() override {
    if (f_) std::fclose(f_);
  }
  void fire(const Event&, const std::string& json) override {
    if (!f_) return;
    if (std::fprintf(f_, "%s\n", json.c_str()) < 0 || std::fflush(f_) != 0) {
      ++failed_;
      // One report per failure run, not per event: a full disk would otherwise flood stderr.
      if (!failing_) report_warning("cannot append to log file '" + path_ + "': " + std::strerror(errno));
      failing_ = true;
      std::clearerr(f_);
    } else {
      failing_ = false;
      ++written_;
    }
  }
  void finish(Clock::time_point) override {
    if (f_) std::fclose(f_);
    f_ = nullptr;
  }
  std::string summary() const override {
    return failed_
               ? "log " + path_ + ": " + std::to_string(written_) + " written, " + std::to_string(failed_) + " failed"
               : "";
  }

 private:
  std::string path_;
  FILE* f_;
  int64_t written_ = 0, failed_ = 0;
  bool failing_ = false;
};

}  // namespace

std::unique_ptr<Action> make_print_action(FILE* out) { return std::make_unique<PrintAction>(out); }

Expected<std::unique_ptr<Action>> make_log_action(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return io_error("cannot open log file '", path, "' for appending: ", std::strerror(errno));
  return std::unique_ptr<Action>(std::make_unique<LogAction>(path, f));
}

}  // namespace edgerun::watch
