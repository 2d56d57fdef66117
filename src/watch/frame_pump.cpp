#include "watch/frame_pump.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "watch/report.h"

namespace edgerun::watch {

const char* pump_end_name(PumpEnd end) {
  switch (end) {
    case PumpEnd::kNone:
      return "running";
    case PumpEnd::kSourceEnded:
      return "end of source";
    case PumpEnd::kMaxFrames:
      return "max frames reached";
    case PumpEnd::kStopped:
      return "stopped";
    case PumpEnd::kGaveUp:
      return "source lost";
  }
  return "?";
}

namespace {

bool stop_set(const std::atomic<bool>* stop) { return stop && stop->load(); }

class SequentialPump : public FramePump {
 public:
  SequentialPump(std::unique_ptr<FrameSource> source, const PumpOptions& options)
      : source_(std::move(source)), options_(options) {}

  PumpResult next(double) override {
    PumpResult out;
    while (end_ == PumpEnd::kNone) {
      if (stop_set(options_.stop)) {
        end_ = PumpEnd::kStopped;
        break;
      }
      if (options_.max_frames > 0 && counts_.read >= options_.max_frames) {
        end_ = PumpEnd::kMaxFrames;
        break;
      }
      bool wanted = next_index_ % options_.every == 0;
      ReadResult r = source_->read(wanted);
      switch (r.status) {
        case ReadStatus::kFrame:
          r.frame.index = next_index_++;
          ++counts_.read;
          if (wanted) {
            out.status = PumpStatus::kFrame;
            out.frame = std::move(r.frame);
            return out;
          }
          break;
        case ReadStatus::kCorrupt:
          ++next_index_;
          ++counts_.corrupt;
          report_warning(r.message);
          break;
        case ReadStatus::kIdle:
          out.status = PumpStatus::kTimeout;
          return out;
        case ReadStatus::kEnd:
        case ReadStatus::kBroken:
          if (!r.message.empty()) report_warning(r.message);
          end_ = stop_set(options_.stop) ? PumpEnd::kStopped : PumpEnd::kSourceEnded;
          break;
      }
    }
    source_.reset();  // closes the file now, not at exit
    out.status = PumpStatus::kEnd;
    return out;
  }

  PumpCounts counts() const override { return counts_; }
  PumpEnd end_reason() const override { return end_; }

 private:
  std::unique_ptr<FrameSource> source_;
  PumpOptions options_;
  PumpCounts counts_;
  int64_t next_index_ = 0;
  PumpEnd end_ = PumpEnd::kNone;
};

// Shared by the live pump and its reader thread, so that a thread left behind (a source stuck in a blocking read)
// still has valid state after the pump is gone.
struct LiveState {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Frame> slot;  // the newest frame due for processing
  PumpCounts counts;
  PumpEnd end = PumpEnd::kNone;
  bool thread_done = false;
  std::atomic<bool> quit{false};
  std::unique_ptr<FrameSource> source;
  SourceOpener reopen;
  PumpOptions options;
};

void live_reader(std::shared_ptr<LiveState> s) {
  const PumpOptions& opt = s->options;
  auto stopping = [&] { return s->quit.load() || stop_set(opt.stop); };
  auto finish = [&](PumpEnd end) {
    s->source.reset();
    std::lock_guard<std::mutex> lock(s->mu);
    s->end = end;
    s->thread_done = true;
    s->cv.notify_all();
  };
  // Waits `seconds`, waking early on a stop; false if stopped.
  auto sleep_for = [&](double seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (stopping()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  };
  std::string name = s->source ? s->source->describe() : "source";
  int64_t next_index = 0;
  int attempts = 0;  // reopen attempts since the last frame
  while (true) {
    if (stopping()) return finish(PumpEnd::kStopped);
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (opt.max_frames > 0 && s->counts.read >= opt.max_frames) {
        s->source.reset();
        s->end = PumpEnd::kMaxFrames;
        s->thread_done = true;
        s->cv.notify_all();
        return;
      }
    }
    if (!s->source) {
      if (!s->reopen) return finish(PumpEnd::kSourceEnded);
      if (attempts >= opt.reconnect) {
        report_warning("giving up on " + name + " after " + std::to_string(attempts) + " reconnect attempt" +
                       (attempts == 1 ? "" : "s") + " (--reconnect " + std::to_string(opt.reconnect) + ")");
        return finish(PumpEnd::kGaveUp);
      }
      ++attempts;
      double delay = std::min(opt.backoff_max_s, opt.backoff_initial_s * std::pow(2.0, attempts - 1));
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%g", delay);
      report_note("reconnecting in " + std::string(buf) + " s (attempt " + std::to_string(attempts) + " of " +
                  std::to_string(opt.reconnect) + ")");
      if (!sleep_for(delay)) return finish(PumpEnd::kStopped);
      auto reopened = s->reopen();
      if (!reopened.ok()) {
        if (stopping()) return finish(PumpEnd::kStopped);
        report_warning(reopened.status().message());
        continue;
      }
      s->source = std::move(*reopened);
      report_note("reconnected: " + s->source->describe());
      std::lock_guard<std::mutex> lock(s->mu);
      ++s->counts.reconnects;
    }
    bool wanted = next_index % opt.every == 0;
    ReadResult r = s->source->read(wanted);
    switch (r.status) {
      case ReadStatus::kFrame: {
        r.frame.index = next_index++;
        attempts = 0;
        std::lock_guard<std::mutex> lock(s->mu);
        ++s->counts.read;
        if (wanted) {
          if (s->slot) ++s->counts.dropped;
          s->slot = std::move(r.frame);
          s->cv.notify_all();
        }
        break;
      }
      case ReadStatus::kCorrupt: {
        ++next_index;
        report_warning(r.message);
        std::lock_guard<std::mutex> lock(s->mu);
        ++s->counts.corrupt;
        break;
      }
      case ReadStatus::kIdle:
        break;
      case ReadStatus::kEnd:
      case ReadStatus::kBroken:
        if (stopping()) return finish(PumpEnd::kStopped);
        // Without a way to reopen (stdin), the end of the data is the normal end of the watch.
        if (!r.message.empty()) (s->reopen ? report_warning : report_note)(r.message);
        if (r.status == ReadStatus::kEnd && !s->reopen) return finish(PumpEnd::kSourceEnded);
        s->source.reset();
        break;
    }
  }
}

class LivePump : public FramePump {
 public:
  LivePump(std::unique_ptr<FrameSource> source, SourceOpener reopen, const PumpOptions& options)
      : s_(std::make_shared<LiveState>()) {
    s_->source = std::move(source);
    s_->reopen = std::move(reopen);
    s_->options = options;
    thread_ = std::thread(live_reader, s_);
  }
  ~LivePump() override { shutdown(); }

  PumpResult next(double timeout_s) override {
    PumpResult out;
    std::unique_lock<std::mutex> lock(s_->mu);
    s_->cv.wait_for(lock, std::chrono::duration<double>(std::max(0.0, timeout_s)),
                    [&] { return s_->slot.has_value() || s_->thread_done; });
    if (s_->slot) {
      out.status = PumpStatus::kFrame;
      out.frame = std::move(*s_->slot);
      s_->slot.reset();
    } else {
      out.status = s_->thread_done ? PumpStatus::kEnd : PumpStatus::kTimeout;
    }
    return out;
  }

  PumpCounts counts() const override {
    std::lock_guard<std::mutex> lock(s_->mu);
    return s_->counts;
  }
  PumpEnd end_reason() const override {
    std::lock_guard<std::mutex> lock(s_->mu);
    return s_->end;
  }

  void shutdown() override {
    if (!thread_.joinable()) return;
    s_->quit = true;
    std::unique_lock<std::mutex> lock(s_->mu);
    // Reads of a live source wake up on the quit flag within a few ms (FFmpeg's interrupt callback), except a
    // blocking read on stdin, which only ends with new data or EOF.
    bool done = s_->cv.wait_for(lock, std::chrono::seconds(3), [&] { return s_->thread_done; });
    if (!done && s_->end == PumpEnd::kNone) s_->end = PumpEnd::kStopped;
    lock.unlock();
    if (done) {
      thread_.join();
    } else {
      report_warning("the source does not answer; not waiting for its reader thread");
      thread_.detach();
    }
  }

 private:
  std::shared_ptr<LiveState> s_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<FramePump> make_sequential_pump(std::unique_ptr<FrameSource> source, const PumpOptions& options) {
  PumpOptions o = options;
  o.every = std::max<int64_t>(1, o.every);
  return std::make_unique<SequentialPump>(std::move(source), o);
}

std::unique_ptr<FramePump> make_live_pump(std::unique_ptr<FrameSource> source, SourceOpener reopen,
                                          const PumpOptions& options) {
  PumpOptions o = options;
  o.every = std::max<int64_t>(1, o.every);
  return std::make_unique<LivePump>(std::move(source), std::move(reopen), o);
}

}  // namespace edgerun::watch
